"""IMWG progression P1-P7 (criteria.md 4.5, rulings R1, R6 vs the 2011 nadir), worked case M7
and the relapse flags of 4.7: just-meets / just-misses for every threshold."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from tests.unit.criteria.helpers import Case


def seq(bl: dict[str, Any], *visits: dict[str, Any], rule_set: str = "IMWG_2016") -> Case:
    return Case(bl, *visits, rule_set=rule_set)


def pd_param(rule: str, case: Case, expected: str, id: str) -> Any:
    return pytest.param(case, expected, id=id, marks=pytest.mark.rule(rule))


def s(v: float) -> dict[str, Any]:
    return {"SPEPMP": v}


def u(v: float) -> dict[str, Any]:
    return {"UPEPMP": v}


def k(v: float) -> dict[str, Any]:
    return {"FLCKAP": v, "FLCLAM": 10.0}


def b(v: float) -> dict[str, Any]:
    return {"BMPC": v}


def row(case: Case, paramcd: str) -> dict[str, Any]:
    return case.last(paramcd)


CASES: list[Any] = []
for rs, pre in (("IMWG_2016", "IMWG2016"), ("IMWG_2011_NADIR", "IMWG2011")):
    CASES += [
        # P1: serum ≥ 25 % and ≥ 0.5 g/dL (reference 1.0 seen twice)
        pd_param(
            f"{pre}.PD.P1",
            seq(s(2.0), s(1.0), s(1.0), s(1.5), rule_set=rs),
            "PD",
            f"{rs}-p1-abs-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P1",
            seq(s(2.0), s(1.0), s(1.0), s(1.49), rule_set=rs),
            "NOPD",
            f"{rs}-p1-abs-just-misses",
        ),
        pd_param(
            f"{pre}.PD.P1",
            seq(s(2.0), s(1.0), s(1.0), s(1.3), rule_set=rs),
            "NOPD",
            f"{rs}-p1-worked-1.3",
        ),
        pd_param(
            f"{pre}.PD.P1",
            seq(s(8.0), s(4.0), s(4.0), s(5.0), rule_set=rs),
            "PD",
            f"{rs}-p1-pct-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P1",
            seq(s(8.0), s(4.0), s(4.0), s(4.99), rule_set=rs),
            "NOPD",
            f"{rs}-p1-pct-just-misses",
        ),
        # P2: nadir ≥ 5 g/dL → increase ≥ 1 g/dL suffices
        pd_param(
            f"{pre}.PD.P2",
            seq(s(10.0), s(5.2), s(5.2), s(6.2), rule_set=rs),
            "PD",
            f"{rs}-p2-worked-5.2-6.2",
        ),
        pd_param(
            f"{pre}.PD.P2",
            seq(s(10.0), s(5.2), s(5.2), s(6.19), rule_set=rs),
            "NOPD",
            f"{rs}-p2-abs-just-misses",
        ),
        pd_param(
            f"{pre}.PD.P2",
            seq(s(10.0), s(5.0), s(5.0), s(6.0), rule_set=rs),
            "PD",
            f"{rs}-p2-nadir-5-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P2",
            seq(s(10.0), s(4.99), s(4.99), s(5.99), rule_set=rs),
            "NOPD",
            f"{rs}-p2-nadir-just-misses",
        ),
        # P3: urine ≥ 25 % and ≥ 200 mg/24 h
        pd_param(
            f"{pre}.PD.P3",
            seq(u(1000.0), u(400.0), u(400.0), u(600.0), rule_set=rs),
            "PD",
            f"{rs}-p3-abs-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P3",
            seq(u(1000.0), u(400.0), u(400.0), u(599.0), rule_set=rs),
            "NOPD",
            f"{rs}-p3-abs-just-misses",
        ),
        pd_param(
            f"{pre}.PD.P3",
            seq(u(2000.0), u(1000.0), u(1000.0), u(1250.0), rule_set=rs),
            "PD",
            f"{rs}-p3-pct-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P3",
            seq(u(2000.0), u(1000.0), u(1000.0), u(1249.0), rule_set=rs),
            "NOPD",
            f"{rs}-p3-pct-just-misses",
        ),
        # P4: FLC-only dFLC ≥ 25 % and > 100 mg/L (dFLC = κ − 10)
        pd_param(
            f"{pre}.PD.P4",
            seq(k(1010.0), k(410.0), k(410.0), k(510.1), rule_set=rs),
            "PD",
            f"{rs}-p4-abs-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P4",
            seq(k(1010.0), k(410.0), k(410.0), k(510.0), rule_set=rs),
            "NOPD",
            f"{rs}-p4-abs-100-misses",
        ),
        pd_param(
            f"{pre}.PD.P4",
            seq(k(2010.0), k(810.0), k(810.0), k(1010.0), rule_set=rs),
            "PD",
            f"{rs}-p4-pct-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P4",
            seq(k(2010.0), k(810.0), k(810.0), k(1009.0), rule_set=rs),
            "NOPD",
            f"{rs}-p4-pct-just-misses",
        ),
        # P5: marrow-only ≥ 25 % and ≥ 10 points
        pd_param(
            f"{pre}.PD.P5",
            seq(b(40.0), b(20.0), b(20.0), b(30.0), rule_set=rs),
            "PD",
            f"{rs}-p5-abs-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P5",
            seq(b(40.0), b(20.0), b(20.0), b(29.9), rule_set=rs),
            "NOPD",
            f"{rs}-p5-abs-just-misses",
        ),
        pd_param(
            f"{pre}.PD.P5",
            seq(b(60.0), b(50.0), b(50.0), b(62.5), rule_set=rs),
            "PD",
            f"{rs}-p5-pct-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P5",
            seq(b(60.0), b(50.0), b(50.0), b(62.4), rule_set=rs),
            "NOPD",
            f"{rs}-p5-pct-just-misses",
        ),
        # P6: new lesion; SPD ≥ 50 % over its nadir
        pd_param(
            f"{pre}.PD.P6.NEWLESION",
            seq(s(2.0), {**s(1.0), "NEWLESFL": True}, rule_set=rs),
            "PD",
            f"{rs}-p6-new-lesion",
        ),
        pd_param(
            f"{pre}.PD.P6.SPD",
            seq({"PCYTSPD": 10.0}, {"PCYTSPD": 4.0}, {"PCYTSPD": 6.0}, rule_set=rs),
            "PD",
            f"{rs}-p6-spd-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P6.SPD",
            seq({"PCYTSPD": 10.0}, {"PCYTSPD": 4.0}, {"PCYTSPD": 5.9}, rule_set=rs),
            "NOPD",
            f"{rs}-p6-spd-just-misses",
        ),
        # P7: circulating PCs only: ≥ 50 % and ≥ 200 /µL
        pd_param(
            f"{pre}.PD.P7",
            seq({"CPC": 400.0}, {"CPC": 200.0}, {"CPC": 200.0}, {"CPC": 300.0}, rule_set=rs),
            "PD",
            f"{rs}-p7-pct-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P7",
            seq({"CPC": 400.0}, {"CPC": 200.0}, {"CPC": 200.0}, {"CPC": 299.0}, rule_set=rs),
            "NOPD",
            f"{rs}-p7-pct-just-misses",
        ),
        pd_param(
            f"{pre}.PD.P7",
            seq({"CPC": 400.0}, {"CPC": 100.0}, {"CPC": 100.0}, {"CPC": 200.0}, rule_set=rs),
            "PD",
            f"{rs}-p7-floor-just-meets",
        ),
        pd_param(
            f"{pre}.PD.P7",
            seq({"CPC": 400.0}, {"CPC": 100.0}, {"CPC": 100.0}, {"CPC": 199.0}, rule_set=rs),
            "NOPD",
            f"{rs}-p7-floor-just-misses",
        ),
        pd_param(
            f"{pre}.PD.P7",
            seq(
                {"CPC": 400.0, "SPEPMP": 2.0},
                {"CPC": 100.0, **s(2.0)},
                {"CPC": 100.0, **s(2.0)},
                {"CPC": 300.0, **s(2.0)},
                rule_set=rs,
            ),
            "NOPD",
            f"{rs}-p7-not-only-measure",
        ),
        # R1: reappearing M-spike after 0
        pd_param(
            f"{pre}.PD.P1",
            seq(s(2.0), s(0.0), s(0.0), s(0.5), rule_set=rs),
            "PD",
            f"{rs}-r1-from-zero-floor-meets",
        ),
        pd_param(
            f"{pre}.PD.P1",
            seq(s(2.0), s(0.0), s(0.0), s(0.49), rule_set=rs),
            "NOPD",
            f"{rs}-r1-from-zero-floor-misses",
        ),
        pd_param(f"{pre}.PD.NONE", seq(s(2.0), s(1.9), rule_set=rs), "NOPD", f"{rs}-no-pd"),
        pd_param(f"{pre}.PD.NE", seq(s(2.0), {"HGB": 10.0}, rule_set=rs), "NE", f"{rs}-no-data-ne"),
    ]


@pytest.mark.parametrize(("case", "expected"), CASES)
def test_progression_threshold(case: Case, expected: str) -> None:
    assert row(case, "MMPD")["AVALC"] == expected


R6_CASE = {"bl": s(2.0), "visits": (s(0.5), s(1.0), s(1.0))}
R6_2016 = seq(R6_CASE["bl"], *R6_CASE["visits"])
R6_2011 = seq(R6_CASE["bl"], *R6_CASE["visits"], rule_set="IMWG_2011_NADIR")


@pytest.mark.rule("IMWG2016.PD.NONE")
def test_r6_single_low_value_is_not_the_reference() -> None:
    # lowest level seen on two consecutive assessments = max(0.5, 1.0) = 1.0 → 1.0 is not PD
    assert row(R6_2016, "MMPD")["AVALC"] == "NOPD"


@pytest.mark.rule("IMWG2011.PD.P1")
def test_2011_plain_nadir_uses_single_low_value() -> None:
    assert row(R6_2011, "MMPD")["AVALC"] == "PD"  # nadir 0.5 → 1.0: +100 %, +0.5


M7 = seq(s(2.0), s(1.0), s(1.0), s(1.5), s(1.6))


@pytest.mark.rule("IMWG2016.PD.P1")
def test_m7_pd_at_both_visits_overall_wins() -> None:
    out = M7.result().filter(pl.col("PARAMCD") == "OVRLRESP")
    assert out["AVALC"].to_list() == ["PR", "PR", "PD", "PD"]


@pytest.mark.rule("IMWG2016.PD.P6.NEWLESION")
def test_imaging_pd_is_flagged() -> None:
    c = seq(s(2.0), {**s(1.0), "NEWLESFL": True})
    assert "PD_IMAGING" in (row(c, "OVRLRESP")["FLAGS"] or "")


# ------------------------------------------------------------------------------------- relapse
CRV = {"SPEPMP": 0.0, "SIFE": "NEGATIVE", "UPEPMP": 0.0, "UIFE": "NEGATIVE", "BMPC": 2.0}
REL = [
    pytest.param(
        seq(s(2.0), CRV, {**CRV, "SIFE": "POSITIVE"}),
        "RELCR",
        "Y",
        id="relcr-ife-reappears",
        marks=pytest.mark.rule("IMWG.RELCR.Y"),
    ),
    pytest.param(
        seq(s(2.0), CRV, {**CRV, "BMPC": 5.0}),
        "RELCR",
        "Y",
        id="relcr-bmpc-5-just-meets",
        marks=pytest.mark.rule("IMWG.RELCR.Y"),
    ),
    pytest.param(
        seq(s(2.0), CRV, {**CRV, "BMPC": 4.9}),
        "RELCR",
        "N",
        id="relcr-bmpc-just-misses",
        marks=pytest.mark.rule("IMWG.RELCR.N"),
    ),
    pytest.param(
        seq(s(2.0), CRV, {**CRV, "CALCIUM": 11.1}),
        "RELCR",
        "Y",
        id="relcr-calcium-just-meets",
        marks=pytest.mark.rule("IMWG.RELCR.Y"),
    ),
    pytest.param(
        seq(s(2.0), s(1.0), {**CRV, "SIFE": "POSITIVE"}),
        "RELCR",
        "NE",
        id="relcr-never-in-cr",
        marks=pytest.mark.rule("IMWG.RELCR.FROMCR"),
    ),
    pytest.param(
        seq(s(2.0), CRV, {"HGB": 11.0}),
        "RELCR",
        "NE",
        id="relcr-no-data",
        marks=pytest.mark.rule("IMWG.RELCR.NE"),
    ),
    pytest.param(
        seq(s(2.0), {**CRV, "MRDNGF": "NEGATIVE"}, {**CRV, "MRDNGF": "POSITIVE"}),
        "RELMRD",
        "Y",
        id="relmrd-loss",
        marks=pytest.mark.rule("IMWG.RELMRD.Y"),
    ),
    pytest.param(
        seq(s(2.0), {**CRV, "MRDNGF": "NEGATIVE"}, {**CRV, "PETMRD": "POSITIVE"}),
        "RELMRD",
        "Y",
        id="relmrd-pet-positive",
        marks=pytest.mark.rule("IMWG.RELMRD.Y"),
    ),
    pytest.param(
        seq(s(2.0), {**CRV, "MRDNGF": "NEGATIVE"}, CRV),
        "RELMRD",
        "N",
        id="relmrd-still-negative",
        marks=pytest.mark.rule("IMWG.RELMRD.N"),
    ),
    pytest.param(
        seq(s(2.0), CRV, {**CRV, "MRDNGF": "POSITIVE"}),
        "RELMRD",
        "NE",
        id="relmrd-never-negative",
        marks=pytest.mark.rule("IMWG.RELMRD.FROMNEG"),
    ),
    pytest.param(
        seq(s(2.0), {**CRV, "MRDNGF": "NEGATIVE"}, {"HGB": 11.0}),
        "RELMRD",
        "NE",
        id="relmrd-no-data",
        marks=pytest.mark.rule("IMWG.RELMRD.NE"),
    ),
    pytest.param(
        seq({**s(2.0), "CALCIUM": 9.0}, {**s(1.0), "CALCIUM": 11.1}),
        "CLINREL",
        "Y",
        id="clin-calcium-just-meets",
        marks=pytest.mark.rule("IMWG.CLINREL.Y"),
    ),
    pytest.param(
        seq({**s(2.0), "CALCIUM": 9.0}, {**s(1.0), "CALCIUM": 11.0}),
        "CLINREL",
        "N",
        id="clin-calcium-just-misses",
        marks=pytest.mark.rule("IMWG.CLINREL.N"),
    ),
    pytest.param(
        seq({**s(2.0), "HGB": 12.0}, {**s(1.0), "HGB": 10.0}),
        "CLINREL",
        "Y",
        id="clin-hgb-fall-just-meets",
        marks=pytest.mark.rule("IMWG.CLINREL.Y"),
    ),
    pytest.param(
        seq({**s(2.0), "HGB": 12.0}, {**s(1.0), "HGB": 10.1}),
        "CLINREL",
        "N",
        id="clin-hgb-fall-just-misses",
        marks=pytest.mark.rule("IMWG.CLINREL.N"),
    ),
    pytest.param(
        seq({**s(2.0), "CREAT": 1.0}, {**s(1.0), "CREAT": 3.0}),
        "CLINREL",
        "Y",
        id="clin-creat-rise-just-meets",
        marks=pytest.mark.rule("IMWG.CLINREL.Y"),
    ),
    pytest.param(
        seq({**s(2.0), "CREAT": 1.0}, {**s(1.0), "CREAT": 2.9}),
        "CLINREL",
        "N",
        id="clin-creat-rise-just-misses",
        marks=pytest.mark.rule("IMWG.CLINREL.N"),
    ),
    pytest.param(
        seq(s(2.0), s(1.0)),
        "CLINREL",
        "NE",
        id="clin-no-data",
        marks=pytest.mark.rule("IMWG.CLINREL.NE"),
    ),
]


@pytest.mark.parametrize(("case", "paramcd", "expected"), REL)
def test_relapse_flags(case: Case, paramcd: str, expected: str) -> None:
    assert row(case, paramcd)["AVALC"] == expected
