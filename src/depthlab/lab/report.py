"""One self-contained HTML page with every run: a scoreboard of every claim, then each run's table and figures.

The page opens with the scoreboard (`scoreboard_rows`): one row per claim of every run (experiment,
claim, published, measured, verdict, quick or full) under the counts per verdict; `depthlab report`
prints the same scoreboard on the terminal (`scoreboard_text`). Every value read from disk (metrics.json,
table.json, folder and file names) is HTML-escaped, attributes included, so nothing in a run folder can
put markup or script into the page. A run whose metrics.json cannot be read or is not a depthlab
document is skipped with a warning naming its folder; the rest is rendered.
"""

from __future__ import annotations

import base64
import html
import json
import math
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from depthlab.atomic import write_text
from depthlab.checks import InputError
from depthlab.contracts import VERDICTS, verdict_label, warn
from depthlab.lab.format import format_value
from depthlab.lab.runs import list_runs

FOLD_AT = 160  # characters: a longer note or value folds away into <details>

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.reproduced { color: #176117; font-weight: 600; } .differs { color: #a11; font-weight: 600; }
.not-comparable { color: #666; font-weight: 600; } .inconclusive { color: #a66a00; font-weight: 600; }
.quick { font-weight: 400; font-style: italic; }
img { max-width: 100%; border: 1px solid #eee; margin: 4px 0; }
section { border-top: 2px solid #ddd; padding-top: 0.5em; margin-top: 2em; }
.meta { color: #666; font-size: 0.85em; }
.counts span { margin-right: 1.2em; }
details summary { cursor: pointer; }
"""


def _e(value: object) -> str:
    """Any value as escaped HTML text (quotes included, so it is safe inside attributes too)."""
    return html.escape(value if isinstance(value, str) else format_value(value), quote=True)


def _folded(value: object) -> str:
    """Escaped text; longer than FOLD_AT characters it folds away behind its first words."""
    text = value if isinstance(value, str) else format_value(value)
    if len(text) <= FOLD_AT:
        return _e(text)
    return f"<details><summary>{_e(text[:90])} …</summary>{_e(text)}</details>"


def _verdict_class(verdict: object) -> str:
    """The CSS class of a verdict: one of VERDICTS with '-' for ' ', else none (never text from disk)."""
    return verdict.replace(" ", "-") if verdict in VERDICTS else "unknown"


# ---------------------------------------------------------------------------------------------- reading
def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_run(folder: Path) -> dict[str, Any] | None:
    """A run folder's metrics.json as a checked document, or None (with a warning naming the folder) when it is
    unreadable, not UTF-8, not JSON, or not a depthlab run document."""
    try:
        document = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        problem = _document_problem(document)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        problem = f"unreadable ({type(error).__name__})"
    if problem:
        warn(f"report: skipped {folder}: its metrics.json is {problem}")
        return None
    return document


def _document_problem(document: Any) -> str:
    """What is wrong with a metrics.json document ("" when nothing)."""
    if not isinstance(document, dict):
        return f"a JSON {type(document).__name__}, not an object"
    if not _is_number(document.get("seconds")):
        return f"missing a number of seconds (got {document.get('seconds')!r})"
    if not isinstance(document.get("metrics", {}), dict):
        return "holding metrics that are not an object"
    references = document.get("references", [])
    if not isinstance(references, list) or not all(isinstance(r, dict) for r in references):
        return "holding references that are not a list of objects"
    return ""


def _runs(runs_dir: str | Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every complete run under `runs_dir` whose metrics.json reads as a run document, in list_runs order."""
    return [(folder, document) for folder in list_runs(runs_dir) if (document := read_run(folder)) is not None]


# ---------------------------------------------------------------------------------------------- scoreboard
def scoreboard_rows(runs: list[tuple[Path, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per claim of every run: experiment, run (folder name), claim, published, measured, verdict,
    size ("quick" or "full"), note, anchor (the run's section id)."""
    rows = []
    for index, (folder, document) in enumerate(runs):
        for ref in document.get("references", []):
            rows.append({"experiment": document.get("experiment", folder.parent.name), "run": folder.name,
                         "claim": ref.get("claim", ""), "published": ref.get("published"),
                         "measured": ref.get("measured"), "verdict": ref.get("verdict", ""),
                         "size": "quick" if document.get("quick") else "full", "note": ref.get("note", ""),
                         "anchor": f"run-{index}"})
    return rows


def verdict_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many claims got each verdict (every verdict listed, unknown ones last)."""
    counts = Counter(row["verdict"] for row in rows)
    return {**{v: counts.get(v, 0) for v in VERDICTS}, **{str(v): n for v, n in counts.items() if v not in VERDICTS}}


def _scoreboard_html(rows: list[dict[str, Any]]) -> str:
    counts = "".join(f"<span class='{_verdict_class(v)}'>{n} {_e(v)}</span>" for v, n in verdict_counts(rows).items())
    parts = [f"<section id='scoreboard'><h2>Scoreboard</h2><p class='counts'>{len(rows)} claims: {counts}</p>",
             "<table><tr><th>experiment</th><th>claim</th><th>published</th><th>measured</th><th>verdict</th>"
             "<th>size</th><th>note</th></tr>"]
    for row in rows:
        quick = row["size"] == "quick"
        parts.append(
            f"<tr><td><a href='#{row['anchor']}'>{_e(row['experiment'])}</a></td><td>{_folded(row['claim'])}</td>"
            f"<td>{_folded(row['published'])}</td><td>{_folded(row['measured'])}</td>"
            f"<td class='{_verdict_class(row['verdict'])}'>{_e(verdict_label(str(row['verdict']), quick))}</td>"
            f"<td>{_e(row['size'])}</td><td>{_folded(row['note'])}</td></tr>")
    parts.append("</table></section>")
    return "\n".join(parts)


def scoreboard_text(rows: list[dict[str, Any]], width: int = 120) -> str:
    """The scoreboard for a terminal: the counts per verdict, then one line per claim."""
    counts = ", ".join(f"{n} {v}" for v, n in verdict_counts(rows).items())
    lines = [f"{len(rows)} claims: {counts}"]
    columns = (("experiment", 20), ("claim", 46), ("published", 16), ("measured", 16), ("verdict", 14), ("size", 5))
    budget = max(40, width - 2 * (len(columns) - 1))
    scale = min(1.0, budget / sum(w for _, w in columns))
    widths = [max(4, int(w * scale)) for _, w in columns]
    lines.append("  ".join(name.ljust(w) for (name, _), w in zip(columns, widths)))
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [row["experiment"], row["claim"], format_value(row["published"]), format_value(row["measured"]),
                 str(row["verdict"]), row["size"]]
        lines.append("  ".join(textwrap.shorten(" ".join(str(c).split()) or "-", w, placeholder="…").ljust(w)
                               for c, w in zip(cells, widths)))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- sections
def _figures(pngs: list[Path]) -> list[str]:
    parts = []
    for png in pngs:
        encoded = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(f"<figure><img alt='{_e(png.stem)}' src='data:image/png;base64,{encoded}'>"
                     f"<figcaption class='meta'>{_e(png.stem)}</figcaption></figure>")
    return parts


def _run_section(folder: Path, document: dict[str, Any], anchor: str) -> str:
    name = _e(document.get("experiment", folder.parent.name))
    parts = [f"<section id='{anchor}'><h2>{name} <span class='meta'>{_e(folder.name)}"
             f"{' (quick)' if document.get('quick') else ''}, seed {_e(document.get('seed'))}, "
             f"{document['seconds']:.1f} s</span></h2>"]
    if document.get("claim"):
        parts.append(f"<p><b>Claim.</b> {_e(document['claim'])}</p>")
    if document.get("data"):
        parts.append(f"<p class='meta'>Data: {_e(document['data'])}</p>")
    parts.append("<table><tr><th>claim</th><th>source</th><th>published</th><th>measured</th>"
                 "<th>verdict</th><th>note</th></tr>")
    for ref in document.get("references", []):
        verdict = ref.get("verdict", "")
        parts.append(
            f"<tr><td>{_folded(ref.get('claim'))}</td><td>{_folded(ref.get('source'))}</td>"
            f"<td>{_folded(ref.get('published'))}</td><td>{_folded(ref.get('measured'))}</td>"
            f"<td class='{_verdict_class(verdict)}'>{_e(ref.get('label', verdict))}</td>"
            f"<td>{_folded(ref.get('note', ''))}</td></tr>"
        )
    parts.append("</table><details><summary>metrics</summary><table>")
    parts += [f"<tr><td><code>{_e(k)}</code></td><td>{_folded(v)}</td></tr>"
              for k, v in document.get("metrics", {}).items()]
    parts.append("</table></details>")
    parts += _figures(sorted(folder.glob("*.png")))
    parts.append("</section>")
    return "\n".join(parts)


def _read_sweep(path: Path) -> dict[str, Any] | None:
    """A sweep's table.json, checked; None (with a warning naming it) when unreadable or not a sweep table."""
    try:
        sweep = json.loads(path.read_text(encoding="utf-8"))
        ok = (isinstance(sweep, dict) and isinstance(sweep.get("grid"), dict)
              and all(isinstance(v, list) for v in sweep["grid"].values())
              and isinstance(sweep.get("columns"), list) and isinstance(sweep.get("rows"), list)
              and all(isinstance(r, dict) for r in sweep["rows"]))
    except (OSError, UnicodeDecodeError, ValueError):
        ok = False
    if not ok:
        warn(f"report: skipped the sweep {path.parent}: its table.json is damaged or not a sweep table")
        return None
    return sweep


def sweeps_section(runs_dir: str | Path, max_rows: int = 60) -> str:
    """HTML for every sweep under runs_dir/sweeps/NAME/KEY (its table.json): what was swept, the
    table (first `max_rows` rows) and its figures; empty when there are none."""
    sweeps = [(path, sweep) for path in sorted(Path(runs_dir).glob("sweeps/*/*/table.json"))
              if (sweep := _read_sweep(path)) is not None]
    if not sweeps:
        return ""
    parts = ["<section id='sweeps'><h2>Sweeps</h2>"]
    for path, sweep in sweeps:
        grid = "; ".join(f"{k} = {', '.join(format_value(v) for v in values)}" for k, values in sweep["grid"].items())
        parts.append(f"<h3>{_e(sweep.get('experiment', path.parent.parent.name))} <span class='meta'>"
                     f"{_e(path.parent.name)}{' (quick)' if sweep.get('quick') else ''}: {_e(sweep.get('n_cells'))} "
                     f"cells, {_e(sweep.get('n_failed'))} failed; grid {_e(grid or 'none')}; replicates "
                     f"{_e(sweep.get('replicates'))}, sweep seed {_e(sweep.get('sweep_seed'))}</span></h3>")
        columns = [c for c in sweep["columns"] if c != "run_dir"]
        parts.append("<details><summary>table</summary><table><tr>"
                     + "".join(f"<th>{_e(c)}</th>" for c in columns) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{_folded(row.get(c))}</td>" for c in columns) + "</tr>"
                  for row in sweep["rows"][:max_rows]]
        more = len(sweep["rows"]) - max_rows
        parts.append("</table>" + (f"<p class='meta'>{more} more rows in {_e(str(path))}</p>" if more > 0
                                   else "") + "</details>")
        parts += _figures(sorted(path.parent.glob("plot-*.png")))
    parts.append("</section>")
    return "\n".join(parts)


def render_page(runs_dir: str | Path = "runs") -> tuple[str, list[dict[str, Any]]]:
    """The report page's HTML and its scoreboard rows; a one-line InputError when there is nothing to show."""
    runs = _runs(runs_dir)
    sweeps = sweeps_section(runs_dir)
    if not runs and not sweeps:
        raise InputError(f"No runs found under {str(runs_dir)!r}; run 'depthlab run NAME' first or pass --runs DIR.")
    rows = scoreboard_rows(runs)
    sections = [_run_section(folder, document, f"run-{i}") for i, (folder, document) in enumerate(runs)]
    index = "".join(f"<li><a href='#run-{i}'>{_e(document.get('experiment', f.parent.name))}</a> "
                    f"<span class='meta'>{_e(f.name)}</span></li>" for i, (f, document) in enumerate(runs))
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>depthlab report</title>"
            f"<style>{_STYLE}</style></head><body><h1>depthlab report</h1>"
            f"<p class='meta'>{len(runs)} run(s) from {_e(str(Path(runs_dir).resolve()))}</p>"
            f"{_scoreboard_html(rows) if rows else ''}<ul>{index}</ul>{''.join(sections)}{sweeps}</body></html>")
    return page, rows


def render_report(runs_dir: str | Path = "runs", out_file: str | Path = "report.html") -> Path:
    """Render every complete run under `runs_dir` into one self-contained HTML file; return its path."""
    return write_report(render_page(runs_dir)[0], out_file)


def write_report(page: str, out_file: str | Path) -> Path:
    """Write the page to `out_file` atomically (a failed write leaves no staging file); a directory or an
    unwritable place is a one-line InputError."""
    out = Path(out_file)
    if out.is_dir():
        raise InputError(f"--out {str(out)!r} is a directory; give a file name, e.g. {str(out / 'report.html')!r}.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text(out, page)
    except OSError as error:
        raise InputError(f"--out {str(out)!r} cannot be written ({error.strerror or type(error).__name__}); "
                         "choose a writable file.") from None
    return out
