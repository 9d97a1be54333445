"""Information content of data and of networks: pixel entropies, a fitted-model bound, label bits, capacity.

Each quantity people compute and confuse, named for what it is (bits throughout):

- `pixel_on_probability(images, threshold)`: p_i, the frequency of "pixel i > threshold" (P,).
- `plogp_sum_bits(p)`: the sum over pixels of -p_i log2 p_i, the figure the seed's asker computed (191
  bits); it drops the (1 - p_i) terms, so it is neither an entropy of images nor a bound on one.
- `histogram_entropy_bits(p)`: the entropy of the normalized pixel histogram q_i = p_i / sum_j p_j, i.e. of
  "which pixel is a given on-pixel"; at most log2 P (9.6 bits for 784 pixels).
- `independent_pixel_entropy(p)`: sum_i H(p_i), the entropy of one binarized image if its pixels were
  independent, an upper bound on the true entropy per image.
- `fit_bernoulli_mixture` / `BernoulliMixture.bits_per_image`: a mixture of Bernoullis fitted by EM on a
  training split; its mean code length on held-out images estimates a tighter upper bound per image
  (cross entropy >= entropy).
- `label_bits(n, c)` = n log2 c and `empirical_label_bits(labels)` = n H(label frequencies): the information
  needed to memorize a labelling of n points (per data set, not per image).
- `mackay_capacity_bits(net)`: MacKay's 2 bits per weight (ITILA ch. 40; derived for a single perceptron
  with binary labels) times the network's parameters; `capacity_weights(bits)` is its inverse.

`pixel_entropy_bits(images, threshold, kind)` (the first two pixel sums from images) keeps its name.
`pca_dimension`, `twonn_dimension` (Facco et al. 2017) and `mle_dimension` (Levina & Bickel 2004 with
MacKay & Ghahramani's averaging of inverses) estimate how many dimensions the data occupy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from depthlab.checks import as_tensor, check_int


def _as_points(x: Any, name: str = "x", minimum: int = 3) -> np.ndarray:
    array = as_tensor(x, name).numpy()
    if array.ndim != 2 or array.shape[0] < minimum:
        raise ValueError(
            f"The '{name}' parameter must have shape (N, D) with N >= {minimum}. Got {tuple(array.shape)} instead."
        )
    return array


IMAGE_RANGES: tuple[tuple[float, float], ...] = ((0.0, 1.0), (0.0, 255.0))


def _images(images: Any) -> torch.Tensor:
    """(N, P) float64 from (N, ...) images; one-line errors for an empty set or a missing image axis."""
    array = as_tensor(images, "images")
    if array.ndim < 2 or array.shape[0] < 1 or array[0].numel() < 1:
        raise ValueError(
            f"The 'images' parameter must have shape (N, ...) with N >= 1 images of >= 1 pixel (an empty data set "
            f"has no pixel statistics). Got {tuple(array.shape)} instead."
        )
    return array.reshape(array.shape[0], -1)


def value_range(images: Any) -> tuple[float, float]:
    """The range a threshold is judged against: [0, 1] or [0, 255] for images within one (the smaller that
    holds them), else the observed [min, max].

    Examples
    --------
    >>> value_range([[0, 0.5]]), value_range([[3, 200]]), value_range([[-1.5, 2.0]])
    ((0.0, 1.0), (0.0, 255.0), (-1.5, 2.0))
    """
    array = _images(images)
    low, high = float(array.min()), float(array.max())
    for lo, hi in IMAGE_RANGES:
        if lo <= low and high <= hi:
            return lo, hi
    return low, high


def binarization_threshold(images: Any, threshold: float | None = None) -> float:
    """The threshold "pixel > threshold is on" for these images, checked against their range.

    Parameters
    ----------
    images : (N, ...) array-like.
    threshold : float or None
        A stated threshold must lie in [low, high) of `value_range` (outside it every pixel is on, or off).
        None: 0 (any ink is on) for images within [0, 1] or [0, 255]; other data (e.g. standardized
        signals) need a stated threshold.

    Returns
    -------
    threshold : float.

    Examples
    --------
    >>> binarization_threshold([[0, 128, 255]]), binarization_threshold([[-1.5, 0.2, 2.0]], threshold=0.0)
    (0.0, 0.0)
    """
    low, high = value_range(images)
    if threshold is None:
        if (low, high) not in IMAGE_RANGES:
            raise ValueError(
                f"The 'images' parameter must lie in [0, 1] or [0, 255] when no threshold is stated. Got values in "
                f"[{low:.4g}, {high:.4g}]; pass threshold= (e.g. 0.0 for standardized signals)."
            )
        return 0.0
    number = isinstance(threshold, (int, float, np.number)) and not isinstance(threshold, bool)
    if not number or not low <= threshold < high:
        raise ValueError(
            f"The 'threshold' parameter must be a number in the data's range [{low:.4g}, {high:.4g}) (outside it "
            f"every pixel is on, or off). Got {threshold!r} instead."
        )
    return float(threshold)


def pixel_on_probability(images: Any, threshold: float | None = None) -> np.ndarray:
    """Per-pixel frequency p_i of "pixel i > threshold" over the images.

    Parameters
    ----------
    images : (N, ...) array-like (e.g. (N, 28, 28) uint8 or (N, 784) floats).
    threshold : float or None, see `binarization_threshold` (None: 0 for images in [0, 1] or [0, 255]).

    Returns
    -------
    p : (P,) float64, P = number of pixels per image.

    Examples
    --------
    >>> pixel_on_probability([[0, 9], [0, 0], [3, 9], [0, 9]]).tolist()
    [0.25, 0.75]
    """
    array = _images(images)
    cut = binarization_threshold(array, threshold)
    return (array > cut).to(torch.float64).mean(dim=0).numpy()


def _probabilities(p: Any) -> np.ndarray:
    array = as_tensor(p, "p").numpy().reshape(-1)
    if array.size < 1 or (array < 0).any() or (array > 1).any():
        shown = f" in [{array.min():.4g}, {array.max():.4g}]" if array.size else ""
        raise ValueError(
            f"The 'p' parameter must be a non-empty array of probabilities in [0, 1] (one per pixel). Got "
            f"{array.size} value(s){shown}."
        )
    return array


def _minus_q_log2_q(q: np.ndarray) -> np.ndarray:
    """-q log2 q elementwise with 0 log 0 = 0."""
    out = np.zeros_like(q)
    inside = q > 0
    out[inside] = -q[inside] * np.log2(q[inside])
    return out


def plogp_sum_bits(p: Any) -> float:
    """The asker's figure: sum over pixels of -p_i log2 p_i (bits), the (1 - p_i) terms left out.

    Not an entropy of images and not a bound on one: it is the first half of `independent_pixel_entropy`.

    Parameters
    ----------
    p : (P,) per-pixel on-probabilities (`pixel_on_probability`).

    Examples
    --------
    >>> plogp_sum_bits([0.5, 0.25, 1.0, 0.0])  # 0.5 + 0.5 + 0 + 0
    1.0
    """
    return float(_minus_q_log2_q(_probabilities(p)).sum())


def histogram_entropy_bits(p: Any) -> float:
    """Entropy (bits) of the normalized pixel histogram q_i = p_i / sum_j p_j: where a given on-pixel falls.

    At most log2 P (all pixels equally often on); a per-pixel location entropy, not an image entropy.

    Parameters
    ----------
    p : (P,) per-pixel on-probabilities, not all 0.

    Examples
    --------
    >>> histogram_entropy_bits([0.2, 0.2, 0.2, 0.2]), histogram_entropy_bits([0.9, 0.0])
    (2.0, 0.0)
    """
    array = _probabilities(p)
    if array.sum() <= 0:
        raise ValueError("The 'p' parameter must have a pixel that is ever on; its histogram is empty (all p = 0).")
    return float(_minus_q_log2_q(array / array.sum()).sum())


def binary_entropy_bits(p: Any) -> np.ndarray:
    """H(p) = -p log2 p - (1 - p) log2 (1 - p) elementwise (bits), 0 at p = 0 and p = 1.

    Returns
    -------
    h : (P,) float64.

    Examples
    --------
    >>> binary_entropy_bits([0.5, 0.0, 1.0]).tolist()
    [1.0, 0.0, 0.0]
    """
    array = _probabilities(p)
    return _minus_q_log2_q(array) + _minus_q_log2_q(1.0 - array)


def independent_pixel_entropy(p: Any) -> float:
    """Sum over pixels of the binary entropy H(p_i) in bits: one image's entropy if its pixels were independent.

    An upper bound on the entropy of one binarized image with these marginals (subadditivity of entropy).

    Parameters
    ----------
    p : (P,) per-pixel on-probabilities.

    Examples
    --------
    >>> independent_pixel_entropy([0.5, 0.5, 1.0])
    2.0
    """
    return float(binary_entropy_bits(p).sum())


def pixel_entropy_bits(images: Any, threshold: float | None = 0.0, kind: str = "binary") -> float:
    """Sum over pixels of the entropy (bits) of the binarized pixel (pixel > threshold is "on").

    Parameters
    ----------
    images : (N, ...) array-like.
    threshold : a pixel is on when its value is > threshold (0 for uint8 MNIST: any ink); it must lie in the
        data's range (see `binarization_threshold`).
    kind : "binary" sums the binary entropy -p log2 p - (1 - p) log2 (1 - p) (`independent_pixel_entropy`,
        an upper bound on the image entropy); "plogp" sums only -p log2 p (`plogp_sum_bits`).

    Returns
    -------
    bits : float.

    Examples
    --------
    >>> pixel_entropy_bits([[0, 1], [1, 1]])  # pixel 0: p = 1/2 (1 bit), pixel 1: p = 1 (0 bits)
    1.0
    """
    if kind not in ("binary", "plogp"):
        raise ValueError(f"The 'kind' parameter must be 'binary' or 'plogp'. Got {kind!r} instead.")
    p = pixel_on_probability(images, threshold)  # (P,)
    return independent_pixel_entropy(p) if kind == "binary" else plogp_sum_bits(p)


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
        raise ValueError("The 'x' parameter must not be constant (all points equal); its variance is 0.")
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
        raise ValueError(f"The 'variance' parameter must be a float in (0, 1]. Got {variance!r} instead.")
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
        raise ValueError(f"The 'x' parameter must hold at least 3 distinct points. Got {len(points)} instead.")
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
        raise ValueError(f"The 'k' parameter must be below the number of distinct points {len(points)}. Got {k}.")
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
        raise ValueError(f"The 'bits' parameter must be a number >= 0. Got {bits!r} instead.")
    return float(bits) / bits_per_weight


def _n_parameters(net: Any) -> int:
    """Weights and biases of a Network / NetworkBatch member / torch module, or an int count itself."""
    if isinstance(net, (int, np.integer)) and not isinstance(net, bool):
        return check_int(net, "net", 1)
    if isinstance(net, torch.nn.Module):
        return int(sum(p.numel() for p in net.parameters()))
    count = getattr(net, "n_params", None)
    if isinstance(count, (int, np.integer)) and not isinstance(count, bool):
        return int(count)
    raise ValueError(
        f"The 'net' parameter must be a depthlab Network, a torch module or a parameter count (int >= 1). "
        f"Got {type(net).__name__} instead."
    )


def mackay_capacity_bits(net: Any, bits_per_weight: float = BITS_PER_WEIGHT) -> float:
    """MacKay's capacity of a network: 2 bits per weight (bias included) times its parameters.

    MacKay (ITILA ch. 40) derives 2 bits per weight for a single perceptron with K weights storing binary labels
    of N points in general position (Cover 1965: half of all labellings are separable at N = 2K). For a
    multilayer network the product is only the arithmetic the seed's asker used, not a derived capacity.

    Parameters
    ----------
    net : Network, torch.nn.Module or int (a parameter count).

    Examples
    --------
    >>> mackay_capacity_bits(pytorch_example_net()), mackay_capacity_bits(785)
    (43680.0, 1570.0)
    """
    return float(bits_per_weight) * _n_parameters(net)


# ---------------------------------------------------------------------------------------------- label information
def label_bits(n_points: int, n_classes: int) -> float:
    """Bits to memorize a labelling of n points with c balanced (uniform random) classes: n log2 c.

    Examples
    --------
    >>> label_bits(4, 2), round(label_bits(60_000, 10))
    (4.0, 199316)
    """
    n_points = check_int(n_points, "n_points", 1)
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(
            f"The 'n_classes' parameter must be an int >= 2 (a single class carries no label information). "
            f"Got {n_classes!r} instead."
        )
    return n_points * float(np.log2(n_classes))


def empirical_label_bits(labels: Any) -> float:
    """n times the entropy (bits) of the labels' empirical frequencies: the bits of this labelling, unbalanced.

    Parameters
    ----------
    labels : (n,) int class labels, at least two distinct classes.

    Examples
    --------
    >>> empirical_label_bits([0, 1, 0, 1])
    4.0
    >>> round(empirical_label_bits([0, 0, 0, 1, 1, 1, 2, 2]), 3)  # 8 H(3/8, 3/8, 1/4)
    12.49
    """
    array = as_tensor(labels, "labels", torch.int64).reshape(-1).numpy()
    if array.size < 1:
        raise ValueError("The 'labels' parameter must hold at least one label (an empty data set). Got none.")
    _, counts = np.unique(array, return_counts=True)
    if counts.size < 2:
        raise ValueError(
            f"The 'labels' parameter must hold at least 2 classes (a single class carries no label information). "
            f"Got only class {int(array[0])}."
        )
    return float(array.size * _minus_q_log2_q(counts / array.size).sum())


# ---------------------------------------------------------------------------------------------- mixture bound
@dataclass(frozen=True)
class BernoulliMixture:
    """A mixture of K product-Bernoulli distributions over P binary pixels, fitted by `fit_bernoulli_mixture`.

    Attributes
    ----------
    weights : (K,) float64 mixing proportions (sum 1).
    probs : (K, P) float64 on-probabilities per component, strictly inside (0, 1) (pseudocounts).
    objective : per-iteration mean training log2-likelihood per image plus the pseudocounts' log2 prior / N
        (EM never lowers it).
    n_iter : EM iterations run.  converged : the objective rose by less than `tol` bits in the last one.
    """

    weights: np.ndarray
    probs: np.ndarray
    objective: tuple[float, ...]
    n_iter: int
    converged: bool

    def log2_likelihood(self, x: Any) -> np.ndarray:
        """log2 p(x) of binary images x (N, P) under the mixture: (N,)."""
        return _log2_likelihood(_binary(x, self.probs.shape[1]), torch.from_numpy(self.weights),
                                torch.from_numpy(self.probs))[0].numpy()

    def bits_per_image(self, x: Any) -> np.ndarray:
        """Code length -log2 p(x) of each binary image x (N, P) under the mixture, in bits: (N,)."""
        return -self.log2_likelihood(x)


def _binary(x: Any, n_pixels: int | None = None) -> torch.Tensor:
    array = as_tensor(x, "x")
    if array.ndim != 2 or array.shape[0] < 1 or (n_pixels is not None and array.shape[1] != n_pixels):
        want = "(N, P)" if n_pixels is None else f"(N, {n_pixels})"
        raise ValueError(f"The 'x' parameter must have shape {want} with N >= 1. Got {tuple(array.shape)} instead.")
    if not bool(((array == 0) | (array == 1)).all()):
        raise ValueError("The 'x' parameter must be binary (0 or 1); binarize it first, e.g. x > threshold.")
    return array


LN2 = float(np.log(2.0))


def _log2_likelihood(x: torch.Tensor, weights: torch.Tensor, probs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(log2 p(x_n) (N,), responsibilities (N, K)) of binary x (N, P) under the mixture."""
    log_on, log_off = torch.log(probs), torch.log1p(-probs)  # (K, P)
    joint = x @ (log_on - log_off).T + log_off.sum(dim=1) + torch.log(weights)  # (N, K) natural log
    total = torch.logsumexp(joint, dim=1)  # (N,)
    return total / LN2, torch.exp(joint - total[:, None])


