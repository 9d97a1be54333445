"""depthlab sweep: grid parsing, cell seeds, local pool vs Ray, resume after interruption, failures, plots."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from depthlab import experiments
from depthlab.lab.cli import main
from depthlab.lab.executors import make_executor, pool_size
from depthlab.lab.sweep import SweepSpec, cell_seed, parse_grid, plot_metric, replicates

# compose at quick size with few inputs and random pairs: about half a second a cell.
CHEAP = ["--set", "n_inputs=2000", "--set", "n_random_pairs=1"]


def _sweep(tmp_path: Path, *extra: str, name: str = "compose") -> list[str]:
    return ["sweep", name, "--quick", *CHEAP, "--out", str(tmp_path), "--json", *extra]


def _table(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def _numbers(rows: list[dict]) -> list[dict]:
    """The rows without what may differ between two runs of the same cells (timings, folder names)."""
    return [{k: v for k, v in row.items() if k not in ("seconds", "run_dir")} for row in rows]


# ----------------------------------------------------------------------------------------- parsing
def test_grid_values_are_typed_like_set():
    config = experiments.get("compose").config(quick=True)
    grid = parse_grid(["n_inputs=10,20", "nets=fold", "interval=0,1;-1,2.5"], config)
    assert grid == {"n_inputs": [10, 20], "nets": ["fold"], "interval": [[0.0, 1.0], [-1.0, 2.5]]}
    assert all(isinstance(v, float) for pair in grid["interval"] for v in pair)


@pytest.mark.parametrize(
    "specs, message",
    [
        (["bogus=1"], "--grid: unknown key 'bogus'. Valid keys: interval, n_inputs, n_random_pairs, nets."),
        (["n_inputs=1,x"], "--grid n_inputs: expected int. Got 'x'."),
        (["n_inputs=1,,2"], "none empty"),
        (["n_inputs=1,1"], "a value is repeated"),
        (["n_inputs=1", "n_inputs=2"], "given twice"),
        (["seed=1,2"], "--seeds N or --seed-list"),
        (["n_inputs"], "--grid expects KEY=V1,V2,..."),
    ],
)
def test_bad_grid_is_one_line(specs, message):
    with pytest.raises(ValueError, match=None) as raised:
        parse_grid(specs, experiments.get("compose").config(quick=True))
    assert message in str(raised.value) and len(str(raised.value).splitlines()) == 1


def test_replicates():
    assert replicates() == [0] and replicates(3) == [0, 1, 2] and replicates(seed_list="0,3,7") == [0, 3, 7]
    for bad in ({"n_seeds": 0}, {"seed_list": "1,1"}, {"seed_list": "a"}, {"n_seeds": 2, "seed_list": "1"}):
        with pytest.raises(ValueError):
            replicates(**bad)


def test_cell_seeds_depend_on_values_replicate_and_sweep_seed():
    seeds = {cell_seed(s, {"n": n}, r) for s in (0, 1) for n in (1, 2) for r in (0, 1)}
    assert len(seeds) == 8 and all(0 <= s < 2**31 for s in seeds)
    assert cell_seed(0, {"a": 1, "b": "x"}, 0) == cell_seed(0, {"b": "x", "a": 1}, 0)  # key order does not matter


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--grid", "bogus=1,2"], "--grid: unknown key 'bogus'. Valid keys:"),
        (["--grid", "n_inputs=5,many"], "--grid n_inputs: expected int"),
        (["--grid", "nets=fold,spiral"], "The 'nets' config key must be one of 'fold', 'random'. Got 'spiral'"),
        (["--grid", "n_inputs=10,0"], "The 'n_inputs' config key must be an int >= 1. Got 0"),
        (["--seeds", "2", "--seed-list", "0,1"], "Give --seeds N or --seed-list, not both."),
        (["--executor", "dask"], "The '--executor' option must be one of ('local', 'ray')"),
        (["--workers", "64", "--threads", "64"], "would oversubscribe"),
        (["--address", "auto"], "--address 'auto' is for --executor ray"),
    ],
)
def test_bad_sweep_input_is_refused_before_any_work(argv, message, tmp_path, capsys):
    assert main(_sweep(tmp_path, *argv)) == 2
    captured = capsys.readouterr()
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1
    assert captured.out == "" and not (tmp_path / "sweeps").exists()


def test_pool_never_oversubscribes():
    cores = os.cpu_count() or 1
    for n_cells in (1, 3, 100):
        workers, threads = pool_size(n_cells)
        assert workers * threads <= cores and workers <= n_cells
    assert pool_size(10, threads=1)[0] == min(cores, 10)


def test_missing_ray_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(ValueError, match=r"pip install depthlab\[ray\]"):
        make_executor("ray", 4)


# ------------------------------------------------------------------------------- running and resume
GRID = ["--grid", "nets=fold,random", "--seeds", "2"]  # 4 cells


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> dict:
    """The reference: the 4-cell sweep run without interruption, in this process."""
    root = tmp_path_factory.mktemp("whole")
    capture = io.StringIO()
    with contextlib.redirect_stdout(capture):
        assert main(_sweep(root, *GRID, "--workers", "1")) == 0
    return json.loads(capture.getvalue())


def test_sweep_table_and_run_reproduces_a_cell(whole, tmp_path, capsys):
    rows = whole["rows"]
    assert (whole["n_cells"], whole["n_failed"], whole["computed"], whole["resumed"]) == (4, 0, 4, 0)
    assert [(r["nets"], r["replicate"]) for r in rows] == [("fold", 0), ("fold", 1), ("random", 0), ("random", 1)]
    assert len({r["seed"] for r in rows}) == 4 and {r["status"] for r in rows} == {"ok"}
    assert [r["regions_composed"] for r in rows[:2]] == [9, 9]  # the lecture's folding nets, whatever the seed
    verdict_columns = [c for c in whole["columns"] if c.startswith("verdict: ")]
    assert len(verdict_columns) == 3 and all(r[c].endswith("(quick)") for r in rows for c in verdict_columns)
    folder = Path(whole["sweep_dir"])
    assert {"table.csv", "table.json", "sweep.json", "cells"} <= {p.name for p in folder.iterdir()}
    assert json.loads((folder / "table.json").read_text())["rows"] == rows
    assert (folder / "table.csv").read_text().count("\n") == 5

    row = rows[3]
    assert main(["run", "compose", "--quick", *CHEAP, "--set", "nets=random", "--seed", str(row["seed"]),
                 "--json", "--out", str(tmp_path)]) == 0
    document = _table(capsys)
    assert document["seed"] == row["seed"]
    assert {k: row[k] for k in document["metrics"]} == document["metrics"]


def test_rerun_reads_every_cell_back(whole, capsys):
    root = Path(whole["sweep_dir"]).parents[2]
    assert main(_sweep(root, *GRID)) == 0
    again = _table(capsys)
    assert (again["computed"], again["resumed"]) == (0, 4) and again["rows"] == whole["rows"]


@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install depthlab[ray]); Ray executor untested")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="error")
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_gives_the_same_table_as_local(whole, tmp_path, capsys, ray_instance):
    assert main(_sweep(tmp_path, *GRID, "--executor", "ray")) == 0
    on_ray = _table(capsys)
    assert on_ray["computed"] == 4 and _numbers(on_ray["rows"]) == _numbers(whole["rows"])
    assert all((Path(on_ray["sweep_dir"]) / r["run_dir"] / "folding.png").is_file() for r in on_ray["rows"])


def _finished(root: Path) -> int:
    """Complete cell run folders under root (write_run's hidden staging folders do not count)."""
    return sum(not p.parent.name.startswith(".") for p in root.glob("**/cells/*/compose/*/metrics.json"))


def _flaky(monkeypatch, fail_on: int, error: BaseException, only_random: bool = False) -> list[int]:
    """Make compose raise `error` on its `fail_on`-th call (or, only_random, on every nets=random cell)."""
    compose = experiments.get("compose")
    calls: list[int] = []

    def run(config):
        calls.append(1)
        if (only_random and config["nets"] == "random") or (not only_random and len(calls) == fail_on):
            raise error
        return compose.run(config)

    flaky = dataclasses.replace(compose, run=run)
    original = experiments.get
    monkeypatch.setattr(experiments, "get", lambda name: flaky if name == "compose" else original(name))
    return calls


def test_interrupted_sweep_resumes_to_the_same_table(whole, tmp_path, capsys, monkeypatch):
    calls = _flaky(monkeypatch, fail_on=3, error=KeyboardInterrupt())
    assert main(_sweep(tmp_path, *GRID, "--workers", "1")) == 130
    assert "rerun the same command to resume" in capsys.readouterr().err
    folder = tmp_path / "sweeps" / "compose" / Path(whole["sweep_dir"]).name
    assert not (folder / "table.json").exists() and not (folder / "table.csv").exists()
    assert _finished(folder) == 2

    assert main(_sweep(tmp_path, *GRID, "--workers", "1")) == 0
    resumed = _table(capsys)
    assert (resumed["resumed"], resumed["computed"], len(calls)) == (2, 2, 3 + 2)
    assert _numbers(resumed["rows"]) == _numbers(whole["rows"])


@pytest.mark.slow
def test_killed_sweep_process_resumes_to_the_same_table(whole, tmp_path, capsys):
    argv = _sweep(tmp_path, *GRID)  # default executor: a process pool on 2+ cores
    process = subprocess.Popen([sys.executable, "-m", "depthlab.lab.cli", *argv], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not _finished(tmp_path) and time.monotonic() < deadline:
        assert process.poll() is None, "the sweep ended before any cell was written"
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)  # the sweep and its workers, mid-way
    process.wait()
    folder = tmp_path / "sweeps" / "compose" / Path(whole["sweep_dir"]).name
    finished = _finished(folder)
    assert 1 <= finished < 4 and not (folder / "table.json").exists()

    assert main([*argv, "--workers", "1"]) == 0
    resumed = _table(capsys)
    assert (resumed["resumed"], resumed["computed"]) == (finished, 4 - finished)
    assert _numbers(resumed["rows"]) == _numbers(whole["rows"])


def test_failed_cell_is_recorded_and_the_others_finish(tmp_path, capsys, monkeypatch):
    _flaky(monkeypatch, 0, RuntimeError("no convergence\nsecond line"), only_random=True)
    assert main(_sweep(tmp_path, *GRID, "--workers", "1")) == 1
    captured = capsys.readouterr()
    table = json.loads(captured.out)
    assert table["n_failed"] == 2
    by_status = {r["nets"]: (r["status"], r["error"]) for r in table["rows"]}
    assert by_status == {"fold": ("ok", ""), "random": ("failed", "RuntimeError: no convergence")}
    assert all(r["regions_composed"] == 9 for r in table["rows"] if r["status"] == "ok")
    assert captured.err.count("failed: nets=random") == 2


def _spec(grid: dict, n_seeds: int) -> SweepSpec:
    return SweepSpec("demo", {"seed": 0, "quick": False}, grid, tuple(range(n_seeds)))


def test_line_plot_draws_the_median_over_replicates():
    rows = [{"width": w, "replicate": r, "status": "ok", "m": float(w * 10 + r)} for w in (2, 4, 8) for r in range(3)]
    rows.append({"width": 8, "replicate": 3, "status": "failed"})
    figure = plot_metric("m", _spec({"width": [2, 4, 8]}, 3), rows)
    lines = figure.axes[0].get_lines()
    assert len(lines) == 4  # one per replicate, and the median
    assert list(lines[-1].get_xdata()) == [2, 4, 8] and list(lines[-1].get_ydata()) == [21.0, 41.0, 81.0]


def test_heatmap_shows_the_median_for_two_axes():
    rows = [{"a": a, "b": b, "replicate": r, "status": "ok", "m": (a == "y") * 100 + 10 * b + r}
            for a in ("x", "y") for b in (1, 2, 3) for r in range(3)]
    figure = plot_metric("m", _spec({"a": ["x", "y"], "b": [1, 2, 3]}, 3), rows)
    image = figure.axes[0].get_images()[0].get_array()
    assert image.tolist() == [[11.0, 21.0, 31.0], [111.0, 121.0, 131.0]]


def test_plot_notes_instead_of_figures():
    rows = [{"a": 1, "replicate": 0, "status": "ok", "m": 1.0}]
    assert "no finished cell has a numeric metric 'nope'" in plot_metric("nope", _spec({"a": [1, 2]}, 1), rows)
    assert "one or two grid keys" in plot_metric("m", _spec({"a": [1]}, 1), rows)


def test_plot_and_report_show_the_sweep(whole, capsys):
    root = Path(whole["sweep_dir"]).parents[2]
    assert main(_sweep(root, *GRID, "--plot", "max_abs_diff", "--plot", "nope")) == 0
    captured = capsys.readouterr()
    assert "note: --plot nope" in captured.err and (Path(whole["sweep_dir"]) / "plot-max_abs_diff.png").is_file()
    assert main(["report", "--runs", str(root), "--out", str(root / "only-sweeps.html")]) == 0  # no plain runs yet
    assert "<h2>Sweeps</h2>" in (root / "only-sweeps.html").read_text()
    main(["run", "compose", "--quick", *CHEAP, "--out", str(root)])
    assert main(["report", "--runs", str(root), "--out", str(root / "r.html")]) == 0
    page = (root / "r.html").read_text()
    assert "<h2>Sweeps</h2>" in page and "4 cells, 0 failed" in page and "plot-max_abs_diff" in page
