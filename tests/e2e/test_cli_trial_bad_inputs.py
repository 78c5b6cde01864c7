"""``plasmatrial run`` on malformed trial data (issue 13): the optional domains and EX are
validated, every problem at once, exit code 2 with the problem table, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.e2e.cli import run_cli

TRIAL = Path(__file__).parents[2] / "examples" / "trials" / "al_pomdex_phase2.yaml"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "data"
    res = run_cli("simulate-data", str(TRIAL), "--out", str(out))
    assert res.returncode == 0, res.stderr
    return out


def _copy(sim: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(sim, data)
    return data


def _set(path: Path, row: int, column: str, value: str) -> None:
    frame = pl.read_csv(path, infer_schema=False)
    idx = pl.int_range(pl.len()) == row - 1
    frame.with_columns(
        pl.when(idx).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    ).write_csv(path)


def _run(data: Path, tmp_path: Path) -> tuple[int, str]:
    res = run_cli("run", str(TRIAL), "--data", str(data), "--out", str(tmp_path / "out"))
    assert "Traceback" not in res.stderr
    return res.returncode, res.stdout + res.stderr


def test_bad_ds_date_and_ae_grade_are_all_reported(sim: Path, tmp_path: Path) -> None:
    data = _copy(sim, tmp_path)
    _set(data / "ds.csv", 1, "DSSTDTC", "2012-02-30")
    _set(data / "ae.csv", 2, "AETOXGR", "SEVERE")
    _set(data / "ae.csv", 3, "AETOXGR", "7")
    code, out = _run(data, tmp_path)
    assert code == 2
    assert "2012-02-30" in out and "bad_date" in out
    assert "SEVERE" in out and "a CTCAE grade" in out
    assert "3 problems found" in out


def test_ex_without_usubjid_is_a_missing_column(sim: Path, tmp_path: Path) -> None:
    data = _copy(sim, tmp_path)
    ex = pl.read_csv(data / "ex.csv", infer_schema=False).drop("USUBJID", "EXSTDTC")
    ex.write_csv(data / "ex.csv")
    code, out = _run(data, tmp_path)
    assert code == 2
    assert "missing_column" in out and "USUBJID" in out


def test_ex_in_another_delimiter_gets_a_hint(sim: Path, tmp_path: Path) -> None:
    data = _copy(sim, tmp_path)
    (data / "ex.csv").write_text((data / "ex.csv").read_text().replace(",", ";"))
    code, out = _run(data, tmp_path)
    assert code == 2
    assert "semicolon-delimited" in out


def test_validate_with_ex_missing_columns(tmp_path: Path) -> None:
    al = Path(__file__).parents[2] / "examples" / "al"
    ex = pl.read_csv(al / "ex.csv", infer_schema=False).drop("EXSTDTC")
    ex.write_csv(tmp_path / "ex.csv")
    res = run_cli(
        "validate", "--dm", str(al / "dm.csv"), "--lb", str(al / "lb.csv"),
        "--ex", str(tmp_path / "ex.csv"),
    )  # fmt: skip
    assert "Traceback" not in res.stderr
    assert res.returncode == 2
    assert "missing_column" in res.stderr and "EXSTDTC" in res.stderr


@pytest.mark.parametrize("accept", [False, True])
def test_run_refuses_a_mislabelled_subject_unless_accepted(
    sim: Path, tmp_path: Path, accept: bool
) -> None:
    data = _copy(sim, tmp_path)
    lb = pl.read_csv(data / "lb.csv", infer_schema=False)
    first = lb.get_column("USUBJID")[0]
    mask = pl.col("LBTESTCD").is_in(["FLCKAP", "FLCLAM"]) & (pl.col("USUBJID") == first)
    tenth = (pl.col("LBORRES").cast(pl.Float64) / 10).round(4).cast(pl.String)
    lb.with_columns(
        pl.when(mask).then(tenth).otherwise(pl.col("LBORRES")).alias("LBORRES")
    ).write_csv(data / "lb.csv")
    args = ["run", str(TRIAL), "--data", str(data), "--out", str(tmp_path / "out")]
    res = run_cli(*args, *(["--accept-units"] if accept else []))
    assert "Traceback" not in res.stderr
    if accept:
        assert res.returncode == 0, res.stderr
    else:
        assert res.returncode == 2
        assert "unit_mixup" in res.stderr and first in res.stderr


def test_run_out_is_a_file(sim: Path, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    res = run_cli("run", str(TRIAL), "--data", str(sim), "--out", str(target))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "Not a directory" in res.stderr
    assert target.read_text() == "x"


def test_optional_domain_with_a_duplicate_header(sim: Path, tmp_path: Path) -> None:
    data = _copy(sim, tmp_path)
    lines = (data / "ae.csv").read_text().splitlines()
    lines = [lines[0] + ",AETOXGR"] + [ln + ",5" for ln in lines[1:]]
    (data / "ae.csv").write_text("\n".join(lines) + "\n")
    code, out = _run(data, tmp_path)
    assert code == 2
    assert "'AETOXGR' and 'AETOXGR'" in out
