"""memorize-width at quick size: widths 4, 3, 2 (and 2c) fit every label in float64, the metric keys, the verdicts
recomputed from the tables, the float32 sweep, the MNIST-1D fallback and real MNIST."""

from __future__ import annotations

import pytest

from depthlab import experiments
from depthlab.contracts import verdict_holds
from depthlab.data import DataNotFoundError

VARIANT_KEYS = ("layers", "layers_builds", "layers_per_image", "params", "train_mse_float64", "max_abs_error_float64",
                "max_slope",
                "train_accuracy", "train_mse_float32", "train_mse_float32_ci", "train_mse_float32_builds",
                "train_accuracy_float32", "train_accuracy_float32_builds", "build_seconds", "build_seconds_ci")
SCHEME_KEYS = ("n_classes", "n_distinct", "hz_depth_bound", "relative_code_gap", "relative_boundary_gap",
               "code_error_float32", "n_boundary_gaps", "n_boundary_gaps_below_float32_error")
VARIANTS = ("4", "3", "2", "2c")


@pytest.fixture(scope="module")
def quick():
    experiment = experiments.get("memorize-width")
    config = experiment.config(quick=True)
    return config, experiment.run(config)


def test_metric_keys_are_the_public_contract(quick):
    config, result = quick
    m = result.metrics
    for scheme in ("mod3", "c10"):
        assert {f"{scheme}_{k}" for k in SCHEME_KEYS} <= set(m)
        assert {f"{scheme}_w{v}_{k}" for v in VARIANTS for k in VARIANT_KEYS} <= set(m)
    assert {f"sweep_w{v}_float32_{k}" for v in VARIANTS for k in ("fits_up_to_n", "fails_at_n")} <= set(m)
    assert m["n_train"] == config["n_train"] == 300 and m["n_builds"] == config["n_builds"] == 3
    assert m["variants"] == list(VARIANTS) and m["sweep_n"] == config["sweep_n"]
    assert all(len(m[f"mod3_w{v}_layers_builds"]) == 3 for v in VARIANTS)
    assert set(result.figures) == {"size_vs_n", "float32_vs_n"}


def test_every_width_fits_every_label_in_float64(quick):
    _, result = quick
    m = result.metrics
    for scheme in ("mod3", "c10"):
        for v in VARIANTS:
            assert m[f"{scheme}_w{v}_train_accuracy"] == 1.0
            assert m[f"{scheme}_w{v}_train_mse_float64"] <= 1e-18
        assert m[f"{scheme}_w2_max_abs_error_float64"] <= 1e-13  # a few ulps of the output scale, whatever the gaps
        low, high = m[f"{scheme}_w2_train_mse_float32_ci"]
        assert low <= m[f"{scheme}_w2_train_mse_float32"] <= high


def test_narrow_nets_trade_width_for_depth_as_designed(quick):
    _, result = quick
    rows = result.tables["builds"]
    by = {(r["labels"], r["width"], r["build"]): r for r in rows}
    for (scheme, width, build), r in by.items():
        assert r["layers"] <= r["hz_depth_bound"] == 2 * r["n_distinct"] + 4 * (3 if scheme == "mod3" else 10) - 1
        if width == "2":
            two_c, three, four = (by[(scheme, w, build)] for w in ("2c", "3", "4"))
            assert three["layers"] < r["layers"] < two_c["layers"] <= 2 * r["n_distinct"] + 1
            assert r["params"] < four["params"] and r["params"] < three["params"]
            assert abs(r["layers"] - four["layers"]) <= 2  # one layer per slope change vs one per op
            assert r["max_slope"] > 2 * four["max_slope"]  # a fold moves a code by up to 1.5 A over half a gap


def test_verdicts_are_computed_from_the_builds(quick):
    config, result = quick
    rows = result.tables["builds"]
    hz = next(r for r in result.references if "2N + 4M - 1" in r.claim)
    narrow = [r for r in rows if r["width"] in ("2", "2c")]
    assert len(narrow) == 2 * 2 * config["n_builds"]
    holds = all(r["accuracy_float64"] == 1.0 and r["layers"] <= r["hz_depth_bound"] for r in narrow)
    assert hz.verdict == verdict_holds(holds) == "reproduced"
    seed = next(r for r in result.references if "4 neurons wide" in r.claim)
    assert seed.verdict == "not comparable" and "10,000 MNIST" in seed.note  # quick: MNIST-1D, 300 points


def test_float32_sweep_says_where_each_width_stops_fitting(quick):
    config, result = quick
    m, rows = result.metrics, result.tables["sweep"]
    assert {r["n"] for r in rows} == set(config["sweep_n"])
    for v in VARIANTS:
        fitting = [n for n in sorted(config["sweep_n"])
                   if all(r["accuracy_float32"] == 1.0 for r in rows if r["n"] == n and r["width"] == v)]
        fails = [n for n in sorted(config["sweep_n"]) if n not in fitting]
        expected_upto = max([n for n in fitting if not fails or n < fails[0]], default=0)
        assert m[f"sweep_w{v}_float32_fits_up_to_n"] == expected_upto
        assert m[f"sweep_w{v}_float32_fails_at_n"] == (fails[0] if fails else -1)
        assert any(f"float32, width {v}:" in note for note in result.notes)
    headline = [r for r in rows if r["n"] == config["n_train"]]  # reused from the mod-3 builds, not rebuilt
    builds = [r for r in result.tables["builds"] if r["labels"] == "mod3"]
    assert sorted(r["layers"] for r in headline) == sorted(r["layers"] for r in builds)


def test_falls_back_to_mnist1d_without_mnist_files(offline, tmp_path):
    experiment = experiments.get("memorize-width")
    config = experiment.config(data_dir=str(tmp_path), n_train=80, n_builds=2, sweep_n=[40], widths=[2],
                               labels=["mod3"])  # full size: default MNIST
    result = experiment.run(config)
    assert any("MNIST-1D" in note for note in result.notes)
    assert result.metrics["n_train"] == 80 and result.metrics["mod3_w2_train_accuracy"] == 1.0
    assert "c10_w2_layers" not in result.metrics and "mod3_w4_layers" not in result.metrics
    assert [r.claim for r in result.references] == [
        "N distinct points in M classes are memorized by a ReLU net of width 2 and depth at most 2N + 4M - 1"]
    with pytest.raises(DataNotFoundError):
        experiment.run(experiment.config(quick=True, dataset="mnist", data_dir=str(tmp_path), n_train=50))


def test_real_mnist_few_hundred_images(data_dir):
    experiment = experiments.get("memorize-width")
    config = experiment.config(quick=True, dataset="mnist", data_dir=str(data_dir), n_train=200, n_builds=2,
                               sweep_n=[100, 200], labels=["mod3"])
    result = experiment.run(config)
    m = result.metrics
    assert m["n_train"] == 200 and "mnist" in result.data.lower()
    assert all(m[f"mod3_w{v}_train_accuracy"] == 1.0 for v in VARIANTS)


@pytest.mark.parametrize("key, value", [("widths", [5]), ("widths", [2, 2]), ("labels", ["mod4"]),
                                        ("n_builds", 1), ("sweep_labels", "c10")])
def test_bad_config_is_a_one_line_error(key, value):
    experiment = experiments.get("memorize-width")
    with pytest.raises(ValueError, match=f"The '{key}' config key must") as info:
        experiment.config(quick=True, **{key: value})
    assert "\n" not in str(info.value)
