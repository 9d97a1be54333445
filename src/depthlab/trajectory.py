"""Trajectory length: how much a network stretches a closed curve, layer by layer.

A closed curve x(t), t in [0, 1), is pushed through the network together with its velocity x'(t)
(forward-mode differentiation through every layer), so the length of its image after layer j is

    L_j = integral_0^1 |d h_j(x(t)) / dt| dt

computed with the periodic trapezoidal rule on n equally spaced t. Unlike the polygon through n
sampled points, which can only under-count a curve that wiggles between samples, the speed at each
sample is exact (a.e. for piecewise-linear nets), so no bias builds up with depth: n is doubled
until every layer's length changes by at most `rtol` (relative) from one n to the next.
(Poole et al. 2016; Raghu et al. 2017.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from depthlab.activations import apply_activation
from depthlab.checks import as_tensor, check_int
from depthlab.models.network import Network
from depthlab.signal import activation_slope


@dataclass(frozen=True)
class Circle:
    """x(t) = center + radius (u cos 2 pi t + v sin 2 pi t), t in [0, 1), with u, v orthonormal.

    center, u, v : (D,) float64 tensors; radius : float. `length` is 2 pi radius.
    """

    center: torch.Tensor
    u: torch.Tensor
    v: torch.Tensor
    radius: float

    @property
    def input_dim(self) -> int:
        """D, the dimension of the space the circle lies in."""
        return self.center.shape[0]

    @property
    def length(self) -> float:
        """2 pi radius."""
        return 2 * math.pi * self.radius

    def points(self, t: torch.Tensor) -> torch.Tensor:
        """x(t). t: (n,) -> (n, D)."""
        angle = 2 * math.pi * t[:, None]  # (n, 1)
        return self.center + self.radius * (torch.cos(angle) * self.u + torch.sin(angle) * self.v)  # (n, D)

    def velocity(self, t: torch.Tensor) -> torch.Tensor:
        """x'(t) = dx / dt. t: (n,) -> (n, D)."""
        angle = 2 * math.pi * t[:, None]  # (n, 1)
        return 2 * math.pi * self.radius * (torch.cos(angle) * self.v - torch.sin(angle) * self.u)  # (n, D)


def circle(input_dim: int, radius: float = 1.0, seed: int = 0, center=None) -> Circle:
    """A circle of `radius` in a random 2-D plane of R^input_dim (uniform over planes), around `center`.

    Parameters
    ----------
    input_dim : int, >= 2
    radius : float, default=1.0
    seed : int, default=0
        Seeds the plane (an explicit numpy Generator).
    center : array-like of shape (input_dim,) or None, default=None (the origin)

    Examples
    --------
    >>> c = circle(10, radius=2.0, seed=3)
    >>> round(float(c.points(torch.tensor([0.25]))[0].norm()), 12), round(c.length, 6)
    (2.0, 12.566371)
    """
    input_dim = check_int(input_dim, "input_dim", 2)
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not (0 < radius < math.inf):
        raise ValueError(f"The 'radius' parameter must be a finite float > 0. Got {radius!r} instead.")
    gaussian = np.random.default_rng(seed).standard_normal((input_dim, 2))
    basis, _ = np.linalg.qr(gaussian)  # (D, 2) orthonormal columns
    c = torch.zeros(input_dim, dtype=torch.float64) if center is None else as_tensor(center, "center").flatten()
    if c.shape != (input_dim,):
        raise ValueError(f"The 'center' parameter must have shape ({input_dim},). Got {tuple(c.shape)} instead.")
    u, v = torch.from_numpy(basis[:, 0].copy()), torch.from_numpy(basis[:, 1].copy())
    return Circle(c, u, v, float(radius))


def _speeds(net: Network, curve: Circle, t: torch.Tensor) -> torch.Tensor:
    """|d h_j / dt| at each t for the input, every hidden layer and the output. t: (n,) -> (n, K + 2)."""
    h = curve.points(t).to(net.dtype)  # (n, D_i)
    v = curve.velocity(t).to(net.dtype)  # (n, D_i)
    speeds = [v.norm(dim=1)]
    for omega, beta in zip(net.weights[:-1], net.biases[:-1]):
        z = torch.addmm(beta, h, omega.T)  # (n, D_k)
        h = apply_activation(net.activation, z, net.negative_slope)  # (n, D_k)
        v = activation_slope(net.activation, z, net.negative_slope) * (v @ omega.T)  # (n, D_k): chain rule
        speeds.append(v.norm(dim=1))
    speeds.append((v @ net.weights[-1].T).norm(dim=1))  # (n,)
    return torch.stack(speeds, dim=1)  # (n, K + 2)


