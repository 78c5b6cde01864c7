"""ADTTE derivations: the generic source mechanism and the PFS censoring rules C1-C7 (6.2)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plasmatrial.endpoints.tte import (
    censor_source,
    derive_param_dor,
    derive_param_pfs,
    derive_param_tte,
    derive_param_ttr,
    event_source,
)
from plasmatrial.errors import PlasmatrialError

D0 = date(2024, 1, 1)


def d(day: int) -> date:
    """Study day ``day`` (day 1 = D0) as a date."""
    return date.fromordinal(D0.toordinal() + day - 1)


def adsl(**cols: list[object]) -> pl.DataFrame:
    return pl.DataFrame(cols)


# --- generic mechanism ----------------------------------------------------------------------


def os_param(adsl_frame: pl.DataFrame) -> pl.DataFrame:
    death = event_source("adsl", date="DTHDT", set_values_to={"EVNTDESC": "DEATH"})
    alive = censor_source("adsl", date="LSTALVDT", set_values_to={"EVNTDESC": "LAST KNOWN ALIVE"})
    return derive_param_tte(
        adsl_frame,
        start_date="STARTDT",
        event_conditions=[death],
        censor_conditions=[alive],
        source_datasets={"adsl": adsl_frame},
        set_values_to={"PARAMCD": "OS"},
    )


def test_os_event_and_censoring_with_add_one() -> None:
    frame = adsl(
        USUBJID=["A", "B"],
        STARTDT=[d(1), d(1)],
        DTHDT=[d(100), None],
        LSTALVDT=[d(100), d(250)],
    )
    out = os_param(frame).sort("USUBJID")
    assert out["CNSR"].to_list() == [0, 1]
    assert out["AVAL"].to_list() == [100.0, 250.0]
    assert out["EVNTDESC"].to_list() == ["DEATH", "LAST KNOWN ALIVE"]
    assert out["PARAMCD"].to_list() == ["OS", "OS"]


def test_earliest_event_wins_and_first_listed_source_breaks_ties() -> None:
    frame = adsl(USUBJID=["A"], STARTDT=[d(1)], LSTALVDT=[d(300)])
    rs = pl.DataFrame({"USUBJID": ["A", "A"], "ADT": [d(90), d(60)], "AVALC": ["PD", "PD"]})
    dth = pl.DataFrame({"USUBJID": ["A"], "DTHDT": [d(60)]})
    out = derive_param_tte(
        frame,
        start_date="STARTDT",
        event_conditions=[
            event_source(
                "rs", date="ADT", filter=pl.col("AVALC") == "PD", set_values_to={"EVNTDESC": "PD"}
            ),
            event_source("dth", date="DTHDT", set_values_to={"EVNTDESC": "DEATH"}),
        ],
        censor_conditions=[censor_source("adsl", date="LSTALVDT")],
        source_datasets={"adsl": frame, "rs": rs, "dth": dth},
        set_values_to={"PARAMCD": "PFS"},
    )
    assert out["ADT"].item() == d(60)
    assert out["EVNTDESC"].item() == "PD"


def test_subject_without_any_source_is_censored_at_origin() -> None:
    frame = adsl(USUBJID=["A"], STARTDT=[d(1)], DTHDT=[None], LSTALVDT=[None])
    frame = frame.with_columns(pl.col("DTHDT").cast(pl.Date), pl.col("LSTALVDT").cast(pl.Date))
    out = os_param(frame)
    assert out["CNSR"].item() == 1
    assert out["AVAL"].item() == 1.0
    assert out["EVNTDESC"].item() == "NO ASSESSMENT"


def test_dates_before_origin_are_ignored() -> None:
    frame = adsl(USUBJID=["A"], STARTDT=[d(10)], DTHDT=[d(5)], LSTALVDT=[d(50)])
    out = os_param(frame)
    assert out["CNSR"].item() == 1
    assert out["AVAL"].item() == 41.0


def test_missing_source_dataset_is_a_clear_error() -> None:
    frame = adsl(USUBJID=["A"], STARTDT=[d(1)])
    with pytest.raises(PlasmatrialError, match="source dataset 'rs' not given"):
        derive_param_tte(
            frame,
            start_date="STARTDT",
            event_conditions=[event_source("rs", date="ADT")],
            censor_conditions=[],
            source_datasets={},
            set_values_to={},
        )


def test_censor_code_must_be_positive() -> None:
    with pytest.raises(PlasmatrialError):
        censor_source("adsl", date="X", censor=0)


# --- PFS censoring rules C1-C7 ------------------------------------------------------------


def rs_rows(subject: str, visits: list[tuple[int, str]], baseline: bool = True) -> pl.DataFrame:
    rows = [(subject, d(-3), "", "Y")] if baseline else []
    rows += [(subject, d(day), cat, "N") for day, cat in visits]
    return pl.DataFrame(
        rows, schema=["USUBJID", "ADT", "AVALC", "ABLFL"], orient="row"
    ).with_columns(pl.col("ADT").cast(pl.Date))


def pfs(adsl_frame: pl.DataFrame, adrs: pl.DataFrame, **kw: object) -> dict[str, object]:
    out = derive_param_pfs(adsl_frame, adrs, **kw)  # type: ignore[arg-type]
    assert out.height == 1
    return out.row(0, named=True)


def one(**kw: object) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "USUBJID": ["S1"],
        "STARTDT": [d(1)],
        "DTHDT": [None],
        "NACTDT": [None],
        "TRTEDT": [None],
    }
    for k, v in kw.items():
        base[k] = [v]
    return pl.DataFrame(base).with_columns(pl.col("DTHDT", "NACTDT", "TRTEDT").cast(pl.Date))


def test_c1_no_baseline_assessment() -> None:
    row = pfs(one(), rs_rows("S1", [(29, "PR"), (57, "PD")], baseline=False))
    assert (row["CNSRRULE"], row["CNSR"], row["ADT"]) == ("C1", 1, d(1))


def test_c2_new_therapy_before_pd_censors_at_last_adequate_before_it() -> None:
    adrs = rs_rows("S1", [(29, "PR"), (57, "PR"), (85, "PD")])
    row = pfs(one(NACTDT=d(70)), adrs)
    assert (row["CNSRRULE"], row["CNSR"], row["ADT"]) == ("C2", 1, d(57))
    sens = pfs(one(NACTDT=d(70)), adrs, count_pd_after_new_therapy=True)
    assert (sens["CNSRRULE"], sens["CNSR"], sens["ADT"]) == ("C4", 0, d(85))


@pytest.mark.parametrize(
    ("pd_day", "rule"),
    [
        pytest.param(57 + 2 * 28 + 7, "C4", id="gap-just-meets-window"),
        pytest.param(57 + 2 * 28 + 8, "C3", id="gap-just-exceeds-window"),
    ],
)
def test_c3_event_after_two_missed_assessments(pd_day: int, rule: str) -> None:
    adrs = rs_rows("S1", [(29, "PR"), (57, "PR"), (pd_day, "PD")])
    row = pfs(one(), adrs, assessment_interval_days=28, window_days=7)
    assert row["CNSRRULE"] == rule
    if rule == "C3":
        assert (row["CNSR"], row["ADT"]) == (1, d(57))
        sens = pfs(one(), adrs, count_events_after_missed=True)
        assert (sens["CNSRRULE"], sens["CNSR"], sens["ADT"]) == ("C4", 0, d(pd_day))


def test_c4_pd_event_at_first_pd_assessment() -> None:
    adrs = rs_rows("S1", [(29, "PR"), (57, "PD"), (85, "PD")])
    row = pfs(one(), adrs)
    assert (row["CNSRRULE"], row["CNSR"], row["ADT"], row["AVAL"]) == ("C4", 0, d(57), 57.0)


def test_c5_death_without_pd() -> None:
    adrs = rs_rows("S1", [(29, "PR"), (57, "PR")])
    row = pfs(one(DTHDT=d(70)), adrs)
    assert (row["CNSRRULE"], row["CNSR"], row["ADT"]) == ("C5", 0, d(70))
    ttp = pfs(one(DTHDT=d(70)), adrs, include_death=False, paramcd="TTP")
    assert (ttp["CNSRRULE"], ttp["CNSR"], ttp["ADT"], ttp["PARAMCD"]) == ("C7", 1, d(57), "TTP")


def test_c6_treatment_stopped_and_c7_alive_without_pd() -> None:
    adrs = rs_rows("S1", [(29, "PR"), (57, "PR"), (85, "SD")])
    stopped = pfs(one(TRTEDT=d(40)), adrs)
    assert (stopped["CNSRRULE"], stopped["CNSR"], stopped["ADT"]) == ("C6", 1, d(85))
    alive = pfs(one(), adrs)
    assert (alive["CNSRRULE"], alive["CNSR"], alive["ADT"]) == ("C7", 1, d(85))


def test_ne_assessments_are_not_adequate_for_censoring() -> None:
    adrs = rs_rows("S1", [(29, "PR"), (57, "NE")])
    row = pfs(one(), adrs)
    assert row["ADT"] == d(29)


def test_require_confirmed_pd_skips_unconfirmed_pd() -> None:
    adrs = rs_rows("S1", [(29, "PR"), (57, "PD"), (85, "PD")]).with_columns(
        pl.Series("CONFFL", ["", "", "N", "Y"])
    )
    row = pfs(one(), adrs, require_confirmed_pd=True)
    assert (row["CNSRRULE"], row["ADT"]) == ("C4", d(85))
    with pytest.raises(PlasmatrialError, match="CONFFL"):
        derive_param_pfs(one(), rs_rows("S1", [(29, "PD")]), require_confirmed_pd=True)


@given(
    st.lists(
        st.tuples(st.integers(1, 400), st.sampled_from(["PR", "SD", "PD", "NE", "VGPR"])),
        min_size=1,
        max_size=8,
        unique_by=lambda t: t[0],
    ),
    st.one_of(st.none(), st.integers(1, 500)),
)
def test_pfs_invariants(visits: list[tuple[int, str]], death: int | None) -> None:
    adrs = rs_rows("S1", sorted(visits))
    row = pfs(one(DTHDT=d(death) if death else None), adrs, count_events_after_missed=True)
    assert row["ADT"] >= d(1)
    assert row["AVAL"] >= 1
    pd_days = [day for day, cat in visits if cat == "PD"]
    candidates = pd_days + ([death] if death else [])
    if candidates:
        assert row["CNSR"] == 0
        assert row["ADT"] == d(min(candidates))
    else:
        assert row["CNSR"] == 1
    # Row order never matters.
    shuffled = derive_param_pfs(
        one(DTHDT=d(death) if death else None), adrs.reverse(), count_events_after_missed=True
    )
    assert shuffled.row(0, named=True) == row


# --- DOR and TTR -----------------------------------------------------------------------------

RESPONSE = pl.col("AVALC").is_in(["CR", "VGPR", "PR"])


def test_dor_from_first_response_to_pd_and_death_option() -> None:
    adsl_frame = pl.DataFrame(
        {
            "USUBJID": ["R", "N", "D"],
            "STARTDT": [d(1)] * 3,
            "DTHDT": [None, None, d(200)],
            "NACTDT": [None] * 3,
            "TRTEDT": [None] * 3,
        }
    ).with_columns(pl.col("DTHDT", "NACTDT", "TRTEDT").cast(pl.Date))
    adrs = pl.concat(
        [
            rs_rows("R", [(29, "SD"), (57, "PR"), (85, "VGPR"), (113, "PD")]),
            rs_rows("N", [(29, "SD"), (57, "SD")]),
            rs_rows(
                "D", [(29, "PR"), (57, "PR"), (85, "PR"), (113, "PR"), (141, "PR"), (169, "PR")]
            ),
        ]
    )
    dor = derive_param_dor(adsl_frame, adrs, response=RESPONSE).sort("USUBJID")
    assert dor["USUBJID"].to_list() == ["D", "R"]  # non-responder excluded
    r = dor.filter(pl.col("USUBJID") == "R").row(0, named=True)
    assert (r["STARTDT"], r["ADT"], r["CNSR"], r["AVAL"]) == (d(57), d(113), 0, 57.0)
    dd = dor.filter(pl.col("USUBJID") == "D").row(0, named=True)
    assert (dd["CNSR"], dd["ADT"]) == (1, d(169))  # IMWG default: death without PD censored
    fda = derive_param_dor(adsl_frame, adrs, response=RESPONSE, death_is_event=True)
    dd2 = fda.filter(pl.col("USUBJID") == "D").row(0, named=True)
    assert (dd2["CNSR"], dd2["ADT"]) == (0, d(200))


def test_ttr_responders_event_nonresponders_censored() -> None:
    adsl_frame = pl.DataFrame({"USUBJID": ["R", "N"], "STARTDT": [d(1), d(1)]})
    adrs = pl.concat(
        [
            rs_rows("R", [(29, "SD"), (57, "PR"), (85, "CR")]),
            rs_rows("N", [(29, "SD"), (57, "NE")]),
        ]
    )
    ttr = derive_param_ttr(adsl_frame, adrs, response=RESPONSE).sort("USUBJID")
    assert ttr["CNSR"].to_list() == [1, 0]
    assert ttr["ADT"].to_list() == [d(29), d(57)]
    assert ttr["AVAL"].to_list() == [29.0, 57.0]
