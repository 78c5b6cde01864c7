"""``--na fail|omit`` on the stats commands (issue 13): the default refuses a table with a missing
value in a used column; ``--na omit`` drops those rows, as R's na.omit, and says how many."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from plasmatrial.stats.cox import cox_ph
from plasmatrial.stats.km import kaplan_meier
from plasmatrial.stats.logrank import logrank_test
from tests.e2e.cli import run_cli
from tests.reference import load_fixture
from tests.reference._util import arr, strs

#: Data rows (0-based) given a missing value, and how: TIME empty, EVENT "NA", SEX empty, X "."
HOLES = {3: "TIME", 10: "EVENT", 25: "SEX", 40: "TIME"}


@pytest.fixture(scope="module")
def lung(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """survival::lung (time, event, sex) with four holes, as text so that NA stays a code."""
    case = next(
        c for c in load_fixture("km_logrank")["expected"]["logrank"] if c["name"] == "lung_sex"
    )
    inp = case["input"]
    full = pl.DataFrame(
        {
            "TIME": arr(inp["time"]),
            "EVENT": arr(inp["event"]).astype(int),
            "SEX": strs(inp["group"]),
            "X": np.arange(len(strs(inp["group"]))) % 7 / 7.0,
            "UNUSED": [None] * len(strs(inp["group"])),
        }
    )
    text = full.with_columns(pl.col("TIME", "EVENT", "X").cast(pl.String))
    codes = {"TIME": "", "EVENT": "NA", "SEX": ""}
    for row, col in HOLES.items():
        value = codes[col] if row != 40 else "."
        text = text.with_columns(
            pl.when(pl.int_range(pl.len()) == row)
            .then(pl.lit(value))
            .otherwise(pl.col(col))
            .alias(col)
        )
    path = tmp_path_factory.mktemp("na") / "lung.csv"
    text.write_csv(path)
    complete = full.filter(~pl.int_range(pl.len()).is_in(list(HOLES)))
    return path, complete


@pytest.mark.parametrize(
    "command",
    [
        ["km", "--event", "EVENT"],
        ["logrank", "--event", "EVENT", "--group", "SEX"],
        ["rmst", "--event", "EVENT", "--tau", "500"],
        ["cif", "--status", "EVENT"],
        ["cox", "--event", "EVENT", "--covariates", "X"],
    ],
    ids=["km", "logrank", "rmst", "cif", "cox"],
)
def test_missing_values_are_refused_by_default(
    lung: tuple[Path, pl.DataFrame], command: list[str]
) -> None:
    path, _ = lung
    res = run_cli("stats", command[0], str(path), "--time", "TIME", *command[1:])
    assert res.returncode == 2, res.stdout + res.stderr
    message = " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr
    # data row 3 is file line 5 (header = line 1); TIME is missing in rows 3 and 40
    assert "column TIME has 2 missing values (first at line 5)" in message
    assert "--na omit" in message


def test_km_omit_matches_the_complete_rows(lung: tuple[Path, pl.DataFrame]) -> None:
    path, complete = lung
    res = run_cli(
        "stats", "km", str(path), "--time", "TIME", "--event", "EVENT", "--group", "SEX",
        "--na", "omit", "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["na"], out["n_read"], out["n_omitted"]) == ("omit", complete.height + 4, 4)
    for sex in ("1", "2"):
        part = complete.filter(pl.col("SEX") == sex)
        fit = kaplan_meier(part["TIME"].to_numpy(), part["EVENT"].to_numpy())
        assert out["groups"][sex]["n"] == part.height
        assert out["groups"][sex]["table"]["surv"] == fit.surv.tolist()


def test_omit_reports_the_count_after_the_table(lung: tuple[Path, pl.DataFrame]) -> None:
    path, complete = lung
    res = run_cli(
        "stats", "logrank", str(path), "--time", "TIME", "--event", "EVENT", "--group", "SEX",
        "--na", "omit",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    n = complete.height + 4
    assert f"(4 of {n} rows omitted for missing values, --na omit; {n - 4} used)" in res.stdout
    fit = logrank_test(complete["TIME"].to_numpy(), complete["EVENT"].to_numpy(), complete["SEX"])
    assert f"Chisq = {fit.chisq:.4g}" in res.stdout


def test_cox_omit_uses_only_the_rows_complete_in_its_columns(
    lung: tuple[Path, pl.DataFrame],
) -> None:
    """SEX is not used by this model: its hole (row 25) is kept, the three others dropped."""
    path, _ = lung
    res = run_cli(
        "stats", "cox", str(path), "--time", "TIME", "--event", "EVENT", "--covariates", "X",
        "--na", "omit", "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["n_omitted"] == 3
    full = pl.read_csv(path, infer_schema=False)
    keep = ~pl.Series(range(full.height)).is_in([3, 10, 40])
    kept = full.filter(keep)
    fit = cox_ph(
        kept["TIME"].cast(pl.Float64).to_numpy(),
        kept["EVENT"].cast(pl.Float64).to_numpy(),
        kept["X"].cast(pl.Float64).to_numpy().reshape(-1, 1),
    )
    assert out["n"] == fit.n == full.height - 3
    assert out["coefficients"]["coef"] == fit.coef.tolist()


def test_unused_columns_with_missing_values_are_ignored(
    lung: tuple[Path, pl.DataFrame],
) -> None:
    path, complete = lung
    clean = path.with_name("clean.csv")
    complete.write_csv(clean)  # UNUSED is empty in every row
    res = run_cli("stats", "km", str(clean), "--time", "TIME", "--event", "EVENT", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["n_omitted"] == 0


def test_omit_with_nothing_left_and_a_bad_na_value(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("TIME,EVENT\n1,\n2,\n")
    res = run_cli("stats", "km", str(path), "--time", "TIME", "--event", "EVENT", "--na", "omit")
    assert res.returncode == 2
    assert "nothing is left to analyse" in " ".join(res.stderr.split())
    res = run_cli("stats", "km", str(path), "--time", "TIME", "--event", "EVENT", "--na", "drop")
    assert res.returncode == 2
    assert "--na: expected fail or omit, got 'drop'" in " ".join(res.stderr.split())


def test_parquet_nan_is_missing_and_located_by_row(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pl.DataFrame({"TIME": [1.0, float("nan"), 3.0], "EVENT": [1, 0, 1]}).write_parquet(path)
    res = run_cli("stats", "km", str(path), "--time", "TIME", "--event", "EVENT")
    assert res.returncode == 2
    assert "column TIME has 1 missing value (first at data row 2)" in " ".join(res.stderr.split())
    res = run_cli(
        "stats", "km", str(path), "--time", "TIME", "--event", "EVENT", "--na", "omit", "--json"
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["groups"]["all"]["n"] == 2
