"""Trial derivations and analyses on small inline tables."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest

from plasmatrial.design.protocol import PublishedFigure, parse_trial
from plasmatrial.errors import IntakeError, PlasmatrialError, ReasonCode
from plasmatrial.stats.binomial import binomial_ci
from plasmatrial.trial import TrialInputs, resolve_criteria
from plasmatrial.trial.analyse import TableResult, ordered_levels, proportion_table
from plasmatrial.trial.compare import agrees, compare_published
from plasmatrial.trial.derive import (
    CYCLE_WINDOW_DAYS,
    assign_arms,
    prior_therapy_flags,
    response_at_cycle,
    response_spec,
)

SINGLE = """
id: T1
title: t
disease: AL
n_planned: 3
arms:
  - {code: POMDEX, name: Pomalidomide + dexamethasone, regimen: [{drug: POMALIDOMIDE, dose: 4}]}
criteria: {hematologic: AL_2012, progression: AL_PROG_2012}
primary:
  - {id: HEMRESP, label: r, type: response_rate, categories: [CR, VGPR, PR], subgroups: [PRIORLEN]}
"""
TWO_ARMS = """
id: T2
title: t
disease: MM
randomised: true
n_planned: 3
arms:
  - {code: A, name: Arm A, regimen: [{drug: POMALIDOMIDE, dose: 4}]}
  - {code: B, name: Arm B, regimen: [{drug: DEXAMETHASONE, dose: 40, days: "1,8"}]}
criteria: {response: IMWG_2016}
primary:
  - {id: ORR, label: r, type: response_rate, categories: [CR, PR]}
