"""FLC unit plausibility by distribution (decision 0105): each mislabel of issue 13 is refused
through the CLI with a ``unit_mixup`` problem, and ``--accept-units`` overrides it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.e2e.cli import run_cli

AL = Path(__file__).parents[2] / "examples" / "al"
FLC = pl.col("LBTESTCD").is_in(["FLCKAP", "FLCLAM"])


def _lb() -> pl.DataFrame:
    return pl.read_csv(AL / "lb.csv", infer_schema=False)


def _write(frame: pl.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "lb.csv"
    frame.write_csv(path)
    return path


def _subject_tenfold_small(subject: str) -> pl.DataFrame:
    """Every FLC of one subject divided by 10 with the unit kept mg/L (mg/dL labelled mg/L)."""
    mask = FLC & (pl.col("USUBJID") == subject)
    tenth = (pl.col("LBORRES").cast(pl.Float64) / 10).round(3).cast(pl.String)
    return _lb().with_columns(
        pl.when(mask).then(tenth).otherwise(pl.col("LBORRES")).alias("LBORRES")
    )


def _validate(lb: Path, *extra: str) -> tuple[int, str]:
    res = run_cli(
        "validate", "--dm", str(AL / "dm.csv"), "--lb", str(lb), "--ex", str(AL / "ex.csv"), *extra,
        columns=400,  # wide enough that no message is wrapped inside its table cell
    )  # fmt: skip
    assert "Traceback" not in res.stderr
    return res.returncode, res.stdout + res.stderr


def test_one_subject_in_mgdl_labelled_mgl_is_reported(tmp_path: Path) -> None:
    code, out = _validate(_write(_subject_tenfold_small("PLAS-AL-01-005"), tmp_path))
    assert code == 2
    assert "unit_mixup" in out
    assert "PLAS-AL-01-005" in out


def test_accept_units_overrides(tmp_path: Path) -> None:
    code, out = _validate(
        _write(_subject_tenfold_small("PLAS-AL-01-005"), tmp_path), "--accept-units"
    )
    assert code == 0, out
    assert out.startswith("OK: 30 subjects")


def test_whole_file_in_mgl_labelled_mgdl_is_one_file_problem(tmp_path: Path) -> None:
    lb = _lb().with_columns(
        pl.when(FLC).then(pl.lit("mg/dL")).otherwise(pl.col("LBORRESU")).alias("LBORRESU")
    )
    code, out = _validate(_write(lb, tmp_path))
    assert code == 2
    assert "whole file is ~10x off" in out
    assert "1 problem found" in out


def test_one_baseline_value_relabelled_is_reported(tmp_path: Path) -> None:
    one = (pl.col("USUBJID") == "PLAS-AL-01-001") & (pl.col("LBSEQ") == "4")
    lb = _lb().with_columns(
        pl.when(one).then(pl.lit("mg/dL")).otherwise(pl.col("LBORRESU")).alias("LBORRESU")
    )
    code, out = _validate(_write(lb, tmp_path))
    assert code == 2
    assert "unit_mixup" in out
    assert "54.0 mg/dL (data row 4)" in out


def test_single_value_spike_that_reverts_is_reported(tmp_path: Path) -> None:
    # Subject 005 lambda at 2024-06-12 is 22.8 between 22.7 and 21.7: write it as 2.28 (mg/dL).
    one = (pl.col("USUBJID") == "PLAS-AL-01-005") & (pl.col("LBTESTCD") == "FLCLAM")
    one = one & (pl.col("LBDTC") == "2024-06-12")
    lb = _lb().with_columns(
        pl.when(one).then(pl.lit("2.28")).otherwise(pl.col("LBORRES")).alias("LBORRES")
    )
    code, out = _validate(_write(lb, tmp_path))
    assert code == 2
    assert "step that reverts" in out


def test_reference_range_in_another_scale_reveals_the_unit(tmp_path: Path) -> None:
    kap = (pl.col("USUBJID") == "PLAS-AL-01-002") & (pl.col("LBTESTCD") == "FLCKAP")
    lb = _lb().with_columns(
        pl.when(kap).then(pl.lit("1.94")).otherwise(pl.col("LBSTNRHI")).alias("LBSTNRHI")
    )
    code, out = _validate(_write(lb, tmp_path))
    assert code == 2
    assert "reference range" in out and "unit_mixup" in out


def test_plausible_reference_range_is_accepted(tmp_path: Path) -> None:
    # The example has laboratories in mg/L and in mg/dL: each range is written in its own unit.
    kap = pl.col("LBTESTCD") == "FLCKAP"
    uln = pl.when(pl.col("LBORRESU") == "mg/dL").then(pl.lit("1.94")).otherwise(pl.lit("19.4"))
    lb = _lb().with_columns(pl.when(kap).then(uln).otherwise(pl.col("LBSTNRHI")).alias("LBSTNRHI"))
    code, out = _validate(_write(lb, tmp_path))
    assert code == 0, out


def test_both_chains_zero_is_implausible(tmp_path: Path) -> None:
    day = (pl.col("USUBJID") == "PLAS-AL-01-005") & FLC & (pl.col("LBDTC") == "2024-07-10")
    lb = _lb().with_columns(
        pl.when(day).then(pl.lit("0")).otherwise(pl.col("LBORRES")).alias("LBORRES")
    )
    code, out = _validate(_write(lb, tmp_path))
    assert code == 2
    assert "implausible_value" in out and "not both 0" in out


@pytest.mark.parametrize("accept", [False, True])
def test_respond_refuses_a_mislabelled_subject(tmp_path: Path, accept: bool) -> None:
    lb = _write(_subject_tenfold_small("PLAS-AL-01-005"), tmp_path)
    args = ["respond", "--dm", str(AL / "dm.csv"), "--lb", str(lb), "--ex", str(AL / "ex.csv")]
    args += ["-o", str(tmp_path / "out.csv"), "--show", "0"]
    res = run_cli(*args, *(["--accept-units"] if accept else []))
    assert "Traceback" not in res.stderr
    assert res.returncode == (0 if accept else 2), res.stderr
    if not accept:
        assert "unit_mixup" in res.stderr
