"""train.replicates.epochs_to_accuracy: the first recorded step at a level, exact at a 100% stop, on a real fit."""

from __future__ import annotations

import pytest
import torch

from depthlab.models.network import Network
from depthlab.train import fit
from depthlab.train.replicates import epochs_to_accuracy, spread_trend


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


def test_spread_trend_relative_divides_each_width_by_its_mean():
    """The level falls 10x per width while the spread relative to it grows: the absolute spread falls with width,
    the relative one rises, each by a margin far beyond rounding (every resample of seeds orders the widths the
    same way)."""
    offsets = [-2.0, -1.0, 0.0, 1.0, 2.0]
    rows = [{"width": w, "final_loss": 10.0 ** -i * (1 + 0.05 * (i + 1) * z), "failure": ""}
            for i, w in enumerate((2, 4, 8, 16)) for z in offsets]
    absolute, _ = spread_trend(rows)
    relative, widths = spread_trend(rows, relative=True)
    assert widths == [2, 4, 8, 16]
    assert absolute.rho == pytest.approx(-1.0) and absolute.verdict_for(-1) == "reproduced"
    assert relative.rho == pytest.approx(1.0) and relative.verdict_for(-1) == "differs"


def test_spread_trend_leaves_out_failed_seeds_and_empty_input():
    rows = [{"width": w, "final_loss": 1.0 / w + 0.01 * s, "failure": "diverged" if s == 0 else ""}
            for w in (2, 4, 8, 16) for s in range(4)]
    trend, widths = spread_trend(rows)
    assert widths == [2, 4, 8, 16] and trend.n_replicates == 3
    empty, none = spread_trend([{"width": 2, "final_loss": 1.0, "failure": ""}])
    assert none == [] and empty.n == 0 and empty.verdict_for(-1) == "inconclusive"


def test_spread_trend_with_every_seed_failed_is_undecided():
    rows = [{"width": w, "final_loss": float("nan"), "failure": "diverged"} for w in (2, 4) for _ in range(3)]
    for relative in (False, True):
        trend, widths = spread_trend(rows, relative=relative)
        assert widths == [] and trend.verdict_for(-1) == "inconclusive"
    zero = [{"width": w, "final_loss": 0.0, "failure": ""} for w in (2, 4, 8, 16) for _ in range(3)]
    assert spread_trend(zero, relative=True)[1] == []
