"""The depth-sweep experiment at quick size: the construction's loss falls with depth and reaches 0."""

from __future__ import annotations

import math

import pytest

from depthlab import experiments
from depthlab.grid import log_grid

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
    assert result.references[0].verdict == "reproduced" and "guaranteed by construction" in result.references[0].note
    assert "loss_vs_depth" in result.figures


def test_construction_vs_random_init_is_judged_over_seeds(quick):
    config, result = quick
    m, ref = result.metrics, result.references[1]
    assert m["n_seeds"] == config["n_seeds"] == 5 and "n = 5 vs 5" in ref.note
    assert m["loss_construction_median"] <= 1e-12 < m["loss_random_median"]
    assert ref.verdict == "reproduced"  # every construction is exact; no random net of 15 Adam steps is


def test_depth_grid_is_log_spaced_and_ends_at_full():
    grid = log_grid(1000, 12)
    assert grid[0] == 1 and grid[-1] == 1000 and grid == sorted(set(grid)) and len(grid) <= 12
    assert log_grid(1, 5) == [1]


def test_diverged_models_are_counted_and_named(quick, divergence_counted):
    divergence_counted(quick[1])


def test_float32_row_reaches_zero_loss_at_full_depth(quick):
    """The float32 staircase, run as a torch module in float32: loss 0 at full depth in every build, deeper with
    more label changes kept."""
    config, result = quick
    m = result.metrics
    assert m["float32_loss_at_full_depth"] == 0.0 and m["float32_loss_max_over_seeds"] == 0.0
    rows = result.tables["float32_loss_vs_depth"]
    layers = [r["layers"] for r in rows]
    assert layers == sorted(layers) and layers[-1] == m["float32_full_layers"] and rows[0]["loss_float32"] > 0
    losses = [r["loss_float32"] for r in rows]
    assert losses == sorted(losses, reverse=True) and m["float32_monotone_fraction"] == 1.0
    row = next(r for r in result.references if "run in float32" in r.claim)
    assert row.verdict == "reproduced"
