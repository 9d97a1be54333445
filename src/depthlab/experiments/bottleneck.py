"""bottleneck (seed 000): "if m dimensions are needed to generalize, a net n < m wide loses information".

Estimates each data set's intrinsic dimension (PCA at 90% / 95% variance, TwoNN, Levina-Bickel MLE) and
trains D_i - H - w - H - 10 ReLU MLPs with a bottleneck layer of width w, sweeping w, to see whether
held-out accuracy drops for w below the estimates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab.contracts import Experiment, Key, Reference, Result, cell_groups, keys, rules, warn
from depthlab.data import DATASETS, DataNotFoundError, Dataset, load_dataset_once
from depthlab.evidence import compare
from depthlab.grid import cells
from depthlab.info import mle_dimension, n_duplicates, pca_dimension, twonn_dimension
from depthlab.models.network import Network
from depthlab.seeds import derive_seed
from depthlab.train import fit
from depthlab.train.divergence import DivergenceLog, failure, held_out_accuracy, split_rows

SOURCE = "seed 000_eb2b4dbb33b7ae9d.txt (the 10,000-layer, 4-neuron-wide network post)"
CLAIM = "If m dimensions are needed to generalize, a net n < m wide loses information"


def _key(name: str) -> str:
    return name.replace("-", "_")


def _estimates(ds: Dataset, config: dict[str, Any]) -> dict[str, float]:
    """Intrinsic-dimension estimates on the first n_dim training points."""
    points = ds.x[: config["n_dim"]]  # (n_dim, D)
    return {
        "pca90": pca_dimension(points, 0.90),
        "pca95": pca_dimension(points, 0.95),
        "twonn": twonn_dimension(points, seed=config["seed"]),
        "mle": mle_dimension(points, k=config["mle_k"]),
        "duplicates": n_duplicates(points),
    }


def _train_cell(config: dict[str, Any], cell: dict[str, Any], seed: int) -> dict[str, Any]:
    """One D_i-H-w-H-C MLP with bottleneck width w, trained on the cell's data set: training and held-out accuracy."""
    ds = load_dataset_once(cell["dataset"], config["data_dir"], config["n_train"], config["n_test"],
                           config["seed"])
    hidden = config["hidden"]
    net = Network.random([ds.n_features, hidden, cell["width"], hidden, ds.n_classes], seed=seed)
    result = fit(net, ds.x, ds.y, loss="cross_entropy", optimizer="adam", lr=config["lr"], steps=config["steps"],
                 batch_size=config["batch_size"], seed=seed, device=config["device"])
    train_accuracy = result.final_accuracy  # NaN when it diverged
    why = failure(result.final_loss, result.initial_loss, result.chance_loss)
    return {"train_loss": result.final_loss, "train_accuracy": train_accuracy,
            "test_accuracy": held_out_accuracy(result, ds.x_test, ds.y_test),
            "trained": not why and train_accuracy >= config["failed_factor"] / ds.n_classes,
            "final_loss": result.final_loss, "initial_loss": result.initial_loss, "chance_loss": result.chance_loss,
            "failure": why}


