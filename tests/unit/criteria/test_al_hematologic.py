"""AL hematologic evaluability, response (all classes, CR variants) and progression."""

from __future__ import annotations

from typing import Any

import pytest

from plasmatrial.criteria import evaluability
from tests.unit.criteria.helpers import LAMBDA_240, Case, frame, last, run

NEG = {"SIFE": "NEGATIVE", "UIFE": "NEGATIVE"}


def lam(lam_v: float, kap_v: float, **extra: Any) -> dict[str, Any]:
    return {"FLCLAM": lam_v, "FLCKAP": kap_v, **extra}


# ----------------------------------------------------------------------------- worked cases 1.7
def test_a1_pr() -> None:
    r = last(run(LAMBDA_240, lam(60, 12)), "HEMRESP")
    assert (r["AVALC"], r["RULEID"]) == ("PR", "AL.HEM.PR")
    assert "dFLC 48 mg/L vs baseline 240 mg/L (2024-01-01): decrease 80.0 % > 50 %" in r["EXPLAIN"]


def test_a2_vgpr() -> None:
    assert last(run(LAMBDA_240, lam(45, 10)), "HEMRESP")["AVALC"] == "VGPR"


def test_a3_cr() -> None:
    r = last(run(LAMBDA_240, lam(20, 12, **NEG)), "HEMRESP")
    assert (r["AVALC"], r["RULEID"]) == ("CR", "AL.HEM.CR.CR_2012_RATIO")


@pytest.mark.parametrize(
    "rs", ["CR_2012_RATIO", "CR_2012_LEVELS_AND_RATIO", "CR_ISA", "CR_MAYO_2020"]
)
def test_a4_vgpr_under_every_cr_rule(rs: str) -> None:
    r = last(run(LAMBDA_240, lam(40, 8, **NEG), rule_set=rs), "HEMRESP")
    assert r["AVALC"] == "VGPR"
    assert r["RULESET"] == rs


def test_a5_low_dflc_pr() -> None:
    r = last(
        run({"INVLC": "KAPPA", "FLCKAP": 40.0, "FLCLAM": 10.0}, {"FLCKAP": 17.0, "FLCLAM": 8.0}),
        "HEMRESP",
    )
    assert (r["AVALC"], r["RULEID"]) == ("LDPR", "AL.HEM.LDPR")


def test_a6_low_dflc_nr() -> None:
    r = last(
        run({"INVLC": "KAPPA", "FLCKAP": 40.0, "FLCLAM": 10.0}, {"FLCKAP": 22.0, "FLCLAM": 10.0}),
        "HEMRESP",
    )
    assert (r["AVALC"], r["RULEID"]) == ("NR", "AL.HEM.NR.LOW_DFLC")


def test_a7_dflc_50_is_measurable() -> None:
    ev = evaluability(frame({"INVLC": "KAPPA", "FLCKAP": 60.0, "FLCLAM": 10.0}))
    assert ev["HEMEVAL"].to_list() == ["DFLC_MEASURABLE"]
    assert ev["AT_BOUNDARY"].to_list() == [True]


def test_a8_minus_50_exactly_is_nr() -> None:
    r = last(run({"INVLC": "LAMBDA", "FLCLAM": 110.0, "FLCKAP": 10.0}, lam(60, 10)), "HEMRESP")
    assert (r["AVALC"], r["AT_BOUNDARY"]) == ("NR", True)


def test_a9_flc_progression_from_pr() -> None:
    no = run(LAMBDA_240, lam(60, 12), lam(95, 12))
    assert last(no, "HEMRESP")["AVALC"] == "PR"
    yes = run(LAMBDA_240, lam(60, 12), lam(101, 12))
    r = last(yes, "HEMRESP")
    assert (r["AVALC"], r["RULEID"]) == ("PROG", "AL2012.PROG.FLC")
    # R3: the response category from the same values is kept in its own parameter
    assert last(yes, "HEMCAT")["AVALC"] == "PR"


