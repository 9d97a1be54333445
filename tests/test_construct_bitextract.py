"""Memorizing with few parameters (depthlab.construct.bitextract): exact fits, the count formula, the bit reader.

Exactness: on the training points every value the network carries is an integer or a multiple of a power of two
below 2^53 (the look-up, the words, the in-group position u, the label), and every 0/1 decision has a margin
far above the rounding of the few inexact pre-activations (the group index before cleaning, whose float64 error
bound is checked at build time, and the comparison units). So net(X) equals the labels exactly, whatever the
summation order; the tests assert equality, not closeness.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.checks import InputError
from depthlab.construct.bitextract import (
    J_ERROR_LIMIT,
    WORD_BITS_MAX,
    Layout,
    _reading_program,
    _schedule_widths,
    bit_reader,
    count_params,
    counting_lower_bound,
    layer_widths,
    max_word_bits,
    memorize_few_params,
    plan_few_params,
)
from depthlab.construct.memorize import memorize

N0 = 100  # from this many points on (C <= 10, any D tried), the construction has fewer parameters than the seed's


def _data(n: int, d: int, n_classes: int, seed: int, duplicates: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, d, generator=g, dtype=torch.float64)
    y = torch.randint(0, n_classes, (n,), generator=g)
    if duplicates:  # repeated inputs carry their first copy's label
        x = torch.cat([x, x[:duplicates]])
        y = torch.cat([y, y[:duplicates]])
    return x, y


@settings(max_examples=12, deadline=None, derandomize=True)
@given(n=st.integers(1, 90), d=st.integers(1, 6), n_classes=st.integers(1, 6), seed=st.integers(0, 10**6),
       duplicates=st.integers(0, 3))
def test_the_network_outputs_every_training_label_exactly(n, d, n_classes, seed, duplicates):
    x, y = _data(n, d, n_classes, seed, min(duplicates, n))
    m = memorize_few_params(x, y, seed=seed)
    with torch.no_grad():
        out = m.net(x)[:, 0]  # (N,) run as a user runs it
    assert torch.equal(out, y.to(torch.float64))  # exact, not close (see the module docstring)
    assert m.train_accuracy == 1.0 and m.fit_max_abs_error == 0.0 and m.fit_mse == 0.0
    assert m.index_error_bound <= J_ERROR_LIMIT
    assert m.net.widths[0] == d and m.net.widths[1] == 1 and m.net.widths[-1] == 1


@settings(max_examples=10, deadline=None, derandomize=True)
@given(n=st.integers(2, 120), d=st.integers(1, 5), n_classes=st.integers(2, 5), seed=st.integers(0, 10**6))
def test_the_parameter_count_is_the_formula_of_the_layout(n, d, n_classes, seed):
    x, y = _data(n, d, n_classes, seed)
    m = memorize_few_params(x, y, seed=seed)
    lay = m.plan.layout
    assert m.net.widths == layer_widths(lay, d)
    assert m.params == m.net.n_params == count_params(lay, d) == m.plan.params
    assert m.input_params == d + 1 and m.input_params + m.lookup_params + m.reading_params == m.params
    assert lay.words_per_group * lay.word_bits >= lay.bits_per_group > (lay.words_per_group - 1) * lay.word_bits
    assert lay.word_bits <= max_word_bits(lay.n_groups) <= WORD_BITS_MAX
    assert m.stored_bits == lay.n_groups * lay.bits_per_group
    # planning from the codes alone (no network) gives the same layout and count
    plan = plan_few_params(m.plan.codes, m.plan.labels, input_dim=d)
    assert plan.layout == lay and plan.params == m.params


def test_the_periodic_reading_widths_equal_the_schedule_run_directly():
    checked = 0
    for fields, bk, by, e_bits in itertools.product([1, 2, 3, 4, 6], [1, 2, 5, 9], [1, 2, 4], [0, 1, 3]):
        bits = e_bits + by + fields * (bk + by)
        for n_words in (1, 2, 3):
            width = -(-bits // n_words)
            if (n_words - 1) * width >= bits or width > WORD_BITS_MAX:
                continue
            lay = Layout(1, fields, bk, by, e_bits, 0, n_words, width)
            direct = [len(layer) for layer in _reading_program(lay, exprs=False)[0]]
            assert list(_schedule_widths(fields, bk, by, e_bits, n_words, width)) == direct, lay
            checked += 1
    assert checked > 100


@settings(max_examples=6, deadline=None, derandomize=True)
@given(n=st.integers(N0, N0 + 60), d=st.integers(1, 8), n_classes=st.integers(2, 10), seed=st.integers(0, 10**6))
def test_fewer_parameters_than_the_seed_construction_from_n0_points(n, d, n_classes, seed):
    x, y = _data(n, d, n_classes, seed)
    assert memorize_few_params(x, y, seed=seed).params < memorize(x, y, seed=seed).params


def test_growth_is_sublinear_on_random_labels():
    sizes = (300, 1200, 4800)
    params = []
    for n in sizes:
        rng = np.random.default_rng(n)
        codes = 1.125 + 0.75 * np.sort(rng.random(n))
        params.append(plan_few_params(codes, rng.integers(0, 3, n), input_dim=10).params)
    slope = np.polyfit(np.log(sizes), np.log(params), 1)[0]
    assert slope < 0.8  # 16x the points, far less than 16x the parameters (measured 0.66)
    assert params[-1] < 3 * 4800  # under 3 parameters per point (measured 2.6; the seed spends ~17)


@pytest.mark.parametrize("word_bits", [1, 7, 27, 52, 53])
def test_bit_reader_is_exact_on_random_words(word_bits):
    rng = np.random.default_rng(word_bits)
    words = rng.integers(0, 2**word_bits, size=500, dtype=np.uint64)
    words[:2] = [0, 2**word_bits - 1]
    net = bit_reader(word_bits)
    x = torch.tensor(words.astype(np.float64))[:, None]  # (B, 1): exact, word_bits <= 53
    with torch.no_grad():
        bits = net(x)  # (B, word_bits)
    shifts = np.arange(word_bits - 1, -1, -1, dtype=np.uint64)
    expected = ((words[:, None] >> shifts[None, :]) & np.uint64(1)).astype(np.float64)
    assert torch.equal(bits, torch.tensor(expected))


def test_bit_reader_reads_52_bit_fractions_as_integers():
    rng = np.random.default_rng(1)
    frac = rng.integers(0, 2**52, size=200, dtype=np.uint64).astype(np.float64) / 2.0**52  # W in [0, 1)
    net = bit_reader(52, n_bits=8)
    with torch.no_grad():
        bits = net(torch.tensor(frac * 2.0**52)[:, None])  # 2^52 W is exact
    expected = np.floor(frac[:, None] * 2.0 ** np.arange(1, 9)) % 2
    assert torch.equal(bits, torch.tensor(expected))


def test_counting_lower_bound_is_below_the_construction():
    x, y = _data(400, 4, 3, 7)
    m = memorize_few_params(x, y)
    assert m.lower_bound == counting_lower_bound(400, 3) == 10  # ceil(400 log2 3 / 64)
    assert m.lower_bound < m.params and m.bits_per_param > 0
    assert counting_lower_bound(10_000, 10) == 520 and counting_lower_bound(5, 2, bits_per_param=1) == 5


def test_group_size_caps_the_groups_and_the_fit_stays_exact():
    x, y = _data(200, 3, 3, 11)
    m = memorize_few_params(x, y, group_size=3)
    assert m.max_group_size <= 3 and m.n_groups >= 200 // 3
    with torch.no_grad():
        assert torch.equal(m.net(x)[:, 0], y.to(torch.float64))
    free = memorize_few_params(x, y)
    assert free.params <= m.params  # the search's own choice is at least as small


def test_the_network_converts_to_torch_and_fits_there_too():
    x, y = _data(150, 4, 4, 3)
    m = memorize_few_params(x, y)
    with torch.no_grad():
        out = m.net.to_torch()(x)[:, 0]
    assert torch.equal(out, y.to(torch.float64))


def test_one_class_and_one_point_are_trivial_networks():
    x, y = _data(30, 2, 1, 0)
    m = memorize_few_params(x, y + 2)  # all labels 2
    assert m.n_groups == 1 and m.train_accuracy == 1.0
    one = memorize_few_params(torch.ones(1, 3, dtype=torch.float64), torch.tensor([4]))
    assert one.net(torch.ones(1, 3, dtype=torch.float64)).item() == 4.0


BAD = [
    (lambda: memorize_few_params(torch.rand(5, 2), torch.rand(5)), "'Y'"),
    (lambda: memorize_few_params(torch.rand(5, 2), torch.tensor([0, 1, -1, 0, 1])), "'Y'"),
    (lambda: memorize_few_params(torch.rand(5), torch.tensor([0, 1, 1, 0, 1])), "'X'"),
    (lambda: memorize_few_params(torch.rand(5, 2), torch.tensor([0, 1, 1])), "'Y'"),
    (lambda: memorize_few_params(torch.rand(5, 2), torch.tensor([0, 1, 1, 0, 1]), group_size=0), "'group_size'"),
    (lambda: memorize_few_params(torch.ones(2, 2), torch.tensor([0, 1])), "'X'"),
    (lambda: bit_reader(54), "'word_bits'"),
    (lambda: bit_reader(8, n_bits=9), "'n_bits'"),
    (lambda: plan_few_params(np.array([1.2, 1.2]), np.array([0, 1])), "'codes'"),
    (lambda: plan_few_params(np.array([0.5, 1.2]), np.array([0, 1])), "'codes'"),
    (lambda: counting_lower_bound(0, 3), "'n'"),
    (lambda: count_params(Layout(4, 2, 5, 2, 2, 10, 3, 18), 3), "'layout'"),
]


@pytest.mark.parametrize("call, name", BAD, ids=[name + str(i) for i, (_, name) in enumerate(BAD)])
def test_bad_input_is_one_line_naming_the_parameter(call, name):
    with pytest.raises(InputError) as info:
        call()
    assert name in str(info.value) and "\n" not in str(info.value)
