"""mimic: the quick run (MNIST-1D; teachers, ensembles, mimic / direct / large mimic students); keys, verdicts."""

from __future__ import annotations

import pytest

from depthlab.architectures import mlp_params
from depthlab.evidence import compare
from depthlab.experiments import get
from depthlab.seeds import derive_seed

EXPERIMENT = get("mimic")
KINDS = ("teacher", "ensemble", "mimic", "direct", "mimic_large")



def test_metrics_keys_values_and_sizes(run):
    config, result, folder = run
    m = result.metrics
    for kind in KINDS:
        per_seed = m[f"mnist1d_{kind}_accuracy_by_seed"]
        assert len(per_seed) == config["n_seeds"] and all(0 <= a <= 1 for a in per_seed)
        assert m[f"mnist1d_{kind}_accuracy"] == sorted(per_seed)[len(per_seed) // 2]
        assert m[f"mnist1d_{kind}_accuracy"] > 0.1  # above chance (10 classes)
    params = m["mnist1d_params"]
    assert params["teacher"] == mlp_params(40, config["teacher_widths"], 10)
    assert params["teacher"] - 51 < params["student"] <= params["teacher"]  # within one hidden unit
    assert params["student_large"] <= config["large_factor"] * params["teacher"] < params["student_large"] + 51
    assert not any(key.startswith("fashion_mnist") for key in m)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"mnist1d_{s}.pt" for s in ("teachers", "mimic", "direct", "mimic_large"))


def test_verdicts_follow_the_comparisons_over_seeds(run):
    config, result, _ = run
    m = result.metrics
    options = {"confidence": config["confidence"], "seed": derive_seed(config["seed"], "bootstrap", "mnist1d")}
    refs = result.references
    assert refs[0].verdict == "not comparable" and "23.1%" in refs[0].published
    for ref, (a, b) in zip(refs[1:], (("mimic", "direct"), ("mimic_large", "mimic"), ("ensemble", "teacher"))):
        expected = compare(m[f"mnist1d_{a}_accuracy_by_seed"], m[f"mnist1d_{b}_accuracy_by_seed"], "greater",
                           **options)
        assert ref.verdict == expected.verdict and f"{a} " in ref.published


def test_fashion_mnist_subset_rule():
    with pytest.raises(ValueError, match="'fashion_mnist_n_train' config key"):
        EXPERIMENT.config(fashion_mnist_n_train=70000)
