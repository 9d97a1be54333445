"""memorize: a ReLU network 4 neurons wide and thousands of layers deep that fits every training label.

The seed's experiment: 10,000 MNIST images, a 1-D code per image from one neuron, a shallow
interpolant on the codes, reshaped into a width-4 network with about one layer per shallow unit.
Run as a network (layer by layer, float64 and float32), it fits the training labels; on held-out
images it is near chance, next to a normally trained small MLP on the same split.

The seed's network is a PyTorch model, and PyTorch runs in float32, where this construction fails (codes closer
than float32 resolves). So the experiment also builds `memorize(..., dtype=torch.float32)` (the exact staircase of
`depthlab.construct.staircase`) over `n_builds` builds, runs its `to_torch()` module in float32 as a user would, and
prints the rounding bound of `depthlab.precision` (computed before running) next to the measured error, for it and
for the seed's construction.

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

from depthlab.checks import InputError
from depthlab.construct.memorize import Memorization, memorize, scalar_class_accuracy
from depthlab.construct.reshape import shallow_to_deep
from depthlab.contracts import Experiment, Key, Reference, Result, keys, rules, verdict_holds, warn
from depthlab.data import DataNotFoundError, Dataset, labels_mod, load_dataset, load_for_memorization
from depthlab.evidence import compare, interval_verdict, mean_ci, proportion_ci
from depthlab.models.network import Network
from depthlab.models.stack import StackedNetwork
from depthlab.precision import float_error_bound
from depthlab.seeds import derive_seed
from depthlab.train import accuracy, fit, step_size_scan
from depthlab.train.divergence import DivergenceLog

SOURCE = "seed 000_eb2b4dbb33b7ae9d.txt (10000 layers deep, 4 neurons wide)"
FLOAT32_RESOLUTION = 2.0**-24  # relative spacing of float32 numbers near the top of a range
LABEL_SCHEMES: dict[str, int] = {"mod3": 3, "10": 10}

# ---------------------------------------------------------------------------------------------- data
def _load(config: dict[str, Any], notes: list[str]) -> tuple[Dataset, bool]:
    """The data and whether the headline build pools x and x_test (see `data.load_for_memorization`).

    The full size's default data set (MNIST) falls back to MNIST-1D with a warning when its files are absent; a
    data set asked for explicitly (any other than the size's default) does not: its error names the three ways
    to provide the files.
    """
    name = config["dataset"]
    try:
        return load_for_memorization(name, config["data_dir"], config["n_train"], config["n_test"],
                                     config["holdout_fraction"], seed=config["seed"])
    except DataNotFoundError as error:
        if name != EXPERIMENT.config(config["quick"])["dataset"]:
            raise  # asked for explicitly: the error names the three ways to provide the files
        warn(f"memorize: no {name} files found; using MNIST-1D instead (pass --data-dir or set DEPTHLAB_DATA)")
        notes.append(f"No {name} files were found ({error}); used MNIST-1D with {config['n_train']} generated "
                     "examples.")
        return load_dataset("mnist1d", n_train=config["n_train"], n_test=config["n_test"], seed=config["seed"]), False


def _labels(ds: Dataset, scheme: str) -> Dataset:
    if scheme not in LABEL_SCHEMES:
        raise InputError(f"The 'labels' parameter must be one of {', '.join(LABEL_SCHEMES)}. Got {scheme!r} instead.")
    return labels_mod(ds, LABEL_SCHEMES[scheme]) if scheme != "10" else ds


# ---------------------------------------------------------------------------------------------- measures
def _scalar_targets(y: torch.Tensor) -> torch.Tensor:
    return y.to(torch.float64)[:, None]  # (N, 1) class index as one scalar output


def _run(net: Network, x: torch.Tensor) -> torch.Tensor:
    """The network's output as a user computes it, net(x), in the network's dtype. x: (N, D) -> (N, D_o)."""
    with torch.no_grad():
        return net(x.to(net.dtype))


def _stacked_seconds(net: Network, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Output through the fast runner StackedNetwork, and the seconds its forward took."""
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


def _baseline_accuracy(x, y, x_test, y_test, n_classes: int, config: dict[str, Any]) -> dict[str, Any]:
    """Held-out accuracy of a normally trained MLP D-64-64-C (Adam, cross entropy, float32): NaN when its training
    diverged or ended no better than a constant predictor (counted in n_diverged)."""
    seed = derive_seed(config["seed"], "baseline")
    net = Network.random([x.shape[1], *config["baseline_hidden"], n_classes], seed=seed)
    result = fit(net, x, y, loss="cross_entropy", optimizer="adam", lr=config["baseline_lr"],
                 steps=config["baseline_steps"], seed=seed, device=config["device"], desc="baseline MLP")
    log = DivergenceLog()
    split = log.results([result], f"baseline MLP, {n_classes} classes")
    return {"baseline_test_accuracy": float("nan") if split.n_failed else accuracy(result.net, x_test, y_test),
            **log.metrics(), "baseline_notes": log.notes()}


def _build(x: torch.Tensor, y: torch.Tensor, config: dict[str, Any], seed: int | None = None) -> Memorization:
    """The memorizer of (x, class index y as one scalar output) at the configured width."""
    return memorize(x.to(torch.float64), y, width=config["width"], method=config["method"],
                    seed=config["seed"] if seed is None else seed, targets="scalar")


def _float32_mses(x: torch.Tensor, y: torch.Tensor, built: Memorization, config: dict[str, Any]) -> list[float]:
    """Training MSE in float32 of the headline build and of `n_builds - 1` more builds with derived seeds."""
    target = _scalar_targets(y)
    builds = [built] + [_build(x, y, config, derive_seed(config["seed"], "build", i)) for i in
                        range(1, config["n_builds"])]
    return [float(((_run(b.net.to(torch.float32), x).double() - target) ** 2).mean()) for b in builds]


def _float32_build(x: torch.Tensor, y: torch.Tensor, n_classes: int, config: dict[str, Any], seed: int) -> dict:
    """The float32 memorizer: built, then its torch module run in float32 on the float32 inputs (as a user would)."""
    built = memorize(x, y, width=config["width"], seed=seed, targets="scalar", dtype=torch.float32)
    with torch.no_grad():
        out = built.net.to_torch()(x.to(torch.float32)).double()  # (N, 1)
    errors = (out - _scalar_targets(y)).abs()
    return {"layers": built.layers, "params": built.params, "train_mse": float((errors**2).mean()),
            "train_accuracy": scalar_class_accuracy(out, y, n_classes), "max_abs_error": float(errors.max()),
            "error_bound": built.error_bound, "build_seconds": built.build_seconds,
            "verify_seconds": built.verify_seconds, "super_buckets": built.staircase.n_super_buckets,
            "label_steps": built.staircase.n_label_steps, "attempts": built.staircase.attempts}


def _float32_metrics(x: torch.Tensor, y: torch.Tensor, n_classes: int, config: dict[str, Any]) -> dict[str, Any]:
    """float32_* metrics: the headline build (the principal code directions, seed 0) and `n_builds - 1` more with
    derived seeds (other code directions)."""
    seeds = [0] + [derive_seed(config["seed"], "float32 build", i) for i in range(1, config["n_builds"])]
    builds = [_float32_build(x, y, n_classes, config, s) for s in seeds]
    head = builds[0]
    return {**{f"float32_{k}": v for k, v in head.items()},
            "float32_train_mse_builds": [b["train_mse"] for b in builds],
            "float32_train_accuracy_builds": [b["train_accuracy"] for b in builds],
            "float32_error_bound_builds": [b["error_bound"] for b in builds],
            "float32_layers_per_image": head["layers"] / x.shape[0]}


def _seed_bound(built: Memorization, x: torch.Tensor, out32: torch.Tensor, target: torch.Tensor) -> dict[str, Any]:
    """The rounding bound of the seed's construction run in float32, beside its measured error."""
    bound = float_error_bound(built.net, x, torch.float32)
    return {"error_bound_float32": bound.max_bound, "max_abs_error_float32": float((out32.double() - target).abs()
                                                                                    .max()),
            "bound_holds_float32": bound.holds(out32), "layer_bounds_float32": bound.layer_max_bound}


def _case(ds: Dataset, pooled: bool, n_classes: int, config: dict[str, Any], finetune: bool) -> dict[str, Any]:
    """Build, run and score the memorizer for one class scheme; returns metrics and plotting data."""
    x = torch.cat([ds.x, ds.x_test]) if pooled else ds.x  # (N, D) the headline build
    y = torch.cat([ds.y, ds.y_test]) if pooled else ds.y  # (N,)
    x = x.to(torch.float64)
    target = _scalar_targets(y)  # (N, 1)
    built = _build(x, y, config)
    out64 = _run(built.net, x)  # (N, 1): as a user runs it
    out32 = _run(built.net.to(torch.float32), x)  # (N, 1)
    stacked_out, forward_seconds = _stacked_seconds(built.net, x)  # (N, 1): the fast runner, timed
    stack_diff = float((stacked_out - out64).abs().max())
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
        "layers_per_image": built.layers / x.shape[0],
        "train_accuracy": scalar_class_accuracy(out64, y, n_classes),
        "train_accuracy_float32": scalar_class_accuracy(out32.double(), y, n_classes),
        "test_accuracy": scalar_class_accuracy(test_out, y_test, n_classes),
        "test_mse": float(((test_out - _scalar_targets(y_test)) ** 2).mean()),
        **_baseline_accuracy(x_build, y_build, x_test, y_test, n_classes, config),
        "chance_accuracy": float(torch.bincount(y_test, minlength=n_classes).max()) / max(1, y_test.shape[0]),
        "build_seconds": float(built.build_seconds),
        "forward_seconds": forward_seconds,
        "stack_vs_network_max_diff": stack_diff,
        "fit_max_abs_error": float(built.fit_max_abs_error),
        "stacked_max_abs_error": float(built.stacked_max_abs_error),
        "mean_predictor_test_mse": float(((y_test.double() - y_build.double().mean()) ** 2).mean()),
        "random_guess_test_mse": _random_guess_mse(y_test, n_classes),
        "n_test": int(x_test.shape[0]),
        "n_build_held_out": int(x_build.shape[0]),
    }
    metrics.update(_float32_metrics(x, y, n_classes, config))
    layer_bounds = None
    if finetune:
        metrics.update(_finetune(built.net, x, target, config["finetune_steps"], config["finetune_lrs"]))
        metrics["finetune_steps"] = config["finetune_steps"]
        metrics["train_mse_float32_builds"] = _float32_mses(x, y, built, config)
        metrics.update(_seed_bound(built, x, out32, target))
        layer_bounds = metrics.pop("layer_bounds_float32")
    codes = built.encoding.codes.detach().to(torch.float64)  # (N,)
    return {"metrics": metrics, "notes": metrics.pop("baseline_notes"), "layer_bounds": layer_bounds,
            "codes": codes, "x": x, "y": y, "out": out64[:, 0], "built": built,
            "test_out": test_out[:, 0], "y_test": y_test}


