"""Exact partition of a 2-D domain into the linear regions of a piecewise-linear network.

The domain is a convex polygon (2-input nets) or a rectangle in a plane x = origin + s u + r v through
a higher-dimensional input. Regions are convex polygons, kept as one flat vertex array with offsets
(CSR: region i owns vertices[starts[i]:starts[i+1]], counter-clockwise). Layer by layer, every region
carries the affine map of the layer's input in domain coordinates, h = A[r] p + c[r]; unit by unit
(and kink by kink for hardtanh), the pre-activation's sign is evaluated at all vertices of all regions
at once, and every polygon with vertices strictly on both sides is clipped into two (a vectorized
Sutherland-Hodgman step). Vertices within float64 noise of a unit's kink count as on it, so units
touching a region without crossing it add nothing. At the end of a layer, each region's pattern is
read at its vertex mean (an interior point) and gives the next layer's maps.
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

from depthlab.checks import as_tensor
from depthlab.lab.progress import progress
from depthlab.network import Network
from depthlab.regions.count_1d import KINKS, NOISE, as_network


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
    polygon, origin, basis = as_domain(domain, net.input_dim)
    vertices, starts = polygon.copy(), np.array([0, polygon.shape[0]])
    weights = [(w.numpy(), bias.numpy()) for w, bias in zip(net.weights, net.biases)]
    # maps of the first layer's pre-activations: z = o + p @ G, with magnitudes for the noise floor
    A, c = basis.T[None], origin[None]  # (1, 2, D_i), (1, D_i): x = c + p @ A
    G, o, G_abs, o_abs = _linear_maps(A, c, np.abs(A), np.abs(c), *weights[0])
    flags = np.zeros((1, 0), dtype=bool)
    kinks = KINKS[net.activation]
    for k in progress(range(net.depth), desc="partition_2d", unit="layer"):
        p_max = np.maximum.reduceat(np.abs(vertices), starts[:-1], axis=0)  # (R0, 2) largest |coordinate|
        noise = NOISE * (p_max[:, :1] * G_abs[:, 0] + p_max[:, 1:] * G_abs[:, 1] + o_abs)  # (R0, D)
        regions = _RegionBuffer(vertices, starts)
        for kink in kinks:
            crossed = _crossed(vertices, starts, G, o - kink, noise)  # (R0, D) layer-start regions cut
            for j in np.flatnonzero(crossed.any(axis=0)):
                regions.split(crossed[:, j], G[:, :, j], o[:, j] - kink, noise[:, j])
        vertices, starts, rows = regions.compact()
        G, o, G_abs, o_abs, layer_flags = _next_layer(net, G, o, G_abs, noise, rows, vertices, starts, weights[k + 1])
        flags = np.concatenate([flags[rows], layer_flags], axis=1)
    slopes, offsets = G.transpose(0, 2, 1), o  # (R, D_o, 2), (R, D_o): the output layer's maps
    patterns = torch.as_tensor(_order_flags(flags, net))
    seconds = time.perf_counter() - start_time
    return Partition2D(vertices, starts, patterns, slopes, offsets, polygon, origin, basis, seconds)


def _linear_maps(
    A: np.ndarray, c: np.ndarray, A_abs: np.ndarray, c_abs: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Affine maps of W h + b given h = c + p @ A per region: G (R, 2, D), o (R, D) and their magnitudes."""
    W_abs = np.abs(W)
    return _batched_linear(A, W), c @ W.T + b, _batched_linear(A_abs, W_abs), c_abs @ W_abs.T + np.abs(b)


