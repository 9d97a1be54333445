"""What an experiment returns: metrics, published-vs-measured references, tables and figures."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

VERDICTS: tuple[str, ...] = ("reproduced", "differs", "not comparable")


@dataclass
class Reference:
    """One published figure next to what was measured.

    verdict is one of "reproduced", "differs", "not comparable"; note says why or how.
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
    """"reproduced" if |measured - published| <= atol + rtol * |published|, else "differs"."""
    if measured is None or (isinstance(measured, float) and math.isnan(measured)):
        return "differs"
    return "reproduced" if abs(measured - published) <= atol + rtol * abs(published) else "differs"


def verdict_holds(condition: bool) -> str:
    """"reproduced" when a qualitative claim held in the measurement, else "differs"."""
    return "reproduced" if bool(condition) else "differs"


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
