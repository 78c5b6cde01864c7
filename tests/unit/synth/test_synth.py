from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from plasmatrial.intake import WIDE_SCHEMA
from plasmatrial.intake.bundle import check_frames
from plasmatrial.synth import generate_al_cohort, generate_wide_assessments


def test_same_seed_same_frames() -> None:
    a = generate_al_cohort(12, seed=7)
    b = generate_al_cohort(12, seed=7)
    for x, y in ((a.dm, b.dm), (a.lb, b.lb), (a.ex, b.ex)):
        assert_frame_equal(x, y)
    c = generate_al_cohort(12, seed=8)
    assert not a.lb.equals(c.lb)


def test_generated_cohort_passes_validation() -> None:
    cohort = generate_al_cohort(40, seed=20240601)
    problems, bundle = check_frames(cohort.dm, cohort.lb, cohort.ex)
    assert problems == []
    assert bundle is not None
    wide = bundle.assessments
    assert wide.filter(pl.col("ABLFL") == "Y").height == 40
    assert wide.filter(pl.col("ABLFL") == "Y").get_column("ADY").max() < 1  # type: ignore[operator]


def test_cohort_is_clinically_mixed() -> None:
    cohort = generate_al_cohort(200, seed=3)
    problems, bundle = check_frames(cohort.dm, cohort.lb, cohort.ex)
    assert problems == [] and bundle is not None
    base = bundle.assessments.filter(pl.col("ABLFL") == "Y")
    dflc = pl.when(pl.col("INVLC") == "LAMBDA").then(pl.col("FLCLAM") - pl.col("FLCKAP"))
    dflc = dflc.otherwise(pl.col("FLCKAP") - pl.col("FLCLAM"))
    d = base.select(dflc.alias("D")).get_column("D")
    assert (d >= 50).mean() > 0.5  # type: ignore[operator]
    assert ((d >= 20) & (d < 50)).sum() > 0
    assert (d < 20).sum() > 0
    assert (cohort.dm.get_column("INVLC") == "LAMBDA").mean() > 0.6  # type: ignore[operator]
    heart = base.filter(pl.col("HEARTFL"))
    assert (heart.get_column("NTPROBNP") > 650).all()
    post = bundle.assessments.filter(pl.col("ADY") > 1)
    assert (post.get_column("SIFE") == "NEGATIVE").sum() > 0  # some deep responses
    assert set(cohort.lb.get_column("LBORRESU").drop_nulls()) >= {"mg/L", "mg/dL"}
    assert "CREAT" in set(cohort.lb.get_column("LBTESTCD"))
    assert not {"AVALC", "RESPONSE", "BOR"} & set(cohort.lb.columns)  # lab values only
    assert bundle.lb.filter(pl.col("EGFRMETH").str.starts_with("CKD-EPI")).height > 0
    assert set(cohort.ex.get_column("EXTRT")) == {"POMALIDOMIDE", "DEXAMETHASONE"}


def test_wide_generator_schema_and_determinism() -> None:
    a = generate_wide_assessments(50, 5, seed=1)
    assert dict(a.schema) == WIDE_SCHEMA
    assert a.height == 250
    assert a.filter(pl.col("ABLFL") == "Y").height == 50
    assert_frame_equal(a, generate_wide_assessments(50, 5, seed=1))
