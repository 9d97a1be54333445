"""Maximal-region constructions, counted exactly and run as networks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.construct.maximal import (
    fold_layer,
    folding_net,
    general_position_hyperplanes,
    max_regions_net,
    shallow_max_regions_net,
)
from depthlab.regions import count_regions_1d
from depthlab.regions.bounds import mlp_params, udl_max_regions


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 12))
def test_fold_layer_maps_unit_interval_onto_itself_d_plus_1_times(D):
    s, b, c, c0 = fold_layer(D)
    u = torch.linspace(0, 1, 20_001, dtype=torch.float64)
    f = torch.relu(u[:, None] * torch.as_tensor(s) + torch.as_tensor(b)) @ torch.as_tensor(c) + c0  # (n,)
    assert f.min() > -1e-12 and f.max() < 1 + 1e-12
    rising = f[1:] > f[:-1]
    assert int((rising[1:] != rising[:-1]).sum()) == D  # D turns, D + 1 monotone pieces


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(3, 9))
def test_folding_net_counts(K, D):
    net = folding_net(K, D)
    r = count_regions_1d(net, 0.0, 1.0)
    assert r.n_regions == r.n_pieces == (D + 1) ** K == udl_max_regions(D, 1, K)
    assert net.n_params == mlp_params(1, [D] * K)
    y = net(r.points())  # the output zigzags between 0 and 1 at every breakpoint
    assert torch.allclose(torch.minimum(y, 1 - y), torch.zeros_like(y), atol=1e-9)


def test_shallow_and_one_input_max_net():
    assert count_regions_1d(shallow_max_regions_net(6), 0.0, 1.0).n_regions == 7
    assert shallow_max_regions_net(6).n_params == 19
    assert count_regions_1d(max_regions_net(1, 3, 4), 0.0, 1.0).n_regions == 125


def test_narrow_layers_are_rejected():
    with pytest.raises(ValueError, match="'D' parameter must be an int >= 3"):
        folding_net(2, 2)
    with pytest.raises(ValueError, match="multiple of D_i"):
        max_regions_net(2, 2, 5)


@pytest.mark.parametrize(("D_i", "D"), [(2, 9), (3, 5), (3, 8), (4, 9)])
def test_last_layer_arrangement_is_generic_with_every_vertex_inside_the_cube(D_i, D):
    normals, offsets = general_position_hyperplanes(D, D_i)
    for subset in itertools.combinations(range(D), D_i):
        rows = list(subset)
        vertex = np.linalg.solve(normals[rows], offsets[rows])  # (D_i,)
        assert np.abs(vertex - 0.5).max() <= 0.25 + 1e-12
        others = np.delete(np.arange(D), rows)
        assert np.abs(normals[others] @ vertex - offsets[others]).min() > 1e-9  # no D_i + 1 planes meet
