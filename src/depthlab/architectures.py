"""Architecture arithmetic: parameter counts and the widths that fit a budget.

One home for every "how many parameters" and "which widths for this budget" rule, so that
experiments comparing shallow and deep nets at equal budgets all use the same arithmetic.
A fully connected net input_dim -> widths -> output_dim has sum (fan_in + 1) * fan_out parameters.
"""

from __future__ import annotations

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
