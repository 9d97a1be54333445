"""compose (seed 002): two 1-3-1 ReLU networks composed into one 1-3-3-1 network by the lecture's algebra.

The experiment builds y' = net2(net1(x)) with `depthlab.construct.compose`, checks it against running
the two networks one after the other, counts linear pieces exactly with
`depthlab.regions.count_regions_1d`, and draws the lecture's "folding" figure.
"""

from __future__ import annotations

from typing import Any

import torch
from matplotlib.figure import Figure

from depthlab.construct import compose
from depthlab.construct.folding import zigzag_net
from depthlab.contracts import Experiment, Key, Reference, Result, rules, verdict_close, verdict_holds
from depthlab.models.network import Network
from depthlab.regions import count_regions_1d
from depthlab.seeds import derive_seed

SOURCE = "seed 002_53d51d408c58c4ad.txt (Prince, Understanding Deep Learning, ch. 4)"
NETS = ("fold", "random")


def _pair(config: dict[str, Any]) -> tuple[Network, Network]:
    """The two 1-3-1 networks: the lecture's folding zigzags, or He-random ones from the seed."""
    if config["nets"] == "fold":
        return zigzag_net(3), zigzag_net(3)
    seed = config["seed"]
    return tuple(Network.random([1, 3, 1], seed=derive_seed(seed, name)) for name in ("net1", "net2"))


def _max_diff_random_shapes(n_pairs: int, seed: int, n_inputs: int) -> float:
    """Largest |compose(a, b)(x) - b(a(x))| over random pairs of chaining networks of random shapes."""
    generator = torch.Generator().manual_seed(derive_seed(seed, "shapes"))
    worst = 0.0
    for i in range(n_pairs):
        d_in, d_mid, d_out = (int(v) for v in torch.randint(1, 6, (3,), generator=generator))
        hidden_a = [int(v) for v in torch.randint(1, 9, (int(torch.randint(1, 4, (1,), generator=generator)),),
                                                  generator=generator)]
        hidden_b = [int(v) for v in torch.randint(1, 9, (int(torch.randint(1, 4, (1,), generator=generator)),),
                                                  generator=generator)]
        a = Network.random([d_in, *hidden_a, d_mid], seed=derive_seed(seed, "pair", i, "a"))
        b = Network.random([d_mid, *hidden_b, d_out], seed=derive_seed(seed, "pair", i, "b"))
        x = torch.randn(max(n_inputs // max(n_pairs, 1), 16), d_in, generator=generator, dtype=torch.float64)
        worst = max(worst, float((compose(a, b)(x) - b(a(x))).abs().max()))
    return worst


def _folding_figure(net1: Network, net2: Network, composed: Network, interval: list[float]) -> Figure:
    """Three panels: net1, net2 and their composition on the interval (the lecture's folding picture)."""
    x = torch.linspace(interval[0], interval[1], 2001, dtype=torch.float64)[:, None]  # (2001, 1)
    figure = Figure(figsize=(11, 3.4))
    axes = figure.subplots(1, 3)
    panels = [
        (net1(x), "net1: y = f(x)", "x"),
        (net2(x), "net2: y' = g(y)", "y"),
        (composed(x), "composed: g(f(x))", "x"),
    ]
    for ax, (y, title, xlabel) in zip(axes, panels):
        ax.plot(x[:, 0].numpy(), y[:, 0].numpy(), color="tab:blue", lw=1.5)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def _references(metrics: dict[str, Any]) -> list[Reference]:
    parts = metrics["params_net1"] + metrics["params_net2"]
    return [
        Reference(
            "Composing two 1-3-1 nets is one 2-hidden-layer net (Psi = theta' phi)", SOURCE, "exact equality",
            f"max |diff| {metrics['max_abs_diff']:.1e}", verdict_holds(metrics["max_abs_diff"] <= 1e-12),
            "float64, on the config's n_inputs points, plus random pairs of random chaining shapes",
        ),
        Reference(
            "Two composed 1-3-1 nets have at least 9 linear regions", SOURCE, ">= 9",
            metrics["regions_composed"], verdict_holds(metrics["regions_composed"] >= 9),
            "exact count of linear pieces on the interval (count_regions_1d)",
        ),
        Reference(
            "Two composed 1-3-1 nets have 20 parameters", SOURCE, 20, parts, verdict_close(20, parts),
            f"10 + 10 for the two parts; the composed network stores {metrics['params_composed']} "
            "(its 3x3 middle matrix Psi replaces two 3x1 / 1x3 maps)",
        ),
    ]


def run(config: dict[str, Any]) -> Result:
    """Compose, verify, count and draw; see the module docstring."""
    net1, net2 = _pair(config)
    composed = compose(net1, net2)
    low, high = (float(v) for v in config["interval"])
    generator = torch.Generator().manual_seed(derive_seed(config["seed"], "inputs"))
    x = low + (high - low) * torch.rand(config["n_inputs"], 1, generator=generator, dtype=torch.float64)  # (N, 1)
    metrics = {
        "max_abs_diff": float((composed(x) - net2(net1(x))).abs().max()),
        "max_abs_diff_random_shapes": _max_diff_random_shapes(config["n_random_pairs"], config["seed"], 20_000),
        "regions_net1": count_regions_1d(net1, low, high).n_pieces,
        "regions_net2": count_regions_1d(net2, low, high).n_pieces,
        "regions_composed": count_regions_1d(composed, low, high).n_pieces,
        "params_net1": net1.n_params,
        "params_net2": net2.n_params,
        "params_composed": composed.n_params,
    }
    rows = [
        {"network": name, "widths": "-".join(map(str, net.widths)), "params": net.n_params,
         "linear_pieces": metrics[f"regions_{key}"]}
        for name, key, net in [("net1", "net1", net1), ("net2", "net2", net2), ("composed", "composed", composed)]
    ]
    return Result(
        metrics=metrics,
        references=_references(metrics),
        tables={"networks": rows},
        figures={"folding": _folding_figure(net1, net2, composed, [low, high])},
        data=f"synthetic: {config['n_inputs']:,} uniform inputs on [{low}, {high}]; nets = {config['nets']}",
        notes=["Regions are counted as maximal linear pieces along the interval (adjacent activation "
               "regions with the same affine function are merged)."],
    )


EXPERIMENT = Experiment(
    name="compose",
    claim="Composing two 1-3-1 ReLU networks gives one 2-hidden-layer network with at least 9 linear regions.",
    source=SOURCE,
    keys={
        "nets": Key("fold", rules.choice(*NETS)),
        "interval": Key([0.0, 1.0], rules.interval()),
        "n_inputs": Key(100_000, rules.integer(1)),
        "n_random_pairs": Key(50, rules.integer(0), quick=10),
    },
    run=run,
    order=10,
)
