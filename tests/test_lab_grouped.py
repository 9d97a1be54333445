"""depthlab run NAME --executor local|ray: an experiment's groups spread over workers give the run's own numbers;
groups resume from their checkpoints; --device and executor bad input is one line, exit 2, no run folder."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import sys
from pathlib import Path

import pytest

from depthlab import experiments
from depthlab.lab.cli import main
from depthlab.train import loop

# random-labels on 200 examples, two small depths, one seed: 4 groups (2 depths x random/true x 1 seed), seconds.
TINY = ["--quick", "--set", "depths=1,2", "--set", "hidden_widths=32,16", "--set", "max_epochs=300,300",
        "--set", "n_seeds=1", "--set", "n_train=200", "--set", "history_every=50"]
TIMINGS = ("model_epochs_per_second_by_depth", "projected_hours", "train_seconds")


def _run(capsys, tmp_path: Path, *extra: str) -> dict:
    assert main(["run", "random-labels", *TINY, "--out", str(tmp_path / "runs"), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _numbers(document: dict) -> dict:
    """Metrics and verdicts without the timings (wall time differs between any two runs)."""
    metrics = {k: v for k, v in document["metrics"].items() if k not in TIMINGS}
    return {"metrics": metrics, "verdicts": [r["verdict"] for r in document["references"]]}


@pytest.fixture(scope="module")
def in_process(tmp_path_factory) -> dict:
    """The reference: the experiment's own run, every group one after the other in this process."""
    root = tmp_path_factory.mktemp("in_process")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["run", "random-labels", *TINY, "--set", "checkpoint_dir=off", "--out", str(root), "--json"]) == 0
    return json.loads(out.getvalue())


def test_a_local_process_pool_gives_the_same_numbers(in_process, tmp_path, capsys):
    pooled = _run(capsys, tmp_path, "--set", "checkpoint_dir=off", "--executor", "local", "--workers", "2")
    assert _numbers(pooled) == _numbers(in_process)
    assert pooled["metrics"]["epochs_to_fit_by_depth"].keys() == {"1", "2"}
    assert Path(pooled["run_dir"], "metrics.json").is_file()


