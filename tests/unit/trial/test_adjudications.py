"""Reviewers' adjudications replace computed per-visit calls before the analysis (decision 1002)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

import plasmatrial as pt
from plasmatrial.design.protocol import Trial
from plasmatrial.errors import PlasmatrialError
from plasmatrial.synth import simulate_trial_data
from plasmatrial.trial import TrialInputs, TrialResults
from plasmatrial.trial.adjudications import (
    apply_adjudications,
    check_best_adjudications,
    split_adjudications,
)

ROOT = Path(__file__).resolve().parents[3]
AL_CATEGORIES = ("CR", "VGPR", "PR", "LDPR", "NR", "PROG", "NE")


@pytest.fixture(scope="module")
def inputs() -> tuple[Trial, TrialInputs]:
    trial = pt.read_trial(ROOT / "examples" / "trials" / "al_pomdex_phase2.yaml")
    data = simulate_trial_data(trial, seed=7)
    keep = data.dm.get_column("USUBJID").head(12).implode()

    def part(frame: pl.DataFrame | None) -> pl.DataFrame | None:
        return None if frame is None else frame.filter(pl.col("USUBJID").is_in(keep))

    inp = TrialInputs(
        dm=data.dm.filter(pl.col("USUBJID").is_in(keep)),
        lb=data.lb.filter(pl.col("USUBJID").is_in(keep)),
        ex=part(data.ex), rs=part(data.rs), ds=part(data.ds),
    )  # fmt: skip
    return trial, inp


@pytest.fixture(scope="module")
def computed(inputs: tuple[Trial, TrialInputs]) -> TrialResults:
    trial, inp = inputs
    return pt.run_trial(trial, inp)


def _overall(res: TrialResults, endpoint: str) -> tuple[int, int]:
    row = (
        res.endpoint(endpoint)
        .to_frame()
        .filter(pl.col("SUBGROUP").is_null() | (pl.col("SUBGROUP") == ""))
    )
    return int(row["X"][0]), int(row["N"][0])


def _first_call(res: TrialResults, subject: str) -> dict[str, object]:
    rows = (
        res.datasets["ADRS"]
        .filter(
            (pl.col("USUBJID") == subject)
            & (pl.col("PARAMCD") == "HEMRESP")
            & (pl.col("ABLFL") != "Y")
        )
        .sort("ADT")
    )
    return rows.row(0, named=True)


def test_an_override_changes_best_response_orr_and_time_to_response(
    inputs: tuple[Trial, TrialInputs], computed: TrialResults
) -> None:
    trial, inp = inputs
    non = computed.adsl.filter(~pl.col("BESTRSP").is_in(["CR", "VGPR", "PR", "LDPR"]))
    assert non.height, "the simulated subset needs a non-responder"
    subject = str(non["USUBJID"][0])
    call = _first_call(computed, subject)
    assert call["AVALC"] != "PR"
    adj = pl.DataFrame({
        "USUBJID": [subject], "ADT": [str(call["ADT"])], "PARAMCD": ["HEMRESP"], "AVALC": ["PR"],
        "ADJREAS": ["central review: FLC assay repeated"], "ADJBY": ["rev1"],
    })  # fmt: skip
    res = pt.run_trial(trial, inp, adjudications=adj)

    assert res.adsl.filter(pl.col("USUBJID") == subject)["BESTRSP"][0] == "PR"
    bor = res.datasets["ADRS"].filter((pl.col("USUBJID") == subject) & (pl.col("PARAMCD") == "BOR"))
    assert bor["AVALC"][0] == "PR" and bor["ADT"][0] == call["ADT"]
    x0, n0 = _overall(computed, "HEMRESP")
    x1, n1 = _overall(res, "HEMRESP")
    assert (x1, n1) == (x0 + 1, n0)
    row = _first_call(res, subject)
    assert row["SRCTYPE"] == "ADJUDICATED" and row["AVALC"] == "PR"
    assert row["COMPAVALC"] == call["AVALC"] and row["RULEID"] == call["RULEID"]
    assert row["ADJREAS"] == "central review: FLC assay repeated" and row["ADJBY"] == "rev1"
    assert str(row["EXPLAIN"]).startswith("ADJUDICATED PR by rev1")
    ttr = res.datasets["ADTTE"].filter(
        (pl.col("USUBJID") == subject) & (pl.col("PARAMCD") == "TTR")
    )
    assert ttr["CNSR"][0] == 0 and ttr["ADT"][0] == call["ADT"]
    others = res.datasets["ADRS"].filter(
        (pl.col("USUBJID") != subject) & (pl.col("PARAMCD") == "HEMRESP") & (pl.col("ABLFL") != "Y")
    )
    assert set(others["SRCTYPE"].to_list()) == {"COMPUTED"}


def test_an_override_to_the_same_category_changes_only_the_source(
    inputs: tuple[Trial, TrialInputs], computed: TrialResults
) -> None:
    trial, inp = inputs
    subject = str(computed.adsl["USUBJID"][0])
    call = _first_call(computed, subject)
    adj = pl.DataFrame({
        "USUBJID": [subject], "ADT": [call["ADT"]], "PARAMCD": ["HEMRESP"],
        "AVALC": [call["AVALC"]],
    })  # fmt: skip
    res = pt.run_trial(trial, inp, adjudications=adj)
    for name, frame in computed.datasets.items():
        new = res.datasets[name]
        if name == "ADRS":
            assert _first_call(res, subject)["SRCTYPE"] == "ADJUDICATED"
            new = new.drop("SRCTYPE", "COMPAVALC", "ADJREAS", "ADJBY", "ADJDTC", "EXPLAIN")
            frame = frame.drop("EXPLAIN")
        assert new.equals(frame), name
    for a, b in zip(computed.endpoints, res.endpoints, strict=True):
        assert a.to_frame().equals(b.to_frame()), a.endpoint


def _adrs() -> pl.DataFrame:
    d = dt.date
    return pl.DataFrame({
        "USUBJID": ["S1"] * 3,
        "PARAMCD": ["HEMRESP"] * 3,
        "ADT": [d(2024, 1, 1), d(2024, 2, 1), d(2024, 3, 1)],
        "AVALC": ["BASELINE", "PR", "NE"],
        "ABLFL": ["Y", "N", "N"],
        "PDFL": ["N", "N", "N"],
        "ADEQFL": ["N", "Y", "N"],
        "RULEID": [None, "AL.PR", "AL.NE"],
        "EXPLAIN": ["baseline assessment", "dFLC fell 60%", "FLC missing"],
    })  # fmt: skip


def _apply(adj: dict[str, list[object]]) -> pl.DataFrame:
    return apply_adjudications(
        _adrs(), pl.DataFrame(adj), categories=AL_CATEGORIES, progression=("PROG",)
    )


def test_progression_and_adequacy_flags_follow_the_adjudicated_category() -> None:
    out = _apply(
        {"USUBJID": ["S1"], "ADT": ["2024-03-01"], "PARAMCD": ["HEMRESP"], "AVALC": ["PROG"]}
    )
    last = out.row(2, named=True)
    assert (last["AVALC"], last["PDFL"], last["ADEQFL"], last["COMPAVALC"]) == (
        "PROG",
        "Y",
        "Y",
        "NE",
    )
    assert out["SRCTYPE"].to_list() == [None, "COMPUTED", "ADJUDICATED"]
    assert out["AVALC"].to_list()[:2] == ["BASELINE", "PR"]  # order and other rows kept


@pytest.mark.parametrize(
    ("adj", "message"),
    [
        (
            {"USUBJID": ["S1"], "ADT": ["2024-02-02"], "PARAMCD": ["HEMRESP"], "AVALC": ["CR"]},
            "name no post-baseline call",
        ),
        (
            {"USUBJID": ["S1"], "ADT": ["2024-01-01"], "PARAMCD": ["HEMRESP"], "AVALC": ["CR"]},
            "name no post-baseline call",
        ),  # the baseline row is not a call
        (
            {"USUBJID": ["S1"], "ADT": ["2024-02-01"], "PARAMCD": ["HEMRESP"], "AVALC": ["sCR"]},
            "not on the rule set's scale",
        ),
        (
            {
                "USUBJID": ["S1", "S1"],
                "ADT": ["2024-02-01"] * 2,
                "PARAMCD": ["HEMRESP"] * 2,
                "AVALC": ["CR", "VGPR"],
            },
            "more than one decision",
        ),
        (
            {"USUBJID": ["S1"], "ADT": ["2024-02"], "PARAMCD": ["HEMRESP"], "AVALC": ["CR"]},
            "complete ADT date",
        ),
        ({"USUBJID": ["S1"], "PARAMCD": ["HEMRESP"], "AVALC": ["CR"]}, "missing column"),
    ],
)
def test_bad_adjudications_are_refused_never_dropped(
    adj: dict[str, list[object]], message: str
) -> None:
    with pytest.raises(PlasmatrialError, match=message):
        _apply(adj)


@pytest.mark.parametrize("trial_file", ["mm_pom_lodex_vs_hidex.yaml", "al_lendex.yaml"])
def test_every_call_respond_emits_names_a_call_of_the_analysis(trial_file: str) -> None:
    """The workbench adjudicates ``respond``'s calls; the analysis must find each one (MM too),
    and accepting all of them changes no endpoint."""
    trial = pt.read_trial(ROOT / "examples" / "trials" / trial_file)
    data = simulate_trial_data(trial, seed=3)
    keep = data.dm.get_column("USUBJID").head(10).implode()
    dm, lb = (f.filter(pl.col("USUBJID").is_in(keep)) for f in (data.dm, data.lb))
    ex = None if data.ex is None else data.ex.filter(pl.col("USUBJID").is_in(keep))
    inp = TrialInputs(dm=dm, lb=lb, ex=ex)
    responded = pt.respond(
        pt.read_sdtm(dm, lb, ex), trial.criteria.response, disease=trial.disease.lower()
    )
    calls = responded.visits
    param = pt.criteria.get_rule_set(responded.rule_set).response_spec().parameter
    if "PARAMCD" not in calls.columns:
        calls = calls.with_columns(pl.lit(param).alias("PARAMCD"))
    accepted = calls.filter(pl.col("PARAMCD") == param).select(
        "USUBJID", "PARAMCD", pl.col("ADT").cast(pl.String), "AVALC"
    )
    assert accepted.height > 0
    plain = pt.run_trial(trial, inp)
    res = pt.run_trial(trial, inp, adjudications=accepted)
    adrs = res.datasets["ADRS"]
    assert adrs.filter(pl.col("SRCTYPE") == "ADJUDICATED").height == accepted.height
    for a, b in zip(plain.endpoints, res.endpoints, strict=True):
        assert a.to_frame().equals(b.to_frame()), a.endpoint


def _bor(res: TrialResults, subject: str) -> dict[str, object]:
    rows = res.datasets["ADRS"].filter(
        (pl.col("USUBJID") == subject) & (pl.col("PARAMCD") == "BOR")
    )
    assert rows.height == 1
    return rows.row(0, named=True)


def test_a_best_response_override_turns_a_non_responder_into_a_responder(
    inputs: tuple[Trial, TrialInputs], computed: TrialResults
) -> None:
    """Decision 1011: the adjudicated best is what ADSL, ADRS's BOR row and the rates use."""
    trial, inp = inputs
    non = computed.adsl.filter(~pl.col("BESTRSP").is_in(["CR", "VGPR", "PR", "LDPR"]))
    assert non.height, "the simulated subset needs a non-responder"
    subject = str(non["USUBJID"][0])
    derived = str(non["BESTRSP"][0])
    adj = pl.DataFrame({
        "USUBJID": [subject], "ADT": [None], "PARAMCD": ["BOR"], "AVALC": ["VGPR"],
        "ADJREAS": ["committee: organ response documented"], "ADJBY": ["rev2"],
        "ADJDTC": ["2026-12-07T02:00:00"],
    }, schema_overrides={"ADT": pl.String})  # fmt: skip
    res = pt.run_trial(trial, inp, adjudications=adj)

    row = res.adsl.filter(pl.col("USUBJID") == subject).row(0, named=True)
    assert row["BESTRSP"] == "VGPR" and row["BRSPFL"] == "Y"
    x0, n0 = _overall(computed, "HEMRESP")
    x1, n1 = _overall(res, "HEMRESP")
    assert (x1, n1) == (x0 + 1, n0)
    bor = _bor(res, subject)
    assert bor["AVALC"] == "VGPR" and bor["SRCTYPE"] == "ADJUDICATED"
    assert bor["COMPAVALC"] == derived
    assert bor["ADJREAS"] == "committee: organ response documented" and bor["ADJBY"] == "rev2"
    assert bor["ADJDTC"] == "2026-12-07T02:00:00"
    assert str(bor["EXPLAIN"]).startswith("ADJUDICATED VGPR by rev2")
    # Every other BOR row is computed, no per-visit call changes source or category.
    adrs = res.datasets["ADRS"]
    others = adrs.filter((pl.col("PARAMCD") == "BOR") & (pl.col("USUBJID") != subject))
    assert set(others["SRCTYPE"].to_list()) == {"COMPUTED"}
    assert others["AVALC"].to_list() == others["COMPAVALC"].to_list()
    visits = adrs.filter((pl.col("PARAMCD") == "HEMRESP") & (pl.col("ABLFL") != "Y"))
    assert set(visits["SRCTYPE"].to_list()) == {"COMPUTED"}
    # Time to response stays derived from the per-visit calls; the note names the subject.
    for name in ("ADTTE",):
        assert res.datasets[name].equals(computed.datasets[name]), name
    has_call = visits.filter((pl.col("USUBJID") == subject) & (pl.col("AVALC") == "VGPR")).height
    named = [n for n in res.notes if "decision 1011" in n and subject in n]
    assert bool(named) == (has_call == 0)


