"""regions-per-parameter (seed 002; Prince, Understanding Deep Learning, fig. 4.7): regions vs parameters.

The lecture's figure: the maximum number of linear regions as a function of the parameter count, for
shallow nets (Zaslavsky: sum_{j <= D_i} C(D, j)) and deep nets with K = 5 layers of D units (book
eq. 4.17), for D_i = 1 and D_i = 10 inputs. Beside the curves, networks that attain the counts are
built and their regions counted exactly (count_regions_1d, partition_2d): the 6-unit shallow net, two
composed 1-3-1 nets, the 5 x 10 folding net (161,051 = 11^5 regions), and the book's 2-input
construction; the Montufar et al. 2014 lower bound and Serra et al. 2018 upper bound are shown for the
5 x 10 and the D_i = 10, 5 x 50 networks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab.construct import compose
from depthlab.construct.folding import zigzag_net
from depthlab.construct.maximal import folding_net, max_regions_net, shallow_max_regions_net
from depthlab.contracts import Experiment, Key, Reference, Result, rules, verdict_close, verdict_holds
from depthlab.regions import count_regions_1d, mlp_params, montufar, partition_2d, serra, udl_max_regions, zaslavsky

SOURCE = "seed 002_53d51d408c58c4ad.txt (Prince, Understanding Deep Learning, ch. 4, fig. 4.7 and eq. 4.17)"
ONE_INPUT = ("shallow6", "composed_3_3", "deep_5x10")
UNIT_SQUARE = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]


def _curves(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows (family, input_dim, width, layers, params, max_regions) of the two bound curves per input size.

    Shallow nets with D units and deep nets with K layers of D units (D a multiple of D_i), every net
    with at most `max_params` parameters.
    """
    rows, k, cap = [], config["deep_layers"], config["max_params"]
    for d_i in config["input_dims"]:
        top = max(1, (cap - 1) // (d_i + 2))  # largest shallow width within the cap
        for d in np.unique(np.geomspace(1, top, config["n_curve_points"]).astype(int)).tolist():
            rows.append({"family": "shallow", "input_dim": d_i, "width": d, "layers": 1,
                         "params": mlp_params(d_i, [d]), "max_regions": float(zaslavsky(d, d_i))})
        d = d_i
        while mlp_params(d_i, [d] * k) <= cap:
            rows.append({"family": f"deep (K = {k})", "input_dim": d_i, "width": d, "layers": k,
                         "params": mlp_params(d_i, [d] * k), "max_regions": float(udl_max_regions(d, d_i, k))})
            d += d_i
    return rows


def _constructions() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Exact counts of the 1-input constructions on [0, 1], and the bounds beside them."""
    shallow = shallow_max_regions_net(6)
    composed = compose(zigzag_net(3), zigzag_net(3))
    deep = folding_net(5, 10)
    counted = {name: count_regions_1d(net, 0.0, 1.0) for name, net in
               [("shallow6", shallow), ("composed_3_3", composed), ("deep_5x10", deep)]}
    metrics = {
        "regions_shallow6": counted["shallow6"].n_regions, "pieces_shallow6": counted["shallow6"].n_pieces,
        "params_shallow6": shallow.n_params,
        "regions_composed_3_3": counted["composed_3_3"].n_regions,
        "pieces_composed_3_3": counted["composed_3_3"].n_pieces,
        "params_composed_3_3": zigzag_net(3).n_params * 2, "params_composed_stored": composed.n_params,
        "regions_deep_5x10": counted["deep_5x10"].n_regions, "pieces_deep_5x10": counted["deep_5x10"].n_pieces,
        "params_deep_5x10": deep.n_params,
        "udl_deep_5x10": udl_max_regions(10, 1, 5), "montufar_deep_5x10": montufar(1, [10] * 5),
        "serra_deep_5x10": serra(1, [10] * 5),
        "params_deep_10_5x50": mlp_params(10, [50] * 5), "udl_deep_10_5x50": float(udl_max_regions(50, 10, 5)),
        "montufar_deep_10_5x50": float(montufar(10, [50] * 5)), "serra_deep_10_5x50": float(serra(10, [50] * 5)),
    }
    rows = [
        {"network": "shallow 1-6-1 (shallow_max_regions_net(6))", "params": shallow.n_params,
         "regions_counted": metrics["regions_shallow6"], "pieces_counted": metrics["pieces_shallow6"],
         "bound": zaslavsky(6, 1), "bound_name": "Zaslavsky (maximum)"},
        {"network": "two composed 1-3-1 zigzags (1-3-3-1 stored)", "params": metrics["params_composed_3_3"],
         "regions_counted": metrics["regions_composed_3_3"], "pieces_counted": metrics["pieces_composed_3_3"],
         "bound": udl_max_regions(3, 1, 2), "bound_name": "eq. 4.17 (D + 1)^K"},
        {"network": "folding_net(5, 10)", "params": deep.n_params, "regions_counted": metrics["regions_deep_5x10"],
         "pieces_counted": metrics["pieces_deep_5x10"], "bound": metrics["udl_deep_5x10"],
         "bound_name": "eq. 4.17 = Serra upper bound"},
        {"network": "D_i = 10, 5 x 50 (bounds only)", "params": metrics["params_deep_10_5x50"],
         "regions_counted": None, "pieces_counted": None, "bound": f"{metrics['udl_deep_10_5x50']:.3e}",
         "bound_name": f"eq. 4.17; Montufar >= {metrics['montufar_deep_10_5x50']:.2e}, "
                       f"Serra <= {metrics['serra_deep_10_5x50']:.2e}"},
    ]
    return metrics, rows


def _two_input(config: dict[str, Any]) -> tuple[dict[str, Any], Figure]:
    """Exact 2-D partitions of the book's 2-input construction (K layers) and its shallow K = 1 version."""
    k, d = config["max2d_layers"], config["max2d_width"]
    deep, shallow = max_regions_net(2, k, d), max_regions_net(2, 1, d)
    deep_part, shallow_part = partition_2d(deep, UNIT_SQUARE), partition_2d(shallow, UNIT_SQUARE)
    metrics = {"regions_2d_deep": deep_part.n_regions, "udl_2d_deep": udl_max_regions(d, 2, k),
               "params_2d_deep": deep.n_params, "regions_2d_shallow": shallow_part.n_regions,
               "zaslavsky_2d_shallow": zaslavsky(d, 2), "params_2d_shallow": shallow.n_params}
    same_budget = (deep.n_params - 1) // 4  # widest 2-input shallow net with at most the deep net's parameters
    metrics.update(width_2d_same_params=same_budget, zaslavsky_2d_same_params=zaslavsky(same_budget, 2))
    figure = Figure(figsize=(11, 5.4))
    axes = figure.subplots(1, 2)
    for ax, part, net, title in [(axes[0], shallow_part, shallow, "shallow (K = 1)"),
                                 (axes[1], deep_part, deep, f"deep (K = {k})")]:
        part.plot(ax, edge_width=0.25)
        ax.set_title(f"{title}, {d} units per layer: {net.n_params} params, {part.n_regions:,} regions", fontsize=9)
    figure.suptitle("max_regions_net(2, K, D) on [0, 1]^2: exact partitions (book eq. 4.17 construction)")
    figure.tight_layout()
    return metrics, figure


def _curves_figure(rows: list[dict[str, Any]], m: dict[str, Any], config: dict[str, Any]) -> Figure:
    """Maximum regions vs parameters (log y), one panel per input size, constructions marked."""
    dims = config["input_dims"]
    figure = Figure(figsize=(6 * len(dims), 4.6))
    axes = np.atleast_1d(figure.subplots(1, len(dims)))
    for ax, d_i in zip(axes, dims):
        for family, style in [("shallow", "--"), (f"deep (K = {config['deep_layers']})", "-")]:
            mine = [r for r in rows if r["input_dim"] == d_i and r["family"] == family]
            ax.semilogy([r["params"] for r in mine], [r["max_regions"] for r in mine], style, label=family)
        if d_i == 1:
            points = [(m["params_shallow6"], m["regions_shallow6"], "shallow 6 units (counted)"),
                      (m["params_composed_3_3"], m["pieces_composed_3_3"], "composed 1-3-1 x 2 (counted)"),
                      (m["params_deep_5x10"], m["regions_deep_5x10"], "5 x 10 folding net (counted)")]
        elif d_i == 10:
            points = [(m["params_deep_10_5x50"], m["udl_deep_10_5x50"], "5 x 50: eq. 4.17")]
        else:
            points = []
        for params, regions, label in points:
            ax.plot([params], [regions], "o", ms=7, label=label)
        ax.set_xlabel("parameters")
        ax.set_ylabel("maximum linear regions")
        ax.set_title(f"D_i = {d_i}")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _references(m: dict[str, Any]) -> list[Reference]:
    return [
        Reference("Shallow, 1 input, 6 hidden units: parameters", SOURCE, 19, m["params_shallow6"],
                  verdict_close(19, m["params_shallow6"]), "shallow_max_regions_net(6).n_params"),
        Reference("Shallow, 1 input, 6 hidden units: at most 7 regions", SOURCE, 7, m["regions_shallow6"],
                  verdict_close(7, m["regions_shallow6"]),
                  f"exact count on [0, 1] of the construction attaining Zaslavsky's bound ({zaslavsky(6, 1)})"),
        Reference("Two composed 1-3-1 networks: parameters", SOURCE, 20, m["params_composed_3_3"],
                  verdict_close(20, m["params_composed_3_3"]),
                  f"10 + 10; the composed 1-3-3-1 network itself stores {m['params_composed_stored']}"),
        Reference("Two composed 1-3-1 networks: at least 9 regions", SOURCE, ">= 9",
                  m["pieces_composed_3_3"], verdict_holds(m["pieces_composed_3_3"] >= 9),
                  f"exact on [0, 1]: {m['pieces_composed_3_3']} linear pieces, {m['regions_composed_3_3']} "
                  "activation regions"),
        Reference("1 input, K = 5, D = 10: parameters", SOURCE, 471, m["params_deep_5x10"],
                  verdict_close(471, m["params_deep_5x10"]), "folding_net(5, 10).n_params"),
        Reference("1 input, K = 5, D = 10: 161,051 regions (= 11^5)", SOURCE, 161_051, m["regions_deep_5x10"],
                  verdict_close(161_051, m["regions_deep_5x10"]),
                  f"exact count on [0, 1] (activation regions; {m['pieces_deep_5x10']:,} linear pieces); "
                  "the seed's '161,501' is a misprint"),
        Reference("Book eq. 4.17 (deep maximum) for 2 inputs, attained by the book's construction", SOURCE,
                  m["udl_2d_deep"], m["regions_2d_deep"], verdict_close(m["udl_2d_deep"], m["regions_2d_deep"]),
                  f"exact partition_2d of max_regions_net(2, K, D) on [0, 1]^2 ({m['params_2d_deep']} params)"),
        Reference("Shallow maximum (Zaslavsky) for 2 inputs", SOURCE, m["zaslavsky_2d_shallow"],
                  m["regions_2d_shallow"], verdict_close(m["zaslavsky_2d_shallow"], m["regions_2d_shallow"]),
                  "exact partition_2d of max_regions_net(2, 1, D) on [0, 1]^2"),
        Reference("Montufar et al. 2014 lower bound, 1 input, 5 x 10: 110,000, below 161,051", SOURCE, 110_000,
                  m["montufar_deep_5x10"],
                  verdict_holds(m["montufar_deep_5x10"] == 110_000 and m["regions_deep_5x10"] > 110_000),
                  f"bound computed; exact count {m['regions_deep_5x10']:,} exceeds it"),
        Reference("Serra et al. 2018 upper bound, D_i = 10, K = 5, D = 50: about 4.4e50", SOURCE, 4.4e50,
                  f"{m['serra_deep_10_5x50']:.3e}", verdict_close(4.4e50, m["serra_deep_10_5x50"], rtol=0.012),
                  "computed exactly (dynamic programming over layers); 4.4e50 is the 2-significant-digit figure"),
        Reference("D_i = 10, K = 5, D = 50: 10,801 parameters", SOURCE, 10_801, m["params_deep_10_5x50"],
                  verdict_close(10_801, m["params_deep_10_5x50"]), "mlp_params(10, [50] * 5)"),
        Reference("D_i = 10, K = 5, D = 50: more than 1e40 regions (eq. 4.17 about 1.8e41)", SOURCE, 1.8e41,
                  f"{m['udl_deep_10_5x50']:.3e}", verdict_close(1.8e41, m["udl_deep_10_5x50"], rtol=0.03),
                  "eq. 4.17 evaluated exactly; for D_i > 1 it is Serra's lower bound (Thm. 6), not a proven maximum; "
                  f"Montufar's bound gives {m['montufar_deep_10_5x50']:.2e}; not counted (far too many regions)"),
    ]


def run(config: dict[str, Any]) -> Result:
    """Bound curves, exact counts of the constructions, 2-D partitions; see the module docstring."""
    rows = _curves(config)
    metrics, construction_rows = _constructions()
    two_d, partition_figure = _two_input(config)
    metrics.update(two_d)
    return Result(
        metrics=metrics,
        references=_references(metrics),
        tables={"constructions": construction_rows, "max_regions_curves": rows},
        figures={"regions_vs_parameters": _curves_figure(rows, metrics, config),
                 "partition_2d_max_regions": partition_figure},
        data="no data: exact counts on [0, 1] (1 input) and [0, 1]^2 (2 inputs), and closed-form bounds",
        notes=[
            "The seed's '161,501' regions for the 5 x 10 network is a misprint of 161,051 = 11^5 (book errata); "
            f"counted exactly along [0, 1]: {metrics['regions_deep_5x10']:,} activation regions, "
            f"{metrics['pieces_deep_5x10']:,} linear pieces.",
            "Two composed 1-3-1 networks have 20 parameters as two networks; the composed 1-3-3-1 network "
            f"stores {metrics['params_composed_stored']}: its 3 x 3 matrix Psi = theta' phi and 3 biases (12 numbers) "
            "replace net1's output map and bias and net2's input map and biases (10 numbers).",
            f"2 inputs: the deep construction's {metrics['regions_2d_deep']:,} regions with "
            f"{metrics['params_2d_deep']} parameters vs at most {metrics['zaslavsky_2d_same_params']:,} for a shallow "
            f"net of {metrics['width_2d_same_params']} units with no more parameters.",
            "Counting convention: 'regions' are activation regions met (consecutive distinct patterns); "
            "'pieces' are maximal affine pieces; on the 1-input constructions here they "
            + ("agree." if all(metrics[f"regions_{n}"] == metrics[f"pieces_{n}"] for n in ONE_INPUT) else "differ."),
            f"Curves (up to {config['max_params']:,} parameters): shallow nets with D units (Zaslavsky, the "
            "maximum); deep "
            f"nets with K = {config['deep_layers']} layers of D units (book eq. 4.17: the maximum for D_i = 1 "
            "and D >= 3; a lower bound construction for D_i > 1).",
        ],
    )


EXPERIMENT = Experiment(
    name="regions-per-parameter",
    claim="Per parameter, deep ReLU nets can have exponentially more linear regions than shallow ones "
          "(1 input, 5 x 10: 471 parameters, 161,051 regions; shallow 6 units: 19 parameters, 7 regions).",
    source=SOURCE,
    keys={
        "input_dims": Key([1, 10], rules.int_list(1)),
        "deep_layers": Key(5, rules.integer(1)),
        "max_params": Key(20_000, rules.integer(4)),
        "n_curve_points": Key(60, rules.integer(2)),
        "max2d_layers": Key(3, rules.integer(1, 6), quick=2),
        "max2d_width": Key(6, rules.integer(3, 64)),
    },
    run=run,
    order=30,
)
