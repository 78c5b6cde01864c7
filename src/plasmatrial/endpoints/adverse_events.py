"""Adverse-event analysis data and summaries: ADAE-like derivation, AE-by-grade table, overview.

``derive_adae`` flags treatment-emergent AEs (``TRTEMFL``) and carries the CTCAE grade as
``ATOXGR``; ``ae_summary_by_grade`` counts subjects once per term at their worst grade;
``ae_overview`` gives the standard overview rows (any TEAE, grade ≥ 3, serious, leading to
discontinuation, fatal). Subject counts always use distinct subjects.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

import polars as pl

from plasmatrial.errors import RuleError
from plasmatrial.intake.dates import as_date

logger = logging.getLogger(__name__)

#: ADSL/DM columns carried onto ADAE when present.
DEFAULT_ADSL_VARS: Final[tuple[str, ...]] = ("ARM", "ACTARM", "TRT01P", "TRT01A", "SAFFL")


def _require(dataset: pl.DataFrame, columns: Sequence[str], arg: str) -> None:
    missing = [c for c in columns if c not in dataset.columns]
    if missing:
        raise RuleError(f"{arg} lacks the columns {missing}")


def _onset_bounds(frame: pl.DataFrame, col: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Full onset date, earliest and latest possible onset for ISO dates that may be partial."""
    dtype = frame.schema[col]
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        d = as_date(frame, col)
        return d, d, d
    s = pl.col(col).cast(pl.String).str.strip_chars()
    full = s.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    month = (s.str.slice(0, 7) + "-01").str.to_date("%Y-%m-%d", strict=False)
    year_lo = (s.str.slice(0, 4) + "-01-01").str.to_date("%Y-%m-%d", strict=False)
    year_hi = (s.str.slice(0, 4) + "-12-31").str.to_date("%Y-%m-%d", strict=False)
    lo = pl.coalesce(full, month, year_lo)
    hi = pl.coalesce(full, month.dt.month_end(), year_hi)
    return full, lo, hi


def derive_adae(
    dataset_ae: pl.DataFrame,
    dataset_adsl_or_dm: pl.DataFrame,
    *,
    trt_start_col: str = "TRTSDT",
    trt_end_col: str = "TRTEDT",
    te_window_days: int = 30,
    subject_keys: Sequence[str] = ("USUBJID",),
    start_date_col: str = "AESTDTC",
    grade_col: str = "AETOXGR",
    adsl_vars: Sequence[str] = DEFAULT_ADSL_VARS,
) -> pl.DataFrame:
    """Derive an ADAE-like frame: treatment-emergent flag, onset date and numeric grade.

    Parameters
    ----------
    dataset_ae:
        SDTM AE-like frame with ``subject_keys``, ``start_date_col`` and ``grade_col``.
    dataset_adsl_or_dm:
        One row per subject with ``trt_start_col`` and ``trt_end_col`` (dates or ISO strings,
        e.g. ``TRTSDT``/``TRTEDT`` from ADSL or ``RFXSTDTC``/``RFXENDTC`` from DM).
    trt_start_col, trt_end_col:
        First and last dose date columns.
    te_window_days:
        AEs starting up to this many days after the last dose are treatment-emergent.
    subject_keys:
        Subject identifiers.
    start_date_col:
        AE onset (ISO 8601, may be partial, or a Date column).
    grade_col:
        CTCAE grade as collected (``"1"``..``"5"``, ``"Grade 3"`` or an integer).
    adsl_vars:
        Subject-level columns carried over when present (arm, population flags).

    Returns
    -------
    polars.DataFrame
        ``dataset_ae`` plus the ``adsl_vars`` found, ``trt_start_col``/``trt_end_col`` (as
        Date), ``ASTDT`` (full onset date or null), ``TRTEMFL`` (``"Y"`` or null) and
        ``ATOXGR`` (Int8).

    Raises
    ------
    RuleError
        Missing columns, duplicated subjects in ``dataset_adsl_or_dm`` or a negative window.

    Notes
    -----
    1. Onset bounds: a full date gives lo = hi = the date; ``YYYY-MM`` spans the month;
       ``YYYY`` spans the year; a missing onset is unbounded (decision 0502).
    2. ``TRTEMFL = "Y"`` when the subject was dosed and the onset could be on/after the first
       dose (hi ≥ first dose) and could be within the window (lo ≤ last dose + window; no
       upper limit while the last dose date is missing). Otherwise null.
    3. ``ATOXGR`` = the first digit 1-5 in ``grade_col``; anything else → null.

    References
    ----------
    .. [1] ICH E3 / E9; CDISC ADaM Occurrence Data Structure (TRTEMFL).
    """
    if te_window_days < 0:
        raise RuleError(f"te_window_days must be ≥ 0, got {te_window_days}")
    _require(dataset_ae, [*subject_keys, start_date_col, grade_col], "dataset_ae")
    _require(dataset_adsl_or_dm, [*subject_keys, trt_start_col, trt_end_col], "dataset_adsl_or_dm")
    adsl = dataset_adsl_or_dm
    if adsl.select(subject_keys).is_duplicated().any():
        raise RuleError("dataset_adsl_or_dm has more than one row per subject")
    carry = [c for c in adsl_vars if c in adsl.columns and c not in dataset_ae.columns]
    adsl = adsl.select(
        *subject_keys,
        *carry,
        as_date(adsl, trt_start_col).alias("_TRTS"),
        as_date(adsl, trt_end_col).alias("_TRTE"),
    )
    full, lo, hi = _onset_bounds(dataset_ae, start_date_col)
    out = dataset_ae.with_columns(full.alias("ASTDT"), lo.alias("_LO"), hi.alias("_HI")).join(
        adsl, on=list(subject_keys), how="left", nulls_equal=True
    )
    after_start = pl.col("_HI").is_null() | (pl.col("_HI") >= pl.col("_TRTS"))
    window_end = pl.col("_TRTE") + pl.duration(days=te_window_days)
    before_end = pl.col("_TRTE").is_null() | pl.col("_LO").is_null() | (pl.col("_LO") <= window_end)
    is_te = pl.col("_TRTS").is_not_null() & after_start & before_end
    grade = pl.col(grade_col).cast(pl.String).str.extract(r"([1-5])", 1).cast(pl.Int8, strict=False)
    out = out.with_columns(
        pl.when(is_te).then(pl.lit("Y")).alias("TRTEMFL"),
        grade.alias("ATOXGR"),
        pl.col("_TRTS").alias(trt_start_col),
        pl.col("_TRTE").alias(trt_end_col),
    )
    return out.drop("_LO", "_HI", "_TRTS", "_TRTE")


