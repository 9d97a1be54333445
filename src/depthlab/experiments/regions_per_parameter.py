"""regions-per-parameter (seed 002): maximum linear regions vs parameters, shallow vs deep, D_i = 1 and 10.

The curves are bounds (`zaslavsky` for one hidden layer, book eq. 4.17 `udl_max_regions` for K layers,
both against `mlp_params`); the marked points are networks built by hand whose regions are counted
exactly (`count_regions_1d` along [0, 1], `partition_2d` on the unit square), not sampled.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab.construct import compose, folding_net, max_regions_net, shallow_max_regions_net, zigzag_net
from depthlab.experiments import Experiment
from depthlab.regions import count_regions_1d, mlp_params, montufar, partition_2d, serra, udl_max_regions, zaslavsky
from depthlab.result import Reference, Result, verdict_close, verdict_holds

SOURCE = "seed 002_53d51d408c58c4ad.txt (Prince, Understanding Deep Learning, ch. 4, fig. 4.7)"
UNIT_SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def _curves(input_dim: int, shallow_widths: list[int], deep_widths: list[int], depth: int) -> list[dict[str, Any]]:
    """Rows (family, input_dim, depth, width, params, max_regions) of the bound curves for one input size."""
    rows = [
        {"family": "shallow (Zaslavsky)", "input_dim": input_dim, "depth": 1, "width": D,
         "params": mlp_params(input_dim, [D]), "max_regions": float(zaslavsky(D, input_dim))}
        for D in shallow_widths
    ]
    rows += [
        {"family": f"deep K={depth} (eq. 4.17)", "input_dim": input_dim, "depth": depth, "width": D,
         "params": mlp_params(input_dim, [D] * depth), "max_regions": float(udl_max_regions(D, input_dim, depth))}
        for D in deep_widths
        if D % input_dim == 0 and D // input_dim >= 3
    ]
    return rows


def _constructions(config: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Exact counts of the hand-built networks: metrics and table rows."""
    K, D = config["deep_layers"], config["deep_width"]
    shallow6 = shallow_max_regions_net(6)
    composed = compose(zigzag_net(3), zigzag_net(3))
    deep = folding_net(K, D)
    counts = {
        "shallow6": (shallow6, count_regions_1d(shallow6, 0.0, 1.0).n_regions, zaslavsky(6, 1)),
        "composed_3_3": (composed, count_regions_1d(composed, 0.0, 1.0).n_regions, 16),
        f"deep_{K}x{D}": (deep, count_regions_1d(deep, 0.0, 1.0).n_regions, udl_max_regions(D, 1, K)),
    }
    metrics: dict[str, Any] = {}
    rows = []
    for key, (net, regions, bound) in counts.items():
        metrics[f"regions_{key}"], metrics[f"params_{key}"] = regions, net.n_params
        rows.append({"network": key, "widths": "-".join(map(str, net.widths)), "input_dim": 1,
                     "params": net.n_params, "regions_exact": regions, "max_regions_bound": float(bound),
                     "counted_by": "count_regions_1d on [0, 1]"})
    K2, D2 = config["plane_layers"], config["plane_width"]
    plane_net = max_regions_net(2, K2, D2)
    partition = partition_2d(plane_net, UNIT_SQUARE)
    metrics["regions_plane"] = partition.n_regions
    metrics["bound_plane"] = float(udl_max_regions(D2, 2, K2))
    metrics["params_plane"] = plane_net.n_params
    rows.append({"network": f"plane_{K2}x{D2}", "widths": "-".join(map(str, plane_net.widths)), "input_dim": 2,
                 "params": plane_net.n_params, "regions_exact": partition.n_regions,
                 "max_regions_bound": float(udl_max_regions(D2, 2, K2)), "counted_by": "partition_2d on [0, 1]^2"})
    return metrics | {"_partition": partition}, rows


