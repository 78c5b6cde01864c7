"""Optional Gertz 2005 organ rule sets CARD_2005 and RENAL_2005 (criteria.md 2.2, 2.4)."""

from __future__ import annotations

import pytest

from tests.unit.criteria.helpers import Case

H = {"HEARTFL": True}
K = {"KIDNEYFL": True}


def card(base: dict[str, object], visit: dict[str, object]) -> Case:
    return Case({**H, **base}, visit, rule_set="CARD_2005")


def ren(base: dict[str, object], visit: dict[str, object]) -> Case:
    return Case({**K, **base}, visit, rule_set="RENAL_2005")


CARD_CASES = [
    pytest.param(
        card({"IVSD": 15.0}, {"IVSD": 13.0}),
        "CarR",
        "AL2005.CARD.RESP.IVS",
        marks=pytest.mark.rule("AL2005.CARD.RESP.IVS"),
        id="ivs-just-meets",
    ),
    pytest.param(
        card({"IVSD": 15.0}, {"IVSD": 13.1}),
        "CarNR",
        "AL2005.CARD.STABLE",
        marks=pytest.mark.rule("AL2005.CARD.STABLE"),
        id="ivs-just-misses",
    ),
    pytest.param(
        card({"LVEF": 40.0}, {"LVEF": 60.0}),
        "CarR",
        "AL2005.CARD.RESP.LVEF",
        marks=pytest.mark.rule("AL2005.CARD.RESP.LVEF"),
        id="lvef-just-meets",
    ),
    pytest.param(
        card({"LVEF": 40.0}, {"LVEF": 59.9}), "CarNR", "AL2005.CARD.STABLE", id="lvef-just-misses"
    ),
    pytest.param(
        card({"NYHA": 3.0}, {"NYHA": 1.0}),
        "CarR",
        "AL2005.CARD.RESP.NYHA",
        marks=pytest.mark.rule("AL2005.CARD.RESP.NYHA"),
        id="nyha-just-meets",
    ),
    pytest.param(
        card({"NYHA": 3.0}, {"NYHA": 2.0}), "CarNR", "AL2005.CARD.STABLE", id="nyha-just-misses"
    ),
    pytest.param(
        card({"NYHA": 3.0}, {"NYHA": 1.0, "DIURINC": True}),
        "CarNR",
        "AL2005.CARD.STABLE",
        id="nyha-more-diuretic",
    ),
    pytest.param(
        card({"NYHA": 3.0, "IVSD": 15.0}, {"NYHA": 1.0, "IVSD": 15.5}),
        "CarNR",
        "AL2005.CARD.STABLE",
        id="nyha-wall-thickening",
    ),
    pytest.param(
        card({"NTPROBNP": 1000.0, "EGFR": 60.0}, {"NTPROBNP": 700.0, "EGFR": 60.0}),
        "CarR",
        "AL2005.CARD.RESP.NTPROBNP",
        marks=pytest.mark.rule("AL2005.CARD.RESP.NTPROBNP"),
        id="ntprobnp-just-meets",
    ),
    pytest.param(
        card({"NTPROBNP": 1000.0, "EGFR": 60.0}, {"NTPROBNP": 701.0, "EGFR": 60.0}),
        "CarNR",
        "AL2005.CARD.STABLE",
        id="ntprobnp-pct-just-misses",
    ),
    pytest.param(
        card({"NTPROBNP": 990.0, "EGFR": 60.0}, {"NTPROBNP": 691.0, "EGFR": 60.0}),
        "CarNR",
        "AL2005.CARD.STABLE",
        id="ntprobnp-abs-just-misses",
    ),
    pytest.param(
        card({"NTPROBNP": 2000.0, "EGFR": 45.0}, {"NTPROBNP": 1000.0, "EGFR": 45.0}),
        "CarR",
        "AL2005.CARD.RESP.NTPROBNP",
        id="egfr-just-meets",
    ),
    pytest.param(
        card({"NTPROBNP": 2000.0, "EGFR": 45.0}, {"NTPROBNP": 1000.0, "EGFR": 44.9}),
        "CarNR",
        "AL2005.CARD.STABLE",
        id="egfr-just-misses",
    ),
    pytest.param(
        Case({"HEARTFL": False, "NTPROBNP": 2000.0}, {"NTPROBNP": 900.0}, rule_set="CARD_2005"),
        "NE",
        "AL2005.CARD.EVALUABLE",
        marks=pytest.mark.rule("AL2005.CARD.EVALUABLE"),
        id="not-involved",
    ),
    pytest.param(
        card({}, {"NTPROBNP": 900.0}), "NE", "AL2005.CARD.EVALUABLE", id="no-baseline-measurement"
    ),
]


