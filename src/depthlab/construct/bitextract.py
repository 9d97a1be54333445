"""Memorizing N labelled points with far fewer than N parameters: group look-up plus bit extraction.

The seed's construction (`depthlab.construct.memorize`) spends about 17 parameters per image. Vardi, Yehudai and
Shamir (2022) memorize N points with O~(sqrt N) parameters by storing many labels in each weight and reading them
back with bit extraction. This module builds such a network in float64, verified by running it (`net(x)`).

The network (ReLU, one scalar output = the class index), layer by layer:

1. Code: ``c = relu(w . x + b)`` in [1.125, 1.875] (`encode_1d`'s neuron, shifted by 1/8 so rounding never leaves
   [1, 2)); the distinct training codes are sorted and cut into G groups of consecutive points (greedy: a group
   grows while its data fit the layout below; the layout with the fewest parameters is searched).
2. Group index: ``J' = sum_g relu(M_g (c - t_g) + 1/2) - relu(M_g (c - t_g) - 1/2)`` with one threshold t_g in
   each gap between groups and M_g a power of two >= 2 / gap. In exact arithmetic J' is the group index; in
   float64 its error is at most gamma_{2G+2} * sum |terms| (computed at build time, required <= 1/8).
3. Clean index: the bits of J' are read with margin (``a = relu(4 (J' - acc - 2^i) + 2)``, ``r = relu(1 - a)``,
   both exactly 0/1), giving the exact integer J. Two layers of width <= 4 per bit.
4. Look-up: ``R_g = relu(J - g)`` (G units); the group's offset A_J and its words are the piecewise-linear
   interpolants through the per-group values at integer J (second differences as weights). Every product and
   partial sum is an integer multiple of a power of two below 2^53: exact. A_g is c's group start rounded down to
   e_g + 1 fractional bits; a word is an integer of at most `WORD_BITS_MAX` bits.
5. Reading (the same weights for every group, depth proportional to the bits of one group): the in-group
   position ``u = 2^(e_base + e_g') (c - A_J)`` is exact (Sterbenz, powers of two); e_g' comes from the first
   bits of the words (one conditional doubling per bit, gated by exact 0/1 units). Each layer reads one bit of the
   current word V: ``p = relu(V - 2^j + 1)``, ``q = relu(V - 2^j)``, bit = p - q (exact integers). The bits spell
   the group's first label y0, then T fields (k_j, y_j): the label is y_j for points with u >= k_j + 1, where every
   k_j lies in a gap of u of width >= 2 (so ``a = relu(4 (u - k) - 2)`` is 0 or >= 1 and ``r = relu(1 - a)`` is
   exact). ``out <- relu(y_j - K r) + relu(out - K (1 - r))``. The output is `out`: an exact integer.

Parameter count (`count_params`, `layer_widths`): (D + 1) for the code, about (14 + n_w) G for the look-up (n_w
words per group), and about 40 per bit of one group for the reading part (widths 5-8), which does not depend on G.
With G groups of s = N / G points the total is about a + b N / s + c s, smallest near s ~ sqrt(N). In float64 a
weight holds at most 53 bits, so the word weights (n_w G ~ N * bits per point / 27) grow linearly in N, and the bits
per point grow like log N (in-group thresholds): the count turns linear (times log N) for large N. The group
index's float64 error bound grows with G and the steepest ramps M_g; for uniform random codes it reaches its limit
near N ~ 10^5, the end of this construction's provably exact range. `counting_lower_bound` is the floor
N log2(C) / 64 that no float64 network can beat for arbitrary labels.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import torch

from depthlab.checks import InputError, as_tensor, check_int
from depthlab.construct.memorize import Encoding, encode_1d, scalar_class_accuracy
from depthlab.models.network import Network
from depthlab.precision import gamma  # Higham's gamma_n, float64 u by default

WORD_BITS_MAX = 27  # the reading layer's partial sums (< 2^(2B - 1)) stay exact integers in float64
FLOAT_BITS = 64  # bits in one float64 parameter: the counting bound's denominator
J_ERROR_LIMIT = 0.125  # the group index may be off by at most this much before cleaning (margin 1/4)
_EXPONENT_BITS = (0, 1, 2, 3, 4, 5)
_T_GRID = (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 64)
ONE = ""  # the constant's key in an affine expression
MAX_SLOPE = 2.0**50  # steepest ramp M_g: keeps M_g t_g +- 1/2 exact and M_g * ulp(t_g) <= 1/4
CODE_SHIFT = 0.125  # encode_1d's codes [1, 1.75] moved to [1.125, 1.875]: inside [1, 2) whatever the rounding


# ----------------------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Layout:
    """The shape of the construction: how many groups and how one group's data are laid out in bits.

    Attributes
    ----------
    n_groups : int, G.
    fields : int, T (label changes a group may hold).
    threshold_bits : int, b_k (bits of one in-group threshold k_j).
    label_bits : int, b_y = ceil(log2 C) (bits of one label).
    exponent_bits : int, E (bits of the group's scale exponent e_g' in [0, 2^E)).
    exponent_base : int, e_base (every group's scale is 2^(e_base + e_g')).
    words_per_group : int, n_w.
    word_bits : int, bits per word actually used (<= `WORD_BITS_MAX`).
    """

    n_groups: int
    fields: int
    threshold_bits: int
    label_bits: int
    exponent_bits: int
    exponent_base: int
    words_per_group: int
    word_bits: int

    @property
    def bits_per_group(self) -> int:
        """Bits read per group: E + b_y + T (b_k + b_y)."""
        return self.exponent_bits + self.label_bits + self.fields * (self.threshold_bits + self.label_bits)


@dataclass(frozen=True)
class Plan:
    """Everything `memorize_few_params` needs besides the code neuron: layout, groups and their data.

    Attributes
    ----------
    layout : Layout
    params : int, parameters of the network this plan builds (for input dimension `input_dim`).
    input_dim : int
    codes : ndarray (n,), the sorted distinct codes.
    labels : ndarray (n,), their labels.
    starts : ndarray (G,), index of each group's first code.
    exponents : ndarray (G,) int, e_g (absolute).
    offsets : ndarray (G,), A_g (a multiple of 2^-(e_g + 1), <= the group's first code).
    words : ndarray (G, n_w) int64, the packed bits.
    thresholds : ndarray (G - 1,), t_g between groups g - 1 and g.
    slopes : ndarray (G - 1,), M_g (powers of two).
    index_error_bound : float, the float64 error bound of the group index J' before cleaning.
    """

    layout: Layout
    params: int
    input_dim: int
    codes: np.ndarray
    labels: np.ndarray
    starts: np.ndarray
    exponents: np.ndarray
    offsets: np.ndarray
    words: np.ndarray
    thresholds: np.ndarray
    slopes: np.ndarray
    index_error_bound: float

    @property
    def group_sizes(self) -> np.ndarray:
        """(G,) points per group."""
        return np.diff(np.append(self.starts, len(self.codes)))

    @property
    def word_params(self) -> int:
        """Look-up parameters holding the words: n_w rows of (G + 1) (weights and bias; 2 when G = 1). They grow
        as N x (bits per point) / (bits per word): the term that makes the count linear for large N."""
        lay = self.layout
        return lay.words_per_group * (lay.n_groups + 1 if lay.n_groups > 1 else 2)


@dataclass(frozen=True)
class FewParamsMemorization:
    """What `memorize_few_params` built and how exactly it fits.

    Attributes
    ----------
    net : Network, widths [D, 1, ..., 1]: takes X itself, one output (the class index).
    encoding : Encoding, the code neuron.
    plan : Plan, layout and per-group data.
    params : int, `net.n_params` (equal to `count_params(plan.layout, D)`).
    layers : int, hidden layers of `net`.
    max_width : int, the widest hidden layer.
    fit_max_abs_error : float, max |net(X) - Y| in float64 (0 for this exact construction).
    fit_mse : float
    train_accuracy : float, rounded output equals the label.
    build_seconds : float, encoding, layout search and assembly (verification excluded).
    n_groups : int
    mean_group_size : float, distinct points per group.
    max_group_size : int
    word_bits : int, bits used per word weight.
    stored_bits : int, bits of group data held in the word weights, G * (bits per group).
    bits_per_param : float, stored_bits / params.
    lower_bound : int, `counting_lower_bound(N, C)`.
    input_params : int, D + 1 (the code neuron).
    lookup_params : int, parameters from the code to the words (groups, index cleaning, look-up).
    reading_params : int, parameters of the bit-reading part (independent of G).
    index_error_bound : float
    n_distinct : int
    n_classes : int
    """

    net: Network
    encoding: Encoding
    plan: Plan
    params: int
    layers: int
    max_width: int
    fit_max_abs_error: float
    fit_mse: float
    train_accuracy: float
    build_seconds: float
    n_groups: int
    mean_group_size: float
    max_group_size: int
    word_bits: int
    stored_bits: int
    bits_per_param: float
    lower_bound: int
    input_params: int
    lookup_params: int
    reading_params: int
    index_error_bound: float
    n_distinct: int
    n_classes: int


# ---------------------------------------------------------------------------------------------- bounds
def counting_lower_bound(n: int, n_classes: int, bits_per_param: int = FLOAT_BITS) -> int:
    """Fewest float64 parameters that could memorize every labelling of n points into C classes.

    P parameters of b bits each take at most 2^(b P) values, and C^n labellings need distinct networks:
    P >= n log2(C) / b (for any architecture; a counting bound, not a construction).

    Parameters
    ----------
    n : int, points (>= 1).
    n_classes : int, C (>= 1).
    bits_per_param : int, default=64

    Returns
    -------
    int

    Examples
    --------
    >>> counting_lower_bound(10_000, 3)
    248
    >>> counting_lower_bound(10, 1)
    0
    """
    n = check_int(n, "n", 1)
    n_classes = check_int(n_classes, "n_classes", 1)
    bits_per_param = check_int(bits_per_param, "bits_per_param", 1)
    return math.ceil(n * math.log2(n_classes) / bits_per_param)


def max_word_bits(n_groups: int) -> int:
    """Bits per word that keep the look-up exact: min(27, 52 - 2 ceil(log2 G)).

    The look-up's partial sums are integers below G^2 2^(B + 1) (<= 2^53); the reading layer's below 2^(2B - 1).

    Examples
    --------
    >>> max_word_bits(1), max_word_bits(1000), max_word_bits(10_000)
    (27, 27, 24)
    """
    n_groups = check_int(n_groups, "n_groups", 1)
    return min(WORD_BITS_MAX, 52 - 2 * math.ceil(math.log2(n_groups))) if n_groups > 1 else WORD_BITS_MAX


# ------------------------------------------------------------------------------------- affine programs
def _comb(*terms: tuple[float, dict[str, float] | None], const: float = 0.0) -> dict[str, float]:
    """sum of scale * expression (+ const): expressions map unit names to coefficients, ONE to the constant."""
    out: dict[str, float] = {ONE: const} if const else {}
    for scale, expr in terms:
        for name, coef in (expr or {}).items():
            out[name] = out.get(name, 0.0) + scale * coef
    return {k: v for k, v in out.items() if v != 0.0}


_ANY = {"?": 1.0}  # a placeholder expression (names-only schedules)


def _unit(name: str) -> dict[str, float]:
    return {name: 1.0}


def _bit_roles(lay: Layout) -> list[tuple[str, int, float, bool]]:
    """The bits of one group in reading order: (kind, index, weight, last of its field)."""
    roles: list[tuple[str, int, float, bool]] = []
    for i in reversed(range(lay.exponent_bits)):
        roles.append(("exp", i, 1.0, i == 0))
    by, bk = lay.label_bits, lay.threshold_bits
    for i in range(by):
        roles.append(("y0", 0, 2.0 ** (by - 1 - i), i == by - 1))
    for j in range(lay.fields):
        for i in range(bk):
            roles.append(("k", j, 2.0 ** (bk - 1 - i), i == bk - 1))
        for i in range(by):
            roles.append(("y", j, 2.0 ** (by - 1 - i), i == by - 1))
    return roles


def _reading_program(lay: Layout, exprs: bool = True) -> tuple[list, tuple]:
    """The bit-reading layers (data independent): [((unit name, affine expression over the previous layer), ...)
    per layer], and the output expression over the last layer. Inputs: units 'c', 'A', 'W0'..'W{n_w - 1}'.

    With exprs=False only the unit names are produced (the schedule alone, for counting parameters fast)."""
    comb = _comb if exprs else (lambda *terms, const=0.0: _ANY)
    unit = _unit if exprs else (lambda name: _ANY)
    roles = _bit_roles(lay)
    n_bits, width = len(roles), lay.word_bits
    scale_cap = 2.0 ** (lay.exponent_base + 2**lay.exponent_bits)  # > every 2^(2^i) u met while scaling
    out_cap = 2.0 ** max(lay.label_bits, 1)  # > every label
    pending = [unit(f"W{i}") for i in range(lay.words_per_group)]
    u = comb((2.0**lay.exponent_base, unit("c")), (-(2.0**lay.exponent_base), unit("A")))
    last_k = max((t for t, role in enumerate(roles) if role[0] == "k"), default=-1)
    state: dict = {"V": None, "out": None, "acc": None, "prev": None, "clean": None, "a": None, "r": None,
                   "y": None}
    layers = []
    ell = 0
    while True:
        busy = any(state[k] is not None for k in ("prev", "clean", "a", "y"))
        if ell >= n_bits and not busy:
            break
        units: list[tuple[str, dict[str, float]]] = []
        new: dict = {"V": None, "out": None, "acc": None, "prev": None, "clean": None, "a": None, "r": None,
                     "y": None}
        # read bit ell of the current word: p - q is the bit, exact integers
        if ell < n_bits:
            pos = ell % width
            j = width - 1 - pos
            src = pending.pop(0) if pos == 0 else state["V"]
            units += [("p", comb((1.0, src), const=1.0 - 2.0**j)), ("q", comb((1.0, src), const=-(2.0**j)))]
            if pos < width - 1 and ell < n_bits - 1:
                units.append(("V", src))
                new["V"] = comb((1.0, unit("V")), (-(2.0**j), unit("p")), (2.0**j, unit("q")))
            new["prev"] = (roles[ell], comb((1.0, unit("p")), (-1.0, unit("q"))))
        carried = []
        for i, word in enumerate(pending):
            units.append((f"w{i}", word))
            carried.append(unit(f"w{i}"))
        pending = carried
        out, acc, r_prev = state["out"], state["acc"], state["r"]
        # the bit read in the previous layer
        if state["prev"] is not None:
            (kind, index, weight, last), bit = state["prev"]
            if kind == "exp":
                units += [("bc", bit), ("rc", comb((-1.0, bit), const=1.0))]
                new["clean"] = index
            elif kind == "y0":
                out = comb((1.0, out), (weight, bit))
            else:
                acc = comb((1.0, acc), (weight, bit))
                if last and kind == "k":  # k complete: compare u with k + 1/2 (margin: u is >= 1/2 away)
                    units.append(("a", comb((4.0, u), (-4.0, acc), const=-2.0)))
                    new["a"] = True
                    acc = None
                elif last:  # y complete: it becomes the label once r is known
                    state["y"], acc = acc, None
        # r = 1 - step, exactly 0 or 1
        if state["a"] is not None:
            units.append(("r", comb((-1.0, unit("a")), const=1.0)))
            new["r"] = unit("r")
            if r_prev is not None:
                raise AssertionError("two comparisons in flight")  # pragma: no cover (layout invariant)
        # out <- relu(y - K r) + relu(out - K (1 - r))
        if state["y"] is not None and r_prev is not None:
            units += [("oA", comb((1.0, state["y"]), (-out_cap, r_prev))),
                      ("oB", comb((1.0, out), (out_cap, r_prev), const=-out_cap))]
            out = comb((1.0, unit("oA")), (1.0, unit("oB")))
            new["out"] = out
        else:
            if state["y"] is not None:
                units.append(("yy", state["y"]))
                new["y"] = unit("yy")
            if r_prev is not None:
                units.append(("r", r_prev))
                new["r"] = unit("r")
            if out is not None:
                units.append(("out", out))
                new["out"] = unit("out")
        if acc is not None:
            units.append(("acc", acc))
            new["acc"] = unit("acc")
        # u: scaled by 2^(2^i) when exponent bit i is 1 (exact: one of the two terms is 0, gates are clean 0/1)
        if ell <= last_k:
            if state["clean"] is not None:
                factor = 2.0 ** (2 ** state["clean"])
                units += [("uA", comb((factor, u), (-scale_cap, unit("rc")))),
                          ("uB", comb((1.0, u), (-scale_cap, unit("bc"))))]
                u = comb((1.0, unit("uA")), (1.0, unit("uB")))
            else:
                units.append(("u", u))
                u = unit("u")
        elif state["clean"] is not None:
            raise AssertionError("exponent bits after the last comparison")  # pragma: no cover
        layers.append(tuple((name, expr) for name, expr in units) if exprs else tuple(name for name, _ in units))
        state = new
        ell += 1
    return layers, tuple(sorted((state["out"] or {}).items())) if exprs else ()


@lru_cache(maxsize=8192)
def _role_widths(fields: int, bk: int, by: int, e_bits: int) -> tuple[int, ...]:
    """Reading-layer widths when all bits sit in one word (no pending words; V until the last bit).

    The schedule repeats with period b_k + b_y from the second field on, so more than 3 fields are the 3-field
    schedule with its middle field repeated (tests compare this with the schedule run directly)."""
    if fields <= 3:
        bits = e_bits + by + fields * (bk + by)
        lay = Layout(1, fields, bk, by, e_bits, 0, 1 if bits else 0, max(bits, 1))
        return tuple(len(layer) for layer in _reading_program(lay, exprs=False)[0])
    base = _role_widths(3, bk, by, e_bits)
    head = e_bits + by + (bk + by)  # layers before the second field
    period = base[head: head + bk + by]
    return base[:head] + period * (fields - 2) + base[head + bk + by:]


@lru_cache(maxsize=8192)
def _schedule_widths(fields: int, bk: int, by: int, e_bits: int, n_words: int, width: int) -> tuple[int, ...]:
    """Reading-layer widths of a layout: `_role_widths` with the word units (V, pending words) of its words."""
    roles = np.asarray(_role_widths(fields, bk, by, e_bits), dtype=np.int64)
    n_bits = e_bits + by + fields * (bk + by)
    ell = np.arange(roles.size)
    reading = ell < n_bits
    v_one_word = ell < n_bits - 1
    v_words = v_one_word & (ell % width < width - 1)
    pending = np.where(reading, n_words - 1 - ell // width, 0)
    return tuple((roles - v_one_word + v_words + pending).tolist())


def _reading_widths(lay: Layout) -> list[int]:
    bits = lay.bits_per_group
    if bits and not (lay.words_per_group - 1) * lay.word_bits < bits <= lay.words_per_group * lay.word_bits:
        raise InputError(f"The 'layout' parameter must hold its {bits} bits in {lay.words_per_group} words of "
                         f"{lay.word_bits} bits with none unused. Got {lay}.")
    return list(_schedule_widths(lay.fields, lay.threshold_bits, lay.label_bits, lay.exponent_bits,
                                 lay.words_per_group, lay.word_bits))


def _lookup_widths(n_groups: int, words_per_group: int) -> list[int]:
    """Hidden widths from the code neuron to the look-up layer (c, A, words)."""
    widths = [1]  # the code c
    if n_groups > 1:
        widths += [2 * n_groups - 1, 2]  # c and the 2 (G - 1) ramps; c and J'
        n_index_bits = math.ceil(math.log2(n_groups))
        for i in range(n_index_bits):
            w = 3 if i == 0 else 4  # c, J', (the bits read so far), a / r
            widths += [w, w]
        widths += [2, n_groups]  # c and J exact; c and relu(J - g), g = 0..G-2
    widths.append(2 + words_per_group)  # c, A, words
    return widths


def layer_widths(layout: Layout, input_dim: int) -> list[int]:
    """Widths [D, hidden..., 1] of the network `memorize_few_params` builds for `layout`.

    Parameters
    ----------
    layout : Layout
    input_dim : int, D.

    Returns
    -------
    list of int

    Examples
    --------
    4 groups (ramps of width 7, two index bits, 4 look-up units, c, A and one word), then 18 bits read at width 4-7:

    >>> lay = Layout(4, 2, 5, 2, 2, 10, 1, 18)
    >>> layer_widths(lay, 3)[:12], len(layer_widths(lay, 3))
    ([3, 1, 7, 2, 3, 3, 4, 4, 2, 4, 3, 4], 31)
    """
    return [check_int(input_dim, "input_dim", 1)] + _lookup_widths(layout.n_groups, layout.words_per_group) + \
        _reading_widths(layout) + [1]


def count_params(layout: Layout, input_dim: int) -> int:
    """Parameters of the network `memorize_few_params` builds for `layout`, without building it.

    sum over layers of (fan_in + 1) * fan_out, from `layer_widths`.

    Examples
    --------
    >>> count_params(Layout(4, 2, 5, 2, 2, 10, 1, 18), 3)
    855
    """
    widths = layer_widths(layout, input_dim)
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))


def _count(n_groups: int, fields: int, bk: int, by: int, e_bits: int, e_base: int, d: int) -> tuple[int, Layout]:
    if fields == 0:  # no comparisons: no scale, no thresholds
        e_bits, e_base, bk = 0, 0, 1
    bits = e_bits + by + fields * (bk + by)
    n_words = math.ceil(bits / max_word_bits(n_groups)) if bits else 0
    width = math.ceil(bits / n_words) if n_words else 1
    n_words = math.ceil(bits / width) if bits else 0  # no word left unread
    lay = Layout(n_groups, fields, bk, by, e_bits, e_base, n_words, width)
    return _lookup_count(n_groups, n_words, d) + _reading_count(fields, bk, by, e_bits, n_words, width), lay


def _lookup_count(n_groups: int, n_words: int, d: int) -> int:
    widths = [d] + _lookup_widths(n_groups, n_words)
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))


@lru_cache(maxsize=8192)
def _reading_count(fields: int, bk: int, by: int, e_bits: int, n_words: int, width: int) -> int:
    """Parameters from the look-up layer (c, A, words) to the output: the same for every number of groups."""
    widths = [2 + n_words, *_schedule_widths(fields, bk, by, e_bits, n_words, width), 1]
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))


# --------------------------------------------------------------------------------------------- planning
def _gap_exponents(gaps: np.ndarray) -> np.ndarray:
    """Smallest e with 2^e * gap >= 2 (so neighbours lie >= 2 apart on the scaled axis). gaps (m,) > 0."""
    e = np.ceil(np.log2(2.0 / gaps)).astype(np.int64)
    e = np.where(np.ldexp(gaps, e) >= 2.0, e, e + 1)
    return np.where(np.ldexp(gaps, e - 1) >= 2.0, e - 1, e)


def _offsets(first: np.ndarray, e: np.ndarray) -> np.ndarray:
    """A = the group's first code rounded down to e + 1 fractional bits (exactly representable, <= first)."""
    return np.ldexp(np.floor(np.ldexp(first, e + 1)), -(e + 1))


class _Windows:
    """Which runs of consecutive codes may form one group, for a given (E, e_base, b_k)."""

    def __init__(self, codes: np.ndarray, labels: np.ndarray) -> None:
        self.c = codes
        self.n = len(codes)
        gaps = np.diff(codes)
        self.change = labels[1:] != labels[:-1]  # (n - 1,)
        self.e_gap = np.where(self.change, _gap_exponents(gaps) if gaps.size else gaps, np.iinfo(np.int64).min)
        self.cum = np.concatenate([[0], np.cumsum(self.change)])  # changes among gaps 0..t-1

    def span_changes(self, fields: int) -> np.ndarray:
        """(n,) the longest run from each start holding at most `fields` label changes."""
        last = np.searchsorted(self.cum, self.cum + fields, side="right") - 1  # last index t with <= fields
        return last - np.arange(self.n) + 1

    def max_lengths(self, e_bits: int, e_base: int, bk: int, limit: np.ndarray) -> np.ndarray:
        """(n,) the longest valid group starting at each code, at most `limit` (n,) points."""
        n, c = self.n, self.c
        lmax = np.ones(n, dtype=np.int64)
        need = np.full(n, np.iinfo(np.int64).min)
        alive = limit >= 2
        e_top = e_base + 2**e_bits - 1
        u_top = 2.0**bk - 1
        for length in range(2, int(limit.max()) + 1):
            m = n - length + 1
            if m <= 0 or not alive[:m].any():
                break
            need = np.maximum(need[:m], self.e_gap[length - 2: length - 2 + m])
            e = np.maximum(need, e_base)
            ok = alive[:m] & (e <= e_top) & (length <= limit[:m])
            span = c[length - 1: length - 1 + m] - _offsets(c[:m], e)
            ok &= np.ldexp(span, e) <= u_top
            lmax[:m][ok] = length
            alive = ok
        return lmax


def _greedy(lengths: np.ndarray) -> list[int]:
    """Group starts when each group is as long as allowed (optimal for a monotone validity rule)."""
    starts, s, n, step = [], 0, len(lengths), lengths.tolist()
    while s < n:
        starts.append(s)
        s += step[s]
    return starts


def _search(windows: _Windows, by: int, d: int, group_size: int | None) -> tuple[int, Layout, list[int]]:
    """The layout with the fewest parameters (coordinate search over b_k, T, then E and e_base)."""
    n = windows.n
    cap = np.full(n, n if group_size is None else group_size, dtype=np.int64)
    if not windows.change.any():  # one label: no fields
        starts = _greedy(np.minimum(cap, n - np.arange(n)))
        params, lay = _count(len(starts), 0, 1, by, 0, 0, d)
        return params, lay, starts
    spans = {t: np.minimum(windows.span_changes(t), cap) for t in _T_GRID}
    e_need = windows.e_gap[windows.change]
    e_min, e_max = int(e_need.min()), int(e_need.max())
    best: tuple[int, Layout, list[int]] | None = None

    def scan(e_bits: int, e_base: int, bks, fields_grid) -> None:
        nonlocal best
        top = max(fields_grid)
        limit = np.minimum(windows.span_changes(top), cap)
        for bk in bks:
            if bk < 1 or bk > 26:
                continue
            lmax = windows.max_lengths(e_bits, e_base, bk, limit)
            for t in fields_grid:
                span = spans[t] if t in spans else np.minimum(windows.span_changes(t), cap)
                starts = _greedy(np.minimum(lmax, span))
                params, lay = _count(len(starts), t, bk, by, e_bits, e_base, d)
                if best is None or params < best[0]:
                    best = (params, lay, starts)

    e_full = next(e for e in _EXPONENT_BITS if 2**e > e_max - e_min or e == _EXPONENT_BITS[-1])
    scan(e_full, e_min, range(1, 27, 2), _T_GRID)
    bk0, t0 = best[1].threshold_bits, best[1].fields
    near_t = sorted({t for t in range(max(0, t0 - 3), t0 + 4)} | {t0})
    quantiles = {int(q) for q in np.quantile(e_need, (0.0, 0.1, 0.25, 0.5), method="lower")}
    for e_bits in range(e_full + 1):
        for e_base in sorted(quantiles | {e_max - 2**e_bits + 1}):
            scan(e_bits, e_base, range(bk0 - 2, bk0 + 3), near_t)
    lay = best[1]
    fine_t = sorted(set(range(max(0, lay.fields - 4), lay.fields + 5)))
    scan(lay.exponent_bits, lay.exponent_base, range(lay.threshold_bits - 1, lay.threshold_bits + 2), fine_t)
    return best


def _group_data(codes: np.ndarray, labels: np.ndarray, starts: np.ndarray, lay: Layout):
    """Per-group exponents, offsets and packed words (checks every margin the reading part relies on)."""
    n, g_count = len(codes), len(starts)
    ends = np.append(starts[1:], n)
    exps = np.empty(g_count, dtype=np.int64)
    offs = np.empty(g_count)
    words = np.zeros((g_count, lay.words_per_group), dtype=np.int64)
    bk, by, width = lay.threshold_bits, lay.label_bits, lay.word_bits
    for g, (s, t) in enumerate(zip(starts.tolist(), ends.tolist())):
        c, y = codes[s:t], labels[s:t]
        changes = np.nonzero(y[1:] != y[:-1])[0]
        need = int(_gap_exponents(np.diff(c)[changes]).max()) if changes.size else lay.exponent_base
        e = max(need, lay.exponent_base)
        a = float(_offsets(np.array([c[0]]), np.array([e]))[0])
        u = np.ldexp(c - a, e)  # exact
        wide = lay.fields > 0 and u[-1] > 2.0**bk - 1  # unused thresholds 2^bk - 1 need u <= 2^bk - 1
        if e - lay.exponent_base >= 2**lay.exponent_bits or changes.size > lay.fields or wide:
            raise AssertionError("group does not fit its layout")  # pragma: no cover (the search only builds fits)
        exps[g], offs[g] = e, a
        bits = [(e - lay.exponent_base, lay.exponent_bits), (int(y[0]), by)]
        for j in range(lay.fields):
            if j < changes.size:
                i = changes[j]
                k = math.ceil(u[i])
                if not (u[i] <= k and u[i + 1] >= k + 1):
                    raise AssertionError("threshold margin")  # pragma: no cover
                bits += [(k, bk), (int(y[i + 1]), by)]
            else:
                bits += [(2**bk - 1, bk), (int(y[-1]), by)]
        stream = "".join(format(v, f"0{w}b") for v, w in bits if w)
        stream += "0" * (lay.words_per_group * width - len(stream))
        for i in range(lay.words_per_group):
            words[g, i] = int(stream[i * width:(i + 1) * width], 2)
    return exps, offs, words


def _index_error_bound(codes: np.ndarray, thresholds: np.ndarray, slopes: np.ndarray) -> float:
    """Float64 error bound of J' = sum (p_g - q_g) at the training codes: gamma_{2G+2} * max sum (p_g + q_g)."""
    if thresholds.size == 0:
        return 0.0
    below = np.searchsorted(thresholds, codes, side="right")  # boundaries below each code (thresholds sorted)
    m_cum = np.concatenate([[0.0], np.cumsum(slopes)])
    mt_cum = np.concatenate([[0.0], np.cumsum(slopes * thresholds)])
    total = 2.0 * (codes * m_cum[below] - mt_cum[below]) + below + 1.0  # sum of p + q, with slack
    return float(gamma(2 * thresholds.size + 2) * total.max() * (1 + 1e-6))


def plan_few_params(
    codes: np.ndarray, labels: np.ndarray, input_dim: int = 1, group_size: int | None = None
) -> Plan:
    """Layout and per-group data for codes and labels, with the parameter count, without building a network.

    Parameters
    ----------
    codes : array-like (n,), distinct codes in [1, 2) (e.g. `encode_1d`'s), any order.
    labels : array-like (n,), integer classes >= 0.
    input_dim : int, default=1
        D, for the parameter count (the code neuron has D + 1 parameters).
    group_size : int, optional
        At most this many codes per group; None lets the search choose (fewest parameters).

    Returns
    -------
    Plan

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> plan = plan_few_params(1 + rng.random(400) / 2, rng.integers(0, 3, 400))
    >>> plan.layout.n_groups < 400, plan.params == count_params(plan.layout, 1)
    (True, True)
    """
    c = np.asarray(codes, dtype=np.float64).reshape(-1)
    y = np.asarray(labels).reshape(-1)
    if c.size == 0 or y.shape != c.shape:
        raise InputError(f"The 'labels' parameter must have one entry per code ({c.size}). Got shape {y.shape}.")
    if not np.isfinite(c).all() or c.min() < 1.0 or c.max() >= 2.0:
        raise InputError(f"The 'codes' parameter must hold finite values in [1, 2). Got range "
                         f"[{c.min()!r}, {c.max()!r}].")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise InputError(f"The 'labels' parameter must hold integer classes >= 0. Got dtype {y.dtype}, "
                         f"minimum {y.min()!r}.")
    if group_size is not None:
        group_size = check_int(group_size, "group_size", 1)
    input_dim = check_int(input_dim, "input_dim", 1)
    order = np.argsort(c, kind="stable")
    c, y = c[order], y[order].astype(np.int64)
    if np.any(np.diff(c) == 0):
        raise InputError("The 'codes' parameter must be distinct (merge repeated inputs first).")
    n_classes = int(y.max()) + 1
    by = math.ceil(math.log2(n_classes)) if n_classes > 1 else 0
    windows = _Windows(c, y)
    params, lay, starts_list = _search(windows, by, input_dim, group_size)
    starts = np.asarray(starts_list, dtype=np.int64)
    exps, offs, words = _group_data(c, y, starts, lay)
    last = c[starts[1:] - 1]
    first = c[starts[1:]]
    thresholds = (last + first) / 2  # (G - 1,)
    slopes = np.ldexp(1.0, _gap_exponents(first - last)) if thresholds.size else np.zeros(0)
    bound = _index_error_bound(c, thresholds, slopes)
    return Plan(lay, params, input_dim, c, y, starts, exps, offs, words, thresholds, slopes, bound)


# ------------------------------------------------------------------------------------------- assembling
def _interpolation(values: np.ndarray) -> tuple[float, np.ndarray]:
    """(value at 0, weights m (G - 1,)) with f(J) = v_0 + sum_g m_g relu(J - g) through (g, v_g), g = 0..G-1."""
    slopes = np.diff(values)  # (G - 1,)
    return float(values[0]), np.diff(np.concatenate([[0.0], slopes]))


def _check_exact_sums(v0: float, weights: np.ndarray, quantum: float, what: str) -> None:
    """The look-up's partial sums are multiples of `quantum` below 2^53 quanta: exact in any summation order."""
    reach = np.arange(len(weights), 0, -1, dtype=np.float64)  # max of relu(J - g) over J <= G - 1
    total = abs(v0) + float(np.sum(np.abs(weights) * reach))
    if total / quantum >= 2.0**53:
        raise InputError(f"The 'X' parameter gives {what} too fine for an exact float64 look-up "
                         f"({total / quantum:.3g} quanta >= 2^53); use fewer points per call.")


def _lookup_layers(plan: Plan, enc_w: torch.Tensor, enc_b: float) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """(weights, biases) from x to the layer (c, A, W0..W{n_w-1})."""
    f64 = torch.float64
    lay = plan.layout
    g_count, n_w = lay.n_groups, lay.words_per_group
    weights = [enc_w.reshape(1, -1).to(f64)]
    biases = [torch.tensor([enc_b], dtype=f64)]
    if g_count > 1:
        m = torch.tensor(plan.slopes, dtype=f64)  # (G - 1,)
        mt = torch.tensor(plan.slopes * plan.thresholds, dtype=f64)  # exact: M_g is a power of two
        w1 = torch.cat([torch.ones(1, dtype=f64), m, m]).reshape(-1, 1)  # (2G - 1, 1): c, p_g, q_g
        b1 = torch.cat([torch.zeros(1, dtype=f64), -mt + 0.5, -mt - 0.5])
        weights.append(w1)
        biases.append(b1)
        w2 = torch.zeros(2, 2 * g_count - 1, dtype=f64)
        w2[0, 0] = 1.0  # c
        w2[1, 1:g_count] = 1.0  # + p_g
        w2[1, g_count:] = -1.0  # - q_g
        weights.append(w2)
        biases.append(torch.zeros(2, dtype=f64))
        # cleaning: the bits of J' (margin 1/4) -> exact J; units [c, J', (acc), a] then [c, J', (acc), r]
        n_bits = math.ceil(math.log2(g_count))
        prev = {"c": 0, "J": 1}  # unit index in the previous layer
        acc_prev: dict[str, float] | None = None  # acc as an expression over the previous layer
        for i in reversed(range(n_bits)):
            names = ["c", "J"] + (["acc"] if acc_prev is not None else [])
            exprs = {"c": {"c": 1.0}, "J": {"J": 1.0}}
            if acc_prev is not None:
                exprs["acc"] = acc_prev
            exprs["a"] = _comb((4.0, {"J": 1.0}), (-4.0, acc_prev), const=2.0 - 4.0 * 2**i)
            layer_a = names + ["a"]
            w, b = _dense(layer_a, exprs, prev)
            weights.append(w)
            biases.append(b)
            prev = {name: k for k, name in enumerate(layer_a)}
            exprs = {name: {name: 1.0} for name in names}
            exprs["r"] = {"a": -1.0, ONE: 1.0}
            layer_r = names + ["r"]
            w, b = _dense(layer_r, exprs, prev)
            weights.append(w)
            biases.append(b)
            prev = {name: k for k, name in enumerate(layer_r)}
            acc_prev = _comb((1.0, {"acc": 1.0} if "acc" in prev else None), (-(2.0**i), {"r": 1.0}), const=2.0**i)
        w, b = _dense(["c", "J"], {"c": {"c": 1.0}, "J": acc_prev}, prev)
        weights.append(w)
        biases.append(b)
        # R_g = relu(J - g), g = 0..G-2, beside c
        w3 = torch.zeros(g_count, 2, dtype=f64)
        w3[0, 0] = 1.0
        w3[1:, 1] = 1.0
        b3 = torch.cat([torch.zeros(1, dtype=f64), -torch.arange(g_count - 1, dtype=f64)])
        weights.append(w3)
        biases.append(b3)
        # (c, A, words) by interpolation at integer J: exact sums
        w4 = torch.zeros(2 + n_w, g_count, dtype=f64)
        b4 = torch.zeros(2 + n_w, dtype=f64)
        w4[0, 0] = 1.0
        quantum_a = 2.0 ** -(int(plan.exponents.max()) + 1)
        v0, mw = _interpolation(plan.offsets)
        _check_exact_sums(v0, mw, quantum_a, "group offsets")
        w4[1, 1:], b4[1] = torch.tensor(mw), v0
        for i in range(n_w):
            v0, mw = _interpolation(plan.words[:, i].astype(np.float64))
            _check_exact_sums(v0, mw, 1.0, "words")
            w4[2 + i, 1:], b4[2 + i] = torch.tensor(mw), v0
        weights.append(w4)
        biases.append(b4)
    else:
        w4 = torch.zeros(2 + n_w, 1, dtype=f64)
        w4[0, 0] = 1.0
        b4 = torch.tensor([0.0, plan.offsets[0]] + plan.words[0].astype(np.float64).tolist(), dtype=f64)
        weights.append(w4)
        biases.append(b4)
    return weights, biases


def _dense(names: list[str], exprs: dict[str, dict[str, float]], prev: dict[str, int]):
    """(Omega (len(names), len(prev)), beta) of the layer whose unit `name` is relu(exprs[name])."""
    w = torch.zeros(len(names), len(prev), dtype=torch.float64)
    b = torch.zeros(len(names), dtype=torch.float64)
    for row, name in enumerate(names):
        for key, coef in exprs[name].items():
            if key == ONE:
                b[row] = coef
            else:
                w[row, prev[key]] = coef
    return w, b


def _reading_layers(lay: Layout) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """(weights, biases) of the bit-reading layers and the output layer, from the layer (c, A, W...)."""
    layers, output = _reading_program(lay)
    prev = {name: k for k, name in enumerate(["c", "A"] + [f"W{i}" for i in range(lay.words_per_group)])}
    weights, biases = [], []
    for layer in layers:
        names = [name for name, _ in layer]
        w, b = _dense(names, dict(layer), prev)
        weights.append(w)
        biases.append(b)
        prev = {name: k for k, name in enumerate(names)}
    w, b = _dense(["out"], {"out": dict(output)}, prev)
    weights.append(w)
    biases.append(b)
    return weights, biases


def build_network(plan: Plan, encoding: Encoding) -> Network:
    """The float64 ReLU network of `plan` taking x itself (the code neuron `encoding` first).

    Returns
    -------
    Network
        widths `layer_widths(plan.layout, D)`; one output, the class index.
    """
    w1, b1 = _lookup_layers(plan, encoding.w, float(encoding.b))
    w2, b2 = _reading_layers(plan.layout)
    return Network(tuple(w1 + w2), tuple(b1 + b2), "relu")


# ------------------------------------------------------------------------------------------------- public
def bit_reader(word_bits: int, n_bits: int | None = None) -> Network:
    """A ReLU network reading the leading bits of integer words exactly (the reading part's mechanism).

    Input: (B, 1) integers V in [0, 2^word_bits); output: (B, n_bits) bits, most significant first. Each bit
    takes two layers of width 2: ``a = relu(2 (V - 2^j) + 1)`` is 0 or >= 1, ``r = relu(1 - a)`` is exactly
    1 - bit, and ``V <- V - 2^j + 2^j r`` keeps V an integer below 2^53: exact for word_bits <= 53 (a 52-bit
    fraction W in [0, 1) is the integer 2^52 W). Earlier bits are carried to the output.

    Parameters
    ----------
    word_bits : int, 1..53.
    n_bits : int, optional, default word_bits.

    Returns
    -------
    Network

    Examples
    --------
    >>> net = bit_reader(4)
    >>> net(torch.tensor([[0.0], [5.0], [15.0]])).tolist()
    [[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    """
    word_bits = check_int(word_bits, "word_bits", 1)
    if word_bits > 53:
        raise InputError(f"The 'word_bits' parameter must be an int in [1, 53]. Got {word_bits} instead.")
    n_bits = word_bits if n_bits is None else check_int(n_bits, "n_bits", 1)
    if n_bits > word_bits:
        raise InputError(f"The 'n_bits' parameter must be at most word_bits = {word_bits}. Got {n_bits} instead.")
    prev = {"V": 0}
    weights, biases = [], []
    done: list[str] = []  # r units of the bits read so far (bit = 1 - r)
    v_expr: dict[str, float] = {"V": 1.0}
    for t in range(n_bits):
        j = word_bits - 1 - t
        names = ["V"] + [f"r{s}" for s in range(t)] + ["a"]
        exprs = {"V": v_expr, "a": _comb((2.0, v_expr), const=1.0 - 2.0 ** (j + 1))}
        exprs.update({name: {name: 1.0} for name in names if name.startswith("r")})
        w, b = _dense(names, exprs, prev)
        weights.append(w)
        biases.append(b)
        prev = {name: k for k, name in enumerate(names)}
        names = ["V"] + [f"r{s}" for s in range(t + 1)]
        exprs = {name: {name: 1.0} for name in names}
        exprs[f"r{t}"] = {"a": -1.0, ONE: 1.0}
        w, b = _dense(names, exprs, prev)
        weights.append(w)
        biases.append(b)
        prev = {name: k for k, name in enumerate(names)}
        v_expr = {"V": 1.0, f"r{t}": 2.0**j, ONE: -(2.0**j)}
        done.append(f"r{t}")
    out = torch.zeros(n_bits, len(prev), dtype=torch.float64)
    for t, name in enumerate(done):
        out[t, prev[name]] = -1.0
    weights.append(out)
    biases.append(torch.ones(n_bits, dtype=torch.float64))
    return Network(tuple(weights), tuple(biases), "relu")


def _labels(Y, n: int) -> torch.Tensor:
    y = torch.as_tensor(Y) if torch.is_tensor(Y) else torch.as_tensor(np.asarray(Y))
    if y.dtype.is_floating_point or y.dtype.is_complex or y.dtype == torch.bool or y.ndim != 1:
        raise InputError(f"The 'Y' parameter must be (N,) integer class labels. Got dtype {y.dtype}, shape "
                         f"{tuple(y.shape)}.")
    if y.shape[0] != n:
        raise InputError(f"The 'Y' parameter must have one label per row of X ({n}). Got {y.shape[0]}.")
    if n and int(y.min()) < 0:
        raise InputError(f"The 'Y' parameter must hold integer class labels >= 0. Got {int(y.min())}.")
    return y.long()


def memorize_few_params(
    X: torch.Tensor,
    Y: torch.Tensor,
    group_size: int | None = None,
    seed: int = 0,
    method: str = "spread",
    n_tries: int = 64,
) -> FewParamsMemorization:
    """One float64 ReLU network with few parameters whose scalar output equals every training label.

    Steps: `encode_1d` (one neuron codes each input), `plan_few_params` (groups of consecutive codes, the layout
    with the fewest parameters, per-group data packed into integer words), `build_network` (group index, exact
    look-up, bit reading), then the network is run on X as a user runs it (`net(X)`, float64).

    Parameters
    ----------
    X : array-like (N, D)
    Y : array-like (N,), integer class labels >= 0.
    group_size : int, optional
        At most this many distinct points per group; None lets the search pick (about sqrt(N) times a constant).
    seed : int, default=0
        Seeds the code neuron's directions (`encode_1d`).
    method : {"random", "spread", "pca"}, default="spread"
    n_tries : int, default=64

    Returns
    -------
    FewParamsMemorization

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> X, Y = torch.rand(300, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (300,), generator=g)
    >>> m = memorize_few_params(X, Y)
    >>> m.train_accuracy, m.fit_max_abs_error, m.params == count_params(m.plan.layout, 5)
    (1.0, 0.0, True)
    """
    x = as_tensor(X, "X", torch.float64)
    if x.ndim != 2 or x.shape[0] < 1:
        raise InputError(f"The 'X' parameter must be a non-empty 2-D array (N, D). Got shape {tuple(x.shape)} instead.")
    y = _labels(Y, x.shape[0])
    start = time.perf_counter()
    enc = encode_1d(x, method=method, seed=seed, n_tries=n_tries, labels=y)
    enc = replace(enc, b=float(enc.b) + CODE_SHIFT, codes=enc.codes + CODE_SHIFT)  # codes in [1.125, 1.875]
    first = Network((enc.w.reshape(1, -1).to(torch.float64),), (torch.tensor([float(enc.b)], dtype=torch.float64),))
    with torch.no_grad():
        codes = torch.relu(first(x))[:, 0].numpy()  # (N,) exactly as the network's first layer computes them
    labels = y.numpy()
    uniq, inverse = np.unique(codes, return_inverse=True)
    lab = np.full(uniq.shape, -1, dtype=np.int64)
    lab[inverse] = labels
    if np.any(lab[inverse] != labels):
        raise InputError("The 'X' parameter has inputs whose codes coincide in float64 but whose labels differ; "
                         "try another seed or method.")
    plan = plan_few_params(uniq, lab, input_dim=x.shape[1], group_size=group_size)
    if plan.slopes.size and plan.slopes.max() > MAX_SLOPE:
        raise InputError(f"The 'X' parameter has neighbouring codes {2.0 / plan.slopes.max():.3g} apart, too close for "
                         "exact ramps in float64 (the bias -M t + 1/2 must be exact); try another seed or method.")
    if plan.index_error_bound > J_ERROR_LIMIT:
        raise InputError(f"The 'X' parameter has codes too close for an exact group index (float64 error bound "
                         f"{plan.index_error_bound:.3g} > {J_ERROR_LIMIT}); try another seed or method.")
    net = build_network(plan, enc)
    build = time.perf_counter() - start
    with torch.no_grad():
        out = net(x)  # (N, 1), as a user runs it
    target = y.to(torch.float64)[:, None]
    err = (out - target).abs()
    n_classes = int(y.max()) + 1
    lay = plan.layout
    widths = net.widths
    lookup_end = 1 + len(_lookup_widths(lay.n_groups, lay.words_per_group))
    params_upto = [sum((a + 1) * b for a, b in zip(widths[:k], widths[1:k + 1])) for k in (1, lookup_end)]
    sizes = plan.group_sizes
    stored = lay.n_groups * lay.bits_per_group
    return FewParamsMemorization(
        net=net,
        encoding=enc,
        plan=plan,
        params=net.n_params,
        layers=net.depth,
        max_width=max(widths[1:-1]),
        fit_max_abs_error=float(err.max()),
        fit_mse=float((err**2).mean()),
        train_accuracy=scalar_class_accuracy(out, y, n_classes),
        build_seconds=build,
        n_groups=lay.n_groups,
        mean_group_size=float(sizes.mean()),
        max_group_size=int(sizes.max()),
        word_bits=lay.word_bits,
        stored_bits=stored,
        bits_per_param=stored / net.n_params,
        lower_bound=counting_lower_bound(x.shape[0], n_classes),
        input_params=params_upto[0],
        lookup_params=params_upto[1] - params_upto[0],
        reading_params=net.n_params - params_upto[1],
        index_error_bound=plan.index_error_bound,
        n_distinct=len(uniq),
        n_classes=n_classes,
    )


def plan_random_codes(n: int, n_classes: int, input_dim: int = 1, seed: int = 0) -> Plan:
    """The plan (layout and parameter count, no network) for n uniform random codes with uniform random labels.

    A projection beyond the sizes a data set offers: codes are 1.125 + 0.75 U(0, 1), labels uniform in [0, C).
    Real codes (one neuron on images) have heavier-tailed gaps, so their plans need somewhat more bits per point.

    Parameters
    ----------
    n : int, points (>= 1).
    n_classes : int, C (>= 1).
    input_dim : int, default=1
    seed : int, default=0

    Returns
    -------
    Plan

    Examples
    --------
    >>> plan = plan_random_codes(2000, 3, input_dim=784)
    >>> plan.params < 2000 * 4, plan.index_error_bound < J_ERROR_LIMIT
    (True, True)
    """
    n = check_int(n, "n", 1)
    n_classes = check_int(n_classes, "n_classes", 1)
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    codes = np.unique(1.125 + 0.75 * rng.random(n))
    return plan_few_params(codes, rng.integers(0, n_classes, codes.size), input_dim=input_dim)


def linear_takeover(n, params, word_params) -> tuple[float, float, float]:
    """Where the linear term (the word weights) would overtake the rest, extrapolating both.

    The rest (params - word_params) is fitted as c N^alpha (log-log least squares); the words as w N with w the
    word weights per point at the largest N (w itself grows like log N, so the estimate is optimistic about how
    long the growth stays sub-linear). Returns (alpha, w, N*) with w N* = c N*^alpha, inf when alpha >= 1.

    Parameters
    ----------
    n : array-like (k,), >= 2 distinct positive sizes.
    params : array-like (k,), parameter counts.
    word_params : array-like (k,), the word weights among them (`Plan.word_params`).

    Returns
    -------
    (alpha, w, takeover_n) : floats.

    Examples
    --------
    >>> n = np.array([1e2, 1e3, 1e4])
    >>> alpha, w, cross = linear_takeover(n, 100 * np.sqrt(n) + 0.1 * n, 0.1 * n)
    >>> round(alpha, 3), round(w, 3), round(cross)
    (0.5, 0.1, 1000000)
    """
    x = np.asarray(n, dtype=np.float64).reshape(-1)
    total = np.asarray(params, dtype=np.float64).reshape(-1)
    words = np.asarray(word_params, dtype=np.float64).reshape(-1)
    rest = total - words
    if not (x.shape == total.shape == words.shape) or np.unique(x).size < 2 or not np.all((x > 0) & (rest > 0)):
        raise InputError(f"The 'n' parameter must hold >= 2 distinct positive sizes, one per count, with counts "
                         f"above their word weights. Got n = {x.tolist()}.")
    alpha, log_c = np.polyfit(np.log(x), np.log(rest), 1)
    w = float(words[np.argmax(x)] / x.max())
    if alpha >= 1 or w <= 0:
        return float(alpha), w, math.inf
    return float(alpha), w, float((math.exp(log_c) / w) ** (1 / (1 - alpha)))
