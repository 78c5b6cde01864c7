"""The report's lab tables carry words (arm names, grades), not codes."""

from __future__ import annotations

import polars as pl

from plasmatrial.report.safety_tables import worded_lab_table


def test_lab_shift_table_is_worded() -> None:
    frame = pl.DataFrame(
        {
            "ARMCD": ["A", "A"],
            "ATOXDSC": ["Anemia", "Anemia"],
            "BTOXGR": ["0", "MISSING"],
            "WORST_2": [1, 0],
            "WORST_MISSING": [0, 1],
        }
    )
    out = worded_lab_table(frame, {"A": "Pomalidomide + dexamethasone"})
    assert out.columns == [
        "Arm",
        "CTCAE term",
        "Baseline grade",
        "Worst: Grade 2",
        "Worst: Not gradable",
    ]
    assert out["Arm"].to_list() == ["Pomalidomide + dexamethasone"] * 2
    assert out["Baseline grade"].to_list() == ["Grade 0", "Not gradable"]
