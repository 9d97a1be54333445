"""regions-at-init: quick run once; the measured scaling is checked, not assumed."""

from __future__ import annotations

import math

import pytest

from depthlab.experiments import get
from depthlab.regions.density import equal_neuron_widths

EXPERIMENT = get("regions-at-init")


@pytest.fixture(scope="module")
def result():
    return EXPERIMENT.run(EXPERIMENT.config(quick=True))


def test_quick_config_splits_every_n_evenly():
    config = EXPERIMENT.config(quick=True)
    for n in config["neurons"]:
        for depth in config["depths"]:
            assert sum(equal_neuron_widths(n, depth)) == n


def test_metrics_keys_and_values(result):
    m = result.metrics
    for key in ["density_slope", "density_r2", "density_per_neuron", "depth_spread", "distance_loglog_slope",
                "distance_times_n", "boundary_slope", "regions_init", "regions_trained", "train_accuracy",
                "picture_density_init", "picture_density_trained", "serra_picture"]:
        assert key in m and isinstance(m[key], (int, float)) and not math.isnan(m[key])
    assert m["density_slope"] > 0
    assert m["depth_spread"] >= 1.0
    assert 1 <= m["regions_init"] <= m["serra_picture"] and 1 <= m["regions_trained"] <= m["serra_picture"]
    assert m["picture_density_init"] > 0


def test_table_rows_are_consistent(result):
    rows = result.tables["density"]
    config = EXPERIMENT.config(quick=True)
    assert len(rows) == len(config["neurons"]) * len(config["depths"])
    for row in rows:
        assert row["width"] * row["depth"] == row["neurons"]
        assert row["breakpoints_per_length_per_neuron"] == pytest.approx(row["breakpoints_per_length"] / row["neurons"])
        assert row["mean_distance"] > 0


def test_density_grows_with_n_at_every_depth(result):
    rows = result.tables["density"]
    for depth in {r["depth"] for r in rows}:
        mine = sorted((r for r in rows if r["depth"] == depth), key=lambda r: r["neurons"])
        values = [r["breakpoints_per_length"] for r in mine]
        assert values == sorted(values)


def test_references_cover_the_three_theorems(result):
    claims = " ".join(ref.claim for ref in result.references)
    for part in ["Thm 1", "Thm 2", "Thm 3"]:
        assert part in claims
    assert {"scaling", "partition_init_vs_trained"} <= set(result.figures)


def test_bad_split_is_rejected():
    config = EXPERIMENT.config(quick=True, neurons=[10, 20], depths=[3], picture=False)
    with pytest.raises(ValueError, match="n_neurons"):
        EXPERIMENT.run(config)


def test_a_single_n_is_rejected_before_any_work():
    with pytest.raises(ValueError, match="'neurons' config key must list at least two distinct"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, neurons=[48, 48]))
