"""depthlab.landscape: filter normalization, batched surfaces equal to one-at-a-time evaluation, lines."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.landscape import (
    evaluate_points,
    filter_normalized_direction,
    loss_along_line,
    loss_increase,
    loss_surface,
    network_at,
    parameters_of,
)
from depthlab.models.network import Network
from depthlab.models.residual import ResidualNetwork
from depthlab.train import accuracy, evaluate_loss, fit


def _data(n: int = 60, d: int = 5, classes: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64), torch.randint(0, classes, (n,), generator=g)


def _loss_of(model, x, y, loss="cross_entropy") -> float:
    """One point the plain way: the model's own forward on the whole data set."""
    with torch.no_grad():
        out = model(x)
        if loss == "cross_entropy":
            return float(torch.nn.functional.cross_entropy(out, y))
        return float(torch.nn.functional.mse_loss(out, y.to(out.dtype).reshape(out.shape)))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=1, max_size=4), st.integers(0, 10**6), st.booleans())
def test_filter_normalization_makes_every_row_norm_equal_the_networks(hidden, seed, ignore_biases):
    net = Network.random([4, *hidden, 3], init=("normal", 1.3, 0.5), seed=seed)
    d = filter_normalized_direction(net, seed=seed + 1, ignore_biases=ignore_biases)
    for w, dw in zip(net.weights, d.weights):
        assert torch.allclose(dw.norm(dim=1), w.norm(dim=1), rtol=1e-12)
        if w.shape[1] >= 2:  # a one-entry row can only be +-w
            assert not torch.allclose(dw, w)  # a random direction, not the weights
    for b, db in zip(net.biases, d.biases):
        assert torch.equal(db, torch.zeros_like(b)) if ignore_biases else torch.equal(db, b)


def test_filter_normalization_on_residual_nets_and_seeds():
    net = ResidualNetwork.random(5, 8, 3, 2, seed=0)
    d = filter_normalized_direction(net, seed=3)
    for p, q in zip(parameters_of(net), parameters_of(d)):
        if p.ndim == 2:
            assert torch.allclose(q.norm(dim=1), p.norm(dim=1), rtol=1e-12)
        else:
            assert not q.any()
    again, other = filter_normalized_direction(net, seed=3), filter_normalized_direction(net, seed=4)
    assert torch.equal(parameters_of(again)[0], parameters_of(d)[0])
    assert not torch.equal(parameters_of(other)[0], parameters_of(d)[0])


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("kind", ["plain", "shallow", "residual"])
def test_batched_surface_equals_one_point_at_a_time(kind, batched):
    x, y = _data()
    if kind == "residual":
        net = ResidualNetwork.random(5, 6, 3, 3, seed=1)
    else:
        net = Network.random([5, 7, 3] if kind == "shallow" else [5, 7, 6, 4, 3], seed=1)
    ds = [filter_normalized_direction(net, seed=s) for s in (10, 11)]
    surface = loss_surface(net, x, y, ds, grid=7, span=(-1.5, 1.0), batched=batched, max_batch_bytes=40_000)
    for i, a in enumerate(surface.alphas.tolist()):
        for j, b in enumerate(surface.betas.tolist()):
            moved = network_at(net, ds, (a, b))
            assert float(surface.loss[i, j]) == pytest.approx(_loss_of(moved, x, y), rel=1e-12, abs=1e-13)
            predicted = moved(x).argmax(dim=1)
            assert float(surface.accuracy[i, j]) == float((predicted == y).double().mean())


def test_surface_center_is_the_trained_loss():
    x, y = _data(n=80)
    trained = fit(Network.random([5, 16, 16, 3], seed=0), x, y, loss="cross_entropy", steps=60, lr=1e-2).net
    ds = [filter_normalized_direction(trained, seed=s) for s in (1, 2)]
    surface = loss_surface(trained, x, y, ds, grid=5)
    assert surface.center_loss == pytest.approx(evaluate_loss(trained, x, y, "cross_entropy"), rel=1e-13)
    assert float(surface.accuracy[2, 2]) == pytest.approx(accuracy(trained, x, y))
    assert surface.loss.min() <= surface.center_loss + 1e-12 or surface.center_loss < surface.loss.max()
    assert surface.seconds >= 0


def test_mse_surface_has_no_accuracy():
    x, _ = _data()
    y = x[:, :2].sum(dim=1)
    net = Network.random([5, 6, 1], seed=2)
    ds = [filter_normalized_direction(net, seed=s) for s in (1, 2)]
    surface = loss_surface(net, x, y, ds, grid=3, loss="mse")
    assert surface.accuracy is None
    assert float(surface.loss[1, 1]) == pytest.approx(_loss_of(net, x, y, "mse"), rel=1e-12)


def test_line_endpoints_are_the_two_networks():
    x, y = _data()
    a, b = Network.random([5, 9, 3], seed=0), Network.random([5, 9, 3], seed=1)
    line = loss_along_line(a, b, x, y, n=5, span=(-0.5, 1.5))
    assert line.t.tolist() == [-0.5, 0.0, 0.5, 1.0, 1.5]
    assert float(line.loss[1]) == pytest.approx(_loss_of(a, x, y), rel=1e-12)
    assert float(line.loss[3]) == pytest.approx(_loss_of(b, x, y), rel=1e-12)
    mid = Network(tuple((p + q) / 2 for p, q in zip(a.weights, b.weights)),
                  tuple((p + q) / 2 for p, q in zip(a.biases, b.biases)))
    assert float(line.loss[2]) == pytest.approx(_loss_of(mid, x, y), rel=1e-12)


def test_loss_increase_is_the_ring_mean_minus_the_center():
    x, y = _data()
    net = Network.random([5, 8, 3], seed=4)
    ds = [filter_normalized_direction(net, seed=s) for s in (1, 2)]
    ring = [network_at(net, ds, (0.3 * math.cos(2 * math.pi * k / 8), 0.3 * math.sin(2 * math.pi * k / 8)))
            for k in range(8)]
    expected = sum(_loss_of(m, x, y) for m in ring) / 8 - _loss_of(net, x, y)
    assert loss_increase(net, x, y, ds, radius=0.3, n_angles=8) == pytest.approx(expected, rel=1e-10)


def test_bad_inputs():
    x, y = _data()
    net = Network.random([5, 8, 3], seed=4)
    d = filter_normalized_direction(net)
    with pytest.raises(ValueError, match="'directions' parameter must hold two"):
        loss_surface(net, x, y, [d])
    with pytest.raises(ValueError, match="'directions' parameter must hold models shaped like 'net'"):
        loss_surface(net, x, y, [d, filter_normalized_direction(Network.random([5, 4, 3]))])
    with pytest.raises(ValueError, match="'span' parameter"):
        loss_surface(net, x, y, [d, d], span=(1, -1))
    with pytest.raises(ValueError, match="'net' parameter must be a depthlab Network or ResidualNetwork"):
        filter_normalized_direction(net.to_torch())
    with pytest.raises(ValueError, match="'coords' parameter must have shape"):
        evaluate_points(net, [d], torch.zeros(3, 2), x, y)
    with pytest.raises(ValueError, match="'loss' parameter"):
        loss_surface(net, x, y, [d, d], loss="hinge")