# ------------------------------------------------------------------------------- evaluability
@pytest.mark.parametrize(
    ("baseline", "expected"),
    [
        pytest.param(
            {"INVLC": "KAPPA", "FLCKAP": 60.0, "FLCLAM": 10.0},
            "DFLC_MEASURABLE",
            id="just-meets",
            marks=pytest.mark.rule("AL.EVAL.DFLC_MEASURABLE"),
        ),
        pytest.param(
            {"INVLC": "KAPPA", "FLCKAP": 59.9, "FLCLAM": 10.0},
            "LOW_DFLC",
            id="measurable-just-misses",
            marks=pytest.mark.rule("AL.EVAL.DFLC_MEASURABLE"),
        ),
        pytest.param(
            {"INVLC": "KAPPA", "FLCKAP": 30.0, "FLCLAM": 10.0},
            "LOW_DFLC",
            id="low-just-meets",
            marks=pytest.mark.rule("AL.EVAL.LOW_DFLC"),
        ),
        pytest.param(
            {"INVLC": "KAPPA", "FLCKAP": 29.9, "FLCLAM": 10.0},
            "CR_ONLY",
            id="low-just-misses",
            marks=pytest.mark.rule("AL.EVAL.CR_ONLY"),
        ),
        pytest.param(
            {"INVLC": "KAPPA", "FLCKAP": 20.0, "FLCLAM": 10.0, "SPEPMP": 0.51},
            "MPROTEIN_ONLY",
            id="spep-just-meets",
            marks=pytest.mark.rule("AL.EVAL.MPROTEIN_ONLY"),
        ),
        pytest.param(
            {"INVLC": "KAPPA", "FLCKAP": 20.0, "FLCLAM": 10.0, "SPEPMP": 0.5},
            "CR_ONLY",
            id="spep-just-misses",
            marks=pytest.mark.rule("AL.EVAL.MPROTEIN_ONLY"),
        ),
        pytest.param(
            {"INVLC": "KAPPA", "FLCKAP": 20.0, "FLCLAM": 10.0, "UPEPMP": 100.1},
            "MPROTEIN_ONLY",
            id="upep-just-meets",
            marks=pytest.mark.rule("AL.EVAL.MPROTEIN_ONLY"),
        ),
        pytest.param(
            {"INVLC": "KAPPA", "FLCKAP": 20.0, "FLCLAM": 10.0, "UPEPMP": 100.0},
            "CR_ONLY",
            id="upep-just-misses",
            marks=pytest.mark.rule("AL.EVAL.CR_ONLY"),
        ),
        pytest.param(
            {"FLCKAP": 30.0, "FLCLAM": 20.0},
            "NE",
            id="invlc-unknown-ratio-normal",
            marks=pytest.mark.rule("AL.EVAL.NE"),
        ),
    ],
)
def test_evaluability_boundaries(baseline: dict[str, Any], expected: str) -> None:
    assert evaluability(frame(baseline))["HEMEVAL"].to_list() == [expected]


@pytest.mark.rule("AL.HEM.EVALUABLE")
@pytest.mark.parametrize(
    ("kappa", "expected", "inferred"),
    [
        pytest.param(33.1, "PR", True, id="just-meets"),  # ratio 1.655 > 1.65 → κ inferred
        pytest.param(33.0, "NE", False, id="just-misses"),  # ratio 1.65 → unknown → NE
    ],
)
def test_invlc_inference(kappa: float, expected: str, inferred: bool) -> None:
    out = run({"FLCKAP": kappa, "FLCLAM": 20.0}, {"FLCKAP": kappa - 0.0, "FLCLAM": 20.0})
    r = last(out, "HEMCAT")
    if expected == "NE":
        assert (r["AVALC"], r["RULEID"]) == ("NE", "AL.HEM.EVALUABLE")
    else:
        assert r["AVALC"] == "NR"  # low dFLC (13.1) with no change
        assert r["FLAGS"] == "INVLC_INFERRED"
    assert (r["FLAGS"] == "INVLC_INFERRED") is inferred


