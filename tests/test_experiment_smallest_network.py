"""smallest-network experiment: the width search per depth, the smallest reaching nets, MNIST's verdicts, resuming."""

from __future__ import annotations

import pytest

from depthlab.experiments import get
from depthlab.experiments.smallest_network import smallest
from depthlab.lab.cli import main

TINY = {"datasets": ["digits"], "n_train": [600], "heldout_targets": [0.85], "depths": [1, 2], "widths": [2, 8, 32],
        "n_seeds": 2, "epochs": 15, "mixture_components": 3, "mixture_iter": 10}


pytestmark = pytest.mark.usefixtures("offline")  # conftest: no downloads, no DEPTHLAB_DATA, an empty cache


def run(tmp_path, **overrides):
    experiment = get("smallest-network")
    config = {**TINY, "checkpoint_dir": str(tmp_path / "ck"), **overrides}
    return experiment.run(experiment.config(quick=True, **config))


def reached(row, target_test, target_train=0.99):
    return row["median_train"] >= target_train and row["median_test"] >= target_test


def test_search_stops_each_depth_at_the_first_width_reaching_both(tmp_path):
    result = run(tmp_path)
    cells = result.tables["cells"]
    for depth in (1, 2):
        mine = [r for r in cells if r["depth"] == depth]
        assert [r["width"] for r in mine] == sorted(r["width"] for r in mine)  # ascending
        assert not any(reached(r, 0.85) for r in mine[:-1])  # nothing before the last one reached both
        assert len(mine) == 3 or reached(mine[-1], 0.85)  # stopped early only after reaching
    summary = {r["target"]: r for r in result.tables["smallest"]}
    best = smallest(cells, "median_train", 0.99)
    assert summary["train accuracy >= 0.99"]["params"] == (None if best is None else best["params"])
    if best is not None:
        assert all(r["median_train"] < 0.99 for r in cells if r["params"] < best["params"])
    assert result.metrics["digits_independent_pixel_bits"] > result.metrics["digits_plogp_bits"] > 0
    assert result.metrics["digits_label_bits"] == pytest.approx(600 * 3.321928, rel=1e-6)
    neurons = [r for r in result.references if r.claim.startswith("About 95 neurons")]
    assert [r.verdict for r in neurons] == ["not comparable"] * 2  # no MNIST searched
    assert result.metrics["pytorch_example_params"] == 21_840
    assert "smallest_vs_entropy" in result.figures


def test_smallest_picks_fewest_parameters():
    rows = [{"params": 500, "depth": 2, "median_train": 1.0}, {"params": 300, "depth": 1, "median_train": 0.995},
            {"params": 100, "depth": 1, "median_train": 0.9}]
    assert smallest(rows, "median_train", 0.99)["params"] == 300
    assert smallest(rows, "median_train", 1.01) is None


def test_diverged_cells_are_named(tmp_path):
    calm = run(tmp_path / "calm", depths=[1], widths=[8])
    assert calm.tables["cells"][0]["diverged"] == 0 and not any("diverged" in n for n in calm.notes)
    blown = run(tmp_path / "blown", depths=[1], widths=[8], lr=1e30)  # Adam moves every weight by 1e30 at once
    [cell] = blown.tables["cells"]
    assert cell["diverged"] == 2
    [note] = [n for n in blown.notes if n.startswith("Training diverged")]
    assert "digits depth 1 x width 8 (2 of 2)" in note


def test_rerun_reads_finished_cells_back(tmp_path):
    first = run(tmp_path, depths=[1], widths=[4, 16])
    again = run(tmp_path, depths=[1], widths=[4, 16])
    assert again.tables["cells"] == first.tables["cells"]


def test_mnist_t10k_verdicts_come_from_the_search(tmp_path, data_dir):
    result = run(tmp_path, data_dir=str(data_dir), datasets=["mnist"], n_train=[1000], heldout_targets=[0.8],
                 depths=[1], widths=[2, 16], epochs=25)
    assert "t10k" in result.data
    cells = result.tables["cells"]
    neurons = {r.claim: r for r in result.references if r.claim.startswith("About 95 neurons")}
    train = neurons["About 95 neurons suffice to learn MNIST's labelling (99% training accuracy)"]
    small_reached = any(r["median_train"] >= 0.99 for r in cells if r["neurons"] <= 95)
    assert train.verdict == ("reproduced" if small_reached else "inconclusive")  # no cell above 95 neurons here
    assert "From the search" in train.note and "805" in train.note  # 784-1-10 has 805 parameters
    pytorch = next(r for r in result.references if r.claim.startswith("PyTorch"))
    assert pytorch.verdict == "not comparable" and pytorch.published == 21_840


@pytest.mark.parametrize("settings, message", [
    (["n_train=100"], "must have one entry per data set"),
    (["datasets=cifar"], "The 'datasets' config key must be a list of at least 1 of"),
    (["datasets=digits,mnist1d", "mnist1d_threshold=50"], "'threshold' parameter must be a number in the data's range"),
])
def test_bad_input_is_one_line_exit_2_no_run_folder(settings, message, tmp_path, capsys):
    argv = ["run", "smallest-network", "--quick", "--out", str(tmp_path / "runs")]
    for setting in settings:
        argv += ["--set", setting]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "runs").exists()
