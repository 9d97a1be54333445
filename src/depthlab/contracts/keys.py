"""Config keys that many experiments share, each declared once here with its rule.

An experiment merges them into its own keys: ``keys={"lr": keys.lr(0.0025, quick=0.1), **keys.evidence(3)}``.
"""

from __future__ import annotations

from typing import Any

from depthlab.contracts import rules
from depthlab.contracts.experiment import _SAME, Key
from depthlab.train.optim import OPTIMIZERS


def confidence(default: float = 0.95) -> Key:
    """The confidence of every interval behind a verdict, in [0.5, 0.999]."""
    return Key(default, rules.number(0.5, 0.999))


def n_seeds(default: int, quick: Any = _SAME, minimum: int = 1) -> Key:
    """How many seeds (independent replicates) each cell runs; `minimum` 2 where a spread is measured."""
    return Key(default, rules.integer(minimum), quick)


def lr(default: float, quick: Any = _SAME) -> Key:
    """A learning rate > 0."""
    return Key(default, rules.number(0, exclusive_minimum=True), quick)


def optimizer(default: str, quick: Any = _SAME) -> Key:
    """An optimizer of the table `depthlab.train.optim.OPTIMIZERS`."""
    return Key(default, rules.choice(*OPTIMIZERS), quick)


def checkpoint_dir() -> Key:
    """Where a long experiment checkpoints: a folder, "" (its default folder) or "off"."""
    return Key("", rules.checkpoint_dir())


def device() -> Key:
    """Where a training experiment trains: "cpu" or "cuda" (``depthlab run NAME --device cuda``)."""
    return Key("cpu", rules.choice("cpu", "cuda"))
