"""Exact linear regions of a piecewise-linear network along a segment x(t) = a + t (b - a), t in [0, 1].

Along the segment every hidden representation is piecewise affine in t. We keep the sorted
breakpoints t_0 = 0 < t_1 < ... < t_P = 1 and, per piece p, the affine map of the current layer's
input, h(t) = O[p] + S[p] t (shapes (P, D_k)). One layer at a time:

1. the pre-activations' maps: Sz = S Omega^T, Oz = O Omega^T + beta, shape (P, D_{k+1});
2. every unit whose pre-activation changes sign strictly inside a piece (checked at the piece's two
   ends, with a float64 noise floor so that units touching a kink without crossing, or identically
   at it, add nothing) contributes the zero crossing t* = (c - Oz) / Sz, c the activation's kink;
3. all new breakpoints are inserted at once (one sort), breakpoints closer than `merge_tol` merge;
4. the activation pattern of each new piece is read at its midpoint from its parent's map, which
   gives the next layer's input map (relu: keep the active rows; leaky_relu: scale the inactive ones;
   hardtanh: saturated units become the constants -1 or +1).

No Python loop runs over pieces; the cost is a few (P, D) array operations per layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn

from depthlab.checks import as_tensor
from depthlab.network import Network

NOISE = 64 * float(np.finfo(np.float64).eps)  # relative noise floor of a float64 dot product
KINKS = {"relu": (0.0,), "leaky_relu": (0.0,), "hardtanh": (-1.0, 1.0), "identity": ()}


@dataclass(frozen=True, eq=False)
class Regions1D:
    """The linear regions a network meets along x(t) = a + t (b - a), t in [0, 1].

    Attributes
    ----------
    t : Tensor (R+1,)
        Piece boundaries, sorted, t[0] = 0 and t[-1] = 1.
    patterns : Tensor (R, n_flags) bool
        Activation pattern on each piece, as `Network.patterns` (hardtanh: 2 flags per unit).
    slopes, offsets : Tensor (R, D_o)
        The output on piece r is offsets[r] + slopes[r] * t.
    a, b : Tensor (D_i,)
        The segment's ends.
    """

    t: torch.Tensor
    patterns: torch.Tensor
    slopes: torch.Tensor
    offsets: torch.Tensor
    a: torch.Tensor
    b: torch.Tensor

    @property
    def n_regions(self) -> int:
        """Activation regions met: the number of pieces, consecutive pieces having distinct patterns."""
        return int(self.patterns.shape[0])

    @property
    def n_pieces(self) -> int:
        """Maximal affine pieces of the output: adjacent pieces with the same slope (rtol 1e-9) merged."""
        if self.n_regions <= 1:
            return self.n_regions
        s = self.slopes  # (R, D_o)
        scale = torch.maximum(s[1:].abs(), s[:-1].abs()) + 1e-300 + s.abs().max() * 1e-12  # (R-1, D_o)
        same = ((s[1:] - s[:-1]).abs() <= 1e-9 * scale).all(dim=1)  # (R-1,)
        return int(self.n_regions - same.sum())

    @property
    def breakpoints(self) -> torch.Tensor:
        """Interior boundaries t[1:-1], shape (R-1,)."""
        return self.t[1:-1]

    def points(self) -> torch.Tensor:
        """The breakpoints in input space, shape (R-1, D_i)."""
        return self.a + self.breakpoints[:, None] * (self.b - self.a)  # (R-1, D_i)

    def midpoints(self) -> torch.Tensor:
        """The middle of every piece in input space, shape (R, D_i)."""
        mid = 0.5 * (self.t[1:] + self.t[:-1])  # (R,)
        return self.a + mid[:, None] * (self.b - self.a)  # (R, D_i)

    def __repr__(self) -> str:
        return f"Regions1D(n_regions={self.n_regions}, n_pieces={self.n_pieces})"


def as_network(net: Network | nn.Module) -> Network:
    """`net` as a float64 piecewise-linear `Network` (a torch module is converted), else ValueError."""
    if isinstance(net, nn.Module):
        net = Network.from_torch(net)
    if not isinstance(net, Network):
        kind = type(net).__name__
        raise ValueError(f"The 'net' parameter must be a depthlab Network or torch.nn.Sequential. Got {kind}.")
    if net.activation not in KINKS:
        raise ValueError(
            f"The 'net' parameter must use a piecewise-linear activation ({', '.join(KINKS)}). "
            f"Got {net.activation!r} instead."
        )
    return net.to(torch.float64)


def _segment_end(value: ArrayLike, name: str, input_dim: int) -> torch.Tensor:
    point = as_tensor(value, name).reshape(-1)  # (D_i,)
    if point.shape[0] != input_dim:
        raise ValueError(
            f"The '{name}' parameter must have {input_dim} coordinate(s), the network's input dimension. "
            f"Got {point.shape[0]} instead."
        )
    return point


def count_regions_1d(net: Network | nn.Module, a: ArrayLike, b: ArrayLike, merge_tol: float = 1e-12) -> Regions1D:
    """Exact activation regions and affine pieces of `net` along the segment from `a` to `b`.

    Parameters
    ----------
    net : Network or torch.nn.Sequential
        relu, leaky_relu, hardtanh or identity activations, any input dimension (computed in float64).
    a, b : array-like of shape (D_i,), or scalars when D_i = 1
        The segment's ends, x(t) = a + t (b - a).
    merge_tol : float, default=1e-12
        Breakpoints closer than this (in t) merge; also the smallest piece kept.

    Returns
    -------
    Regions1D
        Boundaries t (R+1,), patterns (R, n_flags), output slopes and offsets (R, D_o).

    Notes
    -----
    A unit whose pre-activation is within float64 rounding (64 eps times the magnitudes that formed it)
    of its kink at a piece's end, or on the whole piece, is treated as touching, not crossing: this is
    what keeps constructions whose kinks sit exactly on earlier folds (composed tent maps, `folding_net`)
    exact. Pieces thinner than `merge_tol` in t are not reported (2^24 composed tent maps still count
    exactly: 16,777,216 pieces).

    Examples
    --------
    >>> from depthlab.construct.folding import zigzag_net
    >>> from depthlab.construct import compose
    >>> net = compose(zigzag_net(3), zigzag_net(3))
    >>> count_regions_1d(net, 0.0, 1.0).n_pieces
    9
    """
    net = as_network(net)
    a = _segment_end(a, "a", net.input_dim)  # (D_i,)
    b = _segment_end(b, "b", net.input_dim)  # (D_i,)
    if not 0.0 < merge_tol < 1e-3:
        raise ValueError(f"The 'merge_tol' parameter must be a float in (0, 1e-3). Got {merge_tol!r} instead.")
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)  # (P+1,)
    slope, offset = (b - a)[None, :], a[None, :]  # (1, D_i) each: h(t) = offset + slope * t
    flags = []
    for omega, beta in zip(net.weights[:-1], net.biases[:-1]):
        zs, zo = slope @ omega.T, offset @ omega.T + beta  # (P, D) each
        noise = NOISE * (slope.abs() @ omega.abs().T + offset.abs() @ omega.abs().T + beta.abs())  # (P, D)
        t, parent = _split(t, zs, zo, noise, KINKS[net.activation], merge_tol)
        zs, zo, noise = zs[parent], zo[parent], noise[parent]  # (P', D) each
        mid = 0.5 * (t[1:] + t[:-1])  # (P',)
        z_mid = zo + zs * mid[:, None]  # (P', D)
        z_mid = torch.where(z_mid.abs() <= noise, torch.zeros_like(z_mid), z_mid)  # identically-at-kink -> kink
        flags = [f[parent] for f in flags]
        slope, offset, layer_flags = _activate(net, zs, zo, z_mid)
        flags.extend(layer_flags)
    patterns = _stack_flags(flags, net, t.shape[0] - 1)  # (P, n_flags)
    slope, offset = slope @ net.weights[-1].T, offset @ net.weights[-1].T + net.biases[-1]  # (P, D_o)
    t, patterns, slope, offset = _merge_equal_patterns(t, patterns, slope, offset)
    return Regions1D(t=t, patterns=patterns, slopes=slope, offsets=offset, a=a, b=b)


def _split(
    t: torch.Tensor, zs: torch.Tensor, zo: torch.Tensor, noise: torch.Tensor, kinks: tuple, merge_tol: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Insert every strict kink crossing; return the new boundaries (P'+1,) and each new piece's parent (P',)."""
    left, right = t[:-1, None], t[1:, None]  # (P, 1)
    new = [t]
    for c in kinks:
        z_left, z_right = zo + zs * left - c, zo + zs * right - c  # (P, D)
        crosses = (z_left.abs() > noise) & (z_right.abs() > noise) & ((z_left > 0) != (z_right > 0))  # (P, D)
        piece, unit = crosses.nonzero(as_tuple=True)
        new.append((c - zo[piece, unit]) / zs[piece, unit])  # (n_new,)
    if len(new) == 1 or sum(x.numel() for x in new[1:]) == 0:
        return t, torch.arange(t.shape[0] - 1)
    interior = torch.sort(torch.cat([t[1:-1]] + new[1:])).values  # (n,)
    keep = torch.ones_like(interior, dtype=torch.bool)
    keep[1:] = interior[1:] - interior[:-1] > merge_tol
    interior = interior[keep & (interior > merge_tol) & (interior < 1.0 - merge_tol)]
    new_t = torch.cat([t[:1], interior, t[-1:]])  # (P'+1,)
    mid = 0.5 * (new_t[1:] + new_t[:-1])  # (P',)
    parent = torch.searchsorted(t, mid) - 1  # (P',)
    return new_t, parent.clamp(0, t.shape[0] - 2)


