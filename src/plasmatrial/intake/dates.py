"""ISO 8601 date parsing for SDTM ``--DTC`` columns (vectorised, no imputation)."""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

DateStatus = Literal["ok", "partial", "bad", "missing"]

_FULL: Final = r"^\d{4}-\d{2}-\d{2}$"
_PARTIAL: Final = r"^\d{4}(-[\d-]*)?$"


def dtc_date(col: str) -> pl.Expr:
    """Date part of an ISO 8601 ``--DTC`` text column, or null when not a complete valid date.

    ``"2024-03-05"`` and ``"2024-03-05T08:30"`` give 2024-03-05; ``"2024-03"`` (partial),
    ``"2024-02-30"`` and ``"05/03/2024"`` give null. Partial dates are never imputed.
    """
    return _iso_date(pl.col(col))


def _iso_date(c: pl.Expr) -> pl.Expr:
    shape_ok = (c.str.len_bytes() == 10) | (c.str.slice(10, 1) == "T")
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
