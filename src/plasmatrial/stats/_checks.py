"""The one input validation of the statistics routines (after scikit-survival's ``check_y_survival``).

Every survival routine (Kaplan-Meier, log-rank, RMST, cumulative incidence, Cox, landmark, RPSFT
and the batched two-arm kernels) checks its arguments here, so one input is accepted or refused
by all of them alike, with one message (decision 0280). Every failure raises
:class:`~plasmatrial.errors.StatsError` with a message that names the argument and the offending
value, so the CLI can print it as one line.

The rules, and where they follow R's ``survival`` package:

1. ``time``: a non-empty finite 1-D numeric array, no value below 0 (R's ``Surv`` itself lets
   negative times through; a time before the origin is a data error in a trial).
2. ``event``: the same length, only 0/1 or booleans (R's ``Surv`` turns other codes into NA with
   a warning; we refuse them).
3. ``entry`` (delayed entry): finite and strictly below ``time`` (R ``Surv(tstart, tstop)``
   turns ``tstart >= tstop`` into NA with a warning; we refuse it).
4. ``weights``: finite and ``>= 0`` for the curves (R ``survfit``: "weights must be nonnegative"),
   strictly ``> 0`` for the Cox model (R ``coxph.fit`` / ``agreg.fit``: "Invalid weights, must be
   >0"); the caller says which with ``zero_weights``.
5. Labels (``group``, ``strata``, ``cluster``): 1-D, the same length, no NaN or None; coded in
   sorted-label order like an R factor.
6. ``conf_level`` strictly between 0 and 1; option strings among their allowed values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from plasmatrial.errors import StatsError
from plasmatrial.stats._types import BoolArray, FloatArray

ArrayLikeIn = npt.ArrayLike | Sequence[float] | Sequence[bool]
IntpArray = npt.NDArray[np.intp]
_REAL = (float, int, np.floating, np.integer)


def _first_bad(values: npt.NDArray[np.generic], bad: npt.NDArray[np.bool_]) -> str:
    idx = int(np.flatnonzero(bad)[0])
    return f"index {idx}: {values.reshape(-1)[idx].item()!r}"


def check_float_vector(x: ArrayLikeIn, name: str, *, n: int | None = None) -> FloatArray:
    """Convert ``x`` to a finite 1-D float64 array of length ``n`` (when given).

    Parameters
    ----------
    x : array_like
        Input values.
    name : str
        Argument name used in error messages.
    n : int, optional
        Required length.

    Returns
    -------
    numpy.ndarray
        1-D float64 copy-or-view of ``x``.

    Raises
    ------
    StatsError
        If ``x`` is not 1-D numeric, has the wrong length, or holds NaN/inf.

    Examples
    --------
    >>> check_float_vector([1, 2], "rx").tolist()
    [1.0, 2.0]
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsError(f"{name}: expected numbers, got {x!r:.80}") from exc
    if arr.ndim != 1:
        raise StatsError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise StatsError(f"{name}: expected length {n} (same as time), got {arr.shape[0]}")
    if arr.shape[0] and not math.isfinite(float(arr.sum())):  # NaN/inf, or a sum overflowing
        bad = ~np.isfinite(arr)
        if bad.any():
            raise StatsError(f"{name}: values must be finite, got {_first_bad(arr, bad)}")
    return arr


def check_event_vector(event: ArrayLikeIn, name: str, n: int) -> BoolArray:
    """Convert a 0/1 indicator (event, treatment arm) to a boolean array of length ``n``.

    Parameters
    ----------
    event : array_like
        Indicators: booleans or numbers equal to 0 or 1.
    name : str
        Argument name used in error messages.
    n : int
        Required length.

    Returns
    -------
    numpy.ndarray
        1-D boolean array.

    Raises
    ------
    StatsError
        If a value is not 0/1/True/False or the length differs from ``n``.
    """
    arr = np.asarray(event)
    if arr.ndim != 1:
        raise StatsError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise StatsError(f"{name}: expected length {n} (same as time), got {arr.shape[0]}")
    if arr.dtype == np.bool_:
        return np.asarray(arr, dtype=np.bool_)
    try:
        num = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsError(f"{name}: expected 0/1 or booleans, got {arr[:5]!r}") from exc
    bad = (num != 0.0) & (num != 1.0)
    if bad.any():
        raise StatsError(f"{name}: expected 0/1 or booleans, got {_first_bad(arr, bad)}")
    out: BoolArray = num == 1.0
    return out


def check_times(
    time: ArrayLikeIn, *, entry: ArrayLikeIn | None = None
) -> tuple[FloatArray, FloatArray | None]:
    """Validate event/censoring times and optional delayed-entry times (rules 1 and 3).

    Returns
    -------
    tuple
        ``(time, entry)`` as float64 arrays (``entry`` None when not given).

    Examples
    --------
    >>> t, s = check_times([0, 2.5], entry=[-1, 0])
    >>> t.tolist(), s.tolist()
    ([0.0, 2.5], [-1.0, 0.0])
    """
    t = check_float_vector(time, "time")
    n = t.shape[0]
    if n == 0:
        raise StatsError("time: expected at least one observation, got an empty array")
    if float(t.min()) < 0.0:
        raise StatsError(f"time: values must be >= 0, got {_first_bad(t, t < 0)}")
    if entry is None:
        return t, None
    s = check_float_vector(entry, "entry", n=n)
    late = s >= t
    if late.any():
        idx = int(np.flatnonzero(late)[0])
        raise StatsError(
            f"entry: each entry time must be < time, got entry={float(s[idx])!r} >= "
            f"time={float(t[idx])!r} at index {idx}"
        )
    return t, s


