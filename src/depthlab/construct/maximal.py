"""Networks with the maximal number of linear regions: shallow, deep folding, and D_i-input versions.

The folding layer. A layer of D >= 3 ReLU units can turn u in [0, 1] into a zigzag F(u) with D + 1
monotone pieces, each mapping its interval onto [0, 1], without any skip connection. Each unit is
relu(u - k_i) ("right-facing", on to the right of its kink) or relu(k_i - u) ("left-facing"); the
zigzag's slope on the first piece must come from the left-facing units and its slope jumps at the
kinks are the units' output weights c_i. With every unit right-facing the first piece is flat (no
fold), and with one left-facing unit the slopes cannot alternate for even D. Making units 2 and 3
left-facing works for every D >= 3 when the fourth piece is half as wide as the others (its slope is
then the sum of the first two slopes' magnitudes, which is exactly what the left-facing pair needs):

    widths w, w, w, w/2, w, ..., w  (D + 1 pieces, w = 1 / (D + 1/2)),  F(kinks) = 0, 1, 0, 1, 0, ...

K such layers fold [0, 1] (D + 1)^K times: the lecture's 1-10-10-10-10-10-1 network has 471
parameters and 11^5 = 161,051 regions. With D <= 2 no ReLU layer folds [0, 1] onto itself D + 1 times
(Serra et al. 2018 need widths >= 3 too), so those raise ValueError.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from depthlab.checks import check_int
from depthlab.models.network import Network

LEFT_FACING = (1, 2)  # zero-based indices of the units that are on to the left of their kink


def fold_kinks(D: int) -> np.ndarray:
    """Kinks (D,) of the D+1-piece zigzag on [0, 1]: piece widths w, w, w, w/2, w, ..., w."""
    widths = np.ones(D + 1)
    widths[3] = 0.5
    return np.cumsum(widths / widths.sum())[:-1]


def fold_layer(D: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """One folding layer: units a_i relu(s_i u + b_i) and read-out F(u) = c . h + c0.

    Returns
    -------
    s : ndarray (D,) input signs (+1 right-facing, -1 left-facing)
    b : ndarray (D,) unit biases
    c : ndarray (D,) read-out weights
    c0 : float read-out bias, so that F maps [0, 1] onto [0, 1] in D + 1 alternating pieces.
    """
    kinks = fold_kinks(D)  # (D,)
    bounds = np.concatenate([[0.0], kinks, [1.0]])  # (D+2,)
    values = np.arange(D + 2) % 2  # F at the bounds: 0, 1, 0, 1, ...
    slopes = np.diff(values) / np.diff(bounds)  # (D+1,)
    c = np.diff(slopes)  # (D,) slope jump at each kink
    s = np.ones(D)
    s[list(LEFT_FACING)] = -1.0
    b = -s * kinks
    c0 = -float(sum(c[i] * kinks[i] for i in LEFT_FACING))  # F(0) = 0
    return s, b, c, c0


def _check_fold_width(D: int, name: str = "D") -> int:
    D = check_int(D, name, 1)
    if D < 3:
        raise ValueError(
            f"The '{name}' parameter must be an int >= 3: a ReLU layer of fewer units cannot fold [0, 1] "
            f"onto itself D + 1 times. Got {D} instead."
        )
    return D


def folding_net(K: int, D: int, dtype: torch.dtype = torch.float64) -> Network:
    """1 input, K hidden layers of D >= 3 units, 1 output: (D + 1)^K regions on [0, 1].

    The output is the K-fold zigzag: it maps each of the (D + 1)^K pieces onto [0, 1].

    Parameters
    ----------
    K : int >= 1
        Hidden layers.
    D : int >= 3
        Units per layer.

    Examples
    --------
    >>> from depthlab.regions import count_regions_1d
    >>> net = folding_net(5, 10)
    >>> net.n_params, count_regions_1d(net, 0.0, 1.0).n_regions
    (471, 161051)
    """
    K = check_int(K, "K", 1)
    D = _check_fold_width(D)
    s, b, c, c0 = (torch.as_tensor(v, dtype=dtype) for v in fold_layer(D))
    weights = [s[:, None]]  # (D, 1)
    biases = [b]
    for _ in range(K - 1):
        weights.append(s[:, None] * c[None, :])  # (D, D): unit i sees s_i (F(u) - k_i)
        biases.append(s * c0 + b)
    weights.append(c[None, :])  # (1, D)
    biases.append(c0.reshape(1))
    return Network(tuple(weights), tuple(biases))


def shallow_max_regions_net(D: int, dtype: torch.dtype = torch.float64) -> Network:
    """A 1-D-1 network with D + 1 regions (and D + 1 affine pieces) on [0, 1].

    Kinks at j / (D + 1), j = 1..D; output slopes 0, 1, -1, 1, ... on the pieces.

    Examples
    --------
    >>> from depthlab.regions import count_regions_1d
    >>> count_regions_1d(shallow_max_regions_net(6), 0.0, 1.0).n_pieces
    7
    """
    D = check_int(D, "D", 1)
    kinks = torch.arange(1, D + 1, dtype=dtype) / (D + 1)  # (D,)
    slopes = torch.tensor([0.0] + [(-1.0) ** j for j in range(D)], dtype=dtype)  # (D+1,)
    out = slopes[1:] - slopes[:-1]  # (D,)
    return Network((torch.ones(D, 1, dtype=dtype), out[None, :]), (-kinks, torch.zeros(1, dtype=dtype)))


def general_position_hyperplanes(D: int, D_i: int, spread: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """D hyperplanes n_j . x = e_j in general position, all meeting points inside [0, 1]^D_i.

    Normals spread over a half-circle in the first two coordinates (powers of a parameter in the others),
    offsets a generic perturbation of the planes through the cube's centre, scaled so that every vertex
    (the meeting point of D_i planes) is within `spread` of the centre in every coordinate. The vertices
    are enumerated exactly when there are at most 100,000 of them; beyond that the scale comes from a
    conditioning bound and is not verified.

    Returns
    -------
    normals : ndarray (D, D_i)
    offsets : ndarray (D,)

    Examples
    --------
    >>> normals, offsets = general_position_hyperplanes(4, 2)
    >>> normals.shape, offsets.shape
    ((4, 2), (4,))
    """
    t = np.linspace(-1.0, 1.0, D) if D > 1 else np.zeros(1)
    normals = np.stack([t**p for p in range(D_i)], axis=1)  # (D, D_i)
    if D_i >= 2:
        normals[:, 0] = np.cos(np.pi * (np.arange(D) + 0.5) / D)
        normals[:, 1] = np.sin(np.pi * (np.arange(D) + 0.5) / D)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    jitter = (np.arange(1, D + 1) * golden) % 1.0 - 0.5  # (D,) generic, deterministic
    centre = np.full(D_i, 0.5)
    offsets = normals @ centre + spread * jitter / _largest_vertex_offset(normals, jitter)  # (D,)
    return normals, offsets


def _largest_vertex_offset(normals: np.ndarray, jitter: np.ndarray) -> float:
    """max over D_i-subsets S of |N_S^-1 jitter_S|_inf: how far the vertices move per unit of offset."""
    D, D_i = normals.shape
    if D < D_i:
        return 1.0
    if math.comb(D, D_i) > 100_000:
        return float(np.abs(jitter).max()) * math.sqrt(D_i) * D / float(np.linalg.svd(normals, compute_uv=False).min())
    subsets = np.array(list(itertools.combinations(range(D), D_i)))  # (S, D_i)
    moves = np.linalg.solve(normals[subsets], jitter[subsets][..., None])[..., 0]  # (S, D_i)
    return max(float(np.abs(moves).max()), 1e-12)


def max_regions_net(D_i: int, K: int, D: int, dtype: torch.dtype = torch.float64) -> Network:
    """The book's D_i-input construction (eq. 4.17): K layers of D units on the cube [0, 1]^D_i.

    Layers 1..K-1 split their D units into D_i groups of D / D_i >= 3; group g folds coordinate g of the
    current point onto [0, 1] (D / D_i + 1) times, so after K - 1 layers the cube is cut into
    (D / D_i + 1)^(D_i (K - 1)) boxes each mapped onto the whole cube. The last layer places D
    hyperplanes in general position with every vertex inside the cube, adding Zaslavsky's
    sum_{j <= D_i} C(D, j) regions in every box; the output is the sum of the last layer's units.
    Total: udl_max_regions(D, D_i, K) regions on [0, 1]^D_i: counted exactly with `partition_2d` for
    D_i = 2; for larger D_i every vertex of the last layer's arrangement is checked to lie inside the
    cube (which gives Zaslavsky's count there) when there are at most 100,000 vertices.

    Parameters
    ----------
    D_i : int >= 1
        Inputs.
    K : int >= 1
        Hidden layers.
    D : int
        Units per layer; for K >= 2, a multiple of D_i with D / D_i >= 3.
    """
    D_i = check_int(D_i, "D_i", 1)
    K = check_int(K, "K", 1)
    D = check_int(D, "D", 1)
    if K >= 2 and (D % D_i or D // D_i < 3):
        raise ValueError(
            f"The 'D' parameter must be a multiple of D_i = {D_i} with D / D_i >= 3 when K >= 2. Got {D} instead."
        )
    normals, offsets = general_position_hyperplanes(D, D_i)
    last_w = torch.as_tensor(normals, dtype=dtype)  # (D, D_i) acting on the folded point
    last_b = torch.as_tensor(-offsets, dtype=dtype)  # (D,)
    if K == 1:
        weights, biases = [last_w], [last_b]
    else:
        g = D // D_i
        s, b, c, c0 = (torch.as_tensor(v, dtype=dtype) for v in fold_layer(g))
        eye = torch.eye(D_i, dtype=dtype)
        first_w = torch.kron(eye, s[:, None])  # (D, D_i): group j sees s * x_j
        read_w = torch.kron(eye, c[None, :])  # (D_i, D): folded point = read_w h + c0
        read_b = torch.full((D_i,), float(c0), dtype=dtype)
        fold_b = b.repeat(D_i)  # (D,)
        weights, biases = [first_w], [fold_b]
        for _ in range(K - 2):
            weights.append(first_w @ read_w)  # (D, D)
            biases.append(first_w @ read_b + fold_b)
        weights.append(last_w @ read_w)
        biases.append(last_w @ read_b + last_b)
    weights.append(torch.ones(1, D, dtype=dtype))
    biases.append(torch.zeros(1, dtype=dtype))
    return Network(tuple(weights), tuple(biases))