@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install depthlab[ray]); Ray executor untested")
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="error")
    except Exception as error:  # a machine where Ray cannot start (no shared memory, sandbox)
        pytest.skip(f"Ray could not start here: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_gives_the_same_numbers_as_the_local_run(in_process, tmp_path, capsys, ray_instance):
    on_ray = _run(capsys, tmp_path, "--set", "checkpoint_dir=off", "--executor", "ray")
    assert _numbers(on_ray) == _numbers(in_process)


def test_groups_resume_from_their_checkpoints(in_process, tmp_path, capsys, monkeypatch):
    folder = tmp_path / "checkpoints"
    random_labels = experiments.get("random-labels")
    calls: list[dict] = []

    def run_group(config, group):
        calls.append(group)
        if group == {"depth": 2, "labels": "true", "seed_index": 0} and len(calls) <= 4:
            raise RuntimeError("node lost")
        return random_labels.groups.run(config, group)

    flaky = dataclasses.replace(random_labels, groups=dataclasses.replace(random_labels.groups, run=run_group))
    original = experiments.get
    monkeypatch.setattr(experiments, "get", lambda name: flaky if name == "random-labels" else original(name))
    argv = ["run", "random-labels", *TINY, "--set", f"checkpoint_dir={folder}", "--out", str(tmp_path / "runs"),
            "--executor", "local", "--workers", "1", "--json"]
    assert main(argv) == 1  # one group failed: no result, no run folder
    assert "failed: depth=2, labels=true, seed_index=0: RuntimeError: node lost" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
    assert {p.name for p in folder.iterdir()} == {"depth1-random-seed0.pt", "depth1-true-seed0.pt",
                                                 "depth2-random-seed0.pt"}
    trained: list[int] = []
    real_loop = loop._loop
    monkeypatch.setattr(loop, "_loop", lambda run, *a: (trained.append(1), real_loop(run, *a)))
    assert main(argv) == 0  # the rerun reads three finished groups back and trains only the fourth
    resumed = json.loads(capsys.readouterr().out)
    assert _numbers(resumed) == _numbers(in_process) and len(calls) == 8 and len(trained) == 1


def test_device_cpu_gives_the_numbers_of_the_default(in_process, tmp_path, capsys):
    on_cpu = _run(capsys, tmp_path, "--set", "checkpoint_dir=off", "--device", "cpu")
    config = json.loads((Path(on_cpu["run_dir"]) / "config.json").read_text())
    assert config["device"] == "cpu" and _numbers(on_cpu) == _numbers(in_process)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--executor", "ray", "--address", "127.0.0.1:1"], "--address '127.0.0.1:1': no Ray cluster answers there"),
        (["--executor", "ray", "--address", "nowhere"], "is not a Ray address; give host:port"),
        (["--workers", "2"], "--address and --workers go with --executor ray (or local)"),
        (["--executor", "local", "--workers", "0"], "The '--workers' option must be >= 1"),
    ],
)
def test_bad_executor_input_is_one_line_and_exit_2(extra, message, tmp_path, capsys):
    assert main(["run", "random-labels", *TINY, "--out", str(tmp_path), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not any(tmp_path.iterdir())


def test_without_cuda_device_cuda_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert main(["run", "random-labels", *TINY, "--out", str(tmp_path), "--device", "cuda"]) == 2
    assert capsys.readouterr().err == ("depthlab: error: --device cuda: CUDA is not available on this machine "
                                       "(torch.cuda.is_available() is False); use --device cpu\n")
    assert not any(tmp_path.iterdir())


def test_ray_not_installed_names_the_install_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    assert main(["run", "random-labels", *TINY, "--out", str(tmp_path), "--executor", "ray"]) == 2
    assert "pip install depthlab[ray]" in capsys.readouterr().err and not any(tmp_path.iterdir())


def test_experiments_without_groups_or_training_say_so(tmp_path, capsys):
    assert main(["run", "compose", "--quick", "--out", str(tmp_path), "--executor", "local"]) == 2
    err = capsys.readouterr().err
    assert "compose has none (experiments with groups: " in err
    groups = ("bottleneck", "capacity", "depth-efficiency", "multiplication", "random-labels", "regions-at-init",
              "resnet-depth", "smallest-network")
    assert all(name in err for name in groups)
    assert main(["run", "compose", "--quick", "--out", str(tmp_path), "--device", "cpu"]) == 2
    assert "compose trains no network" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_every_training_experiment_takes_a_device():
    training = {"bottleneck", "capacity", "depth-efficiency", "depth-sweep", "landscape", "memorize", "mimic",
                "mnist-entropy", "multiplication", "overparam-variance", "random-labels", "regions-at-init",
                "resnet-depth", "smallest-network", "width-profile"}
    with_device = {e.name for e in experiments.all_experiments() if "device" in e.keys}
    assert with_device == training


def test_resnet_depth_groups_on_a_pool_give_the_numbers_of_the_run(tmp_path, capsys):
    argv = ["run", "resnet-depth", "--quick", "--set", "checkpoint_dir=off", "--set", "steps=40", "--json"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main([*argv, "--out", str(tmp_path / "b"), "--executor", "local", "--workers", "2"]) == 0
    pooled = json.loads(capsys.readouterr().out)
    assert pooled["metrics"] == alone["metrics"] and "plain_loss_by_depth" in pooled["metrics"]


@pytest.mark.parametrize("name, settings, table", [
    ("regions-at-init", ["neurons=12,24", "depths=1,2", "n_seeds=2", "n_points=100", "n_lines=3", "train_steps=20"],
     "density"),
    ("multiplication", ["ns=2", "neurons=4,8", "n_seeds=2", "steps=40"], "trained"),
    ("depth-efficiency", ["ks=1,2", "budgets=25,61", "n_seeds=2", "steps=40"], "trained"),
    ("bottleneck", ["datasets=digits", "widths=2,8", "n_seeds=2", "steps=30", "hidden=16", "n_dim=300"],
     "accuracy_by_width"),
    ("smallest-network", ["datasets=digits", "n_train=600", "heldout_targets=0.85", "depths=1,2", "widths=2,8,32",
                          "n_seeds=2", "epochs=15", "mixture_components=3", "mixture_iter=10", "checkpoint_dir=off"],
     "cells"),
    ("capacity", ["label_classes=2", "budgets=60,120", "depths=1", "n_max=128", "steps=60", "checkpoint_dir=off",
                  "perceptron_weights=4,8", "perceptron_seeds=3", "memorize_n=40"], "largest_fit"),
])
def test_grid_experiments_on_a_pool_give_the_rows_of_the_run(name, settings, table, tmp_path, capsys):
    """Experiments whose work is one cell per grid point (`contracts.cell_groups`) spread the cells over workers and
    give the in-process run's rows: each cell keeps its derived seed wherever it runs."""
    argv = ["run", name, "--quick", *[a for s in settings for a in ("--set", s)], "--json"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main([*argv, "--out", str(tmp_path / "b"), "--executor", "local", "--workers", "2"]) == 0
    pooled = json.loads(capsys.readouterr().out)

    def untimed(document: dict) -> tuple[dict, list[dict]]:  # wall times differ between any two runs
        with open(Path(document["run_dir"]) / f"{table}.csv", newline="") as stream:
            rows = [{k: v for k, v in row.items() if "seconds" not in k} for row in csv.DictReader(stream)]
        return {k: v for k, v in document["metrics"].items() if "seconds" not in k}, rows

    assert untimed(pooled) == untimed(alone) and len(untimed(alone)[1]) > 3


def test_a_missing_data_set_asked_for_stops_a_pooled_run_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DEPTHLAB_DATA", raising=False)
    monkeypatch.setenv("DEPTHLAB_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    argv = ["run", "bottleneck", "--quick", "--set", "datasets=digits,mnist", "--out", str(tmp_path / "runs"),
            "--executor", "local", "--workers", "2"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "DEPTHLAB_DATA" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