def check_weights(
    weights: ArrayLikeIn | None, n: int, *, zero_weights: bool = True
) -> FloatArray | None:
    """Validate case weights (rule 4): finite, ``>= 0`` (``> 0`` when ``zero_weights=False``).

    Examples
    --------
    >>> check_weights([1, 0.5], 2).tolist()
    [1.0, 0.5]
    >>> check_weights([1, 0], 2, zero_weights=False)
    Traceback (most recent call last):
    ...
    plasmatrial.errors.StatsError: weights: values must be > 0, got index 1: 0.0
    """
    if weights is None:
        return None
    w = check_float_vector(weights, "weights", n=n)
    bad = w < 0 if zero_weights else w <= 0
    if bad.any():
        bound = ">= 0" if zero_weights else "> 0"
        raise StatsError(f"weights: values must be {bound}, got {_first_bad(w, bad)}")
    return w


def check_survival_data(
    time: ArrayLikeIn,
    event: ArrayLikeIn,
    *,
    entry: ArrayLikeIn | None = None,
    weights: ArrayLikeIn | None = None,
    zero_weights: bool = True,
) -> tuple[FloatArray, BoolArray, FloatArray | None]:
    """Validate right-censored (optionally left-truncated) survival data.

    Parameters
    ----------
    time : array_like
        Event or censoring times, finite and ``>= 0``.
    event : array_like
        Event indicator (``True``/1 = event, ``False``/0 = censored).
    entry : array_like, optional
        Delayed-entry (left-truncation) times; each must be ``< time`` (R ``Surv(tstart, tstop)``
        requires ``tstart < tstop``) and finite.
    weights : array_like, optional
        Case weights, finite and ``>= 0``. Validated only; :func:`check_weights` returns them.
    zero_weights : bool, default True
        Whether a weight of 0 is allowed (R ``survfit`` allows it, ``coxph`` does not).

    Returns
    -------
    tuple
        ``(time, event, entry)`` as float64, bool and float64-or-None arrays.

    Raises
    ------
    StatsError
        Naming the argument and the offending value: empty input, length mismatch, NaN/inf,
        negative times, event values other than 0/1, ``entry >= time``, negative weights.

    Notes
    -----
    1. ``time`` must be a non-empty finite 1-D array with no negative value.
    2. ``event`` must have the same length and hold only 0/1/booleans.
    3. ``entry`` (if given) must be finite and strictly below ``time``.
    4. ``weights`` (if given) must be finite and non-negative (positive when
       ``zero_weights=False``).

    Examples
    --------
    >>> t, e, s = check_survival_data([1, 2, 3], [1, 0, 1])
    >>> t.tolist(), e.tolist(), s
    ([1.0, 2.0, 3.0], [True, False, True], None)
    """
    t, s = check_times(time, entry=entry)
    e = check_event_vector(event, "event", t.shape[0])
    check_weights(weights, t.shape[0], zero_weights=zero_weights)
    return t, e, s


def check_event_matrix(x: ArrayLikeIn, name: str, shape: tuple[int, ...]) -> BoolArray:
    """A 0/1 indicator of the given 2-D shape (the batched kernels: one row per trial)."""
    arr = np.asarray(x)
    if arr.shape != shape:
        raise StatsError(f"{name}: expected shape {shape} (same as time), got {arr.shape}")
    flat = check_event_vector(arr.reshape(-1), name, arr.size)
    out: BoolArray = flat.reshape(shape)
    return out


