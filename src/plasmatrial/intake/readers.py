"""Read SDTM-like domain files (CSV, Parquet, SAS XPT, SAS7BDAT) into raw polars frames.

The readers do no validation beyond "can this file be read": they return every column as text
(``pl.String``) with upper-case column names, so that validation (:mod:`plasmatrial.intake.validate`)
can report a non-numeric result or a malformed date with the exact text found in the file.
"""

from __future__ import annotations

import csv
import io
import logging
import os
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


#: Largest data file read, in MB (decision 0110); ``PLASMATRIAL_MAX_FILE_MB`` raises it.
MAX_FILE_MB: Final = 2048
#: Longest CSV line, in KB (decision 0110); ``PLASMATRIAL_MAX_LINE_KB`` raises it.
MAX_LINE_KB: Final = 1024
FILE_LIMIT_ENV: Final = "PLASMATRIAL_MAX_FILE_MB"
LINE_LIMIT_ENV: Final = "PLASMATRIAL_MAX_LINE_KB"
_SCAN_CHUNK: Final = 1 << 22


def _limit(env: str, default: int) -> int:
    """A positive whole number from the environment variable ``env``, else ``default``."""
    text = os.environ.get(env, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise IntakeError(
            [
                Problem(
                    env,
                    None,
                    None,
                    text,
                    "a whole number >= 1",
                    ReasonCode.BAD_VALUE,
                )
            ],
            message=f"environment variable {env}={text!r}: expected a whole number >= 1",
        )
    return int(text)


def check_file_limits(path: Path, kind: str) -> None:
    """Refuse a data file too large to be a study table, before any parser sees it.

    The size comes from ``stat``; for CSV the lines are measured by one pass over the raw bytes
    in 4 MiB pieces, stopping at the first line over the limit (a 50 MB file without a line end
    is refused after reading 4 MiB, instead of the CSV parser holding gigabytes).

    Raises
    ------
    IntakeError
        One ``unreadable_file`` problem naming the size or the line and the variable that raises
        the limit.
    """
    max_mb = _limit(FILE_LIMIT_ENV, MAX_FILE_MB)
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise _unreadable(
            path,
            f"{size / 1024 / 1024:.0f} MB is over the {max_mb} MB limit for a data file",
            f"a file of at most {max_mb} MB (set {FILE_LIMIT_ENV} to raise the limit)",
        )
    if kind == "csv":
        _check_line_lengths(path, _limit(LINE_LIMIT_ENV, MAX_LINE_KB) * 1024)


def _check_line_lengths(path: Path, limit: int) -> None:
    carry = 0  # bytes of the current line read so far
    line = 1
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            pieces = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            lengths = [carry + len(pieces[0]), *map(len, pieces[1:])]
            longest = max(lengths[:-1], default=0) if len(pieces) > 1 else lengths[0]
            if longest > limit or lengths[-1] > limit:
                at = next(i for i, n in enumerate(lengths) if n > limit)
                raise _unreadable(
                    path,
                    f"line {line + at} is over {limit // 1024} KB long (no line end within "
                    f"{limit} bytes)",
                    f"a CSV file with one record per line, each at most {limit // 1024} KB "
                    f"(set {LINE_LIMIT_ENV} to raise the limit)",
                )
            line += len(pieces) - 1
            carry = lengths[-1]


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


#: Delimiters recognised in a header that has no comma (reported with a hint, never guessed).
OTHER_DELIMITERS: Final[dict[str, str]] = {";": "semicolon", "\t": "tab", "|": "pipe"}
#: Header line of the first observation record of a SAS transport file (v5 and v8).
_XPT_OBS_HEADER: Final[bytes] = b"HEADER RECORD*******OBS"


def _csv_text(path: Path, raw: bytes) -> str:
    """Decode a CSV file as UTF-8 (a BOM is dropped) with CR or CRLF line ends made LF."""
    if not raw.strip():
        raise _unreadable(path, "empty file (no header row)", "a CSV file with a header row")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _unreadable(
            path,
            f"not UTF-8: byte 0x{raw[exc.start]:02X} on line {line} (Latin-1 or Windows-1252?)",
            "a UTF-8 text file (save it as 'CSV UTF-8'; unit labels such as µg/L depend on it)",
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _csv_header(path: Path, text: str) -> list[str]:
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    if len(header) == 1:
        for delim, name in OTHER_DELIMITERS.items():
            if delim in header[0]:
                raise _unreadable(
                    path,
                    f"the header is {name}-delimited: {header[0][:60]!r}",
                    f"comma-separated values (re-export the file with ',' as delimiter "
                    f"instead of {name}s)",
                )
    return header


def duplicate_columns(path: Path | str, names: list[str]) -> list[Problem]:
    """One ``DUPLICATE`` problem per column name repeated in ``names`` after upper-casing."""
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for name in names:
        key = name.strip().upper()
        if key in seen:
            problems.append(
                Problem(
                    str(path),
                    None,
                    key,
                    f"{seen[key]!r} and {name!r}",
                    "each column once (names are compared after upper-casing); "
                    "remove or rename the extra column",
                    ReasonCode.DUPLICATE,
                )
            )
        else:
            seen[key] = name
    return problems


def _check_xpt(path: Path, widths: dict[str, int], n_rows: int) -> None:
    """Refuse a SAS transport file cut short (readstat drops the partial row silently)."""
    data = path.read_bytes()
    if len(data) % 80:
        raise _unreadable(
            path,
            f"truncated transport file: {len(data)} bytes is not a multiple of 80",
            "a complete SAS XPORT file (its records are 80 bytes long)",
        )
    start = data.find(_XPT_OBS_HEADER)
    obs_len = sum(widths.values())
    if start < 0 or obs_len <= 0:
        return
    body = data[start + 80 :]
    n_full = len(body) // obs_len
    rest = body[n_full * obs_len :]
    if rest.strip(b" ") or n_full < n_rows:
        raise _unreadable(
            path,
            f"truncated transport file: {len(rest)} bytes of a partial observation after "
            f"{n_full} complete ones ({obs_len} bytes each)",
            "a complete SAS XPORT file",
        )


def checked_csv_bytes(path: Path) -> bytes:
    """The CSV file as UTF-8 bytes with LF line ends, after the checks of decision 0106.

    Raises
    ------
    IntakeError
        Empty file, not UTF-8, another delimiter, or a column name given twice.
    """
    check_file_limits(path, "csv")
    text = _csv_text(path, path.read_bytes())
    dups = duplicate_columns(path, _csv_header(path, text))
    if dups:
        raise IntakeError(dups)
    return text.encode("utf-8")


def _read_raw(path: Path, kind: str) -> pl.DataFrame:
    if kind == "csv":
        return pl.read_csv(checked_csv_bytes(path), infer_schema=False)
    check_file_limits(path, kind)
    if kind == "parquet":
        nested = _unsupported_columns(path, dict(pl.read_parquet_schema(path)))
        if nested:  # refused from the file's schema, before its data are read
            raise IntakeError(nested)
        return pl.read_parquet(path)
    import pyreadstat  # optional heavy import, only for SAS files

    reader = pyreadstat.read_xport if kind == "xpt" else pyreadstat.read_sas7bdat
    pdf, meta = reader(str(path))
    if kind == "xpt":
        _check_xpt(path, dict(meta.variable_storage_width or {}), len(pdf))
    elif meta.number_rows is not None and meta.number_rows != len(pdf):
        raise _unreadable(
            path,
            f"truncated file: the header announces {meta.number_rows} rows, {len(pdf)} read",
            "a complete SAS7BDAT file",
        )
    return pl.from_pandas(pdf)


def _unsupported_columns(path: Path, schema: dict[str, pl.DataType]) -> list[Problem]:
    bad = {
        name: dtype
        for name, dtype in schema.items()
        if dtype.is_nested() or isinstance(dtype, pl.Duration | pl.Object)
    }
    return [
        Problem(
            str(path),
            None,
            name.upper(),
            f"a column of type {dtype}",
            "text, number, date or datetime values",
            ReasonCode.BAD_VALUE,
        )
        for name, dtype in bad.items()
    ]


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
    except IntakeError:
        raise
    except (KeyboardInterrupt, SystemExit):  # pragma: no cover - never swallow these
        raise
    except BaseException as exc:  # a corrupt Parquet panics (pyo3 PanicException)
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise _unreadable(p, f"{type(exc).__name__}: {first}", f"a valid {kind} file") from None
    problems = duplicate_columns(p, frame.columns) + _unsupported_columns(p, dict(frame.schema))
    if problems:
        raise IntakeError(problems)
    logger.debug("read %s: %d rows x %d columns", p, frame.height, frame.width)
    return as_text(frame)
