"""regions-per-parameter: quick run once; exact counts of the constructions and the bound curves."""

from __future__ import annotations

from depthlab.experiments import get
from depthlab.regions import mlp_params, udl_max_regions, zaslavsky

EXPERIMENT = get("regions-per-parameter")



def test_published_counts(result):
    m = result.metrics
    assert (m["regions_shallow6"], m["params_shallow6"]) == (7, 19)
    assert m["regions_composed_3_3"] >= 9 and m["pieces_composed_3_3"] >= 9
    assert (m["params_composed_3_3"], m["params_composed_stored"]) == (20, 22)
    assert (m["regions_deep_5x10"], m["params_deep_5x10"]) == (161_051, 471)
    assert m["regions_deep_5x10"] == 11**5 != 161_501
    assert m["params_deep_10_5x50"] == 10_801
    assert m["udl_deep_10_5x50"] > 1e40
    assert m["montufar_deep_10_5x50"] <= m["udl_deep_10_5x50"] <= m["serra_deep_10_5x50"]


def test_two_input_construction_attains_the_formulas(result):
    m = result.metrics
    config = EXPERIMENT.config(quick=True)
    assert m["udl_2d_deep"] == udl_max_regions(config["max2d_width"], 2, config["max2d_layers"])
    assert m["regions_2d_deep"] == m["udl_2d_deep"]
    assert m["regions_2d_shallow"] == zaslavsky(config["max2d_width"], 2)
    width = m["width_2d_same_params"]
    assert mlp_params(2, [width]) <= m["params_2d_deep"] < mlp_params(2, [width + 1])
    assert m["zaslavsky_2d_same_params"] < m["regions_2d_deep"]  # depth wins at an equal budget


def test_curves_respect_the_parameter_cap_and_grow(result):
    rows = result.tables["max_regions_curves"]
    config = EXPERIMENT.config(quick=True)
    assert {r["input_dim"] for r in rows} == set(config["input_dims"])
    for row in rows:
        assert row["params"] <= config["max_params"]
        widths = [row["width"]] * row["layers"]
        assert row["params"] == mlp_params(row["input_dim"], widths)
    for d_i in config["input_dims"]:
        for family in {r["family"] for r in rows}:
            regions = [r["max_regions"] for r in rows if r["input_dim"] == d_i and r["family"] == family]
            assert len(regions) >= 2 and regions == sorted(regions)
    # deep beats shallow at equal budget: the 5 x 10 net has more regions than any shallow net on the curve
    shallow_1d = max(r["max_regions"] for r in rows if r["input_dim"] == 1 and r["family"] == "shallow")
    assert result.metrics["regions_deep_5x10"] > shallow_1d


def test_references_and_notes(result):
    assert all(ref.verdict == "reproduced" for ref in result.references), [
        (ref.claim, ref.measured) for ref in result.references if ref.verdict != "reproduced"]
    assert any("161,501" in note for note in result.notes)
    assert set(result.figures) == {"regions_vs_parameters", "partition_2d_max_regions"}