def _activate(
    net: Network, zs: torch.Tensor, zo: torch.Tensor, z_mid: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """Next layer's input map (slope, offset) (P, D) and this layer's pattern flags [(P, D) bool]."""
    if net.activation == "identity":
        return zs, zo, []
    if net.activation == "hardtanh":
        low, high = z_mid > -1, z_mid > 1  # (P, D) each
        linear = low & ~high
        slope = torch.where(linear, zs, torch.zeros_like(zs))
        offset = torch.where(linear, zo, torch.where(high, torch.ones_like(zo), -torch.ones_like(zo)))
        return slope, offset, [low, high]
    on = z_mid > 0  # (P, D)
    gain = on.to(zs.dtype)  # (P, D)
    if net.activation == "leaky_relu":
        gain = gain + (1.0 - gain) * float(net.negative_slope)
    return zs * gain, zo * gain, [on]


def _stack_flags(flags: list[torch.Tensor], net: Network, n_pieces: int) -> torch.Tensor:
    """Per-layer flags -> (P, n_flags) in `Network.patterns` order (hardtanh: all low flags, then all high)."""
    if not flags:
        return torch.zeros(n_pieces, 0, dtype=torch.bool)
    if net.activation == "hardtanh":
        return torch.cat(flags[0::2] + flags[1::2], dim=1)
    return torch.cat(flags, dim=1)


def _merge_equal_patterns(
    t: torch.Tensor, patterns: torch.Tensor, slope: torch.Tensor, offset: torch.Tensor
) -> tuple[torch.Tensor, ...]:
    """Merge consecutive pieces that ended up with the same pattern (only after a merged near-duplicate)."""
    if patterns.shape[0] <= 1:
        return t, patterns, slope, offset
    starts = torch.ones(patterns.shape[0], dtype=torch.bool)
    starts[1:] = (patterns[1:] != patterns[:-1]).any(dim=1)
    if bool(starts.all()):
        return t, patterns, slope, offset
    keep_t = torch.cat([starts, torch.tensor([True])])
    return t[keep_t], patterns[starts], slope[starts], offset[starts]
