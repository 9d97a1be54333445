"""The hand-written forward/backward of stacked MLPs equals autograd on the same parameters."""

from __future__ import annotations

import pytest
import torch

from depthlab.train import NetworkBatch, fit, fit_many, fused
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


def test_a_model_alone_and_in_a_batch_gets_bit_identical_numbers():
    g = torch.Generator().manual_seed(1)
    batch = NetworkBatch.random([5, 8, 3], seeds=list(range(7)))
    x, y = torch.randn(30, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (7, 30), generator=g)
    whole = mlp_loss_and_grads(batch, batch.parameters(), x, y, "cross_entropy")
    for m in (0, 4, 6):
        alone = NetworkBatch.from_networks([batch[m]])
        single = mlp_loss_and_grads(alone, alone.parameters(), x, y[m : m + 1], "cross_entropy")
        assert torch.equal(whole[0][m : m + 1], single[0]) and torch.equal(whole[1][m : m + 1], single[1])
        assert all(torch.equal(a[m : m + 1], b) for a, b in zip(whole[2], single[2]))


def test_fit_many_equals_fit_alone_bit_for_bit_with_the_hand_written_step():
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(40, 5, generator=g), torch.randint(0, 3, (40,), generator=g)
    batch = NetworkBatch.random([5, 9, 7, 3], seeds=[0, 1, 2], dtype=torch.float32)
    together = fit_many(batch, x, y, loss="cross_entropy", optimizer="gd", lr=0.1, steps=25)
    for m, many in enumerate(together):
        alone = fit(batch[m], x, y, loss="cross_entropy", optimizer="gd", lr=0.1, steps=25)
        assert many.losses == alone.losses and many.accuracies == alone.accuracies
        assert all(torch.equal(a, b) for a, b in zip(many.net.weights + many.net.biases,
                                                     alone.net.weights + alone.net.biases))


def test_row_blocks_add_up_to_the_whole_batch(monkeypatch):
    g = torch.Generator().manual_seed(2)
    batch = NetworkBatch.random([5, 8, 6, 3], seeds=list(range(3)))
    x, y = torch.randn(50, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (3, 50), generator=g)
    whole = mlp_loss_and_grads(batch, batch.parameters(), x, y, "cross_entropy")
    monkeypatch.setattr(fused, "CHUNK_BYTES", 16 * 16 * 8)  # P = 16 rows of the widest buffer, 8 bytes each
    monkeypatch.setattr(fused, "MIN_ROWS", 1)
    assert fused.row_block(batch.widths, 8) == 16
    assert fused.row_blocks(50, 16) == [(0, 13), (13, 26), (26, 39), (39, 50)]  # four nearly equal blocks
    blocked = mlp_loss_and_grads(batch, batch.parameters(), x, y, "cross_entropy")
    assert torch.allclose(whole[0], blocked[0], rtol=1e-14, atol=0) and torch.equal(whole[1], blocked[1])
    assert all(torch.allclose(a, b, rtol=1e-12, atol=1e-15) for a, b in zip(whole[2], blocked[2]))


def test_the_padding_columns_get_a_gradient_of_exactly_zero():
    g = torch.Generator().manual_seed(4)
    x, y = torch.randn(30, 5, generator=g), torch.randint(0, 3, (30,), generator=g)
    batch = NetworkBatch.random([5, 9, 3], seeds=[0, 1], dtype=torch.float32)
    engine = fused.FusedMLP.for_batch(batch, torch.float32)
    work = fused.augment(batch.parameters())
    assert [tuple(w.shape) for w in work] == [(2, 9, 8), (2, 3, 16)]  # [Omega | beta | 0], P = 6 -> 8, 10 -> 16
    _, _, grads = engine.loss_and_grads(work, x, y.expand(2, 30), "cross_entropy")
    for grad, d in zip(grads, batch.widths[:-1]):
        assert torch.equal(grad[:, :, d + 1 :], torch.zeros_like(grad[:, :, d + 1 :]))  # exactly 0, not rounding
    assert all(torch.equal(a, b) for a, b in zip(fused.standard(work, batch.widths), batch.parameters()))
