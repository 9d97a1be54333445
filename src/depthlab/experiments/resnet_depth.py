"""resnet-depth (seeds 002, 003): plain MLPs get hard to fit beyond about 20 layers; residual MLPs do not.

Plain ReLU MLPs (K hidden layers of one width) and residual MLPs (an input projection, L blocks
h + s relu(Omega h + beta), an output projection; `depthlab.models.residual`) of the same width on MNIST-1D,
He-normal initialization, the same optimizer, learning rate, mini-batches and step budget for all. A
residual net with L blocks has exactly the parameters of a plain net with L + 1 hidden layers
(`architectures.residual_params`). Two residual variants: s = 1 (He et al.'s identity skip) and the scaled
one, s = 1/sqrt(L) (Hanin & Rolnick 2018: it keeps the activation length from growing with depth).
All seeds of one (variant, depth) train together in one `fit_many` call, checkpointed so a rerun resumes; each
(variant, depth) is one group (`depthlab.contracts.Groups`) that the harness can run anywhere.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab.architectures import mlp_params, residual_params
from depthlab.checks import InputError
from depthlab.contracts import Experiment, Groups, Key, Reference, Result, keys, rules
from depthlab.data import load_dataset
from depthlab.models.network import Network
from depthlab.models.residual import ResidualNetwork
from depthlab.seeds import derive_seed
from depthlab.train import fit_many
from depthlab.train.checkpoint import checkpoint_folder
from depthlab.train.divergence import DivergenceLog, compare_trained, held_out_accuracy

SOURCE = ("Lecture 4M, deep vs. shallow learning (seed 003_aa40f1eda924f9e5.txt: ResNets, Hanin & Rolnick 2018); "
          "seed 002_53d51d408c58c4ad.txt: 'Fitting of deep models seems to be easier up to about 20 layers'")
VARIANTS = ("plain", "residual", "scaled_residual")


def _model(variant: str, depth: int, d_in: int, d_out: int, config: dict[str, Any], seed: int):
    if variant == "plain":
        return Network.random([d_in, *[config["width"]] * depth, d_out], init="he_normal", seed=seed)
    return ResidualNetwork.random(d_in, config["width"], depth, d_out, init="he_normal", seed=seed,
                                  scaled=variant == "scaled_residual")


def _jobs(config: dict[str, Any]) -> list[tuple[str, int]]:
    depths = {"plain": config["plain_depths"], "residual": config["residual_depths"],
              "scaled_residual": config["residual_depths"] if config["scaled_residual"] else []}
    return [(variant, d) for variant in VARIANTS for d in depths[variant]]


def _dataset(config: dict[str, Any]):
    return load_dataset("mnist1d", config["data_dir"], n_train=config["n_train"], n_test=config["n_test"],
                        seed=config["data_seed"])


def _groups(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One group per (variant, depth): its seeds train together in one `fit_many` call, with one checkpoint."""
    if max(config["plain_depths"]) > max(config["residual_depths"]):
        raise InputError("The 'residual_depths' config key must reach at least the deepest of 'plain_depths'. "
                         f"Got {config['residual_depths']} vs {config['plain_depths']}.")
    return [{"variant": variant, "depth": depth} for variant, depth in _jobs(config)]


