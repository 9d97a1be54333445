"""Input validation shared by the public entry points.

Messages follow one pattern: the parameter, the rule, and what was received.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from depthlab.models.network import Network


def as_tensor(
    value: Any, name: str, dtype: torch.dtype = torch.float64, allow_nan: bool = False
) -> torch.Tensor:
    """Convert array-like `value` to a tensor of `dtype`, rejecting NaN and infinities."""
    try:
        tensor = torch.as_tensor(np.asarray(value) if not torch.is_tensor(value) else value)
    except (TypeError, ValueError) as error:
        kind = type(value).__name__
        raise ValueError(f"The '{name}' parameter must be array-like of numbers. Got {kind}.") from error
    tensor = tensor.to(dtype)
    if not allow_nan and tensor.is_floating_point() and not torch.isfinite(tensor).all():
        bad = int((~torch.isfinite(tensor)).sum())
        raise ValueError(
            f"The '{name}' parameter contains {bad} NaN or infinite value(s); remove or impute them first."
        )
    return tensor


def check_features(x: torch.Tensor, name: str, n_features: int) -> torch.Tensor:
    """Check x has shape (B, n_features) or (n_features,); return it as (B, n_features)."""
    if x.ndim == 1 and x.shape[0] == n_features:
        return x.unsqueeze(0)
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(
            f"The '{name}' parameter must have shape (batch, {n_features}) or ({n_features},). "
            f"Got {tuple(x.shape)} instead."
        )
    return x


def check_int(value: Any, name: str, minimum: int = 0) -> int:
    """Return value as int if it is an integer >= minimum, else raise a one-line ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"The '{name}' parameter must be an int >= {minimum}. Got {value!r} instead.")
    return int(value)


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
        raise ValueError(f"The '{name}' parameter must be a depthlab Network or torch.nn.Sequential. Got {kind}.")
    if net.activation not in PIECEWISE_LINEAR:
        raise ValueError(
            f"The '{name}' parameter must use a piecewise-linear activation ({', '.join(PIECEWISE_LINEAR)}). "
            f"Got {net.activation!r} instead."
        )
    return net.to(torch.float64)


def check_point(value: Any, name: str, input_dim: int) -> torch.Tensor:
    """One input point (a segment's end, say) as a float64 tensor (D_i,), else a one-line ValueError."""
    point = as_tensor(value, name).reshape(-1)  # (D_i,)
    if point.shape[0] != input_dim:
        raise ValueError(
            f"The '{name}' parameter must have {input_dim} coordinate(s), the network's input dimension. "
            f"Got {point.shape[0]} instead."
        )
    return point
