"""Lines of therapy (Rajkumar 2015) and refractoriness (IMWG, Rajkumar 2011) from prior therapy.

Input: a *prior-therapy table*, one row per drug exposure:

========== ===================================================================================
Column     Meaning
========== ===================================================================================
USUBJID    subject
REGID      regimen id: drugs given together under one plan share it (required)
DRUG       drug name (generic or brand, see :mod:`plasmatrial.criteria.mm.drugs`); stem-cell
           transplants are rows with DRUG ``"AUTOLOGOUS SCT"``/``"ALLOGENEIC SCT"`` (or ASCT ...)
ASTDT      first dose date (required)
AENDT      last dose date (null = ongoing)
BESTRESP   best IMWG response on this exposure (sCR, CR, VGPR, PR, MR, SD, PD; optional)
PDDT       date of IMWG progression during or after this exposure (optional)
PLANFL     ``"Y"`` when the regimen is a planned part of the previous one's programme
           (consolidation, maintenance, planned SCT or tandem SCT) (optional)
DRUGCLASS  overrides the class table (optional)
DOSE       dose, used only when ``min_doses`` is given (optional)
========== ===================================================================================

All derivations are vectorised polars expressions (``.over("USUBJID")``), no Python loops.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from plasmatrial.criteria.mm.drugs import drug_class_expr, normalise_drug_expr
from plasmatrial.errors import RuleError
from plasmatrial.intake.flags import yes_no

__all__ = [
    "REFRACTORY_VERSION",
    "REFRACTORY_WINDOW_DAYS",
    "RESPONSE_RANK",
    "annotate_prior_therapy",
    "count_lines",
    "derive_lines_of_therapy",
    "derive_refractory_status",
]

REFRACTORY_VERSION: Final = "1.0.0"
REFRACTORY_WINDOW_DAYS: Final = 60
"""PD within 60 days of the last dose (``PDDT − AENDT ≤ 60`` calendar days) → refractory."""
RAJKUMAR_2015: Final = (
    "Rajkumar SV, Richardson P, San Miguel JF. Blood 2015;126(7):921-922. "
    "doi:10.1182/blood-2015-05-647636"
)
RAJKUMAR_2011: Final = (
    "Rajkumar SV et al. Blood 2011;117(18):4691-4695. doi:10.1182/blood-2010-10-299487"
)

RESPONSE_RANK: Final[dict[str, int]] = {
    "SCR": 7,
    "CR": 6,
    "VGPR": 5,
    "PR": 4,
    "MR": 3,
    "SD": 2,
    "PD": 1,
}
"""IMWG categories ranked best (7) to worst (1); NE and unknown values have no rank."""
MR_RANK: Final = RESPONSE_RANK["MR"]

LINE_TRIGGERS: Final[dict[str, str]] = {
    "FIRST": "first regimen: line 1",
    "L1": "previous regimen discontinued and a different regimen started (Rajkumar 2015, L1)",
    "L2": "unplanned addition or substitution of at least one drug (Rajkumar 2015, L2)",
    "L3": "stem-cell transplant not planned as part of the current programme (Rajkumar 2015, L3)",
    "AFTER_PD": "treatment started after progression on the current line (new line, CIBMTR "
    "example: restart of the same regimen after PD is a new line)",
    "PLANNED": "planned part of the current programme (induction → SCT → consolidation → "
    "maintenance, or planned tandem SCT): same line",
    "SAME_DRUGS": "same drugs as the previous regimen without intervening PD (dose change or "
    "pause and restart): same line",
    "SUBSET": "continuation of some of the previous regimen's drugs (stopping some but not all "
    "drugs): same line",
}


def _opt(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype)


def _prepare(prior_therapy: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in ("USUBJID", "REGID", "DRUG", "ASTDT") if c not in prior_therapy.columns]
    if missing:
        raise RuleError(
            f"prior_therapy: missing column(s) {', '.join(missing)}; "
            f"found {', '.join(prior_therapy.columns)}"
        )
    frame = prior_therapy.with_columns(normalise_drug_expr("DRUG").alias("DRUG"))
    cls = (
        pl.coalesce(pl.col("DRUGCLASS").cast(pl.String).str.to_uppercase(), drug_class_expr("DRUG"))
        if "DRUGCLASS" in frame.columns
        else drug_class_expr("DRUG")
    )
    resp = _opt(frame, "BESTRESP", pl.String()).cast(pl.String).str.strip_chars().str.to_uppercase()
    return frame.with_columns(
        cls.alias("DRUGCLASS"),
        pl.col("REGID").cast(pl.String),
        _opt(frame, "AENDT", pl.Date()).alias("AENDT"),
        _opt(frame, "PDDT", pl.Date()).alias("PDDT"),
        yes_no(frame, "PLANFL", absent=False).fill_null(False).alias("_PLANNED"),
        resp.replace_strict(RESPONSE_RANK, default=None, return_dtype=pl.Int8).alias("RESPRANK"),
    )


def _regimens(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per subject-regimen with the line-of-therapy decision (vectorised)."""
    reg = (
        frame.group_by("USUBJID", "REGID")
        .agg(
            pl.col("ASTDT").min().alias("_START"),
            pl.when(pl.col("AENDT").is_null().any())
            .then(None)
            .otherwise(pl.col("AENDT").max())
            .alias("_END"),
            pl.col("DRUG").unique().sort().alias("_DRUGS"),
            pl.col("_PLANNED").any().alias("_PLAN"),
            (pl.col("DRUGCLASS") == "SCT").any().alias("_SCT"),
            pl.col("PDDT").min().alias("_PD"),
        )
        .sort("USUBJID", "_START", "REGID")
    )
    by = "USUBJID"
    prev_start = pl.col("_START").shift(1).over(by)
    prev_end = pl.col("_END").shift(1).over(by)
    prev_drugs = pl.col("_DRUGS").shift(1).over(by)
    latest_pd = pl.col("_PD").cum_max().shift(1).over(by)
    is_first = pl.int_range(pl.len()).over(by) == 0
    after_pd = (latest_pd >= prev_start) & (latest_pd <= pl.col("_START"))
    same = pl.col("_DRUGS") == prev_drugs
    subset = pl.col("_DRUGS").list.set_difference(prev_drugs).list.len() == 0
    prev_ongoing = prev_end.is_null() | (prev_end >= pl.col("_START"))
    trigger = (
        pl.when(is_first)
        .then(pl.lit("FIRST"))
        .when(after_pd.fill_null(False))
        .then(pl.lit("AFTER_PD"))
        .when(pl.col("_SCT") & ~pl.col("_PLAN"))
        .then(pl.lit("L3"))
        .when(pl.col("_PLAN"))
        .then(pl.lit("PLANNED"))
        .when(same.fill_null(False))
        .then(pl.lit("SAME_DRUGS"))
        .when(subset.fill_null(False))
        .then(pl.lit("SUBSET"))
        .when(prev_ongoing.fill_null(True))
        .then(pl.lit("L2"))
        .otherwise(pl.lit("L1"))
    )
    new_line = trigger.is_in(["FIRST", "AFTER_PD", "L1", "L2", "L3"])
    return reg.with_columns(trigger.alias("LINETRIG")).with_columns(
        new_line.cast(pl.Int32).cum_sum().over(by).alias("LINE"),
        pl.col("LINETRIG").replace_strict(LINE_TRIGGERS, return_dtype=pl.String).alias("LINEEXPL"),
    )


