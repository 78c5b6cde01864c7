"""ISS / R-ISS / R2-ISS: worked cases M8-M11 of criteria.md 4.12, boundaries and missing data."""

from __future__ import annotations

import polars as pl
import pytest

from plasmatrial.criteria.mm.staging import derive_iss, derive_r2_iss, derive_r_iss, derive_staging
from plasmatrial.errors import RuleError


def frame(**cols: list[object]) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    return pl.DataFrame({"USUBJID": [f"S{i}" for i in range(n)], **cols}, strict=False)


def one(b2m: float | None, alb: float | None, **extra: object) -> pl.DataFrame:
    data: dict[str, list[object]] = {"B2MICG": [b2m], "ALB": [alb]}
    data.update({k: [v] for k, v in extra.items()})
    return frame(**data).with_columns(pl.col("B2MICG", "ALB").cast(pl.Float64))


@pytest.mark.rule("ISS2005.I")
@pytest.mark.parametrize(
    ("b2m", "alb", "stage"),
    [
        pytest.param(3.4, 3.5, "I", id="M8-stage-I-albumin-just-meets"),
        pytest.param(3.4, 3.4, "II", id="M8-albumin-just-misses"),
        pytest.param(5.5, 3.4, "III", id="M8-b2m-5.5-just-meets-III"),
        pytest.param(5.499999, 4.0, "II", id="b2m-just-misses-III"),
        pytest.param(3.5, 4.0, "II", id="b2m-3.5-just-misses-I"),
        pytest.param(3.499999, 4.0, "I", id="b2m-just-meets-I"),
        pytest.param(5.5, None, "III", id="III-with-albumin-missing"),
        pytest.param(3.4, None, "I or II", id="I-or-II-albumin-missing"),
        pytest.param(4.0, None, "II", id="II-forced-albumin-missing"),
        pytest.param(None, 4.0, "NE", id="b2m-missing"),
    ],
)
def test_iss(b2m: float | None, alb: float | None, stage: str) -> None:
    out = derive_iss(one(b2m, alb))
    assert out["ISS"].to_list() == [stage]
    assert out["ISS_RULESET"][0] == "ISS_2005"
    assert stage in out["ISS_EXPLAIN"][0]


def test_iss_at_boundary_flag() -> None:
    out = derive_iss(frame(B2MICG=[3.5, 3.6, 5.5, 2.0], ALB=[4.0, 4.0, 4.0, 3.5]))
    assert out["ISS_AT_BOUNDARY"].to_list() == [True, False, True, True]


def test_iss_uses_baseline_rows_only_and_rejects_duplicates() -> None:
    wide = pl.DataFrame(
        {
            "USUBJID": ["A", "A"],
            "ABLFL": ["Y", None],
            "B2MICG": [6.0, 1.0],
            "ALB": [4.0, 4.0],
        }
    )
    assert derive_iss(wide)["ISS"].to_list() == ["III"]
    with pytest.raises(RuleError, match="more than one baseline row"):
        derive_iss(wide.with_columns(pl.lit("Y").alias("ABLFL")))


STD = {"DEL17P": False, "T414": False, "T1416": False}


@pytest.mark.rule("RISS2015.I")
@pytest.mark.parametrize(
    ("b2m", "alb", "ldh", "ca", "stage"),
    [
        pytest.param(3.0, 4.0, 200.0, STD, "I", id="M9-R-ISS-I"),
        pytest.param(3.0, 4.0, 250.0, STD, "I", id="LDH-equal-ULN-counts-normal"),
        pytest.param(3.0, 4.0, 250.000001, STD, "II", id="LDH-just-above-ULN"),
        pytest.param(3.0, 4.0, 200.0, {**STD, "T1416": True}, "II", id="ISS-I-high-risk"),
        pytest.param(6.0, 4.0, 200.0, STD, "II", id="ISS-III-standard-normal"),
        pytest.param(6.0, 4.0, 200.0, {**STD, "DEL17P": True}, "III", id="ISS-III-del17p"),
        pytest.param(6.0, None, 300.0, {}, "III", id="ISS-III-high-LDH-CA-missing"),
        pytest.param(4.0, 4.0, None, {}, "II", id="ISS-II-all-missing-forced"),
        pytest.param(3.0, 4.0, 200.0, {}, "NE", id="ISS-I-CA-missing"),
        pytest.param(6.0, 4.0, 200.0, {}, "NE", id="ISS-III-normal-LDH-CA-missing"),
        pytest.param(3.0, None, 200.0, {**STD, "T414": True}, "II", id="I-or-II-high-risk"),
    ],
)
def test_r_iss(
    b2m: float, alb: float | None, ldh: float | None, ca: dict[str, bool], stage: str
) -> None:
    df = one(b2m, alb, LDH=ldh, LDH_ULN=250.0, **ca).with_columns(pl.col("LDH").cast(pl.Float64))
    out = derive_r_iss(df)
    assert out["RISS"].to_list() == [stage]


