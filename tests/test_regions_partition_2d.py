"""Exact 2-D partitions: areas tile the domain, patterns match the network, counts match known values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from depthlab import Network
from depthlab.construct.maximal import general_position_hyperplanes, max_regions_net
from depthlab.regions import Plane, estimate_regions_2d_sampled, partition_2d, udl_max_regions, zaslavsky

SQUARE = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])


@st.composite
def small_nets(draw):
    depth = draw(st.integers(1, 3))
    widths = [2] + [draw(st.integers(1, 7)) for _ in range(depth)] + [1]
    activation = draw(st.sampled_from(["relu", "leaky_relu", "hardtanh", "identity"]))
    seed = draw(st.integers(0, 10_000))
    return Network.random(widths, init=("normal", 1.5, 0.7), seed=seed, activation=activation, negative_slope=0.2)


def _check_partition(net, part):
    assert part.areas.sum() == pytest.approx(part.domain_area, rel=1e-9)
    assert (part.areas > 0).all()
    x = part.to_input(part.interior_points())  # (R, D_i)
    assert torch.equal(net.patterns(x), part.patterns)
    assert len({row.tobytes() for row in part.patterns.numpy()}) == part.n_regions  # one polygon per pattern
    mid = part.interior_points()
    values = part.offsets + np.einsum("roi,ri->ro", part.slopes, mid)  # (R, D_o)
    assert np.allclose(net(x).numpy(), values, rtol=1e-9, atol=1e-9)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(small_nets(), st.sampled_from(["square", "triangle"]))
def test_partition_tiles_domain_and_matches_network(net, shape):
    domain = SQUARE if shape == "square" else np.array([[2.0, -1.5], [-1.0, 1.0], [-2.0, -2.0]])  # clockwise
    part = partition_2d(net, domain)
    _check_partition(net, part)
    assert estimate_regions_2d_sampled(net, domain, 200) <= part.n_regions


@settings(max_examples=15, deadline=None, derandomize=True)
@given(small_nets(), st.integers(0, 1000))
def test_every_sampled_point_lies_in_the_region_with_its_pattern(net, seed):
    part = partition_2d(net, SQUARE)
    points = np.random.default_rng(seed).uniform(-1, 1, size=(500, 2))  # (n, 2)
    patterns = net.patterns(torch.as_tensor(points)).numpy()  # (n, F)
    found = np.zeros(points.shape[0], dtype=int)
    for polygon, pattern in zip(part.polygons, part.patterns.numpy()):
        edges = np.roll(polygon, -1, axis=0) - polygon  # (V, 2) counter-clockwise
        rel = points[:, None, :] - polygon[None]  # (n, V, 2)
        cross = edges[None, :, 0] * rel[..., 1] - edges[None, :, 1] * rel[..., 0]  # (n, V)
        inside = (cross > 1e-9).all(axis=1)
        assert (patterns[inside] == pattern).all()
        found += inside
    assert found.max() <= 1 and found.sum() >= 0.99 * points.shape[0]  # disjoint; misses only near edges


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.integers(1, 4), st.integers(0, 1000))
def test_plane_section_of_higher_dimensional_net(d_extra, seed):
    net = Network.random([2 + d_extra, 6, 5, 2], init=("normal", 1.5, 0.7), seed=seed)
    g = torch.Generator().manual_seed(seed)
    origin, u, v = torch.randn(3, 2 + d_extra, generator=g, dtype=torch.float64)
    part = partition_2d(net, Plane(origin, u, v, bounds=(-2.0, 1.0, -1.0, 3.0)))
    assert part.domain_area == pytest.approx(12.0)
    _check_partition(net, part)


@pytest.mark.parametrize("D", [1, 2, 5, 9])
def test_shallow_arrangement_reaches_zaslavsky(D):
    normals, offsets = general_position_hyperplanes(D, 2)
    net = Network((torch.as_tensor(normals), torch.ones(1, D, dtype=torch.float64)),
                  (torch.as_tensor(-offsets), torch.zeros(1, dtype=torch.float64)))
    part = partition_2d(net, [[0, 0], [1, 0], [1, 1], [0, 1]])
    assert part.n_regions == zaslavsky(D, 2)


@pytest.mark.parametrize(("K", "D"), [(1, 6), (2, 6), (2, 8), (3, 6)])
def test_two_input_max_regions_net_attains_eq_4_17(K, D):
    net = max_regions_net(2, K, D)
    part = partition_2d(net, [[0, 0], [1, 0], [1, 1], [0, 1]])
    assert part.n_regions == udl_max_regions(D, 2, K)
    assert part.areas.sum() == pytest.approx(1.0, rel=1e-9)


def test_touching_lines_add_no_region():
    # unit 2 is zero on the whole domain edge x = 1 only; unit 3 is identically 0
    w = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    b = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    net = Network((w, torch.ones(1, 3, dtype=torch.float64)), (b, torch.zeros(1, dtype=torch.float64)))
    part = partition_2d(net, [[-1, -1], [1, -1], [1, 1], [-1, 1]])
    assert part.n_regions == 2


def test_plot_and_torch_module():
    net = Network.random([2, 8, 8, 1], init=("normal", 1.5, 0.7), seed=3)
    part = partition_2d(net.to_torch(), SQUARE)
    assert part.n_regions == partition_2d(net, SQUARE).n_regions
    ax = part.plot()
    assert isinstance(ax.figure, Figure) and len(ax.collections) == 1
    part.plot(Figure().add_subplot(), values="output")
    assert len(part.polygons) == part.n_regions


def test_bad_input():
    with pytest.raises(ValueError, match="must be a Plane"):
        partition_2d(Network.random([3, 4, 1]), SQUARE)
    with pytest.raises(ValueError, match="convex"):
        partition_2d(Network.random([2, 4, 1]), [[0, 0], [2, 0], [1, 0.2], [1, 2]])
    with pytest.raises(ValueError, match="piecewise-linear"):
        partition_2d(Network.random([2, 4, 1], activation="tanh"), SQUARE)


NOISE = 64 * float(np.finfo(np.float64).eps)


def _clip(polygon, g, c, e, keep_side):
    """Sutherland-Hodgman: the part of polygon (V, 2) with g . p + c not beyond e on the other side."""
    z = polygon @ g + c  # (V,)
    out = []
    for i in range(len(polygon)):
        k = (i + 1) % len(polygon)
        if (z[i] >= -e) if keep_side > 0 else (z[i] <= e):
            out.append(polygon[i])
        if (z[i] > e and z[k] < -e) or (z[i] < -e and z[k] > e):
            out.append(polygon[i] + z[i] / (z[i] - z[k]) * (polygon[k] - polygon[i]))
    return np.array(out)


def reference_partition(net, polygon):
    """The partition by the definition, one polygon and one line at a time (slow; the engine's spec).

    Per layer and region (map h = c + p @ A): pre-activations z = o + p @ G, a noise floor 64 eps times
    their magnitudes; every (kink, unit) line with vertices beyond it on both sides clips every piece it
    crosses; each piece's pattern is read at its vertex mean (|z| within the floor counts as 0).
    Returns {pattern bytes: area}.
    """
    from depthlab.activations import activation

    rule = activation(net.activation)
    regions = [(polygon, np.eye(2), np.zeros(2), [])]  # (polygon, A (2, D_k), c (D_k,), pieces so far)
    for k in range(net.depth):
        W, b = net.weights[k].numpy(), net.biases[k].numpy()
        new = []
        for poly, A, c, pieces in regions:
            G, o = A @ W.T, c @ W.T + b  # (2, D), (D,)
            p_max = np.abs(poly).max(axis=0)  # (2,)
            noise = NOISE * ((p_max @ np.abs(A) + np.abs(c)) @ np.abs(W).T + np.abs(b))  # (D,)
            parts = [poly]
            for kink in rule.kinks:
                for j in range(W.shape[0]):
                    z = poly @ G[:, j] + o[j] - kink
                    if not ((z > noise[j]).any() and (z < -noise[j]).any()):
                        continue
                    split = []
                    for part in parts:
                        zp = part @ G[:, j] + o[j] - kink
                        if (zp > noise[j]).any() and (zp < -noise[j]).any():
                            split += [_clip(part, G[:, j], o[j] - kink, noise[j], s) for s in (1, -1)]
                        else:
                            split.append(part)
                    parts = split
            for part in parts:
                z = part.mean(axis=0) @ G + o
                z = np.where(np.abs(z) <= noise, 0.0, z)
                piece = rule.piece(z)
                gain, intercept = rule.piece_affine(piece, net.negative_slope)
                new.append((part, G * gain, o * gain + intercept, pieces + [piece]))
        regions = new
    out = {}
    for poly, _, _, pieces in regions:
        key = rule.flags(np.concatenate(pieces)[None]).tobytes()
        x, y = poly[:, 0], poly[:, 1]
        out[key] = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    return out


@st.composite
def nets_of_several_shapes(draw):
    depth = draw(st.integers(1, 4))
    widths = [2] + [draw(st.integers(1, 9)) for _ in range(depth)] + [draw(st.integers(1, 2))]
    activation = draw(st.sampled_from(["relu", "leaky_relu", "hardtanh", "identity"]))
    sigma_b = draw(st.sampled_from([0.1, 0.7]))
    seed = draw(st.integers(0, 10_000))
    return Network.random(widths, init=("normal", 1.5, sigma_b), seed=seed, activation=activation, negative_slope=0.2)


def _assert_same_as_reference(net, domain):
    part = partition_2d(net, domain)
    expected = reference_partition(net, np.asarray(domain, dtype=np.float64))
    got = {row.tobytes(): area for row, area in zip(part.patterns.numpy(), part.areas)}
    assert got.keys() == expected.keys()  # the same regions, by pattern
    for key, area in expected.items():
        assert got[key] == pytest.approx(area, rel=1e-9, abs=1e-15)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(nets_of_several_shapes())
def test_engine_equals_the_reference_partition(net):
    _assert_same_as_reference(net, 2 * SQUARE)


@pytest.mark.parametrize(("widths", "activation"), [([2, 24, 24, 1], "relu"), ([2, 10, 10, 10, 10, 1], "hardtanh"),
                                                    ([2, 16, 16, 16, 1], "leaky_relu")])
def test_engine_equals_the_reference_on_wider_nets(widths, activation):
    net = Network.random(widths, init=("normal", 1.4, 0.1), seed=5, activation=activation, negative_slope=0.1)
    _assert_same_as_reference(net, 3 * SQUARE)


def test_engine_equals_the_reference_on_a_degenerate_construction():
    _assert_same_as_reference(max_regions_net(2, 2, 6), [[0, 0], [1, 0], [1, 1], [0, 1]])  # kinks on earlier folds


def test_units_equal_on_the_plane_up_to_rounding_add_no_region():
    # units a and b differ by a normal n of the plane: on it they agree up to float64 rounding, so
    # b's line is a's, and the second layer's h_a - h_b is 0 up to rounding: the partition is the reduced net's
    u, v = np.array([0.6, 0.8, 0.0]), np.array([0.0, 0.6, 0.8])
    w_a, w_c = np.array([0.3, -0.7, 0.5]), np.array([-0.2, 0.4, 0.9])
    plane = Plane(0.3 * u - 0.2 * v, u, v, bounds=(-2.0, 2.0, -2.0, 2.0))
    t = lambda x: torch.tensor(np.array(x), dtype=torch.float64)  # noqa: E731
    full = Network((t([w_a, w_a + np.cross(u, v), w_c]), t([[1.0, -1.0, 0.0], [0.5, 0.0, 1.0]]), t([[1.0, 1.0]])),
                   (t([0.1, 0.1, -0.3]), t([0.0, -0.2]), t([0.0])))
    reduced = Network((t([w_a, w_c]), t([[0.5, 1.0]]), t([[1.0]])), (t([0.1, -0.3]), t([-0.2]), t([0.0])))
    part, expected = partition_2d(full, plane), partition_2d(reduced, plane)
    assert part.n_regions == expected.n_regions == 7
    assert np.sort(part.areas) == pytest.approx(np.sort(expected.areas), rel=1e-9)
    assert part.areas.sum() == pytest.approx(part.domain_area, rel=1e-9)
    # the tie itself (unit 3, h_a - h_b) falls on either side of 0 by the CPU's rounding: compare the other units only
    x = part.to_input(part.interior_points())  # (R, 3)
    away_from_ties = [i for i in range(part.patterns.shape[1]) if i != 3]
    assert torch.equal(full.patterns(x)[:, away_from_ties], part.patterns[:, away_from_ties])
    values = part.offsets + np.einsum("roi,ri->ro", part.slopes, part.interior_points())  # (R, 1)
    assert np.allclose(full(x).numpy(), values, rtol=1e-9, atol=1e-9)
    assert np.allclose(full(x).numpy(), reduced(x).numpy(), rtol=1e-9, atol=1e-12)
