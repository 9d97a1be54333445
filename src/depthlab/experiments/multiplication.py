"""multiplication (seed 003, Rolnick & Tegmark 2018): the product of n inputs on [-1, 1]^n, shallow vs deep.

Constructions (float64, errors measured as the sampled max |net - product| over the cube and its corners):
deep = `product_tree_net(n, m)` (pairwise tree of Yarotsky multipliers), shallow = `shallow_product_net(n,
knots)` (the polarization identity with one ReLU interpolant per ridge: 2^(n-1) * knots units in one hidden
layer); for each n, the fewest neurons that reach `construction_target`.
Training: shallow (1 hidden layer of N units) and deep (`deep_layers` layers of N / deep_layers units) nets
trained with Adam on uniform samples; for each n, the fewest neurons N in the sweep whose relative test
RMSE (RMSE / RMS of the product) is <= `target_error` (best over seeds), -1 if none in the sweep.
"""

from __future__ import annotations

from typing import Any

import torch
from matplotlib.figure import Figure

from depthlab.architectures import split_neurons
from depthlab.construct.products import fewest_polarization_knots, fewest_tree_depth, product_dataset
from depthlab.contracts import Experiment, Key, Reference, Result, cell_groups, keys, rules
from depthlab.evidence import Comparison
from depthlab.grid import cells, smallest_reaching
from depthlab.models.network import Network
from depthlab.seeds import derive_seed
from depthlab.train import fit
from depthlab.train.divergence import DivergenceLog, Split, compare_trained, failure, split_rows

KINDS = ("deep", "shallow")
SOURCE = "seed 003 (Rolnick & Tegmark 2018, 'The power of deeper networks for expressing natural functions')"


def _constructions(n: int, config: dict[str, Any]) -> list[dict[str, Any]]:
    """The smallest product tree and shallow polarization net reaching the construction target, as rows."""
    target, points, seed = config["construction_target"], config["n_eval_points"], derive_seed(config["seed"], "eval")
    found = {"deep tree": fewest_tree_depth(n, target, points, seed),
             "shallow polarization": fewest_polarization_knots(n, target, config["max_shallow_units"], points, seed)}
    return [{"n": n, "kind": kind, "setting": c.setting, "neurons": c.net.n_hidden, "layers": c.net.depth,
             "params": c.net.n_params, "max_error": c.max_error, "reached": c.reached} for kind, c in found.items()]


def _train_cell(config: dict[str, Any], cell: dict[str, Any], seed: int) -> dict[str, Any]:
    """One net of `neurons` hidden units (shallow: one layer; deep: deep_layers equal layers) fit to x_1 ... x_n."""
    n = cell["n"]
    x, y = product_dataset(n, config["n_train"], derive_seed(seed, "train"))
    x_test, y_test = product_dataset(n, 10_000, derive_seed(seed, "test"))
    rms = float(y_test.pow(2).mean().sqrt())
    hidden = [cell["neurons"]] if cell["kind"] == "shallow" else split_neurons(cell["neurons"], config["deep_layers"])
    widths = [n, *hidden, 1]
    target_loss = (0.5 * config["target_error"] * rms) ** 2
    result = fit(Network.random(widths, seed=seed), x, y, loss="mse", optimizer="adam", lr=config["lr"],
                 steps=config["steps"], seed=seed, target_loss=target_loss, device=config["device"],
                 desc=f"fit {widths} n={n}")
    with torch.no_grad():
        rmse = float((result.net(x_test) - y_test).pow(2).mean().sqrt()) if not result.diverged else float("nan")
    return {"units": result.net.n_hidden, "widths": "-".join(map(str, widths)), "params": result.net.n_params,
            "steps_run": result.steps_run, "relative_rmse": rmse / rms, "final_loss": result.final_loss,
            "initial_loss": result.initial_loss, "chance_loss": result.chance_loss,
            "failure": failure(result.final_loss, result.initial_loss, result.chance_loss)}


