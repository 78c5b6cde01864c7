"""Words for the CTCAE laboratory tables of the adverse-event endpoint (sap.md 4 and 6).

:func:`plasmatrial.trial.analyse.lab_toxicity_tables` keeps CDISC-style column names and codes
(``ARMCD``, ``BTOXGR``, ``WORST_2``) for ``results.json``; the report shows the same numbers with
words: arm names, "Grade 2", "Not gradable".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

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
