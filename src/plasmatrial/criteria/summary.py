"""Per-subject summaries of adjudicated visits: best response, time to first response, evaluability."""

from __future__ import annotations

from typing import Final

import polars as pl

from plasmatrial.criteria.engine import prepare
from plasmatrial.criteria.predicates import BASELINE_FLAG
from plasmatrial.criteria.rules import RuleSet, get_rule_set

#: Hematologic categories best first. LDPR ranks below PR: it is its own code (criteria.md 1.4)
#: and never co-occurs with PR/VGPR for one subject, whose evaluability class is fixed.
HEM_RANKING: Final = ("CR", "VGPR", "PR", "LDPR", "NR", "NE")
PR_OR_BETTER: Final = ("CR", "VGPR", "PR")


def _before_progression(
    adjudicated: pl.DataFrame, paramcd: str, new_therapy: pl.DataFrame | None
) -> pl.DataFrame:
    d = adjudicated.filter(pl.col("PARAMCD") == paramcd).sort(["USUBJID", "ADT"])
    d = d.with_columns(
        (pl.col("AVALC") == "PROG").cast(pl.Int32).cum_sum().over("USUBJID").alias("__NPROG")
    )
    d = d.filter(
        (pl.col("__NPROG") == 0) | ((pl.col("__NPROG") == 1) & (pl.col("AVALC") == "PROG"))
    )
    if new_therapy is not None:
        d = d.join(new_therapy.select("USUBJID", "NTRTDT"), on="USUBJID", how="left").filter(
            pl.col("NTRTDT").is_null() | (pl.col("ADT") < pl.col("NTRTDT"))
        )
    return d


def best_response(
    adjudicated: pl.DataFrame,
    *,
    paramcd: str = "HEMRESP",
    new_therapy: pl.DataFrame | None = None,
    ranking: tuple[str, ...] = HEM_RANKING,
) -> pl.DataFrame:
    """Best hematologic response per subject before progression and subsequent therapy.

    Parameters
    ----------
    adjudicated:
        Output of :func:`~plasmatrial.criteria.engine.adjudicate`.
    paramcd:
        Per-visit parameter to summarise (default HEMRESP).
    new_therapy:
        Optional frame with USUBJID and NTRTDT (start of subsequent therapy); visits on or after it
        are ignored.
    ranking:
        Categories best first (default CR > VGPR > PR > LDPR > NR > NE).

    Returns
    -------
    pl.DataFrame
        USUBJID, PARAMCD ("BEST" + paramcd), AVALC, ADT (first visit at that level), RULEID,
        RULESET, RULESETVER, EXPLAIN.

    Notes
    -----
    Visits up to the first progression are considered (the progression visit itself only
    contributes its response column value via HEMCAT; its HEMRESP is PROG and ranks below NE).
    Ties keep the earliest visit.
    """
    rank = {c: i for i, c in enumerate(ranking)}
    d = _before_progression(adjudicated, paramcd, new_therapy).with_columns(
        pl.col("AVALC")
        .replace_strict(rank, default=len(ranking), return_dtype=pl.Int32)
        .alias("__R")
    )
    best = d.sort(["USUBJID", "__R", "ADT"]).group_by("USUBJID", maintain_order=True).first()
    return best.select(
        "USUBJID",
        pl.lit(f"BEST{paramcd}").alias("PARAMCD"),
        pl.when(pl.col("__R") >= len(ranking))
        .then(pl.lit("NE"))
        .otherwise(pl.col("AVALC"))
        .alias("AVALC"),
        "ADT",
        "RULEID",
        "RULESET",
        "RULESETVER",
        pl.concat_str(
            [
                pl.lit("best response "),
                pl.col("AVALC"),
                pl.lit(" first reached "),
                pl.col("ADT").dt.to_string("%Y-%m-%d"),
                pl.lit(" ("),
                pl.col("VISIT").fill_null(""),
                pl.lit("): "),
                pl.col("EXPLAIN"),
            ]
        ).alias("EXPLAIN"),
    )


