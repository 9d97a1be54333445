"""landscape (Li et al. 2018): loss surfaces of shallow, deep plain and deep residual MLPs on MNIST-1D.

Each model is trained (Adam, cross entropy); then on the training set:

1. a grid x grid surface over the plane theta* + a d1 + b d2 spanned by two filter-normalized random
   directions (depthlab.landscape.loss_surface), drawn as contours and as a 3-D surface;
2. the 1-D interpolation (1 - t) theta_0 + t theta* from initialization to solution (loss_along_line);
3. sharpness: the mean loss increase on circles of radius r in the plane (loss_increase), for several
   independent direction pairs, the replicates with which plain and residual nets are compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from depthlab.checks import InputError
from depthlab.contracts import Experiment, Key, Reference, Result, keys, rules
from depthlab.data import load_dataset
from depthlab.evidence import compare
from depthlab.landscape import filter_normalized_direction, loss_along_line, loss_increase, loss_surface
from depthlab.models.network import Network
from depthlab.models.residual import ResidualNetwork
from depthlab.progress import progress
from depthlab.seeds import derive_seed
from depthlab.train import fit
from depthlab.train.divergence import DivergenceLog

SOURCE = "Li et al. 2018, Visualizing the loss landscape of neural nets (seed 003_aa40f1eda924f9e5.txt, slide 26)"
MODELS: tuple[str, ...] = ("shallow", "deep_plain", "deep_residual")


def _initial(name: str, config: dict[str, Any], n_in: int, n_out: int):
    seed = derive_seed(config["seed"], "init", name)
    if name == "shallow":
        return Network.random([n_in, config["shallow_width"], n_out], seed=seed)
    if name == "deep_plain":
        return Network.random([n_in] + [config["width"]] * config["depth"] + [n_out], seed=seed)
    return ResidualNetwork.random(n_in, config["width"], config["depth"], n_out, seed=seed, scaled=True)


def _train(name: str, config: dict[str, Any], data) -> dict[str, Any]:
    init = _initial(name, config, data.x.shape[1], data.n_classes)
    out = fit(init, data.x, data.y, loss="cross_entropy", optimizer="adam", lr=config["lr"], steps=config["steps"],
              batch_size=config["batch_size"], seed=derive_seed(config["seed"], "train", name), device=config["device"],
              desc=f"train {name}")
    return {"init": init, "net": out.net.to(torch.float64), "result": out}


def _test_error(net, data) -> float:
    with torch.no_grad():
        return float((net(data.x_test).argmax(dim=1) != data.y_test).double().mean())


def _landscape(name: str, model: dict[str, Any], config: dict[str, Any], x, y) -> dict[str, Any]:
    net = model["net"]
    pairs = [[filter_normalized_direction(net, seed=derive_seed(config["seed"], "direction", name, p, k))
              for k in (0, 1)] for p in range(config["n_direction_pairs"])]
    surface = loss_surface(net, x, y, pairs[0], grid=config["grid"], span=(-config["span"], config["span"]))
    line = loss_along_line(model["init"].to(torch.float64) if isinstance(model["init"], Network)
                           else model["init"].to(torch.float64), net, x, y, n=config["line_points"],
                           span=tuple(config["line_span"]))
    increases = {r: [loss_increase(net, x, y, pair, r, n_angles=config["n_angles"]) for pair in pairs]
                 for r in config["radii"]}
    return {"surface": surface, "line": line, "increases": increases}


def _contour_figure(results: dict[str, Any], config: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(15, 4.6))
    axes = figure.subplots(1, len(results))
    for ax, (name, r) in zip(np.atleast_1d(axes), results.items()):
        s = r["surface"]
        loss = s.loss.numpy().T  # rows: betas, columns: alphas
        levels = np.linspace(loss.min(), min(loss.max(), loss.min() + config["contour_range"]), 25)
        cs = ax.contour(s.alphas.numpy(), s.betas.numpy(), loss, levels=levels, cmap="viridis", linewidths=0.8)
        ax.clabel(cs, cs.levels[::4], fontsize=6, fmt="%.2f")
        ax.plot([0], [0], "r+", ms=10)
        ax.set_title(f"{name}: loss at center {s.center_loss:.3f}", fontsize=9)
        ax.set_xlabel("a (d1)")
        ax.set_ylabel("b (d2)")
        ax.set_aspect("equal")
    figure.suptitle(f"training loss on theta* + a d1 + b d2 (filter-normalized), "
                    f"{config['grid']}x{config['grid']} grid", fontsize=10)
    figure.tight_layout()
    return figure


def _surface_figure(results: dict[str, Any], config: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(15, 5))
    for i, (name, r) in enumerate(results.items()):
        ax = figure.add_subplot(1, len(results), i + 1, projection="3d")
        s = r["surface"]
        a, b = np.meshgrid(s.alphas.numpy(), s.betas.numpy(), indexing="ij")
        loss = np.minimum(s.loss.numpy(), s.loss.numpy().min() + config["contour_range"])
        ax.plot_surface(a, b, loss, cmap="viridis", linewidth=0, antialiased=True)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("a")
        ax.set_ylabel("b")
        ax.set_zlabel("loss")
    figure.tight_layout()
    return figure


def _line_figure(results: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(11, 4.2))
    ax, ax2 = figure.subplots(1, 2)
    for i, (name, r) in enumerate(results.items()):
        line = r["line"]
        ax.plot(line.t.numpy(), line.loss.numpy(), color=f"C{i}", label=name)
        ax2.plot(line.t.numpy(), line.accuracy.numpy(), color=f"C{i}", label=name)
    for a, label in ((ax, "training loss"), (ax2, "training accuracy")):
        a.axvline(0, color="k", lw=0.6, ls=":")
        a.axvline(1, color="k", lw=0.6, ls=":")
        a.set_xlabel("t: (1 - t) init + t solution")
        a.set_ylabel(label)
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    ax.set_yscale("log")
    figure.tight_layout()
    return figure


def _references(results, errors, config, log: DivergenceLog) -> list[Reference]:
    r = config["radii"][len(config["radii"]) // 2]
    plain, residual = results["deep_plain"]["increases"][r], results["deep_residual"]["increases"][r]
    test = compare(plain, residual, alternative="greater", confidence=config["confidence"],
                   seed=derive_seed(config["seed"], "compare"))
    failed = [name for name in ("deep_plain", "deep_residual") if log.splits[name].n_failed]
    verdict = "inconclusive" if failed else test.verdict  # the surface around a failed training says nothing
    return [
        Reference(
            "Without skip connections a deep net's loss surface is sharper and more chaotic; skips make it smooth",
            SOURCE, "qualitative (ResNet-56 vs no-skip, CIFAR-10 figures)",
            {"deep_plain": round(float(np.median(plain)), 4), "deep_residual": round(float(np.median(residual)), 4)},
            verdict,
            (f"inconclusive: {' and '.join(failed)} diverged or did not train, so its surface is not around a "
             "solution; " if failed else "") +
            f"loss increase at radius {r} (mean over {config['n_angles']} angles) for {config['n_direction_pairs']} "
            f"independent filter-normalized direction pairs, one trained net each (replicates are direction pairs, "
            f"not trainings); reproduced when plain > residual at {config['confidence']:.0%}: {test.summary()}",
        ),
        Reference(
            "ResNet-56 test error 13.31% without skip connections vs 5.89% with", "Li et al. 2018 (CIFAR-10)",
            {"no_skip": 0.1331, "skip": 0.0589},
            {"deep_plain": round(errors["deep_plain"], 4), "deep_residual": round(errors["deep_residual"], 4)},
            "not comparable",
            f"measured on MNIST-1D with {config['depth']}-layer MLPs of width {config['width']}, "
            "not CIFAR-10 ResNet-56",
        ),
    ]


def run(config: dict[str, Any]) -> Result:
    """Train the three MLPs, draw their surfaces and interpolations, and compare sharpness."""
    for key in ("grid", "depth", "width", "shallow_width", "n_direction_pairs", "steps", "n_surface"):
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"The '{key}' config key must be an int >= 1. Got {value!r} instead.")
    if not config["radii"] or any(not r > 0 for r in config["radii"]):
        raise InputError(f"The 'radii' config key must list radii > 0. Got {config['radii']!r} instead.")
    if config["n_surface"] > config["n_train"]:
        raise InputError(f"The 'n_surface' config key must be <= n_train ({config['n_train']}). "
                         f"Got {config['n_surface']!r} instead.")
    data = load_dataset("mnist1d", n_train=config["n_train"], n_test=config["n_test"], seed=config["seed"])
    x, y = data.x[: config["n_surface"]], data.y[: config["n_surface"]]
    results, errors, metrics = {}, {}, {}
    log = DivergenceLog()
    for name in progress(MODELS, desc="landscape", unit="model"):
        model = _train(name, config, data)
        log.results([model["result"]], name)
        results[name] = _landscape(name, model, config, x, y)
        errors[name] = _test_error(model["net"], data) if not model["result"].diverged else float("nan")
        metrics[f"{name}_loss_at_center"] = results[name]["surface"].center_loss
        for r in config["radii"]:
            metrics[f"{name}_loss_increase_r{r:g}"] = float(np.median(results[name]["increases"][r]))
        metrics[f"{name}_surface_seconds"] = results[name]["surface"].seconds
        metrics[f"{name}_test_error"] = errors[name]
    metrics["surface_seconds"] = sum(results[n]["surface"].seconds for n in MODELS)
    metrics.update(log.metrics())
    rows = [{"model": n, "radius": r, "pair": p, "loss_increase": v} for n in MODELS
            for r in config["radii"] for p, v in enumerate(results[n]["increases"][r])]
    points = config["grid"] ** 2
    return Result(
        metrics=metrics,
        references=_references(results, errors, config, log),
        tables={"sharpness": rows},
        figures={"contours": _contour_figure(results, config), "surfaces_3d": _surface_figure(results, config),
                 "interpolation": _line_figure(results)},
        data=f"{data.source}; surfaces on the first {config['n_surface']} training examples",
        notes=[
            f"Models: 40-{config['shallow_width']}-10 (shallow); 40-[{config['width']} x {config['depth']}]-10 ReLU "
            f"(deep plain); residual 40 -> {config['width']} -> {config['depth']} blocks h + a(...)/sqrt(L) -> 10 "
            f"(deep residual). Adam lr {config['lr']}, {config['steps']} steps, batch {config['batch_size']}, float32; "
            "surfaces in float64.",
            f"Each surface is {points:,} full passes over {config['n_surface']} examples, evaluated as batches of "
            f"networks: {metrics['surface_seconds']:.1f} s for all three.",
            "Directions: filter-normalized per neuron row, biases zeroed (Li et al.'s --xignore biasbn).",
        ] + log.notes(),
    )


EXPERIMENT = Experiment(
    name="landscape",
    claim="Loss surfaces over filter-normalized planes show deep nets without skip connections sharper than with them.",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "n_train": Key(4000, rules.integer(10), quick=1000),
        "n_test": Key(1000, rules.integer(1), quick=300),
        "n_surface": Key(4000, rules.integer(1), quick=500),
        "shallow_width": Key(512, rules.integer(1), quick=64),
        "width": Key(100, rules.integer(1), quick=32),
        "depth": Key(8, rules.integer(1), quick=4),
        "steps": Key(3000, rules.integer(0), quick=300),
        "lr": keys.lr(1e-3, quick=3e-3),
        "batch_size": Key(128, rules.integer(1)),
        "grid": Key(51, rules.integer(1), quick=11),
        "span": Key(1.0, rules.number(0, exclusive_minimum=True)),
        "line_points": Key(41, rules.integer(2), quick=11),
        "line_span": Key([-0.25, 1.25], rules.interval()),
        "radii": Key([0.1, 0.25, 0.5], rules.number_list(0, exclusive_minimum=True)),
        "n_angles": Key(32, rules.integer(3), quick=8),
        "n_direction_pairs": Key(6, rules.integer(1), quick=4),
        "contour_range": Key(5.0, rules.number(0, exclusive_minimum=True)),
        "confidence": keys.confidence(),
    },
    run=run,
    order=42,
)
