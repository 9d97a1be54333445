"""regions-at-init (Hanin & Rolnick 2019): how dense the linear regions of a random ReLU net are.

For He-initialized ReLU networks with the same total number of hidden neurons N split into 1, 2, 3, ...
equal layers, the experiment measures exactly (depthlab.regions.density):

1. boundaries crossed per unit length along random segments through the cube [-1, 1]^D_i
   (count_regions_1d), expected linear in N and about independent of depth (Theorem 1);
2. boundary length per unit area of a 2-D slice (partition_2d), expected linear in N (Theorem 2);
3. distance from random points to the boundary of their region (distance_to_boundary), expected ~ 1/N
   (Theorem 3);

and draws the 2-D partition of one random net at initialization next to the same net trained on two
moons.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from sklearn.datasets import make_moons

from depthlab.experiments import Experiment
from depthlab.lab.progress import progress
from depthlab.lab.result import Reference, Result, verdict_holds
from depthlab.network import Network
from depthlab.regions import Plane, partition_2d, serra
from depthlab.regions.density import (
    boundary_length_per_area,
    equal_neuron_widths,
    fit_line,
    region_density,
)
from depthlab.train import accuracy, fit

SOURCE = "Hanin & Rolnick 2019, Complexity of linear regions in deep networks (seed 003_aa40f1eda924f9e5.txt)"


def _init(config: dict[str, Any]) -> tuple:
    """He weights (variance 2 / fan_in) and N(0, bias_std^2) biases."""
    return ("normal", math.sqrt(2.0), float(config["bias_std"]))


def _slice(net: Network, bound: float) -> list | Plane:
    """The 2-D domain: the square itself for 2 inputs, else the (x_1, x_2) plane through the origin."""
    if net.input_dim == 2:
        return [[-bound, -bound], [bound, -bound], [bound, bound], [-bound, bound]]
    u, v = np.zeros(net.input_dim), np.zeros(net.input_dim)
    u[0], v[1] = 1.0, 1.0
    return Plane(np.zeros(net.input_dim), u, v, bounds=(-bound, bound, -bound, bound))


def _measure(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (N, depth): means over seeds of density, boundary length and distance."""
    grid = [(n, d) for n in config["neurons"] for d in config["depths"]]
    rows = []
    for n, depth in progress(grid, desc="regions-at-init", unit="arch"):
        widths = [config["input_dim"], *equal_neuron_widths(n, depth), 1]
        density, per_area, distance = [], [], []
        for s in range(config["n_seeds"]):
            seed = config["seed"] + 1000 * s
            net = Network.random(widths, init=_init(config), seed=seed)
            measured = region_density(net, config["n_lines"], config["n_points"], config["line_length"],
                                      seed=seed, bound=config["bound"])
            density.append(measured.mean_density)
            distance.append(measured.mean_distance)
            if config["boundary_area"]:
                per_area.append(boundary_length_per_area(partition_2d(net, _slice(net, config["bound"]))))
        rows.append({
            "neurons": n, "depth": depth, "width": n // depth,
            "breakpoints_per_length": float(np.mean(density)),
            "breakpoints_per_length_per_neuron": float(np.mean(density)) / n,
            "boundary_length_per_area": float(np.mean(per_area)) if per_area else float("nan"),
            "mean_distance": float(np.mean(distance)),
            "mean_distance_times_n": float(np.mean(distance)) * n,
        })
    return rows