def _run_group(config: dict[str, Any], group: dict[str, Any]) -> dict[str, list]:
    """Final training loss and held-out accuracy per seed of one (variant, depth) (None where it diverged), and
    the fit results the divergence rule reads."""
    ds = _dataset(config)
    variant, depth = group["variant"], group["depth"]
    folder = checkpoint_folder(config, "resnet-depth")
    seeds = [derive_seed(config["seed"], "init", variant, depth, s) for s in range(config["n_seeds"])]
    nets = [_model(variant, depth, ds.n_features, ds.n_classes, config, s) for s in seeds]
    results = fit_many(
        nets, ds.x, ds.y, loss="cross_entropy", optimizer=config["optimizer"], lr=config["lr"],
        steps=config["steps"], batch_size=config["batch_size"], seed=derive_seed(config["seed"], "batches"),
        history_every=max(1, config["steps"] // 20), desc=f"{variant} depth {depth}", device=config["device"],
        checkpoint=None if folder is None else folder / f"{variant}{depth}.pt")
    losses = [r.final_loss if math.isfinite(r.final_loss) else None for r in results]
    accuracies = [held_out_accuracy(r, ds.x_test, ds.y_test) for r in results]
    return {"loss": losses, "accuracy": [a if math.isfinite(a) else None for a in accuracies], "results": results}


def _floats(values: list) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _median_trained(m: dict[str, Any], key: str = "loss") -> float:
    """Median over the seeds that trained; NaN when none did."""
    kept = [v for v in m["split"].keep(_floats(m[key])) if math.isfinite(v)]
    return float(np.median(kept)) if kept else math.nan


def max_trainable_depth(losses: dict[int, list], threshold: float) -> dict[str, Any]:
    """The deepest depth up to which every seed reaches the loss threshold, and whether the transition is decided.

    `losses` maps depth -> final training loss per seed (None = not finite). Decided when every seed reaches
    the threshold at every depth <= the returned one and no seed reaches it at the next depth (or no deeper
    depth was run). depth is None when some seed fails already at the shallowest depth.
    """
    depths = sorted(losses)
    reached = {d: [v is not None and v <= threshold for v in losses[d]] for d in depths}
    last = None
    for d in depths:
        if not all(reached[d]):
            break
        last = d
    following = [d for d in depths if last is None or d > last]
    decided = not following or not any(reached[following[0]])
    return {"depth": last, "decided": decided, "next_depth": following[0] if following else None}


def _combine(config: dict[str, Any], groups: list[dict[str, Any]], outputs: list[dict[str, list]]) -> Result:
    """Losses, accuracies, trainable depth and verdicts from every (variant, depth) group's output."""
    ds = _dataset(config)
    log = DivergenceLog()
    measured = {(g["variant"], g["depth"]): {"loss": out["loss"], "accuracy": out["accuracy"],
                                             "split": log.results(out["results"], f"{g['variant']} depth {g['depth']}")}
                for g, out in zip(groups, outputs)}
    metrics: dict[str, Any] = {"n_seeds": config["n_seeds"], "width": config["width"],
                               "loss_threshold": config["loss_threshold"], **log.metrics()}
    trainable = {}
    for variant in VARIANTS:
        depths = [d for v, d in measured if v == variant]
        if not depths:
            continue
        metrics[f"{variant}_loss_by_depth"] = {str(d): measured[variant, d]["loss"] for d in depths}
        metrics[f"{variant}_accuracy_by_depth"] = {str(d): measured[variant, d]["accuracy"] for d in depths}
        trainable[variant] = max_trainable_depth({d: measured[variant, d]["loss"] for d in depths},
                                                 config["loss_threshold"])
        metrics[f"{variant}_max_trainable_depth"] = trainable[variant]["depth"]
    rows = [{"variant": v, "depth": d, "seed_index": s,
             "params": mlp_params(ds.n_features, [config["width"]] * d, ds.n_classes) if v == "plain"
             else residual_params(ds.n_features, config["width"], d, ds.n_classes),
             "train_loss": loss, "test_accuracy": acc, "failure": m["split"].failures[s]}
            for (v, d), m in measured.items() for s, (loss, acc) in enumerate(zip(m["loss"], m["accuracy"]))]
    return Result(
        metrics=metrics,
        references=_references(measured, trainable, config),
        tables={"losses": rows},
        figures={"loss_vs_depth": _figure(measured, config)},
        data=ds.describe(),
        notes=_notes(config) + log.notes(),
    )


GROUPS = Groups(split=_groups, run=_run_group, combine=_combine, desc="resnet-depth")


def run(config: dict[str, Any]) -> Result:
    """Train plain, residual and scaled residual MLPs at each depth, one group (variant, depth) after another."""
    return GROUPS.run_all(config)


def _deep_and_shallow(config: dict[str, Any]) -> tuple[int, int]:
    """The deepest plain depth and the deepest plain depth <= 20 (the lecture's easy range)."""
    plain = sorted(config["plain_depths"])
    easy = [d for d in plain if d <= 20] or plain[:1]
    return plain[-1], easy[-1]


def _references(measured: dict, trainable: dict[str, dict], config: dict[str, Any]) -> list[Reference]:
    options = {"confidence": config["confidence"], "seed": derive_seed(config["seed"], "bootstrap")}
    deep, easy = _deep_and_shallow(config)
    def judge(a: tuple[str, int], b: tuple[str, int], alternative: str):
        ma, mb = measured[a], measured[b]
        comparison = compare_trained(_floats(ma["loss"]), ma["split"], _floats(mb["loss"]), mb["split"], alternative,
                                     **options)
        failed = "; ".join(c for c in (ma["split"].count(), mb["split"].count()) if c)
        text = f"median loss {comparison.median_a:.4g} vs {comparison.median_b:.4g}" + (
            f" over the seeds that trained ({failed})" if failed else "")
        return comparison, text

    harder, harder_text = judge(("plain", deep), ("plain", easy), "greater")
    residual_better, residual_text = judge(("residual", deep), ("plain", deep), "less")
    plain = trainable["plain"]
    window = config["about_depth_window"]
    if plain["decided"] and plain["depth"] is not None and plain["next_depth"] is not None:
        about = "reproduced" if window[0] <= plain["depth"] <= window[1] else "differs"
    else:
        about = "inconclusive"
    threshold = config["loss_threshold"]
    references = [
        Reference(
            "Plain nets stop reaching the training-loss threshold at about 20 layers", SOURCE, "about 20 layers",
            f"every seed reaches loss <= {threshold} up to depth {plain['depth']}"
            + (f", not at {plain['next_depth']}" if plain["next_depth"] else ""),
            about,
            f"depths {sorted(config['plain_depths'])}, {config['n_seeds']} seeds, {config['steps']} "
            f"{config['optimizer']} steps at lr {config['lr']}: the deepest depth where every seed reaches the "
            f"threshold, decided when no seed reaches it at the next depth; reproduced when that depth is in "
            f"[{window[0]}, {window[1]}] ('about 20'), differs outside, inconclusive when seeds disagree at the "
            "transition or every depth reaches it. The "
            "depth depends on the width, step budget and learning rate (stated here).",
        ),
        Reference(
            f"Fitting gets harder with depth: plain depth {deep} ends at a higher training loss than depth {easy}",
            SOURCE, "harder beyond about 20 layers",
            harder_text, harder.verdict,
            f"final training loss over the seeds that trained (one-sided, greater): {harder.summary()}",
        ),
        Reference(
            f"Residual connections fix it: residual depth {deep} ends at a lower training loss than plain depth {deep}",
            SOURCE, "ResNets train deep",
            residual_text, residual_better.verdict,
            f"s = 1 (identity skip); one-sided, less, over the seeds that trained: {residual_better.summary()}",
        ),
    ]
    if config["scaled_residual"]:
        deepest = max(config["residual_depths"])
        scaled, scaled_text = judge(("scaled_residual", deepest), ("residual", deepest), "less")
        references.append(Reference(
            f"Scaled residual branches (s = 1/sqrt(L)) train at least as well at depth {deepest} as s = 1",
            "Hanin & Rolnick 2018 (FM1 in ResNets avoided by scaling the branches)", "scaled branches keep FM1 away",
            f"scaled vs s = 1: {scaled_text}", scaled.verdict,
            f"one-sided, less, over the seeds that trained: {scaled.summary()}. A residual net that diverged or "
            "ended no better than a constant predictor is left out, not counted as a loss",
        ))
    return references


def _figure(measured: dict, config: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(11, 4.2))
    axes = figure.subplots(1, 2)
    for variant in VARIANTS:
        depths = sorted(d for v, d in measured if v == variant)
        if not depths:
            continue
        loss = [_median_trained(measured[variant, d]) for d in depths]
        acc = [_median_trained(measured[variant, d], "accuracy") for d in depths]
        axes[0].loglog(depths, loss, "o-", label=variant)
        axes[1].semilogx(depths, acc, "o-", label=variant)
    axes[0].axhline(config["loss_threshold"], color="grey", ls="--", lw=1, label="threshold")
    axes[0].set(xlabel="depth (hidden layers / blocks)",
                ylabel="final training loss (median over the seeds that trained)")
    axes[1].set(xlabel="depth", ylabel="held-out accuracy (median)")
    for ax in axes:
        ax.legend()
    figure.suptitle(f"MNIST-1D, width {config['width']}, {config['steps']} {config['optimizer']} steps")
    figure.tight_layout()
    return figure


def _notes(config: dict[str, Any]) -> list[str]:
    notes = [
        "He-normal weights (variance 2 / fan-in), zero-mean biases as `init.init_layer` draws them, for every layer of "
        "every variant; float32 training; mini-batches drawn in one order shared by all models.",
        "A residual net with L blocks has the parameters of a plain net with L + 1 hidden layers; depth means hidden "
        "layers (plain) or blocks (residual).",
        "Scaled variant: branches multiplied by 1/sqrt(L) (not a zero-initialized last layer). A loss that is not "
        "finite (overflow) is reported as null; a seed that diverged or ended no better than a constant predictor "
        "counts as not reaching the threshold and is left out of the loss comparisons.",
    ]
    if config["quick"]:
        notes.append("Quick size: fewer depths, examples and steps than the full run; same code.")
    return notes


EXPERIMENT = Experiment(
    name="resnet-depth",
    claim="Plain MLPs stop reaching a training-loss threshold beyond about 20 layers under one optimizer and step "
          "budget; residual MLPs of the same width keep training to 200 blocks.",
    source=SOURCE,
    keys={
        "width": Key(64, rules.integer(1), quick=16),
        "plain_depths": Key([2, 5, 10, 20, 30, 50, 100], rules.int_list(1, distinct=True), quick=[2, 10, 30]),
        "residual_depths": Key([2, 5, 10, 20, 30, 50, 100, 200], rules.int_list(1, distinct=True), quick=[2, 10, 30]),
        "scaled_residual": Key(True, rules.boolean()),
        "n_train": Key(4000, rules.integer(2), quick=400),
        "n_test": Key(1000, rules.integer(1), quick=200),
        "data_seed": Key(42, rules.integer(0)),
        "optimizer": keys.optimizer("adam"),
        "lr": keys.lr(1e-3, quick=3e-3),
        "steps": Key(3000, rules.integer(1), quick=150),
        "batch_size": Key(128, rules.integer(1), quick=100),
        "n_seeds": keys.n_seeds(3),
        "loss_threshold": Key(0.5, rules.number(0, exclusive_minimum=True), quick=1.5),
        "about_depth_window": Key([10, 40], rules.interval()),
        "confidence": keys.confidence(),
        "checkpoint_dir": keys.checkpoint_dir(),
        "device": keys.device(),
    },
    run=run,
    order=110,
    groups=GROUPS,
)
