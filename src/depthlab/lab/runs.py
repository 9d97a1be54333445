"""Writing run folders atomically: runs/NAME/TIMESTAMP/ with config, metrics, tables, figures, report.

Everything is written into a hidden temporary folder beside the target and renamed into place at
the end, so an interrupted or failed run never leaves a half-written folder behind.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from depthlab.contracts.result import Result, verdict_label
from depthlab.lab.format import format_value


def to_jsonable(value: Any) -> Any:
    """Plain JSON types for metrics: tensors and numpy scalars to numbers, NaN/inf to strings."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if torch.is_tensor(value):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def metrics_document(
    name: str, config: dict[str, Any], result: Result, seconds: float, claim: str = "", source: str = ""
) -> dict[str, Any]:
    """The content of metrics.json (also what ``depthlab run --json`` prints).

    Each reference carries its `verdict` (one of VERDICTS) and its `label` as shown to people
    ("inconclusive (quick)" for --quick runs).
    """
    quick = bool(config.get("quick", False))
    references = [{**vars(r), "label": verdict_label(r.verdict, quick)} for r in result.references]
    return to_jsonable(
        {
            "experiment": name,
            "claim": claim,
            "source": source,
            "quick": config.get("quick", False),
            "seed": config.get("seed"),
            "data": result.data,
            "seconds": round(seconds, 3),
            "metrics": result.metrics,
            "references": references,
        }
    )


def report_markdown(name: str, claim: str, source: str, config: dict, result: Result) -> str:
    """report.md: the claim, the data used, published vs measured, metrics, figures, notes."""
    quick = bool(config.get("quick", False))
    lines = [f"# {name}" + (" (quick size)" if quick else ""), "", f"**Claim.** {claim}", "",
             f"**Source.** {source}", ""]
    if result.data:
        lines += [f"**Data.** {result.data}", ""]
    lines += ["| claim | source | published | measured | verdict | note |", "|---|---|---|---|---|---|"]
    for r in result.references:
        cells = [r.claim, r.source, format_value(r.published), format_value(r.measured),
                 verdict_label(r.verdict, quick), r.note]
        lines.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |")
    lines += ["", "## Metrics", "", "| key | value |", "|---|---|"]
    lines += [f"| `{k}` | {format_value(v)} |" for k, v in result.metrics.items()]
    if result.figures:
        lines += ["", "## Figures", ""] + [f"![{n}]({n}.png)" for n in result.figures]
    if result.tables:
        lines += ["", "## Tables", ""] + [f"- [{n}.csv]({n}.csv)" for n in result.tables]
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result.notes]
    lines += ["", "## Config", "", "```json", json.dumps(to_jsonable(config), indent=2), "```", ""]
    return "\n".join(lines)


def _write_table(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: format_value(to_jsonable(v)) for k, v in row.items()} for row in rows)


def _unique_folder(parent: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate, n = parent / stamp, 1
    while candidate.exists():
        candidate, n = parent / f"{stamp}-{n}", n + 1
    return candidate


def write_run(
    name: str, claim: str, source: str, config: dict[str, Any], result: Result, out_root: str | Path,
    seconds: float = 0.0,
) -> Path:
    """Write the run folder out_root/name/TIMESTAMP atomically and return its path."""
    parent = Path(out_root) / name
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".tmp-{os.getpid()}-{time.time_ns()}"
    staging.mkdir()
    try:
        (staging / "config.json").write_text(json.dumps(to_jsonable(config), indent=2))
        document = metrics_document(name, config, result, seconds, claim, source)
        (staging / "metrics.json").write_text(json.dumps(document, indent=2))
        for table, rows in result.tables.items():
            _write_table(staging / f"{table}.csv", rows)
        for figure_name, figure in result.figures.items():
            figure.savefig(staging / f"{figure_name}.png", dpi=110, bbox_inches="tight")
        (staging / "report.md").write_text(report_markdown(name, claim, source, config, result))
        final = _unique_folder(parent)
        os.rename(staging, final)
        return final
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def list_runs(runs_dir: str | Path) -> list[Path]:
    """Every complete run folder under runs_dir (NAME/TIMESTAMP with a metrics.json), newest first."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    folders = [
        p for p in root.glob("*/*")
        if p.is_dir() and not p.name.startswith(".") and (p / "metrics.json").is_file()
    ]
    return sorted(folders, key=lambda p: (p.parent.name, p.name), reverse=False)