def _wide_row(config: dict[str, Any]) -> dict[str, Any]:
    """The seed's D_i = 10, K = 5, D = 50 network: parameters and the three region bounds (no count)."""
    D_i, K, D = config["wide_input_dim"], config["wide_layers"], config["wide_width"]
    return {
        "params_wide": mlp_params(D_i, [D] * K),
        "udl_regions_wide": float(udl_max_regions(D, D_i, K)),
        "montufar_regions_wide": float(montufar(D_i, [D] * K)),
        "serra_regions_wide": float(serra(D_i, [D] * K)),
    }


def _figure(curves: list[dict[str, Any]], rows: list[dict[str, Any]], wide: dict[str, Any], config) -> Figure:
    figure = Figure(figsize=(11, 4.2))
    axes = figure.subplots(1, 2)
    for ax, input_dim in zip(axes, config["input_dims"]):
        for family, style in (("shallow", "--"), ("deep", "-")):
            pts = [r for r in curves if r["input_dim"] == input_dim and r["family"].startswith(family)]
            ax.plot([r["params"] for r in pts], [r["max_regions"] for r in pts], style, marker=".",
                    label=pts[0]["family"] if pts else family)
        for row in rows:
            if row["input_dim"] == input_dim:
                ax.plot(row["params"], row["regions_exact"], "o", ms=8, mfc="none", label=f"{row['network']} (exact)")
        if input_dim == config["wide_input_dim"]:
            ax.plot(wide["params_wide"], wide["udl_regions_wide"], "k*", ms=10, label="5x50: eq. 4.17")
            ax.vlines(wide["params_wide"], wide["montufar_regions_wide"], wide["serra_regions_wide"], colors="k",
                      label="5x50: Montufar..Serra")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel("maximum linear regions")
        ax.set_title(f"D_i = {input_dim}")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def _partition_figure(partition) -> Figure:
    figure = Figure(figsize=(5, 5))
    ax = figure.subplots()
    partition.plot(ax=ax)
    ax.set_title(f"max_regions_net on [0,1]^2: {partition.n_regions:,} regions")
    return figure


def _references(m: dict[str, Any], config: dict[str, Any]) -> list[Reference]:
    K, D = config["deep_layers"], config["deep_width"]
    deep, deep_params = m[f"regions_deep_{K}x{D}"], m[f"params_deep_{K}x{D}"]
    refs = [
        Reference("Shallow net, 1 input, 6 hidden units: 19 parameters", SOURCE, 19, m["params_shallow6"],
                  verdict_close(19, m["params_shallow6"])),
        Reference("Shallow net, 1 input, 6 hidden units: at most 7 linear regions (attained)", SOURCE, 7,
                  m["regions_shallow6"], verdict_close(7, m["regions_shallow6"]),
                  "exact count on [0, 1] of shallow_max_regions_net(6)"),
        Reference("Two composed 1-3-1 networks: 20 parameters, at least 9 regions", SOURCE, ">= 9",
                  m["regions_composed_3_3"], verdict_holds(m["regions_composed_3_3"] >= 9),
                  f"the two parts store 10 + 10 = 20 parameters; the composed 1-3-3-1 network itself stores "
                  f"{m['params_composed_3_3']} (its 3x3 middle matrix replaces a 3x1 and a 1x3 map); the same "
                  "shape attains 16 = 4^2 with folding_net(2, 3)"),
    ]
    if (K, D) == (5, 10):
        refs += [
            Reference("1 input, K = 5 layers of D = 10 units: 471 parameters", SOURCE, 471, deep_params,
                      verdict_close(471, deep_params)),
            Reference("1 input, 5 x 10: 161,051 regions (= 11^5)", SOURCE, 161_051, deep,
                      verdict_close(161_051, deep), "exact count along [0, 1] of folding_net(5, 10)"),
            Reference("The seed's figure for 5 x 10", "seed 002 text", "161,501", deep, "differs",
                      "a misprint: 11^5 = 161,051 (corrected in the book's errata); our exact count is 161,051"),
            Reference("Montufar et al. 2014 lower bound, 1 input, 5 x 10", "Montufar et al. 2014 / REFERENCES.md",
                      110_000, m["montufar_regions_1x5x10"], verdict_close(110_000, m["montufar_regions_1x5x10"]),
                      "below the 161,051 the folding construction attains"),
        ]
    if (config["wide_input_dim"], config["wide_layers"], config["wide_width"]) == (10, 5, 50):
        refs += [
            Reference("D_i = 10, K = 5, D = 50: 10,801 parameters", SOURCE, 10_801, m["params_wide"],
                      verdict_close(10_801, m["params_wide"])),
            Reference("D_i = 10, K = 5, D = 50: more than 10^40 regions (eq. 4.17 about 1.8e41)", SOURCE, 1.8e41,
                      m["udl_regions_wide"], verdict_close(1.8e41, m["udl_regions_wide"], rtol=0.01),
                      "eq. 4.17 evaluated exactly; for D_i > 1 it equals Serra et al.'s lower bound (Thm. 6), "
                      "not a proven maximum; not counted (far beyond any enumeration)"),
            Reference("Serra et al. 2018 upper bound for D_i = 10, 5 x 50", "Serra et al. 2018 / REFERENCES.md",
                      4.4e50, m["serra_regions_wide"], verdict_close(4.4e50, m["serra_regions_wide"], rtol=0.02)),
        ]
    refs.append(Reference(
        f"Book's D_i-input construction attains eq. 4.17 (D_i = 2, {config['plane_layers']} x "
        f"{config['plane_width']})", SOURCE, m["bound_plane"],
        m["regions_plane"], verdict_close(m["bound_plane"], m["regions_plane"]),
        "exact partition of the unit square (partition_2d) of max_regions_net(2, K, D)"))
    return refs


