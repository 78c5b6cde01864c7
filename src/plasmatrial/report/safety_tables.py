"""Words for the CTCAE laboratory tables of the adverse-event endpoint (sap.md 4 and 6).

:func:`plasmatrial.trial.analyse.lab_toxicity_tables` keeps CDISC-style column names and codes
(``ARMCD``, ``BTOXGR``, ``WORST_2``) for ``results.json``; the report shows the same numbers with
words: arm names as columns in protocol order, "Grade 2", "Not gradable", n (%).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import polars as pl

from plasmatrial.report.html import Block
from plasmatrial.report.labels import ae_term
from plasmatrial.report.tables import ArmColumn, Row, arm_table, grouped_table, n_pct

#: Caption of each lab table by its key in ``TableResult.extra``.
LAB_CAPTIONS: Final[Mapping[str, str]] = {
    "lab_grades": "Laboratory toxicity (CTCAE v5.0), on-treatment results and gradability",
    "lab_worst_grade": "Patients by worst on-treatment CTCAE grade of laboratory values",
    "lab_shift": "Shift from baseline CTCAE grade to worst on-treatment grade (patients)",
}
_GRADE_WORDS: Final[Mapping[str, str]] = {
    **{g: f"Grade {g}" for g in ("0", "1", "2", "3", "4")},
    "MISSING": "Not gradable",
}
_COLUMN_WORDS: Final[Mapping[str, str]] = {
    "ARMCD": "Arm",
    "ATOXDSC": "CTCAE term",
    "BTOXGR": "Baseline grade",
    "N_RESULTS": "On-treatment results",
    "N_UNGRADABLE": "Results not gradable",
    "UNGRADABLE_REASONS": "Why not gradable (results)",
    "N_SUBJECTS": "Patients with a result",
    "N_GRADED": "Patients with a gradable result",
    "N_GR1_PLUS": "Patients with worst grade 1 or higher",
    "N_GR3_PLUS": "Patients with worst grade 3 or higher",
    **{f"WORST_{k}": f"Worst: {v}" for k, v in _GRADE_WORDS.items()},
}
LAB_NOTE: Final = (
    "Grades from the laboratory's normal range (LLN/ULN) and, for creatinine, the baseline "
    "(last value on or before first dose); a result whose grade needs a missing normal range is "
    "not gradable. Not gradable in the worst-grade columns: no gradable result on treatment; "
    "as baseline grade: no gradable baseline result."
)


def worded_lab_table(frame: pl.DataFrame, arm_names: Mapping[str, str]) -> pl.DataFrame:
    """The lab table with arm names, grade words and worded column headers."""
    out = frame
    if "ARMCD" in out.columns:
        out = out.with_columns(pl.col("ARMCD").replace(dict(arm_names)))
    if "BTOXGR" in out.columns:
        out = out.with_columns(pl.col("BTOXGR").replace(dict(_GRADE_WORDS)))
    return out.rename({c: w for c, w in _COLUMN_WORDS.items() if c in out.columns})


_GRADES: Final = ("0", "1", "2", "3", "4", "MISSING")


def _arm_rows(frame: pl.DataFrame, key: str) -> dict[str, dict[str, dict[str, object]]]:
    out: dict[str, dict[str, dict[str, object]]] = {}
    for x in frame.iter_rows(named=True):
        out.setdefault(str(x[key]), {})[str(x["ARMCD"])] = x
    return out


def _int(x: object) -> int:
    return int(x) if isinstance(x, int | float) and not isinstance(x, bool) else 0


def lab_grades_block(frame: pl.DataFrame, arms: Sequence[ArmColumn], *, meta: str = "") -> Block:
    """Patients with a gradable on-treatment result, any grade and grade 3 or higher, per arm."""
    by = _arm_rows(
        frame.with_columns(pl.col("ATOXDSC").map_elements(ae_term, return_dtype=pl.Utf8)), "ATOXDSC"
    )
    rows: list[Row] = []
    for term in sorted(by):
        rows.append(Row(term, group=True))
        for key, words in (
            ("N_GRADED", "Patients with a gradable result"),
            ("N_GR1_PLUS", "Any grade (worst grade 1 or higher)"),
            ("N_GR3_PLUS", "Grade 3 or higher"),
        ):
            vals = []
            for a in arms:
                x = by[term].get(a.code, {})
                d = _int(x.get("N_SUBJECTS")) if key == "N_GRADED" else _int(x.get("N_GRADED"))
                vals.append(n_pct(_int(x.get(key)), d))
            rows.append(Row(words, tuple(vals), indent=True))
        ungradable = [_int(by[term].get(a.code, {}).get("N_UNGRADABLE")) for a in arms]
        if any(ungradable):
            rows.append(
                Row("Results not gradable, n", tuple(str(u) for u in ungradable), indent=True)
            )
    return arm_table(
        "CTCAE term", arms, rows, caption=LAB_CAPTIONS["lab_grades"], meta=meta,
        note="Patients with a gradable result: % of patients with an on-treatment result; grades: "
        "% of patients with a gradable result. " + LAB_NOTE,
    )  # fmt: skip


def lab_worst_block(frame: pl.DataFrame, arms: Sequence[ArmColumn], *, meta: str = "") -> Block:
    """Patients by worst on-treatment grade: one row per term and grade, arms as columns."""
    by = _arm_rows(
        frame.with_columns(pl.col("ATOXDSC").map_elements(ae_term, return_dtype=pl.Utf8)), "ATOXDSC"
    )
    rows: list[Row] = []
    for term in sorted(by):
        rows.append(Row(term, group=True))
        denom = {
            a.code: sum(_int(by[term].get(a.code, {}).get(f"WORST_{g}")) for g in _GRADES)
            for a in arms
        }
        for g in _GRADES:
            counts = [_int(by[term].get(a.code, {}).get(f"WORST_{g}")) for a in arms]
            if g == "MISSING" and not any(counts):
                continue
            vals = tuple(n_pct(c, denom[a.code]) for c, a in zip(counts, arms, strict=True))
            rows.append(Row(_GRADE_WORDS[g], vals, indent=True))
    return arm_table(
        "CTCAE term and worst grade", arms, rows, caption=LAB_CAPTIONS["lab_worst_grade"],
        meta=meta, note="% of the arm's patients with an on-treatment result. " + LAB_NOTE,
    )  # fmt: skip


def lab_shift_block(frame: pl.DataFrame, arms: Sequence[ArmColumn], *, meta: str = "") -> Block:
    """Baseline grade to worst on-treatment grade: rows term x baseline grade, arm x worst grade."""
    f = frame.with_columns(pl.col("ATOXDSC").map_elements(ae_term, return_dtype=pl.Utf8))
    grades = [
        g
        for g in _GRADES
        if f"WORST_{g}" in f.columns and (g != "MISSING" or _int(f[f"WORST_{g}"].sum()))
    ]
    rows = []
    keys = f.select("ATOXDSC", "BTOXGR").unique().sort("ATOXDSC", "BTOXGR").iter_rows()
    for term, base in keys:
        vals = []
        for a in arms:
            x = f.filter(
                (pl.col("ATOXDSC") == term)
                & (pl.col("BTOXGR") == base)
                & (pl.col("ARMCD") == a.code)
            )
            for g in grades:
                vals.append(str(_int(x[f"WORST_{g}"].sum())) if x.height else "0")
        rows.append(((term, _GRADE_WORDS.get(str(base), str(base))), vals))
    return grouped_table(
        ["CTCAE term", "Baseline grade"],
        [(f"{a.header}: worst on-treatment grade", [_GRADE_WORDS[g].replace("Grade ", "") if g != "MISSING" else "NG" for g in grades]) for a in arms],
        rows, caption=LAB_CAPTIONS["lab_shift"], meta=meta,
        note="Patients; columns 0–4: worst on-treatment CTCAE grade; NG: not gradable. " + LAB_NOTE,
    )  # fmt: skip


#: Block builder of each lab table by its key in ``TableResult.extra``.
LAB_BLOCKS: Final = {
    "lab_grades": lab_grades_block,
    "lab_worst_grade": lab_worst_block,
    "lab_shift": lab_shift_block,
}
