"""Checkpoints: an interrupted run resumed from its checkpoint ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import os
import signal

import pytest
import torch

from depthlab import Network
from depthlab.train import NetworkBatch, fit, fit_many
from depthlab.train import optim as optim_module
from depthlab.train.checkpoint import load_checkpoint, save_checkpoint


def _data(n: int = 48):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g, dtype=torch.float64)
    return x, torch.randint(0, 3, (n,), generator=g)


def _interrupt_at(monkeypatch, step: int) -> None:
    """Send ourselves Ctrl-C (SIGINT) during update number `step`, as a user would mid-run."""
    original = optim_module.StackedOptimizer.step
    calls = {"n": 0}

    def step_then_interrupt(self, params, grads):
        calls["n"] += 1
        if calls["n"] == step:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, params, grads)

    monkeypatch.setattr(optim_module.StackedOptimizer, "step", step_then_interrupt)


@pytest.mark.parametrize(
    "options",
    [
        dict(optimizer="sgd", batch_size=8, momentum=0.9, seed=[3, 4, 5], lr=0.05, steps=120),
        dict(optimizer="adam", lr=0.05, steps=400, target_accuracy=0.9, backward="autograd"),
        dict(optimizer="gd", lr=0.5, steps=300, target_accuracy=1.0, history_every=7),
    ],
)
def test_resume_after_an_interruption_equals_an_uninterrupted_run(tmp_path, monkeypatch, options):
    x, y = _data()
    batch = NetworkBatch.random([4, 12, 3], seeds=[0, 1, 2])
    common = dict(loss="cross_entropy", dtype=torch.float64, **options)
    whole = fit_many(batch, x, y, **common)
    path = tmp_path / "run.pt"
    with monkeypatch.context() as patch:
        _interrupt_at(patch, 37)
        with pytest.raises(KeyboardInterrupt):
            fit_many(batch, x, y, checkpoint=path, checkpoint_every=1e9, **common)
    saved = load_checkpoint(path)
    assert saved["step"] == 37 and not saved["done"]  # Ctrl-C left a complete checkpoint at a step boundary
    resumed = fit_many(batch, x, y, checkpoint=path, **common)
    for a, b in zip(whole, resumed):
        assert a.losses == b.losses and a.steps_run == b.steps_run and a.stop_reason == b.stop_reason
        assert all(torch.equal(p, q) for p, q in zip(a.net.weights + a.net.biases, b.net.weights + b.net.biases))
    assert load_checkpoint(path)["done"]
    again = fit_many(batch, x, y, checkpoint=path, **common)  # a finished run returns its results
    assert [r.final_loss for r in again] == [r.final_loss for r in whole]


def test_a_checkpoint_of_another_run_is_refused(tmp_path):
    x, y = _data()
    path = tmp_path / "run.pt"
    fit(Network.random([4, 5, 3], seed=0), x, y, loss="cross_entropy", steps=3, checkpoint=path)
    with pytest.raises(ValueError, match="another run"):
        fit(Network.random([4, 5, 3], seed=0), x, y, loss="cross_entropy", steps=4, checkpoint=path)


def test_atomic_write_keeps_the_old_checkpoint_when_saving_fails(tmp_path):
    path = tmp_path / "state.pt"
    save_checkpoint({"step": 1}, path)

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("cannot pickle")

    with pytest.raises(RuntimeError):
        save_checkpoint({"step": 2, "bad": Unpicklable()}, path)
    assert load_checkpoint(path) == {"step": 1} and os.listdir(tmp_path) == ["state.pt"]
