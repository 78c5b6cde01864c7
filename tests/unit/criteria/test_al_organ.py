"""AL organ response/progression: cardiac (binary, graded), renal and liver (criteria.md 2.2-2.7)."""

from __future__ import annotations

import pytest

from tests.unit.criteria.helpers import Case

H = {"HEARTFL": True}


def nt(base: float, *values: float, **extra: object) -> Case:
    return Case({**H, "NTPROBNP": base, **extra}, *({"NTPROBNP": v} for v in values))


# ------------------------------------------------------------------------------ worked cases 2.7
O1, O2, O3 = nt(2000, 1300), nt(2000, 1450), nt(800, 520)
O4 = Case({**H, "NTPROBNP": 600.0, "NYHA": 3.0}, {"NTPROBNP": 600.0, "NYHA": 1.0})
O5 = nt(2000, 1000, 1400)
O6, O7 = nt(5000, 1800), nt(5000, 340)
O8A, O8B = nt(5000, 3000), nt(5000, 3500)
K = {"KIDNEYFL": True}
O9 = Case({**K, "PROT24H": 6.0, "EGFR": 60.0}, {"PROT24H": 4.0, "EGFR": 50.0})
O10 = Case({**K, "PROT24H": 6.0, "EGFR": 60.0}, {"PROT24H": 4.0, "EGFR": 45.0})
O11 = Case({**K, "PROT24H": 0.9, "EGFR": 60.0}, {"PROT24H": 0.45, "EGFR": 60.0})
O12 = [
    Case({"PROT24H": p, "EGFR": e}, rule_set="AL_STAGING")
    for p, e in ((6.0, 45.0), (6.0, 60.0), (3.0, 60.0))
]


def test_o1_carr() -> None:
    r = O1.last("CARDRESP")
    assert (r["AVALC"], r["RULEID"]) == ("CarR", "AL2012.CARD.RESP.NTPROBNP")
    assert "decrease 35.0 % > 30 %" in r["EXPLAIN"]
    assert "absolute decrease 700 ng/L > 300 ng/L" in r["EXPLAIN"]


def test_o2_no_response() -> None:
    assert O2.last("CARDRESP")["AVALC"] == "CarNR"


def test_o3_absolute_fall_too_small() -> None:
    assert O3.last("CARDRESP")["AVALC"] == "CarNR"


def test_o4_nyha_route() -> None:
    r = O4.last("CARDRESP")
    assert (r["AVALC"], r["RULEID"]) == ("CarR", "AL2012.CARD.RESP.NYHA")


def test_o5_progression_vs_nadir() -> None:
    r = O5.last("CARDRESP")
    assert (r["AVALC"], r["RULEID"]) == ("CarP", "AL2012.CARD.PROG.NTPROBNP")
    assert (
        "NT-proBNP 1400 ng/L vs nadir 1000 ng/L (2024-01-31): increase 40.0 % > 30 %"
        in r["EXPLAIN"]
    )


def test_o6_graded_vgpr() -> None:
    assert O6.last("CARDGRD")["AVALC"] == "CarVGPR"


def test_o7_graded_cr() -> None:
    assert O7.last("CARDGRD")["AVALC"] == "CarCR"


def test_o8_graded_pr_and_nr() -> None:
    assert O8A.last("CARDGRD")["AVALC"] == "CarPR"
    r = O8B.last("CARDGRD")
    assert (r["AVALC"], r["AT_BOUNDARY"]) == ("CarNR", True)


def test_o9_renal_response() -> None:
    assert O9.last("RENRESP")["AVALC"] == "RenR"


def test_o10_renal_progression() -> None:
    r = O10.last("RENRESP")
    assert (r["AVALC"], r["AT_BOUNDARY"]) == ("RenP", True)


def test_o11_renal_response_below_half_gram() -> None:
    assert O11.last("RENRESP")["AVALC"] == "RenR"


def test_o12_renal_stage() -> None:
    assert [c.last("RENSTG")["AVALC"] for c in O12] == ["III", "II", "I"]


