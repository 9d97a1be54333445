"""`step_size_scan`: how sharp the minimum a construction sits in is, seen by gradient descent."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from depthlab.models.network import Network
from depthlab.train.loop import fit


@dataclass
class StepSizeScan:
    """What `step_size_scan` returns.

    loss_before : training loss at the starting network.
    loss_after_largest : loss after the steps at the largest step size tried.
    largest_safe_lr : the largest step size whose steps did not raise the loss (0.0 if none did).
    loss_after_safe : loss after the steps at `largest_safe_lr` (= loss_after_largest if none did).
    """

    loss_before: float
    loss_after_largest: float
    largest_safe_lr: float
    loss_after_safe: float


def step_size_scan(
    net: Network, x, y, steps: int, lrs: list[float], dtype: torch.dtype = torch.float64
) -> StepSizeScan:
    """Full-batch gradient descent (MSE) from `net` at each step size in `lrs`, largest first, until one does not raise
    the training loss: how sharp the minimum a construction sits in is, seen by the optimizer.

    x : (N, D_i); y : (N, D_o) or (N,) regression targets; steps : updates per step size; lrs : step sizes (> 0).

    Examples
    --------
    >>> x = torch.linspace(0, 1, 32)[:, None]; net = Network.random([1, 8, 1], seed=0)
    >>> scan = step_size_scan(net, x, 2 * x, steps=5, lrs=[1e3, 1e-2])
    >>> scan.largest_safe_lr, scan.loss_after_safe <= scan.loss_before
    (0.01, True)
    """
    if not lrs or any(not lr > 0 for lr in lrs):
        raise ValueError(f"The 'lrs' parameter must be a non-empty list of step sizes > 0. Got {lrs!r} instead.")
    scan = None
    for lr in sorted(lrs, reverse=True):
        out = fit(net, x, y, loss="mse", optimizer="gd", lr=lr, steps=steps, dtype=dtype, desc=f"gd lr={lr:g}")
        before, after = out.losses[0] if out.losses else out.final_loss, out.final_loss
        if scan is None:
            scan = StepSizeScan(before, after, 0.0, after)
        if math.isfinite(after) and after <= before:
            scan.largest_safe_lr, scan.loss_after_safe = lr, after
            break
    return scan
