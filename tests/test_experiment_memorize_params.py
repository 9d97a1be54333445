"""The memorize-params experiment at quick size: parameters against N for both memorizers, exponents and verdicts."""

from __future__ import annotations

import math

import pytest

from depthlab import experiments
from depthlab.data import DataNotFoundError
from depthlab.evidence import interval_verdict

EXPERIMENT = experiments.get("memorize-params")

KEYS = {
    "n_values", "n_builds", "n_classes", "lower_bound", "few_params", "few_params_builds", "seed_params",
    "seed_params_builds", "few_layers", "few_max_width", "seed_layers", "seed_width", "few_max_abs_error",
    "seed_max_abs_error", "few_train_accuracy", "seed_train_accuracy", "few_build_seconds", "seed_build_seconds",
    "few_groups", "few_mean_group_size", "few_word_bits", "few_words_per_group", "few_bits_per_param",
    "few_index_error_bound", "few_exponent", "few_exponent_low", "few_exponent_high", "few_exponent_decided",
    "few_beyond_input_exponent", "seed_exponent", "seed_beyond_input_exponent", "params_ratio_at_largest",
    "projection_n", "projection_params", "projection_local_exponent", "projection_word_share",
    "projection_index_error_bound", "projection_linear_takeover_n",
}


def _ref(result, start: str):
    return next(r for r in result.references if r.claim.startswith(start))


def test_metric_keys_are_the_public_contract(result):
    assert KEYS <= set(result.metrics)
    assert all(isinstance(v, (int, float, str, bool, list)) for v in result.metrics.values())
    m = result.metrics
    config = EXPERIMENT.config(quick=True)
    assert m["n_values"] == sorted(config["sizes"]) and m["n_builds"] == config["n_builds"] == 5
    assert [len(row) for row in m["few_params_builds"]] == [5] * len(m["n_values"])
    assert "c10_few_params" not in m  # quick size: labels mod 3 only


def test_both_memorizers_fit_every_label_when_run(result):
    m = result.metrics
    assert m["few_train_accuracy"] == [1.0] * 4 and m["seed_train_accuracy"] == [1.0] * 4
    assert m["few_max_abs_error"] == [0.0] * 4  # exact arithmetic
    assert max(m["seed_max_abs_error"]) < 1e-6  # the seed's interpolant: rounding of long sums
    assert m["seed_width"] == [4] * 4 and m["few_index_error_bound"] <= 0.125
    assert _ref(result, "one float64 ReLU network memorizes").verdict == "reproduced"


def test_fewer_parameters_than_the_seed_and_above_the_counting_bound(result):
    m = result.metrics
    for few, seed, bound in zip(m["few_params"], m["seed_params"], m["lower_bound"]):
        assert bound < few < seed
    assert m["params_ratio_at_largest"] == pytest.approx(m["seed_params"][-1] / m["few_params"][-1])
    assert m["few_exponent"] < m["seed_exponent"] and m["few_beyond_input_exponent"] < 1
    assert _ref(result, "no float64 network has fewer").verdict == "reproduced"


def test_verdicts_follow_the_exponent_intervals(result):
    m = result.metrics
    config = EXPERIMENT.config(quick=True)
    tol = config["sqrt_tolerance"]
    assert m["few_exponent_decided"] and m["few_exponent_low"] <= m["few_exponent"] <= m["few_exponent_high"]
    high, low = m["few_exponent_high"], m["few_exponent_low"]
    sub = "reproduced" if high < 1 else "differs" if low > 1 else "inconclusive"
    assert _ref(result, "sub-linear").verdict == sub == "reproduced"
    assert _ref(result, "O~(sqrt N)").verdict == interval_verdict(low, high, 0.5 - tol, 0.5 + tol)
    seed = _ref(result, "the seed's construction")
    assert seed.verdict == interval_verdict(m["seed_beyond_input_exponent_low"], m["seed_beyond_input_exponent_high"],
                                            1 - tol, 1 + tol)
    assert _ref(result, "O(N^(2/3))").verdict == "not comparable"
    assert any("extrapolation" in note and "error bound" in note for note in result.notes)
    assert all(len(row) == len(m["projection_n"]) for row in (m["projection_params"], m["projection_word_share"]))
    assert m["projection_linear_takeover_n"] > m["projection_n"][-1] or math.isinf(m["projection_linear_takeover_n"])


def test_table_and_figure(result):
    rows = result.tables["params"]
    assert len(rows) == 2 * 4 and {r["construction"] for r in rows} == {"few", "seed"}
    assert set(result.figures) == {"params_vs_n"}
    assert "mnist1d" in result.data.lower()


def test_ten_digits_and_too_few_builds_are_inconclusive():
    config = EXPERIMENT.config(quick=True, sizes=[20, 40, 60], n_builds=2, also_10_classes=True,
                               projection_sizes=[300])
    result = EXPERIMENT.run(config)
    m = result.metrics
    assert m["c10_n_classes"] == 10 and m["c10_few_train_accuracy"] == [1.0] * 3
    assert not m["few_exponent_decided"] and not m["c10_few_exponent_decided"]  # 3 sizes, 2 builds
    assert _ref(result, "sub-linear").verdict == "inconclusive"
    assert _ref(result, "sub-linear: parameters grow like N^a with a < 1 (ten digits)").verdict == "inconclusive"


def test_falls_back_to_mnist1d_without_mnist_files(offline, tmp_path):
    config = EXPERIMENT.config(data_dir=str(tmp_path), sizes=[20, 40], n_builds=1, also_10_classes=False,
                               projection_sizes=[100])  # full size: default MNIST
    result = EXPERIMENT.run(config)
    assert any("MNIST-1D" in note for note in result.notes) and result.metrics["few_train_accuracy"] == [1.0, 1.0]
    quick = EXPERIMENT.config(quick=True, dataset="mnist", data_dir=str(tmp_path), sizes=[20, 40])
    with pytest.raises(DataNotFoundError):
        EXPERIMENT.run(quick)  # asked for explicitly: no fallback


def test_real_mnist_few_hundred_images(data_dir):
    config = EXPERIMENT.config(quick=True, dataset="mnist", data_dir=str(data_dir), sizes=[100, 200], n_builds=1,
                               projection_sizes=[400])
    m = EXPERIMENT.run(config).metrics
    assert m["few_train_accuracy"] == [1.0, 1.0] and m["few_max_abs_error"] == [0.0, 0.0]
    assert m["few_params"][-1] < m["seed_params"][-1]


def test_bad_config_is_one_line():
    with pytest.raises(ValueError, match="'labels'.*mod3") as info:
        EXPERIMENT.config(quick=True, labels="mod4")
    assert "\n" not in str(info.value)