# ---------------------------------------------------------------------------- cardiac boundaries
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            nt(2000, 1399.98),
            "CarR",
            id="pct-just-meets",
            marks=pytest.mark.rule("AL2012.CARD.RESP.NTPROBNP"),
        ),
        pytest.param(
            nt(2000, 1400),
            "CarNR",
            id="pct-just-misses",
            marks=[
                pytest.mark.rule("AL2012.CARD.RESP.NTPROBNP"),
                pytest.mark.rule("AL2012.CARD.STABLE"),
            ],
        ),
        pytest.param(
            nt(900, 599.9),
            "CarR",
            id="abs-just-meets",
            marks=pytest.mark.rule("AL2012.CARD.RESP.NTPROBNP"),
        ),
        pytest.param(
            nt(900, 600),
            "CarNR",
            id="abs-just-misses",
            marks=pytest.mark.rule("AL2012.CARD.RESP.NTPROBNP"),
        ),
        pytest.param(
            nt(650, 300),
            "CarR",
            id="evaluable-650-just-meets",
            marks=pytest.mark.rule("AL2012.CARD.RESP.NTPROBNP"),
        ),
        pytest.param(
            nt(649.9, 300),
            "NE",
            id="evaluable-650-just-misses",
            marks=pytest.mark.rule("AL2012.CARD.NE"),
        ),
        pytest.param(
            Case({**H, "NYHA": 3.0}, {"NYHA": 1.0}),
            "CarR",
            id="nyha-just-meets",
            marks=pytest.mark.rule("AL2012.CARD.RESP.NYHA"),
        ),
        pytest.param(
            Case({**H, "NYHA": 3.0}, {"NYHA": 2.0}),
            "CarNR",
            id="nyha-just-misses",
            marks=pytest.mark.rule("AL2012.CARD.RESP.NYHA"),
        ),
        pytest.param(
            Case({**H, "NYHA": 2.0}, {"NYHA": 1.0}),
            "NE",
            id="nyha-not-evaluable",
            marks=pytest.mark.rule("AL2012.CARD.RESP.NYHA"),
        ),
        pytest.param(
            nt(2000, 1000, 1300.01),
            "CarP",
            id="prog-just-meets",
            marks=pytest.mark.rule("AL2012.CARD.PROG.NTPROBNP"),
        ),
        pytest.param(
            nt(2000, 1000, 1300),
            "CarR",
            id="prog-just-misses",
            marks=pytest.mark.rule("AL2012.CARD.PROG.NTPROBNP"),
        ),
        pytest.param(
            nt(2000, 900, 1200.01),
            "CarP",
            id="prog-abs-just-meets",
            marks=pytest.mark.rule("AL2012.CARD.PROG.NTPROBNP"),
        ),
        pytest.param(
            nt(2000, 900, 1200),
            "CarR",
            id="prog-abs-just-misses",
            marks=pytest.mark.rule("AL2012.CARD.PROG.NTPROBNP"),
        ),
        pytest.param(
            Case({**H, "NTPROBNP": 2000.0, "TROPT": 0.03}, {"NTPROBNP": 1900.0, "TROPT": 0.0399}),
            "CarP",
            id="trop-just-meets",
            marks=pytest.mark.rule("AL2012.CARD.PROG.TROPONIN"),
        ),
        pytest.param(
            Case({**H, "NTPROBNP": 2000.0, "TROPT": 0.03}, {"NTPROBNP": 1900.0, "TROPT": 0.0398}),
            "CarNR",
            id="trop-just-misses",
            marks=pytest.mark.rule("AL2012.CARD.PROG.TROPONIN"),
        ),
        pytest.param(
            Case({**H, "NTPROBNP": 2000.0, "HSTNT": 30.0}, {"NTPROBNP": 1900.0, "HSTNT": 39.9}),
            "CarP",
            id="hstnt-just-meets",
            marks=pytest.mark.rule("AL2012.CARD.PROG.TROPONIN"),
        ),
        pytest.param(
            Case({**H, "NTPROBNP": 2000.0, "LVEF": 60.0}, {"NTPROBNP": 1900.0, "LVEF": 50.0}),
            "CarP",
            id="lvef-just-meets",
            marks=pytest.mark.rule("AL2012.CARD.PROG.LVEF"),
        ),
        pytest.param(
            Case({**H, "NTPROBNP": 2000.0, "LVEF": 60.0}, {"NTPROBNP": 1900.0, "LVEF": 50.1}),
            "CarNR",
            id="lvef-just-misses",
            marks=pytest.mark.rule("AL2012.CARD.PROG.LVEF"),
        ),
        pytest.param(
            Case({"HEARTFL": False, "NTPROBNP": 2000.0}, {"NTPROBNP": 1000.0}),
            "NE",
            id="heart-not-involved",
            marks=pytest.mark.rule("AL2012.CARD.EVALUABLE"),
        ),
        pytest.param(
            Case({**H, "NTPROBNP": 2000.0}, {"EGFR": 50.0}),
            "NE",
            id="ntprobnp-missing",
            marks=pytest.mark.rule("AL2012.CARD.NE"),
        ),
    ],
)
def test_cardiac_binary_boundaries(case: Case, expected: str) -> None:
    assert case.last("CARDRESP")["AVALC"] == expected


