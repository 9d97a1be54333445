"""random-labels (Fig. 20.2, seed 002): MLPs of 1-4 hidden layers fit MNIST-1D with random labels; deeper ones
need fewer epochs.

The book's setup: 4,000 MNIST-1D training examples, labels drawn uniformly at random per example; hidden
layers 1 x 298, 2 x 100, 3 x 75, 4 x 63 (about 15,200 parameters each); He initialization as the notebook
does it (kaiming_uniform_ weights, zero biases); full-batch gradient descent, learning rate 0.0025, no
momentum, no regularization; each model runs until 100% training accuracy or the notebook's budget
(500,000 epochs for 1 layer, 200,000 for the others). The same architectures are also trained on the true
labels. Every seed of one depth, random and true labels, trains together in one `fit_many` call
(`depthlab.train.replicates.epochs_to_fit`), checkpointed so a rerun resumes.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from depthlab.architectures import mlp_params
from depthlab.contracts import Experiment, Key, Reference, Result, keys, rules, verdict_holds
from depthlab.data import load_dataset, random_labels
from depthlab.evidence import compare, rank_correlation
from depthlab.seeds import derive_seed
from depthlab.train import NetworkBatch, fit_many
from depthlab.train.checkpoint import checkpoint_folder
from depthlab.train.replicates import epochs_to_fit

SOURCE = "Prince, Understanding Deep Learning, Fig. 20.2 (seed 002_53d51d408c58c4ad.txt)"
PUBLISHED_PARAMS = {1: 15208, 2: 15210, 3: 15235, 4: 15139}  # as printed; 15,139 is a misprint of 15,319
KINDS = ("random", "true")


def _architectures(config: dict[str, Any], n_features: int, n_classes: int) -> dict[int, list[int]]:
    """depth -> widths [40, D, ..., D, 10]; depths, hidden_widths and max_epochs pair up one to one."""
    lengths = {key: len(config[key]) for key in ("depths", "hidden_widths", "max_epochs")}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"The 'depths', 'hidden_widths' and 'max_epochs' config keys must have one entry per "
                         f"architecture. Got lengths {lengths}.")
    return {depth: [n_features, *[width] * depth, n_classes]
            for depth, width in zip(config["depths"], config["hidden_widths"])}


def _label_sets(ds, config: dict[str, Any]) -> torch.Tensor:
    """(2 S, N): S random label sets (one per seed index, shared by every depth), then S copies of the true ones."""
    n = config["n_seeds"]
    shuffled = [random_labels(ds, seed=derive_seed(config["seed"], "labels", s)).y for s in range(n)]
    return torch.stack(shuffled + [ds.y] * n)


def _probe(widths: list[int], x: torch.Tensor, labels: torch.Tensor, config: dict[str, Any]) -> float:
    """Measured full-batch steps per second for this depth's batch of models (timed on a few steps)."""
    batch = NetworkBatch.random(widths, list(range(labels.shape[0])), init="he_uniform")
    fit_many(batch, x, labels, loss="cross_entropy", optimizer="gd", lr=config["lr"], steps=2)  # warm-up
    started = time.perf_counter()
    fit_many(batch, x, labels, loss="cross_entropy", optimizer="gd", lr=config["lr"], steps=config["probe_steps"])
    return config["probe_steps"] / (time.perf_counter() - started)


def _train(config: dict[str, Any]) -> tuple[dict, dict, dict[str, Any], Any]:
    ds = load_dataset("mnist1d", config["data_dir"], n_train=config["n_train"], n_test=config["n_test"],
                      seed=config["data_seed"])
    architectures = _architectures(config, ds.x.shape[1], ds.n_classes)
    labels = _label_sets(ds, config)
    rates = {d: _probe(widths, ds.x, labels, config) for d, widths in architectures.items()}
    budgets = dict(zip(config["depths"], config["max_epochs"]))
    projected = sum(budgets[d] / rates[d] for d in architectures)
    print(f"random-labels: {labels.shape[0]} models x {ds.x.shape[0]} examples per depth; measured steps/s "
          + ", ".join(f"depth {d}: {r:.1f}" for d, r in rates.items())
          + f"; projected at most {projected / 3600:.2f} h for the configured budgets (less as models fit)",
          file=sys.stderr, flush=True)
    folder = checkpoint_folder(config, "random-labels")
    results = {}
    for depth, widths in architectures.items():
        seeds = [derive_seed(config["seed"], "init", depth, kind, s)
                 for kind in KINDS for s in range(config["n_seeds"])]
        results[depth] = epochs_to_fit(
            widths, ds.x, labels, seeds, lr=config["lr"], max_epochs=budgets[depth],
            history_every=config["history_every"], checkpoint=None if folder is None else folder / f"depth{depth}.pt",
            desc=f"random-labels depth {depth}")
    timing = {"steps_per_second_by_depth": {str(d): r for d, r in rates.items()}, "projected_hours": projected / 3600}
    return architectures, results, timing, ds


def _epochs(results: list) -> list:
    """Epochs to 100% per seed (None where the budget ran out first)."""
    return [r.steps_run if r.stop_reason == "target_accuracy" else None for r in results]


