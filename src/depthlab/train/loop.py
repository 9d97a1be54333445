"""The one training loop: `fit_many` trains M same-shaped models together; `fit` is its M = 1 case.

A model is anything with a batch form holding stacked parameters (`NetworkBatch` for `Network`,
`ResidualBatch` for `ResidualNetwork`). Each step runs one forward over all models still training,
takes per-model losses (M,), gets the gradients (autograd, or the hand-written backward of
`depthlab.train.fused` for ReLU MLPs), and updates with a stacked optimizer (`depthlab.train.optim`).
A model that meets its stopping rule is dropped from the working tensors (it stops updating); the rest
go on until all have stopped or the step budget is spent.

Checkpoints: with `checkpoint=PATH`, the state (parameters, optimizer state, step, histories, generator
states) is written atomically every `checkpoint_every` seconds, on Ctrl-C, and at the end; calling
again with the same models, data and settings resumes from it (or returns the finished results).
"""

from __future__ import annotations

import contextlib
import inspect
import math
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from depthlab.checks import InputError, as_tensor, check_int, check_number, check_seed
from depthlab.models.protocol import Batch, Model, as_batch
from depthlab.progress import progress
from depthlab.train.checkpoint import checkpoint_error, fingerprint, load_checkpoint, save_checkpoint
from depthlab.train.losses import (
    CLASSIFYING,
    LOSSES,
    check_choice,
    check_targets,
    constant_predictor_loss,
    per_model_accuracy,
    per_model_loss,
)
from depthlab.train.optim import OPTIMIZERS, make_optimizer

STOP_REASONS: tuple[str, ...] = ("steps", "target_accuracy", "target_loss", "time_budget", "diverged")
BACKWARDS: tuple[str, ...] = ("auto", "autograd", "manual")


@dataclass
class FitResult:
    """What `fit` returns (one per model for `fit_many`).

    net : the trained model, in the dtype it came in.
    losses : training loss (on the batch used) at each recorded step, before that step's update.
    accuracies : training accuracy at the same steps (cross_entropy, mse_logits; empty for mse).
    history_steps : the step (0-based update index) of each recorded entry; every `history_every`-th.
    steps_run : updates this model took.  epochs_run : steps_run / batches per epoch.
    final_loss, final_accuracy : on the whole training set after training (accuracy nan for mse, and for a
        diverged model).
    initial_loss : on the whole training set before the first update (the starting model's loss).
    chance_loss : the loss of the best model that ignores its input (`losses.constant_predictor_loss`): a final
        loss not below it means the model learned nothing from its input (`depthlab.train.divergence`).
    stopped_early : True when a target, the time budget or divergence stopped it.  stop_reason : one of STOP_REASONS.
    diverged : the loss became NaN or infinite (that step's loss is the last one recorded, no update was made), or
        the trained parameters are not finite; `final_loss` is then NaN and `net` the starting model (a Network
        never holds non-finite parameters).
    seconds : wall time of the whole call (shared by the models trained together).
    """

    net: object
    losses: list[float] = field(default_factory=list)
    steps_run: int = 0
    final_loss: float = float("nan")
    stopped_early: bool = False
    accuracies: list[float] = field(default_factory=list)
    history_steps: list[int] = field(default_factory=list)
    epochs_run: float = 0.0
    final_accuracy: float = float("nan")
    stop_reason: str = "steps"
    seconds: float = 0.0
    diverged: bool = False
    initial_loss: float = float("nan")
    chance_loss: float = float("nan")


def fit(net, x, y, **options) -> FitResult:
    """Train one model on (x, y) and return the trained copy with its history.

    The M = 1 case of `fit_many` (same loop, same options). `net` is a `Network` or a `ResidualNetwork`.

    Examples
    --------
    >>> import torch
    >>> from depthlab import Network
    >>> x = torch.linspace(-1, 1, 64)[:, None]; y = x.abs()
    >>> out = fit(Network.random([1, 8, 1], seed=0), x, y, steps=300, lr=1e-2)
    >>> out.final_loss < out.losses[0]
    True
    """
    if isinstance(net, Batch) or not isinstance(net, Model):
        raise InputError(
            f"The 'net' parameter must be a Network or ResidualNetwork (use fit_many for batches). "
            f"Got {type(net).__name__} instead."
        )
    result = _train([net], x, y, shared_only=True, **options)[0]
    if result.diverged:
        result.net = net  # the starting network itself
    return result


