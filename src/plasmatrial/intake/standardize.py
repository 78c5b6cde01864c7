"""Standardise LB records: canonical codes and units, dates, and derived eGFR."""

from __future__ import annotations

import logging
from typing import Final

import polars as pl

from plasmatrial.intake.analytes import ANALYTE_BY_CODE
from plasmatrial.intake.egfr import BLACK_RACE, EgfrEquation, egfr_ckd_epi_expr
from plasmatrial.intake.lbprep import prepare_lb
from plasmatrial.intake.validate import LB_REQUIRED, lb_problems_prepared, missing_columns, raise_if

logger = logging.getLogger(__name__)

#: Value of ``EGFRMETH`` for eGFR records taken from the file as reported.
EGFR_REPORTED: Final[str] = "REPORTED"

STANDARD_SCHEMA: Final[dict[str, pl.DataType]] = {
    "USUBJID": pl.String(),
    "LBTESTCD": pl.String(),
    "AVAL": pl.Float64(),
    "AVALC": pl.String(),
    "AVALU": pl.String(),
    "ADT": pl.Date(),
    "VISIT": pl.String(),
    "VISITNUM": pl.Float64(),
    "ANRLO": pl.Float64(),
    "ANRHI": pl.Float64(),
    "EGFRMETH": pl.String(),
    "LBORRES": pl.String(),
    "LBORRESU": pl.String(),
    "LBTESTCD_ORIG": pl.String(),
    "SRCROW": pl.Int64(),
}

_UNIT: Final[dict[str, str]] = {c: a.unit for c, a in ANALYTE_BY_CODE.items()}


def valid_rows(prep: pl.DataFrame) -> pl.Expr:
    """Expression selecting prepared rows that can be standardised (passed the row checks)."""
    numeric = (pl.col("_KIND") != "character") & pl.col("AVAL").is_not_null()
    in_range = pl.col("AVAL").is_between(
        pl.col("_LO").fill_null(float("-inf")), pl.col("_HI").fill_null(float("inf"))
    )
    character = (pl.col("_KIND") == "character") & pl.col("AVALC").is_not_null()
    return (
        pl.col("USUBJID").is_not_null()
        & pl.col("_CODE").is_not_null()
        & pl.col("ADT").is_not_null()
        & ((numeric & in_range) | character)
    )


def _from_prepared(prep: pl.DataFrame) -> pl.DataFrame:
    uln = pl.col("_ULN") if "_ULN" in prep.columns else pl.lit(None, dtype=pl.Float64)
    lln = pl.col("_LLN") if "_LLN" in prep.columns else pl.lit(None, dtype=pl.Float64)
    return prep.filter(valid_rows(prep)).select(
        pl.col("USUBJID"),
        pl.col("_CODE").alias("LBTESTCD"),
        pl.col("AVAL").cast(pl.Float64),
        pl.col("AVALC"),
        pl.when(pl.col("_KIND") == "character")
        .then(None)
        .otherwise(pl.col("_CANUNIT"))
        .alias("AVALU"),
        pl.col("ADT"),
        pl.col("VISIT"),
        pl.col("_VISITNUM").alias("VISITNUM"),
        lln.cast(pl.Float64).alias("ANRLO"),
        uln.cast(pl.Float64).alias("ANRHI"),
        pl.when(pl.col("_CODE") == "EGFR")
        .then(pl.lit(EGFR_REPORTED))
        .otherwise(None)
        .alias("EGFRMETH"),
        pl.col("LBORRES"),
        pl.col("LBORRESU"),
        pl.col("LBTESTCD").alias("LBTESTCD_ORIG"),
        pl.col("_ROW").cast(pl.Int64).alias("SRCROW"),
    )