@pytest.mark.rule("AL2012.CARD.PROG.NTPROBNP")
@pytest.mark.parametrize(
    ("egfr_now", "expected"),
    [
        pytest.param(45.0, "CarNR", id="renal-exclusion-just-meets"),
        pytest.param(45.1, "CarP", id="renal-exclusion-just-misses"),
    ],
)
def test_renal_worsening_blocks_ntprobnp_progression(egfr_now: float, expected: str) -> None:
    r = Case({**H, "NTPROBNP": 2000.0, "EGFR": 60.0}, {"NTPROBNP": 3000.0, "EGFR": egfr_now}).last(
        "CARDRESP"
    )
    assert r["AVALC"] == expected
    assert (r["FLAGS"] == "NTPROBNP_PROG_RENAL_EXCLUDED_UNVERIFIED") is (expected == "CarNR")


@pytest.mark.rule("AL2012.CARD.PROG.NTPROBNP")
def test_progression_reference_option_baseline() -> None:
    case = Case(
        {**H, "NTPROBNP": 2000.0},
        {"NTPROBNP": 1000.0},
        {"NTPROBNP": 1400.0},
        cardiac_progression_reference="baseline",
    )
    assert case.last("CARDRESP")["AVALC"] == "CarNR"  # +40% vs nadir, but −30% vs baseline


def test_imid_flag_on_every_cardiac_row() -> None:
    case = Case(
        {**H, "NTPROBNP": 2000.0, "IMIDFL": True},
        {"NTPROBNP": 1300.0, "IMIDFL": True},
        {"NTPROBNP": None, "IMIDFL": True},
    )
    rows = case.result().filter(case.result()["PARAMCD"].is_in(["CARDRESP", "CARDGRD"]))
    assert rows["FLAGS"].to_list() == ["NTPROBNP_IMID_CONFOUNDED"] * 4
    assert rows["AVALC"].to_list()[:2] == ["CarR", "CarPR"]


# ----------------------------------------------------------------------------- graded boundaries
def bnp(base: float, *values: float) -> Case:
    return Case({**H, "BNP": base}, *({"BNP": v} for v in values))


