"""Region bounds: the published figures, their relations, and exact counts of small nets under them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import Network
from depthlab.regions import count_regions_1d
from depthlab.regions.bounds import mlp_params, montufar, serra, udl_max_regions, zaslavsky


def test_published_figures():
    assert (mlp_params(1, [6]), zaslavsky(6, 1)) == (19, 7)
    assert (mlp_params(1, [10] * 5), udl_max_regions(10, 1, 5)) == (471, 161_051)
    assert montufar(1, [10] * 5) == 110_000
    assert mlp_params(10, [50] * 5) == 10_801
    big = udl_max_regions(50, 10, 5)
    assert isinstance(big, int) and big > 10**40 and math.isclose(big, 1.8e41, rel_tol=0.01)
    assert math.isclose(serra(10, [50] * 5), 4.4e50, rel_tol=0.01)


def test_udl_is_float_when_d_i_does_not_divide_d():
    value = udl_max_regions(7, 2, 2)
    assert isinstance(value, float) and value == pytest.approx(4.5**2 * 29)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(2, 12), min_size=1, max_size=5))
def test_serra_for_one_input_is_product_of_widths_plus_one(widths):
    assert serra(1, widths) == math.prod(w + 1 for w in widths)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.lists(st.integers(1, 14), min_size=1, max_size=4))
def test_montufar_below_serra_below_all_patterns(n0, widths):
    assert montufar(n0, widths) <= serra(n0, widths)
    assert serra(n0, widths) <= math.prod(2**w for w in widths)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 12), st.integers(1, 12))
def test_zaslavsky(D, D_i):
    if D <= D_i:
        assert zaslavsky(D, D_i) == 2**D
    assert zaslavsky(D, D_i) == serra(D_i, [D]) if D >= 1 else zaslavsky(D, D_i) == 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.integers(0, 1000))
def test_exact_counts_of_random_nets_are_below_serra(widths, seed):
    net = Network.random([1, *widths, 1], init=("normal", 1.5, 1.0), seed=seed)
    assert count_regions_1d(net, -10.0, 10.0).n_regions <= serra(1, widths)


def test_bad_input():
    with pytest.raises(ValueError, match="'widths' parameter must be a non-empty list"):
        serra(2, [])
    with pytest.raises(ValueError, match="'D_i' parameter must be an int >= 1"):
        zaslavsky(3, 0)
