"""The lecture's "folding" 1-3-1 network: a zigzag that maps [0, 1] onto [0, 1] three times.

    y = 3 relu(x) - 6 relu(x - 1/3) + 6 relu(x - 2/3)

rises on [0, 1/3], falls on [1/3, 2/3] and rises on [2/3, 1]; composing two of them folds the
interval 3 x 3 = 9 times, the lecture's "at least 9 regions" from 20 parameters.
"""

from __future__ import annotations

import torch

from depthlab.models.network import Network


def zigzag_net(folds: int = 3, dtype: torch.dtype = torch.float64) -> Network:
    """A 1-`folds`-1 ReLU network mapping [0, 1] onto [0, 1] with `folds` linear pieces of slope +-folds.

    Examples
    --------
    >>> net = zigzag_net(3)
    >>> net(torch.tensor([[0.0], [1/3], [2/3], [1.0]], dtype=torch.float64)).flatten().tolist()
    [0.0, 1.0, 0.0, 1.0]
    """
    if not isinstance(folds, int) or folds < 1:
        raise ValueError(f"The 'folds' parameter must be an int >= 1. Got {folds!r} instead.")
    knots = torch.arange(folds, dtype=dtype) / folds  # (D,) kinks at 0, 1/D, ..., (D-1)/D
    slopes = folds * torch.tensor([(-1.0) ** j for j in range(folds)], dtype=dtype)  # +D, -D, +D, ...
    out = torch.cat([slopes[:1], slopes[1:] - slopes[:-1]])  # (D,) change of slope at each knot
    omega0 = torch.ones(folds, 1, dtype=dtype)
    beta0 = -knots
    return Network((omega0, out[None, :]), (beta0, torch.zeros(1, dtype=dtype)))