# ------------------------------------------------------------------------- response boundaries
@pytest.mark.parametrize(
    ("visit", "expected", "rule_id"),
    [
        pytest.param(
            Case(LAMBDA_240, lam(49.9, 10)),
            "VGPR",
            "AL.HEM.VGPR",
            id="vgpr-just-meets",
            marks=pytest.mark.rule("AL.HEM.VGPR"),
        ),
        pytest.param(
            Case(LAMBDA_240, lam(50, 10)),
            "PR",
            "AL.HEM.PR",
            id="vgpr-just-misses",
            marks=pytest.mark.rule("AL.HEM.VGPR"),
        ),
        pytest.param(
            Case(LAMBDA_240, lam(129.99, 10)),
            "PR",
            "AL.HEM.PR",
            id="pr-just-meets",
            marks=pytest.mark.rule("AL.HEM.PR"),
        ),
        pytest.param(
            Case(LAMBDA_240, lam(130, 10)),
            "NR",
            "AL.HEM.NR",
            id="pr-just-misses",
            marks=[pytest.mark.rule("AL.HEM.PR"), pytest.mark.rule("AL.HEM.NR")],
        ),
        pytest.param(
            Case(LAMBDA_240, lam(None, 10)),
            "NE",
            "AL.HEM.NE",
            id="flc-missing",
            marks=pytest.mark.rule("AL.HEM.NE"),
        ),  # type: ignore[arg-type]
    ],
)
def test_measurable_boundaries(visit: Case, expected: str, rule_id: str) -> None:
    r = visit.last("HEMCAT")
    assert (r["AVALC"], r["RULEID"]) == (expected, rule_id)


def test_vgpr_when_ife_missing_is_a_downgrade() -> None:
    r = last(run(LAMBDA_240, lam(30, 10)), "HEMCAT")
    assert r["AVALC"] == "VGPR"
    assert "CR not assessable" in r["DOWNGRADE"] and "missing serum IFE" in r["DOWNGRADE"]


LOW = {"INVLC": "KAPPA", "FLCKAP": 40.0, "FLCLAM": 10.0}


@pytest.mark.parametrize(
    ("kappa", "expected"),
    [
        pytest.param(
            Case(LOW, {"FLCKAP": 19.99, "FLCLAM": 10.0}),
            "LDPR",
            id="just-meets",
            marks=pytest.mark.rule("AL.HEM.LDPR"),
        ),
        pytest.param(
            Case(LOW, {"FLCKAP": 20.0, "FLCLAM": 10.0}),
            "NR",
            id="just-misses",
            marks=[pytest.mark.rule("AL.HEM.LDPR"), pytest.mark.rule("AL.HEM.NR.LOW_DFLC")],
        ),
    ],
)
def test_ldpr_boundary(kappa: Case, expected: str) -> None:
    assert kappa.last("HEMCAT")["AVALC"] == expected


MPROT = {"INVLC": "KAPPA", "FLCKAP": 20.0, "FLCLAM": 10.0, "SPEPMP": 1.0, "UPEPMP": 400.0}


@pytest.mark.parametrize(
    ("visit", "expected", "rule_id"),
    [
        pytest.param(
            Case(MPROT, {"FLCKAP": 20.0, "FLCLAM": 10.0, **{"SPEPMP": 0.5, "UPEPMP": 400.0}}),
            "PR",
            "AL.HEM.PR.MPROTEIN",
            id="serum-just-meets",
            marks=pytest.mark.rule("AL.HEM.PR.MPROTEIN"),
        ),
        pytest.param(
            Case(MPROT, {"FLCKAP": 20.0, "FLCLAM": 10.0, **{"SPEPMP": 0.51, "UPEPMP": 400.0}}),
            "NR",
            "AL.HEM.NR.MPROTEIN",
            id="serum-just-misses",
            marks=[pytest.mark.rule("AL.HEM.PR.MPROTEIN"), pytest.mark.rule("AL.HEM.NR.MPROTEIN")],
        ),
        pytest.param(
            Case(MPROT, {"FLCKAP": 20.0, "FLCLAM": 10.0, **{"SPEPMP": 1.0, "UPEPMP": 200.0}}),
            "PR",
            "AL.HEM.PR.MPROTEIN",
            id="urine-just-meets",
            marks=pytest.mark.rule("AL.HEM.PR.MPROTEIN"),
        ),
        pytest.param(
            Case(MPROT, {"FLCKAP": 20.0, "FLCLAM": 10.0, **{"SPEPMP": 1.0, "UPEPMP": 200.1}}),
            "NR",
            "AL.HEM.NR.MPROTEIN",
            id="urine-just-misses",
            marks=pytest.mark.rule("AL.HEM.PR.MPROTEIN"),
        ),
    ],
)
def test_mprotein_only_boundaries(visit: Case, expected: str, rule_id: str) -> None:
    r = visit.last("HEMCAT")
    assert (r["AVALC"], r["RULEID"]) == (expected, rule_id)


