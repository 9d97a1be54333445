"""Shared fixtures: the real data directory (DEPTHLAB_DATA or ../shared/data beside the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
# The suite's networks are small: one thread avoids oversubscription when CI (2 cores) or a busy
# machine runs other work beside it, and gives the same numbers run to run.
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The directory holding mnist/ and fashion-mnist/ IDX files; skips the test when absent."""
    path = Path(os.environ.get("DEPTHLAB_DATA", REPO.parent / "shared" / "data"))
    if not (path / "mnist").is_dir():
        pytest.skip(f"real data not found at {path}; set DEPTHLAB_DATA")
    return path


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No downloads, no DEPTHLAB_DATA, an empty cache: a test sees only the data it passes explicitly."""
    monkeypatch.setenv("DEPTHLAB_OFFLINE", "1")
    monkeypatch.delenv("DEPTHLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def result(request):
    """The --quick run of the test module's `EXPERIMENT`, computed once per module (the shared experiment fixture)."""
    experiment = request.module.EXPERIMENT
    return experiment.run(experiment.config(quick=True))


@pytest.fixture(scope="module")
def run(request, tmp_path_factory):
    """(config, Result, checkpoint folder) of the test module's `EXPERIMENT` at --quick size, checkpointing into a
    fresh folder: the shared fixture of the experiments that checkpoint."""
    experiment = request.module.EXPERIMENT
    folder = tmp_path_factory.mktemp("checkpoints")
    config = experiment.config(quick=True, checkpoint_dir=str(folder))
    return config, experiment.run(config), folder
