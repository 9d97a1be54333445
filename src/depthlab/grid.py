"""Grids of configurations: every combination of some axes, each cell run once with its own derived seed.

Every claim in depthlab is a statement over a grid (depths, widths, N, seeds). `cells` lists the
combinations in a fixed order, and `map_cells` runs one function per cell with a progress bar,
giving each cell a seed derived from the experiment's one seed and the cell's values
(`depthlab.seeds.derive_seed`), so adding an axis value never changes another cell's numbers.
Where every cell trains a network of the same shape, `depthlab.train.fit_many` trains them
together instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from depthlab.checks import InputError, check_int
from depthlab.progress import progress
from depthlab.seeds import derive_seed


def cells(**axes: Sequence[Any]) -> list[dict[str, Any]]:
    """Every combination of the axes' values, the first axis varying slowest.

    Examples
    --------
    >>> cells(width=[2, 4], s=[0, 1])
    [{'width': 2, 's': 0}, {'width': 2, 's': 1}, {'width': 4, 's': 0}, {'width': 4, 's': 1}]
    """
    for name, values in axes.items():
        if isinstance(values, (str, bytes)) or len(values) == 0:
            raise InputError(f"The grid axis '{name}' must be a non-empty list of values. Got {values!r} instead.")
    names = list(axes)
    return [dict(zip(names, combination)) for combination in itertools.product(*axes.values())]


def cell_seed(seed: int, cell: dict[str, Any], stream: str = "") -> int:
    """The seed of one cell: derived from `seed`, the optional `stream` name and the cell's values (as strings).

    Examples
    --------
    >>> cell_seed(0, {"width": 4, "seed_index": 1}) == cell_seed(0, {"width": 4, "seed_index": 1})
    True
    """
    return derive_seed(seed, stream, *(f"{k}={v}" for k, v in cell.items()))


def map_cells(
    fn: Callable[[dict[str, Any], int], dict[str, Any]],
    grid: list[dict[str, Any]],
    seed: int,
    desc: str = "cells",
    stream: str = "",
    skip: Callable[[dict[str, Any], list[dict[str, Any]]], bool] | None = None,
) -> list[dict[str, Any]]:
    """Run `fn(cell, cell_seed)` for every cell; return one row per cell: the cell's values, its seed, fn's output.

    Parameters
    ----------
    fn : callable (cell dict, seed int) -> dict of measured values
    grid : list of dict, e.g. from `cells`
    seed : int
        The experiment's one seed.
    desc : str
        Progress-bar label.
    stream : str
        Names this use of the grid so two grids over the same values draw different seeds.
    skip : callable (cell, rows so far) -> bool, optional
        A cell for which it returns True is not run and has no row (e.g. a search that stops a depth once a
        smaller width reached its target). Skipping never changes another cell's seed.

    Examples
    --------
    >>> done = lambda cell, rows: any(r["depth"] == cell["depth"] and r["ok"] for r in rows)
    >>> rows = map_cells(lambda c, s: {"ok": c["width"] >= 4}, cells(depth=[1], width=[2, 4, 8]), 0, skip=done)
    >>> [(r["width"], r["ok"]) for r in rows]
    [(2, False), (4, True)]
    """
    rows: list[dict[str, Any]] = []
    for cell in progress(grid, desc=desc, total=len(grid), unit="cell"):
        if skip is not None and skip(cell, rows):
            continue
        rows.append(cell_row(fn, cell, seed, stream))
    return rows


def cell_row(fn: Callable[[dict[str, Any], int], dict[str, Any]], cell: dict[str, Any], seed: int,
             stream: str = "") -> dict[str, Any]:
    """One cell's row as `map_cells` makes it: the cell's values, its derived seed (`cell_seed`), fn's output.

    Examples
    --------
    >>> cell_row(lambda c, s: {"double": 2 * c["width"]}, {"width": 4}, 0)["double"]
    8
    """
    derived = cell_seed(seed, cell, stream)
    return {**cell, "seed": derived, **fn(cell, derived)}


def smallest_reaching(
    rows: list[dict[str, Any]], size_key: str, value_key: str, target: float, **where: Any
) -> int | float | None:
    """The smallest `size_key` among `rows` (filtered by `where`) whose `value_key` <= target; None if none did.

    Examples
    --------
    >>> rows = [{"kind": "deep", "neurons": 8, "error": 0.3}, {"kind": "deep", "neurons": 16, "error": 0.05}]
    >>> smallest_reaching(rows, "neurons", "error", 0.1, kind="deep"), smallest_reaching(rows, "neurons", "error", 0.01)
    (16, None)
    """
    good = [r[size_key] for r in rows if all(r[k] == v for k, v in where.items()) and r[value_key] <= target]
    return min(good) if good else None


def log_grid(n_max: int, n_points: int) -> list[int]:
    """Distinct ints from 1 to n_max, about log-spaced, at most `n_points` of them, always ending at n_max.

    Examples
    --------
    >>> log_grid(1000, 5), log_grid(1, 5)
    ([1, 6, 32, 178, 1000], [1])
    """
    n_max, n_points = check_int(n_max, "n_max", 1), check_int(n_points, "n_points", 1)
    grid = np.unique(np.round(np.geomspace(1, n_max, max(2, n_points))).astype(int))
    return sorted({int(g) for g in grid} | {n_max})
