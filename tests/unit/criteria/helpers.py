"""Tiny builders for wide assessment frames used by the criteria tests."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import polars as pl

from plasmatrial.criteria import adjudicate, stage

BL_DATE = dt.date(2024, 1, 1)


def frame(baseline: dict[str, Any], *visits: dict[str, Any], subject: str = "S1") -> pl.DataFrame:
    """Baseline row plus monthly visits; keys absent from a row are null."""
    rows = [baseline, *visits]
    cols = sorted({k for r in rows for k in r})
    data: dict[str, list[Any]] = {c: [r.get(c) for r in rows] for c in cols}
    n = len(rows)
    data["USUBJID"] = [subject] * n
    data["VISIT"] = ["BASELINE"] + [f"M{i}" for i in range(1, n)]
    data["VISITNUM"] = list(range(n))
    data["ADT"] = [BL_DATE + dt.timedelta(days=30 * i) for i in range(n)]
    data["ADY"] = [1 + 30 * i for i in range(n)]
    data["ABLFL"] = ["Y"] + [None] * (n - 1)
    schema: dict[str, Any] = {}
    for c in cols:
        vals = [v for v in data[c] if v is not None]
        if vals and isinstance(vals[0], str):
            schema[c] = pl.Utf8
        elif vals and isinstance(vals[0], bool):
            schema[c] = pl.Boolean
        else:
            schema[c] = pl.Float64
    return pl.DataFrame(data, schema_overrides=schema)


def last(out: pl.DataFrame, paramcd: str) -> dict[str, Any]:
    """The last visit's row for a parameter."""
    rows = out.filter(pl.col("PARAMCD") == paramcd).sort("ADT")
    return rows.row(-1, named=True)


def run(
    baseline: dict[str, Any],
    *visits: dict[str, Any],
    rule_set: str = "CR_2012_RATIO",
    **options: Any,
) -> pl.DataFrame:
    """Adjudicate one subject."""
    return adjudicate(frame(baseline, *visits), rule_set, **options)


def staged(baseline: dict[str, Any], paramcd: str, **options: Any) -> dict[str, Any]:
    """Stage one subject from a baseline row."""
    out = stage(frame(baseline), **options)
    return out.filter(pl.col("PARAMCD") == paramcd).row(0, named=True)


LAMBDA_240 = {"INVLC": "LAMBDA", "FLCLAM": 250.0, "FLCKAP": 10.0}


class Case:
    """One registered subject; all cases of a (rule set, options) group are adjudicated together.

    Batching keeps the suite fast; subjects are independent (the property tests check that
    adjudication does not mix subjects).
    """

    _registry: ClassVar[dict[tuple[str, tuple[tuple[str, Any], ...]], list[Case]]] = {}
    _results: ClassVar[dict[tuple[str, tuple[tuple[str, Any], ...]], pl.DataFrame]] = {}

    def __init__(
        self,
        baseline: dict[str, Any],
        *visits: dict[str, Any],
        rule_set: str = "CR_2012_RATIO",
        **options: Any,
    ) -> None:
        self.key = (rule_set, tuple(sorted(options.items())))
        group = Case._registry.setdefault(self.key, [])
        self.subject = f"C{len(group):04d}"
        self.frame = frame(baseline, *visits, subject=self.subject)
        group.append(self)
        Case._results.pop(self.key, None)

    def result(self) -> pl.DataFrame:
        if self.key not in Case._results:
            frames = pl.concat([c.frame for c in Case._registry[self.key]], how="diagonal_relaxed")
            Case._results[self.key] = adjudicate(frames, self.key[0], **dict(self.key[1]))
        return Case._results[self.key].filter(pl.col("USUBJID") == self.subject)

    def last(self, paramcd: str) -> dict[str, Any]:
        return last(self.result(), paramcd)

    def __repr__(self) -> str:
        return self.subject
