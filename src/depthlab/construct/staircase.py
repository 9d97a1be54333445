"""A memorizer that is exact in float32: two codes, exact clamps and a lexicographic staircase, width 4.

Why the seed's construction fails in float32: its one code neuron must give 10,000 images distinct values, and a
linear projection packs them with gaps of about 1e-8 of the range (birthday spacing), below float32's resolution;
the interpolant's slopes of about 1 / gap then amplify every rounding. No single float32 number can carry an
identity for 10,000 such points (it needs about 2 log2 N = 27 bits). This construction never needs one:

1. The first layer computes two codes, A and B (the data's first two principal directions, scaled to [0, 1]),
   each with a rigorous float32 error bound E per image (`depthlab.precision`).
2. Images are cut into *super-buckets* of consecutive A values, cut only where the A gap between neighbours
   exceeds their error bounds; inside a super-bucket images are ordered by B, and every pair of B-neighbours
   with different labels must be separated by more than their B error bounds. The lexicographic order (super-
   bucket, B) then has every label change at a place where the codes, rounding included, are on a known side.
3. The output is a staircase over that order: a unit `acc` starts at the first label and, at every label
   change, adds the label difference times an exact 0/1 step. A step is a clamp computed in two layers,
   p = relu(z), q = relu(1 - p): when the rounded z is <= 0 or >= 1, q is exactly 1 or 0, so every step is
   exact, every partial sum is an integer (a label) and the output equals the label exactly, not to 1e-5.
4. A step between B-neighbours must act only inside its super-bucket. Its pre-activation reads acc, which
   carries, besides the label, a gate of G = 2^22 per "cut passed" (cuts of the current super-bucket and the
   next): earlier super-buckets have gate 0, the current one 1, later ones 2, so
   z = alpha (B - theta) + (beta / G) acc + const is below 0 for earlier images and above 1 for later ones,
   whatever their B. Integers below 2^24 are exact in float32, so the gate costs no precision. Gate cuts are
   themselves exact A-clamps, added when a super-bucket starts and removed two super-buckets later.

Units per layer: A (carried), B (carried), acc, and one processing unit: width 4, about 2 layers per label
change. Every parameter is a float32 number; the network is verified by `depthlab.precision.float_error_bound`
(the output bound is 0: proven exact) and by running it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import torch

from depthlab.checks import InputError
from depthlab.models.network import Network
from depthlab.precision import UNIT_ROUNDOFF, propagate_layer
from depthlab.seeds import derive_seed

GATE = 2.0**22  # acc = label + GATE * gate, gate in {0, 1, 2, 3}: all below 2^24, exact in float32
WIDTH = 4  # units: A, B, acc, processing
CLEARANCE = 0.025  # at design time a clamp's pre-activation, with its error estimate, clears 0 and 1 by this much


class DesignError(Exception):
    """A pair of codes could not separate every label change with room for rounding (try other directions)."""


@dataclass(frozen=True)
class Codes:
    """The two first-layer codes of the staircase memorizer.

    Attributes
    ----------
    weight : Tensor (2, D) float64 holding float32 values, the directions times their scales.
    bias : Tensor (2,), likewise.
    values : Tensor (N, 2) float64, the exact code values of the inputs as the float32 run computes them, up to
        `error` (columns A, B).
    error : Tensor (N, 2), a rigorous bound on |float32 code - exact code| plus float64's own rounding.
    """

    weight: torch.Tensor
    bias: torch.Tensor
    values: torch.Tensor
    error: torch.Tensor


@dataclass(frozen=True)
class Staircase:
    """What `staircase_net` built.

    Attributes
    ----------
    net : Network, widths [D, 4, ..., 4, 1], parameters in `dtype`.
    codes : Codes
    n_super_buckets : int, number of super-buckets (A-intervals).
    n_label_steps : int, exact steps at label changes (A-steps plus B-steps).
    n_gate_steps : int, exact A-steps that only move the gate.
    attempts : int, direction pairs tried (1 when the first principal pair worked).
    """

    net: Network
    codes: Codes
    n_super_buckets: int
    n_label_steps: int
    n_gate_steps: int
    attempts: int


# ------------------------------------------------------------------------------------------------ codes
def _directions(x: torch.Tensor, attempt: int, seed: int) -> torch.Tensor:
    """(2, D): attempt 0 with seed 0 is the data's top two principal directions; otherwise a random orthonormal pair
    (from `seed` and `attempt`) in the span of the top 2 + attempt principal directions. x: (n, D) distinct
    inputs."""
    centred = x - x.mean(dim=0)
    _, vectors = torch.linalg.eigh(centred.T @ centred)  # ascending
    top = vectors.flip(1)[:, : min(x.shape[1], 2 + attempt)]  # (D, k)
    if (seed == 0 and attempt == 0) or top.shape[1] < 2:
        return top[:, :2].T.contiguous() if top.shape[1] >= 2 else torch.cat([top.T, top.T.flip(1)])
    gen = torch.Generator().manual_seed(derive_seed(seed, "staircase directions", attempt) % 2**63)
    mix, _ = torch.linalg.qr(torch.randn(top.shape[1], 2, generator=gen, dtype=torch.float64))  # (k, 2)
    return (top @ mix).T.contiguous()


def code_layer(x: torch.Tensor, directions: torch.Tensor, dtype: torch.dtype = torch.float32) -> Codes:
    """Two codes relu(w . x + b) scaled to [0, 1] on x, with their rounding-error bounds in `dtype`.

    Parameters
    ----------
    x : Tensor (N, D) float64 holding `dtype` values (the inputs the run sees).
    directions : Tensor (2, D)
    dtype : the run's dtype.

    Returns
    -------
    Codes
    """
    projection = x @ directions.T  # (N, 2)
    low, high = projection.min(dim=0).values, projection.max(dim=0).values
    span = torch.where(high > low, high - low, torch.ones_like(high))
    weight = (directions / span[:, None]).to(dtype).to(torch.float64)  # (2, D)
    bias = (-(x @ weight.T).min(dim=0).values).to(dtype).to(torch.float64)  # (2,)
    zeros = torch.zeros_like(x)
    values, err, ref_err = propagate_layer(x, zeros, zeros, weight, bias, dtype, relu=True)
    return Codes(weight, bias, values, err + ref_err)


# ------------------------------------------------------------------------------------------------ partition
def _b_need(codes: Codes, n_labels: int, dtype: torch.dtype) -> float:
    """The room a B-step needs beyond the two error bounds: the gate's label contamination and z's rounding."""
    b = codes.values[:, 1]
    span = float(b.max() - b.min())
    return 4.0 * span * n_labels / GATE + 120.0 * UNIT_ROUNDOFF[dtype] * (float(b.max()) + span)


def _a_need(codes: Codes, dtype: torch.dtype) -> float:
    return 40.0 * UNIT_ROUNDOFF[dtype] * float(codes.values[:, 0].max())


def _a_buckets(codes: Codes, dtype: torch.dtype) -> tuple[np.ndarray, np.ndarray]:
    """(order (N,) images by A, safe (N-1,) bool: the A gap after each position leaves room for a cut)."""
    a, e = codes.values[:, 0].numpy(), codes.error[:, 0].numpy()
    order = np.argsort(a, kind="stable")
    room = (a[order[1:]] - e[order[1:]]) - (a[order[:-1]] + e[order[:-1]])
    return order, room > _a_need(codes, dtype)


class _SortedB:
    """The images of one super-bucket sorted by B, checking that B-neighbours with different labels are apart."""

    def __init__(self, b: np.ndarray, e: np.ndarray, labels: np.ndarray, need: float) -> None:
        self.b, self.e, self.labels, self.need = b, e, labels, need
        self.keys: list[float] = []
        self.items: list[int] = []

    def _apart(self, i: int, j: int) -> bool:
        """i below j in B: equal labels, or room between them."""
        if self.labels[i] == self.labels[j]:
            return True
        return (self.b[j] - self.e[j]) - (self.b[i] + self.e[i]) > self.need

    def try_add(self, new: list[int]) -> bool:
        """Insert `new` if every B-neighbour pair stays apart; leave the bucket unchanged otherwise."""
        keys, items = list(self.keys), list(self.items)
        for i in new:
            pos = bisect.bisect_right(keys, self.b[i])
            keys.insert(pos, float(self.b[i]))
            items.insert(pos, i)
        for i in new:
            pos = bisect.bisect_left(keys, self.b[i])
            while items[pos] != i:  # equal B values: find i among them
                pos += 1
            if (pos > 0 and not self._apart(items[pos - 1], i)) or (
                    pos + 1 < len(items) and not self._apart(i, items[pos + 1])):
                return False
        self.keys, self.items = keys, items
        return True


def super_buckets(codes: Codes, labels: np.ndarray, dtype: torch.dtype = torch.float32) -> list[list[int]]:
    """Images grouped into super-buckets: consecutive A-intervals cut only at safe A gaps, greedily as large as
    B keeps every label change apart. Returns [[image indices sorted by B], ...] in A order.

    Raises DesignError when one A-bucket (images no safe cut separates) has B-neighbours with different labels
    closer than their error bounds allow.
    """
    order, safe = _a_buckets(codes, dtype)
    b, e = codes.values[:, 1].numpy(), codes.error[:, 1].numpy()
    need = _b_need(codes, int(labels.max()) + 1, dtype)
    buckets = np.split(order, np.nonzero(safe)[0] + 1)
    groups: list[list[int]] = []
    current = _SortedB(b, e, labels, need)
    for bucket in buckets:
        members = bucket.tolist()
        if current.try_add(members):
            continue
        groups.append(current.items)
        current = _SortedB(b, e, labels, need)
        if not current.try_add(members):
            raise DesignError(f"images {members[:4]} have close codes in both directions and different labels")
    groups.append(current.items)
    return groups


# ------------------------------------------------------------------------------------------------ program
class _Program:
    """Layers of the staircase net, emitted one at a time, with the acc unit simulated exactly on every image.

    Units: 0 = A, 1 = B, 2 = acc, 3 = processing. A step ("op") takes two layers: P = relu(z), then
    P = relu(1 - P) = q; acc absorbs w (1 - q) in the layer after (so a z computed in that layer still sees acc
    without it). Every coefficient is rounded to `dtype` before it is used, and every op is checked on every
    image: z, with its error estimate, clears 0 (step 0) or 1 (step 1) by CLEARANCE.
    """

    def __init__(self, codes: Codes, acc0: float, dtype: torch.dtype) -> None:
        self.dtype, self.u = dtype, UNIT_ROUNDOFF[dtype]
        self.a, self.b = codes.values[:, 0].numpy(), codes.values[:, 1].numpy()
        self.ea, self.eb = codes.error[:, 0].numpy(), codes.error[:, 1].numpy()
        self.acc = np.full(self.a.shape, self._round(acc0))  # (N,) the acc unit's exact value, latest layer
        first_w = torch.zeros(WIDTH, codes.weight.shape[1], dtype=torch.float64)
        first_w[:2] = codes.weight
        first_b = torch.tensor([float(codes.bias[0]), float(codes.bias[1]), self.acc[0], 0.0], dtype=torch.float64)
        self.weights, self.biases = [first_w], [first_b]
        self.pending: tuple[float, np.ndarray] | None = None
        self.constant = 0.0

    def _round(self, value: float) -> float:
        return float(torch.tensor(value, dtype=torch.float64).to(self.dtype).to(torch.float64))

    def _layer(self, p_row: list[float], p_bias: float, absorb: bool) -> None:
        """One hidden layer: A and B carried, acc absorbs the pending step (if `absorb`), P from `p_row`."""
        w = np.zeros((WIDTH, WIDTH))
        w[0, 0] = w[1, 1] = w[2, 2] = 1.0
        w[3] = p_row
        bias = np.array([0.0, 0.0, 0.0, p_bias])
        if absorb:
            if self.pending is not None:
                weight, step = self.pending
                w[2, 3], bias[2] = -weight, weight
                self.acc = self.acc + weight * step
                self.pending = None
            bias[2] += self.constant
            self.acc = self.acc + self.constant
            self.constant = 0.0
        if (self.acc < 0).any():
            raise AssertionError("acc went negative: the staircase's gate bookkeeping is wrong")
        self.weights.append(torch.tensor(w))
        self.biases.append(torch.tensor(bias))

    def op(self, c_a: float, c_b: float, c_acc: float, bias: float, weight: float, step: np.ndarray) -> None:
        """Emit a clamp step z = c_a A + c_b B + c_acc acc + bias whose exact 0/1 value on image i is step[i], and
        add `weight` times it to acc. Raises DesignError when rounding could put z inside (0, 1)."""
        c_a, c_b, c_acc, bias, weight = (self._round(v) for v in (c_a, c_b, c_acc, bias, weight))
        self._check(c_a, c_b, c_acc, bias, step)
        self._layer([c_a, c_b, c_acc, 0.0], bias, absorb=True)
        self._layer([0.0, 0.0, 0.0, -1.0], 1.0, absorb=False)
        self.pending = (weight, step.astype(np.float64))

    def bubble(self) -> None:
        """A layer that only lets acc absorb the pending step (P = 0), so the next z sees it."""
        self._layer([0.0, 0.0, 0.0, 0.0], 0.0, absorb=True)

    def add_constant(self, value: float) -> None:
        """Add `value` to acc at the next absorbing layer (every image)."""
        self.constant += self._round(value)

    def z_error(self, c_a: float, c_b: float, c_acc: float, bias: float) -> tuple[np.ndarray, np.ndarray]:
        """(z (N,), bound (N,)) of a pre-activation on acc's current values (acc is exact)."""
        z = c_a * self.a + c_b * self.b + c_acc * self.acc + bias
        size = abs(c_a) * (np.abs(self.a) + self.ea) + abs(c_b) * (np.abs(self.b) + self.eb) + abs(c_acc) * self.acc
        gam = 4 * self.u / (1 - 4 * self.u) + 4 * 2.0**-53
        return z, abs(c_a) * self.ea + abs(c_b) * self.eb + gam * (size + abs(bias))

    def _check(self, c_a: float, c_b: float, c_acc: float, bias: float, step: np.ndarray) -> None:
        z, err = self.z_error(c_a, c_b, c_acc, bias)
        bad = np.where(step, z - err < 1 + CLEARANCE, z + err > -CLEARANCE)
        if bad.any():
            raise DesignError(f"a step cannot be made exact for {int(bad.sum())} image(s), e.g. "
                              f"{np.nonzero(bad)[0][:3].tolist()}")

    def finish(self) -> Network:
        """The output layer y = acc + w (1 - q) + constant, and the network in `dtype`."""
        row, bias = torch.zeros(1, WIDTH, dtype=torch.float64), self.constant
        row[0, 2] = 1.0
        if self.pending is not None:
            weight, step = self.pending
            row[0, 3], bias = -weight, bias + weight
            self.acc = self.acc + weight * step
        self.acc = self.acc + self.constant
        self.weights.append(row)
        self.biases.append(torch.tensor([bias], dtype=torch.float64))
        weights = tuple(w.to(self.dtype) for w in self.weights)
        return Network(weights, tuple(b.to(self.dtype) for b in self.biases), "relu")


