"""mnist-entropy experiment: the PyTorch example's size, the entropy figures, offline behaviour, loss spread."""

from __future__ import annotations

import pytest

from depthlab.experiments import get
from depthlab.info import pytorch_example_net

SMALL = {"widths": [2, 32], "n_seeds": 3, "steps": 60}


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("DEPTHLAB_OFFLINE", "1")
    monkeypatch.delenv("DEPTHLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_pytorch_example_has_21840_parameters():
    counts = [p.numel() for p in pytorch_example_net().parameters()]
    assert counts == [250, 10, 5000, 20, 16000, 50, 500, 10]
    assert sum(counts) == 21_840


def test_without_mnist_entropy_is_not_comparable(tmp_path, divergence_counted):
    experiment = get("mnist-entropy")
    result = experiment.run(experiment.config(quick=True, data_dir=str(tmp_path), **SMALL))
    assert result.metrics["pixel_entropy_bits"] is None
    assert result.metrics["neurons_estimate"] is None  # never the published 191 / 2 compared with 95.5
    assert result.metrics["pytorch_example_params"] == 21_840
    derived = [r for r in result.references if r.claim.startswith(("Pixel entropy", "The asker"))]
    assert [r.verdict for r in derived] == ["not comparable"] * 3
    spread = result.references[-1]
    assert spread.verdict in ("reproduced", "differs", "inconclusive") and "3 seeds per width" in spread.note
    assert {"loss_std_w2", "loss_std_w32"} <= set(result.metrics)
    assert all(result.metrics[k] >= 0 for k in ("loss_std_w2", "loss_std_w32"))
    divergence_counted(result)


def test_with_mnist_t10k_reproduces_188_5(data_dir):
    experiment = get("mnist-entropy")
    result = experiment.run(experiment.config(quick=True, data_dir=str(data_dir), **SMALL))
    assert result.metrics["pixel_entropy_bits"] == pytest.approx(188.5, abs=0.1)
    assert result.metrics["pixel_entropy_bits_binary"] > 300  # the binary entropy is a different quantity
    assert result.metrics["neurons_estimate"] == pytest.approx(result.metrics["pixel_entropy_bits"] / 2)
    t10k = next(r for r in result.references if r.claim.endswith("(t10k)"))
    assert t10k.verdict == "reproduced"
    asker = next(r for r in result.references if r.claim.startswith("The asker"))
    assert asker.verdict == "differs" and "weights" in asker.measured  # 2 bits per weight, not per neuron
    assert "loss_spread" in result.figures and len(result.tables["final_loss_by_seed"]) == 6