@pytest.mark.rule("AL.HEM.NR.CR_ONLY")
@pytest.mark.parametrize(
    ("ife", "expected"),
    [pytest.param("NEGATIVE", "CR", id="cr"), pytest.param("POSITIVE", "NR", id="not-cr")],
)
def test_cr_only_class(ife: str, expected: str) -> None:
    base = {"INVLC": "KAPPA", "FLCKAP": 25.0, "FLCLAM": 10.0}
    r = last(run(base, {"FLCKAP": 12.0, "FLCLAM": 10.0, "SIFE": ife, "UIFE": "NEGATIVE"}), "HEMCAT")
    assert r["AVALC"] == expected


# ---------------------------------------------------------------------------------- CR variants
@pytest.mark.parametrize(
    ("rs", "visit", "is_cr"),
    [
        pytest.param(
            "CR_2012_RATIO",
            Case(LAMBDA_240, {**lam(50, 13), **NEG}, rule_set="CR_2012_RATIO"),
            True,
            id="ratio-low-just-meets",
            marks=pytest.mark.rule("AL.HEM.CR.CR_2012_RATIO"),
        ),
        pytest.param(
            "CR_2012_RATIO",
            Case(LAMBDA_240, {**lam(50, 12.99), **NEG}, rule_set="CR_2012_RATIO"),
            False,
            id="ratio-low-just-misses",
            marks=pytest.mark.rule("AL.HEM.CR.CR_2012_RATIO"),
        ),
        pytest.param(
            "CR_2012_RATIO",
            Case(LAMBDA_240, {**lam(10, 16.5), **NEG}, rule_set="CR_2012_RATIO"),
            True,
            id="ratio-high-just-meets",
            marks=pytest.mark.rule("AL.HEM.CR.CR_2012_RATIO"),
        ),
        pytest.param(
            "CR_2012_RATIO",
            Case(LAMBDA_240, {**lam(10, 16.51), **NEG}, rule_set="CR_2012_RATIO"),
            False,
            id="ratio-high-just-misses",
            marks=pytest.mark.rule("AL.HEM.CR.CR_2012_RATIO"),
        ),
        pytest.param(
            "CR_2012_LEVELS_AND_RATIO",
            Case(LAMBDA_240, {**lam(26.3, 19.4), **NEG}, rule_set="CR_2012_LEVELS_AND_RATIO"),
            True,
            id="levels-just-meet",
            marks=pytest.mark.rule("AL.HEM.CR.CR_2012_LEVELS_AND_RATIO"),
        ),
        pytest.param(
            "CR_2012_LEVELS_AND_RATIO",
            Case(LAMBDA_240, {**lam(26.31, 19.4), **NEG}, rule_set="CR_2012_LEVELS_AND_RATIO"),
            False,
            id="lambda-just-misses",
            marks=pytest.mark.rule("AL.HEM.CR.CR_2012_LEVELS_AND_RATIO"),
        ),
        pytest.param(
            "CR_2012_LEVELS_AND_RATIO",
            Case(LAMBDA_240, {**lam(5.7, 3.3), **NEG}, rule_set="CR_2012_LEVELS_AND_RATIO"),
            True,
            id="low-levels-just-meet",
            marks=pytest.mark.rule("AL.HEM.CR.CR_2012_LEVELS_AND_RATIO"),
        ),
        pytest.param(
            "CR_2012_LEVELS_AND_RATIO",
            Case(LAMBDA_240, {**lam(5.7, 3.29), **NEG}, rule_set="CR_2012_LEVELS_AND_RATIO"),
            False,
            id="kappa-just-misses",
            marks=pytest.mark.rule("AL.HEM.CR.CR_2012_LEVELS_AND_RATIO"),
        ),
        pytest.param(
            "CR_ISA",
            Case(LAMBDA_240, {**lam(40, 70), **NEG}, rule_set="CR_ISA"),
            True,
            id="isa-abnormal-ratio-uflc-greater",
            marks=pytest.mark.rule("AL.HEM.CR.CR_ISA"),
        ),
        pytest.param(
            "CR_ISA",
            Case(LAMBDA_240, {**lam(40, 8), **NEG}, rule_set="CR_ISA"),
            False,
            id="isa-abnormal-ratio-uflc-smaller",
            marks=pytest.mark.rule("AL.HEM.CR.CR_ISA"),
        ),
        pytest.param(
            "CR_MAYO_2020",
            Case(LAMBDA_240, {**lam(20, 2), **NEG}, rule_set="CR_MAYO_2020"),
            True,
            id="iflc-just-meets",
            marks=pytest.mark.rule("AL.HEM.CR.CR_MAYO_2020"),
        ),
        pytest.param(
            "CR_MAYO_2020",
            Case(LAMBDA_240, {**lam(20.1, 2), **NEG}, rule_set="CR_MAYO_2020"),
            False,
            id="iflc-just-misses",
            marks=pytest.mark.rule("AL.HEM.CR.CR_MAYO_2020"),
        ),
        pytest.param(
            "CR_MAYO_2020",
            Case(LAMBDA_240, {**lam(25, 15), **NEG}, rule_set="CR_MAYO_2020"),
            True,
            id="dflc-just-meets",
            marks=pytest.mark.rule("AL.HEM.CR.CR_MAYO_2020"),
        ),
        pytest.param(
            "CR_MAYO_2020",
            Case(LAMBDA_240, {**lam(25, 14.9), **NEG}, rule_set="CR_MAYO_2020"),
            False,
            id="dflc-just-misses",
            marks=pytest.mark.rule("AL.HEM.CR.CR_MAYO_2020"),
        ),
    ],
)
def test_cr_variant_boundaries(rs: str, visit: Case, is_cr: bool) -> None:
    r = visit.last("HEMCAT")
    assert r["RULESET"] == rs
    assert (r["AVALC"] == "CR") is is_cr


