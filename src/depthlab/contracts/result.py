"""What an experiment returns: metrics, published-vs-measured references, tables and figures."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

VERDICTS: tuple[str, ...] = ("reproduced", "differs", "inconclusive", "not comparable")


@dataclass
class Reference:
    """One published figure next to what was measured.

    verdict is one of VERDICTS: "reproduced" / "differs" when the evidence (an exact check, or an
    interval over seeds from `depthlab.evidence`) decides it; "inconclusive" when it cannot at the
    stated confidence; "not comparable" when the measurement is of something else. note states the
    rule and its numbers (n, interval, p).
    """

    claim: str
    source: str
    published: Any
    measured: Any
    verdict: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"The 'verdict' parameter must be one of {VERDICTS}. Got {self.verdict!r}.")


def verdict_close(published: float, measured: float, rtol: float = 0.0, atol: float = 0.0) -> str:
    """"reproduced" if |measured - published| <= atol + rtol * |published|, else "differs".

    For deterministic measurements only (exact counts, closed forms, one fixed data set): a figure
    that varies with the seed is judged with `depthlab.evidence` instead.
    """
    if measured is None or (isinstance(measured, float) and math.isnan(measured)):
        return "differs"
    return "reproduced" if abs(measured - published) <= atol + rtol * abs(published) else "differs"


def verdict_holds(condition: bool) -> str:
    """"reproduced" when a deterministic check held (an exact count, a construction run as a network), else
    "differs". Claims about noisy measurements use `depthlab.evidence` instead."""
    return "reproduced" if bool(condition) else "differs"


def verdict_label(verdict: str, quick: bool) -> str:
    """The verdict as shown to people: "inconclusive (quick)" for runs at --quick size."""
    return f"{verdict} (quick)" if quick else verdict


@dataclass
class Result:
    """Everything a run produces; `depthlab.lab.runs.write_run` turns it into a run folder.

    metrics : flat dict of JSON-able scalars (the public metrics keys of the experiment).
    references : published figures with measured values and verdicts.
    tables : name -> list of rows (dicts with the same keys), written as CSV.
    figures : name -> matplotlib Figure, written as PNG.
    data : which data set, split and how many examples were used.
    notes : free-text lines for the report (caveats, misprints, what limits a figure).
    """

    metrics: dict[str, Any]
    references: list[Reference] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    data: str = ""
    notes: list[str] = field(default_factory=list)


def warn(message: str) -> None:
    """Tell the person running an experiment something they should know now (a fallback, a skipped part).

    One line on stderr, prefixed "depthlab: warning:"; the experiment also records it in its notes.
    """
    print(f"depthlab: warning: {message}", file=sys.stderr, flush=True)
