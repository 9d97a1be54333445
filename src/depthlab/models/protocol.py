"""What the training loop needs of the model family, asked of the model rather than checked by type.

A `Model` (one net: `Network`, `ResidualNetwork`) knows how to stack M of its kind into a `Batch`
(`Model.stack`). A `Batch` (`NetworkBatch`, `ResidualBatch`) holds M same-shaped models as stacked
tensors and offers a functional forward, which is all `fit_many` uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import torch


@runtime_checkable
class Batch(Protocol):
    """M same-shaped models as stacked tensors (leading dimension M)."""

    def __len__(self) -> int: ...

    @property
    def dtype(self) -> torch.dtype: ...

    @property
    def input_dim(self) -> int: ...

    @property
    def output_dim(self) -> int: ...

    def parameters(self) -> list[torch.Tensor]:
        """The stacked tensors, each (M, ...), in a fixed order."""
        ...

    def with_parameters(self, params: Sequence[torch.Tensor]) -> Batch:
        """A batch of this shape holding `params` (ordered as `parameters()`)."""
        ...

    def forward_with(self, params: Sequence[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """Outputs (M, N, D_o) with `params` in place of the batch's tensors. x: (N, D_i) or (M, N, D_i)."""
        ...

    def to(self, dtype: torch.dtype) -> Batch: ...

    def to_networks(self) -> list[Any]:
        """One single model per member, in order."""
        ...


@runtime_checkable
class Model(Protocol):
    """One model that `fit` trains: it can stack M of its kind into a `Batch`."""

    @staticmethod
    def stack(nets: Sequence[Any]) -> Batch:
        """M models of this kind and one shape as a batch."""
        ...


def as_batch(nets: Batch | Sequence[Model]) -> Batch:
    """A batch as is, or a non-empty list of models of one kind stacked by that kind's `stack`.

    Raises a one-line ValueError for anything else (an empty list, mixed kinds, objects that are not models).
    """
    if isinstance(nets, Batch):
        return nets
    nets = list(nets) if isinstance(nets, (list, tuple)) else nets
    kinds = {type(net) for net in nets} if isinstance(nets, list) and nets else set()
    if len(kinds) != 1 or not callable(getattr(next(iter(kinds)), "stack", None)):
        raise ValueError(
            "The 'nets' parameter must be a NetworkBatch, a ResidualBatch, or a non-empty list of Network "
            f"or of ResidualNetwork. Got {type(nets).__name__} instead."
        )
    return kinds.pop().stack(nets)
