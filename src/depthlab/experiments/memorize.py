"""memorize: a ReLU network 4 neurons wide and thousands of layers deep that fits every training label.

The seed's experiment: 10,000 MNIST images, a 1-D code per image from one neuron, a shallow
interpolant on the codes, reshaped into a width-4 network with about one layer per shallow unit.
Run as a network (layer by layer, float64 and float32), it fits the training labels; on held-out
images it is near chance, next to a normally trained small MLP on the same split.

Class schemes: "mod3" maps digit d to d mod 3 (0, 3, 6, 9 -> 0; 1, 4, 7 -> 1; 2, 5, 8 -> 2), the
seed's "3 class prediction scheme"; "10" keeps the ten digits. The target is the class index as
one scalar output (the seed's single-output network), read back by rounding to the nearest class.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from depthlab.construct.memorize import Memorization, memorize
from depthlab.construct.reshape import shallow_to_deep
from depthlab.data import IDX_FILES, DataNotFoundError, Dataset, find_data_file, labels_mod, load_dataset
from depthlab.experiments import Experiment
from depthlab.lab.result import Reference, Result, verdict_holds
from depthlab.network import Network
from depthlab.stack import StackedNetwork
from depthlab.train import accuracy, fit, step_size_scan

SOURCE = "seed 000_eb2b4dbb33b7ae9d.txt (10000 layers deep, 4 neurons wide)"
FLOAT32_RESOLUTION = 2.0**-24  # relative spacing of float32 numbers near the top of a range
LABEL_SCHEMES: dict[str, int] = {"mod3": 3, "10": 10}

DEFAULTS: dict[str, Any] = {
    "dataset": "mnist",
    "n_train": 10_000,
    "n_test": 10_000,
    "labels": "mod3",
    "also_10_classes": True,
    "width": 4,
    "method": "spread",
    "holdout_fraction": 0.2,
    "baseline_hidden": [64, 64],
    "baseline_steps": 300,
    "baseline_lr": 1e-3,
    "finetune_steps": 5,
    "finetune_lrs": [1e-3, 1e-6, 1e-9, 1e-12, 1e-15, 1e-18, 1e-21, 1e-24],
    "check_rows": 500,
}
QUICK: dict[str, Any] = {"dataset": "mnist1d", "n_train": 500, "n_test": 500, "baseline_steps": 100}


# ---------------------------------------------------------------------------------------------- data
def _has_train_split(name: str, data_dir: str | None) -> bool:
    """True when the training-split IDX files of an MNIST-style data set are on disk (never downloads)."""
    try:
        find_data_file(name, IDX_FILES["train"]["images"][0], data_dir, download=False)
        find_data_file(name, IDX_FILES["train"]["labels"][0], data_dir, download=False)
    except DataNotFoundError:
        return False
    return True


def _load(config: dict[str, Any], notes: list[str]) -> tuple[Dataset, bool]:
    """The data and whether the headline build uses x and x_test together.

    Returns (ds, pooled). pooled=False: the headline build is on ds.x and ds.x_test is held out.
    pooled=True (an MNIST-style set whose training files are absent, so only t10k is on disk): the
    headline build is on the first n_train t10k images = ds.x then ds.x_test, and held-out accuracy
    comes from a second build on ds.x tested on ds.x_test.
    """
    name, n_train, n_test, seed = config["dataset"], config["n_train"], config["n_test"], config["seed"]
    if name in ("mnist", "fashion-mnist"):
        try:
            if _has_train_split(name, config["data_dir"]):
                return load_dataset(name, data_dir=config["data_dir"], n_train=n_train, n_test=n_test), False
            n_build = int(round(n_train * (1 - config["holdout_fraction"])))
            return load_dataset(name, data_dir=config["data_dir"], n_train=n_build, n_test=n_train - n_build), True
        except DataNotFoundError as error:
            notes.append(f"No {name} files were found ({error}); used MNIST-1D with {n_train} generated examples.")
            name = "mnist1d"
    return load_dataset(name, data_dir=config["data_dir"], n_train=n_train, n_test=n_test, seed=seed), False


def _labels(ds: Dataset, scheme: str) -> Dataset:
    if scheme not in LABEL_SCHEMES:
        raise ValueError(f"The 'labels' parameter must be one of {', '.join(LABEL_SCHEMES)}. Got {scheme!r} instead.")
    return labels_mod(ds, LABEL_SCHEMES[scheme]) if scheme != "10" else ds


# ---------------------------------------------------------------------------------------------- measures
def _scalar_targets(y: torch.Tensor) -> torch.Tensor:
    return y.to(torch.float64)[:, None]  # (N, 1) class index as one scalar output


def _rounded_accuracy(out: torch.Tensor, y: torch.Tensor, n_classes: int) -> float:
    """Accuracy of a scalar output read as the nearest class index. out: (N, 1), y: (N,)."""
    if out.shape[0] == 0:
        return float("nan")
    guess = out[:, 0].round().clamp(0, n_classes - 1).long()  # (N,)
    return float((guess == y).double().mean())


def _timed_forward(net: Network, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Output of `net` run layer by layer through StackedNetwork in net's dtype, and the seconds it took."""
    stacked = StackedNetwork.from_network(net)
    start = time.perf_counter()
    with torch.no_grad():
        out = stacked.forward(x.to(net.dtype))  # (N, D_o)
    return out, time.perf_counter() - start


