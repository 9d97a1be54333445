"""depthlab.evidence on data with known answers: laws, comparisons, slopes, rank correlations."""

import numpy as np
import pytest

from depthlab.evidence import compare, growth_law, rank_correlation, slope_ci

SHAPES = ("linear", "quadratic", "exponential", "logarithmic")
N = np.array([48.0, 96, 192, 384, 768])


def noisy(values, seeds=6, relative=0.03, seed=0):
    """(n, seeds) replicates of `values` with multiplicative noise."""
    rng = np.random.default_rng(seed)
    return np.asarray(values)[:, None] * (1 + rng.normal(0, relative, (len(values), seeds)))


@pytest.mark.parametrize(
    "law, values",
    [
        ("linear", 0.3 * N + 2),
        ("quadratic", 1e-3 * N**2 + 1),
        ("logarithmic", 3 * np.log(N) + 1),
        ("exponential", np.exp(N / 150)),
    ],
)
def test_growth_law_finds_the_true_law_over_seeds(law, values):
    fit = growth_law(N, noisy(values), laws=SHAPES)
    assert fit.decided and fit.best == law
    assert fit.verdict_for(law) == "reproduced"
    assert fit.verdict_for("linear" if law != "linear" else "quadratic") in ("differs",)


def test_linear_data_has_exponent_interval_containing_one():
    fit = growth_law(N, noisy(0.32 * N))
    assert fit.exponent_ci[0] < 1 < fit.exponent_ci[1]
    assert fit.exponent_ci[1] - fit.exponent_ci[0] < 0.1


def test_three_values_of_n_decide_nothing():
    # The review's case: over N = 48, 96, 192 the old R^2 rule accepted N^2, sqrt(N) and 2^(N/48) as "linear".
    n3 = N[:3]
    for values in (n3**2, np.sqrt(n3), 2 ** (n3 / 48), n3):
        assert not growth_law(n3, noisy(values)).decided


def test_noise_larger_than_the_effect_is_undecided():
    values = 0.3 * N + 2
    fit = growth_law(N, noisy(values, seeds=3, relative=0.6, seed=3), laws=SHAPES)
    assert not fit.decided and fit.best is None
    assert fit.verdict_for("linear") == "inconclusive"


def test_growth_law_without_replicates_resamples_points():
    x = np.arange(1.0, 9.0) * 50
    wiggle = np.array([0.1, -0.2, 0.15, -0.1, 0.05, -0.05, 0.2, -0.15])
    fit = growth_law(x, 0.3 * x + 2 + wiggle, laws=SHAPES)
    assert fit.n_replicates == 1 and fit.best == "linear"
    assert not growth_law(x[:5], 0.3 * x[:5] + 2 + wiggle[:5], laws=SHAPES).decided  # 5 points: too few


def test_three_seeds_decide_nothing():
    # A percentile bootstrap over 3 seeds has 10 distinct resamples: too narrow to trust.
    fit = growth_law(N, noisy(0.3 * N + 2, seeds=3), laws=SHAPES)
    assert not fit.decided and not fit.exponent_decided
    assert not slope_ci(np.log(N), np.log(noisy(1 / N, seeds=3))).decided


def test_compare_separated_samples():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 8), rng.normal(5, 1, 8)
    result = compare(a, b, "less")
    assert result.verdict == "reproduced" and result.p_value < 0.01 and result.ci_high < 0
    assert compare(a, b, "greater").verdict == "differs"
    assert compare(b, a, "less").verdict == "differs"
    assert compare(a, b, "two-sided").verdict == "reproduced"
    assert "n = 8 vs 8" in result.summary()


def test_compare_one_distribution_is_rarely_decided():
    # Two samples of one distribution: "reproduced" is a false positive; at 95% it should happen about 5% of the
    # time (less: the CI must agree with the test), "differs" just as rarely.
    rng = np.random.default_rng(1)
    verdicts = [compare(rng.normal(0, 1, 6), rng.normal(0, 1, 6), "less", seed=t).verdict for t in range(120)]
    assert verdicts.count("inconclusive") >= 0.88 * len(verdicts)
    assert verdicts.count("reproduced") <= 0.08 * len(verdicts)


