"""random-labels: the quick run (400 examples, the four Fig. 20.2 architectures); keys, values, verdicts, resume."""

from __future__ import annotations

import numpy as np
import pytest

from depthlab.experiments import get

EXPERIMENT = get("random-labels")



def test_metrics_keys_and_parameter_counts(run):
    config, result, _ = run
    m = result.metrics
    assert m["params_by_depth"] == {"1": 15208, "2": 15210, "3": 15235, "4": 15319}
    for key in ("epochs_to_fit_by_depth", "fit_by_depth", "epochs_to_fit_true_labels_by_depth"):
        assert set(m[key]) == {"1", "2", "3", "4"} and all(len(v) == config["n_seeds"] for v in m[key].values())
    for d, fits in m["fit_by_depth"].items():
        for fitted, epochs in zip(fits, m["epochs_to_fit_by_depth"][d]):
            assert fitted == (epochs is not None)
            assert epochs is None or 0 < epochs <= config["max_epochs"][int(d) - 1]
    assert set(m["model_epochs_per_second_by_depth"]) == {"1", "2", "3", "4"}
    assert all(r > 0 for r in m["model_epochs_per_second_by_depth"].values()) and m["projected_hours"] > 0
    table = result.tables["epochs_to_fit"]
    assert all(row["final_accuracy"] == 1.0 for row in table if row["fit"])
    assert m["final_accuracy_by_depth"] == {d: [r["final_accuracy"] for r in table
                                                if r["depth"] == int(d) and r["labels"] == "random"] for d in "1234"}


def test_epochs_to_fit_per_depth_with_intervals(run):
    config, result, _ = run
    m = result.metrics
    for d, epochs in m["epochs_to_fit_by_depth"].items():
        budget = config["max_epochs"][int(d) - 1]
        counted = [budget if e is None else e for e in epochs]  # an unfitted seed counts at its budget
        low, high = m["epochs_to_fit_ci_by_depth"][d]
        assert m["epochs_to_fit_mean_by_depth"][d] == pytest.approx(sum(counted) / len(counted))
        assert low <= m["epochs_to_fit_mean_by_depth"][d] <= high
        if len(set(counted)) > 1:  # n = 3 at 95%: t_2 s / sqrt(3) = 2.48 s exceeds any seed's distance to the mean
            assert low < min(counted) and high > max(counted)
    rows = {(r["depth"], r["labels"]): r for r in result.tables["summary"]}
    assert set(rows) == {(d, k) for d in (1, 2, 3, 4) for k in ("random", "true")}
    for (d, kind), row in rows.items():
        assert row["n_censored"] == row["n_seeds"] - row["n_fit"]
        if kind == "random":
            assert [row["ci_low"], row["ci_high"]] == m["epochs_to_fit_ci_by_depth"][str(d)]


def test_references_and_verdicts(run):
    _, result, _ = run
    verdicts = {ref.claim.split(" (")[0]: ref.verdict for ref in result.references}
    assert verdicts["Parameters of the 1-3 layer models"] == "reproduced"
    assert verdicts["Parameters of the 4-layer model"] == "differs"  # the seed's misprint
    deeper = [ref for ref in result.references if ref.claim.startswith("Deeper")][0]
    assert deeper.verdict in ("reproduced", "differs", "inconclusive") and "Mann-Whitney" in deeper.note
    assert "training_error" in result.figures


def test_rerun_resumes_from_the_checkpoints_with_the_same_numbers(run):
    config, result, folder = run
    names = {f"depth{d}-{kind}-seed{s}.pt" for d in (1, 2, 3, 4) for kind in ("random", "true") for s in range(3)}
    assert {p.name for p in folder.iterdir()} == names  # one checkpoint per group
    again = EXPERIMENT.run(config)
    for key in ("epochs_to_fit_by_depth", "epochs_to_fit_true_labels_by_depth", "fit_by_depth"):
        assert again.metrics[key] == result.metrics[key]


def test_lengths_must_pair_up():
    with pytest.raises(ValueError, match="one entry per architecture"):
        EXPERIMENT.run(EXPERIMENT.config(quick=True, depths=[1, 2], checkpoint_dir="off"))


