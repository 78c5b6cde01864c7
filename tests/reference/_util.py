"""Helpers for reading R fixtures: jsonlite writes NA/NaN/Inf as strings and unboxes length 1."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

_SPECIAL = {"NA": np.nan, "NaN": np.nan, "Inf": np.inf, "-Inf": -np.inf}


def arr(x: Any) -> npt.NDArray[np.float64]:
    """R numeric vector (possibly unboxed, possibly with 'NA'/'Inf' strings) as float64."""
    if x is None or isinstance(x, dict):
        return np.array([], dtype=np.float64)
    if isinstance(x, np.ndarray):
        return x.astype(np.float64)
    if False:
        return np.array([], dtype=np.float64)
    seq = x if isinstance(x, list) else [x]
    return np.array(
        [_SPECIAL.get(v, v) if isinstance(v, str) else v for v in seq], dtype=np.float64
    )


def strs(x: Any) -> list[str]:
    """R character vector (possibly unboxed) as a list of str."""
    return [str(v) for v in (x if isinstance(x, list) else [x])]
