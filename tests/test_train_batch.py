"""NetworkBatch: each model computes exactly what its Network computes alone."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import Network
from depthlab.train import NetworkBatch


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 7), min_size=2, max_size=5),
    seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=4),
    activation=st.sampled_from(["relu", "leaky_relu", "hardtanh", "tanh", "identity"]),
)
def test_random_batch_equals_each_network_alone(widths, seeds, activation):
    batch = NetworkBatch.random(widths, seeds, init="he_uniform", activation=activation)
    nets = [Network.random(widths, "he_uniform", seed=s, activation=activation) for s in seeds]
    x = torch.randn(6, widths[0], generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    out = batch(x)  # (M, N, D_o)
    assert out.shape == (len(seeds), 6, widths[-1])
    for m, net in enumerate(nets):
        assert torch.allclose(out[m], net(x), rtol=0, atol=1e-12)
        for z_batch, z_net in zip(batch.preactivations(x), net.preactivations(x)):
            assert torch.allclose(z_batch[m], z_net, rtol=0, atol=1e-12)
        for w_batch, w_net in zip(batch.to_networks()[m].weights, net.weights):
            assert torch.equal(w_batch, w_net)


def test_per_model_inputs_and_round_trip():
    nets = [Network.random([3, 5, 4, 2], seed=s) for s in range(3)]
    batch = NetworkBatch.from_networks(nets)
    assert len(batch) == 3 and batch.widths == [3, 5, 4, 2] and batch.activation == "relu"
    assert batch.weights[1].shape == (3, 4, 5) and batch.biases[1].shape == (3, 4)
    x = torch.randn(3, 7, 3, dtype=torch.float64)  # (M, N, D_i): one input set per model
    out = batch(x)
    for m, net in enumerate(nets):
        assert torch.allclose(out[m], net(x[m]), rtol=0, atol=1e-12)
    back = batch.to_networks()
    pairs = [(a, b) for n, o in zip(nets, back) for a, b in zip(n.weights + n.biases, o.weights + o.biases)]
    assert all(torch.equal(a, b) for a, b in pairs)
    half = batch.to(torch.float32)
    assert half.dtype == torch.float32 and batch.dtype == torch.float64
    assert torch.allclose(half(x.float()), out.float(), atol=1e-5)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: NetworkBatch.from_networks([]), "'nets'"),
        (lambda: NetworkBatch.from_networks([Network.random([2, 3, 1]), Network.random([2, 4, 1])]), "one shape"),
        (lambda: NetworkBatch.random([2, 3, 1], seeds=[]), "'seeds'"),
        (lambda: NetworkBatch.random([2, 3, 1], seeds=[0])(torch.zeros(4, 5)), "'x'"),
    ],
)
def test_bad_input_raises_one_line_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()
