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


def test_relative_spread_is_measured_and_said(run):
    """std / mean per width, and the same rank test on relative deviations, stated in a note (not a verdict)."""
    _, result = run
    m = result.metrics
    for w, ratio in m["loss_std_over_mean_by_width"].items():
        assert ratio == pytest.approx(m["loss_std_by_width"][w] / m["loss_mean_by_width"][w])
    low, high = m["relative_spread_rho_ci"]
    assert -1 <= low <= high <= 1
    (note,) = [n for n in result.notes if n.startswith("Relative spread")]
    reading = "falls with width as well" if high < 0 else "rises with width" if low > 0 else "no trend"
    assert reading in note and f"rho {m['relative_spread_rho']:.3f}" in note
    assert [r["std_over_mean"] for r in result.tables["loss_spread_by_width"]] == pytest.approx(
        list(m["loss_std_over_mean_by_width"].values()))