def check_survival_batch(time: ArrayLikeIn, event: ArrayLikeIn) -> tuple[FloatArray, BoolArray]:
    """Validate simulated trials held as rows: ``(n_trials, n)`` times and 0/1 events.

    Each row obeys the rules of :func:`check_survival_data` (finite times ``>= 0``, 0/1
    events); a row needs at least two patients. Messages give the flat index (row-major).

    Examples
    --------
    >>> t, e = check_survival_batch([[1, 2], [3, 4]], [[1, 0], [0, 1]])
    >>> t.shape, e.tolist()
    ((2, 2), [[True, False], [False, True]])
    """
    try:
        t = np.asarray(time, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsError(f"time: expected numbers, got {time!r:.80}") from exc
    if t.ndim != 2 or t.shape[1] < 2:
        raise StatsError(
            f"time: expected a 2-D array (n_trials, n) with n >= 2, got shape {t.shape}"
        )
    bad = ~np.isfinite(t)
    if bad.any():
        raise StatsError(f"time: values must be finite, got {_first_bad(t, bad)}")
    if float(t.min()) < 0.0:
        raise StatsError(f"time: values must be >= 0, got {_first_bad(t, t < 0)}")
    return t, check_event_matrix(event, "event", t.shape)


def check_design_matrix(x: ArrayLikeIn, name: str, *, n: int) -> FloatArray:
    """Covariates as a finite ``(n, p)`` float matrix (a 1-D input is one covariate)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsError(f"{name}: expected a numeric matrix, got {x!r:.80}") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise StatsError(f"{name}: expected shape ({n}, p) (n same as time), got {arr.shape}")
    if arr.shape[1] == 0:
        raise StatsError(f"{name}: needs at least one covariate column, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise StatsError(
            f"{name}: values must be finite, got {arr[i, j].item()!r} at row {i}, column {j}"
        )
    return arr


def group_codes(
    group: ArrayLikeIn, n: int, name: str = "group"
) -> tuple[tuple[str, ...], IntpArray]:
    """Sorted distinct labels (as strings) and integer codes, like an R factor (rule 5).

    Examples
    --------
    >>> group_codes(["b", "a", "b"], 3)
    (('a', 'b'), array([1, 0, 1]))
    """
    g = np.asarray(group)
    if g.ndim != 1 or g.shape[0] != n:
        raise StatsError(
            f"{name}: expected a 1-D array of length {n} (same as time), got shape {g.shape}"
        )
    if g.dtype.kind == "f" and np.isnan(g).any():
        raise StatsError(
            f"{name}: missing value (NaN) at index {int(np.flatnonzero(np.isnan(g))[0])}"
        )
    if g.dtype.kind == "O" and any(v is None for v in g):
        raise StatsError(f"{name}: missing value (None) at index {list(g).index(None)}")
    if g.dtype.kind == "b":
        g = g.astype(np.int64)
    if g.dtype.kind in "iu" and n > 0:
        lo, hi = int(g.min()), int(g.max())
        if hi - lo <= 1:  # one or two levels: both extremes occur, no count needed
            levels_12 = (lo,) if hi == lo else (lo, hi)
            labels = tuple(str(v) for v in levels_12)
            return labels, (g if lo == 0 else g - lo).astype(np.intp, copy=False)
        if hi - lo <= 4 * n:  # small integer range: counting beats hashing/sorting
            present = np.bincount(g - lo) > 0
            if lo == 0 and bool(present.all()):  # already codes 0..k-1 (the usual arm coding)
                labels = tuple(str(v) for v in range(present.shape[0]))
                return labels, g.astype(np.intp, copy=False)
            lookup = np.cumsum(present) - 1
            levels = np.flatnonzero(present) + lo
            return tuple(str(v) for v in levels.tolist()), lookup[g - lo].astype(np.intp)
    if g.dtype.kind in "US" and n > 0:
        few = _few_string_levels(g)
        if few is not None:
            return few
    levels = np.unique(g)
    codes = np.searchsorted(levels, g).astype(np.intp)
    return tuple(str(v) for v in levels.tolist()), codes


#: At most this many distinct labels are found by equality passes (:func:`_few_string_levels`).
_FEW_LEVELS: Final = 8


def _few_string_levels(g: npt.NDArray[Any]) -> tuple[tuple[str, ...], IntpArray] | None:
    """Labels and codes of a string array with at most :data:`_FEW_LEVELS` distinct values by
    one equality pass per label (arms, strata), which is several times faster than the sort of
    ``np.unique`` on strings; None with more labels. Same labels and codes as ``np.unique`` +
    ``searchsorted``: the labels found are sorted and the codes renumbered."""
    codes = np.zeros(g.shape[0], dtype=np.intp)
    found: list[Any] = []
    left = np.ones(g.shape[0], dtype=np.bool_)
    first = 0
    while True:
        if len(found) == _FEW_LEVELS:
            return None
        value = g[first]
        same = g == value
        found.append(value)
        if len(found) > 1:
            codes[same] = len(found) - 1
        left &= ~same
        first = int(left.argmax())
        if not left[first]:
            break
    order = sorted(range(len(found)), key=found.__getitem__)
    if order != list(range(len(found))):
        rank = np.empty(len(found), dtype=np.intp)
        rank[order] = np.arange(len(found), dtype=np.intp)
        codes = rank[codes]
    return tuple(str(found[i]) for i in order), codes


def check_conf_level(conf_level: float) -> float:
    """``conf_level`` as a float strictly between 0 and 1 (rule 6)."""
    if isinstance(conf_level, bool) or not (
        isinstance(conf_level, _REAL) and 0.0 < conf_level < 1.0
    ):
        raise StatsError(
            f"conf_level: expected a number strictly between 0 and 1, got {conf_level!r}"
        )
    return float(conf_level)


def check_choice(value: str, name: str, allowed: Sequence[str]) -> None:
    """``value`` must be one of ``allowed`` (rule 6)."""
    if value not in allowed:
        raise StatsError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")


__all__ = [
    "ArrayLikeIn",
    "check_choice",
    "check_conf_level",
    "check_design_matrix",
    "check_event_matrix",
    "check_event_vector",
    "check_float_vector",
    "check_survival_batch",
    "check_survival_data",
    "check_times",
    "check_weights",
    "group_codes",
]
