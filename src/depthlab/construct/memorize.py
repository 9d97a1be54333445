"""Memorizing a training set with a deep, narrow ReLU network (the seed's 10,000-layer construction).

Three steps, each a public function:

1. `encode_1d`: one neuron code = relu(w . x + b) gives every distinct training input its own value
   (almost every direction w does). Codes are scaled into [1, 1.75], so ReLU is the identity on the data
   and the difference of two codes is computed exactly in float64 (Sterbenz: both lie within a factor 2).
2. `interpolate_1d`: the piecewise-linear interpolant through the sorted (code, target) pairs as a
   1-hidden-layer ReLU net f(x) = t_0 + sum_k a_k relu(x - c_k), with a knot only at codes where the
   slope changes (plus one at the last code so f is constant, hence bounded, outside the data's range).
   Slopes come in closed form from the sorted codes, not from least squares (which is rank-deficient and
   badly conditioned on unsorted knots). Summed in knot order, a partial sum at x equals
   f(c_k) + slope_k (x - c_k): it is large only while the current segment is steep, never cumulative.
3. `shallow_to_deep`: the interpolant reshaped into constant-width layers, preceded by one layer that
   computes the code from the raw input, so the deep network takes X itself.

At width 4 a layer has room for 1 code carry, 1 processing unit and 2 output carries (pos / neg parts):
one scalar output. So `memorize` defaults to `targets="scalar"`: the output is the class index, and a
prediction is the index rounded to the nearest class (the seed's 3-class scheme). `targets="onehot"` needs
width >= 2 c + 2.

In float32 this construction fails at MNIST size (codes closer than float32 resolves, slopes of 1 / gap), so
`memorize(..., dtype=torch.float32)` builds another network instead: `depthlab.construct.staircase`, two codes
and exact clamps, whose float32 output is the label exactly, proven by `depthlab.precision.float_error_bound`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from depthlab.checks import InputError, as_tensor, check_int, seeded_generator
from depthlab.construct.reshape import min_width, shallow_to_deep
from depthlab.models.network import Network
from depthlab.models.stack import StackedNetwork
from depthlab.precision import float_error_bound

if TYPE_CHECKING:
    from depthlab.construct.staircase import Staircase

CODE_LOW, CODE_HIGH = 1.0, 1.75
METHODS = ("random", "spread", "pca")
TARGETS = ("scalar", "onehot")


@dataclass(frozen=True)
class Encoding:
    """One neuron code = relu(w . x + b) separating the training inputs.

    Attributes
    ----------
    w : Tensor (D,)
    b : float
    codes : Tensor (N,) float64, the codes of the training inputs (in [1, 1.75]; identical inputs share one).
    min_gap : float, smallest difference between two distinct sorted codes (inf for a single distinct input).
    relative_gap : float, min_gap divided by the range of the codes (inf for a single distinct input).
    method : str
    n_distinct : int, the number of distinct inputs.
    """

    w: torch.Tensor
    b: float
    codes: torch.Tensor
    min_gap: float
    relative_gap: float
    method: str
    n_distinct: int

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """The code of inputs x (B, D) -> (B,), ReLU applied."""
        return torch.relu(as_tensor(x, "x", self.w.dtype) @ self.w + self.b)

    def as_network(self) -> Network:
        """The coding neuron's affine map x -> w . x + b as a network with no hidden layer: (B, D) -> (B, 1).

        Compose it with a network on the codes (`compose(enc.as_network(), net)`); on the training inputs
        the codes are >= 1, so the ReLU of the coding neuron changes nothing there.
        """
        bias = torch.tensor([float(self.b)], dtype=torch.float64)  # (1,)
        return Network((self.w.reshape(1, -1).to(torch.float64),), (bias,))


@dataclass(frozen=True)
class Memorization:
    """What `memorize` built and how exactly it fits.

    Attributes
    ----------
    net : Network, the deep network: widths [D, width, ..., width, c], takes X itself, parameters in `dtype`.
    encoding : Encoding, or None for the float32 staircase (it has two codes: `staircase.codes`).
    shallow : Network, the 1-hidden-layer interpolant on the code: widths [1, n_units, c]; None for the staircase.
    layers : int, number of hidden layers of `net`.
    params : int, parameters of `net`.
    min_code_gap : float, the encoding's smallest gap between distinct codes (NaN for the staircase).
    relative_code_gap : float
    fit_max_abs_error : float, max |net(X) - targets| in `dtype`, running the returned `net` as a user does.
    stacked_max_abs_error : float, the same through `StackedNetwork` (another product layout, other rounding).
    fit_mse : float, mean squared error of net(X) against the targets (float64).
    train_accuracy : float, for class labels: rounded scalar output (or argmax) equals the label.
    build_seconds : float, wall time of encoding, interpolation and reshaping (verification excluded).
    verify_seconds : float, wall time of the checks: running the net (and StackedNetwork), and for float32 the
        rounding bound.
    targets : Tensor (N, c), the targets the network fits.
    target_kind : str, "scalar", "onehot" or "values".
    n_units : int, hidden units of the shallow interpolant (label steps for the staircase).
    dtype : torch.dtype the network is built for and run in.
    error_bound : float, the largest rounding-error bound of the output in `dtype` over the training inputs
        (`depthlab.precision.float_error_bound`); 0 means the fit is proven exact. NaN when not computed
        (float64 builds: call the bound yourself).
    staircase : Staircase or None, the float32 construction's details (codes, super-buckets, steps).
    """

    net: Network
    encoding: Encoding | None
    shallow: Network | None
    layers: int
    params: int
    min_code_gap: float
    relative_code_gap: float
    fit_max_abs_error: float
    stacked_max_abs_error: float
    fit_mse: float
    train_accuracy: float
    build_seconds: float
    targets: torch.Tensor
    target_kind: str
    n_units: int
    dtype: torch.dtype = torch.float64
    verify_seconds: float = math.nan
    error_bound: float = math.nan
    staircase: Staircase | None = None


# ---------------------------------------------------------------------------------------------- encoding
def _duplicate_representatives(x: torch.Tensor) -> torch.Tensor:
    """rep (N,) int64: the smallest index of a row identical to row i (i itself when none comes earlier).

    Rows are compared exactly (torch.unique on the rows themselves), never through a floating-point
    projection: a matrix product can round identical rows differently.
    """
    n = x.shape[0]
    _, inverse = torch.unique(x, dim=0, return_inverse=True)  # (N,) group of each row
    smallest = torch.full((int(inverse.max()) + 1,), n, dtype=torch.long)
    smallest = smallest.scatter_reduce(0, inverse, torch.arange(n), reduce="amin")  # (G,)
    return smallest[inverse]


def _check_labels(rep: torch.Tensor, labels: torch.Tensor | None) -> None:
    if labels is None:
        return
    lab = labels.reshape(labels.shape[0], -1)  # (N, c)
    bad = (lab != lab[rep]).any(dim=1).nonzero().flatten()  # (n_bad,)
    if bad.numel():
        pairs = ", ".join(f"{int(rep[i])} and {int(i)}" for i in bad[:5])
        raise InputError(
            f"The 'X' parameter has identical inputs with different labels ({bad.numel()} conflicts, "
            f"e.g. indices {pairs}); no function can fit them."
        )


def _relative_gaps(proj: torch.Tensor) -> torch.Tensor:
    """proj (n, T) projections of distinct inputs -> (T,) min gap / range of each column."""
    s = torch.sort(proj, dim=0).values  # (n, T)
    span = s[-1] - s[0]  # (T,)
    gaps = (s[1:] - s[:-1]).min(dim=0).values  # (T,)
    return torch.where(span > 0, gaps / span, torch.zeros_like(span))


def encode_1d(
    X: torch.Tensor,
    method: str = "spread",
    seed: int = 0,
    n_tries: int = 64,
    labels: torch.Tensor | None = None,
) -> Encoding:
    """One ReLU neuron whose output gives every distinct input its own code.

    Parameters
    ----------
    X : array-like (N, D)
    method : {"random", "spread", "pca"}, default="spread"
        "random": Gaussian directions drawn until the distinct inputs get distinct codes;
        "spread": the best of `n_tries` Gaussian directions on the relative minimum gap;
        "pca": the first principal direction (tiny random perturbations added until codes are distinct).
    seed : int
    n_tries : int, default=64
        Directions tried ("spread") or the most draws allowed ("random", "pca").
    labels : array-like (N,) or (N, c), optional
        When given, identical inputs with different labels raise ValueError naming their indices.

    Returns
    -------
    Encoding
        codes = relu(X @ w + b) lie in [1, 1.75]: the smallest code is 1, the largest 1.75.

    Examples
    --------
    >>> enc = encode_1d(torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), seed=0)
    >>> enc.codes.min().item(), enc.codes.max().item(), enc.n_distinct
    (1.0, 1.75, 3)
    """
    x = as_tensor(X, "X", torch.float64)
    if x.ndim != 2 or x.shape[0] < 1:
        raise InputError(f"The 'X' parameter must be a non-empty 2-D array (N, D). Got shape {tuple(x.shape)} instead.")
    if method not in METHODS:
        raise InputError(f"The 'method' parameter must be one of {METHODS}. Got {method!r} instead.")
    n_tries = check_int(n_tries, "n_tries", 1)
    rep = _duplicate_representatives(x)
    _check_labels(rep, None if labels is None else as_tensor(labels, "labels"))
    distinct = (rep == torch.arange(x.shape[0])).nonzero().flatten()
    u = x[distinct]  # (n, D)
    gen = seeded_generator(seed)
    d = x.shape[1]
    if u.shape[0] == 1:
        direction = torch.randn(d, generator=gen, dtype=torch.float64)
    elif method == "pca":
        centred = u - u.mean(dim=0)  # (n, D)
        _, vecs = torch.linalg.eigh(centred.T @ centred)  # (D, D), ascending
        top = vecs[:, -1]  # (D,)
        direction = None
        for k in range(n_tries):
            cand = top if k == 0 else top + 1e-6 * 2.0 ** (k - 1) * torch.randn(d, generator=gen, dtype=torch.float64)
            if _relative_gaps((u @ cand).unsqueeze(1))[0] > 0:
                direction = cand
                break
    else:
        tries = n_tries if method == "spread" else 1
        direction = None
        for _ in range(1 if method == "spread" else n_tries):
            dirs = torch.randn(d, tries, generator=gen, dtype=torch.float64)  # (D, T)
            rel = _relative_gaps(u @ dirs)  # (T,)
            best = int(torch.argmax(rel))
            if rel[best] > 0:
                direction = dirs[:, best]
                break
    if direction is None:
        raise InputError(
            f"The 'X' parameter has distinct inputs that no tried direction separates ({n_tries} tries of "
            f"method {method!r}); they may differ only beyond float64 resolution."
        )
    proj = x @ direction  # (N,)
    lo, hi = proj.min(), proj.max()
    scale = (CODE_HIGH - CODE_LOW) / (hi - lo) if hi > lo else torch.tensor(1.0, dtype=torch.float64)
    w = direction * scale  # (D,)
    b = float(CODE_LOW - lo * scale)
    codes = torch.relu(x[distinct] @ w + b)[torch.searchsorted(distinct, rep)]  # (N,) one code per distinct row
    s = torch.sort(codes[distinct]).values
    min_gap = float((s[1:] - s[:-1]).min()) if s.numel() > 1 else math.inf
    span = float(s[-1] - s[0])
    relative_gap = min_gap / span if s.numel() > 1 else math.inf
    return Encoding(w, b, codes, min_gap, relative_gap, method, int(distinct.numel()))


# ---------------------------------------------------------------------------------------- interpolation
def interpolate_1d(codes: torch.Tensor, targets: torch.Tensor) -> Network:
    """The 1-hidden-layer ReLU network R -> R^c through every (code, target) pair.

    f(x) = t_0 + sum_k a_k relu(x - c_k): piecewise linear between the sorted codes, constant below the
    smallest and above the largest. A knot sits only where the slope changes, so runs of equal targets cost
    nothing. Slopes are closed-form differences on the sorted codes (float64), no least squares.

    Parameters
    ----------
    codes : array-like (N,), distinct values (repeated codes must carry equal targets; they are merged).
    targets : array-like (N,) or (N, c)

    Returns
    -------
    Network
        widths [1, K, c] in float64 with K <= N knots (K = 1 zero unit if the targets are constant).

    Examples
    --------
    >>> net = interpolate_1d(torch.tensor([0.0, 1.0, 2.0, 3.0]), torch.tensor([0.0, 1.0, 1.0, 0.0]))
    >>> net.widths
    [1, 4, 1]
    >>> net(torch.tensor([[0.0], [1.0], [2.0], [3.0], [9.0]])).flatten().tolist()
    [0.0, 1.0, 1.0, 0.0, 0.0]
    """
    c = as_tensor(codes, "codes", torch.float64).flatten()  # (N,)
    t = as_tensor(targets, "targets", torch.float64)
    if t.ndim == 1:
        t = t.unsqueeze(1)  # (N, 1)
    if t.ndim != 2 or t.shape[0] != c.shape[0] or c.numel() == 0:
        raise InputError(
            f"The 'targets' parameter must have shape (N,) or (N, c) with N = {c.shape[0]} >= 1 codes. "
            f"Got shape {tuple(as_tensor(targets, 'targets').shape)} instead."
        )
    order = torch.argsort(c, stable=True)
    c, t = c[order], t[order]  # (N,), (N, c)
    keep = torch.ones(c.shape[0], dtype=torch.bool)
    keep[1:] = c[1:] != c[:-1]
    first = torch.cumsum(keep, 0) - 1  # group id of each sorted code
    group_t = t[keep]  # (n, c)
    if not torch.equal(group_t[first], t):
        bad = (group_t[first] != t).any(dim=1).nonzero().flatten()[:3]
        raise InputError(
            f"The 'codes' parameter repeats a code with different targets (codes {c[bad].tolist()}); "
            "no function can fit them."
        )
    c, t = c[keep], group_t
    out_dim = t.shape[1]
    slopes = (t[1:] - t[:-1]) / (c[1:] - c[:-1]).unsqueeze(1)  # (n-1, c)
    # slope after each knot candidate c_0..c_{n-1}: segments, then 0 beyond the last code
    after = torch.cat([slopes, torch.zeros(1, out_dim, dtype=torch.float64)])  # (n, c)
    before = torch.cat([torch.zeros(1, out_dim, dtype=torch.float64), slopes])  # (n, c)
    change = after - before  # (n, c)
    knots = (change != 0).any(dim=1)  # (n,)
    if not knots.any():
        knots[0] = True
    w_out = change[knots].T.contiguous()  # (c, K)
    k = c[knots]  # (K,)
    weights = (torch.ones(k.shape[0], 1, dtype=torch.float64), w_out)
    biases = (-k, t[0].clone())
    return Network(weights, biases, "relu")


# ------------------------------------------------------------------------------------------- memorize
def _targets(Y: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor | None, str]:
    """(targets (N, c) float64, integer labels (N,) or None, kind)."""
    y = torch.as_tensor(Y) if torch.is_tensor(Y) else torch.as_tensor(np.asarray(Y))
    if y.dtype == torch.bool or not (y.dtype.is_floating_point or y.dtype.is_complex):
        y = y.long()
    else:
        y = as_tensor(y, "Y")
    if y.dtype.is_floating_point:
        t = y.to(torch.float64)
        return (t.unsqueeze(1) if t.ndim == 1 else t), None, "values"
    if y.ndim != 1:
        raise InputError(f"The 'Y' parameter must be (N,) integer labels or float targets. Got shape {tuple(y.shape)}.")
    labels = y.long()
    if labels.numel() and labels.min() < 0:  # class indices; the scalar read-out clips to [0, n_classes)
        raise InputError(f"The 'Y' parameter must hold integer class labels >= 0. Got {int(labels.min())}.")
    if kind == "scalar":
        return labels.to(torch.float64).unsqueeze(1), labels, kind
    n_classes = int(labels.max()) + 1
    return torch.nn.functional.one_hot(labels, n_classes).to(torch.float64), labels, kind


def scalar_class_accuracy(out: torch.Tensor, labels: torch.Tensor, n_classes: int) -> float:
    """Accuracy of a one-output network read as the nearest class index (rounded, clipped to [0, n_classes)).

    out : (N, 1) or (N,) outputs; labels : (N,) class indices. NaN for N = 0.

    Examples
    --------
    >>> scalar_class_accuracy(torch.tensor([[0.2], [1.6], [7.0]]), torch.tensor([0, 2, 2]), 3)
    1.0
    """
    out = torch.as_tensor(out).reshape(-1)  # (N,)
    labels = torch.as_tensor(labels).reshape(-1)
    if out.shape[0] != labels.shape[0]:
        raise InputError(f"The 'out' and 'labels' parameters must have one row each per example. Got "
                         f"{out.shape[0]} and {labels.shape[0]}.")
    if out.shape[0] == 0:
        return float("nan")
    guess = out.round().clamp(0, n_classes - 1).long()  # (N,)
    return float((guess == labels.long()).double().mean())


def _code_layer(enc: Encoding, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """First layer (width, D), (width,): unit 0 computes the code w . x + b, the others are zero."""
    omega0 = torch.zeros(width, enc.w.shape[0], dtype=torch.float64)
    omega0[0] = enc.w
    beta0 = torch.zeros(width, dtype=torch.float64)
    beta0[0] = enc.b
    return omega0, beta0


def _with_code_layer(deep: Network, enc: Encoding, width: int) -> Network:
    """Prepend the layer computing code = relu(w . x + b) (unit 0) so the network takes x itself."""
    omega0, beta0 = _code_layer(enc, width)
    first = torch.zeros(width, width, dtype=torch.float64)
    first[:, :1] = deep.weights[0]  # deep's first layer reads the code
    return Network((omega0, first) + deep.weights[1:], (beta0,) + deep.biases, "relu")


def memorize(
    X: torch.Tensor,
    Y: torch.Tensor,
    width: int = 4,
    method: str = "spread",
    seed: int = 0,
    targets: str = "scalar",
    n_tries: int = 64,
    dtype: torch.dtype = torch.float64,
) -> Memorization:
    """A deep ReLU network of constant `width` that fits every (X, Y) pair, built in closed form.

    Steps: `encode_1d` (one neuron gives each input a distinct code), `interpolate_1d` (shallow net through
    the (code, target) pairs), `shallow_to_deep` (constant-width layers, one unit carrying the code, two
    carrying the running output sum as positive and negative parts), plus a first layer computing the code
    from x. The codes the interpolant uses are the ones this first layer computes, so the network passes
    through its training points up to float64 rounding of the output sums.

    Parameters
    ----------
    X : array-like (N, D)
    Y : array-like (N,) int class labels, or float targets (N,) / (N, c) (fitted as given)
    width : int, default=4
        Hidden width; >= 4 for scalar targets, >= 2 c + 2 for c outputs.
    method : {"random", "spread", "pca"}, default="spread", see `encode_1d`.
    seed : int
    targets : {"scalar", "onehot"}, default="scalar"
        For integer labels. "scalar": one output equal to the class index (width 4 suffices; the
        prediction is the output rounded to the nearest class). "onehot": one output per class (argmax).
    n_tries : int, default=64
        Directions tried by `encode_1d` (float64), or pairs of code directions tried (float32).
    dtype : torch.float64 (default) or torch.float32
        The precision the network is run in. float64: the seed's construction. float32: the staircase of
        `depthlab.construct.staircase` (integer class labels, `targets="scalar"`, width >= 4; the float32 copies of
        the inputs must not collide across labels), verified in float32 and proven exact by the rounding bound
        (`error_bound` 0.0).

    Returns
    -------
    Memorization

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X, Y = torch.rand(50, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (50,), generator=g)
    >>> m = memorize(X, Y)
    >>> m.net.widths[:3], m.layers <= 51, m.fit_max_abs_error < 1e-9, m.train_accuracy
    ([5, 4, 4], True, True, 1.0)
    >>> m32 = memorize(X, Y, dtype=torch.float32)
    >>> m32.net.dtype, m32.fit_max_abs_error, m32.error_bound, m32.train_accuracy
    (torch.float32, 0.0, 0.0, 1.0)
    """
    if dtype not in (torch.float32, torch.float64):
        raise InputError(f"The 'dtype' parameter must be torch.float32 or torch.float64. Got {dtype!r} instead.")
    if targets not in TARGETS:
        raise InputError(f"The 'targets' parameter must be one of {TARGETS}. Got {targets!r} instead.")
    x = as_tensor(X, "X", torch.float64)
    if x.ndim != 2 or x.shape[0] < 1:
        raise InputError(f"The 'X' parameter must be a non-empty 2-D array (N, D). Got shape {tuple(x.shape)} instead.")
    t, labels, kind = _targets(Y, targets)
    if t.shape[0] != x.shape[0]:
        raise InputError(
            f"The 'Y' parameter must have one target per row of X ({tuple(x.shape)}). Got shape {tuple(t.shape)}."
        )
    need = min_width(1, t.shape[1], input_nonnegative=True)
    if isinstance(width, bool) or not isinstance(width, int) or width < need:
        raise InputError(
            f"The 'width' parameter must be an int >= {need} for {t.shape[1]} output(s) "
            f"(1 code carry, 1 processing unit, 2 per output). Got {width!r} instead."
        )
    if dtype == torch.float32:
        return _memorize_float32(x, t, labels, kind, width, seed, n_tries)
    start = time.perf_counter()
    enc = encode_1d(x, method=method, seed=seed, n_tries=n_tries, labels=t)
    # the codes exactly as the network's first layer computes them
    omega0, beta0 = _code_layer(enc, width)
    # (N,) the codes exactly as Network.forward computes its first layer, (N, D) @ (D, W): another layout (e.g.
    # StackedNetwork's (W, D) @ (D, N)) may round differently in the last bit, which steep segments amplify
    codes = torch.relu(torch.addmm(beta0, x, omega0.T)[:, 0])
    shallow = interpolate_1d(codes, t)
    deep = _with_code_layer(shallow_to_deep(shallow, width=width, input_lower=0.0), enc, width)
    build = time.perf_counter() - start
    with torch.no_grad():
        fit = deep(x)  # (N, c): the returned network run as a user runs it
        stacked = StackedNetwork.from_network(deep)(x)  # (N, c): the fast runner, for comparison
    err = (fit - t).abs()
    verify = time.perf_counter() - start - build
    if labels is None:
        acc = math.nan
    elif kind == "scalar":
        acc = scalar_class_accuracy(fit, labels, int(labels.max()) + 1)
    else:
        acc = float((fit.argmax(dim=1) == labels).double().mean())
    return Memorization(
        net=deep,
        encoding=enc,
        shallow=shallow,
        layers=deep.depth,
        params=deep.n_params,
        min_code_gap=enc.min_gap,
        relative_code_gap=enc.relative_gap,
        fit_max_abs_error=float(err.max()),
        stacked_max_abs_error=float((stacked - t).abs().max()),
        fit_mse=float((err**2).mean()),
        train_accuracy=acc,
        build_seconds=build,
        targets=t,
        target_kind=kind,
        n_units=shallow.widths[1],
        verify_seconds=verify,
    )


def _float32_inputs(x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(N, D) float64 holding the float32 copies of x; refuses copies that collide across labels."""
    x32 = x.to(torch.float32).to(torch.float64)
    rep = _duplicate_representatives(x32)
    bad = (labels != labels[rep]).nonzero().flatten()
    if bad.numel():
        pairs = ", ".join(f"{int(rep[i])} and {int(i)}" for i in bad[:5])
        raise InputError(f"The 'X' parameter has inputs that are equal after the cast to float32 but have different "
                         f"labels ({bad.numel()} conflicts, e.g. indices {pairs}); no float32 network can tell them "
                         "apart: use dtype=torch.float64.")
    return x32