def test_diverged_models_are_counted_and_named(run, divergence_counted):
    divergence_counted(run[1])


def _fit(history: list[tuple[int, float]], fitted_at: int | None, budget: int = 1000):
    """A stand-in FitResult: its accuracy history and, when it fit, the epoch it stopped at."""
    from types import SimpleNamespace

    steps, accuracies = zip(*history)
    return SimpleNamespace(history_steps=list(steps), accuracies=list(accuracies), diverged=False,
                           stop_reason="target_accuracy" if fitted_at else "steps",
                           steps_run=fitted_at or budget)


def test_epochs_are_compared_where_every_model_got_to_not_at_the_budgets():
    from depthlab.experiments.random_labels import _compared_epochs
    from depthlab.train.divergence import Split

    everyone = Split("all", ("", ""))
    fitted = {1: [_fit([(0, 0.1), (100, 0.99)], 150), _fit([(0, 0.1), (100, 0.995)], 120)],
              2: [_fit([(0, 0.1), (50, 0.99)], 60), _fit([(0, 0.1), (50, 0.98), (60, 0.99)], 70)]}
    level, epochs = _compared_epochs(fitted, {1: everyone, 2: everyone})
    assert level == 1.0 and epochs == {1: [150.0, 120.0], 2: [60.0, 70.0]}  # all fit: epochs to fit
    # the shallow ones ran out of budget at 99.8%: compared at 99%, never at the budgets
    censored = {1: [_fit([(0, 0.1), (400, 0.99), (900, 0.998)], None), _fit([(0, 0.1), (500, 0.99)], None)],
                2: fitted[2]}
    level, epochs = _compared_epochs(censored, {1: everyone, 2: everyone})
    assert level == 0.99 and epochs == {1: [400.0, 500.0], 2: [50.0, 60.0]}
    stuck = {1: [_fit([(0, 0.1), (900, 0.5)], None), fitted[1][1]], 2: fitted[2]}
    level, epochs = _compared_epochs(stuck, {1: everyone, 2: everyone})
    assert np.isnan(level) and epochs == {1: [], 2: []}  # no level in LEVELS that every model reached
    one_diverged = Split("depth 1", ("", "diverged"))  # a diverged model is left out before the levels
    level, _ = _compared_epochs(stuck | {1: [fitted[1][0], stuck[1][0]]}, {1: one_diverged, 2: everyone})
    assert level == 1.0


def test_a_run_where_not_all_fit_compares_at_a_common_accuracy():
    config = EXPERIMENT.config(quick=True, checkpoint_dir="off", depths=[1, 2], hidden_widths=[64, 32],
                               max_epochs=[400, 300], n_seeds=3, n_train=200, history_every=5)
    result = EXPERIMENT.run(config)
    m = result.metrics
    assert not any(m["fit_by_depth"]["2"])  # 96-98.5% after 300 epochs: the budget is too small
    [deeper] = [r for r in result.references if r.claim.startswith("Deeper")]
    level = m["compared_accuracy"]
    assert 0 < level < 1.0 and deeper.measured.startswith(f"not all fit; median epochs to {level:.0%}")
    for epochs in m["epochs_to_compared_accuracy_by_depth"].values():
        assert len(epochs) == 3 and all(e % 5 == 0 for e in epochs)  # history records, every 5 epochs
    assert "counting it at its budget would compare the budgets" in deeper.note
    [fits] = [r for r in result.references if r.claim.startswith("All models fit")]
    assert fits.verdict == "inconclusive"  # budgets smaller than the notebook's


@pytest.mark.parametrize("all_fit, full_budget, unfit_trained, verdict", [
    (True, True, 0, "reproduced"), (True, False, 0, "reproduced"),
    (False, True, 3, "differs"),  # the full run: 1-layer models that trained stopped at 99.8% within 500k epochs
    (False, True, 0, "inconclusive"),  # only diverged or stalled models did not fit
    (False, False, 3, "inconclusive"),  # a smaller budget than the notebook's
])
def test_all_fit_verdict(all_fit, full_budget, unfit_trained, verdict):
    from depthlab.experiments.random_labels import fit_verdict_for

    assert fit_verdict_for(all_fit, full_budget, unfit_trained) == verdict
