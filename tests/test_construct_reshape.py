"""shallow_to_deep: exact reshaping of random shallow ReLU nets into constant-width deep nets."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.construct.reshape import min_width, shallow_to_deep
from depthlab.models.network import Network


def _shallow(d: int, n: int, c: int, seed: int) -> Network:
    net = Network.random([d, n, c], seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    biases = (torch.randn(n, generator=g, dtype=torch.float64), torch.randn(c, generator=g, dtype=torch.float64))
    return Network(net.weights, biases)


@settings(max_examples=25, deadline=None)
@given(
    d=st.integers(1, 4),
    c=st.integers(1, 3),
    n=st.integers(1, 30),
    extra=st.integers(0, 5),
    nonneg=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_reshaping_is_exact(d: int, c: int, n: int, extra: int, nonneg: bool, seed: int) -> None:
    shallow = _shallow(d, n, c, seed)
    width = min_width(d, c, nonneg) + extra
    lower = -1.5 if nonneg else None
    deep = shallow_to_deep(shallow, width=width, input_lower=lower)
    p = width - (d if nonneg else 2 * d) - 2 * c
    assert deep.widths == [d] + [width] * math.ceil(n / p) + [c]
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(200, d, generator=g, dtype=torch.float64) * 3 - 1.5  # inputs >= lower, some negative
    if not nonneg:
        x = x * 10  # any sign and size
    assert (deep(x) - shallow(x)).abs().max() <= 1e-12 * (1 + shallow(x).abs().max())


def test_lower_bound_clips_below_it() -> None:
    """With input_lower the carry sees max(x, lower): equal above the bound, not promised below."""
    shallow = _shallow(1, 6, 1, 3)
    deep = shallow_to_deep(shallow, width=4, input_lower=0.0)
    x = torch.linspace(0, 2, 21, dtype=torch.float64).unsqueeze(1)
    assert (deep(x) - shallow(x)).abs().max() < 1e-12
    assert deep.widths == [1, 4, 4, 4, 4, 4, 4, 1]


def test_too_narrow_width_names_the_minimum() -> None:
    with pytest.raises(ValueError, match="'width' parameter must be an int >= 11 for 3 input"):
        shallow_to_deep(_shallow(3, 5, 2, 0), width=10)
    with pytest.raises(ValueError, match=">= 4 for 1 input"):
        shallow_to_deep(_shallow(1, 5, 1, 0), width=3, input_lower=0.0)


def test_rejects_deep_or_non_relu_nets() -> None:
    with pytest.raises(ValueError, match="exactly one hidden layer"):
        shallow_to_deep(Network.random([1, 3, 3, 1]), width=4, input_lower=0.0)
    with pytest.raises(ValueError, match="ReLU"):
        shallow_to_deep(Network.random([1, 3, 1], activation="tanh"), width=4, input_lower=0.0)
