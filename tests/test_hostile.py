"""Hostile and clumsy input, one row per case: the command line or library call, what must come out of it.

CLI rows run `depthlab.lab.cli.main` in this process and expect an exit code (2: the input is at fault,
one line on stderr; 1: a fault of depthlab, one line and a log; 130: interrupted; 0: done) and a fragment
of what it printed. Library rows expect an exception type and a fragment of its one-line message.
Issue 21 lists where each comes from; the rows that held before it keep holding here.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from depthlab import Network, experiments
from depthlab.checks import InputError
from depthlab.construct.memorize import memorize
from depthlab.data import load_mnist
from depthlab.lab.cli import main
from depthlab.regions import partition_2d
from depthlab.train import fit
from depthlab.train.checkpoint import CheckpointError

CORRUPT = "corrupt or not a depthlab checkpoint of this run; delete it"
CHEAP = ["--set", "n_inputs=2000", "--set", "n_random_pairs=1"]  # compose in about half a second


@dataclass(frozen=True)
class Case:
    """One hostile input. `call(tmp)` returns the argv (CLI rows) or makes the library call (library rows)."""

    name: str
    call: Callable[[Path], Any]
    expect: int | type[BaseException]
    fragment: str


# ------------------------------------------------------------------------------------------------ set-ups
def _x_y(n: int = 20):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, 3, generator=g, dtype=torch.float64), torch.randint(0, 2, (n,), generator=g)


def _fit(checkpoint=None, **options):
    x, y = _x_y()
    common = {"loss": "cross_entropy", "steps": 3, **options}
    return fit(Network.random([3, 4, 2], seed=0), options.pop("x", x), options.pop("y", y), checkpoint=checkpoint,
               **{k: v for k, v in common.items() if k not in ("x", "y")})


def _checkpoint(tmp: Path, damage: str) -> Path:
    """A checkpoint file at tmp/run.pt damaged in one way, for the run `_fit` makes."""
    path = tmp / "run.pt"
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "text":
        path.write_text("this is not a checkpoint\n")
    elif damage == "a list":
        torch.save([1, 2, 3], path)
    elif damage == "a directory":
        path.mkdir()
    else:
        _fit(path)  # a good checkpoint of this run, then damaged
        if damage == "truncated":
            path.write_bytes(path.read_bytes()[:200])
        elif damage == "wrong shapes":
            state = torch.load(path, weights_only=True)
            state["params"][0] = torch.zeros(1, 9, 9, dtype=state["params"][0].dtype)
            torch.save(state, path)
        elif damage == "of another run":
            _fit(path.with_name("other.pt"), steps=4)
            path.with_name("other.pt").replace(path)
    return path


class _Payload:
    """Unpickling this runs a command: what a checkpoint must never do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _foreign_pickle(tmp: Path) -> Path:
    path = tmp / "run.pt"
    torch.save({"fingerprint": _Payload(tmp / "PWNED")}, path)
    return path


def _idx(folder: Path, labels: np.ndarray) -> Path:
    """t10k images/labels IDX files with the given labels into folder/mnist."""
    target = folder / "mnist"
    target.mkdir(parents=True, exist_ok=True)
    images = np.zeros((len(labels), 28, 28), dtype=np.uint8)
    for name, array, magic in (("t10k-images-idx3-ubyte", images, 0x803), ("t10k-labels-idx1-ubyte", labels, 0x801)):
        header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
        (target / f"{name}.gz").write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))
    return folder


def _evil_checkpoint_argv(tmp: Path) -> list[str]:
    folder = tmp / "ck"
    folder.mkdir()
    torch.save({"fingerprint": _Payload(tmp / "PWNED")}, folder / "constant.pt")
    return ["run", "width-profile", "--quick", "--set", f"checkpoint_dir={folder}", "--out", str(tmp / "runs")]


def _damaged_cell_argv(tmp: Path) -> list[str]:
    argv = ["sweep", "compose", "--quick", *CHEAP, "--grid", "nets=fold,random", "--out", str(tmp), "--workers", "1"]
    assert main(argv) == 0
    damaged = next(tmp.glob("sweeps/compose/*/cells/*/compose/*/metrics.json"))
    damaged.write_bytes(b'{"seed": 1, "metr')  # truncated by a crash or by hand
    return argv


def _file(tmp: Path) -> Path:
    (tmp / "afile").write_text("x")
    return tmp / "afile"


def _runs_with_a_damaged_one(tmp: Path) -> list[str]:
    for name in ("compose", "compose"):
        assert main(["run", name, "--quick", *CHEAP, "--out", str(tmp / "runs")]) == 0
    (next((tmp / "runs" / "compose").iterdir()) / "metrics.json").write_bytes(b"\xff\xfe not json")
    return ["report", "--runs", str(tmp / "runs"), "--out", str(tmp / "r.html")]


RUN = ["run", "compose", "--quick", *CHEAP]
SWEEP = ["sweep", "compose", "--quick", *CHEAP]

