"""Losses and accuracy for one model or M stacked models, and the checks on their targets.

Per-model losses take outputs (M, N, D_o) and return (M,): the loss of each model on its own rows,
so the gradient of their sum with respect to model m's parameters is the gradient of model m's loss.

- "mse": mean over all entries of (output - y)^2 (torch.nn.MSELoss).
- "cross_entropy": mean over rows of -log softmax(output)[y] (torch.nn.CrossEntropyLoss), y class indices.
- "mse_logits": mean over rows of 0.5 ||output - z||^2 with z the teacher's logits (Ba & Caruana 2014's mimic
  objective); accuracy is agreement of the argmax with the teacher's argmax.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from depthlab.checks import InputError

LOSSES: tuple[str, ...] = ("mse", "cross_entropy", "mse_logits")
CLASSIFYING: tuple[str, ...] = ("cross_entropy", "mse_logits")


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    """Return `value` if it is one of `choices`, else raise a one-line ValueError."""
    if value not in choices:
        raise InputError(f"The '{name}' parameter must be one of {', '.join(choices)}. Got {value!r} instead.")
    return value


class MSELogitsLoss(torch.nn.Module):
    """Mean over rows of 0.5 ||output - z||^2. output, z: (N, D_o) -> scalar."""

    def forward(self, output: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return 0.5 * (output - z).square().sum(dim=-1).mean()


def loss_function(loss: str) -> torch.nn.Module:
    """The torch loss module for `loss` ("mse", "cross_entropy" or "mse_logits"; see the module docstring)."""
    modules = {"mse": torch.nn.MSELoss, "cross_entropy": torch.nn.CrossEntropyLoss, "mse_logits": MSELogitsLoss}
    return modules[check_choice(loss, "loss", LOSSES)]()


def check_targets(y: torch.Tensor, loss: str, n: int, n_out: int, dtype: torch.dtype, n_models: int | None = None):
    """Check targets against N rows and D_o outputs; return them shared or per model.

    cross_entropy: class indices (N,) shared or (M, N) per model -> long.
    mse, mse_logits: (N,) or (N, D_o) shared -> (N, D_o); (M, N, D_o) per model.
    `n_models` is M when a batch is trained (per-model targets allowed), None for one network.
    """
    rows = y.shape[1] if (n_models is not None and y.ndim == (2 if loss == "cross_entropy" else 3)) else y.shape[0]
    if y.ndim == 0 or rows != n:
        raise InputError(f"The 'y' parameter must have {n} rows like 'x'. Got {tuple(y.shape)} instead.")
    per_model = n_models is not None and y.ndim == (2 if loss == "cross_entropy" else 3)
    if per_model and y.shape[0] != n_models:
        raise InputError(f"The 'y' parameter must hold one target set per model ({n_models}). Got {y.shape[0]}.")
    if loss == "cross_entropy":
        if y.is_floating_point() and y.numel() and bool((y != y.round()).any()):
            raise InputError(f"For cross_entropy, 'y' must be class indices (whole numbers) in [0, {n_out}). Got "
                             f"fractional values such as {float(y[y != y.round()][0])!r}.")
        y = y.long()
        if y.ndim != (2 if per_model else 1) or (y.numel() and (y.min() < 0 or y.max() >= n_out)):
            raise InputError(
                f"For cross_entropy, 'y' must be class indices in [0, {n_out}) of shape (N,) or (M, N). "
                f"Got shape {tuple(y.shape)}."
            )
        return y
    y = y.to(dtype) if per_model else y.to(dtype).reshape(n, -1)  # (M, N, D_o) or (N, D_o)
    if y.shape[-1] != n_out:
        raise InputError(f"For {loss}, 'y' must have {n_out} column(s) like the network output. Got {y.shape[-1]}.")
    return y


def per_model_loss(output: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """Loss of each model. output: (M, B, D_o); y: (M, B) indices or (M, B, D_o) values -> (M,)."""
    if loss == "cross_entropy":
        m, b, c = output.shape
        return F.cross_entropy(output.reshape(m * b, c), y.reshape(m * b), reduction="none").view(m, b).mean(1)
    if loss == "mse":
        return (output - y).square().mean(dim=(1, 2))
    return 0.5 * (output - y).square().sum(dim=2).mean(dim=1)


def first_argmax(values: torch.Tensor, dim: int) -> torch.Tensor:
    """`values.argmax(dim)` (the first index of the maximum), from vectorized max reductions.

    torch's CPU argmax is not vectorized (40x slower than amax on (64, 10, 4000)); this gives the same
    indices, ties included (the first maximum wins; rows with NaN get an index out of range).
    """
    n = values.shape[dim]
    shape = [1] * values.ndim
    shape[dim] = n
    countdown = torch.arange(n, 0, -1, dtype=values.dtype, device=values.device).view(shape)  # n, n-1, ..., 1
    is_top = values == values.amax(dim=dim, keepdim=True)
    return n - (is_top * countdown).amax(dim=dim).long()


def per_model_correct(output: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor | None:
    """Rows classified right, per model (M,) int64; None for mse (no classes). output (M, B, D_o)."""
    if loss == "cross_entropy":
        return (first_argmax(output, 2) == y).sum(dim=1)
    if loss == "mse_logits":
        return (first_argmax(output, 2) == first_argmax(y, 2)).sum(dim=1)
    return None


def per_model_accuracy(output: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor | None:
    """Fraction of rows classified right, per model (M,) float64; None for mse (no classes). output (M, B, D_o)."""
    correct = per_model_correct(output, y, loss)
    return None if correct is None else correct.double() / output.shape[1]


def constant_predictor_loss(y: torch.Tensor, loss: str, n_out: int) -> torch.Tensor:
    """The loss of the best model that ignores its input (no better than untrained), on targets `y`.

    cross_entropy: the entropy of the label frequencies (the loss of predicting them); mse: the mean variance
    of the target columns; mse_logits: half the summed variance of the teacher's logits.

    Parameters
    ----------
    y : Tensor
        Targets as the loop holds them: (N,) or (M, N) class indices; (N, D_o) or (M, N, D_o) values.
    loss : {"mse", "cross_entropy", "mse_logits"}
    n_out : int
        Classes (cross_entropy).

    Returns
    -------
    Tensor
        () for shared targets, (M,) for per-model targets; float64.
    """
    if loss == "cross_entropy":
        counts = F.one_hot(y.long(), n_out).sum(dim=-2).double()  # (C,) or (M, C)
        p = counts / counts.sum(dim=-1, keepdim=True)
        return -torch.xlogy(p, p).sum(dim=-1)
    deviations = (y.double() - y.double().mean(dim=-2, keepdim=True)).square()  # (..., N, D_o)
    if loss == "mse":
        return deviations.mean(dim=(-2, -1))
    return 0.5 * deviations.sum(dim=-1).mean(dim=-1)