def test_ratio_range_is_an_option() -> None:
    out = run(LAMBDA_240, {**lam(50, 12.99), **NEG}, flc_ratio_low=0.25)
    assert last(out, "HEMCAT")["AVALC"] == "CR"
    assert "flc_ratio_low=0.25" in last(out, "HEMCAT")["RULESETOPT"]


# --------------------------------------------------------------------------------- progression
@pytest.mark.rule("AL2012.PROG.FLC")
@pytest.mark.parametrize(
    ("visits", "prog"),
    [
        pytest.param(Case(LAMBDA_240, lam(60, 12), lam(100.01, 12)), True, id="floor-just-meets"),
        pytest.param(Case(LAMBDA_240, lam(60, 12), lam(100, 12)), False, id="floor-just-misses"),
        pytest.param(Case(LAMBDA_240, lam(60, 12), lam(90, 12)), False, id="pct-met-floor-missed"),
        pytest.param(Case(LAMBDA_240, lam(70, 12), lam(105, 12)), True, id="pct-just-meets"),
        pytest.param(Case(LAMBDA_240, lam(70, 12), lam(104.99, 12)), False, id="pct-just-misses"),
    ],
)
def test_flc_progression_boundaries(visits: Case, prog: bool) -> None:
    r = visits.last("HEMPROG")
    assert (r["AVALC"] == "PROG") is prog


