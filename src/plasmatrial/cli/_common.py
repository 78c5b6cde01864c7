"""Small helpers shared by the CLI command modules: reading tables and printing JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import typer

from plasmatrial.errors import PlasmatrialError

#: Help of ``--accept-units`` (validate, respond, run, report; decision 0105).
ACCEPT_UNITS_HELP = (
    "Accept the FLC unit labels as written: do not report unit_mixup problems "
    "(use only after checking the labels with the laboratory)."
)


def read_table(path: Path) -> pl.DataFrame:
    """Read a CSV or Parquet file chosen by extension; a bad path is a one-line user error."""
    if not path.exists():
        raise PlasmatrialError(f"file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pl.read_csv(path, infer_schema_length=10000)
        if suffix in {".parquet", ".pq"}:
            return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise PlasmatrialError(f"cannot read {path}: {exc}") from exc
    raise PlasmatrialError(
        f"{path}: expected a .csv or .parquet file, got '{suffix or 'no extension'}'"
    )


def require_columns(frame: pl.DataFrame, path: Path, columns: list[str]) -> None:
    """Fail with one line naming every missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PlasmatrialError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(frame.columns)}"
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    return value


def echo_json(payload: dict[str, Any]) -> None:
    """Print one JSON object with every float at full precision (repr round-trips)."""
    typer.echo(json.dumps(_jsonable(payload), allow_nan=False))
