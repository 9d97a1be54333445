"""Loss landscapes (Li et al. 2018): the loss over a plane through trained weights, many points at a time.

    theta(a, b) = theta* + a d1 + b d2

d1, d2 are random directions made comparable to the network by filter normalization
(`filter_normalized_direction`): each neuron's incoming weight row of a direction is rescaled to the
norm of the same row of the network; bias entries are set to 0 (their ``--xignore biasbn``).

`loss_surface` evaluates a grid x grid plane as batches of networks (`NetworkBatch` stacks, one
batched product per layer for every point of a chunk). For a `Network` the first layer is linear in
the coordinates, X Omega_0(a, b)^T = X Omega_0^T + a X D1_0^T + b X D2_0^T, so its three products
are computed once for the whole grid. `ResidualNetwork`s are evaluated as `ResidualBatch` stacks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from depthlab.activations import apply_activation
from depthlab.checks import as_tensor, check_features, check_int
from depthlab.models.batch import stacked_layers
from depthlab.models.network import Network
from depthlab.models.residual import ResidualBatch, ResidualNetwork
from depthlab.train.losses import check_choice, check_targets, per_model_accuracy, per_model_loss

Model = Network | ResidualNetwork
LANDSCAPE_LOSSES: tuple[str, ...] = ("cross_entropy", "mse")


def _check_model(net, name: str = "net") -> Model:
    if not isinstance(net, (Network, ResidualNetwork)):
        raise ValueError(
            f"The '{name}' parameter must be a depthlab Network or ResidualNetwork. Got {type(net).__name__} instead."
        )
    return net


def parameters_of(net: Model) -> list[torch.Tensor]:
    """The model's tensors in a fixed order: weight matrices (out, in) and bias vectors (out,).

    Network: Omega_0..Omega_K, beta_0..beta_K. ResidualNetwork: P, p, Omega_0..Omega_{L-1}, beta_0..beta_{L-1}, Q, q.
    """
    if isinstance(net, Network):
        return [*net.weights, *net.biases]
    return [net.input_weight, net.input_bias, *net.block_weights, *net.block_biases, net.output_weight,
            net.output_bias]


def with_parameters(net: Model, params: Sequence[torch.Tensor]) -> Model:
    """A model of `net`'s shape and activation holding `params` (ordered as `parameters_of`)."""
    params = list(params)
    if isinstance(net, Network):
        k = len(net.weights)
        return Network(tuple(params[:k]), tuple(params[k:]), net.activation, net.negative_slope)
    depth = net.depth
    return ResidualNetwork(params[0], params[1], tuple(params[2 : 2 + depth]), tuple(params[2 + depth : 2 + 2 * depth]),
                           params[-2], params[-1], net.activation, net.branch_scale, net.negative_slope)


def filter_normalized_direction(net: Model, seed: int = 0, ignore_biases: bool = True) -> Model:
    """A random direction shaped like `net`, filter-normalized (Li et al. 2018, for an MLP).

    Every entry is drawn N(0, 1) from a generator seeded by `seed`; each row of each weight matrix (one
    neuron's incoming weights, Li et al.'s filter) is then rescaled to the norm of the same row of `net`.
    Bias vectors are zero when `ignore_biases` (their ``--xignore biasbn``); otherwise they copy the
    network's biases, as their code does for 1-D parameters without that flag.

    Parameters
    ----------
    net : Network or ResidualNetwork
    seed : int, default=0
    ignore_biases : bool, default=True

    Returns
    -------
    A model of the same type and shape holding the direction.

    Examples
    --------
    >>> net = Network.random([4, 6, 3], seed=0)
    >>> d = filter_normalized_direction(net, seed=1)
    >>> bool(torch.allclose(d.weights[0].norm(dim=1), net.weights[0].norm(dim=1))), float(d.biases[0].abs().sum())
    (True, 0.0)
    """
    net = _check_model(net)
    generator = torch.Generator().manual_seed(int(seed))
    direction = []
    for p in parameters_of(net):
        if p.ndim == 1:
            direction.append(torch.zeros_like(p) if ignore_biases else p.clone())
            continue
        d = torch.randn(p.shape, generator=generator, dtype=p.dtype)  # (out, in)
        d = d * (p.norm(dim=1, keepdim=True) / d.norm(dim=1, keepdim=True).clamp_min(1e-300))
        direction.append(d)
    return with_parameters(net, direction)


