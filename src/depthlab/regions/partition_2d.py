"""Exact partition of a 2-D domain into the linear regions of a piecewise-linear network.

The domain is a convex polygon (2-input nets) or a rectangle in a plane x = origin + s u + r v through
a higher-dimensional input. Regions are convex polygons, kept as one flat vertex array with offsets
(CSR: region i owns vertices[starts[i]:starts[i+1]], counter-clockwise). Layer by layer, every region
carries the affine map of the layer's pre-activations in domain coordinates, z = o[r] + p @ G[r], and a
float64 noise floor per unit (64 eps times the magnitudes that formed z). A compiled loop over regions
(`_kernels.split_layer`, numba) takes each region's lines (kink, unit) whose z - kink is beyond the floor
on both sides at its vertices, in kink-major then unit order, and clips every piece of the region each
line strictly crosses (Sutherland-Hodgman); vertices within the floor count as on the line, so units
touching a region without crossing it add nothing. Each final region's pieces are read at its vertex
mean (an interior point) through the activation table (`depthlab.activations`), which gives the next
layer's input map h = c + p @ A; the next maps G' = A W^T, o' = c W^T + b and their floor are three
BLAS products over all regions at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from torch import nn

from depthlab.activations import Activation, activation
from depthlab.checks import as_network, as_tensor
from depthlab.models.network import Network
from depthlab.progress import progress

NOISE = 64 * float(np.finfo(np.float64).eps)  # relative noise floor of a float64 dot product


@dataclass(frozen=True)
class Plane:
    """The rectangle {origin + s u + r v : (s, r) in [s0, s1] x [r0, r1]} of a D_i-dimensional input space.

    Parameters
    ----------
    origin, u, v : array-like (D_i,)
    bounds : tuple (s0, s1, r0, r1), default=(-1, 1, -1, 1)
    """

    origin: object
    u: object
    v: object
    bounds: tuple = (-1.0, 1.0, -1.0, 1.0)

    def polygon(self) -> np.ndarray:
        """The rectangle's corners in plane coordinates, (4, 2) counter-clockwise."""
        s0, s1, r0, r1 = (float(x) for x in self.bounds)
        return np.array([[s0, r0], [s1, r0], [s1, r1], [s0, r1]])