CLI_CASES = [
    # held before issue 21
    Case("unknown experiment", lambda t: ["run", "nope"], 2, "Unknown experiment 'nope'"),
    Case("experiment name as a path", lambda t: ["run", "../../etc/passwd"], 2, "Unknown experiment"),
    Case("unknown --set key", lambda t: [*RUN, "--set", "bogus=1"], 2, "unknown key 'bogus'"),
    Case("ill-typed --set", lambda t: [*RUN, "--set", "n_inputs=many"], 2, "expected int"),
    Case("--set out of its rule", lambda t: [*RUN, "--set", "n_inputs=0"], 2, "must be an int >= 1"),
    Case("NaN through --set", lambda t: ["run", "overparam-variance", "--quick", "--set", "lr=nan"], 2,
         "'lr' config key must be a finite number"),
    Case("missing --data-dir", lambda t: [*RUN, "--data-dir", str(t / "nowhere")], 2, "is not a directory"),
    Case("bad --seed-list", lambda t: [*SWEEP, "--seed-list", "1,1"], 2, "distinct integers"),
    Case("unknown --grid key", lambda t: [*SWEEP, "--grid", "bogus=1,2"], 2, "unknown key 'bogus'"),
    # issue 21, item 5: sizes
    Case("a billion seeds", lambda t: [*SWEEP, "--seeds", "1000000000"], 2, "1,000,000,000 cells"),
    Case("grid above --max-cells", lambda t: [*SWEEP, "--grid", "n_inputs=10,20,30", "--max-cells", "2"], 2,
         "more than the limit of 2"),
    Case("--max-cells 0", lambda t: [*SWEEP, "--max-cells", "0"], 2, "'--max-cells' option must be an int >= 1"),
    Case("run --threads 100000", lambda t: [*RUN, "--threads", "100000"], 2, "at most the"),
    Case("sweep --threads 100000", lambda t: [*SWEEP, "--threads", "100000"], 2, "at most 1024"),
    # item 6
    Case("run --set quick=true", lambda t: [*RUN, "--set", "quick=true"], 2, "--set quick"),
    Case("sweep --set quick=true", lambda t: [*SWEEP, "--set", "quick=true"], 2, "--set quick"),
    Case("--out is a file", lambda t: [*RUN, "--out", str(_file(t))], 2, "is a file, not a folder"),
    Case("--out under a file", lambda t: [*RUN, "--out", str(_file(t) / "runs")], 2, "lies under the file"),
    Case("report --out a directory", lambda t: (main([*RUN, "--out", str(t / "runs")]),
                                               ["report", "--runs", str(t / "runs"), "--out", str(t)])[1], 2,
         "is a directory"),
    Case("report with a damaged metrics.json", _runs_with_a_damaged_one, 0, "skipped"),
    Case("IDX labels above 9", lambda t: ["run", "mnist-entropy", "--quick", "--out", str(t / "runs"), "--data-dir",
                                          str(_idx(t / "data", np.array([0, 1, 12] * 10)))], 2, "holds label 12"),
    Case("a damaged sweep cell is run again", _damaged_cell_argv, 0, "cells: 1 run now, 1 read back"),
    # item 1: checkpoints never run code
    Case("a foreign pickle as a checkpoint", _evil_checkpoint_argv, 2, CORRUPT),
    # item 4: divergence is named, not a crash or a decided verdict
    Case("width-profile sgd lr=1e6", lambda t: ["run", "width-profile", "--quick", "--set", "optimizer=sgd", "--set",
                                                "lr=1e6", "--set", "checkpoint_dir=off", "--json"], 0,
         '"n_diverged": 12'),
    Case("overparam-variance lr=100", lambda t: ["run", "overparam-variance", "--quick", "--set", "lr=100",
                                                 "--json"], 0, '"n_diverged": 120'),
]

LIBRARY_CASES = [
    Case("fit on empty data", lambda t: _fit(x=torch.zeros(0, 3), y=torch.zeros(0)), InputError, "'x' parameter"),
    Case("fit dtype int32", lambda t: _fit(dtype=torch.int32), InputError, "'dtype' parameter"),
    Case("negative momentum", lambda t: _fit(optimizer="sgd", momentum=-0.5), InputError, "'momentum' optimizer"),
    Case("NaN momentum", lambda t: _fit(optimizer="sgd", momentum=float("nan")), InputError, "'momentum' optimizer"),
    Case("NaN target_loss", lambda t: _fit(target_loss=float("nan")), InputError, "'target_loss' parameter"),
    Case("infinite lr", lambda t: _fit(lr=float("inf")), InputError, "'lr' parameter"),
    Case("fractional cross-entropy labels", lambda t: _fit(y=torch.full((20,), 0.5)), InputError, "class indices"),
    Case("seed 2**70 in fit", lambda t: _fit(seed=2**70), InputError, "'seed' parameter"),
    Case("seed 2**70 in Network.random", lambda t: Network.random([2, 3, 1], seed=2**70), InputError,
         "'seed' parameter"),
    Case("complex input to a network", lambda t: Network.random([3, 4, 1])(torch.ones(2, 3, dtype=torch.complex128)),
         InputError, "'x' parameter must hold real numbers"),
    Case("complex input to fit", lambda t: _fit(x=torch.ones(20, 3, dtype=torch.complex128)), InputError,
         "real numbers"),
    Case("negative labels in memorize", lambda t: memorize(torch.rand(6, 2, dtype=torch.float64),
                                                           torch.tensor([-1, 0, 1, 0, 1, 0])), InputError,
         "'Y' parameter must hold integer class labels >= 0"),
    Case("from_torch names the module at fault", lambda t: Network.from_torch(torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))), ValueError,
        "module 1 (BatchNorm1d)"),
    Case("partition_2d over +-1e300", lambda t: partition_2d(Network.random([2, 4, 1]), [[-1e300, -1e300],
         [1e300, -1e300], [1e300, 1e300], [-1e300, 1e300]]), InputError, "'domain' parameter's coordinates"),
    Case("IDX labels above 9", lambda t: load_mnist(_idx(t, np.array([3, 10, 1]))), InputError, "holds label 10"),
    *[Case(f"checkpoint {damage}", lambda t, d=damage: _fit(_checkpoint(t, d)), CheckpointError, CORRUPT)
      for damage in ("empty", "text", "truncated", "a list", "a directory", "wrong shapes", "of another run")],
    Case("checkpoint a foreign pickle", lambda t: _fit(_foreign_pickle(t)), CheckpointError, CORRUPT),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.name for c in CLI_CASES])