def _grid(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One cell per (data set present, bottleneck width w, seed index); a data set asked for explicitly whose files
    are absent stops the run here, before any work."""
    found, _ = _datasets(config)
    if not found:
        return []
    return cells(dataset=list(found), width=config["widths"], seed_index=list(range(config["n_seeds"])))


def _median_accuracy(rows: list[dict[str, Any]], width: int) -> float:
    """Median held-out accuracy at `width` over the seeds that did not diverge (NaN when every seed did)."""
    values = [r["test_accuracy"] for r in rows if r["width"] == width and not r["failure"]]
    return float(np.median(values)) if values else float("nan")


def _plateau(rows: list[dict[str, Any]]) -> tuple[int, float]:
    """The width with the best median held-out accuracy over seeds, and that accuracy."""
    widths = sorted({r["width"] for r in rows if not r["failure"]}) or sorted({r["width"] for r in rows})
    best = max(widths, key=lambda w: _median_accuracy(rows, w))
    return best, _median_accuracy(rows, best)


def _width_to_fraction(rows: list[dict[str, Any]], plateau: float, fraction: float) -> int:
    """Smallest swept width whose median held-out accuracy reaches fraction * plateau."""
    reaching = [w for w in sorted({r["width"] for r in rows}) if _median_accuracy(rows, w) >= fraction * plateau]
    return min(reaching) if reaching else -1


def _failed_widths(rows: list[dict[str, Any]]) -> list[int]:
    """Widths where training itself failed in most seeds (training accuracy near chance)."""
    widths = sorted({r["width"] for r in rows})
    return [w for w in widths if np.mean([not r["trained"] for r in rows if r["width"] == w]) > 0.5]


def _figure(sweeps: dict[str, list[dict[str, Any]]], estimates: dict[str, dict[str, float]]) -> Figure:
    figure = Figure(figsize=(7, 4.2))
    ax = figure.subplots()
    for index, (name, rows) in enumerate(sweeps.items()):
        colour = f"C{index}"
        ax.plot([r["width"] for r in rows], [r["test_accuracy"] for r in rows], ".", color=colour, alpha=0.4)
        widths = sorted({r["width"] for r in rows})
        ax.plot(widths, [_median_accuracy(rows, w) for w in widths], "o-", color=colour, label=f"{name} (median)")
        for kind, style in (("twonn", "--"), ("mle", ":"), ("pca90", "-.")):
            ax.axvline(estimates[name][kind], color=colour, linestyle=style, alpha=0.6)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("bottleneck width w (vertical lines: TwoNN --, MLE :, PCA 90% -.)")
    ax.set_ylabel("held-out accuracy (dots: seeds)")
    ax.set_title("Accuracy vs bottleneck width, intrinsic-dimension estimates marked")
    ax.legend()
    return figure


def _datasets(config: dict[str, Any]) -> tuple[dict[str, Dataset], dict[str, str]]:
    """The data sets present, and name -> why for the default ones whose files are absent (skipped); one asked for
    explicitly that is absent raises `DataNotFoundError`, naming the three ways to provide its files."""
    found, skipped = {}, {}
    for name in config["datasets"]:
        try:
            found[name] = load_dataset_once(name, config["data_dir"], config["n_train"], config["n_test"],
                                            config["seed"])
        except DataNotFoundError as error:
            if config["datasets"] != EXPERIMENT.config(config["quick"])["datasets"]:
                raise
            skipped[name] = str(error)
    return found, skipped


def _combine(config: dict[str, Any], rows: list[dict[str, Any]]) -> Result:
    """Intrinsic-dimension estimates per data set, and the verdict from every trained cell's row."""
    metrics: dict[str, Any] = {"n_seeds": config["n_seeds"]}
    notes: list[str] = []
    log = DivergenceLog()
    described: list[str] = []
    sweeps: dict[str, list[dict[str, Any]]] = {}
    estimates: dict[str, dict[str, float]] = {}
    found, skipped = _datasets(config)
    for name, why in skipped.items():
        warn(f"bottleneck: {name} skipped: its files are not available (see the run's notes)")
        notes.append(f"{name} skipped: {why}")
    for name, ds in found.items():
        described.append(ds.describe())
        notes.extend(ds.notes)
        estimates[name] = _estimates(ds, config)
        sweeps[name] = [row for row in rows if row["dataset"] == name]
        for width in config["widths"]:
            log.add(split_rows([r for r in sweeps[name] if r["width"] == width], f"{name} width {width}"))
        _, plateau = _plateau(sweeps[name])
        key = _key(name)
        metrics.update({
            f"{key}_pca90": estimates[name]["pca90"],
            f"{key}_pca95": estimates[name]["pca95"],
            f"{key}_twonn": estimates[name]["twonn"],
            f"{key}_mle": estimates[name]["mle"],
            f"{key}_acc_plateau": plateau,
            f"{key}_width_to_95pct_plateau": _width_to_fraction(sweeps[name], plateau, 0.95),
        })
        failed = _failed_widths(sweeps[name])
        if failed:
            notes.append(
                f"{name}: training itself failed (training accuracy below {config['failed_factor']}x chance in most "
                f"seeds) at widths {failed}, e.g. dead ReLU bottleneck units; those widths are excluded from the "
                "information-loss judgement"
            )
        if estimates[name]["duplicates"]:
            notes.append(f"{name}: {estimates[name]['duplicates']} duplicate points dropped for TwoNN/MLE")
    metrics.update(log.metrics())
    return Result(
        metrics=metrics,
        references=[_reference(sweeps, estimates, config)],
        tables={
            "accuracy_by_width": [row for rows in sweeps.values() for row in rows],
            "intrinsic_dimension": [{"dataset": n, **e} for n, e in estimates.items()],
        },
        figures={"accuracy_vs_width": _figure(sweeps, estimates)} if sweeps else {},
        data="; ".join(described) + f"; dimension estimates on the first {config['n_dim']} training points",
        notes=notes + [
            f"{config['n_seeds']} seeds per width. Plateau = best median held-out accuracy over the swept widths; "
            "width_to_95pct_plateau = smallest swept width whose median reaches 95% of it.",
            "The estimate m compared with the widths is TwoNN (rounded); PCA counts linear directions and is "
            "much larger on images, MLE is close to TwoNN.",
        ] + log.notes(),
    )


def _dataset_verdict(name: str, rows: list[dict[str, Any]], m: int, config: dict[str, Any]) -> tuple[str, str]:
    """Per data set: do seeds at the widest trainable width below m reach clear_drop less than the plateau width?"""
    failed = _failed_widths(rows)
    below = [w for w in sorted({r["width"] for r in rows}) if w < m and w not in failed]
    trainable = [r for r in rows if r["width"] not in failed]
    if not below or not trainable:
        return "inconclusive", f"{name}: no trainable swept width below m = {m} (failed: {failed})"
    plateau_width, plateau = _plateau(trainable)
    widest = max(below)
    shifted = [r["test_accuracy"] + config["clear_drop"] for r in rows if r["width"] == widest and not r["failure"]]
    at_plateau = [r["test_accuracy"] for r in rows if r["width"] == plateau_width and not r["failure"]]
    if not shifted or not at_plateau:
        return "inconclusive", f"{name}: every seed diverged at width {widest} or {plateau_width}"
    comparison = compare(shifted, at_plateau, "less", confidence=config["confidence"],
                         seed=derive_seed(config["seed"], "bootstrap", name))
    text = (f"{name}: m = {m}, median acc(w={widest}) = {_median_accuracy(rows, widest):.3f} vs plateau "
            f"{plateau:.3f} at w = {plateau_width}{f', failed widths {failed} excluded' if failed else ''}; "
            f"acc(w) + {config['clear_drop']} vs plateau: {comparison.verdict} ({comparison.summary()})")
    return comparison.verdict, text


def _reference(sweeps: dict[str, list[dict[str, Any]]], estimates: dict[str, dict[str, float]],
               config: dict[str, Any]) -> Reference:
    """Reproduced when on every data set the widest trainable width below m is more than clear_drop below the
    plateau over seeds; differs when on some data set it is not; inconclusive otherwise."""
    judged = [_dataset_verdict(name, rows, round(estimates[name]["twonn"]), config) for name, rows in sweeps.items()]
    verdicts = [verdict for verdict, _ in judged]
    if not verdicts:
        verdict = "not comparable"
    elif "differs" in verdicts:
        verdict = "differs"
    else:
        verdict = "reproduced" if set(verdicts) == {"reproduced"} else "inconclusive"
    return Reference(
        claim=CLAIM,
        source=SOURCE,
        published="accuracy drops for width below the data's intrinsic dimension",
        measured="; ".join(text.split("; acc(w)")[0] for _, text in judged) if judged else "no data set available",
        verdict=verdict,
        note=(f"'Drops' = held-out accuracy more than {config['clear_drop']} (absolute) below the plateau width's, at "
              f"the widest swept width below the TwoNN estimate m, tested over {config['n_seeds']} seeds per width "
              "(Mann-Whitney + bootstrap); reproduced when every data set shows it, differs when one shows the "
              "opposite at that confidence. " + " | ".join(text for _, text in judged)),
    )


GROUPS = cell_groups(_grid, _train_cell, _combine, desc="bottleneck", stream="init")


def run(config: dict[str, Any]) -> Result:
    """Sweep bottleneck widths over seeds (one cell after another; `--executor local|ray` spreads them), estimate
    intrinsic dimensions, compare."""
    return GROUPS.run_all(config)


EXPERIMENT = Experiment(
    name="bottleneck",
    claim=CLAIM + ": held-out accuracy vs bottleneck width, against intrinsic-dimension estimates.",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "datasets": Key(["mnist", "fashion-mnist", "mnist1d"], rules.choice_list(DATASETS),
                        quick=["mnist1d", "digits"]),
        "n_train": Key(5000, rules.integer(10), quick=1500),
        "n_test": Key(5000, rules.integer(1), quick=297),
        "n_dim": Key(3000, rules.integer(10), quick=1000),
        "mle_k": Key(10, rules.integer(2)),
        "widths": Key([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64], rules.int_list(1), quick=[1, 2, 4, 8, 32]),
        "hidden": Key(256, rules.integer(1), quick=32),
        "steps": Key(3000, rules.integer(0), quick=200),
        "batch_size": Key(128, rules.integer(1)),
        "lr": keys.lr(0.001, quick=0.003),
        "clear_drop": Key(0.02, rules.number(0, 1)),
        "n_seeds": keys.n_seeds(3),
        "failed_factor": Key(1.5, rules.number(1)),
        "confidence": keys.confidence(),
    },
    run=run,
    order=22,
    groups=GROUPS,
)
