"""Log-rank and Harrington-Fleming G-rho tests matching R ``survival::survdiff``.

:func:`logrank_test` handles k groups, strata and delayed entry; :func:`logrank_test_batched`
runs many two-group trials at once (rows of 2-D arrays) for the trial simulator.
See ``docs/decisions/0302-logrank-pvalues-and-entry.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from plasmatrial._results import ResultMixin
from plasmatrial.errors import StatsError
from plasmatrial.stats._checks import (
    ArrayLikeIn,
    check_event_matrix,
    check_survival_batch,
    check_survival_data,
    group_codes,
)
from plasmatrial.stats._dist import chi2_sf
from plasmatrial.stats._types import BoolArray, FloatArray
from plasmatrial.stats.km import (
    CodeArray,
    compress_codes,
    counts_on_grid,
    distinct_counts,
    grid_codes,
)

if TYPE_CHECKING:
    import polars as pl

IntpArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True, repr=False)
class LogRankResult(ResultMixin):
    """G-rho test of equal survival across groups (R ``survdiff`` object).

    Attributes
    ----------
    groups : tuple of str
        Sorted group labels.
    n : numpy.ndarray
        Observations per group.
    observed, expected : numpy.ndarray
        (Weighted, for rho != 0) observed and expected events per group, summed over strata.
    variance : numpy.ndarray
        k x k variance matrix of ``observed - expected``.
    chisq : float
        Test statistic.
    df : int
        Degrees of freedom (groups with positive expected count, minus 1).
    p_value : float
        Upper-tail chi-square probability (``scipy.stats.chi2.sf``).
    rho : float
        G-rho parameter (0 = log-rank, 1 = Peto-Peto).
    """

    groups: tuple[str, ...]
    n: FloatArray
    observed: FloatArray
    expected: FloatArray
    variance: FloatArray
    chisq: float
    df: int
    p_value: float
    rho: float

    def to_frame(self) -> pl.DataFrame:
        """R ``print(survdiff)`` table: group, N, Observed, Expected, (O-E)^2/E, (O-E)^2/V."""
        import polars as pl

        oe = self.observed - self.expected
        with np.errstate(divide="ignore", invalid="ignore"):
            return pl.DataFrame(
                {
                    "group": list(self.groups),
                    "N": self.n,
                    "Observed": self.observed,
                    "Expected": self.expected,
                    "(O-E)^2/E": oe**2 / self.expected,
                    "(O-E)^2/V": oe**2 / np.diag(self.variance),
                }
            )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary with every number at full precision."""
        return {
            "groups": list(self.groups),
            "n": self.n.tolist(),
            "observed": self.observed.tolist(),
            "expected": self.expected.tolist(),
            "variance": self.variance.tolist(),
            "chisq": self.chisq,
            "df": self.df,
            "p_value": self.p_value,
            "rho": self.rho,
        }


