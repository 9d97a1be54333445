"""The activation table against each activation's torch module: values, slopes (gains), kinks and flags."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import Network
from depthlab.activations import (
    ACTIVATION_TABLE,
    ACTIVATIONS,
    PIECEWISE_LINEAR,
    activation,
    activation_module,
    activation_of_module,
    apply_activation,
)

NEGATIVE_SLOPE = 0.2


def _inputs(seed: int, n: int = 2000) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 3 * torch.randn(n, generator=g, dtype=torch.float64)  # (n,) spans every piece of every row


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_function_and_module_agree_bit_for_bit(name):
    z = _inputs(0)
    module = activation_module(name, NEGATIVE_SLOPE)
    assert torch.equal(apply_activation(name, z, NEGATIVE_SLOPE), module(z))
    assert activation_of_module(module)[0] == name


@pytest.mark.parametrize("name", PIECEWISE_LINEAR)
@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000))
def test_piece_slope_and_intercept_reproduce_the_module(name, seed):
    rule = activation(name)
    z = _inputs(seed)
    slope, intercept = rule.piece_affine(rule.piece(z), NEGATIVE_SLOPE)  # (n,) each
    assert torch.allclose(slope * z + intercept, activation_module(name, NEGATIVE_SLOPE)(z), rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_gain_is_the_autograd_derivative(name):
    rule = activation(name)
    z = _inputs(1).requires_grad_(True)
    (grad,) = torch.autograd.grad(activation_module(name, NEGATIVE_SLOPE)(z).sum(), z)
    z = z.detach()
    assert torch.allclose(rule.gain(z, NEGATIVE_SLOPE), grad, rtol=1e-12, atol=1e-15)
    assert torch.allclose(torch.as_tensor(rule.gain(z.numpy(), NEGATIVE_SLOPE)), grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", PIECEWISE_LINEAR)
def test_kinks_are_exactly_where_the_module_bends(name):
    rule = activation(name)
    module = activation_module(name, NEGATIVE_SLOPE)
    grid = torch.linspace(-4, 4, 80_001, dtype=torch.float64)  # step 1e-4
    second = module(grid[2:]) - 2 * module(grid[1:-1]) + module(grid[:-2])  # (n-2,) nonzero only at a bend
    bends = grid[1:-1][second.abs() > 1e-9]
    expected = torch.tensor(rule.kinks, dtype=torch.float64)
    assert bends.numel() == expected.numel()
    assert torch.allclose(bends, expected, atol=1e-4)
    slopes = rule.slopes(NEGATIVE_SLOPE)
    assert len(slopes) == len(rule.intercepts) == len(rule.kinks) + 1
    assert all(slopes[p] != slopes[p + 1] for p in range(len(rule.kinks)))
    on_kink = torch.tensor(rule.kinks, dtype=torch.float64)
    assert torch.equal(rule.piece(on_kink), torch.arange(len(rule.kinks), dtype=torch.int8))  # at a kink: lower piece


@pytest.mark.parametrize("name", PIECEWISE_LINEAR)
def test_flags_are_kink_major_and_match_network_patterns(name):
    rule = activation(name)
    net = Network.random([2, 4, 3, 1], init=("normal", 1.5, 1.0), seed=2, activation=name,
                         negative_slope=NEGATIVE_SLOPE)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    z = torch.cat(net.preactivations(x), dim=1)  # (B, 7)
    expected = torch.cat([z > kink for kink in rule.kinks], dim=1) if rule.kinks else torch.zeros(50, 0, dtype=bool)
    assert torch.equal(net.patterns(x), expected)
    assert net.patterns(x).shape[1] == rule.flags_per_unit * 7
    assert (rule.flags(rule.piece(z.numpy())) == expected.numpy()).all()  # numpy and torch agree


def test_tanh_has_no_pieces_and_unknown_names_are_rejected():
    assert "tanh" not in PIECEWISE_LINEAR and set(PIECEWISE_LINEAR) < set(ACTIVATION_TABLE)
    with pytest.raises(ValueError, match="not piecewise linear"):
        activation("tanh").piece(torch.zeros(3))
    with pytest.raises(ValueError, match="'activation' parameter must be one of"):
        activation("gelu")


def test_modules_are_read_through_the_table_and_inexact_ones_refused():
    from torch import nn

    assert activation_of_module(nn.LeakyReLU(0.3)) == ("leaky_relu", 0.3)
    assert activation_of_module(nn.Hardtanh()) == ("hardtanh", 0.01)
    assert activation_of_module(nn.Hardtanh(-2.0, 2.0)) is None
    assert activation_of_module(nn.ReLU6()) is None  # a Hardtanh(0, 6)
    assert activation_of_module(nn.GELU()) is None
