"""mnist-entropy (seed 001): how much information is in MNIST, and how many weights would hold it.

Measures the pixel entropy of binarized MNIST (both the "-p log2 p" sum the published 188.5 bits uses and
the proper binary entropy), turns the asker's "191 bits / 2 bits per neuron = ~95 neurons" into what
MacKay's capacity actually gives (2 bits per *weight*), counts the parameters of PyTorch's classic MNIST
example, and measures how the spread of final training loss across initializations changes with width.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab.contracts import Experiment, Key, Reference, Result, keys, rules, verdict_close
from depthlab.data import DATASETS, DataNotFoundError, load_dataset, load_mnist
from depthlab.evidence import rank_correlation
from depthlab.info import capacity_weights, pixel_entropy_bits, pytorch_example_net
from depthlab.seeds import derive_seed
from depthlab.train import final_losses_by_width

SOURCE = "seed 001_112537b05a81e3b4.txt (Q&A on MNIST's information content)"


def _entropies(config: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    """Pixel entropies (bits) of each available MNIST split, both variants; never downloads in quick runs."""
    found, notes = {}, []
    for split in ("test", "train"):
        try:
            images, _ = load_mnist(config["data_dir"], split=split, download=not config["quick"])
        except DataNotFoundError:
            notes.append(f"MNIST {split} split not available: its entropy is not measured")
            continue
        found[f"{split}_plogp"] = pixel_entropy_bits(images, 0.0, kind="plogp")
        found[f"{split}_binary"] = pixel_entropy_bits(images, 0.0, kind="binary")
        found[f"{split}_n"] = len(images)
    return found, notes


def _loss_spread(config: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Final training loss of D-w-C MLPs over several seeds per width (the overparam-variance library verb)."""
    ds = load_dataset(config["spread_dataset"], config["data_dir"], seed=config["seed"])
    rows = final_losses_by_width(ds.x, ds.y, config["widths"], n_seeds=config["n_seeds"], seed=config["seed"],
                                 n_classes=ds.n_classes, optimizer="adam", lr=config["lr"], steps=config["steps"],
                                 device=config["device"])
    return rows, ds.describe()


def _spread_figure(rows: list[dict[str, Any]], stds: dict[int, float]) -> Figure:
    figure = Figure(figsize=(9, 3.6))
    left, right = figure.subplots(1, 2)
    left.scatter([r["width"] for r in rows], [r["final_loss"] for r in rows], s=12)
    left.set_xscale("log", base=2)
    left.set_xlabel("hidden width")
    left.set_ylabel("final training loss (one dot per seed)")
    right.plot(list(stds), list(stds.values()), "o-")
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    right.set_xlabel("hidden width")
    right.set_ylabel("std of final loss across seeds")
    figure.suptitle("Small nets' final loss varies more across initializations?")
    return figure


def run(config: dict[str, Any]) -> Result:
    """Entropy, the neuron arithmetic, the PyTorch example's size, and loss spread vs width."""
    entropy, notes = _entropies(config)
    measured_bits = entropy.get("train_plogp", entropy.get("test_plogp"))
    if measured_bits is None:
        notes.append("no MNIST files: the entropy and every figure derived from it are not measured (not comparable)")
    example_params = sum(p.numel() for p in pytorch_example_net().parameters())
    rows, spread_data = _loss_spread(config)
    stds = {w: float(np.std([r["final_loss"] for r in rows if r["width"] == w], ddof=1)) for w in config["widths"]}
    metrics: dict[str, Any] = {
        "pixel_entropy_bits": measured_bits,
        "pixel_entropy_bits_binary": entropy.get("train_binary", entropy.get("test_binary")),
        "neurons_estimate": None if measured_bits is None else capacity_weights(measured_bits),
        "implied_weights": None if measured_bits is None else capacity_weights(measured_bits),
        "implied_input_neurons": None if measured_bits is None else capacity_weights(measured_bits) / 785,
        "n_seeds": config["n_seeds"],
        "pytorch_example_params": example_params,
        **{f"loss_std_w{w}": s for w, s in stds.items()},
    }
    return Result(
        metrics=metrics,
        references=_references(entropy, metrics, rows, config),
        tables={"final_loss_by_seed": rows, "loss_std_by_width": [{"width": w, "std": s} for w, s in stds.items()]},
        figures={"loss_spread": _spread_figure(rows, stds)},
        data=("MNIST " + ", ".join(f"{s} split ({entropy[s + '_n']:,} images)" for s in ("test", "train")
                                   if s + "_n" in entropy) + "; " if entropy else "no MNIST files; ")
        + f"loss spread on {spread_data}",
        notes=notes + [
            "Entropy is the sum over the 784 pixels of per-pixel entropies of 'pixel > 0' (pixels treated as "
            "independent, so it bounds the image entropy from above for the binary variant).",
            "MacKay's capacity is 2 bits per weight: 191 bits / 2 = ~95 weights, not ~95 neurons; a hidden unit "
            "reading all 784 pixels has 785 weights, so the same arithmetic gives about 0.12 such neurons. The "
            "bound also counts bits of a labelling of the training set, not pixel entropy, so the arithmetic "
            "mixes units twice.",
        ],
    )


