"""Sampling baselines for region counts: what you get without the exact algorithms.

`estimate_regions_1d_sampled` and `estimate_regions_2d_sampled` are the common baseline (evaluate
activation patterns on a grid, count changes or distinct patterns); they undercount regions smaller
than the grid spacing. `bisect_pattern_changes_1d` refines a grid by bisection and is the brute force
the exact 1-D count is tested against.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn

from depthlab.checks import as_network, check_int, check_point
from depthlab.models.network import Network
from depthlab.regions.partition_2d import Plane, as_domain

CHUNK = 65_536  # points per forward pass


def _patterns_along(net: Network, a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Activation patterns at x(t) = a + t (b - a). t: (n,) -> (n, n_flags) bool."""
    out = []
    for start in range(0, t.shape[0], CHUNK):
        chunk = t[start : start + CHUNK]
        out.append(net.patterns(a + chunk[:, None] * (b - a)))  # (c, n_flags)
    return torch.cat(out)


def estimate_regions_1d_sampled(net: Network | nn.Module, a: ArrayLike, b: ArrayLike, n_samples: int) -> int:
    """Regions met along a -> b estimated on a grid: 1 + the number of consecutive pattern changes.

    A lower bound on the exact count (regions thinner than the grid spacing can be missed).

    Parameters
    ----------
    net : Network or torch.nn.Sequential
    a, b : array-like (D_i,)
    n_samples : int >= 2
        Grid points t = 0, 1/(n-1), ..., 1.

    Examples
    --------
    >>> from depthlab.construct.maximal import folding_net
    >>> estimate_regions_1d_sampled(folding_net(2, 10), 0.0, 1.0, 200)  # exact: 121
    120
    """
    net = as_network(net)
    a, b = check_point(a, "a", net.input_dim), check_point(b, "b", net.input_dim)
    n = check_int(n_samples, "n_samples", 2)
    t = torch.linspace(0.0, 1.0, n, dtype=torch.float64)  # (n,)
    changes = 0
    previous = None
    for start in range(0, n, CHUNK):
        p = _patterns_along(net, a, b, t[start : start + CHUNK])  # (c, n_flags)
        if previous is not None:
            p = torch.cat([previous, p])
        changes += int((p[1:] != p[:-1]).any(dim=1).sum())
        previous = p[-1:]
    return changes + 1


def bisect_pattern_changes_1d(
    net: Network | nn.Module, a: ArrayLike, b: ArrayLike, n_samples: int = 2001, tol: float = 1e-13
) -> torch.Tensor:
    """Brute force: locations t in (0, 1) where the activation pattern changes, found by bisection.

    Every grid interval whose end patterns differ is halved (all at once, vectorized) until it is
    shorter than `tol`; an interval whose halves both change keeps both. Changes hidden inside one grid
    interval that return to the same pattern are missed, so use a dense grid on small networks.

    Returns
    -------
    Tensor (C,)
        Sorted change locations; the region count is C + 1.
    """
    net = as_network(net)
    a, b = check_point(a, "a", net.input_dim), check_point(b, "b", net.input_dim)
    n = check_int(n_samples, "n_samples", 2)
    t = torch.linspace(0.0, 1.0, n, dtype=torch.float64)  # (n,)
    p = _patterns_along(net, a, b, t)  # (n, F)
    change = (p[1:] != p[:-1]).any(dim=1)  # (n-1,)
    lo, hi = t[:-1][change], t[1:][change]  # (m,)
    p_lo, p_hi = p[:-1][change], p[1:][change]  # (m, F)
    while lo.numel() and bool((hi - lo > tol).any()):
        mid = 0.5 * (lo + hi)  # (m,)
        p_mid = _patterns_along(net, a, b, mid)  # (m, F)
        left = (p_lo != p_mid).any(dim=1)  # (m,) change in [lo, mid]
        right = (p_mid != p_hi).any(dim=1)  # (m,) change in [mid, hi]
        lo = torch.cat([lo[left], mid[right]])
        hi = torch.cat([mid[left], hi[right]])
        p_lo, p_hi = torch.cat([p_lo[left], p_mid[right]]), torch.cat([p_mid[left], p_hi[right]])
    return torch.sort(0.5 * (lo + hi)).values


def estimate_regions_2d_sampled(net: Network | nn.Module, domain: ArrayLike | Plane, n_grid: int) -> int:
    """Distinct activation patterns on an n_grid x n_grid grid over a 2-D domain (a lower bound).

    Parameters
    ----------
    net : Network or torch.nn.Sequential
    domain : array (M, 2) convex polygon (2-input nets) or `Plane`
        The grid covers the bounding box; points outside a polygon are dropped.
    n_grid : int >= 2

    Examples
    --------
    >>> from depthlab import Network
    >>> net = Network.random([2, 3, 1], init=("normal", 1.0, 0.3), seed=4)
    >>> estimate_regions_2d_sampled(net, [[-1, -1], [1, -1], [1, 1], [-1, 1]], 50)  # exact: 7
    7
    """
    net = as_network(net)
    n = check_int(n_grid, "n_grid", 2)
    polygon, origin, basis = as_domain(domain, net.input_dim)
    lo, hi = polygon.min(axis=0), polygon.max(axis=0)
    s_axis, r_axis = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
    rows_per_chunk = max(1, CHUNK // n)
    seen: set[bytes] = set()
    for start in range(0, n, rows_per_chunk):
        s, r = np.meshgrid(s_axis, r_axis[start : start + rows_per_chunk])
        points = np.stack([s.ravel(), r.ravel()], axis=1)  # (c, 2)
        points = points[_inside_convex(polygon, points)]
        x = torch.as_tensor(origin + points @ basis.T)  # (c, D_i)
        packed = np.packbits(net.patterns(x).numpy(), axis=1)  # (c, ceil(F/8))
        seen.update(row.tobytes() for row in np.unique(packed, axis=0))
    return max(len(seen), 1)


def _inside_convex(polygon: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Boolean (n,): points inside or on the counter-clockwise convex polygon (V, 2)."""
    edge = np.roll(polygon, -1, axis=0) - polygon  # (V, 2)
    rel = points[:, None, :] - polygon[None, :, :]  # (n, V, 2)
    cross = edge[None, :, 0] * rel[..., 1] - edge[None, :, 1] * rel[..., 0]  # (n, V)
    scale = np.abs(polygon).max() + 1.0
    return (cross >= -1e-12 * scale * scale).all(axis=1)
