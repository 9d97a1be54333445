"""multiplication: quick run once; construction errors meet the target, trained counts follow the rows."""

from __future__ import annotations

import pytest

from depthlab.experiments import get
from depthlab.grid import smallest_reaching

EXPERIMENT = get("multiplication")



def test_metrics_keys(result):
    config = EXPERIMENT.config(quick=True)
    m = result.metrics
    assert m["target_error"] == config["target_error"]
    for n in config["ns"]:
        for key in [f"deep_neurons_n{n}", f"shallow_neurons_n{n}"]:
            assert m[key] == -1 or m[key] in {row["neurons"] for row in result.tables["trained"]}
        assert m[f"construct_deep_neurons_n{n}"] > 0 and m[f"construct_shallow_neurons_n{n}"] > 0


def test_constructions_meet_the_target(result):
    target = EXPERIMENT.config(quick=True)["construction_target"]
    for row in result.tables["constructions"]:
        assert row["reached"] and row["max_error"] <= target
    shallow = {r["n"]: r["neurons"] for r in result.tables["constructions"] if r["kind"] == "shallow polarization"}
    assert all(shallow[n] % 2 ** (n - 1) == 0 for n in shallow)  # 2^(n-1) ridges, equal knots each


def test_neurons_needed_reads_the_rows(result):
    rows = result.tables["trained"]
    target = EXPERIMENT.config(quick=True)["target_error"]
    for n in EXPERIMENT.config(quick=True)["ns"]:
        for kind in ("deep", "shallow"):
            needed = smallest_reaching(rows, "neurons", "relative_rmse", target, n=n, kind=kind)
            assert result.metrics[f"{kind}_neurons_n{n}"] == (-1 if needed is None else needed)
            mine = [r for r in rows if r["n"] == n and r["kind"] == kind]
            assert needed is None or any(r["neurons"] == needed and r["relative_rmse"] <= target for r in mine)
            assert all(r["relative_rmse"] > target for r in mine if needed is None or r["neurons"] < needed)


def test_smallest_reaching_synthetic_rows():
    rows = [{"n": 2, "kind": "deep", "neurons": 8, "relative_rmse": 0.5},
            {"n": 2, "kind": "deep", "neurons": 16, "relative_rmse": 0.05}]
    assert smallest_reaching(rows, "neurons", "relative_rmse", 0.1, n=2, kind="deep") == 16
    assert smallest_reaching(rows, "neurons", "relative_rmse", 0.01, n=2) is None
    assert smallest_reaching(rows, "neurons", "relative_rmse", 0.1, n=3) is None


def test_references_and_figure(result):
    assert len(result.references) == 3
    assert [r.verdict for r in result.references[:2]] == ["not comparable"] * 2  # theory for smooth activations
    trained = result.references[2]
    assert "n = 3 vs 3" in trained.note or trained.verdict == "not comparable"
    assert "multiplication" in result.figures


def test_trained_verdict_is_over_seeds():
    config = EXPERIMENT.config(quick=True, ns=[2], neurons=[24], n_seeds=2, steps=50, n_eval_points=500)
    assert EXPERIMENT.run(config).references[2].verdict in ("inconclusive", "not comparable")  # 2 seeds decide nothing


def test_bad_config():
    with pytest.raises(ValueError, match="'ns' config key"):
        EXPERIMENT.config(quick=True, ns=[1])
