"""Progress: a bar on a terminal, plain log lines otherwise, nothing when forced off; items pass through unchanged."""

from __future__ import annotations

import pytest

from depthlab.checks import InputError
from depthlab.progress import LogBar, log_interval, progress, progress_bar, progress_enabled, progress_mode


@pytest.mark.parametrize("value, mode", [("1", "bar"), ("yes", "bar"), ("0", "off"), ("off", "off"),
                                         ("log", "log"), ("LOG", "log")])
def test_environment_chooses_the_mode(monkeypatch, value, mode):
    monkeypatch.setenv("DEPTHLAB_PROGRESS", value)
    assert progress_mode() == mode
    assert progress_enabled() is (mode == "bar")


def test_log_lines_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.delenv("DEPTHLAB_PROGRESS", raising=False)
    assert progress_mode() == "log"  # pytest captures stderr
    assert progress_enabled() is False


def test_items_pass_through(monkeypatch, capsys):
    monkeypatch.setenv("DEPTHLAB_PROGRESS", "1")
    assert list(progress(range(5), desc="demo", total=5)) == [0, 1, 2, 3, 4]
    assert "demo" in capsys.readouterr().err


def test_manual_bar_counts_and_shows_postfix(monkeypatch, capsys):
    monkeypatch.setenv("DEPTHLAB_PROGRESS", "1")
    bar = progress_bar(total=4, desc="grid", unit="cell", initial=1)
    bar.update(2)
    bar.set_postfix_str("failed 1")
    assert bar.n == 3
    bar.close()
    err = capsys.readouterr().err
    assert "grid" in err and "failed 1" in err


def test_short_work_writes_no_log_line(monkeypatch, capsys):
    monkeypatch.setenv("DEPTHLAB_PROGRESS", "log")
    monkeypatch.delenv("DEPTHLAB_PROGRESS_INTERVAL", raising=False)
    assert list(progress(range(50), desc="quick", unit="step")) == list(range(50))
    assert capsys.readouterr().err == ""


def test_log_lines_give_count_percent_and_rate(monkeypatch, capsys):
    monkeypatch.setenv("DEPTHLAB_PROGRESS", "log")
    monkeypatch.setenv("DEPTHLAB_PROGRESS_INTERVAL", "1e-9")
    assert list(progress(iter(range(4)), desc="fit", total=4, unit="step")) == [0, 1, 2, 3]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 5  # one per item, then the closing line
    assert lines[1].startswith("fit:  50% 2/4 step [")
    assert "step/s" in lines[1] and "\r" not in "".join(lines)
    assert lines[-1].startswith("fit: 100% 4/4 step")


def test_log_bar_without_total_and_with_postfix(capsys):
    bar = LogBar(None, desc="cells", unit="cell", interval=1e-9)
    bar.set_postfix_str("failed 1")
    bar.update(3)
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("cells: 3 cell [") and lines[0].endswith("failed 1]")
    assert bar.n == 3 and len(lines) == 2


def test_manual_bar_logs_when_not_a_terminal(monkeypatch):
    monkeypatch.setenv("DEPTHLAB_PROGRESS", "log")
    bar = progress_bar(total=4, desc="grid", unit="cell", initial=1)
    assert isinstance(bar, LogBar) and bar.n == 1
    bar.update(2)
    assert bar.n == 3 and "3/4 cell" in bar.line()
    bar.close()


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan"])
def test_bad_interval_is_one_line(monkeypatch, value):
    monkeypatch.setenv("DEPTHLAB_PROGRESS_INTERVAL", value)
    with pytest.raises(InputError, match="DEPTHLAB_PROGRESS_INTERVAL must be a positive number"):
        log_interval()


@pytest.mark.parametrize("outer, inner", [("log", "log"), ("1", "0"), ("0", "0")])
def test_sweep_workers_log_only_when_the_parent_logs(monkeypatch, outer, inner):
    import os

    from depthlab.lab.executors import _quiet_worker

    monkeypatch.setenv("DEPTHLAB_PROGRESS", outer)
    with _quiet_worker(1):
        assert os.environ["DEPTHLAB_PROGRESS"] == inner
    assert os.environ["DEPTHLAB_PROGRESS"] == outer
