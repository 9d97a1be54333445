"""depthlab.info: pixel entropies, the mixture bound, label bits, MacKay's capacity, PCA / TwoNN / MLE dimension."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab import Network
from depthlab.data import load_mnist
from depthlab.info import (
    BernoulliMixture,
    binarization_threshold,
    binary_entropy_bits,
    capacity_weights,
    empirical_label_bits,
    fit_bernoulli_mixture,
    histogram_entropy_bits,
    independent_pixel_entropy,
    label_bits,
    mackay_capacity_bits,
    mixture_bound,
    mle_dimension,
    n_duplicates,
    pca_dimension,
    pca_variance_curve,
    pixel_entropy_bits,
    pixel_measures,
    pixel_on_probability,
    plogp_sum_bits,
    pytorch_example_net,
    twonn_dimension,
    value_range,
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


def test_each_named_quantity_by_hand():
    p = np.array([0.0, 0.75, 0.5, 0.25])  # the 4-pixel images above
    h = lambda q: -q * math.log2(q) - (1 - q) * math.log2(1 - q)  # noqa: E731
    assert plogp_sum_bits(p) == pytest.approx(0.75 * math.log2(4 / 3) + 0.5 + 0.5, abs=1e-12)
    q = p / p.sum()  # 0, 1/2, 1/3, 1/6
    assert histogram_entropy_bits(p) == pytest.approx(0.5 + math.log2(3) / 3 + math.log2(6) / 6, abs=1e-12)
    assert q.sum() == pytest.approx(1.0)
    assert np.allclose(binary_entropy_bits(p), [0.0, h(0.75), 1.0, h(0.25)], atol=1e-12)
    assert independent_pixel_entropy(p) == pytest.approx(1.0 + 2 * h(0.25), abs=1e-12)
    assert histogram_entropy_bits(np.full(784, 0.3)) == pytest.approx(math.log2(784), abs=1e-9)  # its maximum
    m = pixel_measures(np.array([[0, 5, 0, 7], [0, 5, 9, 0], [0, 0, 3, 0], [0, 5, 0, 0]]))
    assert np.allclose(m.p, p) and m.threshold == 0.0 and m.n_images == 4
    assert m.independent_pixel_bits == pytest.approx(independent_pixel_entropy(p))


def test_thresholds_are_judged_against_the_data_range():
    assert value_range(np.array([[0.0, 0.4]])) == (0.0, 1.0)
    assert value_range(np.array([[0, 200]])) == (0.0, 255.0)
    assert value_range(np.array([[-1.0, 3.0]])) == (-1.0, 3.0)
    assert binarization_threshold(np.array([[0.0, 0.4]])) == 0.0
    signals = np.array([[-1.0, 0.5, 3.0], [0.2, -0.4, 1.0]])
    assert binarization_threshold(signals, 0.0) == 0.0
    assert pixel_on_probability(signals, 0.0).tolist() == [0.5, 0.5, 1.0]
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\] or \[0, 255\] when no threshold is stated") as info:
        pixel_on_probability(signals)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=r"'threshold' parameter must be a number in the data's range \[-1, 3\)"):
        pixel_on_probability(signals, threshold=3.0)  # at the top nothing is on
    with pytest.raises(ValueError, match=r"data's range \[0, 1\) .*Got 2 instead"):
        pixel_entropy_bits(np.array([[0.0, 0.4]]), threshold=2)
    with pytest.raises(ValueError, match="empty data set"):
        pixel_measures(np.zeros((0, 4)))


def test_label_bits_by_hand_and_single_class_refused():
    assert label_bits(10, 2) == 10.0 and label_bits(3, 8) == pytest.approx(9.0)
    assert empirical_label_bits([0, 1, 1, 1]) == pytest.approx(4 * (0.25 * 2 + 0.75 * math.log2(4 / 3)))
    assert empirical_label_bits(np.repeat(np.arange(10), 7)) == pytest.approx(label_bits(70, 10))  # balanced
    with pytest.raises(ValueError, match="single class carries no label information"):
        label_bits(10, 1)
    with pytest.raises(ValueError, match="at least 2 classes .*Got only class 4"):
        empirical_label_bits([4, 4, 4])
    with pytest.raises(ValueError, match="empty data set"):
        empirical_label_bits([])


def test_mackay_capacity_counts_weights():
    net = Network.random([2, 3, 1], seed=0)  # (2 + 1) 3 + (3 + 1) 1 = 13 parameters
    assert mackay_capacity_bits(net) == 26.0
    assert mackay_capacity_bits(pytorch_example_net()) == 2 * 21_840
    assert mackay_capacity_bits(net.to_torch()) == 26.0 and mackay_capacity_bits(7) == 14.0
    assert capacity_weights(mackay_capacity_bits(net)) == 13.0
    with pytest.raises(ValueError, match="'net' parameter must be a depthlab Network, a torch module or"):
        mackay_capacity_bits("big")


# ---------------------------------------------------------------------------------------------- mixture bound


def test_one_component_is_closed_form_and_codes_by_hand():
    x = np.array([[1, 0, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=float)
    model = fit_bernoulli_mixture(x, n_components=1, pseudocount=0.5)
    expected = (x.sum(axis=0) + 0.5) / (4 + 1)  # (3.5, 1.5, 1.5) / 5
    assert np.allclose(model.probs, [expected]) and model.weights.tolist() == [1.0] and model.converged
    bits = model.bits_per_image(np.array([[1.0, 1.0, 0.0]]))
    assert bits[0] == pytest.approx(-math.log2(0.7 * 0.3 * 0.7), abs=1e-12)


def test_mixture_code_length_by_hand():
    model = BernoulliMixture(np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.2, 0.7]]), (), 0, True)
    p = 0.5 * 0.9 * 0.9 + 0.5 * 0.2 * 0.3  # x = (1, 0)
    assert model.bits_per_image(np.array([[1.0, 0.0]]))[0] == pytest.approx(-math.log2(p), abs=1e-12)
    with pytest.raises(ValueError, match="must be binary"):
        model.bits_per_image(np.array([[0.5, 0.0]]))
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        model.bits_per_image(np.ones((1, 3)))


def two_prototypes(n: int, seed: int) -> np.ndarray:
    """Binary images (n, 40) from two well-separated prototypes with 5% pixel noise."""
    rng = np.random.default_rng(seed)
    prototypes = np.array([[1] * 20 + [0] * 20, [0] * 20 + [1] * 20], dtype=float)
    images = prototypes[rng.integers(0, 2, size=n)]
    flips = rng.random(images.shape) < 0.05
    return np.where(flips, 1 - images, images)


def test_mixture_finds_structure_the_independent_bound_misses():
    train, heldout = two_prototypes(600, 0), two_prototypes(300, 1)
    bound = mixture_bound(train, heldout, n_components=2, seed=0)
    h = -0.05 * math.log2(0.05) - 0.95 * math.log2(0.95)
    true_entropy = 1 + 40 * h  # which prototype (1 bit) + independent flips
    assert bound.independent_bits_per_image == pytest.approx(40.0, abs=0.5)  # every pixel looks like a coin
    assert bound.bits_per_image < 0.55 * bound.independent_bits_per_image
    assert true_entropy - 0.5 < bound.bits_per_image < true_entropy + 1.0  # an upper bound, up to sampling
    assert bound.ci[0] <= bound.bits_per_image <= bound.ci[1]
    assert (bound.n_train, bound.n_heldout, bound.n_components) == (600, 300, 2)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), st.integers(0, 10_000))
def test_em_never_lowers_its_objective(k, seed):
    x = np.random.default_rng(seed).integers(0, 2, size=(30, 6)).astype(float)
    model = fit_bernoulli_mixture(x, n_components=k, seed=seed, max_iter=30, tol=1e-12)
    assert np.all(np.diff(model.objective) >= -1e-9)
    assert model.weights.sum() == pytest.approx(1.0) and np.all((model.probs > 0) & (model.probs < 1))
    assert np.all(np.isfinite(model.bits_per_image(x)))


def test_mixture_bad_input():
    with pytest.raises(ValueError, match="'n_components' parameter must be an int >= 1"):
        fit_bernoulli_mixture(np.ones((3, 2)), n_components=0)
    with pytest.raises(ValueError, match="'pseudocount' parameter must be a number > 0"):
        fit_bernoulli_mixture(np.ones((3, 2)), pseudocount=0)
    with pytest.raises(ValueError, match="'heldout_images' parameter must have 2 pixels"):
        mixture_bound(np.ones((3, 2)), np.ones((3, 4)))


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
