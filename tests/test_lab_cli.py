"""The depthlab command: list, run --quick --json, report, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from depthlab import experiments
from depthlab.lab.cli import main

COMPOSE_KEYS = {"max_abs_diff", "regions_composed", "regions_net1", "regions_net2", "params_composed"}


def test_registry_metadata_is_complete():
    found = experiments.all_experiments()
    names = [e.name for e in found]
    assert "compose" in names and len(names) == len(set(names))
    for e in found:
        assert e.claim and e.source, e.name
        assert set(e.quick) <= set(e.defaults) | {"seed", "data_dir"}, f"{e.name}: quick keys not in defaults"


def test_list_shows_every_experiment(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(e.name in out for e in experiments.all_experiments())


def test_run_compose_quick_json(tmp_path, capsys):
    assert main(["run", "compose", "--quick", "--json", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # stdout holds the JSON document and nothing else
    assert COMPOSE_KEYS <= set(document["metrics"])
    assert document["metrics"]["max_abs_diff"] <= 1e-12
    assert document["metrics"]["regions_composed"] == 9
    assert {r["verdict"] for r in document["references"]} == {"reproduced"}
    folder = Path(document["run_dir"])
    assert json.loads((folder / "metrics.json").read_text())["metrics"] == document["metrics"]
    assert {"config.json", "report.md", "folding.png", "networks.csv"} <= {p.name for p in folder.iterdir()}
    assert json.loads((folder / "config.json").read_text())["quick"] is True


def test_same_seed_same_numbers(tmp_path, capsys):
    docs = []
    for _ in range(2):
        main(["run", "compose", "--quick", "--json", "--seed", "4", "--set", "nets=random", "--out", str(tmp_path)])
        docs.append(json.loads(capsys.readouterr().out)["metrics"])
    assert docs[0] == docs[1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "nope"], "Unknown experiment 'nope'. Choose from: compose"),
        (["run", "compose", "--set", "bogus=1"], "unknown key 'bogus'. Valid keys:"),
        (["run", "compose", "--set", "n_inputs=many"], "expected int"),
        (["run", "compose", "--set", "nets=spiral"], "'nets' config key must be one of 'fold', 'random'"),
        (["run", "compose", "--set", "n_inputs=0"], "The 'n_inputs' config key must be an int >= 1. Got 0"),
        (["run", "compose", "--set", "interval=1,0"], "'interval' config key must be two increasing numbers"),
        (["run", "compose", "--set", "interval="], "'interval' config key must be two increasing numbers"),
        (["run", "compose", "--set", "n_random_pairs=-2"], "'n_random_pairs' config key must be an int >= 0"),
        (["run", "regions-at-init", "--set", "neurons="], "'neurons' config key must be a list"),
        (["run", "compose", "--data-dir", "/does/not/exist"], "is not a directory"),
        (["run", "compose", "--threads", "-1"], "--threads must be >= 0"),
        (["report", "--runs", "/does/not/exist"], "No runs found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "x")] if argv[0] == "run" else argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").rglob("metrics.json"))


def test_report_after_run(tmp_path, capsys):
    main(["run", "compose", "--quick", "--out", str(tmp_path / "runs")])
    assert main(["report", "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "r.html")]) == 0
    assert "data:image/png;base64" in (tmp_path / "r.html").read_text()


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "depthlab.lab.cli", "list"], capture_output=True, text=True)
    assert result.returncode == 0 and "compose" in result.stdout
