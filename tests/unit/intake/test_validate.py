from __future__ import annotations

import polars as pl
import pytest

from plasmatrial.errors import IntakeError, Problem, ReasonCode
from plasmatrial.intake import dm_problems, ex_problems, lb_problems, validate_lb
from plasmatrial.intake.bundle import check_frames
from plasmatrial.intake.mixup import FLC_FLOOR_MGL, RAW_CONTINUITY
from tests.unit.intake.conftest import lb_frame

R = ReasonCode


def _only(problems: list[Problem], reason: ReasonCode) -> list[Problem]:
    return [p for p in problems if p.reason is reason]


def test_clean_frame_has_no_problems() -> None:
    lb = lb_frame([("S1", "FLCLAM", "250", "mg/L", "2024-01-05", "1")])
    assert lb_problems(lb, file="lb.csv")[0] == []


@pytest.mark.parametrize(
    ("row", "reason", "column", "value"),
    [
        pytest.param(
            ("S1", "XYZ", "1", "mg/L", "2024-01-05", "1"),
            R.UNKNOWN_TEST,
            "LBTESTCD",
            "XYZ",
            id="unknown-test",
        ),
        pytest.param(
            ("S1", "FLCLAM", "1", None, "2024-01-05", "1"),
            R.MISSING_UNIT,
            "LBORRESU",
            None,
            id="missing-unit",
        ),
        pytest.param(
            ("S1", "FLCLAM", "1", "g/L", "2024-01-05", "1"),
            R.UNKNOWN_UNIT,
            "LBORRESU",
            "g/L",
            id="unknown-unit",
        ),
        pytest.param(
            ("S1", "FLCLAM", "1,5", "mg/L", "2024-01-05", "1"),
            R.NOT_NUMERIC,
            "LBORRES",
            "1,5",
            id="decimal-comma",
        ),
        pytest.param(
            ("S1", "TROPT", "<0.01", "ug/L", "2024-01-05", "1"),
            R.NOT_NUMERIC,
            "LBORRES",
            "<0.01",
            id="qualifier",
        ),
        pytest.param(
            ("S1", "FLCLAM", None, "mg/L", "2024-01-05", "1"),
            R.MISSING_VALUE,
            "LBORRES",
            None,
            id="missing-result",
        ),
        pytest.param(
            ("S1", "HGB", "26", "g/dL", "2024-01-05", "1"),
            R.IMPLAUSIBLE_VALUE,
            "LBORRES",
            "26 g/dL",
            id="implausible",
        ),
        pytest.param(
            ("S1", "SIFE", "WEAK", None, "2024-01-05", "1"),
            R.BAD_VALUE,
            "LBORRES",
            "WEAK",
            id="ife-vocabulary",
        ),
        pytest.param(
            ("S1", "NYHA", "2.5", None, "2024-01-05", "1"),
            R.BAD_VALUE,
            "LBORRES",
            "2.5",
            id="nyha-not-whole",
        ),
        pytest.param(
            ("S1", "FLCLAM", "1", "mg/L", "2024-03", "1"),
            R.PARTIAL_DATE,
            "LBDTC",
            "2024-03",
            id="partial-date",
        ),
        pytest.param(
            ("S1", "FLCLAM", "1", "mg/L", "2024---15", "1"),
            R.PARTIAL_DATE,
            "LBDTC",
            "2024---15",
            id="partial-date-dashes",
        ),
        pytest.param(
            ("S1", "FLCLAM", "1", "mg/L", "2024-02-30", "1"),
            R.BAD_DATE,
            "LBDTC",
            "2024-02-30",
            id="impossible-date",
        ),
        pytest.param(
            ("S1", "FLCLAM", "1", "mg/L", "05/01/2024", "1"),
            R.BAD_DATE,
            "LBDTC",
            "05/01/2024",
            id="non-iso-date",
        ),
        pytest.param(
            ("S1", "FLCLAM", "1", "mg/L", "2024-01-05", "one"),
            R.NOT_NUMERIC,
            "VISITNUM",
            "one",
            id="visitnum",
        ),
    ],
)
def test_each_problem_kind(
    row: tuple[str, str, str, str | None, str, str],
    reason: ReasonCode,
    column: str,
    value: str | None,
) -> None:
    ok = ("S1", "FLCKAP", "10", "mg/L", "2023-12-01", "0")
    problems = lb_problems(lb_frame([ok, row]), file="lb.csv")[0]
    assert [(p.file, p.row, p.column, p.value, p.reason) for p in problems] == [
        ("lb.csv", 2, column, value, reason)
    ]
    assert problems[0].expected  # always says what was expected