def _denominators(
    adae: pl.DataFrame,
    dataset_adsl: pl.DataFrame | None,
    by_vars: Sequence[str],
    subject_keys: Sequence[str],
) -> pl.DataFrame:
    if dataset_adsl is None:
        logger.warning(
            "no dataset_adsl given: denominators count only subjects present in adae "
            "(subjects without any AE are missed)"
        )
        source = adae
    else:
        _require(dataset_adsl, [*by_vars, *subject_keys], "dataset_adsl")
        source = dataset_adsl
    return source.group_by(list(by_vars), maintain_order=True).agg(
        pl.struct(subject_keys).n_unique().alias("DENOM")
    )


def _te_filter(adae: pl.DataFrame, filter: pl.Expr | None) -> pl.DataFrame:
    if filter is not None:
        return adae.filter(filter)
    _require(adae, ["TRTEMFL"], "adae")
    return adae.filter(pl.col("TRTEMFL") == "Y")


def ae_summary_by_grade(
    adae: pl.DataFrame,
    *,
    by_vars: Sequence[str] = ("ARM",),
    term_col: str = "AEDECOD",
    dataset_adsl: pl.DataFrame | None = None,
    subject_keys: Sequence[str] = ("USUBJID",),
    filter: pl.Expr | None = None,
) -> pl.DataFrame:
    """Subjects with each AE term by worst grade (any grade, grade 3-4, grade 5) per arm.

    Parameters
    ----------
    adae:
        Output of :func:`derive_adae` (needs ``ATOXGR``, ``term_col``, ``by_vars``).
    by_vars:
        Columns defining the table columns (treatment arm).
    term_col:
        AE term (preferred term ``AEDECOD`` by default).
    dataset_adsl:
        Population for the denominators (one row per subject with ``by_vars``). Without it the
        denominators are the subjects present in ``adae`` (logged as a warning).
    subject_keys:
        Subject identifiers.
    filter:
        Records to count; default ``TRTEMFL == "Y"``.

    Returns
    -------
    polars.DataFrame
        One row per ``by_vars`` x term: ``DENOM``, ``N_ANY``, ``PCT_ANY``, ``N_GR3_4``,
        ``PCT_GR3_4``, ``N_GR5``, ``PCT_GR5`` (percent of ``DENOM``, full precision); zero rows
        for arms without the term; sorted by ``by_vars``, descending ``N_ANY``, term.

    Notes
    -----
    1. Keep the selected records; per subject, ``by_vars`` and term take the worst grade.
    2. Every subject with the term counts in "any grade" (also when the grade is missing),
       in "grade 3-4" when the worst grade is 3 or 4 and in "grade 5" when it is 5: a subject
       is counted once per term, at the worst grade.
    """
    _require(adae, [*subject_keys, *by_vars, term_col, "ATOXGR"], "adae")
    denom = _denominators(adae, dataset_adsl, by_vars, subject_keys)
    data = _te_filter(adae, filter)
    worst = data.group_by([*subject_keys, *by_vars, term_col]).agg(pl.col("ATOXGR").max())
    counts = worst.group_by([*by_vars, term_col]).agg(
        pl.len().alias("N_ANY"),
        pl.col("ATOXGR").is_in([3, 4]).sum().alias("N_GR3_4"),
        (pl.col("ATOXGR") == 5).sum().alias("N_GR5"),
    )
    terms = counts.select(term_col).unique()
    full = denom.join(terms, how="cross").join(
        counts, on=[*by_vars, term_col], how="left", nulls_equal=True
    )
    n_cols = ("N_ANY", "N_GR3_4", "N_GR5")
    full = full.with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in n_cols)
    full = full.with_columns(
        (100.0 * pl.col(c) / pl.col("DENOM")).alias(c.replace("N_", "PCT_")) for c in n_cols
    )
    cols = [*by_vars, term_col, "DENOM"]
    for c in n_cols:
        cols += [c, c.replace("N_", "PCT_")]
    return full.select(cols).sort(
        [*by_vars, "N_ANY", term_col], descending=[False] * len(by_vars) + [True, False]
    )


