"""`Experiment`: a registered claim, its config keys (each declared once: default, quick value, rule) and its run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from depthlab.checks import InputError
from depthlab.contracts.result import Result
from depthlab.contracts.rules import Rule, check_config

COMMON_KEYS: dict[str, Any] = {"seed": 0, "data_dir": None, "quick": False}
_SAME = object()  # Key.quick when the --quick size keeps the default


@dataclass(frozen=True)
class Key:
    """One config key, declared once.

    Parameters
    ----------
    default : Any
        The full-size value (a plain JSON-able value).
    rule : Rule or None
        What the key accepts (`depthlab.contracts.rules`); checked after every override. Every numeric, list
        or string key has one (tests/test_experiments.py).
    quick : Any, optional
        The value at ``--quick`` size; omitted when it is the default.
    """

    default: Any
    rule: Rule | None = None
    quick: Any = _SAME

    @property
    def has_quick(self) -> bool:
        """True when the --quick size sets its own value."""
        return self.quick is not _SAME


@dataclass(frozen=True)
class Groups:
    """An experiment split into independent groups of work that the harness may run anywhere, in any order.

    Parameters
    ----------
    split : callable config -> list of dict
        The groups of a config, each a small JSON-able dict naming it (e.g. ``{"depth": 2, "labels": "random",
        "seed_index": 0}``); cheap (no training) and the same on every machine.
    run : callable (config, group) -> output
        One group's work, resumable on its own (its own checkpoint); the output is picklable. Its numbers
        depend on the config and the group only, so a group gives the same output wherever it runs.
    combine : callable (config, groups, outputs) -> Result
        The experiment's Result from every group's output, in the order of `split`.

    `run_all(config)` runs them one after the other in this process: the experiment's own `run`.
    """

    split: Callable[[dict[str, Any]], list[dict[str, Any]]]
    run: Callable[[dict[str, Any], dict[str, Any]], Any]
    combine: Callable[[dict[str, Any], list[dict[str, Any]], list[Any]], Result]
    desc: str = "groups"

    def run_all(self, config: dict[str, Any]) -> Result:
        """Every group in turn, in this process, then `combine` (a progress bar over the groups)."""
        from depthlab.progress import progress

        groups = self.split(config)
        outputs = [self.run(config, group) for group in progress(groups, desc=self.desc, total=len(groups),
                                                                 unit="group")]
        return self.combine(config, groups, outputs)


def cell_groups(grid: Callable[[dict[str, Any]], list[dict[str, Any]]],
                measure: Callable[[dict[str, Any], dict[str, Any], int], dict[str, Any]],
                combine: Callable[[dict[str, Any], list[dict[str, Any]]], Result],
                desc: str, stream: str = "") -> Groups:
    """`Groups` for work that is one independent measurement per grid cell, as `depthlab.grid.map_cells` runs it.

    Parameters
    ----------
    grid : callable config -> list of cells (dicts of JSON-able values, e.g. from `grid.cells`); it may validate
        the config and raise, before any work.
    measure : callable (config, cell, cell seed) -> dict of measured values.
    combine : callable (config, rows) -> Result; rows as `map_cells` returns them (cell values, "seed", measured),
        in grid order.
    desc, stream : the progress label, and the seed stream of `map_cells` (the same cell seeds, so the same rows).

    Each cell is one group, so ``--executor local|ray`` spreads the cells and gives the in-process rows.
    """
    from depthlab.grid import cell_row

    def run(config: dict[str, Any], cell: dict[str, Any]) -> dict[str, Any]:
        return cell_row(lambda c, seed: measure(config, c, seed), cell, config["seed"], stream)

    return Groups(split=grid, run=run, combine=lambda config, cells, rows: combine(config, rows), desc=desc)


@dataclass(frozen=True)
class Experiment:
    """A registered experiment.

    name : CLI name (``depthlab run NAME``).
    claim : the claim it tests, one sentence.
    source : seed file or paper.
    keys : key -> `Key` (default, quick value, rule); ``seed``, ``data_dir`` and ``quick`` are added.
    run : config dict -> Result.
    groups : `Groups` or None
        Set when the experiment splits into independent groups (`run` is then ``groups.run_all``), so the
        harness can spread them over processes or a cluster (``depthlab run NAME --executor ray``).
    """

    name: str
    claim: str
    source: str
    keys: dict[str, Key]
    run: Callable[[dict[str, Any]], Result]
    order: int = 100
    tags: tuple[str, ...] = field(default_factory=tuple)
    groups: Groups | None = None

    @property
    def defaults(self) -> dict[str, Any]:
        """The full-size value of every declared key."""
        return {name: key.default for name, key in self.keys.items()}

    @property
    def quick(self) -> dict[str, Any]:
        """The keys whose --quick value differs from the default, with that value."""
        return {name: key.quick for name, key in self.keys.items() if key.has_quick}

    @property
    def rules(self) -> dict[str, Rule]:
        """key -> rule, for every key that declares one."""
        return {name: key.rule for name, key in self.keys.items() if key.rule is not None}

    def config(self, quick: bool = False, **overrides: Any) -> dict[str, Any]:
        """The full config: common keys, defaults, quick values if asked, then `overrides`; every rule checked."""
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
