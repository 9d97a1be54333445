"""Residual MLPs: forward against a hand computation, exact torch module, batch = singles, trainable."""

from __future__ import annotations

import math

import pytest
import torch

from depthlab.models.residual import ResidualBatch, ResidualMLP, ResidualNetwork
from depthlab.train import fit, fit_many


def _t(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def test_forward_equals_a_hand_computation():
    # D_i = 1, D = 2, one block, D_o = 1; s = 0.5
    net = ResidualNetwork(
        input_weight=_t([[1.0], [-2.0]]), input_bias=_t([0.5, 1.0]),
        block_weights=(_t([[1.0, 1.0], [0.0, -1.0]]),), block_biases=(_t([-1.0, 0.0]),),
        output_weight=_t([[2.0, 3.0]]), output_bias=_t([-1.0]), branch_scale=0.5,
    )
    # x = 2: h0 = (2.5, -3); z = (2.5 - 3 - 1, 3) = (-1.5, 3); relu = (0, 3); h1 = (2.5, -3 + 1.5) = (2.5, -1.5)
    # y = 2 * 2.5 + 3 * (-1.5) - 1 = -0.5
    assert net(_t([[2.0]])).item() == -0.5
    # x = -1: h0 = (-0.5, 3); z = (-0.5 + 3 - 1, -3) = (1.5, -3); relu = (1.5, 0); h1 = (0.25, 3); y = 0.5 + 9 - 1
    assert net(_t([[-1.0]])).item() == 8.5


@pytest.mark.parametrize("scaled", [False, True])
def test_to_torch_is_exact_and_round_trips(scaled):
    net = ResidualNetwork.random(3, 6, 5, 2, seed=1, scaled=scaled)
    assert net.branch_scale == (1 / math.sqrt(5) if scaled else 1.0)
    module = net.to_torch()
    assert isinstance(module, ResidualMLP)
    x = torch.randn(9, 3, dtype=torch.float64)
    with torch.no_grad():
        assert torch.equal(module(x), net(x))
    back = ResidualNetwork.from_torch(module)
    assert torch.equal(back(x), net(x)) and back.branch_scale == net.branch_scale


def test_batch_equals_each_net_and_round_trips():
    nets = [ResidualNetwork.random(3, 6, 4, 2, seed=s, scaled=True) for s in range(3)]
    batch = ResidualBatch.from_networks(nets)
    x = torch.randn(7, 3, dtype=torch.float64)
    out = batch(x)  # (M, N, D_o)
    for m, net in enumerate(nets):
        assert torch.allclose(out[m], net(x), rtol=0, atol=1e-12)
    assert all(torch.equal(a(x), b(x)) for a, b in zip(batch.to_networks(), nets))
    with pytest.raises(ValueError, match="one shape"):
        ResidualBatch.from_networks([nets[0], ResidualNetwork.random(3, 5, 4, 2)])


def test_residual_nets_train_with_the_same_loop():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=g, dtype=torch.float64)
    y = (x[:, :1] * x[:, 1:2]).repeat(1, 2)  # (N, 2)
    nets = [ResidualNetwork.random(3, 8, 3, 2, seed=s, scaled=True) for s in range(3)]
    together = fit_many(nets, x, y, loss="mse", lr=0.01, steps=60, dtype=torch.float64)
    for net, many in zip(nets, together):
        alone = fit(net, x, y, loss="mse", lr=0.01, steps=60, dtype=torch.float64)
        assert isinstance(many.net, ResidualNetwork) and many.final_loss < many.losses[0]
        assert abs(alone.final_loss - many.final_loss) <= 1e-10 * alone.final_loss