def _grid(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One cell per (n, kind, neurons, seed index): a net trained with Adam, its relative test RMSE measured."""
    return cells(n=config["ns"], kind=["shallow", "deep"], neurons=config["neurons"],
                 seed_index=list(range(config["n_seeds"])))


def _neurons_needed(rows: list[dict[str, Any]], n: int, kind: str, target: float, **where: Any) -> int:
    """Fewest neurons (the sweep's budget N) among `rows` of (n, kind) whose relative_rmse <= target; -1 if none.

    A deep net of budget N has deep_layers * (N // deep_layers) <= N units (listed as `units`), so shallow and
    deep nets of one budget tie rather than differ by rounding. `where` narrows further (e.g. seed_index=0).
    """
    trained = [r for r in rows if not r["failure"]]  # a model that diverged reaches nothing
    found = smallest_reaching(trained, "neurons", "relative_rmse", target, n=n, kind=kind, **where)
    return -1 if found is None else int(found)


def _figure(constructions: list[dict], trained: list[dict], config: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(12, 4))
    ax_construct, ax_trained = figure.subplots(1, 2)
    ns = config["ns"]
    for kind, marker in (("deep tree", "o-"), ("shallow polarization", "s-")):
        rows = [r for r in constructions if r["kind"] == kind]
        ax_construct.semilogy([r["n"] for r in rows], [r["neurons"] for r in rows], marker, label=kind)
    ax_construct.semilogy(ns, [2**n for n in ns], "k:", label="2^n (Rolnick-Tegmark, smooth act.)")
    ax_construct.semilogy(ns, [4 * n for n in ns], "k--", label="4n (their deep, smooth act.)")
    ax_construct.set(xlabel="n inputs", ylabel="neurons",
                     title=f"ReLU constructions: max error <= {config['construction_target']}")
    for kind, marker in (("shallow", "s"), ("deep", "o")):
        for index, n in enumerate(ns):
            rows = [r for r in trained if r["n"] == n and r["kind"] == kind]
            best = {}
            for r in rows:
                best[r["neurons"]] = min(best.get(r["neurons"], float("inf")), r["relative_rmse"])
            sizes = sorted(best)
            ax_trained.loglog(sizes, [best[s] for s in sizes], marker + ("-" if kind == "deep" else "--"),
                              color=f"C{index % 10}", label=f"{kind}, n = {n}", alpha=0.8)
    ax_trained.axhline(config["target_error"], color="black", lw=0.8, ls=":")
    ax_trained.set(xlabel="neurons", ylabel="relative test RMSE (best seed)", title="Trained (Adam)")
    for ax in (ax_construct, ax_trained):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    return figure


def _combine(config: dict[str, Any], trained: list[dict[str, Any]]) -> Result:
    """The constructions, then the verdicts from every trained cell's row."""
    constructions = [row for n in config["ns"] for row in _constructions(n, config)]
    log = DivergenceLog()
    for n in config["ns"]:
        for kind in KINDS:
            log.add(split_rows([r for r in trained if r["n"] == n and r["kind"] == kind], f"{kind} n={n}"))
    metrics: dict[str, Any] = {"target_error": config["target_error"],
                               "construction_target": config["construction_target"], **log.metrics()}
    for n in config["ns"]:
        metrics[f"deep_neurons_n{n}"] = _neurons_needed(trained, n, "deep", config["target_error"])
        metrics[f"shallow_neurons_n{n}"] = _neurons_needed(trained, n, "shallow", config["target_error"])
    for row in constructions:
        key = "deep" if row["kind"] == "deep tree" else "shallow"
        metrics[f"construct_{key}_neurons_n{row['n']}"] = row["neurons"] if row["reached"] else -1
        metrics[f"construct_{key}_error_n{row['n']}"] = row["max_error"]
    return Result(
        metrics=metrics,
        references=_references(metrics, trained, config),
        tables={"constructions": constructions, "trained": trained},
        figures={"multiplication": _figure(constructions, trained, config)},
        data=(f"synthetic: uniform points of [-1, 1]^n, n in {config['ns']}; {config['n_train']} training and "
              f"10,000 test points per fit; construction errors on {config['n_eval_points']:,} points + corners"),
        notes=_notes(config) + log.notes(),
    )


def _trained_comparison(trained: list[dict[str, Any]], config: dict[str, Any]) -> tuple[int | None, Comparison | None]:
    """At the largest n where either kind reached the target in some seed: neurons needed per seed, deep vs shallow
    (a seed that never reached it counts as twice the largest budget swept)."""
    target, never = config["target_error"], 2 * max(config["neurons"])
    reached = [n for n in config["ns"] if any(_neurons_needed(trained, n, kind, target) > 0 for kind in KINDS)]
    if not reached:
        return None, None
    judged = max(reached)
    per_seed = {kind: [_neurons_needed(trained, judged, kind, target, seed_index=s) for s in range(config["n_seeds"])]
                for kind in KINDS}
    needed = {kind: [v if v > 0 else never for v in values] for kind, values in per_seed.items()}
    splits = {kind: _seed_split(trained, judged, kind, config["n_seeds"]) for kind in KINDS}
    return judged, compare_trained(needed["deep"], splits["deep"], needed["shallow"], splits["shallow"], "less",
                                   confidence=config["confidence"], seed=derive_seed(config["seed"], "bootstrap"))


def _seed_split(trained: list[dict[str, Any]], n: int, kind: str, n_seeds: int) -> Split:
    """Per seed of (n, kind): failed when any of its trainings (over the neuron sweep) diverged or did not train."""
    failures = tuple(next((r["failure"] for r in trained if r["n"] == n and r["kind"] == kind
                           and r["seed_index"] == s and r["failure"]), "") for s in range(n_seeds))
    return Split(f"{kind} n={n}", failures)


def _references(metrics: dict[str, Any], trained: list[dict[str, Any]], config: dict[str, Any]) -> list[Reference]:
    ns = config["ns"]
    shallow = [metrics[f"construct_shallow_neurons_n{n}"] for n in ns]
    deep = [metrics[f"construct_deep_neurons_n{n}"] for n in ns]
    sweep_max = max(config["neurons"])

    trained_text = ", ".join(f"n={n}: shallow {metrics[f'shallow_neurons_n{n}']}, deep {metrics[f'deep_neurons_n{n}']}"
                             for n in ns)
    judged, comparison = _trained_comparison(trained, config)
    if comparison is not None:
        verdict = comparison.verdict
        trained_text += f"; judged at n = {judged}, the largest n where either kind reached the target"
        rule = (f"per seed, fewest neurons to the target at n = {judged} (never reached = {2 * sweep_max}), deep vs "
                f"shallow, seeds with a diverged training left out: {comparison.summary()}")
    else:
        verdict, rule = "not comparable", "neither kind reached the target at any n within the sweep"
        trained_text += "; neither kind reached the target at any n within the sweep"
        failed = sum(bool(r["failure"]) for r in trained)
        if failed:  # the trainings that diverged could not reach it: nothing is measured about them
            verdict = "inconclusive"
            rule += f", and {failed} of {len(trained)} trainings diverged or did not train"
    return [
        Reference(
            "A shallow net multiplying n inputs needs 2^n neurons", SOURCE, "2^n (smooth activations only)",
            "ReLU polarization construction, neurons to max error <= "
            f"{config['construction_target']}: " + ", ".join(f"n={n}: {v}" for n, v in zip(ns, shallow)),
            "not comparable",
            "their theorem assumes a smooth activation with non-zero Taylor coefficients; for ReLU the shallow "
            "count here is one construction's upper bound (2^(n-1) ridges x knots), not a proven minimum",
        ),
        Reference(
            "A deep net multiplies n inputs with about 4n neurons", SOURCE, "4n (smooth activations)",
            "ReLU product tree (Yarotsky 2017 multipliers), neurons to max error <= "
            f"{config['construction_target']}: " + ", ".join(f"n={n}: {v}" for n, v in zip(ns, deep)),
            "not comparable",
            "ReLU multipliers need depth m for error 2^(-2m-2) each, so a fixed error costs O(n log(1/eps)) neurons "
            "(linear in n at fixed m), not exactly 4n",
        ),
        Reference(
            "Trained: the neurons a shallow net needs grow much faster with n than a deep net's", SOURCE,
            "shallow exponential, deep ~linear in n",
            f"fewest neurons to relative RMSE <= {config['target_error']} (-1: not within {sweep_max}): {trained_text}",
            verdict,
            f"{rule}. Reproduced when deep nets need fewer neurons over seeds at that confidence; beyond that n "
            "neither kind reached the target within the sweep and Adam budget, while the constructions above reach max "
            f"error {config['construction_target']} with the neurons listed",
        ),
    ]


def _notes(config: dict[str, Any]) -> list[str]:
    notes = [
        "Construction errors are the max over sampled points and all cube corners (a lower bound on the sup error).",
        "Rolnick & Tegmark's 2^n shallow construction uses sigma^(n)(0) != 0; ReLU has no such Taylor term. The "
        "shallow ReLU baseline here keeps their polarization identity and replaces each ridge (s . x)^n by a "
        "piecewise-linear interpolant (one hidden layer).",
        f"Trained deep nets have {config['deep_layers']} hidden layers of neurons // {config['deep_layers']} units; "
        f"Adam lr {config['lr']}, up to {config['steps']} full-batch steps (stopping once the training RMSE is half "
        f"the target), float32, {config['n_seeds']} seed(s); the metrics report the best seed, the verdict compares "
        "seeds.",
    ]
    if config["quick"]:
        notes.append("Quick size: n <= 4, a short width sweep, few steps, 3 seeds.")
    return notes


GROUPS = cell_groups(_grid, _train_cell, _combine, desc="multiplication fits", stream="fits")


def run(config: dict[str, Any]) -> Result:
    """Trained sweeps (one cell after another; `--executor local|ray` spreads them), then the constructions; see
    the module docstring."""
    return GROUPS.run_all(config)


EXPERIMENT = Experiment(
    name="multiplication",
    claim="Multiplying n inputs takes exponentially many neurons in a shallow net, about linearly many in a deep one.",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "ns": Key([2, 3, 4, 5, 6], rules.int_list(2, 10), quick=[2, 3, 4]),
        "construction_target": Key(0.01, rules.number(0, exclusive_minimum=True)),
        "max_shallow_units": Key(65_536, rules.integer(1)),
        "n_eval_points": Key(50_000, rules.integer(1), quick=5_000),
        "neurons": Key([8, 16, 32, 64, 128], rules.int_list(1), quick=[6, 24]),
        "deep_layers": Key(3, rules.integer(1)),
        "target_error": Key(0.1, rules.number(0, exclusive_minimum=True)),
        "n_seeds": keys.n_seeds(5, quick=3),
        "steps": Key(2000, rules.integer(0), quick=300),
        "lr": keys.lr(0.01),
        "n_train": Key(2048, rules.integer(1), quick=512),
        "confidence": keys.confidence(),
    },
    run=run,
    groups=GROUPS,
    order=33,
)
