"""Replicates: seeds of one architecture trained together in one `fit_many` call per shape.

- `final_losses_by_width`: one-hidden-layer nets of several widths, `n_seeds` initializations each;
  final training loss and accuracies per seed (the overparameterization claim: small nets' final loss
  varies much more across initializations).
- `loss_spread_by_width`: mean, standard deviation and squared deviations of those losses per width.
- `spread_trend`: does that spread fall with width? A rank test over widths with seeds resampled, on the absolute
  or the relative (divided by the width's mean) deviations.
- `epochs_to_fit`: full-batch gradient descent until 100% training accuracy (Fig. 20.2's protocol),
  several seeds and label sets of one architecture at once, with checkpoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from depthlab.checks import InputError, as_tensor, check_int
from depthlab.evidence import RankCorrelation, rank_correlation
from depthlab.init import InitSpec
from depthlab.models.batch import NetworkBatch
from depthlab.progress import progress
from depthlab.seeds import derive_seed
from depthlab.train.divergence import failure, held_out_accuracy
from depthlab.train.loop import FitResult, fit_many


def final_losses_by_width(
    x,
    y,
    widths: Sequence[int],
    *,
    n_seeds: int = 20,
    seed: int = 0,
    x_test=None,
    y_test=None,
    n_classes: int | None = None,
    optimizer: str = "adam",
    lr: float = 1e-2,
    steps: int = 1000,
    batch_size: int | None = None,
    init: InitSpec = "he_normal",
    dtype: torch.dtype = torch.float32,
    device: str = "cpu",
) -> list[dict[str, Any]]:
    """Train D_i-w-C ReLU nets (cross entropy) for every width w, `n_seeds` initializations per width.

    The seeds of one width train together in one `fit_many` call. Model s of width w is initialized with
    `derive_seed(seed, "init", w, s)`; mini-batch order (if any) comes from `derive_seed(seed, "order", w)`.

    Parameters
    ----------
    x : array-like (N, D_i)
    y : array-like (N,) class indices
    widths : list of int
        Hidden widths (one hidden layer).
    n_seeds : int, default=20
    x_test, y_test : array-like or None
        Held-out set for `test_accuracy` (nan without it).
    n_classes : int or None
        Output width; default max(y) + 1.

    Returns
    -------
    list of dict
        One row per (width, seed): width, seed_index, seed, params, final_loss, train_accuracy,
        test_accuracy (NaN for a diverged model), steps_run, initial_loss, chance_loss, failure ("" when the
        model trained; see `depthlab.train.divergence`).

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(60, 3, generator=g); y = (x[:, 0] > 0).long()
    >>> rows = final_losses_by_width(x, y, [2, 8], n_seeds=3, steps=20)
    >>> [(r["width"], r["seed_index"]) for r in rows][:4]
    [(2, 0), (2, 1), (2, 2), (8, 0)]
    """
    check_int(n_seeds, "n_seeds", 1)
    widths = [check_int(w, "widths", 1) for w in widths]
    x = as_tensor(x, "x", torch.float64)
    y = torch.as_tensor(y).long()
    n_classes = int(y.max()) + 1 if n_classes is None else check_int(n_classes, "n_classes", 1)
    rows: list[dict[str, Any]] = []
    for width in progress(widths, desc="final loss by width", unit="width"):
        seeds = [derive_seed(seed, "init", width, s) for s in range(n_seeds)]
        batch = NetworkBatch.random([x.shape[1], width, n_classes], seeds, init=init)
        results = fit_many(batch, x, y, loss="cross_entropy", optimizer=optimizer, lr=lr, steps=steps,
                           batch_size=batch_size, seed=derive_seed(seed, "order", width), dtype=dtype, device=device,
                           desc=f"{n_seeds} x width {width}")
        for s, (model_seed, result) in enumerate(zip(seeds, results)):
            test = held_out_accuracy(result, x_test, y_test) if x_test is not None else float("nan")
            rows.append({"width": width, "seed_index": s, "seed": model_seed, "params": batch.n_params,
                         "final_loss": result.final_loss, "train_accuracy": result.final_accuracy,
                         "test_accuracy": test, "steps_run": result.steps_run, "initial_loss": result.initial_loss,
                         "chance_loss": result.chance_loss,
                         "failure": failure(result.final_loss, result.initial_loss, result.chance_loss)})
    return rows


def loss_spread_by_width(rows: list[dict[str, Any]], key: str = "final_loss") -> dict[int, dict[str, Any]]:
    """Per width: mean, std (ddof 1) and the per-seed squared deviations from the mean of `key`, over the seeds
    that trained (rows whose `failure` is empty; NaN statistics when fewer than 2 are left).

    rows : the output of `final_losses_by_width`. The squared deviations (one per seed) are what
    `evidence.rank_correlation` resamples to put an interval on "spread falls with width".
    """
    spread: dict[int, dict[str, Any]] = {}
    for width in sorted({r["width"] for r in rows}):
        values = np.array([r[key] for r in rows if r["width"] == width and not r.get("failure")], dtype=float)
        std = float(values.std(ddof=1)) if values.size > 1 else float("nan")
        mean = float(values.mean()) if values.size else float("nan")
        spread[width] = {"mean": mean, "std": std, "n": int(values.size),
                         "squared_deviations": ((values - mean) ** 2).tolist()}
    return spread


def spread_trend(rows: list[dict[str, Any]], *, relative: bool = False, confidence: float = 0.95, seed: int = 0,
                 key: str = "final_loss") -> tuple[RankCorrelation, list[int]]:
    """Spearman's rho of the per-seed squared deviations of `key` with width, seeds resampled.

    Parameters
    ----------
    rows : the output of `final_losses_by_width` (rows whose `failure` is not empty are left out; widths with fewer
        than 2 trained seeds too, see `trained_losses_by_width`).
    relative : bool, default=False
        Divide each deviation by its width's mean (widths whose mean is not positive are left out): does the spread
        fall by more than the level does?
    confidence, seed : the bootstrap's confidence and seed (`evidence.rank_correlation`).

    Returns
    -------
    (trend, widths) : `RankCorrelation` (``verdict_for(-1)`` reads "spread falls with width") and the W widths used;
    n = 0 and "inconclusive" when no width is left.

    Examples
    --------
    Losses whose level falls 10x per width while their relative spread grows (0.1, 0.2, ... of the level):
    >>> rows = [{"width": w, "final_loss": 10.0 ** -i * (1 + 0.1 * (i + 1) * (s - 2)), "failure": ""}
    ...         for i, w in enumerate((2, 4, 8, 16, 32)) for s in range(5)]
    >>> spread_trend(rows)[0].verdict_for(-1), spread_trend(rows, relative=True)[0].verdict_for(-1)
    ('reproduced', 'differs')
    """
    undecided = RankCorrelation(float("nan"), float("nan"), float("nan"), 1.0, 0, 0, confidence), []
    widths, values = trained_losses_by_width(rows, key=key, min_seeds=2)  # (W, k)
    if not widths:
        return undecided
    means = values.mean(axis=1, keepdims=True)  # (W, 1)
    if relative:
        keep = means[:, 0] > 0
        widths, values, means = [w for w, k in zip(widths, keep) if k], values[keep], means[keep]
        if not widths:
            return undecided
    deviations = ((values - means) / (means if relative else 1.0)) ** 2  # (W, k)
    return rank_correlation(widths, deviations, confidence=confidence, seed=seed), widths


def epochs_to_fit(
    widths: Sequence[int],
    x,
    labels,
    seeds: Sequence[int],
    *,
    lr: float,
    max_epochs: int,
    init: InitSpec = "he_uniform",
    target_accuracy: float = 1.0,
    history_every: int = 1,
    dtype: torch.dtype = torch.float32,
    device: str = "cpu",
    checkpoint: str | Path | None = None,
    checkpoint_every: float = 60.0,
    time_budget: float | None = None,
    desc: str = "",
) -> list[FitResult]:
    """Full-batch gradient descent (cross entropy, no momentum) until `target_accuracy` on the training set.

    M models of widths `widths` = [D_i, D_1, ..., D_K, C] train together: model m starts from
    `Network.random(widths, init, seed=seeds[m])` and learns label set `labels[m]`. "he_uniform" is
    torch's `kaiming_uniform_` (bound sqrt(6 / fan_in)) with zero biases, as the book's notebook does it.

    Parameters
    ----------
    x : array-like (N, D_i)
    labels : array-like (M, N) class indices, or (N,) shared by all models
    seeds : list of M ints
    lr : float
    max_epochs : int
        Budget; a model that has not fit by then reports stop_reason "steps".

    Returns
    -------
    list of FitResult
        steps_run = epochs needed when stop_reason == "target_accuracy"; history every `history_every` epochs.
    """
    seeds = list(seeds)
    batch = NetworkBatch.random(widths, seeds, init=init)
    labels = torch.as_tensor(labels).long()
    if labels.ndim == 2 and labels.shape[0] != len(seeds):
        raise InputError(f"The 'labels' parameter must hold one label set per seed ({len(seeds)}). "
                         f"Got {labels.shape[0]}.")
    return fit_many(batch, x, labels, loss="cross_entropy", optimizer="gd", lr=lr, epochs=max_epochs,
                    target_accuracy=target_accuracy, history_every=history_every, dtype=dtype, device=device,
                    checkpoint=checkpoint, checkpoint_every=checkpoint_every, time_budget=time_budget, desc=desc)


def trained_losses_by_width(rows: list[dict[str, Any]], key: str = "final_loss",
                            min_seeds: int = 2) -> tuple[list[int], np.ndarray]:
    """`key` of the seeds that trained, one row per width, as a rectangle for seed-resampling statistics.

    rows : the output of `final_losses_by_width` (a row whose `failure` is not empty diverged or did not train).
    Widths with fewer than `min_seeds` trained seeds are left out; the others keep their first k trained seeds,
    k the smallest such count (seeds of a width are exchangeable draws).

    Returns
    -------
    (widths, values) : list of W ints and an array (W, k); W may be 0 (then values is (0, 0)).
    """
    widths = sorted({r["width"] for r in rows})
    kept = {w: [r[key] for r in rows if r["width"] == w and not r.get("failure")] for w in widths}
    used = [w for w in widths if len(kept[w]) >= min_seeds]
    k = min((len(kept[w]) for w in used), default=0)
    return used, np.array([kept[w][:k] for w in used], dtype=float).reshape(len(used), k)


def epochs_to_accuracy(result: Any, level: float) -> int | None:
    """Epochs until a model's training accuracy first reached `level`, read from its FitResult.

    Parameters
    ----------
    result : FitResult with ``history_steps`` and ``accuracies`` (recorded every ``history_every`` steps),
        ``stop_reason`` and ``steps_run``.
    level : accuracy in (0, 1].

    Returns
    -------
    The first recorded step whose accuracy is >= level (so exact to the history's resolution); for level 1.0 and a
    run that stopped at 100% training accuracy, the exact step it stopped at; None when it never got there.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(history_steps=[0, 100, 200], accuracies=[0.1, 0.95, 0.99], stop_reason="steps",
    ...                     steps_run=300)
    >>> epochs_to_accuracy(r, 0.9), epochs_to_accuracy(r, 0.99), epochs_to_accuracy(r, 1.0)
    (100, 200, None)
    """
    if result.stop_reason == "target_accuracy" and level >= 1.0:
        return result.steps_run
    reached = [step for step, accuracy in zip(result.history_steps, result.accuracies) if accuracy >= level]
    return reached[0] if reached else None

