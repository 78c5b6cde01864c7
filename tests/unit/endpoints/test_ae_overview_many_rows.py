"""``ae_overview`` on 16,384 TEAE rows or more: polars 2.1 refused the literal "Any TEAE"
predicate there (found by ``benchmarks/bench_run_partitioned.py`` at 8,000 subjects)."""

from __future__ import annotations

import polars as pl

from plasmatrial.endpoints.adverse_events import ae_overview


def test_ae_overview_counts_twenty_thousand_events() -> None:
    n = 20_000
    adae = pl.DataFrame(
        {
            "USUBJID": [f"S{i % 4000:04d}" for i in range(n)],
            "ARM": ["A" if i % 4000 < 1000 else "B" for i in range(n)],
            "TRTEMFL": ["Y"] * n,
            "ATOXGR": [3 if i % 10 == 0 else 1 for i in range(n)],
            "AESER": ["N"] * n,
            "AEACN": ["NONE"] * n,
        },
        schema_overrides={"ATOXGR": pl.Int8},
    )
    out = ae_overview(adae).filter(pl.col("CATEGORY") == "Any TEAE").sort("ARM")
    assert out.get_column("N").to_list() == [1000, 3000]
    grade3 = ae_overview(adae).filter(pl.col("CATEGORY") == "TEAE grade >= 3").sort("ARM")
    assert grade3.get_column("N").to_list() == [100, 300]
