"""The report's table layer: arms as columns, journal number formats, captions with population.

A small layer of our own rather than great-tables (decision 0801): the report renders one
:class:`~plasmatrial.report.html.Block` model to HTML and prints that HTML to PDF with Chromium,
so a table needs only rows of formatted cells, a spanning header and a caption line; great-tables
would add a pandas-based dependency and its own HTML/CSS that the PDF path would have to restyle.

Formats (sap.md section 6, decision 0801):

* ``n (%)`` with one decimal: ``"12 (39.3%)"``; zero is ``"0"``.
* p-values: ``"<0.001"`` below 0.001, else three significant digits; never scientific notation.
* confidence intervals: ``"(lo, hi)"``; a limit that cannot be estimated is ``"NE"``.
* NE for every value that is not estimable (never "NA" or "NR").

>>> n_pct(12, 28), n_pct(0, 28)
('12 (42.9%)', '0')
>>> p_value(1.3e-25), p_value(0.04567)
('<0.001', '0.0457')
>>> ci(3.78, None)
'(3.8, NE)'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

import polars as pl

from plasmatrial.report.html import Block, Cell
from plasmatrial.report.labels import decode, label

NE: Final = "NE"
#: Columns wider than this are set on a landscape page in the PDF.
WIDE_COLUMNS: Final = 8


@dataclass(frozen=True)
class ArmColumn:
    """One arm as a table column: code, name and its N in the table's population."""

    code: str
    name: str
    n: int

    @property
    def header(self) -> str:
        """``"Name (N = n)"``."""
        return f"{self.name} (N = {self.n})"


@dataclass(frozen=True)
class Row:
    """A table row: a label and one formatted value per column (``group``: a heading row)."""

    label: str
    values: tuple[str, ...] = ()
    indent: bool = False
    group: bool = False


@dataclass(frozen=True)
class TableContext:
    """What every caption of one report says: data cut-off, criteria, population sizes."""

    cutoff: str
    criteria: str
    populations: Mapping[str, int]

    def meta(self, population: str, n: int | None = None) -> str:
        """``"Population: ITT (N = 455). Data cut-off: 2012-09-14. Criteria: IMWG_2016 v1.0.1."``"""
        size = self.populations.get(population) if n is None else n
        pop = f"{population} (N = {size})" if size is not None else population
        return f"Population: {pop}. Data cut-off: {self.cutoff}. Criteria: {self.criteria}."


# ----------------------------------------------------------------------------------- formats
def _finite(x: object) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def num(x: object, digits: int = 1) -> str:
    """A number at ``digits`` decimals; ``NE`` when missing or not finite."""
    v = _finite(x)
    return NE if v is None else f"{v:.{digits}f}"


def pct(n: int, d: int) -> str:
    """Percentage at one decimal (``NE`` for an empty denominator)."""
    return f"{100 * n / d:.1f}" if d else NE


def n_pct(n: int, d: int) -> str:
    """``"n (x.x%)"``; ``"0"`` for zero (no "(0.0%)")."""
    if n == 0:
        return "0"
    return f"{n} ({pct(n, d)}%)" if d else str(n)


def p_value(p: object) -> str:
    """``"<0.001"`` below 0.001, else three significant digits (sap.md 6); ``NE`` when missing.

    Rounded to three significant digits first, so a value that rounds up to the next power of
    ten keeps three digits (0.09996 gives ``"0.100"``); trailing zeros are kept (``"0.500"``).
    """
    v = _finite(p)
    if v is None:
        return NE
    if v < 0.001:
        return "<0.001"
    rounded = float(f"{v:.3g}")
    decimals = max(0, 2 - math.floor(math.log10(rounded)))
    return f"{rounded:.{decimals}f}"


def ci(lo: object, hi: object, digits: int = 1) -> str:
    """``"(lo, hi)"`` at ``digits`` decimals; ``NE`` for a limit that is not estimable."""
    return f"({num(lo, digits)}, {num(hi, digits)})"


def estimate_ci(est: object, lo: object, hi: object, digits: int = 1) -> str:
    """``"est (lo, hi)"``; ``"NE"`` alone when nothing is estimable."""
    if all(_finite(v) is None for v in (est, lo, hi)):
        return NE
    return f"{num(est, digits)} {ci(lo, hi, digits)}"


