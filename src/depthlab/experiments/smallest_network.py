"""smallest-network (seed 001): the smallest MLP that learns a data set, against the data's information content.

The asker's plot: x = a data set's entropy, y = the size in bits of the smallest network reaching 99%
accuracy on it. For MNIST-1D, digits, Fashion-MNIST and MNIST (when its files are present; here only t10k,
split in two), a grid over depth 1-4 and widths, each cell's seeds trained together by `fit_many` with a
checkpoint per cell (a rerun reads finished cells back), searched by width upwards per depth: a depth stops
once a width reached both targets, (a) 99% training accuracy and (b) a stated held-out accuracy, by the
median over seeds. The smallest reaching networks are plotted as parameters and as bits (2 per parameter)
against the data set's entropy measures (`depthlab.info`), PyTorch's 21,840-parameter example marked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab.architectures import mlp_params
from depthlab.checks import InputError
from depthlab.contracts import Experiment, Groups, Key, Reference, Result, keys, rules, warn
from depthlab.data import DataNotFoundError, has_split, load_dataset_once
from depthlab.grid import cells, map_cells
from depthlab.info import (
    BITS_PER_WEIGHT,
    binarization_threshold,
    label_bits,
    mixture_bound,
    pixel_measures,
    pytorch_example_net,
)
from depthlab.seeds import derive_seed
from depthlab.train import NetworkBatch, accuracy, fit_many
from depthlab.train.checkpoint import checkpoint_folder

SOURCE = "seed 001_112537b05a81e3b4.txt (Q&A on MNIST's information content; the asker's plot in the comments)"
SETS: tuple[str, ...] = ("mnist1d", "digits", "fashion-mnist", "mnist")
PYTORCH_EXAMPLE_PARAMS = 21_840
ASKER_NEURONS = 95


def _paired(config: dict[str, Any]) -> list[tuple[str, int, float]]:
    """(data set, n_train, held-out target) per data set; the three lists pair up one to one."""
    lengths = {k: len(config[k]) for k in ("datasets", "n_train", "heldout_targets")}
    if len(set(lengths.values())) != 1:
        raise InputError(f"The 'datasets', 'n_train' and 'heldout_targets' config keys must have one entry per data "
                         f"set. Got lengths {lengths}.")
    return list(zip(config["datasets"], config["n_train"], config["heldout_targets"]))


def _load(name: str, n_train: int, config: dict[str, Any]):
    """The data set (loaded once per process), or None when an IDX set's files are absent; quick runs never
    download."""
    if name in ("mnist", "fashion-mnist"):
        present = has_split(name, "train", config["data_dir"]) or has_split(name, "test", config["data_dir"])
        if config["quick"] and not present:
            return None
        try:
            return load_dataset_once(name, config["data_dir"], n_train=n_train)
        except DataNotFoundError:
            return None
    if name == "digits":
        return load_dataset_once("digits", n_train=min(n_train, 1797 - 360), seed=config["seed"])
    return load_dataset_once("mnist1d", n_train=n_train, n_test=config["mnist1d_n_test"], seed=config["seed"])


def _threshold(ds, config: dict[str, Any]) -> float:
    """The binarization threshold of the data set's pixels (checked against their range)."""
    return binarization_threshold(ds.x, config["mnist1d_threshold"] if ds.name == "mnist1d" else config["threshold"])


def _present(config: dict[str, Any]) -> tuple[list[tuple[str, int, float]], list[str]]:
    """(data set, n_train, held-out target) of every data set present, each loaded and its threshold checked, and
    the names of the IDX sets whose files are absent."""
    present, absent = [], []
    for name, n_train, target in _paired(config):
        ds = _load(name, n_train, config)
        if ds is None:
            absent.append(name)
        else:
            _threshold(ds, config)
            present.append((name, n_train, target))
    return present, absent


def _measures(ds, config: dict[str, Any]) -> dict[str, Any]:
    """The data set's information quantities on its training split (pixels, mixture bound, labels)."""
    pixels = pixel_measures(ds.x, _threshold(ds, config))
    bound = mixture_bound(ds.x, ds.x_test, pixels.threshold, n_components=config["mixture_components"],
                          seed=derive_seed(config["seed"], "mixture", ds.name) % 2**32, max_iter=config["mixture_iter"],
                          confidence=config["confidence"])
    return {"threshold": pixels.threshold, "plogp_bits": pixels.plogp_sum_bits,
            "independent_pixel_bits": pixels.independent_pixel_bits, "mixture_bits_per_image": bound.bits_per_image,
            "label_bits": label_bits(len(ds.y), ds.n_classes)}


