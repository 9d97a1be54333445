"""trajectory-length (Poole et al. 2016; Raghu et al. 2017): curve length grows exponentially with depth.

A circle of radius sqrt(D) (one unit per coordinate) in a random plane of the input space is pushed
through random tanh and hard-tanh nets, W ~ N(0, sigma_w^2 / fan_in), b ~ N(0, sigma_b^2), and its length
is measured after every layer (depthlab.trajectory.trajectory_length, refined until converged). The
measured growth per layer is exp(slope of log length vs depth) over the layers after a burn-in, with a
bootstrap interval over seeds; beside it the mean-field sqrt(chi_1) (Poole et al.) and the per-layer
factor of Raghu et al.'s Theorem 1 lower bound (hard-tanh). Contrasts: one hidden layer of growing width
(length at most linear in width), and ReLU at He initialization (no growth in expectation).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab.contracts import Experiment, Key, Reference, Result, keys, rules
from depthlab.evidence import SlopeCI, slope_ci
from depthlab.models.network import Network
from depthlab.progress import progress
from depthlab.seeds import derive_seed
from depthlab.signal import chi_1, raghu_growth_factor
from depthlab.trajectory import circle, trajectory_length

SOURCE = ("Poole et al. 2016, Exponential expressivity in deep neural networks through transient chaos; Raghu et al. "
          "2017, On the expressive power of deep neural networks, Thm. 1 (seed 003_aa40f1eda924f9e5.txt, slide 17)")


def _lengths(widths: list[int], init, activation: str, seed: int, config: dict[str, Any]) -> np.ndarray:
    """(K + 2,) lengths: input circle, each hidden layer, output."""
    net = Network.random(widths, init=init, seed=derive_seed(seed, "net"), activation=activation)
    curve = circle(widths[0], radius=math.sqrt(widths[0]), seed=derive_seed(seed, "circle"))
    return trajectory_length(net, curve, rtol=config["rtol"], max_points=config["max_points"]).numpy()


def _growth(lengths: np.ndarray, config: dict[str, Any], key: tuple) -> SlopeCI:
    """Slope of log hidden-layer length vs layer (layers burn_in..K), seeds resampled. lengths: (S, K + 2)."""
    hidden = np.log(lengths[:, 1:-1]).T  # (K, S)
    layers = np.arange(1, hidden.shape[0] + 1)
    keep = layers >= config["burn_in"]
    return slope_ci(layers[keep], hidden[keep], config["confidence"], seed=derive_seed(config["seed"], "ci", *key))


def _deep(config: dict[str, Any]) -> list[dict[str, Any]]:
    grid = [(a, w, s2) for a in config["activations"] for w in config["widths"] for s2 in config["sigma_w2"]]
    rows = []
    for activation, width, sigma_w2 in progress(grid, desc="trajectory-length", unit="net family"):
        sigma_w, sigma_b = math.sqrt(sigma_w2), config["sigma_b"]
        widths = [width] * (config["depth"] + 1) + [1]
        lengths = np.stack([
            _lengths(widths, ("normal", sigma_w, sigma_b), activation,
                     derive_seed(config["seed"], activation, width, str(sigma_w2), s), config)
            for s in range(config["n_seeds"])
        ])  # (S, K + 2)
        fit = _growth(lengths, config, (activation, width, str(sigma_w2)))
        mean_field = math.sqrt(chi_1(sigma_w, sigma_b, activation))
        rows.append({
            "activation": activation, "width": width, "sigma_w2": sigma_w2, "sigma_b": sigma_b,
            "growth_per_layer": math.exp(fit.slope), "ci_low": math.exp(fit.ci_low), "ci_high": math.exp(fit.ci_high),
            "mean_field_sqrt_chi_1": mean_field,
            "raghu_factor": raghu_growth_factor(sigma_w, sigma_b, width) if activation == "hardtanh" else float("nan"),
            "length_ratio_final": float(np.exp(np.log(lengths[:, -2] / lengths[:, 0]).mean())),
            "fit": fit, "lengths": lengths,
        })
    return rows


def _shallow(config: dict[str, Any]) -> dict[str, Any]:
    """One tanh hidden layer of growing width at the largest sigma_w^2: hidden-layer length / input length."""
    sigma_w, dim = math.sqrt(max(config["sigma_w2"])), config["shallow_input_dim"]
    ratios = []
    for width in config["shallow_widths"]:
        ratios.append([
            _lengths([dim, width, 1], ("normal", sigma_w, config["sigma_b"]), "tanh",
                     derive_seed(config["seed"], "shallow", width, s), config)[1:2].item()
            / (2 * math.pi * math.sqrt(dim))
            for s in range(config["n_seeds"])
        ])
    ratios = np.asarray(ratios)  # (W, S)
    fit = slope_ci(np.log(config["shallow_widths"]), np.log(ratios), config["confidence"],
                   seed=derive_seed(config["seed"], "ci", "shallow"))
    return {"ratios": ratios, "fit": fit}


def _relu(config: dict[str, Any]) -> dict[str, Any]:
    """ReLU at He init (zero biases): growth per layer of the length."""
    width = max(config["widths"])
    widths = [width] * (config["depth"] + 1) + [1]
    lengths = np.stack([_lengths(widths, "he_normal", "relu", derive_seed(config["seed"], "relu", s), config)
                        for s in range(config["n_seeds"])])
    return {"lengths": lengths, "fit": _growth(lengths, config, ("relu",))}


# ------------------------------------------------------------------------------------------ figures


def _depth_figure(rows: list[dict[str, Any]], relu: dict[str, Any], config: dict[str, Any]) -> Figure:
    width = max(config["widths"])
    panels = list(config["activations"])
    figure = Figure(figsize=(6.2 * len(panels) + 0.5, 4.8))
    axes = np.atleast_1d(figure.subplots(1, len(panels)))
    layers = np.arange(0, config["depth"] + 1)
    for ax, activation in zip(axes, panels):
        mine = [r for r in rows if r["activation"] == activation and r["width"] == width]
        for i, r in enumerate(mine):
            hidden = r["lengths"][:, :-1] / r["lengths"][:, :1]  # (S, K + 1): input, layers 1..K
            ax.semilogy(layers, np.exp(np.log(hidden).mean(axis=0)), "o-", ms=3, color=f"C{i}",
                        label=f"sigma_w^2 = {r['sigma_w2']:g}")
            anchor = config["burn_in"]
            start = np.exp(np.log(hidden[:, anchor]).mean())
            after = layers[anchor:]
            ax.semilogy(after, start * r["mean_field_sqrt_chi_1"] ** (after - anchor), "--", color=f"C{i}", lw=1)
            if activation == "hardtanh":
                ax.semilogy(after, start * r["raghu_factor"] ** (after - anchor), ":", color=f"C{i}", lw=1.2)
        if activation == panels[-1]:
            relu_mean = np.exp(np.log(relu["lengths"][:, :-1] / relu["lengths"][:, :1]).mean(axis=0))
            ax.semilogy(layers, relu_mean, "k-", lw=1.5, label="ReLU, He init")
        extra = "; dotted: Raghu Thm. 1 factor" if activation == "hardtanh" else ""
        ax.set_title(f"{activation}, width {width}, sigma_b = {config['sigma_b']} (dashed: sqrt(chi_1)^l{extra})",
                     fontsize=9)
        ax.set_xlabel("layer")
        ax.set_ylabel("length / input length (geometric mean over seeds)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def _growth_figure(rows: list[dict[str, Any]], shallow: dict[str, Any], config: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(12, 4.6))
    ax, ax2 = figure.subplots(1, 2)
    for i, r in enumerate(rows):
        marker = "o" if r["activation"] == "tanh" else "s"
        ax.errorbar(r["mean_field_sqrt_chi_1"], r["growth_per_layer"],
                    yerr=[[r["growth_per_layer"] - r["ci_low"]], [r["ci_high"] - r["growth_per_layer"]]],
                    fmt=marker, ms=5, color="C0" if r["activation"] == "tanh" else "C3",
                    alpha=0.5 + 0.5 * (r["width"] == max(config["widths"])),
                    label=f"{r['activation']}" if i == 0 or rows[i - 1]["activation"] != r["activation"] else None)
    top = max(r["ci_high"] for r in rows) * 1.05
    ax.plot([0.5, top], [0.5, top], "k--", lw=1, label="measured = sqrt(chi_1)")
    ax.set_xlabel("mean-field sqrt(chi_1)")
    ax.set_ylabel("measured growth per layer (95% CI over seeds)")
    ax.set_title(f"all widths {config['widths']} and sigma_w^2 {config['sigma_w2']}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ws = np.asarray(config["shallow_widths"])
    ratios = shallow["ratios"]
    ax2.loglog(ws, np.exp(np.log(ratios).mean(axis=1)), "o-", label="one tanh hidden layer")
    ax2.loglog(ws, ratios.mean(axis=1)[0] * ws / ws[0], "k:", label="linear in width")
    ax2.loglog(ws, ratios.mean(axis=1)[0] * np.sqrt(ws / ws[0]), "k--", lw=1, label="sqrt(width)")
    ax2.set_xlabel("hidden width")
    ax2.set_ylabel("hidden-layer length / input length")
    ax2.set_title(f"shallow contrast, sigma_w^2 = {max(config['sigma_w2']):g}", fontsize=9)
    ax2.grid(alpha=0.3, which="both")
    ax2.legend(fontsize=8)
    figure.tight_layout()
    return figure


# ------------------------------------------------------------------------------------------ verdicts


def _combine(verdicts: list[str]) -> str:
    if "differs" in verdicts:
        return "differs"
    return "reproduced" if verdicts and all(v == "reproduced" for v in verdicts) else "inconclusive"


def _lower_bound_verdict(fit: SlopeCI, bound: float) -> str:
    """Measured growth >= bound: reproduced when the CI lies above log(bound), differs when below."""
    if not fit.decided:
        return "inconclusive"
    if fit.ci_low >= math.log(bound):
        return "reproduced"
    return "differs" if fit.ci_high < math.log(bound) else "inconclusive"


def _no_growth_verdict(fit: SlopeCI, tolerance: float) -> str:
    """No exponential growth: reproduced when the CI of the log slope lies below +tolerance, differs above it."""
    if not fit.decided:
        return "inconclusive"
    if fit.ci_high <= tolerance:
        return "reproduced"
    return "differs" if fit.ci_low > tolerance else "inconclusive"


def _references(rows, shallow, relu, config) -> list[Reference]:
    chaotic = [r for r in rows if r["mean_field_sqrt_chi_1"] > config["chaos_threshold"]]
    grows = [("reproduced" if r["fit"].ci_low > 0 else "differs" if r["fit"].ci_high < 0 else "inconclusive")
             if r["fit"].decided else "inconclusive" for r in chaotic]
    tanh = [r for r in rows if r["activation"] == "tanh" and r["width"] == max(config["widths"])]
    mf = [r["fit"].verdict_for(math.log(r["mean_field_sqrt_chi_1"]), config["theory_log_tolerance"]) for r in tanh]
    hard = [r for r in rows if r["activation"] == "hardtanh"]
    raghu = [_lower_bound_verdict(r["fit"], r["raghu_factor"]) for r in hard]

    def listing(items, verdicts):
        return "; ".join(f"{r['activation']} k={r['width']} sigma_w^2={r['sigma_w2']:g}: {r['growth_per_layer']:.3f} "
                         f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}] -> {v}" for r, v in zip(items, verdicts))

    sfit, rfit = shallow["fit"], relu["fit"]
    refs = [
        Reference(
            "For a bounded activation the length of a curve through a deep random net grows exponentially with depth",
            SOURCE, "exponential in depth (chaotic phase)",
            {f"{r['activation']}_{r['width']}_{r['sigma_w2']:g}": round(r["growth_per_layer"], 4) for r in chaotic},
            _combine(grows),
            f"nets with mean-field sqrt(chi_1) > {config['chaos_threshold']}; reproduced when the "
            f"{config['confidence']:.0%} bootstrap CI ({config['n_seeds']} seeds resampled) of the slope of log length "
            f"vs layer (layers {config['burn_in']}..{config['depth']}) lies above 0. {listing(chaotic, grows)}",
        ),
        Reference(
            "Lengths grow by sqrt(chi_1) per layer, chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2] (tanh, mean field)",
            "Poole et al. 2016", {f"{r['sigma_w2']:g}": round(r["mean_field_sqrt_chi_1"], 4) for r in tanh},
            {f"{r['sigma_w2']:g}": round(r["growth_per_layer"], 4) for r in tanh}, _combine(mf),
            f"tanh at width {max(config['widths'])} (Poole et al. use 1000; the mean field is the infinite-width "
            f"limit); the theory value is computed here, not published; reproduced when the CI of the log slope "
            f"contains log sqrt(chi_1) and lies within +-{config['theory_log_tolerance']}. {listing(tanh, mf)}",
        ),
        Reference(
            "Hard-tanh: E[length at depth d] >= O(f^d) with f = sigma_w sqrt(k) / sqrt(sigma_w^2 + sigma_b^2 + "
            "k sqrt(sigma_w^2 + sigma_b^2))", "Raghu et al. 2017, Thm. 1",
            {f"{r['width']}_{r['sigma_w2']:g}": round(r["raghu_factor"], 4) for r in hard},
            {f"{r['width']}_{r['sigma_w2']:g}": round(r["growth_per_layer"], 4) for r in hard}, _combine(raghu),
            "read as a per-layer rate: reproduced when the CI of the measured growth lies at or above f, differs when "
            f"below it. {listing(hard, raghu)}",
        ),
        Reference(
            "For a shallow network the length is only linear in the width (at most)",
            "Poole et al. 2016; seed 003 slide 17",
            "log-log slope <= 1", round(sfit.slope, 4),
            "inconclusive" if not sfit.decided else "reproduced" if sfit.ci_high <= 1 else
            "differs" if sfit.ci_low > 1 else "inconclusive",
            f"one tanh hidden layer, sigma_w^2 = {max(config['sigma_w2']):g}, widths {config['shallow_widths']}: "
            f"slope of log(hidden length / input length) vs log width, {sfit.summary()}; reproduced when the CI lies "
            "at or below 1 (about 1/2 is expected: the squared speed is a sum over units)",
        ),
        Reference(
            "Caveat: for ReLU at He initialization the expected length does not grow with depth",
            "Hanin, Jeong & Rolnick 2021 (REFERENCES.md)", "no exponential growth (ratio about 1)",
            round(math.exp(rfit.slope), 4), _no_growth_verdict(rfit, config["theory_log_tolerance"]),
            f"ReLU, width {max(config['widths'])}, zero biases: {rfit.summary()} (log scale, geometric mean over "
            f"seeds, which Jensen's inequality puts a little below the log of the mean length); reproduced when the "
            f"CI lies below +{config['theory_log_tolerance']}, differs when it lies above it",
        ),
    ]
    return refs


def run(config: dict[str, Any]) -> Result:
    """Length of a circle through deep tanh / hard-tanh nets vs depth, against sqrt(chi_1) and Raghu's bound."""
    if config["burn_in"] < 1 or config["depth"] - config["burn_in"] < 3:
        raise ValueError(
            "The 'depth' and 'burn_in' config keys must leave at least 4 layers to fit (1 <= burn_in <= depth - 3). "
            f"Got depth={config['depth']!r}, burn_in={config['burn_in']!r} instead."
        )
    bad = [a for a in config["activations"] if a not in ("tanh", "hardtanh")]
    if bad or not config["activations"]:
        raise ValueError(f"The 'activations' config key must list tanh and/or hardtanh. Got {config['activations']!r}.")
    rows = _deep(config)
    shallow = _shallow(config)
    relu = _relu(config)
    key = "{activation}_{width}_{sigma_w2:g}"
    metrics = {
        "growth_per_layer_by_sigma": {key.format(**r): r["growth_per_layer"] for r in rows},
        "theory_growth_per_layer_by_sigma": {key.format(**r): r["mean_field_sqrt_chi_1"] for r in rows},
        "raghu_growth_per_layer_by_sigma": {key.format(**r): r["raghu_factor"] for r in rows
                                            if r["activation"] == "hardtanh"},
        "shallow_growth_by_width": {str(w): float(np.exp(np.log(shallow["ratios"][i]).mean()))
                                    for i, w in enumerate(config["shallow_widths"])},
        "shallow_loglog_slope": shallow["fit"].slope,
        "relu_growth_per_layer": math.exp(relu["fit"].slope),
    }
    table = [{k: v for k, v in r.items() if k not in ("fit", "lengths")} for r in rows]
    return Result(
        metrics=metrics,
        references=_references(rows, shallow, relu, config),
        tables={"growth": table},
        figures={"length_vs_depth": _depth_figure(rows, relu, config),
                 "growth_vs_theory": _growth_figure(rows, shallow, config)},
        data=f"synthetic: circles of radius sqrt(D) in random planes of R^D, D = width; {config['n_seeds']} seeds each",
        notes=[
            "Lengths by tangent propagation (exact speed at each sample point; periodic trapezoidal rule), the number "
            f"of points doubled until every layer changed by <= rtol = {config['rtol']} relative.",
            f"Growth per layer = exp(slope of log hidden-layer length vs layer) over layers {config['burn_in']}..."
            f"{config['depth']} (the first layers move q from the input's value to its fixed point q*).",
            "Raghu et al.'s Theorem 1 is an O(.) lower bound; it is read here as a per-layer rate f^d, the form the "
            "theorem's statement gives.",
        ],
    )