@pytest.mark.parametrize(
    ("value", "n_problems"),
    [
        pytest.param("25", 0, id="hgb-upper-just-meets"),
        pytest.param("25.0001", 1, id="hgb-upper-just-misses"),
        pytest.param("2", 0, id="hgb-lower-just-meets"),
        pytest.param("1.9999", 1, id="hgb-lower-just-misses"),
    ],
)
def test_plausible_range_boundaries(value: str, n_problems: int) -> None:
    lb = lb_frame([("S1", "HGB", value, "g/dL", "2024-01-05", "1")])
    assert len(lb_problems(lb)[0]) == n_problems


def test_plausibility_is_checked_after_conversion() -> None:
    # 260 g/L = 26 g/dL > 25 g/dL; the same number in g/dL would be implausible too, 200 g/L not
    lb = lb_frame(
        [
            ("S1", "HGB", "260", "g/L", "2024-01-05", "1"),
            ("S2", "HGB", "200", "g/L", "2024-01-05", "1"),
        ]
    )
    problems = lb_problems(lb)[0]
    assert [(p.row, p.reason) for p in problems] == [(1, R.IMPLAUSIBLE_VALUE)]
    assert "26.0 g/dL" in problems[0].expected


def test_duplicates_by_date_and_by_visit() -> None:
    lb = lb_frame(
        [
            ("S1", "FLCLAM", "100", "mg/L", "2024-01-05", "1"),
            ("S1", "LAMBDA", "101", "mg/L", "2024-01-05", "1"),  # alias: same test, same date
            ("S1", "FLCLAM", "90", "mg/L", "2024-01-20", "2"),
            ("S1", "FLCLAM", "80", "mg/L", "2024-01-22", "2"),  # same visit, other date
            ("S1", "FLCKAP", "9", "mg/L", "2024-01-05", "1"),  # other test: fine
        ]
    )
    dups = _only(lb_problems(lb)[0], R.DUPLICATE)
    assert [(p.row, p.column) for p in dups] == [(2, "LBDTC"), (4, "VISITNUM")]
    assert "first at data row 1" in dups[0].expected
    assert "first at data row 3" in dups[1].expected


def test_out_of_order_visits() -> None:
    lb = lb_frame(
        [
            ("S1", "FLCLAM", "100", "mg/L", "2024-01-05", "1"),
            ("S1", "FLCLAM", "90", "mg/L", "2024-03-01", "2"),
            ("S1", "FLCLAM", "80", "mg/L", "2024-02-01", "3"),
            ("S2", "FLCLAM", "80", "mg/L", "2024-02-01", "1"),
            ("S2", "FLCKAP", "8", "mg/L", "2024-02-01", "2"),  # same date, later visit: fine
        ]
    )
    problems = _only(lb_problems(lb)[0], R.OUT_OF_ORDER)
    assert [(p.row, p.column) for p in problems] == [(3, "VISITNUM")]
    assert "2024-03-01" in problems[0].expected


@pytest.mark.parametrize(
    ("raw_later", "flagged"),
    [
        pytest.param(str(200 / RAW_CONTINUITY), True, id="raw-ratio-just-meets"),
        pytest.param(str(200 / RAW_CONTINUITY - 0.01), False, id="raw-ratio-just-misses"),
        pytest.param("20", False, id="true-relabel-no-jump"),
    ],
)
def test_flc_mixup_rule_a_label_switch(raw_later: str, flagged: bool) -> None:
    lb = lb_frame(
        [
            ("S1", "FLCLAM", "200", "mg/L", "2024-01-05", "1"),
            ("S1", "FLCLAM", raw_later, "mg/dL", "2024-02-05", "2"),
        ]
    )
    problems = _only(lb_problems(lb)[0], R.UNIT_MIXUP)
    assert [(p.row, p.column) for p in problems] == ([(2, "LBORRESU")] if flagged else [])


def test_flc_mixup_rule_a_other_direction() -> None:
    # mg/dL series, then a mg/L label on a number of the same size: converted value drops 10x
    lb = lb_frame(
        [
            ("S1", "FLCKAP", "30", "mg/dL", "2024-01-05", "1"),
            ("S1", "FLCKAP", "28", "mg/L", "2024-02-05", "2"),
        ]
    )
    assert [p.row for p in _only(lb_problems(lb)[0], R.UNIT_MIXUP)] == [2]


@pytest.mark.parametrize(
    ("kappa", "flagged"),
    [
        pytest.param(str(FLC_FLOOR_MGL - 0.01), True, id="both-below-floor"),
        pytest.param(str(FLC_FLOOR_MGL), False, id="kappa-at-floor"),
    ],
)
def test_flc_mixup_rule_b_both_below_floor(kappa: str, flagged: bool) -> None:
    lb = lb_frame(
        [
            ("S1", "FLCKAP", kappa, "mg/L", "2024-01-05", "1"),
            ("S1", "FLCLAM", "0.8", "mg/L", "2024-01-05", "1"),
        ]
    )
    rows = [p.row for p in _only(lb_problems(lb)[0], R.UNIT_MIXUP)]
    assert rows == ([1, 2] if flagged else [])