def fit_many(
    nets,
    x,
    y,
    *,
    loss: str = "mse",
    optimizer: str = "adam",
    lr: float | Sequence[float] = 1e-3,
    steps: int = 1000,
    epochs: int | None = None,
    batch_size: int | None = None,
    momentum: float = 0.0,
    optimizer_options: dict | None = None,
    seed: int | Sequence[int] = 0,
    dtype: torch.dtype = torch.float32,
    target_loss: float | None = None,
    target_accuracy: float | None = None,
    time_budget: float | None = None,
    history_every: int = 1,
    device: str = "cpu",
    backward: str = "auto",
    checkpoint: str | Path | None = None,
    checkpoint_every: float = 60.0,
    desc: str = "",
) -> list[FitResult]:
    """Train M same-shaped models together; return one `FitResult` per model, as `fit` would alone.

    Parameters
    ----------
    nets : list of Network, list of ResidualNetwork, NetworkBatch or ResidualBatch
        Initial models (not modified), all of one shape.
    x : array-like, shape (N, D_i) shared by all models, or (M, N, D_i) one input set per model.
    y : array-like
        cross_entropy: class indices (N,) or (M, N). mse / mse_logits: (N,), (N, D_o) or (M, N, D_o).
    loss : {"mse", "cross_entropy", "mse_logits"}, default="mse"
    optimizer : {"gd", "sgd", "adam"}, default="adam"
        "gd" is full-batch gradient descent (batch_size ignored); "sgd" and "adam" use `batch_size`.
    lr : float or list of M floats, default=1e-3
    steps : int, default=1000
        Most updates per model.
    epochs : int or None
        If given, replaces `steps` by epochs x batches per epoch (N // batch_size; 1 for full batch).
    batch_size : int or None
        Mini-batch size; None means full batch. Batches are drawn without replacement, reshuffled
        when fewer than `batch_size` rows are left.
    momentum : float, default=0.0
        For gd / sgd; the same as ``optimizer_options={"momentum": momentum}``.
    optimizer_options : dict, optional
        Settings of the chosen optimizer (`depthlab.train.optim.OPTIMIZERS`): gd / sgd ``momentum``,
        ``weight_decay``; adam ``beta1``, ``beta2``, ``eps``, ``weight_decay``. Unknown or out-of-range
        settings raise a one-line ValueError.
    seed : int or list of M ints, default=0
        Seeds the mini-batch order: one int shares the order among the models (as `fit` with that
        seed); a list gives each model its own.
    dtype : torch.dtype, default=torch.float32
        Precision of training; returned models have their input dtype.
    target_loss : float or None
        A model stops after the update whose (pre-update) full-batch loss is <= this.
    target_accuracy : float or None
        cross_entropy / mse_logits: a model stops, without updating, at the first step whose training
        accuracy (same forward pass) is >= this; `steps_run` is then the updates it needed.
        With mini-batches both targets are checked on the whole training set after each epoch.
    time_budget : float or None
        Seconds of wall time; when spent, every model still training stops ("time_budget").
    history_every : int, default=1
        Record loss and accuracy every this many steps.
    device : str, default="cpu"
        "cpu" or "cuda" (or "cuda:N") when available.
    backward : {"auto", "autograd", "manual"}, default="auto"
        "manual" uses the hand-written backward of `depthlab.train.fused` (ReLU/identity MLPs with a
        NetworkBatch); "auto" picks it when it applies.
    checkpoint : path or None
        Where to save the run's state; an existing checkpoint of the same run is resumed.
    checkpoint_every : float, default=60.0
        Seconds between checkpoints (also saved on Ctrl-C and at the end).
    desc : str
        Progress-bar label.

    Examples
    --------
    >>> from depthlab.train import NetworkBatch
    >>> x = torch.randn(64, 3, generator=torch.Generator().manual_seed(0)); y = (x[:, 0] > 0).long()
    >>> results = fit_many(NetworkBatch.random([3, 8, 2], seeds=[0, 1, 2]), x, y, loss="cross_entropy", steps=50)
    >>> [r.steps_run for r in results]
    [50, 50, 50]
    """
    options = {name: value for name, value in locals().items() if name in _OPTIONS}
    return _train(nets, x, y, **options)


