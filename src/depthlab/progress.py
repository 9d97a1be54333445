"""Progress for long loops: a bar (tqdm) on a terminal, plain lines in a log otherwise.

Three modes (`progress_mode`):

- ``"bar"``: a tqdm bar with rate and ETA, redrawn in place; the default when stderr is a terminal.
- ``"log"``: one plain line on stderr at most every `log_interval` seconds (desc, count, percent, elapsed, ETA,
  rate), and a last line when the loop ends if any was written; the default when stderr is not a terminal (a
  run in the background, ``nohup ... > log``). Work shorter than the interval writes nothing.
- ``"off"``: nothing.

Set DEPTHLAB_PROGRESS=1 (bar), log or 0 (off) to choose; DEPTHLAB_PROGRESS_INTERVAL sets the seconds between log
lines (60 by default).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

from depthlab.checks import InputError

T = TypeVar("T")
OFF = ("0", "false", "off", "")
DEFAULT_LOG_INTERVAL_S = 60.0


def progress_mode() -> str:
    """"bar", "log" or "off": DEPTHLAB_PROGRESS if set (0/false/off: off, log: log, anything else: bar), else
    "bar" when stderr is a terminal and "log" when it is not."""
    forced = os.environ.get("DEPTHLAB_PROGRESS")
    if forced is None:
        return "bar" if sys.stderr.isatty() else "log"
    forced = forced.strip().lower()
    return "off" if forced in OFF else "log" if forced == "log" else "bar"


def progress_enabled() -> bool:
    """True when bars are drawn (`progress_mode` is "bar")."""
    return progress_mode() == "bar"


def log_interval() -> float:
    """Seconds between two log lines: DEPTHLAB_PROGRESS_INTERVAL (a positive number), else 60."""
    text = os.environ.get("DEPTHLAB_PROGRESS_INTERVAL")
    if text is None:
        return DEFAULT_LOG_INTERVAL_S
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise InputError(f"DEPTHLAB_PROGRESS_INTERVAL must be a positive number of seconds. Got {text!r}; "
                         "unset it for the default of 60.")
    return value


class LogBar:
    """The `tqdm` calls depthlab uses (`update`, `set_postfix_str`, `close`, `n`), written as plain lines.

    A line is written when `update` finds `interval` seconds gone since the last one, and by `close` when any line
    was written before, so short work stays silent and a log shows where long work is without control characters.
    """

    def __init__(self, total: int | None, desc: str = "", unit: str = "it", initial: int = 0,
                 interval: float | None = None) -> None:
        self.n, self.total, self.desc, self.unit, self.initial = initial, total, desc, unit, initial
        self.interval = log_interval() if interval is None else interval
        self.postfix = ""
        self.lines = 0
        self.started = self.last = time.monotonic()

    def update(self, n: int = 1) -> None:
        """Count `n` more items; write a line when the interval has passed."""
        self.n += n
        now = time.monotonic()
        if now - self.last >= self.interval:
            self._write(now)

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        """Text shown at the end of the next line (e.g. "failed 1")."""
        self.postfix = text

    def close(self) -> None:
        """Write the last line if any line was written."""
        if self.lines:
            self._write(time.monotonic())

    def line(self, now: float | None = None) -> str:
        """The current line: desc, percent and count, elapsed < remaining, rate and postfix."""
        elapsed = (time.monotonic() if now is None else now) - self.started
        form = ("{desc}: {percentage:3.0f}% {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}, {rate_fmt}{postfix}]"
                if self.total else "{desc}: {n_fmt} {unit} [{elapsed}, {rate_fmt}{postfix}]")
        return tqdm.format_meter(self.n, self.total, elapsed, prefix=self.desc, unit=self.unit, initial=self.initial,
                                 postfix=self.postfix or None, bar_format=form)

    def _write(self, now: float) -> None:
        print(self.line(now), file=sys.stderr, flush=True)
        self.lines += 1
        self.last = now


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Wrap `iterable` so that its progress shows (a bar, log lines or nothing, by `progress_mode`)."""
    mode = progress_mode()
    if mode == "log":
        return _logged(iterable, LogBar(_total(iterable, total), desc=desc, unit=unit))
    return iter(tqdm(iterable, desc=desc, total=total, unit=unit, disable=mode == "off", leave=False))


def progress_bar(total: int, desc: str = "", unit: str = "it", initial: int = 0) -> tqdm | LogBar:
    """A bar to advance by hand (``bar.update(1)``, ``bar.set_postfix_str(...)``), for work that completes
    out of order (a sweep's cells); drawn or logged by `progress_mode`. Close it when done."""
    mode = progress_mode()
    if mode == "log":
        return LogBar(total, desc=desc, unit=unit, initial=initial)
    return tqdm(total=total, desc=desc, unit=unit, initial=initial, disable=mode == "off", leave=False)


def inner_mode() -> str:
    """The DEPTHLAB_PROGRESS value for work nested inside a drawn bar (a sweep's worker processes): log lines
    when this process logs, else nothing (two bars redrawn on one terminal would garble it)."""
    return "log" if progress_mode() == "log" else "0"


def _total(iterable: Iterable, total: int | None) -> int | None:
    if total is not None:
        return total
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None


def _logged(iterable: Iterable[T], bar: LogBar) -> Iterator[T]:
    try:
        for item in iterable:
            yield item
            bar.update(1)
    finally:
        bar.close()