def derive_lines_of_therapy(prior_therapy: pl.DataFrame) -> pl.DataFrame:
    """Number the lines of therapy of every regimen (Rajkumar, Richardson, San Miguel 2015).

    Parameters
    ----------
    prior_therapy
        Prior-therapy table (module docstring).

    Returns
    -------
    pl.DataFrame
        One row per subject-regimen: ``USUBJID, REGID, REGSTDT, REGENDT, DRUGS (list), LINE,
        LINETRIG, LINEEXPL, LINE_RULESET ("RAJKUMAR_2015"), LINE_RULESETVER``.

    Notes
    -----
    Regimens are ordered by first dose. For each regimen after the first, the first matching
    row of this list decides:

    1. progression (``PDDT`` of an earlier regimen) between the previous regimen's start and this
       start → new line (``AFTER_PD``; restart of the same regimen after PD is a new line);
    2. an SCT row not flagged ``PLANFL`` → new line (``L3``);
    3. ``PLANFL == "Y"`` → same line (planned sequence or planned tandem SCT);
    4. same set of drugs as the previous regimen → same line (dose change, pause and restart
       without PD: **DEFAULT**, decision 0402);
    5. a subset of the previous regimen's drugs → same line (stopping some but not all drugs);
    6. previous regimen still given at this start → new line (``L2``, unplanned addition or
       substitution);
    7. otherwise → new line (``L1``, regimen stopped and a different one started).

    References
    ----------
    .. [1] Rajkumar SV, Richardson P, San Miguel JF. Guidelines for determination of the number of
       prior lines of therapy in multiple myeloma. Blood 2015;126(7):921-922.
    """
    reg = _regimens(_prepare(prior_therapy))
    return reg.select(
        "USUBJID",
        "REGID",
        pl.col("_START").alias("REGSTDT"),
        pl.col("_END").alias("REGENDT"),
        pl.col("_DRUGS").alias("DRUGS"),
        "LINE",
        "LINETRIG",
        "LINEEXPL",
        pl.lit("RAJKUMAR_2015").alias("LINE_RULESET"),
        pl.lit(REFRACTORY_VERSION).alias("LINE_RULESETVER"),
    )