def _random_guess_mse(y_test: torch.Tensor, n_classes: int) -> float:
    """Expected MSE of guessing a uniformly random class index for each held-out example."""
    classes = torch.arange(n_classes, dtype=torch.float64)  # (C,)
    return float(((y_test.double()[:, None] - classes[None, :]) ** 2).mean())


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


def _relation(low: float, high: float, value: float, name: str) -> str:
    """'worse than X' / 'better than X' / 'indistinguishable from X' for an MSE interval vs a baseline."""
    if low > value:
        return f"worse than {name}"
    return f"better than {name}" if high < value else f"indistinguishable from {name}"


def _references(m: dict[str, Any], main: dict[str, Any], c10: dict[str, Any] | None,
                config: dict[str, Any]) -> list[Reference]:
    built, n = main["built"], m["n_train"]
    shallow, codes = built.shallow, main["codes"][:, None]  # the 1-D interpolant and its inputs (N, 1)
    reshaped = shallow_to_deep(shallow, width=m["width"], input_lower=0.0)  # the reshaping alone, same input
    with torch.no_grad():
        shallow_out = shallow(codes)  # (N, 1)
        gap = (StackedNetwork.from_network(reshaped).forward(codes) - shallow_out).abs()  # (N, 1)
    # the two nets compute the same real function; each float64 evaluation is within its rounding bound of it
    deep_bound, shallow_bound = (float_error_bound(net, codes, torch.float64) for net in (reshaped, shallow))
    allowed = deep_bound.bound + deep_bound.reference_bound + shallow_bound.bound + shallow_bound.reference_bound
    refs = [
        Reference(
            "shallow ReLU net reshaped into width 4 computes the same function", SOURCE, "exact equality",
            float(gap.max()), verdict_holds(bool((gap <= allowed).all())),
            f"max |deep - shallow| at the {n} training codes, both run in float64, {reshaped.depth} layers: the same "
            "real function, evaluated with different sums; reproduced when at every code the difference is within "
            "the two evaluations' float64 rounding bounds (depthlab.precision, largest "
            f"{float(allowed.max()):.3g}), differs when rounding cannot explain it"),
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
        "10,000 images memorized by a net 4 neurons wide and 10,000 layers deep", SOURCE, "1 layer per image",
        f"{m['layers_per_image']:.3f} layers per image", "not comparable",
        f"{m['layers']} layers of width {m['width']}, {m['params']} parameters, for {n} images. Not comparable: the "
        "seed's construction has one shallow unit (one layer) per image by design; this one keeps a unit only "
        "where the interpolant's slope changes, so it needs fewer layers. Both memorize exactly."))
    confidence = config["confidence"]
    mses = m["train_mse_float32_builds"]
    f32 = compare(mses, [1e-5] * len(mses), "less", confidence=confidence, seed=derive_seed(config["seed"], "f32"))
    f32_note = (f"float64: {m['train_mse_float64']:.3g}. float32 rounds codes to 2^-24 of their range; "
                f"{_float32_gaps(main)} of {n - 1} neighbouring code gaps are below that, and errors "
                f"accumulate over {m['layers']} layers; training accuracy in float32 {m['train_accuracy_float32']:.4f}")
    refs.append(Reference(
        "training loss of the 10,000-layer net, 3 classes (the seed's construction, run in float32)", SOURCE, 1e-5,
        f"{m['train_mse_float32']:.3g} (median of {len(mses)} builds {f32.median_a:.3g})",
        f32.verdict if comparable else "not comparable",
        f"training MSE in float32 (the seed's precision is not stated) over {len(mses)} builds with derived seeds, "
        f"tested against 1e-5: {f32.summary()}; " + f32_note + ("" if comparable else
                                                               "; the seed used 10,000 MNIST images, 3 classes")))
    refs += _float32_references(m, c10["metrics"] if c10 is not None else None, comparable, config)
    k = int(round(m["test_accuracy"] * m["n_test"]))
    low, high = proportion_ci(k, m["n_test"], confidence)
    near = config["near_chance"]
    overfit = interval_verdict(low, high, 0.0, m["chance_accuracy"] + near)
    refs.append(Reference(
        "it overfits very hard", SOURCE, "held-out accuracy near chance",
        f"{m['test_accuracy']:.3f} [{low:.3f}, {high:.3f}]", overfit,
        f"{confidence:.0%} Wilson interval over the {m['n_test']} held-out examples; chance = the majority-class "
        f"rate {m['chance_accuracy']:.3f}; 'near chance' = at most {near} above it: reproduced when the whole "
        "interval lies below chance + that margin, differs when it lies above, else inconclusive. A trained MLP "
        f"reaches {m['baseline_test_accuracy']:.3f} on the same examples"))
    refs.append(Reference(
        "gradient fine-tuning from this initialization does not increase the training loss", "issue #3",
        "loss does not increase", m["finetune_loss_after_largest_lr"],
        verdict_holds(m["finetune_loss_after_largest_lr"] <= m["finetune_loss_before"]),
        f"measured after {m.get('finetune_steps', 5)} gradient-descent steps at the largest step size tried; "
        f"the largest that kept the loss from rising was {m['finetune_lr']:g} (loss {m['finetune_loss_after']:.3g})"))
    if c10 is not None:
        c = c10["metrics"]
        errors = ((c10["test_out"] - c10["y_test"].double()) ** 2).numpy()  # (M,) per held-out example
        low, high = mean_ci(errors, confidence, seed=derive_seed(config["seed"], "mse10"))
        around = config["around"]
        refs.append(Reference(
            "later revision: held-out MSE for labels 0-9 as one scalar", SOURCE, 10.0,
            f"{c['test_mse']:.2f} [{low:.2f}, {high:.2f}]", interval_verdict(low, high, 10 * (1 - around),
                                                                              10 * (1 + around)),
            f"{confidence:.0%} bootstrap interval over {c['n_test']} held-out examples; 'around 10' = within "
            f"+-{around:.0%}: reproduced when the interval lies inside, differs when outside. Baselines on the same "
            f"examples: predicting the training mean {c['mean_predictor_test_mse']:.2f}, guessing a random class "
            f"{c['random_guess_test_mse']:.2f}; the memorizer is "
            + _relation(low, high, c["mean_predictor_test_mse"], "the mean predictor") + " and "
            + _relation(low, high, c["random_guess_test_mse"], "random guessing")))
    return refs


