"""Confidence intervals for a single binomial proportion.

Seven methods, two- and one-sided, each matched to an R reference
(``tests/reference/r/binomial.R``). The default is the exact Clopper-Pearson interval; see
:func:`binomial_ci` and ``docs/decisions/0300-binomial-ci-default-and-conventions.md``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from plasmatrial._results import ResultMixin
from plasmatrial.errors import StatsError
from plasmatrial.stats._betainv import beta_quantile

if TYPE_CHECKING:  # numpy-free at run time: `plasmatrial stats ci` starts at once (decision 0109)
    from plasmatrial.stats._types import Alternative

BinomialMethod = Literal[
    "clopper-pearson", "wilson", "wilson-cc", "jeffreys", "agresti-coull", "mid-p", "wald"
]
BINOMIAL_METHODS: tuple[BinomialMethod, ...] = (
    "clopper-pearson",
    "wilson",
    "wilson-cc",
    "jeffreys",
    "agresti-coull",
    "mid-p",
    "wald",
)
_ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "less", "greater")
#: Absolute tolerance on the mid-p root (far below any printed digit).
_MIDP_XTOL = 1e-14


@dataclass(frozen=True, slots=True, repr=False)
class BinomialCIResult(ResultMixin):
    """A binomial proportion with its confidence interval.

    Attributes
    ----------
    x, n : int
        Number of successes and of trials.
    estimate : float
        ``x / n``.
    lower, upper : float
        Confidence limits (``0`` / ``1`` for the open side of a one-sided interval).
    conf_level : float
        Confidence level.
    method : str
        Interval method.
    alternative : str
        ``"two-sided"``, ``"less"`` (upper bound only) or ``"greater"`` (lower bound only).
    """

    x: int
    n: int
    estimate: float
    lower: float
    upper: float
    conf_level: float
    method: BinomialMethod
    alternative: Alternative

    def to_dict(self) -> dict[str, float | int | str]:
        """Return the result as a plain dictionary (JSON-ready)."""
        return asdict(self)


def _check(x: int, n: int, conf_level: float, method: str, alternative: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise StatsError(f"n: expected an integer >= 1, got {n!r}")
    if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x <= n:
        raise StatsError(f"x: expected an integer between 0 and n={n}, got {x!r}")
    if not (isinstance(conf_level, float | int) and 0.0 < conf_level < 1.0):
        raise StatsError(
            f"conf_level: expected a number strictly between 0 and 1, got {conf_level!r}"
        )
    if method not in BINOMIAL_METHODS:
        raise StatsError(f"method: expected one of {', '.join(BINOMIAL_METHODS)}, got {method!r}")
    if alternative not in _ALTERNATIVES:
        raise StatsError(
            f"alternative: expected one of {', '.join(_ALTERNATIVES)}, got {alternative!r}"
        )


def _tail(conf_level: float, alternative: Alternative) -> float:
    """Probability in each bounded tail: (1 - conf)/2 two-sided, 1 - conf one-sided."""
    return (1.0 - conf_level) / 2.0 if alternative == "two-sided" else 1.0 - conf_level


def _beta_limits(x: int, n: int, a: float, shift: float) -> tuple[float, float]:
    """Equal-tailed beta quantile limits: shift=0 Clopper-Pearson, shift=0.5 Jeffreys.

    The beta quantile is :func:`~plasmatrial.stats._betainv.beta_quantile` (pure Python, the
    correctly rounded root), not scipy's: the exact intervals then load neither numpy nor scipy.
    """
    if shift == 0.0:
        lo = 0.0 if x == 0 else beta_quantile(a, x, n - x + 1)
        hi = 1.0 if x == n else beta_quantile(1.0 - a, x + 1, n - x)
    else:
        lo = 0.0 if x == 0 else beta_quantile(a, x + shift, n - x + shift)
        hi = 1.0 if x == n else beta_quantile(1.0 - a, x + shift, n - x + shift)
    return lo, hi


def _wilson(x: int, n: int, z: float, yates: float) -> tuple[float, float]:
    """R ``prop.test`` (k = 1) score interval, including its clipping conventions."""
    est = x / n
    yates = min(yates, abs(x - n * 0.5))  # R: YATES <- min(YATES, abs(x - n*p)), p = 0.5
    z22n = z * z / (2.0 * n)
    p_c = est + yates / n
    if p_c >= 1.0:
        hi = 1.0
    else:
        hi = (p_c + z22n + z * math.sqrt(p_c * (1.0 - p_c) / n + z22n / (2.0 * n))) / (
            1.0 + 2.0 * z22n
        )
    p_c = est - yates / n
    if p_c <= 0.0:
        lo = 0.0
    else:
        lo = (p_c + z22n - z * math.sqrt(p_c * (1.0 - p_c) / n + z22n / (2.0 * n))) / (
            1.0 + 2.0 * z22n
        )
    return max(lo, 0.0), min(hi, 1.0)


def _midp(x: int, n: int, a: float) -> tuple[float, float]:
    """Exact mid-p limits by Brent root finding on the binomial mid-p tail functions."""
    from scipy import optimize, stats  # only mid-p needs them; keeps the module import light

    def upper_tail(p: float) -> float:  # P(X > x) + P(X = x)/2 - a, increasing in p
        return float(stats.binom.sf(x, n, p) + 0.5 * stats.binom.pmf(x, n, p)) - a

    def lower_tail(p: float) -> float:  # P(X < x) + P(X = x)/2 - a, decreasing in p
        return float(stats.binom.cdf(x - 1, n, p) + 0.5 * stats.binom.pmf(x, n, p)) - a

    lo = 0.0 if x == 0 else float(optimize.brentq(upper_tail, 0.0, 1.0, xtol=_MIDP_XTOL))
    hi = 1.0 if x == n else float(optimize.brentq(lower_tail, 0.0, 1.0, xtol=_MIDP_XTOL))
    return lo, hi


def _limits(x: int, n: int, method: BinomialMethod, a: float) -> tuple[float, float]:
    if method == "clopper-pearson":
        return _beta_limits(x, n, a, 0.0)
    if method == "jeffreys":
        return _beta_limits(x, n, a, 0.5)
    if method == "mid-p":
        return _midp(x, n, a)
    from plasmatrial.stats._dist import norm_isf  # the normal quantile: scipy.special

    z = norm_isf(a)
    est = x / n
    if method == "wilson":
        return _wilson(x, n, z, 0.0)
    if method == "wilson-cc":
        return _wilson(x, n, z, 0.5)
    if method == "agresti-coull":
        n_t = n + z * z
        p_t = (x + z * z / 2.0) / n_t
        half = z * math.sqrt(p_t * (1.0 - p_t) / n_t)
        return max(p_t - half, 0.0), min(p_t + half, 1.0)
    half = z * math.sqrt(est * (1.0 - est) / n)  # wald
    return max(est - half, 0.0), min(est + half, 1.0)


def binomial_ci(
    x: int,
    n: int,
    *,
    method: BinomialMethod = "clopper-pearson",
    conf_level: float = 0.95,
    alternative: Alternative = "two-sided",
) -> BinomialCIResult:
    """Confidence interval for a binomial proportion ``x / n``.

    Parameters
    ----------
    x : int
        Number of successes (responders), ``0 <= x <= n``.
    n : int
        Number of trials (evaluable patients), ``n >= 1``.
    method : {"clopper-pearson", "wilson", "wilson-cc", "jeffreys", "agresti-coull", "mid-p", "wald"}
        Interval method; default ``"clopper-pearson"`` (exact).
    conf_level : float
        Confidence level, default 0.95.
    alternative : {"two-sided", "less", "greater"}
        ``"less"`` gives ``[0, upper]``, ``"greater"`` gives ``[lower, 1]``; a one-sided interval
        puts all of ``1 - conf_level`` in its single tail (as R ``binom.test``/``prop.test``).

    Returns
    -------
    BinomialCIResult
        Estimate and limits.

    Raises
    ------
    StatsError
        If ``x``, ``n``, ``conf_level``, ``method`` or ``alternative`` is invalid.

    Notes
    -----
    With ``a = (1 - conf_level)/2`` (two-sided) or ``1 - conf_level`` (one-sided), ``z = Φ⁻¹(1 - a)``:

    1. **clopper-pearson**: ``[qbeta(a, x, n-x+1), qbeta(1-a, x+1, n-x)]`` with ``L(0)=0``,
       ``U(n)=1``. R: ``binom.test(x, n)$conf.int``.
    2. **wilson**: score interval. R: ``prop.test(x, n, correct = FALSE)$conf.int``.
    3. **wilson-cc**: continuity-corrected score interval exactly as R
       ``prop.test(x, n, correct = TRUE)$conf.int``: the correction is ``min(0.5, |x - n/2|)``
       (so it vanishes at ``x = n/2``), a limit whose corrected centre passes 0 or 1 is set to
       0 or 1, and limits are clipped to [0, 1].
    4. **jeffreys**: equal-tailed Beta(x+1/2, n-x+1/2) posterior interval with the Brown-Cai-
       DasGupta endpoint convention ``L(0) = 0``, ``U(n) = 1`` (their "modified" Jeffreys, which
       further alters x = 1 and x = n-1, is *not* applied). R: ``qbeta(c(a, 1-a), x+.5, n-x+.5)``.
    5. **agresti-coull**: ``ñ = n + z²``, ``p̃ = (x + z²/2)/ñ``, ``p̃ ± z√(p̃(1-p̃)/ñ)``, clipped to [0, 1].
    6. **mid-p**: solves ``P(X>x) + P(X=x)/2 = a`` (lower) and ``P(X<x) + P(X=x)/2 = a`` (upper)
       with Brent's method; ``L(0)=0``, ``U(n)=1``. R: ``uniroot`` on the same equations
       (= ``exactci::binom.exact(midp = TRUE, tsmethod = "central")``).
    7. **wald**: ``p̂ ± z√(p̂(1-p̂)/n)``, clipped to [0, 1]; zero width at x = 0 or n. Offered for
       comparison with old reports only.

    Clopper-Pearson is the default because it guarantees coverage >= ``conf_level`` for every
    true proportion, which is what regulators and single-arm phase 2 protocols expect for a
    response rate, and because it is the interval most often printed in myeloma and AL
    amyloidosis trial reports.

    The seed trial reports "19 of 28 responders = 68% (95% CI, 49-83)". Rounded to whole
    percent, only **jeffreys** (49.5-82.8) and **mid-p** (49.1-83.0) reproduce "49-83";
    Clopper-Pearson gives 47.6-84.1 ("48-84"), Wilson 49.3-82.1 ("49-82"), Wilson-cc
    47.6-83.4 ("48-83"), Agresti-Coull 49.2-82.2 ("49-82") and Wald 50.6-85.2 ("51-85")
    (checked by ``tests/unit/stats/test_binomial.py::test_seed_trial_published_interval``).
    The seed trial therefore most likely used a Jeffreys or exact mid-p interval; use
    ``method="jeffreys"`` to reproduce its table.

    References
    ----------
    .. [1] Clopper CJ, Pearson ES. Biometrika 1934;26:404-413.
    .. [2] Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial proportion.
       Stat Sci 2001;16:101-133.
    .. [3] Agresti A, Coull BA. Am Stat 1998;52:119-126.

    Examples
    --------
    >>> r = binomial_ci(19, 28)
    >>> round(r.estimate, 4), round(r.lower, 4), round(r.upper, 4)
    (0.6786, 0.4765, 0.8412)
    """
    _check(x, n, conf_level, method, alternative)
    a = _tail(float(conf_level), alternative)
    lo, hi = _limits(x, n, method, a)
    if alternative == "less":
        lo = 0.0
    elif alternative == "greater":
        hi = 1.0
    return BinomialCIResult(
        x=x,
        n=n,
        estimate=x / n,
        lower=lo,
        upper=hi,
        conf_level=float(conf_level),
        method=method,
        alternative=alternative,
    )


__all__ = ["BINOMIAL_METHODS", "BinomialCIResult", "BinomialMethod", "binomial_ci"]