def _references(entropy: dict[str, float], metrics: dict[str, Any], rows: list[dict[str, Any]],
                config: dict[str, Any]) -> list[Reference]:
    refs = []
    for split, published, label in (("train", 191.0, "training set, as stated"), ("test", 188.5, "t10k")):
        key = f"{split}_plogp"
        if key in entropy:
            measured = f"{entropy[key]:.2f} (-p log2 p); {entropy[split + '_binary']:.2f} (binary entropy)"
            verdict = verdict_close(published, entropy[key], atol=0.5)
            note = "Matches only as the sum of -p log2 p; the binary entropy (both terms) is far larger."
        else:
            measured, verdict, note = None, "not comparable", f"MNIST {split} split files not available"
        refs.append(Reference(f"Pixel entropy of binarized MNIST ({label})", SOURCE, published, measured,
                              verdict, note))
    weights = metrics["implied_weights"]
    refs.append(Reference(
        "The asker's estimate: 191 bits / 2 bits per neuron = about 95 neurons", SOURCE, "about 95 neurons",
        None if weights is None else f"{weights:.1f} weights = {metrics['implied_input_neurons']:.2f} neurons of 785 "
        "weights each",
        "not comparable" if weights is None else "differs",
        "MacKay's capacity is 2 bits per weight, not per neuron: the measured entropy / 2 counts weights; a hidden "
        "unit reading all 784 pixels has 785 of them. Without MNIST files nothing is measured (the published 191 "
        "bits is never divided and compared with its own quotient)." if weights is None else
        "MacKay's capacity is 2 bits per weight, not per neuron: the measured entropy / 2 counts weights; a hidden "
        "unit reading all 784 pixels has 785 of them, so the asker's unit is off by that factor.",
    ))
    refs.append(Reference(
        "PyTorch's classic MNIST example has 21,840 parameters", SOURCE, 21_840, metrics["pytorch_example_params"],
        verdict_close(21_840, metrics["pytorch_example_params"]), "counted on the torch.nn module built here",
    ))
    widths = sorted({r["width"] for r in rows})
    losses = [[r["final_loss"] for r in rows if r["width"] == w] for w in widths]  # (n_widths, n_seeds)
    trend = rank_correlation(widths, losses, confidence=config["confidence"], statistic="std",
                             seed=derive_seed(config["seed"], "bootstrap")) if config["n_seeds"] >= 3 else None
    spread = {w: float(np.std(v, ddof=1)) if len(v) > 1 else float("nan") for w, v in zip(widths, losses)}
    refs.append(Reference(
        "Small nets' final loss varies more across random initializations", SOURCE,
        "variance of final loss falls with width",
        f"std {spread[widths[0]]:.3g} at width {widths[0]} vs {spread[widths[-1]]:.3g} at width {widths[-1]}"
        + (f"; Spearman rho(width, std) = {trend.rho:.2f}" if trend else ""),
        trend.verdict_for(-1) if trend else "inconclusive",
        (f"{config['n_seeds']} seeds per width; {trend.summary()} (seeds resampled, std recomputed per resample); "
         "reproduced when rho < 0 with its interval below 0 and p <= 1 - confidence" if trend else
         "fewer than 3 seeds per width: no spread to correlate"),
    ))
    return refs


EXPERIMENT = Experiment(
    name="mnist-entropy",
    claim="MNIST's binarized pixels carry about 191 bits; at 2 bits per weight that is ~95 weights (not neurons).",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "spread_dataset": Key("mnist1d", rules.choice(*DATASETS), quick="digits"),
        "widths": Key([2, 4, 8, 16, 32, 64], rules.int_list(1, min_length=2, distinct=True), quick=[2, 4, 8, 32]),
        "n_seeds": keys.n_seeds(10, quick=5, minimum=2),
        "steps": Key(2000, rules.integer(0), quick=100),
        "lr": keys.lr(0.01),
        "confidence": keys.confidence(),
    },
    run=run,
    order=21,
)
