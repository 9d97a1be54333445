"""Activation functions a `Network` can use, by name.

Each name maps to an elementwise torch function and to the `torch.nn` module that
`Network.to_torch` emits, so conversions in both directions are exact.
"""

from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "hardtanh", "tanh", "identity")
PIECEWISE_LINEAR: tuple[str, ...] = ("relu", "leaky_relu", "hardtanh", "identity")


def check_activation(name: str) -> str:
    """Return `name` if it is a known activation, else raise a one-line ValueError."""
    if name not in ACTIVATIONS:
        raise ValueError(
            f"The 'activation' parameter must be one of {', '.join(ACTIVATIONS)}. "
            f"Got {name!r} instead."
        )
    return name


def apply_activation(name: str, z: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """Apply activation `name` elementwise. z: (...,) -> (...,)."""
    if name == "relu":
        return torch.relu(z)
    if name == "leaky_relu":
        return torch.nn.functional.leaky_relu(z, negative_slope)
    if name == "hardtanh":
        return torch.nn.functional.hardtanh(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "identity":
        return z
    raise ValueError(check_activation(name))


def activation_module(name: str, negative_slope: float = 0.01) -> nn.Module:
    """The `torch.nn` module computing activation `name`."""
    modules = {
        "relu": nn.ReLU,
        "hardtanh": nn.Hardtanh,
        "tanh": nn.Tanh,
        "identity": nn.Identity,
    }
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    return modules[check_activation(name)]()


def activation_of_module(module: nn.Module) -> tuple[str, float] | None:
    """(name, negative_slope) for an activation module we can represent exactly, else None."""
    if isinstance(module, nn.ReLU):
        return "relu", 0.01
    if isinstance(module, nn.LeakyReLU):
        return "leaky_relu", float(module.negative_slope)
    if isinstance(module, nn.Hardtanh) and module.min_val == -1.0 and module.max_val == 1.0:
        return "hardtanh", 0.01
    if isinstance(module, nn.Tanh):
        return "tanh", 0.01
    if isinstance(module, nn.Identity):
        return "identity", 0.01
    return None
