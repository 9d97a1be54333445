"""width-profile (seed 003): "width should grow with depth; even a single narrow layer makes training hard".

Deep ReLU MLPs on MNIST-1D, all at one parameter budget (`architectures.profile_widths`): constant width,
growing (a linear ramp from w to `ratio` w), shrinking (the reverse), and constant width with one narrow
layer of 2, 4 or 8 units in the middle or as the first hidden layer (near the input). Same He
initialization, optimizer, learning rate, mini-batches and step budget for all; the seeds of one profile
train together in one `fit_many` call, checkpointed so a rerun resumes. Each profile's sum_j 1/n_j (the
exponent of Hanin & Rolnick 2018's FM2) is reported next to its losses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab.architectures import mlp_params, profile_widths
from depthlab.contracts import Experiment, Key, Reference, Result, keys, rules
from depthlab.data import load_dataset
from depthlab.progress import progress
from depthlab.seeds import derive_seed
from depthlab.train import NetworkBatch, fit_many
from depthlab.train.checkpoint import checkpoint_folder
from depthlab.train.divergence import DivergenceLog, compare_trained, held_out_accuracy

SOURCE = "Lecture 4M, deep vs. shallow learning, slide 24 (seed 003_aa40f1eda924f9e5.txt); Hanin & Rolnick 2018"


def profiles(config: dict[str, Any], n_features: int, n_classes: int) -> dict[str, list[int]]:
    """Profile name -> hidden widths at the budget: constant, growing, shrinking, narrow<w>_<position>."""
    common = {"budget": config["budget"], "depth": config["depth"], "input_dim": n_features, "output_dim": n_classes}
    out = {name: profile_widths(profile=name, ratio=config["ratio"], **common)
           for name in ("constant", "growing", "shrinking")}
    for position in config["narrow_positions"]:
        for w in config["narrow_widths"]:
            out[f"narrow{w}_{position}"] = profile_widths(profile="narrow", narrow_width=w, narrow_position=position,
                                                          **common)
    return out


def _train(config: dict[str, Any], ds, shapes: dict[str, list[int]], log: DivergenceLog) -> dict[str, dict]:
    folder = checkpoint_folder(config, "width-profile")
    out = {}
    for name in progress(list(shapes), desc="width-profile", total=len(shapes), unit="profile"):
        seeds = [derive_seed(config["seed"], "init", name, s) for s in range(config["n_seeds"])]
        batch = NetworkBatch.random([ds.n_features, *shapes[name], ds.n_classes], seeds, init="he_normal")
        results = fit_many(
            batch, ds.x, ds.y, loss="cross_entropy", optimizer=config["optimizer"], lr=config["lr"],
            steps=config["steps"], batch_size=config["batch_size"], seed=derive_seed(config["seed"], "batches"),
            history_every=max(1, config["steps"] // 20), desc=f"profile {name}", device=config["device"],
            checkpoint=None if folder is None else folder / f"{name}.pt")
        split = log.results(results, f"profile {name}")
        out[name] = {"train_loss": [r.final_loss for r in results],
                     "test_accuracy": [held_out_accuracy(r, ds.x_test, ds.y_test) for r in results],
                     "curves": split.keep([(r.history_steps, r.losses) for r in results]), "split": split}
    return out


def run(config: dict[str, Any]) -> Result:
    """Train every profile at the budget over seeds; training loss, held-out accuracy, two verdicts."""
    ds = load_dataset("mnist1d", config["data_dir"], n_train=config["n_train"], n_test=config["n_test"],
                      seed=config["data_seed"])
    shapes = profiles(config, ds.n_features, ds.n_classes)
    log = DivergenceLog()
    measured = _train(config, ds, shapes, log)
    metrics: dict[str, Any] = {"n_seeds": config["n_seeds"], "budget": config["budget"], "depth": config["depth"]}
    for name, m in measured.items():
        metrics[f"{name}_train_loss"] = _median(m["split"].keep(m["train_loss"]))
        metrics[f"{name}_test_accuracy"] = _median(m["split"].keep(m["test_accuracy"]))
    metrics.update(log.metrics())
    rows = [{"profile": name, "seed_index": s, "widths": "-".join(map(str, shapes[name])),
             "params": mlp_params(ds.n_features, shapes[name], ds.n_classes),
             "sum_inverse_widths": sum(1 / w for w in shapes[name]), "train_loss": loss, "test_accuracy": acc,
             "failure": m["split"].failures[s]}
            for name, m in measured.items()
            for s, (loss, acc) in enumerate(zip(m["train_loss"], m["test_accuracy"]))]
    return Result(
        metrics=metrics,
        references=_references(measured, shapes, config),
        tables={"profiles": rows},
        figures={"training_loss": _figure(measured, config)},
        data=ds.describe(),
        notes=_notes(config, shapes, ds) + log.notes(),
    )


def _median(values: list[float]) -> float:
    """Median of the models that trained; NaN when none did."""
    return float(np.median(values)) if values else float("nan")


def _references(measured: dict, shapes: dict[str, list[int]], config: dict[str, Any]) -> list[Reference]:
    options = {"confidence": config["confidence"], "seed": derive_seed(config["seed"], "bootstrap")}
    loss = {name: m["train_loss"] for name, m in measured.items()}
    split = {name: m["split"] for name, m in measured.items()}

    def judge(a: str, b: str, alternative: str):
        return compare_trained(loss[a], split[a], loss[b], split[b], alternative, **options)

    grows = judge("growing", "shrinking", "less")
    versus_constant = judge("growing", "constant", "less")
    references = [Reference(
        "Width should grow with depth: a growing profile trains to a lower loss than a shrinking one at one budget",
        SOURCE, "width should grow with depth",
        f"median training loss growing {grows.median_a:.4g} vs shrinking {grows.median_b:.4g} "
        f"(constant {_median(split['constant'].keep(loss['constant'])):.4g})", grows.verdict,
        f"final training loss over seeds, one-sided (less): {grows.summary()}. Growing vs constant: "
        f"{versus_constant.verdict} ({versus_constant.summary()}). Ramp ratio {config['ratio']}; widths "
        f"growing {shapes['growing']}, shrinking {shapes['shrinking']}.",
    )]
    for name in (n for n in shapes if n.startswith("narrow")):
        hard = judge(name, "constant", "greater")
        references.append(Reference(
            f"A single narrow layer makes training hard: {name} ends at a higher training loss than constant width",
            SOURCE, "even a single narrow layer makes training hard",
            f"median training loss {hard.median_a:.4g} vs constant {hard.median_b:.4g}", hard.verdict,
            f"widths {shapes[name]} vs {shapes['constant']}; one-sided (greater): {hard.summary()}",
        ))
    return references


def _figure(measured: dict, config: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(8, 4.5))
    ax = figure.subplots()
    for name, m in measured.items():
        if not m["curves"]:  # every seed of this profile diverged: nothing to draw
            continue
        steps = m["curves"][0][0]
        ax.semilogy(steps, np.median([c[1] for c in m["curves"]], axis=0), label=name)
    ax.set(xlabel="step", ylabel="training loss (mini-batch, median over seeds)",
           title=f"MNIST-1D, depth {config['depth']}, budget {config['budget']:,} parameters")
    if ax.lines:
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "every model diverged", ha="center", va="center", transform=ax.transAxes)
    figure.tight_layout()
    return figure


def _notes(config: dict[str, Any], shapes: dict[str, list[int]], ds) -> list[str]:
    counts = ", ".join(f"{n}: {mlp_params(ds.n_features, w, ds.n_classes):,}" for n, w in shapes.items())
    notes = [
        f"Parameters per profile (budget {config['budget']:,}): {counts}.",
        "He-normal initialization, float32, one mini-batch order shared by all models; 'input' puts the narrow "
        "layer first (right after the input), 'middle' at hidden layer depth // 2.",
        "A narrow layer also limits what the net can express (a bottleneck); the verdicts are about the training loss "
        "reached under one step budget, not about what the architecture could fit.",
    ]
    if config["quick"]:
        notes.append("Quick size: a smaller net, budget, data set and step budget than the full run; same code.")
    return notes


EXPERIMENT = Experiment(
    name="width-profile",
    claim="At one parameter budget, deep MLPs whose width grows with depth train better than shrinking ones, and one "
          "narrow layer makes training hard.",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "depth": Key(12, rules.integer(2, 64), quick=8),
        "budget": Key(30000, rules.integer(100), quick=4000),
        "ratio": Key(4.0, rules.number(1, exclusive_minimum=True)),
        "narrow_widths": Key([2, 4, 8], rules.int_list(1, distinct=True), quick=[2]),
        "narrow_positions": Key(["middle", "input"], rules.choice_list(("input", "middle")), quick=["middle"]),
        "n_train": Key(4000, rules.integer(2), quick=400),
        "n_test": Key(1000, rules.integer(1), quick=200),
        "data_seed": Key(42, rules.integer(0)),
        "optimizer": keys.optimizer("adam"),
        "lr": keys.lr(1e-3, quick=3e-3),
        "steps": Key(3000, rules.integer(1), quick=200),
        "batch_size": Key(128, rules.integer(1), quick=100),
        "n_seeds": keys.n_seeds(3),
        "confidence": keys.confidence(),
        "checkpoint_dir": keys.checkpoint_dir(),
    },
    run=run,
    order=112,
)
