"""ANDROMEDA measurable-disease definition (criteria.md 1.2): just-meets / just-misses."""

from __future__ import annotations

import polars as pl
import pytest

from plasmatrial.criteria.al.measurable import al_measurable_andromeda


def baseline(
    spep: float | None, kap: float | None, lam: float | None, inv: str | None = "LAMBDA"
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "USUBJID": ["S"],
            "ABLFL": ["Y"],
            "SPEPMP": [spep],
            "FLCKAP": [kap],
            "FLCLAM": [lam],
            "INVLC": [inv],
        },
        schema_overrides={"SPEPMP": pl.Float64, "FLCKAP": pl.Float64, "FLCLAM": pl.Float64},
    )


@pytest.mark.parametrize(
    ("spep", "kap", "lam", "expected", "boundary"),
    [
        pytest.param(0.5, 10.0, 20.0, "Y", True, id="spep-just-meets"),
        pytest.param(0.49, 10.0, 20.0, "N", False, id="spep-just-misses"),
        # lambda 50 with ratio 10/50 = 0.2 (abnormal): iFLC criterion; dFLC 40 < 50
        pytest.param(0.0, 10.0, 50.0, "Y", True, id="iflc-just-meets"),
        pytest.param(0.0, 10.0, 49.9, "N", False, id="iflc-just-misses"),
        # iFLC 55 but ratio 15/55 = 0.273 normal; dFLC 40: not measurable
        pytest.param(0.0, 15.0, 55.0, "N", False, id="iflc-normal-ratio-misses"),
        # dFLC exactly 50 with normal-ish ratio (40/90 = 0.44)
        pytest.param(0.0, 40.0, 90.0, "Y", True, id="dflc-just-meets"),
        pytest.param(0.0, 40.1, 90.0, "N", False, id="dflc-just-misses"),
    ],
)
@pytest.mark.rule("ANDROMEDA.MEASURABLE")
def test_boundaries(spep: float, kap: float, lam: float, expected: str, boundary: bool) -> None:
    row = al_measurable_andromeda(baseline(spep, kap, lam)).row(0, named=True)
    assert row["MEASFL"] == expected
    assert row["AT_BOUNDARY"] is boundary
    assert row["EXPLAIN"].startswith("measurable" if expected == "Y" else "not measurable")


def test_missing_data_is_not_evaluable_unless_one_criterion_met() -> None:
    assert al_measurable_andromeda(baseline(None, None, None))["MEASFL"].item() is None
    assert al_measurable_andromeda(baseline(0.8, None, None))["MEASFL"].item() == "Y"


def test_involved_chain_inferred_when_missing() -> None:
    row = al_measurable_andromeda(baseline(0.0, 120.0, 10.0, inv=None)).row(0, named=True)
    assert row["IFLC"] == 120.0
    assert row["MEASFL"] == "Y"