SPEP_BL = {**LAMBDA_240, "SPEPMP": 1.0, "UPEPMP": 500.0}


_spep_cases = {
    (n, v): Case(SPEP_BL, lam(60, 12, SPEPMP=n), lam(60, 12, SPEPMP=v))
    for n, v in [(0.4, 0.6), (0.4, 0.59), (0.3, 0.51), (0.3, 0.5), (0.0, 0.51), (0.0, 0.5)]
}
_upep_cases = {
    (n, v): Case(SPEP_BL, lam(60, 12, UPEPMP=n), lam(60, 12, UPEPMP=v))
    for n, v in [(100.0, 201.0), (100.0, 200.0), (300.0, 450.0), (300.0, 449.9)]
}


@pytest.mark.parametrize(
    ("nadir", "now", "prog"),
    [
        pytest.param(
            0.4, 0.6, True, id="pct-just-meets", marks=pytest.mark.rule("AL2012.PROG.SPEP")
        ),
        pytest.param(
            0.4, 0.59, False, id="pct-just-misses", marks=pytest.mark.rule("AL2012.PROG.SPEP")
        ),
        pytest.param(
            0.3, 0.51, True, id="floor-just-meets", marks=pytest.mark.rule("AL2012.PROG.SPEP")
        ),
        pytest.param(
            0.3, 0.5, False, id="floor-just-misses", marks=pytest.mark.rule("AL2012.PROG.SPEP")
        ),
        pytest.param(
            0.0, 0.51, True, id="r1-zero-nadir", marks=pytest.mark.rule("AL2012.PROG.SPEP")
        ),
        pytest.param(
            0.0,
            0.5,
            False,
            id="r1-zero-nadir-floor-misses",
            marks=pytest.mark.rule("AL2012.PROG.SPEP"),
        ),
    ],
)
def test_spep_progression(nadir: float, now: float, prog: bool) -> None:
    r = _spep_cases[(nadir, now)].last("HEMPROG")
    assert (r["AVALC"] == "PROG") is prog
    if prog:
        assert r["RULEID"] == "AL2012.PROG.SPEP"


@pytest.mark.rule("AL2012.PROG.UPEP")
@pytest.mark.parametrize(
    ("nadir", "now", "prog"),
    [
        pytest.param(100.0, 201.0, True, id="floor-just-meets"),
        pytest.param(100.0, 200.0, False, id="floor-just-misses"),
        pytest.param(300.0, 450.0, True, id="pct-just-meets"),
        pytest.param(300.0, 449.9, False, id="pct-just-misses"),
    ],
)
def test_upep_progression(nadir: float, now: float, prog: bool) -> None:
    r = _upep_cases[(nadir, now)].last("HEMPROG")
    assert (r["AVALC"] == "PROG") is prog


CR_VISIT = {**lam(20, 12), **NEG}


@pytest.mark.rule("AL2012.PROG.CR.IFE")
@pytest.mark.rule("AL2012.PROG.NONE")
@pytest.mark.parametrize(
    ("sife", "prog"),
    [
        pytest.param("POSITIVE", True, id="just-meets"),
        pytest.param("NEGATIVE", False, id="just-misses"),
    ],
)
def test_cr_relapse_ife(sife: str, prog: bool) -> None:
    out = run(LAMBDA_240, CR_VISIT, {**lam(20, 12), "SIFE": sife, "UIFE": "NEGATIVE"})
    r = last(out, "HEMRESP")
    assert (r["AVALC"] == "PROG") is prog
    if prog:
        assert r["RULEID"] == "AL2012.PROG.CR.IFE"
    else:
        assert last(out, "HEMPROG")["RULEID"] == "AL2012.PROG.NONE"


