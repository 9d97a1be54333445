"""Shape facts of the model family, written once for one model and for a batch of M.

A single model holds 2-D weights (out, in); a batch stacks M of them, (M, out, in). Every fact below
reads only the last two dimensions, so one definition serves both.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from depthlab.activations import check_activation


class MLPShapes:
    """Shape facts of a fully connected net (or M of them) from `weights` [Omega_0..Omega_K] and `biases`.

    Omega_k: (D_{k+1}, D_k) for one net, (M, D_{k+1}, D_k) for a batch; beta_k: (D_{k+1},) or (M, D_{k+1}).
    """

    weights: Sequence[torch.Tensor]
    biases: Sequence[torch.Tensor]
    activation: str

    def _check_layers(self) -> None:
        """Weights and biases held as tuples, of equal non-zero length, with a known activation (one-line errors)."""
        object.__setattr__(self, "weights", tuple(self.weights))
        object.__setattr__(self, "biases", tuple(self.biases))
        check_activation(self.activation)
        if len(self.weights) == 0 or len(self.weights) != len(self.biases):
            raise ValueError(
                "The 'weights' and 'biases' parameters must be non-empty and of equal length. "
                f"Got {len(self.weights)} weights and {len(self.biases)} biases."
            )

    @property
    def widths(self) -> list[int]:
        """[D_i, D_1, ..., D_K, D_o] (shared by every model of a batch)."""
        return [self.weights[0].shape[-1]] + [omega.shape[-2] for omega in self.weights]

    @property
    def depth(self) -> int:
        """K, the number of hidden layers."""
        return len(self.weights) - 1

    @property
    def input_dim(self) -> int:
        """D_i."""
        return self.weights[0].shape[-1]

    @property
    def output_dim(self) -> int:
        """D_o."""
        return self.weights[-1].shape[-2]

    @property
    def n_hidden(self) -> int:
        """Total number of hidden units, sum of D_1..D_K."""
        return sum(self.widths[1:-1])

    @property
    def n_params(self) -> int:
        """Weights and biases of one model."""
        return sum(omega.shape[-2] * omega.shape[-1] + beta.shape[-1] for omega, beta in zip(self.weights, self.biases))

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the parameters."""
        return self.weights[0].dtype


class ResidualShapes:
    """Shape facts of a residual MLP (or M of them): P (.., D, D_i), L blocks of (.., D, D), Q (.., D_o, D).

    `block_biases` is a tuple of L tensors (D,) for one net, or one tensor (M, L, D) for a batch.
    """

    input_weight: torch.Tensor
    block_biases: Sequence[torch.Tensor] | torch.Tensor
    output_weight: torch.Tensor

    @property
    def input_dim(self) -> int:
        """D_i."""
        return self.input_weight.shape[-1]

    @property
    def width(self) -> int:
        """D, the width of the residual stream."""
        return self.input_weight.shape[-2]

    @property
    def depth(self) -> int:
        """L, the number of residual blocks."""
        blocks = self.block_biases
        return blocks.shape[-2] if torch.is_tensor(blocks) else len(blocks)

    @property
    def output_dim(self) -> int:
        """D_o."""
        return self.output_weight.shape[-2]

    @property
    def n_params(self) -> int:
        """Weights and biases of one model: D (D_i + 1) + L D (D + 1) + D_o (D + 1)."""
        d = self.width
        return d * (self.input_dim + 1) + self.depth * d * (d + 1) + self.output_dim * (d + 1)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the parameters."""
        return self.input_weight.dtype
