"""The statistics every qualitative verdict rests on: comparisons, slopes, rank correlations, growth laws.

A verdict is a claim about evidence, so each function here returns the numbers (n, interval, p) and
a rule that turns them into one of "reproduced", "differs" or "inconclusive":

- `compare(a, b, alternative)`: a one-sided (or two-sided) Mann-Whitney U test (scipy) and a
  bootstrap interval of median(a) - median(b). Reproduced when both support the claimed direction at
  the stated confidence, differs when both support the opposite one, inconclusive otherwise.
- `slope_ci(x, y)`: least-squares slope with a bootstrap interval (for log-log scaling claims).
- `rank_correlation(x, y)`: Spearman's rho with a bootstrap interval ("falls with", "grows with").
- `growth_law(x, y)`: which of several laws (linear, quadratic, power, exponential, logarithmic)
  describes y(x), scored by AICc on the per-x means, and decided only when the same law wins in at
  least `confidence` of the bootstrap resamples.

Replicates: where y is (n_x, n_replicates) (one column per seed), bootstraps resample the seeds
(columns), never individual points, so that the interval reflects how much a new set of seeds could
move the answer. With a single column the (x, y) points are resampled. A percentile bootstrap over
a handful of seeds is too narrow, so slopes and laws are decided only with >= 5 seeds (or >= 8
points without replicates), and a slope's interval is widened to contain the Student-t interval of
the per-seed slopes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

ALTERNATIVES: tuple[str, ...] = ("less", "greater", "two-sided")
LAWS: tuple[str, ...] = ("linear", "quadratic", "power", "exponential", "logarithmic")
MIN_SAMPLES = 3  # fewer per side than this and no comparison is decided
MIN_DISTINCT_X = 4  # fewer distinct x values and no law or slope is decided
MIN_REPLICATES = 5  # seed resampling decides nothing with fewer seeds (a 3-seed bootstrap has 10 distinct resamples)
MIN_POINTS = 8  # without replicates, points resampling needs this many points to decide
MIN_AICC_MARGIN = 2.0  # a law must also beat every rival by this much AICc (Burnham & Anderson: < 2 = both supported)


# ---------------------------------------------------------------------------------------------- inputs
def _sample(values, name: str) -> np.ndarray:
    """A 1-D float array without NaN (NaNs are a failed measurement: refuse them with a clear message)."""
    array = np.asarray(values, dtype=float).reshape(-1)
    if not np.isfinite(array).all():
        raise ValueError(f"The '{name}' parameter contains NaN or infinite values; drop failed measurements first.")
    return array


def _check_confidence(confidence: float) -> float:
    if not isinstance(confidence, (int, float)) or not 0.5 <= confidence < 1:
        raise ValueError(f"The 'confidence' parameter must be a number in [0.5, 1). Got {confidence!r} instead.")
    return float(confidence)


def _xy(x, y) -> tuple[np.ndarray, np.ndarray]:
    """x as (n,), y as (n, r): one row per x value, one column per replicate (seed)."""
    x = _sample(x, "x")
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"The 'y' parameter must have shape (n,) or (n, replicates) with n = len(x) = {x.shape[0]}. "
            f"Got {tuple(np.shape(y))} instead."
        )
    if not np.isfinite(y).all():
        raise ValueError("The 'y' parameter contains NaN or infinite values; drop failed measurements first.")
    return x, y


STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda y: y.mean(axis=1),
    "std": lambda y: y.std(axis=1, ddof=1),
}


def _resamples(
    x: np.ndarray, y: np.ndarray, n_boot: int, seed: int, statistic: str = "mean"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Bootstrap resamples as (x, statistic of y over the chosen replicates): seeds resampled if y has replicates,
    else (x, y) points; resamples with fewer than 2 distinct x values are dropped."""
    rng = np.random.default_rng(seed)
    out = []
    n, r = y.shape
    for _ in range(n_boot):
        if r > 1:
            columns = rng.integers(0, r, size=r)
            out.append((x, STATISTICS[statistic](y[:, columns])))
        else:
            rows = rng.integers(0, n, size=n)
            if np.unique(x[rows]).size >= 2:
                out.append((x[rows], y[rows, 0]))
    return out


