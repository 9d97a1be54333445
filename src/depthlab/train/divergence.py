"""Which trained models count: the one rule every training experiment uses to name failed training.

A model *diverged* when its final training loss is not finite or is above its starting loss, and it *did
not train* when it ended no better than the best model that ignores its input (`FitResult.chance_loss`:
the label entropy for cross entropy, the target variance for MSE). Either way its numbers say nothing
about the claim under test: an experiment counts such models (metrics `n_diverged` and
`n_diverged_<group>`), names them in a note, and judges the claim on the rest, "inconclusive" when too
few remain (`compare_trained`).

    log = DivergenceLog()
    split = log.add(split_results(results, "plain depth 30"))       # results: FitResults of one group
    losses = split.keep([r.final_loss for r in results])            # the models that trained
    comparison = compare_trained(a, split_a, b, split_b, "less")    # evidence.compare on the rest
    metrics.update(log.metrics()); notes += log.notes()
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from depthlab.evidence import Comparison, compare
from depthlab.train.loop import FitResult
from depthlab.train.metrics import accuracy

NOT_FINITE = "loss not finite"
ABOVE_START = "above its starting loss"
NO_BETTER = "no better than a constant predictor"
FAILURES: tuple[str, ...] = (NOT_FINITE, ABOVE_START, NO_BETTER)


def failure(final_loss: float, initial_loss: float = math.nan, chance_loss: float = math.nan) -> str:
    """Why a model's training failed ("" when it did not): one of FAILURES.

    Examples
    --------
    >>> failure(0.3, 2.4, 2.3), failure(float("nan"), 2.4, 2.3), failure(5e3, 1e7, 2.3), failure(2.5, 2.4, 2.3)
    ('', 'loss not finite', 'no better than a constant predictor', 'above its starting loss')
    """
    final_loss = math.nan if final_loss is None else float(final_loss)
    if not math.isfinite(final_loss):
        return NOT_FINITE
    if initial_loss is not None and math.isfinite(initial_loss) and final_loss > initial_loss:
        return ABOVE_START
    if chance_loss is not None and math.isfinite(chance_loss) and final_loss >= chance_loss:
        return NO_BETTER
    return ""


@dataclass(frozen=True)
class Split:
    """The models of one group (seeds of one architecture, say), split into those that trained and those that failed.

    group : how the group is named in notes.
    failures : per model, "" when it trained, else one of FAILURES.
    final_losses, chance_losses : per model, for the note.
    """

    group: str
    failures: tuple[str, ...]
    final_losses: tuple[float, ...] = ()
    chance_losses: tuple[float, ...] = ()

    @property
    def n(self) -> int:
        """Models in the group."""
        return len(self.failures)

    @property
    def kept(self) -> tuple[int, ...]:
        """Indices of the models that trained."""
        return tuple(i for i, f in enumerate(self.failures) if not f)

    @property
    def failed(self) -> tuple[int, ...]:
        """Indices of the models that diverged or did not train."""
        return tuple(i for i, f in enumerate(self.failures) if f)

    @property
    def n_failed(self) -> int:
        """How many models diverged or did not train."""
        return len(self.failed)

    def keep(self, values: Sequence[Any]) -> list[Any]:
        """`values` (one per model) of the models that trained."""
        if len(values) != self.n:
            raise ValueError(f"The 'values' parameter must hold one value per model ({self.n}). Got {len(values)}.")
        return [values[i] for i in self.kept]

    def mask(self, values: Sequence[Any], fill: Any = None) -> list[Any]:
        """`values` with `fill` in place of every failed model's value (for tables and metrics by seed)."""
        if len(values) != self.n:
            raise ValueError(f"The 'values' parameter must hold one value per model ({self.n}). Got {len(values)}.")
        return [fill if f else v for v, f in zip(values, self.failures)]

    def count(self) -> str:
        """ "2 of 3 diverged or did not train" (with the group's name), or "" when every model trained."""
        return f"{self.group}: {self.n_failed} of {self.n} diverged or did not train" if self.n_failed else ""

    def note(self) -> str:
        """One line naming the failed models, or "" when every model trained."""
        if not self.n_failed:
            return ""
        details = []
        for i in self.failed:
            loss = self.final_losses[i] if i < len(self.final_losses) else math.nan
            chance = self.chance_losses[i] if i < len(self.chance_losses) else math.nan
            value = f"final loss {loss:.4g}" if math.isfinite(loss) else "final loss not finite"
            reason = self.failures[i] + (f" ({chance:.4g})" if self.failures[i] == NO_BETTER else "")
            details.append(f"model {i}: {value}, {reason}" if self.failures[i] != NOT_FINITE else f"model {i}: {value}")
        return f"{self.count()} ({'; '.join(details)}); judged on the other {self.n - self.n_failed}"