def network_at(net: Model, directions: Sequence[Model], coords: Sequence[float]) -> Model:
    """theta* + sum_i coords[i] directions[i]: the model at one point of the plane (or line)."""
    net = _check_model(net)
    deltas = _deltas(net, directions)
    if len(coords) != len(deltas):
        raise ValueError(f"The 'coords' parameter must have {len(deltas)} entries. Got {len(coords)} instead.")
    params = []
    for i, p in enumerate(parameters_of(net)):
        moved = p.clone()
        for c, delta in zip(coords, deltas):
            moved = moved + float(c) * delta[i]
        params.append(moved)
    return with_parameters(net, params)


def _deltas(net: Model, directions: Sequence[Model]) -> list[list[torch.Tensor]]:
    deltas = []
    for i, d in enumerate(directions):
        _check_model(d, f"directions[{i}]")
        ours, theirs = parameters_of(net), parameters_of(d)
        if type(d) is not type(net) or [p.shape for p in ours] != [q.shape for q in theirs]:
            raise ValueError(f"The 'directions' parameter must hold models shaped like 'net'. Entry {i} is {d!r}.")
        deltas.append([q.to(net.dtype) for q in theirs])
    return deltas


# ------------------------------------------------------------------------------------------ batched evaluation


def _moved(params: list[torch.Tensor], deltas: list[list[torch.Tensor]], coords: torch.Tensor, i: int) -> torch.Tensor:
    """Parameter i at every point of a chunk: p + sum_j coords[:, j] delta_j. coords: (M, J) -> (M, *p.shape)."""
    p = params[i]
    shape = (-1,) + (1,) * p.ndim
    out = p.expand(coords.shape[0], *p.shape)
    for j, delta in enumerate(deltas):
        out = out + coords[:, j].reshape(shape) * delta[i]
    return out


def _network_outputs(net: Network, deltas, coords: torch.Tensor, first: tuple) -> torch.Tensor:
    """Outputs (M, N, D_o) of a Network at M points, the first layer read from its precomputed products."""
    params, k = parameters_of(net), len(net.weights)
    x_omega, x_deltas = first  # (N, D_1), [(N, D_1)] per direction
    z = x_omega.expand(coords.shape[0], *x_omega.shape)  # (M, N, D_1)
    for j, xd in enumerate(x_deltas):
        z = z + coords[:, j, None, None] * xd
    z = z + _moved(params, deltas, coords, k)[:, None, :]  # + beta_0(a, b): (M, N, D_1)
    if k == 1:
        return z
    weights = [_moved(params, deltas, coords, i) for i in range(1, k)]  # (M, D_{i+1}, D_i)
    biases = [_moved(params, deltas, coords, k + i) for i in range(1, k)]  # (M, D_{i+1})
    h = apply_activation(net.activation, z, net.negative_slope)  # (M, N, D_1)
    *_, output = stacked_layers(weights, biases, h, net.activation, net.negative_slope)
    return output  # (M, N, D_o)


