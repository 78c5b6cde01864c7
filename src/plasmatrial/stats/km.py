"""Kaplan-Meier estimator matching R ``survival::survfit`` (Greenwood variance, CI types, quantiles).

Counts come from one ``bincount`` over a decimal time grid when the times lie on one (days,
days to 0.1, ...: :func:`grid_codes`), otherwise from sorts plus cumulative sums; there is no Python
loop over observations. See ``docs/decisions/0301-km-conventions.md`` and
``docs/decisions/0355-survival-counting-fast-path.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from plasmatrial._results import ResultMixin
from plasmatrial.errors import StatsError
from plasmatrial.stats._checks import (
    ArrayLikeIn,
    check_choice,
    check_conf_level,
    check_float_vector,
    check_survival_data,
    check_weights,
    group_codes,
)
from plasmatrial.stats._dist import norm_isf
from plasmatrial.stats._types import BoolArray, ConfType, FloatArray

IntpArray = npt.NDArray[np.intp]
#: Integer codes (grid points, cells): 64-bit, or 32-bit after :func:`compress_codes`.
CodeArray = npt.NDArray[np.signedinteger[Any]]

if TYPE_CHECKING:
    import polars as pl

_CONF_TYPES: tuple[ConfType, ...] = ("log", "log-log", "plain", "none")
#: R quantile.survfit / survmean tolerance: sqrt(.Machine$double.eps).
R_TOLERANCE = math.sqrt(np.finfo(np.float64).eps)


def check_conf(conf_level: float, conf_type: str) -> None:
    """Validate ``conf_level`` in (0, 1) and ``conf_type`` among the R types."""
    check_conf_level(conf_level)
    check_choice(conf_type, "conf_type", _CONF_TYPES)


@dataclass(frozen=True, slots=True, repr=False)
class KMTable(ResultMixin):
    """Risk-set table at the distinct stop times (weighted counts as floats)."""

    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray


def distinct_counts(sorted_x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Distinct values of an already sorted array and how often each occurs."""
    if sorted_x.shape[0] == 0:
        return sorted_x, np.zeros(0)
    new = np.empty(sorted_x.shape[0], dtype=np.bool_)
    new[0] = True
    np.not_equal(sorted_x[1:], sorted_x[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, sorted_x.shape[0])).astype(np.float64)
    return sorted_x[starts], counts


def counts_on_grid(grid: FloatArray, values: FloatArray) -> FloatArray:
    """How many of ``values`` (all on ``grid``) fall at each grid point, by one plain sort."""
    out = np.zeros(grid.shape[0])
    u, c = distinct_counts(np.sort(values))
    out[np.searchsorted(grid, u)] = c
    return out


#: Decimal grids tried by :func:`grid_codes`: times that are exactly ``k / scale``.
_GRID_SCALES: Final = (1.0, 10.0, 100.0, 1000.0)
#: Leading values used to pick the scale before the whole array is checked.
_GRID_SAMPLE: Final = 64
#: Largest count table (cells x grid points x 2) allowed, relative to ``n``, and absolute slack.
_GRID_CELLS_PER_ROW: Final = 8
_GRID_SLACK: Final = 1 << 20
#: Block length of the exactness check.
_GRID_BLOCK: Final = 1 << 14


def grid_codes(t: FloatArray, ncell: int = 1) -> tuple[IntpArray, int, float, float] | None:
    """Each time's index on a decimal grid, with the grid's length, origin and scale; None when
    no grid fits. Grid point ``j`` is ``(lo + j) / scale``.

    The times are exactly ``k / scale`` for integers ``k`` and the first ``scale`` of
    :data:`_GRID_SCALES` that fits the leading values: then ``rint(t * scale) / scale == t`` bit
    for bit, the grid points reproduce every time exactly, and counting per grid point is one
    ``bincount`` instead of a sort. Refused (None, the caller sorts) when any time is off the
    grid or the count table (``ncell`` cells x grid points x 2) would be large compared with
    ``n``.
    """
    n = t.shape[0]
    head = t[:_GRID_SAMPLE]
    for scale in _GRID_SCALES:
        if bool((np.rint(head * scale) / scale == head).all()):
            break
    else:
        return None
    q = t * scale
    np.rint(q, out=q)
    lo, hi = float(q.min()), float(q.max())
    if 0.0 <= lo <= hi - lo + 1.0:  # a grid from 0 at most twice as long: no shift (one pass)
        lo = 0.0
    span = int(hi - lo) + 1
    if hi >= 2.0**52 or ncell * span * 2 > _GRID_CELLS_PER_ROW * n + _GRID_SLACK:
        return None
    for i in range(0, n, _GRID_BLOCK):  # in blocks: no n-long temporaries
        if not bool((q[i : i + _GRID_BLOCK] / scale == t[i : i + _GRID_BLOCK]).all()):
            return None
    if lo != 0.0:
        q -= lo
    return q.astype(np.intp), span, lo, scale


