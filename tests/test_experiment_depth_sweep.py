"""The depth-sweep experiment at quick size: the construction's loss falls with depth and reaches 0."""

from __future__ import annotations

import math

import pytest

from depthlab import experiments
from depthlab.lab.result import VERDICTS

KEYS = {
    "n_train", "width", "depths", "full_units", "full_layers", "loss_init_at_full_depth",
    "loss_finetuned_at_full_depth", "loss_random_at_full_depth", "monotone_fraction",
}


@pytest.fixture(scope="module")
def quick():
    experiment = experiments.get("depth-sweep")
    config = experiment.config(quick=True)
    return config, experiment.run(config)


def test_metric_keys(quick):
    _, result = quick
    assert KEYS <= set(result.metrics)
    assert all(isinstance(v, (int, float, str, bool)) for v in result.metrics.values())


def test_construction_loss_falls_to_zero_with_depth(quick):
    config, result = quick
    m = result.metrics
    rows = result.tables["loss_vs_depth"]
    assert m["depths"] == len(rows) >= 3
    assert m["loss_init_at_full_depth"] <= 1e-12
    assert m["monotone_fraction"] == 1.0
    losses = [r["loss_init"] for r in rows]
    assert all(b <= a * (1 + 1e-9) + 1e-15 for a, b in zip(losses, losses[1:]))
    assert losses[0] > 10 * losses[-1]
    assert [r["layers"] for r in rows] == sorted(r["layers"] for r in rows)
    assert rows[-1]["units"] == m["full_units"] and rows[-1]["layers"] == m["full_layers"]


def test_random_init_of_the_same_shape_does_not_reach_zero(quick):
    _, result = quick
    m = result.metrics
    assert math.isfinite(m["loss_random_at_full_depth"])
    assert m["loss_random_at_full_depth"] > m["loss_init_at_full_depth"]


def test_references_and_figure(quick):
    _, result = quick
    assert result.references and all(r.verdict in VERDICTS for r in result.references)
    assert result.references[0].verdict == "reproduced"
    assert "loss_vs_depth" in result.figures


def test_depth_grid_is_log_spaced_and_ends_at_full():
    from depthlab.experiments.depth_sweep import _depth_grid

    grid = _depth_grid(1000, 12)
    assert grid[0] == 1 and grid[-1] == 1000 and grid == sorted(set(grid)) and len(grid) <= 12
    assert _depth_grid(1, 5) == [1]
