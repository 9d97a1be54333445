"""Loss and accuracy of a trained `Network` on a data set."""

from __future__ import annotations

import torch

from depthlab.checks import as_tensor, check_features
from depthlab.models.network import Network
from depthlab.train.losses import check_targets, loss_function


def evaluate_loss(net: Network, x, y, loss: str = "mse") -> float:
    """Mean loss of `net` on (x, y) in the network's dtype. x: (N, D_i); y as for `fit`."""
    x = check_features(as_tensor(x, "x", net.dtype), "x", net.input_dim)
    criterion = loss_function(loss)
    y = check_targets(as_tensor(y, "y", torch.float64), loss, x.shape[0], net.output_dim, net.dtype)
    with torch.no_grad():
        return float(criterion(net(x), y))


def accuracy(net: Network, x, y) -> float:
    """Fraction of rows whose argmax output equals the class index y. x: (N, D_i), y: (N,)."""
    x = check_features(as_tensor(x, "x", net.dtype), "x", net.input_dim)
    y = torch.as_tensor(y).long()
    if x.shape[0] == 0:
        return float("nan")
    with torch.no_grad():
        return float((net(x).argmax(dim=1) == y).double().mean())
