"""fit: losses fall, stopping rules, determinism, and input checks."""

from __future__ import annotations

import math

import pytest
import torch

from depthlab import Network
from depthlab.train import accuracy, evaluate_loss, fit, step_size_scan


def _blobs(n: int = 200, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).long()


@pytest.mark.parametrize("optimizer, batch", [("adam", None), ("sgd", 32), ("gd", None)])
def test_fit_reduces_loss_and_returns_same_dtype(optimizer, batch):
    x, y = _blobs()
    net = Network.random([3, 16, 2], seed=0)
    out = fit(net, x, y, loss="cross_entropy", optimizer=optimizer, lr=0.05, steps=150, batch_size=batch)
    assert out.final_loss < out.losses[0] and out.net.dtype == torch.float64
    assert accuracy(out.net, x, y) > 0.9
    assert evaluate_loss(out.net, x, y, "cross_entropy") == pytest.approx(out.final_loss, rel=1e-4)


def test_fit_is_deterministic_and_stops_at_target():
    x, y = _blobs()
    runs = [fit(Network.random([3, 8, 2], seed=1), x, y, loss="cross_entropy", batch_size=16, steps=40, seed=5)
            for _ in range(2)]
    assert runs[0].losses == runs[1].losses
    stop = fit(Network.random([3, 8, 2], seed=1), x, y, loss="cross_entropy", optimizer="gd", lr=0.5,
               steps=500, target_loss=0.4)
    assert stop.stopped_early and stop.steps_run < 500 and stop.losses[-1] <= 0.4


@pytest.mark.parametrize(
    "kwargs, message",
    [({"loss": "hinge"}, "'loss'"), ({"optimizer": "rmsprop"}, "'optimizer'"), ({"steps": -1}, "'steps'")],
)
def test_fit_rejects_bad_options(kwargs, message):
    x, y = _blobs(20)
    with pytest.raises(ValueError, match=message):
        fit(Network.random([3, 4, 2]), x, y, **{"loss": "cross_entropy", **kwargs})


def test_fit_rejects_bad_targets_and_nan():
    x, y = _blobs(20)
    with pytest.raises(ValueError, match="class indices"):
        fit(Network.random([3, 4, 2]), x, y + 5, loss="cross_entropy")
    with pytest.raises(ValueError, match="NaN"):
        fit(Network.random([3, 4, 1]), x.masked_fill(x > 1, float("nan")), y.double())


def test_target_accuracy_stops_once_every_label_is_fit():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(40, 3, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 3, (40,), generator=generator)  # random labels
    out = fit(Network.random([3, 64, 3], seed=1), x, y, loss="cross_entropy", optimizer="gd", lr=0.5,
              steps=5000, target_accuracy=1.0)
    assert out.stopped_early and out.steps_run < 5000
    assert accuracy(out.net, x, y) == 1.0


def test_step_size_scan_finds_the_largest_step_that_does_not_raise_the_loss():
    x = torch.linspace(0, 1, 32, dtype=torch.float64)[:, None]
    net = Network.random([1, 8, 1], seed=0)
    scan = step_size_scan(net, x, 2 * x, steps=5, lrs=[1e-2, 1e4, 1.0])
    assert scan.loss_after_largest > scan.loss_before or not math.isfinite(scan.loss_after_largest)  # lr 1e4 diverges
    alone = fit(net, x, 2 * x, loss="mse", optimizer="gd", lr=1.0, steps=5, dtype=torch.float64)
    expected = 1.0 if math.isfinite(alone.final_loss) and alone.final_loss <= alone.losses[0] else 1e-2
    assert scan.largest_safe_lr == expected and scan.loss_after_safe <= scan.loss_before
    with pytest.raises(ValueError, match="'lrs' parameter"):
        step_size_scan(net, x, 2 * x, steps=1, lrs=[])


def test_divergence_is_reported_and_returns_a_finite_network():
    x = torch.linspace(0, 1, 32, dtype=torch.float64)[:, None]
    net = Network.random([1, 8, 1], seed=0)
    out = fit(net, x, 1e3 * x, loss="mse", optimizer="gd", lr=1e6, steps=50, dtype=torch.float64)
    assert out.diverged and out.stopped_early and math.isnan(out.final_loss)
    assert out.net is net and out.steps_run < 50
    fine = fit(net, x, 2 * x, loss="mse", optimizer="gd", lr=1e-3, steps=5, dtype=torch.float64)
    assert not fine.diverged and math.isfinite(fine.final_loss)
