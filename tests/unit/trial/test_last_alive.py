"""Last date known alive (OS censoring) from every domain, with its source (sap.md 3)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from plasmatrial.endpoints.adsl import derive_adsl
from plasmatrial.trial.alive import alive_dates

D = dt.date


def _adsl(
    *,
    ds: pl.DataFrame | None = None,
    ae: pl.DataFrame | None = None,
    qs: pl.DataFrame | None = None,
    dthdtc: str | None = None,
) -> dict[str, object]:
    """One subject S1: first dose 2024-01-10, last dose 2024-04-01, last lab 2024-05-01."""
    dm = pl.DataFrame(
        {"USUBJID": ["S1"], "ARM": ["A"], "RFSTDTC": ["2024-01-10"], "DTHDTC": [dthdtc]},
        schema_overrides={"DTHDTC": pl.Utf8},
    )
    ex = pl.DataFrame(
        {
            "USUBJID": ["S1"],
            "EXDOSE": [4.0],
            "EXSTDTC": ["2024-01-10"],
            "EXENDTC": ["2024-04-01"],
        }
    )
    labs = pl.DataFrame({"USUBJID": ["S1", "S1"], "ADT": [D(2024, 1, 9), D(2024, 5, 1)]})
    contact = alive_dates(labs, ds=ds, ae=ae, qs=qs)
    return derive_adsl(dm, ex, dataset_ds=ds, dataset_last_contact=contact).row(0, named=True)


def _ae(start: str, end: str | None) -> pl.DataFrame:
    return pl.DataFrame(
        {"USUBJID": ["S1"], "AEDECOD": ["Fatigue"], "AESTDTC": [start], "AEENDTC": [end]},
        schema_overrides={"AEENDTC": pl.Utf8},
    )


def _ds(*rows: tuple[str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "USUBJID": ["S1"] * len(rows),
            "DSSCAT": [r[0] for r in rows],
            "DSDECOD": [r[1] for r in rows],
            "DSSTDTC": [r[2] for r in rows],
        }
    )


def test_labs_and_dosing_only() -> None:
    """Latest of randomisation/first dose 2024-01-10, last dose 2024-04-01, labs 2024-05-01."""
    row = _adsl()
    assert row["LSTALVDT"] == D(2024, 5, 1)
    assert row["LSTALVSRC"] == "LB.LBDTC"


def test_adverse_event_after_the_last_lab() -> None:
    """AE 2024-04-20 to 2024-06-10: its end (after the last lab, 2024-05-01) is the date."""
    row = _adsl(ae=_ae("2024-04-20", "2024-06-10"))
    assert row["LSTALVDT"] == D(2024, 6, 10)
    assert row["LSTALVSRC"] == "AE.AEENDTC"


def test_disposition_last_contact_after_everything_else() -> None:
    """DS: treatment completed 2024-04-01, follow-up 'LAST CONTACT' 2024-07-15; AE ends
    2024-06-10, questionnaire 2024-06-30: the DS contact, 2024-07-15, is the latest."""
    ds = _ds(("TREATMENT", "COMPLETED", "2024-04-01"), ("FOLLOW-UP", "LAST CONTACT", "2024-07-15"))
    qs = pl.DataFrame({"USUBJID": ["S1"], "QSDTC": ["2024-06-30"]})
    row = _adsl(ds=ds, ae=_ae("2024-04-20", "2024-06-10"), qs=qs)
    assert row["LSTALVDT"] == D(2024, 7, 15)
    assert row["LSTALVSRC"] == "DS.DSSTDTC"
    assert row["EOTSTT"] == "COMPLETED"


def test_withdrawal_counts_and_ties_list_every_source() -> None:
    """Withdrawal 2024-06-10 and an AE ending the same day: both named, DS first."""
    ds = _ds(("STUDY", "WITHDRAWAL BY SUBJECT", "2024-06-10"))
    row = _adsl(ds=ds, ae=_ae("2024-04-20", "2024-06-10"))
    assert row["LSTALVDT"] == D(2024, 6, 10)
    assert row["LSTALVSRC"] == "DS.DSSTDTC, AE.AEENDTC"


def test_death_record_is_not_an_alive_date() -> None:
    """A DS DEATH record is the death date; LSTALVDT = DTHDT, never a later AE end date."""
    ds = _ds(("STUDY", "DEATH", "2024-06-01"))
    row = _adsl(ds=ds, ae=_ae("2024-05-20", "2024-06-20"))
    assert row["DTHDT"] == D(2024, 6, 1)
    assert row["LSTALVDT"] == D(2024, 6, 1)
    assert row["LSTALVSRC"] == "DTHDT"


def test_date_after_death_is_dropped_from_the_sources() -> None:
    labs = pl.DataFrame({"USUBJID": ["S1"], "ADT": [D(2024, 5, 1)]})
    contact = alive_dates(labs, ds=_ds(("STUDY", "DEATH", "2024-06-01")))
    assert contact["SRCDOM"].to_list() == ["LB"]


def test_partial_date_counts_from_its_first_day_and_says_so() -> None:
    """AEENDTC '2024-08' documents the patient alive in August: 2024-08-01, flagged; a
    year-only date '2024' would be 2024-01-01 (earlier than the labs here)."""
    row = _adsl(ae=_ae("2024", "2024-08"))
    assert row["LSTALVDT"] == D(2024, 8, 1)
    assert row["LSTALVSRC"] == "AE.AEENDTC (partial, first day imputed)"


def test_unparseable_date_is_ignored() -> None:
    row = _adsl(ae=_ae("2024-13-40", "unknown"))
    assert row["LSTALVDT"] == D(2024, 5, 1)
