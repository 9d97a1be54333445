"""Exact linear regions of a piecewise-linear network along a segment x(t) = a + t (b - a), t in [0, 1].

Along the segment every hidden representation is piecewise affine in t. We keep the sorted
breakpoints t_0 = 0 < t_1 < ... < t_P = 1 and, per piece p, the affine map of the current layer's
input, h(t) = O[p] + S[p] t (shapes (P, D_k)). One layer at a time:

1. the pre-activations' maps: Sz = S Omega^T, Oz = O Omega^T + beta, shape (P, D_{k+1}), and the
   rounding bounds of computing them from S and O (Higham's gamma_n = n u / (1 - n u) for a length-n
   dot product, u = 2^-53). The bounds are local on purpose: every decision reads the same computed
   maps, so errors carried in from earlier layers do not change which events coincide, while a bound
   compounded over layers grows like |Omega|^K and merged real kinks (900 instead of 1,213 regions on
   a 10-100x20-1 He net, where bisection finds 1,213);
2. every unit whose pre-activation certainly changes sides of a kink c of the activation strictly inside
   a piece contributes the crossing t* = (c - Oz) / Sz: certainly means beyond the rounding bound of the
   computed pre-activation at both ends of the piece, that bound including the uncertainty of the end
   breakpoints themselves. A unit within its bound of c at an end is touching there (kinks that sit
   exactly on earlier folds, as in composed tent maps and `folding_net`, add nothing);
3. each breakpoint carries its own uncertainty dt (the error bound of c - Oz and Sz, divided by |Sz|);
   all new breakpoints are inserted at once (one sort) and only breakpoints whose uncertainty
   intervals overlap merge: kinks float64 can tell apart stay apart, however close in t;
4. the activation pattern of each new piece is read at its midpoint from its parent's map (snapped to
   a kink when within its bound), which gives the next layer's input map from the activation table
   (slope and intercept of the piece).

No Python loop runs over pieces; the cost is a few (P, D) array operations per layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from numpy.typing import ArrayLike
from torch import nn

from depthlab.activations import activation
from depthlab.checks import InputError, as_network, check_point
from depthlab.models.network import Network
from depthlab.precision import gamma  # Higham's gamma_n, float64 u by default


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


def count_regions_1d(
    net: Network | nn.Module, a: ArrayLike, b: ArrayLike, merge_tol: float | None = None
) -> Regions1D:
    """Exact activation regions and affine pieces of `net` along the segment from `a` to `b`.

    Parameters
    ----------
    net : Network or torch.nn.Sequential
        relu, leaky_relu, hardtanh or identity activations, any input dimension (computed in float64).
    a, b : array-like of shape (D_i,), or scalars when D_i = 1
        The segment's ends, x(t) = a + t (b - a).
    merge_tol : float, optional
        Also merge breakpoints closer than this in t (a coarser resolution than float64's). By default
        only breakpoints float64 cannot tell apart merge.

    Returns
    -------
    Regions1D
        Boundaries t (R+1,), patterns (R, n_flags), output slopes and offsets (R, D_o).

    Notes
    -----
    Every decision follows float64's rounding bound of the computed pre-activation at that place (per
    kink and piece end, not per segment): a unit crosses a kink inside a piece only when its value at
    both ends is beyond its bound on opposite sides; within its bound it touches (what keeps
    constructions whose kinks sit exactly on earlier folds, composed tent maps and `folding_net`,
    exact: 2^24 composed tent maps count 16,777,216 pieces). Each breakpoint carries its own
    uncertainty in t, and two breakpoints merge only when their uncertainty intervals overlap, so kinks
    at x = 0 and 1e-7 on [-1e5, 1e5] stay two, and a crossing a few ulps inside [1e8, 1e8 + 1e-5] is
    found.

    Examples
    --------
    >>> from depthlab.construct.folding import zigzag_net
    >>> from depthlab.construct import compose
    >>> net = compose(zigzag_net(3), zigzag_net(3))
    >>> count_regions_1d(net, 0.0, 1.0).n_pieces
    9
    """
    net = as_network(net)
    a = check_point(a, "a", net.input_dim)  # (D_i,)
    b = check_point(b, "b", net.input_dim)  # (D_i,)
    if merge_tol is not None and not 0.0 < merge_tol < 1e-3:
        raise InputError(f"The 'merge_tol' parameter must be None or a float in (0, 1e-3). Got {merge_tol!r} instead.")
    rule = activation(net.activation)
    t, dt = torch.tensor([0.0, 1.0], dtype=torch.float64), torch.zeros(2, dtype=torch.float64)  # (P+1,) each
    slope, offset = (b - a)[None, :], a[None, :]  # (1, D_i) each: h(t) = offset + slope * t, the segment itself
    pieces = []
    for omega, beta in zip(net.weights[:-1], net.biases[:-1]):
        w_abs, fan_in = omega.abs(), omega.shape[1]
        zs, zo = slope @ omega.T, offset @ omega.T + beta  # (P, D) each
        # rounding bounds of these coefficients as computed from this layer's input maps (local: errors carried
        # in from earlier layers cancel out of every decision, which all read the same computed maps)
        ezs = gamma(fan_in) * (slope.abs() @ w_abs.T)  # (P, D)
        ezo = gamma(fan_in + 1) * (offset.abs() @ w_abs.T + beta.abs())  # (P, D)
        t, dt, parent = _split(t, dt, (zs, zo, ezs, ezo), rule.kinks, merge_tol)
        zs, zo, ezs, ezo = zs[parent], zo[parent], ezs[parent], ezo[parent]  # (P', D) each
        mid = 0.5 * (t[1:] + t[:-1])[:, None]  # (P', 1)
        z_mid = zo + zs * mid  # (P', D)
        bound = ezo + ezs * mid + gamma(3) * (zo.abs() + zs.abs() * mid)  # (P', D)
        for c in rule.kinks:  # identically at a kink on the whole piece -> on the kink (its lower piece)
            z_mid = torch.where((z_mid - c).abs() <= bound + gamma(1) * abs(c), torch.full_like(z_mid, c), z_mid)
        piece = rule.piece(z_mid)  # (P', D) int8
        pieces = [p[parent] for p in pieces] + [piece]
        gain, intercept = rule.piece_affine(piece, net.negative_slope)  # (P', D) each
        slope, offset = zs * gain, zo * gain + intercept  # (P', D) each
    n_pieces = t.shape[0] - 1
    all_pieces = torch.cat(pieces, dim=1) if pieces else torch.zeros(n_pieces, 0, dtype=torch.int8)
    patterns = rule.flags(all_pieces)  # (P, n_flags)
    slope, offset = slope @ net.weights[-1].T, offset @ net.weights[-1].T + net.biases[-1]  # (P, D_o)
    t, patterns, slope, offset = _merge_equal_patterns(t, patterns, slope, offset)
    return Regions1D(t=t, patterns=patterns, slopes=slope, offsets=offset, a=a, b=b)


def _split(
    t: torch.Tensor, dt: torch.Tensor, maps: tuple[torch.Tensor, ...], kinks: tuple, merge_tol: float | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Insert every certain kink crossing; return the new boundaries and uncertainties (P'+1,) and parents (P',).

    maps = (zs, zo, ezs, ezo), each (P, D): the pre-activations zo + zs t on each piece and the error
    bounds of their coefficients.
    """
    zs, zo, ezs, ezo = maps
    left, right = t[:-1, None], t[1:, None]  # (P, 1)
    new_t, new_dt = [t[1:-1]], [dt[1:-1]]
    for c in kinks:
        z_left, z_right = zo + zs * left - c, zo + zs * right - c  # (P, D)
        magnitude = zo.abs() + abs(c)  # (P, D)
        u_left = ezo + ezs * left + gamma(3) * (magnitude + zs.abs() * left) + zs.abs() * dt[:-1, None]
        u_right = ezo + ezs * right + gamma(3) * (magnitude + zs.abs() * right) + zs.abs() * dt[1:, None]
        crosses = (z_left.abs() > u_left) & (z_right.abs() > u_right) & ((z_left > 0) != (z_right > 0))  # (P, D)
        piece, unit = crosses.nonzero(as_tuple=True)
        s, o = zs[piece, unit], zo[piece, unit]  # (n_new,)
        t_new = (c - o) / s  # (n_new,)
        dt_new = (ezo[piece, unit] + ezs[piece, unit] * t_new.abs() + gamma(1) * (abs(c) + o.abs())) / s.abs()
        new_t.append(t_new)
        new_dt.append(dt_new + gamma(2) * t_new.abs())
    if sum(x.numel() for x in new_t[1:]) == 0:
        return t, dt, torch.arange(t.shape[0] - 1)
    interior, order = torch.sort(torch.cat(new_t))  # (n,)
    width = torch.cat(new_dt)[order]  # (n,) each breakpoint's uncertainty in t
    if merge_tol is not None:
        width = width.clamp_min(0.5 * merge_tol)
    inside = (interior > width) & (1.0 - interior > width)  # within its uncertainty of an end: the end itself
    interior, width = interior[inside], width[inside]
    starts = torch.ones_like(interior, dtype=torch.bool)  # a new breakpoint where the uncertainties do not overlap
    starts[1:] = interior[1:] - interior[:-1] > width[1:] + width[:-1]
    cluster = torch.cumsum(starts.long(), 0) - 1  # (n,)
    first = interior[starts]  # (n_clusters,) each cluster is reported at its first member
    reach = torch.zeros_like(first).scatter_reduce_(0, cluster, interior + width, "amax", include_self=False)
    new_t = torch.cat([t[:1], first, t[-1:]])  # (P'+1,)
    new_width = torch.cat([dt[:1], torch.maximum(reach - first, width[starts]), dt[-1:]])
    mid = 0.5 * (new_t[1:] + new_t[:-1])  # (P',)
    parent = torch.searchsorted(t, mid) - 1  # (P',)
    return new_t, new_width, parent.clamp(0, t.shape[0] - 2)


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
