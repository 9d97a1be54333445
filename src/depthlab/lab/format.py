"""One number formatter for every place a value is shown (CLI table, report.md, CSV tables, HTML)."""

from __future__ import annotations

from typing import Any


def format_value(value: Any) -> str:
    """Floats to 6 significant digits, everything else as str; None as an empty cell.

    Examples
    --------
    >>> format_value(0.1234567891), format_value(161051), format_value(None), format_value("x")
    ('0.123457', '161051', '', 'x')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
