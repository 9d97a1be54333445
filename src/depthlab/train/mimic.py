"""Mimic training (Ba & Caruana 2014): a student regresses a teacher's pre-softmax outputs (logits).

The student's loss is "mse_logits", the mean over rows of 0.5 ||student(x) - z(x)||^2 with z the teacher's
logits, trained by the one loop of `depthlab.train.loop` (`fit` for one student, `fit_many` for many).
A teacher is one model (`Network`, `ResidualNetwork`) or an ensemble: a list or tuple of models, or a
`NetworkBatch` / `ResidualBatch`, whose logits are averaged (Ba & Caruana's ensemble teacher).
Inputs may be augmented with unlabeled extra points (`extra_x`): the teacher labels them with its
logits, so the student sees the training inputs followed by the extra ones; no labels are used.
"""

from __future__ import annotations

import torch

from depthlab.checks import as_tensor
from depthlab.models.batch import NetworkBatch
from depthlab.models.network import Network
from depthlab.train.loop import FitResult, fit, fit_many


def _is_model(obj) -> bool:
    from depthlab.models.residual import ResidualNetwork

    return isinstance(obj, (Network, ResidualNetwork))


def _is_batch(obj) -> bool:
    from depthlab.models.residual import ResidualBatch

    return isinstance(obj, (NetworkBatch, ResidualBatch))


def _members(teacher) -> list:
    """The models of a teacher: [teacher] for one model, the list for an ensemble (batches stay whole)."""
    if _is_model(teacher) or _is_batch(teacher):
        return [teacher]
    if isinstance(teacher, (list, tuple)) and teacher and all(_is_model(t) or _is_batch(t) for t in teacher):
        return list(teacher)
    raise ValueError(
        "The 'teacher' parameter must be a Network, a ResidualNetwork, a NetworkBatch / ResidualBatch or a non-empty "
        f"list of them (an ensemble). Got {type(teacher).__name__} instead."
    )


def teacher_logits(teacher, x) -> torch.Tensor:
    """The teacher's pre-softmax outputs; an ensemble's are the mean of its members' outputs.

    Parameters
    ----------
    teacher : Network, ResidualNetwork, NetworkBatch, ResidualBatch, or list of these
        One model, or an ensemble (a batch is an ensemble of its M models; a list averages all its models).
    x : array-like, shape (N, D_i)

    Returns
    -------
    Tensor, shape (N, D_o), float64: sum over the ensemble's models of their outputs / number of models.

    Examples
    --------
    >>> a, b = Network.random([2, 4, 3], seed=0), Network.random([2, 4, 3], seed=1)
    >>> x = torch.randn(5, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    >>> torch.allclose(teacher_logits([a, b], x), (a(x) + b(x)) / 2)
    True
    """
    members = _members(teacher)
    x = as_tensor(x, "x", torch.float64)
    if x.ndim != 2 or any(m.input_dim != x.shape[1] for m in members):
        dims = sorted({m.input_dim for m in members})
        raise ValueError(f"The 'x' parameter must have shape (N, {dims[0]}) for this teacher. Got {tuple(x.shape)}.")
    if len({m.output_dim for m in members}) != 1:
        raise ValueError("The 'teacher' parameter's models must all have the same number of outputs.")
    total, count = None, 0
    with torch.no_grad():
        for member in members:
            out = member(x.to(member.dtype)).double()  # (N, D_o) or (M, N, D_o) for a batch
            summed, n = (out.sum(0), out.shape[0]) if _is_batch(member) else (out, 1)
            total = summed if total is None else total + summed
            count += n
    return total / count  # (N, D_o)


def _student_inputs(x, extra_x) -> torch.Tensor:
    """x (N, D_i) followed by the unlabeled extra points (N_extra, D_i) when given."""
    x = as_tensor(x, "x", torch.float64)
    if extra_x is None:
        return x
    extra = as_tensor(extra_x, "extra_x", torch.float64)
    if extra.ndim != 2 or x.ndim != 2 or extra.shape[1] != x.shape[1]:
        raise ValueError(
            f"The 'extra_x' parameter must have shape (N_extra, {x.shape[-1]}) like 'x'. Got {tuple(extra.shape)}."
        )
    return torch.cat([x, extra])  # (N + N_extra, D_i)


def mimic(teacher, student, x, *, extra_x=None, per_student: bool = False, **options) -> FitResult | list[FitResult]:
    """Train a student (or M students) to regress the teacher's logits on x (and the unlabeled extra_x).

    Parameters
    ----------
    teacher : model or ensemble (see `teacher_logits`); with `per_student`, a list of M of them.
    student : Network or ResidualNetwork (trained by `fit`), or a list / batch of M same-shaped ones
        (trained together by `fit_many`).
    x : array-like, shape (N, D_i)
        Training inputs; their labels are not used.
    extra_x : array-like, shape (N_extra, D_i), optional
        Unlabeled extra inputs appended to x; the teacher's logits on them are targets too.
    per_student : bool, default=False
        True: `teacher` lists one teacher per student, student m regresses teacher m's logits.
    **options
        Any option of `fit_many` (optimizer, lr, steps, batch_size, seed, checkpoint, ...) except `loss`,
        which is "mse_logits".

    Returns
    -------
    FitResult for one student, list of M FitResults for many. `final_accuracy` is the agreement of the
    student's argmax with the teacher's on the training inputs (x and extra_x).

    Examples
    --------
    >>> x = torch.randn(64, 3, generator=torch.Generator().manual_seed(0))
    >>> teacher = Network.random([3, 16, 16, 4], seed=0)
    >>> out = mimic(teacher, Network.random([3, 32, 4], seed=1), x, steps=200, lr=1e-2)
    >>> out.final_loss < out.losses[0]
    True
    """
    if "loss" in options:
        raise ValueError(f"The 'loss' option of mimic is always 'mse_logits'. Got loss={options['loss']!r}.")
    inputs = _student_inputs(x, extra_x)  # (N', D_i)
    many = not _is_model(student)
    if per_student:
        if not many or not isinstance(teacher, (list, tuple)) or len(teacher) != len(student):
            raise ValueError(
                "The 'teacher' parameter must list one teacher per student when per_student=True. "
                f"Got {type(teacher).__name__} for {type(student).__name__}."
            )
        targets = torch.stack([teacher_logits(t, inputs) for t in teacher])  # (M, N', D_o)
    else:
        targets = teacher_logits(teacher, inputs)  # (N', D_o)
    if not many:
        return fit(student, inputs, targets, loss="mse_logits", **options)
    return fit_many(student, inputs, targets, loss="mse_logits", **options)