def _stratum_sums(
    t: FloatArray,
    e: BoolArray,
    g: IntpArray,
    s: FloatArray | None,
    k: int,
    rho: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observed, expected and variance contributions of one stratum (survdiff2 algorithm)."""
    utimes, _ = distinct_counts(np.sort(t))
    m = utimes.shape[0]
    d_jt = np.zeros((m, k))
    stop_jt = np.zeros((m, k))
    for j in range(k):
        in_j = g == j
        stop_jt[:, j] = counts_on_grid(utimes, t[in_j])
        d_jt[:, j] = counts_on_grid(utimes, t[in_j & e])
    n_jt = np.cumsum(stop_jt[::-1], axis=0)[::-1]
    if s is not None:
        for j in range(k):
            ent = np.sort(s[g == j])
            n_jt[:, j] -= ent.shape[0] - np.searchsorted(ent, utimes, side="left")
    return _sums_from_counts(d_jt.T, n_jt.T, rho)


def _sums_from_counts(
    d_kt: FloatArray, n_kt: FloatArray, rho: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observed, expected and variance from events and numbers at risk per group (rows) and time."""
    d_t = d_kt.sum(axis=0)
    n_t = n_kt.sum(axis=0)
    keep = d_t > 0
    return _event_sums(d_kt[:, keep], n_kt[:, keep], d_t[keep], n_t[keep], rho)


def _grid_sums(
    codes: IntpArray,
    span: int,
    e: BoolArray,
    g: IntpArray,
    k: int,
    s_codes: IntpArray,
    n_strata: int,
    rho: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observed, expected and variance summed over strata, from one count table on the grid.

    A column is a (stratum, grid point) pair, in stratum-then-time order (only the pairs in use
    when there are more pairs than observations); the table is (group, event flag, column), one
    ``bincount``. The numbers at risk are one integer ``cumsum`` along the columns minus the
    stops of the later strata; the columns with an event enter survdiff's sums stratum by
    stratum (:func:`_event_sums`, the same sums in the same order as before).
    """
    n = codes.shape[0]
    width = n_strata * span
    key: CodeArray = codes
    if n_strata > 1:
        key = s_codes * span
        key += codes
        del codes
    starts = np.arange(n_strata + 1) * span  # first column of each stratum (and the end)
    if width > n:  # sparse (small n): only the pairs in use, so the table is O(n)
        used, key = compress_codes(key, width)
        width = used.shape[0]
        starts = np.searchsorted(used, starts)
    idx = g * 2  # in place from here on: a small transient footprint (see compress_codes)
    idx += e
    idx *= width
    idx += key
    del key
    cnt = np.bincount(idx, minlength=k * 2 * width).reshape(k, 2, width)
    del idx
    ev = cnt[:, 1]
    stop = cnt[:, 0] + ev
    d_all = ev.sum(axis=0)
    keep = (d_all > 0).nonzero()[0]
    # np.take along an axis is several times faster than [:, keep] indexing
    d_ki = np.take(ev, keep, axis=1)
    stop_keep = np.take(stop, keep, axis=1)
    del cnt, ev
    cum = np.cumsum(stop, axis=1, out=stop)
    # at risk at column c of stratum h: the stratum's stops at c or later
    if n_strata > 1:
        end = np.take(cum, np.maximum(starts[1:] - 1, 0), axis=1)  # (k, strata)
        stratum = np.searchsorted(starts, keep, side="right") - 1
        n_kt = np.take(end, stratum, axis=1) - np.take(cum, keep, axis=1)
    else:
        n_kt = cum[:, -1:] - np.take(cum, keep, axis=1)
    del cum, stop
    n_kt += stop_keep
    d_kt = d_ki.astype(np.float64)
    n_f = n_kt.astype(np.float64)
    d_t = d_all[keep].astype(np.float64)
    n_t = n_kt.sum(axis=0).astype(np.float64)
    if n_strata == 1:
        return _event_sums(d_kt, n_f, d_t, n_t, rho)
    obs = np.zeros(k)
    exp = np.zeros(k)
    var = np.zeros((k, k))
    # stratum by stratum, as survdiff adds them
    bounds = np.searchsorted(keep, starts).tolist()
    for lo, hi in pairwise(bounds):
        if hi > lo:
            o, x, v = _event_sums(d_kt[:, lo:hi], n_f[:, lo:hi], d_t[lo:hi], n_t[lo:hi], rho)
            obs += o
            exp += x
            var += v
    return obs, exp, var


def _event_sums(
    d_kt: FloatArray, n_kt: FloatArray, d_t: FloatArray, n_t: FloatArray, rho: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """survdiff's sums over the event times of one stratum (``d_t > 0``; rows are groups)."""
    k = d_kt.shape[0]
    if d_t.shape[0] == 0:  # a stratum without events adds nothing
        return np.zeros(k), np.zeros(k), np.zeros((k, k))
    if rho != 0.0:
        km = np.cumprod(1.0 - d_t / n_t)
        s_minus = np.concatenate([[1.0], km[:-1]])
        w = s_minus**rho
        obs = d_kt @ w
        exp = n_kt @ (w * d_t / n_t)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(n_t > 1, w * w * d_t * (n_t - d_t) / (n_t * (n_t - 1.0)), 0.0)
    else:  # w = 1: w * d_t and w * w * d_t are d_t exactly
        obs = d_kt.sum(axis=1)
        exp = n_kt @ (d_t / n_t)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(n_t > 1, d_t * (n_t - d_t) / (n_t * (n_t - 1.0)), 0.0)
    var = np.diag(n_kt @ c) - (n_kt * (c / n_t)) @ n_kt.T
    return obs, exp, var


def chisq_from(obs: FloatArray, exp: FloatArray, var: FloatArray) -> tuple[float, int]:
    """R survdiff: drop groups with zero expected, then the first; solve V x = (O-E)."""
    use = exp > 0
    df = int(use.sum()) - 1
    if df < 1:
        return 0.0, df
    if df == 1 and use.all():  # two groups: the 1 x 1 solve, as LAPACK does it
        d = float(obs[1] - exp[1])
        v = float(var[1, 1])
        if v == 0.0:
            raise StatsError("group: variance matrix is singular; cannot compute the test")
        return d * (d / v), df
    oe = (obs - exp)[use][1:]
    vv = var[np.ix_(use, use)][1:, 1:]
    try:
        chisq = float(oe @ np.linalg.solve(vv, oe))
    except np.linalg.LinAlgError as exc:
        raise StatsError("group: variance matrix is singular; cannot compute the test") from exc
    return chisq, df


def logrank_test(
    time: ArrayLikeIn,
    event: ArrayLikeIn,
    group: ArrayLikeIn,
    *,
    strata: ArrayLikeIn | None = None,
    rho: float = 0.0,
    entry: ArrayLikeIn | None = None,
) -> LogRankResult:
    """Log-rank (rho = 0) or Harrington-Fleming G-rho test for k groups, optionally stratified.

    Parameters
    ----------
    time, event : array_like
        Follow-up times and event indicators (1/True = event).
    group : array_like
        Group label per observation (at least two distinct labels).
    strata : array_like, optional
        Stratum label per observation; statistics are summed over strata.
    rho : float
        Weight exponent: each event time is weighted by ``S(t-)^rho`` (pooled KM within the
        stratum). 0 = log-rank, 1 = Peto-Peto modification of Gehan-Wilcoxon.
    entry : array_like, optional
        Delayed-entry times; risk sets are ``entry < t <= time``.

    Returns
    -------
    LogRankResult
        Observed, expected, variance matrix, chi-square, df and p-value.

    Raises
    ------
    StatsError
        Invalid data, fewer than two groups, non-finite ``rho``, singular variance.

    Notes
    -----
    Equivalent R call: ``survdiff(Surv(time, event) ~ group + strata(strata), rho = rho)``.
    R's ``survdiff`` refuses delayed entry; with ``entry`` (rho = 0) the statistic equals the
    score test of ``coxph(Surv(entry, time, event) ~ group, ties = "exact")``.

    1. Count events ``d_jt`` and risk ``n_jt`` per stratum, group and time: one ``bincount`` over
       a decimal time grid when the times lie on one, else a sort within each stratum.
    2. ``w_t = S(t-)^rho``; ``O_j = Σ w d_jt``; ``E_j = Σ w d_t n_jt / n_t``;
       ``V_jl = Σ w² d_t (n_t-d_t)/(n_t(n_t-1)) · n_jt (δ_jl - n_lt/n_t)``.
    3. Sum over strata; drop groups with ``E_j = 0`` and then the first group;
       ``χ² = (O-E)' V⁻¹ (O-E)`` on k-1 df.
    4. p-value ``chi2.sf(χ², df)`` (R prints ``pchisq(chisq, df, lower.tail = FALSE)``, the
       same quantity; ``1 - cdf`` would underflow to 0 for χ² > ~75).

    References
    ----------
    .. [1] Harrington DP, Fleming TR. Biometrika 1982;69:553-566.
    .. [2] Therneau TM. survival: ``survdiff``.

    Examples
    --------
    >>> r = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 0, 1], [0, 0, 0, 1, 1, 1])
    >>> round(r.chisq, 4), r.df
    (5.0517, 1)
    """
    t, e, s = check_survival_data(time, event, entry=entry)
    if not np.isfinite(rho):
        raise StatsError(f"rho: expected a finite number, got {rho!r}")
    labels, g = group_codes(group, t.shape[0])
    k = len(labels)
    if k < 2:
        raise StatsError(f"group: expected at least two groups, got {list(labels)}")
    if strata is None:
        s_codes: IntpArray = np.zeros(t.shape[0], dtype=np.intp)
        n_strata = 1
    else:
        s_labels, s_codes = group_codes(strata, t.shape[0], "strata")
        n_strata = len(s_labels)
    grid = grid_codes(t, n_strata * k) if s is None else None
    if grid is not None:
        obs, exp, var = _grid_sums(grid[0], grid[1], e, g, k, s_codes, n_strata, float(rho))
    else:
        obs = np.zeros(k)
        exp = np.zeros(k)
        var = np.zeros((k, k))
        for h in range(n_strata):
            if n_strata == 1:
                o, x, v = _stratum_sums(t, e, g, s, k, float(rho))
            else:
                m = s_codes == h
                o, x, v = _stratum_sums(
                    t[m], e[m], g[m], None if s is None else s[m], k, float(rho)
                )
            obs += o
            exp += x
            var += v
    chisq, df = chisq_from(obs, exp, var)
    p = float(chi2_sf(chisq, df)) if df >= 1 else float("nan")
    if k == 2:  # codes 0/1: one count (a two-bin bincount serialises on one counter)
        n1 = np.count_nonzero(g)
        n_per = np.array([t.shape[0] - n1, n1], dtype=np.float64)
    else:
        n_per = np.bincount(g, minlength=k).astype(np.float64)
    return LogRankResult(labels, n_per, obs, exp, var, chisq, df, p, float(rho))


@dataclass(frozen=True, slots=True, repr=False)
class LogRankBatchResult(ResultMixin):
    """Two-group log-rank tests, one per row of the input arrays.

    ``z = (O1 - E1)/sqrt(V)`` for group 1 (``group == 1``/True): negative when group 1 has fewer
    events than expected (lower hazard). ``chisq = z**2``; ``p_value`` two-sided.
    """

    observed: FloatArray
    expected: FloatArray
    variance: FloatArray
    z: FloatArray
    chisq: FloatArray
    p_value: FloatArray


def logrank_test_batched(
    time: ArrayLikeIn, event: ArrayLikeIn, group: ArrayLikeIn
) -> LogRankBatchResult:
    """Vectorised two-group log-rank test for many trials at once.

    Parameters
    ----------
    time : array_like, shape (n_trials, n)
        Follow-up times, ``>= 0`` and finite.
    event : array_like, shape (n_trials, n)
        Event indicators (bool or 0/1).
    group : array_like, shape (n_trials, n) or (n,)
        Group indicator (bool or 0/1); a 1-D array is shared by every trial.

    Returns
    -------
    LogRankBatchResult
        Per-trial O, E, V for group 1, z, chi-square and two-sided p-value.

    Raises
    ------
    StatsError
        Shape mismatch or invalid values.

    Notes
    -----
    Row ``i`` equals ``logrank_test(time[i], event[i], group[i])`` (R ``survdiff``; tested).

    1. ``argsort`` each row once (``axis=1``); tie blocks found by comparing neighbours.
    2. For the last position of each tie block, the block start ``b`` is carried by
       ``maximum.accumulate``; ``n_t = n - b``, ``n1_t = N1 - (# group 1 before b)``, ``d_t`` and
       ``d1_t`` from cumulative sums.
    3. ``O1 = Σ d1``, ``E1 = Σ d n1/n``, ``V = Σ d (n1/n)(1 - n1/n)(n-d)/(n-1)``, all with
       row-wise sums; no Python loop over trials or patients.

    References
    ----------
    .. [1] Mantel N. Cancer Chemother Rep 1966;50:163-170.

    Examples
    --------
    >>> t = [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]]
    >>> e = [[1, 1, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1]]
    >>> r = logrank_test_batched(t, e, [0, 0, 0, 1, 1, 1])
    >>> r.chisq.round(4).tolist()
    [5.0517, 5.0517]
    """
    t, ev = check_survival_batch(time, event)
    n_trials, n = t.shape
    gr = check_event_matrix(
        np.broadcast_to(np.asarray(group), t.shape) if np.ndim(group) == 1 else group,
        "group",
        t.shape,
    )
    order = np.argsort(t, axis=1)  # tie order is irrelevant: counts are per tie block
    ts = np.take_along_axis(t, order, axis=1)
    code = np.take_along_axis(ev.view(np.int8) * 2 + gr.view(np.int8), order, axis=1)
    es = code >= 2
    gs = (code & 1).astype(np.bool_)
    first = np.ones((n_trials, n), dtype=np.bool_)
    np.not_equal(ts[:, 1:], ts[:, :-1], out=first[:, 1:])
    last = np.ones((n_trials, n), dtype=np.bool_)
    last[:, :-1] = first[:, 1:]
    start = np.maximum.accumulate(np.where(first, np.arange(n, dtype=np.int32), 0), axis=1)

    def block(x: BoolArray) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """Cumulative count through each position, and the count before its tie block."""
        cum = np.cumsum(x, axis=1, dtype=np.int32)
        # cumulative counts never decrease, so the running max carries the block-start value
        before = np.maximum.accumulate(np.where(first, cum - x, 0), axis=1)
        return cum, before

    cum_d, before_d = block(es)
    cum_d1, before_d1 = block(es & gs)
    cum_g1, before_g1 = block(gs)
    d = np.where(last, cum_d - before_d, 0).astype(np.float64)
    d1 = np.where(last, cum_d1 - before_d1, 0).astype(np.float64)
    n_t = (n - start).astype(np.float64)
    n1 = (cum_g1[:, -1:] - before_g1).astype(np.float64)
    frac = n1 / n_t
    o1 = d1.sum(axis=1)
    e1 = (d * frac).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        vt = np.where(n_t > 1, d * frac * (1.0 - frac) * (n_t - d) / (n_t - 1.0), 0.0)
    v = vt.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (o1 - e1) / np.sqrt(v)
    chisq = z * z
    return LogRankBatchResult(o1, e1, v, z, chisq, chi2_sf(chisq, 1))


__all__ = ["LogRankBatchResult", "LogRankResult", "logrank_test", "logrank_test_batched"]