def _finetune(net: Network, x: torch.Tensor, y: torch.Tensor, steps: int, lrs: list[float]) -> dict[str, float]:
    """Fine-tuning metrics from `depthlab.train.step_size_scan` (gradient descent from the construction)."""
    scan = step_size_scan(net, x, y, steps, lrs)
    return {
        "finetune_loss_before": scan.loss_before,
        "finetune_loss_after_largest_lr": scan.loss_after_largest,
        "finetune_lr": scan.largest_safe_lr,
        "finetune_loss_after": scan.loss_after_safe,
    }


def _baseline_accuracy(x, y, x_test, y_test, n_classes: int, config: dict[str, Any]) -> float:
    """Held-out accuracy of a normally trained MLP D-64-64-C (Adam, cross entropy, float32)."""
    net = Network.random([x.shape[1], *config["baseline_hidden"], n_classes], seed=config["seed"])
    trained = fit(net, x, y, loss="cross_entropy", optimizer="adam", lr=config["baseline_lr"],
                  steps=config["baseline_steps"], seed=config["seed"], desc="baseline MLP").net
    return accuracy(trained, x_test, y_test)


def _build(x: torch.Tensor, y: torch.Tensor, config: dict[str, Any]) -> Memorization:
    """The memorizer of (x, class index y as one scalar output) at the configured width."""
    return memorize(x.to(torch.float64), y, width=config["width"], method=config["method"], seed=config["seed"],
                    targets="scalar")


def _case(ds: Dataset, pooled: bool, n_classes: int, config: dict[str, Any], finetune: bool) -> dict[str, Any]:
    """Build, run and score the memorizer for one class scheme; returns metrics and plotting data."""
    x = torch.cat([ds.x, ds.x_test]) if pooled else ds.x  # (N, D) the headline build
    y = torch.cat([ds.y, ds.y_test]) if pooled else ds.y  # (N,)
    x = x.to(torch.float64)
    target = _scalar_targets(y)  # (N, 1)
    built = _build(x, y, config)
    out64, forward_seconds = _timed_forward(built.net, x)  # (N, 1)
    out32, _ = _timed_forward(built.net.to(torch.float32), x)  # (N, 1)
    rows = min(config["check_rows"], x.shape[0])
    with torch.no_grad():
        stack_diff = float((built.net(x[:rows]) - out64[:rows]).abs().max())
    x_build, y_build, x_test, y_test = ds.x, ds.y, ds.x_test, ds.y_test
    held = _build(x_build, y_build, config) if pooled else built
    with torch.no_grad():
        test_out = held.net(x_test.to(torch.float64))  # (M, 1)
    metrics = {
        "n_train": int(x.shape[0]),
        "n_classes": n_classes,
        "width": config["width"],
        "layers": int(built.layers),
        "params": int(built.params),
        "min_code_gap": float(built.min_code_gap),
        "relative_code_gap": float(built.relative_code_gap),
        "train_mse_float64": float(((out64 - target) ** 2).mean()),
        "train_mse_float32": float(((out32.double() - target) ** 2).mean()),
        "train_accuracy": _rounded_accuracy(out64, y, n_classes),
        "train_accuracy_float32": _rounded_accuracy(out32.double(), y, n_classes),
        "test_accuracy": _rounded_accuracy(test_out, y_test, n_classes),
        "test_mse": float(((test_out - _scalar_targets(y_test)) ** 2).mean()),
        "baseline_test_accuracy": _baseline_accuracy(x_build, y_build, x_test, y_test, n_classes, config),
        "chance_accuracy": float(torch.bincount(y_test, minlength=n_classes).max()) / max(1, y_test.shape[0]),
        "build_seconds": float(built.build_seconds),
        "forward_seconds": forward_seconds,
        "stack_vs_network_max_diff": stack_diff,
        "fit_max_abs_error": float(built.fit_max_abs_error),
        "n_test": int(x_test.shape[0]),
        "n_build_held_out": int(x_build.shape[0]),
    }
    if finetune:
        metrics.update(_finetune(built.net, x, target, config["finetune_steps"], config["finetune_lrs"]))
        metrics["finetune_steps"] = config["finetune_steps"]
    codes = built.encoding.codes.detach().to(torch.float64)  # (N,)
    return {"metrics": metrics, "codes": codes, "x": x, "y": y, "out": out64[:, 0], "built": built}