def _interval(values: Sequence[float], confidence: float) -> tuple[float, float]:
    """Percentile interval of bootstrap values."""
    if len(values) == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(np.asarray(values, dtype=float), [tail, 100 - tail])
    return float(low), float(high)


# ---------------------------------------------------------------------------------------------- compare
@dataclass(frozen=True)
class Comparison:
    """What `compare` returns.

    verdict : "reproduced" (the data support the claimed direction), "differs" (they support the
        opposite), or "inconclusive".
    p_value : Mann-Whitney U p-value for the claimed alternative.
    ci_low, ci_high : bootstrap interval of median(a) - median(b) at `confidence`.
    """

    verdict: str
    p_value: float
    ci_low: float
    ci_high: float
    n_a: int
    n_b: int
    median_a: float
    median_b: float
    alternative: str
    confidence: float

    def summary(self) -> str:
        """One line for a Reference's note: n, medians, interval, p and the rule."""
        claim = {"less": "a < b", "greater": "a > b", "two-sided": "a != b"}[self.alternative]
        return (
            f"n = {self.n_a} vs {self.n_b}; medians {self.median_a:.4g} vs {self.median_b:.4g}; "
            f"{self.confidence:.0%} bootstrap CI of the median difference [{self.ci_low:.3g}, {self.ci_high:.3g}]; "
            f"Mann-Whitney p = {self.p_value:.3g} for {claim}; decided at {self.confidence:.0%} "
            f"(p <= {1 - self.confidence:.2g} and the CI excluding 0), else inconclusive"
        )


