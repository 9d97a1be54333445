"""Run folders: complete and atomic, never half-written."""

from __future__ import annotations

import json
import math

import pytest
from matplotlib.figure import Figure

from depthlab.contracts.result import Reference, Result, verdict_close
from depthlab.lab.report import render_report
from depthlab.lab.runs import list_runs, to_jsonable, write_run


def _result(bad_figure: bool = False) -> Result:
    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    figures = {"line": fig}
    if bad_figure:
        figures["broken"] = object()  # savefig will fail half way through writing
    return Result(
        metrics={"count": 9, "diff": 1e-16, "nan": float("nan")},
        references=[Reference("nine regions", "seed 002", 9, 9, verdict_close(9, 9))],
        tables={"rows": [{"a": 1, "b": 2.5}, {"a": 2, "b": 3.5}]},
        figures=figures, data="none", notes=["a note"],
    )


def test_write_run_writes_every_file(tmp_path):
    folder = write_run("demo", "a claim", "a source", {"seed": 1}, _result(), tmp_path, seconds=1.0)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["config.json", "line.png", "metrics.json", "report.md", "rows.csv"]
    document = json.loads((folder / "metrics.json").read_text())
    assert document["metrics"]["count"] == 9 and document["metrics"]["nan"] == "nan"
    assert document["references"][0]["verdict"] == "reproduced"
    assert "| nine regions | seed 002 | 9 | 9 | reproduced |" in (folder / "report.md").read_text()
    assert (folder / "rows.csv").read_text().splitlines() == ["a,b", "1,2.5", "2,3.5"]


def test_failed_write_leaves_no_folder(tmp_path):
    with pytest.raises(AttributeError):
        write_run("demo", "c", "s", {}, _result(bad_figure=True), tmp_path)
    assert list((tmp_path / "demo").iterdir()) == []
    assert list_runs(tmp_path) == []


def test_two_runs_in_the_same_second_get_distinct_folders(tmp_path):
    first = write_run("demo", "c", "s", {}, _result(), tmp_path)
    second = write_run("demo", "c", "s", {}, _result(), tmp_path)
    assert first != second and len(list_runs(tmp_path)) == 2


def test_report_embeds_every_run(tmp_path):
    write_run("demo", "a claim", "s", {}, _result(), tmp_path / "runs")
    page = render_report(tmp_path / "runs", tmp_path / "out" / "report.html").read_text()
    assert "data:image/png;base64," in page and "nine regions" in page and "a claim" in page
    with pytest.raises(ValueError, match="No runs found"):
        render_report(tmp_path / "empty", tmp_path / "x.html")


def test_to_jsonable_handles_tensors_and_numpy():
    import numpy as np
    import torch

    got = to_jsonable({"t": torch.tensor([1.5]), "n": np.int64(3), "inf": math.inf, "tuple": (1, 2)})
    assert got == {"t": [1.5], "n": 3, "inf": "inf", "tuple": [1, 2]}
