"""Network: shapes, inits, evaluation, patterns and the exact torch round trip."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from depthlab import Network
from depthlab.init import trunc_normal_variance_factor

widths_strategy = st.lists(st.integers(1, 6), min_size=2, max_size=5)
activation_strategy = st.sampled_from(["relu", "leaky_relu", "hardtanh", "tanh", "identity"])


def test_repr_and_params_of_lecture_network():
    net = Network.random([1, 10, 10, 10, 10, 10, 1], seed=0)
    assert repr(net) == "Network(1-10-10-10-10-10-1, relu, 471 params)"
    assert net.depth == 5 and net.n_hidden == 50 and net.dtype == torch.float64


def test_forward_matches_the_lecture_equations():
    net = Network.random([3, 4, 5, 2], seed=1, activation="leaky_relu", negative_slope=0.1)
    x = torch.randn(7, 3, dtype=torch.float64)
    h1 = torch.nn.functional.leaky_relu(net.biases[0] + x @ net.weights[0].T, 0.1)
    h2 = torch.nn.functional.leaky_relu(net.biases[1] + h1 @ net.weights[1].T, 0.1)
    y = net.biases[2] + h2 @ net.weights[2].T
    torch.testing.assert_close(net(x), y, rtol=1e-12, atol=1e-12)  # addmm vs matmul + add: equal up to rounding
    pre = net.preactivations(x)
    assert [p.shape for p in pre] == [(7, 4), (7, 5)]
    assert torch.equal(net.patterns(x), torch.cat(pre, 1) > 0)


def test_hardtanh_patterns_have_three_states_per_unit():
    net = Network.random([2, 3, 1], seed=0, activation="hardtanh", init=("normal", 4.0, 1.0))
    x = torch.randn(50, 2, dtype=torch.float64)
    z = net.preactivations(x)[0]
    p = net.patterns(x)
    assert p.shape == (50, 6)
    assert torch.equal(p[:, :3], z > -1) and torch.equal(p[:, 3:], z > 1)
    with pytest.raises(ValueError, match="piecewise-linear"):
        Network.random([2, 3, 1], activation="tanh").patterns(x)


@settings(max_examples=40, deadline=None)
@given(widths=widths_strategy, activation=activation_strategy, seed=st.integers(0, 10_000))
def test_torch_round_trip_is_exact(widths, activation, seed):
    net = Network.random(widths, seed=seed, activation=activation)
    module = net.to_torch()
    back = Network.from_torch(module)
    x = torch.randn(11, widths[0], dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(module(x), net(x))
    assert back.widths == net.widths
    assert back.activation == activation or net.depth == 0  # no hidden layer: no activation to keep
    assert all(torch.equal(a, b) for a, b in zip(back.weights, net.weights))
    assert all(torch.equal(a, b) for a, b in zip(back.biases, net.biases))


def test_from_torch_accepts_nested_sequential_flatten_and_no_bias():
    module = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(4, 3, bias=False), nn.ReLU()), nn.Linear(3, 2))
    net = Network.from_torch(module)
    x = torch.randn(5, 4)
    assert torch.allclose(net.to(torch.float32)(x), module(x))


@pytest.mark.parametrize(
    "module, message",
    [
        (nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1)), "Sigmoid"),
        (nn.Sequential(nn.Linear(2, 3), nn.ReLU()), "first and last Linear"),
        (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)), "same activation"),
        (nn.Sequential(nn.Conv1d(1, 1, 3)), "Conv1d"),
    ],
)
def test_from_torch_rejects_what_it_cannot_represent(module, message):
    with pytest.raises(ValueError, match=message):
        Network.from_torch(module)


@pytest.mark.parametrize("init", ["he_normal", "he_uniform", "lecun", "glorot"])
def test_init_variances(init):
    fan_in, fan_out = 400, 300
    net = Network.random([fan_in, fan_out, 1], init=init, seed=3)
    expected = {"he_normal": 2 / fan_in, "he_uniform": 2 / fan_in, "lecun": 1 / fan_in,
                "glorot": 2 / (fan_in + fan_out)}[init]
    assert float(net.weights[0].var()) == pytest.approx(expected, rel=0.02)
    assert float(net.biases[0].abs().max()) == 0.0


def test_truncated_normal_has_smaller_variance_than_its_parameter():
    net = Network.random([400, 300, 1], init="trunc_normal", seed=3)
    factor = trunc_normal_variance_factor()
    assert factor == pytest.approx(0.774, abs=1e-3)
    assert float(net.weights[0].var()) == pytest.approx(factor * 2 / 400, rel=0.02)
    assert float(net.weights[0].abs().max()) <= 2 * math.sqrt(2 / 400) + 1e-12


def test_normal_init_with_sigmas():
    net = Network.random([500, 400, 1], init=("normal", 1.5, 0.3), seed=2)
    assert float(net.weights[0].var()) == pytest.approx(1.5**2 / 500, rel=0.02)
    assert float(net.biases[0].std()) == pytest.approx(0.3, rel=0.15)


def test_same_seed_same_network_and_different_seed_differs():
    a, b, c = (Network.random([3, 5, 1], seed=s) for s in (7, 7, 8))
    assert torch.equal(a.weights[0], b.weights[0]) and not torch.equal(a.weights[0], c.weights[0])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: Network.random([3, 0, 1]), "'widths'"),
        (lambda: Network.random([3]), "'widths'"),
        (lambda: Network.random([3, 2, 1], init="xavier"), "'init'"),
        (lambda: Network.random([3, 2, 1], activation="gelu"), "'activation'"),
        (lambda: Network.random([3, 2, 1])(torch.zeros(4, 2)), r"shape \(batch, 3\)"),
        (lambda: Network.random([3, 2, 1])(torch.tensor([[1.0, float("nan"), 0.0]])), "NaN"),
        (lambda: Network((torch.zeros(2, 3), torch.zeros(1, 3)), (torch.zeros(2), torch.zeros(1))), "chain"),
    ],
)
def test_bad_input_gives_one_line_value_error(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_float32_conversion_keeps_function():
    net = Network.random([4, 8, 8, 2], seed=0)
    x = torch.randn(10, 4, dtype=torch.float64)
    assert torch.allclose(net.to(torch.float32)(x.float()).double(), net(x), atol=1e-5)


@pytest.mark.parametrize("part, layer", [("weights", 0), ("biases", 1)])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_parameters_are_refused_naming_the_layer(part, layer, bad):
    net = Network.random([2, 3, 1], seed=0)
    weights, biases = list(net.weights), list(net.biases)
    target = weights if part == "weights" else biases
    target[layer] = target[layer].clone()
    target[layer].view(-1)[0] = bad
    name = "Omega" if part == "weights" else "beta"
    with pytest.raises(ValueError, match=f"Layer {layer}: {name}_{layer} has 1 NaN or infinite"):
        Network(tuple(weights), tuple(biases))
    module = net.to_torch()
    with torch.no_grad():
        module[0].weight[0, 0] = bad
    with pytest.raises(ValueError, match="Layer 0: Omega_0"):
        Network.from_torch(module)
