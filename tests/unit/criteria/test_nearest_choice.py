"""A nearest-miss row explained per choice (decision 0251) reads as the full when/then chain.

The engine computes :meth:`NearestMiss.choice` where a "nothing happened" rule wins and explains
each choice's rows with only the chosen alternative's text (``predicates.choosing``). Here both
forms are built on the golden input's evaluated tables and compared row by row, for every
nearest-miss rule of the AL and IMWG default rule sets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from plasmatrial.criteria.core import engine
from plasmatrial.criteria.core.predicates import NearestMiss, choosing, end_choosing
from plasmatrial.criteria.core.registry import get_rule_set

GOLDEN = Path(__file__).parent / "golden"


def _chosen_text(wide: pl.DataFrame, nm: NearestMiss, j: int) -> pl.Series:
    token = choosing({nm: j})
    try:
        return wide.with_columns(nm.nearest().alias("__TEXT")).get_column("__TEXT")
    finally:
        end_choosing(token)


def _cases(name: str) -> list[tuple[str, str, int]]:
    rs = get_rule_set(name)
    return [
        (name, t.paramcd, i)
        for t in rs.tables
        for i, r in enumerate(t.rows)
        if engine._partition_by(r) is not None
    ]


CASES = _cases("CR_2012_RATIO") + _cases("IMWG_2016")


def test_every_default_rule_set_has_nearest_miss_rows() -> None:
    assert {c[0] for c in CASES} == {"CR_2012_RATIO", "IMWG_2016"}


@pytest.mark.parametrize(("rule_set", "paramcd", "row"), CASES)
def test_text_per_choice_equals_the_chain(rule_set: str, paramcd: str, row: int) -> None:
    rs = get_rule_set(rule_set)
    base = engine._base(pl.read_parquet(GOLDEN / "input.parquet"), rs)
    need = engine._needed_tables(rs, [paramcd])
    wide = engine._evaluate_tables(base, [t for t in rs.tables if t.paramcd in need], rs)
    t = rs.table(paramcd)
    nm = engine._partition_by(t.rows[row])
    assert nm is not None
    # no choice fixed: the full chain
    chain = wide.with_columns(nm.nearest().alias("__TEXT")).get_column("__TEXT")
    choice = wide.with_columns(nm.choice().alias("__C")).get_column("__C").to_numpy()
    assert set(np.unique(choice)) <= set(range(-1, len(nm.alternatives)))
    for j in range(-1, len(nm.alternatives)):
        rows = choice == j
        got = _chosen_text(wide, nm, j).filter(pl.Series(rows))
        assert got.to_list() == chain.filter(pl.Series(rows)).to_list()
    # the engine's column holds the same choice where the row wins (post-baseline)
    wins = wide.select(
        (pl.col("__POST") & (pl.col(f"{paramcd}__W") == row)).fill_null(False)
    ).to_series()
    assert wins.any(), "the golden input should reach this row"
    stored = wide.get_column(engine._choice_column(paramcd, row)).filter(wins).to_numpy()
    np.testing.assert_array_equal(stored, choice[wins.to_numpy()])
