"""The float32 staircase memorizer: its float32 output is every label exactly, proven by the rounding bound."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits

from depthlab.construct.memorize import memorize
from depthlab.construct.staircase import pad_width, staircase_net
from depthlab.precision import float_error_bound


def _run32(net, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return net.to_torch()(x.to(torch.float32)).double()[:, 0]  # the torch module, in float32, as a user runs it


@settings(max_examples=20, deadline=None, derandomize=True)
@given(n=st.integers(1, 300), d=st.integers(1, 12), k=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_float32_output_is_every_label(n: int, d: int, k: int, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, d, generator=g, dtype=torch.float64).to(torch.float32).to(torch.float64)
    y = torch.randint(0, k, (n,), generator=g)
    built = staircase_net(x, y, seed=seed % 3)
    net = built.net
    assert net.dtype == torch.float32 and set(net.widths[1:-1]) <= {4} and net.widths[-1] == 1
    assert torch.equal(_run32(net, x), y.double())
    bound = float_error_bound(net, x)
    assert bound.max_bound == 0.0 and torch.equal(bound.output[:, 0], y.double())
    changes = int((y[1:] != y[:-1]).sum()) if n > 1 else 0
    assert built.n_label_steps <= max(changes, n - 1)


def test_real_digits_in_float32() -> None:
    """scikit-learn's 1,797 digits (integer pixels 0-16): exact in float32, about two layers per label change."""
    digits = load_digits()
    x, y = torch.tensor(digits.data, dtype=torch.float64), torch.tensor(digits.target)
    m = memorize(x, y, dtype=torch.float32)
    assert m.fit_max_abs_error == 0.0 and m.fit_mse == 0.0 and m.train_accuracy == 1.0 and m.error_bound == 0.0
    assert torch.equal(_run32(m.net, x), y.double()) and m.stacked_max_abs_error == 0.0
    assert m.staircase.n_super_buckets >= 1 and m.layers < 3 * x.shape[0]
    seed = memorize(x, y)  # the seed's construction, float64: in float32 its bound guarantees nothing
    assert float_error_bound(seed.net, x).max_bound > 0.5


def test_keep_steps_truncates_the_staircase() -> None:
    """Keeping more label changes makes the net deeper and its exact float32 training error never larger."""
    g = torch.Generator().manual_seed(1)
    x = torch.rand(200, 5, generator=g, dtype=torch.float64).float().double()
    y = torch.randint(0, 3, (200,), generator=g)
    full = staircase_net(x, y)
    depths, errors = [], []
    for keep in (0, 1, 5, 20, full.n_label_steps // 2, None):
        built = staircase_net(x, y, keep_steps=keep)
        out = _run32(built.net, x)
        assert torch.equal(out, out.round()) and float_error_bound(built.net, x).max_bound == 0.0
        depths.append(built.net.depth)
        errors.append(float(((out - y.double()) ** 2).sum()))
    assert depths == sorted(depths) and depths[0] < depths[-1] == full.net.depth
    assert errors == sorted(errors, reverse=True) and errors[0] > 0 and errors[-1] == 0


def test_seeds_give_other_codes_and_padding_keeps_the_function() -> None:
    g = torch.Generator().manual_seed(2)
    x = torch.rand(100, 6, generator=g, dtype=torch.float64).float().double()
    y = torch.randint(0, 4, (100,), generator=g)
    a, b = staircase_net(x, y, seed=0), staircase_net(x, y, seed=7)
    assert not torch.equal(a.codes.weight, b.codes.weight)
    assert torch.equal(_run32(b.net, x), y.double())
    wide = pad_width(a.net, 7)
    assert set(wide.widths[1:-1]) == {7} and torch.equal(_run32(wide, x), _run32(a.net, x))
    assert memorize(x, y, width=7, dtype=torch.float32).net.widths[1] == 7


def test_float32_collisions_and_unresolvable_inputs() -> None:
    x = torch.tensor([[1.0], [1.0 + 1e-12], [2.0]], dtype=torch.float64)  # rows 0, 1 equal in float32
    with pytest.raises(ValueError, match="equal after the cast to float32.*indices 0 and 1"):
        memorize(x, torch.tensor([0, 1, 0]), dtype=torch.float32)
    same = memorize(x, torch.tensor([1, 1, 0]), dtype=torch.float32)  # equal labels: one point, fitted
    assert same.fit_max_abs_error == 0.0
    near = torch.tensor([[1.0], [1.0 + 2.0**-23], [3.0]], dtype=torch.float64)  # neighbours in float32
    with pytest.raises(ValueError, match="no tried pair of codes separates"):
        memorize(near, torch.tensor([0, 1, 0]), dtype=torch.float32, n_tries=2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dtype": torch.float16}, "'dtype' parameter"),
        ({"dtype": torch.float32, "targets": "onehot", "width": 8}, "targets='scalar'"),
        ({"dtype": torch.float32, "width": 3}, "'width' parameter"),
    ],
)
def test_bad_input(kwargs: dict, match: str) -> None:
    x, y = torch.rand(10, 2, dtype=torch.float64), torch.tensor([0, 1] * 5)
    with pytest.raises(ValueError, match=match):
        memorize(x, y, **kwargs)


def test_float_targets_need_float64() -> None:
    with pytest.raises(ValueError, match="integer class labels"):
        memorize(torch.rand(10, 2, dtype=torch.float64), torch.rand(10, dtype=torch.float64), dtype=torch.float32)
    assert np.isnan(memorize(torch.rand(10, 2, dtype=torch.float64), torch.tensor([0, 1] * 5)).error_bound)
