"""Boundaries of the distribution rules C, D and E of decision 0105 (one test per cut-off)."""

from __future__ import annotations

import polars as pl
import pytest

from plasmatrial.errors import Problem, ReasonCode
from plasmatrial.intake import lb_problems
from plasmatrial.intake.mixup import FLC_REFERENCE_MGL, HALF_DECADE, SPIKE_TOLERANCE
from tests.unit.intake.conftest import lb_frame

Row = tuple[str, str, str, str | None, str, str]


def _mixups(lb: pl.DataFrame) -> list[Problem]:
    return [p for p in lb_problems(lb)[0] if p.reason is ReasonCode.UNIT_MIXUP]


@pytest.mark.parametrize(
    ("factor", "flagged"),
    [
        pytest.param(10**HALF_DECADE * 1.001, True, id="just-past-half-decade"),
        pytest.param(10**HALF_DECADE * 0.999, False, id="just-inside-half-decade"),
        pytest.param(1.0, False, id="freelite-limit"),
        pytest.param(0.1, True, id="tenfold-low"),
    ],
)
def test_rule_c_reference_range_scale(factor: float, flagged: bool) -> None:
    uln = FLC_REFERENCE_MGL["FLCKAP"][1] * factor
    lb = lb_frame([("S1", "FLCKAP", "12", "mg/L", "2024-01-05", "1")]).with_columns(
        pl.lit(f"{uln:.6f}").alias("LBSTNRHI")
    )
    rows = [p.row for p in _mixups(lb) if "reference range" in p.expected]
    assert rows == ([1] if flagged else [])


def _cohort(n: int, kappa: float, lam: float) -> list[Row]:
    rows: list[Row] = []
    for i in range(n):
        for v, day in enumerate(("2024-01-05", "2024-02-05")):
            rows.append((f"S{i}", "FLCKAP", str(kappa), "mg/L", day, str(v + 1)))
            rows.append((f"S{i}", "FLCLAM", str(lam), "mg/L", day, str(v + 1)))
    return rows


def test_rule_d_whole_file_off() -> None:
    # Uninvolved κ 80 mg/L in every subject: 10x the κ midpoint (8.0): mg/L values labelled mg/dL
    # would look like this after conversion (here written directly in mg/L).
    problems = _mixups(lb_frame(_cohort(5, 80.0, 900.0)))
    assert [p.row for p in problems] == [None]
    assert "whole file" in problems[0].expected


def test_rule_d_needs_five_subjects_for_a_file_judgement() -> None:
    assert _mixups(lb_frame(_cohort(4, 80.0, 900.0))) == []


def test_rule_d_one_subject_off_the_file() -> None:
    rows = _cohort(6, 8.0, 300.0)
    rows += [
        ("SX", "FLCKAP", "0.7", "mg/L", "2024-01-05", "1"),
        ("SX", "FLCLAM", "30", "mg/L", "2024-01-05", "1"),
    ]
    problems = _mixups(lb_frame(rows))
    assert [p.value.split(":")[0] for p in problems if p.value] == ["SX"]


def test_normal_cohort_is_quiet() -> None:
    assert _mixups(lb_frame(_cohort(6, 8.0, 300.0))) == []


@pytest.mark.parametrize(
    ("step", "flagged"),
    [
        pytest.param(10.0, True, id="tenfold"),
        pytest.param(10 ** (1 + SPIKE_TOLERANCE) * 0.999, True, id="upper-edge"),
        pytest.param(10 ** (1 - SPIKE_TOLERANCE) * 0.98, False, id="below-lower-edge"),
        pytest.param(3.0, False, id="threefold"),
    ],
)
def test_rule_e_reverting_spike(step: float, flagged: bool) -> None:
    # the uninvolved chain (inside its reference interval) falls and comes back
    mid = 12.0 / step
    rows: list[Row] = [
        ("S1", "FLCKAP", "12", "mg/L", "2024-01-05", "1"),
        ("S1", "FLCKAP", f"{mid:.6f}", "mg/L", "2024-02-05", "2"),
        ("S1", "FLCKAP", "12", "mg/L", "2024-03-05", "3"),
    ]
    rows_e = [p.row for p in _mixups(lb_frame(rows)) if "reverts" in p.expected]
    assert rows_e == ([2] if flagged else [])


@pytest.mark.parametrize(
    ("values", "flagged"),
    [
        # AL-POMDEX-P2 seed 110: an involved lambda falls to a tenth and relapses (a deep
        # response, then progression): not a unit error to report
        pytest.param(("207.7", "26.4", "188.4"), False, id="involved-fall-and-relapse"),
        # the same chain jumping up tenfold and back is no biology
        pytest.param(("207.7", "2077", "188.4"), True, id="involved-jump-up"),
        # a fall whose neighbours are not both above the reference interval is still reported
        pytest.param(("20.0", "2.0", "20.0"), True, id="near-normal-fall"),
    ],
)
def test_rule_e_spares_a_response_then_relapse(values: tuple[str, str, str], flagged: bool) -> None:
    rows: list[Row] = [
        ("S1", "FLCLAM", v, "mg/L", f"2024-0{k + 1}-05", str(k + 1)) for k, v in enumerate(values)
    ]
    rows_e = [p.row for p in _mixups(lb_frame(rows)) if "reverts" in p.expected]
    assert rows_e == ([2] if flagged else [])
