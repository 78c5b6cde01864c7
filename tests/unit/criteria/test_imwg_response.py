"""IMWG 2016 response categories (criteria.md 4.2-4.3, rulings R4, R5, R8, Q18): worked cases
M1-M6 and just-meets / just-misses for every response threshold."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.criteria.helpers import Case

SET = "IMWG_2016"
SU = {"SPEPMP": 3.0, "UPEPMP": 400.0}  # serum and urine measurable (M1-M4)


def case(bl: dict[str, Any], *visits: dict[str, Any], rule_set: str = SET) -> Case:
    return Case(bl, *visits, rule_set=rule_set)


def pcase(rule: str, bl: dict[str, Any], visit: dict[str, Any], expected: str, id: str) -> Any:
    return pytest.param(case(bl, visit), expected, id=id, marks=pytest.mark.rule(rule))


# ------------------------------------------------------------------------------- worked cases
M1 = case(SU, {"SPEPMP": 1.2, "UPEPMP": 30.0}, {"SPEPMP": 1.2, "UPEPMP": 30.0})
M2 = case(SU, {"SPEPMP": 0.25, "UPEPMP": 50.0})
M3 = case(SU, {"SPEPMP": 2.0, "UPEPMP": 150.0})
M4 = case(SU, {"SPEPMP": 0.0, "SIFE": "POSITIVE", "UPEPMP": 0.0, "UIFE": "POSITIVE"})
M5 = case({"SPEPMP": 3.0, "UPEPMP": 150.0}, {"SPEPMP": 0.2})
M6 = case({"FLCKAP": 800.0, "FLCLAM": 10.0}, {"FLCKAP": 60.0, "FLCLAM": 9.0})


@pytest.mark.rule("IMWG.RESP.PR")
def test_m1_pr_each_visit() -> None:
    rows = M1.result().filter(M1.result()["PARAMCD"] == "OVRLRESP")
    assert rows["AVALC"].to_list() == ["PR", "PR"]


@pytest.mark.rule("IMWG.RESP.VGPR")
def test_m2_vgpr() -> None:
    assert M2.last("OVRLRESP")["AVALC"] == "VGPR"


@pytest.mark.rule("IMWG.RESP.MR")
def test_m3_mr() -> None:
    assert M3.last("OVRLRESP")["AVALC"] == "MR"


@pytest.mark.rule("IMWG.RESP.VGPR")
def test_m4_vgpr_ife_positive_electrophoresis_zero() -> None:
    assert M4.last("OVRLRESP")["AVALC"] == "VGPR"


@pytest.mark.rule("IMWG.RESP.PR")
def test_m5_urine_not_collected_downgrades_vgpr_to_pr() -> None:
    row = M5.last("OVRLRESP")
    assert row["AVALC"] == "PR"
    assert "VGPR not assessable" in row["DOWNGRADE"]
    assert "missing urine M-protein" in row["DOWNGRADE"]


@pytest.mark.rule("IMWG.RESP.VGPR")
def test_m6_flc_only_vgpr() -> None:
    assert M6.last("OVRLRESP")["AVALC"] == "VGPR"


# ------------------------------------------------------------------------- measurable disease
MEAS = [
    pytest.param(
        case(SU, {}), "SPEP_UPEP", id="serum+urine", marks=pytest.mark.rule("IMWG.MEAS.SPEP_UPEP")
    ),
    pytest.param(
        case({"SPEPMP": 1.0}, {}),
        "SPEP",
        id="serum-just-meets",
        marks=pytest.mark.rule("IMWG.MEAS.SPEP"),
    ),
    pytest.param(
        case({"SPEPMP": 0.99}, {}),
        "NE",
        id="serum-just-misses",
        marks=pytest.mark.rule("IMWG.MEAS.NE"),
    ),
    pytest.param(
        case({"UPEPMP": 200.0}, {}),
        "UPEP",
        id="urine-just-meets",
        marks=pytest.mark.rule("IMWG.MEAS.UPEP"),
    ),
    pytest.param(
        case({"UPEPMP": 199.0}, {}),
        "NE",
        id="urine-just-misses",
        marks=pytest.mark.rule("IMWG.MEAS.NE"),
    ),
    pytest.param(
        case({"FLCKAP": 100.0, "FLCLAM": 10.0}, {}),
        "FLC",
        id="iflc-just-meets",
        marks=pytest.mark.rule("IMWG.MEAS.FLC"),
    ),
    pytest.param(
        case({"FLCKAP": 99.9, "FLCLAM": 10.0}, {}),
        "NE",
        id="iflc-just-misses",
        marks=pytest.mark.rule("IMWG.MEAS.FLC"),
    ),
    pytest.param(
        case({"FLCKAP": 166.0, "FLCLAM": 100.0}, {}),
        "FLC",
        id="ratio-abnormal-just-meets",
        marks=pytest.mark.rule("IMWG.MEAS.FLC"),
    ),
    pytest.param(
        case({"FLCKAP": 165.0, "FLCLAM": 100.0}, {}),
        "NE",
        id="ratio-1.65-normal-just-misses",
        marks=pytest.mark.rule("IMWG.MEAS.FLC"),
    ),
    pytest.param(
        case({"SPEPMP": 2.0, "FLCKAP": 800.0, "FLCLAM": 10.0}, {}),
        "SPEP",
        id="flc-not-followed-when-serum",
        marks=pytest.mark.rule("IMWG.MEAS.SPEP"),
    ),
    pytest.param(
        case({"BMPC": 40.0}, {}),
        "MARROW",
        id="marrow-only",
        marks=pytest.mark.rule("IMWG.MEAS.MARROW"),
    ),
    pytest.param(
        case({"PCYTSPD": 4.0}, {}),
        "PLASMACYTOMA",
        id="plasmacytoma-only",
        marks=pytest.mark.rule("IMWG.MEAS.PLASMACYTOMA"),
    ),
    pytest.param(
        case({"CPC": 500.0}, {}), "CPC", id="cpc-only", marks=pytest.mark.rule("IMWG.MEAS.CPC")
    ),
]


@pytest.mark.parametrize(("c", "expected"), MEAS)
def test_measurable_disease(c: Case, expected: str) -> None:
    rows = c.result().filter(c.result()["PARAMCD"] == "MMMEAS")
    assert rows["AVALC"].to_list() == [expected]


def test_measurable_boundary_flagged() -> None:
    c = case({"SPEPMP": 1.0}, {})
    assert c.result().filter(c.result()["PARAMCD"] == "MMMEAS")["AT_BOUNDARY"].to_list() == [True]


# ------------------------------------------------------------------------------- serum levels
S2 = {"SPEPMP": 2.0}
SERUM = [
    pcase("IMWG.RESP.VGPR", S2, {"SPEPMP": 0.2}, "VGPR", "vgpr-90pct-just-meets"),
    pcase("IMWG.RESP.VGPR", S2, {"SPEPMP": 0.201}, "PR", "vgpr-90pct-just-misses"),
    pcase("IMWG.RESP.PR", S2, {"SPEPMP": 1.0}, "PR", "pr-50pct-just-meets"),
    pcase("IMWG.RESP.PR", S2, {"SPEPMP": 1.001}, "MR", "pr-50pct-just-misses"),
    pcase("IMWG.RESP.MR", S2, {"SPEPMP": 1.01}, "MR", "mr-49.5pct-is-mr"),
    pcase("IMWG.RESP.MR", S2, {"SPEPMP": 1.5}, "MR", "mr-25pct-just-meets"),
    pcase("IMWG.RESP.SD", S2, {"SPEPMP": 1.501}, "SD", "mr-25pct-just-misses"),
    pcase("IMWG.RESP.SD", S2, {"SPEPMP": 2.2}, "SD", "sd-increase-below-pd"),
    pcase(
        "IMWG.RESP.VGPR",
        {"SPEPMP": 3.0, "UPEPMP": 150.0},
        {"SPEPMP": 0.2, "UPEPMP": 99.0},
        "VGPR",
        "vgpr-urine-lt100-just-meets",
    ),
    pcase(
        "IMWG.RESP.VGPR",
        {"SPEPMP": 3.0, "UPEPMP": 150.0},
        {"SPEPMP": 0.2, "UPEPMP": 100.0},
        "PR",
        "vgpr-urine-lt100-just-misses",
    ),
    pcase("IMWG.RESP.VGPR", S2, {"SPEPMP": 0.0, "SIFE": "POSITIVE"}, "VGPR", "vgpr-ife-route"),
]

# ------------------------------------------------------------------------------- urine levels
U = {"UPEPMP": 1000.0}
SU250 = {"SPEPMP": 3.0, "UPEPMP": 250.0}  # both measurable; urine 250 mg/24 h
URINE = [
    pcase("IMWG.RESP.VGPR", U, {"UPEPMP": 99.0}, "VGPR", "urine-vgpr-just-meets"),
    pcase("IMWG.RESP.VGPR", U, {"UPEPMP": 100.0}, "PR", "urine-vgpr-just-misses"),
    pcase("IMWG.RESP.PR", U, {"UPEPMP": 199.0}, "PR", "urine-pr-lt200-just-meets"),
    pcase("IMWG.RESP.PR", U, {"UPEPMP": 200.0}, "MR", "urine-pr-lt200-just-misses"),
    pcase("IMWG.RESP.PR", {"UPEPMP": 2500.0}, {"UPEPMP": 250.0}, "PR", "urine-pr-90pct-just-meets"),
    pcase(
        "IMWG.RESP.PR", {"UPEPMP": 2500.0}, {"UPEPMP": 250.1}, "MR", "urine-pr-90pct-just-misses"
    ),
    pcase("IMWG.RESP.MR", U, {"UPEPMP": 500.0}, "MR", "urine-mr-50pct-just-meets"),
    pcase("IMWG.RESP.SD", U, {"UPEPMP": 501.0}, "SD", "urine-mr-50pct-just-misses"),
    # Levels are cumulative (R4): urine < 200 mg/24 h is the PR urine level, so it also satisfies
    # MR although 250 -> 199 is only a 20.4 % decrease; serum 3.0 -> 2.0 (-33 %) is MR.
    pcase("IMWG.RESP.MR", SU250, {"SPEPMP": 2.0, "UPEPMP": 199.0}, "MR", "urine-mr-via-pr-level"),
    pcase("IMWG.RESP.SD", SU250, {"SPEPMP": 2.0, "UPEPMP": 200.0}, "SD", "urine-mr-via-pr-misses"),
    pcase("IMWG.RESP.MR", SU250, {"SPEPMP": 2.0, "UPEPMP": 190.0}, "MR", "issue-10-item-8"),
]

# --------------------------------------------------------------------------------- FLC only
F = {"FLCKAP": 1010.0, "FLCLAM": 10.0}  # dFLC 1000
FLC = [
    pcase(
        "IMWG.RESP.VGPR", F, {"FLCKAP": 109.9, "FLCLAM": 10.0}, "VGPR", "flc-vgpr-gt90-just-meets"
    ),
    pcase(
        "IMWG.RESP.VGPR", F, {"FLCKAP": 110.0, "FLCLAM": 10.0}, "PR", "flc-vgpr-90-exactly-misses"
    ),
    pcase("IMWG.RESP.PR", F, {"FLCKAP": 510.0, "FLCLAM": 10.0}, "PR", "flc-pr-50-just-meets"),
    pcase("IMWG.RESP.PR", F, {"FLCKAP": 510.1, "FLCLAM": 10.0}, "SD", "flc-pr-50-just-misses"),
    pcase("IMWG.RESP.SD", F, {"FLCKAP": 710.0, "FLCLAM": 10.0}, "SD", "flc-no-mr-category"),
]

# ------------------------------------------------------------------------------ marrow only
MARROW = [
    pcase("IMWG.RESP.PR", {"BMPC": 30.0}, {"BMPC": 15.0}, "PR", "marrow-pr-50-just-meets"),
    pcase("IMWG.RESP.PR", {"BMPC": 30.0}, {"BMPC": 15.1}, "SD", "marrow-pr-50-just-misses"),
    pcase("IMWG.RESP.PR", {"BMPC": 29.9}, {"BMPC": 10.0}, "SD", "marrow-baseline-30-just-misses"),
]

# ------------------------------------------------------------------------------ plasmacytoma
SP = {"SPEPMP": 2.0, "PCYTSPD": 10.0}
PCYT = [
    pcase("IMWG.RESP.PR", SP, {"SPEPMP": 0.8, "PCYTSPD": 5.0}, "PR", "pcyt-pr-50-just-meets"),
    pcase("IMWG.RESP.PR", SP, {"SPEPMP": 0.8, "PCYTSPD": 5.1}, "MR", "pcyt-pr-50-just-misses"),
    pcase("IMWG.RESP.MR", SP, {"SPEPMP": 0.8, "PCYTSPD": 7.5}, "MR", "pcyt-mr-25-just-meets"),
    pcase("IMWG.RESP.MR", SP, {"SPEPMP": 0.8, "PCYTSPD": 7.6}, "SD", "pcyt-mr-25-just-misses"),
    pcase("IMWG.RESP.VGPR", SP, {"SPEPMP": 0.1, "PCYTSPD": 5.0}, "VGPR", "pcyt-does-not-cap-vgpr"),
]

# -------------------------------------------------------------------------------- CR and sCR
CRV = {"SPEPMP": 0.0, "SIFE": "NEGATIVE", "UPEPMP": 0.0, "UIFE": "NEGATIVE", "BMPC": 4.9}
NORMAL = {"FLCKAP": 16.5, "FLCLAM": 10.0, "BMCLONFL": False}  # ratio 1.65
CR = [
    pcase("IMWG.RESP.CR", SU, CRV, "CR", "cr-bmpc-lt5-just-meets"),
    pcase("IMWG.RESP.CR", SU, {**CRV, "BMPC": 5.0}, "VGPR", "cr-bmpc-lt5-just-misses"),
    pcase("IMWG.RESP.CR", SU, {**CRV, "UIFE": "POSITIVE"}, "VGPR", "cr-needs-urine-ife-negative"),
    pcase("IMWG.RESP.SCR", SU, {**CRV, **NORMAL}, "sCR", "scr-ratio-1.65-just-meets"),
    pcase("IMWG.RESP.SCR", SU, {**CRV, **NORMAL, "FLCKAP": 16.6}, "CR", "scr-ratio-just-misses"),
    pcase(
        "IMWG.RESP.SCR", SU, {**CRV, **NORMAL, "BMCLONFL": True}, "CR", "scr-clonal-cells-by-ihc"
    ),
    pcase("IMWG.RESP.CR", SP, {**CRV, "PCYTSPD": 0.0}, "CR", "cr-plasmacytoma-disappeared"),
    pcase("IMWG.RESP.CR", SP, {**CRV, "PCYTSPD": 0.5}, "VGPR", "cr-plasmacytoma-still-present"),
    pcase(
        "IMWG.RESP.CR", F, {**CRV, "FLCKAP": 16.5, "FLCLAM": 10.0}, "CR", "cr-flc-only-normal-ratio"
    ),
    pcase(
        "IMWG.RESP.CR",
        F,
        {**CRV, "FLCKAP": 30.0, "FLCLAM": 10.0},
        "VGPR",
        "cr-flc-only-abnormal-ratio",
    ),
    pcase(
        "IMWG.RESP.CR",
        SU,
        {**CRV, "SIFE": "POSITIVE", "IFEDARAFL": True},
        "CR",
        "q18-dara-band-excluded",
    ),
    pcase(
        "IMWG.RESP.CR",
        SU,
        {**CRV, "SIFE": "POSITIVE", "IFEDARAFL": False},
        "VGPR",
        "q18-flag-false",
    ),
]


@pytest.mark.parametrize(("c", "expected"), SERUM + URINE + FLC + MARROW + PCYT + CR)
def test_response_threshold(c: Case, expected: str) -> None:
    assert c.last("OVRLRESP")["AVALC"] == expected


def test_exact_threshold_is_flagged_at_boundary() -> None:
    c = case(S2, {"SPEPMP": 1.0})
    assert c.last("OVRLRESP")["AT_BOUNDARY"] is True


# --------------------------------------------------------------------------- R4, R5, missing
R4 = case({"SPEPMP": 3.0, "UPEPMP": 1000.0}, {"SPEPMP": 1.2, "UPEPMP": 400.0})
R5 = case(SU, {"SPEPMP": 1.2})
NE_VISIT = case(S2, {"UPEPMP": 10.0})
NOT_MEAS = case({"SPEPMP": 0.5}, {"SPEPMP": 0.1})


@pytest.mark.rule("IMWG.RESP.MR")
def test_r4_lowest_level_across_parameters() -> None:
    assert R4.last("OVRLRESP")["AVALC"] == "MR"


@pytest.mark.rule("IMWG.RESP.NE")
def test_r5_followed_parameter_missing_is_ne() -> None:
    row = R5.last("OVRLRESP")
    assert (row["AVALC"], row["RULEID"]) == ("NE", "IMWG.RESP.NE")


@pytest.mark.rule("IMWG.RESP.NE")
def test_serum_missing_is_ne() -> None:
    assert NE_VISIT.last("OVRLRESP")["AVALC"] == "NE"


@pytest.mark.rule("IMWG.RESP.MEASURABLE")
def test_no_measurable_disease_is_ne_with_gate_id() -> None:
    row = NOT_MEAS.last("OVRLRESP")
    assert (row["AVALC"], row["RULEID"]) == ("NE", "IMWG.RESP.MEASURABLE")


@pytest.mark.rule("IMWG.RESP.VGPR")
def test_provenance_columns() -> None:
    row = M2.last("OVRLRESP")
    assert row["RULESET"] == "IMWG_2016"
    assert row["RULESETVER"]
    assert "serum M-protein 0.25 g/dL" in row["EXPLAIN"]
    # parameters the patient is not followed by are named in words, not as raw gate flags
    assert "plasmacytoma SPD not followed" in row["EXPLAIN"]
    assert "FLW_" not in row["EXPLAIN"]
    assert "SPEPMP" in row["INPUTS"]


@pytest.mark.rule("IMWG.RESP.VGPR")
def test_m2_urine_value_stated_once_when_urine_is_followed() -> None:
    """Serum and urine followed (M2): the serum route's urine clause is waived (the urine row
    tests the same < 100 mg/24h), so the explanation states the urine value once."""
    text = M2.last("OVRLRESP")["EXPLAIN"]
    assert text.count("urine M-protein 50 mg/24h < 100 mg/24h") == 1
    assert "urine M-protein followed (its own VGPR threshold applies)" in text


@pytest.mark.rule("IMWG.RESP.VGPR")
def test_serum_route_urine_clause_applies_when_urine_not_followed() -> None:
    """Urine assessed at baseline but not measurable (150 mg/24h): the serum 90% route still needs
    urine < 100 mg/24h (I_URINE100), stated with its value."""
    met = case({"SPEPMP": 3.0, "UPEPMP": 150.0}, {"SPEPMP": 0.2, "UPEPMP": 99.0}).last("OVRLRESP")
    missed = case({"SPEPMP": 3.0, "UPEPMP": 150.0}, {"SPEPMP": 0.2, "UPEPMP": 100.0}).last(
        "OVRLRESP"
    )
    assert met["AVALC"] == "VGPR"
    assert "urine M-protein 99 mg/24h < 100 mg/24h" in met["EXPLAIN"]
    assert missed["AVALC"] == "PR"
