"""Dataset-JSON v1.1 writer/reader: structure and round trip."""

from __future__ import annotations

import datetime as dt
import json
import math

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plasmatrial.errors import PlasmatrialError
from plasmatrial.trial import from_dataset_json, to_dataset_json

FRAME = pl.DataFrame(
    {
        "USUBJID": ["S-1", "S-2", None],
        "AGE": [61, None, 75],
        "AVAL": [1.5, math.nan, None],
        "FL": [True, False, None],
        "ADT": [dt.date(2024, 1, 2), None, dt.date(2024, 12, 31)],
    }
)


def test_top_level_structure_is_dataset_json_1_1() -> None:
    doc = to_dataset_json(
        FRAME, name="ADSL", label="Subject level", study_oid="T1", keys=["USUBJID"]
    )
    for key in (
        "datasetJSONVersion",
        "itemGroupOID",
        "records",
        "name",
        "label",
        "columns",
        "rows",
    ):
        assert key in doc
    assert doc["datasetJSONVersion"].startswith("1.1")
    assert doc["itemGroupOID"] == "IG.ADSL"
    assert doc["records"] == 3
    types = {c["name"]: c["dataType"] for c in doc["columns"]}
    assert types == {
        "USUBJID": "string",
        "AGE": "integer",
        "AVAL": "double",
        "FL": "boolean",
        "ADT": "date",
    }
    assert doc["columns"][0]["itemOID"] == "IT.ADSL.USUBJID"
    assert doc["columns"][0]["keySequence"] == 1
    assert doc["rows"][0] == ["S-1", 61, 1.5, True, "2024-01-02"]
    json.dumps(doc, allow_nan=False)  # NaN became null: strict JSON


def test_round_trip_keeps_values_and_types() -> None:
    doc = json.loads(json.dumps(to_dataset_json(FRAME, name="ADSL")))
    back = from_dataset_json(doc)
    assert back.schema == pl.Schema(
        {"USUBJID": pl.Utf8, "AGE": pl.Int64, "AVAL": pl.Float64, "FL": pl.Boolean, "ADT": pl.Date}
    )
    expected = FRAME.with_columns(pl.col("AVAL").fill_nan(None))
    assert back.equals(expected)


@given(
    st.lists(
        st.tuples(
            st.text(max_size=8),
            st.integers(-(2**40), 2**40),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        max_size=20,
    )
)
def test_round_trip_property(rows: list[tuple[str, int, float]]) -> None:
    frame = pl.DataFrame(rows, schema={"A": pl.Utf8, "B": pl.Int64, "C": pl.Float64}, orient="row")
    back = from_dataset_json(json.loads(json.dumps(to_dataset_json(frame, name="X"))))
    assert back.equals(frame)


def test_row_of_wrong_length_is_rejected() -> None:
    doc = to_dataset_json(FRAME, name="ADSL")
    doc["rows"][1] = doc["rows"][1][:-1]
    with pytest.raises(PlasmatrialError, match="row 1 has 4 values"):
        from_dataset_json(doc)


def test_records_mismatch_is_rejected() -> None:
    doc = to_dataset_json(FRAME, name="ADSL")
    doc["records"] = 5
    with pytest.raises(PlasmatrialError, match="records says 5"):
        from_dataset_json(doc)
