"""overparam-variance (seed 001): small networks' final loss varies much more across initializations.

One-hidden-layer ReLU nets of widths from tiny to large are trained on MNIST-1D (true labels), many
initializations per width, all seeds of a width together (`depthlab.train.replicates.final_losses_by_width`).
The spread of the final training loss across seeds is measured per width, and the claim "spread falls as
width grows" is judged by the rank correlation of the per-width variance with width, with a bootstrap
interval that resamples seeds (`train.replicates.spread_trend`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab.contracts import Experiment, Key, Reference, Result, keys, rules
from depthlab.data import load_dataset
from depthlab.evidence import RankCorrelation
from depthlab.seeds import derive_seed
from depthlab.train.divergence import DivergenceLog, split_rows
from depthlab.train.replicates import final_losses_by_width, loss_spread_by_width, spread_trend

SOURCE = "seed 001_112537b05a81e3b4.txt (Q&A on MNIST's information content; after Karpathy's CS231n notes)"


def run(config: dict[str, Any]) -> Result:
    """Final training loss of D-w-10 nets over `n_seeds` seeds per width; spread vs width."""
    ds = load_dataset(config["dataset"], config["data_dir"], n_train=config["n_train"], n_test=config["n_test"],
                      seed=config["data_seed"])
    rows = final_losses_by_width(ds.x, ds.y, config["widths"], n_seeds=config["n_seeds"], seed=config["seed"],
                                 x_test=ds.x_test, y_test=ds.y_test, n_classes=ds.n_classes, lr=config["lr"],
                                 steps=config["steps"], batch_size=config["batch_size"] or None,
                                 device=config["device"])
    spread = loss_spread_by_width(rows)  # over the seeds that trained
    widths = sorted(spread)
    log = DivergenceLog()
    for w in widths:
        log.add(split_rows([r for r in rows if r["width"] == w], f"width {w}"))
    options = {"confidence": config["confidence"], "seed": derive_seed(config["seed"], "bootstrap")}
    trend, judged = spread_trend(rows, **options)
    relative, _ = spread_trend(rows, relative=True, **options)
    trained = [r for r in rows if not r["failure"]]
    metrics = {
        "loss_std_by_width": {str(w): spread[w]["std"] for w in widths},
        "loss_mean_by_width": {str(w): spread[w]["mean"] for w in widths},
        "test_accuracy_mean_by_width": {str(w): _mean([r["test_accuracy"] for r in trained if r["width"] == w])
                                        for w in widths},
        "n_seeds": config["n_seeds"], "spread_rho": trend.rho, "spread_rho_ci": [trend.ci_low, trend.ci_high],
        "loss_std_over_mean_by_width": {str(w): _ratio(spread[w]["std"], spread[w]["mean"]) for w in widths},
        "relative_spread_rho": relative.rho, "relative_spread_rho_ci": [relative.ci_low, relative.ci_high],
        **log.metrics(),
    }
    summary = [{"width": w, "params": next(r["params"] for r in rows if r["width"] == w), "n_seeds": spread[w]["n"],
                "mean_final_loss": spread[w]["mean"], "std_final_loss": spread[w]["std"],
                "std_over_mean": metrics["loss_std_over_mean_by_width"][str(w)],
                "mean_test_accuracy": metrics["test_accuracy_mean_by_width"][str(w)]} for w in widths]
    first, last = widths[0], widths[-1]
    reference = Reference(
        "The variance of the final loss across initializations falls as the network gets larger", SOURCE,
        "much more variance for small nets",
        f"std of final training loss {spread[first]['std']:.3g} at width {first} vs {spread[last]['std']:.3g} at "
        f"width {last}; Spearman rho(width, variance) = {trend.rho:.2f}",
        trend.verdict_for(-1),
        f"per-seed squared deviations from each width's mean, seeds resampled: {trend.summary()}; reproduced when "
        "the interval lies below 0 (and p <= 1 - confidence), differs when above, else inconclusive. Judged on the "
        f"seeds that trained: widths {judged} with {trend.n_replicates} seeds each"
        + (f" ({log.n_diverged} of {log.n_models} models diverged or did not train)" if log.n_diverged else ""),
    )
    return Result(
        metrics=metrics, references=[reference],
        tables={"final_loss_by_seed": rows, "loss_spread_by_width": summary},
        figures={"loss_spread": _figure(trained, spread)},
        data=f"{ds.name}: {ds.x.shape[0]} training examples ({ds.x.shape[1]} features, true labels), "
             f"{ds.x_test.shape[0]} held out",
        notes=_notes(config) + [_relative_note(relative)] + log.notes(),
    )


def _ratio(std: float, mean: float) -> float:
    return std / mean if mean > 0 else float("nan")


def _relative_note(relative: RankCorrelation) -> str:
    """What the spread does relative to the mean loss: the same rank test on (deviation / mean)^2."""
    direction = relative.verdict_for(-1)
    reading = {"reproduced": "falls with width as well, so the fall is more than a fall in level",
               "differs": "rises with width: the absolute spread falls because the loss itself falls"}.get(
        direction, "has no trend with width that the interval decides: the absolute fall may be a fall in level")
    return (f"Relative spread (std / mean of the final loss per width, loss_std_over_mean_by_width): the same rank "
            f"test on the per-seed squared relative deviations ((loss - mean) / mean)^2 gives {relative.summary()}; "
            f"relative to the mean the spread {reading}. The seed's claim is about the absolute spread, which the "
            "verdict judges.")


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def _figure(rows: list[dict[str, Any]], spread: dict[int, dict[str, Any]]) -> Figure:
    """Final training loss per seed (strip) and its std per width, log width."""
    figure = Figure(figsize=(11, 4.2))
    left, right = figure.subplots(1, 2)
    widths = sorted(spread)
    jitter = np.random.default_rng(0).uniform(-0.08, 0.08, len(rows))  # display only
    left.scatter([r["width"] * 2 ** j for r, j in zip(rows, jitter)], [r["final_loss"] for r in rows], s=10,
                 alpha=0.6)
    left.boxplot([[r["final_loss"] for r in rows if r["width"] == w] for w in widths], positions=widths,
                 widths=[0.3 * w for w in widths], showfliers=False)
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("hidden width")
    left.set_ylabel("final training loss (one dot per seed)")
    right.plot(widths, [spread[w]["std"] for w in widths], "o-")
    right.set_yscale("log")
    right.set_ylabel("std of final loss across seeds")
    figure.tight_layout()
    return figure


def _notes(config: dict[str, Any]) -> list[str]:
    batch = f"mini-batches of {config['batch_size']}" if config["batch_size"] else "full batch"
    notes = [f"Training: D-w-10 ReLU nets, He-normal init, Adam lr {config['lr']}, {config['steps']} steps, {batch}, "
             f"cross entropy, float32; {config['n_seeds']} initializations per width (derived seeds) trained together "
             "with fit_many.",
             "The spread statistic is the variance across seeds; its rank correlation with width is bootstrapped "
             "by resampling seeds. The mean loss falls with width too (wider nets fit better), so part of the fall "
             "in spread is a fall in level: std / mean is in the loss_spread_by_width table."]
    if config["quick"]:
        notes.append("Quick size: fewer examples, steps and seeds than the full run.")
    return notes


EXPERIMENT = Experiment(
    name="overparam-variance",
    claim="Small networks' final training loss varies much more across random initializations than large ones'.",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "dataset": Key("mnist1d", rules.choice("mnist1d", "digits", "mnist", "fashion-mnist")),
        "n_train": Key(4000, rules.integer(2), quick=500),
        "n_test": Key(1000, rules.integer(1), quick=200),
        "data_seed": Key(42, rules.integer(0)),
        "widths": Key([2, 4, 8, 16, 32, 64, 128, 256], rules.int_list(1, min_length=2), quick=[2, 4, 8, 16, 32, 64]),
        "n_seeds": keys.n_seeds(20, quick=20, minimum=2),
        "lr": keys.lr(0.01),
        "steps": Key(3000, rules.integer(0), quick=300),
        "batch_size": Key(0, rules.integer(0)),
        "confidence": keys.confidence(),
    },
    run=run,
    order=61,
)
