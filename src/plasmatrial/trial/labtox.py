"""CTCAE laboratory toxicity tables of the adverse-event endpoint (sap.md 4, decision 0503)."""

from __future__ import annotations

from typing import Final

import polars as pl

#: Grade levels of the lab tables (``"MISSING"``: no gradable result in the period).
GRADE_LEVELS: Final = ("0", "1", "2", "3", "4", "MISSING")


def _grade_label(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Utf8).fill_null("MISSING")


def _wide_by_grade(frame: pl.DataFrame, keys: list[str], grade: str, prefix: str) -> pl.DataFrame:
    """Subjects per grade level as columns ``<prefix>0`` ... ``<prefix>MISSING`` (zeros kept)."""
    counts = frame.group_by([*keys, grade]).agg(pl.len().alias("_N"))
    out = frame.select(keys).unique().sort(keys)
    for level in GRADE_LEVELS:
        n = counts.filter(pl.col(grade) == level).select(*keys, pl.col("_N").alias(prefix + level))
        out = out.join(n, on=keys, how="left", nulls_equal=True)
    return out.with_columns(pl.col(f"{prefix}{lv}").fill_null(0) for lv in GRADE_LEVELS)


def lab_toxicity_tables(adlb: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """CTCAE lab tables of ADLB (:func:`plasmatrial.trial.derive.derive_adlb_grades`).

    Returns
    -------
    dict of polars.DataFrame
        ``lab_grades``: per arm and term, on-treatment results (``N_RESULTS``), results with no
        derivable grade (``N_UNGRADABLE``, reasons in ``UNGRADABLE_REASONS``), subjects with a
        result (``N_SUBJECTS``), with a graded result (``N_GRADED``), worst grade >= 1 and >= 3.
        ``lab_worst_grade``: subjects per worst on-treatment grade (``WORST_0`` ...
        ``WORST_MISSING``: every result ungradable). ``lab_shift``: subjects per baseline grade
        (``BTOXGR``, ``MISSING`` = no gradable baseline) x worst on-treatment grade.
    """
    post = adlb.filter(pl.col("ONTRTFL") == "Y")
    keys = ["ARMCD", "ATOXDSC"]
    reasons = (
        post.filter(pl.col("ATOXGR").is_null())
        .group_by(*keys, pl.col("ATOXREAS").fill_null("not derivable"))
        .agg(pl.len().alias("_N"))
        .sort(*keys, "ATOXREAS")
        .group_by(keys, maintain_order=True)
        .agg(pl.format("{} ({})", "ATOXREAS", "_N").str.join("; ").alias("UNGRADABLE_REASONS"))
    )
    worst = post.group_by("USUBJID", *keys).agg(pl.col("ATOXGR").max())
    per_term = worst.group_by(keys).agg(
        pl.len().alias("N_SUBJECTS"),
        pl.col("ATOXGR").is_not_null().sum().alias("N_GRADED"),
        (pl.col("ATOXGR") >= 1).sum().alias("N_GR1_PLUS"),
        (pl.col("ATOXGR") >= 3).sum().alias("N_GR3_PLUS"),
    )
    grades = (
        post.group_by(keys)
        .agg(pl.len().alias("N_RESULTS"), pl.col("ATOXGR").is_null().sum().alias("N_UNGRADABLE"))
        .join(per_term, on=keys, how="left")
        .join(reasons, on=keys, how="left")
        .with_columns(pl.col("UNGRADABLE_REASONS").fill_null(""))
        .sort(keys)
    )
    worst_wide = _wide_by_grade(
        worst.with_columns(_grade_label("ATOXGR").alias("_G")), keys, "_G", "WORST_"
    )
    base = (
        adlb.filter(pl.col("ABLFL") == "Y")
        .group_by("USUBJID", *keys)
        .agg(pl.col("ATOXGR").max().alias("_B"))
    )
    shift = worst.join(base, on=["USUBJID", *keys], how="left").with_columns(
        _grade_label("_B").alias("BTOXGR"), _grade_label("ATOXGR").alias("_G")
    )
    shift_wide = _wide_by_grade(shift, [*keys, "BTOXGR"], "_G", "WORST_")
    rank = {lv: i for i, lv in enumerate(GRADE_LEVELS)}
    shift_wide = (
        shift_wide.with_columns(pl.col("BTOXGR").replace_strict(rank).alias("_R"))
        .sort(*keys, "_R")
        .drop("_R")
    )
    return {"lab_grades": grades, "lab_worst_grade": worst_wide, "lab_shift": shift_wide}
