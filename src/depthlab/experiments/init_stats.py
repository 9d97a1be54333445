"""init-stats (Hanin & Rolnick 2018): exploding and vanishing activation lengths at initialization.

Three measurements on randomly drawn ReLU nets with zero biases (depthlab.signal.init_statistics), one
fixed input, independent groups of networks as the replicates the evidence resamples:

1. the mean of M_j = ||h_j||^2 / n_j against depth j for weight variance c / fan_in: log E[M_j] has slope
   log(c / 2) per layer, so it explodes or vanishes unless c = 2 (FM1);
2. at c = 2, log(E[M_j^2] / E[M_j]^2) = log(1 + Var / mean^2) against sum_{i<=j} 1 / n_i for constant,
   growing and shrinking width profiles and one narrow layer: linear (the second moment is exponential
   in the sum of reciprocal widths, FM2), slope about 5 for Gaussian weights;
3. `torch.nn.init.trunc_normal_` used naively (std sqrt(2 / fan_in), cut at +-2 std: variance 0.774 of
   He's) against the same draws rescaled to variance 2 / fan_in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from depthlab.contracts import Experiment, Key, Reference, Result, keys, rules
from depthlab.evidence import SlopeCI, slope_ci
from depthlab.init import trunc_normal_variance_factor
from depthlab.progress import progress
from depthlab.seeds import derive_seed
from depthlab.signal import (
    init_statistics,
    predicted_log_second_moment,
    predicted_mean_lengths,
    sum_inverse_widths,
)

SOURCE = ("Hanin & Rolnick 2018, How to start training: the effect of initialization and architecture "
          "(seed 003_aa40f1eda924f9e5.txt, slides 18 and 24)")


def _input(width: int, seed: int) -> torch.Tensor:
    """One standard normal input of the given width (M_0 about 1). -> (1, width)."""
    generator = torch.Generator().manual_seed(derive_seed(seed, "input", width))
    return torch.randn(1, width, generator=generator, dtype=torch.float64)


def _log_mean_curves(widths: list[int], init, config: dict[str, Any], key: tuple, weight_scale: float = 1.0,
                     groups: str = "n_groups", nets: str = "nets_per_group") -> np.ndarray:
    """log(mean over a group of M_j / M_0) for each group: (K, n_groups)."""
    x = _input(widths[0], config["seed"])
    columns = []
    for g in range(config[groups]):
        stats = init_statistics(widths, init, config[nets], x, seed=derive_seed(config["seed"], *key, g),
                                weight_scale=weight_scale)
        columns.append(np.log(stats.mean.numpy() / stats.input_length))
    return np.stack(columns, axis=1)


def _sign_verdict(fit: SlopeCI, sign: int) -> str:
    """"reproduced" when the interval lies on the claimed side of 0, "differs" on the other, else inconclusive."""
    if not fit.decided:
        return "inconclusive"
    low, high = sign * fit.ci_low, sign * fit.ci_high
    if min(low, high) > 0:
        return "reproduced"
    if max(low, high) < 0:
        return "differs"
    return "inconclusive"


def _combine(verdicts: list[str]) -> str:
    """All reproduced -> reproduced; any differs -> differs; else inconclusive."""
    if "differs" in verdicts:
        return "differs"
    return "reproduced" if all(v == "reproduced" for v in verdicts) else "inconclusive"


# ------------------------------------------------------------------------------------------ 1. mean vs depth


def _mean_by_c(config: dict[str, Any]) -> dict[float, dict[str, Any]]:
    widths = [config["width"]] * (config["depth"] + 1) + [1]
    depths = np.arange(1, config["depth"] + 1)
    out = {}
    for c in progress(config["cs"], desc="init-stats: c sweep", unit="c"):
        curves = _log_mean_curves(widths, ("normal", math.sqrt(c), 0.0), config, ("c", str(c)))
        fit = slope_ci(depths, curves, config["confidence"], seed=derive_seed(config["seed"], "ci", str(c)))
        flat = fit.verdict_for(0.0, config["flat_tolerance"])
        shape = flat if c == 2.0 else _sign_verdict(fit, 1 if c > 2 else -1)
        rate = fit.verdict_for(math.log(c / 2), config["flat_tolerance"])
        out[c] = {"curves": curves, "fit": fit, "shape_verdict": shape, "rate_verdict": rate}
    return out


def _mean_figure(by_c: dict[float, dict[str, Any]], config: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(7.5, 4.8))
    ax = figure.subplots()
    depths = np.arange(1, config["depth"] + 1)
    widths = [config["width"]] * (config["depth"] + 1) + [1]
    for i, (c, row) in enumerate(by_c.items()):
        colour = f"C{i}"
        curves = np.exp(row["curves"])  # (K, G)
        ax.semilogy(depths, curves, color=colour, alpha=0.25, lw=0.7)
        ax.semilogy(depths, curves.mean(axis=1), color=colour, lw=1.8, label=f"c = {c}: measured")
        ax.semilogy(depths, predicted_mean_lengths(widths, c).numpy(), "--", color=colour, lw=1.2)
    ax.set_xlabel("layer j")
    ax.set_ylabel("mean of M_j / M_0")
    ax.set_title(f"ReLU, width {config['width']}, weight variance c / fan_in (dashed: (c/2)^j); "
                 f"{config['n_groups']} groups x {config['nets_per_group']} nets", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


# ------------------------------------------------------------------------------------------ 2. variance profiles


def _profiles(config: dict[str, Any]) -> dict[str, list[int]]:
    """Hidden widths of the four profiles, all of depth profile_depth."""
    d, w = config["profile_depth"], config["profile_width"]
    growing = [int(round(v)) for v in np.geomspace(w / 2, 2 * w, d)]
    narrow = [w] * d
    narrow[d // 2] = config["narrow_width"]
    return {"constant": [w] * d, "growing": growing, "shrinking": growing[::-1], "one narrow layer": narrow}


def _variance_profiles(config: dict[str, Any]) -> dict[str, Any]:
    x_all, y_all, theory_all, rows = [], [], [], []
    for name, hidden in progress(_profiles(config).items(), desc="init-stats: width profiles", unit="profile"):
        widths = [hidden[0], *hidden, 1]
        x = _input(widths[0], config["seed"])
        columns = []
        for g in range(config["profile_groups"]):
            stats = init_statistics(widths, "he_normal", config["profile_nets"], x,
                                    seed=derive_seed(config["seed"], "profile", name, g))
            columns.append(np.log1p((stats.var / stats.mean**2).numpy()))
        y = np.stack(columns, axis=1)  # (K, G)
        s, theory = sum_inverse_widths(widths).numpy(), predicted_log_second_moment(widths).numpy()
        x_all.append(s)
        y_all.append(y)
        theory_all.append(theory)
        rows += [{"profile": name, "layer": j + 1, "width": hidden[j], "sum_inv_width": float(s[j]),
                  "log_second_moment": float(y[j].mean()), "log_second_moment_sd": float(y[j].std(ddof=1)),
                  "theory": float(theory[j])} for j in range(len(hidden))]
    x, y, theory = np.concatenate(x_all), np.concatenate(y_all), np.concatenate(theory_all)
    fit = slope_ci(x, y, config["confidence"], seed=derive_seed(config["seed"], "ci", "profiles"))
    theory_slope = float(np.polyfit(x, theory, 1)[0])
    return {"fit": fit, "theory_slope": theory_slope, "rows": rows}


def _variance_figure(result: dict[str, Any], config: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(7.5, 4.8))
    ax = figure.subplots()
    rows = result["rows"]
    for i, name in enumerate(dict.fromkeys(r["profile"] for r in rows)):
        mine = [r for r in rows if r["profile"] == name]
        s = [r["sum_inv_width"] for r in mine]
        ax.errorbar(s, [r["log_second_moment"] for r in mine], yerr=[r["log_second_moment_sd"] for r in mine],
                    fmt="o", ms=4, color=f"C{i}", label=f"{name}: measured")
        ax.plot(s, [r["theory"] for r in mine], "--", color=f"C{i}", lw=1.2)
    top = max(r["sum_inv_width"] for r in rows)
    ax.plot([0, top], [0, 5 * top], ":", color="k", lw=1, label="5 sum 1/n_i")
    ax.set_xlabel("sum_{i<=j} 1 / n_i")
    ax.set_ylabel("log(1 + Var[M_j] / E[M_j]^2)")
    ax.set_title(f"He init (c = 2), {config['profile_groups']} groups x {config['profile_nets']} nets per profile; "
                 "dashed: sum log(1 + 5 / n_i)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


# ------------------------------------------------------------------------------------------ 3. truncated normals


def _trunc_normal(config: dict[str, Any]) -> dict[str, Any]:
    widths = [config["trunc_width"]] * (config["trunc_depth"] + 1) + [1]
    depths = np.arange(1, config["trunc_depth"] + 1)
    factor = trunc_normal_variance_factor()
    out = {"factor": factor, "depths": depths}
    for name, scale in (("naive", 1.0), ("corrected", 1 / math.sqrt(factor))):
        curves = _log_mean_curves(widths, "trunc_normal", config, ("trunc", name), weight_scale=scale,
                                  groups="trunc_groups", nets="trunc_nets")
        fit = slope_ci(depths, curves, config["confidence"], seed=derive_seed(config["seed"], "ci", name))
        theory = math.log(factor) if name == "naive" else 0.0
        out[name] = {"curves": curves, "fit": fit, "verdict": fit.verdict_for(theory, config["flat_tolerance"]),
                     "final_mean": float(np.exp(curves[-1]).mean())}
    return out


def _trunc_figure(result: dict[str, Any], config: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(7.5, 4.5))
    ax = figure.subplots()
    depths, factor = result["depths"], result["factor"]
    for i, name in enumerate(("naive", "corrected")):
        curves = np.exp(result[name]["curves"])
        ax.semilogy(depths, curves, color=f"C{i}", alpha=0.25, lw=0.7)
        ax.semilogy(depths, curves.mean(axis=1), color=f"C{i}", lw=1.8, label=f"trunc_normal {name}: measured")
    ax.semilogy(depths, factor**depths, "--", color="C0", lw=1.2, label=f"theory naive: {factor:.3f}^j")
    ax.semilogy(depths, np.ones_like(depths, dtype=float), "--", color="C1", lw=1.2, label="theory corrected: 1")
    ax.set_xlabel("layer j")
    ax.set_ylabel("mean of M_j / M_0")
    ax.set_title(f"trunc_normal_(std = sqrt(2/fan_in), cut at +-2 std), width {config['trunc_width']}", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


# ------------------------------------------------------------------------------------------ run


def _references(by_c, profiles, trunc, config) -> list[Reference]:
    conf = f"{config['confidence']:.0%}"
    per_c = "; ".join(f"c={c}: {row['fit'].summary()} -> {row['shape_verdict']}" for c, row in by_c.items())
    fit, theory = profiles["fit"], profiles["theory_slope"]
    tol = config["theory_slope_rtol"] * theory
    return [
        Reference(
            "The mean of M_j is exponential in depth unless the weight variance is 2 / fan_in (FM1)", SOURCE,
            "explodes for c > 2, vanishes for c < 2, constant at c = 2",
            {str(c): round(math.exp(row["fit"].slope), 5) for c, row in by_c.items()},
            _combine([row["shape_verdict"] for row in by_c.values()]),
            f"measured: growth factor per layer exp(slope of log mean M_j / M_0 vs j); {conf} bootstrap CI over "
            f"{config['n_groups']} groups of {config['nets_per_group']} nets (groups resampled). Rule: c != 2 "
            "reproduced when the CI lies on the predicted side of 0; c = 2 when it contains 0 and lies within "
            f"+-{config['flat_tolerance']} (log per layer). {per_c}",
        ),
        Reference(
            "The growth factor per layer is c / 2 (E[M_j] = M_0 (c/2)^j)", "derived (module depthlab.signal)",
            {str(c): c / 2 for c in by_c}, {str(c): round(math.exp(row["fit"].slope), 5) for c, row in by_c.items()},
            _combine([row["rate_verdict"] for row in by_c.values()]),
            "the theory line, not a published number: reproduced when each CI of the log slope contains log(c/2) "
            f"and lies within +-{config['flat_tolerance']} of it; "
            + "; ".join(f"c={c}: CI [{row['fit'].ci_low:.4g}, {row['fit'].ci_high:.4g}] vs {math.log(c / 2):.4g} -> "
                        f"{row['rate_verdict']}" for c, row in by_c.items()),
        ),
        Reference(
            "The second moment of M_j is exponential in sum_j 1 / n_j (FM2): width should grow with depth, and one "
            "narrow layer hurts", SOURCE, "log(E[M^2] / E[M]^2) linear in sum 1/n_j with slope > 0",
            round(fit.slope, 4), _sign_verdict(fit, 1),
            f"slope of log(1 + Var/mean^2) vs sum_(i<=j) 1/n_i over 4 width profiles (constant, growing, shrinking, "
            f"one layer of {config['narrow_width']}); {fit.summary()}; reproduced when the CI lies above 0",
        ),
        Reference(
            "For Gaussian weights the slope is sum log(1 + 5/n_i) regressed on sum 1/n_i (about 5)",
            "derived (module depthlab.signal)", round(theory, 4), round(fit.slope, 4),
            fit.verdict_for(theory, tol),
            f"the theory line, not a published number; reproduced when the CI contains it and lies within "
            f"+-{config['theory_slope_rtol']:.0%} of it; {fit.summary()}",
        ),
        Reference(
            "Watch out for truncated normals: trunc_normal_ with std sqrt(2 / fan_in) makes M_j vanish "
            "exponentially; correcting the std for the truncation keeps it", "seed 003, slide 24",
            f"naive: rate log {trunc['factor']:.4f} = {math.log(trunc['factor']):.4f} per layer; corrected: 0",
            {"naive": round(trunc["naive"]["fit"].slope, 4), "corrected": round(trunc["corrected"]["fit"].slope, 4)},
            _combine([trunc["naive"]["verdict"], trunc["corrected"]["verdict"]]),
            f"naive: {trunc['naive']['fit'].summary()}; corrected: {trunc['corrected']['fit'].summary()}; each "
            f"reproduced when the CI contains its predicted rate and lies within +-{config['flat_tolerance']}",
        ),
    ]


def run(config: dict[str, Any]) -> Result:
    """Mean of M_j vs depth by c, variance vs sum 1/n_j by width profile, naive vs corrected trunc_normal."""
    for key in ("width", "depth", "n_groups", "nets_per_group", "profile_depth", "profile_width", "narrow_width",
                "profile_groups", "profile_nets", "trunc_width", "trunc_depth", "trunc_groups", "trunc_nets"):
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            raise ValueError(f"The '{key}' config key must be an int >= 2. Got {value!r} instead.")
    if not config["cs"] or any(not c > 0 for c in config["cs"]):
        raise ValueError(f"The 'cs' config key must list weight-variance factors c > 0. Got {config['cs']!r} instead.")
    by_c = _mean_by_c(config)
    profiles = _variance_profiles(config)
    trunc = _trunc_normal(config)
    metrics = {
        "mean_growth_rate_by_c": {str(c): math.exp(row["fit"].slope) for c, row in by_c.items()},
        "theory_growth_rate_by_c": {str(c): c / 2 for c in by_c},
        "log_var_slope_vs_sum_inv_width": profiles["fit"].slope,
        "theory_log_var_slope_vs_sum_inv_width": profiles["theory_slope"],
        "trunc_normal_final_mean": {"naive": trunc["naive"]["final_mean"],
                                    "corrected": trunc["corrected"]["final_mean"],
                                    "theory_naive": trunc["factor"] ** config["trunc_depth"]},
    }
    growth_rows = [{"c": c, "growth_per_layer": math.exp(r["fit"].slope), "ci_low": math.exp(r["fit"].ci_low),
                    "ci_high": math.exp(r["fit"].ci_high), "theory": c / 2,
                    "final_mean": float(np.exp(r["curves"][-1]).mean())} for c, r in by_c.items()]
    return Result(
        metrics=metrics,
        references=_references(by_c, profiles, trunc, config),
        tables={"growth_by_c": growth_rows, "width_profiles": profiles["rows"]},
        figures={"mean_vs_depth": _mean_figure(by_c, config),
                 "variance_vs_sum_inv_width": _variance_figure(profiles, config),
                 "trunc_normal": _trunc_figure(trunc, config)},
        data="synthetic: one standard normal input per width (M_0 about 1); networks drawn at random",
        notes=[
            "M_j = ||h_j||^2 / n_j of the post-activations; ReLU, zero biases, Gaussian weights N(0, c / fan_in) "
            "(he_normal at c = 2) unless stated. Each group of networks gives one curve (log of its mean); the "
            "groups are the replicates the bootstrap resamples.",
            f"flat_tolerance = {config['flat_tolerance']} (log growth per layer) is below half the smallest nonzero "
            "predicted rate of the c grid (log 1.05 = 0.049), fixed before measuring. The log of a group's mean is "
            "biased low by about Var[M_j] / (2 n E[M_j]^2) (heavy tails at large sum 1/n_i), which is why the c sweep "
            "uses wide layers.",
            "Var[M_j] is estimated within each group; its estimate is heavy-tailed when sum 1/n_i is large, so the "
            "profiles keep sum 1/n_i moderate.",
            f"trunc_normal: torch.nn.init.trunc_normal_(std, -2 std, 2 std) has variance {trunc['factor']:.4f} std^2; "
            "'corrected' multiplies the same draws by 1 / sqrt of that.",
        ],
    )


EXPERIMENT = Experiment(
    name="init-stats",
    claim="At initialization the mean of M_j = ||h_j||^2 / n_j is exponential in depth unless the weight variance is "
          "2 / fan_in, and its variance is exponential in sum_j 1 / n_j; naive truncated normals make it vanish.",
    source=SOURCE,
    keys={
        "width": Key(200, rules.integer(2), quick=100),
        "depth": Key(100, rules.integer(2), quick=20),
        "cs": Key([1.8, 1.9, 2.0, 2.1, 2.2], rules.number_list(0, exclusive_minimum=True)),
        "n_groups": Key(6, rules.integer(3), quick=5),
        "nets_per_group": Key(50, rules.integer(2), quick=30),
        "profile_depth": Key(10, rules.integer(2), quick=6),
        "profile_width": Key(100, rules.integer(2), quick=50),
        "narrow_width": Key(10, rules.integer(1)),
        "profile_groups": Key(8, rules.integer(3), quick=5),
        "profile_nets": Key(500, rules.integer(2), quick=200),
        "trunc_width": Key(200, rules.integer(2), quick=100),
        "trunc_depth": Key(100, rules.integer(2), quick=20),
        "trunc_groups": Key(6, rules.integer(3), quick=5),
        "trunc_nets": Key(50, rules.integer(2), quick=20),
        "confidence": keys.confidence(),
        "flat_tolerance": Key(0.02, rules.number(0, exclusive_minimum=True)),
        "theory_slope_rtol": Key(0.25, rules.number(0, exclusive_minimum=True)),
    },
    run=run,
    order=40,
)
