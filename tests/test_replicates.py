"""train.replicates.epochs_to_accuracy: the first recorded step at a level, exact at a 100% stop, on a real fit."""

from __future__ import annotations

import torch

from depthlab.models.network import Network
from depthlab.train import fit
from depthlab.train.replicates import epochs_to_accuracy


def test_epochs_to_accuracy_on_a_real_fit():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(40, 5, generator=g), torch.randint(0, 3, (40,), generator=g)
    result = fit(Network.random([5, 32, 3], seed=0), x, y, loss="cross_entropy", optimizer="adam", lr=0.02,
                 steps=2000, target_accuracy=1.0, history_every=1)
    assert result.stop_reason == "target_accuracy"
    assert epochs_to_accuracy(result, 1.0) == result.steps_run
    half = epochs_to_accuracy(result, 0.5)
    assert half is not None and half <= result.steps_run
    assert result.accuracies[result.history_steps.index(half)] >= 0.5
    assert all(a < 0.5 for s, a in zip(result.history_steps, result.accuracies) if s < half)