def _float32_verdict(mses: list[float], config: dict[str, Any], key: str) -> tuple[float, float, str]:
    """(low, high, verdict) of the float32 training MSE over builds against the seed's 1e-5."""
    if len(mses) < 2:
        return mses[0], mses[0], "inconclusive"
    low, high = mean_ci(mses, config["confidence"], seed=derive_seed(config["seed"], key))
    return low, high, interval_verdict(low, high, 0.0, 1e-5)


def _float32_row(claim: str, source: str, f: dict[str, Any], config: dict[str, Any], key: str,
                 comparable: bool) -> Reference:
    low, high, verdict = _float32_verdict(f["float32_train_mse_builds"], config, key)
    n = len(f["float32_train_mse_builds"])
    accuracies = ", ".join(f"{a:.4f}" for a in f["float32_train_accuracy_builds"])
    return Reference(
        claim, source, 1e-5, f"{f['float32_train_mse']:.3g} (mean over {n} builds, interval [{low:.3g}, {high:.3g}])",
        verdict if comparable else "not comparable",
        f"memorize(dtype=torch.float32), its to_torch() module run in float32 on the float32 images, {n} builds "
        f"(build 0: the two principal code directions; the others: directions from derived seeds); "
        f"{config['confidence']:.0%} bootstrap interval of the mean MSE over builds, reproduced when it lies in "
        f"[0, 1e-5]. Training accuracy per build {accuracies}; {f['float32_layers']} layers of width "
        f"{f['width'] if 'width' in f else config['width']}, {f['float32_params']:,} parameters, "
        f"{f['float32_super_buckets']} super-buckets; rounding bound of the output, computed before running: "
        f"{max(f['float32_error_bound_builds']):.3g} (0 = proven exact); build {f['float32_build_seconds']:.1f} s, "
        f"checks (float32 run + bound) {f['float32_verify_seconds']:.1f} s" + ("" if comparable else
                                                                          "; the seed used 10,000 images, 3 classes"))


