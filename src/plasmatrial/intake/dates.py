"""ISO 8601 date parsing for SDTM ``--DTC`` columns (vectorised, no imputation)."""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

import polars as pl

DateStatus = Literal["ok", "partial", "bad", "missing"]

_FULL: Final = r"^\d{4}-\d{2}-\d{2}$"
_PARTIAL: Final = r"^\d{4}(-[\d-]*)?$"
#: A complete ISO 8601 ``--DTC`` value: a date, optionally ``T`` and a valid time of day
#: (``hh``, ``hh:mm``, ``hh:mm:ss`` or with a decimal fraction), optionally a UTC offset.
_DATETIME: Final = (
    r"^\d{4}-\d{2}-\d{2}"
    r"(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d+)?)?)?(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?)?$"
)

#: Earliest plausible date of a study record (decision 0106): IMiD trials in AL amyloidosis and
#: myeloma start after thalidomide's return (late 1990s); 1990 leaves a wide margin.
EARLIEST_DATE: Final[dt.date] = dt.date(1990, 1, 1)
#: Days after today still accepted (scheduled dates, clock skew); later dates are typos.
FUTURE_MARGIN_DAYS: Final[int] = 366


def plausible_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """``(earliest, latest)`` plausible dates: :data:`EARLIEST_DATE` to today + 366 days."""
    ref = dt.date.today() if today is None else today
    return EARLIEST_DATE, ref + dt.timedelta(days=FUTURE_MARGIN_DAYS)


def dtc_date(col: str) -> pl.Expr:
    """Date part of an ISO 8601 ``--DTC`` text column, or null when not a complete valid date.

    ``"2024-03-05"`` and ``"2024-03-05T08:30"`` give 2024-03-05; ``"2024-03"`` (partial),
    ``"2024-02-30"``, ``"05/03/2024"``, ``"2024-03-05T"`` and ``"2024-03-05T25:61"`` (the whole
    value is checked, time of day included) give null. Partial dates are never imputed.
    """
    return _iso_date(pl.col(col))


def _iso_date(c: pl.Expr) -> pl.Expr:
    shape_ok = c.str.contains(_DATETIME)
    part = c.str.slice(0, 10)
    return (
        pl.when(shape_ok & part.str.contains(_FULL))
        .then(part.str.to_date("%Y-%m-%d", strict=False))
        .otherwise(None)
    )


def dtc_status(col: str) -> pl.Expr:
    """Classify a ``--DTC`` text column as ``ok``, ``partial``, ``bad`` or ``missing``.

    Notes
    -----
    1. null -> ``missing``.
    2. The date part (before ``T``) is ``YYYY-MM-DD`` and a real calendar date -> ``ok``.
    3. ``YYYY``, ``YYYY-MM`` or an SDTM partial with dashes for unknown parts (``2024---15``) ->
       ``partial``.
    4. Anything else (``2024-02-30``, ``05/03/2024``, ``yesterday``) -> ``bad``.
    """
    part = pl.col(col).str.extract(r"^([^T]*)", 1)
    return (
        pl.when(pl.col(col).is_null())
        .then(pl.lit("missing"))
        .when(dtc_date(col).is_not_null())
        .then(pl.lit("ok"))
        .when(part.str.contains(_FULL))
        .then(pl.lit("bad"))
        .when(part.str.contains(_PARTIAL))
        .then(pl.lit("partial"))
        .otherwise(pl.lit("bad"))
    )


def as_date(frame: pl.DataFrame, col: str) -> pl.Expr:
    """Column ``col`` of ``frame`` as ``pl.Date`` whatever its storage.

    A ``Date`` column is used as is, a ``Datetime`` column is truncated to its date, and text goes
    through :func:`dtc_date` (complete ISO dates only, no imputation). An absent column gives a
    null date.
    """
    if col not in frame.columns:
        return pl.lit(None, dtype=pl.Date)
    dtype = frame.schema[col]
    if dtype == pl.Date:
        return pl.col(col)
    if isinstance(dtype, pl.Datetime):
        return pl.col(col).dt.date()
    return _iso_date(pl.col(col).cast(pl.String))