def _split(results: list, n: int) -> dict[str, list]:
    return {"random": results[:n], "true": results[n:]}


def run(config: dict[str, Any]) -> Result:
    """Train the four Fig. 20.2 models on random and true labels; epochs to fit per depth and seed."""
    architectures, results, timing, ds = _train(config)
    n = config["n_seeds"]
    by_kind = {d: _split(results[d], n) for d in architectures}
    params = {d: mlp_params(widths[0], widths[1:-1], widths[-1]) for d, widths in architectures.items()}
    metrics: dict[str, Any] = {
        "params_by_depth": {str(d): p for d, p in params.items()},
        "epochs_to_fit_by_depth": {str(d): _epochs(by_kind[d]["random"]) for d in architectures},
        "fit_by_depth": {str(d): [r.stop_reason == "target_accuracy" for r in by_kind[d]["random"]]
                         for d in architectures},
        "epochs_to_fit_true_labels_by_depth": {str(d): _epochs(by_kind[d]["true"]) for d in architectures},
        "n_seeds": n, "n_train": int(ds.x.shape[0]), **timing,
        "train_seconds": float(sum(results[d][0].seconds for d in architectures)),
    }
    evidence = _evidence(metrics, config)
    rows = [{"depth": d, "labels": kind, "seed_index": s, "params": params[d], "epochs_to_fit": e,
             "fit": r.stop_reason == "target_accuracy", "final_accuracy": r.final_accuracy, "final_loss": r.final_loss}
            for d in architectures for kind in KINDS
            for s, (r, e) in enumerate(zip(by_kind[d][kind], _epochs(by_kind[d][kind])))]
    return Result(
        metrics=metrics,
        references=_references(metrics, params, evidence, config),
        tables={"epochs_to_fit": rows, "summary": _summary(metrics, architectures)},
        figures={"training_error": _figure(by_kind, config)},
        data=f"MNIST-1D (mnist1d generator, seed {config['data_seed']}): {ds.x.shape[0]} training examples of "
             f"{ds.x.shape[1]} features, labels uniformly random per example ({n} label sets) and the true labels",
        notes=_notes(config, timing),
    )


def _censored(values: list, budget: int) -> list[float]:
    """Epochs with unfitted runs counted at the budget (a lower bound on what they would need)."""
    return [float(budget if v is None else v) for v in values]


