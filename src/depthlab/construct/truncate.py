"""Truncating a shallow network to its most useful hidden units (the depth-sweep's initialization).

A 1-hidden-layer ReLU network y = beta_1 + Omega_1 relu(beta_0 + Omega_0 x) with N units is cut
down to L units: the units are ranked by greedy forward selection (orthogonal least squares: at
each step take the unit whose hidden-activation column, orthogonalized against the units already
kept and the constant, removes the most squared residual of the targets), and the output weights
of the kept units are refit by least squares. The ranking is nested, so the least-squares loss of
the first L units can only fall as L grows; with all units kept the network is the original one
refit, which for an interpolant means loss 0.
"""

from __future__ import annotations

import torch

from depthlab.checks import as_tensor, check_features, check_int
from depthlab.models.network import Network


def _check_shallow(shallow: Network) -> Network:
    if not isinstance(shallow, Network) or shallow.depth != 1:
        got = repr(shallow) if isinstance(shallow, Network) else type(shallow).__name__
        raise ValueError(f"The 'shallow' parameter must be a Network with exactly 1 hidden layer. Got {got}.")
    return shallow


def _data(shallow: Network, x, y) -> tuple[torch.Tensor, torch.Tensor]:
    """x as (P, D_i) and y as (P, D_o), float64, checked against the network."""
    x = check_features(as_tensor(x, "x"), "x", shallow.input_dim)  # (P, D_i)
    y = as_tensor(y, "y")
    if y.ndim == 1 and shallow.output_dim == 1:
        y = y[:, None]  # (P, 1)
    if y.ndim != 2 or y.shape != (x.shape[0], shallow.output_dim):
        raise ValueError(
            f"The 'y' parameter must have shape ({x.shape[0]}, {shallow.output_dim}) like 'x' rows and the "
            f"network outputs. Got {tuple(y.shape)} instead."
        )
    return x, y


def hidden_features(shallow: Network, x) -> torch.Tensor:
    """Hidden activations of a 1-hidden-layer network, float64. x: (P, D_i) -> (P, N)."""
    shallow = _check_shallow(shallow).to(torch.float64)
    x = check_features(as_tensor(x, "x"), "x", shallow.input_dim)  # (P, D_i)
    return shallow._act(shallow.preactivations(x)[0])  # (P, N)


def rank_units(shallow: Network, x, y) -> torch.Tensor:
    """Order of the hidden units, most useful first, by greedy orthogonal least squares.

    Parameters
    ----------
    shallow : Network
        One hidden layer of N units, D_i inputs, D_o outputs.
    x : array-like, shape (P, D_i)
        Points the loss is measured on.
    y : array-like, shape (P, D_o) or (P,)
        Targets.

    Returns
    -------
    Tensor, shape (N,), int64
        A permutation of range(N). Units whose column adds nothing to the span of the ones before
        (dead on every point, or duplicates) come last, in their original order.

    Examples
    --------
    >>> net = Network((torch.ones(3, 1, dtype=torch.float64), torch.ones(1, 3, dtype=torch.float64)),
    ...               (torch.tensor([0.0, -1.0, -5.0], dtype=torch.float64), torch.zeros(1, dtype=torch.float64)))
    >>> x = torch.linspace(0, 3, 7)[:, None]
    >>> rank_units(net, x, (x - 1).clamp_min(0)).tolist()  # unit 1 alone fits; unit 2 is dead on [0, 3]
    [1, 0, 2]
    """
    shallow = _check_shallow(shallow)
    x, y = _data(shallow, x, y)
    h = hidden_features(shallow, x)  # (P, N)
    h = h - h.mean(dim=0)  # the output bias is always refit: project out the constant
    r = y - y.mean(dim=0)  # (P, D_o)
    start = (h * h).sum(dim=0)  # (N,) squared column norms
    norms = start.clone()  # (N,) squared norms of the columns orthogonalized against the kept units
    corr = h.T @ r  # (N, D_o) inner products of the orthogonalized columns with the residual
    alive = start > 0
    basis = torch.zeros(x.shape[0], min(x.shape[0], shallow.n_hidden), dtype=h.dtype)  # (P, K) orthonormal
    order: list[int] = []
    for k in range(basis.shape[1]):
        usable = alive & (norms > 1e-20 * start)
        if not bool(usable.any()):
            break
        gain = (corr**2).sum(dim=1) / torch.where(usable, norms, torch.ones_like(norms))  # (N,)
        j = int(torch.where(usable, gain, torch.full_like(gain, -1.0)).argmax())
        d = h[:, j]  # (P,)
        for _ in range(2):  # Gram-Schmidt twice keeps the basis orthonormal in floating point
            d = d - basis[:, :k] @ (basis[:, :k].T @ d)  # (P,)
        if float(d @ d) <= 1e-20 * float(start[j]):
            alive[j] = False
            continue
        d = d / d.norm()
        basis[:, k] = d
        a = h.T @ d  # (N,) component of every column along the new direction
        norms = norms - a**2
        corr = corr - a[:, None] * (d @ r)[None, :]
        r = r - d[:, None] * (d @ r)[None, :]  # (P, D_o)
        alive[j] = False
        order.append(j)
    rest = [j for j in range(shallow.n_hidden) if j not in set(order)]
    return torch.tensor(order + rest, dtype=torch.long)


