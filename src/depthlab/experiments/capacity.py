"""capacity (seed 001): how many random labels does a network store? MacKay's 2 bits per weight, measured.

For MLPs of several sizes P (one hidden layer and deeper), the largest N of random-labelled points each
fits to 100% training accuracy, found by a search on N (doubling, then bisection; `depthlab.capacity`),
the seeds and input kinds of one architecture trained together by `fit_many`. Inputs are Gaussian points in
40 dimensions or MNIST-1D signals (40 features); labels uniform over 2 or 10 classes. Bits stored = N log2 C
(`info.label_bits`), per parameter with an interval over seeds. Beside it: the exact perceptron capacity
(a linear program on nested prefixes), the only case MacKay's 2 bits per weight is derived for, and the
memorizing construction's bits per parameter (`construct.memorize`) for contrast.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from depthlab.architectures import constant_width_for_budget, mlp_params, shallow_width_for_budget
from depthlab.capacity import largest_fitted_n, perceptron_capacity
from depthlab.construct.memorize import memorize
from depthlab.contracts import Experiment, Groups, Key, Reference, Result, keys, rules, verdict_holds
from depthlab.data import make_mnist1d
from depthlab.evidence import mean_ci, slope_ci
from depthlab.info import BITS_PER_WEIGHT, label_bits
from depthlab.seeds import derive_seed
from depthlab.train.checkpoint import checkpoint_folder

SOURCE = "seed 001_112537b05a81e3b4.txt (MacKay, ITILA ch. 40, as cited by the asker)"
INPUT_DIM = 40  # MNIST-1D's features; the random inputs use the same dimension so both kinds train together
INPUTS = ("random", "mnist1d")
INPUT_TEXT = {"random": "Gaussian N(0, 1) points in 40 dimensions",
              "mnist1d": "MNIST-1D signals (40 features, mnist1d generator)"}


def hidden_widths(budget: int, depth: int, n_classes: int) -> list[int]:
    """The hidden widths of a depth-layer MLP (40 inputs) with the most parameters <= budget (at least width 1)."""
    if depth == 1:
        return [shallow_width_for_budget(budget, INPUT_DIM, n_classes)]
    return [constant_width_for_budget(budget, depth, INPUT_DIM, n_classes)] * depth


def series_name(depth: int, inputs: str, n_classes: int) -> str:
    """Metric prefix of one series, e.g. "depth1_random_c2"."""
    return f"depth{depth}_{inputs}_c{n_classes}"


def _pools(config: dict[str, Any], n_classes: int) -> tuple[torch.Tensor, torch.Tensor, list[tuple[str, int]]]:
    """Points (M, n_max, 40) and labels (M, n_max) for every (input kind, seed): the same for every architecture."""
    n_max, seed = config["n_max"], config["seed"]
    mnist1d = None
    xs, ys, members = [], [], []
    for kind in config["inputs"]:
        for s in range(config["n_seeds"]):
            generator = torch.Generator().manual_seed(derive_seed(seed, "points", kind, s))
            if kind == "random":
                xs.append(torch.randn(n_max, INPUT_DIM, generator=generator, dtype=torch.float64))
            else:
                if mnist1d is None:
                    mnist1d = torch.from_numpy(make_mnist1d(n_max, derive_seed(seed, "mnist1d") % 2**32)[0])
                xs.append(mnist1d[torch.randperm(n_max, generator=generator)])
            labels = torch.Generator().manual_seed(derive_seed(seed, "labels", kind, n_classes, s))
            ys.append(torch.randint(n_classes, (n_max,), generator=labels))
            members.append((kind, s))
    return torch.stack(xs), torch.stack(ys), members


def _groups(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One group per distinct searched architecture (classes, depth, budget); two budgets that give one
    architecture are searched once, under the first."""
    groups, seen = [], set()
    for c in config["label_classes"]:
        for d in config["depths"]:
            for b in config["budgets"]:
                hidden = tuple(hidden_widths(b, d, c))
                if (c, hidden) not in seen:
                    seen.add((c, hidden))
                    groups.append({"classes": c, "depth": d, "budget": b})
    return groups


