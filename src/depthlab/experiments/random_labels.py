"""random-labels (Fig. 20.2, seed 002): MLPs of 1-4 hidden layers fit MNIST-1D with random labels; deeper ones
need fewer epochs.

The book's setup: 4,000 MNIST-1D training examples, labels drawn uniformly at random per example; hidden
layers 1 x 298, 2 x 100, 3 x 75, 4 x 63 (about 15,200 parameters each); He initialization as the notebook
does it (kaiming_uniform_ weights, zero biases); full-batch gradient descent, learning rate 0.0025, no
momentum, no regularization; each model runs until 100% training accuracy or the notebook's budget
(500,000 epochs for 1 layer, 200,000 for the others). The same architectures are also trained on the true
labels. Each (depth, label kind, seed) is one group (`depthlab.contracts.Groups`): one model trained by
`depthlab.train.replicates.epochs_to_fit` with its own checkpoint, so a rerun resumes and the harness can spread
the groups over processes or a Ray cluster; the hand-written training step gives a model the same numbers alone
as in any batch, so grouping never changes a result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from depthlab.architectures import mlp_params
from depthlab.checks import InputError
from depthlab.contracts import Experiment, Groups, Key, Reference, Result, keys, rules, verdict_holds
from depthlab.data import load_dataset, random_labels
from depthlab.evidence import RankCorrelation, rank_correlation, t_interval
from depthlab.seeds import derive_seed
from depthlab.train.checkpoint import checkpoint_folder
from depthlab.train.divergence import DivergenceLog, Split, compare_trained
from depthlab.train.replicates import epochs_to_accuracy, epochs_to_fit

SOURCE = "Prince, Understanding Deep Learning, Fig. 20.2 (seed 002_53d51d408c58c4ad.txt)"
PUBLISHED_PARAMS = {1: 15208, 2: 15210, 3: 15235, 4: 15139}  # as printed; 15,139 is a misprint of 15,319
KINDS = ("random", "true")


def _architectures(config: dict[str, Any], n_features: int, n_classes: int) -> dict[int, list[int]]:
    """depth -> widths [40, D, ..., D, 10]; depths, hidden_widths and max_epochs pair up one to one."""
    lengths = {key: len(config[key]) for key in ("depths", "hidden_widths", "max_epochs")}
    if len(set(lengths.values())) != 1:
        raise InputError(f"The 'depths', 'hidden_widths' and 'max_epochs' config keys must have one entry per "
                         f"architecture. Got lengths {lengths}.")
    return {depth: [n_features, *[width] * depth, n_classes]
            for depth, width in zip(config["depths"], config["hidden_widths"])}


def _dataset(config: dict[str, Any]):
    """The MNIST-1D set of the config (`make_mnist1d` generates it once per process for all the groups)."""
    return load_dataset("mnist1d", config["data_dir"], n_train=config["n_train"], n_test=config["n_test"],
                        seed=config["data_seed"])


def _groups(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One group per (depth, label kind, seed index): one model, trained and checkpointed on its own."""
    _architectures(config, 1, 1)  # the lengths pair up, before any work
    return [{"depth": d, "labels": kind, "seed_index": s}
            for d in config["depths"] for kind in KINDS for s in range(config["n_seeds"])]


def _labels(ds, config: dict[str, Any], kind: str, seed_index: int) -> torch.Tensor:
    """(N,) labels: random ones (one label set per seed index, shared by every depth) or the true ones."""
    if kind == "true":
        return ds.y
    return random_labels(ds, seed=derive_seed(config["seed"], "labels", seed_index)).y


def _run_group(config: dict[str, Any], group: dict[str, Any]) -> dict[str, Any]:
    """Train one model of one depth on one label set until 100% training accuracy or its budget (resumable)."""
    ds = _dataset(config)
    depth, kind, s = group["depth"], group["labels"], group["seed_index"]
    widths = _architectures(config, ds.x.shape[1], ds.n_classes)[depth]
    folder = checkpoint_folder(config, "random-labels")
    [result] = epochs_to_fit(
        widths, ds.x, _labels(ds, config, kind, s)[None], [derive_seed(config["seed"], "init", depth, kind, s)],
        lr=config["lr"], max_epochs=dict(zip(config["depths"], config["max_epochs"]))[depth],
        history_every=config["history_every"], device=config["device"],
        checkpoint=None if folder is None else folder / f"depth{depth}-{kind}-seed{s}.pt",
        desc=f"random-labels depth {depth}, {kind} labels, seed {s}")
    return {"fit": result, "threads": torch.get_num_threads()}


