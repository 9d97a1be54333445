"""regions.density: exact boundary densities and distances, checked against hand counts and brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.models.network import Network
from depthlab.regions import bisect_pattern_changes_1d, count_regions_1d, distance_to_boundary, partition_2d
from depthlab.regions.density import (
    boundary_length_per_area,
    breakpoints_per_unit_length,
    equal_neuron_widths,
    fit_line,
    random_points,
    random_segments,
    region_density,
)
from depthlab.seeds import derive_seed

SQUARE = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
BIASED = ("normal", math.sqrt(2.0), 0.5)


@given(n=st.integers(1, 500), depth=st.integers(1, 12))
@settings(max_examples=25, deadline=None)
def test_equal_neuron_widths_split_exactly_or_refuse(n, depth):
    if n % depth:
        with pytest.raises(ValueError, match="'n_neurons' parameter must be a multiple of depth"):
            equal_neuron_widths(n, depth)
    else:
        widths = equal_neuron_widths(n, depth)
        assert len(widths) == depth and sum(widths) == n and len(set(widths)) == 1


def test_random_points_and_segments_are_in_the_cube_and_seeded():
    x = random_points(3, 500, seed=4, bound=2.5)  # (500, 3)
    assert x.shape == (500, 3) and x.dtype == torch.float64
    assert float(x.abs().max()) <= 2.5 and float(x.abs().max()) > 2.0
    assert torch.equal(x, random_points(3, 500, seed=4, bound=2.5))
    assert not torch.equal(x, random_points(3, 500, seed=5, bound=2.5))
    a, b = random_segments(3, 200, length=0.7, seed=1, bound=2.0)  # (200, 3) each
    assert torch.allclose((b - a).norm(dim=1), torch.full((200,), 0.7, dtype=torch.float64))
    assert float(((a + b) / 2).abs().max()) <= 2.0
    directions = (b - a) / 0.7
    assert abs(float(directions.mean(dim=0).norm())) < 0.2  # spread over the sphere, not one direction


def test_bad_arguments_raise_one_line_value_errors():
    net = Network.random([2, 4, 1], seed=0)
    for call, word in [
        (lambda: random_points(2, 10, bound=0.0), "'bound'"),
        (lambda: random_segments(2, 10, length=-1.0), "'length'"),
        (lambda: breakpoints_per_unit_length(net, torch.zeros(3, 2), torch.ones(2, 2)), "'a' and 'b'"),
        (lambda: breakpoints_per_unit_length(net, torch.zeros(1, 2), torch.zeros(1, 2)), "positive length"),
        (lambda: fit_line([1, 1], [2, 3]), "two distinct x"),
        (lambda: equal_neuron_widths(0, 1), "n_neurons"),
    ]:
        with pytest.raises(ValueError, match=word) as info:
            call()
        assert "\n" not in str(info.value)


@given(seed=st.integers(0, 10_000), width=st.integers(1, 12), d_i=st.integers(1, 4))
@settings(max_examples=25, deadline=None)
def test_shallow_net_crossings_are_the_units_changing_sign(seed, width, d_i):
    """A line crosses each first-layer hyperplane at most once: crossings = units whose sign flips."""
    net = Network.random([d_i, width, 1], init=BIASED, seed=seed)
    a, b = random_segments(d_i, 5, length=3.0, seed=seed)  # (5, D_i) each
    z_a, z_b = a @ net.weights[0].T + net.biases[0], b @ net.weights[0].T + net.biases[0]  # (5, width)
    expected = ((z_a > 0) != (z_b > 0)).sum(dim=1).to(torch.float64) / 3.0  # (5,)
    assert torch.allclose(breakpoints_per_unit_length(net, a, b), expected, rtol=1e-12, atol=0)


@given(seed=st.integers(0, 10_000), depth=st.integers(2, 4))
@settings(max_examples=10, deadline=None)
def test_deep_net_density_matches_bisection_brute_force(seed, depth):
    net = Network.random([2, *[6] * depth, 1], init=BIASED, seed=seed)
    a, b = random_segments(2, 3, length=2.0, seed=seed)
    measured = breakpoints_per_unit_length(net, a, b)  # (3,)
    brute = torch.tensor([len(bisect_pattern_changes_1d(net, a[i], b[i], n_samples=4001)) for i in range(3)],
                         dtype=torch.float64) / 2.0
    assert torch.allclose(measured, brute, rtol=1e-12, atol=0)  # the same integer counts


def test_boundary_length_of_known_lines():
    """Units x = 0.5, x = -0.25 and y = 0.5 cut the square [-1, 1]^2 with three chords of length 2."""
    w = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    net = Network((w, torch.ones(1, 3, dtype=torch.float64)),
                  (torch.tensor([-0.5, 0.25, -0.5], dtype=torch.float64), torch.zeros(1, dtype=torch.float64)))
    part = partition_2d(net, SQUARE)
    assert part.n_regions == 6  # 3 vertical strips x 2
    assert boundary_length_per_area(part) == pytest.approx(6.0 / 4.0, rel=1e-12)


def _chord(normal: np.ndarray, offset: float) -> float:
    """Length of {x : normal . x + offset = 0} inside [-1, 1]^2, by clipping the line to the square."""
    direction = np.array([-normal[1], normal[0]]) / np.linalg.norm(normal)
    point = -offset * normal / float(normal @ normal)
    lo, hi = -np.inf, np.inf
    for k in range(2):
        if abs(direction[k]) < 1e-15:
            if abs(point[k]) > 1:
                return 0.0
            continue
        s1, s2 = sorted(((-1 - point[k]) / direction[k], (1 - point[k]) / direction[k]))
        lo, hi = max(lo, s1), min(hi, s2)
    return max(0.0, hi - lo)


@given(seed=st.integers(0, 10_000), width=st.integers(1, 10))
@settings(max_examples=25, deadline=None)
def test_shallow_boundary_length_is_the_sum_of_chords(seed, width):
    net = Network.random([2, width, 1], init=BIASED, seed=seed)
    w, b = net.weights[0].numpy(), net.biases[0].numpy()
    expected = sum(_chord(w[j], float(b[j])) for j in range(width)) / 4.0
    assert boundary_length_per_area(partition_2d(net, SQUARE)) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_region_density_record_is_consistent():
    net = Network.random([3, 10, 10, 1], init=BIASED, seed=3)
    measured = region_density(net, n_lines=7, n_points=50, length=1.5, seed=2, bound=1.0)
    assert measured.breakpoints_per_length.shape == (7,) and measured.distances.shape == (50,)
    assert measured.n_neurons == 20
    assert measured.density_per_neuron == pytest.approx(measured.mean_density / 20)
    x = random_points(3, 50, seed=derive_seed(2, "points"), bound=1.0)  # region_density's own point stream
    assert torch.equal(measured.distances, distance_to_boundary(net, x))


def test_density_grows_with_width_at_init():
    """Hanin & Rolnick's Theorem 1 in miniature: 8x the neurons, several times the crossings per length."""
    small = np.mean([region_density(Network.random([2, 8, 1], init=BIASED, seed=s), 20, 1, seed=s).mean_density
                     for s in range(5)])
    large = np.mean([region_density(Network.random([2, 64, 1], init=BIASED, seed=s), 20, 1, seed=s).mean_density
                     for s in range(5)])
    assert 4.0 < large / small < 16.0


def test_fit_line_recovers_a_noisy_line():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 10, 50)
    y = 3.0 * x - 2.0 + rng.normal(0, 0.1, 50)
    fit = fit_line(x, y)
    assert fit.slope == pytest.approx(3.0, abs=0.02) and fit.intercept == pytest.approx(-2.0, abs=0.1)
    assert 0.99 < fit.r2 <= 1.0


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "hardtanh", "identity"])
def test_parallel_copies_count_what_one_segment_at_a_time_counts(activation):
    """The block-diagonal stack of copies gives each segment's own count_regions_1d count."""
    net = Network.random([3, 9, 7, 5, 1], init=("normal", 2.0, 0.5), seed=11, activation=activation)
    a, b = random_segments(3, 13, length=4.0, seed=6)  # (13, 3) each
    one_by_one = torch.tensor([count_regions_1d(net, a[i], b[i]).n_regions - 1 for i in range(13)],
                              dtype=torch.float64)  # (13,)
    assert torch.allclose(breakpoints_per_unit_length(net, a, b) * 4.0, one_by_one, rtol=1e-12, atol=0)
    if activation != "identity":
        assert one_by_one.sum() > 13  # the check is not vacuous
