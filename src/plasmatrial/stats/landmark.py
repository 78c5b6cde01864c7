"""Response-vs-survival analyses without guarantee-time bias: landmark and time-dependent Cox.

"Is hematologic response associated with overall survival?" cannot be answered by comparing
responders with non-responders from time zero (responders must survive long enough to respond).
Two standard remedies are provided:

* :func:`landmark_analysis` — the landmark method (Anderson, Cain & Gelber 1983);
* :func:`to_counting_process` — ``(start, stop]`` rows with response as a time-dependent covariate,
  as ``survival::tmerge(..., tdc(resp_time))`` builds them, to be fitted with
  :func:`plasmatrial.stats.cox.cox_ph` (``entry=start, time=stop``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from plasmatrial._results import ResultMixin
from plasmatrial.errors import StatsError
from plasmatrial.stats._checks import ArrayLikeIn as ArrayLike
from plasmatrial.stats._checks import check_survival_data
from plasmatrial.stats._types import BoolArray, FloatArray
from plasmatrial.stats.cox import CoxResult, Ties, cox_ph

__all__ = ["CountingProcessData", "LandmarkResult", "landmark_analysis", "to_counting_process"]


def _change_times(value: ArrayLike, n: int, name: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise StatsError(f"{name}: expected length {n} (same as time), got shape {arr.shape}")
    if np.isinf(arr).any() or (arr[~np.isnan(arr)] < 0).any():
        raise StatsError(f"{name}: expected non-negative times, or NaN for none")
    return arr


@dataclass(frozen=True, slots=True)
class CountingProcessData:
    """``(start, stop]`` rows: ``status`` is 0 before the change time and 1 from it on."""

    id: npt.NDArray[np.generic]
    start: FloatArray
    stop: FloatArray
    event: BoolArray
    status: FloatArray

    def to_dict(self) -> dict[str, list[float] | list[bool] | list[object]]:
        """Columns as plain lists."""
        return {
            "id": self.id.tolist(),
            "start": self.start.tolist(),
            "stop": self.stop.tolist(),
            "event": self.event.tolist(),
            "status": self.status.tolist(),
        }


def to_counting_process(
    id: ArrayLike,
    time: ArrayLike,
    event: ArrayLike,
    change_time: ArrayLike,
) -> CountingProcessData:
    """Split one row per subject at the time a binary covariate switches on.

    Parameters
    ----------
    id : array_like, shape (n,)
        Subject identifiers (one row per subject).
    time, event : array_like, shape (n,)
        Follow-up time from time zero and the event indicator.
    change_time : array_like, shape (n,)
        Time the covariate switches from 0 to 1 (e.g. time of hematologic response); NaN = never.

    Returns
    -------
    CountingProcessData
        Rows sorted by subject order then start time.

    Raises
    ------
    StatsError
        Mismatched lengths, negative or non-finite values.

    Notes
    -----
    Equivalent to ``tmerge(d, d, id = id, status = event(time, event))`` followed by
    ``tmerge(d2, d, id = id, resp = tdc(change_time))``:

    1. a change at or after ``time`` (or NaN) leaves one row ``(0, time]`` with status 0;
    2. a change at 0 gives one row with status 1;
    3. otherwise two rows ``(0, c]`` (no event, status 0) and ``(c, time]`` (the event, status 1).

    References
    ----------
    .. [1] Therneau T, Crowson C, Atkinson E. Using time dependent covariates and time dependent
       coefficients in the Cox model. survival package vignette.

    Examples
    --------
    >>> cp = to_counting_process(["a", "b"], [10, 5], [1, 0], [4, float("nan")])
    >>> cp.start.tolist(), cp.stop.tolist(), cp.status.tolist()
    ([0.0, 4.0, 0.0], [4.0, 10.0, 5.0], [0.0, 1.0, 0.0])
    """
    tm, ev, _ = check_survival_data(time, event)
    n = tm.shape[0]
    if (tm <= 0).any():  # a (0, 0] row is empty
        raise StatsError("time: expected positive follow-up times")
    ids = np.asarray(id)
    if ids.shape != (n,):
        raise StatsError(f"id: expected length {n}, got shape {ids.shape}")
    c = _change_times(change_time, n, "change_time")
    split = ~np.isnan(c) & (c > 0) & (c < tm)
    on_from_start = ~np.isnan(c) & (c <= 0)
    reps = np.where(split, 2, 1)
    row_subject = np.repeat(np.arange(n), reps)
    first = np.r_[True, row_subject[1:] != row_subject[:-1]]
    second = ~first
    s_split = split[row_subject]
    start = np.where(second, c[row_subject], 0.0)
    stop = np.where(first & s_split, c[row_subject], tm[row_subject])
    out_event = ev[row_subject] & ~(first & s_split)
    status = np.where(second | on_from_start[row_subject], 1.0, 0.0)
    return CountingProcessData(
        id=ids[row_subject], start=start, stop=stop, event=out_event, status=status
    )


@dataclass(frozen=True, slots=True, repr=False)
class LandmarkResult(ResultMixin):
    """Landmark data set (clock restarted at the landmark) and the Cox fit on response group."""

    landmark: float
    n_at_risk: int
    n_excluded: int
    kept: BoolArray
    time_from_landmark: FloatArray
    event: BoolArray
    responded: BoolArray
    cox: CoxResult

    def to_dict(self) -> dict[str, float | int]:
        """Headline numbers: hazard ratio of responders vs non-responders from the landmark."""
        return {
            "landmark": self.landmark,
            "n_at_risk": self.n_at_risk,
            "n_excluded": self.n_excluded,
            "n_responders": int(self.responded.sum()),
            "coef": float(self.cox.coef[0]),
            "hazard_ratio": float(self.cox.hazard_ratio[0]),
            "conf_low": float(self.cox.conf_low[0]),
            "conf_high": float(self.cox.conf_high[0]),
            "p_value": float(self.cox.p_value[0]),
            "score_test": self.cox.score_test.statistic,
        }


def landmark_analysis(
    time: ArrayLike,
    event: ArrayLike,
    response_time: ArrayLike,
    *,
    landmark: float,
    ties: Ties = "efron",
    conf_level: float = 0.95,
) -> LandmarkResult:
    """Landmark analysis of survival by response status achieved by ``landmark``.

    Parameters
    ----------
    time, event : array_like, shape (n,)
        Survival time from time zero (e.g. start of therapy) and event indicator.
    response_time : array_like, shape (n,)
        Time of (hematologic) response; NaN for never.
    landmark : float
        Landmark time (e.g. 6 months).
    ties, conf_level
        Passed to :func:`plasmatrial.stats.cox.cox_ph`.

    Returns
    -------
    LandmarkResult
        The filtered data with the clock restarted at the landmark and the Cox fit of
        survival on the response group (1 = responded at or before the landmark).

    Raises
    ------
    StatsError
        Invalid inputs, or nobody (or only one group) at risk at the landmark.

    Notes
    -----
    1. Keep subjects still under observation just after the landmark: ``time > landmark``.
    2. Responder = ``response_time <= landmark``; later responses count as non-response.
    3. Time from landmark = ``time - landmark``; fit ``coxph(Surv(time - L, event) ~ responded)``
       (its score test is the log-rank-type test of the two groups).

    References
    ----------
    .. [1] Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response. J Clin
       Oncol 1983;1:710-719.

    Examples
    --------
    >>> r = landmark_analysis([5, 8, 9, 12, 15, 20], [1, 1, 0, 1, 1, 0],
    ...                       [1, float("nan"), 2, float("nan"), 3, 7], landmark=4)
    >>> r.n_at_risk, int(r.responded.sum())
    (6, 3)
    """
    tm, ev, _ = check_survival_data(time, event)
    n = tm.shape[0]
    rt = _change_times(response_time, n, "response_time")
    if not np.isfinite(landmark) or landmark < 0:
        raise StatsError(f"landmark: expected a non-negative time, got {landmark!r}")
    kept = tm > landmark
    responded = (~np.isnan(rt) & (rt <= landmark))[kept]
    if kept.sum() == 0 or responded.all() or not responded.any():
        raise StatsError(
            f"landmark: need responders and non-responders at risk at {landmark!r}; "
            f"at risk {int(kept.sum())}, responders {int(responded.sum())}"
        )
    t_lm = tm[kept] - landmark
    fit = cox_ph(
        t_lm, ev[kept], responded.astype(np.float64), ties=ties, conf_level=conf_level,
        names=["responded"],
    )  # fmt: skip
    return LandmarkResult(
        landmark=float(landmark),
        n_at_risk=int(kept.sum()),
        n_excluded=int(n - kept.sum()),
        kept=kept,
        time_from_landmark=t_lm,
        event=ev[kept],
        responded=responded,
        cox=fit,
    )