def test_cli(case: Case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may land in the repository (default --out is ./runs)
    argv = case.call(tmp_path)
    capsys.readouterr()
    code = main([*argv, "--out", str(tmp_path / "out")] if argv[0] == "run" and "--out" not in argv else argv)
    out, err = capsys.readouterr()
    assert code == case.expect, err
    assert case.fragment in (err if code else out + err)
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert not list((tmp_path / "out").rglob("metrics.json"))  # no run folder
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("case", LIBRARY_CASES, ids=[c.name for c in LIBRARY_CASES])
def test_library(case: Case, tmp_path):
    with pytest.raises(case.expect) as raised:
        case.call(tmp_path)
    message = str(raised.value)
    assert case.fragment in message and "\n" not in message
    assert not (tmp_path / "PWNED").exists()


# ------------------------------------------------------------------------------------ exit codes 1 and 130
def _raising(error: BaseException):
    def run(config):
        raise error
    return run


@pytest.mark.parametrize("error, code, fragment", [
    (RuntimeError("index 7 is out of bounds"), 1, "internal error in compose: RuntimeError: index 7"),
    (ValueError("The 'a' parameter contains NaN"), 1, "internal error in compose: ValueError"),  # not the input's
    (InputError("The 'x' parameter must hold real numbers."), 2, "depthlab: error: The 'x' parameter"),
    (MemoryError(), 2, "out of memory in compose"),
    (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 800000000000 bytes"), 2,
     "lower --set n_inputs=2000, --set n_random_pairs=1"),
    (KeyboardInterrupt(), 130, "interrupted"),
])
def test_exit_codes(error, code, fragment, tmp_path, capsys, monkeypatch):
    compose = experiments.get("compose")
    patched = type(compose)(**{**vars(compose), "run": _raising(error)})
    monkeypatch.setattr(experiments, "get", lambda name: patched)
    assert main([*RUN, "--out", str(tmp_path / "runs")]) == code
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list((tmp_path / "runs").rglob("metrics.json"))
    if code == 1:  # the traceback is in the log the line names
        log = Path(err.rsplit("traceback in ", 1)[1].rstrip(")\n"))
        assert log.is_file() and log.parent == tmp_path / "runs" / ".errors" and "Traceback" in log.read_text()


def test_a_checkpoint_never_unpickles_code(tmp_path):
    path = _foreign_pickle(tmp_path)
    with pytest.raises(CheckpointError):
        _fit(path)
    with pytest.raises(pickle.UnpicklingError):  # the payload is real: plain unpickling would run it
        torch.load(path, weights_only=True)
    assert not (tmp_path / "PWNED").exists()


def test_default_checkpoints_go_under_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["run", "width-profile", "--quick", "--set", "steps=2", "--out", str(tmp_path / "elsewhere"), "--json"]
    assert main(argv) == 0
    config = json.loads(capsys.readouterr().out)
    folder = Path(json.loads((Path(config["run_dir"]) / "config.json").read_text())["checkpoint_dir"])
    assert folder.is_relative_to(tmp_path / "elsewhere" / ".checkpoints" / "width-profile")
    assert sorted(p.name for p in folder.iterdir()) == ["constant.pt", "growing.pt", "narrow2_middle.pt",
                                                        "shrinking.pt"]
    assert not (tmp_path / "runs").exists()


def test_a_stale_checkpoint_staging_file_is_removed_and_a_live_ones_kept(tmp_path):
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".run.pt.{dead.pid}-1.tmp"  # what kill -9 during save_checkpoint leaves
    live = tmp_path / f".run.pt.{os.getppid()}-1.tmp"
    stale.write_bytes(b"half")
    live.write_bytes(b"half")
    _fit(tmp_path / "run.pt")
    assert not stale.exists() and live.exists() and (tmp_path / "run.pt").is_file()
