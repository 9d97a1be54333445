"""Memorizing a training set with ReLU networks 2 and 3 units wide (narrower than the seed's 4).

Both constructions start like `memorize`: one neuron gives every distinct input a code c = relu(w . x + b) in
[1, 1.75] (`encode_1d`). Instead of a shallow interpolant, the network then moves the codes along the real line,
one label run at a time, carrying a single number u (the carry) from layer to layer:

- Targets are mapped below every code: s = 0.25 + (t - t_min) / A in [0.25, 0.5], A a power of two (exact for
  integer labels); the output layer reads t = A u + C back.
- The sorted distinct codes are cut into runs of equal targets and processed from the largest run down. An op
  u -> u + lambda relu(u - theta) with theta between the run and the code below it leaves every point below
  theta untouched and moves the points above it. A moved point sits at its target s <= 0.5, below every later
  threshold (all >= `FLOOR` = 0.875), so it never moves again.
- Width 2 (the carry + one kink unit): a run of one code is one *fold*, lambda chosen so the code lands on s
  (lambda ~ -range / gap); a longer run is a *clamp* (lambda = -1: u -> min(u, theta), the whole run onto one
  value) then a fold of that value. A layer applies one op and computes the next op's kink from the same
  pre-activation, u_L = relu(u + lambda v), v_L = relu(u + lambda v - theta'), so one layer per op: at most one
  per distinct code, sum over runs of min(run length, 2), plus a code layer when the first op cannot read x
  exactly (see below).
- Width 3 (the carry + two kink units): a run is one *flat* op u -> u + l1 relu(u - th1) + l2 relu(u - th2),
  th1 < th2 below the run, l1 + l2 = -1 exactly: slope 0 above th2, so the whole run lands on s at once. One
  layer per run (per label change), plus the code layer.

Rounding (float64). Codes and thresholds lie in [0.875, 1.75], within a factor 2 of each other, so every kink
u - theta of a point not yet moved is exact (Sterbenz) and a clamp gives theta exactly. Width 2 therefore rounds
each point only in its own fold, whose terms are bounded (|lambda v| = |s - c| <= 1.5): its error is a few ulps
of the output scale, whatever the code gaps. Width 3's flat op adds l1 (u - th1) and l2 (u - th2), each of size
|l1| * (run extent) with |l1| ~ 3 range / gap, which cancel: its rounding error grows like eps * slope * extent.
The first layer computes w . x + b from the raw input, with its own rounding; the first op reads its kink from
that layer directly only where the result is exactly what the design assumes (checked on the training inputs,
width 2, a top run of one code), otherwise a code layer (the carry only) comes first. `error_bound` is the
resulting a-priori bound on |net(x) - t|, from the ops' slopes and kinks; `fit_max_abs_error` is measured by
running `net(x)`.

In float32 the code itself is computed with an error of about 2^-24 times the size of the terms of w . x, and
thresholds round to 2^-24 of their value: a code that lands on the wrong side of a threshold at a label change
(smallest gap `min_boundary_gap`) is misfolded, and a width-2 fold multiplies any code error by its slope.
`first_unit_error` measures the code's error in another dtype. Hernandez & Zuazua (2024) prove width 2 with
depth at most 2N + 4M - 1 (`hz_depth_bound`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from depthlab.checks import InputError, as_tensor
from depthlab.construct.memorize import Encoding, encode_1d, memorize, scalar_class_accuracy
from depthlab.models.network import Network
from depthlab.precision import gamma  # Higham's gamma_n, float64 u by default

S_LOW, S_HIGH = 0.25, 0.5  # the carry's targets: below every threshold by >= FLOOR - S_HIGH
FLOOR = 0.875  # lowest threshold: above every target, within a factor 2 of every code (<= 1.75)
WIDTHS = (2, 3)


class _Op(NamedTuple):
    """One op on the carry, u -> u + sum_i lambdas[i] relu(u - thetas[i]); error: bound on the moved carry's error."""

    thetas: tuple[float, ...]
    lambdas: tuple[float, ...]
    error: float
    kind: str  # "fold", "clamp" or "flat"


