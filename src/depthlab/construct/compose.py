"""Composing networks: y' = b(a(x)) as one deeper network, by the lecture's algebra.

With a's last layer y = beta_K + Omega_K h_K and b's first hidden layer h' = act[beta'_0 + Omega'_0 y],
the composed network's middle layer is h' = act[(beta'_0 + Omega'_0 beta_K) + (Omega'_0 Omega_K) h_K]:
Psi = theta' phi and psi_0 = theta'_0 + theta' phi_0 in the lecture's names. No layer is added.
"""

from __future__ import annotations

import torch

from depthlab.models.network import Network


def compose(a: Network, b: Network) -> Network:
    """The network computing b(a(x)): widths a.widths[:-1] + b.widths[1:].

    Parameters
    ----------
    a : Network
        Applied first; its output width must equal b's input width.
    b : Network
        Applied second; must use the same activation as `a` when both have hidden layers.

    Examples
    --------
    >>> a = Network.random([1, 3, 1], seed=1); b = Network.random([1, 3, 1], seed=2)
    >>> compose(a, b)
    Network(1-3-3-1, relu, 22 params)
    """
    if not isinstance(a, Network) or not isinstance(b, Network):
        raise ValueError(f"compose needs two Network objects. Got {type(a).__name__} and {type(b).__name__}.")
    if a.output_dim != b.input_dim:
        raise ValueError(
            f"compose(a, b): a's output width must equal b's input width to chain. "
            f"Got a: {a.widths} (output {a.output_dim}) and b: {b.widths} (input {b.input_dim})."
        )
    if a.depth > 0 and b.depth > 0 and a.activation != b.activation:
        raise ValueError(
            f"compose(a, b) needs one activation for both networks. Got {a.activation!r} and {b.activation!r}."
        )
    if a.depth > 0 and b.depth > 0 and a.activation == "leaky_relu" and a.negative_slope != b.negative_slope:
        raise ValueError(
            "compose(a, b) needs one leaky_relu negative_slope for both networks. "
            f"Got {a.negative_slope!r} and {b.negative_slope!r}."
        )
    dtype = torch.promote_types(a.dtype, b.dtype)
    a, b = a.to(dtype), b.to(dtype)
    omega = b.weights[0] @ a.weights[-1]  # (D'_1, D_K)  Psi = theta' phi
    beta = b.biases[0] + b.weights[0] @ a.biases[-1]  # (D'_1,)  psi_0 = theta'_0 + theta' phi_0
    weights = a.weights[:-1] + (omega,) + b.weights[1:]
    biases = a.biases[:-1] + (beta,) + b.biases[1:]
    activation = a.activation if a.depth > 0 else b.activation
    slope = a.negative_slope if a.depth > 0 else b.negative_slope
    return Network(weights, biases, activation, slope)
