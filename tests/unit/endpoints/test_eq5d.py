"""EQ-5D-5L scoring: criteria.md 7.6 test vectors, invalid inputs, properties, ADQS derivation."""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal, assert_series_equal

from plasmatrial.endpoints.eq5d import (
    DIMENSIONS,
    CountTerm,
    SlopeTerm,
    UnverifiedValueSetWarning,
    ValueSet,
    ValueSetSource,
    derive_param_eq5d,
    eq5d5l_index,
    round_index,
)
from plasmatrial.errors import RuleError

#: Published values are printed to 3 decimals; our index is exact to ~1e-15 before rounding.
ATOL_PRINTED = 5e-4 + 1e-12

# criteria.md 7.6: state -> (US 2019, England 2018, UK 2026)
VECTORS = [
    ("11111", 1.000, 1.000, 1.000),
    ("21111", 0.904, 0.942, 0.968),
    ("12111", 0.911, 0.950, 0.962),
    ("11211", 0.932, 0.950, 0.951),
    ("11121", 0.940, 0.937, 0.944),
    ("11112", 0.943, 0.922, 0.959),
    ("21354", 0.090, 0.259, 0.090),
    ("23245", 0.090, 0.247, 0.097),
    ("21345", 0.164, 0.314, 0.120),
    ("12345", 0.171, 0.322, 0.114),
    ("22222", 0.630, 0.701, 0.784),
    ("33333", 0.449, 0.593, 0.604),
    ("44444", -0.329, -0.094, -0.209),
    ("55555", -0.573, -0.285, -0.567),
]


def _score(states: list[str], value_set: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedValueSetWarning)
        return eq5d5l_index(states, value_set=value_set)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value_set", "column"), [("US", 1), ("England", 2), ("UK2026", 3)], ids=str
)
def test_spec_vectors(value_set: str, column: int) -> None:
    states = [v[0] for v in VECTORS]
    expected = np.array([v[column] for v in VECTORS])
    got = _score(states, value_set)
    np.testing.assert_allclose(got, expected, atol=ATOL_PRINTED, rtol=0)
    np.testing.assert_array_equal(round_index(got), expected)


def test_worked_example_us_21345() -> None:
    # 1 − (MO2 0.096 + SC1 0 + UA3 0.101 + PD4 0.318 + AD5 0.321)
    expected = 1 - (0.096 + 0 + 0.101 + 0.318 + 0.321)
    got = eq5d5l_index(["21345"], value_set="US")
    np.testing.assert_allclose(got, [expected], rtol=1e-12)
    assert float(round_index(got)[0]) == 0.164


@pytest.mark.parametrize(
    ("value_set", "lowest"), [("US", -0.573), ("England", -0.285), ("UK2026", -0.567)]
)
def test_range_endpoints(value_set: str, lowest: float) -> None:
    got = _score(["11111", "55555"], value_set)
    assert got[0] == 1.0
    assert float(round_index(got[1])) == lowest


@pytest.mark.parametrize(
    "state",
    [
        pytest.param("01111", id="level-0"),
        pytest.param("11116", id="level-6"),
        pytest.param("1x111", id="letter"),
        pytest.param("x", id="x"),
        pytest.param("1111", id="4-digits"),
        pytest.param("111111", id="6-digits"),
        pytest.param("", id="empty"),
        pytest.param(None, id="missing"),
    ],
)
def test_invalid_states_are_missing(state: str | None) -> None:
    got = eq5d5l_index(["11111", state], value_set="US")
    assert got[0] == 1.0
    assert np.isnan(got[1])
    ser = eq5d5l_index(pl.Series([state], dtype=pl.String), value_set="England")
    assert ser.null_count() == 1


def test_integer_states_and_level_columns_agree_with_strings() -> None:
    strings = eq5d5l_index(["21345", "11112"])
    ints = eq5d5l_index([21345, 11112])
    frame = pl.DataFrame({"MO": [2, 1], "SC": [1, 1], "UA": [3, 1], "PD": [4, 1], "AD": [5, 2]})
    cols = eq5d5l_index(frame)
    arr = eq5d5l_index(np.array([[2, 1, 3, 4, 5], [1, 1, 1, 1, 2]]))
    np.testing.assert_array_equal(strings, ints)
    np.testing.assert_array_equal(strings, cols.to_numpy())
    np.testing.assert_array_equal(strings, arr)


