"""Signals at initialization: activation lengths, gradient norms, and the theory that predicts them.

Measured (on any `Network`, or many at once as a `NetworkBatch`):

- `activation_lengths(net, x)`: M_j = ||h_j||^2 / n_j per hidden layer j = 1..K, averaged over the
  inputs (h_j the post-activation of layer j, n_j its width; Hanin & Rolnick 2018's M_j).
- `init_statistics(widths, init, n_nets, x, seed)`: mean and variance of M_j across independently
  drawn networks, drawn and run as `NetworkBatch` chunks.
- `gradient_norms(net, x, y, loss)`: ||dL / dOmega_k||_F for every layer.

Predicted (ReLU, zero biases, i.i.d. weights of variance c / fan_in; exact, derived below):

    E[M_j]        = M_0 (c / 2)^j                                 any symmetric weight law
    E[M_j^2]      = M_0^2 (c / 2)^(2j) prod_{i<=j} (1 + 5 / n_i)  Gaussian weights
    Var[M_j]      = E[M_j]^2 (prod_{i<=j} (1 + 5 / n_i) - 1)
    log(E[M_j^2] / E[M_j]^2) = sum_{i<=j} log(1 + 5 / n_i) ~ 5 sum_{i<=j} 1 / n_i

with M_0 = ||x||^2 / n_0. Derivation: given h_{j-1}, the n_j pre-activations of layer j are i.i.d.
N(0, c M_{j-1}), so M_j = (c / 2) M_{j-1} Y_j with Y_j = (2 / n_j) sum_i relu(g_i)^2, g_i ~ N(0, 1),
independent of the past; E[relu(g)^2] = 1/2 and E[relu(g)^4] = 3/2 give E[Y_j] = 1 and
E[Y_j^2] = 1 + 5 / n_j. This is the Gaussian case of Hanin & Rolnick 2018 (How to start training:
the effect of initialization and architecture), whose Theorem 1 states the mean (exponential in depth
unless c = 2) and bounds the second moment by exp(C sum_j 1 / n_j) for any symmetric weight law.

The mean-field length map of Poole et al. 2016 (Exponential expressivity in deep neural networks
through transient chaos; W ~ N(0, sigma_w^2 / fan_in), b ~ N(0, sigma_b^2), q the squared length
of a pre-activation vector per unit):

    q^l   = sigma_w^2 E_z[phi(sqrt(q^{l-1}) z)^2] + sigma_b^2          `length_map`
    q*    = its stable fixed point (iterated from q = 1)             `length_fixed_point`
    chi_1 = sigma_w^2 E_z[phi'(sqrt(q*) z)^2]                        `chi_1`

z ~ N(0, 1). An infinitesimal piece of a curve is stretched by sqrt(chi_1) per layer: chaos (lengths
growing exponentially with depth) when chi_1 > 1. Gaussian expectations use composite Gauss-Legendre
quadrature (`gaussian_expectation`) with panels split at the kinks of piecewise-linear activations
(hard-tanh) and narrow enough for the 1 / sqrt(q) features of phi(sqrt(q) z); tested against Monte Carlo.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from depthlab.activations import activation as activation_rule
from depthlab.activations import apply_activation, check_activation
from depthlab.checks import as_tensor, check_features, check_int
from depthlab.init import InitSpec, check_init
from depthlab.models.network import Network
from depthlab.models.residual import ResidualNetwork
from depthlab.seeds import derive_seed
from depthlab.train import NetworkBatch, loss_function

# ------------------------------------------------------------------------------------------ measured


def input_lengths(x) -> torch.Tensor:
    """M_0 = ||x||^2 / n_0 of every input. x: (N, n_0) -> (N,)."""
    x = as_tensor(x, "x")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"The 'x' parameter must have shape (N, n_0) with N >= 1. Got {tuple(x.shape)} instead.")
    return (x**2).mean(dim=1)  # (N,)


def _lengths_per_input(model: Network | NetworkBatch, x: torch.Tensor) -> torch.Tensor:
    """M_j of every input (and every model of a batch). x: (N, D_i) -> (N, K) or (M, N, K)."""
    pre = model.preactivations(x)  # K x (N, n_j) or K x (M, N, n_j)
    h = [apply_activation(model.activation, z, model.negative_slope) for z in pre]
    return torch.stack([(hj**2).mean(dim=-1) for hj in h], dim=-1)  # (..., N, K)


def _check_net(net, name: str = "net") -> Network | ResidualNetwork:
    if not isinstance(net, (Network, ResidualNetwork)):
        raise ValueError(
            f"The '{name}' parameter must be a depthlab Network or ResidualNetwork. Got {type(net).__name__} instead."
        )
    return net


def _residual_lengths(net: ResidualNetwork, x: torch.Tensor) -> torch.Tensor:
    """M_j of the residual stream h_j = h_{j-1} + s a[beta + Omega h_{j-1}], j = 1..L, per input. -> (N, L)."""
    h = torch.addmm(net.input_bias, x, net.input_weight.T)  # (N, D): h_0
    lengths = []
    for omega, beta in zip(net.block_weights, net.block_biases):
        h = h + net.branch_scale * apply_activation(net.activation, torch.addmm(beta, h, omega.T), net.negative_slope)
        lengths.append((h**2).mean(dim=1))  # (N,)
    return torch.stack(lengths, dim=1) if lengths else torch.zeros(x.shape[0], 0, dtype=x.dtype)


def activation_lengths(net: Network, x) -> torch.Tensor:
    """Normalized squared activation length M_j = ||h_j||^2 / n_j per hidden layer, averaged over inputs.

    Parameters
    ----------
    net : Network or ResidualNetwork
    x : array-like, shape (N, D_i)

    Returns
    -------
    Tensor, shape (K,), float64: M_1..M_K (h_j = a[beta_{j-1} + Omega_{j-1} h_{j-1}], n_j its width). For a
    ResidualNetwork, (L,): the residual stream after each block, h_j = h_{j-1} + s a[beta_j + Omega_j h_{j-1}].

    Examples
    --------
    >>> net = Network.random([4, 8, 8], seed=0, activation="identity")
    >>> activation_lengths(net, torch.ones(3, 4)).shape
    torch.Size([1])
    """
    net = _check_net(net)
    x = check_features(as_tensor(x, "x", net.dtype), "x", net.input_dim)  # (N, D_i)
    with torch.no_grad():
        if isinstance(net, ResidualNetwork):
            return _residual_lengths(net, x).mean(dim=0)  # (L,)
        return _lengths_per_input(net, x).mean(dim=0)  # (K,)


def gradient_norms(net: Network, x, y, loss: str = "mse") -> torch.Tensor:
    """Frobenius norm of the gradient of the mean loss with respect to each weight matrix.

    Parameters
    ----------
    net : Network or ResidualNetwork
    x : array-like, shape (N, D_i)
    y : array-like, shape (N,) class indices for "cross_entropy", (N, D_o) or (N,) targets for "mse"
    loss : {"mse", "cross_entropy"}, default="mse"

    Returns
    -------
    Tensor, shape (K + 1,): ||dL / dOmega_0||_F, ..., ||dL / dOmega_K||_F (computed by autograd through
    the network's exact `to_torch()` equivalent, in the network's dtype). For a ResidualNetwork, (L + 2,):
    the input projection P, the L blocks' Omega, the output projection Q.
    """
    net = _check_net(net)
    criterion = loss_function(loss)
    x = check_features(as_tensor(x, "x", net.dtype), "x", net.input_dim)  # (N, D_i)
    y = as_tensor(y, "y")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"The 'y' parameter must have {x.shape[0]} rows like 'x'. Got {tuple(y.shape)} instead.")
    y = y.long() if loss == "cross_entropy" else y.to(net.dtype).reshape(x.shape[0], -1)
    module = net.to_torch()
    criterion(module(x), y).backward()
    linears = ([module.inp, *module.blocks, module.out] if isinstance(net, ResidualNetwork)
               else [m for m in module if isinstance(m, torch.nn.Linear)])
    return torch.stack([m.weight.grad.norm() for m in linears]).detach()  # (K + 1,)


@dataclass(frozen=True)
class InitStatistics:
    """What `init_statistics` returns.

    mean : (K,) mean of M_j over the networks.
    var : (K,) variance of M_j over the networks (unbiased, n_nets - 1 in the denominator).
    lengths : (n_nets, K) M_j of every network (each averaged over the inputs x).
    input_length : mean of M_0 = ||x||^2 / n_0 over the inputs.
    widths : the networks' widths [D_i, D_1, ..., D_K, D_o].
    """

    mean: torch.Tensor
    var: torch.Tensor
    lengths: torch.Tensor
    input_length: float
    widths: list[int]

    @property
    def n_nets(self) -> int:
        """Number of networks drawn."""
        return self.lengths.shape[0]


def _chunk_size(widths: Sequence[int], n_nets: int, max_bytes: float) -> int:
    """Networks per NetworkBatch so one chunk's float64 parameters stay under max_bytes."""
    per_net = 8 * sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    return max(1, min(n_nets, int(max_bytes // per_net)))


def init_statistics(
    widths: Sequence[int],
    init: InitSpec,
    n_nets: int,
    x,
    seed: int = 0,
    activation: str = "relu",
    weight_scale: float = 1.0,
    max_chunk_bytes: float = 2**28,
) -> InitStatistics:
    """Mean and variance of M_j across `n_nets` independently drawn networks.

    Network m is `Network.random(widths, init, seed=derive_seed(seed, m), activation=activation)`
    with every weight multiplied by `weight_scale`; the networks are drawn and run as `NetworkBatch`
    chunks of at most `max_chunk_bytes` of parameters each (deep wide nets do not fit all at once).

    Parameters
    ----------
    widths : sequence of int
        [D_i, D_1, ..., D_K, D_o].
    init : str or tuple
        Any `Network.random` scheme, e.g. ("normal", sqrt(c), 0.0) for weight variance c / fan_in.
    n_nets : int, >= 2
    x : array-like, shape (N, D_i)
        Inputs; M_j of each network is averaged over them. The variance predicted by
        `predicted_length_variance` is for one input (N = 1).
    seed : int, default=0
    activation : str, default="relu"
    weight_scale : float, default=1.0
        Multiplies every weight after drawing: 1 / sqrt(trunc_normal_variance_factor()) turns
        "trunc_normal" (parameter std sqrt(2 / fan_in)) into a truncated normal of variance 2 / fan_in.
    max_chunk_bytes : float, default=2**28

    Returns
    -------
    InitStatistics with mean (K,), var (K,), lengths (n_nets, K).

    Examples
    --------
    >>> stats = init_statistics([10, 50, 50, 1], "he_normal", 8, torch.ones(1, 10), seed=0)
    >>> tuple(stats.mean.shape), tuple(stats.lengths.shape)
    ((2,), (8, 2))
    """
    n_nets = check_int(n_nets, "n_nets", 2)
    check_init(init)
    check_activation(activation)
    if not (isinstance(weight_scale, (int, float)) and math.isfinite(weight_scale) and weight_scale > 0):
        raise ValueError(f"The 'weight_scale' parameter must be a finite float > 0. Got {weight_scale!r} instead.")
    widths = [int(w) for w in widths]
    x = check_features(as_tensor(x, "x"), "x", widths[0])  # (N, D_i)
    chunk = _chunk_size(widths, n_nets, max_chunk_bytes)
    lengths = []
    with torch.no_grad():
        for start in range(0, n_nets, chunk):
            seeds = [derive_seed(seed, m) for m in range(start, min(n_nets, start + chunk))]
            batch = NetworkBatch.random(widths, seeds, init=init, activation=activation)
            if weight_scale != 1.0:
                batch = NetworkBatch(tuple(w * weight_scale for w in batch.weights), batch.biases,
                                     batch.activation, batch.negative_slope)
            lengths.append(_lengths_per_input(batch, x).mean(dim=1))  # (M, K)
    lengths = torch.cat(lengths)  # (n_nets, K)
    return InitStatistics(lengths.mean(dim=0), lengths.var(dim=0), lengths, float(input_lengths(x).mean()), widths)


# ------------------------------------------------------------------------------------------ predicted


def _hidden_widths(widths: Sequence[int]) -> np.ndarray:
    widths = list(widths)
    if len(widths) < 3 or any(isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 1 for w in widths):
        raise ValueError(
            "The 'widths' parameter must list [D_i, D_1, ..., D_K, D_o] with K >= 1 hidden layers, all ints >= 1. "
            f"Got {widths!r} instead."
        )
    return np.asarray(widths[1:-1], dtype=np.float64)


def _check_positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not value > 0:
        raise ValueError(f"The '{name}' parameter must be a float > 0. Got {value!r} instead.")
    return float(value)


def sum_inverse_widths(widths: Sequence[int]) -> torch.Tensor:
    """sum_{i<=j} 1 / n_i for every hidden layer j. widths [D_i, n_1..n_K, D_o] -> (K,)."""
    return torch.from_numpy(np.cumsum(1.0 / _hidden_widths(widths)))


def predicted_mean_lengths(widths: Sequence[int], c: float = 2.0, input_length: float = 1.0) -> torch.Tensor:
    """E[M_j] = M_0 (c / 2)^j for a ReLU net with weight variance c / fan_in and zero biases.

    Exact for any symmetric weight distribution (Hanin & Rolnick 2018, Thm. 1): exponential in depth
    with rate log(c / 2) per layer, constant exactly at He's c = 2.

    Parameters
    ----------
    widths : [D_i, D_1, ..., D_K, D_o]
    c : float, default=2.0
    input_length : float, default=1.0
        M_0 = ||x||^2 / D_i.

    Returns
    -------
    Tensor, shape (K,), float64.

    Examples
    --------
    >>> predicted_mean_lengths([5, 10, 10, 10, 1], c=2.2).tolist()
    [1.1, 1.2100000000000002, 1.3310000000000004]
    """
    depth = len(_hidden_widths(widths))
    c, m0 = _check_positive(c, "c"), _check_positive(input_length, "input_length")
    return m0 * (c / 2.0) ** torch.arange(1, depth + 1, dtype=torch.float64)


def predicted_log_second_moment(widths: Sequence[int]) -> torch.Tensor:
    """log(E[M_j^2] / E[M_j]^2) = sum_{i<=j} log(1 + 5 / n_i) for Gaussian weights (any c), zero biases.

    About 5 sum_{i<=j} 1 / n_i for wide layers: the second moment is exponential in the sum of
    reciprocal widths (Hanin & Rolnick 2018); derivation in the module docstring. widths -> (K,).
    """
    return torch.from_numpy(np.cumsum(np.log1p(5.0 / _hidden_widths(widths))))


def predicted_length_variance(widths: Sequence[int], c: float = 2.0, input_length: float = 1.0) -> torch.Tensor:
    """Var[M_j] = E[M_j]^2 (prod_{i<=j} (1 + 5 / n_i) - 1) for Gaussian weights of variance c / fan_in.

    For one input of M_0 = `input_length`, ReLU, zero biases (module docstring). widths -> (K,).
    """
    mean = predicted_mean_lengths(widths, c, input_length)
    return mean**2 * torch.expm1(predicted_log_second_moment(widths))


# ------------------------------------------------------------------------------------------ mean field

_LEGENDRE_NODES = 16
_TAIL = 12.0  # the N(0, 1) mass beyond +-12 is 4e-33
_MAX_PANELS = 2**14  # panels no narrower than 24 / 2^14 = 1.5e-3


def gaussian_expectation(
    f: Callable[[torch.Tensor], torch.Tensor], breaks: Sequence[float] = (), resolution: float = 0.1
) -> float:
    """E[f(z)] for z ~ N(0, 1) by composite Gauss-Legendre quadrature on [-12, 12].

    Panels of width <= `resolution`, split at `breaks` (points where f is not smooth, such as the kinks
    of hard-tanh), 16 nodes each: spectrally accurate for f smooth on each panel. (One Gauss-Hermite rule
    was tried first: with 96 nodes it missed chi_1 of tanh at sigma_w^2 = 16 by 5%, its nodes too far
    apart for phi'(sqrt(q*) z)^2, whose bump is 1 / sqrt(q*) wide.)

    Parameters
    ----------
    f : callable, Tensor (n,) float64 -> Tensor (n,)
    breaks : sequence of float, default=()
    resolution : float, default=0.1
        Largest panel width; use about 0.25 / sqrt(q) for f(sqrt(q) z). Panels are never narrower than
        1.5e-3 (at most 2^14 of them, plus the breaks).

    Examples
    --------
    >>> round(gaussian_expectation(lambda z: z**2), 12)
    1.0
    >>> round(gaussian_expectation(lambda z: (z > 0).double(), breaks=[0.0]), 12)
    0.5
    """
    n_panels = min(_MAX_PANELS, int(math.ceil(2 * _TAIL / _check_positive(resolution, "resolution"))))
    grid = np.linspace(-_TAIL, _TAIL, n_panels + 1)
    edges = np.unique(np.concatenate([grid, [float(b) for b in breaks if -_TAIL < b < _TAIL]]))
    nodes, weights = np.polynomial.legendre.leggauss(_LEGENDRE_NODES)
    lo, hi = edges[:-1, None], edges[1:, None]  # (P, 1)
    z = torch.from_numpy((0.5 * (hi - lo) * nodes + 0.5 * (hi + lo)).ravel())  # (P * 16,)
    w = torch.from_numpy((0.5 * (hi - lo) * weights).ravel())  # (P * 16,)
    density = torch.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    return float((w * density * f(z)).sum())


def activation_slope(activation: str, z: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """phi'(z) from the activation table (`depthlab.activations`; left slope at a kink). z: (...,) -> (...,)."""
    return activation_rule(check_activation(activation)).gain(z, negative_slope)


def activation_kinks(activation: str, negative_slope: float = 0.01) -> tuple[float, ...]:
    """Pre-activations where a piecewise-linear activation's slope jumps (relu: (0,), hardtanh: (-1, 1)); () if
    smooth. Read from the activation table, so the rule stays in `depthlab.activations`."""
    return tuple(activation_rule(check_activation(activation)).kinks or ())


def _expectation_at(f: Callable[[torch.Tensor], torch.Tensor], activation: str, q: float) -> float:
    """E[f(sqrt(q) z)], with panels split at the kinks of phi(sqrt(q) z) and about 1 / (4 sqrt(q)) wide."""
    root = math.sqrt(q)
    breaks = tuple(k / root for k in activation_kinks(activation)) if q > 0 else ()
    return gaussian_expectation(lambda z: f(root * z), breaks, resolution=min(0.1, 0.25 / max(root, 1e-12)))


def _check_sigmas(sigma_w, sigma_b) -> tuple[float, float]:
    for value, name in ((sigma_w, "sigma_w"), (sigma_b, "sigma_b")):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not value >= 0:
            raise ValueError(f"The '{name}' parameter must be a float >= 0. Got {value!r} instead.")
    return float(sigma_w), float(sigma_b)


def length_map(q: float, sigma_w: float, sigma_b: float, activation: str = "tanh") -> float:
    """One layer of the mean-field length map: q -> sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2 (Poole et al.).

    Examples
    --------
    >>> round(length_map(1.0, 2.0 ** 0.5, 0.0, "relu"), 12)
    1.0
    """
    sigma_w, sigma_b = _check_sigmas(sigma_w, sigma_b)
    check_activation(activation)
    if not q >= 0:
        raise ValueError(f"The 'q' parameter must be a float >= 0. Got {q!r} instead.")
    second = _expectation_at(lambda u: apply_activation(activation, u) ** 2, activation, q)
    return sigma_w**2 * second + sigma_b**2


def length_fixed_point(
    sigma_w: float, sigma_b: float, activation: str = "tanh", q0: float = 1.0, tol: float = 1e-13,
    max_iter: int = 100_000,
) -> float:
    """q*, the fixed point the length map reaches when iterated from q0 (the stable one).

    Raises ValueError when it has not converged (relative change > tol) within max_iter layers, e.g.
    for ReLU with sigma_w^2 > 2, whose lengths grow without bound.
    """
    q = float(q0)
    for _ in range(max_iter):
        nxt = length_map(q, sigma_w, sigma_b, activation)
        if abs(nxt - q) <= tol * max(nxt, 1e-300) or nxt == q:
            return nxt
        if not math.isfinite(nxt) or nxt > 1e300:
            break
        q = nxt
    raise ValueError(
        f"The length map of {activation} with sigma_w={sigma_w}, sigma_b={sigma_b} has no fixed point reached "
        f"from q0={q0} within {max_iter} iterations (last q = {q:.6g})."
    )


def chi_1(sigma_w: float, sigma_b: float, activation: str = "tanh", q: float | None = None) -> float:
    """chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]: the mean squared stretch of a tangent vector per layer.

    Poole et al. 2016: ordered (chi_1 < 1) or chaotic (chi_1 > 1) phase; curve lengths grow by about
    sqrt(chi_1) per layer at large width. `q` defaults to `length_fixed_point(sigma_w, sigma_b, activation)`.

    Examples
    --------
    >>> round(chi_1(2.0 ** 0.5, 0.0, "relu", q=1.0), 12)
    1.0
    """
    sigma_w, sigma_b = _check_sigmas(sigma_w, sigma_b)
    q = length_fixed_point(sigma_w, sigma_b, activation) if q is None else float(q)
    slope_sq = _expectation_at(lambda u: activation_slope(activation, u) ** 2, activation, q)
    return sigma_w**2 * slope_sq


def raghu_growth_factor(sigma_w: float, sigma_b: float, width: int) -> float:
    """Raghu et al. 2017 Thm. 1 (hard-tanh, width k): the per-layer factor of their trajectory-length lower bound.

    sigma_w sqrt(k) / sqrt(sigma_w^2 + sigma_b^2 + k sqrt(sigma_w^2 + sigma_b^2)), with W ~ N(0, sigma_w^2 / k),
    b ~ N(0, sigma_b^2). The theorem states E[length at depth d] >= O(factor^d) x input length.

    Examples
    --------
    >>> round(raghu_growth_factor(4.0, 0.0, 10**12), 4)
    2.0
    """
    sigma_w, sigma_b = _check_sigmas(sigma_w, sigma_b)
    k = check_int(width, "width", 1)
    s = sigma_w**2 + sigma_b**2
    return sigma_w * math.sqrt(k) / math.sqrt(s + k * math.sqrt(s))