def _memorize_float32(x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None, kind: str, width: int,
                      seed: int, n_tries: int) -> Memorization:
    """`memorize` for dtype=float32: the exact staircase, run and bounded in float32."""
    from depthlab.construct.staircase import pad_width, staircase_net

    if labels is None or kind != "scalar":
        raise InputError("The 'Y' parameter must be integer class labels with targets='scalar' for dtype=torch.float32 "
                         f"(the exact float32 construction outputs the class index). Got {kind} targets.")
    x32 = _float32_inputs(x, labels)
    start = time.perf_counter()
    built = staircase_net(x32, labels, torch.float32, seed=seed, n_tries=min(n_tries, 16))
    net = pad_width(built.net, width)
    build = time.perf_counter() - start
    with torch.no_grad():
        fit = net(x32.to(torch.float32)).double()  # (N, 1) run in float32 as a user runs it
        stacked = StackedNetwork.from_network(net)(x32.to(torch.float32)).double()
    err = (fit - t).abs()
    bound = float_error_bound(net, x32, torch.float32).max_bound
    return Memorization(
        net=net, encoding=None, shallow=None, layers=net.depth, params=net.n_params, min_code_gap=math.nan,
        relative_code_gap=math.nan, fit_max_abs_error=float(err.max()),
        stacked_max_abs_error=float((stacked - t).abs().max()), fit_mse=float((err**2).mean()),
        train_accuracy=scalar_class_accuracy(fit, labels, int(labels.max()) + 1), build_seconds=build, targets=t,
        target_kind=kind, n_units=built.n_label_steps, dtype=torch.float32,
        verify_seconds=time.perf_counter() - start - build, error_bound=bound, staircase=built)
