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

from depthlab.activations import activation
from depthlab.checks import as_network, as_tensor, check_features
from depthlab.models.network import Network


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
    x = check_features(as_tensor(x, "x"), "x", net.input_dim)  # (B, D_i)
    chunk = max(1, 8_000_000 // (max(net.widths[1:-1], default=1) * min(net.widths[:2])))  # Jacobians in memory
    parts = [_distance(net, x[lo : lo + chunk]) for lo in range(0, x.shape[0], chunk)]
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.float64)


def _distance(net: Network, h: torch.Tensor) -> torch.Tensor:
    """distance_to_boundary for one batch h (B, D_i) -> (B,).

    The Jacobian of layer k's pre-activations is kept as P_k @ R (P_k: (B, D_k, m)) with R the first
    layer's weights when the input is wider than the first layer (m = D_1, row norms through the Gram
    matrix R R^T), else R = identity (m = D_i): the cheaper of the two.
    """
    first = net.weights[0]  # (D_1, D_i)
    if net.input_dim <= first.shape[0]:
        P, gram = first.expand(h.shape[0], -1, -1), None  # (B, D_1, D_i)
    else:
        P, gram = torch.eye(first.shape[0], dtype=torch.float64).expand(h.shape[0], -1, -1), first @ first.T
    rule = activation(net.activation)
    best = torch.full((h.shape[0],), float("inf"), dtype=torch.float64)
    for k, (omega, beta) in enumerate(zip(net.weights[:-1], net.biases[:-1])):
        z = h @ omega.T + beta  # (B, D)
        if k > 0:
            P = omega @ P  # (B, D, m)
        squared = (P * P).sum(dim=2) if gram is None else ((P @ gram) * P).sum(dim=2)  # (B, D)
        norm = squared.clamp_min(0.0).sqrt()
        for c in rule.kinks:
            dist = (z - c).abs() / norm  # (B, D)
            best = torch.minimum(best, torch.where(norm > 0, dist, torch.inf).min(dim=1).values)
        h = net._act(z)
        P = rule.gain(z, net.negative_slope)[..., None] * P  # (B, D, m)
    return best

