"""Reading plain tables and atomic writes of polars frames (CSV or Parquet)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO, Final

import polars as pl

from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.readers import check_file_limits, checked_csv_bytes, duplicate_columns
from plasmatrial.intake.validate import raise_if

WRITABLE: Final[tuple[str, ...]] = (".csv", ".parquet", ".pq")
#: When this process imported the module; temporary files older than this are stale.
_STARTED: Final = time.time()


def remove_stale_tmp(target: Path) -> None:
    """Remove ``.NAME.*.tmp`` siblings of ``target`` last written before this process started
    (left by a killed write; a live writer's file is newer)."""
    for tmp in target.parent.glob(f".{target.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if tmp.stat().st_mtime < _STARTED:
                tmp.unlink()


def current_umask() -> int:
    """The process umask (read without changing it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP CSV injection).
FORMULA_START: Final = r"^[=+\-@\t\r]"


def neutralise_csv_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula (decision 0765).

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe, unless the whole cell is a number (``-1.5`` and ``+3`` stay as they are).
    Numeric, date and boolean columns are never changed.

    Examples
    --------
    >>> neutralise_csv_cells(pl.DataFrame({"x": ["=1+1", "-1.5", "@SUM(A1)", "ok"]}))["x"].to_list()
    ["'=1+1", '-1.5', "'@SUM(A1)", 'ok']
    """
    exprs = [
        pl.when(
            pl.col(name).str.contains(FORMULA_START)
            & pl.col(name).str.strip_chars().cast(pl.Float64, strict=False).is_null()
        )
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    ]
    return frame.with_columns(exprs) if exprs else frame


def write_frame(frame: pl.DataFrame, path: str | Path, *, neutralise_csv: bool = True) -> Path:
    """Write ``frame`` to ``path`` atomically; the format follows the extension.

    Parameters
    ----------
    frame : pl.DataFrame
        Data to write.
    path : str or Path
        Target ``.csv`` or ``.parquet``/``.pq`` file; its directory must exist.
    neutralise_csv : bool
        For CSV, neutralise cells a spreadsheet would run as formulas
        (:func:`neutralise_csv_cells`); Parquet is written as is.

    Returns
    -------
    Path
        The written path.

    Raises
    ------
    PlasmatrialError
        Unknown extension, missing directory, or a failed write (no partial file is left behind;
        an existing file at ``path`` is untouched).

    Notes
    -----
    1. Write to a temporary file in the same directory (same file system).
    2. ``fsync`` and ``os.replace`` it onto ``path`` (atomic on POSIX and Windows).
    3. Temporary files of the same target older than this process (a killed write) are removed
       first.
    4. On any failure remove the temporary file and re-raise as :class:`PlasmatrialError`.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in WRITABLE:
        msg = f"path: cannot write '{target}': extension must be one of {', '.join(WRITABLE)}"
        raise PlasmatrialError(msg)
    directory = target.parent
    if not directory.is_dir():
        raise PlasmatrialError(f"path: directory does not exist: '{directory}'")

    def write(fh: BinaryIO) -> None:
        if suffix == ".csv":
            (neutralise_csv_cells(frame) if neutralise_csv else frame).write_csv(fh)
        else:
            frame.write_parquet(fh)

    return _atomic_write(target, write)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: temporary sibling, fsync, rename.

    Raises :class:`PlasmatrialError` on failure; an existing ``path`` is then untouched.
    """
    return _atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def write_text_pieces(path: Path, pieces: Iterable[str]) -> Path:
    """:func:`write_text` of ``"".join(pieces)``, one piece in memory at a time."""

    def write(fh: BinaryIO) -> None:
        for piece in pieces:
            fh.write(piece.encode("utf-8"))

    return _atomic_write(path, write)


def _atomic_write(target: Path, write: Callable[[BinaryIO], object]) -> Path:
    """The one atomic writer: a temporary sibling written by ``write``, fsync, ``os.replace``.

    Stale temporary files of the same target (a killed write) are removed first; on failure
    the temporary file is removed and an existing ``target`` is untouched.
    """
    remove_stale_tmp(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, target)
    except Exception as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise PlasmatrialError(f"path: could not write '{target}': {exc}") from exc
    return target


def read_table(path: str | Path) -> pl.DataFrame:
    """Read a CSV or Parquet file chosen by extension; a bad path is a one-line user error."""
    path = Path(path)
    if not path.exists():
        raise PlasmatrialError(f"file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pl.read_csv(checked_csv_bytes(path), infer_schema_length=10000)
        if suffix in {".parquet", ".pq"}:
            check_file_limits(path, "parquet")
            frame = pl.read_parquet(path)
            raise_if(duplicate_columns(path, frame.columns))
            return frame
    except PlasmatrialError:
        raise
    except (KeyboardInterrupt, SystemExit):  # pragma: no cover - never swallow these
        raise
    except BaseException as exc:  # polars errors, OSError, a Parquet reader panic (pyo3)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PlasmatrialError(f"cannot read {path}: {first}") from None
    raise PlasmatrialError(
        f"{path}: expected a .csv or .parquet file, got '{suffix or 'no extension'}'"
    )
