"""bottleneck experiment: metrics keys, skipping of unavailable data, and the accuracy-vs-width sweep."""

from __future__ import annotations

import pytest

from depthlab.experiments import get
from depthlab.lab.result import VERDICTS


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("DEPTHLAB_OFFLINE", "1")
    monkeypatch.delenv("DEPTHLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tiny():
    experiment = get("bottleneck")
    config = experiment.config(
        quick=True, datasets=["digits", "mnist"], widths=[1, 16], steps=150, hidden=32, n_dim=600
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEPTHLAB_OFFLINE", "1")
        patch.delenv("DEPTHLAB_DATA", raising=False)
        patch.setenv("XDG_CACHE_HOME", "/nonexistent-depthlab-cache")
        return experiment.run(config)


def test_quick_config_needs_no_download():
    config = get("bottleneck").config(quick=True)
    assert set(config["datasets"]) <= {"mnist1d", "digits"}
    assert min(config["widths"]) == 1


def test_metrics_keys_and_ranges(tiny):
    keys = {"digits_pca90", "digits_twonn", "digits_mle", "digits_acc_plateau", "digits_width_to_95pct_plateau"}
    assert keys <= set(tiny.metrics)
    assert 1 <= tiny.metrics["digits_pca90"] <= 64
    assert 2 < tiny.metrics["digits_twonn"] < 30 and 2 < tiny.metrics["digits_mle"] < 30
    assert tiny.metrics["digits_width_to_95pct_plateau"] in (1, 16)


def test_missing_dataset_skipped_with_note(tiny):
    assert not any(key.startswith("mnist_") for key in tiny.metrics)
    assert any(note.startswith("mnist skipped") and "DEPTHLAB_DATA" in note for note in tiny.notes)


def test_width_one_bottleneck_loses_accuracy(tiny):
    rows = {row["width"]: row for row in tiny.tables["accuracy_by_width"]}
    assert set(rows) == {1, 16}
    assert rows[16]["test_accuracy"] > 0.8  # digits are easy with a 16-wide bottleneck
    assert rows[1]["test_accuracy"] < rows[16]["test_accuracy"] - 0.1  # one number cannot separate 10 classes
    assert tiny.metrics["digits_acc_plateau"] == max(r["test_accuracy"] for r in rows.values())


def test_reference_and_figure(tiny):
    (reference,) = tiny.references
    assert reference.verdict in VERDICTS and "digits" in reference.measured
    assert "accuracy_vs_width" in tiny.figures
    assert "digits" in tiny.data
