"""The tent map, the deep sawtooth and its shallow twin: equal as networks, 2^k pieces, minimal widths."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.construct.sawtooth import (
    sawtooth,
    sawtooth_params,
    sawtooth_values,
    shallow_sawtooth,
    tent_map_net,
)
from depthlab.regions import count_regions_1d


def _grid(k: int) -> torch.Tensor:
    """Dense points of [0, 1] including every kink j / 2^k. (B, 1)"""
    dense = torch.linspace(0, 1, 20_001, dtype=torch.float64)
    kinks = torch.arange(2**k + 1, dtype=torch.float64) / 2**k
    return torch.cat([dense, kinks])[:, None]


def test_tent_map_values():
    x = torch.rand(1000, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    expected = torch.where(x <= 0.5, 2 * x, 2 - 2 * x)
    assert float((tent_map_net()(x) - expected).abs().max()) <= 1e-15


@pytest.mark.parametrize("k", range(1, 7))
def test_deep_and_shallow_sawtooth_are_equal_on_the_interval(k):
    x = _grid(k)
    deep, shallow = sawtooth(k), shallow_sawtooth(k)
    assert float((deep(x) - shallow(x)).abs().max()) <= 1e-12
    assert float((deep(x)[:, 0] - sawtooth_values(k, x[:, 0])).abs().max()) <= 1e-12
    assert float(deep(x).min()) >= 0.0 and float(deep(x).max()) <= 1.0 + 1e-15


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_sawtooth_has_2_to_the_k_pieces(k):
    deep = sawtooth(k)
    assert deep.widths == [1] + [2] * k + [1]
    regions = count_regions_1d(deep, 0.0, 1.0)
    assert regions.n_pieces == 2**k
    assert np.allclose(regions.breakpoints.numpy(), np.arange(1, 2**k) / 2**k, atol=1e-12)


@pytest.mark.parametrize("k", [1, 3, 6])
def test_shallow_sawtooth_has_the_same_pieces(k):
    assert count_regions_1d(shallow_sawtooth(k), 0.0, 1.0).n_pieces == 2**k


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 12))
def test_parameter_counts(k):
    assert (sawtooth(k).n_params, shallow_sawtooth(k).n_params if k <= 12 else None) == sawtooth_params(k)
    assert shallow_sawtooth(k).n_hidden == 2**k


@pytest.mark.parametrize("k", [1, 2, 3])
def test_no_shallow_net_with_one_unit_per_interior_kink(k):
    """With 2^k - 1 units (one per interior kink, any facing), least squares cannot match g_k on [0, 1]."""
    x = torch.linspace(0, 1, 16 * 2**k + 1, dtype=torch.float64)  # (B,) includes the kinks
    target = sawtooth_values(k, x)
    kinks = torch.arange(1, 2**k, dtype=torch.float64) / 2**k
    best = float("inf")
    for facing in itertools.product([1.0, -1.0], repeat=len(kinks)):
        signs = torch.tensor(facing, dtype=torch.float64)
        features = torch.relu(signs * (x[:, None] - kinks))  # (B, 2^k - 1)
        design = torch.cat([features, torch.ones(len(x), 1, dtype=torch.float64)], dim=1)
        solution = np.linalg.lstsq(design.numpy(), target.numpy(), rcond=None)[0]
        best = min(best, float(np.abs(design.numpy() @ solution - target.numpy()).max()))
    assert best > 1e-3  # far above rounding: no exact match exists


@pytest.mark.parametrize("bad", [0, -1, 1.5, "3", True])
def test_bad_k(bad):
    with pytest.raises(ValueError, match="'k' parameter"):
        sawtooth(bad)
    with pytest.raises(ValueError, match="'k' parameter"):
        shallow_sawtooth(bad)
