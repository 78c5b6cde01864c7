"""Cumulative incidence (Aalen-Johansen) per cause and Gray's test, matching R ``cmprsk::cuminc``.

Estimates and variances follow cmprsk's ``cinc`` algorithm (Gray's delta-method variance);
Gray's K-sample test follows ``crstm``/``crst``. Both are re-derived here in vectorised numpy
(loops run over groups and strata only). See ``docs/decisions/0303-cif-confidence-intervals.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from plasmatrial._results import ResultMixin
from plasmatrial.errors import StatsError
from plasmatrial.stats._checks import (
    ArrayLikeIn,
    check_conf_level,
    check_float_vector,
    check_times,
    group_codes,
)
from plasmatrial.stats._dist import chi2_sf, norm_isf
from plasmatrial.stats._types import FloatArray

if TYPE_CHECKING:
    import polars as pl

IntpArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True, repr=False)
class CIFCurve(ResultMixin):
    """Cumulative incidence of one cause in one group, at the cause's distinct event times.

    ``last_time`` is the group's largest follow-up time (the curve is defined up to it).
    ``lower``/``upper`` use the log(-log) transform (cmprsk itself gives no interval).
    """

    group: str
    cause: str
    time: FloatArray
    estimate: FloatArray
    variance: FloatArray
    lower: FloatArray
    upper: FloatArray
    last_time: float

    def at(self, times: ArrayLikeIn) -> tuple[FloatArray, FloatArray]:
        """Estimate and variance at ``times`` as ``cmprsk::timepoints`` (NaN after ``last_time``)."""
        t = check_float_vector(np.atleast_1d(np.asarray(times, dtype=np.float64)), "times")
        k = np.searchsorted(self.time, t, side="right")
        est = np.concatenate([[0.0], self.estimate])[k]
        var = np.concatenate([[0.0], self.variance])[k]
        beyond = t > self.last_time
        est[beyond] = np.nan
        var[beyond] = np.nan
        return est, var


@dataclass(frozen=True, slots=True, repr=False)
class GrayTest(ResultMixin):
    """Gray's test that a cause's cumulative incidence is equal across groups."""

    cause: str
    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True, slots=True, repr=False)
class CumulativeIncidenceResult(ResultMixin):
    """CIF curves for every (group, cause) and Gray's tests (when there are >= 2 groups)."""

    groups: tuple[str, ...]
    causes: tuple[str, ...]
    curves: tuple[CIFCurve, ...]
    tests: tuple[GrayTest, ...]
    conf_level: float

    def curve(self, cause: str, group: str | None = None) -> CIFCurve:
        """The curve for ``cause`` (and ``group``; the only group when omitted)."""
        for c in self.curves:
            if c.cause == str(cause) and (group is None or c.group == str(group)):
                return c
        raise StatsError(f"cause/group: no curve for cause={cause!r}, group={group!r}")

    def to_frame(self) -> pl.DataFrame:
        """Long table: ``group, cause, time, estimate, variance, lower, upper``."""
        import polars as pl

        frames = [
            pl.DataFrame(
                {
                    "group": [c.group] * c.time.shape[0],
                    "cause": [c.cause] * c.time.shape[0],
                    "time": c.time,
                    "estimate": c.estimate,
                    "variance": c.variance,
                    "lower": c.lower,
                    "upper": c.upper,
                },
                schema={
                    "group": pl.String,
                    "cause": pl.String,
                    "time": pl.Float64,
                    "estimate": pl.Float64,
                    "variance": pl.Float64,
                    "lower": pl.Float64,
                    "upper": pl.Float64,
                },
            )
            for c in self.curves
        ]
        out: pl.DataFrame = pl.concat(frames)
        return out

    def tests_frame(self) -> pl.DataFrame:
        """Gray's tests as ``cause, stat, pv, df`` (R ``cuminc(...)$Tests``)."""
        import polars as pl

        return pl.DataFrame(
            {
                "cause": [t.cause for t in self.tests],
                "stat": [t.statistic for t in self.tests],
                "pv": [t.p_value for t in self.tests],
                "df": [t.df for t in self.tests],
            },
            schema={"cause": pl.String, "stat": pl.Float64, "pv": pl.Float64, "df": pl.Int64},
        )