_OPTIONS: dict = {name: p.default for name, p in inspect.signature(fit_many).parameters.items()
                  if p.kind is inspect.Parameter.KEYWORD_ONLY}  # option -> default, read off fit_many's signature


# ---------------------------------------------------------------------------------------- set-up
def _check_device(device: str) -> torch.device:
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise InputError(f"The 'device' parameter must be 'cpu' or 'cuda'. Got {device!r} instead.") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"The 'device' parameter asks for {device!r}, but CUDA is not available on this machine.")
    if resolved.type not in ("cpu", "cuda"):
        raise InputError(f"The 'device' parameter must be 'cpu' or 'cuda'. Got {device!r} instead.")
    return resolved


def _check_options(o: dict, n_models: int) -> None:
    check_choice(o["loss"], "loss", LOSSES)
    check_choice(o["optimizer"], "optimizer", OPTIMIZERS)
    make_optimizer(o["optimizer"], 1.0, _optimizer_options(o))  # its settings, checked before any work
    check_choice(o["backward"], "backward", BACKWARDS)
    check_int(o["steps"], "steps", 0)
    check_int(o["history_every"], "history_every", 1)
    if o["epochs"] is not None:
        check_int(o["epochs"], "epochs", 0)
    if o["batch_size"] is not None:
        check_int(o["batch_size"], "batch_size", 1)
    lrs = o["lr"] if isinstance(o["lr"], (list, tuple)) else [o["lr"]]
    if len(lrs) not in (1, n_models) or not all(isinstance(v, (int, float)) and 0 < v < math.inf for v in lrs):
        raise InputError(f"The 'lr' parameter must be a float > 0 or {n_models} of them. Got {o['lr']!r} instead.")
    seeds = o["seed"] if isinstance(o["seed"], (list, tuple)) else [o["seed"]]
    if len(seeds) not in (1, n_models):
        raise InputError(f"The 'seed' parameter must be an int or {n_models} ints. Got {o['seed']!r} instead.")
    for seed in seeds:
        check_seed(seed)
    if not (isinstance(o["dtype"], torch.dtype) and o["dtype"].is_floating_point):
        raise InputError(f"The 'dtype' parameter must be a floating-point torch dtype (torch.float32, torch.float64). "
                         f"Got {o['dtype']!r} instead.")
    if o["target_loss"] is not None:
        check_number(o["target_loss"], "target_loss")
    if o["target_accuracy"] is not None:
        check_number(o["target_accuracy"], "target_accuracy", 0.0, 1.0)
    if o["target_accuracy"] is not None and o["loss"] not in CLASSIFYING:
        raise InputError(
            f"The 'target_accuracy' parameter needs a classifying loss ({', '.join(CLASSIFYING)}). "
            f"Got loss={o['loss']!r}."
        )
    if o["time_budget"] is not None and not o["time_budget"] > 0:
        raise InputError(f"The 'time_budget' parameter must be seconds > 0. Got {o['time_budget']!r} instead.")


def _optimizer_options(o: dict) -> dict:
    """The optimizer's settings: `optimizer_options`, with the `momentum` argument (kept for old calls) merged in."""
    options = dict(o["optimizer_options"] or {})
    if o["momentum"]:
        options.setdefault("momentum", o["momentum"])
    return options


