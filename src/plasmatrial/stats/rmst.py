"""Restricted mean survival time (area under the Kaplan-Meier curve up to ``tau``).

Matches R ``summary(survfit(...), rmean = tau)$table[c("rmean", "se(rmean)")]``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from plasmatrial._results import ResultMixin
from plasmatrial.errors import StatsError
from plasmatrial.stats._checks import (
    ArrayLikeIn,
    check_conf_level,
    check_survival_data,
    group_codes,
)
from plasmatrial.stats._dist import norm_isf, norm_sf
from plasmatrial.stats.km import KaplanMeierResult, kaplan_meier


@dataclass(frozen=True, slots=True, repr=False)
class RMSTResult(ResultMixin):
    """RMST with its standard error and normal-theory confidence interval."""

    tau: float
    rmst: float
    se: float
    lower: float
    upper: float
    conf_level: float

    def to_dict(self) -> dict[str, float]:
        """JSON-ready dictionary."""
        return asdict(self)


@dataclass(frozen=True, slots=True, repr=False)
class RMSTDifferenceResult(ResultMixin):
    """Difference in RMST between two groups (``groups[1]`` minus ``groups[0]``)."""

    groups: tuple[str, str]
    arms: tuple[RMSTResult, RMSTResult]
    difference: float
    se: float
    lower: float
    upper: float
    z: float
    p_value: float
    conf_level: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary (arms nested)."""
        return {
            "groups": list(self.groups),
            "arms": {g: a.to_dict() for g, a in zip(self.groups, self.arms, strict=True)},
            "difference": self.difference,
            "se": self.se,
            "lower": self.lower,
            "upper": self.upper,
            "z": self.z,
            "p_value": self.p_value,
            "conf_level": self.conf_level,
        }


def rmst_from_fit(fit: KaplanMeierResult, tau: float, conf_level: float = 0.95) -> RMSTResult:
    """RMST and SE from an existing Kaplan-Meier fit (R ``survival:::survmean``).

    Parameters
    ----------
    fit : KaplanMeierResult
        Fitted curve.
    tau : float
        Truncation time, ``> 0``.
    conf_level : float
        Confidence level of the normal interval.

    Returns
    -------
    RMSTResult
        RMST, SE and CI.

    Raises
    ------
    StatsError
        If ``tau`` or ``conf_level`` is invalid.
    """
    if not (math.isfinite(tau) and tau > 0):
        raise StatsError(f"tau: expected a finite number > 0, got {tau!r}")
    check_conf_level(conf_level)
    d, nr = fit.n_event, fit.n_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(nr - d == 0, 0.0, d / (nr * (nr - d)))
    keep = fit.time <= tau
    if not keep.any():
        times, surv, hh = np.array([tau]), np.array([1.0]), np.array([0.0])
    else:
        times = np.concatenate([fit.time[keep], [tau]])
        surv = np.concatenate([fit.surv[keep], [fit.surv[keep][-1]]])
        hh = np.concatenate([hh[keep], [0.0]])
    start = min(0.0, float(fit.time.min()))
    delta = np.diff(np.concatenate([[start], times]))
    rect = delta * np.concatenate([[1.0], surv[:-1]])
    var = float(np.sum(np.cumsum(rect[1:][::-1]) ** 2 * hh[::-1][1:]))
    mean = float(rect.sum()) + start
    se = math.sqrt(var)
    z = norm_isf((1.0 - conf_level) / 2.0)
    return RMSTResult(float(tau), mean, se, mean - z * se, mean + z * se, float(conf_level))


