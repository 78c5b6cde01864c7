"""Missing values in the tables of the ``stats`` commands: ``--na fail`` (default) or ``--na omit``.

``fail`` refuses a table with a missing value in any column the command uses, naming the column,
how many values are missing and where the first one is. ``omit`` drops every row with a missing
value in a used column (R ``na.omit``, the default ``na.action`` of ``survfit`` and ``coxph``)
and the command reports how many rows it dropped. Columns the command does not use are never
looked at. See ``docs/decisions/0107-stats-cli-missing-values.md``.

Missing means an empty cell (null, or text that is empty or blank), a NaN in a floating-point
column, or, in a column that must be numeric (times, event and censoring flags, entry times, status), one of the missing-value codes
``NA``, ``NaN`` and ``.`` that R and SAS write for a missing number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from plasmatrial.errors import PlasmatrialError

if TYPE_CHECKING:
    import polars as pl

NaAction = Literal["fail", "omit"]
NA_HELP = (
    "Rows with a missing value in a column the command uses: 'fail' (default) refuses the table; "
    "'omit' drops them and reports how many (as R's na.omit)."
)
NaOpt = Annotated[str, typer.Option("--na", help=NA_HELP, metavar="fail|omit")]
#: Text codes read as a missing number in a column that must be numeric.
MISSING_CODES = ("", "NA", "NaN", ".")


@dataclass(frozen=True, slots=True)
class CompleteRows:
    """The rows kept from a table and how many were read and dropped."""

    frame: pl.DataFrame
    n_read: int
    n_omitted: int
    na: NaAction

    def to_dict(self) -> dict[str, int | str]:
        """The ``--json`` fields: ``na``, ``n_read``, ``n_omitted``."""
        return {"na": self.na, "n_read": self.n_read, "n_omitted": self.n_omitted}

    def note(self) -> str | None:
        """The line the table output ends with when rows were dropped (None when none were)."""
        if not self.n_omitted:
            return None
        rows = "row" if self.n_omitted == 1 else "rows"
        return (
            f"({self.n_omitted} of {self.n_read} {rows} omitted for missing values, --na omit; "
            f"{self.frame.height} used)"
        )


def check_na(na: str) -> NaAction:
    """``na`` if it is ``fail`` or ``omit``, else a one-line error."""
    if na == "fail":
        return "fail"
    if na == "omit":
        return "omit"
    raise PlasmatrialError(f"--na: expected fail or omit, got {na!r}")


def _missing(series: pl.Series, numeric: bool) -> pl.Series:
    import polars as pl

    mask = series.is_null()
    if series.dtype.is_float():
        mask = mask | series.is_nan()
    elif series.dtype == pl.String:
        codes = list(MISSING_CODES) if numeric else [""]
        mask = mask | series.str.strip_chars().is_in(codes)
    return mask.fill_null(True)


def where(path: Path, index: int) -> str:
    """Where data row ``index`` (0-based) is in the file: a CSV line (header = line 1) or a row."""
    if path.suffix.lower() == ".csv":
        return f"line {index + 2}"
    return f"data row {index + 1}"


def complete_rows(
    frame: pl.DataFrame,
    path: Path,
    columns: list[str | None],
    na: str,
    *,
    numeric: tuple[str | None, ...] = (),
) -> CompleteRows:
    """Apply ``--na`` to the used ``columns`` of ``frame`` (read from ``path``).

    ``numeric`` lists the used columns that must hold numbers: there the codes in
    :data:`MISSING_CODES` count as missing too, and after dropping, a text column is converted to
    float (a value that is not a number is a one-line error naming it).
    """
    import polars as pl

    action = check_na(na)
    used = list(dict.fromkeys(c for c in columns if c is not None))
    must_be_numeric = {c for c in numeric if c is not None}
    masks = {c: _missing(frame[c], c in must_be_numeric) for c in used}
    if action == "fail":
        for c, mask in masks.items():
            k = int(mask.sum())
            if k:
                first = int(mask.arg_true()[0])
                values = "value" if k == 1 else "values"
                raise PlasmatrialError(
                    f"{path}: column {c} has {k} missing {values} (first at {where(path, first)}); "
                    "give --na omit to drop incomplete rows"
                )
        kept = frame
    else:
        any_missing = pl.Series("missing", [False] * frame.height, dtype=pl.Boolean)
        for mask in masks.values():
            any_missing = any_missing | mask
        kept = frame.filter(~any_missing)
        if kept.height == 0:
            raise PlasmatrialError(
                f"{path}: every one of the {frame.height} rows has a missing value in "
                f"{', '.join(used)}; nothing is left to analyse"
            )
    for c in used:
        if c in must_be_numeric and kept[c].dtype == pl.String:
            kept = kept.with_columns(_to_float(kept[c], path))
    return CompleteRows(kept, frame.height, frame.height - kept.height, action)


def _to_float(series: pl.Series, path: Path) -> pl.Series:
    import polars as pl

    out = series.str.strip_chars().cast(pl.Float64, strict=False)
    bad = out.is_null() & series.is_not_null()
    if bad.any():
        first = int(bad.arg_true()[0])
        raise PlasmatrialError(
            f"{path}: column {series.name} must be numeric, got {series[first]!r}"
        )
    return out