def run(config: dict[str, Any]) -> Result:
    """Bound curves, exact counts of the constructions, the D_i = 10 row and the 2-D picture."""
    curves = []
    for input_dim in config["input_dims"]:
        curves += _curves(input_dim, config["shallow_widths"], config["deep_widths"], config["deep_layers"])
    found, rows = _constructions(config)
    partition = found.pop("_partition")
    wide = _wide_row(config)
    K, D = config["deep_layers"], config["deep_width"]
    metrics = {**found, **wide, f"montufar_regions_1x{K}x{D}": montufar(1, [D] * K),
               f"serra_regions_1x{K}x{D}": serra(1, [D] * K)}
    return Result(
        metrics=metrics,
        references=_references(metrics, config),
        tables={"constructions": rows, "bounds": curves},
        figures={"regions_vs_params": _figure(curves, rows, wide, config),
                 "partition_2d": _partition_figure(partition)},
        data="no data: hand-built networks on [0, 1] (1 input) and [0, 1]^2 (2 inputs), and closed-form bounds",
        notes=[
            "Curves are maxima from formulas (Zaslavsky for one hidden layer, eq. 4.17 for K layers of D units "
            "with D_i dividing D and D / D_i >= 3); points are exact counts of activation regions of constructions.",
            "The seed's '161,501' for the 5 x 10 network is a misprint of 11^5 = 161,051.",
            "The composed 1-3-1 pair has 20 parameters as two networks but 22 as one stored network.",
        ],
    )


EXPERIMENT = Experiment(
    name="regions-per-parameter",
    claim="Deep ReLU networks can have far more linear regions per parameter than shallow ones (5 x 10: 471 "
    "parameters, 161,051 regions).",
    source=SOURCE,
    defaults={
        "input_dims": [1, 10],
        "shallow_widths": [1, 2, 3, 4, 6, 10, 20, 50, 100, 200, 500, 1000, 2000],
        "deep_widths": [3, 4, 5, 6, 8, 10, 20, 30, 40, 50, 60, 80, 100],
        "deep_layers": 5,
        "deep_width": 10,
        "wide_input_dim": 10,
        "wide_layers": 5,
        "wide_width": 50,
        "plane_layers": 3,
        "plane_width": 6,
    },
    quick={"plane_layers": 2},
    run=run,
    order=30,
)
