"""Sweeps: one experiment over every combination of grid values and seeds, each combination one cell.

    spec = SweepSpec.build(experiment, base_config, ["bias_std=0.0,0.1", "n_lines=10,20"], n_seeds=3)
    outcome = run_sweep(experiment, spec, "runs", make_executor("local", len(spec.cells(experiment))))

The sweep folder, ``OUT/sweeps/NAME/KEY/`` (KEY: a hash of the experiment, quick, the resolved
config, the grid and the seeds, so the same command finds the same folder), holds

    sweep.json            what was swept (experiment, grid, replicates, sweep seed, config)
    cells/CELL/NAME/TS/   each finished cell's run folder, written atomically by `write_run`
    table.csv, table.json one row per cell: grid values, replicate, seed, scalar metrics, verdicts,
                          seconds, status, error, run_dir (written atomically at the end)
    plot-METRIC.png       a metric over the grid (line per replicate + median; heatmap for two axes)

Rerunning the same sweep resumes: a cell whose run folder exists is read back, not recomputed;
failed cells are retried. A cell's seed is `depthlab.grid.cell_seed` of the sweep seed, the cell's
"key=value" strings and its replicate, reduced to 31 bits (every seeded library accepts it), so
``depthlab run NAME --set key=value ... --seed SEED`` reproduces a cell's numbers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from depthlab import grid as grids
from depthlab.atomic import remove_stale, write_bytes, write_text
from depthlab.checks import InputError
from depthlab.contracts import Experiment, warn
from depthlab.lab.config import parse_value
from depthlab.lab.executors import CellOutcome, CellTask, LocalExecutor, RayExecutor, collect
from depthlab.lab.format import format_value
from depthlab.lab.runs import to_jsonable
from depthlab.train.checkpoint import with_checkpoint_root

RESERVED_KEYS: tuple[str, ...] = ("seed", "quick", "data_dir")
DEFAULT_MAX_CELLS = 10_000  # a sweep with more cells is refused unless --max-cells raises the limit
TAIL_COLUMNS: tuple[str, ...] = ("seconds", "status", "error", "run_dir")
SEED_BITS = 31


# ------------------------------------------------------------------------------------------- parsing
def parse_grid(specs: Sequence[str], config: dict[str, Any]) -> dict[str, list[Any]]:
    """["KEY=V1,V2,...", ...] -> {KEY: [typed values]}, typed by `config`'s values like ``--set``.

    A list-valued key takes its values separated by ";" (``depths=1,2;4,8`` is [[1, 2], [4, 8]]).
    Unknown, reserved or repeated keys, empty or repeated values and ill-typed values raise a one-line
    ValueError (unknown keys list the valid ones).

    Examples
    --------
    >>> parse_grid(["n=1,2", "depths=1,2;4"], {"n": 0, "depths": [1], "seed": 0})
    {'n': [1, 2], 'depths': [[1, 2], [4]]}
    """
    valid = ", ".join(sorted(k for k in config if k not in RESERVED_KEYS))
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        if "=" not in spec:
            raise InputError(f"--grid expects KEY=V1,V2,... Got {spec!r}. Valid keys: {valid}.")
        key, text = (part.strip() for part in spec.split("=", 1))
        if key in RESERVED_KEYS:
            raise InputError(f"--grid {key}: {key!r} is not a grid key (seeds: --seeds N or --seed-list; "
                             f"size: --quick). Valid keys: {valid}.")
        if key not in config:
            raise InputError(f"--grid: unknown key {key!r}. Valid keys: {valid}.")
        if key in grid:
            raise InputError(f"--grid {key}: given twice; put all its values in one --grid {key}=V1,V2,...")
        grid[key] = _grid_values(key, text, config[key])
    return grid


def _grid_values(key: str, text: str, default: Any) -> list[Any]:
    separator = ";" if isinstance(default, (list, tuple)) else ","
    items = [item.strip() for item in text.split(separator)]
    if any(not item for item in items):
        raise InputError(f"--grid {key}: expected values separated by {separator!r}, none empty. Got {text!r}.")
    values = [parse_value(key, item, default, "--grid") for item in items]
    canonical = [_canonical(v) for v in values]
    if len(set(canonical)) < len(canonical):
        raise InputError(f"--grid {key}: a value is repeated. Got {text!r}.")
    return values


def parse_seed_list(text: str) -> list[int]:
    """"0,3,7" -> [0, 3, 7]: distinct non-negative replicate indices."""
    try:
        seeds = [int(item) for item in text.split(",")]
    except ValueError:
        raise InputError(f"--seed-list expects distinct integers >= 0 separated by ','. Got {text!r}.") from None
    if any(s < 0 for s in seeds) or len(set(seeds)) < len(seeds):
        raise InputError(f"--seed-list expects distinct integers >= 0 separated by ','. Got {text!r}.")
    return seeds


def replicates(n_seeds: int | None = None, seed_list: str | None = None) -> list[int]:
    """The replicate indices: 0..n_seeds-1, or the given list (default: one replicate, 0)."""
    if n_seeds is not None and seed_list is not None:
        raise InputError("Give --seeds N or --seed-list, not both.")
    if seed_list is not None:
        return parse_seed_list(seed_list)
    if n_seeds is not None and n_seeds < 1:
        raise InputError(f"The '--seeds' option must be >= 1. Got {n_seeds} instead.")
    return list(range(n_seeds or 1))


def check_cell_count(grid: dict[str, list[Any]], n_seeds: int | None = None, seed_list: str | None = None,
                     max_cells: int | None = None) -> int:
    """The number of cells (product of the grid's value counts x replicates), counted without building anything;
    a one-line InputError above `max_cells` (default DEFAULT_MAX_CELLS; raise it with --max-cells N)."""
    limit = DEFAULT_MAX_CELLS if max_cells is None else max_cells
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InputError(f"The '--max-cells' option must be an int >= 1. Got {max_cells!r} instead.")
    n_replicates = len(seed_list.split(",")) if seed_list is not None else (n_seeds if n_seeds else 1)
    count = math.prod(len(values) for values in grid.values()) * max(n_replicates, 1)
    if count > limit:
        raise InputError(f"This sweep has {count:,} cells (grid x replicates), more than the limit of {limit:,}; "
                         "narrow the grid or the seeds, or raise the limit with --max-cells N.")
    return count


def _canonical(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True)


# --------------------------------------------------------------------------------------------- cells
def cell_seed(sweep_seed: int, values: dict[str, Any], replicate: int) -> int:
    """The seed of one cell: `depthlab.grid.cell_seed` of the sweep seed and the cell's values (keys in
    sorted order) with its replicate index, on the "sweep" stream, reduced to 31 bits so that every
    seeded library accepts it (and the offsets experiments add to it).

    Examples
    --------
    >>> cell_seed(0, {"n": 1}, 0) == cell_seed(0, {"n": 1}, 0) != cell_seed(0, {"n": 2}, 0)
    True
    """
    keyed = {**{k: _canonical(values[k]) for k in sorted(values)}, "replicate": replicate}
    return grids.cell_seed(sweep_seed, keyed, stream="sweep") % 2**SEED_BITS


@dataclass(frozen=True)
class Cell:
    """One cell: its grid values, replicate index, seed and full config; `cell_id` names its folder."""

    index: int
    values: dict[str, Any]
    replicate: int
    seed: int
    config: dict[str, Any]

    @property
    def cell_id(self) -> str:
        """The cell's folder name: its values and replicate, readable, plus 8 hex digits of their hash."""
        text = ",".join(f"{k}={_canonical(v)}" for k, v in self.values.items()) + f",r{self.replicate}"
        slug = re.sub(r"[^A-Za-z0-9.=_-]+", "-", text.replace('"', "")).strip("-")[:80]
        return f"{slug}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"

    @property
    def label(self) -> str:
        """How the cell is named to people: "nets=random, replicate 1 (seed 123)"."""
        values = ", ".join(f"{k}={format_value(v)}" for k, v in self.values.items())
        return f"{values + ', ' if values else ''}replicate {self.replicate} (seed {self.seed})"


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep runs: `name`'s experiment on `base` (its resolved config, seed = the sweep seed)
    over `grid` x `replicates`."""

    name: str
    base: dict[str, Any]
    grid: dict[str, list[Any]]
    replicates: tuple[int, ...]

    @classmethod
    def build(cls, experiment: Experiment, base: dict[str, Any], grid_specs: Sequence[str] = (),
              n_seeds: int | None = None, seed_list: str | None = None, max_cells: int | None = None) -> SweepSpec:
        """Parse and check the grid and seeds against `base`; one-line InputErrors for bad input.

        The cells are counted (grid product x replicates) before anything is built: more than `max_cells`
        (default DEFAULT_MAX_CELLS) is refused.
        """
        grid = parse_grid(grid_specs, base)
        check_cell_count(grid, n_seeds, seed_list, max_cells)
        return cls(experiment.name, dict(base), grid, tuple(replicates(n_seeds, seed_list)))

    @property
    def sweep_seed(self) -> int:
        """The seed every cell seed derives from (the base config's seed)."""
        return int(self.base["seed"])

    @property
    def quick(self) -> bool:
        """Whether the cells run at the experiment's --quick size."""
        return bool(self.base.get("quick"))

    def key(self) -> str:
        """12 hex digits identifying the sweep (data_dir excluded: where the data lie is not what is swept)."""
        identity = {"experiment": self.name, "quick": self.quick, "grid": [[k, v] for k, v in self.grid.items()],
                    "replicates": list(self.replicates),
                    "config": {k: v for k, v in self.base.items() if k != "data_dir"}}
        return hashlib.sha256(_canonical(identity).encode()).hexdigest()[:12]

    def cells(self, experiment: Experiment) -> list[Cell]:
        """Every combination of grid values (the first key varying slowest) times every replicate.

        Each cell's config is built by `experiment.config`, so the experiment's rules check every
        cell (a one-line ValueError) before any cell runs.
        """
        fixed = {k: v for k, v in self.base.items() if k != "quick"}
        cells = []
        for values in grids.cells(**self.grid):
            for replicate in self.replicates:
                seed = cell_seed(self.sweep_seed, values, replicate)
                config = experiment.config(self.quick, **{**fixed, **values, "seed": seed})
                cells.append(Cell(len(cells), values, replicate, seed, config))
        return cells

    def document(self) -> dict[str, Any]:
        """sweep.json's content."""
        return to_jsonable({"experiment": self.name, "key": self.key(), "quick": self.quick,
                            "sweep_seed": self.sweep_seed, "grid": self.grid, "replicates": list(self.replicates),
                            "config": self.base})


def sweep_folder(out_root: str | Path, spec: SweepSpec) -> Path:
    """OUT/sweeps/NAME/KEY: the same sweep always maps to the same folder."""
    return Path(out_root) / "sweeps" / spec.name / spec.key()


# -------------------------------------------------------------------------------------- run folders
def _cells_root(folder: Path, cell: Cell) -> Path:
    return folder / "cells" / cell.cell_id


def read_back(folder: Path, cell: Cell, name: str) -> CellOutcome | None:
    """The outcome of a cell finished earlier (its run folder's metrics.json), or None.

    A run folder whose metrics.json cannot be read (damaged by hand or by a disk) is not a finished cell:
    it is skipped with a warning naming it, and the cell runs again.
    """
    parent = _cells_root(folder, cell) / name
    runs = sorted(p for p in parent.glob("*") if not p.name.startswith(".") and (p / "metrics.json").is_file())
    for run in runs:
        try:
            document = json.loads((run / "metrics.json").read_text())
            seconds = float(document.get("seconds", 0.0))
            if not isinstance(document.get("metrics", {}), dict) or not isinstance(document.get("references", []),
                                                                                    list):
                raise TypeError("metrics or references")
        except (OSError, ValueError, TypeError, AttributeError) as error:
            warn(f"sweep: {run} has a damaged metrics.json ({type(error).__name__}); the cell runs again")
            continue
        if document.get("seed") == cell.seed:  # a folder from another seed rule is not this cell
            return CellOutcome("ok", seconds, document=document, run_dir=str(run))
    return None


def _remove_stale_staging(folder: Path) -> None:
    """Staging files and folders left by a killed sweep (its pid is gone) are never complete: remove them.
    A live process's staging (another sweep writing the same cells) is left alone."""
    remove_stale(folder)
    for parent in folder.glob("cells/*/*"):
        remove_stale(parent)


# -------------------------------------------------------------------------------------------- table
def verdict_column(claim: str) -> str:
    """The table column of a reference: "verdict: " and the claim shortened to 48 characters."""
    return "verdict: " + textwrap.shorten(claim, 48, placeholder="…")


def cell_row(cell: Cell, outcome: CellOutcome, folder: Path) -> dict[str, Any]:
    """One table row: grid values, replicate, seed, scalar metrics, verdicts, seconds, status, error, run_dir."""
    row: dict[str, Any] = {**cell.values, "replicate": cell.replicate, "seed": cell.seed}
    document = outcome.document or {}
    for key, value in document.get("metrics", {}).items():
        if value is None or isinstance(value, (bool, int, float, str)):
            row[f"metrics.{key}" if key in row else key] = value
    for reference in document.get("references", []):
        column = verdict_column(reference["claim"])
        while column in row:
            column += "'"
        row[column] = reference.get("label", reference["verdict"])
    row["seconds"] = round(outcome.seconds, 3)
    row["status"] = outcome.status
    row["error"] = outcome.error
    row["run_dir"] = os.path.relpath(outcome.run_dir, folder) if outcome.run_dir else ""
    return row


def table_columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every column in order of first appearance, with seconds, status, error, run_dir last."""
    columns = list(dict.fromkeys(key for row in rows for key in row if key not in TAIL_COLUMNS))
    return columns + list(TAIL_COLUMNS)


def table_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """The table as CSV text (values formatted like every other table of the lab)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows({c: format_value(to_jsonable(row.get(c))) for c in columns} for row in rows)
    return buffer.getvalue()


# -------------------------------------------------------------------------------------------- plots
def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def plot_metric(metric: str, spec: SweepSpec, rows: Sequence[dict[str, Any]]) -> Figure | str:
    """A figure of `metric` over the grid, or a one-line note saying why there is none.

    One axis (one grid key with several values): a line per replicate and the median over replicates.
    Two axes: a heatmap of the median over replicates.
    """
    axes = [k for k, v in spec.grid.items() if len(v) > 1]
    ok = [r for r in rows if r["status"] == "ok" and _numeric(r.get(metric))]
    if not ok:
        return f"--plot {metric}: no finished cell has a numeric metric {metric!r}."
    if len(axes) not in (1, 2):
        return f"--plot {metric}: plots take one or two grid keys with several values; this grid has {len(axes)}."
    figure = Figure(figsize=(6.4, 4.2))
    ax = figure.subplots()
    if len(axes) == 1:
        _line_plot(ax, metric, axes[0], spec, ok)
    else:
        _heatmap(figure, ax, metric, axes, spec, ok)
    ax.set_title(f"{spec.name}: {metric}" + (" (quick)" if spec.quick else ""))
    figure.tight_layout()
    return figure


def _positions(values: list[Any]) -> tuple[list[float], list[str] | None]:
    if all(_numeric(v) for v in values):
        return [float(v) for v in values], None
    return list(range(len(values))), [format_value(v) for v in values]


def _line_plot(ax: Any, metric: str, axis: str, spec: SweepSpec, rows: Sequence[dict[str, Any]]) -> None:
    values = spec.grid[axis]
    x, labels = _positions(values)
    index = {_canonical(v): i for i, v in enumerate(values)}
    for replicate in spec.replicates:
        points = sorted((x[index[_canonical(r[axis])]], r[metric]) for r in rows if r["replicate"] == replicate)
        if points:
            ax.plot(*zip(*points), marker="o", lw=1, alpha=0.45, label=f"replicate {replicate}")
    medians = [(x[i], median(r[metric] for r in rows if _canonical(r[axis]) == _canonical(v)))
               for i, v in enumerate(values) if any(_canonical(r[axis]) == _canonical(v) for r in rows)]
    ax.plot(*zip(*medians), color="black", lw=2.2, marker="s", label="median")
    if labels:
        ax.set_xticks(x, labels)
    ax.set_xlabel(axis)
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def _heatmap(figure: Figure, ax: Any, metric: str, axes: list[str], spec: SweepSpec,
             rows: Sequence[dict[str, Any]]) -> None:
    ys, xs = spec.grid[axes[0]], spec.grid[axes[1]]
    grid = np.full((len(ys), len(xs)), np.nan)  # (rows: first axis, columns: second axis)
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            found = [r[metric] for r in rows
                     if _canonical(r[axes[0]]) == _canonical(yv) and _canonical(r[axes[1]]) == _canonical(xv)]
            if found:
                grid[i, j] = median(found)
    image = ax.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
    middle = np.nanmean([np.nanmin(grid), np.nanmax(grid)])
    for i, j in zip(*np.nonzero(~np.isnan(grid))):
        ax.text(j, i, format_value(float(grid[i, j])), ha="center", va="center", fontsize=8,
                color="black" if grid[i, j] > middle else "white")
    figure.colorbar(image, ax=ax, label=f"median {metric} over {len(spec.replicates)} replicate(s)")
    ax.set_xticks(range(len(xs)), [format_value(v) for v in xs])
    ax.set_yticks(range(len(ys)), [format_value(v) for v in ys])
    ax.set_xlabel(axes[1])
    ax.set_ylabel(axes[0])


# ----------------------------------------------------------------------------------------------- run
@dataclass
class SweepOutcome:
    """What a sweep produced: its folder, the table, and what was computed, read back and failed."""

    folder: Path
    rows: list[dict[str, Any]]
    columns: list[str]
    computed: int
    resumed: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def document(self, spec: SweepSpec) -> dict[str, Any]:
        """table.json's content: what was swept, the columns and the rows."""
        return to_jsonable({**spec.document(), "n_cells": len(self.rows), "n_failed": len(self.failed),
                            "columns": self.columns, "rows": self.rows})


def run_sweep(experiment: Experiment, spec: SweepSpec, out_root: str | Path,
              executor: LocalExecutor | RayExecutor, plots: Sequence[str] = ()) -> SweepOutcome:
    """Run (or resume) the sweep and write its table and figures; return what it produced.

    Finished cells found in the sweep folder are read back; the others run on `executor`, one
    progress bar for the grid. A cell that raises is recorded as failed with its one-line error.
    KeyboardInterrupt stops the sweep with every finished cell kept and no table written.
    """
    cells = spec.cells(experiment)
    folder = sweep_folder(out_root, spec)
    (folder / "cells").mkdir(parents=True, exist_ok=True)
    write_text(folder / "sweep.json", json.dumps(spec.document(), indent=2))
    _remove_stale_staging(folder)
    outcomes: dict[int, CellOutcome] = {}
    for cell in cells:
        found = read_back(folder, cell, spec.name)
        if found is not None:
            outcomes[cell.index] = found
    resumed = len(outcomes)
    tasks = [CellTask(c.index, spec.name, with_checkpoint_root(c.config, spec.name, folder),
                      str(_cells_root(folder, c))) for c in cells if c.index not in outcomes]
    collect(executor, tasks, outcomes, total=len(cells), desc=f"sweep {spec.name}")
    rows = [cell_row(cell, outcomes[cell.index], folder) for cell in cells]
    result = SweepOutcome(folder, rows, table_columns(rows), len(tasks), resumed,
                          [(c.label, outcomes[c.index].error) for c in cells if outcomes[c.index].status != "ok"])
    write_text(folder / "table.json", json.dumps(result.document(spec), indent=2))
    write_text(folder / "table.csv", table_csv(rows, result.columns))
    for metric in plots:
        _write_plot(metric, spec, rows, folder, result)
    return result


def _write_plot(metric: str, spec: SweepSpec, rows: Sequence[dict[str, Any]], folder: Path,
                result: SweepOutcome) -> None:
    figure = plot_metric(metric, spec, rows)
    if isinstance(figure, str):
        result.notes.append(figure)
        return
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", metric)
    path = folder / f"plot-{safe}.png"
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    write_bytes(path, buffer.getvalue())
    result.figures.append(path)
