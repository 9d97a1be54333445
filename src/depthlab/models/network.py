"""The `Network`: a fully connected network in the lecture's beta/Omega notation.

    h_1 = a[beta_0 + Omega_0 x]
    h_k = a[beta_{k-1} + Omega_{k-1} h_{k-1}]      k = 2..K
    y   = beta_K + Omega_K h_K

held as tuples of tensors, Omega_k of shape (D_{k+1}, D_k) and beta_k of shape (D_{k+1},),
float64 unless asked otherwise. Operations return new networks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from depthlab.activations import (
    activation,
    activation_module,
    activation_of_module,
    apply_activation,
)
from depthlab.checks import as_tensor, check_features
from depthlab.init import InitSpec, init_layer
from depthlab.models.shapes import MLPShapes


@dataclass(frozen=True)
class Network(MLPShapes):
    """A fully connected network y = beta_K + Omega_K a[... a[beta_0 + Omega_0 x]].

    Parameters
    ----------
    weights : tuple of Tensor
        Omega_0..Omega_K; Omega_k has shape (D_{k+1}, D_k).
    biases : tuple of Tensor
        beta_0..beta_K; beta_k has shape (D_{k+1},).
    activation : str, default="relu"
        One of relu, leaky_relu, hardtanh, tanh, identity; the same in every hidden layer.
    negative_slope : float, default=0.01
        Slope for x < 0, used by leaky_relu only.

    Examples
    --------
    >>> Network.random([1, 10, 10, 10, 10, 10, 1], seed=0)
    Network(1-10-10-10-10-10-1, relu, 471 params)
    """

    weights: tuple[torch.Tensor, ...]
    biases: tuple[torch.Tensor, ...]
    activation: str = "relu"
    negative_slope: float = 0.01

    def __post_init__(self) -> None:
        self._check_layers()
        for k, (omega, beta) in enumerate(zip(self.weights, self.biases)):
            if omega.ndim != 2 or beta.shape != (omega.shape[0],):
                raise ValueError(
                    f"Layer {k}: Omega must be 2-D (out, in) and beta of shape (out,). "
                    f"Got Omega {tuple(omega.shape)} and beta {tuple(beta.shape)}."
                )
            for name, values in (("Omega", omega), ("beta", beta)):
                if values.is_floating_point() and not bool(torch.isfinite(values).all()):
                    bad = int((~torch.isfinite(values)).sum())
                    raise ValueError(
                        f"Layer {k}: {name}_{k} has {bad} NaN or infinite value(s); a network needs finite "
                        "parameters (check the training run or the source module that produced it)."
                    )
            if k > 0 and omega.shape[1] != self.weights[k - 1].shape[0]:
                raise ValueError(
                    f"Layer {k}: Omega_{k} takes {omega.shape[1]} inputs but layer {k - 1} "
                    f"has {self.weights[k - 1].shape[0]} outputs; widths must chain."
                )

    # ------------------------------------------------------------------ construction
    @staticmethod
    def random(
        widths: Sequence[int],
        init: InitSpec = "he_normal",
        seed: int = 0,
        activation: str = "relu",
        negative_slope: float = 0.01,
        dtype: torch.dtype = torch.float64,
    ) -> Network:
        """A randomly initialized network with widths [D_i, D_1, ..., D_K, D_o].

        Parameters
        ----------
        widths : sequence of int
            Input width, hidden widths, output width; at least two entries, all >= 1.
        init : str or tuple, default="he_normal"
            See `depthlab.init` for the schemes.
        seed : int, default=0
            Seeds the one `torch.Generator` every weight is drawn from.
        """
        widths = [int(w) for w in widths] if _all_ints(widths) else widths
        if len(widths) < 2 or not _all_ints(widths) or min(widths) < 1:
            raise ValueError(
                "The 'widths' parameter must list at least an input and an output width, "
                f"all ints >= 1. Got {list(widths)!r} instead."
            )
        generator = torch.Generator().manual_seed(int(seed))
        layers = [
            init_layer(init, fan_in, fan_out, generator, dtype)
            for fan_in, fan_out in zip(widths[:-1], widths[1:])
        ]
        return Network(
            tuple(w for w, _ in layers), tuple(b for _, b in layers), activation, negative_slope
        )

    @staticmethod
    def stack(nets: Sequence[Network]):
        """M networks of one shape as a `NetworkBatch` (the `depthlab.models.Model` protocol)."""
        from depthlab.models.batch import NetworkBatch  # the batch module builds on this one

        return NetworkBatch.from_networks(nets)

    # ------------------------------------------------------------------ shape facts: `depthlab.models.shapes`
    def __repr__(self) -> str:
        shape = "-".join(str(w) for w in self.widths)
        return f"Network({shape}, {self.activation}, {self.n_params} params)"

    # ------------------------------------------------------------------ evaluation
    def _input(self, x: torch.Tensor) -> torch.Tensor:
        return check_features(as_tensor(x, "x", self.dtype), "x", self.input_dim)

    def _act(self, z: torch.Tensor) -> torch.Tensor:
        return apply_activation(self.activation, z, self.negative_slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Network output. x: (B, D_i) or (D_i,) -> (B, D_o)."""
        h = self._input(x)  # (B, D_i)
        for omega, beta in zip(self.weights[:-1], self.biases[:-1]):
            h = self._act(torch.addmm(beta, h, omega.T))  # (B, D_k)
        return torch.addmm(self.biases[-1], h, self.weights[-1].T)  # (B, D_o)

    __call__ = forward

    def preactivations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Pre-activations of every hidden layer. x: (B, D_i) -> [ (B, D_1), ..., (B, D_K) ]."""
        h = self._input(x)
        out = []
        for omega, beta in zip(self.weights[:-1], self.biases[:-1]):
            z = torch.addmm(beta, h, omega.T)  # (B, D_k)
            out.append(z)
            h = self._act(z)
        return out

    def patterns(self, x: torch.Tensor) -> torch.Tensor:
        """Activation pattern: which linear piece each hidden unit is on. x: (B, D_i) -> (B, P) bool.

        relu / leaky_relu: P = N hidden units, True where the pre-activation is > 0.
        hardtanh: P = 2N, the N flags z > -1 followed by the N flags z > 1 (three pieces per unit).
        identity: P = 0 (one region). tanh is not piecewise linear and raises ValueError.
        """
        rule = activation(self.activation)
        if not rule.piecewise_linear:
            raise ValueError(f"patterns() needs a piecewise-linear activation; {self.activation} has none.")
        z = torch.cat(self.preactivations(x), dim=1)  # (B, N)
        return rule.flags(rule.piece(z))  # (B, flags_per_unit * N), kink-major as in the activation table

    # ------------------------------------------------------------------ conversion
    def to(self, dtype: torch.dtype) -> Network:
        """The same network with parameters cast to `dtype`."""
        return Network(
            tuple(w.to(dtype) for w in self.weights),
            tuple(b.to(dtype) for b in self.biases),
            self.activation,
            self.negative_slope,
        )

    def to_torch(self) -> nn.Sequential:
        """An equivalent `torch.nn.Sequential` of Linear and activation modules (same dtype)."""
        modules: list[nn.Module] = []
        for k, (omega, beta) in enumerate(zip(self.weights, self.biases)):
            linear = nn.Linear(omega.shape[1], omega.shape[0], dtype=omega.dtype)
            with torch.no_grad():
                linear.weight.copy_(omega)
                linear.bias.copy_(beta)
            modules.append(linear)
            if k < self.depth:
                modules.append(activation_module(self.activation, self.negative_slope))
        return nn.Sequential(*modules)

    @staticmethod
    def from_torch(module: nn.Module) -> Network:
        """The `Network` computing the same function as `module`.

        `module` is an `nn.Linear` or an `nn.Sequential` (nested ones are flattened) alternating
        Linear layers with one kind of activation (ReLU, LeakyReLU, Hardtanh(-1, 1), Tanh,
        Identity), starting and ending with Linear. A leading `nn.Flatten` is allowed.
        """
        layers = _flatten_modules(module)
        if layers and isinstance(layers[0], nn.Flatten):
            layers = layers[1:]
        linears = layers[0::2]
        acts = [activation_of_module(m) for m in layers[1::2]]
        position = _first_unrepresentable(layers, linears, acts)
        if position is not None:
            culprit = layers[position].__class__.__name__ if position < len(layers) else "nothing"
            raise ValueError(
                "Network.from_torch needs Linear layers alternating with one activation kind "
                "(ReLU, LeakyReLU, Hardtanh(-1,1), Tanh, Identity), first and last Linear. "
                f"Cannot represent module {position} ({culprit})."
            )
        kinds = set(acts)
        if len(kinds) > 1:
            raise ValueError(
                f"Network.from_torch needs the same activation in every layer. Got {sorted(kinds)}."
            )
        name, slope = acts[0] if acts else ("relu", 0.01)
        weights = tuple(m.weight.detach().clone() for m in linears)
        biases = tuple(
            m.bias.detach().clone() if m.bias is not None else torch.zeros(m.out_features, dtype=m.weight.dtype)
            for m in linears
        )
        return Network(weights, biases, name, slope)


def _all_ints(values: Sequence) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _flatten_modules(module: nn.Module) -> list[nn.Module]:
    if isinstance(module, nn.Sequential):
        return [leaf for child in module for leaf in _flatten_modules(child)]
    return [module]


def _first_unrepresentable(layers: list, linears: list, acts: list) -> int | None:
    """Index of the first module that breaks Linear/activation alternation, or None."""
    for i, m in enumerate(linears):
        if not isinstance(m, nn.Linear):
            return 2 * i
    for i, a in enumerate(acts):
        if a is None:
            return 2 * i + 1
    if len(layers) % 2 == 0:
        return len(layers) - 1 if layers else 0
    return None