def test_a_best_response_decision_of_the_same_category_changes_only_the_source(
    inputs: tuple[Trial, TrialInputs], computed: TrialResults
) -> None:
    trial, inp = inputs
    first = computed.adsl.row(0, named=True)
    subject = str(first["USUBJID"])
    adj = pl.DataFrame({
        "USUBJID": [subject], "ADT": ["2099-01-01"], "PARAMCD": ["BOR"],
        "AVALC": [first["BESTRSP"]], "ADJREAS": ["accepted"],
    })  # fmt: skip
    res = pt.run_trial(trial, inp, adjudications=adj)
    assert _bor(res, subject)["SRCTYPE"] == "ADJUDICATED"
    for name, frame in computed.datasets.items():
        new = res.datasets[name]
        if name == "ADRS":
            new = new.drop("SRCTYPE", "COMPAVALC", "ADJREAS", "ADJBY", "ADJDTC", "EXPLAIN")
            frame = frame.drop("EXPLAIN")
        assert new.equals(frame), name
    for a, b in zip(computed.endpoints, res.endpoints, strict=True):
        assert a.to_frame().equals(b.to_frame()), a.endpoint


@pytest.mark.parametrize(
    ("adj", "message"),
    [
        ({"USUBJID": ["S9"], "AVALC": ["PR"]}, "subject the analysis does not have: S9"),
        ({"USUBJID": ["S1"], "AVALC": ["sCR"]}, "not on the rule set's scale"),
        ({"USUBJID": ["S1", "S1"], "AVALC": ["PR", "CR"]}, "more than one best-response"),
        ({"USUBJID": ["S1"]}, "missing column"),
    ],
)
def test_bad_best_response_decisions_are_refused(
    adj: dict[str, list[object]], message: str
) -> None:
    with pytest.raises(PlasmatrialError, match=message):
        check_best_adjudications(pl.DataFrame(adj), subjects=["S1", "S2"], categories=AL_CATEGORIES)


def test_a_run_refuses_a_best_response_decision_for_an_unknown_subject(
    inputs: tuple[Trial, TrialInputs],
) -> None:
    trial, inp = inputs
    adj = pl.DataFrame({"USUBJID": ["NOBODY"], "PARAMCD": ["BOR"], "ADT": [None],
                        "AVALC": ["PR"]}, schema_overrides={"ADT": pl.String})  # fmt: skip
    with pytest.raises(PlasmatrialError, match="NOBODY"):
        pt.run_trial(trial, inp, adjudications=adj)


def test_split_keeps_visit_and_subject_decisions_apart() -> None:
    frame = pl.DataFrame({
        "USUBJID": ["S1", "S1"], "PARAMCD": ["HEMRESP", "BOR"], "ADT": ["2024-02-01", None],
        "AVALC": ["PR", "CR"],
    })  # fmt: skip
    visits, best = split_adjudications(frame)
    assert visits["PARAMCD"].to_list() == ["HEMRESP"] and best["AVALC"].to_list() == ["CR"]
