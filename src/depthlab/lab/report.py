"""One self-contained HTML page with every run: its claim, published-vs-measured table and figures."""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path

from depthlab.lab.format import format_value
from depthlab.lab.runs import list_runs

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
"""


def _cell(value: object) -> str:
    return html.escape(format_value(value))


def _run_section(folder: Path) -> str:
    document = json.loads((folder / "metrics.json").read_text())
    name = html.escape(document.get("experiment", folder.parent.name))
    parts = [f"<section id='{name}-{folder.name}'><h2>{name} <span class='meta'>{folder.name}"
             f"{' (quick)' if document.get('quick') else ''}, seed {document.get('seed')}, "
             f"{document.get('seconds', 0):.1f} s</span></h2>"]
    if document.get("claim"):
        parts.append(f"<p><b>Claim.</b> {html.escape(document['claim'])}</p>")
    if document.get("data"):
        parts.append(f"<p class='meta'>Data: {html.escape(document['data'])}</p>")
    parts.append("<table><tr><th>claim</th><th>source</th><th>published</th><th>measured</th>"
                 "<th>verdict</th><th>note</th></tr>")
    for ref in document.get("references", []):
        verdict = ref.get("verdict", "")
        label = ref.get("label", verdict)
        parts.append(
            f"<tr><td>{_cell(ref.get('claim'))}</td><td>{_cell(ref.get('source'))}</td>"
            f"<td>{_cell(ref.get('published'))}</td><td>{_cell(ref.get('measured'))}</td>"
            f"<td class='{verdict.replace(' ', '-')}'>{_cell(label)}</td><td>{_cell(ref.get('note', ''))}</td></tr>"
        )
    parts.append("</table><details><summary>metrics</summary><table>")
    parts += [f"<tr><td><code>{_cell(k)}</code></td><td>{_cell(v)}</td></tr>"
              for k, v in document.get("metrics", {}).items()]
    parts.append("</table></details>")
    for png in sorted(folder.glob("*.png")):
        encoded = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(f"<figure><img alt='{html.escape(png.stem)}' src='data:image/png;base64,{encoded}'>"
                     f"<figcaption class='meta'>{html.escape(png.stem)}</figcaption></figure>")
    parts.append("</section>")
    return "\n".join(parts)


def sweeps_section(runs_dir: str | Path, max_rows: int = 60) -> str:
    """HTML for every sweep under runs_dir/sweeps/NAME/KEY (its table.json): what was swept, the
    table (first `max_rows` rows) and its figures; empty when there are none."""
    tables = sorted(Path(runs_dir).glob("sweeps/*/*/table.json"))
    if not tables:
        return ""
    parts = ["<section id='sweeps'><h2>Sweeps</h2>"]
    for path in tables:
        sweep = json.loads(path.read_text())
        grid = "; ".join(f"{k} = {', '.join(format_value(v) for v in values)}" for k, values in sweep["grid"].items())
        parts.append(f"<h3>{html.escape(sweep['experiment'])} <span class='meta'>{path.parent.name}"
                     f"{' (quick)' if sweep.get('quick') else ''}: {sweep['n_cells']} cells, {sweep['n_failed']} "
                     f"failed; grid {html.escape(grid or 'none')}; replicates {sweep['replicates']}, sweep seed "
                     f"{sweep['sweep_seed']}</span></h3>")
        columns = [c for c in sweep["columns"] if c != "run_dir"]
        parts.append("<details><summary>table</summary><table><tr>"
                     + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>"
                  for row in sweep["rows"][:max_rows]]
        more = len(sweep["rows"]) - max_rows
        parts.append("</table>" + (f"<p class='meta'>{more} more rows in {html.escape(str(path))}</p>" if more > 0
                                   else "") + "</details>")
        for png in sorted(path.parent.glob("plot-*.png")):
            encoded = base64.b64encode(png.read_bytes()).decode("ascii")
            parts.append(f"<figure><img alt='{html.escape(png.stem)}' src='data:image/png;base64,{encoded}'>"
                         f"<figcaption class='meta'>{html.escape(png.stem)}</figcaption></figure>")
    parts.append("</section>")
    return "\n".join(parts)


def render_report(runs_dir: str | Path = "runs", out_file: str | Path = "report.html") -> Path:
    """Render every complete run under `runs_dir` into one self-contained HTML file; return its path."""
    folders = list_runs(runs_dir)
    sweeps = sweeps_section(runs_dir)
    if not folders and not sweeps:
        raise ValueError(f"No runs found under {str(runs_dir)!r}; run 'depthlab run NAME' first or pass --runs DIR.")
    sections = [_run_section(folder) for folder in folders]
    index = "".join(f"<li><a href='#{html.escape(f.parent.name)}-{f.name}'>{html.escape(f.parent.name)}</a> "
                    f"<span class='meta'>{f.name}</span></li>" for f in folders)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>depthlab report</title>"
            f"<style>{_STYLE}</style></head><body><h1>depthlab report</h1>"
            f"<p class='meta'>{len(folders)} run(s) from {html.escape(str(Path(runs_dir).resolve()))}</p>"
            f"<ul>{index}</ul>{''.join(sections)}{sweeps}</body></html>")
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    staging.write_text(page)
    os.replace(staging, out)
    return out