def fit_bernoulli_mixture(
    x: Any, n_components: int = 10, seed: int = 0, max_iter: int = 100, tol: float = 1e-4, pseudocount: float = 1.0
) -> BernoulliMixture:
    """Fit a mixture of Bernoullis to binary images by EM (MAP with a Beta(1 + a, 1 + a) prior per pixel).

    E step: responsibilities r_nk from log w_k + x_n . log(mu_k / (1 - mu_k)) + sum_i log(1 - mu_ki).
    M step: w_k = N_k / N, mu_k = (sum_n r_nk x_n + a) / (N_k + 2 a) with a = `pseudocount`, so every
    probability stays inside (0, 1) and held-out code lengths are finite. Starts from random
    responsibilities drawn from `seed`. With one component the fit is closed-form:
    mu = (sum_n x_n + a) / (N + 2 a).

    Parameters
    ----------
    x : (N, P) binary training images (0/1).
    n_components : K >= 1.
    seed : int, seeds the starting responsibilities.
    max_iter : most EM iterations (>= 1).
    tol : stop when the objective (bits per image) rises by less than this.
    pseudocount : a > 0.

    Returns
    -------
    BernoulliMixture; `model.bits_per_image(x_heldout).mean()` estimates an upper bound on the entropy per
    image (held-out cross entropy >= entropy).

    Examples
    --------
    >>> m = fit_bernoulli_mixture([[1, 0], [1, 0], [1, 1], [0, 1]], n_components=1, pseudocount=1.0)
    >>> m.probs.tolist()  # (3 + 1) / (4 + 2), (2 + 1) / (4 + 2)
    [[0.666..., 0.5]]
    """
    data = _binary(x)
    k = check_int(n_components, "n_components", 1)
    check_int(seed, "seed", 0)
    max_iter = check_int(max_iter, "max_iter", 1)
    for value, name in ((tol, "tol"), (pseudocount, "pseudocount")):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"The '{name}' parameter must be a number > 0. Got {value!r} instead.")
    n = data.shape[0]
    generator = torch.Generator().manual_seed(int(seed) % 2**63)
    r = torch.rand(n, k, generator=generator, dtype=torch.float64) + 1e-3  # (N, K)
    r = r / r.sum(dim=1, keepdim=True)
    objective: list[float] = []
    converged = False
    for _ in range(max_iter):
        counts = r.sum(dim=0)  # (K,)
        weights = counts / n
        probs = (r.T @ data + pseudocount) / (counts[:, None] + 2 * pseudocount)  # (K, P)
        log2_lik, r = _log2_likelihood(data, weights, probs)
        prior = pseudocount * (torch.log2(probs) + torch.log2(1 - probs)).sum()
        objective.append(float(log2_lik.mean() + prior / n))
        if len(objective) > 1 and objective[-1] - objective[-2] < tol:
            converged = True
            break
        if k == 1:  # closed form: one M step is the optimum
            converged = True
            break
    return BernoulliMixture(weights.numpy(), probs.numpy(), tuple(objective), len(objective), converged)