def compress_codes(codes: CodeArray, span: int) -> tuple[IntpArray, CodeArray]:
    """The grid points in use (sorted) and each code's rank among them.

    A boolean presence table and a 32-bit rank table (below ``2**31`` points in use) keep the
    transient memory small, which matters more than it seems: a call that grows the heap by
    more than the allocator's trim threshold pays the page faults again on every call (decision
    0357). The codes come back 32-bit; the callers add them to 64-bit indices."""
    present = np.zeros(span, dtype=np.bool_)
    present[codes] = True
    used = present.nonzero()[0]
    small = np.int32 if used.shape[0] < 2**31 else np.intp
    rank: CodeArray = np.empty(span, dtype=small)
    rank[used] = np.arange(used.shape[0], dtype=small)
    out: CodeArray = rank[codes]
    return used, out


def grid_tables(
    time: FloatArray, event: BoolArray, group: IntpArray | None, k: int
) -> tuple[KMTable, list[int]] | None:
    """The :class:`KMTable` of every group code ``0..k-1`` from one count table on the decimal
    grid, stacked: group ``j`` is rows ``bounds[j]:bounds[j + 1]``; None when the times lie on
    no grid (:func:`grid_codes`).

    A column is a (group, grid point) pair, in group-then-time order (only the pairs in use
    when there are more pairs than observations, else the pairs with a stop after counting), so
    each group's table is a contiguous slice and the integer work (stops, numbers at risk as one
    ``cumsum`` less the later groups' stops) and the conversions to float run once for all
    groups. Each group's table holds its own distinct times only; the counts are the same
    integers as per-group counting gives.
    """
    found = grid_codes(time, k)
    if found is None:
        return None
    codes, span, lo, scale = found
    del found
    n = time.shape[0]
    # few n-long arrays alive at once (see compress_codes); no ufunc where= (10x slower)
    key: CodeArray = codes
    if k > 1 and group is not None:
        key = group * span
        key += codes
    del codes
    width = k * span
    used: IntpArray | None = None
    if width > n:  # sparse (small n): only the pairs in use, so the table is O(n)
        used, key = compress_codes(key, width)
        width = used.shape[0]
    idx = event * width
    idx += key
    del key
    cnt = np.bincount(idx, minlength=2 * width).reshape(2, width)
    del idx
    stop = cnt[0] + cnt[1]
    if used is None:
        used = (stop > 0).nonzero()[0]
        stop = stop[used]
        ev = cnt[1, used]
    else:
        ev = cnt[1]
    bounds = np.searchsorted(used, np.arange(k + 1) * span).tolist()
    cum = np.cumsum(stop)
    at_risk = np.empty_like(cum)
    point = np.empty_like(used) if k > 1 else used
    for j, (a, b) in enumerate(pairwise(bounds)):
        if b > a:  # the group's stops at or after the column (np.repeat is slower than this)
            np.subtract(cum[b - 1], cum[a:b], out=at_risk[a:b])
            if k > 1:
                np.subtract(used[a:b], j * span, out=point[a:b])
    at_risk += stop
    if lo != 0.0:
        point = point + lo
    times = np.divide(point, scale, dtype=np.float64)  # = the grid's points, bit for bit
    n_risk = at_risk.astype(np.float64)
    n_event = ev.astype(np.float64)
    n_censor = (stop - ev).astype(np.float64)
    return KMTable(times, n_risk, n_event, n_censor), bounds


def km_table(
    time: FloatArray, event: BoolArray, entry: FloatArray | None, weights: FloatArray | None
) -> KMTable:
    """Counts at each distinct stop time (validated inputs).

    Risk set at ``t``: ``entry < t <= time`` (R counting-process convention). Unweighted data
    need no ``argsort``: plain sorts of all times and of event times (numpy's SIMD sort) give the
    distinct times and counts; weighted data use one ``argsort``.
    """
    n = time.shape[0]
    if weights is None and entry is None:
        tabs = grid_tables(time, event, None, 1)
        if tabs is not None:
            return tabs[0]  # one group: the stacked table is the table
    if weights is None:
        utimes, n_stop = distinct_counts(np.sort(time))
        n_event = counts_on_grid(utimes, time[event])
        total = float(n)
    else:
        order = np.argsort(time)
        ts = time[order]
        ws = weights[order]
        new = np.empty(n, dtype=np.bool_)
        new[0] = True
        np.not_equal(ts[1:], ts[:-1], out=new[1:])
        block = np.cumsum(new) - 1
        utimes = ts[new]
        n_stop = np.bincount(block, weights=ws).astype(np.float64)
        n_event = np.bincount(
            block, weights=np.where(event[order], ws, 0.0), minlength=utimes.shape[0]
        ).astype(np.float64)
        total = float(n_stop.sum())
    cum = np.cumsum(n_stop)
    n_risk = total - cum + n_stop  # stop time >= t
    if entry is not None:
        if weights is None:
            entered = np.searchsorted(np.sort(entry), utimes, side="left").astype(np.float64)
        else:
            eo = np.argsort(entry)
            cum_e = np.concatenate([[0.0], np.cumsum(weights[eo])])
            entered = cum_e[np.searchsorted(entry[eo], utimes, side="left")]
        n_risk = n_risk - (total - entered)  # drop those with entry >= t
    return KMTable(utimes, n_risk, n_event, n_stop - n_event)


