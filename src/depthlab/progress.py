"""Progress bars (tqdm) for long loops: shown on a terminal, silent otherwise.

Set DEPTHLAB_PROGRESS=1 to force bars on, 0 to force them off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress_enabled() -> bool:
    """True when bars should be drawn: DEPTHLAB_PROGRESS if set, else whether stderr is a terminal."""
    forced = os.environ.get("DEPTHLAB_PROGRESS")
    if forced is not None:
        return forced not in ("0", "false", "off", "")
    return sys.stderr.isatty()


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Wrap `iterable` in a bar with rate and ETA when progress is enabled."""
    return iter(
        tqdm(iterable, desc=desc, total=total, unit=unit, disable=not progress_enabled(), leave=False)
    )


def progress_bar(total: int, desc: str = "", unit: str = "it", initial: int = 0) -> tqdm:
    """A bar to advance by hand (``bar.update(1)``, ``bar.set_postfix_str(...)``), for work that completes
    out of order (a sweep's cells); drawn only when progress is enabled. Close it when done."""
    return tqdm(total=total, desc=desc, unit=unit, initial=initial, disable=not progress_enabled(), leave=False)
