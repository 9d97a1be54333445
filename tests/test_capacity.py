"""depthlab.capacity: the search rule, the N search over many nets, exact perceptron capacity, Cover's count."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.capacity import (
    cover_separable_fraction,
    largest_fitted_n,
    linearly_separable,
    next_n,
    perceptron_capacity,
)
from depthlab.train import NetworkBatch, fit_many


def test_search_rule_doubles_then_bisects():
    assert next_n(0, None, 16, 1000, 0.1) == 16
    assert next_n(16, None, 16, 1000, 0.1) == 32
    assert next_n(600, None, 16, 1000, 0.1) == 1000  # capped at n_max
    assert next_n(1000, None, 16, 1000, 0.1) is None  # censored: fits everything
    assert next_n(0, 16, 16, 1000, 0.1) == 8  # fails at once: bisect below
    assert next_n(64, 128, 16, 1000, 0.1) == 96
    assert next_n(120, 128, 16, 1000, 0.1) is None  # 8 <= 10% of 120
    assert next_n(5, 6, 16, 1000, 0.0) is None and next_n(5, 7, 16, 1000, 0.0) == 6


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 400), st.integers(1, 64), st.sampled_from([0.0, 0.1, 0.3]))
def test_search_rule_finds_any_monotone_threshold(capacity, n_start, tolerance):
    """Against an oracle that fits exactly N <= capacity, the search ends within its tolerance of it."""
    n_max, tested = 512, {}
    while True:
        fits = [n for n, ok in tested.items() if ok]
        fails = [n for n, ok in tested.items() if not ok]
        n = next_n(max(fits, default=0), min(fails, default=None), n_start, n_max, tolerance)
        if n is None:
            break
        assert n not in tested
        tested[n] = n <= capacity
    largest = max((n for n, ok in tested.items() if ok), default=0)
    assert largest <= capacity
    assert capacity - largest <= max(1, int(tolerance * largest)) or largest == n_max
    assert len(tested) <= 2 * math.log2(n_max) + 2


def test_linearly_separable_by_hand():
    xor = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]
    assert not linearly_separable(xor, [0, 0, 1, 1])
    assert linearly_separable(xor, [0, 1, 1, 1])  # OR
    assert linearly_separable([[0.0], [1.0]], [5, 5])  # one class
    with pytest.raises(ValueError, match="at most 2 classes"):
        linearly_separable([[0.0], [1.0], [2.0]], [0, 1, 2])


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(0, 10_000))
def test_perceptron_capacity_is_the_first_non_separable_prefix(dim, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(3 * (dim + 1) + 6, dim)), rng.integers(0, 2, size=3 * (dim + 1) + 6)
    found = perceptron_capacity(x, y)
    prefix = [linearly_separable(x[:n], y[:n]) for n in range(1, len(y) + 1)]
    brute = prefix.index(False) if False in prefix else len(y)
    assert found == brute >= dim + 1  # any dim + 1 points in general position are separable


def test_cover_fraction_by_hand_and_mean_capacity_is_two_bits_per_weight():
    assert cover_separable_fraction(3, 1) == 0.25  # only the two constant labellings
    assert cover_separable_fraction(4, 2) == 2 * (1 + 3) / 16  # 4 points on a line, with a bias
    assert cover_separable_fraction(8, 4) == 0.5  # N = 2K: half of all labellings
    for k in (1, 2, 5, 13):  # E[largest separable prefix] = sum_N fraction(N, k) = 2k
        assert sum(cover_separable_fraction(n, k) for n in range(1, 12 * k + 60)) == pytest.approx(2 * k, rel=1e-9)


def test_perceptron_mean_capacity_matches_cover():
    k = 6
    found = [perceptron_capacity(*_gaussian(k - 1, 80, seed)) for seed in range(60)]
    assert abs(np.mean(found) - 2 * k) < 3 * np.std(found) / math.sqrt(len(found))


def _gaussian(dim: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)), rng.integers(0, 2, size=n)


# ---------------------------------------------------------------------------------------------- the MLP search
SHAPE = [5, 6, 2]
OPTIONS = {"optimizer": "adam", "lr": 0.02, "steps": 150, "dtype": torch.float64}


def _pools(n_models: int = 3, n_max: int = 96):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n_models, n_max, 5, generator=g, dtype=torch.float64)
    return x, torch.randint(2, (n_models, n_max), generator=g)


def test_search_outcomes_match_training_each_net_alone(tmp_path):
    x, y = _pools()
    found = largest_fitted_n(SHAPE, x, y, [0, 1, 2], n_start=8, tolerance=0.0, **OPTIONS)
    distinct = {n for tested in found.tested for n in tested}
    assert found.n_calls < sum(len(t) for t in found.tested)  # nets with the same next N trained together
    assert found.n_calls >= len(distinct)
    for m in range(3):
        tested = found.tested[m]
        assert all(ok for n, ok in tested.items() if n <= found.largest_fit[m])
        assert found.smallest_failure[m] is None or not tested[found.smallest_failure[m]]
        for n in (found.largest_fit[m], found.smallest_failure[m]):
            if n:  # the same net trained alone on the same N points gives the same outcome
                alone = fit_many(NetworkBatch.random(SHAPE, [m]), x[m, :n], y[m, :n], loss="cross_entropy",
                                 target_accuracy=1.0, **OPTIONS)[0]
                assert (alone.stop_reason == "target_accuracy") == tested[n]
        assert found.smallest_failure[m] is None or found.smallest_failure[m] - found.largest_fit[m] == 1


def test_search_resumes_from_its_outcome_file(tmp_path):
    x, y = _pools()
    path = tmp_path / "outcomes.json"
    first = largest_fitted_n(SHAPE, x, y, [0, 1, 2], n_start=8, outcomes=path, **OPTIONS)
    again = largest_fitted_n(SHAPE, x, y, [0, 1, 2], n_start=8, outcomes=path, **OPTIONS)
    assert again.n_calls == 0 and again.largest_fit == first.largest_fit and again.tested == first.tested
    saved = json.loads(path.read_text())  # interrupted half-way: drop the last two tests of model 0
    tested = saved["models"][0]["tested"]
    for n in list(tested)[-2:]:  # in the order they were run
        del tested[n]
    path.write_text(json.dumps(saved))
    resumed = largest_fitted_n(SHAPE, x, y, [0, 1, 2], n_start=8, outcomes=path, **OPTIONS)
    assert 0 < resumed.n_calls <= 2 and resumed.largest_fit == first.largest_fit
    with pytest.raises(ValueError, match="belongs to another capacity search"):
        largest_fitted_n(SHAPE, x, y, [0, 1, 3], n_start=8, outcomes=path, **OPTIONS)


def test_search_bad_input():
    x, y = _pools()
    with pytest.raises(ValueError, match="'x_pool' and 'label_pool' parameters must have shapes"):
        largest_fitted_n(SHAPE, x, y[:2], [0, 1, 2], **OPTIONS)
    with pytest.raises(ValueError, match="'tolerance' parameter must be a number in \\[0, 1\\)"):
        largest_fitted_n(SHAPE, x, y, [0, 1, 2], tolerance=1.5, **OPTIONS)
    with pytest.raises(ValueError, match="'target_accuracy' option is fixed"):
        largest_fitted_n(SHAPE, x, y, [0, 1, 2], target_accuracy=0.9, **OPTIONS)


def test_diverged_training_is_named_not_hidden_as_a_failure(tmp_path):
    x, y = _pools()
    path = tmp_path / "outcomes.json"
    blown = {**OPTIONS, "optimizer": "sgd", "lr": 1e30}  # every step overflows: the loss becomes infinite
    found = largest_fitted_n(SHAPE, x, y, [0, 1, 2], n_start=8, outcomes=path, **blown)
    for m in range(3):
        assert found.diverged[m], "a lr of 1e30 must blow up"
        assert all(found.tested[m][n] is False for n in found.diverged[m])
        assert found.diverged[m] == sorted(found.diverged[m])
    again = largest_fitted_n(SHAPE, x, y, [0, 1, 2], n_start=8, outcomes=path, **blown)
    assert again.n_calls == 0 and again.diverged == found.diverged  # kept in the outcome file
    calm = largest_fitted_n(SHAPE, x, y, [0, 1, 2], n_start=8, **OPTIONS)
    assert calm.diverged == [[], [], []]