def rmst(
    time: ArrayLikeIn, event: ArrayLikeIn, *, tau: float, conf_level: float = 0.95
) -> RMSTResult:
    """Restricted mean survival time up to ``tau`` with its standard error.

    Parameters
    ----------
    time, event : array_like
        Follow-up times and event indicators.
    tau : float
        Truncation time (``> 0``). Beyond the last observed time the curve is extended flat.
    conf_level : float
        Confidence level for ``rmst ± z·se``.

    Returns
    -------
    RMSTResult
        ``rmst``, ``se``, ``lower``, ``upper``.

    Raises
    ------
    StatsError
        Invalid data, ``tau`` or ``conf_level``.

    Notes
    -----
    Equivalent R call: ``summary(survfit(Surv(time, event) ~ 1), rmean = tau)$table``
    (``rmean``, ``se(rmean)``).

    1. Keep KM times ``t_1 < ... <= tau``, append ``tau``; rectangles
       ``r_i = (t_i - t_{i-1}) S(t_{i-1})`` with ``t_0 = 0``, ``S(t_0) = 1``; RMST = ``Σ r_i``.
    2. ``Var = Σ_i A_i² d_i / (n_i (n_i - d_i))`` where ``A_i = Σ_{m > i} r_m`` is the area
       after ``t_i`` (terms with ``n_i = d_i`` are 0, as R).

    References
    ----------
    .. [1] Royston P, Parmar MKB. BMC Med Res Methodol 2013;13:152.

    Examples
    --------
    >>> r = rmst([1, 2, 3, 4], [1, 1, 1, 1], tau=4)
    >>> r.rmst
    2.5
    """
    t, e, _ = check_survival_data(time, event)
    return rmst_from_fit(kaplan_meier(t, e), float(tau), conf_level)


def rmst_difference(
    time: ArrayLikeIn,
    event: ArrayLikeIn,
    group: ArrayLikeIn,
    *,
    tau: float,
    conf_level: float = 0.95,
) -> RMSTDifferenceResult:
    """Difference in RMST between two groups, with a Wald test.

    Parameters
    ----------
    time, event : array_like
        Follow-up times and event indicators.
    group : array_like
        Exactly two distinct labels; the difference is second (sorted) minus first.
    tau : float
        Common truncation time.
    conf_level : float
        Confidence level.

    Returns
    -------
    RMSTDifferenceResult
        Per-arm RMSTs, difference, SE, CI, z and two-sided p-value.

    Raises
    ------
    StatsError
        Invalid data or not exactly two groups.

    Notes
    -----
    1. RMST and SE per arm as :func:`rmst` (R ``survmean``).
    2. ``diff = rmst_1 - rmst_0``; ``se = sqrt(se_0² + se_1²)`` (independent arms).
    3. CI ``diff ± z se``; ``p = 2 Φ(-|diff/se|)``. This is the unadjusted Wald comparison
       popularised by ``survRM2::rmst2``; survRM2 is not installed here, so the per-arm figures
       are checked against R ``survival`` and the combination is checked by formula.

    References
    ----------
    .. [1] Uno H, et al. J Clin Oncol 2014;32:2380-2385.

    Examples
    --------
    >>> r = rmst_difference([1, 2, 3, 4], [1, 1, 1, 1], ["a", "a", "b", "b"], tau=4)
    >>> r.difference
    2.0
    """
    t, e, _ = check_survival_data(time, event)
    labels, codes = group_codes(group, t.shape[0])
    if len(labels) != 2:
        raise StatsError(f"group: expected exactly two groups, got {list(labels)}")
    arms = tuple(
        rmst_from_fit(kaplan_meier(t[codes == k], e[codes == k]), float(tau), conf_level)
        for k in (0, 1)
    )
    diff = arms[1].rmst - arms[0].rmst
    se = math.hypot(arms[0].se, arms[1].se)
    z = norm_isf((1.0 - conf_level) / 2.0)
    zstat = diff / se if se > 0 else math.nan
    p = 2.0 * norm_sf(abs(zstat)) if se > 0 else math.nan
    return RMSTDifferenceResult(
        (labels[0], labels[1]),
        (arms[0], arms[1]),
        diff,
        se,
        diff - z * se,
        diff + z * se,
        zstat,
        p,
        float(conf_level),
    )


__all__ = ["RMSTDifferenceResult", "RMSTResult", "rmst", "rmst_difference", "rmst_from_fit"]