def ae_overview(
    adae: pl.DataFrame,
    *,
    by_vars: Sequence[str] = ("ARM",),
    dataset_adsl: pl.DataFrame | None = None,
    subject_keys: Sequence[str] = ("USUBJID",),
    filter: pl.Expr | None = None,
) -> pl.DataFrame:
    """Overview of treatment-emergent AEs: subjects with at least one AE of each kind.

    Parameters
    ----------
    adae:
        Output of :func:`derive_adae` (needs ``ATOXGR``, ``AESER``, ``AEACN``).
    by_vars:
        Arm columns.
    dataset_adsl:
        Population for the denominators (see :func:`ae_summary_by_grade`).
    subject_keys:
        Subject identifiers.
    filter:
        Records to count; default ``TRTEMFL == "Y"``.

    Returns
    -------
    polars.DataFrame
        ``by_vars``, ``CATEGORY`` (in the order listed in Notes), ``N`` (subjects), ``DENOM``
        and ``PCT``.

    Notes
    -----
    Categories (a subject counts once per category):

    1. ``Any TEAE``.
    2. ``TEAE grade >= 3``: ``ATOXGR`` ≥ 3.
    3. ``Serious TEAE``: ``AESER == "Y"``.
    4. ``TEAE leading to discontinuation``: ``AEACN == "DRUG WITHDRAWN"``.
    5. ``Fatal TEAE``: ``ATOXGR == 5``, or ``AEOUT == "FATAL"`` or ``AESDTH == "Y"`` where those
       columns exist (decision 0502).
    """
    _require(adae, [*subject_keys, *by_vars, "ATOXGR", "AESER", "AEACN"], "adae")
    denom = _denominators(adae, dataset_adsl, by_vars, subject_keys)
    data = _te_filter(adae, filter)
    fatal = pl.col("ATOXGR") == 5
    if "AEOUT" in data.columns:
        fatal = fatal | (pl.col("AEOUT").cast(pl.String).str.to_uppercase() == "FATAL")
    if "AESDTH" in data.columns:
        fatal = fatal | (pl.col("AESDTH") == "Y")
    categories: list[tuple[str, pl.Expr]] = [
        # Not pl.lit(True): polars 2.1 refuses a literal predicate with fill_null on 16,384 rows
        # or more ("filter predicate length of 2 doesn't match", decision 0902).
        ("Any TEAE", pl.repeat(True, pl.len())),
        ("TEAE grade >= 3", pl.col("ATOXGR") >= 3),
        ("Serious TEAE", pl.col("AESER") == "Y"),
        ("TEAE leading to discontinuation", pl.col("AEACN") == "DRUG WITHDRAWN"),
        ("Fatal TEAE", fatal),
    ]
    parts = []
    for order, (name, cond) in enumerate(categories):
        n = (
            data.filter(cond.fill_null(False))
            .group_by(list(by_vars))
            .agg(pl.struct(subject_keys).n_unique().alias("N"))
        )
        part = denom.join(n, on=list(by_vars), how="left", nulls_equal=True).with_columns(
            pl.lit(name).alias("CATEGORY"), pl.lit(order).alias("_ORD")
        )
        parts.append(part)
    out = pl.concat(parts, how="vertical").with_columns(pl.col("N").fill_null(0).cast(pl.Int64))
    out = out.with_columns((100.0 * pl.col("N") / pl.col("DENOM")).alias("PCT"))
    return out.sort([*by_vars, "_ORD"]).select(*by_vars, "CATEGORY", "N", "DENOM", "PCT")
