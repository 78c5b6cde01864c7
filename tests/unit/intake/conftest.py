"""Tiny inline SDTM-like frames for intake tests."""

from __future__ import annotations

import polars as pl
import pytest


def lb_frame(rows: list[tuple[str, str, str, str | None, str, str]]) -> pl.DataFrame:
    """Rows of (USUBJID, LBTESTCD, LBORRES, LBORRESU, LBDTC, VISITNUM)."""
    return pl.DataFrame(
        {
            "USUBJID": [r[0] for r in rows],
            "LBTESTCD": [r[1] for r in rows],
            "LBORRES": [r[2] for r in rows],
            "LBORRESU": [r[3] for r in rows],
            "LBDTC": [r[4] for r in rows],
            "VISIT": [f"V{r[5]}" for r in rows],
            "VISITNUM": [r[5] for r in rows],
        },
        schema=dict.fromkeys(
            ("USUBJID", "LBTESTCD", "LBORRES", "LBORRESU", "LBDTC", "VISIT", "VISITNUM"), pl.String
        ),
    )


@pytest.fixture
def dm() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "STUDYID": ["T", "T"],
            "USUBJID": ["S1", "S2"],
            "RFSTDTC": ["2024-01-10", "2024-02-01"],
            "AGE": ["60", "70"],
            "SEX": ["F", "M"],
            "INVLC": ["LAMBDA", "KAPPA"],
            "HEARTFL": ["Y", "N"],
        }
    )
