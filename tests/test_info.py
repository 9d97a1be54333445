"""depthlab.info: pixel entropy (both variants), PCA dimension, TwoNN and MLE intrinsic dimension."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.data import load_mnist
from depthlab.info import (
    mle_dimension,
    n_duplicates,
    pca_dimension,
    pca_variance_curve,
    pixel_entropy_bits,
    pixel_on_probability,
    twonn_dimension,
)


def linear_subspace(n: int, d: int, ambient: int, seed: int = 0) -> np.ndarray:
    """n Gaussian points on a random d-dimensional linear subspace of R^ambient: (n, ambient)."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(ambient, d)))[0]  # (ambient, d) orthonormal
    return rng.normal(size=(n, d)) @ basis.T


def curved_manifold(n: int, d: int, ambient: int, seed: int = 0) -> np.ndarray:
    """n points on a curved d-dimensional manifold in R^ambient: sin/cos features of d uniform coordinates."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2, size=(n, d))  # (n, d)
    features = np.concatenate([np.sin(t), np.cos(t), np.sin(2 * t)], axis=1)  # (n, 3d)
    rotation = np.linalg.qr(rng.normal(size=(ambient, ambient)))[0][:, : 3 * d]  # (ambient, 3d)
    return features @ rotation.T


# ---------------------------------------------------------------------------------------------- pixel entropy


def test_entropy_variants_by_hand():
    images = np.array([[0, 5, 0, 7], [0, 5, 9, 0], [0, 0, 3, 0], [0, 5, 0, 0]])  # p = 0, 3/4, 1/2, 1/4
    p = pixel_on_probability(images)
    assert np.allclose(p, [0, 0.75, 0.5, 0.25])
    plogp = -(0.75 * math.log2(0.75) + 0.5 * math.log2(0.5) + 0.25 * math.log2(0.25))
    h = lambda q: -q * math.log2(q) - (1 - q) * math.log2(1 - q)  # noqa: E731
    assert pixel_entropy_bits(images, kind="plogp") == pytest.approx(plogp, abs=1e-12)
    assert pixel_entropy_bits(images, kind="binary") == pytest.approx(h(0.75) + h(0.5) + h(0.25), abs=1e-12)
    # threshold 4: the 3 in pixel 2 is off, so p = 0, 3/4, 1/4, 1/4
    assert pixel_entropy_bits(images, threshold=4, kind="binary") == pytest.approx(h(0.75) + 2 * h(0.25), abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 12), st.integers(0, 10_000))
def test_entropy_bounds(n, pixels, seed):
    images = np.random.default_rng(seed).integers(0, 3, size=(n, pixels))
    binary = pixel_entropy_bits(images, kind="binary")
    plogp = pixel_entropy_bits(images, kind="plogp")
    assert 0 <= plogp <= binary + 1e-12 <= pixels + 1e-12
    assert np.isfinite(binary) and np.isfinite(plogp)


def test_entropy_bad_input():
    with pytest.raises(ValueError, match="'kind' parameter must be 'binary' or 'plogp'. Got 'shannon'"):
        pixel_entropy_bits(np.zeros((2, 3)), kind="shannon")
    with pytest.raises(ValueError, match="'images' parameter must have shape"):
        pixel_entropy_bits(np.zeros(3))


def test_mnist_t10k_entropy_matches_the_published_plogp_figure(data_dir):
    images, _ = load_mnist(data_dir, split="test")
    plogp = pixel_entropy_bits(images, threshold=0, kind="plogp")
    binary = pixel_entropy_bits(images, threshold=0, kind="binary")
    assert round(plogp, 1) == pytest.approx(188.5, abs=0.051)  # REFERENCES.md: 188.5 bits, -p log2 p, pixel > 0
    assert binary > 300  # the binary-entropy sum is a different quantity (about 340 bits)


# ---------------------------------------------------------------------------------------------- PCA


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(0, 1000))
def test_pca_exact_on_linear_subspace(d, seed):
    x = linear_subspace(60, d, 15, seed) + 3.0  # offset: PCA centres
    curve = pca_variance_curve(x)
    assert curve[d - 1] == pytest.approx(1.0, abs=1e-10)
    assert d == 1 or curve[d - 2] < 1 - 1e-6
    assert pca_dimension(x, 0.999999) == d
    assert pca_dimension(x, 1.0) <= d


def test_pca_curve_monotone_and_variance_levels():
    x = np.random.default_rng(0).normal(size=(200, 10)) * np.arange(1, 11)  # variances 1, 4, ..., 100
    curve = pca_variance_curve(x)
    assert np.all(np.diff(curve) >= 0) and curve[-1] == pytest.approx(1.0)
    assert pca_dimension(x, 0.5) < pca_dimension(x, 0.9) <= pca_dimension(x, 0.99) <= 10


def test_pca_bad_input():
    with pytest.raises(ValueError, match="'variance' parameter must be a float in \\(0, 1\\]. Got 1.5"):
        pca_dimension(np.ones((4, 2)), 1.5)
    with pytest.raises(ValueError, match="variance is 0"):
        pca_dimension(np.ones((4, 2)))


# ---------------------------------------------------------------------------------------------- TwoNN and MLE


@pytest.mark.parametrize("d", [1, 2, 5, 8])
def test_twonn_and_mle_on_linear_subspace(d):
    x = linear_subspace(2000, d, 30, seed=d)
    assert twonn_dimension(x) == pytest.approx(d, rel=0.15)
    assert mle_dimension(x, k=10) == pytest.approx(d, rel=0.15)


@pytest.mark.parametrize("d", [2, 4])
def test_twonn_and_mle_on_curved_manifold(d):
    x = curved_manifold(2000, d, 20, seed=d)
    assert pca_dimension(x, 0.999) > d  # curvature needs more linear directions than the dimension
    assert twonn_dimension(x) == pytest.approx(d, rel=0.2)
    assert mle_dimension(x, k=10) == pytest.approx(d, rel=0.2)


def test_estimators_separate_dimensions():
    low, high = linear_subspace(1500, 3, 20, seed=1), linear_subspace(1500, 9, 20, seed=1)
    assert twonn_dimension(low) < twonn_dimension(high) - 3
    assert mle_dimension(low) < mle_dimension(high) - 3


def test_duplicates_are_dropped_not_inf():
    x = linear_subspace(500, 3, 10, seed=2)
    with_duplicates = np.concatenate([x, x[:100], x[:50]])  # 150 repeated rows
    assert n_duplicates(with_duplicates) == 150
    for estimate in (twonn_dimension(with_duplicates), mle_dimension(with_duplicates)):
        assert np.isfinite(estimate)
    assert twonn_dimension(with_duplicates) == pytest.approx(twonn_dimension(x), rel=1e-9)
    assert mle_dimension(with_duplicates) == pytest.approx(mle_dimension(x), rel=1e-9)


def test_subsample_is_deterministic_by_seed():
    x = linear_subspace(800, 4, 12, seed=3)
    assert twonn_dimension(x, seed=1, n=300) == twonn_dimension(x, seed=1, n=300)
    assert twonn_dimension(x, seed=1, n=300) != twonn_dimension(x, seed=2, n=300)
    assert mle_dimension(x, seed=1, n=300) == mle_dimension(x, seed=1, n=300)


def test_dimension_bad_input():
    with pytest.raises(ValueError, match="'k' parameter"):
        mle_dimension(np.random.default_rng(0).normal(size=(20, 3)), k=1)
    with pytest.raises(ValueError, match="'k' parameter must be below the number of distinct points 5"):
        mle_dimension(np.random.default_rng(0).normal(size=(5, 3)), k=10)
    with pytest.raises(ValueError, match="at least 3 distinct points. Got 1"):
        twonn_dimension(np.ones((10, 3)))
    with pytest.raises(ValueError, match="'x' parameter must have shape \\(N, D\\)"):
        twonn_dimension(np.ones(10))