def _by_n(rows: list[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """Mean of `key` over depths, for each N."""
    ns = sorted({r["neurons"] for r in rows})
    return ns, [float(np.mean([r[key] for r in rows if r["neurons"] == n])) for n in ns]


def _moons(config: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """Two moons (sklearn, noise 0.1), centred and scaled into [-0.9 bound, 0.9 bound]^2."""
    x, y = make_moons(config["n_train"], noise=0.1, random_state=config["seed"])
    x = x - x.mean(axis=0)
    x = 0.9 * config["bound"] * x / np.abs(x).max()
    return torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.int64)


def _trained_pair(config: dict[str, Any]) -> tuple[dict[str, Any], Figure]:
    """Partition of a random 2-input net at init and after training on two moons, side by side."""
    net = Network.random([2, *config["picture_widths"], 2], init=_init(config), seed=config["seed"])
    x, y = _moons(config)
    trained = fit(net, x, y, loss="cross_entropy", optimizer="adam", lr=config["train_lr"],
                  steps=config["train_steps"], seed=config["seed"], desc="train on moons").net
    square = _slice(net, config["bound"])
    before, after = partition_2d(net, square), partition_2d(trained.to(torch.float64), square)
    figure = Figure(figsize=(11, 5.2))
    axes = figure.subplots(1, 2)
    for ax, part, title in [(axes[0], before, "at initialization"), (axes[1], after, "trained on two moons")]:
        part.plot(ax, edge_width=0.3)
        ax.scatter(x[:, 0].numpy(), x[:, 1].numpy(), c=y.numpy(), s=4, cmap="coolwarm", alpha=0.6)
        ax.set_title(f"{title}: {part.n_regions:,} regions")
    figure.suptitle(f"2-{'-'.join(map(str, config['picture_widths']))}-2 ReLU net on [-{config['bound']}, "
                    f"{config['bound']}]^2")
    figure.tight_layout()
    lines = {"n_lines": config["n_lines"], "n_points": 1, "length": config["line_length"], "seed": config["seed"],
             "bound": config["bound"]}
    metrics = {"regions_init": before.n_regions, "regions_trained": after.n_regions,
               "train_accuracy": accuracy(trained, x, y),
               "picture_density_init": region_density(net, **lines).mean_density,
               "picture_density_trained": region_density(trained.to(torch.float64), **lines).mean_density}
    return metrics, figure


def _scaling_figure(rows: list[dict[str, Any]], config: dict[str, Any]) -> Figure:
    """Density vs N per depth, boundary length per area vs N, distance vs N (log-log, with a 1/N guide)."""
    figure = Figure(figsize=(14, 4.2))
    axes = figure.subplots(1, 3)
    for depth in config["depths"]:
        mine = [r for r in rows if r["depth"] == depth]
        ns = [r["neurons"] for r in mine]
        axes[0].plot(ns, [r["breakpoints_per_length"] for r in mine], "o-", label=f"{depth} layer(s)")
        axes[1].plot(ns, [r["boundary_length_per_area"] for r in mine], "o-", label=f"{depth} layer(s)")
        axes[2].loglog(ns, [r["mean_distance"] for r in mine], "o-", label=f"{depth} layer(s)")
    ns, distance = _by_n(rows, "mean_distance")
    axes[2].loglog(ns, [distance[0] * ns[0] / n for n in ns], "k--", label="~ 1/N")
    titles = ["boundaries per unit length (random lines)", "boundary length per unit area (2-D slice)",
              "mean distance to nearest boundary"]
    for ax, title in zip(axes, titles):
        ax.set_xlabel("N (hidden neurons in all)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Fits over N (means over depths) and the depth spread at the largest N."""
    ns, density = _by_n(rows, "breakpoints_per_length")
    line = fit_line(ns, density)
    _, distance = _by_n(rows, "mean_distance")
    loglog = fit_line(np.log(ns), np.log(distance))
    at_max = [r["breakpoints_per_length"] for r in rows if r["neurons"] == ns[-1]]
    metrics = {
        "density_slope": line.slope, "density_intercept": line.intercept, "density_r2": line.r2,
        "density_per_neuron": float(np.mean([r["breakpoints_per_length_per_neuron"] for r in rows])),
        "depth_spread": max(at_max) / min(at_max) if min(at_max) > 0 else float("inf"),
        "distance_loglog_slope": loglog.slope, "distance_loglog_r2": loglog.r2,
        "distance_times_n": float(np.mean([r["mean_distance_times_n"] for r in rows])),
    }
    _, per_area = _by_n(rows, "boundary_length_per_area")
    if not any(math.isnan(v) for v in per_area):
        area_line = fit_line(ns, per_area)
        metrics.update(boundary_slope=area_line.slope, boundary_r2=area_line.r2)
    return metrics


def _references(m: dict[str, Any], config: dict[str, Any]) -> list[Reference]:
    linear = m["density_r2"] >= config["min_r2"] and m["depth_spread"] <= config["max_depth_spread"]
    refs = [
        Reference(
            "Regions met per unit length along a line grow linearly in N, not exponentially in depth (Thm 1)",
            SOURCE, "linear in N",
            f"{m['density_slope']:.3f} boundaries per unit length per neuron (R^2 {m['density_r2']:.3f}); "
            f"depths at the largest N within a factor {m['depth_spread']:.2f}",
            verdict_holds(linear),
            f"reproduced when R^2 >= {config['min_r2']} and the depth spread <= {config['max_depth_spread']} "
            "(thresholds fixed before measuring); exact counts (count_regions_1d) on random segments",
        ),
        Reference(
            "Distance to the nearest region boundary scales as 1 / N (Thm 3)", SOURCE, "slope -1 in log-log",
            f"log-log slope {m['distance_loglog_slope']:.2f}; mean distance x N = {m['distance_times_n']:.2f}",
            verdict_holds(abs(m["distance_loglog_slope"] + 1) <= 0.3),
            "exact Euclidean distance to the boundary of each random point's region (distance_to_boundary); "
            "reproduced when the slope is within 0.3 of -1",
        ),
    ]
    if "boundary_slope" in m:
        refs.append(Reference(
            "Boundary volume per unit volume grows linearly in N (Thm 2)", SOURCE, "linear in N",
            f"{m['boundary_slope']:.3f} per neuron (R^2 {m['boundary_r2']:.3f}), on a 2-D slice",
            verdict_holds(m["boundary_r2"] >= config["min_r2"]),
            "boundary length per unit area of an exact 2-D partition (the square for 2 inputs, the "
            "(x_1, x_2) plane through 0 otherwise)",
        ))
    else:
        refs.append(Reference("Boundary volume per unit volume grows linearly in N (Thm 2)", SOURCE,
                              "linear in N", None, "not comparable", "boundary_area was off in this run"))
    return refs


def run(config: dict[str, Any]) -> Result:
    """Measure region density, boundary length and distance for equal-N nets of several depths."""
    if len(set(config["neurons"])) < 2 or not config["depths"]:
        raise ValueError(
            "The 'neurons' config key must list at least two distinct totals and 'depths' at least one depth. "
            f"Got neurons={config['neurons']!r}, depths={config['depths']!r} instead."
        )
    for n in config["neurons"]:
        for d in config["depths"]:
            equal_neuron_widths(n, d)  # validates before any work
    rows = _measure(config)
    metrics = _summary(rows)
    figures = {"scaling": _scaling_figure(rows, config)}
    notes = [
        "Counted: activation-region boundaries crossed (consecutive distinct patterns), not maximal affine "
        "pieces; 'per unit length' = (regions met - 1) / segment length.",
        f"Weights N(0, 2 / fan_in) (He); biases N(0, {config['bias_std']}^2): with zero biases every "
        "first-layer boundary would pass through the origin (the theorems assume a bias density).",
        f"Segments of length {config['line_length']} centred uniformly in [-{config['bound']}, "
        f"{config['bound']}]^{config['input_dim']} in uniform directions; {config['n_lines']} segments, "
        f"{config['n_points']} points and {config['n_seeds']} networks per architecture.",
    ]
    if config["picture"]:
        trained_metrics, figures["partition_init_vs_trained"] = _trained_pair(config)
        metrics.update(trained_metrics)
        bound = serra(2, config["picture_widths"])
        metrics["serra_picture"] = float(bound)
        notes.append(f"2-D picture: {metrics['regions_init']:,} regions at initialization, "
                     f"{metrics['regions_trained']:,} after {config['train_steps']} Adam steps on two moons "
                     f"(train accuracy {metrics['train_accuracy']:.3f}); Serra's upper bound for these widths is "
                     f"{bound:.3g}. Boundaries per unit length along the same random segments: "
                     f"{metrics['picture_density_init']:.1f} at initialization, "
                     f"{metrics['picture_density_trained']:.1f} trained.")
    return Result(
        metrics=metrics,
        references=_references(metrics, config),
        tables={"density": rows},
        figures=figures,
        data=(f"synthetic: random inputs in [-{config['bound']}, {config['bound']}]^{config['input_dim']}"
              + (f"; two moons (sklearn, noise 0.1), {config['n_train']} training points" if config["picture"]
                 else "")),
        notes=notes,
    )


EXPERIMENT = Experiment(
    name="regions-at-init",
    claim="At He initialization the regions a line meets per unit length grow linearly in the number of "
          "neurons N (not exponentially in depth) and the distance to the nearest boundary scales as 1 / N.",
    source=SOURCE,
    defaults={
        "input_dim": 2, "neurons": [48, 96, 192], "depths": [1, 2, 3, 4, 6], "n_seeds": 5, "n_lines": 20,
        "n_points": 2000, "line_length": 2.0, "bound": 1.0, "bias_std": 0.1, "boundary_area": True,
        "min_r2": 0.9, "max_depth_spread": 2.0,
        "picture": True, "picture_widths": [32, 32, 32], "n_train": 400, "train_steps": 3000, "train_lr": 0.005,
    },
    quick={"neurons": [24, 48, 96], "depths": [1, 2, 4], "n_seeds": 2, "n_lines": 6, "n_points": 300,
           "picture_widths": [16, 16], "n_train": 200, "train_steps": 300, "train_lr": 0.01},
    run=run,
    order=31,
)
