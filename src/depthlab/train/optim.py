"""Optimizers on stacked parameters (leading dimension M = models), the same arithmetic as torch.optim.

"gd" and "sgd" follow `torch.optim.SGD` (momentum buffer = grad at the first step, then
momentum * buf + grad; no dampening), "adam" follows `torch.optim.Adam` (betas 0.9, 0.999, eps 1e-8,
bias corrections). Every model that is still training takes every step, so Adam's step count is
shared. The learning rate is one float or one per model (M,). `select(keep)` drops the models that
stopped, `state_dict()` / `load_state_dict()` carry the state through checkpoints.
"""

from __future__ import annotations

import math

import torch

OPTIMIZERS: tuple[str, ...] = ("gd", "sgd", "adam")


def _scaled(lr: float | torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """lr * value with lr a float or one per model (M,) broadcast over value (M, ...)."""
    if isinstance(lr, float):
        return value * lr
    return value * lr.view(-1, *([1] * (value.ndim - 1)))


class StackedOptimizer:
    """Updates a list of stacked parameters in place from their gradients.

    Parameters
    ----------
    name : {"gd", "sgd", "adam"}
    lr : float or Tensor (M,)
    momentum : float, default=0.0
        For gd/sgd.
    """

    def __init__(self, name: str, lr: float | torch.Tensor, momentum: float = 0.0,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.name, self.lr, self.momentum, self.betas, self.eps = name, lr, float(momentum), betas, eps
        self.t = 0
        self.buffers: list[torch.Tensor] | None = None  # momentum, or Adam's first moment
        self.second: list[torch.Tensor] | None = None  # Adam's second moment

    @torch.no_grad()
    def step(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        """One update of every parameter (M, ...) from its gradient (M, ...)."""
        self.t += 1
        if self.name == "adam":
            self._adam(params, grads)
            return
        if self.momentum:
            if self.buffers is None:
                self.buffers = [g.clone() for g in grads]
            else:
                for buf, g in zip(self.buffers, grads):
                    buf.mul_(self.momentum).add_(g)
            grads = self.buffers
        for p, g in zip(params, grads):
            if isinstance(self.lr, float):
                p.add_(g, alpha=-self.lr)
            else:
                p.sub_(_scaled(self.lr, g))

    def _adam(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        beta1, beta2 = self.betas
        if self.buffers is None:
            self.buffers = [torch.zeros_like(p) for p in params]
            self.second = [torch.zeros_like(p) for p in params]
        correction1 = 1 - beta1**self.t
        correction2_sqrt = math.sqrt(1 - beta2**self.t)
        for p, g, m, v in zip(params, grads, self.buffers, self.second):
            m.lerp_(g, 1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = (v.sqrt() / correction2_sqrt).add_(self.eps)
            if isinstance(self.lr, float):
                p.addcdiv_(m, denom, value=-self.lr / correction1)
            else:
                p.sub_(_scaled(self.lr / correction1, m / denom))

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the models at indices `keep` (K,) in the state (and the per-model lr)."""
        if not isinstance(self.lr, float):
            self.lr = self.lr[keep]
        if self.buffers is not None:
            self.buffers = [b[keep] for b in self.buffers]
        if self.second is not None:
            self.second = [v[keep] for v in self.second]

    def state_dict(self) -> dict:
        """The state to save in a checkpoint (tensors on the CPU)."""
        lr = self.lr if isinstance(self.lr, float) else self.lr.cpu()
        return {"t": self.t, "lr": lr, "buffers": _moved(self.buffers, "cpu"), "second": _moved(self.second, "cpu")}

    def load_state_dict(self, state: dict, device: torch.device) -> None:
        """Restore `state_dict()` output onto `device`."""
        self.t = state["t"]
        self.lr = state["lr"] if isinstance(state["lr"], float) else state["lr"].to(device)
        self.buffers, self.second = _moved(state["buffers"], device), _moved(state["second"], device)


def _moved(tensors: list[torch.Tensor] | None, device) -> list[torch.Tensor] | None:
    return None if tensors is None else [t.to(device) for t in tensors]
