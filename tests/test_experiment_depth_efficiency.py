"""depth-efficiency: quick run once; exact counts are checked against the formulas, trained rows for consistency."""

from __future__ import annotations

import math

import pytest

from depthlab.architectures import constant_width_for_budget, mlp_params
from depthlab.experiments import get

EXPERIMENT = get("depth-efficiency")



def test_exact_metrics(result):
    m = result.metrics
    for k in EXPERIMENT.config(quick=True)["ks"]:
        assert m[f"deep_params_k{k}"] == 6 * k + 1
        assert m[f"shallow_units_k{k}"] == 2**k
        assert m[f"shallow_params_k{k}"] == 3 * 2**k + 1
        assert m[f"pieces_deep_k{k}"] == 2**k
    assert m["max_abs_diff"] <= 1e-12


def test_trained_metrics_are_measured(result):
    m = result.metrics
    for key in ["trained_deep_mse", "trained_shallow_mse", "trained_deep_mse_best", "trained_shallow_mse_best"]:
        assert isinstance(m[key], float) and not math.isnan(m[key]) and m[key] >= 0
    assert m["trained_deep_mse_best"] <= m["trained_deep_mse"]


def test_tables_and_figure(result):
    config = EXPERIMENT.config(quick=True)
    construction = result.tables["constructions"]
    assert [r["k"] for r in construction] == config["ks"]
    assert all(r["pieces_deep_counted"] == r["pieces_shallow_counted"] == r["pieces"] for r in construction)
    trained = result.tables["trained"]
    assert len(trained) == 2 * len(config["budgets"]) * config["n_seeds"]
    for deep, shallow in zip(trained[::2], trained[1::2]):
        assert deep["kind"] == "deep" and shallow["kind"] == "shallow" and deep["budget"] == shallow["budget"]
        width = constant_width_for_budget(deep["budget"], config["train_k"], minimum=2)
        assert deep["params"] == mlp_params(1, [width] * config["train_k"])
        if deep["params"] > deep["budget"]:  # only when even width 2 is over the budget
            assert width == 2
        assert 0 <= deep["params"] - shallow["params"] <= 3  # equal budgets: 3 params per shallow unit
        assert 1 <= deep["pieces"] and 1 <= shallow["pieces"] <= shallow["units"] + 1
    assert "depth_efficiency" in result.figures
    assert len(result.references) == 3
    assert [r.verdict for r in result.references[:2]] == ["reproduced", "reproduced"]  # exact constructions


def test_trained_verdict_comes_from_the_comparison_over_seeds(result):
    m, ref = result.metrics, result.references[2]
    assert m["n_seeds"] == 3 and "n = 3 vs 3" in ref.note and "Mann-Whitney" in ref.note
    trained = [r for r in result.tables["trained"] if r["budget"] == m["trained_budget"]]
    deep = sorted(r["test_mse"] for r in trained if r["kind"] == "deep")
    shallow = sorted(r["test_mse"] for r in trained if r["kind"] == "shallow")
    if max(deep) < min(shallow) and min(deep) < m["target_variance"] and ref.verdict != "inconclusive":
        assert ref.verdict == "reproduced"
    if min(deep) > max(shallow) and max(shallow) < m["target_variance"]:
        assert ref.verdict == "differs"
    if min(deep + shallow) >= m["target_variance"]:
        assert ref.verdict == "inconclusive"


def test_one_seed_is_inconclusive():
    config = EXPERIMENT.config(quick=True, n_seeds=1, ks=[1, 2], budgets=[25], steps=20)
    assert EXPERIMENT.run(config).references[2].verdict == "inconclusive"


def test_bad_config():
    with pytest.raises(ValueError, match="'ks' config key"):
        EXPERIMENT.config(quick=True, ks=[0])
    with pytest.raises(ValueError, match="'budgets' config key"):
        EXPERIMENT.config(quick=True, budgets=[])