def count_lines(prior_therapy: pl.DataFrame) -> pl.DataFrame:
    """Number of prior lines per subject (``USUBJID, NLINES``); see :func:`derive_lines_of_therapy`.

    Parameters
    ----------
    prior_therapy
        Prior-therapy table (module docstring).

    Returns
    -------
    pl.DataFrame
        ``USUBJID, NLINES``.
    """
    lines = derive_lines_of_therapy(prior_therapy)
    return lines.group_by("USUBJID").agg(pl.col("LINE").max().alias("NLINES")).sort("USUBJID")


def annotate_prior_therapy(
    prior_therapy: pl.DataFrame,
    *,
    window_days: int = REFRACTORY_WINDOW_DAYS,
    nonresponse_is_refractory: bool = True,
    min_doses: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """Add line numbers and exposure-level refractoriness to a prior-therapy table.

    Parameters
    ----------
    prior_therapy
        Prior-therapy table (module docstring).
    window_days
        PD at most this many days after the last dose counts as refractory (default 60).
    nonresponse_is_refractory
        Count failure to reach MR (best response SD or PD) as refractory (default ``True``).
    min_doses
        Optional ``{drug: minimum dose}``: exposures below the dose do not count for
        refractoriness (protocols that do not say "at any dose"). Needs a ``DOSE`` column.
        ``None`` (default) = at any dose.

    Returns
    -------
    pl.DataFrame
        The table with ``DRUG`` normalised and ``DRUGCLASS, RESPRANK, LINE, LINETRIG, LASTLINEFL,
        PDWINFL`` (PD on therapy or ≤ ``window_days`` after the last dose), ``NONRESPFL``,
        ``REFRFL``, ``REFREXPL``, ``LINEPDWINFL``, ``LINENONRFL`` and ``LINEREFRFL`` (the same
        at line level: last dose of any drug of the line, best response on the line).

    Notes
    -----
    ``PDWINFL = PDDT ≥ ASTDT and (AENDT is null or PDDT − AENDT ≤ window_days)``; with
    ``window_days = 60`` a PD 60 days after the last dose is refractory and 61 days is not.
    """
    if window_days < 0:
        raise RuleError(f"window_days must be ≥ 0, got {window_days!r}")
    frame = _prepare(prior_therapy)
    reg = _regimens(frame).select("USUBJID", "REGID", "LINE", "LINETRIG")
    frame = frame.join(reg, on=["USUBJID", "REGID"], how="left")
    dose_ok: pl.Expr = pl.lit(True)
    if min_doses:
        if "DOSE" not in frame.columns:
            raise RuleError("min_doses given but prior_therapy has no DOSE column")
        need = pl.col("DRUG").replace_strict(
            {k.upper(): v for k, v in min_doses.items()}, default=None, return_dtype=pl.Float64
        )
        dose_ok = need.is_null() | (pl.col("DOSE").cast(pl.Float64) >= need).fill_null(False)
    gap = (pl.col("PDDT") - pl.col("AENDT")).dt.total_days()
    pd_win = (
        (pl.col("PDDT") >= pl.col("ASTDT")) & (pl.col("AENDT").is_null() | (gap <= window_days))
    ).fill_null(False)
    nonresp = (pl.col("RESPRANK") < MR_RANK).fill_null(False) & pl.lit(nonresponse_is_refractory)
    refr = (pd_win | nonresp) & dose_ok
    by_line = ("USUBJID", "LINE")
    line_start = pl.col("ASTDT").min().over(by_line)
    line_end = (
        pl.when(pl.col("AENDT").is_null().any()).then(None).otherwise(pl.col("AENDT").max())
    ).over(by_line)
    line_pd = pl.col("PDDT").filter(pl.col("PDDT") >= line_start).min().over(by_line)
    line_gap = (line_pd - line_end).dt.total_days()
    line_pd_win = (
        line_pd.is_not_null() & (line_end.is_null() | (line_gap <= window_days))
    ).fill_null(False)
    line_nonresp = (pl.col("RESPRANK").max().over(by_line) < MR_RANK).fill_null(False) & pl.lit(
        nonresponse_is_refractory
    )
    explain = (
        pl.when(~dose_ok)
        .then(pl.lit("not counted: dose below the protocol minimum"))
        .when(pd_win & pl.col("AENDT").is_null())
        .then(pl.format("PD on {} while on therapy", pl.col("PDDT")))
        .when(pd_win)
        .then(pl.format("PD {} days after the last dose (≤ {})", gap, pl.lit(window_days)))
        .when(nonresp)
        .then(pl.format("best response {} (failure to reach MR)", pl.col("BESTRESP")))
        .when(pl.col("PDDT").is_not_null())
        .then(
            pl.format(
                "PD {} days after the last dose (> {}): not refractory", gap, pl.lit(window_days)
            )
        )
        .otherwise(pl.lit("no PD within the window and MR or better (or response unknown)"))
    )
    return frame.with_columns(
        (pl.col("LINE") == pl.col("LINE").max().over("USUBJID")).alias("LASTLINEFL"),
        pd_win.alias("PDWINFL"),
        nonresp.alias("NONRESPFL"),
        refr.alias("REFRFL"),
        explain.alias("REFREXPL"),
        line_pd_win.alias("LINEPDWINFL"),
        line_nonresp.alias("LINENONRFL"),
        (line_pd_win | line_nonresp).alias("LINEREFRFL"),
    ).drop("_PLANNED")


def derive_refractory_status(
    prior_therapy: pl.DataFrame,
    *,
    window_days: int = REFRACTORY_WINDOW_DAYS,
    nonresponse_is_refractory: bool = True,
    min_doses: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """Patient-level disease state and drug/class refractoriness (criteria.md 5.1).

    Parameters
    ----------
    prior_therapy
        Prior-therapy table (module docstring).
    window_days, nonresponse_is_refractory, min_doses
        As in :func:`annotate_prior_therapy`.

    Returns
    -------
    pl.DataFrame
        One row per subject: ``USUBJID, NLINES, DSSTATE`` (``PRIMARY_REFRACTORY``,
        ``RELAPSED_AND_REFRACTORY``, ``RELAPSED``, ``NOT_PROGRESSED``, ``NOT_EVALUABLE``),
        ``EVERMRFL, LASTREFRFL, REFRDRUGS`` (sorted list), ``IMIDREFRFL, PIREFRFL, CD38REFRFL,
        DCREFRFL`` (double-class: IMiD and PI), ``TCREFRFL`` (triple-class: plus anti-CD38),
        ``DSEXPL, REFR_RULESET, REFR_RULESETVER``.

    Notes
    -----
    1. Primary refractory: response known on at least one exposure and never MR or better.
    2. Relapsed and refractory: MR or better at some point and the last line refractory (PD on
       it or ≤ ``window_days`` after its last dose, or best response on it below MR).
    3. Relapsed: a PD is recorded and neither of the above.
    4. Class labels (double/triple-class refractory) are trial usage, not IMWG text.

    References
    ----------
    .. [1] Rajkumar SV et al. Consensus recommendations for the uniform reporting of clinical
       trials. Blood 2011;117(18):4691-4695.
    """
    ann = annotate_prior_therapy(
        prior_therapy,
        window_days=window_days,
        nonresponse_is_refractory=nonresponse_is_refractory,
        min_doses=min_doses,
    )

    def class_refr(cls: str) -> pl.Expr:
        return (pl.col("REFRFL") & (pl.col("DRUGCLASS") == cls)).any()

    out = ann.group_by("USUBJID").agg(
        pl.col("LINE").max().alias("NLINES"),
        (pl.col("RESPRANK") >= MR_RANK).any().alias("EVERMRFL"),
        pl.col("RESPRANK").is_not_null().any().alias("_RESPKNOWN"),
        pl.col("LINEREFRFL").filter(pl.col("LASTLINEFL")).any().alias("LASTREFRFL"),
        pl.col("PDDT").is_not_null().any().alias("_ANYPD"),
        pl.col("DRUG")
        .filter(pl.col("REFRFL") & (pl.col("DRUGCLASS") != "SCT"))
        .unique()
        .sort()
        .alias("REFRDRUGS"),
        class_refr("IMID").alias("IMIDREFRFL"),
        class_refr("PI").alias("PIREFRFL"),
        class_refr("ANTI_CD38").alias("CD38REFRFL"),
    )
    state = (
        pl.when(~pl.col("EVERMRFL") & pl.col("_RESPKNOWN"))
        .then(pl.lit("PRIMARY_REFRACTORY"))
        .when(pl.col("EVERMRFL") & pl.col("LASTREFRFL"))
        .then(pl.lit("RELAPSED_AND_REFRACTORY"))
        .when(pl.col("_ANYPD"))
        .then(pl.lit("RELAPSED"))
        .when(pl.col("_RESPKNOWN"))
        .then(pl.lit("NOT_PROGRESSED"))
        .otherwise(pl.lit("NOT_EVALUABLE"))
    )
    texts = {
        "PRIMARY_REFRACTORY": "never achieved MR or better with any therapy",
        "RELAPSED_AND_REFRACTORY": "achieved MR or better earlier; last line refractory (PD on "
        f"therapy or ≤ {window_days} days after its last dose, or no MR on it)",
        "RELAPSED": "progressed, not refractory to the last line",
        "NOT_PROGRESSED": "no progression recorded",
        "NOT_EVALUABLE": "no response and no progression data",
    }
    return (
        out.with_columns(state.alias("DSSTATE"))
        .with_columns(
            (pl.col("IMIDREFRFL") & pl.col("PIREFRFL")).alias("DCREFRFL"),
            (pl.col("IMIDREFRFL") & pl.col("PIREFRFL") & pl.col("CD38REFRFL")).alias("TCREFRFL"),
            pl.format(
                "{}: {} ({} line(s); refractory to: {})",
                pl.col("DSSTATE"),
                pl.col("DSSTATE").replace_strict(texts, return_dtype=pl.String),
                pl.col("NLINES"),
                pl.col("REFRDRUGS").list.join(", ").replace("", "none"),
            ).alias("DSEXPL"),
            pl.lit("IMWG_RAJKUMAR_2011").alias("REFR_RULESET"),
            pl.lit(REFRACTORY_VERSION).alias("REFR_RULESETVER"),
        )
        .drop("_RESPKNOWN", "_ANYPD")
        .sort("USUBJID")
    )
