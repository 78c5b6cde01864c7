"""AL staging (criteria.md 3.1-3.5) and the renal stage of 2.4."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.criteria.helpers import Case


def st(**bl: Any) -> Case:
    return Case(bl, rule_set="AL_STAGING")


def kap(dflc: float) -> dict[str, Any]:
    return {"INVLC": "KAPPA", "FLCKAP": dflc + 10.0, "FLCLAM": 10.0}


S = {
    "S1": (st(NTPROBNP=331.0, TROPT=0.034), "MAYO2004", "I"),
    "S2": (st(NTPROBNP=332.0, TROPT=0.034), "MAYO2004", "II"),
    "S3": (st(NTPROBNP=2000.0, TROPT=0.04), "MAYO2004", "IIIa"),
    "S4": (st(NTPROBNP=9000.0, TROPT=0.05), "MAYO2004", "IIIb"),
    "S5": (st(NTPROBNP=8500.0, TROPT=0.05), "MAYO2004", "IIIa"),
    "S6": (st(TROPT=0.03, NTPROBNP=1000.0, **kap(200.0)), "MAYO2012", "III"),
    "S7": (st(TROPT=0.025, NTPROBNP=1800.0, **kap(180.0)), "MAYO2012", "IV"),
}


@pytest.mark.parametrize("name", sorted(S))
def test_worked_staging_cases(name: str) -> None:
    case, param, expected = S[name]
    assert case.last(param)["AVALC"] == expected


@pytest.mark.parametrize(
    ("case", "param", "expected"),
    [
        pytest.param(
            st(NTPROBNP=332.0, TROPT=0.01),
            "MAYO2004",
            "II",
            id="nt-just-meets",
            marks=pytest.mark.rule("AL.STG.MAYO2004.II"),
        ),
        pytest.param(
            st(NTPROBNP=331.9, TROPT=0.01),
            "MAYO2004",
            "I",
            id="nt-just-misses",
            marks=pytest.mark.rule("AL.STG.MAYO2004.I"),
        ),
        pytest.param(
            st(NTPROBNP=100.0, TROPT=0.035),
            "MAYO2004",
            "II",
            id="ctnt-just-meets",
            marks=pytest.mark.rule("AL.STG.MAYO2004.II"),
        ),
        pytest.param(
            st(NTPROBNP=100.0, TROPT=0.0349),
            "MAYO2004",
            "I",
            id="ctnt-just-misses",
            marks=pytest.mark.rule("AL.STG.MAYO2004.I"),
        ),
        pytest.param(
            st(NTPROBNP=100.0, HSTNT=50.0),
            "MAYO2004",
            "II",
            id="hstnt-just-meets",
            marks=pytest.mark.rule("AL.STG.MAYO2004.II"),
        ),
        pytest.param(
            st(NTPROBNP=100.0, HSTNT=49.9),
            "MAYO2004",
            "I",
            id="hstnt-just-misses",
            marks=pytest.mark.rule("AL.STG.MAYO2004.I"),
        ),
        pytest.param(
            st(NTPROBNP=100.0, TROPI=0.1),
            "MAYO2004",
            "II",
            id="ctni-just-meets",
            marks=pytest.mark.rule("AL.STG.MAYO2004.II"),
        ),
        pytest.param(
            st(NTPROBNP=100.0, TROPI=0.0999),
            "MAYO2004",
            "I",
            id="ctni-just-misses",
            marks=pytest.mark.rule("AL.STG.MAYO2004.I"),
        ),
        pytest.param(
            st(NTPROBNP=8500.1, TROPT=0.05),
            "MAYO2004",
            "IIIb",
            id="iiib-just-meets",
            marks=pytest.mark.rule("AL.STG.MAYO2004.IIIB"),
        ),
        pytest.param(
            st(NTPROBNP=8500.0, TROPT=0.05),
            "MAYO2004",
            "IIIa",
            id="iiib-just-misses",
            marks=[
                pytest.mark.rule("AL.STG.MAYO2004.IIIB"),
                pytest.mark.rule("AL.STG.MAYO2004.IIIA"),
            ],
        ),
        pytest.param(
            st(NTPROBNP=400.0),
            "MAYO2004",
            "≥II",
            id="troponin-missing-nt-high",
            marks=pytest.mark.rule("AL.STG.MAYO2004.GE_II"),
        ),
        pytest.param(
            st(NTPROBNP=331.9),
            "MAYO2004",
            "I/II",
            id="troponin-missing-nt-low",
            marks=pytest.mark.rule("AL.STG.MAYO2004.I_OR_II"),
        ),
        pytest.param(
            st(TROPT=0.035),
            "MAYO2004",
            "≥II",
            id="nt-missing-troponin-high",
            marks=pytest.mark.rule("AL.STG.MAYO2004.GE_II"),
        ),
        pytest.param(
            st(BNP=100.0),
            "MAYO2004",
            "NE",
            id="both-missing",
            marks=pytest.mark.rule("AL.STG.MAYO2004.NE"),
        ),
        pytest.param(
            st(TROPT=0.01, NTPROBNP=100.0, **kap(180.0)),
            "MAYO2012",
            "II",
            id="dflc-just-meets",
            marks=pytest.mark.rule("AL.STG.MAYO2012.II"),
        ),
        pytest.param(
            st(TROPT=0.01, NTPROBNP=100.0, **kap(179.9)),
            "MAYO2012",
            "I",
            id="dflc-just-misses",
            marks=pytest.mark.rule("AL.STG.MAYO2012.I"),
        ),
        pytest.param(
            st(TROPT=0.0249, NTPROBNP=1800.0, **kap(180.0)),
            "MAYO2012",
            "III",
            id="ctnt-2012-just-misses",
            marks=pytest.mark.rule("AL.STG.MAYO2012.III"),
        ),
        pytest.param(
            st(TROPT=0.025, NTPROBNP=1799.9, **kap(180.0)),
            "MAYO2012",
            "III",
            id="nt-2012-just-misses",
            marks=pytest.mark.rule("AL.STG.MAYO2012.III"),
        ),
        pytest.param(
            st(HSTNT=40.0, NTPROBNP=1800.0, **kap(180.0)),
            "MAYO2012",
            "IV",
            id="hstnt-2012-just-meets",
            marks=pytest.mark.rule("AL.STG.MAYO2012.IV"),
        ),
        pytest.param(
            st(TROPT=0.01, NTPROBNP=100.0),
            "MAYO2012",
            "NE",
            id="flc-missing",
            marks=pytest.mark.rule("AL.STG.MAYO2012.NE"),
        ),
        pytest.param(
            st(BNP=81.1, TROPI=0.05),
            "BU2019",
            "II",
            id="bnp-just-meets",
            marks=pytest.mark.rule("AL.STG.BU2019.II"),
        ),
        pytest.param(
            st(BNP=81.0, TROPI=0.05),
            "BU2019",
            "I",
            id="bnp-just-misses",
            marks=pytest.mark.rule("AL.STG.BU2019.I"),
        ),
        pytest.param(
            st(BNP=81.1, TROPI=0.11),
            "BU2019",
            "III",
            id="tni-just-meets",
            marks=pytest.mark.rule("AL.STG.BU2019.III"),
        ),
        pytest.param(
            st(BNP=81.1, TROPI=0.1),
            "BU2019",
            "II",
            id="tni-just-misses",
            marks=pytest.mark.rule("AL.STG.BU2019.II"),
        ),
        pytest.param(
            st(BNP=700.1, TROPI=0.11),
            "BU2019",
            "IIIb",
            id="iiib-700-just-meets",
            marks=pytest.mark.rule("AL.STG.BU2019.IIIB"),
        ),
        pytest.param(
            st(BNP=700.0, TROPI=0.11),
            "BU2019",
            "III",
            id="iiib-700-just-misses",
            marks=pytest.mark.rule("AL.STG.BU2019.IIIB"),
        ),
        pytest.param(
            st(BNP=700.0),
            "BU2019",
            "NE",
            id="bu-missing",
            marks=pytest.mark.rule("AL.STG.BU2019.NE"),
        ),
        pytest.param(
            st(PROT24H=5.1, EGFR=50.0),
            "RENSTG",
            "II",
            id="prot-just-meets",
            marks=pytest.mark.rule("AL.STG.REN2014.II"),
        ),
        pytest.param(
            st(PROT24H=5.0, EGFR=50.0),
            "RENSTG",
            "I",
            id="prot-just-misses",
            marks=pytest.mark.rule("AL.STG.REN2014.I"),
        ),
        pytest.param(
            st(PROT24H=5.1, EGFR=49.9),
            "RENSTG",
            "III",
            id="egfr-just-meets",
            marks=pytest.mark.rule("AL.STG.REN2014.III"),
        ),
        pytest.param(
            st(PROT24H=6.0),
            "RENSTG",
            "≥II",
            id="egfr-missing-prot-high",
            marks=pytest.mark.rule("AL.STG.REN2014.GE_II"),
        ),
        pytest.param(
            st(PROT24H=3.0),
            "RENSTG",
            "NE",
            id="egfr-missing-prot-low",
            marks=pytest.mark.rule("AL.STG.REN2014.NE"),
        ),
    ],
)
def test_staging_boundaries(case: Case, param: str, expected: str) -> None:
    assert case.last(param)["AVALC"] == expected


@pytest.mark.rule("AL.STG.MAYO2004.II")
def test_hstnt_54_option() -> None:
    assert (
        Case({"NTPROBNP": 100.0, "HSTNT": 53.9}, rule_set="AL_STAGING", hs_ctnt_mayo2004=54).last(
            "MAYO2004"
        )["AVALC"]
        == "I"
    )
    assert (
        Case({"NTPROBNP": 100.0, "HSTNT": 54.0}, rule_set="AL_STAGING", hs_ctnt_mayo2004=54).last(
            "MAYO2004"
        )["AVALC"]
        == "II"
    )
