"""Reshaping a shallow ReLU network into a deep, narrow one computing the same function.

A 1-hidden-layer net y = beta_1 + Omega_1 relu(beta_0 + Omega_0 x) with N hidden units becomes
L = ceil(N / p) hidden layers of `width` units each. Every layer holds three kinds of unit:

- input carry: the input passes through unchanged. With a known lower bound `input_lower` (x >= lower
  on the domain of interest) one unit per input carries relu(x - lower) = x - lower; otherwise two
  units carry relu(x) and relu(-x), whose difference is x, exact for every real input.
- processing: p units compute p of the shallow hidden units from the carried input.
- output carry: the running output sum s of the units processed so far, as relu(s) and relu(-s)
  (2 units per output), so it survives the ReLU whatever its sign.

The output layer adds the last layer's processed units to the carried sum and beta_1. So
width = carry_in + p + 2 c with p >= 1; the deep net is exact as real arithmetic and agrees with the
shallow one to rounding in float64.
"""

from __future__ import annotations

import math

import torch

from depthlab.models.network import Network


def min_width(input_dim: int, output_dim: int, input_nonnegative: bool = False) -> int:
    """Smallest width `shallow_to_deep` accepts: input carry + 1 processing unit + 2 per output.

    Examples
    --------
    >>> min_width(1, 1, input_nonnegative=True)
    4
    >>> min_width(2, 3)
    11
    """
    return (1 if input_nonnegative else 2) * input_dim + 1 + 2 * output_dim


def shallow_to_deep(net: Network, width: int = 4, input_lower: float | None = None) -> Network:
    """The deep ReLU network of constant hidden width computing the same function as shallow `net`.

    Parameters
    ----------
    net : Network
        ReLU network with exactly one hidden layer: d inputs, N hidden units, c outputs.
    width : int, default=4
        Hidden width of every layer of the result; at least `min_width(d, c, input_lower is not None)`.
    input_lower : float or None, default=None
        A lower bound on every input coordinate. When given, each input is carried by one unit
        relu(x - input_lower) and the result equals `net` wherever x >= input_lower (elsewhere it sees
        the input clipped at the bound). When None, each input is carried as relu(x), relu(-x): exact
        for all inputs, at the cost of d more units per layer.

    Returns
    -------
    Network
        widths [d, width, ..., width, c] with ceil(N / p) hidden layers, p = width - carry - 2c.

    Examples
    --------
    >>> shallow = Network.random([1, 10, 1], seed=0)
    >>> deep = shallow_to_deep(shallow, width=4, input_lower=-1.0)
    >>> deep.widths
    [1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1]
    >>> x = torch.linspace(-1, 1, 50).unsqueeze(1)
    >>> bool((deep(x) - shallow(x)).abs().max() < 1e-12)
    True
    """
    if not isinstance(net, Network):
        raise ValueError(f"The 'net' parameter must be a Network. Got {type(net).__name__} instead.")
    if net.activation != "relu":
        raise ValueError(f"The 'net' parameter must be a ReLU network. Got activation {net.activation!r} instead.")
    if net.depth != 1:
        raise ValueError(
            f"The 'net' parameter must have exactly one hidden layer. Got {net.depth} hidden layers ({net.widths})."
        )
    d, n_units, c = net.widths
    nonneg = input_lower is not None
    need = min_width(d, c, nonneg)
    if isinstance(width, bool) or not isinstance(width, int) or width < need:
        raise ValueError(
            f"The 'width' parameter must be an int >= {need} for {d} input(s) and {c} output(s) "
            f"({'1' if nonneg else '2'} carry unit(s) per input, 1 processing unit, 2 per output). "
            f"Got {width!r} instead."
        )
    carry = d if nonneg else 2 * d
    p = width - carry - 2 * c
    n_layers = max(1, math.ceil(n_units / p))
    dtype = net.dtype
    lower = float(input_lower) if nonneg else 0.0

    w_in, b_in = net.weights[0], net.biases[0]  # (N, d), (N,)
    w_out, b_out = net.weights[1], net.biases[1]  # (c, N), (c,)
    pad = n_layers * p - n_units  # zero units fill the last layer
    w_in = torch.cat([w_in, torch.zeros(pad, d, dtype=dtype)])  # (L p, d)
    b_in = torch.cat([b_in, torch.zeros(pad, dtype=dtype)])  # (L p,)
    w_out = torch.cat([w_out, torch.zeros(c, pad, dtype=dtype)], dim=1)  # (c, L p)

    eye_d = torch.eye(d, dtype=dtype)
    # x as a linear function of the carried units (d, carry): x = decode @ carry_units + lower
    decode = eye_d if nonneg else torch.cat([eye_d, -eye_d], dim=1)
    # the carried sum s as a linear function of the output-carry units (c, 2c): s = pos - neg
    eye_c = torch.eye(c, dtype=dtype)
    sum_decode = torch.cat([eye_c, -eye_c], dim=1)  # (c, 2c)
    sum_encode = torch.cat([eye_c, -eye_c], dim=0)  # (2c, c): pos = relu(s), neg = relu(-s)

    weights, biases = [], []
    proc = slice(carry, carry + p)
    outs = slice(carry + p, width)
    for layer in range(n_layers):
        units = slice(layer * p, (layer + 1) * p)
        if layer == 0:
            omega = torch.zeros(width, d, dtype=dtype)
            beta = torch.zeros(width, dtype=dtype)
            omega[:carry] = eye_d if nonneg else torch.cat([eye_d, -eye_d])
            beta[:carry] = -lower if nonneg else 0.0
            omega[proc] = w_in[units]
            beta[proc] = b_in[units]
        else:
            omega = torch.zeros(width, width, dtype=dtype)
            beta = torch.zeros(width, dtype=dtype)
            omega[:carry, :carry] = torch.eye(carry, dtype=dtype)
            omega[proc, :carry] = w_in[units] @ decode  # (p, carry)
            beta[proc] = b_in[units] + lower * w_in[units].sum(dim=1)
            prev = slice((layer - 1) * p, layer * p)
            omega[outs, outs] = sum_encode @ sum_decode  # (2c, 2c)
            omega[outs, proc] = sum_encode @ w_out[:, prev]  # (2c, p)
        weights.append(omega)
        biases.append(beta)
    last = slice((n_layers - 1) * p, n_layers * p)
    omega = torch.zeros(c, width, dtype=dtype)
    omega[:, proc] = w_out[:, last]
    if n_layers > 1:
        omega[:, outs] = sum_decode
    weights.append(omega)
    biases.append(b_out.clone())
    return Network(tuple(weights), tuple(biases), "relu")
