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

from depthlab.contracts import Experiment, Key, Reference, Result, cell_groups, keys, rules
from depthlab.data import two_moons
from depthlab.evidence import GrowthFit, growth_law, slope_ci
from depthlab.grid import cells
from depthlab.models.network import Network
from depthlab.regions import partition_2d, serra, square_slice
from depthlab.regions.density import (
    boundary_length_per_area,
    equal_neuron_widths,
    fit_line,
    region_density,
)
from depthlab.seeds import derive_seed
from depthlab.train import fit
from depthlab.train.divergence import DivergenceLog, held_out_accuracy

SOURCE = "Hanin & Rolnick 2019, Complexity of linear regions in deep networks (seed 003_aa40f1eda924f9e5.txt)"


def _init(config: dict[str, Any]) -> tuple:
    """He weights (variance 2 / fan_in) and N(0, bias_std^2) biases."""
    return ("normal", math.sqrt(2.0), float(config["bias_std"]))


def _measure_cell(config: dict[str, Any], cell: dict[str, Any], seed: int) -> dict[str, Any]:
    """One random net of N neurons in `depth` equal layers: density, distance and boundary length per area."""
    n, depth = cell["neurons"], cell["depth"]
    net = Network.random([config["input_dim"], *equal_neuron_widths(n, depth), 1], init=_init(config), seed=seed)
    measured = region_density(net, config["n_lines"], config["n_points"], config["line_length"], seed=seed,
                              bound=config["bound"])
    per_area = (boundary_length_per_area(partition_2d(net, square_slice(net.input_dim, config["bound"])))
                if config["boundary_area"] else float("nan"))
    return {"width": n // depth, "breakpoints_per_length": measured.mean_density,
            "breakpoints_per_length_per_neuron": measured.mean_density / n, "boundary_length_per_area": per_area,
            "mean_distance": measured.mean_distance, "mean_distance_times_n": measured.mean_distance * n}


