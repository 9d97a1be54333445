"""regions-at-init: quick run once; the measured scaling is checked, not assumed."""

from __future__ import annotations

import math

import pytest

from depthlab.experiments import get
from depthlab.regions.density import equal_neuron_widths

EXPERIMENT = get("regions-at-init")



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
    assert len(rows) == len(config["neurons"]) * len(config["depths"]) * config["n_seeds"]
    assert len({r["seed"] for r in rows}) == len(rows)  # every network has its own derived seed
    for row in rows:
        assert row["width"] * row["depth"] == row["neurons"]
        assert row["breakpoints_per_length_per_neuron"] == pytest.approx(row["breakpoints_per_length"] / row["neurons"])
        assert row["mean_distance"] > 0


def test_density_grows_with_n_at_every_depth(result):
    rows = result.tables["density"]
    for depth in {r["depth"] for r in rows}:
        ns = sorted({r["neurons"] for r in rows})
        mine = [r for r in rows if r["depth"] == depth]
        means = [sum(r["breakpoints_per_length"] for r in mine if r["neurons"] == n) for n in ns]
        assert means == sorted(means)


def test_verdicts_follow_the_evidence(result):
    m = result.metrics
    thm1 = result.references[0]
    inside = m["density_exponent_ci_low"] <= 1 <= m["density_exponent_ci_high"]
    law = m["density_law"]
    expected = "differs" if law not in ("linear", "undecided") or not inside else (
        "reproduced" if law == "linear" else "inconclusive")
    assert thm1.verdict == expected
    assert "5 seeds" in thm1.note and "CI" in thm1.note
    thm3 = result.references[1]
    contains = m["distance_slope_ci_low"] <= -1 <= m["distance_slope_ci_high"]
    assert (thm3.verdict == "differs") == (not contains)


def test_three_seeds_are_inconclusive_not_decided():
    config = EXPERIMENT.config(quick=True, n_seeds=3, picture=False, boundary_area=False, n_points=50, n_lines=3)
    refs = EXPERIMENT.run(config).references
    assert [r.verdict for r in refs] == ["inconclusive", "inconclusive", "not comparable"]


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
    with pytest.raises(ValueError, match="'neurons' config key must be a list of at least 2 distinct"):
        EXPERIMENT.config(quick=True, neurons=[48, 48])