EXPERIMENT = Experiment(
    name="trajectory-length",
    claim="The length of a curve sent through a deep random tanh or hard-tanh network grows exponentially with depth "
          "(by sqrt(chi_1) per layer in the mean field); through a shallow net it grows at most linearly in width.",
    source=SOURCE,
    keys={
        "activations": Key(["tanh", "hardtanh"], rules.choice_list(("tanh", "hardtanh"))),
        "widths": Key([20, 100], rules.int_list(1), quick=[50]),
        "sigma_w2": Key([1.0, 2.0, 4.0, 8.0, 16.0], rules.number_list(0, exclusive_minimum=True),
                        quick=[1.0, 4.0, 16.0]),
        "sigma_b": Key(0.3, rules.number(0)),
        "depth": Key(20, rules.integer(4), quick=10),
        "burn_in": Key(3, rules.integer(0)),
        "n_seeds": keys.n_seeds(5, quick=5),
        "rtol": Key(1e-2, rules.number(0, 0.5, exclusive_minimum=True)),
        "max_points": Key(2**21, rules.integer(16), quick=2**18),
        "shallow_widths": Key([10, 30, 100, 300, 1000], rules.int_list(1), quick=[10, 30, 100, 300]),
        "shallow_input_dim": Key(20, rules.integer(2)),
        "confidence": keys.confidence(),
        "theory_log_tolerance": Key(0.05, rules.number(0, exclusive_minimum=True)),
        "chaos_threshold": Key(1.1, rules.number(0, exclusive_minimum=True)),
    },
    run=run,
    order=41,
)
