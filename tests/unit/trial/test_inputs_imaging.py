"""The trial folder reader picks up TU/TR, and ``check_frames(..., tu=, tr=)`` merges them (the call
``run_trial`` is to make)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from plasmatrial.cli.trial import read_inputs
from plasmatrial.intake import check_frames

DATA = Path(__file__).parents[2] / "e2e" / "data" / "mm_imaging"


def test_read_inputs_takes_tu_and_tr_and_check_frames_merges_them() -> None:
    data = read_inputs(DATA)
    assert data.tu is not None and data.tr is not None
    assert data.present()["tu"] == 3 and data.present()["tr"] == 8
    problems, bundle = check_frames(data.dm, data.lb, data.ex, tu=data.tu, tr=data.tr)
    assert problems == [] and bundle is not None
    mm02 = bundle.assessments.filter(pl.col("USUBJID") == "MM-02").sort("ADT")
    # 40x30 mm, 30x20 mm, 3.0x2.0 cm, 40x30 mm (see tests/e2e/test_cli_respond_mm_sdtm.py)
    assert mm02["PCYTSPD"].to_list() == [12.0, 6.0, 6.0, 12.0]
    mm03 = bundle.assessments.filter(pl.col("USUBJID") == "MM-03").sort("ADT")
    assert mm03["NEWLESFL"].to_list() == [None, None, True]