def _epochs(results: list) -> list:
    """Epochs to 100% per seed (None where the budget ran out first)."""
    return [r.steps_run if r.stop_reason == "target_accuracy" else None for r in results]


def _timing(config: dict[str, Any], by_kind: dict[int, dict[str, list]]) -> dict[str, Any]:
    """Measured model-epochs per second per depth (every group of a depth together), and the hours the budgets
    would take at that speed, one model after another, nobody stopping early (an upper bound)."""
    budgets = dict(zip(config["depths"], config["max_epochs"]))
    rates = {}
    for d, kinds in by_kind.items():
        fits = [r for kind in KINDS for r in kinds[kind]]
        rates[d] = sum(r.steps_run for r in fits) / max(sum(r.seconds for r in fits), 1e-9)
    projected = sum(2 * config["n_seeds"] * budgets[d] / rates[d] for d in by_kind) / 3600
    return {"model_epochs_per_second_by_depth": {str(d): r for d, r in rates.items()}, "projected_hours": projected}


def _combine(config: dict[str, Any], groups: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> Result:
    """Epochs to fit per depth and seed, the verdicts and the figure, from every group's trained model."""
    ds = _dataset(config)
    architectures = _architectures(config, ds.x.shape[1], ds.n_classes)
    n = config["n_seeds"]
    found = {(g["depth"], g["labels"], g["seed_index"]): out["fit"] for g, out in zip(groups, outputs)}
    by_kind = {d: {kind: [found[d, kind, s] for s in range(n)] for kind in KINDS} for d in architectures}
    timing = _timing(config, by_kind)
    params = {d: mlp_params(widths[0], widths[1:-1], widths[-1]) for d, widths in architectures.items()}
    log = DivergenceLog()
    splits = {(d, kind): log.results(by_kind[d][kind], f"depth {d} {kind} labels") for d in architectures
              for kind in KINDS}
    metrics: dict[str, Any] = {
        "params_by_depth": {str(d): p for d, p in params.items()},
        "epochs_to_fit_by_depth": {str(d): _epochs(by_kind[d]["random"]) for d in architectures},
        "fit_by_depth": {str(d): [r.stop_reason == "target_accuracy" for r in by_kind[d]["random"]]
                         for d in architectures},
        "epochs_to_fit_true_labels_by_depth": {str(d): _epochs(by_kind[d]["true"]) for d in architectures},
        "n_seeds": n, "n_train": int(ds.x.shape[0]), **timing,
        "train_seconds": float(sum(out["fit"].seconds for out in outputs)), **log.metrics(),
    }
    budgets = dict(zip(config["depths"], config["max_epochs"]))
    spread = {(d, kind): _epochs_interval(by_kind[d][kind], budgets[d], config["confidence"])
              for d in architectures for kind in KINDS}
    metrics.update({
        "epochs_to_fit_mean_by_depth": {str(d): spread[d, "random"]["mean_epochs"] for d in architectures},
        "epochs_to_fit_ci_by_depth": {str(d): [spread[d, "random"]["ci_low"], spread[d, "random"]["ci_high"]]
                                      for d in architectures},
        "final_accuracy_by_depth": {str(d): [r.final_accuracy for r in by_kind[d]["random"]] for d in architectures},
    })
    evidence = _evidence(config, {d: by_kind[d]["random"] for d in architectures},
                         {d: splits[d, "random"] for d in architectures})
    metrics["compared_accuracy"] = evidence["level"]
    metrics["epochs_to_compared_accuracy_by_depth"] = {str(d): v for d, v in evidence["epochs"].items()}
    rows = [{"depth": d, "labels": kind, "seed_index": s, "params": params[d], "epochs_to_fit": e,
             "fit": r.stop_reason == "target_accuracy", "final_accuracy": r.final_accuracy, "final_loss": r.final_loss,
             "failure": splits[d, kind].failures[s]}
            for d in architectures for kind in KINDS
            for s, (r, e) in enumerate(zip(by_kind[d][kind], _epochs(by_kind[d][kind])))]
    return Result(
        metrics=metrics,
        references=_references(metrics, params, evidence, config),
        tables={"epochs_to_fit": rows, "summary": _summary(metrics, architectures, spread)},
        figures={"training_error": _figure(by_kind, config)},
        data=f"MNIST-1D (mnist1d generator, seed {config['data_seed']}): {ds.x.shape[0]} training examples of "
             f"{ds.x.shape[1]} features, labels uniformly random per example ({n} label sets) and the true labels",
        notes=_notes(config, timing, sorted({out["threads"] for out in outputs})) + log.notes(),
    )


GROUPS = Groups(split=_groups, run=_run_group, combine=_combine, desc="random-labels")


def run(config: dict[str, Any]) -> Result:
    """Train the Fig. 20.2 models on random and true labels, one group (depth, labels, seed) after another."""
    return GROUPS.run_all(config)


def _censored(values: list, budget: int) -> list[float]:
    """Epochs with unfitted runs counted at the budget (a lower bound on what they would need)."""
    return [float(budget if v is None else v) for v in values]


LEVELS = (1.0, 0.99, 0.98, 0.95, 0.9, 0.8)  # training accuracies a comparison of epochs may be made at


def _compared_epochs(results: dict[int, list], splits: dict[int, Split]) -> tuple[float, dict[int, list[float]]]:
    """The highest training accuracy in LEVELS that every model that trained reached at every depth, and each
    model's epochs to reach it (diverged models left out). At 1.0 these are the epochs to fit. A model that did not
    fit has no epochs to fit, and counting it at its budget would compare budgets (500,000 for 1 layer, 200,000 for
    the others), so the comparison moves to a level every model reached."""
    for level in LEVELS:
        values = {d: [epochs_to_accuracy(r, level) for r in splits[d].keep(rs)] for d, rs in results.items()}
        if all(v is not None for vs in values.values() for v in vs):
            return level, {d: [float(v) for v in vs] for d, vs in values.items()}
    return float("nan"), {d: [] for d in results}


def _evidence(config: dict[str, Any], results: dict[int, list], splits: dict[int, Split]) -> dict[str, Any]:
    """Epochs deepest vs shallowest and the trend over depths, over the random-label models that trained (a model
    that diverged is left out), at the highest accuracy every such model reached (`_compared_epochs`)."""
    depths = config["depths"]
    level, epochs = _compared_epochs(results, splits)
    options = {"confidence": config["confidence"], "seed": derive_seed(config["seed"], "bootstrap")}
    deepest, shallowest = max(depths), min(depths)
    everyone = {d: Split(f"depth {d}", ("",) * len(epochs[d])) for d in depths}  # the diverged are already out
    comparison = compare_trained(epochs[deepest], everyone[deepest], epochs[shallowest], everyone[shallowest],
                                 "less", **options)
    k = min(len(v) for v in epochs.values())  # seeds are exchangeable: the first k that trained at every depth
    trend = (rank_correlation(depths, np.array([epochs[d][:k] for d in depths]), **options) if k else
             RankCorrelation(float("nan"), float("nan"), float("nan"), 1.0, 0, 0, config["confidence"]))
    diverged = sum(s.n_failed for s in splits.values())
    unfit = sum(r.stop_reason != "target_accuracy" for d, rs in results.items() for r in splits[d].keep(rs))
    return {"comparison": comparison, "trend": trend, "deepest": deepest, "shallowest": shallowest,
            "diverged": diverged, "unfit_trained": unfit, "level": level, "epochs": epochs}


def fit_verdict_for(all_fit: bool, full_budget: bool, unfit_trained: int) -> str:
    """The verdict on "all models fit": reproduced when every model fit; differs when a model that trained (did not
    diverge or stall) did not fit within the notebook's budgets; else inconclusive (a smaller budget, or only models
    that failed to train did not fit: they say nothing about what the architecture can fit)."""
    if all_fit:
        return verdict_holds(True)
    return verdict_holds(False) if full_budget and unfit_trained else "inconclusive"


def _references(metrics: dict[str, Any], params: dict[int, int], evidence: dict[str, Any],
                config: dict[str, Any]) -> list[Reference]:
    shown = [d for d in PUBLISHED_PARAMS if d in params]
    all_fit = all(all(v) for v in metrics["fit_by_depth"].values())
    full_budget = config["max_epochs"] == [500000, 200000, 200000, 200000][: len(config["depths"])]
    fit_verdict = fit_verdict_for(all_fit, full_budget, evidence["unfit_trained"])
    comparison, trend, level = evidence["comparison"], evidence["trend"], evidence["level"]
    if level == 1.0:
        measured = "median epochs to fit " + ", ".join(
            f"depth {d}: {_median(metrics['epochs_to_fit_by_depth'][str(d)])}" for d in config["depths"])
        how = ("epochs to fit (every model that trained fit); runs that diverged are left out "
               f"({evidence['diverged']})")
    elif not np.isnan(level):
        measured = (f"not all fit; median epochs to {level:.0%} training accuracy "
                    + ", ".join(f"depth {d}: {np.median(v):.0f}" for d, v in evidence["epochs"].items()))
        how = (f"epochs to {level:.0%} training accuracy, the highest level in {list(LEVELS)} that every model that "
               "trained reached at every depth: a model that did not fit has no epochs to fit, and counting it at "
               "its budget would compare the budgets (500,000 vs 200,000); to the history's resolution of "
               f"{config['history_every']} epochs; diverged runs left out ({evidence['diverged']})")
    else:
        measured = "no accuracy level in " + f"{list(LEVELS)} was reached by every model"
        how = "nothing to compare"
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
            "differs when one that trained did not at the notebook's budgets "
            f"({evidence['unfit_trained']} did not); inconclusive when one did not within a smaller budget "
            f"({config['max_epochs']} epochs) or when only models that failed to train (diverged or stuck: "
            f"{evidence['diverged']}) did not",
        ),
        Reference(
            "Deeper models need fewer epochs to fit the random labels", SOURCE, "fewer epochs with depth",
            measured, comparison.verdict,
            f"depth {evidence['deepest']} vs depth {evidence['shallowest']}, {how}; over seeds (one-sided, less): "
            f"{comparison.summary()}. Trend over all depths: {trend.summary()} (verdict by it: "
            f"{trend.verdict_for(-1)}).",
        ),
    ]


