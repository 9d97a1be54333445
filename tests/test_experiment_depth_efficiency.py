"""depth-efficiency: quick run once; exact counts are checked against the formulas, trained rows for consistency."""

from __future__ import annotations

import math

import pytest

from depthlab.experiments import get
from depthlab.experiments.depth_efficiency import deep_width_for_budget
from depthlab.regions import mlp_params

EXPERIMENT = get("depth-efficiency")


@pytest.fixture(scope="module")
def result():
    return EXPERIMENT.run(EXPERIMENT.config(quick=True))


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
        assert deep["kind"] == "deep" and shallow["kind"] == "shallow"
        assert deep["params"] <= deep["budget"] or deep["widths"].count("-2") == config["train_k"]
        assert abs(shallow["params"] - deep["params"]) <= 3  # equal budgets
        assert 1 <= deep["pieces"] and 1 <= shallow["pieces"] <= shallow["units"] + 1
    assert "depth_efficiency" in result.figures
    assert len(result.references) == 3 and result.references[0].verdict == "reproduced"


@pytest.mark.parametrize("budget,depth", [(25, 4), (61, 4), (577, 6), (10, 3)])
def test_deep_width_for_budget(budget, depth):
    width = deep_width_for_budget(budget, depth)
    assert width >= 2
    assert width == 2 or mlp_params(1, [width] * depth) <= budget < mlp_params(1, [width + 1] * depth)


def test_bad_config():
    with pytest.raises(ValueError, match="'ks' config key"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, ks=[0]))
    with pytest.raises(ValueError, match="'budgets' config key"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, budgets=[]))
