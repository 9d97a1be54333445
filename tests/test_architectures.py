"""Architecture arithmetic: parameter counts by brute force, widths for a budget at the boundary."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depthlab import Network
from depthlab.architectures import (
    constant_width_for_budget,
    equal_neuron_widths,
    mlp_params,
    shallow_width_for_budget,
    split_neurons,
)


@given(st.integers(1, 6), st.lists(st.integers(1, 7), max_size=4), st.integers(1, 4))
def test_mlp_params_counts_a_real_network(d_in, hidden, d_out):
    assert mlp_params(d_in, hidden, d_out) == Network.random([d_in, *hidden, d_out], seed=0).n_params


@given(st.integers(8, 5000), st.integers(1, 6), st.integers(1, 20), st.integers(1, 5))
def test_constant_width_is_the_largest_within_budget(budget, depth, d_in, d_out):
    width = constant_width_for_budget(budget, depth, d_in, d_out)
    assert mlp_params(d_in, [width + 1] * depth, d_out) > budget
    assert width == 1 or mlp_params(d_in, [width] * depth, d_out) <= budget


@given(st.integers(1, 50_000), st.integers(1, 50), st.integers(1, 10))
def test_shallow_width_is_the_largest_within_budget(budget, d_in, d_out):
    width = shallow_width_for_budget(budget, d_in, d_out)
    assert mlp_params(d_in, [width + 1], d_out) > budget
    assert width == 1 or mlp_params(d_in, [width], d_out) <= budget


def test_fig_20_2_counts_and_splits():
    assert [mlp_params(40, w, 10) for w in ([298], [100] * 2, [75] * 3, [63] * 4)] == [15208, 15210, 15235, 15319]
    assert equal_neuron_widths(96, 3) == [32] * 3 and split_neurons(10, 3) == [3] * 3 and split_neurons(2, 3) == [1] * 3
    with pytest.raises(ValueError, match="multiple of depth"):
        equal_neuron_widths(10, 3)
    with pytest.raises(ValueError, match="budget"):
        constant_width_for_budget(0, 3)
