"""Checks of the optional domains a trial analysis reads (AE, DS, QS, RS, PR, CM, SV, TU, TR).

The trial pipeline reads these with schema inference and only needs a few columns of each; before
issue 13 a malformed date (``2012-02-30``) or a text grade (``SEVERE``) went through silently and
dropped records from the analysis. :func:`optional_domain_problems` reports, all at once:

* a required column that is absent (``missing_column``);
* a ``--DTC`` value that is not ISO 8601 (``bad_date``; partial dates are allowed here, as the
  safety and disposition derivations handle them, decision 0502), or a complete date outside the
  plausible study window (``implausible_value``, decision 0106; not for PR, prior therapy);
* an ``AETOXGR`` that is not a whole number 1-5 (``bad_value``; blank is allowed).

TU and TR are validated in full by :mod:`plasmatrial.intake.tumor`; here only their columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from plasmatrial.errors import Problem, ReasonCode
from plasmatrial.intake.dates import dtc_date, dtc_status, plausible_window
from plasmatrial.intake.readers import duplicate_columns
from plasmatrial.intake.validate import emit, missing_columns

#: Domains validated in full elsewhere (TU/TR by :mod:`plasmatrial.intake.tumor`).
FULLY_CHECKED: Final[frozenset[str]] = frozenset({"TU", "TR"})
#: Domains whose dates may precede any study (prior therapy): no study-window check.
NO_WINDOW: Final[frozenset[str]] = frozenset({"PR"})
#: CTCAE grades (v5 and v6): 1 mild to 5 death.
AE_GRADES: Final[tuple[int, ...]] = (1, 2, 3, 4, 5)


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    renamed = frame.rename({c: c.upper() for c in frame.columns if c != c.upper()})
    casts = []
    for name, dtype in renamed.schema.items():
        if dtype == pl.String:
            continue
        if dtype == pl.Date:
            casts.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            casts.append(pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%S"))
        elif dtype.is_nested():
            casts.append(pl.lit(None, dtype=pl.String).alias(name))
        else:
            casts.append(pl.col(name).cast(pl.String))
    out = renamed.with_columns(casts) if casts else renamed
    text = [(c, pl.col(c).str.strip_chars()) for c in out.columns]
    out = out.with_columns(pl.when(t == "").then(None).otherwise(t).alias(c) for c, t in text)
    return out.with_row_index("_ROW", offset=1)


def _dates(frame: pl.DataFrame, col: str, file: str, *, window: bool) -> list[Problem]:
    status = frame.select("_ROW", col, dtc_status(col).alias("_S"), dtc_date(col).alias("_D"))
    out = emit(
        status.filter(pl.col("_S") == "bad"),
        file=file,
        column=col,
        reason=ReasonCode.BAD_DATE,
        expected="an ISO 8601 date YYYY-MM-DD[Thh:mm[:ss]] (or a partial date YYYY[-MM])",
    )
    if not window:
        return out
    earliest, latest = plausible_window()
    out += emit(
        status.filter((pl.col("_D") < earliest) | (pl.col("_D") > latest)),
        file=file,
        column=col,
        reason=ReasonCode.IMPLAUSIBLE_VALUE,
        expected=f"a date within the plausible study window {earliest} to {latest} "
        "(today + 1 year)",
    )
    return out


def optional_domain_problems(
    file: str, frame: pl.DataFrame, required: Sequence[str]
) -> list[Problem]:
    """Every problem of one optional domain (see the module docstring).

    Parameters
    ----------
    file : str
        Domain or file name for the problems.
    frame : pl.DataFrame
        The domain as read (any column types).
    required : sequence of str
        Columns the analysis needs.

    Returns
    -------
    list of Problem
        Possibly empty.
    """
    dups = duplicate_columns(file, frame.columns)
    if dups:
        return dups
    text = _as_text(frame)
    problems = missing_columns(text.drop("_ROW"), required, file=file)
    if file.upper() in FULLY_CHECKED:
        return problems
    for col in text.columns:
        if col.endswith("DTC"):
            problems += _dates(text, col, file, window=file.upper() not in NO_WINDOW)
    if "AETOXGR" in text.columns:
        grade = pl.col("AETOXGR").cast(pl.Float64, strict=False)
        ok = grade.is_in([float(g) for g in AE_GRADES])
        problems += emit(
            text.filter(pl.col("AETOXGR").is_not_null() & ~ok.fill_null(value=False)),
            file=file,
            column="AETOXGR",
            reason=ReasonCode.BAD_VALUE,
            expected="a CTCAE grade, a whole number 1-5",
        )
    return problems
