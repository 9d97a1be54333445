"""`depthlab run NAME --executor ray|local`: an experiment's groups spread over an executor, then combined.

An experiment that declares `groups` (`depthlab.contracts.Groups`: split, run, combine) is made of
independent pieces of work (random-labels: one per depth x label kind x seed). Here each group is one
task for `depthlab.lab.executors` (a local process pool or Ray tasks); the outputs come back to this
process, which combines them into the experiment's Result exactly as the experiment's own `run` does
in one process. Each group resumes from its own checkpoint, so a rerun after an interruption or a
failed group recomputes only what is missing.
"""

from __future__ import annotations

from typing import Any

from depthlab.contracts import Experiment, Result
from depthlab.lab.executors import GroupOutcome, GroupTask, LocalExecutor, RayExecutor, collect


class GroupsFailed(Exception):
    """Some groups failed: `failures` lists (group, one-line error); the finished ones kept their checkpoints."""

    def __init__(self, name: str, failures: list[tuple[dict[str, Any], str]]) -> None:
        self.failures = failures
        super().__init__(f"{name}: {len(failures)} group(s) failed; rerun the same command to resume the others "
                         "from their checkpoints")


def describe_group(group: dict[str, Any]) -> str:
    """ "depth=2, labels=random, seed_index=0"."""
    return ", ".join(f"{k}={v}" for k, v in group.items())


def run_grouped(experiment: Experiment, config: dict[str, Any], executor: LocalExecutor | RayExecutor) -> Result:
    """Run every group of `experiment` on `executor` and combine their outputs into its Result.

    Raises ValueError (one line) when the experiment has no groups, and `GroupsFailed` when a group failed
    (no Result, so no run folder is written).
    """
    if experiment.groups is None:
        raise ValueError(f"--executor spreads the groups of an experiment that declares them; {experiment.name} "
                         "does not. Run it without --executor, or spread seeds and settings with depthlab sweep.")
    groups = experiment.groups.split(config)
    tasks = [GroupTask(i, experiment.name, config, group) for i, group in enumerate(groups)]
    outcomes: dict[int, GroupOutcome] = {}
    collect(executor, tasks, outcomes, total=len(tasks), desc=f"{experiment.name} groups", unit="group")
    failures = [(groups[i], outcomes[i].error) for i in range(len(groups)) if outcomes[i].status != "ok"]
    if failures:
        raise GroupsFailed(experiment.name, failures)
    return experiment.groups.combine(config, groups, [outcomes[i].output for i in range(len(groups))])
