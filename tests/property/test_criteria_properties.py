"""Hypothesis properties of AL adjudication."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from plasmatrial.criteria import adjudicate

RANK = {"CR": 5, "VGPR": 4, "PR": 3, "LDPR": 3, "NR": 1, "NE": 0}
flc = st.floats(min_value=0.5, max_value=2000.0, allow_nan=False).map(lambda x: round(x, 2))
ife = st.sampled_from(["POSITIVE", "NEGATIVE", None])


def _frame(rows: list[tuple[float, float, str | None]], invlc: str) -> pl.DataFrame:
    n = len(rows)
    return pl.DataFrame(
        {
            "USUBJID": ["P"] * n,
            "VISIT": [f"V{i}" for i in range(n)],
            "VISITNUM": [float(i) for i in range(n)],
            "ADT": [dt.date(2024, 1, 1) + dt.timedelta(days=28 * i) for i in range(n)],
            "ADY": [1 + 28 * i for i in range(n)],
            "ABLFL": ["Y"] + [None] * (n - 1),
            "INVLC": [invlc] * n,
            "FLCKAP": [r[0] for r in rows],
            "FLCLAM": [r[1] for r in rows],
            "SIFE": [r[2] for r in rows],
            "UIFE": [r[2] for r in rows],
            "NTPROBNP": [1000.0 + 10 * i for i in range(n)],
        },
        schema_overrides={"SIFE": pl.Utf8, "UIFE": pl.Utf8},
    )


@settings(max_examples=10)
@given(
    st.lists(st.tuples(flc, flc, ife), min_size=2, max_size=5),
    st.sampled_from(["KAPPA", "LAMBDA"]),
    st.floats(min_value=0.05, max_value=0.95),
)
def test_lowering_dflc_never_worsens_category(
    rows: list[tuple[float, float, str | None]], invlc: str, factor: float
) -> None:
    """Lowering the involved FLC at one visit (dFLC falls, all else equal) never worsens HEMCAT there."""
    idx = len(rows) - 1
    k, lam, i = rows[idx]
    lowered = list(rows)
    # Lower dFLC by lowering iFLC only down to the uninvolved level (ratio moves towards normal).
    if invlc == "KAPPA":
        lowered[idx] = (max(lam, k * factor) if k > lam else k, lam, i)
    else:
        lowered[idx] = (k, max(k, lam * factor) if lam > k else lam, i)
    a = adjudicate(_frame(rows, invlc), parameters=["HEMCAT"]).sort("ADT")["AVALC"][-1]
    b = adjudicate(_frame(lowered, invlc), parameters=["HEMCAT"]).sort("ADT")["AVALC"][-1]
    assert RANK[b] >= RANK[a]


@settings(max_examples=6)
@given(
    st.lists(st.tuples(flc, flc, ife), min_size=2, max_size=5), st.randoms(use_true_random=False)
)
def test_invariant_to_row_order(rows: list[tuple[float, float, str | None]], rnd: object) -> None:
    f = pl.concat(
        [
            _frame(rows, "LAMBDA"),
            _frame(rows[::-1], "KAPPA").with_columns(pl.lit("Q").alias("USUBJID")),
        ]
    )
    perm = list(range(f.height))
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    keys = ["USUBJID", "ADT", "PARAMCD"]
    a = adjudicate(f).sort(keys)
    b = adjudicate(f[perm]).sort(keys)
    assert a.equals(b)


@settings(max_examples=6)
@given(st.lists(st.tuples(flc, flc, ife), min_size=1, max_size=4))
def test_every_row_has_provenance(rows: list[tuple[float, float, str | None]]) -> None:
    out = adjudicate(_frame(rows, "LAMBDA"))
    assert out.height == 7 * (len(rows) - 1)
    for col in ("RULEID", "RULESET", "RULESETVER", "EXPLAIN", "INPUTS", "AT_BOUNDARY"):
        assert out[col].null_count() == 0


@settings(max_examples=6)
@given(st.lists(st.tuples(flc, flc, ife), min_size=2, max_size=6))
def test_overall_parameter_alone_equals_its_rows_among_all(
    rows: list[tuple[float, float, str | None]],
) -> None:
    """HEMRESP asked for alone (HEMPROG and HEMCAT explained only where it reads them) is row
    for row what it is when every parameter is adjudicated."""
    f = _frame(rows, "LAMBDA")
    alone = adjudicate(f, parameters=["HEMRESP"])
    every = adjudicate(f).filter(pl.col("PARAMCD") == "HEMRESP")
    assert alone.height == every.height > 0
    assert alone.equals(every)
