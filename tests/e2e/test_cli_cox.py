"""``plasmatrial stats cox`` through the real entry point, checked against R's coxph."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.e2e.cli import run_cli
from tests.reference import RTOL_R, load_fixture

CLI = load_fixture("cox")["cli_cases"]


@pytest.fixture
def veteran_csv(tmp_path: Path) -> Path:
    path = tmp_path / "veteran.csv"
    pl.DataFrame(CLI["veteran_factor"]["data"]).write_csv(path)
    return path


def test_json_matches_r_with_one_hot_factor(veteran_csv: Path) -> None:
    res = run_cli(
        "stats", "cox", str(veteran_csv), "--time", "time", "--event", "status",
        "--covariates", "trt,karno,age,celltype", "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    exp = CLI["veteran_factor"]["expected"]
    coef = out["coefficients"]
    assert coef["term"] == ["trt", "karno", "age", "celltype=large", "celltype=smallcell",
                            "celltype=squamous"]  # fmt: skip
    np.testing.assert_allclose(coef["coef"], exp["coef"], rtol=RTOL_R)
    np.testing.assert_allclose(out["loglik"], exp["loglik"][1], rtol=RTOL_R)
    np.testing.assert_allclose(out["tests"]["score"]["statistic"], exp["score_test"], rtol=RTOL_R)
    np.testing.assert_allclose(out["concordance"]["std"], exp["concordance"]["std"], rtol=RTOL_R)
    assert "not a substitute for clinical judgement" in out["disclaimer"]


def test_parquet_with_cluster_matches_r(tmp_path: Path) -> None:
    case = CLI["lung_cluster_breslow"]
    path = tmp_path / "lung.parquet"
    pl.DataFrame(case["data"]).write_parquet(path)
    res = run_cli(
        "stats", "cox", str(path), "--time", "time", "--event", "event",
        "--covariates", "age,sex,ph.ecog", "--cluster", "inst", "--ties", "breslow", "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["robust"] is True
    np.testing.assert_allclose(out["var"], np.reshape(case["expected"]["var"], (3, 3)), rtol=RTOL_R)
    np.testing.assert_allclose(
        out["tests"]["robust_score"]["statistic"],
        case["expected"]["robust_score_test"],
        rtol=RTOL_R,
    )


def test_table_output(veteran_csv: Path) -> None:
    res = run_cli(
        "stats", "cox", str(veteran_csv), "--time", "time", "--event", "status",
        "--covariates", "trt,karno", "--strata", "celltype",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "Likelihood ratio test" in res.stdout
    assert "Concordance" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--covariates", "nope"], "missing column(s) nope", id="missing-column"),
        pytest.param(["--covariates", "trt", "--ties", "peto"], "--ties", id="bad-ties"),
        pytest.param(["--covariates", "trt", "--entry", "time"], "entry", id="entry-not-before"),
    ],
)
def test_user_errors_are_one_line_exit_2(veteran_csv: Path, args: list[str], message: str) -> None:
    res = run_cli("stats", "cox", str(veteran_csv), "--time", "time", "--event", "status", *args)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert message in " ".join(res.stderr.split())
