"""Activation functions a `Network` can use: one table, one row per activation.

Each row (`Activation`) says everything the library needs to know about an activation:

| name | kinks | pieces: slope (gain), intercept | pattern flags per unit |
| --- | --- | --- | --- |
| relu | 0 | z <= 0: 0, 0 ; z > 0: 1, 0 | 1: z > 0 |
| leaky_relu | 0 | z <= 0: negative_slope, 0 ; z > 0: 1, 0 | 1: z > 0 |
| hardtanh | -1, 1 | z <= -1: 0, -1 ; -1 < z <= 1: 1, 0 ; z > 1: 0, 1 | 2: z > -1, z > 1 |
| identity | none | all z: 1, 0 | 0 |
| tanh | not piecewise linear | gain 1 - tanh(z)^2 | none |

- The *piece* of a pre-activation z is the number of kinks strictly below it (0 .. n_kinks); on piece
  p the activation is `slope[p] * z + intercept[p]`. At a kink z sits on the lower piece, so the gain
  there is the left slope (relu: 0 at 0, as torch's autograd).
- A *pattern* has one flag per (kink, unit), flag q of a unit being `z > kinks[q]` (= piece > q), laid
  out kink-major over all hidden units of the network: for hardtanh every unit's `z > -1` flag first,
  then every unit's `z > 1` flag (`Network.patterns`, `count_regions_1d`, `partition_2d` all use it).
- The torch function and the `torch.nn` module of each row make `Network.to_torch` / `from_torch` exact.

Adding an activation means adding one row to `ACTIVATION_TABLE`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from depthlab.checks import InputError

Array = np.ndarray | torch.Tensor


@dataclass(frozen=True)
class Activation:
    """One activation's rules: kinks, pieces (slope and intercept), pattern flags, torch function and module.

    Attributes
    ----------
    name : str
    kinks : tuple of float, or None
        Sorted pre-activation values where the slope changes; None when not piecewise linear (tanh).
    slopes : callable negative_slope -> tuple of float, or None
        The slope (gain) on each of the len(kinks) + 1 pieces.
    intercepts : tuple of float, or None
        The intercept on each piece: a(z) = slopes[p] * z + intercepts[p] on piece p.
    function : callable (z, negative_slope) -> Tensor
        The activation, elementwise (the torch function `nn` modules use, so values match bit for bit).
    derivative : callable (z, negative_slope) -> Tensor
        Its derivative (piecewise linear: the slope of z's piece).
    module : callable negative_slope -> nn.Module
        The `torch.nn` module that computes it.
    read_module : callable nn.Module -> float or None
        The negative_slope of a `torch.nn` module that computes exactly this activation, else None
        (`Network.from_torch` reads modules through it).
    """

    name: str
    kinks: tuple[float, ...] | None
    slopes: Callable[[float], tuple[float, ...]] | None
    intercepts: tuple[float, ...] | None
    function: Callable[[torch.Tensor, float], torch.Tensor]
    derivative: Callable[[torch.Tensor, float], torch.Tensor]
    module: Callable[[float], nn.Module]
    read_module: Callable[[nn.Module], float | None]

    @property
    def piecewise_linear(self) -> bool:
        """Whether the activation is piecewise linear (has a kinks list)."""
        return self.kinks is not None

    @property
    def flags_per_unit(self) -> int:
        """Pattern flags per hidden unit: one per kink."""
        return len(self.kinks or ())

    def piece(self, z: Array) -> Array:
        """Index of the linear piece each pre-activation lies on: kinks strictly below z. (...) -> (...) int8."""
        self._need_pieces()
        if isinstance(z, torch.Tensor):
            out = torch.zeros(z.shape, dtype=torch.int8)
            for kink in self.kinks:
                out += z > kink
            return out
        out = np.zeros(np.shape(z), dtype=np.int8)
        for kink in self.kinks:
            out += z > kink
        return out

    def piece_affine(self, piece: Array, negative_slope: float = 0.01) -> tuple[Array, Array]:
        """(slope, intercept) of each piece index, float64, same shape: a(z) = slope * z + intercept there."""
        self._need_pieces()
        slopes, intercepts = self.slopes(negative_slope), self.intercepts
        if isinstance(piece, torch.Tensor):
            index = piece.long()
            table = torch.tensor([slopes, intercepts], dtype=torch.float64)  # (2, n_pieces)
            return table[0][index], table[1][index]
        table = np.array([slopes, intercepts], dtype=np.float64)  # (2, n_pieces)
        return table[0][piece], table[1][piece]

    def gain(self, z: Array, negative_slope: float = 0.01) -> Array:
        """The slope of the activation at each pre-activation (its derivative; left slope at a kink). (...) -> (...)."""
        if isinstance(z, torch.Tensor):
            return self.derivative(z, negative_slope)
        if self.piecewise_linear:
            return self.piece_affine(self.piece(z), negative_slope)[0]
        return self.derivative(torch.as_tensor(z), negative_slope).numpy()

    def flags(self, pieces: Array) -> Array:
        """Pattern flags from piece indices: (B, N) -> (B, flags_per_unit * N) bool, kink-major.

        `pieces` holds every hidden unit of the network side by side (all layers concatenated);
        flag q of unit j sits at column q * N + j and is `piece > q`, i.e. `z > kinks[q]`.
        """
        self._need_pieces()
        columns = [pieces > q for q in range(self.flags_per_unit)]
        if isinstance(pieces, torch.Tensor):
            return torch.cat(columns, dim=1) if columns else torch.zeros(pieces.shape[0], 0, dtype=torch.bool)
        return np.concatenate(columns, axis=1) if columns else np.zeros((pieces.shape[0], 0), dtype=bool)

    def _need_pieces(self) -> None:
        if not self.piecewise_linear:
            raise InputError(f"The '{self.name}' activation is not piecewise linear; it has no pieces or kinks.")


def _hardtanh_derivative(z: torch.Tensor, negative_slope: float) -> torch.Tensor:
    return ((z > -1) & (z <= 1)).to(z.dtype)


def _reads(kind: type) -> Callable[[nn.Module], float | None]:
    return lambda module: 0.01 if isinstance(module, kind) else None


ACTIVATION_TABLE: dict[str, Activation] = {
    "relu": Activation(
        "relu", (0.0,), lambda s: (0.0, 1.0), (0.0, 0.0),
        lambda z, s: torch.relu(z), lambda z, s: (z > 0).to(z.dtype), lambda s: nn.ReLU(), _reads(nn.ReLU),
    ),
    "leaky_relu": Activation(
        "leaky_relu", (0.0,), lambda s: (float(s), 1.0), (0.0, 0.0),
        lambda z, s: nn.functional.leaky_relu(z, s),
        lambda z, s: torch.where(z > 0, torch.ones_like(z), torch.full_like(z, float(s))),
        lambda s: nn.LeakyReLU(s),
        lambda m: float(m.negative_slope) if isinstance(m, nn.LeakyReLU) else None,
    ),
    "hardtanh": Activation(
        "hardtanh", (-1.0, 1.0), lambda s: (0.0, 1.0, 0.0), (-1.0, 0.0, 1.0),
        lambda z, s: nn.functional.hardtanh(z), _hardtanh_derivative, lambda s: nn.Hardtanh(),
        lambda m: 0.01 if isinstance(m, nn.Hardtanh) and m.min_val == -1.0 and m.max_val == 1.0 else None,
    ),
    "tanh": Activation(
        "tanh", None, None, None,
        lambda z, s: torch.tanh(z), lambda z, s: 1 - torch.tanh(z) ** 2, lambda s: nn.Tanh(), _reads(nn.Tanh),
    ),
    "identity": Activation(
        "identity", (), lambda s: (1.0,), (0.0,),
        lambda z, s: z, lambda z, s: torch.ones_like(z), lambda s: nn.Identity(), _reads(nn.Identity),
    ),
}
ACTIVATIONS: tuple[str, ...] = tuple(ACTIVATION_TABLE)
PIECEWISE_LINEAR: tuple[str, ...] = tuple(name for name, row in ACTIVATION_TABLE.items() if row.piecewise_linear)


def check_activation(name: str) -> str:
    """Return `name` if it is a known activation, else raise a one-line ValueError."""
    if name not in ACTIVATION_TABLE:
        raise InputError(
            f"The 'activation' parameter must be one of {', '.join(ACTIVATIONS)}. Got {name!r} instead."
        )
    return name


def activation(name: str) -> Activation:
    """The table row of activation `name` (ValueError for an unknown name).

    Examples
    --------
    >>> activation("hardtanh").kinks
    (-1.0, 1.0)
    >>> activation("leaky_relu").slopes(0.2)
    (0.2, 1.0)
    """
    return ACTIVATION_TABLE[check_activation(name)]


def apply_activation(name: str, z: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """Apply activation `name` elementwise. z: (...,) -> (...,)."""
    return activation(name).function(z, negative_slope)


def activation_module(name: str, negative_slope: float = 0.01) -> nn.Module:
    """The `torch.nn` module computing activation `name`."""
    return activation(name).module(negative_slope)


def activation_of_module(module: nn.Module) -> tuple[str, float] | None:
    """(name, negative_slope) for an activation module we can represent exactly, else None."""
    for name, row in ACTIVATION_TABLE.items():
        negative_slope = row.read_module(module)
        if negative_slope is not None:
            return name, negative_slope
    return None
