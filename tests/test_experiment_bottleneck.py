"""bottleneck experiment: metrics keys, skipping of unavailable data, and the accuracy-vs-width sweep."""

from __future__ import annotations

import pytest

from depthlab.data import DataNotFoundError
from depthlab.experiments import get

pytestmark = pytest.mark.usefixtures("offline")  # conftest: no downloads, no DEPTHLAB_DATA, an empty cache


@pytest.fixture(scope="module")
def tiny():
    experiment = get("bottleneck")
    config = experiment.config(quick=True, datasets=["digits"], widths=[1, 16], steps=150, hidden=32, n_dim=600)
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
    assert tiny.metrics["digits_width_to_95pct_plateau"] == 16  # one number cannot carry 95% of digits' accuracy
    assert tiny.metrics["n_seeds"] == 3


def test_missing_default_dataset_is_skipped_with_a_warning(capsys):
    experiment = get("bottleneck")
    config = experiment.config(widths=[4], steps=5, hidden=8, n_dim=300, n_train=300, n_test=50, n_seeds=1,
                               batch_size=64)  # full size: its default data sets include MNIST
    result = experiment.run(config)
    assert not any(key.startswith("mnist_") or key.startswith("fashion") for key in result.metrics)
    assert any(note.startswith("mnist skipped") and "DEPTHLAB_DATA" in note for note in result.notes)
    assert "depthlab: warning: bottleneck: mnist skipped" in capsys.readouterr().err


def test_explicitly_asked_missing_dataset_is_an_error():
    experiment = get("bottleneck")
    config = experiment.config(quick=True, datasets=["digits", "mnist"], widths=[4], steps=5)
    with pytest.raises(DataNotFoundError, match="--data-dir DIR .* DEPTHLAB_DATA .* cache directory"):
        experiment.run(config)


def test_width_one_bottleneck_loses_accuracy(tiny):
    rows = tiny.tables["accuracy_by_width"]
    assert {r["width"] for r in rows} == {1, 16} and len(rows) == 6
    wide = [r["test_accuracy"] for r in rows if r["width"] == 16]
    narrow = [r["test_accuracy"] for r in rows if r["width"] == 1]
    assert min(wide) > 0.8  # digits are easy with a 16-wide bottleneck
    assert max(narrow) < min(wide) - 0.1  # one number cannot separate 10 classes
    assert tiny.metrics["digits_acc_plateau"] == sorted(wide)[1]  # the median of 3 seeds


def test_reference_and_figure(tiny):
    (reference,) = tiny.references
    # digits' TwoNN m is about 9: no swept width between 1 and 16 except 1 itself, which failed or lost accuracy
    assert reference.verdict in ("reproduced", "inconclusive") and "digits" in reference.measured
    assert "Mann-Whitney" in reference.note or "no trainable swept width" in reference.note
    assert "accuracy_vs_width" in tiny.figures
    assert "digits" in tiny.data
