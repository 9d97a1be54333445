"""Exact distance from points to the boundary of their activation region.

With the activation pattern of x fixed, every hidden pre-activation is an affine function of the
input, z_j(x') = z_j(x) + grad_j . (x' - x), and x's activation region is the intersection of the
half-spaces where each z_j stays on its side of its kinks. The distance from an interior point to the
boundary of an intersection of half-spaces is the smallest distance to one of their hyperplanes:

    d(x) = min_j min_c |z_j(x) - c| / ||grad_j||      (c: the activation's kinks; grad_j != 0)

This is the quantity Hanin & Rolnick 2019 show scales like 1 / N at initialization.
"""

from __future__ import annotations

import torch
from numpy.typing import ArrayLike
from torch import nn

from depthlab.checks import as_tensor, check_features
from depthlab.network import Network
from depthlab.regions.count_1d import KINKS, as_network


def distance_to_boundary(net: Network | nn.Module, x: ArrayLike) -> torch.Tensor:
    """Euclidean distance from each point to the nearest boundary of its activation region.

    Parameters
    ----------
    net : Network or torch.nn.Sequential
        relu, leaky_relu, hardtanh or identity activations (computed in float64).
    x : array-like (B, D_i)

    Returns
    -------
    Tensor (B,)
        0 for points on a boundary; inf when no unit has a boundary (e.g. identity networks).

    Examples
    --------
    >>> from depthlab.construct.maximal import shallow_max_regions_net
    >>> distance_to_boundary(shallow_max_regions_net(3), [[0.3], [0.5]]).tolist()  # kinks at 1/4, 1/2, 3/4
    [0.04999999999999999, 0.0]
    """
    net = as_network(net)
    h = check_features(as_tensor(x, "x"), "x", net.input_dim)  # (B, D_i)
    jac = torch.eye(net.input_dim, dtype=torch.float64).expand(h.shape[0], -1, -1)  # (B, D_i, D_i)
    best = torch.full((h.shape[0],), float("inf"), dtype=torch.float64)
    for omega, beta in zip(net.weights[:-1], net.biases[:-1]):
        z = h @ omega.T + beta  # (B, D)
        jac = omega @ jac  # (B, D, D_i)
        norm = jac.norm(dim=2)  # (B, D)
        for c in KINKS[net.activation]:
            dist = (z - c).abs() / norm  # (B, D)
            best = torch.minimum(best, torch.where(norm > 0, dist, torch.inf).min(dim=1).values)
        gain = _gain(net, z)  # (B, D)
        h = net._act(z)
        jac = gain[..., None] * jac
    return best


def _gain(net: Network, z: torch.Tensor) -> torch.Tensor:
    """The activation's derivative on each unit's current piece, (B, D)."""
    if net.activation == "identity":
        return torch.ones_like(z)
    if net.activation == "hardtanh":
        return ((z > -1) & (z <= 1)).to(z.dtype)
    on = (z > 0).to(z.dtype)
    return on if net.activation == "relu" else on + (1 - on) * float(net.negative_slope)
