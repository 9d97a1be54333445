"""Input validation shared by the public entry points.

Messages follow one pattern: the parameter, the rule, and what was received. Every check raises
`InputError`, a `ValueError` that says "the caller's input is at fault" (the CLI's exit code 2); any other
exception escaping a run is a fault of depthlab (exit code 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from depthlab.models.network import Network


class InputError(ValueError):
    """A value given by the user (an argument, a config key, a file) breaks its rule; the message says which and
    how to fix it, in one line."""


def as_tensor(
    value: Any, name: str, dtype: torch.dtype = torch.float64, allow_nan: bool = False
) -> torch.Tensor:
    """Convert array-like `value` to a tensor of `dtype`, rejecting NaN and infinities."""
    try:
        tensor = torch.as_tensor(np.asarray(value) if not torch.is_tensor(value) else value)
    except (TypeError, ValueError) as error:
        kind = type(value).__name__
        raise InputError(f"The '{name}' parameter must be array-like of numbers. Got {kind}.") from error
    if tensor.is_complex() and not dtype.is_complex:
        raise InputError(f"The '{name}' parameter must hold real numbers. Got complex values ({tensor.dtype}).")
    tensor = tensor.to(dtype)
    if not allow_nan and tensor.is_floating_point() and not torch.isfinite(tensor).all():
        bad = int((~torch.isfinite(tensor)).sum())
        raise InputError(
            f"The '{name}' parameter contains {bad} NaN or infinite value(s); remove or impute them first."
        )
    return tensor


def check_features(x: torch.Tensor, name: str, n_features: int) -> torch.Tensor:
    """Check x has shape (B, n_features) or (n_features,); return it as (B, n_features)."""
    if x.ndim == 1 and x.shape[0] == n_features:
        return x.unsqueeze(0)
    if x.ndim != 2 or x.shape[1] != n_features:
        raise InputError(
            f"The '{name}' parameter must have shape (batch, {n_features}) or ({n_features},). "
            f"Got {tuple(x.shape)} instead."
        )
    return x


def check_int(value: Any, name: str, minimum: int = 0) -> int:
    """Return value as int if it is an integer >= minimum, else raise a one-line ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"The '{name}' parameter must be an int >= {minimum}. Got {value!r} instead.")
    return int(value)


SEED_RANGE = (-(2**63), 2**64)  # what torch.Generator.manual_seed accepts


def check_seed(seed: Any, name: str = "seed") -> int:
    """`seed` as an int that torch's and numpy's generators accept, else a one-line InputError."""
    low, high = SEED_RANGE
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not low <= int(seed) < high:
        raise InputError(f"The '{name}' parameter must be an int in [-2**63, 2**64). Got {seed!r} instead.")
    return int(seed)


def seeded_generator(seed: Any, name: str = "seed") -> torch.Generator:
    """A fresh `torch.Generator` seeded with `seed` (checked by `check_seed`)."""
    return torch.Generator().manual_seed(check_seed(seed, name))


def check_number(value: Any, name: str, minimum: float | None = None, maximum: float | None = None) -> float:
    """`value` as a float if it is a finite number in [minimum, maximum], else a one-line InputError."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and np.isfinite(value) and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not ok:
        bounds = " and ".join(t for t in (f">= {minimum}" if minimum is not None else "",
                                          f"<= {maximum}" if maximum is not None else "") if t)
        raise InputError(f"The '{name}' parameter must be a finite number{' ' + bounds if bounds else ''}. "
                         f"Got {value!r} instead.")
    return float(value)


def as_network(net: Any, name: str = "net") -> Network:
    """`net` as a float64 piecewise-linear `Network` (a torch module is converted), else a one-line ValueError.

    Parameters
    ----------
    net : Network or torch.nn.Sequential
        Its activation must be piecewise linear (a row of `depthlab.activations.ACTIVATION_TABLE` with kinks).
    name : str, default="net"
        The parameter's name in messages.
    """
    from torch import nn

    from depthlab.activations import PIECEWISE_LINEAR
    from depthlab.models.network import Network

    if isinstance(net, nn.Module):
        net = Network.from_torch(net)
    if not isinstance(net, Network):
        kind = type(net).__name__
        raise InputError(f"The '{name}' parameter must be a depthlab Network or torch.nn.Sequential. Got {kind}.")
    if net.activation not in PIECEWISE_LINEAR:
        raise InputError(
            f"The '{name}' parameter must use a piecewise-linear activation ({', '.join(PIECEWISE_LINEAR)}). "
            f"Got {net.activation!r} instead."
        )
    return net.to(torch.float64)


def check_point(value: Any, name: str, input_dim: int) -> torch.Tensor:
    """One input point (a segment's end, say) as a float64 tensor (D_i,), else a one-line ValueError."""
    point = as_tensor(value, name).reshape(-1)  # (D_i,)
    if point.shape[0] != input_dim:
        raise InputError(
            f"The '{name}' parameter must have {input_dim} coordinate(s), the network's input dimension. "
            f"Got {point.shape[0]} instead."
        )
    return point
