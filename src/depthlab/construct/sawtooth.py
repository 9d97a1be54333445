"""The tent map and its k-fold composition, the sawtooth with 2^k linear pieces on [0, 1].

    T(x) = 2 relu(x) - 4 relu(x - 1/2)           (= 2x on [0, 1/2], 2 - 2x on [1/2, 1])
    g_k  = T o T o ... o T   (k times)            2^k pieces of slope +-2^k, values in [0, 1]

Deep: `sawtooth(k)` is k hidden layers of 2 units (6k + 1 parameters), built with `compose`.
Shallow: `shallow_sawtooth(k)` has one hidden layer with 2^k units. That is the fewest possible on
[0, 1] without a skip connection: each of the 2^k - 1 interior kinks j / 2^k needs its own unit, and
those units alone cannot also make the first piece's slope. A unit a relu(+-(x - t)) changes the slope
by a at t, so the jumps are fixed at a_j = (-1)^j 2^(k+1); the first piece's slope is minus the sum of
the jumps of the left-facing units, a multiple of 2^(k+1), never the needed 2^k. So one more unit,
relu(x) with its kink at the end point 0, carries the linear part (Telgarsky 2015's "exponentially
many units" in its exact form: 2^k vs 2k).
"""

from __future__ import annotations

import torch

from depthlab.checks import check_int
from depthlab.construct.compose import compose
from depthlab.models.network import Network


def tent_map_net(dtype: torch.dtype = torch.float64) -> Network:
    """The 1-2-1 ReLU tent map T(x) = 2 relu(x) - 4 relu(x - 1/2): 2x on [0, 1/2], 2 - 2x on [1/2, 1].

    Examples
    --------
    >>> tent_map_net()(torch.tensor([[0.0], [0.25], [0.5], [1.0]], dtype=torch.float64)).flatten().tolist()
    [0.0, 0.5, 1.0, 0.0]
    """
    omega0 = torch.ones(2, 1, dtype=dtype)  # (2, 1)
    beta0 = torch.tensor([0.0, -0.5], dtype=dtype)  # (2,) kinks at 0 and 1/2
    omega1 = torch.tensor([[2.0, -4.0]], dtype=dtype)  # (1, 2)
    return Network((omega0, omega1), (beta0, torch.zeros(1, dtype=dtype)))


def sawtooth(k: int, dtype: torch.dtype = torch.float64) -> Network:
    """The deep sawtooth g_k = T^k: k hidden layers of width 2, 6k + 1 parameters, 2^k pieces on [0, 1].

    Parameters
    ----------
    k : int
        Number of tent maps composed, >= 1.
    dtype : torch.dtype, default=torch.float64

    Returns
    -------
    Network
        Widths [1, 2, ..., 2, 1]; maps [0, 1] onto [0, 1] with kinks at j / 2^k, value 0 at even j and 1 at odd j.

    Examples
    --------
    >>> net = sawtooth(3)
    >>> net, net(torch.tensor([[1 / 8], [2 / 8]], dtype=torch.float64)).flatten().tolist()
    (Network(1-2-2-2-1, relu, 19 params), [1.0, 0.0])
    """
    k = check_int(k, "k", 1)
    net = tent_map_net(dtype)
    for _ in range(k - 1):
        net = compose(net, tent_map_net(dtype))
    return net


def sawtooth_values(k: int, x: torch.Tensor) -> torch.Tensor:
    """g_k(x) from its closed form (distance of 2^(k-1) x to the nearest integer, times 2). x: (B,) -> (B,).

    A reference for tests that does not run any network: g_k(x) = 2 |2^(k-1) x - round(2^(k-1) x)| on [0, 1].
    """
    k = check_int(k, "k", 1)
    scaled = x * 2.0 ** (k - 1)  # (B,)
    return 2.0 * (scaled - torch.round(scaled)).abs()  # (B,)


def shallow_sawtooth(k: int, dtype: torch.dtype = torch.float64) -> Network:
    """One hidden layer of 2^k units equal to `sawtooth(k)` on [0, 1] (kinks at 0 and j / 2^k, j = 1..2^k-1).

    y = 2^k relu(x) + sum_j (-1)^j 2^(k+1) relu(x - j / 2^k); 3 * 2^k + 1 parameters. The module docstring
    proves no net with one hidden layer of fewer units equals g_k on [0, 1].

    Parameters
    ----------
    k : int
        >= 1; the network has 2^k hidden units (k <= 24 to keep it in memory).
    dtype : torch.dtype, default=torch.float64

    Examples
    --------
    >>> shallow_sawtooth(3)
    Network(1-8-1, relu, 25 params)
    """
    k = check_int(k, "k", 1)
    if k > 24:
        raise ValueError(f"The 'k' parameter must be an int <= 24 for a shallow sawtooth (2^k units). Got {k} instead.")
    units = 2**k
    j = torch.arange(units, dtype=dtype)  # (2^k,) kink index; j = 0 is the linear part relu(x)
    omega0 = torch.ones(units, 1, dtype=dtype)  # (2^k, 1)
    beta0 = -j / units  # (2^k,) kinks at j / 2^k
    jumps = torch.where(j % 2 == 1, -1.0, 1.0).to(dtype) * 2.0 ** (k + 1)  # (2^k,) slope change at each kink
    jumps[0] = 2.0**k  # the first piece's slope
    return Network((omega0, jumps[None, :]), (beta0, torch.zeros(1, dtype=dtype)))


def sawtooth_params(k: int) -> tuple[int, int]:
    """Parameter counts (deep, shallow) of `sawtooth(k)` and `shallow_sawtooth(k)`: (6k + 1, 3 * 2^k + 1)."""
    k = check_int(k, "k", 1)
    return 6 * k + 1, 3 * 2**k + 1
