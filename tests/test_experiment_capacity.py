"""capacity experiment: the search's rows, the exact perceptron check against 2 bits per weight, resuming, bad input."""

from __future__ import annotations

import math

import pytest

from depthlab.experiments import get
from depthlab.lab.cli import main

TINY = {"label_classes": [2, 10], "depths": [1], "budgets": [60, 120], "n_seeds": 2, "n_max": 256, "steps": 150,
        "perceptron_weights": [4, 8, 16, 32], "perceptron_seeds": 10, "memorize_n": 60}


def run(tmp_path, **overrides):
    experiment = get("capacity")
    config = {**TINY, "checkpoint_dir": str(tmp_path / "ck"), **overrides}
    return experiment.run(experiment.config(quick=True, **config))


def test_rows_bits_and_verdicts(tmp_path):
    result = run(tmp_path)
    rows = result.tables["largest_fit"]
    assert len(rows) == 2 * 2 * 2 * 2  # classes x budgets x input kinds x seeds
    for r in rows:
        assert r["bits"] == pytest.approx(r["largest_fit"] * math.log2(r["classes"]))
        assert r["bits_per_param"] == pytest.approx(r["bits"] / r["params"])
        assert r["censored"] == (r["smallest_failure"] is None)
        assert r["smallest_failure"] is None or r["smallest_failure"] > r["largest_fit"]
        assert r["diverged_at"] is None
    assert not any("diverged" in note for note in result.notes)
    perceptron, *mlps = [ref for ref in result.references if "construction" not in ref.claim]
    assert abs(result.metrics["perceptron_bits_per_weight"] - 2.0) < 0.5  # Cover: mean exactly 2K
    low, high = result.metrics["perceptron_bits_per_weight_ci"]
    assert low <= result.metrics["perceptron_bits_per_weight"] <= high
    assert perceptron.verdict in ("reproduced", "inconclusive", "differs") and "linear program" in perceptron.note
    assert len(mlps) == 4 and all(ref.verdict == "not comparable" for ref in mlps)
    assert all("single perceptron with binary labels" in ref.note for ref in mlps)
    construction = [r for r in result.tables["memorize"]]
    assert [r["train_accuracy"] for r in construction] == [1.0, 1.0]
    assert all(r["bits_per_param"] < 0.5 for r in construction)  # a construction spends ~17 params per point
    assert set(result.figures) == {"capacity"}
    assert "depth1_random_c2_bits_per_param_ci" in result.metrics


def test_rerun_reads_the_search_back(tmp_path):
    first = run(tmp_path, label_classes=[2], inputs=["random"], perceptron_weights=[4, 8, 12, 16])
    again = run(tmp_path, label_classes=[2], inputs=["random"], perceptron_weights=[4, 8, 12, 16])
    assert first.metrics["search_seconds"] > 0 and again.metrics["search_seconds"] == 0
    assert again.tables["largest_fit"] == [{**r, "search_seconds": 0.0} for r in first.tables["largest_fit"]]


def test_diverged_searches_are_named(tmp_path):
    result = run(tmp_path, label_classes=[2], inputs=["random"], budgets=[60], perceptron_weights=[4, 8, 12, 16],
                 lr=1e30)  # Adam's first step moves every weight by 1e30: the logits overflow
    rows = result.tables["largest_fit"]
    assert all(r["diverged_at"] for r in rows)
    [note] = [note for note in result.notes if note.startswith("Training diverged")]
    assert f"for {len(rows)} network(s)" in note and f"seed 0) at N = {rows[0]['diverged_at']}" in note


@pytest.mark.parametrize("setting, message", [
    ("label_classes=1", "The 'label_classes' config key must be a list of at least 1 distinct int(s) in [2, 100]"),
    ("budgets=", "The 'budgets' config key must be a list"),
    ("inputs=pixels", "The 'inputs' config key must be a list of at least 1 of random, mnist1d"),
])
def test_bad_input_is_one_line_exit_2_no_run_folder(setting, message, tmp_path, capsys):
    assert main(["run", "capacity", "--quick", "--set", setting, "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "runs").exists()
