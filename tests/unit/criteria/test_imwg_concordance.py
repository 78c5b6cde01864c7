"""Concordance of real IMWG output (``respond_mm``) with an investigator RS frame."""

from __future__ import annotations

import datetime as dt
import warnings

import polars as pl
import pytest

from plasmatrial.criteria.mm.concordance import concordance
from plasmatrial.criteria.mm.response import respond_mm
from tests.unit.criteria.helpers import frame


@pytest.mark.rule("IMWG.RESP.VGPR")
def test_concordance_on_adjudicated_cohort() -> None:
    cohort = pl.concat(
        [
            frame({"SPEPMP": 3.0}, {"SPEPMP": 1.2}, {"SPEPMP": 0.25}, subject="P1"),
            frame({"SPEPMP": 2.0}, {"SPEPMP": 1.8}, {"SPEPMP": 1.4}, subject="P2"),
        ],
        how="diagonal_relaxed",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = respond_mm(cohort)
    # Independently of the code: P1 is PR (−60 %) then VGPR (−91.7 %); P2 SD (−10 %) then MR (−30 %).
    d1, d2 = dt.date(2024, 1, 31), dt.date(2024, 3, 1)
    rs = pl.DataFrame(
        {
            "USUBJID": ["P1", "P1", "P2", "P2"],
            "RSDTC": [d1.isoformat(), d2.isoformat(), d1.isoformat(), d2.isoformat()],
            "RSTESTCD": ["OVRLRESP"] * 4,
            "RSSTRESC": ["Partial Response", "VGPR", "Stable Disease", "PR"],
        }
    )
    result = concordance(res.visits, rs)
    assert result.n_compared == 4
    assert result.n_agree == 3
    disc = result.to_frame().row(0, named=True)
    assert (disc["USUBJID"], disc["COMPUTED"], disc["INVESTIGATOR"]) == ("P2", "MR", "PR")
    assert disc["EXPLAIN"].startswith("MR:")