def test_missing_columns_reported_together() -> None:
    lb = pl.DataFrame({"USUBJID": ["S1"], "LBTESTCD": ["FLCLAM"]})
    problems = lb_problems(lb, file="lb.csv")[0]
    assert {p.column for p in problems} == {"LBORRES", "LBORRESU", "LBDTC", "VISIT", "VISITNUM"}
    assert {p.reason for p in problems} == {R.MISSING_COLUMN}


def test_validate_lb_raises_all_problems_at_once() -> None:
    lb = lb_frame(
        [
            ("S1", "XYZ", "1", "mg/L", "2024-01-05", "1"),
            ("S1", "FLCLAM", "1", "furlongs", "2024-01", "1"),
        ]
    )
    with pytest.raises(IntakeError) as info:
        validate_lb(lb, file="lb.csv")
    reasons = [p.reason for p in info.value.problems]
    assert sorted(reasons) == sorted([R.UNKNOWN_TEST, R.UNKNOWN_UNIT, R.PARTIAL_DATE])


def test_dm_problems(dm: pl.DataFrame) -> None:
    bad = pl.concat(
        [
            dm,
            pl.DataFrame(
                {
                    "STUDYID": ["T", "T"],
                    "USUBJID": ["S1", "S3"],
                    "RFSTDTC": ["2024-02", "2024-02-01"],
                    "AGE": ["sixty", "121"],
                    "SEX": ["X", "F"],
                    "INVLC": ["KAPPA", "GAMMA"],
                    "HEARTFL": ["maybe", "N"],
                }
            ),
        ]
    )
    got = {(p.row, p.column, p.reason) for p in dm_problems(bad, file="dm.csv")}
    assert got == {
        (3, "USUBJID", R.DUPLICATE),
        (3, "RFSTDTC", R.PARTIAL_DATE),
        (3, "AGE", R.NOT_NUMERIC),
        (3, "SEX", R.BAD_VALUE),
        (3, "HEARTFL", R.BAD_VALUE),
        (4, "AGE", R.IMPLAUSIBLE_VALUE),
        (4, "INVLC", R.BAD_VALUE),
    }


def test_ex_problems() -> None:
    ex = pl.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1"],
            "EXTRT": ["POMALIDOMIDE", "POMALIDOMIDE", None],
            "EXDOSE": ["4", "four", "-1"],
            "EXDOSU": ["mg", "mg", "mg"],
            "EXSTDTC": ["2024-01-10", "2024-02-10", "2024-03"],
            "EXENDTC": ["2024-01-30", "2024-02-01", None],
        }
    )
    got = {(p.row, p.column, p.reason) for p in ex_problems(ex, file="ex.csv")}
    assert got == {
        (2, "EXDOSE", R.NOT_NUMERIC),
        (2, "EXENDTC", R.OUT_OF_ORDER),
        (3, "EXTRT", R.MISSING_VALUE),
        (3, "EXDOSE", R.IMPLAUSIBLE_VALUE),
        (3, "EXSTDTC", R.PARTIAL_DATE),
    }


def test_check_frames_collects_every_file_and_unknown_subjects(dm: pl.DataFrame) -> None:
    lb = lb_frame(
        [
            ("S1", "FLCLAM", "200", "mg/L", "2024-01-05", "1"),
            ("S2", "FLCKAP", "90", "mg/L", "2024-01-25", "1"),
            ("S9", "FLCKAP", "90", "mg/L", "2024-01-25", "1"),
            ("S9", "FLCLAM", "9", "mg/L", "2024-01-25", "1"),
        ]
    )
    ex = pl.DataFrame(
        {
            "USUBJID": ["S1", "S7"],
            "EXTRT": ["POMALIDOMIDE"] * 2,
            "EXDOSE": ["4", "x"],
            "EXDOSU": ["mg"] * 2,
            "EXSTDTC": ["2024-01-10", "2024-01-10"],
            "EXENDTC": ["2024-01-30", None],
        }
    )
    problems, bundle = check_frames(dm, lb, ex, files=("dm.csv", "lb.csv", "ex.csv"))
    assert bundle is None
    got = {(p.file, p.row, p.column, p.reason) for p in problems}
    assert got == {
        ("lb.csv", 3, "USUBJID", R.UNKNOWN_SUBJECT),
        ("ex.csv", 2, "USUBJID", R.UNKNOWN_SUBJECT),
        ("ex.csv", 2, "EXDOSE", R.NOT_NUMERIC),
    }
