"""regions-per-parameter: the seed's exact counts, the bounds at the published sizes, the 2-D construction."""

from __future__ import annotations

import math

import pytest

from depthlab.experiments import get
from depthlab.result import VERDICTS


@pytest.fixture(scope="module")
def result():
    experiment = get("regions-per-parameter")
    return experiment.run(experiment.config(quick=True))


def test_metrics_keys(result):
    keys = {"regions_shallow6", "regions_composed_3_3", "regions_deep_5x10", "params_deep_5x10", "params_wide",
            "udl_regions_wide", "montufar_regions_wide", "serra_regions_wide", "regions_plane", "bound_plane"}
    assert keys <= set(result.metrics)


def test_exact_counts_of_the_constructions(result):
    m = result.metrics
    assert (m["regions_shallow6"], m["params_shallow6"]) == (7, 19)
    assert m["regions_composed_3_3"] >= 9 and m["params_composed_3_3"] == 22
    assert (m["regions_deep_5x10"], m["params_deep_5x10"]) == (11**5, 471)
    assert m["regions_plane"] == m["bound_plane"]


def test_bounds_are_ordered_for_the_wide_network(result):
    m = result.metrics
    assert m["params_wide"] == 10_801
    assert m["montufar_regions_wide"] <= m["udl_regions_wide"] <= m["serra_regions_wide"]
    assert math.isclose(m["udl_regions_wide"], 1.8e41, rel_tol=0.01)


def test_curves_deep_beat_shallow_at_equal_parameters(result):
    rows = result.tables["bounds"]
    for input_dim in (1, 10):
        deep = [r for r in rows if r["input_dim"] == input_dim and r["depth"] > 1]
        shallow = [r for r in rows if r["input_dim"] == input_dim and r["depth"] == 1]
        biggest = max(deep, key=lambda r: r["params"])
        below = [r for r in shallow if r["params"] <= biggest["params"]]
        assert biggest["max_regions"] > max(r["max_regions"] for r in below)


def test_references_and_figures(result):
    assert all(ref.verdict in VERDICTS for ref in result.references)
    misprint = [ref for ref in result.references if ref.published == "161,501"]
    assert len(misprint) == 1 and misprint[0].verdict == "differs"
    others = [ref for ref in result.references if ref is not misprint[0]]
    assert all(ref.verdict == "reproduced" for ref in others)
    assert set(result.figures) == {"regions_vs_params", "partition_2d"}