def _grid(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One cell per (N, depth, seed index), each a network drawn with its own derived seed; N and depth checked
    (N must split into equal layers) before any work."""
    for n in config["neurons"]:
        for d in config["depths"]:
            equal_neuron_widths(n, d)
    return cells(neurons=config["neurons"], depth=config["depths"], seed_index=list(range(config["n_seeds"])))


def _replicates(rows: list[dict[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """N values (n,) and `key` averaged over depths per seed, (n, n_seeds): the seeds are the replicates."""
    ns = sorted({r["neurons"] for r in rows})
    seeds = sorted({r["seed_index"] for r in rows})
    y = np.array([[np.mean([r[key] for r in rows if r["neurons"] == n and r["seed_index"] == s]) for s in seeds]
                  for n in ns])
    return np.array(ns, dtype=float), y


def _by_n(rows: list[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """Mean of `key` over depths and seeds, for each N."""
    ns, y = _replicates(rows, key)
    return [int(n) for n in ns], y.mean(axis=1).tolist()


def _by_depth(rows: list[dict[str, Any]], key: str, depth: int) -> tuple[list[int], list[float]]:
    """Mean of `key` over seeds for each N, at one depth."""
    ns = sorted({r["neurons"] for r in rows})
    return ns, [float(np.mean([r[key] for r in rows if r["neurons"] == n and r["depth"] == depth])) for n in ns]


def _trained_pair(config: dict[str, Any]) -> tuple[dict[str, Any], Figure]:
    """Partition of a random 2-input net at init and after training on two moons, side by side."""
    seed = derive_seed(config["seed"], "picture")
    net = Network.random([2, *config["picture_widths"], 2], init=_init(config), seed=seed)
    x, y = two_moons(config["n_train"], noise=0.1, seed=seed, bound=config["bound"])
    result = fit(net, x, y, loss="cross_entropy", optimizer="adam", lr=config["train_lr"],
                 steps=config["train_steps"], seed=seed, device=config["device"], desc="train on moons")
    trained, log = result.net, DivergenceLog()
    log.results([result], "two-moons picture net")
    square = square_slice(2, config["bound"])
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
    lines = {"n_lines": config["n_lines"], "n_points": 1, "length": config["line_length"], "seed": seed,
             "bound": config["bound"]}
    metrics = {"regions_init": before.n_regions, "regions_trained": after.n_regions,
               "train_accuracy": held_out_accuracy(result, x, y), **log.metrics(), "divergence_notes": log.notes(),
               "picture_density_init": region_density(net, **lines).mean_density,
               "picture_density_trained": region_density(trained.to(torch.float64), **lines).mean_density}
    return metrics, figure


def _scaling_figure(rows: list[dict[str, Any]], config: dict[str, Any]) -> Figure:
    """Density vs N per depth, boundary length per area vs N, distance vs N (log-log, with a 1/N guide)."""
    figure = Figure(figsize=(14, 4.2))
    axes = figure.subplots(1, 3)
    for depth in config["depths"]:
        ns, density = _by_depth(rows, "breakpoints_per_length", depth)
        axes[0].plot(ns, density, "o-", label=f"{depth} layer(s)")
        axes[1].plot(ns, _by_depth(rows, "boundary_length_per_area", depth)[1], "o-", label=f"{depth} layer(s)")
        axes[2].loglog(ns, _by_depth(rows, "mean_distance", depth)[1], "o-", label=f"{depth} layer(s)")
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


SHAPES = ("linear", "quadratic", "exponential", "logarithmic")  # two-parameter rivals of "linear in N"


def _summary(rows: list[dict[str, Any]], config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Metrics and the evidence behind the verdicts: laws over N (seeds resampled), the distance slope."""
    confidence, seed = config["confidence"], derive_seed(config["seed"], "bootstrap")
    ns, density = _replicates(rows, "breakpoints_per_length")
    _, distance = _replicates(rows, "mean_distance")
    evidence = {"density": growth_law(ns, density, laws=SHAPES, confidence=confidence, seed=seed),
                "distance": slope_ci(np.log(ns), np.log(distance), confidence=confidence, seed=seed)}
    line = fit_line(ns, density.mean(axis=1))
    at_max = [np.mean([r["breakpoints_per_length"] for r in rows if r["neurons"] == ns[-1] and r["depth"] == d])
              for d in config["depths"]]
    metrics = {
        "density_slope": line.slope, "density_intercept": line.intercept, "density_r2": line.r2,
        "density_law": evidence["density"].best or "undecided",
        "density_exponent": evidence["density"].exponent,
        "density_exponent_ci_low": evidence["density"].exponent_ci[0],
        "density_exponent_ci_high": evidence["density"].exponent_ci[1],
        "density_per_neuron": float(np.mean([r["breakpoints_per_length_per_neuron"] for r in rows])),
        "depth_spread": max(at_max) / min(at_max) if min(at_max) > 0 else float("inf"),
        "distance_loglog_slope": evidence["distance"].slope,
        "distance_slope_ci_low": evidence["distance"].ci_low, "distance_slope_ci_high": evidence["distance"].ci_high,
        "distance_times_n": float(np.mean([r["mean_distance_times_n"] for r in rows])),
        "n_values": len(ns), "n_seeds": config["n_seeds"],
    }
    if config["boundary_area"]:
        _, per_area = _replicates(rows, "boundary_length_per_area")
        evidence["boundary"] = growth_law(ns, per_area, laws=SHAPES, confidence=confidence, seed=seed)
        metrics.update(boundary_slope=fit_line(ns, per_area.mean(axis=1)).slope,
                       boundary_law=evidence["boundary"].best or "undecided",
                       boundary_exponent=evidence["boundary"].exponent)
    return metrics, evidence


def _linear_verdict(fit: GrowthFit) -> str:
    """Linear in N: linear beats the other shapes (decided) and the power-law exponent's interval contains 1."""
    low, high = fit.exponent_ci
    if (fit.decided and fit.best != "linear") or (fit.exponent_decided and not low <= 1 <= high):
        return "differs"
    return "reproduced" if fit.decided and fit.exponent_decided else "inconclusive"


def _references(m: dict[str, Any], evidence: dict[str, Any], config: dict[str, Any]) -> list[Reference]:
    rule = (f"n = {m['n_values']} values of N x {m['n_seeds']} seeds (depths averaged per seed); reproduced when "
            f"'linear' beats {', '.join(SHAPES[1:])} (AICc, in >= {config['confidence']:.0%} of seed resamples) and "
            "the power-law exponent's interval contains 1; differs when another law wins or the interval excludes 1")
    refs = [
        Reference(
            "Regions met per unit length along a line grow linearly in N, not exponentially in depth (Thm 1)",
            SOURCE, "linear in N",
            f"{m['density_per_neuron']:.3f} boundaries per unit length per neuron; "
            f"exponent {m['density_exponent']:.3f} "
            f"[{m['density_exponent_ci_low']:.3f}, {m['density_exponent_ci_high']:.3f}]; depths at the largest N "
            f"within a factor {m['depth_spread']:.2f}",
            _linear_verdict(evidence["density"]),
            f"{rule}. {evidence['density'].summary()}. Exact counts (count_regions_1d) on random segments",
        ),
        Reference(
            "Distance to the nearest region boundary scales as 1 / N (Thm 3)", SOURCE, "slope -1 in log-log",
            f"log-log slope {m['distance_loglog_slope']:.3f} [{m['distance_slope_ci_low']:.3f}, "
            f"{m['distance_slope_ci_high']:.3f}]; mean distance x N = {m['distance_times_n']:.3f}",
            evidence["distance"].verdict_for(-1.0, tolerance=config["slope_tolerance"]),
            f"{evidence['distance'].summary()}; reproduced when the interval contains -1 and lies within "
            f"-1 +- {config['slope_tolerance']}, differs when it excludes -1, else inconclusive; exact Euclidean "
            "distance to each random point's region boundary (distance_to_boundary)",
        ),
    ]
    if "boundary" in evidence:
        refs.append(Reference(
            "Boundary volume per unit volume grows linearly in N (Thm 2)", SOURCE, "linear in N",
            f"{m['boundary_slope']:.3f} per neuron; exponent {evidence['boundary'].exponent:.3f} "
            f"[{evidence['boundary'].exponent_ci[0]:.3f}, {evidence['boundary'].exponent_ci[1]:.3f}], on a 2-D slice",
            _linear_verdict(evidence["boundary"]),
            f"{rule}. {evidence['boundary'].summary()}. Boundary length per unit area of an exact 2-D partition (the "
            "square for 2 inputs, the (x_1, x_2) plane through 0 otherwise)",
        ))
    else:
        refs.append(Reference("Boundary volume per unit volume grows linearly in N (Thm 2)", SOURCE,
                              "linear in N", None, "not comparable", "boundary_area was off in this run"))
    return refs


def _combine(config: dict[str, Any], rows: list[dict[str, Any]]) -> Result:
    """The scaling fits, verdicts and figures from every cell's row (and the trained 2-D picture)."""
    metrics, evidence = _summary(rows, config)
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
        notes += trained_metrics.pop("divergence_notes")
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
        references=_references(metrics, evidence, config),
        tables={"density": rows},
        figures=figures,
        data=(f"synthetic: random inputs in [-{config['bound']}, {config['bound']}]^{config['input_dim']}"
              + (f"; two moons (sklearn, noise 0.1), {config['n_train']} training points" if config["picture"]
                 else "")),
        notes=notes,
    )


