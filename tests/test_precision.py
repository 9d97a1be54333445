"""float_error_bound: the rounding bound holds on sampled networks and constructions, is 0 where the arithmetic is
exact, and its row-by-row path agrees with the dense one."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import Network
from depthlab.construct.memorize import memorize
from depthlab.precision import (
    _columns,
    _rows,
    _sparse_layer,
    float_error_bound,
    lowest_bit_exponent,
    propagate_layer,
    sign_split_pairs,
)


def _run(net: Network, x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    with torch.no_grad():
        return net.to(dtype).to_torch()(x.to(dtype)).double()  # as a user runs it


@settings(max_examples=30, deadline=None, derandomize=True)
@given(widths=st.lists(st.integers(1, 12), min_size=1, max_size=5), d=st.integers(1, 6), seed=st.integers(0, 999),
       scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_bound_holds_on_random_networks(widths: list[int], d: int, seed: int, scale: float) -> None:
    net = Network.random([d, *widths, 2], seed=seed)
    g = torch.Generator().manual_seed(seed)
    x = scale * torch.randn(40, d, generator=g, dtype=torch.float64)
    bound = float_error_bound(net, x)
    assert bound.holds(_run(net, x, torch.float32))
    assert bound.holds(net.to(torch.float32)(x.to(torch.float32)))
    assert len(bound.layer_max_bound) == net.depth + 1


@settings(max_examples=12, deadline=None, derandomize=True)
@given(n=st.integers(2, 120), d=st.integers(1, 6), k=st.integers(2, 4), seed=st.integers(0, 999))
def test_bound_holds_on_deep_constructions(n: int, d: int, k: int, seed: int) -> None:
    """The seed's construction: thousands of sign-split pos/neg carries and steep slopes, run in float32."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, d, generator=g, dtype=torch.float64)
    m = memorize(x, torch.randint(0, k, (n,), generator=g), seed=seed)
    bound = float_error_bound(m.net, x)
    assert bound.holds(_run(m.net, x, torch.float32))
    bound64 = float_error_bound(m.net, x, torch.float64)
    assert bound64.holds(m.net(x)) and bound64.max_bound <= bound.max_bound


def test_pair_rule_is_what_keeps_the_bound_finite() -> None:
    """Without the sign-split rule the bound of a carried signed sum doubles per layer: on a 200-unit construction
    it would pass 2^100; with it the bound stays of the order of the measured error's scale."""
    g = torch.Generator().manual_seed(3)
    x, y = torch.rand(200, 3, generator=g, dtype=torch.float64), torch.randint(0, 3, (200,), generator=g)
    m = memorize(x, y)
    bound = float_error_bound(m.net, x)
    assert m.layers > 100 and bound.max_bound < 1e3


def test_exact_integer_arithmetic_has_zero_bound() -> None:
    net = Network((torch.tensor([[1.0, -2.0], [3.0, 1.0]]), torch.tensor([[1.0, 1.0]])),
                  (torch.tensor([0.5, -4.0]), torch.tensor([2.0])))
    x = torch.tensor([[1.0, 2.0], [3.0, 0.0], [-1.5, 4.25]], dtype=torch.float64)
    bound = float_error_bound(net, x)
    assert bound.max_bound == 0.0 and bound.exact_layers == 2
    assert torch.equal(_run(net, x, torch.float32), bound.output)


def test_large_integers_are_not_exact() -> None:
    """2^24 + 1 is not a float32 number: the same row with such a term gets a nonzero bound."""
    net = Network((torch.tensor([[1.0, 1.0]]),), (torch.tensor([0.0]),), "relu")
    x = torch.tensor([[2.0**24, 1.0], [2.0**23, 1.0]], dtype=torch.float64)
    bound = float_error_bound(net, x)
    assert bound.bound[0, 0] > 0 and bound.bound[1, 0] == 0
    assert bound.holds(_run(net, x, torch.float32))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), relu=st.booleans(), paired=st.booleans())