def test_compare_identical_constant_samples():
    result = compare([1.0] * 5, [1.0] * 5)
    assert result.verdict == "inconclusive" and result.ci_low == result.ci_high == 0.0


def test_compare_needs_three_per_side():
    assert compare([0.0, 0.1], [5.0, 5.1, 5.2]).verdict == "inconclusive"


def test_slope_ci_recovers_minus_one_in_log_log():
    distance = noisy(1 / N, relative=0.05)
    fit = slope_ci(np.log(N), np.log(distance))
    assert fit.ci_low < -1 < fit.ci_high
    assert fit.verdict_for(-1.0, tolerance=0.2) == "reproduced"
    assert fit.verdict_for(-0.5, tolerance=0.2) == "differs"


def test_slope_ci_wide_interval_is_inconclusive():
    fit = slope_ci(np.log(N), np.log(noisy(1 / N, seeds=3, relative=2.0, seed=2).clip(1e-6)))
    assert fit.verdict_for(-1.0, tolerance=0.05) in ("inconclusive", "differs")


def test_rank_correlation_signs():
    widths = np.array([2.0, 4, 8, 16, 32, 64])
    falling = noisy(1 / widths, relative=0.05)
    assert rank_correlation(widths, falling).verdict_for(-1) == "reproduced"
    assert rank_correlation(widths, falling).verdict_for(+1) == "differs"
    flat = np.random.default_rng(4).normal(1, 0.1, (6, 5))
    assert rank_correlation(widths, flat).verdict_for(-1) == "inconclusive"


def test_rank_correlation_of_the_spread_over_seeds():
    widths = np.array([2.0, 4, 8, 16, 32, 64])
    rng = np.random.default_rng(5)
    losses = 1.0 + rng.normal(0, 1, (6, 12)) * (1 / widths)[:, None]  # same mean, spread falling with width
    assert rank_correlation(widths, losses).verdict_for(-1) == "inconclusive"
    spread = rank_correlation(widths, losses, statistic="std")
    assert spread.rho < -0.9 and spread.verdict_for(-1) == "reproduced"
    with pytest.raises(ValueError, match="replicates >= 3"):
        rank_correlation(widths, losses[:, :2], statistic="std")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: compare([1, float("nan"), 2], [1, 2, 3]), "NaN"),
        (lambda: compare([1, 2, 3], [1, 2, 3], alternative="smaller"), "alternative"),
        (lambda: compare([1, 2, 3], [1, 2, 3], confidence=1.5), "confidence"),
        (lambda: compare([], [1, 2, 3]), "at least one"),
        (lambda: growth_law([1, 2, 3, 4], [1, 2, 3]), "shape"),
        (lambda: growth_law([1, 2, 3, 4], [1, 2, 3, 4], laws=("cubic",)), "laws"),
        (lambda: rank_correlation([1, 2, 3, 4], [1, 2, float("inf"), 4]), "NaN"),
    ],
)
def test_bad_input_is_one_clear_line(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_t_interval_by_hand_and_against_scipy():
    from scipy import stats as scipy_stats

    from depthlab.evidence import t_interval

    low, high = t_interval([10.0, 12.0, 14.0])  # mean 12, s = 2, t_{2, 0.975} = 4.3027
    assert (low, high) == pytest.approx((12 - 4.302653 * 2 / 3 ** 0.5, 12 + 4.302653 * 2 / 3 ** 0.5), rel=1e-6)
    values = np.random.default_rng(3).normal(5.0, 2.0, 7)
    expected = scipy_stats.t.interval(0.9, 6, loc=values.mean(), scale=scipy_stats.sem(values))
    assert t_interval(values, 0.9) == pytest.approx(expected, rel=1e-12)
    assert t_interval([4.0, 4.0]) == (4.0, 4.0)
    with pytest.raises(ValueError, match="at least 2 values"):
        t_interval([1.0])
    with pytest.raises(ValueError, match="NaN or infinite"):
        t_interval([1.0, float("nan")])