@pytest.mark.parametrize(
    ("case", "expected", "rule_id"),
    [
        pytest.param(
            nt(5000, 350),
            "CarCR",
            "AL2023.CARDGRD.CR.NTPROBNP",
            id="cr-just-meets",
            marks=pytest.mark.rule("AL2023.CARDGRD.CR.NTPROBNP"),
        ),
        pytest.param(
            nt(5000, 350.1),
            "CarVGPR",
            "AL2023.CARDGRD.VGPR.NTPROBNP",
            id="cr-just-misses",
            marks=pytest.mark.rule("AL2023.CARDGRD.CR.NTPROBNP"),
        ),
        pytest.param(
            nt(5000, 1999.9),
            "CarVGPR",
            "AL2023.CARDGRD.VGPR.NTPROBNP",
            id="vgpr-just-meets",
            marks=pytest.mark.rule("AL2023.CARDGRD.VGPR.NTPROBNP"),
        ),
        pytest.param(
            nt(5000, 2000),
            "CarPR",
            "AL2023.CARDGRD.PR.NTPROBNP",
            id="vgpr-just-misses",
            marks=pytest.mark.rule("AL2023.CARDGRD.VGPR.NTPROBNP"),
        ),
        pytest.param(
            nt(5000, 3499.9),
            "CarPR",
            "AL2023.CARDGRD.PR.NTPROBNP",
            id="pr-just-meets",
            marks=pytest.mark.rule("AL2023.CARDGRD.PR.NTPROBNP"),
        ),
        pytest.param(
            nt(5000, 3500),
            "CarNR",
            "AL2023.CARDGRD.NR.NTPROBNP",
            id="pr-just-misses",
            marks=[
                pytest.mark.rule("AL2023.CARDGRD.PR.NTPROBNP"),
                pytest.mark.rule("AL2023.CARDGRD.NR.NTPROBNP"),
            ],
        ),
        pytest.param(
            nt(650.1, 640),
            "CarNR",
            "AL2023.CARDGRD.NR.NTPROBNP",
            id="evaluable-just-meets",
            marks=pytest.mark.rule("AL2023.CARDGRD.EVALUABLE"),
        ),
        pytest.param(
            nt(650, 640),
            "NE",
            "AL2023.CARDGRD.EVALUABLE",
            id="evaluable-just-misses",
            marks=pytest.mark.rule("AL2023.CARDGRD.EVALUABLE"),
        ),
        pytest.param(
            bnp(400, 80),
            "CarCR",
            "AL2023.CARDGRD.CR.BNP",
            id="bnp-cr-just-meets",
            marks=pytest.mark.rule("AL2023.CARDGRD.CR.BNP"),
        ),
        pytest.param(
            bnp(400, 80.1),
            "CarVGPR",
            "AL2023.CARDGRD.VGPR.BNP",
            id="bnp-cr-just-misses",
            marks=[
                pytest.mark.rule("AL2023.CARDGRD.CR.BNP"),
                pytest.mark.rule("AL2023.CARDGRD.VGPR.BNP"),
            ],
        ),
        pytest.param(
            bnp(400, 160),
            "CarPR",
            "AL2023.CARDGRD.PR.BNP",
            id="bnp-vgpr-just-misses",
            marks=[
                pytest.mark.rule("AL2023.CARDGRD.VGPR.BNP"),
                pytest.mark.rule("AL2023.CARDGRD.PR.BNP"),
            ],
        ),
        pytest.param(
            bnp(400, 280),
            "CarNR",
            "AL2023.CARDGRD.NR.BNP",
            id="bnp-pr-just-misses",
            marks=[
                pytest.mark.rule("AL2023.CARDGRD.PR.BNP"),
                pytest.mark.rule("AL2023.CARDGRD.NR.BNP"),
            ],
        ),
        pytest.param(
            bnp(150, 20),
            "NE",
            "AL2023.CARDGRD.EVALUABLE",
            id="bnp-evaluable-just-misses",
            marks=pytest.mark.rule("AL2023.CARDGRD.EVALUABLE"),
        ),
        pytest.param(
            nt(5000, 1000, 5000),
            "CarNR",
            "AL2023.CARDGRD.NR.NTPROBNP",
            id="rise-is-nr",
            marks=pytest.mark.rule("AL2023.CARDGRD.NR.NTPROBNP"),
        ),
        pytest.param(
            Case({**H, "NTPROBNP": 5000.0}, {"NYHA": 2.0}),
            "NE",
            "AL2023.CARDGRD.NE",
            id="missing",
            marks=pytest.mark.rule("AL2023.CARDGRD.NE"),
        ),
    ],
)
def test_graded_cardiac_boundaries(case: Case, expected: str, rule_id: str) -> None:
    r = case.last("CARDGRD")
    assert (r["AVALC"], r["RULEID"]) == (expected, rule_id)


# ------------------------------------------------------------------------------ renal and liver
def ren(bl_prot: float, bl_egfr: float, prot: float | None, egfr: float | None) -> Case:
    return Case({**K, "PROT24H": bl_prot, "EGFR": bl_egfr}, {"PROT24H": prot, "EGFR": egfr})


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            ren(6.0, 60, 4.2, 60),
            "RenR",
            id="pct-just-meets",
            marks=pytest.mark.rule("AL2014.REN.RESP"),
        ),
        pytest.param(
            ren(6.0, 60, 4.21, 60),
            "RenSD",
            id="pct-just-misses",
            marks=[pytest.mark.rule("AL2014.REN.RESP"), pytest.mark.rule("AL2014.REN.STABLE")],
        ),
        pytest.param(
            ren(0.6, 60, 0.49, 60),
            "RenR",
            id="below-half-just-meets",
            marks=pytest.mark.rule("AL2014.REN.RESP"),
        ),
        pytest.param(
            ren(0.6, 60, 0.5, 60),
            "RenSD",
            id="below-half-just-misses",
            marks=pytest.mark.rule("AL2014.REN.RESP"),
        ),
        pytest.param(
            ren(6.0, 60, 6.0, 45),
            "RenP",
            id="egfr-just-meets",
            marks=pytest.mark.rule("AL2014.REN.PROG"),
        ),
        pytest.param(
            ren(6.0, 60, 6.0, 45.1),
            "RenSD",
            id="egfr-just-misses",
            marks=pytest.mark.rule("AL2014.REN.PROG"),
        ),
        pytest.param(
            ren(0.51, 60, 0.2, 60),
            "RenR",
            id="evaluable-just-meets",
            marks=pytest.mark.rule("AL2014.REN.EVALUABLE"),
        ),
        pytest.param(
            ren(0.5, 60, 0.2, 60),
            "NE",
            id="evaluable-just-misses",
            marks=pytest.mark.rule("AL2014.REN.EVALUABLE"),
        ),
        pytest.param(
            ren(6.0, 60, None, 60),
            "NE",
            id="proteinuria-missing",
            marks=pytest.mark.rule("AL2014.REN.NE"),
        ),
    ],
)
def test_renal_boundaries(case: Case, expected: str) -> None:
    assert case.last("RENRESP")["AVALC"] == expected