def truncate_units(shallow: Network, units, x, y) -> Network:
    """The network keeping only hidden `units`, output weights and bias refit by least squares on (x, y).

    The refit solves for a correction to the kept units' original output weights (least squares
    on the residual, minimum-norm SVD solver in float64), and falls back to the uncorrected
    weights if the correction does not lower the loss in floating point. The result has
    len(units) hidden units; with no units it is the constant network y = mean(y).

    Parameters
    ----------
    shallow : Network
        One hidden layer.
    units : sequence of int
        Indices of the hidden units to keep, distinct.
    x, y : array-like, shapes (P, D_i) and (P, D_o) or (P,)

    Returns
    -------
    Network
        Widths [D_i, len(units), D_o], float64.
    """
    shallow = _check_shallow(shallow).to(torch.float64)
    x, y = _data(shallow, x, y)
    idx = torch.as_tensor(list(units), dtype=torch.long)
    if idx.numel() != len(set(idx.tolist())) or (idx.numel() and (idx.min() < 0 or idx.max() >= shallow.n_hidden)):
        raise ValueError(
            f"The 'units' parameter must list distinct indices in [0, {shallow.n_hidden}). Got {idx.tolist()!r}."
        )
    features = torch.cat([hidden_features(shallow, x)[:, idx], torch.ones(x.shape[0], 1, dtype=x.dtype)], 1)
    kept = torch.cat([shallow.weights[1][:, idx].T, shallow.biases[1][None, :]], dim=0)  # (L + 1, D_o)
    residual = y - features @ kept  # (P, D_o)
    correction = torch.linalg.lstsq(features, residual, driver="gelsd").solution  # (L + 1, D_o)
    refit = kept + correction
    if float(((y - features @ refit) ** 2).mean()) > float((residual**2).mean()):
        refit = kept
    omega0, beta0 = shallow.weights[0][idx], shallow.biases[0][idx]
    if idx.numel() == 0:  # keep one dead unit so the network still has a hidden layer
        omega0 = torch.zeros(1, shallow.input_dim, dtype=x.dtype)
        beta0 = torch.full((1,), -1.0, dtype=x.dtype)
        refit = torch.cat([torch.zeros(1, y.shape[1], dtype=x.dtype), refit], dim=0)
    omega1, beta1 = refit[:-1].T.contiguous(), refit[-1].clone()
    return Network((omega0, omega1), (beta0, beta1), shallow.activation, shallow.negative_slope)


def keep_most_useful_units(shallow: Network, n_units: int, x, y) -> Network:
    """The `n_units` most useful hidden units of `shallow` (see `rank_units`), output layer refit on (x, y).

    Parameters
    ----------
    shallow : Network
        One hidden layer of N units.
    n_units : int
        How many units to keep, 0 <= n_units <= N.
    x, y : array-like, shapes (P, D_i) and (P, D_o) or (P,)

    Returns
    -------
    Network
        Widths [D_i, n_units, D_o] (one dead unit when n_units is 0), float64.

    Examples
    --------
    >>> shallow = Network.random([1, 20, 1], seed=0)
    >>> x = torch.linspace(-1, 1, 50)[:, None]
    >>> small = keep_most_useful_units(shallow, 5, x, shallow(x))
    >>> small.widths
    [1, 5, 1]
    """
    shallow = _check_shallow(shallow)
    n_units = check_int(n_units, "n_units", 0)
    if n_units > shallow.n_hidden:
        raise ValueError(
            f"The 'n_units' parameter must be an int <= {shallow.n_hidden} (the hidden units of 'shallow'). "
            f"Got {n_units} instead."
        )
    return truncate_units(shallow, rank_units(shallow, x, y)[:n_units].tolist(), x, y)