def _next_layer(
    net: Network,
    G: np.ndarray,
    o: np.ndarray,
    G_abs: np.ndarray,
    noise: np.ndarray,
    rows: np.ndarray,
    vertices: np.ndarray,
    starts: np.ndarray,
    layer: tuple[np.ndarray, np.ndarray],
    chunk: int = 8192,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each final region's pattern (read at its vertex mean) and the next layer's maps, in chunks of regions.

    G, o, G_abs, noise are indexed by layer-start row; returns G', o', G_abs', o_abs' (R, 2, D'), (R, D')
    of the next layer's pre-activations (or the output) and this layer's flags (R, F_k).
    """
    p = _vertex_means(vertices, starts)  # (R, 2)
    W, b = layer
    R = rows.shape[0]
    out_G, out_G_abs = np.empty((R, 2, W.shape[0])), np.empty((R, 2, W.shape[0]))
    out_o, out_o_abs = np.empty((R, W.shape[0])), np.empty((R, W.shape[0]))
    flags = []
    for lo in range(0, R, chunk):
        sl, r = slice(lo, lo + chunk), rows[lo : lo + chunk]
        Gr, orr = G[r], o[r]  # (c, 2, D), (c, D)
        z = p[sl, :1] * Gr[:, 0] + p[sl, 1:] * Gr[:, 1] + orr  # (c, D)
        z = np.where(np.abs(z) <= noise[r], 0.0, z)
        A, c, chunk_flags = _activate(net, Gr, orr, z)
        # local magnitudes: a bound compounded over layers is far too loose (it undercounts deep nets)
        out_G[sl], out_o[sl], out_G_abs[sl], out_o_abs[sl] = _linear_maps(A, c, np.abs(A), np.abs(c), W, b)
        flags.append(chunk_flags)
    return out_G, out_o, out_G_abs, out_o_abs, np.concatenate(flags) if flags else np.zeros((0, 0), dtype=bool)


def _batched_linear(A: np.ndarray, W: np.ndarray) -> np.ndarray:
    """A (R, 2, D_k) -> A @ W.T (R, 2, D_{k+1}) as one matrix product."""
    R, two, D = A.shape
    return (A.reshape(R * two, D) @ W.T).reshape(R, two, W.shape[0])


def _crossed(vertices: np.ndarray, starts: np.ndarray, G: np.ndarray, o: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """(R, D) bool: whether unit j's zero line strictly crosses region r (vertices beyond noise on both sides)."""
    counts = np.diff(starts)
    owner = np.repeat(np.arange(counts.shape[0]), counts)  # (V,)
    out = np.zeros((G.shape[0], G.shape[2]), dtype=bool)
    block = max(1, 4_000_000 // max(vertices.shape[0], 1))
    for j0 in range(0, G.shape[2], block):
        sl = slice(j0, j0 + block)
        x, y = vertices[:, :1], vertices[:, 1:]  # (V, 1) each
        z = x * G[owner, 0, sl] + y * G[owner, 1, sl] + o[owner, sl]  # (V, d)
        eps = noise[owner, sl]  # (V, d)
        pos = np.logical_or.reduceat(z > eps, starts[:-1], axis=0)  # (R, d)
        neg = np.logical_or.reduceat(z < -eps, starts[:-1], axis=0)
        out[:, sl] = pos & neg
    return out


class _RegionBuffer:
    """Convex polygons in growable buffers: split regions are marked dead and their halves appended."""

    def __init__(self, vertices: np.ndarray, starts: np.ndarray) -> None:
        n = starts.shape[0] - 1
        self.verts = np.empty((2 * vertices.shape[0] + 64, 2))
        self.verts[: vertices.shape[0]] = vertices
        self.n_verts = vertices.shape[0]
        self.vstart = np.empty(2 * n + 64, dtype=np.int64)
        self.vcount = np.empty_like(self.vstart)
        self.rows = np.empty_like(self.vstart)
        self.alive = np.zeros(self.vstart.shape[0], dtype=bool)
        self.vstart[:n], self.vcount[:n] = starts[:-1], np.diff(starts)
        self.rows[:n], self.alive[:n] = np.arange(n), True
        self.n = n

    def split(self, crossed: np.ndarray, g: np.ndarray, o: np.ndarray, noise: np.ndarray) -> None:
        """Clip every live region whose layer-start ancestor row is crossed by g[row] . p + o[row] = 0."""
        n = self.n
        idx = np.flatnonzero(self.alive[:n] & crossed[self.rows[:n]])  # (Rc,) candidates
        if idx.size == 0:
            return
        counts = self.vcount[idx]  # (Rc,)
        sub_starts = np.concatenate([[0], np.cumsum(counts)])
        vidx = np.repeat(self.vstart[idx] - sub_starts[:-1], counts) + np.arange(sub_starts[-1])  # (Vc,)
        sv, row_v = self.verts[vidx], np.repeat(self.rows[idx], counts)  # (Vc, 2), (Vc,)
        z = np.einsum("vi,vi->v", sv, g[row_v]) + o[row_v]  # (Vc,)
        eps = noise[row_v]  # (Vc,)
        pos, neg = z > eps, z < -eps
        split = np.logical_or.reduceat(pos, sub_starts[:-1]) & np.logical_or.reduceat(neg, sub_starts[:-1])  # (Rc,)
        if not split.any():
            return
        vsplit = np.repeat(split, counts)
        s_counts = counts[split]
        s_starts = np.concatenate([[0], np.cumsum(s_counts)])
        sv, sz, sp, sn = sv[vsplit], z[vsplit], pos[vsplit], neg[vsplit]
        nxt = np.arange(sv.shape[0]) + 1  # (Vs,) next vertex in the same polygon
        nxt[s_starts[1:] - 1] = s_starts[:-1]
        crosses = (sp & sn[nxt]) | (sn & sp[nxt])  # (Vs,)
        lam = np.where(crosses, sz / np.where(crosses, sz - sz[nxt], 1.0), 0.0)  # (Vs,)
        cut = sv + lam[:, None] * (sv[nxt] - sv)  # (Vs, 2) intersection on edge (i, next i)
        parents = idx[split]
        self.alive[parents] = False
        for keep in (~sn, ~sp):  # positive side, then negative side
            half_v, half_s = _emit(sv, cut, keep, crosses, s_starts)
            self._append(half_v, half_s, self.rows[parents])

    def _append(self, vertices: np.ndarray, starts: np.ndarray, rows: np.ndarray) -> None:
        nv, nr = vertices.shape[0], rows.shape[0]
        if self.n_verts + nv > self.verts.shape[0]:
            grown = np.empty((2 * (self.n_verts + nv), 2))
            grown[: self.n_verts] = self.verts[: self.n_verts]
            self.verts = grown
        if self.n + nr > self.vstart.shape[0]:
            size = 2 * (self.n + nr)
            for name in ("vstart", "vcount", "rows", "alive"):
                old = getattr(self, name)
                new = np.zeros(size, dtype=old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self.verts[self.n_verts : self.n_verts + nv] = vertices
        sl = slice(self.n, self.n + nr)
        self.vstart[sl], self.vcount[sl] = self.n_verts + starts[:-1], np.diff(starts)
        self.rows[sl], self.alive[sl] = rows, True
        self.n_verts += nv
        self.n += nr

    def compact(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Live regions as CSR (vertices (V, 2), starts (R+1,)) and their layer-start rows (R,)."""
        idx = np.flatnonzero(self.alive[: self.n])
        counts = self.vcount[idx]
        starts = np.concatenate([[0], np.cumsum(counts)])
        vidx = np.repeat(self.vstart[idx] - starts[:-1], counts) + np.arange(starts[-1])
        return self.verts[vidx], starts, self.rows[idx]


def _emit(
    sv: np.ndarray, cut: np.ndarray, keep: np.ndarray, crosses: np.ndarray, sub_starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One side of the clip: per vertex in order, the vertex if kept, then the edge's cut point if any."""
    per_vertex = keep.astype(np.int64) + crosses  # (Vs,)
    at = np.cumsum(per_vertex) - per_vertex  # (Vs,) output position of each vertex's first emission
    out = np.empty((int(per_vertex.sum()), 2))
    out[at[keep]] = sv[keep]
    out[(at + keep)[crosses]] = cut[crosses]
    totals = np.add.reduceat(per_vertex, sub_starts[:-1])  # (Rs,)
    return out, np.concatenate([[0], np.cumsum(totals)])


def _activate(net: Network, G: np.ndarray, o: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Next layer's input map A (R, 2, D), c (R, D) and this layer's flags (R, F_k) from pre-activations z."""
    if net.activation == "identity":
        return G, o, np.zeros((z.shape[0], 0), dtype=bool)
    if net.activation == "hardtanh":
        low, high = z > -1, z > 1
        linear = low & ~high
        return G * linear[:, None, :], np.where(linear, o, np.where(high, 1.0, -1.0)), np.concatenate([low, high], 1)
    on = z > 0
    gain = np.where(on, 1.0, 0.0 if net.activation == "relu" else float(net.negative_slope))  # (R, D)
    return G * gain[:, None, :], o * gain, on


def _order_flags(flags: np.ndarray, net: Network) -> np.ndarray:
    """Layer-major flags -> `Network.patterns` order (hardtanh: every low flag, then every high flag)."""
    if net.activation != "hardtanh":
        return flags
    D = net.widths[1:-1]
    lows, highs, at = [], [], 0
    for d in D:
        lows.append(flags[:, at : at + d])
        highs.append(flags[:, at + d : at + 2 * d])
        at += 2 * d
    return np.concatenate(lows + highs, axis=1)


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