def test_renal_response_downgraded_when_egfr_missing() -> None:
    r = ren(6.0, 60, 3.0, None).last("RENRESP")
    assert r["AVALC"] == "RenSD" and "RenR not assessable" in r["DOWNGRADE"]


L = {"LIVERFL": True, "ALP_ULN": 120.0}


def liv(bl: dict[str, float], *visits: dict[str, float], **opts: str) -> Case:
    return Case({**L, **bl}, *({"ALP_ULN": 120.0, **v} for v in visits), **opts)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            liv({"ALP": 300.0}, {"ALP": 150.0}),
            "LivR",
            id="alp-just-meets",
            marks=pytest.mark.rule("AL2005.LIV.RESP.ALP"),
        ),
        pytest.param(
            liv({"ALP": 300.0}, {"ALP": 150.1}),
            "LivSD",
            id="alp-just-misses",
            marks=[pytest.mark.rule("AL2005.LIV.RESP.ALP"), pytest.mark.rule("AL2005.LIV.STABLE")],
        ),
        pytest.param(
            liv({"ALP": 300.0}, {"ALP": 210.0}, liver_alp_response="excess_over_uln"),
            "LivR",
            id="excess-just-meets",
            marks=pytest.mark.rule("AL2005.LIV.RESP.ALP"),
        ),
        pytest.param(
            liv({"ALP": 300.0}, {"ALP": 210.1}, liver_alp_response="excess_over_uln"),
            "LivSD",
            id="excess-just-misses",
            marks=pytest.mark.rule("AL2005.LIV.RESP.ALP"),
        ),
        pytest.param(
            liv({"ALP": 300.0}, {"ALP": 200.0}, {"ALP": 300.0}),
            "LivP",
            id="prog-just-meets",
            marks=pytest.mark.rule("AL2005.LIV.PROG"),
        ),
        pytest.param(
            liv({"ALP": 300.0}, {"ALP": 200.0}, {"ALP": 299.9}),
            "LivSD",
            id="prog-just-misses",
            marks=pytest.mark.rule("AL2005.LIV.PROG"),
        ),
        pytest.param(
            liv({"ALP": 100.0, "LIVSPAN": 20.0}, {"ALP": 100.0, "LIVSPAN": 18.0}),
            "LivR",
            id="span-just-meets",
            marks=pytest.mark.rule("AL2005.LIV.RESP.SPAN"),
        ),
        pytest.param(
            liv({"ALP": 100.0, "LIVSPAN": 20.0}, {"ALP": 100.0, "LIVSPAN": 18.1}),
            "LivSD",
            id="span-just-misses",
            marks=pytest.mark.rule("AL2005.LIV.RESP.SPAN"),
        ),
        pytest.param(
            liv({"ALP": 120.0}, {"ALP": 50.0}),
            "NE",
            id="alp-normal-not-evaluable",
            marks=pytest.mark.rule("AL2005.LIV.EVALUABLE"),
        ),
        pytest.param(
            liv({"ALP": 300.0}, {"NTPROBNP": 20.0}),
            "NE",
            id="alp-missing",
            marks=pytest.mark.rule("AL2005.LIV.NE"),
        ),
    ],
)
def test_liver_boundaries(case: Case, expected: str) -> None:
    assert case.last("LIVRESP")["AVALC"] == expected