def confint(
    surv: FloatArray, se: FloatArray, conf_level: float, conf_type: ConfType
) -> tuple[FloatArray, FloatArray]:
    """Pointwise limits exactly as R ``survival:::survfit_confint`` (``logse = TRUE``)."""
    z = norm_isf((1.0 - conf_level) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = se * surv * z
            return np.maximum(surv - se2, 0.0), np.minimum(surv + se2, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0.0, np.nan, surv)
            se2 = z * se
            return np.exp(np.log(xx) - se2), np.minimum(np.exp(np.log(xx) + se2), 1.0)
        if conf_type == "log-log":
            xx = np.where((surv == 0.0) | (surv == 1.0), np.nan, surv)
            # exp(-exp(log(-log S) -/+ se2)) = exp(log S / a) and exp(log S * a), a = exp(se2):
            # four transcendental calls per time instead of seven, equal to a few ulps
            log_s = np.log(xx)
            a = np.exp(z * se / log_s)
            return np.exp(log_s / a), np.exp(log_s * a)
    nan = np.full_like(surv, np.nan)
    return nan, nan.copy()


def findq(
    x: FloatArray, y: FloatArray, probs: FloatArray, tol: float = R_TOLERANCE, *, fast: bool = True
) -> FloatArray:
    """Port of R ``survival:::findq``: times where the cumulative failure ``y`` reaches ``probs``.

    ``x`` starts with the origin and ``y`` with 0; NaN in ``y`` (undefined band) is skipped as
    R's ``approx(na.rm = TRUE)`` does. Flat at exactly ``p`` gives the segment midpoint.
    """
    out = np.full(probs.shape, np.nan)
    if fast and bool((y[1:] >= y[:-1]).all()):
        # non-decreasing, hence without NaN after y[0] = 0 (the point estimate 1 - S always
        # is): the first index with y + tol >= p is already the first occurrence of its value,
        # so duplicated()'s de-duplication and approx()'s sort change nothing; skip both
        if y[-1] < probs.min():
            return out
        return _findq_sorted(x, y, None, y, probs, tol, float(x[-1]), out)
    if np.all(np.isnan(y)) or np.nanmax(y) < probs.min():
        return out
    xmax = x[-1]
    _, first = np.unique(y, return_index=True)  # duplicated(): keep first occurrences
    keep = np.zeros(y.shape[0], dtype=np.bool_)
    keep[first] = True
    nan_pos = np.flatnonzero(np.isnan(y))
    if nan_pos.size:  # np.unique treats each NaN as equal -> keep only the first NaN
        keep[nan_pos] = False
        keep[nan_pos[0]] = True
    x, y = x[keep], y[keep]
    ok = ~np.isnan(y)
    # approx() drops NA pairs, sorts by the abscissa (a band need not be monotone) and returns
    # the original positions.
    srt = np.argsort(y[ok], kind="stable")
    pos = np.flatnonzero(ok)[srt]
    yv = y[ok][srt]
    return _findq_sorted(x, y, pos, yv, probs, tol, xmax, out)


def _findq_sorted(
    x: FloatArray,
    y: FloatArray,
    pos: npt.NDArray[np.intp] | None,
    yv: FloatArray,
    probs: FloatArray,
    tol: float,
    xmax: float,
    out: FloatArray,
) -> FloatArray:
    """The interpolation step of :func:`findq` once ``y`` is de-duplicated and sorted (``yv``,
    at positions ``pos`` of ``x``; ``pos`` None: the identity)."""

    def index(v: FloatArray) -> npt.NDArray[np.float64]:
        k = np.searchsorted(v, probs, side="left")
        valid = (probs >= v[0]) & (probs <= v[-1])
        res = np.full(probs.shape, np.nan)
        res[valid] = k[valid] if pos is None else pos[k[valid]]
        return res

    i1 = index(yv + tol)
    i2 = index(yv - tol)
    good = ~np.isnan(i1) & ~np.isnan(i2)
    out[good] = (x[i1[good].astype(np.intp)] + x[i2[good].astype(np.intp)]) / 2.0
    out[probs == 0] = x[0]
    if not np.isnan(y[-1]):
        last = (np.abs(probs - y[-1]) < tol) & ~np.isnan(i1)
        out[last] = (x[i1[last].astype(np.intp)] + xmax) / 2.0
    return out


@dataclass(frozen=True, slots=True, repr=False)
class QuantileResult(ResultMixin):
    """Survival-time quantiles with confidence limits (R ``quantile.survfit``)."""

    prob: FloatArray
    quantile: FloatArray
    lower: FloatArray
    upper: FloatArray

    def to_frame(self) -> pl.DataFrame:
        """Columns ``prob, quantile, lower, upper`` (NaN = not reached)."""
        import polars as pl

        return pl.DataFrame(
            {"prob": self.prob, "quantile": self.quantile, "lower": self.lower, "upper": self.upper}
        )


@dataclass(frozen=True, slots=True, repr=False)
class NumberAtRisk(ResultMixin):
    """Number at risk (weighted when weights were given) at requested times."""

    time: FloatArray
    n_risk: FloatArray

    def to_frame(self) -> pl.DataFrame:
        """Columns ``time, n.risk``."""
        import polars as pl

        return pl.DataFrame({"time": self.time, "n.risk": self.n_risk})


_MEDIAN: Final = np.array([0.5])


def km_survival(tab: KMTable) -> FloatArray:
    """Product-limit survival at each distinct time of :func:`km_table`."""
    d, nr = tab.n_event, tab.n_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        surv: FloatArray = np.cumprod(np.where(d > 0, (nr - d) / nr, 1.0), dtype=np.float64)
    return surv


def km_median_unchecked(time: FloatArray, event: BoolArray) -> float:
    """:attr:`KaplanMeierResult.median` of ``kaplan_meier(time, event)`` for trusted float64 /
    bool arrays, without validation, variance or limits (for callers that fit thousands of
    curves, e.g. the generator's calibration). NaN when not reached or empty."""
    if time.shape[0] == 0:
        return float("nan")
    tab = km_table(time, event, None, None)
    return median_of(tab.time, km_survival(tab))


def median_of(time: FloatArray, surv: FloatArray, tol: float = R_TOLERANCE) -> float:
    """``findq(x, y, [0.5])[0]`` for the curve ``x = (0, time)``, ``y = (0, 1 - surv)``.

    When ``y`` never decreases (always, for a Kaplan-Meier estimate) the two searches of
    :func:`findq` run with scalars in the short window of ``y`` within ``4 tol`` of 0.5: below it
    ``y +/- tol < 0.5``, above it ``y +/- tol > 0.5``, so the first index reaching 0.5 is inside
    it; the same indices and the same result as :func:`findq`, without its array passes.
    """
    m = surv.shape[0]
    y = np.empty(m + 1)
    y[0] = 0.0
    np.subtract(1.0, surv, out=y[1:])
    if not bool((y[1:] >= y[:-1]).all()):
        return float(findq(np.concatenate([[0.0], time]), y, _MEDIAN)[0])
    p = 0.5
    last = float(y[-1])
    if last < p:
        return float("nan")
    lo = int(np.searchsorted(y, p - 4.0 * tol, side="left"))
    hi = int(np.searchsorted(y, p + 4.0 * tol, side="right"))
    window = y[lo:hi]
    i1 = lo + int(np.searchsorted(window + tol, p, side="left"))
    i2 = lo + int(np.searchsorted(window - tol, p, side="left"))
    valid1 = float(y[0] + tol) <= p <= float(y[-1] + tol)
    valid2 = float(y[0] - tol) <= p <= float(y[-1] - tol)

    def x(i: int) -> float:
        return 0.0 if i == 0 else float(time[i - 1])

    out = (x(i1) + x(i2)) / 2.0 if valid1 and valid2 else float("nan")
    if abs(p - last) < tol and valid1:
        out = (x(i1) + x(m)) / 2.0
    return out


@dataclass(frozen=True, slots=True, repr=False)
class KaplanMeierResult(ResultMixin):
    """Kaplan-Meier fit: one row per distinct stop time, as the R ``survfit`` object.

    Attributes
    ----------
    time, n_risk, n_event, n_censor : numpy.ndarray
        Distinct times and (weighted) counts.
    surv : numpy.ndarray
        Survival estimate just after each time.
    std_err : numpy.ndarray
        Greenwood standard error of ``-log S`` (R ``fit$std.err``; ``inf`` once S = 0).
    lower, upper : numpy.ndarray
        Pointwise confidence limits (NaN where R gives NA).
    conf_level, conf_type : float, str
        Interval settings.
    cumhaz, std_chaz : numpy.ndarray
        Nelson-Aalen cumulative hazard and its standard error (R ``fit$cumhaz``, ``fit$std.chaz``),
        computed on access from the counts (properties, listed by ``to_dict()``; decision 0358).
    """

    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    surv: FloatArray
    std_err: FloatArray
    lower: FloatArray
    upper: FloatArray
    conf_level: float
    conf_type: ConfType
    _repr_fields = ("n", "events", "median", "conf_level", "conf_type")
    _derived_fields = ("cumhaz", "std_chaz")

    def _hazard_terms(self, power: int) -> FloatArray:
        """``d / n_risk ** power`` where there are events, else 0 (no term where n_risk is 0)."""
        d, nr = self.n_event, self.n_risk
        with np.errstate(divide="ignore", invalid="ignore"):
            out: FloatArray = np.where(d > 0, d / (nr if power == 1 else nr * nr), 0.0)
        return out

    @property
    def cumhaz(self) -> FloatArray:
        """Nelson-Aalen cumulative hazard ``sum d / n`` (R ``fit$cumhaz``)."""
        out: FloatArray = np.cumsum(self._hazard_terms(1))
        return out

    @property
    def std_chaz(self) -> FloatArray:
        """Standard error of the cumulative hazard, ``sqrt(sum d / n^2)`` (R ``fit$std.chaz``)."""
        out: FloatArray = np.sqrt(np.cumsum(self._hazard_terms(2)))
        return out

    @property
    def events(self) -> float:
        """Number (total weight) of events."""
        return float(self.n_event.sum())

    def summary(self) -> pl.DataFrame:
        """One row: ``n, events, median, lower, upper`` (R ``print(survfit(...))``)."""
        import polars as pl

        q = self.quantile([0.5])
        return pl.DataFrame(
            {
                "n": [self.n],
                "events": [self.events],
                "median": [float(q.quantile[0])],
                "lower": [float(q.lower[0])],
                "upper": [float(q.upper[0])],
                "conf_level": [self.conf_level],
            }
        )

    @property
    def n(self) -> float:
        """Number (total weight) of observations."""
        return float(self.n_event.sum() + self.n_censor.sum())

    @property
    def std_err_surv(self) -> FloatArray:
        """Standard error of S (R ``summary(fit)$std.err`` = S x std_err; NaN once S = 0)."""
        with np.errstate(invalid="ignore"):
            out: FloatArray = self.surv * self.std_err
        return out

    def survival_at(self, times: ArrayLikeIn) -> FloatArray:
        """S(t) at ``times``: right-continuous step function, 1 before the first time.

        Beyond the last time the last value is carried forward (R ``summary(fit, times,
        extend = TRUE)``).
        """
        t = check_float_vector(np.atleast_1d(np.asarray(times, dtype=np.float64)), "times")
        k = np.searchsorted(self.time, t, side="right")
        padded = np.concatenate([[1.0], self.surv])
        out: FloatArray = padded[k]
        return out

    def number_at_risk(self, times: ArrayLikeIn) -> NumberAtRisk:
        """Number at risk at ``times`` as R ``summary(fit, times = times)$n.risk``.

        R reports the risk set of the first recorded time ``>= t`` (0 beyond the last time).
        Without delayed entry this is exactly ``#{time >= t}``; with delayed entry, subjects
        entering between ``t`` and that next time are counted too (R's convention, followed).
        """
        t = check_float_vector(np.atleast_1d(np.asarray(times, dtype=np.float64)), "times")
        padded = np.concatenate([self.n_risk, [0.0]])
        return NumberAtRisk(time=t, n_risk=padded[np.searchsorted(self.time, t, side="left")])

    def quantile(self, probs: ArrayLikeIn = (0.25, 0.5, 0.75)) -> QuantileResult:
        """Quantiles of the survival time with CIs, exactly as R ``quantile(fit, probs)``.

        The ``p`` quantile is the first time with ``1 - S(t) >= p``; when S is flat at exactly
        ``1 - p`` (within ``sqrt(eps)``) it is the midpoint of the flat segment; NaN when not
        reached. Limits come from the same rule applied to the lower and upper bands.
        """
        p = check_float_vector(np.atleast_1d(np.asarray(probs, dtype=np.float64)), "probs")
        if np.any((p < 0) | (p > 1)):
            raise StatsError(f"probs: expected values in [0, 1], got {p.tolist()}")
        x = np.concatenate([[0.0], self.time])
        q = findq(x, np.concatenate([[0.0], 1.0 - self.surv]), p)
        if self.conf_type == "none":
            nan = np.full_like(q, np.nan)
            return QuantileResult(p, q, nan, nan.copy())
        lo = findq(x, np.concatenate([[0.0], 1.0 - self.lower]), p)
        hi = findq(x, np.concatenate([[0.0], 1.0 - self.upper]), p)
        return QuantileResult(p, q, lo, hi)

    @property
    def median(self) -> float:
        """Median survival time (NaN when not reached), R ``quantile(fit, 0.5)``."""
        return median_of(self.time, self.surv)

    def to_frame(self, *, censored: bool = True) -> pl.DataFrame:
        """R-style table: ``time, n.risk, n.event, n.censor, surv, std.err, lower, upper``.

        ``std.err`` is on the survival scale as in R ``summary(fit)``. ``censored=False``
        keeps only rows with events (R ``summary(fit)`` default).
        """
        import polars as pl

        cols: dict[str, Any] = {
            "time": self.time,
            "n.risk": self.n_risk,
            "n.event": self.n_event,
            "n.censor": self.n_censor,
            "surv": self.surv,
            "std.err": self.std_err_surv,
            "lower": self.lower,
            "upper": self.upper,
        }
        frame = pl.DataFrame(cols)
        if not censored:
            frame = frame.filter(pl.col("n.event") > 0)
        return frame


def kaplan_meier(
    time: ArrayLikeIn,
    event: ArrayLikeIn,
    *,
    entry: ArrayLikeIn | None = None,
    weights: ArrayLikeIn | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log",
) -> KaplanMeierResult:
    """Kaplan-Meier estimate of the survival function.

    Parameters
    ----------
    time : array_like
        Follow-up (stop) times, ``>= 0``.
    event : array_like
        1/True = event, 0/False = censored.
    entry : array_like, optional
        Delayed-entry times (left truncation); subject ``i`` is at risk on ``(entry_i, time_i]``.
    weights : array_like, optional
        Non-negative case weights.
    conf_level : float
        Confidence level of the pointwise intervals (default 0.95).
    conf_type : {"log", "log-log", "plain", "none"}
        Interval transform; default ``"log"`` as R ``survfit``.

    Returns
    -------
    KaplanMeierResult
        One row per distinct stop time (censored-only times included, as R's ``survfit``).

    Raises
    ------
    StatsError
        Invalid data (see :func:`~plasmatrial.stats._checks.check_survival_data`) or options.

    Notes
    -----
    Equivalent R call: ``survfit(Surv(time, event) ~ 1, conf.type = conf_type)`` or, with
    delayed entry, ``survfit(Surv(entry, time, event) ~ 1)``.

    1. Sort stop times once; distinct times, events and stops per time by cumulative sums.
    2. ``n_risk(t) = #{time >= t} - #{entry >= t}``.
    3. ``S(t) = prod (1 - d_j / n_j)``; Greenwood ``se(-log S) = sqrt(sum d_j/(n_j (n_j - d_j)))``
       (``inf`` once ``n_j = d_j``).
    4. Limits as ``survfit_confint``: log ``S exp(±z se)`` (upper capped at 1, NA at S = 0);
       log-log ``S^exp(±z se / log S)`` (NA at S = 0 or 1); plain ``S ± z S se`` clipped to [0, 1].
    5. Nelson-Aalen ``H = sum d/n`` with ``se = sqrt(sum d/n²)``.

    R's ``timefix`` (``aeqSurv``) rounding of nearly-equal times is not applied: times are
    compared exactly.

    References
    ----------
    .. [1] Kaplan EL, Meier P. JASA 1958;53:457-481.
    .. [2] Therneau TM. survival: A Package for Survival Analysis in R, ``survfit``.

    Examples
    --------
    >>> fit = kaplan_meier([1, 2, 3, 4, 5], [1, 1, 1, 0, 1])
    >>> fit.surv.round(6).tolist()
    [0.8, 0.6, 0.4, 0.4, 0.0]
    >>> fit.median
    3.0
    """
    t, e, s = check_survival_data(time, event, entry=entry)
    w = check_weights(weights, t.shape[0])
    check_conf(conf_level, conf_type)
    return km_fit(
        km_table(t, e, s, w), float(conf_level), conf_type, positive_risk=s is None and w is None
    )


def km_fit(
    tab: KMTable, conf_level: float, conf_type: ConfType, *, positive_risk: bool = False
) -> KaplanMeierResult:
    """Survival, Greenwood error, limits and Nelson-Aalen hazard from a risk-set table.

    ``positive_risk``: every ``n_risk > 0`` (unweighted data without delayed entry), so a time
    without events gives exactly the neutral factor 1 and term 0 without masking (same values).
    """
    if positive_risk:
        return _km_fit_positive(tab, conf_level, conf_type)
    d, nr = tab.n_event, tab.n_risk
    surv = km_survival(tab)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(np.where(d > 0, d / (nr * (nr - d)), 0.0))
    se = np.sqrt(greenwood)
    lower, upper = confint(surv, se, conf_level, conf_type)
    return KaplanMeierResult(
        time=tab.time,
        n_risk=nr,
        n_event=d,
        n_censor=tab.n_censor,
        surv=surv,
        std_err=se,
        lower=lower,
        upper=upper,
        conf_level=conf_level,
        conf_type=conf_type,
    )


def _km_fit_positive(tab: KMTable, conf_level: float, conf_type: ConfType) -> KaplanMeierResult:
    """:func:`km_fit` when every ``n_risk > 0``: the same values with fewer array passes."""
    return km_fits_positive(tab, [0, tab.time.shape[0]], conf_level, conf_type)[0]


def _greenwood_se(d: FloatArray, denom: FloatArray, segments: list[tuple[int, int]]) -> FloatArray:
    """``sqrt(cumsum(d / denom))`` within each segment (Greenwood: ``denom = n (n - d)``).

    A floating running sum is bound by its latency (about 3.7 ns per element here), not by the
    additions: two segments' sums run as the real and imaginary parts of one complex ``cumsum``,
    whose parts are added separately, so each is bit for bit its own float ``cumsum`` and a
    pair costs the latency of its longer segment (decision 0358). ``denom`` is overwritten.
    """
    out = denom
    for i in range(0, len(segments) - 1, 2):
        (a0, b0), (a1, b1) = segments[i], segments[i + 1]
        n0, n1 = b0 - a0, b1 - a1
        pair = np.empty(max(n0, n1), dtype=np.complex128)
        parts = pair.view(np.float64)
        re, im = parts[0::2], parts[1::2]
        np.divide(d[a0:b0], denom[a0:b0], out=re[:n0])
        np.divide(d[a1:b1], denom[a1:b1], out=im[:n1])
        re[n0:] = 0.0
        im[n1:] = 0.0
        np.cumsum(pair, out=pair)
        np.sqrt(re[:n0], out=out[a0:b0])
        np.sqrt(im[:n1], out=out[a1:b1])
    if len(segments) % 2:
        a, b = segments[-1]
        np.divide(d[a:b], denom[a:b], out=out[a:b])
        np.cumsum(out[a:b], out=out[a:b])
        np.sqrt(out[a:b], out=out[a:b])
    return out


def km_fits_positive(
    tab: KMTable, bounds: list[int], conf_level: float, conf_type: ConfType
) -> list[KaplanMeierResult]:
    """:func:`km_fit` of every group whose rows are ``tab[bounds[j]:bounds[j + 1]]`` (every
    ``n_risk > 0``): the same values, with each array pass run once over all groups.

    * Elementwise steps run over the rows of all groups at once; only the running products and
      sums run per group (into slices of one output), so each group's values are bit for bit
      those of a fit of that group alone, and each fit's arrays are views of shared buffers.
    * No masks: a time without events gives the factor exactly 1 and the terms exactly 0.
    * The Nelson-Aalen hazard and its error are left to :attr:`KaplanMeierResult.cumhaz` and
      :attr:`~KaplanMeierResult.std_chaz`, computed on access (decision 0358).
    * The Greenwood sums of two groups run as one complex ``cumsum`` (:func:`_greenwood_se`).
    * Limits: S = 1 only before the first event, where the error is 0, and S = 0 only where the
      Greenwood term is infinite, so ``0/0`` and ``inf/inf`` give R's NA without masks; a
      survival that underflows to 0 with a finite error (not seen in practice) is masked.
    """
    d, nr = tab.n_event, tab.n_risk
    m = d.shape[0]
    segments = [(a, b) for a, b in pairwise(bounds) if b > a]
    surv: FloatArray = np.empty(m)
    with np.errstate(divide="ignore", invalid="ignore"):  # d == n_risk: inf, as R
        alive = nr - d
        factor = alive / nr
        alive *= nr
        for a, b in segments:
            np.cumprod(factor[a:b], out=surv[a:b])
        se = _greenwood_se(d, alive, segments)
        if conf_type == "log-log" or conf_type == "log":
            z = norm_isf((1.0 - conf_level) / 2.0)
            log_s = np.log(surv)
            if conf_type == "log-log":  # a = exp(z se / log S): NaN at S = 1 and S = 0
                a_ = np.multiply(se, z)
                np.divide(a_, log_s, out=a_)
                np.exp(a_, out=a_)
                lower = np.divide(log_s, a_)
                np.exp(lower, out=lower)
                upper = np.multiply(log_s, a_, out=a_)
                np.exp(upper, out=upper)
            else:
                se2 = z * se
                lower = np.exp(log_s - se2)
                upper = np.exp(log_s + se2)
                np.minimum(upper, 1.0, out=upper)
            if any(surv[b - 1] == 0.0 for _, b in segments):  # NA at S = 0 (a suffix)
                zero = surv == 0.0
                lower[zero] = np.nan
                upper[zero] = np.nan
        else:
            lower, upper = confint(surv, se, conf_level, conf_type)
    return [
        KaplanMeierResult(
            time=tab.time[a:b],
            n_risk=nr[a:b],
            n_event=d[a:b],
            n_censor=tab.n_censor[a:b],
            surv=surv[a:b],
            std_err=se[a:b],
            lower=lower[a:b],
            upper=upper[a:b],
            conf_level=conf_level,
            conf_type=conf_type,
        )
        for a, b in pairwise(bounds)
    ]


@dataclass(frozen=True, slots=True, repr=False)
class KaplanMeierByResult(ResultMixin):
    """One Kaplan-Meier fit per group (R ``survfit(Surv(time, event) ~ group)``)."""

    groups: tuple[str, ...]
    fits: tuple[KaplanMeierResult, ...]

    def __repr__(self) -> str:
        medians = ", ".join(
            f"{g}: {f.median:.4g}" for g, f in zip(self.groups, self.fits, strict=True)
        )
        text = f"KaplanMeierByResult(groups={len(self.groups)}, median={{{medians}}})"
        return text if len(text) <= 400 else text[:396] + "...)"

    def summary(self) -> pl.DataFrame:
        """One row per group: ``group, n, events, median, lower, upper``."""
        import polars as pl

        out: pl.DataFrame = pl.concat(
            [f.summary().with_columns(group=pl.lit(g)) for g, f in self]
        ).select("group", "n", "events", "median", "lower", "upper", "conf_level")
        return out

    def __getitem__(self, group: str) -> KaplanMeierResult:
        """The fit for ``group`` (label as a string)."""
        try:
            return self.fits[self.groups.index(group)]
        except ValueError as exc:
            raise StatsError(f"group: no group {group!r}; groups are {list(self.groups)}") from exc

    def quantile(self, probs: ArrayLikeIn = (0.25, 0.5, 0.75)) -> pl.DataFrame:
        """Quantile table with a ``group`` column."""
        import polars as pl

        out: pl.DataFrame = pl.concat(
            [f.quantile(probs).to_frame().with_columns(group=pl.lit(g)) for g, f in self]
        ).select("group", "prob", "quantile", "lower", "upper")
        return out

    def __iter__(self) -> Any:
        """Iterate over ``(group, fit)`` pairs."""
        return iter(zip(self.groups, self.fits, strict=True))

    def to_frame(self, *, censored: bool = True) -> pl.DataFrame:
        """All groups' R-style tables stacked, with a leading ``group`` column."""
        import polars as pl

        frames = [f.to_frame(censored=censored).with_columns(group=pl.lit(g)) for g, f in self]
        out: pl.DataFrame = pl.concat(frames)
        res: pl.DataFrame = out.select("group", *[c for c in out.columns if c != "group"])
        return res


def kaplan_meier_by(
    time: ArrayLikeIn,
    event: ArrayLikeIn,
    group: ArrayLikeIn,
    *,
    entry: ArrayLikeIn | None = None,
    weights: ArrayLikeIn | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log",
) -> KaplanMeierByResult:
    """Kaplan-Meier fit per group (labels sorted as an R factor).

    Parameters
    ----------
    time, event : array_like
        As :func:`kaplan_meier`.
    group : array_like
        Group label per observation (any sortable dtype; labels reported as strings).
    entry, weights, conf_level, conf_type
        As :func:`kaplan_meier`.

    Returns
    -------
    KaplanMeierByResult
        ``groups`` and one :class:`KaplanMeierResult` per group.

    Raises
    ------
    StatsError
        Invalid data, group of the wrong length or with missing labels.

    Notes
    -----
    Equivalent R call: ``survfit(Surv(time, event) ~ group)``.

    1. Validate all inputs together; 2. split by sorted distinct label; 3. fit each group.

    References
    ----------
    .. [1] Kaplan EL, Meier P. JASA 1958;53:457-481.

    Examples
    --------
    >>> by = kaplan_meier_by([1, 2, 3, 4], [1, 1, 0, 1], ["a", "b", "a", "b"])
    >>> by.groups, by["b"].surv.tolist()
    (('a', 'b'), [0.5, 0.0])
    """
    t, e, s = check_survival_data(time, event, entry=entry)
    w = check_weights(weights, t.shape[0])
    labels, codes = group_codes(group, t.shape[0])
    k = len(labels)
    tabs = grid_tables(t, e, codes, k) if s is None and w is None else None
    if tabs is not None:
        check_conf(conf_level, conf_type)
        fits = km_fits_positive(tabs[0], tabs[1], float(conf_level), conf_type)
        return KaplanMeierByResult(groups=labels, fits=tuple(fits))
    fits = []
    for k in range(len(labels)):
        m = codes == k
        fits.append(
            kaplan_meier(
                t[m],
                e[m],
                entry=None if s is None else s[m],
                weights=None if w is None else w[m],
                conf_level=conf_level,
                conf_type=conf_type,
            )
        )
    return KaplanMeierByResult(groups=labels, fits=tuple(fits))


__all__ = [
    "KaplanMeierByResult",
    "KaplanMeierResult",
    "NumberAtRisk",
    "QuantileResult",
    "kaplan_meier",
    "kaplan_meier_by",
]
