"""Architecture arithmetic: parameter counts and the widths that fit a budget.

One home for every "how many parameters" and "which widths for this budget" rule, so that
experiments comparing shallow and deep nets at equal budgets all use the same arithmetic.
A fully connected net input_dim -> widths -> output_dim has sum (fan_in + 1) * fan_out parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from depthlab.checks import check_int


def _widths(widths: Sequence[int], name: str = "widths") -> list[int]:
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise ValueError(f"The '{name}' parameter must be a list of ints >= 1. Got {widths!r} instead.")
    return [check_int(w, name, 1) for w in widths]


def mlp_params(input_dim: int, widths: Sequence[int], output_dim: int = 1) -> int:
    """Weights and biases of a fully connected net input_dim -> widths -> output_dim.

    Examples
    --------
    >>> mlp_params(1, [6]), mlp_params(1, [10] * 5), mlp_params(10, [50] * 5)
    (19, 471, 10801)
    >>> [mlp_params(40, w, 10) for w in ([298], [100] * 2, [75] * 3, [63] * 4)]  # Fig. 20.2
    [15208, 15210, 15235, 15319]
    """
    sizes = [check_int(input_dim, "input_dim", 1)] + _widths(widths) + [check_int(output_dim, "output_dim", 1)]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))


def equal_neuron_widths(n_neurons: int, depth: int) -> list[int]:
    """Hidden widths of `depth` equal layers holding exactly `n_neurons` neurons in all.

    Examples
    --------
    >>> equal_neuron_widths(48, 3)
    [16, 16, 16]
    """
    n_neurons, depth = check_int(n_neurons, "n_neurons", 1), check_int(depth, "depth", 1)
    if n_neurons % depth:
        raise ValueError(
            f"The 'n_neurons' parameter must be a multiple of depth = {depth}. Got {n_neurons} instead."
        )
    return [n_neurons // depth] * depth


def split_neurons(n_neurons: int, depth: int) -> list[int]:
    """`depth` equal hidden widths of n_neurons // depth (at least 1) units: a budget of neurons, rounded down.

    Examples
    --------
    >>> split_neurons(32, 3)
    [10, 10, 10]
    """
    n_neurons, depth = check_int(n_neurons, "n_neurons", 1), check_int(depth, "depth", 1)
    return [max(1, n_neurons // depth)] * depth


def constant_width_for_budget(
    budget: int, depth: int, input_dim: int = 1, output_dim: int = 1, minimum: int = 1
) -> int:
    """The largest width w >= minimum with mlp_params(input_dim, [w] * depth, output_dim) <= budget.

    Returns `minimum` when even that is over the budget (the caller sees it in the parameter count).

    Examples
    --------
    >>> constant_width_for_budget(61, 3), mlp_params(1, [4] * 3)
    (4, 53)
    >>> constant_width_for_budget(15_210, 2, input_dim=40, output_dim=10)
    100
    """
    budget, depth = check_int(budget, "budget", 1), check_int(depth, "depth", 1)
    width = check_int(minimum, "minimum", 1)
    while mlp_params(input_dim, [width + 1] * depth, output_dim) <= budget:
        width += 1
    return width


def shallow_width_for_budget(budget: int, input_dim: int = 1, output_dim: int = 1) -> int:
    """The most hidden units D (>= 1) of a one-hidden-layer net with at most `budget` parameters.

    Examples
    --------
    >>> shallow_width_for_budget(19), shallow_width_for_budget(15_208, input_dim=40, output_dim=10)
    (6, 298)
    """
    budget = check_int(budget, "budget", 1)
    per_unit = check_int(input_dim, "input_dim", 1) + 1 + check_int(output_dim, "output_dim", 1)
    return max(1, (budget - output_dim) // per_unit)


# ------------------------------------------------------------------------------ width profiles
PROFILES: tuple[str, ...] = ("constant", "growing", "shrinking", "narrow")
NARROW_POSITIONS: tuple[str, ...] = ("input", "middle")


def residual_params(input_dim: int, width: int, depth: int, output_dim: int = 1) -> int:
    """Weights and biases of a residual MLP D_i -> D (L = `depth` blocks of D x D) -> D_o (`depthlab.models.residual`).

    (D_i + 1) D for the input projection, L (D + 1) D for the blocks, (D + 1) D_o for the output: the same
    count as a plain MLP with L + 1 hidden layers of width D (`mlp_params(D_i, [D] * (L + 1), D_o)`).

    Examples
    --------
    >>> residual_params(40, 64, 10, 10), mlp_params(40, [64] * 11, 10)
    (44874, 44874)
    """
    d_in, d = check_int(input_dim, "input_dim", 1), check_int(width, "width", 1)
    depth, d_out = check_int(depth, "depth", 0), check_int(output_dim, "output_dim", 1)
    return (d_in + 1) * d + depth * (d + 1) * d + (d + 1) * d_out


def narrow_index(depth: int, position: int | str) -> int:
    """0-based hidden-layer index of a narrow layer: "input" = the first hidden layer, "middle" = depth // 2,
    or an int in [0, depth).

    Examples
    --------
    >>> narrow_index(10, "middle"), narrow_index(10, "input"), narrow_index(10, 3)
    (5, 0, 3)
    """
    depth = check_int(depth, "depth", 1)
    if position == "input":
        return 0
    if position == "middle":
        return depth // 2
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < depth:
        raise ValueError(
            f"The 'narrow_position' parameter must be 'input', 'middle' or an int in [0, {depth}). "
            f"Got {position!r} instead."
        )
    return position


def _shape(depth: int, profile: str, ratio: float) -> list[float]:
    """Relative widths r_k of the profile's layers (r >= 1; linear ramp from 1 to `ratio` for growing)."""
    if profile in ("constant", "narrow") or depth == 1:
        return [1.0] * depth
    ramp = [1.0 + (ratio - 1.0) * k / (depth - 1) for k in range(depth)]
    return ramp if profile == "growing" else ramp[::-1]


