"""ADSL: populations, treatment dates, death and last-alive dates, disposition."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from plasmatrial.endpoints.adsl import derive_adsl, derive_var_evaluable
from plasmatrial.errors import PlasmatrialError

DM = pl.DataFrame(
    {
        "STUDYID": ["T"] * 4,
        "USUBJID": ["A", "B", "C", "D"],
        "ARM": ["POM", "POM", "SCREEN FAILURE", "DEX"],
        "RFSTDTC": ["2024-01-01", "2024-01-05", None, "2024-02-01"],
        "AGE": [64, 75, 80, 50],
        "SEX": ["M", "F", "M", "F"],
        "DTHDTC": [None, "2024-06-30", None, None],
    }
)
EX = pl.DataFrame(
    {
        "USUBJID": ["A", "A", "B", "D"],
        "EXDOSE": [4.0, 4.0, 4.0, 0.0],
        "EXSTDTC": ["2024-01-01", "2024-01-29", "2024-01-05", "2024-02-01"],
        "EXENDTC": ["2024-01-21", "2024-02-18", "2024-01-25", "2024-02-01"],
    }
)
DS = pl.DataFrame(
    {
        "USUBJID": ["A", "B", "B"],
        "DSSCAT": ["TREATMENT", "TREATMENT", None],
        "DSDECOD": ["ADVERSE EVENT", "PROGRESSIVE DISEASE", "DEATH"],
        "DSSTDTC": ["2024-02-20", "2024-01-26", "2024-06-30"],
    }
)


def test_populations_and_dates() -> None:
    contact = pl.DataFrame({"USUBJID": ["A", "A"], "ADT": [date(2024, 3, 1), date(2024, 5, 2)]})
    adsl = derive_adsl(DM, EX, dataset_ds=DS, dataset_last_contact=contact).sort("USUBJID")
    rows = {r["USUBJID"]: r for r in adsl.iter_rows(named=True)}
    assert [rows[s]["ITTFL"] for s in "ABCD"] == ["Y", "Y", "N", "Y"]
    # D had only a zero-dose record: not in the safety population
    assert [rows[s]["SAFFL"] for s in "ABCD"] == ["Y", "Y", "N", "N"]
    assert rows["A"]["TRTSDT"] == date(2024, 1, 1)
    assert rows["A"]["TRTEDT"] == date(2024, 2, 18)
    assert rows["A"]["LSTALVDT"] == date(2024, 5, 2)
    assert rows["A"]["DCTREAS"] == "ADVERSE EVENT"
    assert rows["A"]["EOTSTT"] == "DISCONTINUED"
    assert rows["B"]["DTHFL"] == "Y"
    assert rows["B"]["LSTALVDT"] == date(2024, 6, 30)
    assert [rows[s]["AGEGR1"] for s in "ABCD"] == ["<65", ">=75", ">=75", "<65"]


@pytest.mark.parametrize(
    ("age", "group"), [(64.9, "<65"), (65, "65-74"), (74.9, "65-74"), (75, ">=75")]
)
def test_age_group_boundaries(age: float, group: str) -> None:
    dm = pl.DataFrame({"USUBJID": ["A"], "ARM": ["X"], "AGE": [age]})
    adsl = derive_adsl(dm, EX.filter(pl.col("USUBJID") == "A"))
    assert adsl["AGEGR1"].item() == group


def test_duplicate_subjects_rejected() -> None:
    dm = pl.DataFrame({"USUBJID": ["A", "A"], "ARM": ["X", "X"]})
    with pytest.raises(PlasmatrialError, match="duplicate"):
        derive_adsl(dm, EX)


def test_evaluable_flag_requires_safety_population() -> None:
    adsl = derive_adsl(DM, EX)
    out = derive_var_evaluable(adsl, ["A", "C", "D"]).sort("USUBJID")
    assert out["EFFFL"].to_list() == ["Y", "N", "N", "N"]