def _mean_speeds(net: Network, curve: Circle, t: torch.Tensor, chunk: int) -> torch.Tensor:
    """Sum over t of the speeds, in chunks of t. t: (n,) -> (K + 2,)."""
    total = torch.zeros(net.depth + 2, dtype=torch.float64)
    for start in range(0, t.shape[0], chunk):
        total += _speeds(net, curve, t[start : start + chunk]).sum(dim=0).to(torch.float64)
    return total


def _polygon_lengths(net: Network, points: torch.Tensor) -> torch.Tensor:
    """Lengths of the closed polygon through `points` and through its image after every layer. -> (K + 2,)."""
    h = points.to(net.dtype)  # (n, D_i)
    layers = [h]
    with torch.no_grad():
        for omega, beta in zip(net.weights[:-1], net.biases[:-1]):
            h = apply_activation(net.activation, torch.addmm(beta, h, omega.T), net.negative_slope)  # (n, D_k)
            layers.append(h)
        layers.append(torch.addmm(net.biases[-1], h, net.weights[-1].T))  # (n, D_o)
    return torch.stack([(hj - hj.roll(1, dims=0)).norm(dim=1).sum() for hj in layers]).to(torch.float64)


def trajectory_length(
    net: Network,
    curve,
    rtol: float = 1e-3,
    min_points: int = 1024,
    max_points: int = 2**22,
    chunk: int = 2**14,
) -> torch.Tensor:
    """Length of a closed curve and of its image after every hidden layer and at the output.

    Parameters
    ----------
    net : Network
    curve : Circle (see `circle`) or array-like (n, D_i)
        A Circle is integrated adaptively (module docstring): n starts at `min_points` and doubles
        until no layer's length changes by more than `rtol` relative to its new value. An array of
        points is taken as a closed polygon (lengths of the polygon and of its images; no refinement,
        so a lower bound for the curve it samples).
    rtol : float, default=1e-3
    min_points, max_points : int, default=1024 and 2**22
        ValueError if `max_points` is reached before convergence.
    chunk : int, default=2**14
        Points pushed through the network at a time (memory).

    Returns
    -------
    Tensor, shape (K + 2,), float64: the input curve, after hidden layers 1..K, the output.

    Examples
    --------
    >>> net = Network.random([3, 5, 3], seed=0, activation="identity")
    >>> eye = Network((torch.eye(3, dtype=torch.float64),) * 2, (torch.zeros(3, dtype=torch.float64),) * 2,
    ...               "identity")
    >>> [round(v, 9) for v in trajectory_length(eye, circle(3, radius=0.5)).tolist()]
    [3.141592654, 3.141592654, 3.141592654]
    """
    if not isinstance(net, Network):
        raise ValueError(f"The 'net' parameter must be a depthlab Network. Got {type(net).__name__} instead.")
    if not (isinstance(rtol, float) and 0 < rtol < 1):
        raise ValueError(f"The 'rtol' parameter must be a float in (0, 1). Got {rtol!r} instead.")
    min_points, max_points = check_int(min_points, "min_points", 3), check_int(max_points, "max_points", 3)
    chunk = check_int(chunk, "chunk", 1)
    if not isinstance(curve, Circle):
        points = as_tensor(curve, "curve")
        if points.ndim != 2 or points.shape[1] != net.input_dim or points.shape[0] < 3:
            raise ValueError(
                f"The 'curve' parameter must be a Circle or points of shape (n >= 3, {net.input_dim}). "
                f"Got {tuple(points.shape)} instead."
            )
        return _polygon_lengths(net, points)
    if curve.input_dim != net.input_dim:
        raise ValueError(f"The 'curve' parameter must lie in R^{net.input_dim}. Got a circle in R^{curve.input_dim}.")
    n = min_points
    total = _mean_speeds(net, curve, torch.arange(n, dtype=torch.float64) / n, chunk)  # sum over n points
    while 2 * n <= max_points:
        offsets = (torch.arange(n, dtype=torch.float64) + 0.5) / n  # the midpoints: nested refinement
        refined = total + _mean_speeds(net, curve, offsets, chunk)
        old, new = total / n, refined / (2 * n)
        total, n = refined, 2 * n
        if bool(((new - old).abs() <= rtol * new.abs()).all()):
            return new
    raise ValueError(
        f"The 'max_points' parameter ({max_points}) was reached before every layer's length converged to "
        f"rtol={rtol}; raise max_points or rtol."
    )