def _cell_runner(ds, config: dict[str, Any], folder):
    """fn(cell, cell seed) for `grid.map_cells`: train the cell's seeds together until 99% training accuracy."""
    def run_cell(cell: dict[str, Any], seed: int) -> dict[str, Any]:
        hidden = [cell["width"]] * cell["depth"]
        seeds = [derive_seed(seed, "init", s) for s in range(config["n_seeds"])]
        batch = NetworkBatch.random([ds.n_features, *hidden, ds.n_classes], seeds, init="he_normal")
        name = f"{ds.name}_depth{cell['depth']}_width{cell['width']}"
        results = fit_many(batch, ds.x, ds.y, loss="cross_entropy", optimizer="adam", lr=config["lr"],
                           epochs=config["epochs"], batch_size=config["batch_size"], seed=derive_seed(seed, "order"),
                           target_accuracy=config["train_target"], history_every=10 ** 9, desc=name,
                           device=config["device"],
                           checkpoint=None if folder is None else folder / f"{name}.pt")
        train = [float(r.final_accuracy) for r in results]
        test = [accuracy(r.net, ds.x_test, ds.y_test) for r in results]
        return {"dataset": ds.name, "params": mlp_params(ds.n_features, hidden, ds.n_classes),
                "neurons": sum(hidden), "train_accuracy": train, "test_accuracy": test,
                "median_train": float(np.median(train)), "median_test": float(np.median(test)),
                "epochs_run": [float(r.epochs_run) for r in results],
                "diverged": sum(bool(r.diverged) for r in results)}
    return run_cell