def test_level_columns_invalid_levels_are_null() -> None:
    frame = pl.DataFrame(
        {
            "MO": [1, 0, 6, None, 1],
            "SC": [1, 1, 1, 1, 1],
            "UA": [1, 1, 1, 1, 1],
            "PD": [1, 1, 1, 1, 1],
            "AD": [1.0, 1.0, 1.0, 1.0, 2.5],
        }
    )
    got = eq5d5l_index(frame)
    assert_series_equal(got, pl.Series("EQ5DIDX", [1.0, None, None, None, None], dtype=pl.Float64))


def test_uk2026_warns_and_unknown_value_set_raises() -> None:
    with pytest.warns(UnverifiedValueSetWarning):
        eq5d5l_index(["11111"], value_set="UK2026")
    with pytest.raises(RuleError, match="value_set"):
        eq5d5l_index(["11111"], value_set="Mars")  # type: ignore[arg-type]


def test_general_form_intercept_count_and_slope_terms() -> None:
    # Toy value set (not a real country) exercising every term of criteria.md 7.2.
    vs = ValueSet(
        name="TOY",
        label="toy",
        source=ValueSetSource("toy", "-", "-", "-", "-"),
        start=1.1,
        intercept=-0.05,
        coefficients=dict.fromkeys(DIMENSIONS, (0.0, -0.01, -0.02, -0.03, -0.04)),
        extra_terms=(
            CountTerm("N45", frozenset({4, 5}), -0.1),
            CountTerm("N45sq", frozenset({4, 5}), 0.01, power=2),
            SlopeTerm("MOslope", "MO", -0.002),
        ),
    )
    got = eq5d5l_index(["11111", "21345", "31111"], value_set=vs)
    # 11111: start only (no intercept, no counts)
    # 21345: 1.1 − 0.05 − (0.01 + 0 + 0.02 + 0.03 + 0.04) − 0.1·2 + 0.01·4 − 0.002·1
    # 31111: 1.1 − 0.05 − 0.02 − 0.002·2
    expected = [1.1, 1.1 - 0.05 - 0.10 - 0.2 + 0.04 - 0.002, 1.1 - 0.05 - 0.02 - 0.004]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_round_index_half_away_from_zero() -> None:
    np.testing.assert_array_equal(
        round_index(np.array([0.1645, -0.1645, 0.16400000000000003, np.nan])),
        [0.165, -0.165, 0.164, np.nan],
    )


# --- properties ----------------------------------------------------------------------------

levels_st = st.lists(st.integers(1, 5), min_size=5, max_size=5)


@pytest.mark.parametrize("value_set", ["US", "England"])
@given(levels=levels_st, dim=st.integers(0, 4))
def test_worsening_one_dimension_never_increases_index(
    value_set: str, levels: list[int], dim: int
) -> None:
    if levels[dim] == 5:
        return
    worse = list(levels)
    worse[dim] += 1
    got = _score(["".join(map(str, levels)), "".join(map(str, worse))], value_set)
    assert got[1] <= got[0]


@pytest.mark.parametrize("value_set", ["US", "England", "UK2026"])
@given(levels=levels_st)
def test_index_at_most_one_and_full_health_is_one(value_set: str, levels: list[int]) -> None:
    got = _score(["".join(map(str, levels)), "11111"], value_set)
    assert got[0] <= 1.0
    assert got[1] == 1.0
    if levels != [1, 1, 1, 1, 1]:
        assert got[0] < 1.0


# --- ADQS derivation ---------------------------------------------------------------------------

CODES = ["EQ5D0201", "EQ5D0202", "EQ5D0203", "EQ5D0204", "EQ5D0205", "EQ5D0206"]


def _qs(subject: str, visit: str, visitnum: int, dt: str, answers: list[float | None]) -> dict:
    return {
        "USUBJID": [subject] * 6,
        "VISIT": [visit] * 6,
        "VISITNUM": [visitnum] * 6,
        "QSDTC": [dt] * 6,
        "QSTESTCD": CODES,
        "QSSTRESN": answers,
    }


def _frame(*parts: dict) -> pl.DataFrame:
    return pl.concat([pl.DataFrame(p, schema_overrides={"QSSTRESN": pl.Float64}) for p in parts])


