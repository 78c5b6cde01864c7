"""Per-subject summaries of adjudicated visits: best response, time to first response, evaluability."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Final

import polars as pl

from plasmatrial._results import ResultMixin
from plasmatrial.criteria.core.confirmation import (
    DEFAULT_CONFIRMATION_OPTIONS,
    ConfirmationOptions,
    ConfirmationWindowWarning,
    confirm_response,
)
from plasmatrial.criteria.core.engine import prepare
from plasmatrial.criteria.core.predicates import BASELINE_FLAG
from plasmatrial.criteria.core.registry import get_rule_set
from plasmatrial.criteria.core.rules import RuleSet
from plasmatrial.criteria.core.scale import (
    AL_SCALE,
    HEM_RANKING,
    PR_OR_BETTER,
    ResponseScale,
)
from plasmatrial.errors import RuleError
from plasmatrial.intake.dates import as_date

#: EVNTDESC of the time-to-response rows (ADTTE ``TTR`` and the subject summary).
TTR_EVENT: Final = "FIRST RESPONSE"
TTR_PROGRESSION: Final = "PROGRESSION BEFORE RESPONSE"
TTR_DEATH: Final = "DEATH BEFORE RESPONSE"
TTR_NEW_THERAPY: Final = "NEW ANTICANCER THERAPY BEFORE RESPONSE"
TTR_LAST: Final = "LAST ADEQUATE ASSESSMENT"
TTR_NONE: Final = "NO ADEQUATE ASSESSMENT"
#: Competing events of time to response (sap.md section 3 (b)).
TTR_COMPETING: Final = (TTR_PROGRESSION, TTR_DEATH)


@dataclass(frozen=True, slots=True, repr=False)
class ResponseSummary(ResultMixin):
    """Subject-level response derived once for ``respond``, ``run`` and the report.

    Attributes
    ----------
    visits:
        The per-visit calls with ``BORLVL`` (the level best response reads: the confirmed level
        under confirmation, else the call), ``ANL01FL`` ("Y": counts for best response, i.e.
        before new therapy and up to the first progression) and, under confirmation, the
        columns of :func:`~plasmatrial.criteria.core.confirmation.confirm_response`.
    subjects:
        One row per subject: ``BESTRSP``, ``BESTRSDT``, ``BESTEXPL``, ``RSPFL`` (best response
        among the responder categories), ``FRSPDT`` (first response counted), ``PDDT`` (first
        progression counted), ``LSTASDT`` (last adequate assessment counted), ``NACTDT``,
        ``TTR`` (days from ``STARTDT``), ``TTRCNSR`` (0 response, 1 otherwise), ``TTREVNT``
        (``FIRST RESPONSE`` or why not: ``PROGRESSION BEFORE RESPONSE``, ``DEATH BEFORE
        RESPONSE``, ``NEW ANTICANCER THERAPY BEFORE RESPONSE``, ``LAST ADEQUATE ASSESSMENT``,
        ``NO ADEQUATE ASSESSMENT``) and ``TTRDT`` (its date).
    responder:
        The categories counted as response.
    """

    visits: pl.DataFrame
    subjects: pl.DataFrame
    responder: tuple[str, ...]

    def to_frame(self) -> pl.DataFrame:
        """The subject-level frame."""
        return self.subjects


def summarise_response(
    visits: pl.DataFrame,
    subjects: pl.DataFrame,
    *,
    scale: ResponseScale,
    responder: tuple[str, ...],
    confirm: bool | None = None,
    options: ConfirmationOptions = DEFAULT_CONFIRMATION_OPTIONS,
    sd_min_days: int = 0,
    exclude_after_new_therapy: bool = True,
    add_one: bool = True,
    warn: bool = False,
) -> ResponseSummary:
    """Best overall response, first response and time to response: the one derivation.

    Parameters
    ----------
    visits:
        Post-baseline per-visit calls of one parameter: ``USUBJID``, ``ADT``, ``AVALC`` and
        optionally ``VISIT``, ``EXPLAIN``, ``RULEID``, ``FLAGS`` (rows with ``ABLFL == "Y"``
        are dropped).
    subjects:
        Every subject that needs a row (the analysis population): ``USUBJID``, ``STARTDT``
        (time origin) and optionally ``NACTDT`` (start of new anticancer therapy), ``DTHDT``
        and ``DTHPDFL`` (death due to progression, confirms a last PD).
    scale:
        The rule set's response scale (``RuleSet.response.scale``: e.g.
        :data:`~plasmatrial.criteria.core.scale.AL_SCALE`, :data:`~plasmatrial.criteria.core.scale.IMWG_SCALE`).
    responder:
        Categories that count as response (e.g. CR, VGPR, PR and, when the trial counts it,
        LDPR).
    confirm:
        Confirm responses (DEFAULT: when the scale has a confirmation spec).
    options:
        Confirmation options (sap.md section 2).
    sd_min_days:
        The stable category counts for best response only from this many days after
        ``STARTDT``.
    exclude_after_new_therapy:
        DEFAULT True: assessments on or after ``NACTDT`` do not count (sap.md section 2);
        False is a sensitivity analysis.
    add_one:
        ``TTR = TTRDT - STARTDT + 1`` (ADaM ``derive_vars_duration(add_one = TRUE)``, as ADTTE);
        False gives the plain difference.
    warn:
        Warn about confirmations more than the spec's period apart.

    Returns
    -------
    ResponseSummary

    Notes
    -----
    sap.md sections 2-3 and criteria.md 4.4, 6.1:

    1. Assessments before ``NACTDT`` count; under confirmation each visit's level is its
       confirmed level (:func:`~plasmatrial.criteria.core.confirmation.confirm_response`).
    2. The window ends at the first progression (included, ``ANL01FL = "Y"``).
    3. BOR is the best level in the window before that progression; when nothing better than NE
       precedes it, BOR is the progression; without either, NE.
    4. The first response is the first window visit at a responder level, for subjects whose
       BOR is a responder level (so ``RSPFL`` and ``TTRCNSR`` never disagree).
    5. Without response: progression before response and death before response (and before new
       therapy) are competing events (sap.md 3 (b)); otherwise censored at the last adequate
       assessment counted, or at ``STARTDT`` without one.
    """
    do_confirm = scale.confirmation is not None if confirm is None else confirm
    if "STARTDT" not in subjects.columns:
        raise RuleError("subjects: needs a STARTDT column (time origin)")
    subj = subjects.select(
        pl.col("USUBJID").cast(pl.Utf8),
        as_date(subjects, "STARTDT").alias("STARTDT"),
        as_date(subjects, "NACTDT").alias("NACTDT"),
        as_date(subjects, "DTHDT").alias("DTHDT"),
        (
            pl.col("DTHPDFL").cast(pl.Utf8)
            if "DTHPDFL" in subjects.columns
            else pl.lit(None, dtype=pl.Utf8).alias("DTHPDFL")
        ),
    ).unique("USUBJID", keep="first", maintain_order=True)
    v = visits
    if "ABLFL" in v.columns:
        v = v.filter(pl.col("ABLFL").cast(pl.Utf8).fill_null("N") != "Y")
    for col, dtype in (("VISIT", pl.Utf8), ("EXPLAIN", pl.Utf8), ("FLAGS", pl.Utf8)):
        if col not in v.columns:
            v = v.with_columns(pl.lit(None, dtype=dtype).alias(col))
    v = v.with_columns(pl.col("ADT").cast(pl.Date), pl.col("USUBJID").cast(pl.Utf8))
    v = v.drop([c for c in ("NACTDT",) if c in v.columns]).join(
        subj.select("USUBJID", "NACTDT"), on="USUBJID", how="left"
    )
    if not exclude_after_new_therapy:
        v = v.with_columns(pl.lit(None, dtype=pl.Date).alias("NACTDT"))
    if do_confirm:
        conf_spec = scale.confirmation_spec()
        deaths = subj.select("USUBJID", "DTHDT", pl.col("DTHPDFL").fill_null("N"))
        with warnings.catch_warnings():
            if not warn:
                warnings.simplefilter("ignore", ConfirmationWindowWarning)
            v = confirm_response(v, spec=conf_spec, deaths=deaths, warn=warn, options=options)
        v = v.with_columns(pl.col("CONFLVL").alias("BORLVL"))
    else:
        v = v.sort(["USUBJID", "ADT"], maintain_order=True).with_columns(
            pl.when(pl.col("NACTDT").is_null() | (pl.col("ADT") < pl.col("NACTDT")))
            .then(pl.lit("Y"))
            .otherwise(pl.lit("N"))
            .alias("ANL01FL")
        )
        v = v.with_columns(pl.when(pl.col("ANL01FL") == "Y").then(pl.col("AVALC")).alias("BORLVL"))
    # Window: before new therapy (ANL01FL) and up to the first progression, included.
    is_pd = (pl.col("BORLVL") == scale.progression).fill_null(False)
    npd = (is_pd & (pl.col("ANL01FL") == "Y")).cast(pl.Int32).cum_sum().over("USUBJID")
    v = v.with_columns(
        pl.when((pl.col("ANL01FL") == "Y") & ((npd == 0) | (is_pd & (npd == 1))))
        .then(pl.lit("Y"))
        .otherwise(pl.lit("N"))
        .alias("ANL01FL")
    )
    win = v.filter(pl.col("ANL01FL") == "Y").join(
        subj.select("USUBJID", "STARTDT"), on="USUBJID", how="left"
    )
    rank = {c: i for i, c in enumerate(scale.ranking)}
    early_sd = (pl.col("BORLVL") == scale.stable) & (
        (pl.col("ADT") - pl.col("STARTDT")).dt.total_days() < sd_min_days
    ).fill_null(False)
    ranked = win.filter(
        pl.col("BORLVL").is_in(list(scale.ranking)) & ~(early_sd if sd_min_days else pl.lit(False))
    ).with_columns(
        pl.col("BORLVL").replace_strict(rank, default=len(rank), return_dtype=pl.Int32).alias("_R")
    )
    best = (
        ranked.sort(["USUBJID", "_R", "ADT"])
        .group_by("USUBJID", maintain_order=True)
        .first()
        .select(
            "USUBJID",
            pl.col("BORLVL").alias("_BEST"),
            pl.col("ADT").alias("_BESTDT"),
            pl.col("VISIT").alias("_BESTVIS"),
            pl.col("EXPLAIN").alias("_BESTEXPL"),
        )
    )
    pd = (
        win.filter(pl.col("BORLVL") == scale.progression)
        .group_by("USUBJID")
        .agg(
            pl.col("ADT").min().alias("PDDT"),
            pl.col("VISIT").first().alias("_PDVIS"),
            pl.col("EXPLAIN").first().alias("_PDEXPL"),
        )
    )
    adequate = win.filter(
        pl.col("BORLVL").is_not_null() & (pl.col("BORLVL") != scale.not_evaluable)
    )
    last = adequate.group_by("USUBJID").agg(pl.col("ADT").max().alias("LSTASDT"))
    n_post = v.group_by("USUBJID").agg(pl.len().alias("_NPOST"))
    first_rsp = (
        win.filter(pl.col("BORLVL").is_in(list(responder)))
        .group_by("USUBJID")
        .agg(pl.col("ADT").min().alias("_FRSP"))
    )
    s = (
        subj.join(best, on="USUBJID", how="left")
        .join(pd, on="USUBJID", how="left")
        .join(last, on="USUBJID", how="left")
        .join(n_post, on="USUBJID", how="left")
        .join(first_rsp, on="USUBJID", how="left")
    )
    bor = (
        pl.when(pl.col("_BEST").is_not_null())
        .then(pl.col("_BEST"))
        .when(pl.col("PDDT").is_not_null())
        .then(pl.lit(scale.progression))
        .otherwise(pl.lit(scale.not_evaluable))
    )
    s = s.with_columns(
        bor.alias("BESTRSP"),
        pl.coalesce("_BESTDT", pl.when(pl.col("_BEST").is_null()).then(pl.col("PDDT"))).alias(
            "BESTRSDT"
        ),
    )
    rspfl = pl.col("BESTRSP").is_in(list(responder))
    s = s.with_columns(
        pl.when(rspfl).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("RSPFL"),
        pl.when(rspfl).then(pl.col("_FRSP")).alias("FRSPDT"),
    )
    dth_first = pl.col("DTHDT").is_not_null() & (
        pl.col("NACTDT").is_null() | (pl.col("DTHDT") < pl.col("NACTDT"))
    )
    evnt = (
        pl.when(pl.col("FRSPDT").is_not_null())
        .then(pl.lit(TTR_EVENT))
        .when(pl.col("PDDT").is_not_null())
        .then(pl.lit(TTR_PROGRESSION))
        .when(dth_first)
        .then(pl.lit(TTR_DEATH))
        .when(pl.col("NACTDT").is_not_null() & pl.lit(exclude_after_new_therapy))
        .then(pl.lit(TTR_NEW_THERAPY))
        .when(pl.col("LSTASDT").is_not_null())
        .then(pl.lit(TTR_LAST))
        .otherwise(pl.lit(TTR_NONE))
    )
    s = s.with_columns(evnt.alias("TTREVNT"))
    e = pl.col("TTREVNT")
    s = s.with_columns(
        pl.when(e == TTR_EVENT)
        .then(pl.col("FRSPDT"))
        .when(e == TTR_PROGRESSION)
        .then(pl.col("PDDT"))
        .when(e == TTR_DEATH)
        .then(pl.col("DTHDT"))
        .otherwise(pl.coalesce("LSTASDT", "STARTDT"))
        .alias("TTRDT"),
        pl.when(e == TTR_EVENT).then(0).otherwise(1).cast(pl.Int8).alias("TTRCNSR"),
    )
    s = s.with_columns(
        ((pl.col("TTRDT") - pl.col("STARTDT")).dt.total_days() + (1 if add_one else 0))
        .cast(pl.Float64)
        .alias("TTR"),
        _best_explanation(scale, do_confirm, exclude_after_new_therapy).alias("BESTEXPL"),
    )
    cols = [
        "USUBJID", "STARTDT", "BESTRSP", "BESTRSDT", "BESTEXPL", "RSPFL", "FRSPDT", "PDDT",
        "LSTASDT", "NACTDT", "TTR", "TTRCNSR", "TTREVNT", "TTRDT",
    ]  # fmt: skip
    return ResponseSummary(
        visits=v.drop("NACTDT"), subjects=s.select(cols).sort("USUBJID"), responder=responder
    )


def _best_explanation(scale: ResponseScale, confirmed: bool, stop_at_nact: bool) -> pl.Expr:
    """The sentence of ``BESTEXPL``: which visit gave the best response and why."""
    what = "best confirmed response" if confirmed else "best response"
    scope = "before progression" + (" and new anticancer therapy" if stop_at_nact else "")
    day = pl.col("BESTRSDT").dt.to_string("%Y-%m-%d")
    reached = pl.concat_str(
        [
            pl.lit(f"{what} "),
            pl.col("BESTRSP"),
            pl.lit(" first reached "),
            day,
            pl.lit(" ("),
            pl.col("_BESTVIS").fill_null(""),
            pl.lit("): "),
            pl.col("_BESTEXPL").fill_null(""),
        ]
    )
    progression_only = pl.concat_str(
        [
            pl.lit(f"{what} {scale.progression}: no assessment better than NE {scope}; "),
            pl.lit(f"{scale.progression} on "),
            day,
            pl.lit(" ("),
            pl.col("_PDVIS").fill_null(""),
            pl.lit("): "),
            pl.col("_PDEXPL").fill_null(""),
        ]
    )
    none = (
        pl.when(pl.col("_NPOST").fill_null(0) == 0)
        .then(pl.lit(f"{what} {scale.not_evaluable}: no post-baseline response assessment"))
        .otherwise(
            pl.lit(f"{what} {scale.not_evaluable}: no evaluable response assessment {scope}")
        )
    )
    return (
        pl.when(pl.col("_BEST").is_not_null())
        .then(reached)
        .when(pl.col("PDDT").is_not_null())
        .then(progression_only)
        .otherwise(none)
    )


def best_response(
    adjudicated: pl.DataFrame,
    *,
    paramcd: str = "HEMRESP",
    new_therapy: pl.DataFrame | None = None,
    ranking: tuple[str, ...] = HEM_RANKING,
) -> pl.DataFrame:
    """Best hematologic response per subject before progression and subsequent therapy.

    A convenience view of :func:`summarise_response` (AL scale, no confirmation) for a frame
    of adjudicated visits, with every subject of ``adjudicated`` as the subject list.

    Parameters
    ----------
    adjudicated:
        Output of :func:`~plasmatrial.criteria.core.engine.adjudicate`.
    paramcd:
        Per-visit parameter to summarise (default HEMRESP).
    new_therapy:
        Optional frame with USUBJID and NTRTDT (start of subsequent therapy); visits on or after it
        are ignored.
    ranking:
        Categories best first, ending with NE (default CR > VGPR > PR > LDPR > NR > NE).

    Returns
    -------
    pl.DataFrame
        USUBJID, PARAMCD ("BEST" + paramcd), AVALC, ADT (first visit at that level), RULEID,
        RULESET, RULESETVER, EXPLAIN.

    Notes
    -----
    Visits up to the first progression are considered; a subject with nothing better than NE
    before a progression has best response PROG (sap.md section 2). Ties keep the earliest
    visit.
    """
    d = adjudicated.filter(pl.col("PARAMCD") == paramcd)
    subj = d.group_by("USUBJID", maintain_order=True).agg(pl.col("ADT").min().alias("STARTDT"))
    if new_therapy is not None:
        nt = new_therapy.group_by("USUBJID").agg(pl.col("NTRTDT").cast(pl.Date).min())
        subj = subj.join(nt.rename({"NTRTDT": "NACTDT"}), on="USUBJID", how="left")
    scale = ResponseScale("custom", tuple(c for c in ranking if c != "NE"), "PROG", "NR")
    summ = summarise_response(d, subj, scale=scale, responder=PR_OR_BETTER, confirm=False)
    prov = d.select("USUBJID", "ADT", "RULEID", "RULESET", "RULESETVER").unique(
        ["USUBJID", "ADT"], keep="first"
    )
    s = summ.subjects.join(
        prov, left_on=["USUBJID", "BESTRSDT"], right_on=["USUBJID", "ADT"], how="left"
    )
    return s.select(
        "USUBJID",
        pl.lit(f"BEST{paramcd}").alias("PARAMCD"),
        pl.col("BESTRSP").alias("AVALC"),
        pl.col("BESTRSDT").alias("ADT"),
        "RULEID",
        "RULESET",
        "RULESETVER",
        pl.col("BESTEXPL").alias("EXPLAIN"),
    ).sort("USUBJID")


def time_to_first_response(
    adjudicated: pl.DataFrame,
    first_dose: pl.DataFrame,
    *,
    paramcd: str = "HEMRESP",
    responses: tuple[str, ...] = PR_OR_BETTER,
    new_therapy: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Days from first dose to the first response visit, with censoring.

    A view of :func:`summarise_response` (AL scale, no confirmation).

    Parameters
    ----------
    adjudicated:
        Output of :func:`~plasmatrial.criteria.core.engine.adjudicate`.
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
        EVNTDESC (:data:`TTR_EVENT` or why not, see :class:`ResponseSummary`).
    """
    subj = first_dose.select("USUBJID", pl.col("TRTSDT").cast(pl.Date).alias("STARTDT"))
    if new_therapy is not None:
        nt = new_therapy.group_by("USUBJID").agg(pl.col("NTRTDT").cast(pl.Date).min())
        subj = subj.join(nt.rename({"NTRTDT": "NACTDT"}), on="USUBJID", how="left")
    d = adjudicated.filter(pl.col("PARAMCD") == paramcd)
    summ = summarise_response(
        d, subj, scale=AL_SCALE, responder=responses, confirm=False, add_one=False
    )
    return summ.subjects.select(
        "USUBJID",
        pl.lit("TTFR").alias("PARAMCD"),
        pl.col("TTR").cast(pl.Int64).alias("AVAL"),
        pl.col("TTRDT").alias("ADT"),
        pl.col("TTRCNSR").cast(pl.Int32).alias("CNSR"),
        pl.col("TTREVNT").alias("EVNTDESC"),
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
