"""bottleneck (seed 000): "if m dimensions are needed to generalize, a net n < m wide loses information".

Estimates each data set's intrinsic dimension (PCA at 90% / 95% variance, TwoNN, Levina-Bickel MLE) and
trains D_i - H - w - H - 10 ReLU MLPs with a bottleneck layer of width w, sweeping w, to see whether
held-out accuracy drops for w below the estimates.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from depthlab.data import DataNotFoundError, Dataset, load_dataset
from depthlab.experiments import Experiment
from depthlab.info import mle_dimension, n_duplicates, pca_dimension, twonn_dimension
from depthlab.lab.progress import progress
from depthlab.lab.result import Reference, Result, verdict_holds
from depthlab.network import Network
from depthlab.train import accuracy, fit

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


def _sweep(ds: Dataset, config: dict[str, Any]) -> list[dict[str, Any]]:
    """Held-out accuracy of a D_i-H-w-H-C MLP for every bottleneck width w."""
    rows = []
    hidden = config["hidden"]
    for width in progress(config["widths"], desc=f"bottleneck {ds.name}", unit="width"):
        net = Network.random([ds.n_features, hidden, width, hidden, ds.n_classes], seed=config["seed"] + width)
        result = fit(
            net, ds.x, ds.y, loss="cross_entropy", optimizer="adam", lr=config["lr"], steps=config["steps"],
            batch_size=config["batch_size"], seed=config["seed"],
        )
        rows.append({
            "dataset": ds.name,
            "width": width,
            "train_loss": result.final_loss,
            "train_accuracy": accuracy(result.net, ds.x, ds.y),
            "test_accuracy": accuracy(result.net, ds.x_test, ds.y_test),
        })
    return rows


def _width_to_fraction(rows: list[dict[str, Any]], plateau: float, fraction: float) -> int:
    return min(r["width"] for r in rows if r["test_accuracy"] >= fraction * plateau)


def _figure(sweeps: dict[str, list[dict[str, Any]]], estimates: dict[str, dict[str, float]]) -> Figure:
    figure = Figure(figsize=(7, 4.2))
    ax = figure.subplots()
    for index, (name, rows) in enumerate(sweeps.items()):
        colour = f"C{index}"
        ax.plot([r["width"] for r in rows], [r["test_accuracy"] for r in rows], "o-", color=colour, label=name)
        for kind, style in (("twonn", "--"), ("mle", ":"), ("pca90", "-.")):
            ax.axvline(estimates[name][kind], color=colour, linestyle=style, alpha=0.6)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("bottleneck width w (vertical lines: TwoNN --, MLE :, PCA 90% -.)")
    ax.set_ylabel("held-out accuracy")
    ax.set_title("Accuracy vs bottleneck width, intrinsic-dimension estimates marked")
    ax.legend()
    return figure


def run(config: dict[str, Any]) -> Result:
    """Estimate intrinsic dimensions, sweep bottleneck widths, compare."""
    metrics: dict[str, Any] = {}
    notes: list[str] = []
    described: list[str] = []
    sweeps: dict[str, list[dict[str, Any]]] = {}
    estimates: dict[str, dict[str, float]] = {}
    for name in config["datasets"]:
        try:
            ds = load_dataset(name, config["data_dir"], config["n_train"], config["n_test"], seed=config["seed"])
        except DataNotFoundError as error:
            notes.append(f"{name} skipped: {error}")
            continue
        described.append(ds.describe())
        notes.extend(ds.notes)
        estimates[name] = _estimates(ds, config)
        sweeps[name] = _sweep(ds, config)
        plateau = max(r["test_accuracy"] for r in sweeps[name])
        key = _key(name)
        metrics.update({
            f"{key}_pca90": estimates[name]["pca90"],
            f"{key}_pca95": estimates[name]["pca95"],
            f"{key}_twonn": estimates[name]["twonn"],
            f"{key}_mle": estimates[name]["mle"],
            f"{key}_acc_plateau": plateau,
            f"{key}_width_to_95pct_plateau": _width_to_fraction(sweeps[name], plateau, 0.95),
        })
        stuck = [r["width"] for r in sweeps[name] if r["train_accuracy"] < 1.5 / ds.n_classes]
        if stuck:
            notes.append(
                f"{name}: training accuracy stayed near chance at widths {stuck} (optimization failed, e.g. dead "
                "ReLU bottleneck units), so those points do not measure lost information"
            )
        if estimates[name]["duplicates"]:
            notes.append(f"{name}: {estimates[name]['duplicates']} duplicate points dropped for TwoNN/MLE")
    return Result(
        metrics=metrics,
        references=[_reference(sweeps, estimates, config["clear_drop"])],
        tables={
            "accuracy_by_width": [row for rows in sweeps.values() for row in rows],
            "intrinsic_dimension": [{"dataset": n, **e} for n, e in estimates.items()],
        },
        figures={"accuracy_vs_width": _figure(sweeps, estimates)} if sweeps else {},
        data="; ".join(described) + f"; dimension estimates on the first {config['n_dim']} training points",
        notes=notes + [
            "Plateau = best held-out accuracy over the swept widths; width_to_95pct_plateau = smallest swept "
            "width reaching 95% of it.",
            "The estimate m compared with the widths is TwoNN (rounded); PCA counts linear directions and is "
            "much larger on images, MLE is close to TwoNN.",
        ],
    )


def _reference(
    sweeps: dict[str, list[dict[str, Any]]], estimates: dict[str, dict[str, float]], clear_drop: float
) -> Reference:
    """Claim holds when, on every data set, the widest swept w < m is clearly (clear_drop) below the plateau."""
    parts, holds = [], []
    for name, rows in sweeps.items():
        m = round(estimates[name]["twonn"])
        plateau = max(r["test_accuracy"] for r in rows)
        below = [r for r in rows if r["width"] < m]
        if not below:
            parts.append(f"{name}: no swept width below m = {m}")
            continue
        widest = max(below, key=lambda r: r["width"])
        holds.append(widest["test_accuracy"] < plateau - clear_drop)
        parts.append(
            f"{name}: m = {m}, acc(w={widest['width']}) = {widest['test_accuracy']:.3f} vs plateau {plateau:.3f}, "
            f"95% of plateau at w = {_width_to_fraction(rows, plateau, 0.95)}, "
            f"acc(w={rows[0]['width']}) = {rows[0]['test_accuracy']:.3f}"
        )
    measured = "; ".join(parts) if parts else "no data set available"
    return Reference(
        claim=CLAIM,
        source=SOURCE,
        published="accuracy drops for width below the data's intrinsic dimension",
        measured=measured,
        verdict=verdict_holds(all(holds)) if holds else "not comparable",
        note=f"'Clearly below' = more than {clear_drop:.0%} (absolute) under the plateau at the widest swept "
        "width below the TwoNN estimate. The very narrowest widths always lose accuracy; the claim's threshold "
        "is at m.",
    )


EXPERIMENT = Experiment(
    name="bottleneck",
    claim=CLAIM + ": held-out accuracy vs bottleneck width, against intrinsic-dimension estimates.",
    source=SOURCE,
    defaults={
        "datasets": ["mnist", "fashion-mnist", "mnist1d"],
        "n_train": 5000,
        "n_test": 5000,
        "n_dim": 3000,
        "mle_k": 10,
        "widths": [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64],
        "hidden": 256,
        "steps": 3000,
        "batch_size": 128,
        "lr": 0.001,
        "clear_drop": 0.02,
    },
    quick={
        "datasets": ["mnist1d", "digits"],
        "n_train": 1500,
        "n_test": 297,
        "n_dim": 1000,
        "widths": [1, 2, 4, 8, 32],
        "hidden": 32,
        "steps": 200,
        "lr": 0.003,
    },
    run=run,
    order=22,
)
