"""IMWG 2016 MRD categories (criteria.md 4.8)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from plasmatrial.criteria.mm.mrd import derive_mrd


def visits(**cols: list[object]) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    base: dict[str, list[object]] = {
        "USUBJID": ["A"] * n,
        "ADT": [dt.date(2020, 1, 1) + dt.timedelta(days=30 * i) for i in range(n)],
    }
    base.update(cols)
    return pl.DataFrame(base, strict=False)


@pytest.mark.rule("IMWG2016.MRD.flow")
@pytest.mark.parametrize(
    ("sens", "cat", "boundary"),
    [
        pytest.param(1e-5, "FLOW_MRD_NEGATIVE", True, id="sensitivity-1e-5-just-meets"),
        pytest.param(1.0001e-5, "MRD_NOT_EVALUABLE", False, id="sensitivity-just-misses"),
        pytest.param(1e-4, "MRD_NOT_EVALUABLE", False, id="sensitivity-1e-4"),
        pytest.param(1e-6, "FLOW_MRD_NEGATIVE", False, id="sensitivity-1e-6"),
        pytest.param(None, "MRD_NOT_EVALUABLE", False, id="sensitivity-missing"),
    ],
)
def test_sensitivity_threshold(sens: float | None, cat: str, boundary: bool) -> None:
    out = derive_mrd(visits(MRDNGF=["NEGATIVE"], MRDSENS=[sens], AVALC=["CR"]))
    assert out["MRDCAT"].to_list() == [cat]
    assert out["MRD_AT_BOUNDARY"].to_list() == [boundary]


@pytest.mark.parametrize(
    ("ngf", "ngs", "pet", "cat"),
    [
        pytest.param("NEGATIVE", None, None, "FLOW_MRD_NEGATIVE", id="flow"),
        pytest.param(None, "NEGATIVE", None, "SEQUENCING_MRD_NEGATIVE", id="sequencing"),
        pytest.param("NEGATIVE", "NEGATIVE", None, "FLOW_AND_SEQUENCING_MRD_NEGATIVE", id="both"),
        pytest.param("NEGATIVE", None, "NEGATIVE", "IMAGING_PLUS_MRD_NEGATIVE", id="imaging-plus"),
        pytest.param("NEGATIVE", None, "POSITIVE", "FLOW_MRD_NEGATIVE", id="pet-positive"),
        pytest.param("NEGATIVE", "POSITIVE", None, "MRD_POSITIVE", id="clone-by-ngs-wins"),
        pytest.param(None, None, "NEGATIVE", "MRD_NOT_DONE", id="no-marrow"),
    ],
)
def test_methods(ngf: str | None, ngs: str | None, pet: str | None, cat: str) -> None:
    df = visits(MRDNGF=[ngf], MRDNGS=[ngs], PETMRD=[pet], MRDSENS=[1e-6], AVALC=["sCR"])
    assert derive_mrd(df)["MRDCAT"].to_list() == [cat]


@pytest.mark.rule("IMWG2016.MRD.not_in_cr")
def test_requires_cr_by_default_and_option_to_report_regardless() -> None:
    df = visits(MRDNGF=["NEGATIVE"], MRDSENS=[1e-5], AVALC=["VGPR"])
    assert derive_mrd(df)["MRDCAT"].to_list() == ["MRD_NOT_IN_CR"]
    assert derive_mrd(df, require_cr=False)["MRDCAT"].to_list() == ["FLOW_MRD_NEGATIVE"]


@pytest.mark.rule("IMWG2016.MRD.sustained")
@pytest.mark.parametrize(
    ("gap_days", "sustained"),
    [
        pytest.param(365, True, id="one-year-just-meets"),
        pytest.param(364, False, id="one-year-just-misses"),
    ],
)
def test_sustained_needs_one_year(gap_days: int, sustained: bool) -> None:
    d0 = dt.date(2021, 3, 1)
    df = pl.DataFrame(
        {
            "USUBJID": ["A", "A"],
            "ADT": [d0, d0 + dt.timedelta(days=gap_days)],
            "MRDNGF": ["NEGATIVE", "NEGATIVE"],
            "MRDSENS": [1e-5, 1e-5],
            "PETMRD": ["NEGATIVE", "NEGATIVE"],
            "AVALC": ["CR", "CR"],
        }
    )
    out = derive_mrd(df)
    assert out["MRDSUSTFL"].to_list() == [False, sustained]
    assert out["MRDNEGDUR"].to_list() == [0, gap_days]


def test_positive_result_restarts_the_sustained_clock() -> None:
    d0 = dt.date(2020, 1, 1)
    df = pl.DataFrame(
        {
            "USUBJID": ["A"] * 3,
            "ADT": [d0, d0 + dt.timedelta(days=200), d0 + dt.timedelta(days=400)],
            "MRDNGF": ["NEGATIVE", "POSITIVE", "NEGATIVE"],
            "MRDSENS": [1e-5] * 3,
            "PETMRD": ["NEGATIVE", None, "NEGATIVE"],
            "AVALC": ["CR"] * 3,
        }
    )
    out = derive_mrd(df)
    assert out["MRDCAT"].to_list() == [
        "IMAGING_PLUS_MRD_NEGATIVE",
        "MRD_POSITIVE",
        "IMAGING_PLUS_MRD_NEGATIVE",
    ]
    assert out["MRDSUSTFL"].to_list() == [False, False, False]


def test_row_order_is_preserved_and_explanations_name_the_inputs() -> None:
    df = visits(MRDNGF=["NEGATIVE", "POSITIVE"], MRDSENS=[1e-5, 1e-5], AVALC=["CR", "CR"])
    out = derive_mrd(df.reverse())
    assert out["MRDNGF"].to_list() == ["POSITIVE", "NEGATIVE"]
    assert "NGF NEGATIVE" in out["MRD_EXPLAIN"][1]
    assert out["MRD_RULEID"].to_list() == ["IMWG2016.MRD.positive", "IMWG2016.MRD.flow"]
