"""Width profiles for a budget (at the boundary, with their shape) and plain / residual parameter counts."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import Network
from depthlab.architectures import mlp_params, narrow_index, profile_widths, residual_params
from depthlab.models.residual import ResidualNetwork

PROFILE = st.sampled_from(["constant", "growing", "shrinking"])


@settings(max_examples=60, deadline=None)
@given(st.integers(2_000, 60_000), st.integers(1, 20), PROFILE, st.integers(1, 50), st.integers(1, 10),
       st.floats(1.5, 8.0))
def test_profile_widths_hit_the_budget_within_one_unit_per_layer(budget, depth, profile, d_in, d_out, ratio):
    try:
        widths = profile_widths(budget, depth, profile, d_in, d_out, ratio=ratio)
    except ValueError:  # only when width 1 everywhere is over the budget
        assert mlp_params(d_in, [1] * depth, d_out) > budget
        return
    assert len(widths) == depth
    assert mlp_params(d_in, widths, d_out) <= budget < mlp_params(d_in, [w + 1 for w in widths], d_out)


@settings(max_examples=40, deadline=None)
@given(st.integers(5_000, 60_000), st.integers(3, 20), st.floats(1.5, 8.0))
def test_growing_and_shrinking_have_the_stated_shape(budget, depth, ratio):
    growing = profile_widths(budget, depth, "growing", 40, 10, ratio=ratio)
    shrinking = profile_widths(budget, depth, "shrinking", 40, 10, ratio=ratio)
    constant = profile_widths(budget, depth, "constant", 40, 10)
    assert growing == sorted(growing) and shrinking == sorted(shrinking, reverse=True)
    assert len(set(constant)) == 1
    if growing[0] >= 5:  # floor rounding moves the ratio by at most one unit at each end
        assert (growing[-1] - 1) / (growing[0] + 1) <= ratio <= (growing[-1] + 1) / growing[0]


@settings(max_examples=40, deadline=None)
@given(st.integers(5_000, 60_000), st.integers(2, 20), st.sampled_from([2, 4, 8]),
       st.sampled_from(["input", "middle"]))
def test_narrow_profile_has_one_narrow_layer_and_the_rest_fill_the_budget(budget, depth, w, position):
    widths = profile_widths(budget, depth, "narrow", 40, 10, narrow_width=w, narrow_position=position)
    k = narrow_index(depth, position)
    assert widths[k] == w
    others = [v for i, v in enumerate(widths) if i != k]
    assert len(set(others)) == 1
    bigger = [v if i == k else v + 1 for i, v in enumerate(widths)]
    assert mlp_params(40, widths, 10) <= budget < mlp_params(40, bigger, 10)


def test_narrow_positions_and_bad_input():
    assert narrow_index(9, "middle") == 4 and narrow_index(9, "input") == 0 and narrow_index(9, 8) == 8
    with pytest.raises(ValueError, match="'narrow_position'"):
        narrow_index(4, 4)
    with pytest.raises(ValueError, match="'profile' parameter must be one of"):
        profile_widths(1000, 3, "wavy")
    with pytest.raises(ValueError, match="'ratio'"):
        profile_widths(1000, 3, "growing", ratio=1.0)
    with pytest.raises(ValueError, match="'budget' parameter must allow"):
        profile_widths(10, 5, "constant", 40, 10)


@given(st.integers(1, 8), st.integers(1, 9), st.integers(0, 5), st.integers(1, 4))
def test_residual_params_count_a_real_residual_net_and_equal_a_plain_net_one_layer_deeper(d_in, d, depth, d_out):
    net = ResidualNetwork.random(d_in, d, depth, d_out, seed=0)
    assert residual_params(d_in, d, depth, d_out) == net.n_params
    assert net.n_params == mlp_params(d_in, [d] * (depth + 1), d_out) == Network.random(
        [d_in, *[d] * (depth + 1), d_out], seed=0).n_params


def test_residual_and_plain_nets_of_depth_one_agree_where_they_should():
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    plain = ResidualNetwork.random(3, 6, 1, 2, seed=4)
    scaled = ResidualNetwork.random(3, 6, 1, 2, seed=4, scaled=True)
    assert scaled.branch_scale == 1.0 and torch.equal(plain(x), scaled(x))  # 1/sqrt(1) = 1: the same net
    # a block whose branch is zero (Omega = 0, beta = 0: relu(0) = 0) leaves Q (P x + p) + q, the linear plain net
    zero = ResidualNetwork(plain.input_weight, plain.input_bias, (torch.zeros(6, 6, dtype=torch.float64),),
                           (torch.zeros(6, dtype=torch.float64),), plain.output_weight, plain.output_bias)
    linear = Network((plain.input_weight, plain.output_weight), (plain.input_bias, plain.output_bias), "identity")
    assert torch.allclose(zero(x), linear(x), atol=1e-12)
    # depth 0 (no blocks) is exactly that linear plain net too
    empty = ResidualNetwork(plain.input_weight, plain.input_bias, (), (), plain.output_weight, plain.output_bias)
    assert torch.allclose(empty(x), linear(x), atol=1e-12)
