"""The engine reproduces, column for column, the output frozen before the performance work.

``golden/make_golden.py`` wrote the goldens with the pre-optimisation engine (commit e59f9bf);
see docs/decisions/0250-criteria-performance.md. The explanation columns were reworded by
decision 0206: they are compared with ``golden/explained.parquet``, every other column still with
the pre-optimisation ``expected.parquet``.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from plasmatrial.criteria import adjudicate, evaluability
from tests.unit.criteria.golden.make_golden import CONFIGS, TEXT_COLUMNS, run_configs
from tests.unit.criteria.helpers import LAMBDA_240, frame

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def inp() -> pl.DataFrame:
    return pl.read_parquet(GOLDEN / "input.parquet")


@pytest.fixture(scope="module")
def actual(inp: pl.DataFrame) -> pl.DataFrame:
    return run_configs(inp)


@pytest.fixture(scope="module")
def expected() -> pl.DataFrame:
    calls = pl.read_parquet(GOLDEN / "expected.parquet")
    text = pl.read_parquet(GOLDEN / "explained.parquet")
    assert text.height == calls.height
    return calls.with_columns(text.select(TEXT_COLUMNS))


@pytest.mark.parametrize("config", [c[0] for c in CONFIGS])
def test_output_matches_golden(config: str, actual: pl.DataFrame, expected: pl.DataFrame) -> None:
    exp = expected.filter(pl.col("CONFIG") == config)
    got = actual.filter(pl.col("CONFIG") == config)
    assert exp.height > 0
    sort_flag = next(c[5] for c in CONFIGS if c[0] == config)
    if not sort_flag:
        # sort=False promises no row order: compare as multisets of rows.
        exp, got = exp.sort(exp.columns, nulls_last=True), got.sort(got.columns, nulls_last=True)
    assert got.columns == exp.columns
    assert_frame_equal(got, exp, check_exact=True)


def test_evaluability_matches_golden(inp: pl.DataFrame) -> None:
    exp = pl.read_parquet(GOLDEN / "evaluability.parquet")
    assert_frame_equal(evaluability(inp), exp, check_exact=True)


def test_far_apart_dates_format_row_by_row_identically() -> None:
    """Dates spanning > 200,000 days take the row-by-row path; text equals the lookup path's."""
    near = frame(LAMBDA_240, {"FLCLAM": 60.0, "FLCKAP": 12.0}, subject="NEAR")
    far = frame(LAMBDA_240, {"FLCLAM": 60.0, "FLCKAP": 12.0}, subject="FAR").with_columns(
        pl.col("ADT").dt.offset_by("-600y")
    )
    both = adjudicate(pl.concat([near, far]), parameters=["HEMCAT"])
    alone = adjudicate(far, parameters=["HEMCAT"])
    assert_frame_equal(both.filter(pl.col("USUBJID") == "FAR"), alone, check_exact=True)
    assert "(1424-01-01)" in alone["EXPLAIN"][0]


def test_non_finite_input_is_json_null() -> None:
    """INPUTS writes NaN/inf as null, as the JSON writer does."""
    f = frame(
        {**LAMBDA_240, "NTPROBNP": 2000.0, "HEARTFL": True},
        {"FLCLAM": 60.0, "FLCKAP": 12.0, "NTPROBNP": float("inf")},
    )
    out = adjudicate(f, parameters=["CARDGRD"])
    assert json.loads(out["INPUTS"][0])["NTPROBNP"] is None
