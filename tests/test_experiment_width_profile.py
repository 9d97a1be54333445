"""width-profile: the quick run (constant, growing, shrinking and one narrow layer at one budget); keys, verdicts,
resume."""

from __future__ import annotations

import numpy as np
import pytest

from depthlab.architectures import mlp_params
from depthlab.evidence import compare
from depthlab.experiments import get
from depthlab.seeds import derive_seed

EXPERIMENT = get("width-profile")



def _per_seed(result, profile: str, key: str) -> list[float]:
    return [row[key] for row in result.tables["profiles"] if row["profile"] == profile]


def test_metrics_keys_widths_and_budget(run):
    config, result, _ = run
    names = ["constant", "growing", "shrinking", "narrow2_middle"]
    for name in names:
        assert result.metrics[f"{name}_train_loss"] == pytest.approx(np.median(_per_seed(result, name, "train_loss")))
        accuracy = result.metrics[f"{name}_test_accuracy"]
        assert 0 <= accuracy <= 1 and len(_per_seed(result, name, "test_accuracy")) == config["n_seeds"]
    widths = {row["profile"]: [int(w) for w in row["widths"].split("-")] for row in result.tables["profiles"]}
    assert set(widths) == set(names)
    for w in widths.values():
        assert len(w) == config["depth"] and mlp_params(40, w, 10) <= config["budget"]
    assert widths["growing"] == sorted(widths["growing"]) and widths["growing"][-1] > widths["growing"][0]
    assert widths["shrinking"] == sorted(widths["shrinking"], reverse=True)
    assert widths["narrow2_middle"][config["depth"] // 2] == 2


def test_verdicts_follow_the_comparisons_over_seeds(run):
    config, result, _ = run
    options = {"confidence": config["confidence"], "seed": derive_seed(config["seed"], "bootstrap")}
    loss = {name: _per_seed(result, name, "train_loss") for name in ("constant", "growing", "shrinking",
                                                                       "narrow2_middle")}
    grows, narrow = result.references
    assert grows.verdict == compare(loss["growing"], loss["shrinking"], "less", **options).verdict
    assert narrow.verdict == compare(loss["narrow2_middle"], loss["constant"], "greater", **options).verdict
    assert "Mann-Whitney" in grows.note and "narrow2_middle" in narrow.claim


def test_rerun_resumes_from_the_checkpoints_with_the_same_numbers(run):
    config, result, folder = run
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{n}.pt" for n in ("constant", "growing", "shrinking", "narrow2_middle"))
    again = EXPERIMENT.run(config)
    assert again.metrics == result.metrics
