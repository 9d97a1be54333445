"""Training a `Network`: full-batch gradient descent, SGD or Adam, with stopping rules and progress.

The network is trained as a `torch.nn.Sequential` (its exact equivalent) and returned as a new
`Network` of the input's dtype. Every random choice (mini-batch order) comes from `seed`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from depthlab.checks import as_tensor, check_features, check_int
from depthlab.lab.progress import progress
from depthlab.network import Network

LOSSES: tuple[str, ...] = ("mse", "cross_entropy")
OPTIMIZERS: tuple[str, ...] = ("gd", "sgd", "adam")


@dataclass
class FitResult:
    """What `fit` returns: the trained network and the loss after each step (on the batch used).

    diverged : the loss became NaN or infinite; training stopped there, `final_loss` is NaN and `net` is the
        starting network (a Network never holds non-finite parameters).
    """

    net: Network
    losses: list[float] = field(default_factory=list)
    steps_run: int = 0
    final_loss: float = float("nan")
    stopped_early: bool = False
    diverged: bool = False


def _check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"The '{name}' parameter must be one of {', '.join(choices)}. Got {value!r} instead.")
    return value


def _targets(y: torch.Tensor, loss: str, n: int, n_out: int, dtype: torch.dtype) -> torch.Tensor:
    """Check targets: class indices (N,) for cross_entropy; (N, D_o) or (N,) values for mse."""
    if y.shape[0] != n:
        raise ValueError(f"The 'y' parameter must have {n} rows like 'x'. Got {tuple(y.shape)} instead.")
    if loss == "cross_entropy":
        y = y.long()
        if y.ndim != 1 or (y.numel() and (y.min() < 0 or y.max() >= n_out)):
            raise ValueError(
                f"For cross_entropy, 'y' must be class indices in [0, {n_out}) of shape (N,). "
                f"Got shape {tuple(y.shape)}."
            )
        return y
    y = y.to(dtype).reshape(n, -1)  # (N, D_o)
    if y.shape[1] != n_out:
        raise ValueError(f"For mse, 'y' must have {n_out} column(s) like the network output. Got {y.shape[1]}.")
    return y


def loss_function(loss: str) -> torch.nn.Module:
    """The torch loss module for `loss` ("mse" = mean over all entries, "cross_entropy" = mean over rows)."""
    return torch.nn.MSELoss() if _check_choice(loss, "loss", LOSSES) == "mse" else torch.nn.CrossEntropyLoss()


def _optimizer(name: str, params, lr: float, momentum: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    return torch.optim.SGD(params, lr=lr, momentum=momentum)


def fit(
    net: Network,
    x,
    y,
    *,
    loss: str = "mse",
    optimizer: str = "adam",
    lr: float = 1e-3,
    steps: int = 1000,
    batch_size: int | None = None,
    momentum: float = 0.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    target_loss: float | None = None,
    target_accuracy: float | None = None,
    desc: str = "",
) -> FitResult:
    """Train `net` on (x, y) and return the trained copy with its loss history.

    Parameters
    ----------
    net : Network
        Initial network (not modified).
    x : array-like, shape (N, D_i)
    y : array-like, shape (N,) class indices for cross_entropy, (N, D_o) or (N,) targets for mse.
    loss : {"mse", "cross_entropy"}, default="mse"
    optimizer : {"gd", "sgd", "adam"}, default="adam"
        "gd" is full-batch gradient descent (batch_size ignored); "sgd" uses mini-batches.
    lr : float, default=1e-3
    steps : int, default=1000
        Number of parameter updates.
    batch_size : int or None, default=None
        Mini-batch size for "sgd"/"adam"; None means full batch.
    seed : int, default=0
        Seeds the mini-batch order.
    dtype : torch.dtype, default=torch.float32
        Precision of training; the returned network has `net`'s dtype.
    target_loss : float or None
        Stop as soon as the full-batch loss at a step is <= this value.
    target_accuracy : float or None
        With cross_entropy and full batches: stop as soon as the training accuracy measured before a
        step (on the same forward pass) is >= this value; `steps_run` then counts the updates needed.

    Examples
    --------
    >>> import torch
    >>> x = torch.linspace(-1, 1, 64)[:, None]; y = x.abs()
    >>> out = fit(Network.random([1, 8, 1], seed=0), x, y, steps=300, lr=1e-2)
    >>> out.final_loss < out.losses[0]
    True
    """
    _check_choice(loss, "loss", LOSSES)
    _check_choice(optimizer, "optimizer", OPTIMIZERS)
    check_int(steps, "steps", 0)
    x = check_features(as_tensor(x, "x", dtype), "x", net.input_dim)  # (N, D_i)
    y = _targets(as_tensor(y, "y", torch.float64), loss, x.shape[0], net.output_dim, dtype)
    full_batch = optimizer == "gd" or batch_size is None or batch_size >= x.shape[0]
    model = net.to(dtype).to_torch()
    opt = _optimizer(optimizer, model.parameters(), lr, momentum)
    criterion = loss_function(loss)
    generator = torch.Generator().manual_seed(int(seed))
    result = FitResult(net=net)
    order, cursor = torch.randperm(x.shape[0], generator=generator), 0
    for _ in progress(range(steps), desc=desc or f"fit {net}", total=steps, unit="step"):
        if full_batch:
            xb, yb = x, y
        else:
            if cursor + batch_size > x.shape[0]:
                order, cursor = torch.randperm(x.shape[0], generator=generator), 0
            idx = order[cursor : cursor + batch_size]
            cursor += batch_size
            xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        output = model(xb)  # (B, D_o)
        if target_accuracy is not None and full_batch and loss == "cross_entropy":
            if float((output.argmax(dim=1) == yb).double().mean()) >= target_accuracy:
                result.stopped_early = True
                break
        batch_loss = criterion(output, yb)
        if not math.isfinite(float(batch_loss.detach())):
            result.losses.append(float(batch_loss.detach()))
            result.stopped_early = result.diverged = True
            break
        batch_loss.backward()
        opt.step()
        result.losses.append(float(batch_loss.detach()))
        result.steps_run += 1
        if target_loss is not None and full_batch and result.losses[-1] <= target_loss:
            result.stopped_early = True
            break
    with torch.no_grad():
        result.final_loss = float(criterion(model(x), y))
        finite = all(bool(torch.isfinite(p).all()) for p in model.parameters())
    if result.diverged or not finite or not math.isfinite(result.final_loss):
        result.diverged, result.final_loss = True, float("nan")
        return result  # result.net is still the starting network
    result.net = Network.from_torch(model).to(net.dtype)
    return result


def evaluate_loss(net: Network, x, y, loss: str = "mse") -> float:
    """Mean loss of `net` on (x, y) in the network's dtype."""
    x = check_features(as_tensor(x, "x", net.dtype), "x", net.input_dim)
    y = _targets(as_tensor(y, "y", torch.float64), loss, x.shape[0], net.output_dim, net.dtype)
    with torch.no_grad():
        return float(loss_function(loss)(net(x), y))


def accuracy(net: Network, x, y) -> float:
    """Fraction of rows whose argmax output equals the class index y. x: (N, D_i), y: (N,)."""
    x = check_features(as_tensor(x, "x", net.dtype), "x", net.input_dim)
    y = torch.as_tensor(y).long()
    if x.shape[0] == 0:
        return float("nan")
    with torch.no_grad():
        return float((net(x).argmax(dim=1) == y).double().mean())


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