@dataclass(frozen=True)
class NarrowMemorization:
    """What `memorize_narrow` built and how exactly it fits.

    Attributes
    ----------
    net : Network, widths [D, width, ..., width, 1]: takes X itself, one scalar output.
    width : int, 2 or 3.
    encoding : Encoding, the code neuron (shared with `memorize` for the same X, method and seed).
    layers : int, hidden layers of `net` (= n_ops + code_layer, or 1 when every target is equal).
    params : int, parameters of `net`.
    n_distinct : int, distinct codes (distinct inputs, unless two share a code and a label).
    n_classes : int, distinct target values M (classes for integer labels).
    n_runs : int, runs of equal targets along the sorted codes.
    n_ops : int, ops on the carry (width 2: folds + clamps; width 3: one per run).
    code_layer : bool, True when the first hidden layer only computes the code.
    min_code_gap, relative_code_gap : float, smallest gap between distinct codes (absolute, / code range).
    min_boundary_gap, relative_boundary_gap : float, the same between neighbouring codes whose targets differ: the
        gaps the ops must resolve (inf for one run).
    max_fold_slope : float, largest |lambda| of an op (clamps have 1).
    output_scale, output_offset : float, A and C in t = A u + C.
    error_bound : float, a-priori bound on max |net(X) - targets| in float64 (module docstring).
    fit_max_abs_error : float, measured max |net(X) - targets| in float64, running `net` as a user does.
    fit_mse : float, mean squared error of net(X) against the targets (float64).
    train_accuracy : float, class labels read by `scalar_class_accuracy`; NaN for float targets.
    build_seconds : float, wall time of the construction (verification excluded).
    targets : Tensor (N, 1) float64.
    target_kind : str, "scalar" (integer labels) or "values" (float targets).
    hz_depth_bound : int, Hernandez & Zuazua's 2 N + 4 M - 1 with N = n_distinct and M = n_classes.
    """

    net: Network
    width: int
    encoding: Encoding
    layers: int
    params: int
    n_distinct: int
    n_classes: int
    n_runs: int
    n_ops: int
    code_layer: bool
    min_code_gap: float
    relative_code_gap: float
    min_boundary_gap: float
    relative_boundary_gap: float
    max_fold_slope: float
    output_scale: float
    output_offset: float
    error_bound: float
    fit_max_abs_error: float
    fit_mse: float
    train_accuracy: float
    build_seconds: float
    targets: torch.Tensor
    target_kind: str
    hz_depth_bound: int


# ---------------------------------------------------------------------------------------------- helpers
def hz_depth_bound(n_points: int, n_classes: int) -> int:
    """Hernandez & Zuazua (2024): N distinct points in M classes are memorized at width 2 and depth 2N + 4M - 1.

    Examples
    --------
    >>> hz_depth_bound(10_000, 3)
    20011
    """
    for value, name in ((n_points, "n_points"), (n_classes, "n_classes")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"The '{name}' parameter must be an int >= 1. Got {value!r} instead.")
    return int(2 * n_points + 4 * n_classes - 1)


