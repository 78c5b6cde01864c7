"""Per-record dose changes (``derive_dose_changes``): hand-made records and agreement with the
counts of ``derive_adex`` on a simulated trial."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from plasmatrial.endpoints.exposure import (
    DOSE_CHANGE_COLUMNS,
    PlannedDose,
    derive_adex,
    derive_dose_changes,
)

ROOT = Path(__file__).resolve().parents[3]
POM = PlannedDose("POMALIDOMIDE", 4.0, "mg", tuple(range(1, 22)))  # days 1-21 of 28


def test_reduction_and_interruption_are_flagged_on_their_record() -> None:
    ex = pl.DataFrame({
        "USUBJID": ["S1"] * 4 + ["S2"],
        "EXTRT": ["Pomalidomide"] * 4 + ["OTHER"],
        "EXDOSE": [4.0, 4.0, 3.0, 3.0, 10.0],
        "EXDOSU": ["mg"] * 5,
        "EXSTDTC": ["2024-01-01", "2024-01-29", "2024-02-26", "2024-04-15", "2024-01-01"],
        "EXENDTC": ["2024-01-21", "2024-02-18", "2024-03-17", "2024-05-05", "2024-01-01"],
    })
    out = derive_dose_changes(ex, planned=[POM])
    assert out.columns == list(DOSE_CHANGE_COLUMNS)
    s1 = out.filter(pl.col("USUBJID") == "S1")
    # planned gap 7 days: 2024-03-17 -> 2024-04-15 leaves 28 days off: an interruption
    assert s1["REDUCFL"].to_list() == ["N", "N", "Y", "N"]
    assert s1["INTRPFL"].to_list() == ["N", "N", "N", "Y"]
    assert s1["GAPDAYS"].to_list() == [None, 7, 7, 28]
    assert s1["PREVDOSE"].to_list() == [None, 4.0, 4.0, 3.0]
    # a drug without a plan: no interruption can be told
    assert out.filter(pl.col("USUBJID") == "S2")["INTRPFL"].to_list() == ["N"]


def test_counts_agree_with_derive_adex() -> None:
    import plasmatrial as pt
    from plasmatrial.synth import simulate_trial_data

    trial = pt.read_trial(ROOT / "examples" / "trials" / "al_pomdex_phase2.yaml")
    ex = simulate_trial_data(trial, seed=3).ex
    plan = [d.planned() for d in trial.arms[0].regimen]
    per_record = (
        derive_dose_changes(ex, planned=plan)
        .group_by("USUBJID", "EXTRT")
        .agg((pl.col("REDUCFL") == "Y").sum().cast(pl.Int64).alias("NREDUC"),
             (pl.col("INTRPFL") == "Y").sum().cast(pl.Int64).alias("NINTRP"))
        .sort("USUBJID", "EXTRT")
    )
    adex = derive_adex(ex, planned=plan).select("USUBJID", "EXTRT", "NREDUC", "NINTRP")
    assert per_record.equals(adex.sort("USUBJID", "EXTRT"))
    assert per_record["NREDUC"].sum() > 0 and per_record["NINTRP"].sum() > 0