# ---------------------------------------------------------------------------------------------- one data set
@dataclass(frozen=True)
class PixelMeasures:
    """What `pixel_measures` returns for one set of images binarized at one threshold (bits).

    threshold : pixel > threshold is on.  n_images : N.  p : (P,) per-pixel on-probabilities.
    plogp_sum_bits, histogram_entropy_bits, independent_pixel_bits : see the functions of those names.
    """

    threshold: float
    n_images: int
    p: np.ndarray
    plogp_sum_bits: float
    histogram_entropy_bits: float
    independent_pixel_bits: float


def pixel_measures(images: Any, threshold: float | None = None) -> PixelMeasures:
    """The per-pixel quantities of one set of images at one threshold.

    Parameters
    ----------
    images : (N, ...) array-like.  threshold : see `binarization_threshold`.

    Examples
    --------
    >>> m = pixel_measures([[0, 1], [1, 1]])
    >>> m.p.tolist(), m.plogp_sum_bits, m.independent_pixel_bits
    ([0.5, 1.0], 0.5, 1.0)
    """
    cut = binarization_threshold(images, threshold)
    p = pixel_on_probability(images, cut)
    histogram = histogram_entropy_bits(p) if p.sum() > 0 else 0.0
    return PixelMeasures(cut, int(_images(images).shape[0]), p, plogp_sum_bits(p), histogram,
                         independent_pixel_entropy(p))


