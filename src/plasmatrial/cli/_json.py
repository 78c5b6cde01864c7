"""``--json`` output of the CLI: one JSON object, every float at full precision (no polars)."""

from __future__ import annotations

import json
import math
from typing import Any

import typer


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