def label_change_gaps(codes: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Gaps between neighbouring distinct codes whose targets differ: the gaps a memorizer on the codes must resolve.

    Parameters
    ----------
    codes : array-like (N,)
    targets : array-like (N,), equal for equal codes.

    Returns
    -------
    Tensor (K,) float64, in code order (K = 0 when every target is equal).

    Examples
    --------
    >>> label_change_gaps(torch.tensor([1.0, 1.125, 1.5, 1.75]), torch.tensor([0, 0, 1, 0])).tolist()
    [0.375, 0.25]
    """
    c = as_tensor(codes, "codes").flatten()  # (N,)
    t = as_tensor(targets, "targets").flatten()  # (N,)
    if c.shape != t.shape or c.numel() == 0:
        raise InputError(f"The 'targets' parameter must have one value per code ({c.numel()}). Got {t.numel()}.")
    order = torch.argsort(c, stable=True)
    c, t = c[order], t[order]
    change = (t[1:] != t[:-1]) & (c[1:] != c[:-1])  # (N-1,) neighbours with different targets
    return (c[1:] - c[:-1])[change]


def boundary_gaps(codes: torch.Tensor, targets: torch.Tensor) -> tuple[float, float]:
    """Smallest of `label_change_gaps`, absolute and relative to the range of the codes (inf, inf for one label).

    codes : array-like (N,); targets : array-like (N,).

    Examples
    --------
    >>> boundary_gaps(torch.tensor([1.0, 1.125, 1.5, 1.75]), torch.tensor([0, 0, 1, 1]))
    (0.375, 0.5)
    """
    gaps = label_change_gaps(codes, targets)
    if gaps.numel() == 0:
        return math.inf, math.inf
    c = as_tensor(codes, "codes")
    gap = float(gaps.min())
    return gap, gap / float(c.max() - c.min())


def first_unit_error(net: Network, X: torch.Tensor, dtype: torch.dtype = torch.float32) -> float:
    """max |h_0(x) in `dtype` - h_0(x) in float64| over X: the code neuron's error when the network runs in `dtype`.

    h_0 is unit 0 of the first hidden layer, the code relu(w . x + b) in `memorize` and `memorize_narrow`.

    Parameters
    ----------
    net : Network
    X : array-like (N, D)
    dtype : torch.dtype, default=torch.float32 (the parameters and X are cast to it, as `net.to(dtype)(x)` does).

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X, Y = torch.rand(40, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (40,), generator=g)
    >>> 0 < first_unit_error(memorize_width2(X, Y).net, X) < 1e-5
    True
    """
    x = as_tensor(X, "X")
    if x.ndim != 2 or x.shape[1] != net.input_dim:
        raise InputError(f"The 'X' parameter must have shape (N, {net.input_dim}). Got {tuple(x.shape)} instead.")
    with torch.no_grad():
        exact = torch.relu(torch.addmm(net.biases[0][:1], x, net.weights[0][:1].T))[:, 0]  # (N,)
        low = torch.relu(torch.addmm(net.biases[0][:1].to(dtype), x.to(dtype), net.weights[0][:1].to(dtype).T))
    return float((low[:, 0].double() - exact).abs().max())


def _scalar_targets(Y, n: int) -> tuple[torch.Tensor, torch.Tensor | None, str]:
    """(targets (N,) float64, integer labels (N,) or None, kind) for a one-output network."""
    y = Y if torch.is_tensor(Y) else torch.as_tensor(np.asarray(Y))
    integer = y.dtype == torch.bool or not (y.dtype.is_floating_point or y.dtype.is_complex)
    y = y.long() if integer else as_tensor(y, "Y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise InputError(f"The 'Y' parameter must have shape ({n},) (one scalar target per row of X; a width-2 or "
                         f"-3 network here has one output). Got shape {tuple(y.shape)} instead.")
    if not integer:
        return y.to(torch.float64), None, "values"
    if y.numel() and y.min() < 0:
        raise InputError(f"The 'Y' parameter must hold integer class labels >= 0. Got {int(y.min())}.")
    return y.to(torch.float64), y, "scalar"


def _target_map(t: torch.Tensor) -> tuple[float, float, torch.Tensor]:
    """(A, C, s): s = S_LOW + (t - t_min) / A in [S_LOW, S_HIGH], A a power of two, t = A s + C."""
    lo, span = float(t.min()), float(t.max() - t.min())
    scale = 2.0 ** math.ceil(math.log2(span / (S_HIGH - S_LOW))) if span > 0 else 1.0
    s = S_LOW + (t - lo) / scale  # (N,)
    return scale, lo - scale * S_LOW, s


def _between(lo: float, hi: float, frac: float) -> float:
    """A threshold strictly inside (lo, hi) within (hi - lo) / 12 of lo + frac (hi - lo): a float32 number when one
    fits there (so the threshold survives `net.to(torch.float32)` exactly), else the float64 one; lo itself when
    nothing fits (a gap of one ulp)."""
    ideal = lo + (hi - lo) * frac
    for candidate in (float(np.float32(ideal)), ideal):
        if lo < candidate < hi and abs(candidate - ideal) <= (hi - lo) / 12:
            return candidate
    return lo


def _two_thresholds(lo: float, c: float) -> tuple[float, float]:
    """(low, high) with lo <= low < high <= c, near the thirds of (lo, c)."""
    low = _between(lo, c, 1 / 3)
    high = _between(low, c, 1 / 2) if low > lo else c
    return (low, high) if low < high else (lo, c)


def _fold(c: float, s: float, theta: float, v: float | None = None) -> _Op:
    """Fold u -> u + lambda relu(u - theta) that moves the value c (kink v = c - theta) onto s."""
    v = c - theta if v is None else v  # exact (Sterbenz) unless given
    lam = (s - c) / v
    return _Op((theta,), (lam,), gamma(2) * abs(s - c) + gamma(4) * (c + abs(lam) * v), "fold")


def _ops_width2(codes: list[float], s: list[float], runs: list[tuple[int, int]], clamp_all: bool) -> list[_Op]:
    """Folds (runs of one code, unless clamp_all) and clamp + fold (longer runs), from the top run down."""
    ops: list[_Op] = []
    for start, stop in reversed(runs):
        lo, c = (codes[start - 1] if start > 0 else FLOOR), codes[start]
        if stop - start == 1 and not clamp_all:
            ops.append(_fold(c, s[start], _between(lo, c, 1 / 2)))
            continue
        fold, clamp = _two_thresholds(lo, c)
        ops += [_Op((clamp,), (-1.0,), 0.0, "clamp"), _fold(clamp, s[start], fold)]
    return ops


def _ops_width3(codes: list[float], s: list[float], runs: list[tuple[int, int]]) -> list[_Op]:
    """One flat op per run, from the top run down."""
    ops: list[_Op] = []
    for start, stop in reversed(runs):
        lo, c, top = (codes[start - 1] if start > 0 else FLOOR), codes[start], codes[stop - 1]
        th1, th2 = _two_thresholds(lo, c)
        l1 = (s[start] - th2) / (th2 - th1)  # |l1| > 1 (s <= 0.5 < FLOOR - 0.29), so -1 - l1 is exact
        l2 = -1.0 - l1
        error = gamma(2) * abs(s[start] - th2) + gamma(4) * (top + abs(l1) * (top - th1) + abs(l2) * (top - th2))
        ops.append(_Op((th1, th2), (l1, l2), error, "flat"))
    return ops


def _first_layer(enc: Encoding, width: int, thetas: tuple[float, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """(Omega_0 (width, D), beta_0 (width,)): every unit reads w . x + b; units 1.. subtract `thetas`."""
    omega = enc.w.to(torch.float64).expand(width, -1).clone()  # (W, D)
    beta = torch.tensor([enc.b] + [enc.b - th for th in thetas], dtype=torch.float64)  # (W,)
    return omega, beta


def _direct_first_op(x, enc, codes, groups, ops, s_top) -> tuple[_Op, torch.Tensor, torch.Tensor] | None:
    """The top fold reading its kink from the first layer, when that is exact on the training inputs, else None.

    The first layer computes v = relu(w . x + (b - theta)) with its own rounding, not (w . x + b) - theta. The fold is
    redesigned from the v the layer really computes; that is exact when every row of the top code has the same
    v, every other row has v = 0 and the code unit is unchanged.
    """
    op = ops[0]
    if op.kind != "fold":
        return None
    omega, beta = _first_layer(enc, 2, op.thetas)
    with torch.no_grad():
        h = torch.relu(torch.addmm(beta, x, omega.T))  # (N, 2): as Network.forward computes it
    top = groups == groups.max()  # (N,) rows of the top code
    v = h[top, 1]
    if not (torch.equal(h[:, 0], codes) and bool((h[~top, 1] == 0).all()) and bool((v == v[0]).all()) and v[0] > 0):
        return None
    return _fold(float(codes[top][0]), s_top, op.thetas[0], float(v[0])), omega, beta


def _assemble(first: tuple[torch.Tensor, torch.Tensor], code_layer: bool, ops: list[_Op], width: int,
              scale: float, offset: float) -> Network:
    """The network: first layer, (code layer), one layer per op but the last, output layer applying the last op."""
    weights, biases = [first[0]], [first[1]]
    if code_layer:
        omega = torch.zeros(width, width, dtype=torch.float64)
        omega[:, 0] = 1.0  # every unit reads the carry
        weights.append(omega)
        biases.append(torch.tensor([0.0] + [-th for th in ops[0].thetas], dtype=torch.float64))
    lams = torch.tensor([op.lambdas for op in ops], dtype=torch.float64)  # (n_ops, W - 1)
    ths = torch.tensor([op.thetas for op in ops], dtype=torch.float64)  # (n_ops, W - 1)
    n_mid = len(ops) - 1
    rows = torch.cat([torch.ones(n_mid, 1, dtype=torch.float64), lams[:-1]], dim=1)  # (n_mid, W): u + sum lam v
    mids = rows[:, None, :].expand(n_mid, width, width)  # (n_mid, W, W): each unit reads the same pre-activation
    mid_bias = torch.cat([torch.zeros(n_mid, 1, dtype=torch.float64), -ths[1:]], dim=1)  # (n_mid, W)
    weights += list(mids.unbind(0))
    biases += list(mid_bias.unbind(0))
    out = scale * torch.cat([torch.ones(1, dtype=torch.float64), lams[-1]])  # (W,): A (u + sum lam v), A exact
    weights.append(out[None, :].contiguous())
    biases.append(torch.tensor([offset], dtype=torch.float64))
    return Network(tuple(w.contiguous() for w in weights), tuple(biases), "relu")


# ---------------------------------------------------------------------------------------------- memorize
def memorize_narrow(
    X: torch.Tensor,
    Y: torch.Tensor,
    width: int = 2,
    method: str = "spread",
    seed: int = 0,
    n_tries: int = 64,
    clamp_all: bool = False,
) -> NarrowMemorization:
    """A ReLU network 2 or 3 units wide that maps every training input to its target, built in closed form.

    Parameters
    ----------
    X : array-like (N, D)
    Y : array-like (N,) integer class labels >= 0 (the output is the class index, read by rounding as in
        `scalar_class_accuracy`), or float targets (N,) / (N, 1).
    width : {2, 3}, default=2
        2: one layer per op, at most one per distinct input. 3: one layer per run of equal targets along the
        codes (per label change), more parameters per layer, float64 error growing with slope * run extent.
    method : {"random", "spread", "pca"}, default="spread", the code neuron (`encode_1d`).
    seed : int, default=0
    n_tries : int, default=64
    clamp_all : bool, default=False
        Width 2 only. True: every run, even of one code, is clamped before its fold (two layers per run). A code
        computed with an error smaller than its margin to the thresholds is then absorbed by the clamp instead of
        multiplied by the fold's slope, so float32 keeps fitting until codes cross thresholds.

    Returns
    -------
    NarrowMemorization

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X, Y = torch.rand(50, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (50,), generator=g)
    >>> m = memorize_narrow(X, Y, width=2)
    >>> m.net.widths[:3], m.layers <= 51, m.fit_max_abs_error <= m.error_bound < 1e-13, m.train_accuracy
    ([5, 2, 2], True, True, 1.0)
    """
    if isinstance(width, bool) or width not in WIDTHS:
        raise InputError(f"The 'width' parameter must be 2 or 3 (use memorize for width >= 4). Got {width!r} instead.")
    if not isinstance(clamp_all, bool) or (clamp_all and width != 2):
        raise InputError(f"The 'clamp_all' parameter must be a bool, True only at width 2. Got {clamp_all!r} at "
                         f"width {width}.")
    x = as_tensor(X, "X", torch.float64)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise InputError(f"The 'X' parameter must be a non-empty 2-D array (N, D). Got shape {tuple(x.shape)} instead.")
    t, labels, kind = _scalar_targets(Y, x.shape[0])
    start = time.perf_counter()
    enc = encode_1d(x, method=method, seed=seed, n_tries=n_tries, labels=t)
    code_first = _first_layer(enc, width, (0.0,) * (width - 1))
    code_first = (code_first[0], torch.full((width,), float(enc.b), dtype=torch.float64))
    with torch.no_grad():
        codes = torch.relu(torch.addmm(code_first[1], x, code_first[0].T))[:, 0]  # (N,) as the network computes them
    uniq, groups = torch.unique(codes, sorted=True, return_inverse=True)  # (n,), (N,)
    first_row = torch.full((uniq.numel(),), x.shape[0], dtype=torch.long).scatter_reduce(
        0, groups, torch.arange(x.shape[0]), reduce="amin")  # (n,) a row of each code
    clash = (t != t[first_row[groups]]).nonzero().flatten()
    if clash.numel():
        i = int(clash[0])
        raise InputError(f"The 'X' parameter has distinct inputs {int(first_row[groups[i]])} and {i} with different "
                         "labels whose codes coincide in float64; try another seed or method.")
    scale, offset, s_all = _target_map(t)
    g_t, g_s = t[first_row], s_all[first_row]  # (n,) target of each distinct code, ascending codes
    cut = (torch.nonzero(g_t[1:] != g_t[:-1]).flatten() + 1).tolist()
    bounds = [0] + cut + [uniq.numel()]
    runs = list(zip(bounds[:-1], bounds[1:]))
    code_list, s_list = uniq.tolist(), g_s.tolist()
    ops = [] if len(runs) == 1 else (_ops_width2(code_list, s_list, runs, clamp_all) if width == 2
                                     else _ops_width3(code_list, s_list, runs))
    code_layer = bool(ops)
    first = code_first
    if width == 2 and ops:
        direct = _direct_first_op(x, enc, codes, groups, ops, s_list[-1])
        if direct is not None:
            ops[0], first, code_layer = direct[0], (direct[1], direct[2]), False
    if ops:
        net = _assemble(first, code_layer, ops, width, scale, offset)
    else:  # one run: a constant network
        net = Network((first[0], torch.zeros(1, width, dtype=torch.float64)),
                      (first[1], torch.tensor([float(t[0])], dtype=torch.float64)), "relu")
    build = time.perf_counter() - start
    span = float(t.max() - t.min())
    worst = max((op.error for op in ops), default=0.0)
    error_bound = scale * worst + gamma(4) * (scale * S_HIGH + abs(offset)) + gamma(3) * (
        span + scale * S_HIGH + abs(offset) + float(t.abs().max()))
    with torch.no_grad():
        fit = net(x)  # (N, 1): the returned network run as a user runs it
    err = (fit[:, 0] - t).abs()
    min_gap, rel_gap = boundary_gaps(uniq, g_t)
    n_classes = int(torch.unique(t).numel())
    return NarrowMemorization(
        net=net,
        width=width,
        encoding=enc,
        layers=net.depth,
        params=net.n_params,
        n_distinct=int(uniq.numel()),
        n_classes=n_classes,
        n_runs=len(runs),
        n_ops=len(ops),
        code_layer=code_layer,
        min_code_gap=enc.min_gap,
        relative_code_gap=enc.relative_gap,
        min_boundary_gap=min_gap,
        relative_boundary_gap=rel_gap,
        max_fold_slope=max((abs(lam) for op in ops for lam in op.lambdas), default=0.0),
        output_scale=scale,
        output_offset=offset,
        error_bound=float(error_bound),
        fit_max_abs_error=float(err.max()),
        fit_mse=float((err**2).mean()),
        train_accuracy=(scalar_class_accuracy(fit, labels, int(labels.max()) + 1) if labels is not None
                        else math.nan),
        build_seconds=build,
        targets=t[:, None].clone(),
        target_kind=kind,
        hz_depth_bound=hz_depth_bound(int(uniq.numel()), n_classes),
    )


def memorize_width2(X: torch.Tensor, Y: torch.Tensor, method: str = "spread", seed: int = 0,
                    n_tries: int = 64, clamp_all: bool = False) -> NarrowMemorization:
    """`memorize_narrow` at width 2: folds and clamps, one layer per op, float64 error a few ulps whatever the gaps.

    X : (N, D); Y : (N,) integer labels >= 0 or float targets. Depth <= number of distinct inputs + 1 (clamp_all:
    2 per run + 1), inside Hernandez & Zuazua's 2 N + 4 M - 1. See `memorize_narrow` for the parameters.

    Examples
    --------
    >>> m = memorize_width2(torch.tensor([[0.0], [1.0], [2.0], [3.0]]), torch.tensor([0, 1, 1, 0]))
    >>> m.net.widths, m.fit_max_abs_error <= m.error_bound, m.layers <= m.hz_depth_bound
    ([1, 2, 2, 2, 2, 1], True, True)
    """
    return memorize_narrow(X, Y, width=2, method=method, seed=seed, n_tries=n_tries, clamp_all=clamp_all)


def memorize_width3(X: torch.Tensor, Y: torch.Tensor, method: str = "spread", seed: int = 0,
                    n_tries: int = 64) -> NarrowMemorization:
    """`memorize_narrow` at width 3: one flat op (one layer) per run of equal targets, plus the code layer.

    X : (N, D); Y : (N,) integer labels >= 0 or float targets. See `memorize_narrow` for the parameters.

    Examples
    --------
    >>> m = memorize_width3(torch.tensor([[0.0], [1.0], [2.0], [3.0]]), torch.tensor([0, 1, 1, 0]))
    >>> m.net.widths, m.n_runs, m.fit_max_abs_error <= m.error_bound
    ([1, 3, 3, 3, 3, 1], 3, True)
    """
    return memorize_narrow(X, Y, width=3, method=method, seed=seed, n_tries=n_tries)


# ---------------------------------------------------------------------------------------------- measure
@dataclass(frozen=True)
class MemorizerMeasurement:
    """One memorizer (width 4 from `memorize`, or 2 / 3 from `memorize_narrow`) run as a user runs it.

    Attributes
    ----------
    width : int
    clamp_all : bool, width 2 with every run clamped.
    layers, params : int
    n_points, n_distinct, n_classes : int, N, distinct codes, M.
    hz_depth_bound : int, 2 n_distinct + 4 n_classes - 1.
    relative_code_gap, relative_boundary_gap : float, smallest gap between codes (all / label changes) / code range.
    mse_float64, max_abs_error_float64, accuracy_float64 : float, `net(x)` in float64 against the labels.
    mse_float32, max_abs_error_float32, accuracy_float32 : float, `net.to(torch.float32)(x.float())`.
    code_error_float32 : float, `first_unit_error(net, X)`: how far float32 moves the code.
    max_slope : float, the steepest map from the code to the output (output units per code unit): width 4 the
        interpolant's steepest segment, widths 2 and 3 the output scale A times the steepest op's |lambda|. A code
        error that is not absorbed (by a clamp or a flat op) reaches the output multiplied by up to this.
    n_boundary_gaps : int, label changes along the sorted codes.
    n_boundary_gaps_below_float32_error : int, of those, gaps smaller than 4 code_error_float32 (a threshold sits
        about a quarter of a gap or more from each code, so a smaller gap can be crossed in float32).
    build_seconds : float
    """

    width: int
    clamp_all: bool
    layers: int
    params: int
    n_points: int
    n_distinct: int
    n_classes: int
    hz_depth_bound: int
    relative_code_gap: float
    relative_boundary_gap: float
    mse_float64: float
    max_abs_error_float64: float
    accuracy_float64: float
    mse_float32: float
    max_abs_error_float32: float
    accuracy_float32: float
    code_error_float32: float
    max_slope: float
    n_boundary_gaps: int
    n_boundary_gaps_below_float32_error: int
    build_seconds: float


def measure_memorizer(
    X: torch.Tensor,
    labels: torch.Tensor,
    width: int = 2,
    clamp_all: bool = False,
    method: str = "spread",
    seed: int = 0,
) -> MemorizerMeasurement:
    """Build the memorizer of (X, class labels) at `width` and run it in float64 and float32.

    Width 4 is the seed's construction (`memorize`, scalar output); 2 and 3 are `memorize_narrow`. All share the
    code neuron for the same X, method and seed. The output is the class index, read by `scalar_class_accuracy`.

    Parameters
    ----------
    X : array-like (N, D)
    labels : array-like (N,) integer class labels >= 0
    width : int, default=2, one of 2, 3, 4
    clamp_all : bool, default=False, see `memorize_narrow` (width 2 only)
    method : str, default="spread"
    seed : int, default=0

    Returns
    -------
    MemorizerMeasurement

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X, Y = torch.rand(60, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (60,), generator=g)
    >>> [(r.width, r.accuracy_float64, r.accuracy_float32) for r in (measure_memorizer(X, Y, w) for w in (4, 3, 2))]
    [(4, 1.0, 1.0), (3, 1.0, 1.0), (2, 1.0, 1.0)]
    """
    x = as_tensor(X, "X", torch.float64)
    y = torch.as_tensor(labels)
    if y.dtype.is_floating_point or y.dtype.is_complex or y.ndim != 1:
        raise InputError(f"The 'labels' parameter must be (N,) integer class labels. Got {y.dtype} of shape "
                         f"{tuple(y.shape)}.")
    if isinstance(width, bool) or width not in (2, 3, 4):
        raise InputError(f"The 'width' parameter must be 2, 3 or 4. Got {width!r} instead.")
    if width == 4:
        if clamp_all:
            raise InputError("The 'clamp_all' parameter must be False at width 4 (it is a width-2 option). Got True.")
        built = memorize(x, y, width=4, method=method, seed=seed, targets="scalar")
        net, n_distinct, build = built.net, built.encoding.n_distinct, built.build_seconds
        weights = built.shallow.weights[-1][0]  # (K,) slope changes at the knots, in knot order
        slope = float(torch.cumsum(weights, 0).abs().max())  # steepest segment of the interpolant
    else:
        narrow = memorize_narrow(x, y, width=width, method=method, seed=seed, clamp_all=clamp_all)
        net, n_distinct, build = narrow.net, narrow.n_distinct, narrow.build_seconds
        slope = narrow.output_scale * narrow.max_fold_slope
    y = y.long()
    n_classes = int(y.max()) + 1
    target = y.to(torch.float64)  # (N,)
    with torch.no_grad():
        out64 = net(x)[:, 0]  # (N,)
        out32 = net.to(torch.float32)(x.to(torch.float32))[:, 0].double()  # (N,)
        codes = torch.relu(torch.addmm(net.biases[0][:1], x, net.weights[0][:1].T))[:, 0]  # (N,) unit 0 = the code
    err64, err32 = (out64 - target).abs(), (out32 - target).abs()
    gaps = label_change_gaps(codes, target)
    _, rel_gap = boundary_gaps(codes, target)
    sorted_codes = torch.unique(codes)
    span = float(sorted_codes[-1] - sorted_codes[0]) if sorted_codes.numel() > 1 else math.inf
    code_gap = float((sorted_codes[1:] - sorted_codes[:-1]).min()) / span if sorted_codes.numel() > 1 else math.inf
    code_error = first_unit_error(net, x)
    return MemorizerMeasurement(
        width=width,
        clamp_all=clamp_all,
        layers=net.depth,
        params=net.n_params,
        n_points=int(x.shape[0]),
        n_distinct=int(n_distinct),
        n_classes=int(torch.unique(y).numel()),
        hz_depth_bound=hz_depth_bound(int(n_distinct), int(torch.unique(y).numel())),
        relative_code_gap=code_gap,
        relative_boundary_gap=rel_gap,
        mse_float64=float((err64**2).mean()),
        max_abs_error_float64=float(err64.max()),
        accuracy_float64=scalar_class_accuracy(out64, y, n_classes),
        mse_float32=float((err32**2).mean()),
        max_abs_error_float32=float(err32.max()),
        accuracy_float32=scalar_class_accuracy(out32, y, n_classes),
        code_error_float32=code_error,
        max_slope=slope,
        n_boundary_gaps=int(gaps.numel()),
        n_boundary_gaps_below_float32_error=int((gaps < 4 * code_error).sum()),
        build_seconds=float(build),
    )
