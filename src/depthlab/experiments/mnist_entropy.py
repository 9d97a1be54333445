"""mnist-entropy (seed 001): how much information is in MNIST, and how many weights would hold it.

Measures the pixel entropy of binarized MNIST (both the "-p log2 p" sum the published 188.5 bits uses and
the proper binary entropy), turns the asker's "191 bits / 2 bits per neuron = ~95 neurons" into what
MacKay's capacity actually gives (2 bits per *weight*), counts the parameters of PyTorch's classic MNIST
example, and measures how the spread of final training loss across initializations changes with width.

On MNIST, Fashion-MNIST and MNIST-1D (each binarized at its stated threshold) it also computes every
quantity of `depthlab.info`: the per-pixel on-probabilities (drawn as the asker's heatmap, on the training
split when its files exist, else t10k), the asker's -p log2 p sum, the normalized histogram's entropy, the
independent-pixel entropy, a Bernoulli mixture's held-out code length (an upper bound per image), the bits
of the labels, and the weights MacKay's 2 bits per weight would need for them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab.contracts import Experiment, Key, Reference, Result, keys, rules, verdict_close
from depthlab.data import DATASETS, DataNotFoundError, has_split, load_dataset, load_fashion_mnist, load_mnist
from depthlab.evidence import rank_correlation
from depthlab.info import (
    capacity_weights,
    empirical_label_bits,
    label_bits,
    mackay_capacity_bits,
    mixture_bound,
    pixel_entropy_bits,
    pixel_measures,
    pytorch_example_net,
)
from depthlab.seeds import derive_seed
from depthlab.train import final_losses_by_width
from depthlab.train.divergence import DivergenceLog, split_rows
from depthlab.train.replicates import trained_losses_by_width

SOURCE = "seed 001_112537b05a81e3b4.txt (Q&A on MNIST's information content)"
MEASURED_SETS: tuple[str, ...] = ("mnist", "fashion-mnist", "mnist1d")
BOUNDS_NOTE = (
    "Which quantity bounds what: per image, the independent-pixel entropy sum_i H(p_i) is an upper bound on the "
    "entropy of one binarized image and the mixture's held-out code length a tighter one (an estimate: cross "
    "entropy >= entropy); the asker's sum of -p log2 p drops the (1 - p) log2 (1 - p) terms and bounds nothing, "
    "and the normalized histogram's entropy (at most log2 784 = 9.6 bits) says where ink falls, not what an image "
    "holds. Per data set, storing N images would take about N times the per-image bound, while memorizing their "
    "labelling takes only N log2 C bits (N H(labels) empirically): MacKay's 2 bits per weight is a capacity for "
    "labels, not pixels, so it is the label bits that a network's weights would have to hold."
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


def metric_prefix(name: str) -> str:
    """Metrics prefix of a data set: "mnist", "fashion_mnist", "mnist1d"."""
    return name.replace("-", "_")


def _image_split(name: str, config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, str] | None:
    """(images (N, 784) in [0, 1], labels (N,), split) of the training split when its files exist, else t10k;
    None when neither is on disk (quick runs never download; full runs try to)."""
    loader = load_mnist if name == "mnist" else load_fashion_mnist
    split = "train" if has_split(name, "train", config["data_dir"]) else "test"
    if config["quick"] and not has_split(name, split, config["data_dir"]):
        return None
    try:
        images, labels = loader(config["data_dir"], split=split, download=not config["quick"])
    except DataNotFoundError:
        return None
    flat = images.reshape(len(images), -1).double().numpy() / 255.0
    return flat, labels.numpy(), "train" if split == "train" else "t10k"


def _mixture(name: str, config: dict[str, Any], threshold: float) -> Any:
    """The mixture bound fitted on the data set's training part, coded on its held-out part."""
    if name == "mnist1d":
        ds = load_dataset("mnist1d", n_train=config["mnist1d_n_train"], n_test=config["mnist1d_n_test"],
                          seed=config["seed"])
    else:
        ds = load_dataset(name, config["data_dir"])
    train = ds.x[: config["mixture_train"] or None]
    heldout = ds.x_test[: config["mixture_heldout"] or None]
    bound = mixture_bound(train, heldout, threshold, n_components=config["mixture_components"],
                          seed=derive_seed(config["seed"], "mixture", name) % 2**32, max_iter=config["mixture_iter"],
                          confidence=config["confidence"])
    return bound, ds.source