def _inputs(batch, x, y, loss: str, dtype: torch.dtype, shared_only: bool):
    """Checked x (N, D_i) or (M, N, D_i) and targets, in the training dtype."""
    x = as_tensor(x, "x", dtype)
    m, d_in = len(batch), batch.input_dim
    if x.ndim == 1 and x.shape[0] == d_in:
        x = x[None]
    shared = x.ndim == 2 and x.shape[1] == d_in
    if not (shared or (not shared_only and x.ndim == 3 and x.shape[0] == m and x.shape[2] == d_in)):
        shapes = f"(N, {d_in})" if shared_only else f"(N, {d_in}) or ({m}, N, {d_in})"
        raise InputError(f"The 'x' parameter must have shape {shapes}. Got {tuple(x.shape)} instead.")
    n = x.shape[-2]
    if n == 0:
        raise InputError("The 'x' parameter must hold at least one example (row). Got none.")
    y = check_targets(as_tensor(y, "y", torch.float64), loss, n, batch.output_dim, dtype, None if shared_only else m)
    return x, y


# ---------------------------------------------------------------------------------------- the run
class _Mismatch(ValueError):
    """A checkpoint's content does not fit the run (the message names what)."""


class _Run:
    """Working state: the models still training (`active`, original indices) and everything per model."""

    def __init__(self, batch, x, y, o: dict, device: torch.device) -> None:
        self.o, self.device, self.template = o, device, batch
        m = len(batch)
        self.n = x.shape[-2]
        self.x_per_model, self.y_per_model = x.ndim == 3, y.ndim == (2 if o["loss"] == "cross_entropy" else 3)
        self.x, self.y = x.to(device), y.to(device)
        self.x_all, self.y_all = self.x, self.y  # the whole set of every model, for the final evaluation
        self.batch_size = o["batch_size"]
        self.full_batch = OPTIMIZERS[o["optimizer"]].full_batch or self.batch_size is None or self.batch_size >= self.n
        self.per_epoch = 1 if self.full_batch else self.n // self.batch_size
        self.total = o["steps"] if o["epochs"] is None else o["epochs"] * self.per_epoch
        self.manual = _use_manual(batch, o)
        self.params = [p.detach().to(device=device, dtype=o["dtype"]).clone() for p in batch.parameters()]
        if self.manual:  # the hand-written step works on augmented parameters [Omega | beta | 0], one per layer
            from depthlab.train.fused import FusedMLP, augment

            self.engine = FusedMLP.for_batch(batch, o["dtype"], device)
            self.params = augment(self.params)
        else:
            self.params = [p.requires_grad_() for p in self.params]
        self.active = torch.arange(m)
        self.finished: dict[int, list[torch.Tensor]] = {}
        self.results = [FitResult(net=None) for _ in range(m)]
        lr = o["lr"]
        lr = float(lr[0]) if isinstance(lr, (list, tuple)) and len(set(lr)) == 1 else lr
        lr = torch.tensor(lr, dtype=o["dtype"], device=device) if isinstance(lr, (list, tuple)) else float(lr)
        self.optimizer = make_optimizer(o["optimizer"], lr, _optimizer_options(o))
        seeds = o["seed"] if isinstance(o["seed"], (list, tuple)) else [o["seed"]]
        self.shared_order = len(seeds) == 1
        self.generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
        self.orders = [torch.randperm(self.n, generator=g) for g in self.generators] if not self.full_batch else []
        self.cursor = 0
        self.step, self.elapsed = 0, 0.0

    # -------------------------------------------------------------- data of one step
    def _rows(self) -> torch.Tensor | None:
        """Row indices of the next mini-batch: (B,) shared or (K, B) per model; None for full batch."""
        if self.full_batch:
            return None
        if self.cursor + self.batch_size > self.n:
            self.orders = [torch.randperm(self.n, generator=g) for g in self.generators]
            self.cursor = 0
        rows = [order[self.cursor : self.cursor + self.batch_size] for order in self.orders]
        self.cursor += self.batch_size
        return rows[0].to(self.device) if self.shared_order else torch.stack(rows).to(self.device)  # (B,) / (K, B)

    def _select(self, data: torch.Tensor, per_model: bool, rows: torch.Tensor | None) -> torch.Tensor:
        """The step's rows of x or y; per-model data comes with leading K (models still training)."""
        if rows is None:
            return data
        if rows.ndim == 1:
            return data[:, rows] if per_model else data[rows]
        if per_model:
            return data[torch.arange(rows.shape[0], device=self.device)[:, None], rows]  # (K, B, ...)
        return data[rows]  # (K, B, ...)

    def batch_data(self):
        rows = self._rows()
        xb = self._select(self.x, self.x_per_model, rows)  # (B, D_i) or (K, B, D_i)
        yb = self._select(self.y, self.y_per_model, rows)
        return xb, self._expand_targets(yb, len(self.active))

    def _expand_targets(self, y: torch.Tensor, k: int) -> torch.Tensor:
        per_model = y.ndim == (2 if self.o["loss"] == "cross_entropy" else 3)
        return y if per_model else y.expand(k, *y.shape)  # (K, B) or (K, B, D_o)

    # -------------------------------------------------------------- gradients
    def loss_and_grads(self, xb: torch.Tensor, yb: torch.Tensor):
        """(per-model losses (K,), training accuracy (K,) or None, gradients like self.params)."""
        if self.manual:
            return self.engine.loss_and_grads(self.params, xb, yb, self.o["loss"])
        output = self.template.forward_with(self.params, xb)  # (K, B, D_o)
        losses = per_model_loss(output, yb, self.o["loss"])  # (K,)
        grads = torch.autograd.grad(losses.sum(), self.params)
        return losses.detach(), per_model_accuracy(output.detach(), yb, self.o["loss"]), list(grads)

    # -------------------------------------------------------------- stopping
    def stop(self, positions: list[int], reason: str | list[str]) -> None:
        """Models at these positions of the working set stop: keep their parameters, drop them from the run."""
        if not positions:
            return
        reasons = [reason] * len(positions) if isinstance(reason, str) else reason
        for pos, why in zip(positions, reasons):
            m = int(self.active[pos])
            self.finished[m] = [p[pos].detach().cpu().clone() for p in self.standard_params()]
            self.results[m].stop_reason = why
            self.results[m].stopped_early = why != "steps"
        keep = torch.tensor([i for i in range(len(self.active)) if i not in set(positions)], dtype=torch.long)
        self.active = self.active[keep]
        keep_dev = keep.to(self.device)
        self.params = [p.detach()[keep_dev].clone() for p in self.params]
        if not self.manual:
            self.params = [p.requires_grad_() for p in self.params]
        self.optimizer.select(keep_dev)
        if self.x_per_model:
            self.x = self.x[keep_dev]
        if self.y_per_model:
            self.y = self.y[keep_dev]
        if not self.shared_order:
            self.generators = [self.generators[i] for i in keep.tolist()]
            self.orders = [self.orders[i] for i in keep.tolist()] if self.orders else []

    def standard_params(self) -> list[torch.Tensor]:
        """The active models' parameters as the batch orders them, [Omega_0..Omega_K, beta_0..beta_K] (views)."""
        if self.manual:
            from depthlab.train.fused import standard

            return standard(self.params, self.template.widths)
        return self.params

    def evaluate(self, params=None, x=None, y=None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Per-model (loss, accuracy) on the whole training set for the models in `params` (default: active;
        given, in the batch's order)."""
        x = self.x if x is None else x
        with torch.no_grad():
            if self.manual:  # the same arithmetic as the training steps, so losses compare exactly
                from depthlab.train.fused import augment

                output = self.engine.forward(self.params if params is None else augment(params), x)  # (K, N, D_o)
            else:
                params = self.params if params is None else params
                output = self.template.forward_with([p.detach() for p in params], x)  # (K, N, D_o)
            y = self._expand_targets(self.y if y is None else y, output.shape[0])
            return per_model_loss(output, y, self.o["loss"]), per_model_accuracy(output, y, self.o["loss"])

    # -------------------------------------------------------------- checkpoints
    def state(self, done: bool) -> dict:
        """The run as plain data (tensors, lists, dicts, numbers): what a checkpoint holds."""
        return {
            "done": done, "step": self.step, "elapsed": self.elapsed, "active": self.active.clone(),
            "params": [p.detach().cpu().clone() for p in self.params], "finished": self.finished,
            "results": [{k: v for k, v in vars(r).items() if k != "net"} for r in self.results],
            "optimizer": self.optimizer.state_dict(),
            "generators": [g.get_state() for g in self.generators], "orders": self.orders,
            "cursor": self.cursor, "x": self.x.cpu() if self.x_per_model else None,
            "y": self.y.cpu() if self.y_per_model else None,
        }

    def restore(self, state: dict, path) -> None:
        """Continue from a checkpoint's `state()`; a state that does not fit this run is a `CheckpointError`."""
        try:
            self._check_state(state)
        except _Mismatch as error:
            raise checkpoint_error(path, f"its {error} do not fit these models") from None
        except (KeyError, TypeError, IndexError, ValueError, RuntimeError, AttributeError) as error:
            raise checkpoint_error(path, f"{type(error).__name__} while checking it") from None
        try:
            self._restore(state)
        except (KeyError, TypeError, IndexError, ValueError, RuntimeError, AttributeError) as error:
            raise checkpoint_error(path, f"{type(error).__name__} while restoring") from None

    def _check_state(self, state: dict) -> None:
        """Shapes and counts of a checkpoint against this run's models (raises _Mismatch when they differ)."""
        shapes = [tuple(p.shape[1:]) for p in self.template.parameters()]  # a finished model's parameters
        working = [tuple(p.shape[1:]) for p in self.params]  # what the run trains (augmented on the manual path)
        active = state["active"]
        if not (torch.is_tensor(active) and active.ndim == 1 and active.dtype == torch.long):
            raise _Mismatch("active")
        k, m = len(active), len(self.results)
        if k and (int(active.min()) < 0 or int(active.max()) >= m or len(set(active.tolist())) != k):
            raise _Mismatch("active")
        params = state["params"]
        if len(params) != len(working) or any(not torch.is_tensor(p) or tuple(p.shape) != (k, *s)
                                             for p, s in zip(params, working)):
            raise _Mismatch("parameter shapes")
        finished = state["finished"]
        if set(finished) | set(active.tolist()) != set(range(m)) or any(
                len(ps) != len(shapes) or any(tuple(p.shape) != s for p, s in zip(ps, shapes))
                for ps in finished.values()):
            raise _Mismatch("finished models")
        if len(state["results"]) != m or not all(isinstance(r, dict) for r in state["results"]):
            raise _Mismatch("results")
        if not isinstance(state["step"], int) or not 0 <= state["step"] <= self.total:
            raise _Mismatch("step")
        n_generators = 1 if self.shared_order else k
        generators, orders = state["generators"], state["orders"]
        if len(generators) != n_generators or len(orders) != (0 if self.full_batch else n_generators):
            raise _Mismatch("generators")
        if any(not torch.is_tensor(o) or tuple(o.shape) != (self.n,) for o in orders):
            raise _Mismatch("orders")
        for kept in state["optimizer"]["state"].values():  # per-parameter tensors (momentum, Adam's moments)
            if kept is not None and [tuple(b.shape) for b in kept] != [tuple(p.shape) for p in params]:
                raise _Mismatch("optimizer state")
        for name, per_model, data in (("x", self.x_per_model, self.x), ("y", self.y_per_model, self.y)):
            if per_model and tuple(state[name].shape) != (k, *data.shape[1:]):
                raise _Mismatch(name)

    def _restore(self, state: dict) -> None:
        self.step, self.elapsed, self.active = state["step"], float(state["elapsed"]), state["active"]
        self.params = [p.to(device=self.device, dtype=self.o["dtype"]) for p in state["params"]]
        if not self.manual:
            self.params = [p.requires_grad_() for p in self.params]
        self.finished = {int(m): list(ps) for m, ps in state["finished"].items()}
        self.results = [FitResult(net=None, **r) for r in state["results"]]
        self.optimizer.load_state_dict(state["optimizer"], self.device)
        self.generators = [torch.Generator() for _ in state["generators"]]
        for g, s in zip(self.generators, state["generators"]):
            g.set_state(s)
        self.orders, self.cursor = state["orders"], state["cursor"]
        if self.x_per_model:
            self.x = state["x"].to(self.device)
        if self.y_per_model:
            self.y = state["y"].to(self.device)


def _use_manual(batch, o: dict) -> bool:
    from depthlab.train.fused import manual_backward_applies

    applies = manual_backward_applies(batch)
    if o["backward"] == "manual" and not applies:
        raise InputError(
            "The 'backward' parameter is 'manual', which needs a NetworkBatch with relu, leaky_relu or identity. "
            f"Got {batch!r}."
        )
    return o["backward"] == "manual" or (o["backward"] == "auto" and applies)


def _train(nets, x, y, shared_only: bool = False, **options) -> list[FitResult]:
    o = dict(_OPTIONS)  # the defaults of fit_many, the one place they are stated
    unknown = set(options) - set(o)
    if unknown:
        raise TypeError(f"fit got unexpected option(s) {', '.join(sorted(unknown))}")
    o.update(options)
    batch = as_batch(nets)
    _check_options(o, len(batch))
    device = _check_device(o["device"])
    in_dtype = batch.dtype
    x, y = _inputs(batch, x, y, o["loss"], o["dtype"], shared_only)
    run = _Run(batch, x, y, o, device)
    key = None
    if o["checkpoint"] is not None:
        settings = {k: repr(v) for k, v in o.items() if k not in ("checkpoint", "checkpoint_every", "desc", "device")}
        settings["layout"] = "augmented" if run.manual else "batch"  # how the saved parameters are laid out
        key = fingerprint([*batch.parameters(), x, y], settings)
        saved = load_checkpoint(o["checkpoint"])
        if saved is not None:
            if saved.get("fingerprint") != key:
                raise checkpoint_error(o["checkpoint"], "a checkpoint of another run: different models, data or "
                                       "settings; or choose another path")
            run.restore(saved, o["checkpoint"])
    started = time.perf_counter()
    base = run.elapsed
    with _deferred_interrupt(key is not None) as interrupted:
        if run.active.numel():
            _loop(run, started, base, key, interrupted)
    run.elapsed = base + time.perf_counter() - started
    run.stop(list(range(len(run.active))), "steps")
    if key is not None:
        save_checkpoint({**run.state(done=True), "fingerprint": key}, o["checkpoint"])
    return _results(run, batch, in_dtype)


@contextlib.contextmanager
def _deferred_interrupt(active: bool):
    """While checkpointing, Ctrl-C (SIGINT) only sets a flag; the loop saves at the end of the step and then
    raises KeyboardInterrupt, so the checkpoint never holds a half-done update."""
    flag: list[bool] = []
    if not active or threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: flag.append(True))
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _loop(run: _Run, started: float, base: float, key: str | None, interrupted: list[bool]) -> None:
    o = run.o
    last_save = time.perf_counter()
    steps = range(run.step, run.total)
    desc = o["desc"] or f"fit {len(run.active)} x {run.template!r}"
    desc += f" (resumed at step {run.step})" if run.step else ""
    for step in progress(steps, desc=desc, total=len(steps), unit="step"):
        xb, yb = run.batch_data()
        losses, accuracy, grads = run.loss_and_grads(xb, yb)
        losses_list = losses.tolist()
        accuracy_list = accuracy.tolist() if accuracy is not None else None
        stopping = {}  # position -> reason, for models that stop before this update
        if o["target_accuracy"] is not None and run.full_batch:
            stopping = {i: "target_accuracy" for i, a in enumerate(accuracy_list) if a >= o["target_accuracy"]}
        stopping.update({i: "diverged" for i, v in enumerate(losses_list) if not math.isfinite(v)})
        for i, m in enumerate(run.active.tolist()):
            result = run.results[m]
            if stopping.get(i) == "target_accuracy":
                continue
            if step % o["history_every"] == 0 or i in stopping:  # a diverging step is always recorded
                result.history_steps.append(step)
                result.losses.append(losses_list[i])
                if accuracy_list is not None:
                    result.accuracies.append(accuracy_list[i])
            result.steps_run += i not in stopping
        if stopping:
            keep = [i for i in range(len(losses_list)) if i not in stopping]
            grads = [g[keep] for g in grads]
            losses_list = [losses_list[i] for i in keep]
            run.stop(sorted(stopping), [stopping[i] for i in sorted(stopping)])
            if not run.active.numel():
                run.step = step + 1
                break
        run.optimizer.step(run.params, grads)
        run.step = step + 1
        _after_update(run, losses_list)
        run.elapsed = base + time.perf_counter() - started
        if o["time_budget"] is not None and run.elapsed >= o["time_budget"]:
            run.stop(list(range(len(run.active))), "time_budget")
        if not run.active.numel():
            break
        if key is not None and (interrupted or time.perf_counter() - last_save >= o["checkpoint_every"]):
            save_checkpoint({**run.state(done=False), "fingerprint": key}, o["checkpoint"])
            last_save = time.perf_counter()
        if interrupted:
            raise KeyboardInterrupt(f"training interrupted at step {run.step}; checkpoint saved to {o['checkpoint']}")


def _after_update(run: _Run, losses_list: list[float]) -> None:
    """Targets after an update: the step's full-batch loss, or the whole set at the end of an epoch."""
    o = run.o
    if run.full_batch:
        if o["target_loss"] is not None:
            run.stop([i for i, v in enumerate(losses_list) if v <= o["target_loss"]], "target_loss")
        return
    if (o["target_loss"] is None and o["target_accuracy"] is None) or run.step % run.per_epoch:
        return
    losses, accuracy = run.evaluate()
    reasons = {}
    if o["target_loss"] is not None:
        reasons.update({i: "target_loss" for i, v in enumerate(losses.tolist()) if v <= o["target_loss"]})
    if o["target_accuracy"] is not None:
        reasons.update({i: "target_accuracy" for i, a in enumerate(accuracy.tolist()) if a >= o["target_accuracy"]})
    run.stop(sorted(reasons), [reasons[i] for i in sorted(reasons)])


def _results(run: _Run, batch, in_dtype: torch.dtype) -> list[FitResult]:
    """Final models, whole-set loss and accuracy, epochs, time."""
    m = len(batch)
    start = batch.parameters()
    final = [torch.stack([run.finished[i][k] for i in range(m)]).to(run.device) for k in range(len(start))]
    losses, accuracy = run.evaluate(final, run.x_all, run.y_all)
    finite = torch.stack([torch.isfinite(p.reshape(m, -1)).all(dim=1) for p in final]).all(dim=0)  # (M,)
    finite &= torch.isfinite(losses)
    initial, _ = run.evaluate([s.to(device=run.device, dtype=run.o["dtype"]) for s in start], run.x_all, run.y_all)
    chance = constant_predictor_loss(run.y_all, run.o["loss"], batch.output_dim).expand(m)  # (M,)
    kept = [torch.where(finite.view(-1, *[1] * (p.ndim - 1)).cpu(), p.cpu().to(in_dtype), s.to(in_dtype))
            for p, s in zip(final, start)]  # a diverged model hands back its starting parameters
    trained = batch.with_parameters(kept).to_networks()
    for i, result in enumerate(run.results):
        result.net = trained[i]
        if not bool(finite[i]):
            result.diverged = result.stopped_early = True
            result.stop_reason = "diverged"
        result.final_loss = float(losses[i]) if bool(finite[i]) else float("nan")
        result.final_accuracy = float(accuracy[i]) if accuracy is not None and bool(finite[i]) else float("nan")
        result.initial_loss, result.chance_loss = float(initial[i]), float(chance[i])
        result.epochs_run = result.steps_run / run.per_epoch
        result.seconds = run.elapsed
    return run.results
