"""Distance to the region boundary: equals the exact 1-D breakpoint distance; balls of that radius keep the pattern."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import Network
from depthlab.regions import count_regions_1d
from depthlab.regions.distance import distance_to_boundary


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.integers(0, 10_000), st.sampled_from(["relu", "leaky_relu", "hardtanh"]), st.integers(1, 3))
def test_one_input_distance_is_distance_to_nearest_breakpoint(seed, activation, depth):
    net = Network.random([1] + [5] * depth + [1], init=("normal", 1.5, 0.7), seed=seed, activation=activation)
    regions = count_regions_1d(net, -100.0, 100.0)
    knots = regions.points()[:, 0]  # (R-1,)
    x = torch.linspace(-2, 2, 41, dtype=torch.float64)[:, None]  # (41, 1)
    expected = torch.cat([(x - knots[None, :]).abs(), x + 100, 100 - x], dim=1).min(dim=1).values
    got = distance_to_boundary(net, x)
    near = expected < 90  # boundaries beyond the segment's end are not in `knots`
    assert torch.allclose(got[near], expected[near], rtol=1e-9, atol=1e-12)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.integers(0, 10_000), st.integers(2, 5))
def test_ball_of_that_radius_keeps_the_pattern(seed, d_in):
    net = Network.random([d_in, 8, 8, 1], init=("normal", 1.5, 0.7), seed=seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(20, d_in, generator=g, dtype=torch.float64)
    d = distance_to_boundary(net, x)  # (20,)
    u = torch.randn(20, 30, d_in, generator=g, dtype=torch.float64)
    u = u / u.norm(dim=2, keepdim=True)
    moved = x[:, None, :] + 0.999 * d[:, None, None] * u  # (20, 30, d_in)
    same = net.patterns(moved.reshape(-1, d_in)).reshape(20, 30, -1) == net.patterns(x)[:, None, :]
    assert same.all()


def test_identity_net_has_no_boundary():
    net = Network.random([3, 4, 1], activation="identity")
    assert torch.isinf(distance_to_boundary(net, torch.zeros(2, 3))).all()


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.integers(0, 10_000), st.sampled_from(["relu", "leaky_relu", "hardtanh"]))
def test_wide_input_matches_autograd_jacobians(seed, activation):
    # input wider than the first layer: the Gram-matrix path
    net = Network.random([20, 6, 7, 1], init=("normal", 1.5, 0.7), seed=seed, activation=activation)
    x = torch.randn(5, 20, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    kinks = (-1.0, 1.0) if activation == "hardtanh" else (0.0,)
    expected = []
    for point in x:
        z = torch.cat(net.preactivations(point[None]), dim=1)[0]  # (N,)
        jac = torch.autograd.functional.jacobian(lambda p: torch.cat(net.preactivations(p[None]), dim=1)[0], point)
        norm = jac.norm(dim=1)  # (N,)
        dist = torch.stack([(z - c).abs() / norm for c in kinks]).min(dim=0).values
        expected.append(dist[norm > 0].min())
    assert torch.allclose(distance_to_boundary(net, x), torch.stack(expected), rtol=1e-9)
