"""Product gadgets: ReLU networks that multiply, deep (Yarotsky 2017) and shallow (polarization).

Deep. Yarotsky's square: on [0, 1], f_m(x) = x - sum_{s=1..m} g_s(x) / 4^s (g_s the sawtooth T^s) is
the piecewise-linear interpolant of x^2 at the 2^m + 1 points j / 2^m, so 0 <= f_m(x) - x^2 <= 2^(-2m-2).
`square_net(m)` computes it with m hidden layers of 3 units (carry x / running sum, two tent units).
`multiply2_net(m)`: xy = (|x + y| / 2)^2 - (|x - y| / 2)^2 on [-1, 1]^2, |z| = relu(z) + relu(-z), so
one abs layer of 4 units then two squares side by side: 1 + m layers, 4 + 6m units, error <= 2^(-2m-2).
`product_tree_net(n, m)`: multiply pairs, then pairs of products, ...: ceil(log2 n) levels of
multipliers (an odd value rides along through identity units), depth ceil(log2 n) (m + 1), width O(n).

Shallow. Rolnick & Tegmark 2018 multiply n inputs with 2^n neurons of a *smooth* activation
(sigma^(n)(0) != 0); for ReLU that construction does not apply. The defensible shallow ReLU analogue
used here is the same polarization identity,

    x_1 ... x_n = 1 / (2^(n-1) n!) sum_{s in {+-1}^n, s_1 = +1} (s_1 ... s_n) (s . x)^n,

with each ridge t -> t^n (t = s . x in [-n, n]) replaced by its piecewise-linear interpolant on `knots`
uniform knots: one hidden layer of 2^(n-1) * knots ReLU units. `shallow_product_net(n, knots)`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from depthlab.checks import check_int
from depthlab.construct.compose import compose
from depthlab.models.network import Network


def _network(layers: Sequence[tuple[np.ndarray, np.ndarray]]) -> Network:
    """A float64 Network from [(Omega_k (D_{k+1}, D_k), beta_k (D_{k+1},)), ...] numpy pairs."""
    weights = tuple(torch.as_tensor(np.asarray(w, dtype=np.float64)) for w, _ in layers)
    biases = tuple(torch.as_tensor(np.asarray(b, dtype=np.float64)) for _, b in layers)
    return Network(weights, biases)


def parallel(*nets: Network) -> Network:
    """Networks side by side on concatenated inputs: (x_1, ..., x_r) -> (net_1(x_1), ..., net_r(x_r)).

    All networks must have the same depth; weights become block diagonal.

    Examples
    --------
    >>> parallel(square_net(2), square_net(3))
    Traceback (most recent call last):
    ...
    ValueError: The 'nets' parameter must be networks of one depth to run in parallel. Got depths [2, 3] instead.
    """
    depths = [net.depth for net in nets]
    if not nets or len(set(depths)) != 1:
        raise ValueError(f"The 'nets' parameter must be networks of one depth to run in parallel. Got depths {depths} "
                         "instead.")
    weights = tuple(torch.block_diag(*[net.weights[k] for net in nets]) for k in range(depths[0] + 1))
    biases = tuple(torch.cat([net.biases[k] for net in nets]) for k in range(depths[0] + 1))
    return Network(weights, biases)


def identity_net(dim: int, depth: int) -> Network:
    """x -> x exactly for any real x, through `depth` hidden layers of 2 * dim units (relu(x) - relu(-x))."""
    dim, depth = check_int(dim, "dim", 1), check_int(depth, "depth", 1)
    eye = np.eye(dim)
    split = np.concatenate([eye, -eye])  # (2D, D)
    merge = np.concatenate([eye, -eye], axis=1)  # (D, 2D)
    layers = [(split, np.zeros(2 * dim))]
    layers += [(split @ merge, np.zeros(2 * dim)) for _ in range(depth - 1)]
    return _network(layers + [(merge, np.zeros(dim))])


def square_net(m: int) -> Network:
    """Yarotsky's f_m, the interpolant of x^2 at j / 2^m on [0, 1]: m hidden layers of 3 units, 12m - 2 params.

    Layer 1 holds (relu(x), relu(x - 1/2), relu(x)); layer s + 1 holds (relu(g_s), relu(g_s - 1/2), relu(f_s))
    with g_s = 2 h_1 - 4 h_2 the sawtooth and f_s = h_3 - g_s / 4^s >= x^2 >= 0 the running sum.

    Parameters
    ----------
    m : int
        Number of sawtooth terms, >= 1; max error on [0, 1] is 2^(-2m-2) (at the midpoints between knots).

    Examples
    --------
    >>> net = square_net(2)
    >>> net(torch.tensor([[0.0], [0.5], [1.0]], dtype=torch.float64)).flatten().tolist()
    [0.0, 0.25, 1.0]
    """
    m = check_int(m, "m", 1)
    first = (np.array([[1.0], [1.0], [1.0]]), np.array([0.0, -0.5, 0.0]))
    layers = [first]
    for s in range(1, m):
        tent = np.array([2.0, -4.0, 0.0])  # g_s from (h_1, h_2, h_3)
        running = np.array([0.0, 0.0, 1.0]) - tent / 4.0**s  # f_s = h_3 - g_s / 4^s
        layers.append((np.stack([tent, tent, running]), np.array([0.0, -0.5, 0.0])))
    out = np.array([0.0, 0.0, 1.0]) - np.array([2.0, -4.0, 0.0]) / 4.0**m
    return _network(layers + [(out[None, :], np.zeros(1))])


def _abs_pair_net(bound: float) -> Network:
    """(x, y) -> (|x + y| / (2 bound), |x - y| / (2 bound)) with one hidden layer of 4 units."""
    plus, minus = np.array([1.0, 1.0]), np.array([1.0, -1.0])
    first = np.stack([plus, -plus, minus, -minus]) / (2.0 * bound)  # (4, 2)
    merge = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])  # (2, 4)
    return _network([(first, np.zeros(4)), (merge, np.zeros(2))])


def multiply2_net(m: int, bound: float = 1.0) -> Network:
    """xy on [-bound, bound]^2 as bound^2 (f_m(|x+y| / 2b) - f_m(|x-y| / 2b)): 1 + m layers, 4 + 6m units.

    Parameters
    ----------
    m : int
        Yarotsky depth of each square, >= 1; |net(x, y) - xy| <= bound^2 2^(-2m-2) on the square.
    bound : float, default=1.0
        Half-width of the input square, > 0.

    Examples
    --------
    >>> net = multiply2_net(3)
    >>> net, round(float(net(torch.tensor([[0.5, -0.5]], dtype=torch.float64))), 6)
    (Network(2-4-6-6-6-1, relu, 133 params), -0.25)
    """
    m = check_int(m, "m", 1)
    if not isinstance(bound, (int, float)) or isinstance(bound, bool) or not bound > 0 or not math.isfinite(bound):
        raise ValueError(f"The 'bound' parameter must be a finite number > 0. Got {bound!r} instead.")
    squares = parallel(square_net(m), square_net(m))
    difference = _network([(np.array([[bound**2, -(bound**2)]]), np.zeros(1))])
    return compose(compose(_abs_pair_net(float(bound)), squares), difference)


def _tree_level(n_values: int, m: int) -> Network:
    """One level of the product tree: pairs multiplied, an odd last value carried through identity units."""
    blocks = [multiply2_net(m) for _ in range(n_values // 2)]
    if n_values % 2:
        blocks.append(identity_net(1, m + 1))
    return parallel(*blocks)


def product_tree_net(n: int, m: int) -> Network:
    """x_1 ... x_n on [-1, 1]^n by a binary tree of `multiply2_net(m)` gadgets: depth ceil(log2 n) (m + 1).

    Parameters
    ----------
    n : int
        Number of inputs, >= 2.
    m : int
        Yarotsky depth of every square, >= 1. Each multiplier errs by at most 2^(-2m-2); the measured
        total is reported by `max_error` (errors add up along the tree, about (n - 1) 2^(-2m-2)).

    Examples
    --------
    >>> net = product_tree_net(3, 2)
    >>> net.depth, net.n_hidden
    (6, 38)
    """
    n, m = check_int(n, "n", 2), check_int(m, "m", 1)
    net, values = None, n
    while values > 1:
        level = _tree_level(values, m)
        net = level if net is None else compose(net, level)
        values = (values + 1) // 2
    return net


def polarization_signs(n: int) -> np.ndarray:
    """The 2^(n-1) sign vectors s in {+-1}^n with s_1 = +1 (rows), the ridge directions. Shape (2^(n-1), n)."""
    n = check_int(n, "n", 1)
    rest = np.array(list(itertools.product([1.0, -1.0], repeat=n - 1))).reshape(-1, n - 1)  # (2^(n-1), n-1)
    return np.concatenate([np.ones((rest.shape[0], 1)), rest], axis=1)


def shallow_product_net(n: int, knots: int = 16) -> Network:
    """One hidden layer of 2^(n-1) * knots ReLU units approximating x_1 ... x_n on [-1, 1]^n (polarization).

    Each ridge (s . x)^n is replaced by its piecewise-linear interpolant at `knots` + 1 uniform points of
    [-n, n]: units relu(s . x - t_j), j = 0..knots-1, t_j = -n + 2n j / knots.

    Parameters
    ----------
    n : int
        Number of inputs, >= 2.
    knots : int, default=16
        Pieces per ridge, >= 1 (the error falls like knots^-2).

    Examples
    --------
    >>> net = shallow_product_net(2, 8)
    >>> net, round(float(net(torch.tensor([[0.5, 0.5]], dtype=torch.float64))), 6)
    (Network(2-16-1, relu, 65 params), 0.25)
    """
    n, knots = check_int(n, "n", 2), check_int(knots, "knots", 1)
    signs = polarization_signs(n)  # (R, n), R = 2^(n-1)
    t = np.linspace(-n, n, knots + 1)  # (knots+1,) interpolation points
    values = t**n  # (knots+1,)
    slopes = np.diff(values) / np.diff(t)  # (knots,)
    jumps = np.concatenate([slopes[:1], np.diff(slopes)])  # (knots,) slope change at t_0..t_{knots-1}
    coefficient = np.prod(signs, axis=1) / (2 ** (n - 1) * math.factorial(n))  # (R,)
    omega0 = np.repeat(signs, knots, axis=0)  # (R * knots, n)
    beta0 = -np.tile(t[:-1], signs.shape[0])  # (R * knots,)
    omega1 = (coefficient[:, None] * jumps[None, :]).reshape(1, -1)  # (1, R * knots)
    beta1 = np.array([values[0] * coefficient.sum()])  # ridge value at t_0 = -n, summed
    return _network([(omega0, beta0), (omega1, beta1)])


def product_of_inputs(x: torch.Tensor) -> torch.Tensor:
    """The target x_1 ... x_n. x: (B, n) -> (B,)."""
    return torch.prod(x, dim=1)


def max_error(
    net: Network,
    f: Callable[[torch.Tensor], torch.Tensor],
    domain: Sequence[Sequence[float]],
    n_points: int = 100_000,
    seed: int = 0,
) -> float:
    """Largest |net(x) - f(x)| over `n_points` uniform random points of a box and all its corners (<= 2^12).

    A sampled maximum: a lower bound on the sup error (exact at the sampled points, float64).

    Parameters
    ----------
    net : Network
        One output.
    f : callable
        (B, D) float64 tensor -> (B,) or (B, 1) target values.
    domain : sequence of (low, high)
        One pair per input dimension.
    n_points : int, default=100_000
    seed : int, default=0
        Seeds the sample (torch.Generator).

    Examples
    --------
    >>> max_error(square_net(3), lambda x: x[:, 0] ** 2, [(0.0, 1.0)], n_points=10_000) <= 2.0 ** -8
    True
    """
    n_points = check_int(n_points, "n_points", 1)
    box = torch.as_tensor(np.asarray(domain, dtype=np.float64))  # (D, 2)
    if box.ndim != 2 or box.shape != (net.input_dim, 2) or not bool((box[:, 0] <= box[:, 1]).all()):
        raise ValueError(f"The 'domain' parameter must be {net.input_dim} (low, high) pairs with low <= high. "
                         f"Got {np.asarray(domain).tolist()!r} instead.")
    generator = torch.Generator().manual_seed(int(seed))
    worst = 0.0
    for start in range(0, n_points, 65_536):
        u = torch.rand(min(65_536, n_points - start), net.input_dim, generator=generator, dtype=torch.float64)
        worst = max(worst, _batch_error(net, f, box[:, 0] + u * (box[:, 1] - box[:, 0])))  # (B, D)
    if net.input_dim <= 12:
        corners = torch.tensor(list(itertools.product([0, 1], repeat=net.input_dim)), dtype=torch.float64)
        worst = max(worst, _batch_error(net, f, box[:, 0] + corners * (box[:, 1] - box[:, 0])))
    return worst


def _batch_error(net: Network, f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> float:
    with torch.no_grad():
        return float((net(x)[:, 0] - f(x).reshape(-1)).abs().max())


def product_dataset(n: int, count: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` uniform points of [-1, 1]^n and their products: x (count, n), y (count, 1), float64.

    Examples
    --------
    >>> x, y = product_dataset(3, 5, seed=0)
    >>> tuple(x.shape), bool(torch.allclose(y[:, 0], x.prod(dim=1)))
    ((5, 3), True)
    """
    n, count = check_int(n, "n", 1), check_int(count, "count", 1)
    generator = torch.Generator().manual_seed(int(seed))
    x = torch.rand(count, n, dtype=torch.float64, generator=generator) * 2 - 1  # (count, n)
    return x, product_of_inputs(x)[:, None]  # (count, 1)


