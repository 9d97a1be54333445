"""depthlab.signal: measured activation lengths and gradient norms, and the theory tested on sampled networks."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlab.init import trunc_normal_variance_factor
from depthlab.models.network import Network
from depthlab.models.residual import ResidualNetwork
from depthlab.seeds import derive_seed
from depthlab.signal import (
    activation_kinks,
    activation_lengths,
    chi_1,
    gaussian_expectation,
    gradient_norms,
    init_statistics,
    input_lengths,
    length_fixed_point,
    length_map,
    predicted_length_variance,
    predicted_log_second_moment,
    predicted_mean_lengths,
    raghu_growth_factor,
    sum_inverse_widths,
)
from depthlab.train import evaluate_loss


def _x(n: int, d: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# ------------------------------------------------------------------------------------------ measured


def test_activation_lengths_is_the_mean_normalized_squared_norm_of_each_hidden_layer():
    net = Network.random([6, 9, 4, 3], seed=1)
    x = _x(5, 6)
    pre = net.preactivations(x)
    expected = torch.stack([(torch.relu(z) ** 2).sum(dim=1).mean() / z.shape[1] for z in pre])
    assert torch.allclose(activation_lengths(net, x), expected, rtol=0, atol=1e-14)


def test_identity_layers_of_orthogonal_weights_keep_the_input_length():
    q = torch.linalg.qr(_x(8, 8))[0]
    net = Network((q, q, q), (torch.zeros(8, dtype=torch.float64),) * 3, "identity")
    x = _x(4, 8, seed=2)
    lengths = activation_lengths(net, x)
    assert torch.allclose(lengths, input_lengths(x).mean().expand(2), rtol=1e-12)


def test_he_init_keeps_the_mean_length_within_ten_percent_over_depth_at_width_200():
    widths = [200] + [200] * 10 + [1]
    stats = init_statistics(widths, "he_normal", 200, _x(1, 200), seed=0)
    ratio = stats.mean / stats.input_length  # (K,)
    # predicted exactly 1; the sampling sd of the mean at layer 10 is about 0.037 (sqrt(Var / 200))
    assert float((ratio - 1).abs().max()) < 0.10


def test_mean_length_follows_c_over_2_to_the_depth():
    widths = [100] + [100] * 8 + [1]
    x = _x(1, 100)
    for c in (1.6, 2.4):
        stats = init_statistics(widths, ("normal", math.sqrt(c), 0.0), 200, x, seed=1)
        predicted = predicted_mean_lengths(widths, c, stats.input_length)
        assert torch.allclose(stats.mean, predicted, rtol=0.12)
    assert float(predicted[-1] / stats.input_length) == pytest.approx(1.2**8)


def test_variance_grows_with_the_sum_of_reciprocal_widths_as_predicted():
    x = torch.ones(1, 40, dtype=torch.float64)
    narrow, wide = [40] + [20] * 5 + [1], [40] + [100] * 5 + [1]
    measured = {}
    for name, widths in (("narrow", narrow), ("wide", wide)):
        stats = init_statistics(widths, "he_normal", 1500, x, seed=2)
        measured[name] = stats.var / stats.mean**2  # (K,)
        predicted = torch.expm1(predicted_log_second_moment(widths))
        assert torch.allclose(measured[name], predicted, rtol=0.3), name
        assert bool((measured[name][1:] > measured[name][:-1]).all())  # grows layer by layer
    assert bool((measured["narrow"] > 4 * measured["wide"]).all())  # sum 1/n is 5x larger


def test_init_statistics_model_m_is_network_random_with_the_derived_seed_and_chunks_do_not_matter():
    widths, x = [5, 7, 7, 2], _x(3, 5)
    stats = init_statistics(widths, "he_uniform", 6, x, seed=4)
    small = init_statistics(widths, "he_uniform", 6, x, seed=4, max_chunk_bytes=1)
    assert torch.equal(stats.lengths, small.lengths)
    for m in range(6):
        net = Network.random(widths, "he_uniform", seed=derive_seed(4, m))
        assert torch.allclose(stats.lengths[m], activation_lengths(net, x), rtol=0, atol=1e-14)
    assert stats.n_nets == 6 and torch.allclose(stats.var, stats.lengths.var(dim=0))


def test_weight_scale_corrects_the_truncated_normal():
    widths, x = [50] + [50] * 6 + [1], _x(1, 50)
    naive = init_statistics(widths, "trunc_normal", 100, x, seed=3)
    fixed = init_statistics(widths, "trunc_normal", 100, x, seed=3,
                            weight_scale=1 / math.sqrt(trunc_normal_variance_factor()))
    f = trunc_normal_variance_factor()
    # positive homogeneity of ReLU: M_j scales by exactly scale^(2j)
    assert torch.allclose(fixed.lengths, naive.lengths * (1 / f) ** torch.arange(1, 7, dtype=torch.float64), rtol=1e-10)
    assert float(naive.mean[-1] / naive.input_length) == pytest.approx(f**6, rel=0.2)


def test_gradient_norms_match_finite_differences():
    net = Network.random([3, 4, 2], seed=5)
    x, y = _x(6, 3), _x(6, 2, seed=1)
    norms = gradient_norms(net, x, y, "mse")
    eps = 1e-6
    for k, omega in enumerate(net.weights):
        grad = torch.zeros_like(omega)
        for i in range(omega.shape[0]):
            for j in range(omega.shape[1]):
                moved = []
                for sign in (1, -1):
                    w = list(net.weights)
                    w[k] = omega.clone()
                    w[k][i, j] += sign * eps
                    moved.append(evaluate_loss(Network(tuple(w), net.biases), x, y, "mse"))
                grad[i, j] = (moved[0] - moved[1]) / (2 * eps)
        assert float(norms[k]) == pytest.approx(float(grad.norm()), rel=1e-6)


def test_residual_lengths_follow_the_stream_and_zero_blocks_keep_it():
    net = ResidualNetwork.random(4, 6, 3, 2, seed=0, scaled=True)
    x = _x(5, 4)
    h = x @ net.input_weight.T + net.input_bias
    expected = []
    for omega, beta in zip(net.block_weights, net.block_biases):
        h = h + net.branch_scale * torch.relu(h @ omega.T + beta)
        expected.append((h**2).mean(dim=1).mean())
    assert torch.allclose(activation_lengths(net, x), torch.stack(expected), rtol=1e-13)
    zero = ResidualNetwork(net.input_weight, net.input_bias, tuple(torch.zeros_like(w) for w in net.block_weights),
                           tuple(torch.zeros_like(b) for b in net.block_biases), net.output_weight, net.output_bias)
    start = ((x @ net.input_weight.T + net.input_bias) ** 2).mean()
    assert torch.allclose(activation_lengths(zero, x), start.expand(3), rtol=1e-13)


def test_residual_gradient_norms_match_finite_differences():
    net = ResidualNetwork.random(3, 4, 2, 2, seed=1)
    x, y = _x(6, 3), _x(6, 2, seed=1)
    norms = gradient_norms(net, x, y, "mse")
    assert norms.shape == (4,)
    eps = 1e-6
    block = net.block_weights[1]
    grad = torch.zeros_like(block)
    for i in range(block.shape[0]):
        for j in range(block.shape[1]):
            losses = []
            for sign in (1, -1):
                moved = block.clone()
                moved[i, j] += sign * eps
                other = ResidualNetwork(net.input_weight, net.input_bias, (net.block_weights[0], moved),
                                        net.block_biases, net.output_weight, net.output_bias)
                losses.append(float(torch.nn.functional.mse_loss(other(x), y)))
            grad[i, j] = (losses[0] - losses[1]) / (2 * eps)
    assert float(norms[2]) == pytest.approx(float(grad.norm()), rel=1e-6)


def test_gradient_norms_cross_entropy_shape():
    net = Network.random([3, 4, 4, 3], seed=0)
    norms = gradient_norms(net, _x(10, 3), torch.arange(10) % 3, "cross_entropy")
    assert norms.shape == (3,) and bool((norms > 0).all())


def test_bad_inputs_raise_one_line_value_errors():
    net = Network.random([3, 4, 1], seed=0)
    with pytest.raises(ValueError, match="'x' parameter must have shape"):
        activation_lengths(net, _x(2, 5))
    with pytest.raises(ValueError, match="'net' parameter must be a depthlab Network or ResidualNetwork"):
        activation_lengths(net.to_torch(), _x(2, 3))
    with pytest.raises(ValueError, match="'n_nets' parameter must be an int >= 2"):
        init_statistics([3, 4, 1], "he_normal", 1, _x(1, 3))
    with pytest.raises(ValueError, match="'weight_scale'"):
        init_statistics([3, 4, 1], "he_normal", 3, _x(1, 3), weight_scale=0.0)
    with pytest.raises(ValueError, match="'widths' parameter must list"):
        predicted_mean_lengths([3, 1])
    with pytest.raises(ValueError, match="'y' parameter must have 2 rows"):
        gradient_norms(net, _x(2, 3), torch.zeros(3))


# ------------------------------------------------------------------------------------------ predicted


def test_predicted_variance_and_second_moment_agree():
    widths = [10, 30, 5, 60, 1]
    mean = predicted_mean_lengths(widths, 2.2, 3.0)
    second = mean**2 * torch.exp(predicted_log_second_moment(widths))
    assert torch.allclose(predicted_length_variance(widths, 2.2, 3.0), second - mean**2, rtol=1e-12)
    assert torch.allclose(sum_inverse_widths(widths), torch.tensor([1 / 30, 1 / 30 + 1 / 5, 1 / 30 + 1 / 5 + 1 / 60],
                                                                   dtype=torch.float64))


@settings(max_examples=20, deadline=None)
@given(st.floats(0.2, 9.0), st.sampled_from(["tanh", "hardtanh", "relu"]))
def test_quadrature_agrees_with_monte_carlo(q, activation):
    z = torch.randn(400_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    root = math.sqrt(q)
    for f in (lambda t: torch.tanh(root * t) ** 2 if activation == "tanh" else
              torch.nn.functional.hardtanh(root * t) ** 2 if activation == "hardtanh" else torch.relu(root * t) ** 2,):
        sample = f(z)
        mc, se = float(sample.mean()), float(sample.std()) / math.sqrt(z.numel())
        quad = (length_map(q, 1.0, 0.0, activation))
        assert abs(quad - mc) < 5 * se + 1e-12


def test_chi_1_agrees_with_monte_carlo_and_closed_forms():
    z = torch.randn(1_000_000, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for activation in ("tanh", "hardtanh"):
        for sigma_w2 in (1.0, 4.0, 16.0):
            sw = math.sqrt(sigma_w2)
            q = length_fixed_point(sw, 0.3, activation)
            assert length_map(q, sw, 0.3, activation) == pytest.approx(q, rel=1e-11)
            pre = math.sqrt(q) * z
            slope_sq = (1 - torch.tanh(pre) ** 2) ** 2 if activation == "tanh" else (pre.abs() < 1).double()
            se = sigma_w2 * float(slope_sq.std()) / 1000
            assert abs(chi_1(sw, 0.3, activation) - sigma_w2 * float(slope_sq.mean())) < 5 * se
    # hard-tanh: E[phi'(sqrt(q) z)^2] = P(|z| < 1 / sqrt(q)) = erf(1 / sqrt(2 q)) exactly
    assert chi_1(2.0, 0.3, "hardtanh", q=2.5) == pytest.approx(4.0 * math.erf(1 / math.sqrt(5.0)), rel=1e-12)
    # ReLU at He: chi_1 = 2 * 1/2 = 1 at any q (the critical line)
    assert chi_1(math.sqrt(2), 0.0, "relu", q=3.0) == pytest.approx(1.0, rel=1e-12)


def test_length_map_is_linear_for_relu_and_kinks_are_read_from_the_activation():
    assert activation_kinks("relu") == (0.0,) and activation_kinks("hardtanh") == (-1.0, 1.0)
    assert activation_kinks("tanh") == ()
    assert length_map(2.5, 1.3, 0.4, "relu") == pytest.approx(1.3**2 * 2.5 / 2 + 0.16, rel=1e-12)
    assert gaussian_expectation(lambda t: t**4) == pytest.approx(3.0, rel=1e-12)


def test_relu_with_exploding_lengths_has_no_fixed_point():
    with pytest.raises(ValueError, match="no fixed point"):
        length_fixed_point(2.0, 0.1, "relu", max_iter=200)


def test_raghu_factor_limits():
    # large width: sigma_w / (sigma_w^2 + sigma_b^2)^(1/4); never above sigma_w * sqrt(k) / sqrt(k sqrt(s))
    assert raghu_growth_factor(2.0, 0.3, 10**9) == pytest.approx(2.0 / (4.09) ** 0.25, rel=1e-4)
    assert raghu_growth_factor(2.0, 0.3, 20) < raghu_growth_factor(2.0, 0.3, 100)
