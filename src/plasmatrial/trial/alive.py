"""Dates on which a subject is documented alive, for the last date known alive (sap.md 3).

:func:`alive_dates` collects them from every domain with their source; ADSL
(:func:`plasmatrial.endpoints.adsl.derive_adsl`) adds randomisation and dosing, drops dates after
death and keeps the latest as ``LSTALVDT`` with ``LSTALVSRC`` (decision 0504).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from plasmatrial.intake.dates import as_date

#: Dates documenting a subject alive, by domain: the ``--DTC`` variables read (sap.md 3).
ALIVE_DATE_VARIABLES: Final[Mapping[str, tuple[str, ...]]] = {
    "DS": ("DSSTDTC",),
    "SV": ("SVSTDTC", "SVENDTC"),
    "AE": ("AESTDTC", "AEENDTC"),
    "QS": ("QSDTC",),
    "RS": ("RSDTC",),
}
_PARTIAL_MONTH: Final = r"^\d{4}-\d{2}$"
_PARTIAL_YEAR: Final = r"^\d{4}$"


def _alive_date(frame: pl.DataFrame, col: str) -> tuple[pl.Expr, pl.Expr]:
    """Complete date of ``col``, or the first day of a partial one, and an "imputed" flag.

    A partial ``--DTC`` (``2024-03`` or ``2024``) documents the subject alive at some day of that
    month or year, so at least on its first day: that day is used and flagged; anything else that
    is not a complete date is dropped (decision 0504).
    """
    full = as_date(frame, col)
    if frame.schema[col] in (pl.Date, pl.Datetime):
        return full, pl.lit(value=False)
    text = pl.col(col).cast(pl.Utf8).str.strip_chars()
    partial = (
        pl.when(text.str.contains(_PARTIAL_MONTH))
        .then(text + "-01")
        .when(text.str.contains(_PARTIAL_YEAR))
        .then(text + "-01-01")
        .otherwise(None)
        .str.to_date("%Y-%m-%d", strict=False)
    )
    return pl.coalesce(full, partial), full.is_null() & partial.is_not_null()


def alive_dates(
    assessments: pl.DataFrame,
    *,
    post_baseline: pl.DataFrame | None = None,
    ds: pl.DataFrame | None = None,
    ae: pl.DataFrame | None = None,
    qs: pl.DataFrame | None = None,
    rs: pl.DataFrame | None = None,
    sv: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every date a subject is documented alive: ``USUBJID, ADT, SRCDOM, SRCVAR`` (sap.md 3).

    Sources: lab assessment dates (``LB.LBDTC``), adjudicated visits (``ADRS.ADT``), adverse
    event start and end, questionnaires, investigator responses, subject visits and disposition
    records other than death (completion, withdrawal, last contact ...). Dosing and
    randomisation are added by :func:`plasmatrial.endpoints.adsl.derive_adsl`. Partial dates
    count from their first day, with ``SRCVAR`` saying so; dates after death are dropped by
    ``derive_adsl``.
    """
    parts = [
        assessments.select(
            "USUBJID",
            pl.col("ADT").cast(pl.Date),
            pl.lit("LB").alias("SRCDOM"),
            pl.lit("LBDTC").alias("SRCVAR"),
        )
    ]
    if post_baseline is not None:
        parts.append(
            post_baseline.select(
                "USUBJID",
                pl.col("ADT").cast(pl.Date),
                pl.lit("ADRS").alias("SRCDOM"),
                pl.lit("ADT").alias("SRCVAR"),
            )
        )
    frames = {"DS": ds, "SV": sv, "AE": ae, "QS": qs, "RS": rs}
    for dom, frame in frames.items():
        if frame is None or "USUBJID" not in frame.columns:
            continue
        if dom == "DS" and "DSDECOD" in frame.columns:
            alive = ~pl.col("DSDECOD").cast(pl.Utf8).str.to_uppercase().str.contains("DEATH")
            frame = frame.filter(alive.fill_null(value=True))
        for var in ALIVE_DATE_VARIABLES[dom]:
            if var not in frame.columns:
                continue
            date, imputed = _alive_date(frame, var)
            parts.append(
                frame.select(
                    pl.col("USUBJID").cast(pl.Utf8),
                    date.alias("ADT"),
                    pl.lit(dom).alias("SRCDOM"),
                    pl.when(imputed)
                    .then(pl.lit(f"{var} (partial, first day imputed)"))
                    .otherwise(pl.lit(var))
                    .alias("SRCVAR"),
                )
            )
    return pl.concat(parts, how="vertical_relaxed").filter(pl.col("ADT").is_not_null())
