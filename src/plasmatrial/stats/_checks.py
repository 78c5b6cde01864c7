"""Shared input validation for survival routines (after scikit-survival's ``check_y_survival``).

Every failure raises :class:`~plasmatrial.errors.StatsError` with a message that names the
argument and the offending value, so the CLI can print it as one line.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from plasmatrial.errors import StatsError
from plasmatrial.stats._types import BoolArray, FloatArray

ArrayLikeIn = npt.ArrayLike | Sequence[float] | Sequence[bool]


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
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsError(f"{name}: expected numbers, got {x!r:.80}") from exc
    if arr.ndim != 1:
        raise StatsError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise StatsError(f"{name}: expected length {n} (same as time), got {arr.shape[0]}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise StatsError(f"{name}: values must be finite, got {_first_bad(arr, bad)}")
    return arr


def check_event_vector(event: ArrayLikeIn, name: str, n: int) -> BoolArray:
    """Convert an event indicator (bool or 0/1) to a boolean array of length ``n``.

    Parameters
    ----------
    event : array_like
        Event indicators: booleans or numbers equal to 0 or 1.
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


def check_survival_data(
    time: ArrayLikeIn,
    event: ArrayLikeIn,
    *,
    entry: ArrayLikeIn | None = None,
    weights: ArrayLikeIn | None = None,
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
        Case weights, finite and ``>= 0``. Validated only; not returned.

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
    4. ``weights`` (if given) must be finite and non-negative.

    Examples
    --------
    >>> t, e, s = check_survival_data([1, 2, 3], [1, 0, 1])
    >>> t.tolist(), e.tolist(), s
    ([1.0, 2.0, 3.0], [True, False, True], None)
    """
    t = check_float_vector(time, "time")
    n = t.shape[0]
    if n == 0:
        raise StatsError("time: expected at least one observation, got an empty array")
    neg = t < 0
    if neg.any():
        raise StatsError(f"time: values must be >= 0, got {_first_bad(t, neg)}")
    e = check_event_vector(event, "event", n)
    s: FloatArray | None = None
    if entry is not None:
        s = check_float_vector(entry, "entry", n=n)
        late = s >= t
        if late.any():
            idx = int(np.flatnonzero(late)[0])
            raise StatsError(
                f"entry: each entry time must be < time, got entry={float(s[idx])!r} >= "
                f"time={float(t[idx])!r} at index {idx}"
            )
    if weights is not None:
        w = check_float_vector(weights, "weights", n=n)
        negw = w < 0
        if negw.any():
            raise StatsError(f"weights: values must be >= 0, got {_first_bad(w, negw)}")
    return t, e, s


__all__ = ["check_event_vector", "check_float_vector", "check_survival_data"]
