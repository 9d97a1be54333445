"""How densely a network's linear regions pack the input space (Hanin & Rolnick 2019).

Hanin & Rolnick (2019, "Complexity of linear regions in deep networks") prove that for a ReLU network
at a standard initialization the expected number of region boundaries a line crosses per unit length
is about linear in N, the total number of hidden neurons, whatever the depth, and that the expected
distance from a point to the nearest region boundary scales like 1 / N. This module measures both
exactly on given networks:

- along random segments: the exact breakpoints of `count_regions_1d` (activation-region changes,
  i.e. consecutive pieces with distinct patterns), divided by the segment's length;
- from random points: the exact Euclidean distance to the boundary of the point's activation region
  (`distance_to_boundary`; not an estimate along one direction).

Random inputs come from the cube [-bound, bound]^D_i: segment centres uniform in the cube, directions
uniform on the sphere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from depthlab.architectures import equal_neuron_widths  # noqa: F401  (re-exported)
from depthlab.checks import as_network, check_int
from depthlab.models.network import Network
from depthlab.regions.count_1d import count_regions_1d
from depthlab.regions.distance import distance_to_boundary
from depthlab.regions.partition_2d import Partition2D
from depthlab.seeds import derive_seed


def _check_bound(bound: float) -> float:
    if not isinstance(bound, (int, float)) or not bound > 0:
        raise ValueError(f"The 'bound' parameter must be a number > 0. Got {bound!r} instead.")
    return float(bound)


def random_points(input_dim: int, n_points: int, seed: int = 0, bound: float = 1.0) -> torch.Tensor:
    """Points drawn uniformly from the cube [-bound, bound]^input_dim.

    Returns
    -------
    Tensor (n_points, input_dim) float64
    """
    input_dim, n_points = check_int(input_dim, "input_dim", 1), check_int(n_points, "n_points", 1)
    generator = torch.Generator().manual_seed(int(seed))
    unit = torch.rand(n_points, input_dim, generator=generator, dtype=torch.float64)  # (n, D_i)
    return _check_bound(bound) * (2 * unit - 1)


def random_segments(
    input_dim: int, n_lines: int, length: float = 2.0, seed: int = 0, bound: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Segments of the given length centred at uniform points of the cube, in uniform random directions.

    Parameters
    ----------
    input_dim : int >= 1
    n_lines : int >= 1
    length : float > 0, default=2.0
    seed : int, default=0
    bound : float > 0, default=1.0
        Centres are uniform in [-bound, bound]^input_dim.

    Returns
    -------
    a, b : Tensor (n_lines, input_dim) float64
        The segments' ends, ||b - a|| = length.
    """
    if not isinstance(length, (int, float)) or not length > 0:
        raise ValueError(f"The 'length' parameter must be a number > 0. Got {length!r} instead.")
    centres = random_points(input_dim, n_lines, seed, bound)  # (n, D_i)
    generator = torch.Generator().manual_seed(derive_seed(seed, "directions"))
    directions = torch.randn(n_lines, input_dim, generator=generator, dtype=torch.float64)  # (n, D_i)
    directions = directions / directions.norm(dim=1, keepdim=True)
    half = 0.5 * float(length) * directions  # (n, D_i)
    return centres - half, centres + half


