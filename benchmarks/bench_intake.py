"""Intake throughput: synthetic wide frame, LB validation + standardisation, wide pivot.

Usage: python benchmarks/bench_intake.py [n_subjects] [visits_per_subject]
(default 40,000 x 25 = 1,000,000 subject-visits; LB has 6 tests per visit).
"""

from __future__ import annotations

import sys
import time

import polars as pl

from plasmatrial.intake import build_assessments
from plasmatrial.intake.lbprep import prepare_lb
from plasmatrial.intake.standardize import standardize_prepared
from plasmatrial.intake.validate import lb_problems_prepared
from plasmatrial.synth import generate_wide_assessments

TESTS = {"FLCKAP": "mg/L", "FLCLAM": "mg/L", "NTPROBNP": "ng/L", "EGFR": "mL/min/1.73m2"}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    v = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    t0 = time.perf_counter()
    wide = generate_wide_assessments(n, v, seed=1)
    t_gen = time.perf_counter() - t0
    num = wide.unpivot(index=["USUBJID", "ADT", "VISIT", "VISITNUM"], on=list(TESTS)).select(
        "USUBJID",
        pl.col("variable").alias("LBTESTCD"),
        pl.col("value").round(2).cast(pl.String).alias("LBORRES"),
        pl.col("variable").replace_strict(TESTS).alias("LBORRESU"),
        pl.col("ADT").cast(pl.String).alias("LBDTC"),
        "VISIT",
        pl.col("VISITNUM").cast(pl.Int64).cast(pl.String),
    )
    ife = wide.unpivot(index=["USUBJID", "ADT", "VISIT", "VISITNUM"], on=["SIFE", "UIFE"]).select(
        "USUBJID",
        pl.col("variable").alias("LBTESTCD"),
        pl.col("value").alias("LBORRES"),
        pl.lit(None, dtype=pl.String).alias("LBORRESU"),
        pl.col("ADT").cast(pl.String).alias("LBDTC"),
        "VISIT",
        pl.col("VISITNUM").cast(pl.Int64).cast(pl.String),
    )
    lb = pl.concat([num, ife])
    dm = wide.filter(pl.col("ABLFL") == "Y").select(
        pl.lit("BENCH").alias("STUDYID"),
        "USUBJID",
        (pl.col("ADT") + pl.duration(days=3)).cast(pl.String).alias("RFSTDTC"),
        pl.lit("65").alias("AGE"),
        pl.lit("F").alias("SEX"),
        "INVLC",
    )
    t0 = time.perf_counter()
    prep = prepare_lb(lb)
    problems = lb_problems_prepared(prep)
    t_val = time.perf_counter() - t0
    t0 = time.perf_counter()
    std = standardize_prepared(prep, dm, egfr_equation="CKD-EPI 2009")
    t_std = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = build_assessments(dm, std)
    t_wide = time.perf_counter() - t0
    print(f"subject-visits: {wide.height:,}; LB records: {lb.height:,}; problems: {len(problems)}")
    print(f"generate_wide_assessments: {t_gen:.2f} s")
    print(f"LB parse + validate:       {t_val:.2f} s ({lb.height / t_val / 1e6:.2f} M records/s)")
    print(f"standardise:               {t_std:.2f} s")
    print(f"build_assessments (pivot): {t_wide:.2f} s -> {out.height:,} rows x {out.width} cols")


if __name__ == "__main__":
    main()
