"""overparam-variance: the quick run; keys, values against the per-seed table, verdict from the evidence."""

from __future__ import annotations

import numpy as np
import pytest

from depthlab.experiments import get

EXPERIMENT = get("overparam-variance")


@pytest.fixture(scope="module")
def run():
    config = EXPERIMENT.config(quick=True)
    return config, EXPERIMENT.run(config)


def test_metrics_match_the_per_seed_table(run):
    config, result = run
    m = result.metrics
    assert m["n_seeds"] == config["n_seeds"] >= 20
    rows = result.tables["final_loss_by_seed"]
    assert len(rows) == len(config["widths"]) * config["n_seeds"]
    for w in config["widths"]:
        losses = [r["final_loss"] for r in rows if r["width"] == w]
        assert m["loss_mean_by_width"][str(w)] == pytest.approx(np.mean(losses))
        assert m["loss_std_by_width"][str(w)] == pytest.approx(np.std(losses, ddof=1))
        assert 0 <= m["test_accuracy_mean_by_width"][str(w)] <= 1
    low, high = m["spread_rho_ci"]
    assert low <= m["spread_rho"] <= high or np.isclose(low, high)


def test_verdict_follows_the_interval(run):
    _, result = run
    (reference,) = result.references
    low, high = result.metrics["spread_rho_ci"]
    if high < 0:  # reproduced needs the interval below 0 and p <= 0.05 as well
        assert reference.verdict in ("reproduced", "inconclusive")
    else:
        assert reference.verdict == ("differs" if low > 0 else "inconclusive")
    assert "seeds resampled" in reference.note
    assert "loss_spread" in result.figures


def test_diverged_models_are_counted_and_named(run, divergence_counted):
    divergence_counted(run[1])
