"""Bounds on the number of linear regions, as exact Python integers.

- `zaslavsky(D, D_i)`: most regions D hyperplanes cut R^D_i into (a shallow net's maximum).
- `udl_max_regions(D, D_i, K)`: the book's eq. 4.17 for K layers of D units.
- `montufar(input_dim, widths)`: Montufar et al. 2014 lower bound (a construction reaches it).
- `serra(input_dim, widths)`: Serra, Tjandraatmadja & Ramalingam 2018, Thm. 1 upper bound.
- `mlp_params(input_dim, widths, output_dim)`: weights and biases of a fully connected net.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from depthlab.architectures import mlp_params  # noqa: F401  (re-exported: one home for parameter counts)
from depthlab.checks import InputError, check_int


def _widths(widths: Sequence[int], name: str = "widths") -> list[int]:
    if isinstance(widths, (int, str)) or len(widths) == 0:
        raise InputError(f"The '{name}' parameter must be a non-empty list of hidden widths. Got {widths!r} instead.")
    return [check_int(w, name, 1) for w in widths]


def zaslavsky(D: int, D_i: int) -> int:
    """sum_{j=0}^{D_i} C(D, j): regions of D hyperplanes in general position in R^D_i.

    Examples
    --------
    >>> zaslavsky(6, 1), zaslavsky(3, 5)
    (7, 8)
    """
    D, D_i = check_int(D, "D", 0), check_int(D_i, "D_i", 1)
    return sum(math.comb(D, j) for j in range(D_i + 1))


def udl_max_regions(D: int, D_i: int, K: int) -> int | float:
    """Book eq. 4.17: (D / D_i + 1)^(D_i (K - 1)) * sum_{j=0}^{D_i} C(D, j).

    An exact int when the value is integral (always when D_i divides D); otherwise a float (the construction
    behind it needs D / D_i to be an integer). For D_i = 1 it is (D + 1)^K, the maximum for widths
    >= 3; for D_i > 1 it is Serra et al.'s lower bound, not a proven maximum.

    Examples
    --------
    >>> udl_max_regions(10, 1, 5)
    161051
    >>> f"{udl_max_regions(50, 10, 5):.2e}"
    '1.80e+41'
    """
    D, D_i, K = check_int(D, "D", 1), check_int(D_i, "D_i", 1), check_int(K, "K", 1)
    factor = Fraction(D, D_i) + 1
    value = factor ** (D_i * (K - 1)) * zaslavsky(D, D_i)
    return int(value) if value.denominator == 1 else float(value)


def montufar(input_dim: int, widths: Sequence[int]) -> int:
    """Montufar et al. 2014 lower bound: (prod_{l<L} floor(n_l / n_0)^n_0) * sum_{j<=n_0} C(n_L, j).

    Examples
    --------
    >>> montufar(1, [10] * 5)
    110000
    """
    n0, widths = check_int(input_dim, "input_dim", 1), _widths(widths)
    return math.prod((n // n0) ** n0 for n in widths[:-1]) * zaslavsky(widths[-1], n0)


def serra(input_dim: int, widths: Sequence[int]) -> int:
    """Serra et al. 2018, Theorem 1 upper bound on the regions of a ReLU net with these hidden widths.

    sum over (j_1, ..., j_L) in J of prod_l C(n_l, j_l), J = {0 <= j_l <= min(n_0, n_1 - j_1, ...,
    n_{l-1} - j_{l-1}, n_l)}, computed by dynamic programming over layers on the state
    m = min(n_0, n_1 - j_1, ..., n_{l-1} - j_{l-1}) (the dimension budget left).

    Examples
    --------
    >>> serra(1, [10] * 5) == 11**5
    True
    >>> f"{serra(10, [50] * 5):.1e}"
    '4.4e+50'
    """
    n0, widths = check_int(input_dim, "input_dim", 1), _widths(widths)
    ways = {n0: 1}  # budget m -> summed products so far
    for n in widths:
        nxt: dict[int, int] = {}
        for m, count in ways.items():
            for j in range(min(m, n) + 1):
                key = min(m, n - j)
                nxt[key] = nxt.get(key, 0) + count * math.comb(n, j)
        ways = nxt
    return sum(ways.values())
