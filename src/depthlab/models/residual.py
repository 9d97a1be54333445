"""Residual MLPs in the lecture's notation, one or M at a time.

    h_0     = P x + p                                  input projection   (D,)
    h_{k+1} = h_k + s * a[beta_k + Omega_k h_k]        k = 0..L-1         (D,)
    y       = Q h_L + q                                output projection  (D_o,)

`s` is the branch multiplier: 1 for the plain residual net, 1/sqrt(L) for the scaled variant
(`scaled=True`), which keeps the activation length from growing with depth at He initialization
(Hanin & Rolnick 2018's FM1 for ResNets). `ResidualNetwork.to_torch()` gives an exactly equivalent
`ResidualMLP` module; `ResidualBatch` holds M of one shape as stacked tensors and trains with `fit_many`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from depthlab.activations import activation_module, activation_of_module, apply_activation, check_activation
from depthlab.checks import as_tensor, check_features, check_int
from depthlab.init import InitSpec, init_layer
from depthlab.models.shapes import ResidualShapes


@dataclass(frozen=True)
class ResidualNetwork(ResidualShapes):
    """y = Q h_L + q with h_{k+1} = h_k + s a[beta_k + Omega_k h_k], h_0 = P x + p.

    Parameters
    ----------
    input_weight : Tensor (D, D_i)      P
    input_bias : Tensor (D,)            p
    block_weights : tuple of Tensor (D, D)   Omega_0..Omega_{L-1}
    block_biases : tuple of Tensor (D,)      beta_0..beta_{L-1}
    output_weight : Tensor (D_o, D)     Q
    output_bias : Tensor (D_o,)         q
    activation : str, default="relu"
    branch_scale : float, default=1.0   s
    negative_slope : float, default=0.01

    Examples
    --------
    >>> ResidualNetwork.random(2, 8, 4, 1, scaled=True, seed=0)
    ResidualNetwork(2-[8 x 4 blocks]-1, relu, s=0.5, 321 params)
    """

    input_weight: torch.Tensor
    input_bias: torch.Tensor
    block_weights: tuple[torch.Tensor, ...]
    block_biases: tuple[torch.Tensor, ...]
    output_weight: torch.Tensor
    output_bias: torch.Tensor
    activation: str = "relu"
    branch_scale: float = 1.0
    negative_slope: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "block_weights", tuple(self.block_weights))
        object.__setattr__(self, "block_biases", tuple(self.block_biases))
        check_activation(self.activation)
        d = self.input_weight.shape[0] if self.input_weight.ndim == 2 else -1
        ok = (
            self.input_weight.ndim == 2 and self.input_bias.shape == (d,)
            and len(self.block_weights) == len(self.block_biases)
            and all(w.shape == (d, d) for w in self.block_weights)
            and all(b.shape == (d,) for b in self.block_biases)
            and self.output_weight.ndim == 2 and self.output_weight.shape[1] == d
            and self.output_bias.shape == (self.output_weight.shape[0],)
        )
        if not ok:
            raise ValueError(
                "ResidualNetwork needs P (D, D_i), p (D,), L blocks Omega (D, D) and beta (D,), Q (D_o, D), q (D_o,). "
                f"Got P {tuple(self.input_weight.shape)}, {len(self.block_weights)} block weights "
                f"{sorted({tuple(w.shape) for w in self.block_weights})}, Q {tuple(self.output_weight.shape)}."
            )

    @staticmethod
    def random(
        input_dim: int,
        width: int,
        depth: int,
        output_dim: int,
        init: InitSpec = "he_normal",
        seed: int = 0,
        scaled: bool = False,
        activation: str = "relu",
        dtype: torch.dtype = torch.float64,
    ) -> ResidualNetwork:
        """A random residual net D_i -> D (L = `depth` blocks) -> D_o; `scaled` sets s = 1/sqrt(L).

        Layers are drawn in order (P, Omega_0, ..., Omega_{L-1}, Q) from one generator seeded by `seed`.
        """
        for value, name, low in ((input_dim, "input_dim", 1), (width, "width", 1), (depth, "depth", 0),
                                 (output_dim, "output_dim", 1)):
            check_int(value, name, low)
        generator = torch.Generator().manual_seed(int(seed))
        p_w, p_b = init_layer(init, input_dim, width, generator, dtype)
        blocks = [init_layer(init, width, width, generator, dtype) for _ in range(depth)]
        q_w, q_b = init_layer(init, width, output_dim, generator, dtype)
        scale = 1.0 / math.sqrt(depth) if scaled and depth > 0 else 1.0
        return ResidualNetwork(p_w, p_b, tuple(w for w, _ in blocks), tuple(b for _, b in blocks), q_w, q_b,
                               activation, scale)

    @staticmethod
    def stack(nets: Sequence[ResidualNetwork]) -> ResidualBatch:
        """M residual nets of one shape as a `ResidualBatch` (the `depthlab.models.Model` protocol)."""
        return ResidualBatch.from_networks(nets)

    # ------------------------------------------------------------------ shape facts: `depthlab.models.shapes`
    def __repr__(self) -> str:
        return (f"ResidualNetwork({self.input_dim}-[{self.width} x {self.depth} blocks]-{self.output_dim}, "
                f"{self.activation}, s={self.branch_scale:g}, {self.n_params} params)")

    # ------------------------------------------------------------------ evaluation
    def forward(self, x) -> torch.Tensor:
        """Network output. x: (B, D_i) or (D_i,) -> (B, D_o)."""
        x = check_features(as_tensor(x, "x", self.dtype), "x", self.input_dim)  # (B, D_i)
        h = torch.addmm(self.input_bias, x, self.input_weight.T)  # (B, D)
        for omega, beta in zip(self.block_weights, self.block_biases):
            branch = apply_activation(self.activation, torch.addmm(beta, h, omega.T), self.negative_slope)  # (B, D)
            h = h + self.branch_scale * branch
        return torch.addmm(self.output_bias, h, self.output_weight.T)  # (B, D_o)

    __call__ = forward

    def to(self, dtype: torch.dtype) -> ResidualNetwork:
        return ResidualNetwork(
            self.input_weight.to(dtype), self.input_bias.to(dtype), tuple(w.to(dtype) for w in self.block_weights),
            tuple(b.to(dtype) for b in self.block_biases), self.output_weight.to(dtype), self.output_bias.to(dtype),
            self.activation, self.branch_scale, self.negative_slope,
        )

    def to_torch(self) -> ResidualMLP:
        """An exactly equivalent `ResidualMLP` module (same dtype)."""
        return ResidualMLP(self)

    @staticmethod
    def from_torch(module: ResidualMLP) -> ResidualNetwork:
        """The `ResidualNetwork` of a `ResidualMLP` (copies the tensors)."""
        if not isinstance(module, ResidualMLP):
            raise ValueError(f"The 'module' parameter must be a ResidualMLP. Got {type(module).__name__} instead.")
        name, slope = activation_of_module(module.act)
        copy = (lambda t: t.detach().clone())  # noqa: E731
        return ResidualNetwork(
            copy(module.inp.weight), copy(module.inp.bias), tuple(copy(b.weight) for b in module.blocks),
            tuple(copy(b.bias) for b in module.blocks), copy(module.out.weight), copy(module.out.bias),
            name, module.branch_scale, slope,
        )


class ResidualMLP(nn.Module):
    """torch module of a `ResidualNetwork`: inp (Linear), blocks (ModuleList of Linear), act, out (Linear)."""

    def __init__(self, net: ResidualNetwork) -> None:
        super().__init__()
        self.inp = _linear(net.input_weight, net.input_bias)
        self.blocks = nn.ModuleList(_linear(w, b) for w, b in zip(net.block_weights, net.block_biases))
        self.out = _linear(net.output_weight, net.output_bias)
        self.act = activation_module(net.activation, net.negative_slope)
        self.branch_scale = float(net.branch_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)  # (B, D)
        for block in self.blocks:
            h = h + self.branch_scale * self.act(block(h))  # (B, D)
        return self.out(h)  # (B, D_o)


def _linear(weight: torch.Tensor, bias: torch.Tensor) -> nn.Linear:
    linear = nn.Linear(weight.shape[1], weight.shape[0], dtype=weight.dtype)
    with torch.no_grad():
        linear.weight.copy_(weight)
        linear.bias.copy_(bias)
    return linear


@dataclass(frozen=True)
class ResidualBatch(ResidualShapes):
    """M residual nets of one shape, stacked: P (M, D, D_i), p (M, D), Omega (M, L, D, D), beta (M, L, D),
    Q (M, D_o, D), q (M, D_o). Trains with `depthlab.train.fit_many`."""

    input_weight: torch.Tensor
    input_bias: torch.Tensor
    block_weights: torch.Tensor
    block_biases: torch.Tensor
    output_weight: torch.Tensor
    output_bias: torch.Tensor
    activation: str = "relu"
    branch_scale: float = 1.0
    negative_slope: float = 0.01

    @staticmethod
    def from_networks(nets: Sequence[ResidualNetwork]) -> ResidualBatch:
        """Stack residual nets of one shape, activation, branch scale and dtype."""
        nets = list(nets)
        if not nets or not all(isinstance(n, ResidualNetwork) for n in nets):
            raise ValueError("The 'nets' parameter must be a non-empty list of ResidualNetwork.")
        first = nets[0]
        key = (lambda n: (n.input_dim, n.width, n.depth, n.output_dim, n.activation, n.branch_scale,  # noqa: E731
                          n.negative_slope, n.dtype))
        bad = [i for i, n in enumerate(nets) if key(n) != key(first)]
        if bad:
            raise ValueError(
                "The 'nets' parameter must hold residual nets of one shape, activation, scale and dtype. "
                f"Got {first!r} at 0 and {nets[bad[0]]!r} at {bad[0]}."
            )
        d = first.width

        def blocks(n: ResidualNetwork, which: str, shape: tuple) -> torch.Tensor:
            parts = getattr(n, which)
            return torch.stack(parts) if parts else torch.zeros((0, *shape), dtype=first.dtype)

        return ResidualBatch(
            torch.stack([n.input_weight for n in nets]), torch.stack([n.input_bias for n in nets]),
            torch.stack([blocks(n, "block_weights", (d, d)) for n in nets]),
            torch.stack([blocks(n, "block_biases", (d,)) for n in nets]),
            torch.stack([n.output_weight for n in nets]), torch.stack([n.output_bias for n in nets]),
            first.activation, first.branch_scale, first.negative_slope,
        )

    def __len__(self) -> int:
        return self.input_weight.shape[0]

    def __repr__(self) -> str:
        m, d, d_in = self.input_weight.shape
        return (f"ResidualBatch({m} x {d_in}-[{d} x {self.block_weights.shape[1]} blocks]-{self.output_dim}, "
                f"{self.activation}, s={self.branch_scale:g})")

    def parameters(self) -> list[torch.Tensor]:
        """[P, p, Omega, beta, Q, q], each with leading dimension M."""
        return [self.input_weight, self.input_bias, self.block_weights, self.block_biases, self.output_weight,
                self.output_bias]

    def with_parameters(self, params: Sequence[torch.Tensor]) -> ResidualBatch:
        return ResidualBatch(*params, self.activation, self.branch_scale, self.negative_slope)

    def forward_with(self, params: Sequence[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """Outputs (M, N, D_o) with `params` in place of the batch's tensors. x: (N, D_i) or (M, N, D_i)."""
        p_w, p_b, omegas, betas, q_w, q_b = params
        if x.ndim == 2:
            h = torch.matmul(x, p_w.transpose(1, 2)) + p_b[:, None, :]  # (M, N, D)
        else:
            h = torch.baddbmm(p_b[:, None, :], x, p_w.transpose(1, 2))  # (M, N, D)
        for k in range(omegas.shape[1]):
            z = torch.baddbmm(betas[:, k, None, :], h, omegas[:, k].transpose(1, 2))  # (M, N, D)
            h = h + self.branch_scale * apply_activation(self.activation, z, self.negative_slope)
        return torch.baddbmm(q_b[:, None, :], h, q_w.transpose(1, 2))  # (M, N, D_o)

    def forward(self, x) -> torch.Tensor:
        """Outputs of all models. x: (N, D_i) or (M, N, D_i) -> (M, N, D_o)."""
        return self.forward_with(self.parameters(), as_tensor(x, "x", self.dtype))

    __call__ = forward

    def to(self, dtype: torch.dtype) -> ResidualBatch:
        return self.with_parameters([p.to(dtype) for p in self.parameters()])

    def to_networks(self) -> list[ResidualNetwork]:
        """One `ResidualNetwork` per model (copies)."""
        return [
            ResidualNetwork(
                self.input_weight[m].clone(), self.input_bias[m].clone(),
                tuple(w.clone() for w in self.block_weights[m]), tuple(b.clone() for b in self.block_biases[m]),
                self.output_weight[m].clone(),
                self.output_bias[m].clone(), self.activation, self.branch_scale, self.negative_slope,
            )
            for m in range(len(self))
        ]
