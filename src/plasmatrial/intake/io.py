"""Reading plain tables and atomic writes of polars frames (CSV or Parquet)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Final

import polars as pl

from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.readers import checked_csv_bytes, duplicate_columns
from plasmatrial.intake.validate import raise_if

WRITABLE: Final[tuple[str, ...]] = (".csv", ".parquet", ".pq")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_frame(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` atomically; the format follows the extension.

    Parameters
    ----------
    frame : pl.DataFrame
        Data to write.
    path : str or Path
        Target ``.csv`` or ``.parquet``/``.pq`` file; its directory must exist.

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
    3. On any failure remove the temporary file and re-raise as :class:`PlasmatrialError`.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in WRITABLE:
        msg = f"path: cannot write '{target}': extension must be one of {', '.join(WRITABLE)}"
        raise PlasmatrialError(msg)
    directory = target.parent
    if not directory.is_dir():
        raise PlasmatrialError(f"path: directory does not exist: '{directory}'")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            if suffix == ".csv":
                frame.write_csv(fh)
            else:
                frame.write_parquet(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
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