def _scaled(shape: list[float], scale: float, fixed: dict[int, int]) -> list[int]:
    return [fixed[k] if k in fixed else max(1, math.floor(scale * r)) for k, r in enumerate(shape)]


def profile_widths(
    budget: int,
    depth: int,
    profile: str = "constant",
    input_dim: int = 1,
    output_dim: int = 1,
    ratio: float = 4.0,
    narrow_width: int = 4,
    narrow_position: int | str = "middle",
) -> list[int]:
    """Hidden widths of a `depth`-layer MLP of the given profile with the most parameters <= `budget`.

    Widths are w_k = max(1, floor(c r_k)) for the largest scale c whose `mlp_params` stays within the
    budget, so adding one unit to every (free) layer goes over it. r_k is 1 for "constant"; a linear
    ramp from 1 (first hidden layer) to `ratio` (last) for "growing", its reverse for "shrinking";
    "narrow" is constant except one layer fixed at `narrow_width` units at `narrow_position`.

    Parameters
    ----------
    budget : int
        Most parameters (weights and biases).
    depth : int
        Hidden layers K.
    profile : {"constant", "growing", "shrinking", "narrow"}, default="constant"
    input_dim, output_dim : int
    ratio : float, default=4.0
        Last-to-first width ratio of "growing" (first-to-last of "shrinking"); > 1.
    narrow_width : int, default=4
    narrow_position : "input", "middle" or int, default="middle"
        See `narrow_index`.

    Returns
    -------
    list of int, length `depth`.

    Examples
    --------
    >>> w = profile_widths(20_000, 8, "growing", 40, 10); w, mlp_params(40, w, 10) <= 20_000
    ([19, 27, 36, 44, 52, 61, 69, 77], True)
    >>> profile_widths(20_000, 8, "narrow", 40, 10, narrow_width=2)
    [57, 57, 57, 57, 2, 57, 57, 57]
    """
    budget, depth = check_int(budget, "budget", 1), check_int(depth, "depth", 1)
    input_dim, output_dim = check_int(input_dim, "input_dim", 1), check_int(output_dim, "output_dim", 1)
    if profile not in PROFILES:
        raise ValueError(f"The 'profile' parameter must be one of {', '.join(PROFILES)}. Got {profile!r} instead.")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio > 1:
        raise ValueError(f"The 'ratio' parameter must be a number > 1. Got {ratio!r} instead.")
    fixed = {}
    if profile == "narrow":
        fixed = {narrow_index(depth, narrow_position): check_int(narrow_width, "narrow_width", 1)}
    shape = _shape(depth, profile, float(ratio))
    count = lambda scale: mlp_params(input_dim, _scaled(shape, scale, fixed), output_dim)  # noqa: E731
    if count(0.0) > budget:
        raise ValueError(
            f"The 'budget' parameter must allow at least width 1 in every layer ({count(0.0)} parameters for "
            f"depth {depth}). Got {budget} instead."
        )
    low, high = 0.0, 1.0
    while count(high) <= budget:
        low, high = high, 2 * high
    while high - low > 1e-9 * high:  # largest scale within the budget: widths at `high` are over it
        middle = (low + high) / 2
        low, high = (middle, high) if count(middle) <= budget else (low, middle)
    return _scaled(shape, low, fixed)
