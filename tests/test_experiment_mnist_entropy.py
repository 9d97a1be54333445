"""mnist-entropy experiment: the PyTorch example's size, the entropy figures and every info quantity per data set,
the heatmap, offline behaviour, loss spread, bad input."""

from __future__ import annotations

import math

import pytest

from depthlab.experiments import get
from depthlab.info import pytorch_example_net
from depthlab.lab.cli import main

SMALL = {"widths": [2, 32], "n_seeds": 3, "steps": 60, "datasets": ["mnist", "mnist1d"], "mixture_components": 3,
         "mixture_train": 500, "mixture_heldout": 200, "mnist1d_n_train": 300, "mnist1d_n_test": 100}


pytestmark = pytest.mark.usefixtures("offline")  # conftest: no downloads, no DEPTHLAB_DATA, an empty cache


def test_pytorch_example_has_21840_parameters():
    counts = [p.numel() for p in pytorch_example_net().parameters()]
    assert counts == [250, 10, 5000, 20, 16000, 50, 500, 10]
    assert sum(counts) == 21_840


def test_without_mnist_entropy_is_not_comparable(tmp_path):
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


def test_every_quantity_on_mnist1d_without_idx_files(tmp_path):
    experiment = get("mnist-entropy")
    result = experiment.run(experiment.config(quick=True, data_dir=str(tmp_path), **SMALL))
    m = result.metrics
    assert m["mnist1d_split"] == "generated training set" and m["mnist1d_threshold"] == 0.0
    assert 0 < m["mnist1d_plogp_bits"] < m["mnist1d_independent_pixel_bits"] <= 40
    assert m["mnist1d_histogram_entropy_bits"] <= math.log2(40) + 1e-12
    low, high = m["mnist1d_mixture_bits_ci"]
    assert low <= m["mnist1d_mixture_bits_per_image"] <= high
    assert m["mnist1d_label_bits"] == pytest.approx(300 * math.log2(10))
    assert m["mnist1d_label_weights"] == pytest.approx(m["mnist1d_label_bits"] / 2)
    assert m["pytorch_example_capacity_bits"] == 43_680
    assert "mnist_plogp_bits" not in m and any("mnist: no IDX files" in n for n in result.notes)
    assert any("Which quantity bounds what" in n and "per image" in n.lower() for n in result.notes)
    heatmap = result.figures["pixel_probability"]
    assert heatmap.axes[0].images[0].get_array().shape == (1, 40)  # one row per MNIST-1D feature, with a colour bar
    assert len(heatmap.axes) == 2


def test_heatmap_and_quantities_on_the_real_splits(data_dir):
    experiment = get("mnist-entropy")
    result = experiment.run(experiment.config(quick=True, data_dir=str(data_dir),
                                              **{**SMALL, "datasets": ["mnist", "fashion-mnist", "mnist1d"]}))
    m = result.metrics
    assert m["mnist_split"] == "t10k" and m["mnist_n_images"] == 10_000  # MNIST here has only t10k
    assert m["fashion_mnist_split"] == "train" and m["fashion_mnist_n_images"] == 60_000
    assert m["mnist_plogp_bits"] == pytest.approx(188.55, abs=0.01) == m["pixel_entropy_bits"]
    assert m["mnist_histogram_entropy_bits"] < math.log2(784)
    for key in ("mnist", "fashion_mnist"):
        assert m[f"{key}_mixture_bits_per_image"] < m[f"{key}_independent_pixel_bits"]  # structure beyond pixels
    images = [ax.images[0].get_array().shape for ax in result.figures["pixel_probability"].axes if ax.images]
    assert images == [(28, 28), (28, 28), (1, 40)]
    histogram = next(r for r in result.references if "normalized pixel histogram" in r.claim)
    assert histogram.verdict == "differs" and "9.61" in histogram.note
    assert "mnist pixels: t10k (10,000)" in result.data and "fashion-mnist pixels: train (60,000)" in result.data


@pytest.mark.parametrize("setting, message", [
    ("mnist1d_threshold=9", "The 'threshold' parameter must be a number in the data's range"),
    ("threshold=1.5", "The 'threshold' config key must be a finite number >= 0.0 and <= 0.999"),
    ("mnist1d_n_train=0", "The 'mnist1d_n_train' config key must be an int >= 2"),
])
def test_bad_input_is_one_line_exit_2_no_run_folder(setting, message, tmp_path, capsys):
    argv = ["run", "mnist-entropy", "--quick", "--set", setting, "--set", "datasets=mnist1d",
            "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "r").exists()
