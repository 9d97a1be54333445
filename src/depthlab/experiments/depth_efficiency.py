"""depth-efficiency (seed 002, Telgarsky 2015): the sawtooth with 2^k pieces, deep vs shallow.

Exact part: `sawtooth(k)` (k layers of 2 units, 6k + 1 parameters) against `shallow_sawtooth(k)`, the
smallest one-hidden-layer net equal to it on [0, 1] (2^k units, 3 * 2^k + 1 parameters); both are run
as networks in float64 and their pieces counted exactly with `count_regions_1d`.
Trained part: deep (train_k layers) and shallow nets with equal parameter budgets, fitted with Adam to
the sawtooth g_{train_k} on [0, 1]; test MSE on a dense grid vs parameters, over several seeds.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import torch
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from depthlab.architectures import constant_width_for_budget, mlp_params, shallow_width_for_budget
from depthlab.construct.sawtooth import sawtooth, sawtooth_params, sawtooth_values, shallow_sawtooth
from depthlab.contracts import Experiment, Key, Reference, Result, cell_groups, keys, rules, verdict_holds
from depthlab.evidence import compare
from depthlab.grid import cells
from depthlab.models.network import Network
from depthlab.regions import count_regions_1d
from depthlab.seeds import derive_seed
from depthlab.train import FitResult, fit
from depthlab.train.divergence import DivergenceLog, compare_trained, failure, split_losses, split_rows

SOURCE = "seed 002 (Prince, UDL ch. 4, depth efficiency) and seed 003 (Telgarsky 2015, Thm. 1.1)"


def _construction_rows(ks: list[int]) -> list[dict[str, Any]]:
    """Per k: parameters and units of the deep and shallow sawtooth, exact pieces, max |deep - shallow|."""
    rows = []
    for k in ks:
        deep, shallow = sawtooth(k), shallow_sawtooth(k)
        x = torch.cat([torch.linspace(0, 1, 20_001, dtype=torch.float64),
                       torch.arange(2**k + 1, dtype=torch.float64) / 2**k])[:, None]  # (B, 1) incl. kinks
        deep_params, shallow_params = sawtooth_params(k)
        rows.append({
            "k": k, "pieces": 2**k,
            "deep_layers": deep.depth, "deep_units": deep.n_hidden, "deep_params": deep_params,
            "shallow_units": shallow.n_hidden, "shallow_params": shallow_params,
            "pieces_deep_counted": count_regions_1d(deep, 0.0, 1.0).n_pieces,
            "pieces_shallow_counted": count_regions_1d(shallow, 0.0, 1.0).n_pieces,
            "max_abs_diff": float((deep(x) - shallow(x)).abs().max()),
            "max_abs_diff_closed_form": float((deep(x)[:, 0] - sawtooth_values(k, x[:, 0])).abs().max()),
        })
    return rows


def _train_one(widths: list[int], x: torch.Tensor, y: torch.Tensor, config: dict, seed: int) -> FitResult:
    """He-scaled weights; biases N(0, bias_std^2) so kinks start spread over [0, 1] (He's zero biases put all
    first-layer kinks at x = 0 and the nets barely move from a line)."""
    init = "he_normal" if config["bias_std"] == 0 else ("normal", math.sqrt(2.0), float(config["bias_std"]))
    net = Network.random(widths, init=init, seed=seed)
    return fit(net, x, y, loss="mse", optimizer="adam", lr=config["lr"], steps=config["steps"], seed=seed,
               device=config["device"], desc=f"fit {'-'.join(map(str, widths))}")


def _architectures(budget: int, k: int) -> dict[str, list[int]]:
    """Deep: k layers of the widest equal width (>= 2) within the budget; shallow: the most units within the deep
    net's parameter count (3 per unit + 1), so both have about the same parameters."""
    width = constant_width_for_budget(budget, k, minimum=2)
    return {"deep": [1] + [width] * k + [1], "shallow": [1, shallow_width_for_budget(mlp_params(1, [width] * k)), 1]}


def _sawtooth_data(config: dict[str, Any]) -> tuple[torch.Tensor, ...]:
    """Training grid x (N, 1), targets g_k (N, 1), uniform test points (M, 1) and their targets (M, 1)."""
    k = config["train_k"]
    x = torch.linspace(0, 1, config["n_train"], dtype=torch.float64)[:, None]  # (N, 1)
    test_generator = torch.Generator().manual_seed(derive_seed(config["seed"], "test points"))
    x_test = torch.rand(10_000, 1, dtype=torch.float64, generator=test_generator)  # (M, 1)
    return x, sawtooth_values(k, x[:, 0])[:, None], x_test, sawtooth_values(k, x_test[:, 0])[:, None]