# ------------------------------------------------------------------------------------------------ assembly
def _edges(codes: Codes, groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(below (K,), above (K,)): for cut k (between groups k - 1 and k), the largest A + E of every image below it
    and the smallest A - E of every image above it (index 0 unused)."""
    a, e = codes.values[:, 0].numpy(), codes.error[:, 0].numpy()
    highs = np.array([np.max(a[g] + e[g]) for g in groups])
    lows = np.array([np.min(a[g] - e[g]) for g in groups])
    below = np.concatenate([[-np.inf], np.maximum.accumulate(highs)[:-1]])
    above = np.minimum.accumulate(lows[::-1])[::-1]
    return below, above


def _a_step(prog: _Program, below: float, above: float, weight: float, step: np.ndarray) -> None:
    """The exact step 1[A above the cut], z = kappa (A - below) - 1: -1 at the lower edge, 2 at the upper."""
    room = above - below
    if not room > 0:
        raise DesignError("no room for an A cut")
    kappa = prog._round(3.0 / room)
    prog.op(kappa, 0.0, 0.0, -kappa * below - 1.0, weight, step)


def _b_step(prog: _Program, before: list[int], after: list[int], span_b: float, weight: float,
            step: np.ndarray) -> None:
    """The exact step between B-neighbours of the current super-bucket, gated by acc: z = alpha B + beta' acc + c,
    centred between the images before and after it (their acc values, read by z, include the label so far)."""
    room = float(np.min(prog.b[after] - prog.eb[after]) - np.max(prog.b[before] + prog.eb[before]))
    if not room > 0:
        raise DesignError(f"images {before[-1]} and {after[0]} are too close in B")
    alpha = prog._round(3.0 / room)
    gate = prog._round((alpha * span_b + 16.0) / GATE * (1 + 2.0**-20))
    bias = 0.0
    for _ in range(2):  # the bias enters z's rounding estimate: centre, then re-centre with it
        z, err = prog.z_error(0.0, alpha, gate, bias)
        high, low = float(np.max((z + err)[before])), float(np.min((z - err)[after]))
        bias = prog._round(bias - (high + low - 1.0) / 2.0)
    prog.op(0.0, alpha, gate, bias, weight, step)


def _best_integer(values: np.ndarray) -> int:
    """The integer c minimizing sum (values - c)^2 (floor or ceiling of the mean)."""
    mean = float(values.mean())
    return min((int(np.floor(mean)), int(np.ceil(mean))), key=lambda c: float(((values - c) ** 2).sum()))


def _steps_kept(groups: list[list[int]], labels: np.ndarray, keep_steps: int | None) -> np.ndarray:
    """Labels with only the first `keep_steps` label changes of the lexicographic order kept, the rest of the order
    (the tail) set to the integer closest to it in squared error (one more step); all labels when None.

    The training error falls (never rises) as keep_steps grows: a smaller tail with its own best integer costs at
    most what it cost under the larger tail's."""
    if keep_steps is None:
        return labels
    order = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
    changes = np.nonzero(labels[order[1:]] != labels[order[:-1]])[0]
    if keep_steps >= changes.size:
        return labels
    kept = labels.copy()
    tail = order[changes[keep_steps] + 1 :]  # the positions after the first change dropped
    kept[tail] = _best_integer(labels[tail])
    return kept


def _assemble(codes: Codes, groups: list[list[int]], labels: np.ndarray, dtype: torch.dtype):
    """The staircase net over the super-buckets `groups`: (Network, label steps, gate-only steps).

    Cut j (1..K-1) separates groups j - 1 and j; cut 0 stands for "always passed". A group with label changes
    inside needs the gate cuts {k, k + 1} in acc while its B-steps run; the label change across cut j rides on the
    A-step that adds or removes cut j, or gets a step of its own.
    """
    k_count = len(groups)
    group_of, rank = np.empty(labels.shape[0], dtype=np.int64), np.empty(labels.shape[0], dtype=np.int64)
    for k, g in enumerate(groups):
        group_of[g], rank[g] = k, np.arange(len(g))
    below, above = _edges(codes, groups)
    b = codes.values[:, 1].numpy()
    span_b = float(b.max() - b.min() + 2 * codes.error[:, 1].max())
    prog = _Program(codes, float(labels[groups[0][0]]), dtype)
    changes = [[p for p in range(len(g) - 1) if labels[g[p]] != labels[g[p + 1]]] for g in groups]
    delta = [0.0] + [float(labels[groups[j][0]] - labels[groups[j - 1][-1]]) for j in range(1, k_count)]
    gate: set[int] = set()
    counts = {"label": 0, "gate": 0}

    def cut_step(j: int, weight: float) -> None:
        """Add `weight` times 1[A above cut j] to acc (cut 0: to every image)."""
        if j == 0:
            prog.add_constant(weight)
            return
        _a_step(prog, below[j], above[j], weight, group_of >= j)
        counts["label" if delta[j] else "gate"] += 1
        delta[j] = 0.0  # the label change across cut j is applied once

    for k, group in enumerate(groups):
        need = {j for j in (k, k + 1) if j < k_count} if changes[k] else set()
        for j in sorted(gate - need):
            cut_step(j, -GATE + delta[j])
            gate.discard(j)
        for j in sorted(need - gate):
            cut_step(j, GATE + delta[j])
            gate.add(j)
        if k and delta[k]:
            cut_step(k, delta[k])
        if changes[k]:
            prog.bubble()
        for p in changes[k]:
            step = (group_of > k) | ((group_of == k) & (rank > p))
            _b_step(prog, group[: p + 1], group[p + 1 :], span_b, float(labels[group[p + 1]] - labels[group[p]]),
                    step)
            counts["label"] += 1
    for j in sorted(gate):
        cut_step(j, -GATE)
    net = prog.finish()
    if not np.array_equal(prog.acc, labels.astype(np.float64)):
        raise AssertionError("the staircase's exact simulation does not end at the labels")
    return net, counts["label"], counts["gate"]


def staircase_net(x: torch.Tensor, labels: torch.Tensor, dtype: torch.dtype = torch.float32, seed: int = 0,
                  n_tries: int = 8, keep_steps: int | None = None) -> Staircase:
    """A width-4 ReLU network whose output, run in `dtype`, is exactly the label of every training input.

    Parameters
    ----------
    x : Tensor (N, D) float64 holding `dtype` values (the inputs as the run sees them), distinct where labels
        differ.
    labels : Tensor (N,) int64 class indices >= 0.
    dtype : torch.float32 or torch.float64
    seed : int, picks the code directions: seed 0 starts with the two principal directions, any other seed with a
        random orthonormal pair in their plane (then in wider principal subspaces when a pair fails).
    n_tries : int, direction pairs to try.
    keep_steps : int or None
        Keep only the first `keep_steps` label changes of the staircase's order, the later images all taking the one
        integer label closest to theirs in squared error (a shallower net whose training error never rises with
        keep_steps: the depth sweep's truncation); None keeps all (the net fits every label).

    Returns
    -------
    Staircase

    Raises
    ------
    InputError when no tried pair of codes separates every label change with room for rounding.
    """
    y = labels.numpy().astype(np.int64)
    distinct = torch.unique(x, dim=0)
    failure = ""
    for attempt in range(n_tries):
        codes = code_layer(x, _directions(distinct, attempt, seed), dtype)
        try:
            groups = super_buckets(codes, y, dtype)
            net, label_steps, gate_steps = _assemble(codes, groups, _steps_kept(groups, y, keep_steps), dtype)
        except DesignError as error:
            failure = str(error)
            continue
        return Staircase(net, codes, len(groups), label_steps, gate_steps, attempt + 1)
    raise InputError(f"The 'X' parameter has inputs that no tried pair of codes separates in {dtype} ({n_tries} "
                     f"tries; last: {failure}); use dtype=torch.float64 or a larger n_tries.")


def pad_width(net: Network, width: int) -> Network:
    """`net` with every hidden layer padded by zero units up to `width` (dead units: the same function, exactly).

    net : Network whose hidden layers have at most `width` units. Returns a Network of widths [D, width, ..., c].
    """
    if set(net.widths[1:-1]) == {width}:
        return net
    weights, biases, previous = [], [], net.widths[0]
    for k, (omega, beta) in enumerate(zip(net.weights, net.biases)):
        rows = width if k < net.depth else omega.shape[0]
        w = torch.zeros(rows, previous, dtype=omega.dtype)
        w[: omega.shape[0], : omega.shape[1]] = omega
        b = torch.zeros(rows, dtype=beta.dtype)
        b[: beta.shape[0]] = beta
        weights.append(w)
        biases.append(b)
        previous = rows
    return Network(tuple(weights), tuple(biases), net.activation)
