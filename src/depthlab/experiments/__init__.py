"""Experiments: one module per claim, each defining ``EXPERIMENT = Experiment(...)``.

Modules in this package are discovered automatically; `get(name)` and `all_experiments()` are
the registry. Experiments are thin: they read their config, call library verbs, and return a
`depthlab.contracts.Result`; `Experiment` and `Key` live in `depthlab.contracts` (re-exported here).
"""

from __future__ import annotations

import importlib
import pkgutil

from depthlab.contracts.experiment import COMMON_KEYS, Experiment

__all__ = ["COMMON_KEYS", "Experiment", "all_experiments", "get"]


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
        raise ValueError(f"Unknown experiment {name!r}. Choose from: {', '.join(experiments)}.")
    return experiments[name]
