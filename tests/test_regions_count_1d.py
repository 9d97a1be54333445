"""Exact 1-D region counts against brute force (grid + bisection), patterns and outputs per piece."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import Network
from depthlab.construct import compose
from depthlab.construct.folding import zigzag_net
from depthlab.construct.maximal import folding_net, shallow_max_regions_net
from depthlab.regions import count_regions_1d
from depthlab.regions.sampling import bisect_pattern_changes_1d, estimate_regions_1d_sampled


@st.composite
def small_nets(draw):
    depth = draw(st.integers(1, 3))
    d_in = draw(st.integers(1, 3))
    widths = [d_in] + [draw(st.integers(1, 6)) for _ in range(depth)] + [draw(st.integers(1, 2))]
    activation = draw(st.sampled_from(["relu", "leaky_relu", "hardtanh", "identity"]))
    seed = draw(st.integers(0, 10_000))
    net = Network.random(widths, init=("normal", 1.5, 1.0), seed=seed, activation=activation, negative_slope=0.2)
    g = torch.Generator().manual_seed(seed)
    a, b = 3 * torch.randn(2, d_in, generator=g, dtype=torch.float64)
    return net, a, b


@settings(max_examples=25, deadline=None, derandomize=True)
@given(small_nets())
def test_count_equals_bisection_brute_force(case):
    net, a, b = case
    exact = count_regions_1d(net, a, b)
    changes = bisect_pattern_changes_1d(net, a, b, n_samples=20_001)
    assert exact.n_regions == changes.numel() + 1
    assert torch.allclose(exact.breakpoints, changes, atol=1e-9, rtol=0)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(st.integers(0, 10_000), st.sampled_from(["relu", "hardtanh"]))
def test_deep_nets_count_equals_brute_force(seed, activation):
    # rounding accumulates over 12 layers: the noise floor must neither split nor merge real regions
    net = Network.random([3] + [12] * 12 + [1], init=("normal", 1.5, 0.3), seed=seed, activation=activation)
    a, b = 2 * torch.randn(2, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    exact = count_regions_1d(net, a, b)
    changes = bisect_pattern_changes_1d(net, a, b, n_samples=10_001)
    assert exact.n_regions == changes.numel() + 1
    assert torch.allclose(exact.breakpoints, changes, atol=1e-9, rtol=0)


def test_deep_wide_net_keeps_every_kink_bisection_finds():
    # a rounding bound compounded over 20 layers (|Omega|^K) swallowed 7 of these 362 regions
    net = Network.random([4] + [40] * 20 + [1], init="he_normal", seed=1)
    a, b = 10 * torch.randn(2, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    exact = count_regions_1d(net, a, b)
    changes = bisect_pattern_changes_1d(net, a, b, n_samples=20_001)
    assert exact.n_regions == changes.numel() + 1 == 362
    assert torch.allclose(exact.breakpoints, changes, atol=1e-9, rtol=0)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(small_nets())
def test_patterns_and_outputs_match_the_network(case):
    net, a, b = case
    r = count_regions_1d(net, a, b)
    mid = 0.5 * (r.t[1:] + r.t[:-1])  # (R,)
    assert torch.equal(net.patterns(r.midpoints()), r.patterns)
    assert (r.patterns[1:] != r.patterns[:-1]).any(dim=1).all()
    assert torch.allclose(net(r.midpoints()), r.offsets + r.slopes * mid[:, None], rtol=1e-9, atol=1e-9)
    left = r.offsets[1:] + r.slopes[1:] * r.breakpoints[:, None]  # (R-1, D_o) continuity at the breaks
    assert torch.allclose(net(r.points()), left, rtol=1e-9, atol=1e-9)
    assert r.t[0] == 0 and r.t[-1] == 1 and bool((r.t[1:] > r.t[:-1]).all())
    assert 1 <= r.n_pieces <= r.n_regions
    assert estimate_regions_1d_sampled(net, a, b, 500) <= r.n_regions


def test_known_counts():
    assert count_regions_1d(compose(zigzag_net(3), zigzag_net(3)), 0.0, 1.0).n_pieces == 9
    for d in (1, 6, 13):
        r = count_regions_1d(shallow_max_regions_net(d), 0.0, 1.0)
        assert (r.n_regions, r.n_pieces) == (d + 1, d + 1)


def test_composed_tents_touch_zero_at_every_fold_and_still_count_exactly():
    net = zigzag_net(2)  # the tent map: its kink at 0 is met exactly at every fold of the layers before
    for _ in range(11):
        net = compose(net, zigzag_net(2))
    r = count_regions_1d(net, 0.0, 1.0)
    assert (r.n_regions, r.n_pieces) == (4096, 4096)
    assert torch.allclose(r.breakpoints, torch.arange(1, 4096, dtype=torch.float64) / 4096, atol=1e-12)


def test_folding_net_5x10_has_11_to_the_5_regions():
    net = folding_net(5, 10)
    r = count_regions_1d(net, 0.0, 1.0)
    assert (net.n_params, r.n_regions, r.n_pieces) == (471, 161_051, 161_051)
    assert torch.equal(net.patterns(r.midpoints()), r.patterns)


def test_units_touching_zero_add_no_region():
    # unit 2 is identically 0; unit 3 is relu(x), touching 0 at the segment's start only
    omega0 = torch.tensor([[1.0], [0.0], [1.0]], dtype=torch.float64)
    beta0 = torch.tensor([-0.5, 0.0, 0.0])
    net = Network((omega0, torch.ones(1, 3, dtype=torch.float64)), (beta0.double(), torch.zeros(1).double()))
    r = count_regions_1d(net, 0.0, 1.0)
    assert r.n_regions == 2 and torch.allclose(r.breakpoints, torch.tensor([0.5], dtype=torch.float64))


def test_exactly_cancelling_unit_is_not_split():
    # h2 = relu(h1_a - h1_b) where h1_a == h1_b: the second layer's pre-activation is 0 up to rounding
    w = torch.tensor([[0.3], [0.3], [-0.7]], dtype=torch.float64)
    b = torch.tensor([0.1, 0.1, 0.2], dtype=torch.float64)
    w2 = torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    net = Network((w, w2, torch.ones(1, 2, dtype=torch.float64)), (b, torch.zeros(2).double(), torch.zeros(1).double()))
    r = count_regions_1d(net, -5.0, 5.0)
    assert r.n_regions == 3  # kinks of unit 1/2 (shared, x = -1/3) and unit 3 (x = 2/7), nothing more


def test_identity_and_torch_module():
    net = Network.random([2, 5, 1], activation="identity", seed=0)
    assert count_regions_1d(net, [0, 0], [1, 1]).n_regions == 1
    relu_net = Network.random([2, 5, 5, 1], init=("normal", 1.5, 1.0), seed=1)
    same = count_regions_1d(relu_net.to_torch(), [-2, 0], [2, 1])
    assert torch.equal(same.t, count_regions_1d(relu_net, [-2, 0], [2, 1]).t)


def test_bad_input():
    with pytest.raises(ValueError, match="piecewise-linear"):
        count_regions_1d(Network.random([1, 3, 1], activation="tanh"), 0.0, 1.0)
    with pytest.raises(ValueError, match="'b' parameter must have 2"):
        count_regions_1d(Network.random([2, 3, 1]), [0, 0], [1, 1, 1])


def _one_layer_net(weights, biases):
    w = torch.tensor(weights, dtype=torch.float64).reshape(-1, 1)  # (D, 1)
    b = torch.tensor(biases, dtype=torch.float64)
    return Network((w, torch.ones(1, w.shape[0], dtype=torch.float64)), (b, torch.zeros(1, dtype=torch.float64)))


def test_kinks_float64_tells_apart_stay_apart_however_close_in_t():
    # kinks at x = 0 and x = 1e-7 on [-1e5, 1e5]: 5e-13 apart in t, far above float64's 1e-16 there
    r = count_regions_1d(_one_layer_net([1.0, 1.0], [0.0, -1e-7]), -1e5, 1e5)
    assert r.n_regions == 3
    assert torch.allclose(r.points().reshape(-1), torch.tensor([0.0, 1e-7], dtype=torch.float64), rtol=0, atol=1e-10)
    same = count_regions_1d(_one_layer_net([1.0, 1.0], [0.0, 0.0]), -1e5, 1e5)  # the very same kink twice: one
    assert same.n_regions == 2


def test_a_crossing_a_few_ulps_inside_a_far_segment_is_found():
    a = 1e8
    ulp = float(np.spacing(a))
    for inside in (67, 8):
        kink = a + inside * ulp  # exactly representable; the unit is x - kink
        r = count_regions_1d(_one_layer_net([1.0], [-kink]), a, a + 1e-5)
        assert r.n_regions == 2, inside
        assert float(r.points()[0, 0]) == pytest.approx(kink, rel=0, abs=ulp)
    at_start = count_regions_1d(_one_layer_net([1.0], [-a]), a, a + 1e-5)  # kink exactly at the start: touching
    assert at_start.n_regions == 1


def test_merge_tol_still_merges_on_request():
    net = _one_layer_net([1.0, 1.0], [0.0, -1e-7])
    assert count_regions_1d(net, -1e5, 1e5, merge_tol=1e-11).n_regions == 2
    with pytest.raises(ValueError, match="'merge_tol' parameter"):
        count_regions_1d(net, -1.0, 1.0, merge_tol=0.5)