def _residual_outputs(net: ResidualNetwork, deltas, coords: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Outputs (M, N, D_o) of a ResidualNetwork at M points, as one ResidualBatch."""
    params, depth = parameters_of(net), net.depth
    moved = [_moved(params, deltas, coords, i) for i in range(len(params))]
    stack = (lambda ts, shape: torch.stack(ts, dim=1) if ts else torch.zeros(coords.shape[0], 0, *shape,  # noqa: E731
                                                                             dtype=net.dtype))
    batch = ResidualBatch(moved[0], moved[1], stack(moved[2 : 2 + depth], (net.width, net.width)),
                          stack(moved[2 + depth : 2 + 2 * depth], (net.width,)), moved[-2], moved[-1],
                          net.activation, net.branch_scale, net.negative_slope)
    return batch(x)


def _points_per_chunk(net: Model, n_rows: int, max_bytes: float) -> int:
    widest = max(max(p.shape) for p in parameters_of(net))
    per_point = 8 * (3 * n_rows * widest + sum(p.numel() for p in parameters_of(net)))
    return max(1, int(max_bytes // per_point))


def _moved_one(params: list[torch.Tensor], deltas, coords: list[float], i: int) -> torch.Tensor:
    """Parameter i at one point: p + sum_j coords[j] delta_j."""
    out = params[i]
    for c, delta in zip(coords, deltas):
        out = torch.add(out, delta[i], alpha=c)
    return out


def _network_point(net: Network, deltas, point: torch.Tensor, first: tuple) -> torch.Tensor:
    """Output (N, D_o) of a Network at one point, the first layer from its precomputed products."""
    params, k, coords = parameters_of(net), len(net.weights), point.tolist()
    x_omega, x_deltas = first
    z = x_omega + _moved_one(params, deltas, coords, k)  # X Omega_0^T + beta_0(a, b): (N, D_1)
    for c, xd in zip(coords, x_deltas):
        z.add_(xd, alpha=c)  # + a X D1_0^T + b X D2_0^T
    for i in range(1, k):
        h = apply_activation(net.activation, z, net.negative_slope)  # (N, D_i)
        z = torch.addmm(_moved_one(params, deltas, coords, k + i), h, _moved_one(params, deltas, coords, i).T)
    return z  # (N, D_o)


def evaluate_points(
    net: Model, directions: Sequence[Model], coords, x, y, loss: str = "cross_entropy", batched: bool = False,
    max_batch_bytes: float = 2**27,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Loss (and accuracy) of theta* + sum_j coords[:, j] d_j at every row of coords, many points per batch.

    Parameters
    ----------
    net : Network or ResidualNetwork
    directions : sequence of J models shaped like net
    coords : array-like, shape (P, J)
    x : array-like (N, D_i); y : (N,) class indices for "cross_entropy", (N, D_o) or (N,) for "mse"
    loss : {"cross_entropy", "mse"}, default="cross_entropy"
    batched : bool, default=False
        False: one point at a time (faster on CPU, module docstring); True: chunks of points as stacked
        networks. The values agree to rounding (about 1e-15).
    max_batch_bytes : float, default=2**27
        Memory for one chunk of points (their stacked parameters and activations) when batched.

    Returns
    -------
    loss (P,) float64 and accuracy (P,) float64 (None for "mse").
    """
    net = _check_model(net)
    check_choice(loss, "loss", LANDSCAPE_LOSSES)
    deltas = _deltas(net, directions)
    coords = as_tensor(coords, "coords", net.dtype)
    if coords.ndim != 2 or coords.shape[1] != len(deltas):
        raise ValueError(
            f"The 'coords' parameter must have shape (P, {len(deltas)}). Got {tuple(coords.shape)} instead."
        )
    x = check_features(as_tensor(x, "x", net.dtype), "x", net.input_dim)  # (N, D_i)
    y = check_targets(as_tensor(y, "y", torch.float64), loss, x.shape[0], net.output_dim, net.dtype)
    chunk = _points_per_chunk(net, x.shape[0], max_batch_bytes) if batched else 1
    losses, accuracies = [], []
    with torch.no_grad():
        first = None
        if isinstance(net, Network):  # one product for Omega_0 and every direction's first layer
            stacked = x @ torch.cat([net.weights[0], *(delta[0] for delta in deltas)]).T  # (N, (1 + J) D_1)
            parts = stacked.split(net.weights[0].shape[0], dim=1)
            first = (parts[0], list(parts[1:]))
        for start in range(0, coords.shape[0], chunk):
            part = coords[start : start + chunk]  # (M, J)
            if not batched:
                single = (_network_point(net, deltas, part[0], first) if first is not None
                          else network_at(net, directions, part[0].tolist())(x))  # (N, D_o)
                out = single[None]  # (1, N, D_o)
            elif first is not None:
                out = _network_outputs(net, deltas, part, first)  # (M, N, D_o)
            else:
                out = _residual_outputs(net, deltas, part, x)  # (M, N, D_o)
            target = y.expand(part.shape[0], *y.shape)
            losses.append(per_model_loss(out, target, loss).to(torch.float64))
            if loss == "cross_entropy":
                accuracies.append(per_model_accuracy(out, target, loss))
    return torch.cat(losses), (torch.cat(accuracies) if accuracies else None)


# ------------------------------------------------------------------------------------------ surfaces and lines


@dataclass(frozen=True)
class Surface:
    """What `loss_surface` returns.

    alphas, betas : (grid,) coordinates along d1 and d2.
    loss : (grid, grid) with loss[i, j] at theta* + alphas[i] d1 + betas[j] d2.
    accuracy : (grid, grid) or None (mse).
    seconds : wall time of the evaluation.
    """

    alphas: torch.Tensor
    betas: torch.Tensor
    loss: torch.Tensor
    accuracy: torch.Tensor | None
    seconds: float

    @property
    def center_loss(self) -> float:
        """The loss at the grid point nearest (0, 0)."""
        i, j = int(self.alphas.abs().argmin()), int(self.betas.abs().argmin())
        return float(self.loss[i, j])


def _check_span(span) -> tuple[float, float]:
    if len(span) != 2 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in span) or span[0] >= span[1]:
        raise ValueError(f"The 'span' parameter must be (low, high) with low < high. Got {span!r} instead.")
    return float(span[0]), float(span[1])


