"""Config rules: what each experiment key accepts, declared next to its default and checked before any work.

A rule is a callable (key, value) -> None that raises a one-line ValueError naming the key, the
rule and the value received ("The 'n_inputs' config key must be an int >= 1. Got 0 instead.").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

Rule = Callable[[str, Any], None]


def _fail(key: str, rule: str, value: Any) -> None:
    raise ValueError(f"The '{key}' config key must be {rule}. Got {value!r} instead.")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def integer(minimum: int = 1, maximum: int | None = None) -> Rule:
    """An int in [minimum, maximum] (counts: minimum=1)."""
    text = f"an int >= {minimum}" if maximum is None else f"an int in [{minimum}, {maximum}]"

    def check(key: str, value: Any) -> None:
        if not _is_int(value) or value < minimum or (maximum is not None and value > maximum):
            _fail(key, text, value)
    return check


def number(minimum: float | None = None, maximum: float | None = None, exclusive_minimum: bool = False) -> Rule:
    """A finite number, optionally bounded (exclusive_minimum: > minimum instead of >=)."""
    low = "" if minimum is None else (f"> {minimum}" if exclusive_minimum else f">= {minimum}")
    high = "" if maximum is None else f"<= {maximum}"
    text = " and ".join(["a finite number " + low if low else "a finite number"] + ([high] if high else []))

    def check(key: str, value: Any) -> None:
        if not _is_number(value):
            _fail(key, text, value)
        if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
            _fail(key, text, value)
        if maximum is not None and value > maximum:
            _fail(key, text, value)
    return check


def choice(*options: Any) -> Rule:
    """One of the listed values."""
    def check(key: str, value: Any) -> None:
        if value not in options:
            _fail(key, "one of " + ", ".join(map(repr, options)), value)
    return check


def int_list(minimum: int = 1, maximum: int | None = None, min_length: int = 1, distinct: bool = False) -> Rule:
    """A list of at least `min_length` ints in [minimum, maximum] (distinct if asked)."""
    bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    text = f"a list of at least {min_length} {'distinct ' if distinct else ''}int(s) {bound}"

    def check(key: str, value: Any) -> None:
        ok = isinstance(value, (list, tuple)) and len(value) >= min_length and all(
            _is_int(v) and v >= minimum and (maximum is None or v <= maximum) for v in value)
        if not ok or (distinct and len(set(value)) != len(value)):
            _fail(key, text, value)
    return check


def number_list(minimum: float | None = None, exclusive_minimum: bool = False, min_length: int = 1) -> Rule:
    """A list of at least `min_length` finite numbers, each passing number(minimum, exclusive_minimum)."""
    element = number(minimum, exclusive_minimum=exclusive_minimum)
    low = "" if minimum is None else (f" > {minimum}" if exclusive_minimum else f" >= {minimum}")
    text = f"a list of at least {min_length} finite number(s){low}"

    def check(key: str, value: Any) -> None:
        if not isinstance(value, (list, tuple)) or len(value) < min_length:
            _fail(key, text, value)
        for v in value:
            try:
                element(key, v)
            except ValueError:
                _fail(key, text, value)
    return check


def interval() -> Rule:
    """Two increasing finite numbers [low, high]."""
    def check(key: str, value: Any) -> None:
        if not (isinstance(value, (list, tuple)) and len(value) == 2 and all(map(_is_number, value))
                and value[0] < value[1]):
            _fail(key, "two increasing numbers low,high", value)
    return check


def choice_list(options: Sequence[str], min_length: int = 1) -> Rule:
    """A list of at least `min_length` values, each one of `options`."""
    def check(key: str, value: Any) -> None:
        if not isinstance(value, (list, tuple)) or len(value) < min_length or any(v not in options for v in value):
            _fail(key, f"a list of at least {min_length} of " + ", ".join(options), value)
    return check


def boolean() -> Rule:
    """True or False."""
    def check(key: str, value: Any) -> None:
        if not isinstance(value, bool):
            _fail(key, "true or false", value)
    return check


def check_config(config: dict[str, Any], rules: dict[str, Rule]) -> None:
    """Apply each rule to its key; a rule for an unknown key is a bug in the experiment (KeyError)."""
    for key, rule in rules.items():
        rule(key, config[key])


def checkpoint_dir() -> Rule:
    """A folder path for checkpoints, "" (the experiment's default folder under runs/.checkpoints) or "off"."""
    def check(key: str, value: Any) -> None:
        if not isinstance(value, str):
            _fail(key, 'a folder path, "" (the default folder) or "off"', value)
    return check
