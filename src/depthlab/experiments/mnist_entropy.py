"""mnist-entropy (seed 001): how much information is in MNIST, and how many weights would hold it.

Measures the pixel entropy of binarized MNIST (both the "-p log2 p" sum the published 188.5 bits uses and
the proper binary entropy), turns the asker's "191 bits / 2 bits per neuron = ~95 neurons" into what
MacKay's capacity actually gives (2 bits per *weight*), counts the parameters of PyTorch's classic MNIST
example, and measures how the spread of final training loss across initializations changes with width.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from scipy.stats import spearmanr

from depthlab.data import DataNotFoundError, load_dataset, load_mnist
from depthlab.experiments import Experiment
from depthlab.info import pixel_entropy_bits
from depthlab.lab.progress import progress
from depthlab.lab.result import Reference, Result, verdict_close, verdict_holds
from depthlab.network import Network
from depthlab.train import fit

SOURCE = "seed 001_112537b05a81e3b4.txt (Q&A on MNIST's information content)"
BITS_PER_WEIGHT = 2.0  # MacKay, Information Theory, Inference and Learning Algorithms, ch. 40


def pytorch_example_net() -> torch.nn.Module:
    """PyTorch's classic MNIST example: conv 1-10 k5, conv 10-20 k5, fc 320-50, fc 50-10 (pooling, ReLU)."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 10, kernel_size=5), torch.nn.MaxPool2d(2), torch.nn.ReLU(),
        torch.nn.Conv2d(10, 20, kernel_size=5), torch.nn.Dropout2d(), torch.nn.MaxPool2d(2), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(320, 50), torch.nn.ReLU(), torch.nn.Dropout(), torch.nn.Linear(50, 10),
    )


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
    """Final training loss of D-w-10 MLPs over several seeds, per width."""
    ds = load_dataset(config["spread_dataset"], config["data_dir"], seed=config["seed"])
    rows = []
    for width in progress(config["widths"], desc="mnist-entropy loss spread", unit="width"):
        for offset in range(config["n_seeds"]):
            seed = config["seed"] + offset
            net = Network.random([ds.n_features, width, ds.n_classes], seed=seed)
            result = fit(net, ds.x, ds.y, loss="cross_entropy", optimizer="adam", lr=config["lr"],
                         steps=config["steps"], seed=seed)
            rows.append({"width": width, "seed": seed, "final_loss": result.final_loss})
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
    bits = measured_bits if measured_bits is not None else 191.0
    if measured_bits is None:
        notes.append("no MNIST files: the neuron arithmetic uses the published 191 bits")
    example_params = sum(p.numel() for p in pytorch_example_net().parameters())
    rows, spread_data = _loss_spread(config)
    stds = {w: float(np.std([r["final_loss"] for r in rows if r["width"] == w], ddof=1)) for w in config["widths"]}
    metrics: dict[str, Any] = {
        "pixel_entropy_bits": measured_bits,
        "pixel_entropy_bits_binary": entropy.get("train_binary", entropy.get("test_binary")),
        "neurons_estimate": bits / BITS_PER_WEIGHT,
        "implied_weights": bits / BITS_PER_WEIGHT,
        "implied_input_neurons": bits / BITS_PER_WEIGHT / 785,
        "pytorch_example_params": example_params,
        **{f"loss_std_w{w}": s for w, s in stds.items()},
    }
    return Result(
        metrics=metrics,
        references=_references(entropy, metrics, stds),
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


def _references(entropy: dict[str, float], metrics: dict[str, Any], stds: dict[int, float]) -> list[Reference]:
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
    refs.append(Reference(
        "The asker's estimate: 191 bits / 2 bits = about 95 neurons", SOURCE, 95.5, metrics["neurons_estimate"],
        verdict_close(95.5, metrics["neurons_estimate"], atol=1.5),
        "The division reproduces, but the unit is weights (MacKay: 2 bits per weight), not neurons.",
    ))
    refs.append(Reference(
        "PyTorch's classic MNIST example has 21,840 parameters", SOURCE, 21_840, metrics["pytorch_example_params"],
        verdict_close(21_840, metrics["pytorch_example_params"]), "counted on the torch.nn module built here",
    ))
    widths = list(stds)
    rho = float(spearmanr(widths, [stds[w] for w in widths]).statistic) if len(widths) > 2 else float("nan")
    falls = stds[widths[0]] > stds[widths[-1]] and rho < 0
    refs.append(Reference(
        "Small nets' final loss varies more across random initializations", SOURCE,
        "variance of final loss falls with width",
        f"std {stds[widths[0]]:.3g} at width {widths[0]} vs {stds[widths[-1]]:.3g} at width {widths[-1]}; "
        f"Spearman rho(width, std) = {rho:.2f}",
        verdict_holds(falls),
        "holds = std at the smallest width above that at the largest, and negative rank correlation",
    ))
    return refs


EXPERIMENT = Experiment(
    name="mnist-entropy",
    claim="MNIST's binarized pixels carry about 191 bits; at 2 bits per weight that is ~95 weights (not neurons).",
    source=SOURCE,
    defaults={
        "spread_dataset": "mnist1d",
        "widths": [2, 4, 8, 16, 32, 64],
        "n_seeds": 10,
        "steps": 2000,
        "lr": 0.01,
    },
    quick={"spread_dataset": "digits", "widths": [2, 8, 32], "n_seeds": 4, "steps": 100},
    run=run,
    order=21,
)