def _float32_references(m: dict[str, Any], c10: dict[str, Any] | None, comparable: bool,
                        config: dict[str, Any]) -> list[Reference]:
    """The float32 rows: the exact float32 construction against 1e-5, and the rounding bound against the run."""
    refs = [_float32_row("training loss of the 10,000-layer net, 3 classes, run in float32 (the float32 "
                         "construction, width 4)", SOURCE, m, config, "f32 staircase", comparable)]
    if c10 is not None:
        refs.append(_float32_row("the ten digits memorized in float32 at width 4 (MSE <= 1e-5, accuracy 1.0)",
                                 "issue #17", c10, config, "f32 staircase c10", True))
    staircase_holds = all(b >= m["float32_max_abs_error"] for b in m["float32_error_bound_builds"][:1])
    refs.append(Reference(
        "a rounding bound computed before running holds and predicts the float32 result", "issue #17",
        "bound >= measured error",
        f"float32 construction: bound {m['float32_error_bound']:.3g}, measured {m['float32_max_abs_error']:.3g}; "
        f"seed's construction: bound {m['error_bound_float32']:.3g}, measured {m['max_abs_error_float32']:.3g}",
        verdict_holds(staircase_holds and m["bound_holds_float32"]),
        "depthlab.precision.float_error_bound propagates a rigorous bound on |float32 run - exact| layer by layer "
        "(any summation order; exact sums, dead units, copies and sign-split pairs recognised). It proves the "
        "float32 construction exact (bound 0) and gives the seed's construction a bound above 0.5, i.e. no "
        "guarantee, which its measured error confirms; reproduced when the bound holds on every training image"))
    return refs