def split_losses(final_losses: Sequence[float], initial_losses: Sequence[float] | None = None,
                 chance_losses: Sequence[float] | None = None, group: str = "") -> Split:
    """Split models by their final, starting and constant-predictor losses (one of each per model)."""
    n = len(final_losses)
    initial = list(initial_losses) if initial_losses is not None else [math.nan] * n
    chance = list(chance_losses) if chance_losses is not None else [math.nan] * n
    if not len(initial) == len(chance) == n:
        raise ValueError(f"The loss lists must have one entry per model ({n}). Got {len(initial)} and {len(chance)}.")
    finals = [math.nan if v is None else float(v) for v in final_losses]
    return Split(group, tuple(failure(f, i, c) for f, i, c in zip(finals, initial, chance)), tuple(finals),
                 tuple(float(c) for c in chance))


def split_results(results: Sequence[FitResult], group: str = "") -> Split:
    """Split `FitResult`s (one group) into the models that trained and those that diverged or did not train."""
    return split_losses([r.final_loss for r in results], [r.initial_loss for r in results],
                        [r.chance_loss for r in results], group)


def split_rows(rows: Sequence[dict[str, Any]], group: str = "") -> Split:
    """Split table rows holding `final_loss`, `initial_loss` and `chance_loss` (e.g. `final_losses_by_width`)."""
    return split_losses([r["final_loss"] for r in rows], [r.get("initial_loss", math.nan) for r in rows],
                        [r.get("chance_loss", math.nan) for r in rows], group)


def held_out_accuracy(result: FitResult, x, y) -> float:
    """Accuracy of the trained model on (x, y); NaN for a diverged model (its `net` is the untrained start)."""
    if result.diverged or not math.isfinite(result.final_loss):
        return math.nan
    return accuracy(result.net, x, y)


def compare_trained(a: Sequence[float], split_a: Split, b: Sequence[float], split_b: Split,
                    alternative: str = "less", confidence: float = 0.95, seed: int = 0) -> Comparison:
    """`evidence.compare` of the values of the models that trained (a, b: one value per model of each group).

    With no model left on a side the comparison is "inconclusive" (n = 0 there, medians NaN); with fewer than
    `evidence.MIN_SAMPLES` `compare` itself says "inconclusive".
    """
    kept_a, kept_b = split_a.keep(a), split_b.keep(b)
    if kept_a and kept_b:
        return compare(kept_a, kept_b, alternative, confidence=confidence, seed=seed)
    medians = [float(np.median(v)) if v else math.nan for v in (kept_a, kept_b)]
    return Comparison("inconclusive", math.nan, math.nan, math.nan, len(kept_a), len(kept_b), *medians, alternative,
                      confidence)


def metric_key(group: str) -> str:
    """A group's name as a metrics-key suffix: lower case, runs of other characters as one '_'.

    >>> metric_key("residual depth 30"), metric_key("mnist1d mimic_large")
    ('residual_depth_30', 'mnist1d_mimic_large')
    """
    return re.sub(r"[^a-z0-9]+", "_", group.lower()).strip("_")


@dataclass
class DivergenceLog:
    """The splits of every group a run trained: the metrics `n_diverged`, `n_diverged_<group>` and the notes."""

    splits: dict[str, Split] = field(default_factory=dict)

    def add(self, split: Split) -> Split:
        """Record one group's split (by its name) and return it."""
        self.splits[split.group] = split
        return split

    def results(self, results: Sequence[FitResult], group: str) -> Split:
        """`add(split_results(results, group))`."""
        return self.add(split_results(results, group))

    @property
    def n_models(self) -> int:
        """Models trained in all groups."""
        return sum(s.n for s in self.splits.values())

    @property
    def n_diverged(self) -> int:
        """Models that diverged or did not train, in all groups."""
        return sum(s.n_failed for s in self.splits.values())

    def metrics(self) -> dict[str, int]:
        """Flat counts: {"n_diverged": total, "n_diverged_<group>": count per group} (group names as `metric_key`)."""
        return {"n_diverged": self.n_diverged, **{f"n_diverged_{metric_key(g)}": s.n_failed
                                                   for g, s in self.splits.items()}}

    def notes(self) -> list[str]:
        """The rule and its count in one line, then one line per group with failed models."""
        rule = ("a model counts as diverged when its final training loss is not finite or above its starting loss, "
                "or as not trained when it ends no better than a constant predictor; such models are left out of "
                "the verdicts")
        head = f"Divergence: {self.n_diverged} of {self.n_models} trained models diverged or did not train ({rule})."
        return [head] + [s.note() for s in self.splits.values() if s.n_failed]