def median_range(values: Sequence[float], digits: int = 1, range_digits: int | None = None) -> str:
    """``"median (min–max)"`` of the finite values; ``NE`` when there are none.

    The range has ``range_digits`` decimals (default ``digits``): 0 for whole numbers (age).
    """
    xs = sorted(v for v in (_finite(x) for x in values) if v is not None)
    if not xs:
        return NE
    k = len(xs)
    med = xs[k // 2] if k % 2 else (xs[k // 2 - 1] + xs[k // 2]) / 2
    rd = digits if range_digits is None else range_digits
    return f"{med:.{digits}f} ({xs[0]:.{rd}f}–{xs[-1]:.{rd}f})"


# ------------------------------------------------------------------------------------ blocks
def arm_table(
    stub: str,
    arms: Sequence[ArmColumn],
    rows: Iterable[Row],
    *,
    caption: str,
    meta: str = "",
    note: str = "",
    total: ArmColumn | None = None,
) -> Block:
    """A table with one column per arm (protocol order, "(N = n)") and an optional Total."""
    cols = (stub, *(a.header for a in arms), *((total.header,) if total else ()))
    width = len(cols) - 1
    cells: list[tuple[Cell, ...]] = []
    for r in rows:
        css = "group" if r.group else "indent" if r.indent else ""
        values = r.values if r.values else ("",) * width
        if len(values) != width:
            raise ValueError(f"row {r.label!r} has {len(values)} values for {width} columns")
        cells.append((Cell(r.label, css=css), *(Cell(v, numeric=True) for v in values)))
    return Block(
        "table",
        caption=caption,
        columns=cols,
        rows=tuple(cells),
        note=note,
        meta=meta,
        wide=len(cols) > WIDE_COLUMNS,
    )


def grouped_table(
    stub: Sequence[str],
    groups: Sequence[tuple[str, Sequence[str]]],
    rows: Iterable[tuple[Sequence[str], Sequence[str]]],
    *,
    caption: str,
    meta: str = "",
    note: str = "",
) -> Block:
    """A table whose value columns sit under spanning headers (one group per arm).

    ``stub`` names the label columns; each group is ``(header, sub-column names)``; each row is
    ``(labels, values)`` with one value per sub-column of every group.
    """
    cols = (*stub, *(c for _, sub in groups for c in sub))
    spans = ((("", len(stub)),) if stub else ()) + tuple((g, len(sub)) for g, sub in groups)
    cells = tuple(
        (*(Cell(x) for x in labels), *(Cell(v, numeric=True) for v in values))
        for labels, values in rows
    )
    for row in cells:
        if len(row) != len(cols):
            raise ValueError(f"row {row[0].text!r} has {len(row)} cells for {len(cols)} columns")
    return Block(
        "table",
        caption=caption,
        columns=cols,
        rows=cells,
        note=note,
        meta=meta,
        header_groups=spans,
        wide=len(cols) > WIDE_COLUMNS,
    )


def frame_table(
    frame: pl.DataFrame,
    *,
    caption: str,
    meta: str = "",
    note: str = "",
    arm_names: Mapping[str, str] | None = None,
    digits: int = 1,
) -> Block:
    """Any frame with words: labelled headers, decoded values, arm names, NE for missing."""
    names = dict(arm_names or {})
    cols = frame.columns
    rows = []
    for rec in frame.iter_rows(named=True):
        row = []
        for c in cols:
            v = rec[c]
            if c in ("ARMCD", "ARM", "TRT01P", "TRT01A") and v is not None:
                row.append(Cell(names.get(str(v), str(v))))
            elif isinstance(v, bool):
                row.append(Cell("Yes" if v else "No"))
            elif isinstance(v, int):
                row.append(Cell(str(v), numeric=True))
            elif isinstance(v, float) or v is None:
                row.append(Cell(num(v, digits), numeric=True))
            else:
                row.append(Cell(decode(c, v)))
        rows.append(tuple(row))
    return Block(
        "table",
        caption=caption,
        columns=tuple(label(c) for c in cols),
        rows=tuple(rows),
        note=note,
        meta=meta,
        wide=len(cols) > WIDE_COLUMNS,
    )


def with_meta(blocks: Iterable[Block], meta: str) -> tuple[Block, ...]:
    """Blocks with ``meta`` set where a table or figure has none."""
    return tuple(
        replace(b, meta=meta) if b.kind in ("table", "figure") and not b.meta else b for b in blocks
    )