def _median(values: list):
    fitted = [v for v in values if v is not None]
    return int(np.median(fitted)) if len(fitted) == len(values) and fitted else "not all fit"


def _epochs_interval(results: list, budget: int, confidence: float) -> dict[str, Any]:
    """Mean epochs to fit over the seeds that trained (a diverged one left out), with its Student-t interval; a seed
    that did not fit counts at its budget, so then the mean and interval are lower bounds (`n_censored` > 0)."""
    trained = [r for r in results if not r.diverged]
    values = _censored(_epochs(trained), budget)
    low, high = t_interval(values, confidence) if len(values) >= 2 else (float("nan"), float("nan"))
    return {"mean_epochs": float(np.mean(values)) if values else None, "ci_low": low, "ci_high": high,
            "n_censored": sum(r.stop_reason != "target_accuracy" for r in trained)}


def _summary(metrics: dict[str, Any], architectures: dict[int, list[int]],
             spread: dict[tuple[int, str], dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for d in architectures:
        for kind, key in (("random", "epochs_to_fit_by_depth"), ("true", "epochs_to_fit_true_labels_by_depth")):
            values = [v for v in metrics[key][str(d)] if v is not None]
            rows.append({"depth": d, "labels": kind, "widths": "-".join(map(str, architectures[d])),
                         "params": metrics["params_by_depth"][str(d)], "n_fit": len(values),
                         "n_seeds": len(metrics[key][str(d)]),
                         "median_epochs": float(np.median(values)) if values else None,
                         "min_epochs": min(values) if values else None, "max_epochs": max(values) if values else None,
                         **spread[d, kind]})
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


def _notes(config: dict[str, Any], timing: dict[str, Any], threads: list[int]) -> list[str]:
    rates = ", ".join(f"depth {d}: {r:.0f}" for d, r in timing["model_epochs_per_second_by_depth"].items())
    notes = [
        f"Measured training speed, model-epochs per second ({config['device']}, {'/'.join(map(str, threads))} torch "
        f"thread(s) per group): {rates}; at that speed the configured budgets take at most "
        f"{timing['projected_hours']:.2f} h one model after another (models that fit stop early). Each (depth, "
        "labels, seed) is one group with its own checkpoint: `depthlab run random-labels --executor ray` or "
        "`--workers N` spreads them, with the same numbers.",
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
        "confidence": keys.confidence(),
        "checkpoint_dir": keys.checkpoint_dir(),
        "device": keys.device(),
    },
    run=run,
    order=60,
    groups=GROUPS,
)
