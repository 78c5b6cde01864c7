"""intake.flags.yes_no: one reading of yes/no columns whatever their storage."""

from __future__ import annotations

import polars as pl
import pytest

from plasmatrial.intake.flags import NO, YES, yes_no


def _read(frame: pl.DataFrame, name: str = "F", **kw: object) -> list[bool | None]:
    return frame.select(yes_no(frame, name, **kw).alias("OUT"))["OUT"].to_list()  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [*YES, "y", " Yes ", "true", "pos"])
def test_yes_spellings(text: str) -> None:
    assert _read(pl.DataFrame({"F": [text]})) == [True]


@pytest.mark.parametrize("text", [*NO, "n", " no ", "False", "neg"])
def test_no_spellings(text: str) -> None:
    assert _read(pl.DataFrame({"F": [text]})) == [False]


@pytest.mark.parametrize("text", ["", "U", "UNKNOWN", "YY", "2", "1.0"])
def test_anything_else_is_unknown(text: str) -> None:
    assert _read(pl.DataFrame({"F": [text]})) == [None]


def test_booleans_and_numbers_keep_their_meaning() -> None:
    assert _read(pl.DataFrame({"F": [True, False, None]})) == [True, False, None]
    assert _read(pl.DataFrame({"F": [1, 0, 2, None]})) == [True, False, True, None]
    assert _read(pl.DataFrame({"F": [1.0, 0.0]})) == [True, False]


def test_an_absent_column_reads_as_given() -> None:
    frame = pl.DataFrame({"X": [1, 2]})
    assert _read(frame, "F") == [None]
    assert _read(frame, "F", absent=False) == [False]
