"""keep_most_useful_units: nested greedy ranking, least-squares refit, exact at full size."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import Network
from depthlab.construct.truncate import hidden_features, keep_most_useful_units, rank_units, truncate_units


def _interpolant(t: torch.Tensor, y: torch.Tensor) -> Network:
    """Piecewise-linear interpolant through sorted (t_i, y_i), one ReLU per knot (a test fixture)."""
    slopes = (y[1:] - y[:-1]) / (t[1:] - t[:-1])  # (P - 1,)
    change = torch.cat([slopes[:1], slopes[1:] - slopes[:-1]])  # (P - 1,)
    return Network((torch.ones(len(t) - 1, 1, dtype=t.dtype), change[None, :]), (-t[:-1], y[:1].clone()))


def _mse(net: Network, x: torch.Tensor, y: torch.Tensor) -> float:
    return float(((net(x) - y.reshape(len(x), -1)) ** 2).mean())


@pytest.fixture(scope="module")
def labels_problem():
    g = torch.Generator().manual_seed(0)
    t = torch.sort(torch.rand(200, generator=g, dtype=torch.float64)).values  # (P,)
    y = torch.randint(0, 3, (200,), generator=g).double()  # (P,)
    return t[:, None], y, _interpolant(t, y)


def test_full_truncation_of_interpolant_keeps_zero_loss(labels_problem):
    x, y, net = labels_problem
    assert _mse(net, x, y) <= 1e-20
    full = keep_most_useful_units(net, net.n_hidden, x, y)
    assert full.widths == net.widths
    assert _mse(full, x, y) <= 1e-20


def test_loss_never_increases_with_more_units(labels_problem):
    x, y, net = labels_problem
    order = rank_units(net, x, y)
    assert sorted(order.tolist()) == list(range(net.n_hidden))
    losses = [_mse(truncate_units(net, order[:n].tolist(), x, y), x, y) for n in (0, 1, 5, 20, 60, 120, 199)]
    assert all(b <= a * (1 + 1e-9) + 1e-24 for a, b in zip(losses, losses[1:])), losses
    assert losses[0] == pytest.approx(float(y.var(unbiased=False)))  # no units: the mean
    assert losses[-1] <= 1e-20


def test_greedy_first_pick_is_the_best_single_unit(labels_problem):
    x, y, net = labels_problem
    first = int(rank_units(net, x, y)[0])
    others = [_mse(truncate_units(net, [j], x, y), x, y) for j in range(0, net.n_hidden, 5)]
    assert _mse(truncate_units(net, [first], x, y), x, y) <= min(others) * (1 + 1e-9)


@settings(max_examples=25, deadline=None)
@given(d_in=st.integers(1, 4), hidden=st.integers(1, 12), d_out=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_refit_is_least_squares_on_kept_units(d_in, hidden, d_out, seed):
    net = Network.random([d_in, hidden, d_out], seed=seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(40, d_in, generator=g, dtype=torch.float64)  # (P, D_i)
    y = torch.randn(40, d_out, generator=g, dtype=torch.float64)  # (P, D_o)
    n = hidden // 2 + 1
    small = keep_most_useful_units(net, n, x, y)
    assert small.widths == [d_in, n, d_out]
    kept = rank_units(net, x, y)[:n]
    features = torch.cat([hidden_features(net, x)[:, kept], torch.ones(40, 1, dtype=torch.float64)], 1)
    best = torch.linalg.lstsq(features, y, driver="gelsd").solution
    optimum = float(((features @ best - y) ** 2).mean())
    assert _mse(small, x, y) <= optimum * (1 + 1e-8) + 1e-14
    assert torch.equal(small.weights[0], net.weights[0][kept])  # hidden layer kept unchanged


def test_targets_equal_to_a_unit_pick_that_unit():
    net = Network.random([2, 6, 1], seed=3)
    x = torch.randn(30, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y = 2.5 * hidden_features(net, x)[:, 4] - 1.0  # (P,)
    live = hidden_features(net, x).std(dim=0) > 0
    if bool(live[4]):
        assert int(rank_units(net, x, y)[0]) == 4
        assert _mse(keep_most_useful_units(net, 1, x, y), x, y) <= 1e-24


def test_errors_name_the_parameter():
    net = Network.random([1, 4, 1], seed=0)
    x = torch.zeros(5, 1, dtype=torch.float64)
    with pytest.raises(ValueError, match="'n_units'.*<= 4"):
        keep_most_useful_units(net, 5, x, torch.zeros(5))
    with pytest.raises(ValueError, match="'shallow'.*exactly 1 hidden layer"):
        keep_most_useful_units(Network.random([1, 4, 4, 1], seed=0), 1, x, torch.zeros(5))
    with pytest.raises(ValueError, match="'y'.*shape \\(5, 1\\)"):
        keep_most_useful_units(net, 1, x, torch.zeros(4))
    with pytest.raises(ValueError, match="'units'.*distinct"):
        truncate_units(net, [1, 1], x, torch.zeros(5))
