"""Where to look at a network's regions in 2-D: the square itself for 2 inputs, a plane section otherwise."""

from __future__ import annotations

import numpy as np

from depthlab.checks import InputError, check_int
from depthlab.regions.partition_2d import Plane


def square_slice(input_dim: int, bound: float = 1.0) -> list[list[float]] | Plane:
    """The square [-bound, bound]^2 as a polygon for 2 inputs, else the (x_1, x_2) plane through 0 with those bounds.

    The result is what `partition_2d(net, domain)` takes.

    Examples
    --------
    >>> square_slice(2, 1.0)
    [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
    >>> square_slice(5, 2.0).bounds
    (-2.0, 2.0, -2.0, 2.0)
    """
    input_dim = check_int(input_dim, "input_dim", 2)
    if not isinstance(bound, (int, float)) or not bound > 0:
        raise InputError(f"The 'bound' parameter must be a number > 0. Got {bound!r} instead.")
    b = float(bound)
    if input_dim == 2:
        return [[-b, -b], [b, -b], [b, b], [-b, b]]
    u, v = np.zeros(input_dim), np.zeros(input_dim)
    u[0], v[1] = 1.0, 1.0
    return Plane(np.zeros(input_dim), u, v, bounds=(-b, b, -b, b))
