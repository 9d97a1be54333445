"""`NetworkBatch`: M fully connected networks of one shape, held as stacked tensors.

    Omega_k of all M models: (M, D_{k+1}, D_k);  beta_k: (M, D_{k+1})

so one batched matrix product runs a layer of every model at once. Model m of a batch is exactly
the `Network` it was built from (or the one `Network.random` draws with `seeds[m]`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from depthlab.activations import apply_activation
from depthlab.checks import as_tensor
from depthlab.init import InitSpec
from depthlab.models.network import Network
from depthlab.models.shapes import MLPShapes


@dataclass(frozen=True)
class NetworkBatch(MLPShapes):
    """M networks with widths [D_i, D_1, ..., D_K, D_o] and one activation.

    Parameters
    ----------
    weights : tuple of Tensor
        Omega_0..Omega_K stacked over models; Omega_k has shape (M, D_{k+1}, D_k).
    biases : tuple of Tensor
        beta_0..beta_K stacked over models; beta_k has shape (M, D_{k+1}).
    activation : str, default="relu"
    negative_slope : float, default=0.01
        Used by leaky_relu only.

    Examples
    --------
    >>> batch = NetworkBatch.random([40, 16, 16, 10], seeds=[0, 1, 2])
    >>> batch
    NetworkBatch(3 x 40-16-16-10, relu, 1098 params each)
    >>> x = torch.randn(5, 40, dtype=torch.float64)
    >>> bool((batch(x)[1] - Network.random([40, 16, 16, 10], seed=1)(x)).abs().max() < 1e-12)
    True
    """

    weights: tuple[torch.Tensor, ...]
    biases: tuple[torch.Tensor, ...]
    activation: str = "relu"
    negative_slope: float = 0.01

    def __post_init__(self) -> None:
        self._check_layers()
        m = self.weights[0].shape[0] if self.weights[0].ndim == 3 else -1
        for k, (omega, beta) in enumerate(zip(self.weights, self.biases)):
            if omega.ndim != 3 or omega.shape[0] != m or beta.shape != omega.shape[:2]:
                raise ValueError(
                    f"Layer {k}: Omega must be 3-D (M, out, in) and beta (M, out) with one M for all layers. "
                    f"Got Omega {tuple(omega.shape)} and beta {tuple(beta.shape)}."
                )
            if k > 0 and omega.shape[2] != self.weights[k - 1].shape[1]:
                raise ValueError(
                    f"Layer {k}: Omega_{k} takes {omega.shape[2]} inputs but layer {k - 1} "
                    f"has {self.weights[k - 1].shape[1]} outputs; widths must chain."
                )

    # ------------------------------------------------------------------ construction
    @staticmethod
    def from_networks(nets: Sequence[Network]) -> NetworkBatch:
        """Stack networks of one shape, activation and dtype into a batch (copies the tensors)."""
        nets = list(nets)
        if not nets or not all(isinstance(net, Network) for net in nets):
            raise ValueError(
                f"The 'nets' parameter must be a non-empty list of Network. Got {_describe(nets)} instead."
            )
        first = nets[0]
        for i, net in enumerate(nets):
            same = (net.widths, net.activation, net.negative_slope, net.dtype) == (
                first.widths, first.activation, first.negative_slope, first.dtype)
            if not same:
                raise ValueError(
                    "The 'nets' parameter must hold networks of one shape, activation and dtype. "
                    f"Got {first!r} ({first.dtype}) at 0 and {net!r} ({net.dtype}) at {i}."
                )
        weights = tuple(torch.stack([net.weights[k] for net in nets]) for k in range(len(first.weights)))
        biases = tuple(torch.stack([net.biases[k] for net in nets]) for k in range(len(first.biases)))
        return NetworkBatch(weights, biases, first.activation, first.negative_slope)

    @staticmethod
    def random(
        widths: Sequence[int],
        seeds: Sequence[int],
        init: InitSpec = "he_normal",
        activation: str = "relu",
        negative_slope: float = 0.01,
        dtype: torch.dtype = torch.float64,
    ) -> NetworkBatch:
        """M random networks, model m = `Network.random(widths, init, seed=seeds[m], ...)` exactly.

        Parameters
        ----------
        widths : sequence of int
            [D_i, D_1, ..., D_K, D_o].
        seeds : sequence of int
            One seed per model; M = len(seeds) >= 1.
        """
        seeds = list(seeds)
        if not seeds:
            raise ValueError("The 'seeds' parameter must list at least one seed. Got [] instead.")
        return NetworkBatch.from_networks(
            [Network.random(widths, init, seed=s, activation=activation, negative_slope=negative_slope, dtype=dtype)
             for s in seeds]
        )

    # ------------------------------------------------------------------ shape facts
    def __len__(self) -> int:
        """M, the number of models."""
        return self.weights[0].shape[0]

    def __repr__(self) -> str:
        shape = "-".join(str(w) for w in self.widths)
        return f"NetworkBatch({len(self)} x {shape}, {self.activation}, {self.n_params} params each)"

    # ------------------------------------------------------------------ evaluation
    def _input(self, x) -> torch.Tensor:
        """Check x: shared (N, D_i) or per-model (M, N, D_i); returns it as is."""
        x = as_tensor(x, "x", self.dtype) if not torch.is_tensor(x) or x.dtype != self.dtype else x
        shared = x.ndim == 2 and x.shape[1] == self.input_dim
        per_model = x.ndim == 3 and x.shape[0] == len(self) and x.shape[2] == self.input_dim
        if not (shared or per_model):
            raise ValueError(
                f"The 'x' parameter must have shape (N, {self.input_dim}) or ({len(self)}, N, {self.input_dim}). "
                f"Got {tuple(x.shape)} instead."
            )
        return x

    def _layers(self, x: torch.Tensor):
        return stacked_layers(self.weights, self.biases, x, self.activation, self.negative_slope)

    def forward(self, x) -> torch.Tensor:
        """Outputs of all models. x: (N, D_i) shared or (M, N, D_i) per model -> (M, N, D_o)."""
        *_, output = self._layers(self._input(x))
        return output  # (M, N, D_o)

    __call__ = forward

    def preactivations(self, x) -> list[torch.Tensor]:
        """Pre-activations of every hidden layer. x: (N, D_i) or (M, N, D_i) -> [(M, N, D_1), ..., (M, N, D_K)]."""
        return list(self._layers(self._input(x)))[:-1]

    # ------------------------------------------------------------------ training interface
    def parameters(self) -> list[torch.Tensor]:
        """[Omega_0, ..., Omega_K, beta_0, ..., beta_K], each with leading dimension M."""
        return [*self.weights, *self.biases]

    def with_parameters(self, params: Sequence[torch.Tensor]) -> NetworkBatch:
        """A batch of this shape and activation holding `params` (as `parameters()` orders them)."""
        k = len(self.weights)
        return NetworkBatch(tuple(params[:k]), tuple(params[k:]), self.activation, self.negative_slope)

    def forward_with(self, params: Sequence[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """Forward with `params` in place of this batch's tensors (differentiable). x: (N, D_i) or (M, N, D_i)."""
        k = len(self.weights)
        *_, output = stacked_layers(params[:k], params[k:], x, self.activation, self.negative_slope)
        return output  # (M, N, D_o)

    # ------------------------------------------------------------------ conversion
    def to(self, dtype: torch.dtype) -> NetworkBatch:
        """The same batch with parameters cast to `dtype`."""
        return NetworkBatch(
            tuple(w.to(dtype) for w in self.weights), tuple(b.to(dtype) for b in self.biases),
            self.activation, self.negative_slope,
        )

    def to_networks(self) -> list[Network]:
        """One `Network` per model (copies), in order."""
        return [self[m] for m in range(len(self))]

    def __getitem__(self, m: int) -> Network:
        """Model m as a `Network` (a copy)."""
        return Network(tuple(w[m].clone() for w in self.weights), tuple(b[m].clone() for b in self.biases),
                       self.activation, self.negative_slope)


def stacked_layers(weights, biases, x: torch.Tensor, activation: str, negative_slope: float = 0.01):
    """Yield each layer's pre-activation (M, N, D_{k+1}); the last one is the output (no activation).

    x is shared (N, D_i), multiplied by every model's Omega_0 at once, or per model (M, N, D_i).
    """
    h = x  # (N, D_i) or (M, N, D_i)
    last = len(weights) - 1
    for k, (omega, beta) in enumerate(zip(weights, biases)):
        if h.ndim == 2:  # shared input: one product for all models
            z = torch.matmul(h, omega.transpose(1, 2)) + beta[:, None, :]  # (M, N, D_{k+1})
        else:
            z = torch.baddbmm(beta[:, None, :], h, omega.transpose(1, 2))  # (M, N, D_{k+1})
        yield z
        if k < last:
            h = apply_activation(activation, z, negative_slope)  # (M, N, D_{k+1})


def _describe(value) -> str:
    if isinstance(value, list):
        kinds = sorted({type(v).__name__ for v in value})
        return f"a list of {len(value)} ({', '.join(kinds) or 'empty'})"
    return type(value).__name__
