"""StackedNetwork: same outputs as Network.forward, same gradients as autograd through net.to_torch()."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.models.network import Network
from depthlab.models.stack import StackedNetwork


@settings(max_examples=25, deadline=None)
@given(
    d=st.integers(1, 5),
    w=st.integers(1, 6),
    k=st.integers(1, 40),
    c=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_forward_equals_network(d: int, w: int, k: int, c: int, seed: int) -> None:
    net = Network.random([d] + [w] * k + [c], seed=seed)
    x = torch.randn(33, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    runner = StackedNetwork.from_network(net)
    with torch.no_grad():
        fast = runner(x)
    assert torch.allclose(fast, net(x), rtol=1e-12, atol=1e-12)
    assert torch.allclose(runner(x), net(x), rtol=1e-12, atol=1e-12)  # autograd path


@settings(max_examples=15, deadline=None)
@given(w=st.integers(2, 5), k=st.integers(1, 30), seed=st.integers(0, 10_000))
def test_gradients_equal_torch_autograd(w: int, k: int, seed: int) -> None:
    net = Network.random([3] + [w] * k + [2], seed=seed)
    x = torch.randn(17, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    runner = StackedNetwork.from_network(net)
    runner(x).square().sum().backward()
    seq = net.to_torch()
    seq(x).square().sum().backward()
    linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
    assert torch.allclose(runner.first_weight.grad, linears[0].weight.grad, rtol=1e-10, atol=1e-12)
    assert torch.allclose(runner.last_bias.grad, linears[-1].bias.grad, rtol=1e-10, atol=1e-12)
    for layer, linear in enumerate(linears[1:-1]):
        assert torch.allclose(runner.hidden_weight.grad[layer], linear.weight.grad, rtol=1e-10, atol=1e-12)
        assert torch.allclose(runner.hidden_bias.grad[layer], linear.bias.grad, rtol=1e-10, atol=1e-12)


def test_input_gradient_and_round_trip() -> None:
    net = Network.random([2, 4, 4, 4, 1], seed=5)
    runner = StackedNetwork.from_network(net)
    x = torch.randn(9, 2, dtype=torch.float64, requires_grad=True)
    runner.requires_grad_(False)
    runner(x).sum().backward()
    x2 = x.detach().clone().requires_grad_(True)
    net.to_torch()(x2).sum().backward()
    assert torch.allclose(x.grad, x2.grad, atol=1e-12)
    back = runner.to_network()
    assert back.widths == net.widths
    assert all(torch.equal(a, b) for a, b in zip(back.weights, net.weights))
    assert runner.depth == 3


def test_thousands_of_layers_float32_and_float64() -> None:
    net = Network.random([4] + [4] * 3000 + [1], init="he_normal", seed=1)
    x = torch.rand(64, 4, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(StackedNetwork.from_network(net)(x), net(x), rtol=1e-10, atol=1e-12)
        net32 = net.to(torch.float32)
        out32 = StackedNetwork.from_network(net32)(x.float())
    assert out32.dtype == torch.float32
    assert torch.allclose(out32, net32(x.float()), rtol=1e-5, atol=1e-5)


def test_rejects_unequal_widths_and_other_activations() -> None:
    with pytest.raises(ValueError, match="all of one width"):
        StackedNetwork.from_network(Network.random([2, 4, 5, 1]))
    with pytest.raises(ValueError, match="ReLU"):
        StackedNetwork.from_network(Network.random([2, 4, 4, 1], activation="tanh"))
    with pytest.raises(ValueError, match="'x' parameter must have shape"):
        StackedNetwork.from_network(Network.random([2, 4, 4, 1]))(torch.zeros(3, 5, dtype=torch.float64))
