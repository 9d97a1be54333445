"""Measured capacity: the largest number of random-labelled points a network fits, found by a search on N.

- `largest_fitted_n`: M same-shaped MLPs, each with its own pool of points and labels; for each model a
  doubling search on N (n_start, 2 n_start, ...) until it fails to reach 100% training accuracy within
  the step budget, then bisection between its largest fit and smallest failure. Every test trains the
  model afresh from its own initialization on the first N points of its pool (nested prefixes); the
  models whose next N coincide train together in one `train.fit_many` call. Outcomes can be kept in a
  JSON file, so an interrupted search resumes where it stopped.
- `linearly_separable` / `perceptron_capacity`: the exact counterpart for a single perceptron (a linear
  threshold unit with a bias): a linear program decides whether the first N points are separable, and
  since a prefix that is not separable stays so, the largest separable prefix is found exactly.
- `cover_separable_fraction(n, k)`: Cover's (1965) fraction of the labellings a perceptron with k weights
  realizes on n points in general position; the expected largest separable prefix of random labels that
  follows from it is exactly 2k (MacKay's 2 bits per weight).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import optimize

from depthlab.checks import InputError, as_tensor, check_int
from depthlab.train import NetworkBatch, fit_many


# ---------------------------------------------------------------------------------------------- the search rule
def next_n(largest_fit: int, smallest_failure: int | None, n_start: int, n_max: int, tolerance: float) -> int | None:
    """The next N to test for one model, or None when its search is done.

    Doubling while no failure is known (n_start first, then twice the largest fit, capped at n_max);
    then bisection until smallest_failure - largest_fit <= max(1, tolerance * largest_fit).

    Examples
    --------
    >>> next_n(0, None, 16, 1000, 0.1), next_n(64, None, 16, 1000, 0.1), next_n(512, None, 16, 1000, 0.1)
    (16, 128, 1000)
    >>> next_n(1000, None, 16, 1000, 0.1), next_n(64, 128, 16, 1000, 0.1), next_n(120, 128, 16, 1000, 0.1)
    (None, 96, None)
    """
    if smallest_failure is None:
        if largest_fit >= n_max:
            return None
        return min(n_max, n_start if largest_fit == 0 else 2 * largest_fit)
    if smallest_failure - largest_fit <= max(1, int(tolerance * largest_fit)):
        return None
    return (largest_fit + smallest_failure) // 2


@dataclass(frozen=True)
class CapacitySearch:
    """What `largest_fitted_n` returns, one entry per model.

    largest_fit : the largest N that reached 100% training accuracy (0: not even n_start, nor any N below).
    smallest_failure : the smallest N that did not (None: every N up to n_max fitted; censored).
    tested : N -> fitted, for every N tested.
    steps_to_fit : N -> updates needed, for the N that fitted.
    diverged : the N whose training diverged (a non-finite loss), per model, ascending. The search counts them as
        not fitted, so `smallest_failure` may be a divergence rather than a capacity limit: name such models.
    n_calls : `fit_many` calls made now (not read back from the outcome file).  seconds : their wall time.
    """

    largest_fit: list[int]
    smallest_failure: list[int | None]
    tested: list[dict[int, bool]]
    steps_to_fit: list[dict[int, int]]
    diverged: list[list[int]]
    n_calls: int
    seconds: float

    @property
    def censored(self) -> list[bool]:
        """True where the model fitted every N tested up to n_max (its capacity is at least n_max)."""
        return [f is None for f in self.smallest_failure]


def _state(tested: dict[int, bool]) -> tuple[int, int | None]:
    fits = [n for n, ok in tested.items() if ok]
    failures = [n for n, ok in tested.items() if not ok]
    return max(fits, default=0), min(failures, default=None)


def _load_outcomes(path: Path | None, identity: dict[str, Any], n_models: int) -> list[dict[str, Any]]:
    empty = [{"tested": {}, "steps": {}, "diverged": []} for _ in range(n_models)]
    if path is None or not path.exists():
        return empty
    saved = json.loads(path.read_text())
    if saved.get("identity") != identity:
        raise InputError(
            f"The outcome file {path} belongs to another capacity search (other models, pools or settings); "
            "delete it or choose another checkpoint folder."
        )
    return [{"tested": {int(n): bool(v) for n, v in m["tested"].items()},
             "steps": {int(n): int(v) for n, v in m["steps"].items()},
             "diverged": [int(n) for n in m.get("diverged", [])]} for m in saved["models"]]


def _save_outcomes(path: Path | None, identity: dict[str, Any], models: list[dict[str, Any]]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w") as stream:
        json.dump({"identity": identity, "models": models}, stream)
    os.replace(temp, path)


def _pools(x_pool, label_pool, n_models: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = as_tensor(x_pool, "x_pool")
    labels = as_tensor(label_pool, "label_pool", torch.int64)
    if x.ndim == 2:
        x = x.expand(n_models, *x.shape)
    if x.ndim != 3 or x.shape[0] != n_models or labels.shape != (n_models, x.shape[1]):
        raise InputError(
            f"The 'x_pool' and 'label_pool' parameters must have shapes (n_max, D) or ({n_models}, n_max, D), and "
            f"({n_models}, n_max). Got {tuple(x_pool.shape)} and {tuple(labels.shape)} instead."
        )
    return x, labels


def largest_fitted_n(
    widths: Sequence[int],
    x_pool,
    label_pool,
    init_seeds: Sequence[int],
    *,
    n_start: int = 16,
    tolerance: float = 0.1,
    init: str = "he_normal",
    outcomes: str | os.PathLike | None = None,
    desc: str = "",
    **fit_options: Any,
) -> CapacitySearch:
    """For each of M MLPs, the largest N of its points it fits to 100% training accuracy (doubling, then bisection).

    Parameters
    ----------
    widths : [D_i, D_1, ..., D_K, C], the shape of every model.
    x_pool : (n_max, D_i) shared, or (M, n_max, D_i) one pool of points per model.
    label_pool : (M, n_max) class indices in [0, C), one labelling per model; N uses the first N rows.
    init_seeds : M ints; model m starts every test from `Network.random(widths, init, seed=init_seeds[m])`.
    n_start : first N tried (>= 1).
    tolerance : bisection stops when smallest failure - largest fit <= max(1, tolerance * largest fit).
    outcomes : JSON file keeping every test's outcome; a rerun with the same models, pools and settings resumes.
    **fit_options : passed to `fit_many` (e.g. optimizer="adam", lr=1e-2, steps=2000, dtype); loss is
        cross_entropy and target_accuracy 1.0.

    Returns
    -------
    CapacitySearch

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> x, y = torch.randn(64, 5, generator=g), torch.randint(0, 2, (2, 64), generator=g)
    >>> out = largest_fitted_n([5, 16, 2], x, y, [0, 1], n_start=8, lr=1e-2, steps=300)
    >>> all(n >= 8 for n in out.largest_fit)
    True
    """
    widths = [check_int(w, "widths", 1) for w in widths]
    seeds = [check_int(s, "init_seeds", 0) for s in init_seeds]
    x, labels = _pools(x_pool, label_pool, len(seeds))
    n_max = x.shape[1]
    n_start = check_int(n_start, "n_start", 1)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1:
        raise InputError(f"The 'tolerance' parameter must be a number in [0, 1). Got {tolerance!r} instead.")
    for key in ("loss", "target_accuracy", "checkpoint"):
        if key in fit_options:
            raise InputError(f"The '{key}' option is fixed by largest_fitted_n (cross_entropy, 1.0, outcome file).")
    path = None if outcomes is None else Path(outcomes)
    identity = {"widths": widths, "seeds": seeds, "init": init, "n_start": n_start, "tolerance": tolerance,
                "pools": _fingerprint(x, labels), "fit": {k: repr(v) for k, v in sorted(fit_options.items())}}
    models = _load_outcomes(path, identity, len(seeds))
    calls, seconds = 0, 0.0
    while True:
        wanted = [next_n(*_state(m["tested"]), n_start, n_max, tolerance) for m in models]
        if all(n is None for n in wanted):
            break
        for n in sorted({n for n in wanted if n is not None}):
            group = [m for m, want in enumerate(wanted) if want == n]
            started = time.perf_counter()
            results = fit_many(NetworkBatch.random(widths, [seeds[m] for m in group], init=init), x[group, :n],
                               labels[group, :n], loss="cross_entropy", target_accuracy=1.0,
                               desc=f"{desc} N = {n}".strip(), **fit_options)
            seconds += time.perf_counter() - started
            calls += 1
            for m, result in zip(group, results):
                fitted = result.stop_reason == "target_accuracy" or result.final_accuracy >= 1.0
                models[m]["tested"][n] = bool(fitted)
                if fitted:
                    models[m]["steps"][n] = int(result.steps_run)
                elif result.diverged:
                    models[m]["diverged"] = sorted({*models[m]["diverged"], n})
            _save_outcomes(path, identity, models)
    states = [_state(m["tested"]) for m in models]
    return CapacitySearch([s[0] for s in states], [s[1] for s in states], [dict(m["tested"]) for m in models],
                          [dict(m["steps"]) for m in models], [list(m["diverged"]) for m in models], calls, seconds)


def _fingerprint(x: torch.Tensor, labels: torch.Tensor) -> str:
    import hashlib

    digest = hashlib.sha256()
    for tensor in (x.contiguous(), labels.contiguous()):
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------- the perceptron
def linearly_separable(x, labels) -> bool:
    """Whether a perceptron sign(w . x + b) classifies every point right: a linear program, checked in float64.

    Solves for (w, b) with y_i (w . x_i + b) >= 1 (y_i = +-1) by scipy's HiGHS; a solution is accepted only if
    every margin computed again in float64 is > 0.

    Parameters
    ----------
    x : (N, D) points.  labels : (N,) two classes (any two values; one class alone is separable).

    Examples
    --------
    >>> linearly_separable([[0.0], [1.0], [2.0]], [0, 0, 1]), linearly_separable([[0.0], [1.0], [2.0]], [0, 1, 0])
    (True, False)
    """
    points = as_tensor(x, "x").numpy()
    y = np.asarray(labels).reshape(-1)
    if points.ndim != 2 or points.shape[0] != y.shape[0] or points.shape[0] < 1:
        raise InputError(f"The 'x' and 'labels' parameters must have shapes (N, D) and (N,) with N >= 1. "
                         f"Got {points.shape} and {y.shape} instead.")
    classes = np.unique(y)
    if classes.size > 2:
        raise InputError(f"The 'labels' parameter must hold at most 2 classes. Got {classes.size}.")
    if classes.size == 1:
        return True
    sign = np.where(y == classes[1], 1.0, -1.0)  # (N,)
    design = np.hstack([points, np.ones((points.shape[0], 1))])  # (N, D + 1)
    solved = optimize.linprog(np.zeros(design.shape[1]), A_ub=-sign[:, None] * design, b_ub=-np.ones(len(sign)),
                              bounds=[(None, None)] * design.shape[1], method="highs")
    if solved.status == 2:
        return False
    if solved.status != 0:
        raise RuntimeError(f"linprog could not decide separability: {solved.message}")
    return bool((sign * (design @ solved.x) > 0).all())


def perceptron_capacity(x_pool, label_pool) -> int:
    """The largest N whose first N points (x_pool[:N], label_pool[:N]) a perceptron separates, found exactly.

    Separability of prefixes is monotone (a subset of a separable set is separable), so doubling and then
    bisection on N with `linearly_separable` find the largest separable prefix exactly (n_max if all are).

    Parameters
    ----------
    x_pool : (n_max, D).  label_pool : (n_max,) two classes.

    Examples
    --------
    >>> perceptron_capacity([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 0])  # 0 | 1 separable; 0, 1, 0 is not
    2
    """
    points = as_tensor(x_pool, "x_pool").numpy()
    y = np.asarray(label_pool).reshape(-1)
    n_max = points.shape[0]
    low, high = 0, None  # largest separable prefix known, smallest non-separable known
    n = 1
    while high is None and low < n_max:
        if linearly_separable(points[:n], y[:n]):
            low, n = n, min(n_max, 2 * n)
        else:
            high = n
    while high is not None and high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if linearly_separable(points[:middle], y[:middle]) else (low, middle)
    return low


def cover_separable_fraction(n_points: int, n_weights: int) -> float:
    """Cover's fraction of the 2^n labellings of n points in general position that a perceptron with k weights
    (bias included) realizes: C(n, k) / 2^n with C(n, k) = 2 sum_{i<k} binom(n - 1, i).

    The largest separable prefix of random binary labels is the number of N >= 1 whose first N points are
    separable, so its mean is sum_N C(N, k) / 2^N = 2 sum_{i<k} sum_{m>=0} binom(m, i) / 2^(m+1) = 2 k exactly:
    MacKay's 2 bits per weight, read as the mean largest random labelling a perceptron stores.

    Examples
    --------
    >>> cover_separable_fraction(4, 4), cover_separable_fraction(8, 4), cover_separable_fraction(3, 1)
    (1.0, 0.5, 0.25)
    """
    n, k = check_int(n_points, "n_points", 1), check_int(n_weights, "n_weights", 1)
    count = 2 * sum(comb(n - 1, i) for i in range(min(k, n)))
    return count / 2**n

