"""Progress bars: on for a terminal, off otherwise, forced by DEPTHLAB_PROGRESS; items pass through unchanged."""

from __future__ import annotations

import pytest

from depthlab.progress import progress, progress_enabled


@pytest.mark.parametrize("value, enabled", [("1", True), ("0", False), ("off", False), ("yes", True)])
def test_environment_forces_bars(monkeypatch, value, enabled):
    monkeypatch.setenv("DEPTHLAB_PROGRESS", value)
    assert progress_enabled() is enabled


def test_off_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.delenv("DEPTHLAB_PROGRESS", raising=False)
    assert progress_enabled() is False  # pytest captures stderr


def test_items_pass_through(monkeypatch, capsys):
    monkeypatch.setenv("DEPTHLAB_PROGRESS", "1")
    assert list(progress(range(5), desc="demo", total=5)) == [0, 1, 2, 3, 4]
    assert "demo" in capsys.readouterr().err


def test_manual_bar_counts_and_shows_postfix(monkeypatch, capsys):
    from depthlab.progress import progress_bar

    monkeypatch.setenv("DEPTHLAB_PROGRESS", "1")
    bar = progress_bar(total=4, desc="grid", unit="cell", initial=1)
    bar.update(2)
    bar.set_postfix_str("failed 1")
    assert bar.n == 3
    bar.close()
    err = capsys.readouterr().err
    assert "grid" in err and "failed 1" in err