@pytest.mark.parametrize(("case", "category", "rule_id"), CARD_CASES)
def test_card_2005(case: Case, category: str, rule_id: str) -> None:
    row = case.last("CARDRESP")
    assert (row["AVALC"], row["RULEID"]) == (category, rule_id)
    assert row["RULESET"] == "CARD_2005"


@pytest.mark.rule("AL2005.CARD.NE")
def test_card_2005_ne_when_nothing_measured_at_visit() -> None:
    row = card({"NTPROBNP": 2000.0}, {"HGB": 12.0}).last("CARDRESP")
    assert (row["AVALC"], row["RULEID"]) == ("NE", "AL2005.CARD.NE")


REN_CASES = [
    pytest.param(
        ren({"PROT24H": 2.0}, {"PROT24H": 3.0}),
        "RenP",
        marks=pytest.mark.rule("AL2005.REN.PROG"),
        id="prot-up-just-meets",
    ),
    pytest.param(ren({"PROT24H": 2.0}, {"PROT24H": 2.99}), "RenSD", id="prot-up-just-misses"),
    pytest.param(ren({"PROT24H": 0.6}, {"PROT24H": 0.9}), "RenSD", id="prot-up-under-1g"),
    pytest.param(
        ren({"PROT24H": 2.0, "CREAT": 1.0}, {"PROT24H": 2.0, "CREAT": 1.25}),
        "RenP",
        id="creat-25pct-just-meets",
    ),
    pytest.param(
        ren({"PROT24H": 2.0, "CREAT": 1.0}, {"PROT24H": 2.0, "CREAT": 1.24}),
        "RenSD",
        id="creat-25pct-just-misses",
    ),
    pytest.param(
        ren({"PROT24H": 2.0, "EGFR": 60.0}, {"PROT24H": 2.0, "EGFR": 45.0}),
        "RenP",
        id="egfr-25pct-just-meets",
    ),
    pytest.param(
        ren({"PROT24H": 2.0, "EGFR": 60.0}, {"PROT24H": 2.0, "EGFR": 45.1}),
        "RenSD",
        marks=pytest.mark.rule("AL2005.REN.STABLE"),
        id="egfr-25pct-just-misses",
    ),
    pytest.param(
        ren(
            {"PROT24H": 2.0, "CREAT": 1.0, "EGFR": 60.0},
            {"PROT24H": 1.0, "CREAT": 1.0, "EGFR": 60.0},
        ),
        "RenR",
        marks=pytest.mark.rule("AL2005.REN.RESP"),
        id="resp-just-meets",
    ),
    pytest.param(
        ren(
            {"PROT24H": 2.0, "CREAT": 1.0, "EGFR": 60.0},
            {"PROT24H": 1.01, "CREAT": 1.0, "EGFR": 60.0},
        ),
        "RenSD",
        id="resp-pct-just-misses",
    ),
    pytest.param(
        ren(
            {"PROT24H": 0.8, "CREAT": 1.0, "EGFR": 60.0},
            {"PROT24H": 0.4, "CREAT": 1.0, "EGFR": 60.0},
        ),
        "RenSD",
        id="resp-abs-under-0.5g",
    ),
    pytest.param(
        ren(
            {"PROT24H": 2.0, "CREAT": 2.1, "EGFR": 60.0},
            {"PROT24H": 1.0, "CREAT": 2.6, "EGFR": 60.0},
        ),
        "RenSD",
        id="creat-rise-0.5-blocks-response",
    ),
    pytest.param(
        ren(
            {"PROT24H": 2.0, "CREAT": 2.1, "EGFR": 60.0},
            {"PROT24H": 1.0, "CREAT": 2.59, "EGFR": 60.0},
        ),
        "RenR",
        id="creat-rise-just-under-0.5",
    ),
    pytest.param(
        ren({"PROT24H": 0.5}, {"PROT24H": 0.1}),
        "NE",
        marks=pytest.mark.rule("AL2005.REN.EVALUABLE"),
        id="baseline-0.5-not-evaluable",
    ),
    pytest.param(ren({"PROT24H": 0.51}, {"PROT24H": 0.51}), "RenSD", id="baseline-0.51-evaluable"),
]


@pytest.mark.parametrize(("case", "category"), REN_CASES)
def test_renal_2005(case: Case, category: str) -> None:
    row = case.last("RENRESP")
    assert row["AVALC"] == category
    assert row["RULESET"] == "RENAL_2005"


@pytest.mark.rule("AL2005.REN.NE")
def test_renal_2005_ne_without_proteinuria() -> None:
    row = ren({"PROT24H": 2.0}, {"HGB": 12.0}).last("RENRESP")
    assert (row["AVALC"], row["RULEID"]) == ("NE", "AL2005.REN.NE")
