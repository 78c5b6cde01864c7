"""ADEX: cumulative dose, relative dose intensity, reductions and interruptions."""

from __future__ import annotations

import polars as pl
import pytest

from plasmatrial.endpoints.exposure import (
    PlannedDose,
    derive_adex,
    planned_from_mapping,
    summarise_exposure,
)
from plasmatrial.errors import PlasmatrialError

POM = PlannedDose("POMALIDOMIDE", 4.0, "mg", tuple(range(1, 22)), 28)
DEX = PlannedDose("DEXAMETHASONE", 40.0, "mg", (1, 8, 15, 22), 28)


def ex(rows: list[tuple[str, str, float, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["USUBJID", "EXTRT", "EXDOSE", "EXSTDTC", "EXENDTC"], orient="row"
    )


def test_full_dose_two_cycles_is_rdi_100() -> None:
    frame = ex(
        [
            ("S1", "POMALIDOMIDE", 4.0, "2024-01-01", "2024-01-21"),
            ("S1", "POMALIDOMIDE", 4.0, "2024-01-29", "2024-02-18"),
        ]
    )
    row = derive_adex(frame, planned=[POM]).row(0, named=True)
    assert row["NCYCLES"] == 2
    assert row["CUMDOSE"] == 2 * 21 * 4.0
    assert row["PLCUMDOS"] == 2 * 21 * 4.0
    assert row["RDI"] == pytest.approx(100.0)
    assert row["DI"] == pytest.approx(84.0)  # 4 mg x 21 days per 28 days
    assert (row["NREDUC"], row["NINTRP"]) == (0, 0)


def test_reduction_and_delay_are_counted() -> None:
    frame = ex(
        [
            ("S1", "POMALIDOMIDE", 4.0, "2024-01-01", "2024-01-21"),
            # next cycle starts on 2024-02-05 instead of 2024-01-29: a 14-day gap > 7 planned
            ("S1", "POMALIDOMIDE", 3.0, "2024-02-05", "2024-02-25"),
        ]
    )
    row = derive_adex(frame, planned=[POM]).row(0, named=True)
    assert row["NREDUC"] == 1
    assert row["NINTRP"] == 1
    assert row["RDI"] == pytest.approx(100 * (84 + 63) / 168)


@pytest.mark.parametrize(
    ("restart", "interrupted"),
    [
        pytest.param("2024-01-29", 0, id="planned-rest-7-days"),
        pytest.param("2024-01-30", 1, id="one-day-late"),
    ],
)
def test_interruption_boundary(restart: str, interrupted: int) -> None:
    frame = ex(
        [
            ("S1", "POMALIDOMIDE", 4.0, "2024-01-01", "2024-01-21"),
            ("S1", "POMALIDOMIDE", 4.0, restart, restart),
        ]
    )
    assert derive_adex(frame, planned=[POM])["NINTRP"].item() == interrupted


def test_weekly_dex_and_ae_discontinuation() -> None:
    frame = ex(
        [
            ("S1", "DEXAMETHASONE", 40.0, "2024-01-01", "2024-01-01"),
            ("S1", "DEXAMETHASONE", 40.0, "2024-01-08", "2024-01-08"),
            ("S1", "DEXAMETHASONE", 20.0, "2024-01-15", "2024-01-15"),
            ("S2", "DEXAMETHASONE", 40.0, "2024-01-01", "2024-01-01"),
        ]
    )
    ds = pl.DataFrame({"USUBJID": ["S1", "S2"], "DSDECOD": ["ADVERSE EVENT", "COMPLETED"]})
    out = derive_adex(frame, planned=[DEX], dataset_ds=ds).sort("USUBJID")
    assert out["CUMDOSE"].to_list() == [100.0, 40.0]
    assert out["RDI"].to_list() == pytest.approx([100 * 100 / 160, 100 * 40 / 160])
    assert out["NREDUC"].to_list() == [1, 0]
    assert out["NINTRP"].to_list() == [0, 0]
    assert out["DCAEFL"].to_list() == ["Y", "N"]
    summary = summarise_exposure(out)
    assert summary["N_DISC_AE"].item() == 1


def test_planned_from_mapping_and_validation() -> None:
    p = planned_from_mapping({"drug": "Lenalidomide", "dose": 15, "days": "1-21"})
    assert p.dosing_days_per_cycle == 21
    assert p.max_planned_gap == 7
    assert (
        planned_from_mapping({"drug": "Dex", "dose": 40, "days": [1, 8, 15, 22]}).max_planned_gap
        == 6
    )
    with pytest.raises(PlasmatrialError):
        PlannedDose("X", 0.0, "mg", (1,), 28)
    with pytest.raises(PlasmatrialError):
        PlannedDose("X", 1.0, "mg", (29,), 28)
    with pytest.raises(PlasmatrialError, match="lacks"):
        derive_adex(pl.DataFrame({"USUBJID": ["S"]}), planned=[POM])