@dataclass(frozen=True)
class ProductConstruction:
    """The smallest construction of one kind found to reach a max-error target on [-1, 1]^n.

    setting : the construction's knob ("m = 3" Yarotsky depth, or "knots = 12" per ridge).
    reached : whether `max_error <= target` (False: the search hit its cap; `net` is the largest tried).
    """

    net: Network
    setting: str
    max_error: float
    reached: bool


def _cube_error(net: Network, n: int, n_points: int, seed: int) -> float:
    return max_error(net, product_of_inputs, [(-1.0, 1.0)] * n, n_points=n_points, seed=seed)


def fewest_tree_depth(
    n: int, target: float, n_points: int = 50_000, seed: int = 0, max_m: int = 10
) -> ProductConstruction:
    """The product tree `product_tree_net(n, m)` with the smallest m <= max_m whose sampled max error <= target.

    The error of each multiplier falls as 2^(-2m-2), so the first m that reaches the target is the smallest.
    """
    for m in range(1, check_int(max_m, "max_m", 1) + 1):
        net = product_tree_net(n, m)
        error = _cube_error(net, n, n_points, seed)
        if error <= target:
            break
    return ProductConstruction(net, f"m = {m}", error, error <= target)


def fewest_polarization_knots(
    n: int, target: float, max_units: int = 65_536, n_points: int = 50_000, seed: int = 0
) -> ProductConstruction:
    """The shallow polarization net with the fewest knots per ridge whose sampled max error <= target.

    Doubling, then bisection (the interpolation error falls with the number of knots); at most
    `max_units` hidden units (2^(n-1) ridges x knots).
    """
    cap = max(1, check_int(max_units, "max_units", 1) // 2 ** (n - 1))
    errors: dict[int, float] = {}

    def error_of(knots: int) -> float:
        if knots not in errors:
            errors[knots] = _cube_error(shallow_product_net(n, knots), n, n_points, seed)
        return errors[knots]

    low, high = 0, 1  # no units (low = 0) never reach a target < 1
    while high < cap and error_of(high) > target:
        low, high = high, min(2 * high, cap)
    reached = error_of(high) <= target
    while reached and high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if error_of(middle) <= target else (middle, high)
    return ProductConstruction(shallow_product_net(n, high), f"knots = {high}", error_of(high), reached)