def _bound_figure(main: dict[str, Any]) -> Figure:
    """The seed's construction in float32: the rounding bound after each layer, beside the measured output error."""
    bounds = np.maximum(np.array(main["layer_bounds"]), 1e-30)
    m = main["metrics"]
    fig = Figure(figsize=(6.5, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(np.arange(1, bounds.size + 1), bounds, color="tab:red", lw=1, label="bound after each layer (max)")
    ax.axhline(max(m["max_abs_error_float32"], 1e-30), color="tab:blue", ls="--", label="measured output error")
    ax.axhline(0.5, color="0.4", ls=":", label="0.5: the rounded class can change")
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("float32 error bound")
    ax.set_title(f"seed's construction run in float32 ({m['layers']} layers); float32 construction: bound "
                 f"{m['float32_error_bound']:.3g}", fontsize=9)
    ax.legend(fontsize=8)
    return fig


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
        metrics["n_diverged"] += c10["metrics"]["n_diverged"]
        notes += c10["notes"]
    notes += main["notes"]
    m = main["metrics"]
    held = (f"held-out: the {m['n_test']} examples of the test split" if not pooled
            else f"held-out: a second build on the first {m['n_build_held_out']} training examples, tested on the "
            f"last {m['n_test']} (the training-split files are absent)")
    notes += [
        "Class scheme 'mod3': digit d -> d mod 3 (0, 3, 6, 9 -> 0; 1, 4, 7 -> 1; 2, 5, 8 -> 2); the target is the "
        "class index as one scalar output, read back by rounding to the nearest class.",
        "Every fit figure is measured by running the built network as a user does (net(x), float64 / float32); "
        f"the fast runner StackedNetwork (timed: {m['forward_seconds']:.2f} s) agrees with it to "
        f"{m['stack_vs_network_max_diff']:.3g} (max abs error {m['stacked_max_abs_error']:.3g} through it vs "
        f"{m['fit_max_abs_error']:.3g} through net(x)).",
        f"Fine-tuning: {config['finetune_steps']} full-batch gradient-descent steps in float64 from the construction. "
        f"At lr {max(config['finetune_lrs']):g} the training MSE goes {m['finetune_loss_before']:.3g} -> "
        f"{m['finetune_loss_after_largest_lr']:.3g}; the largest step size tried that does not raise it is "
        f"{m['finetune_lr']:g} (MSE {m['finetune_loss_after']:.3g}; 0 means none did): the construction's slopes are "
        "about 1 / (code gap), so its curvature is huge and ordinary step sizes overshoot. A step size whose loss "
        "rises is the measurement here (the claim is about it), not a failed run; n_diverged counts the baseline "
        "MLPs only.",
        "Baseline: MLP " + "-".join(str(w) for w in [ds.x.shape[1], *config["baseline_hidden"]]) +
        f"-C, Adam lr {config['baseline_lr']}, {config['baseline_steps']} full-batch steps, cross entropy, float32.",
        held + ".",
    ]
    return Result(
        metrics=metrics,
        references=_references(m, main, c10, config),
        tables={"summary": [{"classes": k, **{kk: v for kk, v in case["metrics"].items()}}
                            for k, case in (("mod3" if config["labels"] == "mod3" else "10", main), ("10", c10))
                            if case is not None]},
        figures={"codes": _code_figure(main), "code_gaps": _gap_figure(main), "float32_bound": _bound_figure(main)},
        data=f"{ds.describe()}; built on the first {m['n_train']} training examples; {held}.",
        notes=notes,
    )


EXPERIMENT = Experiment(
    name="memorize",
    claim="A ReLU network 4 neurons wide and about N layers deep, built from a shallow interpolant on 1-D codes, "
    "fits N training images exactly and generalizes near chance.",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "dataset": Key("mnist", rules.choice("mnist", "fashion-mnist", "mnist1d", "digits"), quick="mnist1d"),
        "n_train": Key(10_000, rules.integer(2), quick=500),
        "n_test": Key(10_000, rules.integer(1), quick=500),
        "labels": Key("mod3", rules.choice(*LABEL_SCHEMES)),
        "also_10_classes": Key(True, rules.boolean()),
        "width": Key(4, rules.integer(4)),
        "method": Key("spread", rules.choice("spread", "random", "pca")),
        "holdout_fraction": Key(0.2, rules.number(0.01, 0.99)),
        "baseline_hidden": Key([64, 64], rules.int_list(1)),
        "baseline_steps": Key(300, rules.integer(0), quick=100),
        "baseline_lr": Key(1e-3, rules.number(0, exclusive_minimum=True)),
        "finetune_steps": Key(5, rules.integer(1)),
        "finetune_lrs": Key([1e-3, 1e-6, 1e-9, 1e-12, 1e-15, 1e-18, 1e-21, 1e-24],
                            rules.number_list(0, exclusive_minimum=True)),
        "n_builds": Key(3, rules.integer(1)),
        "confidence": keys.confidence(),
        "near_chance": Key(0.05, rules.number(0, 1)),
        "around": Key(0.25, rules.number(0, 1)),
    },
    run=run,
    order=20,
    tags=("memorization", "deep-narrow"),
)
