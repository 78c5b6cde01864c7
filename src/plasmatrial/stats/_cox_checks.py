"""Input validation for the Cox-model family (private; to be unified with ``_checks.py``).

Every check raises :class:`~plasmatrial.errors.StatsError` naming the argument and the offending
value, so the CLI can print one clear line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from plasmatrial.errors import StatsError

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
IntArray: TypeAlias = npt.NDArray[np.int64]
ArrayLike: TypeAlias = npt.ArrayLike


def as_float_vector(value: ArrayLike, name: str, *, n: int | None = None) -> FloatArray:
    """Return ``value`` as a finite 1-D float array (of length ``n`` when given)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsError(f"{name}: expected numbers, got {value!r:.80}") from exc
    if arr.ndim != 1:
        raise StatsError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise StatsError(f"{name}: expected length {n}, got {arr.shape[0]}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise StatsError(f"{name}: non-finite value {arr[i].item()!r} at position {i}")
    return arr


def as_event_vector(value: ArrayLike, name: str, *, n: int) -> BoolArray:
    """Return ``value`` as a boolean event indicator; accepts bool or 0/1 numbers."""
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise StatsError(f"{name}: expected a 1-D array of length {n}, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        return arr
    try:
        num = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsError(f"{name}: expected 0/1 or booleans, got {value!r:.80}") from exc
    bad = ~np.isin(num, (0.0, 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise StatsError(f"{name}: expected 0/1 or booleans, got {arr[i].item()!r} at position {i}")
    out: BoolArray = num == 1.0
    return out


def as_design_matrix(value: ArrayLike, name: str, *, n: int) -> FloatArray:
    """Return covariates as a finite ``(n, p)`` float matrix (a 1-D input is one covariate)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsError(f"{name}: expected a numeric matrix, got {value!r:.80}") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise StatsError(f"{name}: expected shape ({n}, p), got {arr.shape}")
    if arr.shape[1] == 0:
        raise StatsError(f"{name}: needs at least one covariate column, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise StatsError(f"{name}: non-finite value {arr[i, j].item()!r} at row {i}, column {j}")
    return arr


def as_codes(value: ArrayLike | None, name: str, *, n: int) -> IntArray | None:
    """Factorise labels (any hashable dtype) into integer codes 0..k-1 in sorted-label order."""
    if value is None:
        return None
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise StatsError(f"{name}: expected a 1-D array of length {n}, got shape {arr.shape}")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        i = int(np.flatnonzero(np.isnan(arr))[0])
        raise StatsError(f"{name}: missing value (NaN) at position {i}")
    if arr.dtype.kind == "O" and any(v is None for v in arr):
        raise StatsError(f"{name}: missing value (None) at position {list(arr).index(None)}")
    _, codes = np.unique(arr, return_inverse=True)
    return codes.astype(np.int64).reshape(-1)


def check_survival_times(
    time: FloatArray, entry: FloatArray | None, *, time_name: str = "time"
) -> None:
    """Times must be non-negative; an entry must be strictly before its exit time."""
    if time.shape[0] == 0:
        raise StatsError(f"{time_name}: no observations")
    if entry is None:
        if (time < 0).any():
            i = int(np.flatnonzero(time < 0)[0])
            raise StatsError(f"{time_name}: negative time {time[i].item()!r} at position {i}")
        return
    bad = entry >= time
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise StatsError(
            f"entry: entry time {entry[i].item()!r} is not before {time_name} {time[i].item()!r} at position {i}"
        )


def check_weights(weights: FloatArray) -> None:
    """Case weights must be strictly positive."""
    bad = weights <= 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise StatsError(
            f"weights: expected positive weights, got {weights[i].item()!r} at position {i}"
        )


def check_conf_level(conf_level: float) -> None:
    """The confidence level must lie strictly between 0 and 1."""
    if not 0.0 < float(conf_level) < 1.0:
        raise StatsError(f"conf_level: expected a value in (0, 1), got {conf_level!r}")


def check_choice(value: str, name: str, allowed: Sequence[str]) -> None:
    """``value`` must be one of ``allowed``."""
    if value not in allowed:
        raise StatsError(f"{name}: expected one of {', '.join(allowed)}; got {value!r}")