GROUPS = cell_groups(_grid, _measure_cell, _combine, desc="regions-at-init", stream="nets")


def run(config: dict[str, Any]) -> Result:
    """Measure region density, boundary length and distance for equal-N nets of several depths, one cell (N, depth,
    seed) after another (`--executor local|ray` spreads the cells)."""
    return GROUPS.run_all(config)


EXPERIMENT = Experiment(
    name="regions-at-init",
    claim="At He initialization the regions a line meets per unit length grow linearly in the number of "
          "neurons N (not exponentially in depth) and the distance to the nearest boundary scales as 1 / N.",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "input_dim": Key(2, rules.integer(2)),
        "neurons": Key([48, 96, 144, 192, 288, 384], rules.int_list(1, min_length=2, distinct=True),
                       quick=[12, 24, 48, 96]),
        "depths": Key([1, 2, 3, 4, 6], rules.int_list(1), quick=[1, 2, 4]),
        "n_seeds": keys.n_seeds(5, quick=5),
        "n_lines": Key(20, rules.integer(1), quick=6),
        "n_points": Key(2000, rules.integer(1), quick=300),
        "line_length": Key(2.0, rules.number(0, exclusive_minimum=True)),
        "bound": Key(1.0, rules.number(0, exclusive_minimum=True)),
        "bias_std": Key(0.1, rules.number(0)),
        "boundary_area": Key(True, rules.boolean()),
        "confidence": keys.confidence(),
        "slope_tolerance": Key(0.2, rules.number(0, exclusive_minimum=True)),
        "picture": Key(True, rules.boolean()),
        "picture_widths": Key([32, 32, 32], rules.int_list(1), quick=[16, 16]),
        "n_train": Key(400, rules.integer(2), quick=200),
        "train_steps": Key(3000, rules.integer(0), quick=300),
        "train_lr": Key(0.005, rules.number(0, exclusive_minimum=True), quick=0.01),
    },
    run=run,
    order=31,
    groups=GROUPS,
)
