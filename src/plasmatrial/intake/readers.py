"""Read SDTM-like domain files (CSV, Parquet, SAS XPT, SAS7BDAT) into raw polars frames.

The readers do no validation beyond "can this file be read": they return every column as text
(``pl.String``) with upper-case column names, so that validation (:mod:`plasmatrial.intake.validate`)
can report a non-numeric result or a malformed date with the exact text found in the file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final, Literal

import polars as pl

from plasmatrial.errors import IntakeError, Problem, ReasonCode

logger = logging.getLogger(__name__)

Domain = Literal["DM", "LB", "EX", "TU", "TR"]
DOMAINS: Final[tuple[str, ...]] = ("DM", "LB", "EX", "TU", "TR")

#: File extensions accepted by :func:`read_domain` (lower case).
EXTENSIONS: Final[dict[str, str]] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xpt": "xpt",
    ".sas7bdat": "sas7bdat",
}


def _unreadable(path: Path, value: str, expected: str) -> IntakeError:
    return IntakeError(
        [Problem(str(path), None, None, value, expected, ReasonCode.UNREADABLE_FILE)],
        message=f"cannot read {path}: {value}",
    )


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Return ``frame`` with upper-case column names and every column cast to text.

    Dates become ISO 8601 (``YYYY-MM-DD``), datetimes ``YYYY-MM-DDTHH:MM:SS``; whole floats (as SAS
    stores integers, e.g. ``65.0``) keep their text form, which the validators parse as numbers.

    Parameters
    ----------
    frame : pl.DataFrame
        Any frame.

    Returns
    -------
    pl.DataFrame
        Same rows, all columns ``pl.String``; empty or blank strings become null.
    """
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            expr = col.dt.strftime("%Y-%m-%d")
        elif isinstance(dtype, pl.Datetime):
            expr = col.dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif dtype == pl.String:
            expr = col
        else:
            expr = col.cast(pl.String)
        expr = expr.str.strip_chars()
        exprs.append(pl.when(expr == "").then(None).otherwise(expr).alias(name.upper()))
    return frame.select(exprs)


def _read_raw(path: Path, kind: str) -> pl.DataFrame:
    if kind == "csv":
        return pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    if kind == "parquet":
        return pl.read_parquet(path)
    import pyreadstat  # optional heavy import, only for SAS files

    reader = pyreadstat.read_xport if kind == "xpt" else pyreadstat.read_sas7bdat
    pdf, _meta = reader(str(path))
    return pl.from_pandas(pdf)


def read_domain(path: str | Path, domain: Domain) -> pl.DataFrame:
    """Read one SDTM-like domain file into a raw, all-text polars frame.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.parquet``/``.pq``, ``.xpt`` (SAS transport) or ``.sas7bdat`` file.
    domain : {"DM", "LB", "EX", "TU", "TR"}
        The domain the file holds (used only in messages here; checked by the validators).

    Returns
    -------
    pl.DataFrame
        Every column as text (see :func:`as_text`), column names upper case, rows in file order.

    Raises
    ------
    IntakeError
        With one ``UNREADABLE_FILE`` problem when the file does not exist, has an unsupported
        extension or cannot be parsed.

    Notes
    -----
    1. Pick the reader from the extension (case-insensitive).
    2. CSV is read with schema inference switched off, so ``"2.0"`` and ``"<5"`` both survive as
       text; Parquet/XPT/SAS7BDAT columns are cast to text afterwards.
    3. Blank strings become null (SAS character missing values are blanks).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "dm.csv"
    >>> _ = p.write_text("usubjid,AGE\\nS1,65\\n")
    >>> read_domain(p, "DM").columns
    ['USUBJID', 'AGE']
    """
    p = Path(path)
    if domain not in DOMAINS:
        raise IntakeError(
            [
                Problem(
                    str(p),
                    None,
                    None,
                    str(domain),
                    f"domain one of {', '.join(DOMAINS)}",
                    ReasonCode.BAD_VALUE,
                )
            ]
        )
    kind = EXTENSIONS.get(p.suffix.lower())
    if kind is None:
        raise _unreadable(
            p,
            f"unsupported extension '{p.suffix or '(none)'}'",
            "one of " + ", ".join(EXTENSIONS),
        )
    if not p.is_file():
        raise _unreadable(p, "file not found", f"an existing {domain} file")
    try:
        frame = _read_raw(p, kind)
    except Exception as exc:  # any parser failure is a user-facing unreadable-file problem
        raise _unreadable(p, f"{type(exc).__name__}: {exc}", f"a valid {kind} file") from exc
    logger.debug("read %s: %d rows x %d columns", p, frame.height, frame.width)
    return as_text(frame)