def _search_group(config: dict[str, Any], group: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (input kind, seed) of one architecture: the largest N fitted and its bits (resumable: the
    search's outcome file in checkpoint_dir)."""
    n_classes, depth, budget = group["classes"], group["depth"], group["budget"]
    x, y, members = _pools(config, n_classes)
    folder = checkpoint_folder(config, "capacity")
    hidden = hidden_widths(budget, depth, n_classes)
    widths = [INPUT_DIM, *hidden, n_classes]
    params = mlp_params(INPUT_DIM, hidden, n_classes)
    seeds = [derive_seed(config["seed"], "init", depth, budget, n_classes, kind, s) for kind, s in members]
    found = largest_fitted_n(
        widths, x, y, seeds, n_start=config["n_start"], tolerance=config["tolerance"], optimizer="adam",
        lr=config["lr"], steps=config["steps"], device=config["device"], desc=f"{'-'.join(map(str, widths))}",
        outcomes=None if folder is None else folder / f"depth{depth}_budget{budget}_c{n_classes}.json")
    rows = []
    for m, (kind, s) in enumerate(members):
        n = found.largest_fit[m]
        bits = label_bits(n, n_classes) if n else 0.0
        rows.append({"depth": depth, "budget": budget, "widths": "-".join(map(str, widths)), "params": params,
                     "inputs": kind, "classes": n_classes, "seed_index": s, "largest_fit": n,
                     "smallest_failure": found.smallest_failure[m], "censored": found.censored[m],
                     "bits": bits, "bits_per_param": bits / params,
                     "steps_at_largest": found.steps_to_fit[m].get(n), "n_tested": len(found.tested[m]),
                     "diverged_at": " / ".join(map(str, found.diverged[m])) or None,
                     "search_seconds": found.seconds})
    return rows


def _perceptron(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Exact largest separable prefix of random binary labels on Gaussian points, K = D + 1 weights."""
    rows = []
    for k in config["perceptron_weights"]:
        for s in range(config["perceptron_seeds"]):
            rng = np.random.default_rng(derive_seed(config["seed"], "perceptron", k, s))
            n_pool = 4 * k + 40  # P(separable at 4k + 40) < 1e-6 for every k: the pool never censors
            x, y = rng.normal(size=(n_pool, k - 1)), rng.integers(0, 2, size=n_pool)
            n = perceptron_capacity(x, y)
            rows.append({"weights": k, "seed_index": s, "largest_separable": n, "bits_per_weight": n / k})
    return rows


def _memorize(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The memorizing construction on memorize_n random points (40 dims), binary and 10-class random labels."""
    rows = []
    n = config["memorize_n"]
    for n_classes in config["label_classes"]:
        rng = np.random.default_rng(derive_seed(config["seed"], "memorize", n_classes))
        x = torch.from_numpy(rng.normal(size=(n, INPUT_DIM)))
        y = torch.from_numpy(rng.integers(0, n_classes, size=n))
        built = memorize(x, y, width=4, seed=derive_seed(config["seed"], "memorize-code", n_classes) % 2**32)
        bits = label_bits(n, n_classes)
        rows.append({"classes": n_classes, "n_points": n, "layers": built.layers, "params": built.params,
                     "train_accuracy": built.train_accuracy, "bits": bits, "bits_per_param": bits / built.params})
    return rows


def _series(rows: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per (depth, inputs, classes): bits per parameter (mean over sizes and seeds, interval over seeds) and the
    slope of bits against P (interval widened to the per-seed slopes' Student-t interval)."""
    out = {}
    for depth in config["depths"]:
        for kind in config["inputs"]:
            for c in config["label_classes"]:
                mine = [r for r in rows if (r["depth"], r["inputs"], r["classes"]) == (depth, kind, c)]
                params = sorted({r["params"] for r in mine})
                bits = np.array([[r["bits"] for r in mine if r["params"] == p] for p in params])  # (sizes, seeds)
                ratio = np.array([[r["bits_per_param"] for r in mine if r["params"] == p] for p in params])
                per_seed = ratio.mean(axis=0)  # (seeds,)
                boot = derive_seed(config["seed"], "bootstrap", depth, kind, c)
                low, high = (mean_ci(per_seed, config["confidence"], seed=boot % 2**32) if per_seed.size > 1
                             else (float("nan"), float("nan")))
                slope = slope_ci(params, bits, config["confidence"], seed=boot % 2**32) if len(params) >= 2 else None
                out[series_name(depth, kind, c)] = {
                    "depth": depth, "inputs": kind, "classes": c, "params": params, "bits": bits,
                    "bits_per_param": float(ratio.mean()), "ci": (low, high), "slope": slope,
                    "censored": any(r["censored"] for r in mine)}
    return out


def _combine(config: dict[str, Any], groups: list[dict[str, Any]], outputs: list[list[dict[str, Any]]]) -> Result:
    """The searches' rows (in label-classes, depth, budget order), the perceptron's exact capacity, the
    construction's ratio, the series and verdicts."""
    rows = [row for group_rows in outputs for row in group_rows]
    perceptron = _perceptron(config)
    construction = _memorize(config)
    series = _series(rows, config)
    weights = config["perceptron_weights"]
    separable = np.array([[r["largest_separable"] for r in perceptron if r["weights"] == k] for k in weights])
    perceptron_fit = slope_ci(weights, separable, config["confidence"],
                              seed=derive_seed(config["seed"], "bootstrap", "perceptron") % 2**32)
    metrics: dict[str, Any] = {"n_seeds": config["n_seeds"], "perceptron_seeds": config["perceptron_seeds"],
                               "perceptron_bits_per_weight": perceptron_fit.slope,
                               "perceptron_bits_per_weight_ci": [perceptron_fit.ci_low, perceptron_fit.ci_high],
                               "search_seconds": float(sum({(r["depth"], r["budget"], r["classes"]):
                                                            r["search_seconds"] for r in rows}.values()))}
    for name, s in series.items():
        metrics[f"{name}_bits_per_param"] = s["bits_per_param"]
        metrics[f"{name}_bits_per_param_ci"] = list(s["ci"])
        metrics[f"{name}_slope"] = None if s["slope"] is None else s["slope"].slope
        metrics[f"{name}_slope_ci"] = None if s["slope"] is None else [s["slope"].ci_low, s["slope"].ci_high]
        metrics[f"{name}_largest_fit_by_params"] = {str(p): [int(v) for v in b / np.log2(s["classes"])]
                                                    for p, b in zip(s["params"], s["bits"])}
    for r in construction:
        metrics[f"memorize_bits_per_param_c{r['classes']}"] = r["bits_per_param"]
    summary = [{"series": name, "depth": s["depth"], "inputs": s["inputs"], "classes": s["classes"],
                "params": " / ".join(map(str, s["params"])), "bits_per_param": s["bits_per_param"],
                "ci_low": s["ci"][0], "ci_high": s["ci"][1],
                "slope": None if s["slope"] is None else s["slope"].slope, "censored": s["censored"]}
               for name, s in series.items()]
    return Result(
        metrics=metrics,
        references=_references(series, perceptron_fit, construction, config),
        tables={"largest_fit": rows, "series": summary, "perceptron": perceptron, "memorize": construction},
        figures={"capacity": _figure(series, separable, weights, construction)},
        data=f"random labels (uniform over {', '.join(map(str, config['label_classes']))} classes) on "
             + " and ".join(INPUT_TEXT[k] for k in config["inputs"])
             + f", up to {config['n_max']:,} points per pool, one pool per (input kind, seed); "
               f"perceptron: Gaussian points, K = {', '.join(map(str, weights))} weights",
        notes=_notes(config, metrics) + _divergence_notes(rows),
    )


def _references(series: dict[str, dict[str, Any]], perceptron_fit, construction: list[dict[str, Any]],
                config: dict[str, Any]) -> list[Reference]:
    refs = [Reference(
        "A single perceptron stores 2 bits per weight (binary labels, points in general position)", SOURCE,
        BITS_PER_WEIGHT, f"{perceptron_fit.slope:.3f} bits per weight",
        perceptron_fit.verdict_for(BITS_PER_WEIGHT, config["perceptron_tolerance"]),
        f"Largest separable prefix of random binary labels on Gaussian points, decided exactly by a linear program, "
        f"against K = {config['perceptron_weights']} weights (bias included), {config['perceptron_seeds']} seeds "
        f"per K: {perceptron_fit.summary()}; reproduced when the interval holds 2 and lies within "
        f"+-{config['perceptron_tolerance']}. Cover's count gives a mean of exactly 2K for this quantity.")]
    for s in series.values():
        fit = s["slope"]
        low, high = s["ci"]
        side = ("above" if low > BITS_PER_WEIGHT else "below" if high < BITS_PER_WEIGHT else "around")
        refs.append(Reference(
            f"2 bits per weight for a trained MLP ({s['depth']} hidden layer{'s' if s['depth'] > 1 else ''}, "
            f"{s['inputs']} inputs, {s['classes']} classes)", SOURCE, BITS_PER_WEIGHT,
            f"{s['bits_per_param']:.3f} bits per parameter [{low:.3f}, {high:.3f}]", "not comparable",
            "MacKay's figure is derived for a single perceptron with binary labels, not for multilayer nets trained "
            f"by Adam with a {config['steps']}-step budget: not comparable. Measured over P = {s['params']} and "
            f"{config['n_seeds']} seeds: mean of N log2 C / P, {config['confidence']:.0%} bootstrap interval of the "
            f"per-seed means [{low:.3f}, {high:.3f}] ({side} 2)"
            + (f"; slope of bits against P: {fit.summary()}" if fit else "")
            + ("; some searches reached n_max (capacity at least that)" if s["censored"] else "") + "."))
    for r in construction:
        refs.append(Reference(
            f"For contrast: the memorizing construction (width 4, {r['classes']} classes)", "construct.memorize",
            "stores any labelling", f"{r['bits_per_param']:.4f} bits per parameter ({r['params']:,} params for "
            f"{r['n_points']:,} points)", "not comparable" if r["train_accuracy"] == 1.0 else verdict_holds(False),
            f"built in closed form and run as a network: training accuracy {r['train_accuracy']:.3f}; it spends about "
            f"{r['params'] / r['n_points']:.0f} parameters per point whatever the labels, so its bits per parameter is "
            "far below any trained net's; not a capacity measurement."))
    return refs


def _notes(config: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    notes = [
        f"A network 'fits' N points when Adam (full batch, lr {config['lr']}) reaches 100% training accuracy within "
        f"{config['steps']} steps, trained afresh from the same initialization on the first N points of its pool; "
        f"the search doubles N from {config['n_start']} until a failure, then bisects until the gap is at most "
        f"{config['tolerance']:.0%} of the largest fit. Capacity measured this way depends on the step budget "
        "(more steps fit more points) and assumes fitting is monotone in N (nested prefixes make it nearly so).",
        f"Bits stored = N log2 C for uniform random labels; {config['n_seeds']} seeds per network (n = "
        f"{config['n_seeds']} behind each interval); the seeds and both input kinds of one network train together "
        f"in one fit_many call per N. Search time: {metrics['search_seconds']:.0f} s of training.",
        "MacKay's 2 bits per weight is Cover's result for one linear threshold unit with binary labels (N = 2K "
        "points, half of all labellings separable); for MLPs it is only the asker's arithmetic, so those rows are "
        "'not comparable' and the measured interval is what to read.",
    ]
    if config["quick"]:
        notes.append("Quick size: fewer and smaller networks, seeds, steps and a coarser bisection than the full run.")
    return notes


def _divergence_notes(rows: list[dict[str, Any]]) -> list[str]:
    """One note naming the networks whose training diverged at some N (counted as not fitting that N)."""
    named = [f"{r['widths']} ({r['inputs']}, {r['classes']} classes, seed {r['seed_index']}) at N = {r['diverged_at']}"
             for r in rows if r["diverged_at"]]
    if not named:
        return []
    return [f"Training diverged (non-finite loss) for {len(named)} network(s), each counted as not fitting that N, so "
            f"its largest fit is a lower bound set by the optimizer, not by capacity: {'; '.join(named)}."]


def _figure(series: dict[str, dict[str, Any]], separable: np.ndarray, weights: list[int],
            construction: list[dict[str, Any]]) -> Figure:
    figure = Figure(figsize=(12, 4.8))
    left, right = figure.subplots(1, 2)
    markers = {"random": "o", "mnist1d": "s"}
    for i, (name, s) in enumerate(series.items()):
        colour = f"C{i % 10}"
        p = np.array(s["params"])
        left.plot(p, s["bits"].mean(axis=1), marker=markers[s["inputs"]], color=colour, label=name)
        right.plot(p, (s["bits"] / p[:, None]).mean(axis=1), marker=markers[s["inputs"]], color=colour, label=name)
        for j in range(s["bits"].shape[1]):
            right.scatter(p, s["bits"][:, j] / p, color=colour, s=8, alpha=0.5)
    k = np.array(weights)
    left.plot(k, separable.mean(axis=1), "k^-", label="perceptron (exact, binary)")
    right.plot(k, separable.mean(axis=1) / k, "k^-", label="perceptron (exact, binary)")
    grid = np.geomspace(min(k.min(), min(min(s["params"]) for s in series.values())),
                        max(max(s["params"]) for s in series.values()), 50)
    left.plot(grid, BITS_PER_WEIGHT * grid, "k:", label="2 bits per weight")
    right.axhline(BITS_PER_WEIGHT, color="k", ls=":", label="2 bits per weight")
    for r in construction:
        right.axhline(r["bits_per_param"], color="grey", ls="--", lw=1)
        right.annotate(f"construction, {r['classes']} classes", (grid[0], r["bits_per_param"]), fontsize=7,
                       va="bottom", color="grey")
    left.set_xscale("log")
    left.set_yscale("log")
    right.set_xscale("log")
    right.set_yscale("log")
    left.set_xlabel("parameters P")
    left.set_ylabel("bits stored = largest N fitted x log2 C")
    right.set_xlabel("parameters P")
    right.set_ylabel("bits per parameter")
    right.legend(fontsize=6)
    figure.suptitle("Random labels stored to 100% training accuracy")
    figure.tight_layout()
    return figure


GROUPS = Groups(split=_groups, run=_search_group, combine=_combine, desc="capacity")


def run(config: dict[str, Any]) -> Result:
    """Search the largest fitted N per network (one architecture after another; `--executor local|ray` spreads
    them), then the perceptron's exact capacity and the construction's ratio."""
    return GROUPS.run_all(config)


EXPERIMENT = Experiment(
    name="capacity",
    claim="A network stores about 2 bits of random labels per weight (MacKay's capacity of a neuron), measured.",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "inputs": Key(list(INPUTS), rules.choice_list(INPUTS)),
        "label_classes": Key([2, 10], rules.int_list(2, 100, distinct=True)),
        "depths": Key([1, 3], rules.int_list(1, 8, distinct=True), quick=[1, 2]),
        "budgets": Key([200, 400, 800, 1400, 2000], rules.int_list(2, distinct=True), quick=[60, 120, 240]),
        "n_seeds": keys.n_seeds(3, quick=2),
        "n_start": Key(16, rules.integer(1)),
        "n_max": Key(8192, rules.integer(2), quick=1024),
        "tolerance": Key(0.1, rules.number(0, 0.9), quick=0.25),
        "steps": Key(4000, rules.integer(1), quick=300),
        "lr": keys.lr(0.01),
        "perceptron_weights": Key([4, 8, 16, 24, 40], rules.int_list(2, distinct=True), quick=[4, 8, 16, 32]),
        "perceptron_seeds": Key(20, rules.integer(2), quick=8),
        "perceptron_tolerance": Key(0.25, rules.number(0, exclusive_minimum=True)),
        "memorize_n": Key(1000, rules.integer(2), quick=200),
        "confidence": keys.confidence(),
        "checkpoint_dir": keys.checkpoint_dir(),
    },
    run=run,
    order=22,
    groups=GROUPS,
)
