"""Experiments: one module per claim, each defining ``EXPERIMENT = Experiment(...)``.

Modules in this package are discovered automatically; `get(name)` and `all_experiments()` are
the registry. Experiments are thin: they read their config, call library verbs, and return a
`depthlab.lab.result.Result`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from depthlab.checks import InputError
from depthlab.lab.result import Result
from depthlab.lab.rules import Rule, check_config

COMMON_KEYS: dict[str, Any] = {"seed": 0, "data_dir": None, "quick": False}


@dataclass(frozen=True)
class Experiment:
    """A registered experiment.

    name : CLI name (``depthlab run NAME``).
    claim : the claim it tests, one sentence.
    source : seed file or paper.
    defaults : full-size config (plain values; ``seed``, ``data_dir`` and ``quick`` are added).
    quick : overrides for the ``--quick`` size (under a minute on 2 cores).
    run : config dict -> Result.
    rules : key -> rule (`depthlab.lab.rules`) for every key whose value can be out of range; checked by
        `config()` after every override, so bad values fail in one line before any work.
    """

    name: str
    claim: str
    source: str
    defaults: dict[str, Any]
    quick: dict[str, Any]
    run: Callable[[dict[str, Any]], Result]
    order: int = 100
    tags: tuple[str, ...] = field(default_factory=tuple)
    rules: dict[str, Rule] = field(default_factory=dict)

    def config(self, quick: bool = False, **overrides: Any) -> dict[str, Any]:
        """The full config: common keys, defaults, quick overrides if asked, then `overrides`."""
        config = {**COMMON_KEYS, **self.defaults}
        if quick:
            config.update(self.quick)
        config["quick"] = quick
        unknown = set(overrides) - set(config)
        if unknown:
            raise InputError(
                f"Unknown config key(s) {sorted(unknown)} for experiment '{self.name}'. "
                f"Valid keys: {', '.join(sorted(config))}."
            )
        config.update(overrides)
        check_config(config, self.rules)
        return config


def all_experiments() -> list[Experiment]:
    """Every registered experiment, in presentation order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        experiment = getattr(module, "EXPERIMENT", None)
        if isinstance(experiment, Experiment):
            found.append(experiment)
    return sorted(found, key=lambda e: (e.order, e.name))


def get(name: str) -> Experiment:
    """The experiment called `name`; a one-line ValueError listing the choices otherwise."""
    experiments = {e.name: e for e in all_experiments()}
    if name not in experiments:
        raise InputError(f"Unknown experiment {name!r}. Choose from: {', '.join(experiments)}.")
    return experiments[name]
