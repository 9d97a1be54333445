"""The hand-written forward/backward of stacked MLPs equals autograd on the same parameters."""

from __future__ import annotations

import pytest
import torch

from depthlab.train import NetworkBatch
from depthlab.train.fused import mlp_forward, mlp_loss_and_grads
from depthlab.train.losses import per_model_loss


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "identity"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy", "mse_logits"])
@pytest.mark.parametrize("shared", [True, False])
def test_hand_written_backward_equals_autograd(activation, loss, shared):
    g = torch.Generator().manual_seed(0)
    batch = NetworkBatch.random([5, 7, 6, 4], seeds=[0, 1, 2], init=("normal", 1.5, 0.3), activation=activation)
    x = torch.randn(11, 5, generator=g, dtype=torch.float64) if shared else torch.randn(3, 11, 5, generator=g,
                                                                                      dtype=torch.float64)
    if loss == "cross_entropy":
        y = torch.randint(0, 4, (3, 11), generator=g)
    else:
        y = torch.randn(3, 11, 4, generator=g, dtype=torch.float64)
    params = [p.clone().requires_grad_() for p in batch.parameters()]
    output = batch.forward_with(params, x)
    losses = per_model_loss(output, y, loss)
    expected = torch.autograd.grad(losses.sum(), params)
    out, manual_losses, grads = mlp_loss_and_grads(batch, [p.detach() for p in params], x, y, loss)
    assert torch.allclose(out, output.detach(), rtol=0, atol=1e-12)
    assert torch.allclose(manual_losses, losses.detach(), rtol=1e-12, atol=0)
    assert torch.allclose(mlp_forward(batch, batch.parameters(), x), output.detach(), rtol=0, atol=1e-12)
    for got, want in zip(grads, expected):
        assert got.shape == want.shape and torch.allclose(got, want, rtol=1e-10, atol=1e-12)