def derive_egfr(
    lb: pl.DataFrame, dm: pl.DataFrame, *, equation: EgfrEquation = "CKD-EPI 2009"
) -> pl.DataFrame:
    """Add CKD-EPI eGFR records where creatinine is given and eGFR is not (same subject and date).

    Parameters
    ----------
    lb : pl.DataFrame
        Standardised LB (:data:`STANDARD_SCHEMA`).
    dm : pl.DataFrame
        DM with ``USUBJID``, ``AGE``, ``SEX`` and optionally ``RACE``.
    equation : {"CKD-EPI 2009", "CKD-EPI 2021"}
        Equation for the derived values.

    Returns
    -------
    pl.DataFrame
        ``lb`` plus one ``EGFR`` row per derived value; ``EGFRMETH`` names the equation
        (``"CKD-EPI 2009 (race coefficient)"`` when the 2009 race factor was applied),
        ``LBORRES``/``SRCROW`` point at the creatinine record it came from.

    Notes
    -----
    1. Creatinine records (mg/dL) with no EGFR record for the same subject and date are joined to
       DM's AGE (age at reference start, used for every visit), SEX and RACE.
    2. The 2009 race coefficient is applied only when RACE is present and equals
       ``"BLACK OR AFRICAN AMERICAN"``; CKD-EPI 2021 never uses race.
    3. Subjects with SEX other than M/F or missing AGE get no derived eGFR (logged).
    """
    dm_t = dm.rename({c: c.upper() for c in dm.columns})
    race = (
        pl.col("RACE").cast(pl.String).str.to_uppercase() == BLACK_RACE
        if "RACE" in dm_t.columns
        else pl.lit(False)
    )
    people = dm_t.select(
        pl.col("USUBJID").cast(pl.String),
        pl.col("AGE").cast(pl.String).cast(pl.Float64, strict=False).alias("_AGE"),
        pl.col("SEX").cast(pl.String).str.to_uppercase().alias("_SEX"),
        race.fill_null(False).alias("_BLACK"),
    ).unique("USUBJID", keep="first")
    have = lb.filter(pl.col("LBTESTCD") == "EGFR").select("USUBJID", "ADT").unique()
    creat = lb.filter(pl.col("LBTESTCD") == "CREAT").join(have, on=["USUBJID", "ADT"], how="anti")
    if creat.height == 0:
        return lb
    use_race = equation == "CKD-EPI 2009"
    label = (
        pl.when(pl.col("_BLACK") & use_race)
        .then(pl.lit(f"{equation} (race coefficient)"))
        .otherwise(pl.lit(equation))
    )
    derived = creat.join(people, on="USUBJID", how="left").with_columns(
        egfr_ckd_epi_expr(
            pl.col("AVAL"),
            pl.col("_AGE"),
            pl.col("_SEX"),
            pl.col("_BLACK") & use_race,
            equation=equation,
        ).alias("_EGFR"),
    )
    n_missing = derived.filter(pl.col("_EGFR").is_null()).height
    if n_missing:
        logger.info("eGFR not derived for %d creatinine record(s): AGE/SEX missing", n_missing)
    derived = derived.filter(pl.col("_EGFR").is_not_null()).with_columns(
        pl.lit("EGFR").alias("LBTESTCD"),
        pl.col("_EGFR").alias("AVAL"),
        pl.lit(_UNIT["EGFR"]).alias("AVALU"),
        pl.lit(None, dtype=pl.Float64).alias("ANRLO"),
        pl.lit(None, dtype=pl.Float64).alias("ANRHI"),
        label.alias("EGFRMETH"),
    )
    return pl.concat([lb, derived.select(lb.columns)], how="vertical")


def standardize_prepared(
    prep: pl.DataFrame, dm: pl.DataFrame | None, *, egfr_equation: EgfrEquation
) -> pl.DataFrame:
    """Standardise already-prepared LB rows that passed the row checks (no validation here)."""
    lb = _from_prepared(prep)
    if dm is not None:
        lb = derive_egfr(lb, dm, equation=egfr_equation)
    return lb.sort("USUBJID", "ADT", "LBTESTCD", "SRCROW")


def standardize_lb(
    lb: pl.DataFrame,
    dm: pl.DataFrame | None = None,
    *,
    egfr_equation: EgfrEquation = "CKD-EPI 2009",
    file: str = "LB",
) -> pl.DataFrame:
    """Validate and standardise raw LB records to canonical codes and units.

    Parameters
    ----------
    lb : pl.DataFrame
        Raw LB (see ``docs/intake.md``).
    dm : pl.DataFrame, optional
        DM; needed only to derive eGFR from creatinine.
    egfr_equation : {"CKD-EPI 2009", "CKD-EPI 2021"}
        Equation for derived eGFR.
    file : str
        Name used in problem reports.

    Returns
    -------
    pl.DataFrame
        Long frame with the columns of :data:`STANDARD_SCHEMA`: canonical ``LBTESTCD``, ``AVAL``
        in the canonical unit ``AVALU``, ``AVALC`` (``POSITIVE``/``NEGATIVE`` for IFE), ``ADT``,
        ``ANRLO`` / ``ANRHI`` (LBSTNRLO / LBSTNRHI converted to the canonical unit), ``EGFRMETH`` and the original ``LBORRES``/``LBORRESU``.

    Raises
    ------
    IntakeError
        Listing every LB problem (no partial output).

    Notes
    -----
    1. Parse and validate every row (:mod:`plasmatrial.intake.validate`).
    2. Convert: ``AVAL = float(LBORRES) × factor(LBTESTCD, LBORRESU)`` from the catalogue.
    3. Derive eGFR from creatinine where none is reported (:func:`derive_egfr`).

    Examples
    --------
    >>> raw = pl.DataFrame({"USUBJID": ["S1"], "LBTESTCD": ["KAPPA"], "LBORRES": ["2.5"],
    ...     "LBORRESU": ["mg/dL"], "LBDTC": ["2024-01-05"], "VISIT": ["SCREEN"],
    ...     "VISITNUM": ["1"]})
    >>> standardize_lb(raw).select("LBTESTCD", "AVAL", "AVALU").row(0)
    ('FLCKAP', 25.0, 'mg/L')
    """
    problems = missing_columns(lb, LB_REQUIRED, file=file)
    raise_if(problems)
    prep = prepare_lb(lb)
    raise_if(lb_problems_prepared(prep, file=file))
    return standardize_prepared(prep, dm, egfr_equation=egfr_equation)
