"""resnet-depth: the quick run (plain, residual and scaled residual MLPs at three depths); keys, values, verdicts."""

from __future__ import annotations

import math

import pytest

from depthlab.evidence import compare
from depthlab.experiments import get
from depthlab.experiments.resnet_depth import DIVERGED, max_trainable_depth
from depthlab.seeds import derive_seed

EXPERIMENT = get("resnet-depth")



def test_metrics_keys_and_values(run):
    config, result, folder = run
    m = result.metrics
    for variant, depths in (("plain", config["plain_depths"]), ("residual", config["residual_depths"]),
                            ("scaled_residual", config["residual_depths"])):
        assert set(m[f"{variant}_loss_by_depth"]) == {str(d) for d in depths}
        for d in depths:
            losses = m[f"{variant}_loss_by_depth"][str(d)]
            accuracies = m[f"{variant}_accuracy_by_depth"][str(d)]
            assert len(losses) == config["n_seeds"]
            assert all(v is None or (math.isfinite(v) and v >= 0) for v in losses)
            assert all(a is None or 0 <= a <= 1 for a in accuracies)
    assert m["plain_max_trainable_depth"] == max_trainable_depth(
        {int(d): v for d, v in m["plain_loss_by_depth"].items()}, config["loss_threshold"])["depth"]
    assert len(list(folder.iterdir())) == 3 * len(config["plain_depths"])  # one checkpoint per (variant, depth)
    params = {(row["variant"], row["depth"]): row["params"] for row in result.tables["losses"]}
    assert params["residual", 10] == params["scaled_residual", 10] == 41 * 16 + 10 * 17 * 16 + 17 * 10


def test_verdicts_follow_the_comparisons_over_seeds(run):
    config, result, _ = run
    m = result.metrics
    counted = {key: [DIVERGED if v is None else v for v in values]
               for key, values in m["plain_loss_by_depth"].items()}
    options = {"confidence": config["confidence"], "seed": derive_seed(config["seed"], "bootstrap")}
    harder = compare(counted["30"], counted["10"], "greater", **options)
    refs = {ref.claim.split(":")[0]: ref for ref in result.references}
    assert refs["Fitting gets harder with depth"].verdict == harder.verdict
    residual = [DIVERGED if v is None else v for v in m["residual_loss_by_depth"]["30"]]
    assert refs["Residual connections fix it"].verdict == compare(residual, counted["30"], "less", **options).verdict
    about = [r for r in result.references if "about 20 layers" in r.claim][0]
    plain = max_trainable_depth({int(d): v for d, v in m["plain_loss_by_depth"].items()}, config["loss_threshold"])
    if not plain["decided"] or plain["next_depth"] is None:
        assert about.verdict == "inconclusive"
    else:
        assert about.verdict == ("reproduced" if 10 <= plain["depth"] <= 40 else "differs")


def test_max_trainable_depth_rule():
    losses = {2: [0.1, 0.2, 0.1], 10: [0.3, 0.4, 0.2], 30: [0.9, 1.2, None], 50: [0.2, 2.0, 3.0]}
    assert max_trainable_depth(losses, 0.5) == {"depth": 10, "decided": True, "next_depth": 30}
    mixed = {**losses, 30: [0.9, 0.4, 1.0]}
    assert max_trainable_depth(mixed, 0.5) == {"depth": 10, "decided": False, "next_depth": 30}
    assert max_trainable_depth({2: [0.9, 0.1, 0.1]}, 0.5)["depth"] is None
    assert max_trainable_depth({2: [0.1, 0.1, 0.1]}, 0.5) == {"depth": 2, "decided": True, "next_depth": None}


def test_bad_config_is_one_line():
    with pytest.raises(ValueError, match="'residual_depths' config key must reach"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, residual_depths=[2], checkpoint_dir="off"))
    with pytest.raises(ValueError, match="'loss_threshold' config key"):
        EXPERIMENT.config(quick=True, loss_threshold=0)