def _groups(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One group per (data set present, depth): its search by width, upwards."""
    present, _ = _present(config)
    return [{"dataset": name, "depth": depth} for name, _, _ in present for depth in config["depths"]]


def _search_depth(config: dict[str, Any], group: dict[str, Any]) -> list[dict[str, Any]]:
    """The trained cells of one depth on one data set, widths upwards until the first whose median reached both
    targets (each cell checkpointed)."""
    [(name, n_train, target)] = [p for p in _paired(config) if p[0] == group["dataset"]]
    ds = _load(name, n_train, config)

    def reached(row: dict[str, Any]) -> bool:
        return row["median_train"] >= config["train_target"] and row["median_test"] >= target

    def done(cell: dict[str, Any], rows: list[dict[str, Any]]) -> bool:
        return any(reached(r) for r in rows)

    grid = cells(depth=[group["depth"]], width=sorted(config["widths"]))
    runner = _cell_runner(ds, config, checkpoint_folder(config, "smallest-network"))
    return map_cells(runner, grid, config["seed"], desc=f"smallest-network {name} depth {group['depth']}",
                     stream=ds.name, skip=done)


def smallest(rows: list[dict[str, Any]], key: str, target: float) -> dict[str, Any] | None:
    """The row with the fewest parameters whose median `key` reached `target` (None if none did)."""
    good = [r for r in rows if r[key] >= target]
    return min(good, key=lambda r: (r["params"], r["depth"])) if good else None


def _combine(config: dict[str, Any], groups: list[dict[str, Any]], outputs: list[list[dict[str, Any]]]) -> Result:
    """For each data set: its information measures, its searched cells, the smallest reaching nets."""
    present, absent = _present(config)
    notes, data, found = [], [], []
    for name in absent:
        message = f"{name}: no IDX files found (quick runs never download): not searched"
        warn(message)
        notes.append(message)
    for name, n_train, target in present:
        ds = _load(name, n_train, config)
        data.append(ds.describe() + "".join(f"; {n}" for n in ds.notes))
        rows = [row for group, out in zip(groups, outputs) if group["dataset"] == name for row in out]
        found.append({"name": name, "target": target, "n_train": len(ds.y), "measures": _measures(ds, config),
                      "rows": rows, "train_best": smallest(rows, "median_train", config["train_target"]),
                      "test_best": smallest(rows, "median_test", target)})
    return Result(
        metrics=_metrics(found, config),
        references=_references(found, config),
        tables={"cells": [_cell_row(r) for f in found for r in f["rows"]], "smallest": _summary(found, config)},
        figures={"smallest_vs_entropy": _figure(found)} if found else {},
        data="; ".join(data) if data else "no data set found",
        notes=notes + _notes(config) + _divergence_notes(found),
    )


GROUPS = Groups(split=_groups, run=_search_depth, combine=_combine, desc="smallest-network")


def run(config: dict[str, Any]) -> Result:
    """For each data set and depth, the width search (one after another; `--executor local|ray` spreads them),
    then the information measures and the smallest reaching nets."""
    return GROUPS.run_all(config)


def _cell_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("train_accuracy", "test_accuracy", "epochs_run")}
    out["train_accuracy"] = " / ".join(f"{a:.4f}" for a in row["train_accuracy"])
    out["test_accuracy"] = " / ".join(f"{a:.4f}" for a in row["test_accuracy"])
    out["epochs_run"] = " / ".join(f"{e:.0f}" for e in row["epochs_run"])
    return out


def _describe(row: dict[str, Any] | None) -> str:
    if row is None:
        return "none in the grid"
    return (f"depth {row['depth']} x width {row['width']} ({row['neurons']} neurons, {row['params']:,} params = "
            f"{BITS_PER_WEIGHT * row['params']:,.0f} bits)")


def _metrics(found: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, Any]:
    metrics: dict[str, Any] = {"n_seeds": config["n_seeds"], "train_target": config["train_target"],
                               "pytorch_example_params": sum(p.numel() for p in pytorch_example_net().parameters())}
    for f in found:
        key = f["name"].replace("-", "_")
        metrics[f"{key}_heldout_target"] = f["target"]
        metrics[f"{key}_cells_trained"] = len(f["rows"])
        for label, best in (("train", f["train_best"]), ("heldout", f["test_best"])):
            metrics[f"{key}_smallest_{label}_params"] = None if best is None else best["params"]
            metrics[f"{key}_smallest_{label}_neurons"] = None if best is None else best["neurons"]
            metrics[f"{key}_smallest_{label}_bits"] = None if best is None else BITS_PER_WEIGHT * best["params"]
            metrics[f"{key}_smallest_{label}_shape"] = None if best is None else [best["depth"], best["width"]]
        for measure, value in f["measures"].items():
            metrics[f"{key}_{measure}"] = value
    return metrics


def _summary(found: list[dict[str, Any]], config: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for f in found:
        for label, best, target in (("train", f["train_best"], config["train_target"]),
                                    ("heldout", f["test_best"], f["target"])):
            rows.append({"dataset": f["name"], "target": f"{label} accuracy >= {target}", "n_train": f["n_train"],
                         **{k: None if best is None else best[k] for k in ("depth", "width", "neurons", "params")},
                         "bits": None if best is None else BITS_PER_WEIGHT * best["params"], **f["measures"]})
    return rows


def _neurons_verdict(rows: list[dict[str, Any]], key: str, target: float) -> tuple[str, str]:
    """Does a net with at most 95 hidden neurons reach the target (median over seeds)? From the searched cells."""
    small = [r for r in rows if r["neurons"] <= ASKER_NEURONS]
    if any(r[key] >= target for r in small):
        return "reproduced", "a net with at most 95 hidden neurons reached it"
    if small and any(r[key] >= target for r in rows):
        return "differs", (f"every searched net with at most 95 neurons ({len(small)} cells) fell short; larger ones "
                           "reached it")
    return "inconclusive", "no searched net reached it (the grid or the epoch budget is too small to tell)"


def _references(found: list[dict[str, Any]], config: dict[str, Any]) -> list[Reference]:
    mnist = next((f for f in found if f["name"] == "mnist"), None)
    refs = []
    for label, key in (("99% training accuracy", "median_train"), ("the held-out target", "median_test")):
        claim = f"About 95 neurons suffice to learn MNIST's labelling ({label})"
        if mnist is None:
            refs.append(Reference(claim, SOURCE, "about 95 neurons", None, "not comparable",
                                  "MNIST not searched (no files): the claim is about MNIST, nothing was measured"))
            continue
        target = config["train_target"] if key == "median_train" else mnist["target"]
        best = mnist["train_best"] if key == "median_train" else mnist["test_best"]
        verdict, why = _neurons_verdict(mnist["rows"], key, target)
        refs.append(Reference(
            claim, SOURCE, "about 95 neurons", _describe(best), verdict,
            f"From the search, not arithmetic: {why} (target {target}, median over {config['n_seeds']} seeds, depths "
            f"{config['depths']}, widths {sorted(config['widths'])}, Adam lr {config['lr']}, at most "
            f"{config['epochs']} epochs, {mnist['n_train']:,} training images). In weights the asker's 95 are far off: "
            f"any MLP reading 784 pixels has at least {mlp_params(784, [1], 10):,} parameters."))
    if mnist is not None:
        best = mnist["test_best"]
        refs.append(Reference(
            "PyTorch's classic MNIST example: 21,840 parameters for about 99% accuracy", SOURCE, PYTORCH_EXAMPLE_PARAMS,
            _describe(best), "not comparable",
            f"A CNN trained on 60,000 images and tested on t10k vs MLPs searched here on {mnist['n_train']:,} images "
            f"with the held-out target {mnist['target']} (see the data line for the split): another architecture, "
            "training set and target."))
    for f in found:
        best, m = f["train_best"], f["measures"]
        asker = m["plogp_bits"]
        if best is None:
            verdict, measured = "inconclusive", "no searched net reached 99% training accuracy"
        else:
            bits = BITS_PER_WEIGHT * best["params"]
            verdict = "reproduced" if bits <= config["ballpark_factor"] * asker else "differs"
            measured = f"{bits:,.0f} bits = {bits / asker:,.0f} x {asker:.1f}"
        refs.append(Reference(
            f"The smallest network's size in bits is in the ballpark of the data's entropy ({f['name']})", SOURCE,
            "network bits ~ entropy (191 bits -> 95)", measured, verdict,
            f"Smallest net reaching 99% training accuracy: {_describe(best)}; ballpark = within a factor "
            f"{config['ballpark_factor']:g} of the asker's quantity (sum of -p log2 p, {asker:.1f} bits). Every "
            f"smaller net of the grid was trained and fell short. Other measures: independent pixels "
            f"{m['independent_pixel_bits']:.1f} bits and mixture {m['mixture_bits_per_image']:.1f} bits per image; "
            f"labels of the training set {m['label_bits']:,.0f} bits (the quantity a capacity in bits per weight is "
            "about)."))
    return refs


def _notes(config: dict[str, Any]) -> list[str]:
    notes = [
        f"Search: depths {config['depths']}, widths {sorted(config['widths'])}, {config['n_seeds']} seeds per cell "
        f"trained together (fit_many, Adam lr {config['lr']}, batches of {config['batch_size']}, at most "
        f"{config['epochs']} epochs, stopping at {config['train_target']:.0%} training accuracy). A cell reaches a "
        "target when the median over its seeds does; each depth stops at the first width reaching both targets, so "
        "every smaller net of the grid was trained. Held-out accuracy is measured when training stops.",
        "Bits of a network = 2 bits per parameter (MacKay's rate, derived for one perceptron with binary labels; "
        "here only the asker's conversion). Entropy measures come from depthlab.info on the training split.",
        "Checkpoints: one per cell (checkpoint_dir); a rerun of the same config reads finished cells back.",
    ]
    if config["quick"]:
        notes.append("Quick size: MNIST-1D and digits only, fewer widths, depths, seeds and epochs.")
    return notes


def _divergence_notes(found: list[dict[str, Any]]) -> list[str]:
    """One note naming the cells where a seed's training diverged (it counts as not reaching the target there)."""
    named = [f"{f['name']} depth {r['depth']} x width {r['width']} ({r['diverged']} of {len(r['train_accuracy'])})"
             for f in found for r in f["rows"] if r.get("diverged")]
    if not named:
        return []
    return ["Training diverged (non-finite loss) in these cells, whose diverged seeds count as not reaching the "
            f"targets, so the smallest net reaching them may be smaller than the one reported: {'; '.join(named)}."]


def _figure(found: list[dict[str, Any]]) -> Figure:
    """Rows: parameters, bits (2 per parameter); columns: the data set's entropy measures; (a) and (b) markers.

    A data set whose search reached no target shows a hollow triangle at its largest trained net (a lower bound)."""
    measures = (("independent_pixel_bits", "independent-pixel entropy (bits per image)"),
                ("mixture_bits_per_image", "mixture code length (bits per held-out image)"),
                ("label_bits", "label information of the training set (bits)"))
    figure = Figure(figsize=(14, 8))
    axes = figure.subplots(2, len(measures))
    for col, (key, label) in enumerate(measures):
        values = [f["measures"][key] for f in found]
        limits = (min(values) / 3, max(values) * 3)
        for row, scale in enumerate((1.0, BITS_PER_WEIGHT)):
            ax = axes[row, col]
            for i, f in enumerate(found):
                x = f["measures"][key]
                for best, marker, text in ((f["train_best"], "o", "99% train"), (f["test_best"], "s", "held-out")):
                    if best is not None:
                        ax.scatter([x], [scale * best["params"]], marker=marker, color=f"C{i}",
                                   label=f"{f['name']} ({text})")
                if f["train_best"] is None and f["rows"]:
                    ax.scatter([x], [scale * max(r["params"] for r in f["rows"])], marker="^", facecolors="none",
                               edgecolors=f"C{i}", label=f"{f['name']} (99% train not reached: above this)")
                if f["name"] == "mnist":
                    ax.scatter([x], [scale * PYTORCH_EXAMPLE_PARAMS], marker="*", s=150, color="k",
                               label="PyTorch example (21,840 params)")
            ax.axhline(scale * PYTORCH_EXAMPLE_PARAMS, color="k", ls="--", lw=0.8)
            if row == 1:
                ax.plot(limits, limits, "k:", lw=0.8, label="bits = entropy")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(*limits)
            ax.set_xlabel(label, fontsize=8)
            ax.set_ylabel("parameters" if row == 0 else "bits (2 per parameter)")
    axes[0, 0].legend(fontsize=6)
    axes[1, 0].legend(fontsize=6, loc="lower right")
    figure.suptitle("Smallest MLP reaching 99% training accuracy (o) and the held-out target (s) vs the data's "
                    "information (dashed: PyTorch's 21,840-parameter example)")
    figure.tight_layout()
    return figure


EXPERIMENT = Experiment(
    name="smallest-network",
    claim="The smallest network that learns a data set is about as large (in bits, 2 per weight) as the data's "
          "entropy: about 95 neurons for MNIST's 191 bits.",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "datasets": Key(list(SETS), rules.choice_list(SETS), quick=["mnist1d", "digits"]),
        "n_train": Key([4000, 1437, 10000, 5000], rules.int_list(2), quick=[1000, 1437]),
        "heldout_targets": Key([0.55, 0.95, 0.84, 0.94], rules.number_list(0.0), quick=[0.4, 0.9]),
        "mnist1d_n_test": Key(1000, rules.integer(2), quick=500),
        "depths": Key([1, 2, 3, 4], rules.int_list(1, 8, distinct=True), quick=[1, 2]),
        "widths": Key([1, 2, 4, 8, 16, 32, 64, 128, 256], rules.int_list(1, distinct=True), quick=[4, 16, 64, 256]),
        "n_seeds": keys.n_seeds(3, quick=2),
        "train_target": Key(0.99, rules.number(0.0, 1.0, exclusive_minimum=True)),
        "epochs": Key(300, rules.integer(1), quick=40),
        "batch_size": Key(128, rules.integer(1)),
        "lr": keys.lr(0.003),
        "threshold": Key(0.0, rules.number(0.0, 0.999)),
        "mnist1d_threshold": Key(0.0, rules.number()),
        "mixture_components": Key(20, rules.integer(1), quick=5),
        "mixture_iter": Key(100, rules.integer(1), quick=20),
        "ballpark_factor": Key(10.0, rules.number(1.0)),
        "confidence": keys.confidence(),
        "checkpoint_dir": keys.checkpoint_dir(),
    },
    run=run,
    order=23,
    groups=GROUPS,
)
