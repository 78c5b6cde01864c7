"""The ``mrd`` endpoint: method, sensitivity, window and CR requirement of the trial file
(sap.md 5, criteria.md 4.8), typed options, ITT denominator."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from pydantic import ValidationError

from plasmatrial.design.protocol import Endpoint, parse_trial
from plasmatrial.trial.analyse import ResponseRateResult
from plasmatrial.trial.mrd import analyse_mrd
from plasmatrial.trial.options import mrd_options

TRIAL = parse_trial(
    """
id: T
title: t
disease: AL
n_planned: 3
arms:
  - {code: A, name: Arm A, regimen: [{drug: POMALIDOMIDE, dose: 4}]}
criteria: {hematologic: AL_2012, progression: AL_PROG_2012}
primary:
  - {id: MRD, label: m, type: mrd}
"""
)
START = dt.date(2024, 1, 1)
#: 6 months x 30.4375 + 14 days = study day 196.6: day 196 is in the window, day 197 is not.
DAY_IN, DAY_OUT = 196, 197


def _adsl(best: str = "CR", efffl: str = "Y") -> pl.DataFrame:
    """S1 (tested) plus S2 (never tested, best response PR, not evaluable)."""
    return pl.DataFrame(
        {
            "USUBJID": ["S1", "S2"],
            "ARMCD": ["A", "A"],
            "ITTFL": ["Y", "Y"],
            "SAFFL": ["Y", "Y"],
            "EFFFL": [efffl, "N"],
            "STARTDT": [START, START],
            "BESTRSP": [best, "PR"],
        }
    )


def _rs(
    *, method: str = "NGF", sens: float | None = 1e-5, day: int = 180, result: str = "NEGATIVE"
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "USUBJID": ["S1"],
            "RSTESTCD": ["MRD"],
            "RSSTRESC": [result],
            "RSDTC": [(START + dt.timedelta(days=day - 1)).isoformat()],
            "RSMETHOD": [method],
            "RSLLOQ": [sens],
        },
        schema_overrides={"RSLLOQ": pl.Float64},
    )


def _run(rs: pl.DataFrame, adsl: pl.DataFrame | None = None, **options: object) -> tuple:
    opts = {"method": "NGF", "sensitivity": 1e-5, "months": 6, **options}
    ep = Endpoint(id="MRD", label="m", type="mrd", options=opts)
    res = analyse_mrd(ep, TRIAL, _adsl() if adsl is None else adsl, rs)
    assert isinstance(res, ResponseRateResult)
    row = res.rows.row(0, named=True)
    return row["X"], row["N"], res.note


def test_all_requirements_met_counts_over_itt() -> None:
    x, n, note = _run(_rs())
    assert (x, n) == (1, 2)
    assert "by NGF, sensitivity 1e-5 or better" in note and "0 excluded" in note
    assert note.endswith("Denominator: ITT")


def test_method_mismatch_is_excluded() -> None:
    x, _, note = _run(_rs(method="NGS"))
    assert x == 0
    assert "1 excluded (1 method not NGF)" in note


def test_any_method_accepts_ngs() -> None:
    assert _run(_rs(method="NGS"), method="ANY")[0] == 1


@pytest.mark.parametrize(
    ("sens", "counted"),
    [
        pytest.param(1e-5, 1, id="1e-5-meets"),
        pytest.param(1e-6, 1, id="1e-6-more-sensitive-meets"),
        pytest.param(1e-4, 0, id="1e-4-excluded"),
        pytest.param(None, 0, id="not-stated-excluded"),
    ],
)
def test_sensitivity(sens: float | None, counted: int) -> None:
    x, _, note = _run(_rs(sens=sens))
    assert x == counted
    if not counted:
        assert "1 sensitivity worse than 1e-5 or not stated" in note


@pytest.mark.parametrize(("day", "counted"), [(DAY_IN, 1), (DAY_OUT, 0)])
def test_assessment_window(day: int, counted: int) -> None:
    x, _, note = _run(_rs(day=day))
    assert x == counted
    assert ("1 tested after the window" in note) is (not counted)


def test_without_months_any_time_counts() -> None:
    ep = {"method": "NGF"}
    res = analyse_mrd(
        Endpoint(id="M", label="m", type="mrd", options=ep), TRIAL, _adsl(), _rs(day=900)
    )
    assert isinstance(res, ResponseRateResult) and res.rows["X"][0] == 1
    assert res.timepoint == "at any time"


def test_not_in_cr_is_excluded_unless_the_trial_waives_it() -> None:
    x, _, note = _run(_rs(), _adsl(best="VGPR"))
    assert x == 0 and "1 best response not CR/sCR" in note
    x, _, note = _run(_rs(), _adsl(best="VGPR"), require_cr=False)
    assert x == 1 and "CR/sCR" not in note


def test_positive_result_is_not_a_success() -> None:
    assert _run(_rs(result="POSITIVE"))[0] == 0


def test_population_option() -> None:
    x, n, note = _run(_rs(), population="evaluable")
    assert (x, n) == (1, 1) and note.endswith("Denominator: EVALUABLE")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"methd": "NGF"}, ("options", "mrd", "methd")),
        ({"method": "PCR"}, ("options", "mrd", "method")),
        ({"sensitivity": 2.0}, ("options", "mrd", "sensitivity")),
        ({"population": "PP"}, ("options", "mrd", "population")),
    ],
)
def test_bad_options_are_clear_errors(options: dict[str, object], message: tuple[str, ...]) -> None:
    # typed at construction (decision 0747); parse_trial adds the file location
    with pytest.raises(ValidationError) as err:
        Endpoint(id="MRD6", label="m", type="mrd", options=options)
    assert [e["loc"] for e in err.value.errors()] == [message]


def test_defaults() -> None:
    o = mrd_options(Endpoint(id="M", label="m", type="mrd"))
    assert (o.method, o.sensitivity, o.months, o.population, o.require_cr) == (
        "ANY",
        1e-5,
        None,
        "ITT",
        True,
    )