@dataclass(frozen=True)
class MixtureBound:
    """What `mixture_bound` returns: held-out code lengths of a Bernoulli mixture fitted on a training split (bits).

    bits_per_image : mean -log2 p(x) over the held-out images, an estimate of an upper bound on the entropy per
        image.  ci : its bootstrap interval over held-out images at `confidence`.
    train_bits_per_image : the same on the training images.  independent_bits_per_image : held-out code length of
        the one-component fit (independent pixels with the training split's frequencies).
    n_components, n_train, n_heldout, n_iter, converged : the fit.
    """

    bits_per_image: float
    ci: tuple[float, float]
    train_bits_per_image: float
    independent_bits_per_image: float
    n_components: int
    n_train: int
    n_heldout: int
    n_iter: int
    converged: bool
    confidence: float


def mixture_bound(
    train_images: Any, heldout_images: Any, threshold: float | None = None, n_components: int = 10, seed: int = 0,
    max_iter: int = 100, confidence: float = 0.95,
) -> MixtureBound:
    """Fit a Bernoulli mixture to binarized training images by EM; code length per held-out image in bits.

    Parameters
    ----------
    train_images : (N, ...) the fitting split.  heldout_images : (M, ...) same pixels, never seen by the fit.
    threshold : see `binarization_threshold` (judged on the training images; both splits use it).
    n_components, seed, max_iter : of `fit_bernoulli_mixture`.
    confidence : of the bootstrap interval of the mean held-out code length (`evidence.mean_ci`).

    Returns
    -------
    MixtureBound
    """
    from depthlab.evidence import mean_ci

    cut = binarization_threshold(train_images, threshold)
    train = (_images(train_images) > cut).to(torch.float64)  # (N, P)
    heldout = (_images(heldout_images) > cut).to(torch.float64)  # (M, P)
    if heldout.shape[1] != train.shape[1]:
        raise ValueError(f"The 'heldout_images' parameter must have {train.shape[1]} pixels like 'train_images'. "
                         f"Got {heldout.shape[1]} instead.")
    model = fit_bernoulli_mixture(train, n_components, seed=seed, max_iter=max_iter)
    single = fit_bernoulli_mixture(train, 1)
    bits = model.bits_per_image(heldout)  # (M,)
    low, high = mean_ci(bits, confidence, seed=seed) if bits.size > 1 else (float(bits[0]), float(bits[0]))
    return MixtureBound(float(bits.mean()), (low, high), float(model.bits_per_image(train).mean()),
                        float(single.bits_per_image(heldout).mean()), int(n_components), int(train.shape[0]),
                        int(heldout.shape[0]), model.n_iter, model.converged, float(confidence))
