"""Memorizers 2 and 3 units wide: stated width and depth, fit of net(x) within a tolerance derived from the slopes and
code gaps, Hernandez & Zuazua's depth bound, duplicates, float targets, float32, bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.construct.memorize import encode_1d
from depthlab.construct.narrow import (
    FLOOR,
    boundary_gaps,
    first_unit_error,
    hz_depth_bound,
    label_change_gaps,
    memorize_narrow,
    memorize_width2,
    memorize_width3,
)

U = 2.0**-53  # float64 unit roundoff


def _data(n: int, d: int, k: int, seed: int, grid: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """X (n, d) float64, Y (n,) labels in 0..k-1; grid > 0 draws X on a small integer grid (duplicate rows), with
    one label per distinct row."""
    g = torch.Generator().manual_seed(seed)
    x = (torch.randint(0, grid, (n, d), generator=g).double() if grid else torch.rand(n, d, generator=g,
                                                                                       dtype=torch.float64))
    y = torch.randint(0, k, (n,), generator=g)
    _, inverse = torch.unique(x, dim=0, return_inverse=True)
    first = torch.full((int(inverse.max()) + 1,), n).scatter_reduce(0, inverse, torch.arange(n), reduce="amin")
    return x, y[first[inverse]]  # duplicates share the label of their first copy


def _runs(m) -> list[int]:
    """Lengths of the runs of equal targets along the sorted distinct codes, from the encoding (not the builder)."""
    codes, t = m.encoding.codes, m.targets[:, 0]
    order = torch.argsort(codes)
    codes, t = codes[order], t[order]
    keep = torch.ones_like(codes, dtype=torch.bool)
    keep[1:] = codes[1:] != codes[:-1]
    labels = t[keep].tolist()
    runs = [1]
    for a, b in zip(labels[:-1], labels[1:]):
        if a == b:
            runs[-1] += 1
        else:
            runs.append(1)
    return runs


def _expected_layers(m, clamp_all: bool) -> int:
    """Depth from the run structure: width 2 one layer per op (1 per one-code run, 2 per longer run or per run with
    clamp_all), width 3 one per run; plus the code layer; 1 for a constant network."""
    runs = _runs(m)
    if len(runs) == 1:
        return 1
    ops = len(runs) if m.width == 3 else sum(2 if (r > 1 or clamp_all) else 1 for r in runs)
    return ops + int(m.code_layer)


def _tolerance(m, unit: float = U) -> float:
    """A bound on max |net(x) - t| in float64 derived here from the construction's slopes and the code gaps.

    Every op moves a carry value in [FLOOR, 1.75] onto a target s in [0.25, 0.5] and the output is A u + C. The slope
    of an op is |lambda| <= |s - theta| / (spacing of its thresholds) <= 1.5 / (G / 6), G the gap below the run (a
    label-change gap, or code_min - FLOOR for the lowest run); thresholds sit within G / 12 of the thirds (the half)
    of that gap. Width 2: the kink v of a fold is exact and |lambda v| = |s - c| <= 1.5, so a handful of roundings
    of terms <= 1.75 + 1.5: the bound does not depend on the gaps. Width 3: the flat op sums l1 (u - th1) and
    l2 (u - th2), each <= slope * (1.75 - FLOOR), cancelling to s: rounding of those terms.
    """
    gap = min(m.min_boundary_gap, float(m.encoding.codes.min()) - FLOOR)
    slope = 9.0 / gap
    assert m.max_fold_slope <= slope
    carry = 1.75 + 1.5 if m.width == 2 else 1.75 + 2 * slope * (1.75 - FLOOR)
    scale, offset, top = m.output_scale, abs(m.output_offset), float(m.targets.abs().max())
    return 8 * unit * (scale * (carry + 1.5) + offset + top)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(n=st.integers(1, 60), d=st.integers(1, 6), k=st.integers(1, 5), seed=st.integers(0, 10_000),
       width=st.sampled_from([2, 3]), clamp_all=st.booleans(), grid=st.sampled_from([0, 0, 3]))
def test_stated_width_and_depth_and_fit_within_derived_tolerance(n, d, k, seed, width, clamp_all, grid):
    x, y = _data(n, d, k, seed, grid)
    clamp_all = clamp_all and width == 2
    m = memorize_narrow(x, y, width=width, seed=seed, clamp_all=clamp_all)
    assert m.net.widths == [d] + [width] * m.layers + [1]
    assert m.layers == _expected_layers(m, clamp_all) and m.params == m.net.n_params
    assert m.n_distinct == int(torch.unique(x, dim=0).shape[0]) and m.n_classes == int(torch.unique(y).numel())
    assert m.layers <= hz_depth_bound(m.n_distinct, m.n_classes) == m.hz_depth_bound
    assert m.layers <= (2 * m.n_distinct + 1 if clamp_all else m.n_distinct + 1)
    with torch.no_grad():
        out = m.net(x)[:, 0]  # as a user runs it
    err = float((out - y.double()).abs().max())
    assert err == m.fit_max_abs_error <= m.error_bound <= _tolerance(m)
    assert m.train_accuracy == 1.0


@pytest.mark.parametrize("width", [2, 3])
def test_float_targets_are_fitted_as_given(width):
    g = torch.Generator().manual_seed(3)
    x, t = torch.rand(80, 4, generator=g, dtype=torch.float64), torch.randn(80, generator=g, dtype=torch.float64) * 7
    m = memorize_narrow(x, t, width=width)
    assert m.target_kind == "values" and math.isnan(m.train_accuracy) and m.n_runs == m.n_distinct == 80
    assert m.fit_max_abs_error <= m.error_bound <= _tolerance(m)
    column = memorize_narrow(x, t[:, None], width=width)  # (N, 1) is the same target
    assert torch.equal(column.net.weights[-1], m.net.weights[-1])


def test_width2_worst_case_alternating_labels_is_one_layer_per_point_within_the_bound():
    n = 40
    x, y = torch.arange(n, dtype=torch.float64)[:, None], torch.arange(n) % 2  # every run has one point
    m = memorize_width2(x, y)
    assert m.n_runs == n and m.layers in (n, n + 1) and m.layers <= 2 * n + 4 * 2 - 1
    assert m.fit_max_abs_error <= m.error_bound


def test_runs_of_equal_labels_cost_two_layers_at_width2_and_one_at_width3():
    x = torch.arange(12, dtype=torch.float64)[:, None]
    y = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])  # three runs of four
    w2, w3 = memorize_width2(x, y), memorize_width3(x, y)
    assert w2.n_runs == w3.n_runs == 3 and w2.n_ops == 6 and w3.n_ops == 3
    assert w2.code_layer and w2.layers == 7 and w3.layers == 4  # the top run is a clamp: a code layer first
    assert w2.max_fold_slope < 100 and w2.train_accuracy == w3.train_accuracy == 1.0


def test_constant_labels_give_a_constant_network_of_one_layer():
    x = torch.rand(10, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for width in (2, 3):
        m = memorize_narrow(x, torch.full((10,), 4), width=width)
        assert m.layers == 1 and m.n_ops == 0 and m.fit_max_abs_error == 0.0
        assert m.net(x[:2]).flatten().tolist() == [4.0, 4.0]


def test_single_point_and_duplicated_rows():
    one = memorize_width2(torch.tensor([[0.3, 0.7]]), torch.tensor([2]))
    assert one.layers == 1 and one.fit_max_abs_error == 0.0
    x = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [1.0, 0.0]], dtype=torch.float64)
    y = torch.tensor([1, 0, 1, 2, 0])
    for width in (2, 3):
        m = memorize_narrow(x, y, width=width)
        assert m.n_distinct == 3 and m.train_accuracy == 1.0 and m.fit_max_abs_error <= m.error_bound


def test_width2_error_does_not_grow_as_the_code_gaps_shrink_width3_error_bound_does():
    x, y = _data(1500, 8, 3, seed=5)
    w2, w3 = memorize_width2(x, y), memorize_width3(x, y)
    assert w2.relative_boundary_gap < 1e-5  # steep folds (slope > 1e5)
    assert w2.max_fold_slope > 1e5 and w2.fit_max_abs_error <= w2.error_bound < 1e-13
    assert w3.error_bound > 10 * w2.error_bound and w3.fit_max_abs_error <= w3.error_bound
    assert w3.layers < w2.layers and w3.params > w2.params  # width 3: fewer layers, more parameters


def test_float32_fits_when_the_code_error_is_well_inside_the_gaps():
    """Thresholds are float32 numbers, so in float32 only the code's own error and the roundings remain: a clamp or
    a flat op absorbs the code's error (the float64 tolerance with float32's unit roundoff); a width-2 fold
    multiplies it by its slope (times the output scale A)."""
    x, y = _data(200, 6, 3, seed=11)
    clamped, flat, folded = memorize_width2(x, y, clamp_all=True), memorize_width3(x, y), memorize_width2(x, y)
    for m in (clamped, flat, folded):
        err32 = first_unit_error(m.net, x)
        assert 0 < err32 < m.min_boundary_gap / 100  # codes computed in float32 stay far from the thresholds
        with torch.no_grad():
            out = m.net.to(torch.float32)(x.float())[:, 0].double()
        error = float((out - y).abs().max())
        if m is folded:
            assert error <= m.output_scale * m.max_fold_slope * err32 + _tolerance(m, 2.0**-24)
        else:
            assert error <= _tolerance(m, 2.0**-24)
    assert clamped.n_ops == 2 * clamped.n_runs and folded.n_ops < clamped.n_ops


def test_label_change_gaps_and_boundary_gaps_agree():
    codes, y = torch.tensor([1.0, 1.5, 1.25, 1.75, 1.125]), torch.tensor([0, 1, 0, 1, 1])
    gaps = label_change_gaps(codes, y)  # sorted: 1.0(0) 1.125(1) 1.25(0) 1.5(1) 1.75(1)
    assert gaps.tolist() == [0.125, 0.125, 0.25]
    assert boundary_gaps(codes, y) == (0.125, 0.125 / 0.75)
    assert boundary_gaps(codes, torch.zeros(5)) == (math.inf, math.inf)


def test_same_code_neuron_as_memorize():
    x, y = _data(50, 5, 3, seed=2)
    m = memorize_width2(x, y, seed=7)
    enc = encode_1d(x, seed=7, labels=y.double()[:, None])
    assert torch.equal(m.encoding.w, enc.w)


@pytest.mark.parametrize("kwargs, message", [
    ({"width": 4}, "'width' parameter must be 2 or 3"),
    ({"width": 1}, "'width' parameter must be 2 or 3"),
    ({"width": True}, "'width' parameter must be 2 or 3"),
    ({"width": 3, "clamp_all": True}, "'clamp_all' parameter must be a bool, True only at width 2"),
    ({"method": "best"}, "'method' parameter must be one of"),
])
def test_bad_parameters_are_one_line_errors(kwargs, message):
    x, y = _data(10, 2, 2, seed=0)
    with pytest.raises(ValueError, match=message) as info:
        memorize_narrow(x, y, **kwargs)
    assert "\n" not in str(info.value)


def test_bad_data_are_one_line_errors():
    x, y = _data(10, 2, 2, seed=0)
    bad_x = x.clone()
    bad_x[3, 1] = float("nan")
    cases = [
        (x[0], y, "'X' parameter must be a non-empty 2-D array"),
        (x[:0], y[:0], "'X' parameter must be a non-empty 2-D array"),
        (bad_x, y, "'X' parameter contains 1 NaN"),
        (x, y[:9], r"'Y' parameter must have shape \(10,\)"),
        (x, torch.stack([y, y], 1).double(), r"'Y' parameter must have shape \(10,\).*one output"),
        (x, y.double().masked_fill(y == 0, float("nan")), "'Y' parameter contains .* NaN"),
        (x, y - 1, "'Y' parameter must hold integer class labels >= 0"),
    ]
    for xx, yy, message in cases:
        with pytest.raises(ValueError, match=message) as info:
            memorize_width2(xx, yy)
        assert "\n" not in str(info.value)


def test_identical_inputs_with_different_labels_name_their_indices():
    x = torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="identical inputs with different labels.*0 and 2"):
        memorize_width3(x, torch.tensor([0, 1, 1]))


def test_hz_depth_bound_checks_its_input():
    assert hz_depth_bound(1, 1) == 5
    with pytest.raises(ValueError, match="'n_classes' parameter must be an int >= 1"):
        hz_depth_bound(3, 0)
