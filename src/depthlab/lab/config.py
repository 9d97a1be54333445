"""Parsing ``--set key=value`` overrides against an experiment's config, typed by its defaults."""

from __future__ import annotations

from typing import Any

from depthlab.checks import InputError


def parse_value(key: str, text: str, default: Any, flag: str = "--set") -> Any:
    """Parse `text` into the type of `default` (bool, int, float, str, list, or None -> str).

    `flag` names the option in error messages (``--set``, ``--grid``)."""
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise InputError(f"{flag} {key}: expected a bool (true/false). Got {text!r}.")
    if isinstance(default, (list, tuple)):
        element = default[0] if default else ""
        items = [item for item in text.split(",") if item.strip()]
        return [parse_value(key, item, element, flag) for item in items]
    if default is None:
        return None if text.strip().lower() in ("none", "null", "") else text
    for kind in (int, float):
        if isinstance(default, kind):
            try:
                return kind(text)
            except ValueError:
                raise InputError(f"{flag} {key}: expected {kind.__name__}. Got {text!r}.") from None
    return text


def parse_overrides(pairs: list[str], config: dict[str, Any]) -> dict[str, Any]:
    """Turn ["key=value", ...] into typed overrides; unknown keys raise a one-line ValueError."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError(f"--set expects key=value. Got {pair!r}.")
        key, text = pair.split("=", 1)
        key = key.strip()
        if key not in config:
            raise InputError(f"--set: unknown key {key!r}. Valid keys: {', '.join(sorted(config))}.")
        overrides[key] = parse_value(key, text, config[key])
    return overrides
