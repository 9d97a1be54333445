"""Rounding-error bounds for a network run in float32 (or float64), layer by layer, before running it.

`float_error_bound(net, x, dtype)` bounds, for every input and output, how far the network run in `dtype`
(parameters and inputs cast to `dtype`, as `net.to(dtype)(x.to(dtype))` or its `to_torch()` module computes it)
can be from the exact real-arithmetic output of that same cast network on those same cast inputs. The bound is
rigorous for IEEE round-to-nearest arithmetic in any summation order (BLAS blocking, vector lanes, FMA: what
torch does on a CPU); it does not cover TF32 or other reduced-precision matmul modes.

Per layer, with h the exact activations (computed in float64), e the bound for the `dtype` run and r the bound
for the float64 computation of h itself (so the test |run - float64| <= e + r is checkable):

    pre   = Omega h + beta
    e_pre = |Omega| e + gamma_n(u) (|Omega| (|h| + r + e) + |beta|)      gamma_n(u) = n u / (1 - n u)
    r_pre = |Omega| r + gamma_n(2^-53) (|Omega| |h| + |beta|)

where n counts the products that can be nonzero plus the bias (a zero term is added exactly; Higham, Accuracy and
Stability of Numerical Algorithms, eq. 3.5, holds for any order of the sum); a row with no such product is its
bias, exactly. Two refinements make the bound
sharp where constructions are exact:
- an exact sum: when every operand of a row is exact (e = r = 0) and every term is a multiple of 2^q with the
  sums of the positive terms and of the negative terms both below 2^(p + q) (p = 24 bits for float32, 53 for
  float64), every partial sum (it lies between minus the one and the other) is representable, so the row is
  computed exactly in any order: e_pre = r_pre = 0;
- a copy: a row with one nonzero weight, a power of two, and no bias (how a deep narrow net carries a unit)
  rounds nothing, so it passes the error through without adding to it;
- a dead unit: when pre + r_pre + e_pre <= 0 both the exact and the rounded pre-activation are <= 0, so
  relu gives exactly 0 in both: the error after the ReLU is 0, not e_pre.
Elsewhere ReLU is 1-Lipschitz and passes the bound through. (Dense layers of more than EXACT_CHECK_INPUTS inputs
skip the exact-sum test: the bound stays valid, only looser where such a sum happens to be exact.)
- a sign-split pair: two units of one layer whose rows are exact negatives (pos = relu(s), neg = relu(-s), how
  deep narrow nets carry a signed sum) with pre-activation errors at most e: pos - neg is then off by at most e
  and pos + neg by 2 e (case by case on the signs of the two rounded copies of s), so c1 pos + c2 neg is off by
  at most (|c1 - c2| / 2 + |c1 + c2|) e; the bound takes that where it is smaller than |c1| e_pos + |c2| e_neg.
  Without this rule the bound of a carried signed sum (c1 = -c2) doubles at every layer.
Supported activations: relu, identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from depthlab.checks import InputError, as_network, as_tensor, check_features
from depthlab.models.network import Network

UNIT_ROUNDOFF: dict[torch.dtype, float] = {torch.float32: 2.0**-24, torch.float64: 2.0**-53}
PRECISION_BITS: dict[torch.dtype, int] = {torch.float32: 24, torch.float64: 53}
SUPPORTED = ("relu", "identity")
CHUNK_ELEMENTS = 2**22  # exact-sum checks look at (rows, out, in) terms in chunks of about this many
SPARSE_ROW = 8  # layers whose rows have at most this many weights are bounded row by row (deep narrow nets)
EXACT_CHECK_INPUTS = 64  # dense layers with more inputs skip the exact-sum check (a valid, looser bound; real-valued
# data through a wide first layer is never summed exactly anyway, and the check would cost more than the layer)


@dataclass(frozen=True)
class ErrorBound:
    """What `float_error_bound` found.

    Attributes
    ----------
    output : Tensor (N, D_o) float64, the exact output of the cast network on the cast inputs (up to
        `reference_bound`).
    bound : Tensor (N, D_o), |output of the network run in `dtype` - exact output| <= bound.
    reference_bound : Tensor (N, D_o), |output - exact output| <= reference_bound (float64's own rounding).
    layer_max_bound : list of float, the largest bound over inputs and units after each layer (first layer first).
    exact_layers : int, layers after which every activation is proven exact for every input.
    dtype : torch.dtype the network is run in.
    """

    output: torch.Tensor
    bound: torch.Tensor
    reference_bound: torch.Tensor
    layer_max_bound: list[float]
    exact_layers: int
    dtype: torch.dtype

    @property
    def max_bound(self) -> float:
        """The largest output bound over all inputs and outputs."""
        return float(self.bound.max()) if self.bound.numel() else 0.0

    def holds(self, measured: torch.Tensor) -> bool:
        """True when `measured` (N, D_o), the network's output in `dtype`, is within the bound of `output`."""
        gap = (as_tensor(measured, "measured").reshape(self.output.shape) - self.output).abs()
        return bool((gap <= self.bound + self.reference_bound).all())


def gamma(n, unit_roundoff: float = 2.0**-53):
    """Higham's gamma_n = n u / (1 - n u): the relative error bound of a length-n dot product (plus nothing) in any
    order of summation. n: an int, a float or an array (tensor or NumPy) -> the same kind; u defaults to float64's.

    Examples
    --------
    >>> gamma(2, 0.5**24) == 2 * 0.5**24 / (1 - 2 * 0.5**24)
    True
    """
    nu = n * unit_roundoff
    if bool((nu >= 1).any() if hasattr(nu, "any") else nu >= 1):
        largest = int(n.max()) if hasattr(n, "max") else int(n)
        raise InputError(f"A row has {largest} terms: too many for a rounding bound at u = {unit_roundoff}.")
    return nu / (1 - nu)


def lowest_bit_exponent(values: torch.Tensor) -> torch.Tensor:
    """For float64 values, the e with v an odd multiple of 2^e (+inf where v == 0). values: any shape -> same.

    Examples
    --------
    >>> lowest_bit_exponent(torch.tensor([1.0, 3.0, 0.5, 0.375, 0.0], dtype=torch.float64)).tolist()
    [0.0, 0.0, -1.0, -3.0, inf]
    """
    mantissa, exponent = torch.frexp(values)  # values = mantissa 2^exponent, |mantissa| in [0.5, 1)
    integer = (mantissa * 2.0**53).to(torch.int64)  # exact: 53 significant bits
    low = integer & (-integer)  # the lowest set bit, a power of two
    shift = torch.frexp(low.to(torch.float64))[1] - 1  # log2 of it
    out = (exponent - 53 + shift).to(torch.float64)
    return torch.where(values == 0, torch.full_like(out, float("inf")), out)


def _exact_rows(h: torch.Tensor, omega: torch.Tensor, beta: torch.Tensor, bits: int) -> torch.Tensor:
    """(N, out) bool: the row's sum is exact in a `bits`-bit format in any order (operands assumed exact).

    h (N, in) exact values; omega (out, in); beta (out,). Exact when every term is a multiple of 2^q and the sums
    of the positive and of the negative terms are below 2^(bits + q) in size: every partial sum is then
    representable.
    """
    low_omega = lowest_bit_exponent(omega)  # (out, in)
    low_beta = lowest_bit_exponent(beta)  # (out,)
    low_h = lowest_bit_exponent(h)  # (N, in)
    rows = max(1, CHUNK_ELEMENTS // max(1, omega.numel()))
    quantum = torch.empty(h.shape[0], omega.shape[0], dtype=torch.float64)
    for start in range(0, h.shape[0], rows):
        block = low_h[start : start + rows, None, :] + low_omega[None]  # (rows, out, in): inf for zero terms
        quantum[start : start + rows] = torch.minimum(block.amin(dim=2), low_beta[None])
    up, down = h.clamp_min(0), (-h).clamp_min(0)
    w_up, w_down = omega.clamp_min(0).T, (-omega).clamp_min(0).T
    positive = torch.addmm(beta.clamp_min(0), up, w_up) + down @ w_down  # (N, out) sum of the positive terms
    negative = torch.addmm((-beta).clamp_min(0), up, w_down) + down @ w_up  # and of the negative ones' sizes
    largest = torch.maximum(positive, negative) * (1 + 2.0**-40)  # every partial sum lies in [-negative, positive]
    return (largest < torch.exp2(bits + quantum)) | torch.isinf(quantum)


def sign_split_pairs(omega, beta) -> list[tuple[int, int]]:
    """[(i, j), ...]: units whose rows (weights and bias) are exact negatives and nonzero. omega (out, in), beta
    (out,), tensors or arrays.

    Examples
    --------
    >>> sign_split_pairs(torch.tensor([[1.0, 2.0], [-1.0, -2.0], [0.0, 1.0]]), torch.tensor([0.5, -0.5, 0.0]))
    [(0, 1)]
    """
    rows = np.concatenate([np.asarray(omega), np.asarray(beta)[:, None]], axis=1)  # (out, in + 1)
    negated = (rows[:, None, :] == -rows[None, :, :]).all(axis=2) & rows.any(axis=1)[:, None]  # (out, out)
    pairs, used = [], set()
    for i, j in zip(*np.nonzero(np.triu(negated, k=1))):
        if i not in used and j not in used:
            pairs.append((int(i), int(j)))
            used.update((i, j))
    return pairs


def _pair_weight(c1, c2):
    """The factor of max(e_pos, e_neg) in the error of c1 pos + c2 neg for a sign-split pair (pos, neg):
    |c1 - c2| / 2 for the difference pos - neg (off by at most e) plus |c1 + c2| for the sum (off by 2 e)."""
    return abs(c1 - c2) / 2 + abs(c1 + c2)


def _inherited_dense(err: torch.Tensor, omega: torch.Tensor, pairs: list[tuple[int, int]]) -> torch.Tensor:
    """(N, out) sum_j |Omega_oj| err_j, where a row reads both units of a sign-split pair taking the smaller of
    that and `_pair_weight` times max(e_i, e_j) for the two. err (N, in), omega (out, in)."""
    magnitude = omega.abs()
    total = err @ magnitude.T
    for i, j in pairs:
        both = ((magnitude[:, i] > 0) & (magnitude[:, j] > 0)).to(err.dtype)  # (out,)
        merged = _pair_weight(omega[:, i], omega[:, j])[None] * torch.maximum(err[:, i], err[:, j])[:, None]
        separate = magnitude[:, i][None] * err[:, i, None] + magnitude[:, j][None] * err[:, j, None]
        total = total + both[None] * (torch.minimum(merged, separate) - separate)
    return total


def _power_of_two_copies(omega: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """(out,) bool: rows with no bias and one nonzero weight, a power of two (a carried unit): computed exactly."""
    single = ((omega != 0).sum(dim=1) == 1) & (beta == 0)
    weight = omega.abs().amax(dim=1)
    return single & (torch.frexp(weight)[0] == 0.5)


def propagate_layer(
    h: torch.Tensor, err: torch.Tensor, ref_err: torch.Tensor, omega: torch.Tensor, beta: torch.Tensor,
    dtype: torch.dtype, relu: bool, pairs: list[tuple[int, int]] = (),
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One layer of the bound: (h, e, r) of the layer's input -> (h, e, r) of its output.

    Parameters
    ----------
    h : Tensor (N, in) float64, exact input activations (computed in float64).
    err : Tensor (N, in), bound on the `dtype` run's activations minus the exact ones.
    ref_err : Tensor (N, in), bound on `h` minus the exact activations (float64 rounding).
    omega : Tensor (out, in) float64 holding `dtype` values; beta : Tensor (out,) likewise.
    dtype : the run's dtype (float32 or float64).
    relu : bool, apply ReLU (hidden layer) or not (output layer).
    pairs : list of (i, j), the sign-split pairs of the previous layer (`sign_split_pairs` of its rows).

    Returns
    -------
    (h, e, r), each (N, out).
    """
    magnitude = omega.abs()
    pre = torch.addmm(beta, h, omega.T)  # (N, out)
    live = ((h != 0) | (err > 0) | (ref_err > 0)).to(torch.float64)  # inputs that may be nonzero in a run
    products = live @ (omega != 0).to(torch.float64).T  # (N, out) products that may be nonzero
    n_terms = products + (beta != 0).to(torch.float64)  # a row with no product is its bias: exact (see below)
    size_ref = torch.addmm(beta.abs(), h.abs(), magnitude.T)
    size_run = torch.addmm(beta.abs(), h.abs() + ref_err + err, magnitude.T)
    scaled = _power_of_two_copies(omega, beta)[None] | (products == 0)  # a copy, or only the bias: no rounding
    e_pre = _inherited_dense(err, omega, pairs) + (gamma(n_terms, UNIT_ROUNDOFF[dtype]) * size_run).masked_fill(
        scaled, 0.0)
    r_pre = _inherited_dense(ref_err, omega, pairs) + (
        gamma(n_terms, UNIT_ROUNDOFF[torch.float64]) * size_ref).masked_fill(scaled, 0.0)
    uncertain = (((err > 0) | (ref_err > 0)).to(torch.float64) @ (omega != 0).to(torch.float64).T) > 0
    if omega.shape[1] <= EXACT_CHECK_INPUTS and not bool(uncertain.all()):
        exact = ~uncertain & _exact_rows(h, omega, beta, PRECISION_BITS[dtype])
        e_pre, r_pre = e_pre.masked_fill(exact, 0.0), r_pre.masked_fill(exact, 0.0)
    if not relu:
        return pre, e_pre, r_pre
    dead = pre + e_pre + r_pre <= 0  # exact and rounded pre-activations both <= 0: relu is exactly 0
    return pre.clamp_min(0.0), e_pre.masked_fill(dead, 0.0), r_pre.masked_fill(dead, 0.0)


def float_error_bound(net, x, dtype: torch.dtype = torch.float32) -> ErrorBound:
    """Bound the rounding error of `net` run in `dtype` on inputs `x`, for every input and output.

    Parameters
    ----------
    net : Network (relu or identity activation)
        The network; its parameters are cast to `dtype` (the bound is for those cast values).
    x : array-like (N, D_i)
        Inputs; cast to `dtype` (the bound is for the cast inputs, which is what the run sees).
    dtype : torch.float32 or torch.float64, default=torch.float32

    Returns
    -------
    ErrorBound
        `output` (N, D_o) exact output, `bound` (N, D_o) on |run - exact|, `reference_bound`, `layer_max_bound`.

    Examples
    --------
    >>> from depthlab import Network
    >>> net = Network.random([3, 8, 8, 1], seed=0)
    >>> x = torch.rand(5, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    >>> b = float_error_bound(net, x)
    >>> b.holds(net.to(torch.float32)(x.to(torch.float32))), 0 < b.max_bound < 1e-5
    (True, True)
    """
    if isinstance(net, torch.nn.Module):
        net = as_network(net)
    if not isinstance(net, Network):
        raise InputError(f"The 'net' parameter must be a depthlab Network or torch.nn.Sequential. Got "
                         f"{type(net).__name__}.")
    if dtype not in UNIT_ROUNDOFF:
        raise InputError(f"The 'dtype' parameter must be torch.float32 or torch.float64. Got {dtype!r} instead.")
    if net.activation not in SUPPORTED:
        raise InputError(f"The 'net' parameter must use one of {SUPPORTED} for a rounding bound. "
                         f"Got {net.activation!r} instead.")
    x = check_features(as_tensor(x, "x", torch.float64), "x", net.input_dim)
    h = x.to(dtype).to(torch.float64)  # (N, D_i) the inputs the run sees, exactly
    state = (h, torch.zeros_like(h), torch.zeros_like(h))
    layer_max, exact_layers = [], 0
    last, pairs = len(net.weights) - 1, []
    numpy_dtype = np.float32 if dtype == torch.float32 else np.float64
    for k, (omega, beta) in enumerate(zip(net.weights, net.biases)):
        omega = np.asarray(omega.detach().cpu().numpy(), dtype=numpy_dtype).astype(np.float64)  # the cast values
        beta = np.asarray(beta.detach().cpu().numpy(), dtype=numpy_dtype).astype(np.float64)
        if omega.shape[1] > 0 and int((omega != 0).sum(axis=1).max()) <= SPARSE_ROW:
            state = _sparse_layer(_columns(state), omega, beta, dtype, k < last, pairs)
        else:
            state = propagate_layer(*_rows(state), torch.from_numpy(omega), torch.from_numpy(beta), dtype,
                                    relu=k < last, pairs=pairs)
        pairs = sign_split_pairs(omega, beta)
        err, ref_err = state[1:]
        layer_max.append(float(err.max()) if err.shape[0] * err.shape[1] else 0.0)
        exact_layers += int(not bool(err.any()) and not bool(ref_err.any()))
    h, err, ref_err = _rows(state)
    return ErrorBound(h, err, ref_err, layer_max, exact_layers, dtype)


# ------------------------------------------------------------------------------------------ row by row
# The same rules as `propagate_layer`, for layers of few weights per row: each row touches only its nonzero
# columns (NumPy, unit-major arrays (D, N)), so a 10,000-layer, 4-wide net on 10,000 inputs takes seconds.
def _columns(state):
    """State as unit-major NumPy arrays (D, N) (from torch (N, D) rows, or already columns)."""
    return state if isinstance(state[0], np.ndarray) else tuple(t.T.contiguous().numpy() for t in state)


def _rows(state):
    """State as torch tensors (N, D)."""
    return state if torch.is_tensor(state[0]) else tuple(torch.from_numpy(np.ascontiguousarray(a.T)) for a in state)


def _lowest_bits(values: np.ndarray) -> np.ndarray:
    """`lowest_bit_exponent` in NumPy."""
    mantissa, exponent = np.frexp(values)
    integer = (mantissa * 2.0**53).astype(np.int64)
    shift = np.frexp((integer & -integer).astype(np.float64))[1] - 1
    return np.where(values == 0, np.inf, (exponent - 53 + shift).astype(np.float64))


def _gathered(omega: np.ndarray):
    """(cols (out, k) int, weights (out, k)) of each row's nonzero weights, padded with column 0 and weight 0."""
    k = max(1, int((omega != 0).sum(axis=1).max()))
    cols = np.argsort(omega == 0, axis=1, kind="stable")[:, :k]  # nonzero columns first, in order
    weights = np.take_along_axis(omega, cols, axis=1)
    return np.where(weights != 0, cols, 0), weights


def _pair_correction(err_g: np.ndarray, weights: np.ndarray, cols: np.ndarray, pairs) -> np.ndarray:
    """(out, N) what the sign-split pair rule takes off sum |w| err for rows reading both units of a pair."""
    fix = np.zeros((cols.shape[0], err_g.shape[2]))
    for i, j in pairs:
        for row in range(cols.shape[0]):
            real = weights[row] != 0
            where_i, where_j = np.nonzero((cols[row] == i) & real)[0], np.nonzero((cols[row] == j) & real)[0]
            if where_i.size and where_j.size:
                a, b = where_i[0], where_j[0]
                separate = abs(weights[row, a]) * err_g[row, a] + abs(weights[row, b]) * err_g[row, b]
                merged = _pair_weight(weights[row, a], weights[row, b]) * np.maximum(err_g[row, a], err_g[row, b])
                fix[row] += np.minimum(merged, separate) - separate
    return fix


def _exact_sparse(h_g, certain, weights, beta, low_h_g, bits) -> np.ndarray:
    """(out, N) bool: rows whose sum is exact (`_exact_rows` on gathered terms (out, k, N))."""
    terms = weights[:, :, None] * h_g
    positive = np.maximum(beta, 0)[:, None] + np.maximum(terms, 0).sum(axis=1)
    negative = np.maximum(-beta, 0)[:, None] + np.maximum(-terms, 0).sum(axis=1)
    low_w = np.where(weights != 0, _lowest_bits(weights), np.inf)  # (out, k); padding (weight 0) never counts
    quantum = np.minimum((low_w[:, :, None] + low_h_g).min(axis=1), _lowest_bits(beta)[:, None])
    fits = np.maximum(positive, negative) * (1 + 2.0**-40) < np.exp2(bits + np.minimum(quantum, 900.0))
    return certain & (fits | np.isinf(quantum))


def _copy_rows(omega: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """(out,) the column each row copies (one nonzero weight, a power of two, no bias), -1 for other rows."""
    single = ((omega != 0).sum(axis=1) == 1) & (beta == 0)
    column = np.abs(omega).argmax(axis=1)
    scale = np.abs(omega[np.arange(omega.shape[0]), column])
    return np.where(single & (np.frexp(scale)[0] == 0.5), column, -1)


def _sparse_layer(state, omega: np.ndarray, beta: np.ndarray, dtype: torch.dtype, relu: bool, pairs):
    """`propagate_layer` row by row: copies move whole arrays, other rows work on their gathered nonzero weights.
    state: 3 arrays (in, N) -> 3 arrays (out, N)."""
    copies = _copy_rows(omega, beta)
    pre, e_pre, r_pre = (np.empty((omega.shape[0], state[0].shape[1])) for _ in range(3))
    for row in np.nonzero(copies >= 0)[0]:  # exact: a power of two times one unit
        scale = omega[row, copies[row]]
        pre[row], e_pre[row], r_pre[row] = scale * state[0][copies[row]], abs(scale) * state[1][copies[row]], \
            abs(scale) * state[2][copies[row]]
    rest = np.nonzero(copies < 0)[0]
    if rest.size:
        pre[rest], e_pre[rest], r_pre[rest] = _general_rows(state, omega[rest], beta[rest], dtype, pairs)
    if relu:
        dead = pre + e_pre + r_pre <= 0
        pre, e_pre[dead], r_pre[dead] = np.maximum(pre, 0.0), 0.0, 0.0
    return pre, e_pre, r_pre


def _general_rows(state, omega: np.ndarray, beta: np.ndarray, dtype: torch.dtype, pairs):
    """(pre, e_pre, r_pre) (out, N) of rows that round: their gathered terms (out, k, N)."""
    cols, weights = _gathered(omega)
    h, err, ref_err = (a[cols] for a in state)  # (out, k, N) each; padded entries have weight 0
    magnitude = np.abs(weights)[:, :, None]
    pre = (weights[:, :, None] * h).sum(axis=1) + beta[:, None]
    e_in = (magnitude * err).sum(axis=1) + _pair_correction(err, weights, cols, pairs)
    r_in = (magnitude * ref_err).sum(axis=1) + _pair_correction(ref_err, weights, cols, pairs)
    size_ref = (magnitude * np.abs(h)).sum(axis=1) + np.abs(beta)[:, None]
    size_run = size_ref + (magnitude * (ref_err + err)).sum(axis=1)
    uncertain = (err > 0) | (ref_err > 0)
    products = (((h != 0) | uncertain) & (weights != 0)[:, :, None]).sum(axis=1)
    live = (products + (beta != 0)[:, None]).astype(float) * (products > 0)  # only a bias: no rounding
    e_pre = e_in + gamma(live, UNIT_ROUNDOFF[dtype]) * size_run
    r_pre = r_in + gamma(live, UNIT_ROUNDOFF[torch.float64]) * size_ref
    certain = ~(uncertain & (weights != 0)[:, :, None]).any(axis=1)
    rows = np.nonzero(certain.any(axis=1))[0]  # rows with some input whose operands are all exact
    if rows.size:
        low = np.full(state[0].shape, np.inf)
        for c in np.unique(cols[rows][weights[rows] != 0]):
            low[c] = _lowest_bits(state[0][c])
        exact = _exact_sparse(h[rows], certain[rows], weights[rows], beta[rows], low[cols[rows]],
                              PRECISION_BITS[dtype])
        e_pre[rows] = np.where(exact, 0.0, e_pre[rows])
        r_pre[rows] = np.where(exact, 0.0, r_pre[rows])
    return pre, e_pre, r_pre
