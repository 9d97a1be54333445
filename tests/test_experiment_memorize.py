"""The memorize experiment at quick size: exact fit as a network, honest float32 and held-out figures."""

from __future__ import annotations

import math

import pytest

from depthlab import experiments
from depthlab.data import DataNotFoundError
from depthlab.evidence import proportion_ci

KEYS = {
    "n_train", "n_classes", "width", "layers", "params", "min_code_gap", "train_mse_float64", "train_mse_float32",
    "train_accuracy", "test_accuracy", "baseline_test_accuracy", "build_seconds", "forward_seconds",
    "finetune_loss_before", "finetune_loss_after",
}


@pytest.fixture(scope="module")
def quick():
    experiment = experiments.get("memorize")
    config = experiment.config(quick=True)
    return config, experiment.run(config)


def test_metric_keys_are_the_public_contract(quick):
    _, result = quick
    assert KEYS <= set(result.metrics)
    c10 = {f"c10_{k}" for k in KEYS - {"n_train", "width", "finetune_loss_before", "finetune_loss_after"}}
    assert c10 <= set(result.metrics)
    assert all(isinstance(v, (int, float, str, bool, list)) for v in result.metrics.values())


def test_memorizer_fits_every_training_label_as_a_network(quick):
    config, result = quick
    m = result.metrics
    assert m["n_train"] == config["n_train"] and m["width"] == 4 and m["n_classes"] == 3
    assert m["train_accuracy"] == 1.0 and m["c10_train_accuracy"] == 1.0
    assert m["train_mse_float64"] <= 1e-12 and m["c10_train_mse_float64"] <= 1e-12
    assert 1 <= m["layers"] <= m["n_train"] and m["c10_layers"] <= m["n_train"]
    assert m["stack_vs_network_max_diff"] <= 1e-9
    assert m["min_code_gap"] > 0
    assert m["train_mse_float32"] >= 0 and math.isfinite(m["train_mse_float32"])


def test_memorizer_generalizes_worse_than_a_trained_mlp(quick):
    config, result = quick
    m = result.metrics
    assert 0.0 <= m["test_accuracy"] <= 1.0
    assert m["test_accuracy"] < m["baseline_test_accuracy"]
    low, high = proportion_ci(round(m["test_accuracy"] * m["n_test"]), m["n_test"])
    overfit = next(r for r in result.references if r.claim == "it overfits very hard")
    limit = m["chance_accuracy"] + config["near_chance"]
    assert overfit.verdict == ("reproduced" if high <= limit else "differs" if low > limit else "inconclusive")


def test_layers_are_reported_per_image_and_float32_over_builds(quick):
    config, result = quick
    m = result.metrics
    assert m["layers_per_image"] == pytest.approx(m["layers"] / m["n_train"]) and m["layers_per_image"] <= 1
    assert len(m["train_mse_float32_builds"]) == config["n_builds"] == 3
    assert m["train_mse_float32_builds"][0] == m["train_mse_float32"]
    c10 = next(r for r in result.references if "0-9" in r.claim)
    assert "predicting the training mean" in c10.note and "random class" in c10.note
    assert 0 < m["c10_mean_predictor_test_mse"] < m["c10_random_guess_test_mse"]


def test_float32_is_a_first_class_row(quick):
    """memorize(dtype=float32), run as a torch module in float32: every label exactly, proven by the bound, in every
    build; the seed's construction in float32 gets a bound that holds and gives no guarantee."""
    config, result = quick
    m = result.metrics
    for prefix in ("", "c10_"):
        assert m[f"{prefix}float32_train_mse_builds"] == [0.0] * config["n_builds"]
        assert m[f"{prefix}float32_train_accuracy_builds"] == [1.0] * config["n_builds"]
        assert m[f"{prefix}float32_error_bound_builds"] == [0.0] * config["n_builds"]
        assert m[f"{prefix}float32_layers"] <= 3 * m["n_train"] and m[f"{prefix}float32_params"] > 0
    assert m["bound_holds_float32"] and m["error_bound_float32"] >= m["max_abs_error_float32"] > 0
    rows = [r for r in result.references if "float32" in r.claim and r.published == 1e-5]
    assert {r.verdict for r in rows} <= {"reproduced", "not comparable"} and len(rows) == 3
    ten = next(r for r in result.references if "ten digits memorized in float32" in r.claim)
    assert ten.verdict == "reproduced"
    bound = next(r for r in result.references if "rounding bound" in r.claim)
    assert bound.verdict == "reproduced"


def test_finetuning_finds_a_step_size_that_does_not_increase_training_loss(quick):
    config, result = quick
    m = result.metrics
    assert m["finetune_lr"] in config["finetune_lrs"]  # some step size on the grid kept the loss from rising
    assert m["finetune_loss_after"] <= m["finetune_loss_before"]
    claim = next(r for r in result.references if "fine-tuning" in r.claim)
    rose = not m["finetune_loss_after_largest_lr"] <= m["finetune_loss_before"]  # NaN counts as rising
    assert claim.verdict == ("differs" if rose else "reproduced")


def test_every_reference_has_a_verdict_and_the_exact_claims_hold(quick):
    _, result = quick
    assert len(result.references) >= 7
    by_claim = {r.claim: r for r in result.references}
    words = ("distinct codes", "zero training loss", "same function")
    exact = [r for c, r in by_claim.items() if any(w in c for w in words)]
    assert len(exact) == 3 and all(r.verdict == "reproduced" for r in exact)
    assert set(result.figures) == {"codes", "code_gaps", "float32_bound"}
    assert "mnist1d" in result.data.lower()


def test_falls_back_to_mnist1d_without_mnist_files(tmp_path, monkeypatch):
    monkeypatch.setenv("DEPTHLAB_OFFLINE", "1")
    monkeypatch.delenv("DEPTHLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    experiment = experiments.get("memorize")
    config = experiment.config(data_dir=str(tmp_path), n_train=120, n_test=60, also_10_classes=False,
                               baseline_steps=5, finetune_lrs=[1e-9], n_builds=1)  # full size: default MNIST
    result = experiment.run(config)
    assert any("MNIST-1D" in note and "mnist" in note for note in result.notes)
    assert result.metrics["n_train"] == 120 and result.metrics["train_accuracy"] == 1.0
    assert "c10_layers" not in result.metrics
    quick = experiment.config(quick=True, dataset="mnist", data_dir=str(tmp_path), n_train=120)
    with pytest.raises(DataNotFoundError, match="--data-dir DIR .* DEPTHLAB_DATA"):
        experiment.run(quick)  # asked for explicitly: no fallback


def test_real_mnist_few_hundred_images(data_dir):
    experiment = experiments.get("memorize")
    config = experiment.config(quick=True, dataset="mnist", data_dir=str(data_dir), n_train=300,
                               also_10_classes=False, baseline_steps=30)
    m = experiment.run(config).metrics
    assert m["n_train"] == 300 and m["train_accuracy"] == 1.0 and m["train_mse_float64"] <= 1e-12
    assert m["layers"] <= 300


def test_unknown_label_scheme_is_a_clear_error():
    experiment = experiments.get("memorize")
    with pytest.raises(ValueError, match="'labels'.*mod3"):
        experiment.config(quick=True, labels="mod4", n_train=50)


def test_diverged_models_are_counted_and_named(quick, divergence_counted):
    divergence_counted(quick[1])