def breakpoints_per_unit_length(net: Network | nn.Module, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Exact number of activation-region boundaries crossed per unit length along each segment a[i] -> b[i].

    Parameters
    ----------
    net : Network or torch.nn.Sequential (relu, leaky_relu, hardtanh or identity)
    a, b : Tensor (L, D_i)

    Returns
    -------
    Tensor (L,) float64
        (n_regions - 1) / ||b - a||, n_regions from `count_regions_1d` (consecutive distinct patterns).

    Examples
    --------
    >>> from depthlab.construct.maximal import shallow_max_regions_net
    >>> breakpoints_per_unit_length(shallow_max_regions_net(3), torch.zeros(1, 1), torch.full((1, 1), 2.0)).tolist()
    [1.5]
    """
    net = as_network(net)
    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
    if a.ndim != 2 or a.shape != b.shape or a.shape[1] != net.input_dim:
        raise ValueError(
            f"The 'a' and 'b' parameters must both have shape (L, {net.input_dim}). "
            f"Got {tuple(a.shape)} and {tuple(b.shape)} instead."
        )
    lengths = (b - a).norm(dim=1)  # (L,)
    if bool((lengths <= 0).any()):
        raise ValueError("The 'a' and 'b' parameters must give segments of positive length. Got a zero-length one.")
    group = max(1, MAX_PARALLEL_UNITS // max(net.widths[1:-1], default=1))  # segments counted in one pass
    counts = torch.cat([_crossings_in_parallel(net, a[lo : lo + group], b[lo : lo + group])
                        for lo in range(0, a.shape[0], group)])  # (L,)
    return counts / lengths


MAX_PARALLEL_UNITS = 1024  # widest layer of the block-diagonal stack of copies counted at once


def _crossings_in_parallel(net: Network, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pattern changes along each segment a[i] -> b[i], (G,) float64, from one `count_regions_1d` call.

    G copies of the network side by side (block-diagonal weights) read the G segments stacked into one
    segment of the (G D_i)-dimensional input space; all copies share t, so copy i's pattern changes
    along the stacked segment are exactly its changes along a[i] -> b[i].
    """
    copies = a.shape[0]
    stacked = Network(
        tuple(torch.block_diag(*[w] * copies) for w in net.weights),
        tuple(beta.repeat(copies) for beta in net.biases),
        net.activation,
        net.negative_slope,
    )
    patterns = count_regions_1d(stacked, a.reshape(-1), b.reshape(-1)).patterns  # (R, n_flags)
    owner = torch.cat([torch.arange(copies).repeat_interleave(w) for w in net.widths[1:-1]])  # (n_hidden G,)
    if patterns.shape[1] != owner.shape[0]:  # hardtanh: all low flags, then all high flags
        owner = owner.repeat(patterns.shape[1] // owner.shape[0])
    changed = (patterns[1:] != patterns[:-1]).to(torch.float64)  # (R-1, n_flags)
    one_hot = torch.nn.functional.one_hot(owner, copies).to(torch.float64)  # (n_flags, G)
    return ((changed @ one_hot) > 0).sum(dim=0).to(torch.float64)  # (G,)


@dataclass(frozen=True)
class RegionDensity:
    """Region density of one network on the cube [-bound, bound]^D_i.

    Attributes
    ----------
    breakpoints_per_length : Tensor (L,)
        Exact boundaries crossed per unit length along each random segment.
    distances : Tensor (P,)
        Exact distance from each random point to the boundary of its activation region.
    n_neurons : int
        Hidden neurons of the network.
    """

    breakpoints_per_length: torch.Tensor
    distances: torch.Tensor
    n_neurons: int

    @property
    def mean_density(self) -> float:
        """Mean boundaries crossed per unit length."""
        return float(self.breakpoints_per_length.mean())

    @property
    def density_per_neuron(self) -> float:
        """mean_density / N (Hanin & Rolnick: about constant in N and depth at initialization)."""
        return self.mean_density / self.n_neurons

    @property
    def mean_distance(self) -> float:
        """Mean distance to the nearest region boundary."""
        return float(self.distances.mean())


def region_density(
    net: Network | nn.Module,
    n_lines: int = 20,
    n_points: int = 1000,
    length: float = 2.0,
    seed: int = 0,
    bound: float = 1.0,
) -> RegionDensity:
    """Boundaries per unit length along random segments, and distances from random points to the boundary.

    Parameters
    ----------
    net : Network or torch.nn.Sequential
    n_lines : int >= 1
        Random segments (see `random_segments`).
    n_points : int >= 1
        Random points, uniform in the cube.
    length : float
        Length of every segment.
    seed : int
    bound : float
        The cube is [-bound, bound]^D_i.

    Returns
    -------
    RegionDensity
    """
    net = as_network(net)
    a, b = random_segments(net.input_dim, n_lines, length, seed, bound)  # (L, D_i) each
    x = random_points(net.input_dim, n_points, derive_seed(seed, "points"), bound)  # (P, D_i)
    return RegionDensity(breakpoints_per_unit_length(net, a, b), distance_to_boundary(net, x), net.n_hidden)


@dataclass(frozen=True)
class LineFit:
    """Least-squares line y = slope x + intercept and its coefficient of determination r2."""

    slope: float
    intercept: float
    r2: float


def fit_line(x: Sequence[float], y: Sequence[float]) -> LineFit:
    """Ordinary least squares of y on x (at least two distinct x).

    Examples
    --------
    >>> fit = fit_line([1, 2, 3], [2, 4, 6])
    >>> round(fit.slope, 12), round(fit.intercept, 12), round(fit.r2, 12)
    (2.0, 0.0, 1.0)
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xs.ndim != 1 or xs.shape != ys.shape or np.unique(xs).size < 2:
        raise ValueError(
            "The 'x' and 'y' parameters must be 1-D of the same length with at least two distinct x. "
            f"Got shapes {xs.shape} and {ys.shape} instead."
        )
    slope, intercept = np.polyfit(xs, ys, 1)
    residual = ys - (slope * xs + intercept)
    total = float(((ys - ys.mean()) ** 2).sum())
    r2 = 1.0 - float((residual**2).sum()) / total if total > 0 else 1.0
    return LineFit(float(slope), float(intercept), r2)


def boundary_length_per_area(partition: Partition2D) -> float:
    """Total length of the region boundaries inside a 2-D domain, per unit area of the domain.

    Every interior edge is shared by two regions, so the boundary length is (sum of the region
    perimeters - the domain's perimeter) / 2. With an orthonormal `Plane` (or a 2-input net) this is
    the boundary's length in input space; Hanin & Rolnick's Theorem 2 says its expectation per unit
    area (volume, in higher dimensions) is linear in N at initialization.

    Parameters
    ----------
    partition : Partition2D

    Returns
    -------
    float

    Examples
    --------
    >>> from depthlab.regions import partition_2d
    >>> square = [[0, 0], [1, 0], [1, 1], [0, 1]]
    >>> net = Network((torch.tensor([[1.0, 0.0]], dtype=torch.float64), torch.ones(1, 1, dtype=torch.float64)),
    ...               (torch.tensor([-0.5], dtype=torch.float64), torch.zeros(1, dtype=torch.float64)))
    >>> boundary_length_per_area(partition_2d(net, square))  # the line x = 0.5 cuts the unit square
    1.0
    """
    perimeters = sum(_perimeter(polygon) for polygon in partition.polygons)
    return 0.5 * (perimeters - _perimeter(partition.domain)) / float(partition.domain_area)


def _perimeter(polygon: np.ndarray) -> float:
    """Perimeter of a closed polygon given as (V, 2) vertices."""
    return float(np.linalg.norm(np.roll(polygon, -1, axis=0) - polygon, axis=1).sum())