def _median_difference_ci(a: np.ndarray, b: np.ndarray, confidence: float, seed: int) -> tuple[float, float]:
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        difference = float(a[0] - b[0])
        return difference, difference
    result = stats.bootstrap(
        (a, b), lambda u, v, axis=-1: np.median(u, axis=axis) - np.median(v, axis=axis),
        confidence_level=confidence, n_resamples=2000, method="percentile", vectorized=True,
        random_state=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def compare(
    a: Sequence[float], b: Sequence[float], alternative: str = "less", confidence: float = 0.95, seed: int = 0
) -> Comparison:
    """Do the samples support a < b (or a > b, or a != b) at the stated confidence?

    Parameters
    ----------
    a, b : array-like, shapes (n_a,) and (n_b,)
        One value per seed (or per independent replicate) for each side.
    alternative : {"less", "greater", "two-sided"}, default="less"
        The claim: a < b, a > b, or a != b.
    confidence : float, default=0.95
    seed : int, default=0
        Seeds the bootstrap.

    Returns
    -------
    Comparison
        "reproduced" when the one-sided Mann-Whitney test for the claim has p <= 1 - confidence and
        the bootstrap interval of median(a) - median(b) lies on the claimed side of 0; "differs" when
        the same holds for the opposite direction (for "two-sided" nothing can contradict the claim,
        so the verdict is reproduced or inconclusive); otherwise, or with fewer than 3 values on a
        side, "inconclusive".

    Examples
    --------
    >>> compare([1.0, 1.1, 0.9, 1.05, 0.95], [2.0, 2.1, 1.9, 2.05, 1.95]).verdict
    'reproduced'
    >>> compare([2.0, 2.1, 1.9, 2.05, 1.95], [1.0, 1.1, 0.9, 1.05, 0.95]).verdict
    'differs'
    >>> compare([1.0, 2.0], [3.0, 4.0]).verdict   # too few seeds to decide
    'inconclusive'
    """
    if alternative not in ALTERNATIVES:
        raise ValueError(f"The 'alternative' parameter must be one of {', '.join(ALTERNATIVES)}. "
                         f"Got {alternative!r} instead.")
    confidence = _check_confidence(confidence)
    a, b = _sample(a, "a"), _sample(b, "b")
    if a.size == 0 or b.size == 0:
        raise ValueError(f"The 'a' and 'b' parameters must each hold at least one value. Got {a.size} and {b.size}.")
    medians = float(np.median(a)), float(np.median(b))
    if min(a.size, b.size) < MIN_SAMPLES:
        return Comparison("inconclusive", float("nan"), float("nan"), float("nan"), a.size, b.size, *medians,
                          alternative, confidence)
    low, high = _median_difference_ci(a, b, confidence, seed)
    alpha = 1 - confidence
    p_claim = float(stats.mannwhitneyu(a, b, alternative=alternative).pvalue)
    verdict = "inconclusive"
    if alternative == "two-sided":
        if p_claim <= alpha and (high < 0 or low > 0):
            verdict = "reproduced"
    else:
        opposite = "greater" if alternative == "less" else "less"
        p_opposite = float(stats.mannwhitneyu(a, b, alternative=opposite).pvalue)
        claimed_side = high < 0 if alternative == "less" else low > 0
        opposite_side = low > 0 if alternative == "less" else high < 0
        if p_claim <= alpha and claimed_side:
            verdict = "reproduced"
        elif p_opposite <= alpha and opposite_side:
            verdict = "differs"
    return Comparison(verdict, p_claim, low, high, a.size, b.size, *medians, alternative, confidence)


# ---------------------------------------------------------------------------------------------- slopes
def _ols_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept of y on x."""
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


@dataclass(frozen=True)
class SlopeCI:
    """What `slope_ci` returns: the slope of the per-x means, its bootstrap interval, and the design.

    n : distinct x values; n_replicates : columns of y (seeds); decided : whether enough x values
    (>= 4) and seeds (>= 5; or >= 8 points without replicates) stood behind the interval.
    """

    slope: float
    intercept: float
    ci_low: float
    ci_high: float
    n: int
    n_replicates: int
    confidence: float
    decided: bool

    def summary(self) -> str:
        """One line for a Reference's note."""
        resampled = f"{self.n_replicates} seeds resampled" if self.n_replicates > 1 else "points resampled"
        return (f"slope {self.slope:.4g}, {self.confidence:.0%} bootstrap CI [{self.ci_low:.4g}, {self.ci_high:.4g}] "
                f"over {self.n} x values ({resampled})")

    def verdict_for(self, value: float, tolerance: float) -> str:
        """"reproduced" when the interval contains `value` and lies within value +- tolerance; "differs" when it
        excludes `value`; "inconclusive" when it is too wide to tell, or undecided."""
        if not self.decided:
            return "inconclusive"
        if self.ci_high < value or self.ci_low > value:
            return "differs"
        if value - tolerance <= self.ci_low and self.ci_high <= value + tolerance:
            return "reproduced"
        return "inconclusive"


def slope_ci(x, y, confidence: float = 0.95, seed: int = 0) -> SlopeCI:
    """Least-squares slope of y on x with a bootstrap interval.

    Parameters
    ----------
    x : array-like, shape (n,)
    y : array-like, shape (n,) or (n, replicates)
        With replicates (one column per seed) the seeds are resampled; else the points.
    confidence : float, default=0.95
    seed : int, default=0

    Returns
    -------
    SlopeCI

    Examples
    --------
    >>> y = [[2.0, 2.2, 1.9, 2.1, 2.0], [4.1, 3.9, 4.0, 4.0, 4.1], [6.0, 6.1, 5.9, 6.0, 5.9],
    ...      [8.2, 7.9, 8.0, 8.1, 7.9], [10.0, 10.1, 9.9, 10.0, 10.1]]
    >>> fit = slope_ci([1, 2, 3, 4, 5], y)
    >>> round(fit.slope, 2), fit.ci_low < 2 < fit.ci_high, fit.verdict_for(2.0, tolerance=0.3)
    (2.0, True, 'reproduced')
    """
    confidence = _check_confidence(confidence)
    x, y = _xy(x, y)
    slope, intercept = _ols_slope(x, y.mean(axis=1))
    boots = [_ols_slope(bx, by)[0] for bx, by in _resamples(x, y, 2000, seed)]
    low, high = _interval(boots, confidence)
    if y.shape[1] > 1:  # the Student-t interval of the per-seed slopes, for honest coverage with few seeds
        per_seed = np.array([_ols_slope(x, y[:, j])[0] for j in range(y.shape[1])])
        t_low, t_high = t_interval(per_seed, confidence)
        low, high = min(low, slope + t_low - per_seed.mean()), max(high, slope + t_high - per_seed.mean())
    decided = _enough(x, y)
    return SlopeCI(slope, intercept, float(low), float(high), int(np.unique(x).size), int(y.shape[1]), confidence,
                   bool(decided))


def _enough(x: np.ndarray, y: np.ndarray) -> bool:
    """Enough x values, and enough seeds (or points) behind a bootstrap, to decide a slope or a law."""
    replicates = y.shape[1]
    resampled = replicates >= MIN_REPLICATES if replicates > 1 else x.size >= MIN_POINTS
    return bool(np.unique(x).size >= MIN_DISTINCT_X and resampled)


# ---------------------------------------------------------------------------------------------- rank correlation
@dataclass(frozen=True)
class RankCorrelation:
    """What `rank_correlation` returns: Spearman's rho of the per-x means, its bootstrap interval, p-value."""

    rho: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    n_replicates: int
    confidence: float

    def summary(self) -> str:
        """One line for a Reference's note."""
        resampled = f"{self.n_replicates} seeds resampled" if self.n_replicates > 1 else "points resampled"
        return (f"Spearman rho {self.rho:.3f}, {self.confidence:.0%} bootstrap CI [{self.ci_low:.3f}, "
                f"{self.ci_high:.3f}] ({resampled}), p = {self.p_value:.3g}, over {self.n} x values")

    def verdict_for(self, sign: int) -> str:
        """sign = -1 for "falls with x", +1 for "grows with x": reproduced when the interval excludes 0 on that side
        (and p <= 1 - confidence), differs when it excludes 0 on the other side, else inconclusive."""
        if sign not in (-1, 1):
            raise ValueError(f"The 'sign' parameter must be -1 or 1. Got {sign!r} instead.")
        if self.n < MIN_DISTINCT_X:
            return "inconclusive"
        above, below = self.ci_low > 0, self.ci_high < 0
        if (below if sign < 0 else above) and self.p_value <= 1 - self.confidence:
            return "reproduced"
        if above if sign < 0 else below:
            return "differs"
        return "inconclusive"


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(stats.spearmanr(x, y).statistic)


def rank_correlation(x, y, confidence: float = 0.95, seed: int = 0, statistic: str = "mean") -> RankCorrelation:
    """Spearman's rank correlation of y (or of its spread over seeds) with x, with a bootstrap interval over seeds.

    Parameters
    ----------
    x : array-like, shape (n,)
    y : array-like, shape (n,) or (n, replicates)
    statistic : {"mean", "std"}, default="mean"
        What is correlated with x: the per-x mean over replicates, or their standard deviation (ddof=1;
        "does the spread across seeds fall with width?"). "std" needs >= 3 replicates.

    Examples
    --------
    >>> rc = rank_correlation([1, 2, 4, 8, 16], [[5.0, 4.0], [3.0, 3.5], [2.0, 2.5], [1.0, 1.2], [0.5, 0.4]])
    >>> round(rc.rho, 2), rc.verdict_for(-1)
    (-1.0, 'reproduced')
    """
    confidence = _check_confidence(confidence)
    x, y = _xy(x, y)
    if statistic not in STATISTICS:
        raise ValueError(f"The 'statistic' parameter must be one of {', '.join(STATISTICS)}. Got {statistic!r}.")
    if statistic == "std" and y.shape[1] < 3:
        raise ValueError(f"statistic='std' needs y of shape (n, replicates >= 3). Got {y.shape[1]} replicate(s).")
    observed = STATISTICS[statistic](y) if y.shape[1] > 1 else y[:, 0]
    rho = _spearman(x, observed)
    p_value = float(stats.spearmanr(x, observed).pvalue) if np.ptp(observed) > 0 and np.ptp(x) > 0 else 1.0
    boots = [_spearman(bx, by) for bx, by in _resamples(x, y, 2000, seed, statistic)]
    low, high = _interval(boots, confidence)
    return RankCorrelation(rho, low, high, p_value, int(np.unique(x).size), int(y.shape[1]), confidence)


# ---------------------------------------------------------------------------------------------- growth laws
def _linear_in(feature: Callable[[np.ndarray], np.ndarray]):
    """A law y = a + b f(x), fitted by least squares; returns (params, predictions)."""
    def fit(x: np.ndarray, y: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
        f = feature(x)
        b, a = np.polyfit(f, y, 1)
        return {"a": float(a), "b": float(b)}, a + b * f
    return fit


def _fit_power(x: np.ndarray, y: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """y = a x^k by nonlinear least squares in y (started from the log-log line)."""
    positive = (x > 0) & (y > 0)
    k0, log_a0 = np.polyfit(np.log(x[positive]), np.log(y[positive]), 1) if positive.sum() >= 2 else (1.0, 0.0)
    scale = float(np.max(x))

    def model(t, a, k):
        return a * (t / scale) ** k

    params = _curve_fit(model, x, y, [math.exp(log_a0) * scale**k0, k0])
    return {"a": params[0] / scale ** params[1], "k": params[1]}, model(x, *params)


def _fit_exponential(x: np.ndarray, y: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """y = a exp(b x) by nonlinear least squares in y (x scaled to [0, 1] while fitting)."""
    scale = float(np.max(np.abs(x))) or 1.0
    positive = y > 0
    b0, log_a0 = np.polyfit(x[positive] / scale, np.log(y[positive]), 1) if positive.sum() >= 2 else (0.0, 0.0)

    def model(t, a, b):
        return a * np.exp(np.clip(b * t / scale, -700, 700))

    params = _curve_fit(model, x, y, [math.exp(log_a0), b0])
    return {"a": params[0], "b": params[1] / scale}, model(x, *params)


def _curve_fit(model, x: np.ndarray, y: np.ndarray, start: list[float]) -> list[float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            params, _ = optimize.curve_fit(model, x, y, p0=start, maxfev=4000)
        except (RuntimeError, ValueError, optimize.OptimizeWarning):
            params = start
    return [float(p) for p in params]


_LAW_FITS = {
    "linear": _linear_in(lambda x: x),
    "quadratic": _linear_in(lambda x: x**2),
    "logarithmic": _linear_in(np.log),
    "power": _fit_power,
    "exponential": _fit_exponential,
}
_LAW_PARAMS = {"linear": 2, "quadratic": 2, "logarithmic": 2, "power": 2, "exponential": 2}


def _aicc(y: np.ndarray, predicted: np.ndarray, k: int) -> float:
    """Gaussian AICc of a least-squares fit with k parameters (lower is better)."""
    n = y.size
    rss = float(np.sum((y - predicted) ** 2))
    if not math.isfinite(rss):
        return float("inf")
    rss = max(rss, 1e-300 * max(1.0, float(np.sum(y**2))))
    correction = 2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else float("inf")
    return n * math.log(rss / n) + 2 * k + correction


def _scores(x: np.ndarray, y: np.ndarray, laws: Sequence[str]) -> tuple[dict[str, float], dict[str, dict]]:
    scores, params = {}, {}
    for law in laws:
        if law in ("power", "logarithmic") and np.any(x <= 0):
            scores[law], params[law] = float("inf"), {}
            continue
        fitted, predicted = _LAW_FITS[law](x, y)
        scores[law], params[law] = _aicc(y, predicted, _LAW_PARAMS[law]), fitted
    return scores, params


@dataclass(frozen=True)
class GrowthFit:
    """What `growth_law` returns.

    best : the winning law's name, or None when undecided.
    decided : the same law won in at least `confidence` of the bootstrap resamples, beat every rival by
        at least 2 AICc on the full data (`aicc_margin`), x has >= 4 distinct values, and >= 5 seeds
        (or >= 8 points without replicates) stood behind the resampling.
    exponent_decided : the exponent interval rests on enough seeds / points to decide (same rule).
    scores : law -> AICc of its fit to the per-x means (lower is better).
    params : law -> fitted parameters (linear/quadratic/logarithmic: y = a + b f(x); power: a x^k;
        exponential: a exp(b x)).
    win_fraction : law -> fraction of bootstrap resamples it won.
    exponent_ci : bootstrap interval of the power-law exponent (log-log slope), or (nan, nan).
    """

    best: str | None
    decided: bool
    scores: dict[str, float]
    params: dict[str, dict[str, float]]
    win_fraction: dict[str, float]
    aicc_margin: float
    exponent: float
    exponent_ci: tuple[float, float]
    exponent_decided: bool
    n: int
    n_replicates: int
    confidence: float
    laws: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        """One line for a Reference's note."""
        leader = max(self.win_fraction, key=self.win_fraction.get) if self.win_fraction else None
        wins = ", ".join(f"{law} {self.win_fraction.get(law, 0.0):.0%}" for law in self.laws)
        head = (f"best law {self.best}" if self.decided else
                f"undecided (leader {leader}, needs {self.confidence:.0%} of resamples)")
        resampled = f"{self.n_replicates} seeds resampled" if self.n_replicates > 1 else "points resampled"
        return (f"{head}; AICc margin over the runner-up {self.aicc_margin:.1f} (needs >= {MIN_AICC_MARGIN:g}); "
                f"bootstrap wins: {wins} ({resampled}, {self.n} x values); power-law exponent "
                f"{self.exponent:.3g}, {self.confidence:.0%} CI [{self.exponent_ci[0]:.3g}, {self.exponent_ci[1]:.3g}]")

    def verdict_for(self, law: str) -> str:
        """"reproduced" when decided for `law`, "differs" when decided for another, else "inconclusive"."""
        if not self.decided:
            return "inconclusive"
        return "reproduced" if self.best == law else "differs"


def growth_law(
    x, y, laws: Sequence[str] = LAWS, confidence: float = 0.95, seed: int = 0, n_boot: int = 1000
) -> GrowthFit:
    """Which law describes y(x): linear, quadratic, power, exponential or logarithmic?

    Every law has two parameters, fitted by least squares to the per-x means and scored by AICc.
    The fit is decided only when the same law wins in at least `confidence` of `n_boot` bootstrap
    resamples (seeds resampled when y has replicates, else points), beats every rival by at least 2
    AICc on the full data, x has >= 4 distinct values, and >= 5 seeds (or >= 8 points) stand behind it.

    Parameters
    ----------
    x : array-like, shape (n,)
    y : array-like, shape (n,) or (n, replicates)
    laws : sequence of str, default=LAWS
        Candidates. Note that "power" (a x^k) contains "linear through 0" and "quadratic through 0":
        to ask "linear rather than some other shape", leave "power" out and read `exponent_ci`.
    confidence : float, default=0.95
    seed : int, default=0
    n_boot : int, default=1000

    Returns
    -------
    GrowthFit

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2, 3, 4, 5, 6]); noise = np.random.default_rng(0).normal(0, 0.05, (6, 5))
    >>> growth_law(x, 3 * x[:, None] + 1 + noise, laws=("linear", "quadratic", "exponential")).best
    'linear'
    >>> growth_law(x, np.exp(x)[:, None] * (1 + noise), laws=("linear", "quadratic", "exponential")).best
    'exponential'
    >>> growth_law(x[:3], x[:3, None] + noise[:3]).decided   # three x values cannot separate two-parameter laws
    False
    """
    unknown = [law for law in laws if law not in _LAW_FITS]
    if unknown or not laws:
        raise ValueError(f"The 'laws' parameter must be a non-empty list from {', '.join(LAWS)}. Got {list(laws)!r}.")
    confidence = _check_confidence(confidence)
    x, y = _xy(x, y)
    scores, params = _scores(x, y.mean(axis=1), laws)
    wins = dict.fromkeys(laws, 0)
    resamples = _resamples(x, y, n_boot, seed)
    for bx, by in resamples:
        if np.unique(bx).size < 3:
            continue
        boot_scores, _ = _scores(bx, by, laws)
        wins[min(boot_scores, key=boot_scores.get)] += 1
    total = max(1, sum(wins.values()))
    win_fraction = {law: wins[law] / total for law in laws}
    leader = min(scores, key=scores.get)
    margin = min((scores[law] - scores[leader] for law in laws if law != leader), default=float("inf"))
    decided = _enough(x, y) and win_fraction[leader] >= confidence and margin >= MIN_AICC_MARGIN
    exponent, exponent_ci, exponent_decided = float("nan"), (float("nan"), float("nan")), False
    if np.all(x > 0) and np.all(y > 0):
        loglog = slope_ci(np.log(x), np.log(y), confidence=confidence, seed=seed)
        exponent, exponent_ci, exponent_decided = loglog.slope, (loglog.ci_low, loglog.ci_high), loglog.decided
    return GrowthFit(leader if decided else None, bool(decided), scores, params, win_fraction, margin, exponent,
                     exponent_ci, exponent_decided, int(np.unique(x).size), int(y.shape[1]), confidence, tuple(laws))


# ---------------------------------------------------------------------------------------------- intervals
def proportion_ci(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (e.g. held-out accuracy = correct / n), from scipy.

    Examples
    --------
    >>> low, high = proportion_ci(369, 1000)
    >>> round(low, 3), round(high, 3)
    (0.34, 0.399)
    """
    confidence = _check_confidence(confidence)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 or not 0 <= successes <= n:
        raise ValueError(f"proportion_ci needs 0 <= successes <= n and n >= 1. Got successes={successes!r}, n={n!r}.")
    interval = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def mean_ci(values: Sequence[float], confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of independent values (e.g. per-example squared errors).

    Examples
    --------
    >>> low, high = mean_ci(np.random.default_rng(0).normal(10.0, 1.0, 400))
    >>> low < 10.0 < high and high - low < 0.3
    True
    """
    confidence = _check_confidence(confidence)
    values = _sample(values, "values")
    if values.size < 2:
        raise ValueError(f"The 'values' parameter must hold at least 2 values. Got {values.size}.")
    if np.ptp(values) == 0:
        return float(values[0]), float(values[0])
    result = stats.bootstrap((values,), np.mean, confidence_level=confidence, n_resamples=2000, method="percentile",
                             vectorized=True, random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean of a few independent values (e.g. one per seed): honest coverage for n = 3,
    where a bootstrap of 3 values is far too narrow.

    Parameters
    ----------
    values : array-like, shape (n,), n >= 2, finite.
    confidence : float in (0, 1), default 0.95.

    Returns
    -------
    (low, high) : mean -/+ t_{n-1} s / sqrt(n); (v, v) when all values are equal.

    Examples
    --------
    >>> low, high = t_interval([10.0, 12.0, 14.0])
    >>> round(low, 2), round(high, 2)
    (7.03, 16.97)
    """
    confidence = _check_confidence(confidence)
    values = _sample(values, "values")
    if values.size < 2:
        raise ValueError(f"The 'values' parameter must hold at least 2 values. Got {values.size}.")
    mean = float(values.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size))
    return mean - half, mean + half


def interval_verdict(low: float, high: float, lower: float, upper: float) -> str:
    """Is a measured interval [low, high] inside the claimed range [lower, upper]?

    "reproduced" when it lies inside, "differs" when it lies entirely outside, "inconclusive" when it straddles
    an edge (the measurement cannot tell).

    Examples
    --------
    >>> [interval_verdict(lo, hi, 0.0, 0.45) for lo, hi in ((0.36, 0.40), (0.6, 0.7), (0.4, 0.5))]
    ['reproduced', 'differs', 'inconclusive']
    """
    if any(map(math.isnan, (low, high, lower, upper))):
        return "inconclusive"
    if lower <= low and high <= upper:
        return "reproduced"
    if high < lower or low > upper:
        return "differs"
    return "inconclusive"
