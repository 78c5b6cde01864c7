"""Conservative detection of free-light-chain unit mix-ups (mg/L vs mg/dL). Reported, never fixed.

A Freelite result labelled mg/L that was really measured in mg/dL is 10 times too small, and vice
versa; both stay inside the (wide) plausible range, so a range check cannot see them. Two
per-subject heuristics are applied (decision record ``docs/decisions/0101-flc-unit-mixup.md``):

Rule A, *label switch without a jump in the raw numbers*
    In a subject's series of one FLC test (sorted by date), the unit label changes between the
    mg/L and mg/dL families from one record to the next, yet the raw numbers as written stay within
    a factor :data:`RAW_CONTINUITY` of each other. After conversion the series would then jump by
    about 10x exactly where the label changes. A true 10-fold change that happens to coincide
    with a lab switching units is possible but rare; the problem asks for a human check.

Rule B, *both light chains below the assay floor*
    κ and λ measured on the same date are both below :data:`FLC_FLOOR_MGL` after conversion.
    Freelite lower reference limits are κ 3.3 and λ 5.7 mg/L; both chains below 1 mg/L is almost
    never real and is what mg/dL numbers labelled mg/L look like.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from plasmatrial.errors import Problem, ReasonCode

#: Raw numbers within this factor of each other count as "no jump" (rule A).
RAW_CONTINUITY: Final[float] = 1.5
#: Both κ and λ below this (mg/L, after conversion) triggers rule B.
FLC_FLOOR_MGL: Final[float] = 1.0
FLC_CODES: Final[tuple[str, ...]] = ("FLCKAP", "FLCLAM")


def _emit(rows: pl.DataFrame, file: str, expected: pl.Expr) -> list[Problem]:
    sel = rows.select(
        pl.col("_ROW").cast(pl.Int64),
        pl.format("{} {}", pl.col("LBORRES"), pl.col("LBORRESU")).alias("_V"),
        expected.alias("_E"),
    )
    return [
        Problem(file, r, "LBORRESU", v, e, ReasonCode.UNIT_MIXUP) for r, v, e in sel.iter_rows()
    ]


def flc_unit_mixups(prep: pl.DataFrame, *, file: str) -> list[Problem]:
    """Apply rules A and B (module docstring) to a prepared LB frame.

    Parameters
    ----------
    prep : pl.DataFrame
        Output of :func:`plasmatrial.intake.lbprep.prepare_lb`.
    file : str
        File name for the problems.

    Returns
    -------
    list of Problem
        ``UNIT_MIXUP`` problems on column ``LBORRESU``; rule A names the later record of the pair,
        rule B both records of the date.
    """
    flc = prep.filter(
        pl.col("_CODE").is_in(list(FLC_CODES))
        & pl.col("ADT").is_not_null()
        & pl.col("_FACTOR").is_not_null()
        & (pl.col("_NUM") > 0)
        & pl.col("USUBJID").is_not_null()
    ).select("_ROW", "USUBJID", "_CODE", "ADT", "LBORRES", "LBORRESU", "_NUM", "_FACTOR", "AVAL")
    if flc.height == 0:
        return []
    key = ["USUBJID", "_CODE"]
    switching = (
        flc.group_by(key).agg(pl.col("_FACTOR").n_unique().alias("_NF")).filter(pl.col("_NF") > 1)
    )
    series = (
        flc.join(switching.select(key), on=key, how="semi")
        .sort("USUBJID", "_CODE", "ADT", "_ROW")
        .with_columns(
            pl.col("_FACTOR").shift(1).over(key).alias("_PFACTOR"),
            pl.col("_NUM").shift(1).over(key).alias("_PNUM"),
            pl.col("_ROW").shift(1).over(key).alias("_PROW"),
            pl.col("LBORRESU").shift(1).over(key).alias("_PUNIT"),
        )
    )
    ratio = pl.col("_NUM") / pl.col("_PNUM")
    label_switch = (pl.col("_FACTOR") / pl.col("_PFACTOR") - 10.0).abs() < 1e-9
    label_switch = label_switch | ((pl.col("_PFACTOR") / pl.col("_FACTOR") - 10.0).abs() < 1e-9)
    rule_a = series.filter(
        label_switch & (ratio <= RAW_CONTINUITY) & (ratio >= 1.0 / RAW_CONTINUITY)
    ).sort("_ROW")
    problems = _emit(
        rule_a,
        file,
        pl.format(
            "a unit consistent with the series: {} {} (row {}) then {} {} is a ~10x jump "
            "in mg/L exactly where the unit label changes; check the label",
            pl.col("_PNUM"),
            pl.col("_PUNIT"),
            pl.col("_PROW"),
            pl.col("_NUM"),
            pl.col("LBORRESU"),
        ),
    )
    low = flc.filter(pl.col("AVAL") < FLC_FLOOR_MGL).select("USUBJID", "ADT").unique()
    both_low = (
        flc.join(low, on=["USUBJID", "ADT"], how="semi")
        .with_columns(
            pl.col("_CODE").n_unique().over("USUBJID", "ADT").alias("_NCODES"),
            pl.col("AVAL").max().over("USUBJID", "ADT").alias("_MAXFLC"),
        )
        .filter((pl.col("_NCODES") == 2) & (pl.col("_MAXFLC") < FLC_FLOOR_MGL))
    )
    problems += _emit(
        both_low.sort("_ROW"),
        file,
        pl.format(
            "κ and λ not both below {} mg/L on {} (both are: mg/dL values labelled mg/L?)",
            pl.lit(FLC_FLOOR_MGL),
            pl.col("ADT"),
        ),
    )
    return problems