def as_domain(domain: ArrayLike | Plane, input_dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(polygon (M, 2) counter-clockwise, origin (D_i,), basis (D_i, 2)) with x = origin + basis p."""
    if isinstance(domain, Plane):
        origin = as_tensor(domain.origin, "origin").reshape(-1).numpy()
        basis = np.stack(
            [as_tensor(domain.u, "u").reshape(-1).numpy(), as_tensor(domain.v, "v").reshape(-1).numpy()], axis=1
        )  # (D_i, 2)
        if origin.shape[0] != input_dim or basis.shape[0] != input_dim:
            raise ValueError(
                f"The 'domain' plane's origin, u and v must have {input_dim} coordinates (the network's inputs). "
                f"Got {origin.shape[0]}, {basis.shape[0]} instead."
            )
        bounds = tuple(domain.bounds)
        if len(bounds) != 4 or not (bounds[0] < bounds[1] and bounds[2] < bounds[3]):
            raise ValueError(f"The 'bounds' parameter must be (s0, s1, r0, r1) with s0 < s1, r0 < r1. Got {bounds}.")
        if abs(np.linalg.det(basis.T @ basis)) < 1e-300:
            raise ValueError("The 'domain' plane's u and v must be linearly independent.")
        return domain.polygon(), origin, basis
    if input_dim != 2:
        raise ValueError(
            f"The 'domain' parameter must be a Plane for a network with {input_dim} inputs "
            "(a polygon needs exactly 2)."
        )
    polygon = as_tensor(domain, "domain").numpy()
    if polygon.ndim != 2 or polygon.shape[1] != 2 or polygon.shape[0] < 3:
        raise ValueError(f"The 'domain' parameter must be an (M, 2) array of M >= 3 vertices. Got {polygon.shape}.")
    area = _signed_areas(polygon, np.array([0, polygon.shape[0]]))[0]
    if abs(area) < 1e-300:
        raise ValueError("The 'domain' parameter must be a polygon of positive area. Got a degenerate one.")
    polygon = polygon if area > 0 else polygon[::-1].copy()
    edges = np.roll(polygon, -1, axis=0) - polygon  # (M, 2)
    turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    if (turns < -1e-12 * np.abs(edges).max() ** 2).any():
        raise ValueError("The 'domain' parameter must be a convex polygon. Got a non-convex one.")
    return polygon, np.zeros(2), np.eye(2)


@dataclass(frozen=True, eq=False)
class Partition2D:
    """The linear regions of a network on a 2-D domain.

    Attributes
    ----------
    vertices : ndarray (V, 2), starts : ndarray (R+1,)
        All region polygons, counter-clockwise, in domain coordinates: region i is
        vertices[starts[i]:starts[i+1]].
    patterns : Tensor (R, n_flags) bool
        Each region's activation pattern (as `Network.patterns`).
    slopes : ndarray (R, D_o, 2), offsets : ndarray (R, D_o)
        The output on region i is offsets[i] + slopes[i] @ p, p in domain coordinates.
    domain : ndarray (M, 2), origin : ndarray (D_i,), basis : ndarray (D_i, 2)
        The domain polygon and the map p -> x = origin + basis p into input space.
    """

    vertices: np.ndarray
    starts: np.ndarray
    patterns: torch.Tensor
    slopes: np.ndarray
    offsets: np.ndarray
    domain: np.ndarray
    origin: np.ndarray
    basis: np.ndarray
    seconds: float = 0.0
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_regions(self) -> int:
        """Number of activation regions (each a convex polygon with its own pattern)."""
        return int(self.starts.shape[0] - 1)

    @property
    def polygons(self) -> list[np.ndarray]:
        """Region polygons, a list of (V_i, 2) arrays in domain coordinates."""
        if "polygons" not in self._cache:
            self._cache["polygons"] = np.split(self.vertices, self.starts[1:-1])
        return self._cache["polygons"]

    @property
    def areas(self) -> np.ndarray:
        """Region areas (R,), in domain coordinates."""
        return _signed_areas(self.vertices, self.starts)

    @property
    def domain_area(self) -> float:
        """Area of the domain polygon."""
        return float(_signed_areas(self.domain, np.array([0, self.domain.shape[0]]))[0])

    def interior_points(self) -> np.ndarray:
        """One interior point per region (its vertex mean), (R, 2) in domain coordinates."""
        return _vertex_means(self.vertices, self.starts)

    def to_input(self, points: np.ndarray) -> torch.Tensor:
        """Domain coordinates (n, 2) -> input space (n, D_i), float64."""
        return torch.as_tensor(self.origin + points @ self.basis.T)  # (n, D_i)

    def plot(self, ax: Axes | None = None, values=None, seed: int = 0, edge_width: float = 0.2) -> Axes:
        """Draw the regions, coloured, with thin boundaries.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Drawn on a new `matplotlib.figure.Figure` when None.
        values : None, "output" or array-like (R,)
            None: random pastel colour per region; "output": the network's first output at each
            region's interior point (viridis); an array: those values (viridis).
        seed : int, default=0
            Seeds the pastel colours.
        """
        if ax is None:
            ax = Figure(figsize=(5, 5)).add_subplot()
        collection = PolyCollection(self.polygons, edgecolors="0.15", linewidths=edge_width)
        if values is None:
            rng = np.random.default_rng(seed)
            collection.set_facecolor(0.55 + 0.45 * rng.random((self.n_regions, 3)))
        else:
            if isinstance(values, str) and values == "output":
                p = self.interior_points()  # (R, 2)
                values = self.offsets[:, 0] + np.einsum("ri,ri->r", self.slopes[:, 0, :], p)
            values = np.asarray(values, dtype=float).reshape(-1)
            if values.shape[0] != self.n_regions:
                raise ValueError(f"The 'values' parameter must have {self.n_regions} entries. Got {values.shape[0]}.")
            collection.set_array(values)
            collection.set_cmap("viridis")
        ax.add_collection(collection)
        lo, hi = self.domain.min(axis=0), self.domain.max(axis=0)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_aspect("equal")
        ax.set_title(f"{self.n_regions:,} linear regions")
        return ax

    def __repr__(self) -> str:
        return f"Partition2D(n_regions={self.n_regions}, domain_area={self.domain_area:.6g})"


def partition_2d(net: Network | nn.Module, domain: ArrayLike | Plane) -> Partition2D:
    """Exact linear regions of `net` on a convex polygon (2 inputs) or a `Plane` section.

    Parameters
    ----------
    net : Network or torch.nn.Sequential
        relu, leaky_relu, hardtanh or identity activations (computed in float64).
    domain : array-like (M, 2) or Plane
        Convex polygon, any orientation, for 2-input networks; a `Plane` for any input dimension.

    Returns
    -------
    Partition2D
        Region polygons, patterns (R, n_flags), areas (R,), output maps.

    Examples
    --------
    >>> from depthlab import Network
    >>> net = Network.random([2, 3, 1], init=("normal", 1.0, 0.3), seed=4)
    >>> part = partition_2d(net, [[-1, -1], [1, -1], [1, 1], [-1, 1]])
    >>> part.n_regions, round(float(part.areas.sum()), 9)  # 3 lines in general position: 1 + 3 + 3
    (7, 4.0)
    """
    start_time = time.perf_counter()
    net = as_network(net)
    rule = activation(net.activation)
    polygon, origin, basis = as_domain(domain, net.input_dim)
    vertices, starts = polygon.copy(), np.array([0, polygon.shape[0]])
    weights = [(w.numpy(), bias.numpy()) for w, bias in zip(net.weights, net.biases)]
    A, c = basis.T[None], origin[None]  # (1, 2, D_i), (1, D_i): x = c + p @ A
    G, o, noise = _layer_maps(A, c, np.abs(polygon).max(axis=0)[None], *weights[0])  # (1, 2, D_1), (1, D_1) x 2
    pieces: list[np.ndarray] = []
    for k in progress(range(net.depth), desc="partition_2d", unit="layer"):
        vertices, starts, rows = _split_layer(vertices, starts, G, o, noise, rule.kinks)
        maps = (G, o, noise)  # (R0, 2, D), (R0, D), (R0, D) on the layer-start regions
        G, o, noise, piece = _next_layer(rule, net.negative_slope, maps, rows, vertices, starts, weights[k + 1])
        pieces = [p[rows] for p in pieces] + [piece]
    slopes, offsets = G.transpose(0, 2, 1), o  # (R, D_o, 2), (R, D_o): the output layer's maps
    patterns = torch.as_tensor(rule.flags(np.concatenate(pieces, axis=1)))  # (R, n_flags), kink-major
    seconds = time.perf_counter() - start_time
    return Partition2D(vertices, starts, patterns, slopes, offsets, polygon, origin, basis, seconds)


def _layer_maps(
    A: np.ndarray, c: np.ndarray, p_max: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pre-activation maps z = o + p @ G of W h + b per region, given h = c + p @ A, and their noise floor.

    A (R, 2, D_k), c (R, D_k), p_max (R, 2) the region's largest |coordinates| -> G (R, 2, D), o (R, D) and
    noise (R, D) = NOISE * (p_max . |A| @ |W|^T + |c| @ |W|^T + |b|), the float64 noise of z on the region.
    """
    R, two, D = A.shape
    G = (A.reshape(R * two, D) @ W.T).reshape(R, two, W.shape[0])  # (R, 2, D')
    magnitude = p_max[:, :1] * np.abs(A[:, 0]) + p_max[:, 1:] * np.abs(A[:, 1]) + np.abs(c)  # (R, D_k)
    return G, c @ W.T + b, NOISE * (magnitude @ np.abs(W).T + np.abs(b))


def _next_layer(
    rule: Activation,
    negative_slope: float,
    maps: tuple[np.ndarray, np.ndarray, np.ndarray],
    rows: np.ndarray,
    vertices: np.ndarray,
    starts: np.ndarray,
    layer: tuple[np.ndarray, np.ndarray],
    chunk: int = 8192,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each final region's pieces (read at its vertex mean) and the next layer's maps, in chunks of regions.

    maps = (G, o, noise) of this layer, indexed by layer-start row; returns G' (R, 2, D'), o' (R, D') and
    noise' (R, D') of the next layer's pre-activations (or the output), and this layer's pieces (R, D) int8.
    """
    G, o, noise = maps
    p = _vertex_means(vertices, starts)  # (R, 2)
    p_max = np.maximum.reduceat(np.abs(vertices), starts[:-1], axis=0)  # (R, 2) largest |coordinate|
    kinks = np.asarray(rule.kinks, dtype=np.float64)  # (Q,)
    slopes = np.asarray(rule.slopes(negative_slope), dtype=np.float64)  # (Q+1,)
    intercepts = np.asarray(rule.intercepts, dtype=np.float64)  # (Q+1,)
    from depthlab.regions import _kernels  # numba loads on first use, not with `import depthlab`

    W, b = layer
    W_abs, b_abs = np.abs(W), np.abs(b)
    R = rows.shape[0]
    out_G, out_o, out_noise = np.empty((R, 2, W.shape[0])), np.empty((R, W.shape[0])), np.empty((R, W.shape[0]))
    pieces = np.empty((R, G.shape[2]), dtype=np.int8)
    for lo in range(0, R, chunk):
        sl = slice(lo, lo + chunk)
        pieces[sl], A, c, magnitude = _kernels.activate_regions(
            p[sl], p_max[sl], rows[sl], G, o, noise, kinks, slopes, intercepts
        )  # (c, D) int8, (c, 2, D), (c, D), (c, D): the layer's output h = c + p @ A on each region
        n = A.shape[0]
        out_G[sl] = (A.reshape(2 * n, -1) @ W.T).reshape(n, 2, W.shape[0])
        out_o[sl] = c @ W.T + b
        # local magnitudes: a bound compounded over layers is far too loose (it undercounts deep nets)
        out_noise[sl] = NOISE * (magnitude @ W_abs.T + b_abs)
    return out_G, out_o, out_noise, pieces


def _split_layer(
    vertices: np.ndarray, starts: np.ndarray, G: np.ndarray, o: np.ndarray, noise: np.ndarray, kinks: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut every region (CSR vertices (V, 2), starts (R+1,)) by all of this layer's kink lines that cross it.

    Region by region (compiled loop, `_kernels.split_layer`): the lines (kink, unit) whose pre-activation
    is beyond the noise floor on both sides at the region's vertices are applied in kink-major, then unit,
    order, each clipping every piece of the region it strictly crosses. Returns the final regions (CSR)
    and the layer-start row of each (R',).
    """
    if not kinks:
        return vertices, starts, np.arange(starts.shape[0] - 1)
    from depthlab.regions import _kernels  # numba loads on first use, not with `import depthlab`

    kink_array = np.asarray(kinks, dtype=np.float64)
    return _kernels.split_layer(vertices, starts.astype(np.int64), G, o, noise, kink_array)


def _signed_areas(vertices: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Shoelace areas (R,) of the CSR polygons (positive when counter-clockwise)."""
    counts = np.diff(starts)
    nxt = np.arange(vertices.shape[0]) + 1
    nxt[starts[1:] - 1] = starts[:-1]
    local = vertices - np.repeat(vertices[starts[:-1]], counts, axis=0)  # (V, 2) relative to the first vertex
    cross = local[:, 0] * local[nxt, 1] - local[:, 1] * local[nxt, 0]  # (V,)
    return 0.5 * np.add.reduceat(cross, starts[:-1]) * (counts > 0)


def _vertex_means(vertices: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Mean of each polygon's vertices, (R, 2): an interior point of a convex polygon."""
    return np.add.reduceat(vertices, starts[:-1], axis=0) / np.diff(starts)[:, None]
