"""trajectory-length: quick run once; measured growth is checked against the mean field, not assumed."""

from __future__ import annotations

import math

import pytest

from depthlab.experiments import get
from depthlab.signal import chi_1, raghu_growth_factor

EXPERIMENT = get("trajectory-length")



def test_metrics_keys_and_values(result):
    m = result.metrics
    config = EXPERIMENT.config(quick=True)
    keys = {f"{a}_{w}_{s:g}" for a in config["activations"] for w in config["widths"] for s in config["sigma_w2"]}
    assert set(m["growth_per_layer_by_sigma"]) == keys == set(m["theory_growth_per_layer_by_sigma"])
    for key, measured in m["growth_per_layer_by_sigma"].items():
        activation, width, sigma_w2 = key.split("_")
        theory = math.sqrt(chi_1(math.sqrt(float(sigma_w2)), config["sigma_b"], activation))
        assert m["theory_growth_per_layer_by_sigma"][key] == pytest.approx(theory, rel=1e-12)
        assert measured == pytest.approx(theory, rel=0.08)  # finite width: within 8% of the mean field
    for key, factor in m["raghu_growth_per_layer_by_sigma"].items():
        _, width, sigma_w2 = key.split("_")
        assert factor == pytest.approx(raghu_growth_factor(math.sqrt(float(sigma_w2)), config["sigma_b"], int(width)))
    shallow = list(m["shallow_growth_by_width"].values())
    assert shallow == sorted(shallow) and 0.3 < m["shallow_loglog_slope"] < 0.8  # about sqrt(width)
    assert m["relu_growth_per_layer"] == pytest.approx(1.0, abs=0.05)


def test_references_and_verdicts(result):
    assert len(result.references) == 5
    for ref in result.references:
        assert ref.note
    assert result.references[0].verdict == "reproduced"  # exponential growth in the chaotic phase
    assert result.references[3].verdict == "reproduced"  # shallow: at most linear in width


def test_tables_and_figures(result):
    config = EXPERIMENT.config(quick=True)
    rows = result.tables["growth"]
    assert len(rows) == len(config["activations"]) * len(config["widths"]) * len(config["sigma_w2"])
    for row in rows:
        assert row["ci_low"] <= row["growth_per_layer"] <= row["ci_high"]
        if row["sigma_w2"] >= 4:
            assert row["length_ratio_final"] > 2
    assert set(result.figures) == {"length_vs_depth", "growth_vs_theory"}


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="'depth' and 'burn_in' config keys"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, depth=4))
    with pytest.raises(ValueError, match="'activations' config key"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, activations=["relu"]))
