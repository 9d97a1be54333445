"""The hand-written forward/backward of stacked MLPs equals autograd on the same parameters."""

from __future__ import annotations

import pytest
import torch

from depthlab.train import NetworkBatch, fused
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
    manual_losses, accuracy, grads = mlp_loss_and_grads(batch, [p.detach() for p in params], x, y, loss)
    if loss == "mse":
        assert accuracy is None
    else:
        want = y if loss == "cross_entropy" else y.argmax(2)
        assert torch.equal(accuracy, (output.argmax(2) == want).double().mean(1))
    assert torch.allclose(manual_losses, losses.detach(), rtol=1e-12, atol=0)
    assert torch.allclose(mlp_forward(batch, batch.parameters(), x), output.detach(), rtol=0, atol=1e-12)
    for got, want in zip(grads, expected):
        assert got.shape == want.shape and torch.allclose(got, want, rtol=1e-10, atol=1e-12)


def test_first_argmax_equals_argmax_with_ties():
    from depthlab.train.losses import first_argmax

    g = torch.Generator().manual_seed(0)
    values = torch.randint(0, 3, (4, 50, 6), generator=g).float()  # many ties
    values[0, 0] = float("nan")
    for dim in (1, 2):
        got, want = first_argmax(values, dim), values.argmax(dim)
        finite = ~values.isnan().any(dim)
        assert torch.equal(got[finite], want[finite])


def test_chunks_of_models_give_the_same_numbers(monkeypatch):
    g = torch.Generator().manual_seed(1)
    batch = NetworkBatch.random([5, 8, 3], seeds=list(range(7)))
    x, y = torch.randn(30, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (7, 30), generator=g)
    whole = mlp_loss_and_grads(batch, batch.parameters(), x, y, "cross_entropy")
    monkeypatch.setattr(fused, "CHUNK_BYTES", 8 * 30 * 8 * 2)  # two models per chunk
    assert fused.model_chunk(batch, 30, 8) == 2
    chunked = mlp_loss_and_grads(batch, batch.parameters(), x, y, "cross_entropy")
    assert torch.allclose(whole[0], chunked[0], rtol=1e-13, atol=0) and torch.equal(whole[1], chunked[1])
    assert all(torch.allclose(a, b, rtol=1e-13, atol=0) for a, b in zip(whole[2], chunked[2]))


def test_row_blocks_add_up_to_the_whole_batch(monkeypatch):
    g = torch.Generator().manual_seed(2)
    batch = NetworkBatch.random([5, 8, 6, 3], seeds=list(range(3)))
    x, y = torch.randn(50, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (3, 50), generator=g)
    whole = mlp_loss_and_grads(batch, batch.parameters(), x, y, "cross_entropy")
    monkeypatch.setattr(fused, "CHUNK_BYTES", 8 * 8 * 16)
    monkeypatch.setattr(fused, "MIN_ROWS", 1)
    assert fused.row_block(batch, 8) == 16  # blocks of 16, 16, 16 and 2 rows
    blocked = mlp_loss_and_grads(batch, batch.parameters(), x, y, "cross_entropy")
    assert torch.allclose(whole[0], blocked[0], rtol=1e-14, atol=0) and torch.equal(whole[1], blocked[1])
    assert all(torch.allclose(a, b, rtol=1e-12, atol=1e-15) for a, b in zip(whole[2], blocked[2]))