def _evidence(metrics: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    depths = config["depths"]
    budgets = dict(zip(depths, config["max_epochs"]))
    epochs = {d: _censored(metrics["epochs_to_fit_by_depth"][str(d)], budgets[d]) for d in depths}
    options = {"confidence": config["confidence"], "seed": derive_seed(config["seed"], "bootstrap")}
    deepest, shallowest = max(depths), min(depths)
    comparison = compare(epochs[deepest], epochs[shallowest], "less", **options)
    trend = rank_correlation(depths, np.array([epochs[d] for d in depths]), **options)
    return {"comparison": comparison, "trend": trend, "deepest": deepest, "shallowest": shallowest}


def _references(metrics: dict[str, Any], params: dict[int, int], evidence: dict[str, Any],
                config: dict[str, Any]) -> list[Reference]:
    shown = [d for d in PUBLISHED_PARAMS if d in params]
    all_fit = all(all(v) for v in metrics["fit_by_depth"].values())
    full_budget = config["max_epochs"] == [500000, 200000, 200000, 200000][: len(config["depths"])]
    fit_verdict = verdict_holds(all_fit) if (all_fit or full_budget) else "inconclusive"
    medians = {d: _median(metrics["epochs_to_fit_by_depth"][str(d)]) for d in config["depths"]}
    comparison, trend = evidence["comparison"], evidence["trend"]
    return [
        Reference(
            "Parameters of the 1-3 layer models (298, 100, 75 hidden units per layer)", SOURCE,
            " / ".join(f"{PUBLISHED_PARAMS[d]:,}" for d in shown if d < 4),
            " / ".join(f"{params[d]:,}" for d in shown if d < 4),
            verdict_holds(all(params[d] == PUBLISHED_PARAMS[d] for d in shown if d < 4)),
            "counted with architectures.mlp_params for 40 inputs and 10 outputs (exact)",
        ),
        Reference(
            "Parameters of the 4-layer model (63 hidden units per layer)", SOURCE, "15,139",
            f"{params.get(4, 0):,}", verdict_holds(params.get(4) == PUBLISHED_PARAMS[4]),
            "the printed 15,139 is a misprint: 40-63-63-63-63-10 has (40+1)63 + 3 (63+1)63 + (63+1)10 = 15,319 "
            "parameters (digits swapped)",
        ),
        Reference(
            "All models fit the random labels (100% training accuracy)", SOURCE, "all fit",
            ", ".join(f"depth {d}: {sum(v)}/{len(v)} seeds" for d, v in metrics["fit_by_depth"].items()),
            fit_verdict,
            "reproduced when every seed of every depth reached 100% training accuracy within its budget; "
            "differs when one did not at the notebook's budgets; inconclusive when one did not within a smaller "
            f"budget ({config['max_epochs']} epochs)",
        ),
        Reference(
            "Deeper models need fewer epochs to fit the random labels", SOURCE, "fewer epochs with depth",
            "median epochs " + ", ".join(f"depth {d}: {medians[d]}" for d in config["depths"]),
            comparison.verdict,
            f"depth {evidence['deepest']} vs depth {evidence['shallowest']}, epochs over seeds (one-sided, less): "
            f"{comparison.summary()}. Trend over all depths: {trend.summary()} (verdict by it: "
            f"{trend.verdict_for(-1)}). Runs that did not fit are counted at their budget.",
        ),
    ]


def _median(values: list):
    fitted = [v for v in values if v is not None]
    return int(np.median(fitted)) if len(fitted) == len(values) and fitted else "not all fit"


def _summary(metrics: dict[str, Any], architectures: dict[int, list[int]]) -> list[dict[str, Any]]:
    rows = []
    for d in architectures:
        for kind, key in (("random", "epochs_to_fit_by_depth"), ("true", "epochs_to_fit_true_labels_by_depth")):
            values = [v for v in metrics[key][str(d)] if v is not None]
            rows.append({"depth": d, "labels": kind, "widths": "-".join(map(str, architectures[d])),
                         "params": metrics["params_by_depth"][str(d)], "n_fit": len(values),
                         "n_seeds": len(metrics[key][str(d)]),
                         "median_epochs": float(np.median(values)) if values else None,
                         "min_epochs": min(values) if values else None, "max_epochs": max(values) if values else None})
    return rows


def _figure(by_kind: dict[int, dict[str, list]], config: dict[str, Any]) -> Figure:
    """Percent training error vs epoch, one colour per depth (every seed drawn), as the book plots it."""
    figure = Figure(figsize=(12, 4.5))
    axes = figure.subplots(1, 2, sharey=True)
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    for ax, kind in zip(axes, KINDS):
        for i, (depth, kinds) in enumerate(by_kind.items()):
            for s, result in enumerate(kinds[kind]):
                epochs = [*result.history_steps, result.steps_run]
                error = [100 * (1 - a) for a in result.accuracies] + [100 * (1 - result.final_accuracy)]
                ax.plot(epochs, error, color=colours[i % len(colours)], lw=1,
                        label=f"{depth} layer{'s' if depth > 1 else ''}" if s == 0 else None)
        ax.set_xlabel("epoch")
        ax.set_title(f"{'random' if kind == 'random' else 'true'} labels")
        ax.set_ylim(0, 100)
        ax.legend()
    axes[0].set_ylabel("training error (%)")
    figure.suptitle(f"MNIST-1D, full-batch gradient descent, lr {config['lr']}")
    figure.tight_layout()
    return figure


def _notes(config: dict[str, Any], timing: dict[str, Any]) -> list[str]:
    rates = ", ".join(f"depth {d}: {r:.1f}" for d, r in timing["steps_per_second_by_depth"].items())
    notes = [
        f"Measured full-batch steps per second (all {2 * config['n_seeds']} models of a depth at once, "
        f"{torch.get_num_threads()} thread(s)): {rates}; projected at most {timing['projected_hours']:.2f} h for the "
        "budgets (models that fit stop early).",
        "Initialization: kaiming_uniform_ (U(-sqrt(6/fan_in), sqrt(6/fan_in))) weights, zero biases, as in the "
        "book's notebook; float32 as the notebook. One random label set per seed index, shared by every depth.",
        "Epochs to fit = full-batch updates until the training accuracy measured before an update is 100%.",
    ]
    if config["quick"]:
        notes.append(f"Quick size: {config['n_train']} examples, learning rate {config['lr']} (not 0.0025) and "
                     f"budgets {config['max_epochs']} epochs, so the run fits in under a minute; same code.")
    return notes


EXPERIMENT = Experiment(
    name="random-labels",
    claim="MLPs of 1-4 hidden layers fit 4,000 MNIST-1D examples with random labels by full-batch gradient descent; "
          "deeper ones need fewer epochs.",
    source=SOURCE,
    keys={
        "depths": Key([1, 2, 3, 4], rules.int_list(1, 12, distinct=True)),
        "hidden_widths": Key([298, 100, 75, 63], rules.int_list(1)),
        "n_train": Key(4000, rules.integer(2), quick=400),
        "n_test": Key(1000, rules.integer(1), quick=100),
        "data_seed": Key(42, rules.integer(0)),
        "lr": keys.lr(0.0025, quick=0.1),
        "max_epochs": Key([500000, 200000, 200000, 200000], rules.int_list(1), quick=[5000, 2000, 2000, 2000]),
        "n_seeds": keys.n_seeds(3),
        "history_every": Key(100, rules.integer(1), quick=10),
        "probe_steps": Key(20, rules.integer(1), quick=5),
        "confidence": keys.confidence(),
        "checkpoint_dir": keys.checkpoint_dir(),
    },
    run=run,
    order=60,
)