@pytest.mark.rule("AL2012.PROG.CR.RATIO")
@pytest.mark.parametrize(
    ("lam_now", "option", "prog"),
    [
        pytest.param(40.0, "ratio_only", True, id="doubling-just-meets"),
        pytest.param(39.9, "ratio_only", False, id="doubling-just-misses"),
        pytest.param(39.9, "none", True, id="no-doubling-needed"),
    ],
)
def test_cr_relapse_ratio(lam_now: float, option: str, prog: bool) -> None:
    out = run(LAMBDA_240, CR_VISIT, lam(lam_now, 8), cr_relapse_doubling_applies_to=option)
    r = last(out, "HEMPROG")
    assert (r["AVALC"] == "PROG") is prog
    if prog:
        assert r["RULEID"] == "AL2012.PROG.CR.RATIO"
        assert (
            "nadir while the hematologic response was CR iFLC 20 mg/L" in r["EXPLAIN"]
            or option == "none"
        )


@pytest.mark.rule("AL2012.PROG.CR.IFE")
def test_cr_relapse_ife_with_doubling_option_both() -> None:
    visit = {**lam(30, 12), "SIFE": "POSITIVE", "UIFE": "NEGATIVE"}
    assert (
        last(run(LAMBDA_240, CR_VISIT, visit, cr_relapse_doubling_applies_to="both"), "HEMPROG")[
            "AVALC"
        ]
        == "NOPROG"
    )
    assert last(run(LAMBDA_240, CR_VISIT, visit), "HEMPROG")["AVALC"] == "PROG"


@pytest.mark.rule("AL2012.PROG.NE")
def test_progression_ne_when_nothing_measured() -> None:
    r = last(run(LAMBDA_240, lam(60, 12), {"NTPROBNP": 100.0}), "HEMPROG")
    assert (r["AVALC"], r["RULEID"]) == ("NE", "AL2012.PROG.NE")


# Palladini 2018: baseline dFLC 240 (20% = 48); best VGPR at dFLC 30 (1.5 x = 45)
@pytest.mark.parametrize(
    ("best", "now", "prog"),
    [
        pytest.param(
            lam(40, 10),
            lam(58.1, 10),
            True,
            id="all-three-met",
            marks=pytest.mark.rule("AL2018.PROG.DFLC"),
        ),
        pytest.param(
            lam(40, 10),
            lam(58, 10),
            False,
            id="ii-just-misses",
            marks=[pytest.mark.rule("AL2018.PROG.DFLC"), pytest.mark.rule("AL2018.PROG.NONE")],
        ),
        pytest.param(
            lam(45, 10),
            lam(62.5, 10),
            False,
            id="iii-just-misses",
            marks=pytest.mark.rule("AL2018.PROG.DFLC"),
        ),
        pytest.param(
            lam(45, 10),
            lam(62.6, 10),
            True,
            id="iii-just-meets",
            marks=pytest.mark.rule("AL2018.PROG.DFLC"),
        ),
        pytest.param(
            {**lam(8, 13), **NEG},
            lam(58.1, 10),
            True,
            id="r1-best-dflc-negative",
            marks=pytest.mark.rule("AL2018.PROG.DFLC"),
        ),
        pytest.param(
            lam(40, 10),
            {"SPEPMP": 1.0},
            None,
            id="dflc-missing",
            marks=pytest.mark.rule("AL2018.PROG.NE"),
        ),
    ],
)
def test_palladini_2018(best: dict[str, Any], now: dict[str, Any], prog: bool | None) -> None:
    r = Case(LAMBDA_240, best, now, rule_set="AL_PROG_PALLADINI_2018").last("HEMPROG")
    if prog is None:
        assert r["AVALC"] == "NE"
    else:
        assert (r["AVALC"] == "PROG") is prog


def test_first_visit_progression_uses_nadir_rows() -> None:
    # R2: no earlier assessment -> PR/NR rows with baseline as the nadir.
    r = last(run({**LAMBDA_240, "SPEPMP": 0.4}, lam(300, 10, SPEPMP=0.6)), "HEMRESP")
    assert (r["AVALC"], r["RULEID"]) == ("PROG", "AL2012.PROG.SPEP")