# ---------------------------------------------------------------------------------------------- report
def _code_figure(case: dict[str, Any]) -> Figure:
    """Sorted codes with class colours, and the network's output at each code."""
    order = torch.argsort(case["codes"])
    codes, y, out = case["codes"][order].numpy(), case["y"][order].numpy(), case["out"][order].numpy()
    fig = Figure(figsize=(8, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(codes, out, color="0.3", linewidth=0.6, label="network output at the codes")
    ax.scatter(codes, y, c=y, cmap="tab10", s=4, vmin=0, vmax=9, label="class (target)", zorder=3)
    ax.set_xlabel("1-D code of each training image (one neuron)")
    ax.set_ylabel("class index / output")
    ax.set_title(f"{len(codes)} training points on the code axis")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def _gap_figure(case: dict[str, Any]) -> Figure:
    """Histogram of log10 gaps between sorted codes, relative to the code range, vs float resolutions."""
    codes = torch.sort(case["codes"]).values
    gaps = (codes[1:] - codes[:-1]) / (codes[-1] - codes[0])  # (N - 1,)
    logs = np.log10(gaps[gaps > 0].numpy())
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    ax.hist(logs, bins=60, color="tab:blue")
    ax.axvline(math.log10(FLOAT32_RESOLUTION), color="tab:red", label="float32 resolution (2^-24)")
    ax.axvline(math.log10(2.0**-53), color="tab:green", label="float64 resolution (2^-53)")
    ax.set_xlabel("log10 (gap between neighbouring codes / code range)")
    ax.set_ylabel("count")
    ax.legend(fontsize=8)
    return fig


def _float32_gaps(case: dict[str, Any]) -> int:
    codes = torch.sort(case["codes"]).values
    gaps = (codes[1:] - codes[:-1]) / (codes[-1] - codes[0])
    return int((gaps < FLOAT32_RESOLUTION).sum())


def _references(m: dict[str, Any], main: dict[str, Any], c10: dict[str, Any] | None) -> list[Reference]:
    built, n = main["built"], m["n_train"]
    shallow, codes = built.shallow, main["codes"][:, None]  # the 1-D interpolant and its inputs (N, 1)
    reshaped = shallow_to_deep(shallow, width=m["width"], input_lower=0.0)  # the reshaping alone, same input
    with torch.no_grad():
        shallow_out = shallow(codes)  # (N, 1)
        diff = float((StackedNetwork.from_network(reshaped).forward(codes) - shallow_out).abs().max())
    refs = [
        Reference(
            "shallow ReLU net reshaped into width 4 computes the same function", SOURCE, "exact equality",
            diff, verdict_holds(diff <= 1e-9 * (1 + float(shallow_out.abs().max()))),
            f"max |deep - shallow| at the {n} training codes, both float64, {reshaped.depth} layers (sums are "
            "reordered, so rounding differs; reproduced when <= 1e-9 of the output scale)"),
    ]
    distinct = int(torch.unique(main["codes"]).numel())
    refs.append(Reference(
        "one neuron gives distinct codes for all training points", SOURCE, f"distinct codes for all {n} points",
        distinct, verdict_holds(distinct == n), f"smallest gap {m['min_code_gap']:.3g}, "
        f"{m['relative_code_gap']:.3g} of the code range"))
    refs.append(Reference(
        "the shallow net on the codes fits with zero training loss", SOURCE, "loss 0 (exact arithmetic)",
        m["train_mse_float64"], verdict_holds(m["train_mse_float64"] <= 1e-12),
        "training MSE of the deep network run layer by layer in float64; reproduced when <= 1e-12"))
    comparable = n == 10_000 and m["n_classes"] == 3
    refs.append(Reference(
        "10,000 images memorized by a net 4 neurons wide", SOURCE, "10000 layers", m["layers"],
        verdict_holds(m["layers"] <= 10_000) if comparable else "not comparable",
        f"{m['layers']} layers of width {m['width']}, {m['params']} parameters, for {n} images"
        + ("" if comparable else " (the seed used 10,000 MNIST images, 3 classes)")))
    f32_note = (f"float64: {m['train_mse_float64']:.3g}. float32 rounds codes to 2^-24 of their range; "
                f"{_float32_gaps(main)} of {n - 1} neighbouring code gaps are below that, and errors "
                f"accumulate over {m['layers']} layers; training accuracy in float32 {m['train_accuracy_float32']:.4f}")
    refs.append(Reference(
        "training loss of the 10,000-layer net, 3 classes", SOURCE, 1e-5, m["train_mse_float32"],
        (verdict_holds(m["train_mse_float32"] <= 1e-5) if comparable else "not comparable"),
        "measured: training MSE in float32 (the seed's precision is not stated); " + f32_note))
    gap_to_chance = m["test_accuracy"] - m["chance_accuracy"]
    refs.append(Reference(
        "it overfits very hard", SOURCE, "held-out accuracy near chance", m["test_accuracy"],
        verdict_holds(gap_to_chance <= 0.1 and m["test_accuracy"] < m["baseline_test_accuracy"]),
        f"chance (majority class) {m['chance_accuracy']:.3f}; a trained MLP reaches "
        f"{m['baseline_test_accuracy']:.3f} on the same {m['n_test']} held-out examples; near = within 0.1 of chance"))
    refs.append(Reference(
        "gradient fine-tuning from this initialization does not increase the training loss", "issue #3",
        "loss does not increase", m["finetune_loss_after_largest_lr"],
        verdict_holds(m["finetune_loss_after_largest_lr"] <= m["finetune_loss_before"]),
        f"measured after {m.get('finetune_steps', 5)} gradient-descent steps at the largest step size tried; "
        f"the largest that kept the loss from rising was {m['finetune_lr']:g} (loss {m['finetune_loss_after']:.3g})"))
    if c10 is not None:
        c = c10["metrics"]
        refs.append(Reference(
            "later revision: held-out MSE for labels 0-9 as one scalar", SOURCE, 10.0, c["test_mse"],
            "reproduced" if 5.0 <= c["test_mse"] <= 20.0 else "differs",
            "the post gives 'around 10'; reproduced when within a factor 2"))
    return refs


def run(config: dict[str, Any]) -> Result:
    """Build the memorizer for the configured class scheme (and 10 classes), measure, compare."""
    notes: list[str] = []
    ds, pooled = _load(config, notes)
    main = _case(_labels(ds, config["labels"]), pooled, LABEL_SCHEMES[config["labels"]], config, finetune=True)
    metrics = dict(main["metrics"])
    c10 = None
    if config["also_10_classes"] and config["labels"] != "10":
        c10 = _case(ds, pooled, 10, config, finetune=False)
        metrics.update({f"c10_{k}": v for k, v in c10["metrics"].items() if k not in ("n_train", "width")})
    m = main["metrics"]
    held = (f"held-out: the {m['n_test']} examples of the test split" if not pooled
            else f"held-out: a second build on the first {m['n_build_held_out']} training examples, tested on the "
            f"last {m['n_test']} (the training-split files are absent)")
    notes += [
        "Class scheme 'mod3': digit d -> d mod 3 (0, 3, 6, 9 -> 0; 1, 4, 7 -> 1; 2, 5, 8 -> 2); the target is the "
        "class index as one scalar output, read back by rounding to the nearest class.",
        f"Run as a network: StackedNetwork (layer by layer through the weights) agrees with Network.forward to "
        f"{m['stack_vs_network_max_diff']:.3g} on the first {min(config['check_rows'], m['n_train'])} rows.",
        f"Fine-tuning: {config['finetune_steps']} full-batch gradient-descent steps in float64 from the construction. "
        f"At lr {max(config['finetune_lrs']):g} the training MSE goes {m['finetune_loss_before']:.3g} -> "
        f"{m['finetune_loss_after_largest_lr']:.3g}; the largest step size tried that does not raise it is "
        f"{m['finetune_lr']:g} (MSE {m['finetune_loss_after']:.3g}; 0 means none did): the construction's slopes are "
        "about 1 / (code gap), so its curvature is huge and ordinary step sizes overshoot.",
        "Baseline: MLP " + "-".join(str(w) for w in [ds.x.shape[1], *config["baseline_hidden"]]) +
        f"-C, Adam lr {config['baseline_lr']}, {config['baseline_steps']} full-batch steps, cross entropy, float32.",
        held + ".",
    ]
    return Result(
        metrics=metrics,
        references=_references(m, main, c10),
        tables={"summary": [{"classes": k, **{kk: v for kk, v in case["metrics"].items()}}
                            for k, case in (("mod3" if config["labels"] == "mod3" else "10", main), ("10", c10))
                            if case is not None]},
        figures={"codes": _code_figure(main), "code_gaps": _gap_figure(main)},
        data=f"{ds.describe()}; built on the first {m['n_train']} training examples; {held}.",
        notes=notes,
    )


EXPERIMENT = Experiment(
    name="memorize",
    claim="A ReLU network 4 neurons wide and about N layers deep, built from a shallow interpolant on 1-D codes, "
    "fits N training images exactly and generalizes near chance.",
    source=SOURCE,
    defaults=DEFAULTS,
    quick=QUICK,
    run=run,
    order=20,
    tags=("memorization", "deep-narrow"),
)
