"""depthlab.trajectory: circles, adaptive trajectory lengths, and the mean-field growth rate on sampled nets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from depthlab.models.network import Network
from depthlab.signal import chi_1
from depthlab.trajectory import circle, trajectory_length


def _identity_net(d: int, depth: int) -> Network:
    eye, zero = torch.eye(d, dtype=torch.float64), torch.zeros(d, dtype=torch.float64)
    return Network((eye,) * (depth + 1), (zero,) * (depth + 1), "relu")


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 12), st.floats(0.01, 100.0), st.integers(0, 10**6), st.integers(1, 4))
def test_identity_network_returns_two_pi_r(dim, radius, seed, depth):
    center = np.full(dim, 2 * radius)  # ReLU is the identity where every coordinate stays positive
    lengths = trajectory_length(_identity_net(dim, depth), circle(dim, radius, seed, center=center))
    assert lengths.shape == (depth + 2,)
    assert torch.allclose(lengths, torch.full((depth + 2,), 2 * math.pi * radius, dtype=torch.float64), rtol=1e-12)


def test_circle_lies_in_a_plane_at_the_radius_and_its_velocity_is_the_derivative():
    c = circle(7, radius=3.0, seed=2)
    t = torch.linspace(0, 1, 50, dtype=torch.float64)
    assert torch.allclose((c.points(t) - c.center).norm(dim=1), torch.full((50,), 3.0, dtype=torch.float64))
    assert abs(float(c.u @ c.v)) < 1e-14 and abs(float(c.u.norm()) - 1) < 1e-14
    h = 1e-6
    numeric = (c.points(t + h) - c.points(t - h)) / (2 * h)
    assert torch.allclose(c.velocity(t), numeric, atol=1e-7)
    assert not torch.equal(circle(7, seed=2).u, circle(7, seed=3).u)


def test_linear_network_gives_the_perimeter_of_the_image_ellipse():
    net = Network.random([5, 6, 4], seed=3, activation="identity")
    c = circle(5, radius=1.5, seed=1)
    a = net.weights[0].numpy()
    b = net.weights[1].numpy() @ a
    u, v = c.u.numpy(), c.v.numpy()

    def perimeter(m):
        return quad(lambda t: 2 * math.pi * 1.5 * np.linalg.norm(m @ (math.cos(2 * math.pi * t) * v
                                                                     - math.sin(2 * math.pi * t) * u)),
                    0, 1, epsabs=0, epsrel=1e-12, limit=200)[0]

    lengths = trajectory_length(net, c, rtol=1e-9)
    assert lengths.tolist() == pytest.approx([2 * math.pi * 1.5, perimeter(a), perimeter(b)], rel=1e-9)


def test_polygon_is_a_lower_bound_that_converges_to_the_adaptive_length():
    net = Network.random([10, 30, 30, 30, 1], init=("normal", 3.0, 0.3), seed=0, activation="tanh")
    c = circle(10, radius=math.sqrt(10), seed=0)
    exact = trajectory_length(net, c, rtol=1e-5)
    coarse = trajectory_length(net, c.points(torch.arange(64, dtype=torch.float64) / 64))
    fine = trajectory_length(net, c.points(torch.arange(2**16, dtype=torch.float64) / 2**16))
    assert bool((coarse <= exact * (1 + 1e-9)).all()) and bool((fine <= exact * (1 + 1e-9)).all())
    assert float(coarse[-2] / exact[-2]) < 0.99  # the coarse polygon under-counts the deep layers
    assert torch.allclose(fine, exact, rtol=1e-3)


def test_tolerance_is_honoured_on_a_chaotic_deep_net():
    net = Network.random([40] + [40] * 10 + [1], init=("normal", 4.0, 0.3), seed=1, activation="hardtanh")
    c = circle(40, radius=math.sqrt(40), seed=1)
    loose, tight = trajectory_length(net, c, rtol=1e-2), trajectory_length(net, c, rtol=1e-3)
    assert torch.allclose(loose, tight, rtol=2e-2)
    assert float(tight[-2] / tight[0]) > 100  # it did grow exponentially


def test_wide_tanh_nets_grow_by_sqrt_chi_1_per_layer():
    sigma_w, sigma_b, width, depth = 2.0, 0.3, 300, 10
    growth = []
    for seed in range(2):
        net = Network.random([width] * (depth + 1) + [1], init=("normal", sigma_w, sigma_b), seed=seed,
                             activation="tanh")
        lengths = trajectory_length(net, circle(width, math.sqrt(width), seed), rtol=1e-3)[1:-1]
        growth.append(math.exp(np.polyfit(np.arange(3, depth + 1), np.log(lengths[2:].numpy()), 1)[0]))
    assert np.mean(growth) == pytest.approx(math.sqrt(chi_1(sigma_w, sigma_b, "tanh")), rel=0.03)


def test_bad_inputs():
    net = Network.random([3, 4, 1], seed=0)
    with pytest.raises(ValueError, match="'curve' parameter must lie in R\\^3"):
        trajectory_length(net, circle(4))
    with pytest.raises(ValueError, match="'curve' parameter must be a Circle or points"):
        trajectory_length(net, torch.zeros(2, 3))
    with pytest.raises(ValueError, match="'radius' parameter"):
        circle(3, radius=-1.0)
    with pytest.raises(ValueError, match="'input_dim' parameter must be an int >= 2"):
        circle(1)
    with pytest.raises(ValueError, match="'max_points' parameter \\(2048\\) was reached"):
        deep = Network.random([20] * 10 + [1], init=("normal", 4.0, 0.3), seed=0, activation="tanh")
        trajectory_length(deep, circle(20, 4.0), rtol=1e-8, max_points=2048)
