"""Reviewers' adjudications of per-visit response calls, applied to ADRS (decision 1002).

A central review (the workbench's review queue, or any committee) may replace a computed per-visit
call of the overall response parameter with its own category. :func:`apply_adjudications` puts
those categories into ADRS *before* anything reads it, so best response, confirmation, response
rates, time to response, duration of response and PFS are all recomputed from the adjudicated
calls; ADRS keeps the source of every call (``SRCTYPE`` ``COMPUTED`` / ``ADJUDICATED``), the
computed category (``COMPAVALC``) and the rule id that produced it (``RULEID``, unchanged).

A reviewer may also decide a subject's best overall response (``PARAMCD = "BOR"`` rows of the
same frame, decision 1011): :func:`split_adjudications` separates them,
:func:`check_best_adjudications` refuses bad ones, :func:`apply_best_adjudications` puts them into
the subject-level response summary *after* best response is derived from the (adjudicated)
per-visit calls, so the responder flag and every best-response rate use them, and
:func:`mark_best_sources` records the source on ADRS's ``BOR`` rows. Time to response and
duration of response stay derived from the per-visit calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.dates import as_date

#: Columns an adjudications frame must have; ``ADJREAS`` (reason), ``ADJBY`` (reviewer) and
#: ``ADJDTC`` (when) are kept in ADRS when present.
ADJUDICATION_COLUMNS: Final[tuple[str, ...]] = ("USUBJID", "ADT", "PARAMCD", "AVALC")
ADJUDICATION_DETAILS: Final[tuple[str, ...]] = ("ADJREAS", "ADJBY", "ADJDTC")
SOURCE_COMPUTED: Final = "COMPUTED"
SOURCE_ADJUDICATED: Final = "ADJUDICATED"
_KEY: Final = ("USUBJID", "PARAMCD", "ADT")
#: ``PARAMCD`` of a subject-level (best overall response) adjudication.
BEST_PARAMCD: Final = "BOR"
#: At most this many unmatched keys are named in an error.
_MAX_LISTED: Final = 10


def _require(adjudications: pl.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in adjudications.columns]
    if missing:
        raise PlasmatrialError(
            f"adjudications: missing column(s) {', '.join(missing)}; "
            f"found {', '.join(adjudications.columns)}"
        )


def _check_categories(frame: pl.DataFrame, categories: Sequence[str]) -> None:
    unknown = sorted(set(frame["AVALC"].to_list()) - set(categories), key=str)
    if unknown:
        raise PlasmatrialError(
            f"adjudications: categor(ies) {', '.join(map(str, unknown))} are not on the rule "
            f"set's scale ({', '.join(categories)})"
        )


def _prepared(adjudications: pl.DataFrame, categories: Sequence[str]) -> pl.DataFrame:
    """The adjudications with ``ADT`` as a date and every detail column, checked."""
    _require(adjudications, ADJUDICATION_COLUMNS)
    frame = adjudications.select(
        pl.col("USUBJID").cast(pl.Utf8),
        pl.col("PARAMCD").cast(pl.Utf8),
        as_date(adjudications, "ADT").alias("ADT"),
        pl.col("AVALC").cast(pl.Utf8),
        *[
            (pl.col(c) if c in adjudications.columns else pl.lit(None)).cast(pl.Utf8).alias(c)
            for c in ADJUDICATION_DETAILS
        ],
    )
    bad_dates = frame.filter(pl.col("ADT").is_null())
    if bad_dates.height:
        raise PlasmatrialError(
            f"adjudications: {bad_dates.height} row(s) without a complete ADT date "
            f"(first: {bad_dates['USUBJID'][0]})"
        )
    _check_categories(frame, categories)
    dupes = frame.filter(pl.struct(*_KEY).is_duplicated())
    if dupes.height:
        raise PlasmatrialError(
            "adjudications: more than one decision for "
            + ", ".join(f"{r[0]} {r[1]} {r[2]}" for r in dupes.select(_KEY).unique().rows())
            + " (pass each call's latest decision only)"
        )
    return frame


def _adjudicated_text(origin: str, category: str, explanation: str) -> pl.Expr:
    """The explanation of an adjudicated call: the decided category (``_ADJ``), who and why,
    then the ``origin`` ("computed" / "derived") category and its explanation."""
    return pl.format(
        "ADJUDICATED {} by {}: {}; " + origin + " {}: {}",
        "_ADJ",
        pl.col("ADJBY").fill_null("reviewer"),
        pl.col("ADJREAS").fill_null("no reason given"),
        pl.col(category).fill_null("missing"),
        pl.col(explanation).fill_null(""),
    )


def apply_adjudications(
    adrs: pl.DataFrame,
    adjudications: pl.DataFrame,
    *,
    categories: Sequence[str],
    progression: Sequence[str],
) -> pl.DataFrame:
    """ADRS with adjudicated categories in place of the computed per-visit calls.

    Parameters
    ----------
    adrs:
        Per-visit ADRS (:func:`plasmatrial.trial.derive.derive_adrs`: ``USUBJID, PARAMCD, ADT,
        AVALC, ABLFL, PDFL, ADEQFL, RULEID, EXPLAIN`` ...), before best response is derived.
    adjudications:
        One row per adjudicated call: ``USUBJID, ADT`` (date or ISO text), ``PARAMCD``,
        ``AVALC`` (the category the analysis is to use); optionally ``ADJREAS``, ``ADJBY``,
        ``ADJDTC``. An accepted computed call may be passed too (same category): only its
        source changes.
    categories:
        The categories allowed (the rule set's scale, progression and NE).
    progression:
        Categories that are progression (``PDFL = "Y"``).

    Returns
    -------
    polars.DataFrame
        ``adrs`` with ``AVALC`` replaced where adjudicated, ``PDFL`` and ``ADEQFL`` recomputed
        from it, ``EXPLAIN`` prefixed with the adjudication, and the new columns ``SRCTYPE``
        (``ADJUDICATED`` / ``COMPUTED``; null on baseline rows), ``COMPAVALC`` (the computed
        category), ``ADJREAS``, ``ADJBY``, ``ADJDTC``. Row order and every other column are kept.

    Raises
    ------
    PlasmatrialError
        Missing columns, an incomplete date, a category off the scale, two decisions for one
        call, or an adjudication that names no post-baseline call of ADRS (every such key is
        listed, up to ten): a decision is never silently dropped.
    """
    adj = _prepared(adjudications, categories)
    calls = adrs.filter(pl.col("ABLFL") != "Y").select(*_KEY).unique()
    unmatched = adj.join(calls, on=list(_KEY), how="anti")
    if unmatched.height:
        listed = ", ".join(
            f"{r[0]} {r[1]} {r[2]}" for r in unmatched.select(_KEY).rows()[:_MAX_LISTED]
        )
        raise PlasmatrialError(
            f"adjudications: {unmatched.height} decision(s) name no post-baseline call of ADRS "
            f"(USUBJID PARAMCD ADT): {listed}"
        )
    joined = adrs.with_row_index("_ROW").join(
        adj.rename({"AVALC": "_ADJ"}).with_columns(pl.lit(value=True).alias("_HIT")),
        on=list(_KEY),
        how="left",
    )
    hit = pl.col("_HIT").fill_null(value=False) & (pl.col("ABLFL") != "Y")
    baseline = pl.col("ABLFL") == "Y"
    out = joined.with_columns(
        pl.when(baseline).then(None).otherwise(pl.col("AVALC")).alias("COMPAVALC"),
        pl.when(baseline)
        .then(None)
        .when(hit)
        .then(pl.lit(SOURCE_ADJUDICATED))
        .otherwise(pl.lit(SOURCE_COMPUTED))
        .alias("SRCTYPE"),
        pl.when(hit).then(pl.col("_ADJ")).otherwise(pl.col("AVALC")).alias("AVALC"),
        pl.when(hit)
        .then(
            _adjudicated_text("computed", "AVALC", "EXPLAIN")
        )
        .otherwise(pl.col("EXPLAIN"))
        .alias("EXPLAIN"),
    ).with_columns(
        pl.when(hit)
        .then(
            pl.when(pl.col("AVALC").is_in(list(progression)))
            .then(pl.lit("Y"))
            .otherwise(pl.lit("N"))
        )
        .otherwise(pl.col("PDFL"))
        .alias("PDFL"),
        pl.when(hit)
        .then(pl.when(pl.col("AVALC") == "NE").then(pl.lit("N")).otherwise(pl.lit("Y")))
        .otherwise(pl.col("ADEQFL"))
        .alias("ADEQFL"),
    )
    keep = [*adrs.columns, "SRCTYPE", "COMPAVALC", *ADJUDICATION_DETAILS]
    return out.sort("_ROW").select(keep)


def split_adjudications(adjudications: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The per-visit decisions and the subject-level ones (``PARAMCD = "BOR"``) of one frame.

    Raises
    ------
    PlasmatrialError
        The frame lacks ``USUBJID``, ``PARAMCD`` or ``AVALC``.
    """
    _require(adjudications, ("USUBJID", "PARAMCD", "AVALC"))
    is_best = (pl.col("PARAMCD").cast(pl.Utf8) == BEST_PARAMCD).fill_null(value=False)
    return adjudications.filter(~is_best), adjudications.filter(is_best)


def check_best_adjudications(
    best: pl.DataFrame, *, subjects: Sequence[str], categories: Sequence[str]
) -> pl.DataFrame:
    """Subject-level decisions (``USUBJID, AVALC`` and the detail columns), checked.

    ``ADT`` is ignored: a best overall response belongs to the subject, not to a visit.

    Raises
    ------
    PlasmatrialError
        A subject the analysis does not have (up to ten listed), a category off the scale, or
        two decisions for one subject's best response.
    """
    _require(best, ("USUBJID", "AVALC"))
    frame = best.select(
        pl.col("USUBJID").cast(pl.Utf8),
        pl.col("AVALC").cast(pl.Utf8),
        *[
            (pl.col(c) if c in best.columns else pl.lit(None)).cast(pl.Utf8).alias(c)
            for c in ADJUDICATION_DETAILS
        ],
    )
    _check_categories(frame, categories)
    unknown = frame.filter(~pl.col("USUBJID").is_in(list(subjects)))["USUBJID"].to_list()
    if unknown:
        raise PlasmatrialError(
            f"adjudications: {len(unknown)} best-response decision(s) name a subject the "
            f"analysis does not have: {', '.join(map(str, unknown[:_MAX_LISTED]))}"
        )
    dupes = sorted(set(frame.filter(pl.col("USUBJID").is_duplicated())["USUBJID"].to_list()))
    if dupes:
        raise PlasmatrialError(
            "adjudications: more than one best-response decision for "
            + ", ".join(dupes)
            + " (pass each subject's latest decision only)"
        )
    return frame


def apply_best_adjudications(
    subjects: pl.DataFrame, best: pl.DataFrame, *, responder: Sequence[str]
) -> pl.DataFrame:
    """The subject-level response summary with the adjudicated best overall responses.

    ``BESTRSP`` becomes the reviewer's category, ``RSPFL`` follows it (``responder``) and
    ``BESTEXPL`` is prefixed with the decision; ``BESTRSDT``, ``FRSPDT`` and the time-to-response
    columns stay derived from the per-visit calls (decision 1011). ``best`` is the output of
    :func:`check_best_adjudications`.
    """
    joined = subjects.join(
        best.select("USUBJID", pl.col("AVALC").alias("_ADJ"), "ADJREAS", "ADJBY"),
        on="USUBJID",
        how="left",
    )
    hit = pl.col("_ADJ").is_not_null()
    out = joined.with_columns(
        pl.when(hit)
        .then(
            _adjudicated_text("derived", "BESTRSP", "BESTEXPL")
        )
        .otherwise(pl.col("BESTEXPL"))
        .alias("BESTEXPL"),
        pl.coalesce("_ADJ", "BESTRSP").alias("BESTRSP"),
    ).with_columns(
        pl.when(hit)
        .then(
            pl.when(pl.col("BESTRSP").is_in(list(responder)))
            .then(pl.lit("Y"))
            .otherwise(pl.lit("N"))
        )
        .otherwise(pl.col("RSPFL"))
        .alias("RSPFL"),
    )
    return out.select(subjects.columns)


def mark_best_sources(
    adrs: pl.DataFrame, derived: pl.DataFrame, best: pl.DataFrame
) -> pl.DataFrame:
    """ADRS with the source of every ``BOR`` row: ``SRCTYPE`` (``ADJUDICATED`` where a reviewer
    decided the subject's best response, else ``COMPUTED``), ``COMPAVALC`` (the best derived
    from the per-visit calls, ``derived``'s ``BESTRSP``) and the decision's ``ADJREAS``,
    ``ADJBY``, ``ADJDTC``. Other rows and the row order are kept."""
    cols = [*adrs.columns, *[c for c in ("SRCTYPE", "COMPAVALC", *ADJUDICATION_DETAILS)
                             if c not in adrs.columns]]  # fmt: skip
    frame = adrs.with_columns(
        *[pl.lit(None, dtype=pl.Utf8).alias(c) for c in cols if c not in adrs.columns]
    ).with_row_index("_ROW")
    info = derived.select("USUBJID", pl.col("BESTRSP").alias("_DER")).join(
        best.select(
            "USUBJID",
            pl.lit(value=True).alias("_HIT"),
            *[pl.col(c).alias(f"_{c}") for c in ADJUDICATION_DETAILS],
        ),
        on="USUBJID",
        how="left",
    )
    is_bor = pl.col("PARAMCD") == BEST_PARAMCD
    hit = is_bor & pl.col("_HIT").fill_null(value=False)
    out = frame.join(info, on="USUBJID", how="left").with_columns(
        pl.when(hit)
        .then(pl.lit(SOURCE_ADJUDICATED))
        .when(is_bor)
        .then(pl.lit(SOURCE_COMPUTED))
        .otherwise(pl.col("SRCTYPE"))
        .alias("SRCTYPE"),
        pl.when(is_bor).then(pl.col("_DER")).otherwise(pl.col("COMPAVALC")).alias("COMPAVALC"),
        *[
            pl.when(is_bor).then(pl.col(f"_{c}")).otherwise(pl.col(c)).alias(c)
            for c in ADJUDICATION_DETAILS
        ],
    )
    return out.sort("_ROW").select(cols)


def unsupported_best(adrs: pl.DataFrame, best: pl.DataFrame, *, parameter: str) -> list[str]:
    """Subjects whose adjudicated best overall response has no post-baseline call of
    ``parameter`` with that category in ``adrs`` (sorted); NE needs no supporting call."""
    calls = adrs.filter((pl.col("PARAMCD") == parameter) & (pl.col("ABLFL") != "Y")).select(
        "USUBJID", pl.col("AVALC").cast(pl.Utf8)
    )
    lacking = best.filter(pl.col("AVALC") != "NE").join(
        calls.unique(), on=["USUBJID", "AVALC"], how="anti"
    )
    return sorted(str(u) for u in lacking["USUBJID"].to_list())