def _tie_blocks(ts: FloatArray) -> tuple[IntpArray, FloatArray]:
    """Block index of each sorted time and the distinct times."""
    new = np.empty(ts.shape[0], dtype=np.bool_)
    new[0] = True
    np.not_equal(ts[1:], ts[:-1], out=new[1:])
    return np.cumsum(new) - 1, ts[new]


def _cinc(
    ts: FloatArray, fail: npt.NDArray[np.bool_], cause: npt.NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """CIF and Gray's variance at the distinct cause-event times (sorted input, one group)."""
    n = ts.shape[0]
    block, utimes = _tie_blocks(ts)
    m = utimes.shape[0]
    nd1 = np.bincount(block, weights=cause, minlength=m)
    nd = np.bincount(block, weights=fail, minlength=m)
    nd2 = nd - nd1
    size = np.bincount(block, minlength=m).astype(np.float64)
    rs = n - np.concatenate([[0.0], np.cumsum(size)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        fkn = np.cumprod(np.where(nd > 0, (rs - nd) / rs, 1.0))
        fk = np.concatenate([[1.0], fkn[:-1]])
        f = np.cumsum(fk * nd1 / rs)
        inv = np.where(fkn > 0, 1.0 / fkn, 0.0)
        # competing-cause part (only where fkn > 0)
        t5 = np.where(nd2 > 1, 1.0 - (nd2 - 1.0) / (rs - 1.0), 1.0)
        t6 = np.where((nd2 > 0) & (fkn > 0), fk * fk * t5 * nd2 / (rs * rs), 0.0)
        t4 = f * inv
        v1 = t4 * t4 * t6
        v2 = inv * t4 * t6
        v3 = inv * inv * t6
        # cause-of-interest part
        t5 = np.where(nd1 > 1, 1.0 - (nd1 - 1.0) / (rs - 1.0), 1.0)
        t6 = np.where(nd1 > 0, fk * fk * t5 * nd1 / (rs * rs), 0.0)
        t4 = 1.0 + inv * f
        v1 = np.cumsum(v1 + t4 * t4 * t6)
        v2 = np.cumsum(v2 + inv * t4 * t6)
        v3 = np.cumsum(v3 + inv * inv * t6)
    var = v1 + f * f * v3 - 2.0 * f * v2
    jump = nd1 > 0
    return utimes[jump], f[jump], var[jump]


def _gray_stratum(
    ts: FloatArray, m: IntpArray, g: IntpArray, ng: int, rho: float
) -> tuple[FloatArray, FloatArray]:
    """Score vector (all ng groups) and variance (ng x ng) of Gray's test in one stratum."""
    block, _ = _tie_blocks(ts)
    nt = int(block[-1]) + 1
    cnt = np.zeros((3, nt, ng))
    np.add.at(cnt, (m, block, g), 1.0)
    d1, d2 = cnt[1], cnt[2]
    size = cnt.sum(axis=0)
    rs = size.sum(axis=0) - np.concatenate([np.zeros((1, ng)), np.cumsum(size, axis=0)[:-1]])
    nd1, nd2 = d1.sum(axis=1), d2.sum(axis=1)
    ev = (nd1 + nd2) > 0
    rs, d1, d2, nd1, nd2 = rs[ev], d1[ev], d2[ev], nd1[ev], nd2[ev]
    live = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        skm = np.cumprod(np.where(live, (rs - d1 - d2) / rs, 1.0), axis=0)
        skmm = np.vstack([np.ones((1, ng)), skm[:-1]])
        f1 = np.cumsum(np.where(live, skmm * d1 / rs, 0.0), axis=0)
        f1m = np.vstack([np.zeros((1, ng)), f1[:-1]])
        h = np.where(live, rs / skmm, 0.0)
        tr = h.sum(axis=1)
        tq = np.where(live, rs * (1.0 - f1m) / skmm, 0.0).sum(axis=1)
        f = np.cumsum(nd1 / tr)
        fm = np.concatenate([[0.0], f[:-1]])
        fb = (1.0 - fm) ** rho
        a = fb[:, None, None] * (
            h[:, :, None] * np.eye(ng)[None] - h[:, :, None] * h[:, None, :] / tr[:, None, None]
        )
        c = np.cumsum(a * (nd1 / (tr * (1.0 - fm)))[:, None, None], axis=0)
        s = (
            fb[:, None] * np.where(live, d1 - nd1[:, None] * h * (1.0 - f1m) / tq[:, None], 0.0)
        ).sum(axis=0)
        # cause-of-interest events
        t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
        t5 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0
        )
        t3 = np.where(live & (nd1[:, None] > 0), t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        v3 = (t4 * t4 * t3).sum(axis=0)
        big_a = a - t4[:, None, :] * c  # [t, i, k]
        v2 = np.einsum("tik,tk->ik", big_a, t4 * t3)
        v = np.einsum("tik,tjk,tk->ij", big_a, big_a, t3)
        # competing events
        ok = (skm > 0) & (d2 > 0)
        t4 = np.where(ok, (1.0 - f[:, None]) / skm, 0.0)
        t5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        t3 = np.where(ok, t5 * skmm * skmm * d2 / (rs * rs), 0.0)
        v3 = v3 + (t4 * t4 * t3).sum(axis=0)
        v2 = v2 - np.einsum("tik,tk->ik", c, t4 * t4 * t3)
        v = v + np.einsum("tik,tjk,tk->ij", c, c, t4 * t4 * t3)
    cf = c[-1]
    v = v + (cf * v3[None, :]) @ cf.T + cf @ v2.T + v2 @ cf.T
    return s, v


def gray_test(
    time: FloatArray,
    status: IntpArray,
    cause: int,
    g: IntpArray,
    ng: int,
    strata: IntpArray,
    rho: float = 0.0,
) -> tuple[float, int]:
    """Gray's statistic for cause code ``cause`` (status codes, 0 = censored); df = ng - 1."""
    m = np.where(status == 0, 0, np.where(status == cause, 1, 2)).astype(np.intp)
    s = np.zeros(ng)
    v = np.zeros((ng, ng))
    for h in np.unique(strata):
        sel = strata == h
        order = np.argsort(time[sel], kind="stable")
        sh, vh = _gray_stratum(time[sel][order], m[sel][order], g[sel][order], ng, rho)
        s += sh
        v += vh
    s1, v1 = s[: ng - 1], v[: ng - 1, : ng - 1]
    if np.linalg.matrix_rank(v1) < ng - 1:
        return float("nan"), ng - 1
    return float(s1 @ np.linalg.solve(v1, s1)), ng - 1


def _loglog_ci(f: FloatArray, var: FloatArray, conf_level: float) -> tuple[FloatArray, FloatArray]:
    z = norm_isf((1.0 - conf_level) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.exp(z * np.sqrt(var) / (f * np.log(f)))
        # log F < 0 so scale < 1 and F**scale > F: that is the upper limit
        lo = np.where((f > 0) & (f < 1), f ** (1.0 / scale), np.nan)
        hi = np.where((f > 0) & (f < 1), f**scale, np.nan)
    return lo, hi


def cumulative_incidence(
    time: ArrayLikeIn,
    status: ArrayLikeIn,
    *,
    group: ArrayLikeIn | None = None,
    strata: ArrayLikeIn | None = None,
    rho: float = 0.0,
    conf_level: float = 0.95,
) -> CumulativeIncidenceResult:
    """Cumulative incidence function per cause (and group) with Gray's test.

    Parameters
    ----------
    time : array_like
        Follow-up times, ``>= 0``.
    status : array_like
        Integer status: 0 = censored, any other integer = cause of failure.
    group : array_like, optional
        Group labels; with two or more groups Gray's test is computed for every cause.
    strata : array_like, optional
        Strata for Gray's test only (the curves are not stratified, as cmprsk).
    rho : float
        Power of the weight ``(1 - F(t-))^rho`` in Gray's test (cmprsk default 0).
    conf_level : float
        Level of the pointwise log(-log) intervals.

    Returns
    -------
    CumulativeIncidenceResult
        Curves per (group, cause), Gray's tests per cause.

    Raises
    ------
    StatsError
        Invalid times, non-integer or negative status, no failures, bad labels.

    Notes
    -----
    Equivalent R call: ``cmprsk::cuminc(time, status, group, strata, rho, cencode = 0)``;
    ``timepoints(fit, times)`` is :meth:`CIFCurve.at`.

    1. Within each group sort by time; at each distinct time with ``d`` failures (any cause)
       of ``r`` at risk, ``F_k(t) = F_k(t-) + S(t-) d_k / r`` with ``S`` the all-cause KM.
    2. Variance: Gray's (1988) delta-method estimator as in cmprsk's ``cinc`` (tie-corrected
       by ``1 - (d-1)/(r-1)``), reported at the cause's jump times.
    3. Pointwise CI: cmprsk gives none, so we use the common log(-log) transform
       ``F^exp(±z·se / (F log F))`` (NaN where F is 0 or 1).
    4. Gray's test: score ``s`` and variance ``V`` of the weighted subdistribution-hazard
       differences (cmprsk ``crstm``), summed over strata; statistic ``s' V⁻¹ s`` on the
       first ng-1 groups, chi-square with ng-1 df; p-value by ``chi2.sf`` (cmprsk computes
       ``1 - pchisq``, which underflows to 0 for statistics above ~75).

    References
    ----------
    .. [1] Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a
       competing risk. Ann Stat 1988;16:1141-1154.
    .. [2] Kalbfleisch JD, Prentice RL. The Statistical Analysis of Failure Time Data, 2002.

    Examples
    --------
    >>> r = cumulative_incidence([1, 2, 3, 4, 5], [1, 2, 1, 0, 1])
    >>> r.curve("1").estimate.round(4).tolist()
    [0.2, 0.4, 0.8]
    """
    t, _ = check_times(time)
    n = t.shape[0]
    st_f = check_float_vector(status, "status", n=n)
    if (st_f != np.round(st_f)).any() or (st_f < 0).any():
        bad = st_f[(st_f != np.round(st_f)) | (st_f < 0)][0]
        raise StatsError(f"status: expected 0 (censored) or a positive integer cause, got {bad!r}")
    st = st_f.astype(np.intp)
    causes = np.unique(st[st != 0])
    if causes.size == 0:
        raise StatsError("status: no failures (every status is 0 = censored)")
    check_conf_level(conf_level)
    labels, g = group_codes(np.zeros(n, dtype=np.int64) if group is None else group, n)
    if group is None:
        labels = ("1",)
    sc = np.zeros(n, dtype=np.intp) if strata is None else group_codes(strata, n, "strata")[1]
    curves = []
    tests = []
    for cause in causes.tolist():
        for k, lab in enumerate(labels):
            sel = g == k
            order = np.argsort(t[sel], kind="stable")
            ts = t[sel][order]
            ss = st[sel][order]
            x, est, var = _cinc(ts, ss != 0, ss == cause)
            lo, hi = _loglog_ci(est, var, conf_level)
            curves.append(CIFCurve(lab, str(cause), x, est, var, lo, hi, float(ts[-1])))
        if len(labels) > 1:
            stat, df = gray_test(t, st, cause, g, len(labels), sc, rho)
            tests.append(GrayTest(str(cause), stat, df, float(chi2_sf(stat, df))))
    return CumulativeIncidenceResult(
        labels,
        tuple(str(c) for c in causes.tolist()),
        tuple(curves),
        tuple(tests),
        float(conf_level),
    )


__all__ = ["CIFCurve", "CumulativeIncidenceResult", "GrayTest", "cumulative_incidence"]
