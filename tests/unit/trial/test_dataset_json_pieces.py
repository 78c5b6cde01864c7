"""``dataset_json_text``: the Dataset-JSON text of ``plasmatrial run`` in pieces (decision 0902)
is the text of the whole document, character for character."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from plasmatrial.intake.io import write_text_pieces
from plasmatrial.trial import adam_dataset_json, from_dataset_json
from plasmatrial.trial.dataset_json import dataset_json_text

WHEN = dt.datetime(2026, 12, 7, 4, 30, tzinfo=dt.UTC)
FRAME = pl.DataFrame(
    {
        "USUBJID": ["S1", "S1", "S2", None, "S3", "S3", "S4"],
        "PARAMCD": ["OVR", "OVR", "OVR", "OVR", "BOR", "OVR", "OVR"],
        "ADT": [dt.date(2024, 1, d) for d in range(1, 8)],
        "AVAL": [1.5, float("nan"), None, 2.0, float("inf"), -0.25, 3.0],
        "ADY": [1, 2, None, 4, 5, 6, 7],
        "EXPLAIN": ['a "quoted" call', "é ünïcode", "line\nbreak", "", None, "x", "\\"],
        "FL": [True, False, None, True, True, False, True],
    }
)


@pytest.mark.parametrize("chunk_rows", [1, 3, 7, 1000])
@pytest.mark.parametrize("rows", [7, 0])
def test_pieces_are_the_whole_documents_text(chunk_rows: int, rows: int) -> None:
    frame = FRAME.head(rows)
    whole = json.dumps(
        adam_dataset_json(frame, name="ADRS", study_oid="T-1", created=WHEN), allow_nan=False
    )
    pieces = list(
        dataset_json_text(frame, name="ADRS", study_oid="T-1", created=WHEN, chunk_rows=chunk_rows)
    )
    assert "".join(pieces) == whole
    assert len(pieces) == 2 + -(-rows // chunk_rows)


def test_written_pieces_read_back(tmp_path: Path) -> None:
    path = write_text_pieces(tmp_path / "adrs.json", dataset_json_text(FRAME, name="ADRS"))
    back = from_dataset_json(json.loads(path.read_text("utf-8")))
    assert back.height == FRAME.height
    assert back["EXPLAIN"].to_list() == FRAME["EXPLAIN"].to_list()
    assert list(tmp_path.iterdir()) == [path]