def time_to_first_response(
    adjudicated: pl.DataFrame,
    first_dose: pl.DataFrame,
    *,
    paramcd: str = "HEMRESP",
    responses: tuple[str, ...] = PR_OR_BETTER,
    new_therapy: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Days from first dose to the first PR-or-better visit, with censoring.

    Parameters
    ----------
    adjudicated:
        Output of :func:`~plasmatrial.criteria.engine.adjudicate`.
    first_dose:
        Frame with USUBJID and TRTSDT (date of first dose).
    paramcd:
        Per-visit parameter (default HEMRESP).
    responses:
        Categories counting as response (default CR, VGPR, PR; add ``"LDPR"`` if the SAP maps
        low-dFLC PR to "PR or better").
    new_therapy:
        Optional USUBJID/NTRTDT frame; visits on or after subsequent therapy are ignored.

    Returns
    -------
    pl.DataFrame
        USUBJID, PARAMCD ("TTFR"), AVAL (days, ADT − TRTSDT), ADT, CNSR (0 event, 1 censored),
        EVNTDESC; censored subjects at their last evaluable (non-NE) visit before progression,
        or at first dose (AVAL 0) without one.
    """
    d = _before_progression(adjudicated, paramcd, new_therapy).filter(pl.col("AVALC") != "PROG")
    resp = (
        d.filter(pl.col("AVALC").is_in(list(responses)))
        .group_by("USUBJID")
        .agg(pl.col("ADT").min().alias("__EVT"))
    )
    last = (
        d.filter(pl.col("AVALC") != "NE")
        .group_by("USUBJID")
        .agg(pl.col("ADT").max().alias("__LAST"))
    )
    out = (
        first_dose.select("USUBJID", pl.col("TRTSDT").cast(pl.Date))
        .join(resp, on="USUBJID", how="left")
        .join(last, on="USUBJID", how="left")
        .with_columns(
            pl.coalesce("__EVT", "__LAST", "TRTSDT").alias("ADT"),
            pl.when(pl.col("__EVT").is_not_null()).then(0).otherwise(1).alias("CNSR"),
        )
    )
    return out.select(
        "USUBJID",
        pl.lit("TTFR").alias("PARAMCD"),
        (pl.col("ADT") - pl.col("TRTSDT")).dt.total_days().alias("AVAL"),
        "ADT",
        "CNSR",
        pl.when(pl.col("CNSR") == 0)
        .then(pl.lit(f"first {'/'.join(responses)}"))
        .when(pl.col("__LAST").is_not_null())
        .then(pl.lit("censored at last evaluable assessment"))
        .otherwise(pl.lit("censored at first dose (no evaluable assessment)"))
        .alias("EVNTDESC"),
    ).sort("USUBJID")


def evaluability(
    assessments: pl.DataFrame, rule_set: RuleSet | str = "CR_2012_RATIO"
) -> pl.DataFrame:
    """Per-subject evaluability decided at baseline.

    Parameters
    ----------
    assessments:
        Wide assessment frame.
    rule_set:
        AL rule set (or its name).

    Returns
    -------
    pl.DataFrame
        USUBJID, INVLC (given or inferred), INVLC_INFERRED, HEMEVAL (DFLC_MEASURABLE, LOW_DFLC,
        MPROTEIN_ONLY, CR_ONLY or NE), DFLC at baseline, AT_BOUNDARY (a baseline input equals an
        evaluability threshold, ruling R8), and <PARAMCD>_EVALUABLE for each gated table.
    """
    rs = get_rule_set(rule_set) if isinstance(rule_set, str) else rule_set
    wide = prepare(assessments, rs).filter(pl.col(BASELINE_FLAG))
    gated = [t for t in rs.tables if t.population is not None and t.emit]
    cols: list[pl.Expr] = [
        pl.col("USUBJID"),
        pl.col("INVLCD").alias("INVLC"),
        pl.col("INVLC_INFERRED"),
    ]
    if "HEMEVAL" in wide.columns:
        cols += [
            pl.col("HEMEVAL"),
            pl.col("DFLC"),
            pl.col("HEMEVAL__BOUNDARY").alias("AT_BOUNDARY"),
        ]
    cols += [(pl.col(f"{t.paramcd}__W") >= 0).alias(f"{t.paramcd}_EVALUABLE") for t in gated]
    return wide.select(cols).unique("USUBJID", keep="last", maintain_order=True)