def _grid(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One cell per budget x seed x kind (deep, shallow): one trained net each."""
    return cells(budget=config["budgets"], seed_index=list(range(config["n_seeds"])), kind=["deep", "shallow"])


def _train_cell(config: dict[str, Any], cell: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train one net of the cell's kind at its budget on g_k: test MSE, pieces, losses; at the largest budget
    the trained net itself rides along under "net" (for the figure's best fits; `_combine` takes it out)."""
    x, y, x_test, y_test = _sawtooth_data(config)
    widths = _architectures(cell["budget"], config["train_k"])[cell["kind"]]
    result = _train_one(widths, x, y, config, seed)
    net, why = result.net, failure(result.final_loss, result.initial_loss, result.chance_loss)
    with torch.no_grad():
        mse = float(((net(x_test) - y_test) ** 2).mean()) if not result.diverged else float("nan")
    row = {"widths": "-".join(map(str, widths)), "params": net.n_params, "units": net.n_hidden,
           "test_mse": mse, "pieces": count_regions_1d(net, 0.0, 1.0).n_pieces, "final_loss": result.final_loss,
           "initial_loss": result.initial_loss, "chance_loss": result.chance_loss, "failure": why}
    return row | ({"net": net} if cell["budget"] == max(config["budgets"]) else {})


def _best_nets(rows: list[dict[str, Any]]) -> dict[str, Network]:
    """Per kind, the trained net of lowest test MSE at the largest budget (first in grid order on ties); removes
    the "net" entries from the rows, which are then the table's plain values."""
    best: dict[str, tuple[float, Network]] = {}
    for row in rows:
        net = row.pop("net", None)
        if net is not None and not row["failure"] and row["test_mse"] < best.get(row["kind"], (float("inf"),))[0]:
            best[row["kind"]] = (row["test_mse"], net)
    return {kind: net for kind, (_, net) in best.items()}


def _top_mses(rows: list[dict[str, Any]], kind: str, budget: int) -> list[float]:
    """Test MSE of every seed of one kind at one budget that trained (`divergence`: the others are left out)."""
    return [r["test_mse"] for r in rows if r["kind"] == kind and r["budget"] == budget and not r["failure"]]


def _median(rows: list[dict[str, Any]], kind: str, budget: int) -> float:
    values = _top_mses(rows, kind, budget)
    return statistics.median(values) if values else float("nan")


def _figure(construction: list[dict], trained: list[dict], best: dict[str, Network], k: int) -> Figure:
    figure = Figure(figsize=(13, 3.8))
    ax_exact, ax_trained, ax_fit = figure.subplots(1, 3)
    ks = [r["k"] for r in construction]
    ax_exact.semilogy(ks, [r["deep_params"] for r in construction], "o-", label="deep: k layers x 2 units")
    ax_exact.semilogy(ks, [r["shallow_params"] for r in construction], "s-", label="shallow: 2^k units")
    ax_exact.set(xlabel="k (sawtooth has 2^k pieces)", ylabel="parameters for an exact fit",
                 title="Exact sawtooth: parameters")
    for kind, marker, color in (("deep", "o", "tab:blue"), ("shallow", "s", "tab:orange")):
        rows = [r for r in trained if r["kind"] == kind]
        ax_trained.loglog([r["params"] for r in rows], [r["test_mse"] for r in rows], marker, color=color, alpha=0.35)
        budgets = sorted({r["budget"] for r in rows})
        params = [statistics.median(r["params"] for r in rows if r["budget"] == b) for b in budgets]
        ax_trained.loglog(params, [_median(trained, kind, b) for b in budgets], marker + "-", color=color,
                          label=f"{kind} (median; dots: seeds)")
    ax_trained.set(xlabel="parameters", ylabel="test MSE", title=f"Trained on g_{k} ({2**k} pieces), Adam")
    x = torch.linspace(0, 1, 4001, dtype=torch.float64)[:, None]  # (4001, 1)
    ax_fit.plot(x[:, 0], sawtooth_values(k, x[:, 0]), color="black", lw=0.8, label="target g_k")
    for kind, net in best.items():
        with torch.no_grad():
            ax_fit.plot(x[:, 0], net(x)[:, 0], lw=1.2, color="tab:blue" if kind == "deep" else "tab:orange",
                        label=f"best {kind} ({net.n_params} params)")
    ax_fit.set(xlabel="x", title="Best fits at the largest budget")
    ax_trained.xaxis.set_minor_formatter(NullFormatter())
    for ax in (ax_exact, ax_trained, ax_fit):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _combine(config: dict[str, Any], trained: list[dict[str, Any]]) -> Result:
    """Exact constructions, and the trained rows (one per cell, grid order) turned into metrics and verdicts."""
    k = config["train_k"]
    construction = _construction_rows(config["ks"])
    best = _best_nets(trained)
    top = max(config["budgets"])
    metrics: dict[str, Any] = {}
    for row in construction:
        metrics[f"deep_params_k{row['k']}"] = row["deep_params"]
        metrics[f"shallow_units_k{row['k']}"] = row["shallow_units"]
        metrics[f"shallow_params_k{row['k']}"] = row["shallow_params"]
        metrics[f"pieces_deep_k{row['k']}"] = row["pieces_deep_counted"]
    metrics["max_abs_diff"] = max(r["max_abs_diff"] for r in construction)
    metrics["train_k"] = k
    metrics["trained_budget"] = top
    deep, shallow = _top_mses(trained, "deep", top), _top_mses(trained, "shallow", top)
    log = DivergenceLog()
    for budget in config["budgets"]:
        for kind in ("deep", "shallow"):
            log.add(split_rows([r for r in trained if r["kind"] == kind and r["budget"] == budget],
                               f"{kind} at {budget} params"))
    metrics.update(log.metrics())
    metrics.update(trained_deep_mse=_median(trained, "deep", top), trained_shallow_mse=_median(trained, "shallow", top),
                   trained_deep_mse_best=min(deep, default=float("nan")),
                   trained_shallow_mse_best=min(shallow, default=float("nan")),
                   target_variance=1.0 / 12.0,  # MSE of predicting the mean: g_k is uniform on [0, 1] under uniform x
                   n_seeds=config["n_seeds"])
    evidence = _trained_evidence(deep, shallow, metrics["target_variance"], config)
    return Result(
        metrics=metrics,
        references=_references(construction, metrics, evidence),
        tables={"constructions": construction, "trained": trained},
        figures={"depth_efficiency": _figure(construction, trained, best, k)},
        data=(f"synthetic: the sawtooth g_{k} on [0, 1]; {config['n_train']} grid points for training, "
              "10,000 uniform test points"),
        notes=_notes(config) + log.notes(),
    )


def _trained_evidence(deep: list[float], shallow: list[float], variance: float, config: dict) -> dict[str, Any]:
    """Over seeds at the top budget: deep vs shallow test MSE, and each against predicting the mean."""
    options = {"confidence": config["confidence"], "seed": derive_seed(config["seed"], "bootstrap")}
    constant = [variance] * max(len(deep), len(shallow), 1)
    deep_vs_shallow = compare_trained(deep, split_losses(deep), shallow, split_losses(shallow), "less", **options)
    learned = {kind: bool(mses) and compare(mses, constant, "less", **options).verdict == "reproduced"
               for kind, mses in (("deep", deep), ("shallow", shallow))}
    verdict = deep_vs_shallow.verdict if any(learned.values()) else "inconclusive"
    return {"comparison": deep_vs_shallow, "learned": learned, "verdict": verdict}


def _references(construction: list[dict], metrics: dict[str, Any], evidence: dict[str, Any]) -> list[Reference]:
    largest = construction[-1]
    exact = all(r["pieces_deep_counted"] == r["pieces"] == r["pieces_shallow_counted"] for r in construction)
    equal = all(r["max_abs_diff"] <= 1e-12 * 4 ** max(0, r["k"] - 6) for r in construction)
    learned = evidence["learned"]
    beat = [kind for kind, ok in learned.items() if ok]
    learned_text = (f"{' and '.join(beat)} beat{'s' if len(beat) == 1 else ''} predicting the mean (MSE 1/12)"
                    if beat else "neither net beats predicting the mean (MSE 1/12), so the comparison says nothing")
    return [
        Reference(
            "2^k points with alternating labels are fit exactly by a ReLU net with 2 units in each of 2k layers",
            "Telgarsky 2015, Thm. 1.1", "2 units x 2k layers",
            f"2 units x k layers (6k + 1 params): g_k hits 0/1 at all 2^k + 1 points j / 2^k; "
            f"{largest['pieces_deep_counted']:,} pieces counted exactly at k = {largest['k']}",
            verdict_holds(exact and largest["max_abs_diff_closed_form"] <= 1e-12),
            "the tent map is a 1-2-1 ReLU net, so k layers (half of Telgarsky's 2k) suffice for this function",
        ),
        Reference(
            "A shallow net needs exponentially many units for the same function (depth efficiency)",
            SOURCE, "exponential in k",
            f"exact shallow needs 2^k units: {largest['shallow_units']:,} units / {largest['shallow_params']:,} "
            f"params vs {largest['deep_params']} deep params at k = {largest['k']}",
            verdict_holds(equal and exact),
            "2^k - 1 units (one per interior kink) cannot also make the first slope without a skip connection; "
            "the equality deep == shallow is checked as networks in float64 on dense points incl. kinks",
        ),
        Reference(
            "At equal parameter counts a deep net fits the sawtooth better than a shallow one (trained)",
            "lecture claim (seed 002, depth efficiency); no published number", "deep MSE < shallow MSE",
            f"median test MSE at {metrics['trained_budget']} params: deep {metrics['trained_deep_mse']:.2e}, "
            f"shallow {metrics['trained_shallow_mse']:.2e} (best: {metrics['trained_deep_mse_best']:.2e} vs "
            f"{metrics['trained_shallow_mse_best']:.2e})",
            evidence["verdict"],
            f"deep vs shallow over seeds: {evidence['comparison'].summary()}; {learned_text} (each tested the same way "
            "against the constant 1/12); inconclusive when neither does. Adam from He-scaled initialization: depth "
            "that can represent the function is not the same as depth that training finds it with",
        ),
    ]


GROUPS = cell_groups(_grid, _train_cell, _combine, desc="depth-efficiency budgets", stream="init")


def run(config: dict[str, Any]) -> Result:
    """Training at equal budgets (one cell after another; `--executor local|ray` spreads them), then the exact
    constructions; see the module docstring."""
    return GROUPS.run_all(config)


def _notes(config: dict[str, Any]) -> list[str]:
    notes = [
        "Pieces are maximal affine pieces on [0, 1] counted exactly by count_regions_1d (float64).",
        "The exact shallow sawtooth needs 2^k units, one more than the 2^k - 1 interior kinks: the unit relu(x) "
        "with its kink at 0 carries the first slope (see depthlab.construct.sawtooth for the proof).",
        f"Training: deep nets have train_k = {config['train_k']} hidden layers of equal width, the largest width "
        "within each budget; shallow nets have as many units as fit in the deep net's parameter count "
        "(architectures.shallow_width_for_budget), so both have about the same parameters. "
        f"Adam, lr {config['lr']}, {config['steps']} full-batch steps, weights N(0, 2/fan_in), biases "
        f"N(0, {config['bias_std']}^2), float32, {config['n_seeds']} seed(s); MSE "
        "of predicting the mean is 1/12 = 0.083.",
    ]
    if config["quick"]:
        notes.append("Quick size: smaller k, fewer budgets, steps and seeds than the full run.")
    return notes


EXPERIMENT = Experiment(
    name="depth-efficiency",
    claim="The sawtooth with 2^k pieces needs 6k + 1 parameters deep but 2^k units shallow; "
          "trained at equal budgets, depth should help.",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "ks": Key([1, 2, 3, 4, 5, 6, 7, 8, 10, 12], rules.int_list(1, 16), quick=[1, 2, 3, 4, 5]),
        "train_k": Key(3, rules.integer(1, 12), quick=3),
        "budgets": Key([40, 100, 250, 500], rules.int_list(7), quick=[25, 61]),
        "n_seeds": keys.n_seeds(5, quick=3),
        "steps": Key(3000, rules.integer(0), quick=300),
        "lr": keys.lr(0.01),
        "n_train": Key(1024, rules.integer(2), quick=256),
        "bias_std": Key(1.0, rules.number(0)),
        "confidence": keys.confidence(),
    },
    run=run,
    order=32,
    groups=GROUPS,
)
