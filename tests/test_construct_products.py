"""Product gadgets: Yarotsky's square within 2^(-2m-2), the multiplier, the product tree, the shallow baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.construct.products import (
    identity_net,
    max_error,
    multiply2_net,
    parallel,
    polarization_signs,
    product_of_inputs,
    product_tree_net,
    shallow_product_net,
    square_net,
)
from depthlab.construct.sawtooth import sawtooth
from depthlab.regions import count_regions_1d


def _square_error_bound(m: int) -> float:
    return 2.0 ** (-2 * m - 2)


@pytest.mark.parametrize("m", [1, 2, 4, 7])
def test_square_net_is_the_interpolant_of_x_squared(m):
    x = torch.linspace(0, 1, 40_001, dtype=torch.float64)[:, None]  # (B, 1)
    y = square_net(m)(x)[:, 0]
    knots = torch.arange(2**m + 1, dtype=torch.float64) / 2**m
    interpolant = torch.from_numpy(np.interp(x[:, 0].numpy(), knots.numpy(), (knots**2).numpy()))
    assert float((y - interpolant).abs().max()) <= 1e-12
    error = y - x[:, 0] ** 2
    assert float(error.min()) >= -1e-12
    assert float(error.max()) <= _square_error_bound(m) + 1e-12
    assert float(error.max()) >= 0.99 * _square_error_bound(m)  # the bound is attained at midpoints
    assert count_regions_1d(square_net(m), 0.0, 1.0).n_pieces == 2**m


def test_square_net_shape():
    net = square_net(4)
    assert net.widths == [1, 3, 3, 3, 3, 1]
    assert net.n_params == 12 * 4 - 2


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 6), seed=st.integers(0, 10_000), bound=st.sampled_from([0.5, 1.0, 3.0]))
def test_multiplier_error_bound(m, seed, bound):
    net = multiply2_net(m, bound=bound)
    error = max_error(net, lambda x: x[:, 0] * x[:, 1], [(-bound, bound)] * 2, n_points=4_000, seed=seed)
    assert error <= bound**2 * _square_error_bound(m) * (1 + 1e-9) + 1e-12


def test_multiplier_is_exact_on_the_dyadic_grid():
    m = 3
    grid = torch.arange(-8, 9, dtype=torch.float64) / 8
    x = torch.cartesian_prod(grid, grid)  # (289, 2): |x +- y| / 2 is a knot j / 8... or 1/16 off
    exact = (x[:, 0] + x[:, 1]).abs() / 2 * 8 % 1 == 0
    both = exact & ((x[:, 0] - x[:, 1]).abs() / 2 * 8 % 1 == 0)
    y = multiply2_net(m)(x[both])[:, 0]
    assert float((y - x[both, 0] * x[both, 1]).abs().max()) <= 1e-12


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_product_tree_error_and_size(n):
    m = 4
    net = product_tree_net(n, m)
    levels = math.ceil(math.log2(n))
    assert net.depth == levels * (m + 1)
    assert max(net.widths[1:-1]) <= (n // 2 + 1) * 6
    error = max_error(net, product_of_inputs, [(-1.0, 1.0)] * n, n_points=20_000, seed=n)
    assert error <= (n - 1) * 1.5 * _square_error_bound(m)
    assert error > 0.0


def test_product_tree_error_falls_with_m():
    errors = [max_error(product_tree_net(4, m), product_of_inputs, [(-1, 1)] * 4, n_points=20_000) for m in (2, 4, 6)]
    assert errors[0] > 8 * errors[1] > 64 * errors[2]


def test_polarization_identity_is_exact_for_polynomials():
    """sum_s (prod s) (s . x)^n / (2^(n-1) n!) = x_1 ... x_n, checked numerically without any network."""
    rng = np.random.default_rng(0)
    for n in range(2, 7):
        signs = polarization_signs(n)
        x = rng.uniform(-1, 1, size=(100, n))
        value = ((x @ signs.T) ** n * np.prod(signs, axis=1)).sum(axis=1) / (2 ** (n - 1) * math.factorial(n))
        assert np.allclose(value, np.prod(x, axis=1), atol=1e-12)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_shallow_product_net_converges(n):
    errors = []
    for knots in (8, 32, 128):
        net = shallow_product_net(n, knots)
        assert net.depth == 1 and net.n_hidden == 2 ** (n - 1) * knots
        errors.append(max_error(net, product_of_inputs, [(-1.0, 1.0)] * n, n_points=20_000, seed=1))
    assert errors[0] > 8 * errors[1] > 64 * errors[2]  # error ~ knots^-2


def test_parallel_and_identity():
    x = torch.randn(50, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert float((identity_net(3, 4)(x) - x).abs().max()) <= 1e-15
    both = parallel(sawtooth(2), identity_net(1, 2))
    u = torch.rand(50, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert float((both(u)[:, 0] - sawtooth(2)(u[:, :1])[:, 0]).abs().max()) <= 1e-15
    assert float((both(u)[:, 1] - u[:, 1]).abs().max()) <= 1e-15


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: square_net(0), "'m' parameter"),
        (lambda: multiply2_net(2, bound=0.0), "'bound' parameter"),
        (lambda: product_tree_net(1, 2), "'n' parameter"),
        (lambda: shallow_product_net(3, 0), "'knots' parameter"),
        (lambda: max_error(square_net(2), lambda x: x[:, 0], [(1.0, 0.0)]), "'domain' parameter"),
        (lambda: parallel(square_net(2), square_net(3)), "'nets' parameter"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()