def test_derive_param_eq5d_baseline_and_change() -> None:
    qs = _frame(
        _qs("A", "SCREEN", 1, "2024-01-01", [1, 1, 1, 1, 1, 90]),
        _qs("A", "DAY 1", 2, "2024-01-10", [2, 1, 3, 4, 5, 50]),  # on first-dose day: pre-dose
        _qs("A", "WEEK 4", 3, "2024-02-07", [1, 1, 1, 1, 2, 70]),
        _qs("A", "WEEK 8", 4, "2024-03-06", [1, None, 1, 1, 1, 75]),  # missing SC
    )
    adsl = pl.DataFrame({"USUBJID": ["A"], "TRTSDT": [date(2024, 1, 10)]})
    out = derive_param_eq5d(qs, dataset_adsl=adsl, value_set="US")
    idx = out.filter(pl.col("PARAMCD") == "EQ5DIDX").sort("VISITNUM")
    base = 1 - (0.096 + 0.101 + 0.318 + 0.321)
    wk4 = 1 - 0.057
    assert idx["ABLFL"].to_list() == [None, "Y", None, None]
    assert idx["EQ5DSTATE"].to_list() == ["11111", "21345", "11112", None]
    assert idx["EQ5DVSET"].unique().to_list() == ["US"]
    np.testing.assert_allclose(idx["BASE"].to_numpy(), [base] * 4, rtol=1e-12)
    chg = idx["CHG"].to_list()
    assert chg[0] is None and chg[1] is None and chg[3] is None
    assert chg[2] == pytest.approx(wk4 - base, rel=1e-12)
    vas = out.filter(pl.col("PARAMCD") == "EQVAS").sort("VISITNUM")
    assert vas["AVAL"].to_list() == [90.0, 50.0, 70.0, 75.0]
    assert vas["ABLFL"].to_list() == [None, "Y", None, None]
    assert vas["CHG"].to_list() == [None, None, 20.0, 25.0]


def test_derive_param_eq5d_baseline_skips_missing_index() -> None:
    # Last pre-dose administration has an invalid level -> baseline is the earlier one.
    qs = _frame(
        _qs("B", "SCREEN", 1, "2024-01-01", [1, 1, 1, 1, 2, 80]),
        _qs("B", "DAY 1", 2, "2024-01-05", [1, 1, 7, 1, 1, 85]),
        _qs("B", "WEEK 4", 3, "2024-02-05", [1, 1, 1, 1, 1, 90]),
    )
    adsl = pl.DataFrame({"USUBJID": ["B"], "TRTSDT": ["2024-01-05"]})
    out = derive_param_eq5d(qs, dataset_adsl=adsl, value_set="England").sort("PARAMCD", "VISITNUM")
    expected = pl.DataFrame(
        {
            "PARAMCD": ["EQ5DIDX"] * 3 + ["EQVAS"] * 3,
            "ABLFL": ["Y", None, None, None, "Y", None],
            "BASE": [1 - 0.078] * 3 + [85.0] * 3,
        }
    )
    assert_frame_equal(out.select("PARAMCD", "ABLFL", "BASE"), expected)
    assert out["CHG"].to_list()[:3] == [None, None, pytest.approx(0.078)]


def test_derive_param_eq5d_qsblfl_fallback_and_dimension_codes() -> None:
    qs = pl.DataFrame(
        {
            "USUBJID": ["C"] * 10,
            "VISIT": ["BL"] * 5 + ["W4"] * 5,
            "VISITNUM": [1] * 5 + [2] * 5,
            "QSTESTCD": ["MO", "SC", "UA", "PD", "AD"] * 2,
            "QSSTRESN": [1.0, 1, 1, 1, 1, 2, 1, 1, 1, 1],
            "QSBLFL": ["Y"] * 5 + [None] * 5,
        }
    )
    out = derive_param_eq5d(qs).filter(pl.col("PARAMCD") == "EQ5DIDX").sort("VISITNUM")
    assert out["ABLFL"].to_list() == ["Y", None]
    assert out["CHG"].to_list() == [None, pytest.approx(-0.096)]


def test_derive_param_eq5d_errors() -> None:
    qs = _frame(_qs("A", "SCREEN", 1, "2024-01-01", [1, 1, 1, 1, 1, 90]))
    with pytest.raises(RuleError, match="pre-dose"):
        derive_param_eq5d(qs)
    with pytest.raises(RuleError, match="3L"):
        derive_param_eq5d(qs.with_columns(pl.lit("EQ-5D-3L").alias("QSCAT")))
    with pytest.raises(RuleError, match="duplicated"):
        derive_param_eq5d(pl.concat([qs, qs.head(1)]), dataset_adsl=None)
    with pytest.raises(RuleError, match="QSSTRESN"):
        derive_param_eq5d(qs.drop("QSSTRESN"))
