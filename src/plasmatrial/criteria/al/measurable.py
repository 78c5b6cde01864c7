"""Trial-eligibility definition of measurable AL disease used by ANDROMEDA (criteria.md 1.2).

Measurable if ANY of, at baseline: serum M-protein >= 0.5 g/dL by SPEP; or serum involved FLC
>= 5.0 mg/dL (50 mg/L) with an abnormal kappa:lambda ratio; or dFLC >= 50 mg/L.

This is an eligibility check, not a response criterion, so it is a per-subject function rather than
a rule table of the response engine; each subject gets the criterion that qualified it, the values
used and an ``AT_BOUNDARY`` flag where a value equals a threshold (ruling R8).
"""

from __future__ import annotations

from typing import Final

import polars as pl

# The source of RULE_ID (ANDROMEDA measurability), re-exported where it was defined before.
from plasmatrial.criteria.core.sources import KASTRITIS_2021 as KASTRITIS_2021

RULE_ID: Final = "ANDROMEDA.MEASURABLE"
SPEP_MIN_G_DL: Final = 0.5
IFLC_MIN_MG_L: Final = 50.0
DFLC_MIN_MG_L: Final = 50.0
RATIO_LOW: Final = 0.26
RATIO_HIGH: Final = 1.65


def al_measurable_andromeda(
    assessments: pl.DataFrame,
    *,
    ratio_low: float = RATIO_LOW,
    ratio_high: float = RATIO_HIGH,
) -> pl.DataFrame:
    """Measurable AL disease at baseline by the ANDROMEDA eligibility definition.

    Parameters
    ----------
    assessments:
        Wide assessment frame with ``USUBJID``, ``ABLFL`` and, where measured, ``SPEPMP``
        (g/dL), ``FLCKAP``, ``FLCLAM`` (mg/L) and ``INVLC``.
    ratio_low, ratio_high:
        Normal kappa/lambda ratio range (Freelite, Katzmann 2002).

    Returns
    -------
    polars.DataFrame
        One row per subject with a baseline row: ``USUBJID``, ``MEASFL`` ("Y"/"N"/null when no
        criterion can be evaluated), ``MEASCRIT`` (the qualifying criteria, ``;``-separated),
        ``IFLC``, ``DFLC``, ``FLCRATIO``, ``SPEPMP``, ``AT_BOUNDARY``, ``RULEID``, ``EXPLAIN``.

    Notes
    -----
    The involved light chain is ``INVLC`` when given, else the larger of kappa and lambda.

    References
    ----------
    .. [1] Kastritis E, et al. N Engl J Med 2021;385:46-58 (ANDROMEDA), eligibility.
    """
    cols = set(assessments.columns)

    def col(name: str) -> pl.Expr:
        return pl.col(name).cast(pl.Float64) if name in cols else pl.lit(None, dtype=pl.Float64)

    inv = pl.col("INVLC") if "INVLC" in cols else pl.lit(None, dtype=pl.String)
    kap, lam = col("FLCKAP"), col("FLCLAM")
    base = assessments.filter(pl.col("ABLFL") == "Y").select(
        "USUBJID",
        col("SPEPMP").alias("SPEPMP"),
        pl.when(inv == "KAPPA")
        .then(kap)
        .when(inv == "LAMBDA")
        .then(lam)
        .otherwise(pl.max_horizontal(kap, lam))
        .alias("IFLC"),
        pl.when(inv == "KAPPA")
        .then(lam)
        .when(inv == "LAMBDA")
        .then(kap)
        .otherwise(pl.min_horizontal(kap, lam))
        .alias("UFLC"),
        (kap / lam).alias("FLCRATIO"),
    )
    spep = pl.col("SPEPMP").round(6) >= SPEP_MIN_G_DL
    abnormal = (pl.col("FLCRATIO") < ratio_low) | (pl.col("FLCRATIO") > ratio_high)
    iflc = (pl.col("IFLC").round(6) >= IFLC_MIN_MG_L) & abnormal
    dflc = (pl.col("IFLC") - pl.col("UFLC")).round(6) >= DFLC_MIN_MG_L
    out = base.with_columns((pl.col("IFLC") - pl.col("UFLC")).alias("DFLC")).with_columns(
        spep.alias("_S"), iflc.alias("_I"), dflc.alias("_D")
    )
    any_true = pl.any_horizontal(pl.col("_S"), pl.col("_I"), pl.col("_D"))
    all_known = pl.col("_S").is_not_null() & pl.col("_I").is_not_null() & pl.col("_D").is_not_null()
    meas = (
        pl.when(any_true.fill_null(value=False))
        .then(pl.lit("Y"))
        .when(all_known)
        .then(pl.lit("N"))
        .otherwise(None)
    )
    crit = pl.concat_str(
        [
            pl.when(pl.col("_S")).then(pl.lit("serum M-protein >= 0.5 g/dL")),
            pl.when(pl.col("_I")).then(pl.lit("iFLC >= 50 mg/L with abnormal ratio")),
            pl.when(pl.col("_D")).then(pl.lit("dFLC >= 50 mg/L")),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    boundary = (
        (pl.col("SPEPMP").round(6) == SPEP_MIN_G_DL)
        | (pl.col("IFLC").round(6) == IFLC_MIN_MG_L)
        | (pl.col("DFLC").round(6) == DFLC_MIN_MG_L)
    ).fill_null(value=False)
    values = pl.format(
        "serum M-protein {} g/dL, iFLC {} mg/L, dFLC {} mg/L, kappa/lambda ratio {}",
        pl.col("SPEPMP").round(3).cast(pl.String).fill_null("missing"),
        pl.col("IFLC").round(2).cast(pl.String).fill_null("missing"),
        pl.col("DFLC").round(2).cast(pl.String).fill_null("missing"),
        pl.col("FLCRATIO").round(4).cast(pl.String).fill_null("missing"),
    )
    return out.select(
        "USUBJID",
        meas.alias("MEASFL"),
        pl.when(crit == "").then(None).otherwise(crit).alias("MEASCRIT"),
        "IFLC",
        "DFLC",
        "FLCRATIO",
        "SPEPMP",
        boundary.alias("AT_BOUNDARY"),
        pl.lit(RULE_ID).alias("RULEID"),
        pl.format(
            "{}: {} ({})",
            pl.when(meas == "Y")
            .then(pl.lit("measurable"))
            .when(meas == "N")
            .then(pl.lit("not measurable"))
            .otherwise(pl.lit("not evaluable")),
            values,
            pl.coalesce(crit.replace("", None), pl.lit("no criterion met")),
        ).alias("EXPLAIN"),
    )