def test_r_iss_ldh_at_uln_option_and_flag() -> None:
    df = one(3.0, 4.0, LDH=250.0, LDH_ULN=250.0, **STD)
    assert derive_r_iss(df, ldh_at_uln="high")["RISS"].to_list() == ["II"]
    out = derive_r_iss(df)
    assert out["RISS_AT_BOUNDARY"].to_list() == [True]
    assert "LDH = ULN (counted as normal)" in out["RISS_EXPLAIN"][0]


@pytest.mark.rule("R2ISS2022.III")
@pytest.mark.parametrize(
    ("row", "group", "lo", "hi"),
    [
        pytest.param(
            {
                "B2MICG": 4.0,
                "ALB": 4.0,
                "LDH": 100.0,
                "DEL17P": False,
                "T414": False,
                "GAIN1Q": True,
            },
            "III",
            1.5,
            1.5,
            id="M10-ISS-II-plus-1q",
        ),
        pytest.param(
            {"B2MICG": 6.0, "ALB": 3.0, "LDH": 300.0, "DEL17P": True, "T414": True, "GAIN1Q": True},
            "IV",
            5.0,
            5.0,
            id="M11-maximum-5",
        ),
        pytest.param(
            {
                "B2MICG": 3.0,
                "ALB": 4.0,
                "LDH": 100.0,
                "DEL17P": False,
                "T414": False,
                "GAIN1Q": False,
            },
            "I",
            0.0,
            0.0,
            id="all-low",
        ),
        pytest.param(
            {
                "B2MICG": 3.0,
                "ALB": 4.0,
                "LDH": 100.0,
                "DEL17P": False,
                "T414": False,
                "GAIN1Q": None,
            },
            "NE",
            0.0,
            0.5,
            id="interval-crosses-I-II-boundary-NE",
        ),
        pytest.param(
            {
                "B2MICG": 4.0,
                "ALB": 4.0,
                "LDH": 100.0,
                "DEL17P": False,
                "T414": None,
                "GAIN1Q": False,
            },
            "NE",
            1.0,
            2.0,
            id="interval-spans-two-groups",
        ),
        pytest.param(
            {
                "B2MICG": 6.0,
                "ALB": 4.0,
                "LDH": 100.0,
                "DEL17P": False,
                "T414": False,
                "GAIN1Q": None,
            },
            "III",
            1.5,
            2.0,
            id="interval-inside-III",
        ),
    ],
)
def test_r2_iss(row: dict[str, object], group: str, lo: float, hi: float) -> None:
    df = frame(**{k: [v] for k, v in row.items()}, LDH_ULN=[250.0]).with_columns(
        pl.col("DEL17P", "T414", "GAIN1Q").cast(pl.Boolean)
    )
    out = derive_r2_iss(df)
    assert out["R2ISS"].to_list() == [group]
    assert out["R2ISSMIN"][0] == pytest.approx(lo)
    assert out["R2ISSMAX"][0] == pytest.approx(hi)
    assert (out["R2ISSSC"][0] is None) == (lo != hi)


def test_string_flags_are_accepted_and_missing_columns_are_unknown() -> None:
    df = frame(B2MICG=[6.0], ALB=[4.0], LDH=[100.0], LDH_ULN=[250.0], DEL17P=["Y"])
    out = derive_staging(df)
    assert out["RISS"].to_list() == ["III"]
    # t(4;14) and 1q+ missing: score 1.5 + 1 + [0, 1.5]
    assert out["R2ISSMIN"][0] == pytest.approx(2.5)
    assert out["R2ISSMAX"][0] == pytest.approx(4.0)
    assert out["R2ISS"].to_list() == ["NE"]