"""


def test_single_arm_takes_every_assigned_subject_and_keeps_screen_failures() -> None:
    trial = parse_trial(SINGLE)
    dm = pl.DataFrame(
        {
            "USUBJID": ["1", "2", "3"],
            "ARM": ["POMALIDOMIDE + DEXAMETHASONE", "Something", "SCREEN FAILURE"],
        }
    )
    out = assign_arms(dm, trial)
    assert out["ARMCD"].to_list() == ["POMDEX", "POMDEX", None]
    assert out["ARM"].to_list()[:2] == ["Pomalidomide + dexamethasone"] * 2


def test_multi_arm_matches_code_or_name_and_rejects_unknown() -> None:
    trial = parse_trial(TWO_ARMS)
    dm = pl.DataFrame({"USUBJID": ["1", "2"], "ARM": ["arm b", "A"]})
    assert assign_arms(dm, trial)["ARMCD"].to_list() == ["B", "A"]
    bad = pl.DataFrame({"USUBJID": ["1"], "ARM": ["C"]})
    with pytest.raises(PlasmatrialError, match="C match no arm"):
        assign_arms(bad, trial)


def test_prior_therapy_flags_and_lines() -> None:
    pr = pl.DataFrame(
        {"USUBJID": ["1", "1", "2"], "PRTRT": ["Lenalidomide", "IXAZOMIB", "bortezomib"]}
    )
    out = prior_therapy_flags(pr, ["1", "2", "3"]).sort("USUBJID")
    assert out["PRIORLEN"].to_list() == ["Y", "N", "N"]
    assert out["PRIORIXA"].to_list() == ["Y", "N", "N"]
    assert out["PRIORBOR"].to_list() == ["N", "Y", "N"]
    assert out["NPRLINES"].to_list() == [2, 1, 0]


def test_prior_therapy_in_the_refractoriness_contract_counts_regimens() -> None:
    pr = pl.DataFrame(
        {
            "USUBJID": ["1", "1", "1", "2"],
            "REGID": ["R1", "R1", "R2", "R1"],
            "DRUG": ["lenalidomide", "dexamethasone", "bortezomib", "IXAZOMIB"],
        }
    )
    out = prior_therapy_flags(pr, ["1", "2"]).sort("USUBJID")
    assert out["PRIORLEN"].to_list() == ["Y", "N"]
    assert out["PRIORIXA"].to_list() == ["N", "Y"]
    assert out["NPRLINES"].to_list() == [2, 1]
    with pytest.raises(PlasmatrialError, match="needs a DRUG"):
        prior_therapy_flags(pl.DataFrame({"USUBJID": ["1"], "X": ["a"]}), ["1"])


def test_without_pr_there_are_no_flags() -> None:
    assert prior_therapy_flags(None, ["1"]).columns == ["USUBJID"]


def test_dose_intensity_figure_reads_the_first_drug_of_the_regimen() -> None:
    trial = parse_trial(
        TWO_ARMS
        + "  - {id: DI, label: d, type: dose_intensity}\n"
        + "published:\n"
        + "  - {endpoint: DI, arm: B, label: x, value: 20, unit: count, precision: 0}\n"
        + "  - {endpoint: DI, arm: A, label: x, value: 3, unit: count, precision: 0}\n"
    )
    table = pl.DataFrame(
        {
            "ARMCD": ["A", "B", "A"],
            "EXTRT": ["DEXAMETHASONE", "DEXAMETHASONE", "POMALIDOMIDE"],
            "LASTDOSE_MEDIAN": [40.0, 20.0, 3.0],
            "RDI_MEDIAN": [90.0, 80.0, 70.0],
        }
    )
    res = TableResult("DI", "d", "dose_intensity", table)
    out = compare_published(trial, [res])
    assert out["COMPUTED"].to_list() == [20.0, 3.0]
    assert out["AGREES"].to_list() == [True, True]
    assert "POMALIDOMIDE" in out["MATCH"][1]


@pytest.mark.parametrize(
    ("ady", "expected"),
    [
        pytest.param(6 * 28 + CYCLE_WINDOW_DAYS, "CR", id="just-meets"),
        pytest.param(6 * 28 + CYCLE_WINDOW_DAYS + 1, "PR", id="just-misses"),
    ],
)
def test_response_at_end_of_cycle_window(ady: int, expected: str) -> None:
    trial = parse_trial(SINGLE)
    adrs = pl.DataFrame(
        {
            "USUBJID": ["1", "1", "1"],
            "PARAMCD": ["HEMRESP"] * 3,
            "ABLFL": ["Y", "N", "N"],
            "ADY": [0, 100, ady],
            "ADT": [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in (0, 100, ady)],
            "AVALC": ["BASELINE", "PR", "CR"],
            "PDFL": ["N", "N", "N"],
        }
    )
    adsl = pl.DataFrame({"USUBJID": ["1", "2"]})
    out = response_at_cycle(adrs, adsl, trial, 6).sort("USUBJID")
    assert out["AVALC"].to_list() == [expected, "NE"]


def test_progression_before_the_cycle_end_sticks() -> None:
    trial = parse_trial(SINGLE)
    adrs = pl.DataFrame(
        {
            "USUBJID": ["1", "1"],
            "PARAMCD": ["HEMRESP"] * 2,
            "ABLFL": ["N", "N"],
            "ADY": [30, 60],
            "ADT": [dt.date(2024, 2, 1), dt.date(2024, 3, 1)],
            "AVALC": ["PROG", "NR"],
            "PDFL": ["Y", "N"],
        }
    )
    out = response_at_cycle(adrs, pl.DataFrame({"USUBJID": ["1"]}), trial, 3)
    assert out["AVALC"].to_list() == ["PROG"]
    mm = adrs.with_columns(pl.lit("OVRLRESP").alias("PARAMCD"), pl.Series("AVALC", ["PD", "SD"]))
    out_mm = response_at_cycle(mm, pl.DataFrame({"USUBJID": ["1"]}), parse_trial(TWO_ARMS), 3)
    assert out_mm["AVALC"].to_list() == ["PD"]  # the myeloma category, not AL's PROG


def test_proportion_table_uses_the_endpoint_ci_and_subgroups() -> None:
    trial = parse_trial(SINGLE)
    ep = trial.primary[0]
    subjects = pl.DataFrame(
        {
            "USUBJID": [str(i) for i in range(7)],
            "ARMCD": ["POMDEX"] * 7,
            "SUCCESS": [True, True, True, False, False, True, False],
            "PRIORLEN": ["Y", "Y", "N", "N", "Y", "N", None],
        }
    )
    t = proportion_table(ep, subjects, arms=["POMDEX"], subgroups=["PRIORLEN", "MISSINGCOL"])
    overall = t.filter(pl.col("SUBGROUP") == "").row(0, named=True)
    ref = binomial_ci(4, 7, method="clopper-pearson")
    assert (overall["X"], overall["N"]) == (4, 7)
    assert overall["LOWER"] == ref.lower and overall["UPPER"] == ref.upper
    yes = t.filter((pl.col("SUBGROUP") == "PRIORLEN") & (pl.col("LEVEL") == "Y")).row(0, named=True)
    assert (yes["X"], yes["N"]) == (2, 3)
    assert set(t["SUBGROUP"].to_list()) == {"", "PRIORLEN"}


@pytest.mark.parametrize(
    ("computed", "expected"),
    [
        pytest.param(0.69, True, id="just-meets"),
        pytest.param(0.6901, False, id="just-misses"),
        pytest.param(math.nan, None, id="not-computed"),
    ],
)
def test_agreement_within_precision(computed: float, expected: bool | None) -> None:
    fig = PublishedFigure(endpoint="X", label="x", value=0.68, unit="proportion", precision=0.01)
    assert agrees(fig, computed) is expected


def test_figures_without_printed_digits_are_not_judged() -> None:
    # "same side of 0.05" is no longer a rule: P = .001 would have agreed with 0.049
    fig = PublishedFigure(endpoint="X", label="x", value=0.001, unit="p_value")
    assert agrees(fig, 0.0499) is None
    assert agrees(fig, 0.001) is None


def test_criteria_aliases_and_imwg_default() -> None:
    rc = resolve_criteria(parse_trial(SINGLE))
    assert rc.rule_set.name == "CR_2012_RATIO"
    assert rc.options == {"progression": "2012"}
    assert resolve_criteria(parse_trial(TWO_ARMS)).rule_set.name == "IMWG_2016"
    unknown = parse_trial(TWO_ARMS.replace("IMWG_2016}", "IMWG_2031}"))
    with pytest.raises(PlasmatrialError, match="criteria 'IMWG_2031'"):
        resolve_criteria(unknown)


def test_optional_domain_missing_columns_is_one_error() -> None:
    dm = pl.DataFrame({"USUBJID": ["1"]})
    with pytest.raises(IntakeError, match="found in AE") as info:
        TrialInputs(dm=dm, lb=dm, ae=pl.DataFrame({"USUBJID": ["1"]}))
    missing = {p.column for p in info.value.problems if p.reason is ReasonCode.MISSING_COLUMN}
    assert missing == {"AEDECOD", "AESTDTC", "AETOXGR"}


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (["65-74", ">=75", "<65"], ["<65", "65-74", ">=75"]),
        (["Y", "N"], ["N", "Y"]),
        ([">75", "<=75"], ["<=75", ">75"]),
        (["RELAPSED", "<65", 3], ["3", "<65", "RELAPSED"]),
    ],
)
def test_subgroup_levels_read_in_numeric_order(levels: list[object], expected: list[str]) -> None:
    assert ordered_levels(levels) == expected


def test_eq5d_table_orders_visits_that_share_a_visit_number_by_name() -> None:
    """Two visits with one VISITNUM (cycle 4 and follow-up 3) come in one order every run."""
    from plasmatrial.design.protocol import Endpoint
    from plasmatrial.trial.analyse import analyse_eq5d

    visits = ["FOLLOW-UP 3", "CYCLE 4 DAY 1", "SCREENING", "CYCLE 2 DAY 1"] * 3
    adqs = pl.DataFrame(
        {
            "PARAMCD": ["EQ5DIUS"] * 12,
            "ARMCD": ["A"] * 12,
            "VISIT": visits,
            "VISITNUM": [4.0, 4.0, 0.0, 2.0] * 3,
            "AVAL": [0.5 + 0.01 * i for i in range(12)],
        }
    )
    ep = Endpoint(id="QOL", label="EQ-5D", type="eq5d")
    for _ in range(5):
        table = analyse_eq5d(ep, adqs).table
        assert table["VISIT"].to_list() == [
            "SCREENING", "CYCLE 2 DAY 1", "CYCLE 4 DAY 1", "FOLLOW-UP 3"
        ]  # fmt: skip


def test_the_rule_set_not_the_disease_decides_the_response() -> None:
    """Decision 0260: the disease picks only the DEFAULT rule set; the response comes from it."""
    al_default = parse_trial(
        SINGLE.replace("criteria: {hematologic: AL_2012, progression: AL_PROG_2012}\n", "")
    )
    mm_default = parse_trial(TWO_ARMS.replace("criteria: {response: IMWG_2016}\n", ""))
    assert resolve_criteria(al_default).rule_set.name == "CR_2012_RATIO"
    assert resolve_criteria(mm_default).rule_set.name == "IMWG_2016"
    assert response_spec(al_default).parameter == "HEMRESP"
    assert response_spec(mm_default).parameter == "OVRLRESP"
    # the rule set the file names decides the response, whatever the disease
    odd = parse_trial(TWO_ARMS.replace("{response: IMWG_2016}", "{response: CR_2012_RATIO}"))
    assert response_spec(odd).scale.progression == "PROG"
    staging = parse_trial(SINGLE.replace("hematologic: AL_2012", "hematologic: AL_STAGING"))
    with pytest.raises(PlasmatrialError, match="'AL_STAGING' is not a response rule set"):
        resolve_criteria(staging)