def loss_surface(
    net: Model, x, y, directions: Sequence[Model], grid: int = 51, span: Sequence[float] = (-1.0, 1.0),
    loss: str = "cross_entropy", batched: bool = False, max_batch_bytes: float = 2**27,
) -> Surface:
    """The loss over the plane theta* + a d1 + b d2 on a grid x grid lattice of span x span.

    Parameters
    ----------
    net : Network or ResidualNetwork (theta*)
    x, y : the data (see `evaluate_points`)
    directions : (d1, d2), e.g. two `filter_normalized_direction`s
    grid : int, default=51 (Li et al.'s default: 2,601 points)
    span : (low, high), default=(-1, 1)
    loss : {"cross_entropy", "mse"}, default="cross_entropy"
    batched, max_batch_bytes : see `evaluate_points`

    Returns
    -------
    Surface

    Examples
    --------
    >>> net = Network.random([3, 8, 2], seed=0)
    >>> x, y = torch.randn(20, 3, dtype=torch.float64), torch.arange(20) % 2
    >>> ds = [filter_normalized_direction(net, seed=s) for s in (1, 2)]
    >>> surface = loss_surface(net, x, y, ds, grid=5)
    >>> tuple(surface.loss.shape), tuple(surface.accuracy.shape)
    ((5, 5), (5, 5))
    """
    grid = check_int(grid, "grid", 1)
    low, high = _check_span(span)
    if len(directions) != 2:
        raise ValueError(f"The 'directions' parameter must hold two directions (d1, d2). Got {len(directions)}.")
    axis = torch.linspace(low, high, grid, dtype=torch.float64)  # (G,)
    coords = torch.cartesian_prod(axis, axis).reshape(grid * grid, 2)  # (G^2, 2), row i*G + j = (a_i, b_j)
    start = time.perf_counter()
    losses, accuracy = evaluate_points(net, directions, coords, x, y, loss, batched, max_batch_bytes)
    seconds = time.perf_counter() - start
    return Surface(axis, axis.clone(), losses.reshape(grid, grid),
                   None if accuracy is None else accuracy.reshape(grid, grid), seconds)


@dataclass(frozen=True)
class Line:
    """What `loss_along_line` returns: t (n,), loss (n,), accuracy (n,) or None, at (1 - t) theta_a + t theta_b."""

    t: torch.Tensor
    loss: torch.Tensor
    accuracy: torch.Tensor | None


def loss_along_line(
    net_a: Model, net_b: Model, x, y, n: int = 51, span: Sequence[float] = (0.0, 1.0), loss: str = "cross_entropy",
) -> Line:
    """The loss on the segment (1 - t) theta_a + t theta_b, t on n points of span (e.g. init -> solution).

    Examples
    --------
    >>> a, b = Network.random([3, 8, 2], seed=0), Network.random([3, 8, 2], seed=1)
    >>> x, y = torch.randn(20, 3, dtype=torch.float64), torch.arange(20) % 2
    >>> line = loss_along_line(a, b, x, y, n=3)
    >>> line.t.tolist()
    [0.0, 0.5, 1.0]
    """
    net_a, net_b = _check_model(net_a, "net_a"), _check_model(net_b, "net_b")
    n = check_int(n, "n", 2)
    low, high = _check_span(span)
    if type(net_a) is not type(net_b) or [p.shape for p in parameters_of(net_a)] != [
            p.shape for p in parameters_of(net_b)]:
        raise ValueError(f"The 'net_b' parameter must be shaped like 'net_a'. Got {net_b!r} and {net_a!r}.")
    direction = with_parameters(net_a, [b.to(a.dtype) - a for a, b in zip(parameters_of(net_a), parameters_of(net_b))])
    t = torch.linspace(low, high, n, dtype=torch.float64)
    losses, accuracy = evaluate_points(net_a, [direction], t[:, None], x, y, loss)
    return Line(t, losses, accuracy)


def loss_increase(
    net: Model, x, y, directions: Sequence[Model], radius: float, n_angles: int = 64, loss: str = "cross_entropy",
) -> float:
    """Sharpness at `radius`: mean loss on the circle a^2 + b^2 = radius^2 of the (d1, d2) plane minus the loss at 0."""
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not radius > 0:
        raise ValueError(f"The 'radius' parameter must be a float > 0. Got {radius!r} instead.")
    n_angles = check_int(n_angles, "n_angles", 1)
    angle = 2 * math.pi * torch.arange(n_angles, dtype=torch.float64) / n_angles
    coords = torch.cat([torch.zeros(1, 2, dtype=torch.float64),
                        radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)])  # (1 + A, 2)
    losses, _ = evaluate_points(net, directions, coords, x, y, loss)
    return float(losses[1:].mean() - losses[0])