def _pixels(name: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """Pixel quantities and label bits of one data set's measured split; None when its files are absent."""
    if name == "mnist1d":
        ds = load_dataset("mnist1d", n_train=config["mnist1d_n_train"], n_test=config["mnist1d_n_test"],
                          seed=config["seed"])
        images, labels, split = ds.x.numpy(), ds.y.numpy(), "generated training set"
        threshold = config["mnist1d_threshold"]
    else:
        found = _image_split(name, config)
        if found is None:
            return None
        (images, labels, split), threshold = found, config["threshold"]
    pixels = pixel_measures(images, threshold)  # checks the threshold against the data's range first
    n, n_classes = len(labels), int(labels.max()) + 1
    balanced = label_bits(n, n_classes)
    return {"name": name, "split": split, "pixels": pixels, "n": n, "n_classes": n_classes, "label_bits": balanced,
            "empirical_label_bits": empirical_label_bits(labels), "label_weights": capacity_weights(balanced)}


def _measures_row(m: dict[str, Any]) -> dict[str, Any]:
    px, bound = m["pixels"], m["bound"]
    return {"dataset": m["name"], "split": m["split"], "n_images": m["n"], "pixels": px.p.size,
            "threshold": px.threshold, "plogp_sum_bits": px.plogp_sum_bits,
            "histogram_entropy_bits": px.histogram_entropy_bits, "independent_pixel_bits": px.independent_pixel_bits,
            "mixture_components": bound.n_components, "mixture_bits_per_image": bound.bits_per_image,
            "mixture_ci_low": bound.ci[0], "mixture_ci_high": bound.ci[1],
            "independent_heldout_bits_per_image": bound.independent_bits_per_image,
            "mixture_train": bound.n_train, "mixture_heldout": bound.n_heldout, "label_bits": m["label_bits"],
            "empirical_label_bits": m["empirical_label_bits"], "mackay_weights_for_labels": m["label_weights"]}


def _heatmap_figure(measured: list[dict[str, Any]]) -> Figure:
    """The asker's heatmap: per-pixel on-probability, 28 x 28 per image set (1 x 40 for MNIST-1D), colour bars."""
    figure = Figure(figsize=(4.6 * len(measured), 4.4))
    axes = np.atleast_1d(figure.subplots(1, len(measured)))
    for ax, m in zip(axes, measured):
        p = m["pixels"].p
        shape = (28, 28) if p.size == 784 else (1, p.size)
        image = ax.imshow(p.reshape(shape), cmap="viridis", vmin=0.0, vmax=1.0, aspect="equal" if p.size == 784
                          else "auto", interpolation="nearest")
        figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="P(pixel on)")
        ax.set_title(f"{m['name']}, {m['split']} ({m['n']:,}), > {m['pixels'].threshold:g}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.suptitle("Per-pixel probability of 'pixel on' (binarized at the stated threshold)")
    figure.tight_layout()
    return figure


def _measures(config: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every information quantity per data set: all thresholds are checked (pixel pass) before any mixture is fitted."""
    measured, notes = [], []
    for name in config["datasets"]:
        m = _pixels(name, config)
        if m is None:
            notes.append(f"{name}: no IDX files found (quick runs never download): its quantities are not measured")
            continue
        measured.append(m)
    for m in measured:
        m["bound"], m["mixture_source"] = _mixture(m["name"], config, m["pixels"].threshold)
    return measured, notes


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
    """Entropy, every information quantity per data set, the neuron arithmetic, the PyTorch example's size, and
    loss spread vs width."""
    measured, measure_notes = _measures(config)
    entropy, notes = _entropies(config)
    measured_bits = entropy.get("train_plogp", entropy.get("test_plogp"))
    if measured_bits is None:
        notes.append("no MNIST files: the entropy and every figure derived from it are not measured (not comparable)")
    example_params = sum(p.numel() for p in pytorch_example_net().parameters())
    rows, spread_data = _loss_spread(config)
    log = DivergenceLog()
    for w in config["widths"]:
        log.add(split_rows([r for r in rows if r["width"] == w], f"width {w}"))
    trained = [r for r in rows if not r["failure"]]
    stds = {w: _std([r["final_loss"] for r in trained if r["width"] == w]) for w in config["widths"]}
    metrics: dict[str, Any] = {
        "pixel_entropy_bits": measured_bits,
        "pixel_entropy_bits_binary": entropy.get("train_binary", entropy.get("test_binary")),
        "neurons_estimate": None if measured_bits is None else capacity_weights(measured_bits),
        "implied_weights": None if measured_bits is None else capacity_weights(measured_bits),
        "implied_input_neurons": None if measured_bits is None else capacity_weights(measured_bits) / 785,
        "n_seeds": config["n_seeds"],
        "pytorch_example_params": example_params,
        "pytorch_example_capacity_bits": mackay_capacity_bits(pytorch_example_net()),
        **{f"loss_std_w{w}": s for w, s in stds.items()},
        **_measure_metrics(measured),
        **log.metrics(),
    }
    tables = {"final_loss_by_seed": rows, "loss_std_by_width": [{"width": w, "std": s} for w, s in stds.items()]}
    figures = {"loss_spread": _spread_figure(trained, stds)}
    if measured:
        tables["information"] = [_measures_row(m) for m in measured]
        figures["pixel_probability"] = _heatmap_figure(measured)
    return Result(
        metrics=metrics,
        references=_with_before_last(_references(entropy, metrics, rows, config, log),
                                     _measure_references(measured)),
        tables=tables,
        figures=figures,
        data=("MNIST " + ", ".join(f"{s} split ({entropy[s + '_n']:,} images)" for s in ("test", "train")
                                   if s + "_n" in entropy) + "; " if entropy else "no MNIST files; ")
        + "".join(f"{m['name']} pixels: {m['split']} ({m['n']:,}); mixture: {m['mixture_source']} "
                  f"({m['bound'].n_train:,} fitted, {m['bound'].n_heldout:,} held out); " for m in measured)
        + f"loss spread on {spread_data}",
        notes=notes + measure_notes + [
            "Entropy is the sum over the 784 pixels of per-pixel entropies of 'pixel > 0' (pixels treated as "
            "independent, so it bounds the image entropy from above for the binary variant).",
            "MacKay's capacity is 2 bits per weight: 191 bits / 2 = ~95 weights, not ~95 neurons; a hidden unit "
            "reading all 784 pixels has 785 weights, so the same arithmetic gives about 0.12 such neurons. The "
            "bound also counts bits of a labelling of the training set, not pixel entropy, so the arithmetic "
            "mixes units twice.",
            BOUNDS_NOTE,
            f"Thresholds: MNIST and Fashion-MNIST pixel/255 > {config['threshold']:g}; MNIST-1D (standardized "
            f"signals, not images) value > {config['mnist1d_threshold']:g}. Mixture: {config['mixture_components']} "
            f"Bernoulli components by EM (at most {config['mixture_iter']} iterations, pseudocount 1), fitted on "
            "the training part and coded on held-out images; its interval is a bootstrap over held-out images.",
            f"PyTorch's example: {example_params:,} parameters x 2 bits = "
            f"{metrics['pytorch_example_capacity_bits']:,.0f} bits at MacKay's rate, fewer than the "
            f"{label_bits(60_000, 10):,.0f} bits of 60,000 random 10-class labels: it does not store MNIST's labels "
            "as a random labelling would need; it generalizes from structure.",
        ] + log.notes(),
    )


def _measure_metrics(measured: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in measured:
        key, px, bound = metric_prefix(m["name"]), m["pixels"], m["bound"]
        out.update({
            f"{key}_split": m["split"], f"{key}_n_images": m["n"], f"{key}_threshold": px.threshold,
            f"{key}_plogp_bits": px.plogp_sum_bits, f"{key}_histogram_entropy_bits": px.histogram_entropy_bits,
            f"{key}_independent_pixel_bits": px.independent_pixel_bits,
            f"{key}_mixture_bits_per_image": bound.bits_per_image, f"{key}_mixture_bits_ci": list(bound.ci),
            f"{key}_independent_heldout_bits_per_image": bound.independent_bits_per_image,
            f"{key}_label_bits": m["label_bits"], f"{key}_empirical_label_bits": m["empirical_label_bits"],
            f"{key}_label_weights": m["label_weights"],
        })
    return out


def _with_before_last(refs: list[Reference], extra: list[Reference]) -> list[Reference]:
    """`extra` inserted before the last reference (the loss-spread one stays last)."""
    return refs[:-1] + extra + refs[-1:]


def _measure_references(measured: list[dict[str, Any]]) -> list[Reference]:
    mnist = next((m for m in measured if m["name"] == "mnist"), None)
    if mnist is None:
        return [Reference("Entropy of MNIST's normalized pixel histogram (the asker's steps 3-5 read literally)",
                          SOURCE, 191.0, None, "not comparable", "no MNIST files: not measured")]
    px = mnist["pixels"]
    return [Reference(
        "Entropy of MNIST's normalized pixel histogram (the asker's steps 3-5 read literally)", SOURCE, 191.0,
        f"{px.histogram_entropy_bits:.2f} bits ({mnist['split']})", verdict_close(191.0, px.histogram_entropy_bits,
                                                                                   atol=0.5),
        f"A normalized histogram over 784 pixels has entropy at most log2 784 = 9.61 bits, so 191 cannot be it; "
        f"191 is the unnormalized sum of -p log2 p ({px.plogp_sum_bits:.2f} here). The per-image bounds are "
        f"{px.independent_pixel_bits:.1f} bits (independent pixels) and {mnist['bound'].bits_per_image:.1f} bits "
        f"(a {mnist['bound'].n_components}-component mixture on held-out images).")]


def _std(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")


def _references(entropy: dict[str, float], metrics: dict[str, Any], rows: list[dict[str, Any]],
                config: dict[str, Any], log: DivergenceLog) -> list[Reference]:
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
    all_widths = sorted({r["width"] for r in rows})
    widths, losses = trained_losses_by_width(rows, min_seeds=3)  # (n_widths, k seeds that trained)
    trend = rank_correlation(widths, losses, confidence=config["confidence"], statistic="std",
                             seed=derive_seed(config["seed"], "bootstrap")) if widths else None
    spread = {w: _std([r["final_loss"] for r in rows if r["width"] == w and not r["failure"]]) for w in all_widths}
    widths = widths or all_widths
    refs.append(Reference(
        "Small nets' final loss varies more across random initializations", SOURCE,
        "variance of final loss falls with width",
        f"std {spread[widths[0]]:.3g} at width {widths[0]} vs {spread[widths[-1]]:.3g} at width {widths[-1]}"
        + (f"; Spearman rho(width, std) = {trend.rho:.2f}" if trend else ""),
        trend.verdict_for(-1) if trend else "inconclusive",
        (f"{config['n_seeds']} seeds per width; {trend.summary()} (seeds resampled, std recomputed per resample); "
         "reproduced when rho < 0 with its interval below 0 and p <= 1 - confidence" if trend else
         "fewer than 3 seeds per width trained: no spread to correlate")
        + (f"; judged on the seeds that trained ({log.n_diverged} of {log.n_models} diverged or did not train)"
           if log.n_diverged else ""),
    ))
    return refs


EXPERIMENT = Experiment(
    name="mnist-entropy",
    claim="MNIST's binarized pixels carry about 191 bits; at 2 bits per weight that is ~95 weights (not neurons).",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "datasets": Key(list(MEASURED_SETS), rules.choice_list(MEASURED_SETS)),
        "threshold": Key(0.0, rules.number(0.0, 0.999)),
        "mnist1d_threshold": Key(0.0, rules.number()),
        "mnist1d_n_train": Key(4000, rules.integer(2), quick=1000),
        "mnist1d_n_test": Key(1000, rules.integer(2), quick=500),
        "mixture_components": Key(50, rules.integer(1), quick=5),
        "mixture_iter": Key(100, rules.integer(1), quick=20),
        "mixture_train": Key(0, rules.integer(0), quick=2000),
        "mixture_heldout": Key(0, rules.integer(0), quick=1000),
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
