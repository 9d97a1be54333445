"""fit_many: equal to separate fit runs; per-model stopping; every stopping rule stops; options checked."""

from __future__ import annotations

import math

import pytest
import torch

from depthlab import Network
from depthlab.train import NetworkBatch, fit, fit_many


def _blobs(n: int = 120, classes: int = 3, seed: int = 0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g, dtype=dtype)
    y = torch.randint(0, classes, (n,), generator=g)
    return x, y


def _close(a: list[float], b: list[float], rel: float) -> bool:
    return len(a) == len(b) and all(abs(u - v) <= rel * max(abs(u), abs(v), 1e-30) for u, v in zip(a, b))


@pytest.mark.parametrize("backward", ["autograd", "manual"])
@pytest.mark.parametrize(
    "loss, optimizer, batch_size, momentum",
    [("cross_entropy", "adam", None, 0.0), ("mse", "sgd", 16, 0.9), ("cross_entropy", "gd", None, 0.5),
     ("mse_logits", "adam", 32, 0.0)],
)
@pytest.mark.parametrize("dtype, rel", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_fit_many_equals_fitting_each_network_alone(loss, optimizer, batch_size, momentum, dtype, rel, backward):
    x, labels = _blobs()
    y = labels if loss == "cross_entropy" else torch.nn.functional.one_hot(labels, 3).double() * 2 - 1
    nets = [Network.random([4, 9, 7, 3], seed=s) for s in range(4)]
    options = dict(loss=loss, optimizer=optimizer, lr=0.01, steps=100, batch_size=batch_size, momentum=momentum,
                   seed=3, dtype=dtype, backward=backward)
    together = fit_many(nets, x, y, **options)
    for net, many in zip(nets, together):
        alone = fit(net, x, y, **options)
        assert many.steps_run == alone.steps_run == 100
        assert _close(many.losses, alone.losses, rel) and _close([many.final_loss], [alone.final_loss], rel)
        for a, b in zip(many.net.weights + many.net.biases, alone.net.weights + alone.net.biases):
            assert torch.allclose(a, b, rtol=rel, atol=rel * 1e-2)


def test_manual_and_autograd_paths_agree_on_the_whole_run():
    x, y = _blobs()
    batch = NetworkBatch.random([4, 16, 16, 3], seeds=[0, 1, 2])
    runs = [fit_many(batch, x, y, loss="cross_entropy", steps=30, lr=0.01, dtype=torch.float64, backward=b)
            for b in ("autograd", "manual")]
    for a, b in zip(*runs):
        assert _close(a.losses, b.losses, 1e-12)


def test_a_model_that_fits_stops_updating_while_the_others_go_on():
    x, y = _blobs(40)
    wide, narrow = Network.random([4, 64, 3], seed=0), Network.random([4, 1, 3], seed=0)
    batch = NetworkBatch.from_networks([wide, Network.random([4, 64, 3], seed=1)])
    results = fit_many([wide, Network.random([4, 64, 3], seed=1)], x, y, loss="cross_entropy", optimizer="gd",
                       lr=0.5, steps=3000, target_accuracy=1.0, dtype=torch.float64)
    assert all(r.stop_reason == "target_accuracy" and r.final_accuracy == 1.0 for r in results)
    first, second = sorted(results, key=lambda r: r.steps_run)
    assert first.steps_run < second.steps_run  # the batch went on after the first model stopped
    alone = fit(batch[0], x, y, loss="cross_entropy", optimizer="gd", lr=0.5, steps=3000, target_accuracy=1.0,
                dtype=torch.float64)
    assert alone.steps_run == results[0].steps_run  # stopping one model did not change the others' updates
    assert torch.allclose(alone.net.weights[0], results[0].net.weights[0], atol=1e-10)
    stuck = fit(narrow, x, y, loss="cross_entropy", optimizer="gd", lr=0.5, steps=50, target_accuracy=1.0)
    assert stuck.stop_reason == "steps" and not stuck.stopped_early and stuck.steps_run == 50


def test_each_stopping_rule_stops():
    x, y = _blobs(60)
    net = Network.random([4, 32, 3], seed=0)
    common = dict(loss="cross_entropy", lr=0.05, dtype=torch.float64)
    by_loss = fit(net, x, y, optimizer="gd", lr=0.5, loss="cross_entropy", steps=5000, target_loss=0.5)
    assert by_loss.stop_reason == "target_loss" and by_loss.losses[-1] <= 0.5 < by_loss.losses[-2]
    by_epochs = fit(net, x, y, optimizer="sgd", batch_size=16, epochs=3, **common)
    assert by_epochs.steps_run == 3 * (60 // 16) and by_epochs.epochs_run == 3
    by_time = fit(net, x, y, optimizer="adam", steps=10**7, time_budget=0.2, **common)
    assert by_time.stop_reason == "time_budget" and 0 < by_time.steps_run < 10**7 and by_time.seconds >= 0.2
    minibatch = fit(net, x, y, optimizer="adam", batch_size=20, steps=20000, target_accuracy=0.9, **common)
    assert minibatch.stop_reason == "target_accuracy" and minibatch.final_accuracy >= 0.9
    assert minibatch.steps_run % 3 == 0  # checked on the whole set at the end of an epoch (3 batches)


def test_history_every_k_steps_and_per_model_lr_and_data():
    x, y = _blobs(50)
    batch = NetworkBatch.random([4, 8, 3], seeds=[0, 0])
    labels = torch.stack([y, torch.flip(y, [0])])  # (M, N): one label set per model
    results = fit_many(batch, x, labels, loss="cross_entropy", lr=[0.01, 0.02], steps=25, history_every=10,
                       dtype=torch.float64)
    assert results[0].history_steps == [0, 10, 20] and len(results[0].accuracies) == 3
    alone = fit(batch[0], x, torch.flip(y, [0]), loss="cross_entropy", lr=0.02, steps=25, history_every=10,
                dtype=torch.float64)
    assert _close(alone.losses, results[1].losses, 1e-10)


def test_fit_many_is_deterministic_with_per_model_seeds():
    x, y = _blobs(64)
    batch = NetworkBatch.random([4, 8, 3], seeds=[0, 1, 2])
    runs = [fit_many(batch, x, y, loss="cross_entropy", batch_size=8, steps=40, seed=[5, 6, 7]) for _ in range(2)]
    assert [r.losses for r in runs[0]] == [r.losses for r in runs[1]]
    alone = fit(batch[1], x, y, loss="cross_entropy", batch_size=8, steps=40, seed=6)
    assert _close(alone.losses, runs[0][1].losses, 1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": [0.1, 0.2, 0.3]}, "'lr'"), ({"seed": [1, 2, 3]}, "'seed'"), ({"device": "tpu"}, "'device'"),
     ({"backward": "magic"}, "'backward'"), ({"loss": "mse", "target_accuracy": 1.0}, "'target_accuracy'"),
     ({"time_budget": 0}, "'time_budget'"), ({"history_every": 0}, "'history_every'")],
)
def test_fit_many_rejects_bad_options(kwargs, message):
    x, y = _blobs(20)
    options = {"loss": "cross_entropy", **kwargs}
    y = y.double() if options["loss"] == "mse" else y
    with pytest.raises(ValueError, match=message):
        fit_many(NetworkBatch.random([4, 3, 3], seeds=[0, 1]), x, y, **options)


def test_cuda_trains_where_available_and_is_a_clear_error_elsewhere():
    x, y = _blobs(20)
    net = Network.random([4, 3, 3])
    if torch.cuda.is_available():
        on_gpu = fit(net, x, y, loss="cross_entropy", device="cuda", steps=5, dtype=torch.float64)
        on_cpu = fit(net, x, y, loss="cross_entropy", steps=5, dtype=torch.float64)
        assert _close(on_gpu.losses, on_cpu.losses, 1e-9) and on_gpu.net.weights[0].device.type == "cpu"
        return
    with pytest.raises(ValueError, match="CUDA is not available"):
        fit(net, x, y, loss="cross_entropy", device="cuda")


def test_a_diverging_model_stops_alone_and_hands_back_its_start():
    x = torch.linspace(0, 1, 32, dtype=torch.float64)[:, None]
    nets = [Network.random([1, 8, 1], seed=s) for s in range(2)]
    results = fit_many(nets, x, 1e3 * x, loss="mse", optimizer="gd", lr=[1e6, 1e-4], steps=50, dtype=torch.float64)
    wild, calm = results
    assert wild.diverged and wild.stop_reason == "diverged" and wild.steps_run < 50
    assert not math.isfinite(wild.losses[-1]) and math.isnan(wild.final_loss)
    assert all(torch.equal(a, b) for a, b in zip(wild.net.weights, nets[0].weights))
    assert not calm.diverged and calm.steps_run == 50 and math.isfinite(calm.final_loss)
