"""report.html: the scoreboard, nothing from disk live in the page, damaged runs skipped with a warning."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from depthlab.contracts import Reference, Result
from depthlab.lab.cli import main
from depthlab.lab.report import render_page, render_report, scoreboard_rows, verdict_counts
from depthlab.lab.runs import write_run

MARKUP = "x'><img src=x onerror=alert(1)><script>alert(2)</script>\"<b onmouseover=alert(3)>"
NAME = "x'><img src=x onerror=alert(1)>\"<b onmouseover=alert(3)>"  # markup a file name can carry (no '/')
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "ul", "li", "a", "span",
             "section", "table", "tr", "th", "td", "details", "summary", "code", "figure", "img", "figcaption", "b"}


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _live_markup(page: str) -> list[str]:
    """What in the page is markup the page itself did not put there: unknown tags, event handlers, foreign images."""
    parser = _Tags()
    parser.feed(page)
    found = []
    for tag, attrs in parser.tags:
        if tag not in PAGE_TAGS:
            found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or name not in ("id", "class", "href", "alt", "src", "charset"):
                found.append(f"{tag} {name}")
            if tag == "img" and name == "src" and not (value or "").startswith("data:image/png;base64,"):
                found.append(f"img src={value}")
    return found


def _result(text: str, verdict: str = "reproduced") -> Result:
    figure = Figure()
    figure.subplots().plot([0, 1])
    return Result(metrics={text: text, "n": 1}, references=[Reference(text, text, text, text, verdict, text)],
                  tables={"rows": [{"a": text}]}, figures={"line": figure}, data=text, notes=[text])


def test_markup_in_every_field_and_folder_name_is_never_live(tmp_path):
    runs = tmp_path / "runs"
    folder = write_run("demo", MARKUP, MARKUP, {"seed": MARKUP, "quick": True}, _result(MARKUP), runs)
    (folder / "line.png").rename(folder / f"{NAME}.png")
    hostile = runs / NAME / NAME  # the experiment folder and the run folder both carry markup
    hostile.parent.mkdir()
    folder.rename(hostile)
    metrics = json.loads((hostile / "metrics.json").read_text())
    metrics["experiment"] = MARKUP
    metrics["references"][0]["verdict"] = MARKUP  # a verdict string from disk is not trusted either
    metrics["references"][0]["label"] = MARKUP
    (hostile / "metrics.json").write_text(json.dumps(metrics))
    sweep = runs / "sweeps" / NAME / NAME
    sweep.mkdir(parents=True)
    (sweep / "table.json").write_text(json.dumps({
        "experiment": MARKUP, "quick": MARKUP, "n_cells": MARKUP, "n_failed": MARKUP, "replicates": [MARKUP],
        "sweep_seed": MARKUP, "grid": {MARKUP: [MARKUP]}, "columns": [MARKUP, "run_dir"],
        "rows": [{MARKUP: MARKUP, "run_dir": MARKUP}]}))
    page = render_report(runs, tmp_path / "report.html").read_text()
    assert _live_markup(page) == []
    assert "<script" not in page and "<img src=x" not in page and "<b onmouseover" not in page
    assert page.count("&lt;script&gt;alert(2)&lt;/script&gt;") >= 5  # shown as text, not dropped


def _write_runs(root: Path) -> list[Path]:
    return [write_run("alpha", "claim a", "s", {"quick": True}, _result("first", "reproduced"), root),
            write_run("beta", "claim b", "s", {}, _result("second", "differs"), root),
            write_run("gamma", "claim c", "s", {}, _result("x" * 400, "inconclusive"), root)]


def test_scoreboard_lists_every_claim_with_counts_and_folds_long_notes(tmp_path):
    _write_runs(tmp_path)
    page, rows = render_page(tmp_path)
    assert [(r["experiment"], r["verdict"], r["size"]) for r in rows] == [
        ("alpha", "reproduced", "quick"), ("beta", "differs", "full"), ("gamma", "inconclusive", "full")]
    assert verdict_counts(rows) == {"reproduced": 1, "differs": 1, "inconclusive": 1, "not comparable": 0}
    board = page[page.index("id='scoreboard'"):page.index("</section>")]
    assert page.index("id='scoreboard'") < page.index("id='run-0'")  # the page opens with it
    assert "3 claims" in board and "class='differs'>1 differs" in board and "reproduced (quick)" in board
    assert "<details><summary>" + "x" * 20 in board  # the 400-character note folds away


def test_report_prints_the_scoreboard_on_the_terminal(tmp_path, capsys):
    _write_runs(tmp_path / "runs")
    assert main(["report", "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "r.html")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 claims: 1 reproduced, 1 differs, 1 inconclusive, 0 not comparable")
    assert all(name in out for name in ("alpha", "beta", "gamma")) and "report: " in out


@pytest.mark.parametrize("damage, content", [
    ("truncated", b'{"experiment": "beta", "seconds": 1.'),
    ("not utf-8", b'{"experiment": "\xff\xfe", "seconds": 1}'),
    ("a list", b"[1, 2]"),
    ("seconds null", b'{"experiment": "beta", "seconds": null}'),
    ("seconds a string", b'{"experiment": "beta", "seconds": "soon"}'),
    ("references not a list", b'{"experiment": "beta", "seconds": 1, "references": {"a": 1}}'),
])
def test_a_damaged_run_is_skipped_with_a_warning_and_the_rest_rendered(tmp_path, capsys, damage, content):
    good, bad, _ = _write_runs(tmp_path)
    (bad / "metrics.json").write_bytes(content)
    page, rows = render_page(tmp_path)
    err = capsys.readouterr().err
    assert f"skipped {bad}" in err and len(err.strip().splitlines()) == 1
    assert {r["experiment"] for r in rows} == {"alpha", "gamma"} and "claim a" in page


def test_a_failed_write_leaves_no_staging_file(tmp_path, capsys):
    _write_runs(tmp_path / "runs")
    target = tmp_path / "out"
    target.mkdir()
    assert main(["report", "--runs", str(tmp_path / "runs"), "--out", str(target)]) == 2
    assert "is a directory" in capsys.readouterr().err
    (target / "report.html").mkdir()  # a directory where the file should go: os.replace fails
    assert main(["report", "--runs", str(tmp_path / "runs"), "--out", str(target / "report.html" / "x" / "..")]) == 2
    assert sorted(p.name for p in tmp_path.rglob(".*tmp*")) == []


def test_scoreboard_rows_of_no_runs_is_empty():
    assert scoreboard_rows([]) == []
