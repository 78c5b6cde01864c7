"""End-to-end tests of ``plasmatrial stats ci|km|logrank|cif|rmst`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from plasmatrial.stats.cif import cumulative_incidence
from plasmatrial.stats.km import kaplan_meier
from plasmatrial.stats.logrank import logrank_test
from plasmatrial.stats.rmst import rmst_difference
from tests.e2e.cli import run_cli
from tests.reference import load_fixture
from tests.reference._util import arr, strs


@pytest.fixture(scope="module")
def lung(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """survival::lung as used in the R fixture (time, event, sex) written to CSV and Parquet."""
    case = next(
        c for c in load_fixture("km_logrank")["expected"]["logrank"] if c["name"] == "lung_sex"
    )
    inp = case["input"]
    frame = pl.DataFrame(
        {
            "TIME": arr(inp["time"]),
            "EVENT": arr(inp["event"]).astype(int),
            "SEX": strs(inp["group"]),
            "CAUSE": (arr(inp["event"]) * (1 + (arr(inp["time"]) > 300))).astype(int),
        }
    )
    path = tmp_path_factory.mktemp("data") / "lung.csv"
    frame.write_csv(path)
    frame.write_parquet(path.with_suffix(".parquet"))
    return path


def test_ci_json_is_full_precision() -> None:
    res = run_cli("stats", "ci", "--x", "19", "--n", "28", "--method", "jeffreys", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["method"] == "jeffreys"
    assert round(100 * out["lower"]) == 49
    assert round(100 * out["upper"]) == 83


def test_ci_table_default_method() -> None:
    res = run_cli("stats", "ci", "--x", "19", "--n", "28")
    assert res.returncode == 0
    assert "clopper-pearson" in res.stdout
    assert "0.4765" in res.stdout


def test_km_json_matches_library(lung: Path) -> None:
    res = run_cli(
        "stats", "km", str(lung), "--time", "TIME", "--event", "EVENT", "--group", "SEX", "--json"
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    frame = pl.read_csv(lung)
    m = frame["SEX"].cast(pl.String) == "1"
    fit = kaplan_meier(
        frame["TIME"].to_numpy()[m.to_numpy()], frame["EVENT"].to_numpy()[m.to_numpy()]
    )
    assert out["groups"]["1"]["median"] == fit.median == 270.0
    assert out["groups"]["1"]["table"]["surv"] == fit.surv.tolist()


def test_km_parquet_and_conf_type(lung: Path) -> None:
    res = run_cli(
        "stats",
        "km",
        str(lung.with_suffix(".parquet")),
        "--time",
        "TIME",
        "--event",
        "EVENT",
        "--conf-type",
        "log-log",
    )
    assert res.returncode == 0, res.stderr
    assert "log-log" in res.stdout


def test_logrank_json_matches_r(lung: Path) -> None:
    r = next(
        c for c in load_fixture("km_logrank")["expected"]["logrank"] if c["name"] == "lung_sex"
    )
    res = run_cli(
        "stats",
        "logrank",
        str(lung),
        "--time",
        "TIME",
        "--event",
        "EVENT",
        "--group",
        "SEX",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    np.testing.assert_allclose(out["chisq"], r["chisq"], rtol=1e-8)
    assert out["df"] == 1


def test_rmst_and_cif_json(lung: Path) -> None:
    frame = pl.read_csv(lung)
    t, e, g = frame["TIME"].to_numpy(), frame["EVENT"].to_numpy(), frame["SEX"].to_numpy()
    res = run_cli(
        "stats",
        "rmst",
        str(lung),
        "--time",
        "TIME",
        "--event",
        "EVENT",
        "--group",
        "SEX",
        "--tau",
        "365",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["difference"] == rmst_difference(t, e, g, tau=365).difference
    res = run_cli(
        "stats", "cif", str(lung), "--time", "TIME", "--status", "CAUSE", "--group", "SEX", "--json"
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    lib = cumulative_incidence(t, frame["CAUSE"].to_numpy(), group=g)
    assert [x["stat"] for x in out["tests"]] == [x.statistic for x in lib.tests]
    assert logrank_test(t, e, g).df == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        pytest.param(
            ("km", "{f}", "--time", "NOPE", "--event", "EVENT"), "missing column", id="bad-column"
        ),
        pytest.param(
            ("km", "{f}", "--time", "SEX", "--event", "TIME"), "event", id="bad-event-values"
        ),
        pytest.param(("ci", "--x", "29", "--n", "28"), "x:", id="x-above-n"),
        pytest.param(
            ("ci", "--x", "1", "--n", "2", "--method", "exact"), "method: expected", id="bad-method"
        ),
        pytest.param(
            ("rmst", "{f}", "--time", "TIME", "--event", "EVENT", "--tau", "-1"),
            "tau",
            id="bad-tau",
        ),
        pytest.param(
            ("km", "/no/such.csv", "--time", "TIME", "--event", "EVENT"), "not found", id="no-file"
        ),
    ],
)
def test_user_errors_are_one_line_exit_2(lung: Path, args: tuple[str, ...], needle: str) -> None:
    res = run_cli("stats", *(a.format(f=lung) for a in args))
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert needle in " ".join(res.stderr.split())
