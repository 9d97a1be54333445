"""init-stats: quick run once; metrics, tables, figures and verdicts are checked against the theory."""

from __future__ import annotations

import math

import pytest

from depthlab.experiments import get
from depthlab.init import trunc_normal_variance_factor

EXPERIMENT = get("init-stats")



def test_metrics_keys_and_values(result):
    m = result.metrics
    config = EXPERIMENT.config(quick=True)
    rates = m["mean_growth_rate_by_c"]
    assert set(rates) == {str(c) for c in config["cs"]}
    for c in config["cs"]:
        assert rates[str(c)] == pytest.approx(c / 2, abs=0.03)  # exact law E[M_j] = M_0 (c/2)^j
        assert m["theory_growth_rate_by_c"][str(c)] == c / 2
    assert list(rates.values()) == sorted(rates.values())
    assert 2.5 < m["log_var_slope_vs_sum_inv_width"] < 6.5
    assert 3.5 < m["theory_log_var_slope_vs_sum_inv_width"] < 5.0
    trunc = m["trunc_normal_final_mean"]
    assert trunc["theory_naive"] == pytest.approx(trunc_normal_variance_factor() ** config["trunc_depth"], rel=1e-12)
    assert trunc_normal_variance_factor() == pytest.approx(0.7737, abs=1e-4)
    assert trunc["naive"] < 0.05 < 0.5 < trunc["corrected"] < 2.0


def test_references_have_verdicts_from_the_evidence(result):
    assert len(result.references) == 5
    for ref in result.references:
        assert "CI" in ref.note
    first = result.references[0]
    assert first.verdict in ("reproduced", "inconclusive")  # exploding/vanishing except at c = 2
    assert result.references[2].verdict == "reproduced"  # the second moment grows with sum 1/n_j


def test_tables_and_figures(result):
    config = EXPERIMENT.config(quick=True)
    assert [row["c"] for row in result.tables["growth_by_c"]] == config["cs"]
    profiles = result.tables["width_profiles"]
    assert {r["profile"] for r in profiles} == {"constant", "growing", "shrinking", "one narrow layer"}
    assert len(profiles) == 4 * config["profile_depth"]
    narrow = [r for r in profiles if r["profile"] == "one narrow layer"]
    assert min(r["width"] for r in narrow) == config["narrow_width"]
    for r in profiles:
        assert r["theory"] == pytest.approx(sum(math.log1p(5 / q["width"]) for q in profiles
                                                if q["profile"] == r["profile"] and q["layer"] <= r["layer"]))
    assert set(result.figures) == {"mean_vs_depth", "variance_vs_sum_inv_width", "trunc_normal"}


def test_bad_config_is_rejected_before_any_work():
    with pytest.raises(ValueError, match="'depth' config key must be an int >= 2"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, depth=1))
    with pytest.raises(ValueError, match="'cs' config key"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, cs=[]))
