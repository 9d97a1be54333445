"""Optimizers on stacked parameters (leading dimension M = models): a table, each entry with its own settings.

Each optimizer is a class with its settings and their defaults (`settings`), its state, and the same
arithmetic as `torch.optim`:

- "gd": full-batch gradient descent (the training loop always uses the whole set), `torch.optim.SGD`'s update.
- "sgd": `torch.optim.SGD` (momentum buffer = grad at the first step, then momentum * buf + grad; no
  dampening; weight decay adds weight_decay * p to the gradient first).
- "adam": `torch.optim.Adam` (betas, eps, bias corrections; weight decay as L2 on the gradient, as torch).

Every model that is still training takes every step, so Adam's step count is shared. The learning rate is
one float or one per model (M,). `select(keep)` drops the models that stopped; `state_dict()` /
`load_state_dict()` carry the state through checkpoints as tensors and plain values. A new setting is one
entry in its class's `settings` and the lines that use it.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch


def _scaled(lr: float | torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """lr * value with lr a float or one per model (M,) broadcast over value (M, ...)."""
    if isinstance(lr, float):
        return value * lr
    return value * lr.view(-1, *([1] * (value.ndim - 1)))


def _moved(tensors: list[torch.Tensor] | None, device) -> list[torch.Tensor] | None:
    return None if tensors is None else [t.to(device) for t in tensors]


def _unit_interval(name: str, value: Any, closed: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and (
        0 <= value <= 1 if closed else 0 <= value < 1)
    if not ok:
        raise ValueError(f"The '{name}' optimizer setting must be a number in [0, {'1]' if closed else '1)'}. "
                         f"Got {value!r} instead.")


def _non_negative(name: str, value: Any) -> None:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0):
        raise ValueError(f"The '{name}' optimizer setting must be a finite number >= 0. Got {value!r} instead.")


def _positive(name: str, value: Any) -> None:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0):
        raise ValueError(f"The '{name}' optimizer setting must be a finite number > 0. Got {value!r} instead.")


class StackedOptimizer:
    """The shared part: the learning rate, the step count, per-model state that `select` narrows.

    Subclasses declare `settings` (name -> (default, check)) and implement `_update`.
    """

    settings: ClassVar[dict[str, tuple[Any, Any]]] = {}
    full_batch: ClassVar[bool] = False  # True: the loop feeds the whole set at every step

    def __init__(self, lr: float | torch.Tensor, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.settings))
        if unknown:
            raise ValueError(f"Unknown optimizer setting(s) {unknown} for {type(self).__name__}. "
                             f"Valid settings: {', '.join(sorted(self.settings)) or 'none'}.")
        for name, (default, check) in self.settings.items():
            value = options.get(name, default)
            check(name, value)
            setattr(self, name, value)
        self.lr, self.t = lr, 0
        self.state: dict[str, list[torch.Tensor] | None] = {}

    @torch.no_grad()
    def step(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        """One update of every parameter (M, ...) from its gradient (M, ...)."""
        self.t += 1
        weight_decay = getattr(self, "weight_decay", 0.0)
        if weight_decay:
            grads = [g.add(p, alpha=weight_decay) for p, g in zip(params, grads)]
        self._update(params, grads)

    def _update(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        raise NotImplementedError

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the models at indices `keep` (K,) in the state (and the per-model lr)."""
        if not isinstance(self.lr, float):
            self.lr = self.lr[keep]
        self.state = {name: None if ts is None else [t[keep] for t in ts] for name, ts in self.state.items()}

    def state_dict(self) -> dict:
        """The state to save in a checkpoint (tensors on the CPU, plain values)."""
        lr = self.lr if isinstance(self.lr, float) else self.lr.cpu()
        return {"t": self.t, "lr": lr, "state": {name: _moved(ts, "cpu") for name, ts in self.state.items()}}

    def load_state_dict(self, state: dict, device: torch.device) -> None:
        """Restore `state_dict()` output onto `device`."""
        self.t = state["t"]
        self.lr = state["lr"] if isinstance(state["lr"], float) else state["lr"].to(device)
        self.state = {name: _moved(ts, device) for name, ts in state["state"].items()}


class SGD(StackedOptimizer):
    """`torch.optim.SGD`: p -= lr * (momentum buffer or gradient); weight decay adds weight_decay * p first."""

    settings = {"momentum": (0.0, _unit_interval), "weight_decay": (0.0, _non_negative)}

    def _update(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        if self.momentum:
            buffers = self.state.get("momentum_buffer")
            if buffers is None:
                buffers = [g.clone() for g in grads]
            else:
                for buf, g in zip(buffers, grads):
                    buf.mul_(self.momentum).add_(g)
            self.state["momentum_buffer"] = grads = buffers
        for p, g in zip(params, grads):
            if isinstance(self.lr, float):
                p.add_(g, alpha=-self.lr)
            else:
                p.sub_(_scaled(self.lr, g))


class GD(SGD):
    """Full-batch gradient descent: SGD's update on the whole training set at every step."""

    full_batch = True


class Adam(StackedOptimizer):
    """`torch.optim.Adam` (betas, eps, bias corrections; weight decay as L2 on the gradient, as torch does)."""

    settings = {"beta1": (0.9, _unit_interval), "beta2": (0.999, _unit_interval), "eps": (1e-8, _positive),
                "weight_decay": (0.0, _non_negative)}

    def _update(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        if self.state.get("exp_avg") is None:
            self.state["exp_avg"] = [torch.zeros_like(p) for p in params]
            self.state["exp_avg_sq"] = [torch.zeros_like(p) for p in params]
        correction1 = 1 - self.beta1**self.t
        correction2_sqrt = math.sqrt(1 - self.beta2**self.t)
        for p, g, m, v in zip(params, grads, self.state["exp_avg"], self.state["exp_avg_sq"]):
            m.lerp_(g, 1 - self.beta1)
            v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
            denom = (v.sqrt() / correction2_sqrt).add_(self.eps)
            if isinstance(self.lr, float):
                p.addcdiv_(m, denom, value=-self.lr / correction1)
            else:
                p.sub_(_scaled(self.lr / correction1, m / denom))


OPTIMIZERS: dict[str, type[StackedOptimizer]] = {"gd": GD, "sgd": SGD, "adam": Adam}


def make_optimizer(name: str, lr: float | torch.Tensor, options: dict[str, Any] | None = None) -> StackedOptimizer:
    """The optimizer `name` of the table with its settings checked (one-line ValueError naming a bad one).

    Parameters
    ----------
    name : {"gd", "sgd", "adam"}
    lr : float or Tensor (M,)
    options : dict, optional
        Settings of that optimizer (e.g. ``{"momentum": 0.9, "weight_decay": 1e-4}`` for sgd); see its `settings`.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"The 'optimizer' parameter must be one of {', '.join(OPTIMIZERS)}. Got {name!r} instead.")
    return OPTIMIZERS[name](lr, **(options or {}))
