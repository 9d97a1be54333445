"""Information content of data: pixel entropy of binarized images and intrinsic-dimension estimates.

`pixel_entropy_bits` sums per-pixel entropies of "pixel on" (independent-pixel upper bound);
`pca_dimension`, `twonn_dimension` (Facco et al. 2017) and `mle_dimension` (Levina & Bickel 2004 with
MacKay & Ghahramani's averaging of inverses) estimate how many dimensions the data occupy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from depthlab.checks import InputError, as_tensor, check_int


def _as_points(x: Any, name: str = "x", minimum: int = 3) -> np.ndarray:
    array = as_tensor(x, name).numpy()
    if array.ndim != 2 or array.shape[0] < minimum:
        raise InputError(
            f"The '{name}' parameter must have shape (N, D) with N >= {minimum}. Got {tuple(array.shape)} instead."
        )
    return array


def pixel_on_probability(images: Any, threshold: float = 0.0) -> np.ndarray:
    """Per-pixel frequency of pixel > threshold.

    Parameters
    ----------
    images : (N, ...) array-like (e.g. (N, 28, 28) uint8 or (N, 784) floats).

    Returns
    -------
    p : (P,) float64, P = number of pixels per image.
    """
    array = as_tensor(images, "images")
    if array.ndim < 2 or array.shape[0] < 1:
        raise InputError(f"The 'images' parameter must have shape (N, ...) with N >= 1. Got {tuple(array.shape)}.")
    on = array.reshape(array.shape[0], -1) > threshold  # (N, P)
    return on.to(torch.float64).mean(dim=0).numpy()


def pixel_entropy_bits(images: Any, threshold: float = 0.0, kind: str = "binary") -> float:
    """Sum over pixels of the entropy (bits) of the binarized pixel (pixel > threshold is "on").

    Parameters
    ----------
    images : (N, ...) array-like.
    threshold : a pixel is on when its value is > threshold (0 for uint8 MNIST: any ink).
    kind : "binary" sums the binary entropy -p log2 p - (1 - p) log2 (1 - p) (the entropy of
        independent pixels, an upper bound on the image entropy); "plogp" sums only -p log2 p.

    Returns
    -------
    bits : float.

    Examples
    --------
    >>> pixel_entropy_bits([[0, 1], [1, 1]])  # pixel 0: p = 1/2 (1 bit), pixel 1: p = 1 (0 bits)
    1.0
    """
    if kind not in ("binary", "plogp"):
        raise InputError(f"The 'kind' parameter must be 'binary' or 'plogp'. Got {kind!r} instead.")
    p = pixel_on_probability(images, threshold)  # (P,)
    with np.errstate(divide="ignore", invalid="ignore"):
        on = np.where(p > 0, -p * np.log2(p), 0.0)
        off = np.where(p < 1, -(1 - p) * np.log2(1 - p), 0.0)
    return float(on.sum() + (off.sum() if kind == "binary" else 0.0))


def pca_variance_curve(x: Any) -> np.ndarray:
    """Cumulative explained-variance fraction of the principal components.

    Returns
    -------
    curve : (min(N, D),) float64, curve[k-1] = variance fraction of the first k components (last = 1).
    """
    points = _as_points(x, minimum=2)
    centred = points - points.mean(axis=0)  # (N, D)
    singular = np.linalg.svd(centred, compute_uv=False)  # (min(N, D),)
    variance = singular**2
    total = variance.sum()
    if total <= 0:
        raise InputError("The 'x' parameter must not be constant (all points equal); its variance is 0.")
    return np.cumsum(variance) / total


def pca_dimension(x: Any, variance: float = 0.9) -> int:
    """Number of principal components needed to explain `variance` of the total variance.

    Parameters
    ----------
    x : (N, D) points.
    variance : fraction in (0, 1].

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(50, 3)) @ np.random.default_rng(1).normal(size=(3, 10))
    >>> pca_dimension(x, 0.999999)
    3
    """
    if not isinstance(variance, (int, float)) or not 0 < variance <= 1:
        raise InputError(f"The 'variance' parameter must be a float in (0, 1]. Got {variance!r} instead.")
    curve = pca_variance_curve(x)
    return int(min(np.searchsorted(curve, variance - 1e-12) + 1, len(curve)))


def _neighbour_distances(points: np.ndarray, k: int, chunk: int = 2048) -> np.ndarray:
    """Distances to the k nearest other points, exact by brute force in chunks: (N, k), ascending."""
    data = torch.from_numpy(points)  # (N, D)
    squared = (data * data).sum(dim=1)  # (N,)
    rows = []
    for start in range(0, len(data), chunk):
        block = data[start : start + chunk]  # (C, D)
        d2 = squared[start : start + chunk, None] - 2 * block @ data.T + squared[None, :]  # (C, N)
        d2[torch.arange(len(block)), torch.arange(start, start + len(block))] = float("inf")
        nearest = torch.topk(d2, k, dim=1, largest=False).indices  # (C, k)
        exact = ((block[:, None, :] - data[nearest]) ** 2).sum(dim=2).sqrt()  # (C, k), recomputed exactly
        rows.append(torch.sort(exact, dim=1).values)
    return torch.cat(rows).numpy()


def _distinct(points: np.ndarray) -> np.ndarray:
    return np.unique(points, axis=0)


def n_duplicates(x: Any) -> int:
    """How many rows of x (N, D) repeat an earlier row (dropped by the nearest-neighbour estimators)."""
    points = _as_points(x, minimum=1)
    return int(len(points) - len(np.unique(points, axis=0)))


def _subsample(points: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    if n is None or n >= len(points):
        return points
    index = np.random.default_rng(seed).choice(len(points), size=n, replace=False)
    return points[np.sort(index)]


def twonn_dimension(x: Any, seed: int = 0, n: int | None = None, discard: float = 0.1) -> float:
    """TwoNN intrinsic dimension (Facco, d'Errico, Rodriguez & Laio 2017).

    With mu = r2 / r1 (second to first nearest-neighbour distance), F(mu) = 1 - mu^-d; the estimate is the
    slope of -log(1 - F_emp(mu)) against log(mu), fitted through the origin after discarding the largest
    `discard` fraction of mu (as in the paper).

    Parameters
    ----------
    x : (N, D) points; duplicates are dropped (see `n_duplicates`) so no distance is 0.
    seed : which n points are used when n < N.
    n : number of points used (None: all).
    discard : fraction of the largest ratios left out of the fit.

    Returns
    -------
    d : float.
    """
    check_int(seed, "seed", 0)
    if n is not None:
        check_int(n, "n", 3)
    points = _distinct(_subsample(_as_points(x), n, seed))
    if len(points) < 3:
        raise InputError(f"The 'x' parameter must hold at least 3 distinct points. Got {len(points)} instead.")
    distances = _neighbour_distances(points, 2)  # (N, 2)
    mu = np.sort(distances[:, 1] / distances[:, 0])  # (N,)
    keep = max(2, int(np.floor(len(mu) * (1 - discard))))
    empirical = np.arange(1, len(mu) + 1) / len(mu)  # F_emp at the sorted ratios
    log_mu = np.log(mu[:keep])
    target = -np.log(1 - empirical[:keep])
    return float((log_mu @ target) / (log_mu @ log_mu))


def mle_dimension(x: Any, k: int = 10, seed: int = 0, n: int | None = None) -> float:
    """Levina-Bickel maximum-likelihood intrinsic dimension with MacKay-Ghahramani averaging.

    Per point, m_k(x)^-1 = 1/(k-1) sum_{j<k} log(T_k / T_j) (T_j: distance to the j-th neighbour);
    the estimate is 1 / mean(m_k^-1) (averaging inverses, MacKay & Ghahramani's correction).

    Parameters
    ----------
    x : (N, D) points; duplicates are dropped (see `n_duplicates`).
    k : neighbours used (>= 2).
    seed, n : use n points chosen by seed (None: all).

    Returns
    -------
    d : float.
    """
    check_int(k, "k", 2)
    check_int(seed, "seed", 0)
    if n is not None:
        check_int(n, "n", 3)
    points = _distinct(_subsample(_as_points(x), n, seed))
    if len(points) <= k:
        raise InputError(f"The 'k' parameter must be below the number of distinct points {len(points)}. Got {k}.")
    neighbours = _neighbour_distances(points, k)  # (N, k)
    inverse = np.log(neighbours[:, -1:] / neighbours[:, :-1]).sum(axis=1) / (k - 1)  # (N,)
    return float(1.0 / inverse.mean())


BITS_PER_WEIGHT = 2.0  # MacKay, Information Theory, Inference and Learning Algorithms, ch. 40


def pytorch_example_net() -> torch.nn.Module:
    """PyTorch's classic MNIST example (pytorch/examples, mnist/main.py before 2019): 21,840 parameters.

    conv 1-10 k5, max-pool 2, ReLU; conv 10-20 k5, dropout, max-pool 2, ReLU; fc 320-50, ReLU, dropout;
    fc 50-10. Input (B, 1, 28, 28) -> logits (B, 10).

    Examples
    --------
    >>> sum(p.numel() for p in pytorch_example_net().parameters())
    21840
    """
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 10, kernel_size=5), torch.nn.MaxPool2d(2), torch.nn.ReLU(),
        torch.nn.Conv2d(10, 20, kernel_size=5), torch.nn.Dropout2d(), torch.nn.MaxPool2d(2), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(320, 50), torch.nn.ReLU(), torch.nn.Dropout(), torch.nn.Linear(50, 10),
    )


def capacity_weights(bits: float, bits_per_weight: float = BITS_PER_WEIGHT) -> float:
    """How many weights MacKay's capacity (2 bits per weight) needs to store `bits` bits.

    Examples
    --------
    >>> capacity_weights(191.0)
    95.5
    """
    if not isinstance(bits, (int, float)) or not bits >= 0:
        raise InputError(f"The 'bits' parameter must be a number >= 0. Got {bits!r} instead.")
    return float(bits) / bits_per_weight