def test_row_by_row_path_equals_dense_path(seed: int, relu: bool, paired: bool) -> None:
    g = torch.Generator().manual_seed(seed)
    n_in, n_out = int(torch.randint(2, 6, (1,), generator=g)), int(torch.randint(1, 6, (1,), generator=g))
    omega = (torch.randint(-3, 4, (n_out, n_in), generator=g) * torch.randint(0, 2, (n_out, n_in), generator=g)) / 4
    omega = omega.double()
    beta = torch.randint(-2, 3, (n_out,), generator=g).double()
    if n_out >= 2 and paired:
        omega[1], beta[1] = -omega[0], -beta[0]
    h = torch.randint(0, 5, (30, n_in), generator=g).double() / 2
    err = torch.rand(30, n_in, generator=g, dtype=torch.float64) * 1e-3 * torch.randint(0, 2, (30, n_in), generator=g)
    pairs = [(0, 1)] if paired else []
    dense = propagate_layer(h, err, torch.zeros_like(h), omega, beta, torch.float32, relu, pairs)
    rows = _rows(_sparse_layer(_columns((h, err, torch.zeros_like(h))), omega.numpy(), beta.numpy(), torch.float32,
                               relu, pairs))
    for a, b in zip(dense, rows):
        assert torch.allclose(a, b, rtol=1e-12, atol=0)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(s=st.floats(-1, 1), d1=st.floats(-1, 1), d2=st.floats(-1, 1), c1=st.floats(-3, 3), c2=st.floats(-3, 3))
def test_sign_split_pair_lemma(s: float, d1: float, d2: float, c1: float, c2: float) -> None:
    """c1 relu(s + d1) + c2 relu(-(s + d2)) is within (|c1 - c2| / 2 + |c1 + c2|) max(|d1|, |d2|) of the exact
    c1 relu(s) + c2 relu(-s): the difference pos - neg is off by at most max |d|, the sum by twice that."""
    relu = lambda v: max(v, 0.0)  # noqa: E731
    rounded = c1 * relu(s + d1) + c2 * relu(-(s + d2))
    exact = c1 * relu(s) + c2 * relu(-s)
    factor = abs(c1 - c2) / 2 + abs(c1 + c2)
    assert abs(rounded - exact) <= factor * max(abs(d1), abs(d2)) * (1 + 1e-12) + 1e-15
    sum_error = relu(s + d1) + relu(-(s + d2)) - abs(s)  # the sum alone can be off by twice max |d|: d1 = -d2
    assert abs(sum_error) <= 2 * max(abs(d1), abs(d2)) + 1e-15


def test_sign_split_pairs_and_lowest_bits() -> None:
    assert sign_split_pairs(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]), np.array([1.0, 0.0, -1.0])) == [(0, 2)]
    values = torch.tensor([12.0, -0.75, 2.0**-30 * 5, 1e10], dtype=torch.float64)
    low = lowest_bit_exponent(values)
    odd = values / torch.exp2(low)
    assert torch.equal(odd, odd.round()) and bool(((odd.abs() % 2) == 1).all())


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: float_error_bound(Network.random([2, 3, 1], seed=0), torch.zeros(2, 2), torch.float16),
         "'dtype' parameter"),
        (lambda: float_error_bound(Network.random([2, 3, 1], activation="tanh", seed=0), torch.zeros(2, 2)),
         "'net' parameter"),
        (lambda: float_error_bound(Network.random([2, 3, 1], seed=0), torch.zeros(2, 5)), "'x' parameter"),
        (lambda: float_error_bound("net", torch.zeros(2, 2)), "'net' parameter"),
    ],
)
def test_bad_input(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_bound_holds_where_a_sign_split_pair_is_summed() -> None:
    """|s| carried as relu(s) + relu(-s) through many layers, with s near 0 where both copies can be on."""
    g = torch.Generator().manual_seed(5)
    w = torch.randn(1, 3, generator=g, dtype=torch.float64).float().double() / 3
    weights = [torch.cat([w, -w]), *[torch.tensor([[1.1, 0.9], [-1.1, -0.9]], dtype=torch.float64)] * 30,
               torch.tensor([[1.0, 1.0]], dtype=torch.float64)]
    biases = [torch.tensor([0.1, -0.1], dtype=torch.float64), *[torch.tensor([0.3, -0.3])] * 30,
              torch.zeros(1, dtype=torch.float64)]
    net = Network(tuple(weights), tuple(b.double() for b in biases))
    x = torch.randn(500, 3, generator=g, dtype=torch.float64) * 1e-3
    bound = float_error_bound(net, x)
    assert bound.holds(_run(net, x, torch.float32)) and bound.max_bound > 0
