"""Array and option aliases shared by :mod:`plasmatrial.stats` (numpy in, frozen results out)."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

#: Float64 array (times, weights, estimates).
FloatArray: TypeAlias = npt.NDArray[np.float64]
#: Boolean array (event indicators, masks).
BoolArray: TypeAlias = npt.NDArray[np.bool_]
#: Integer array (group codes, counts, causes).
IntArray: TypeAlias = npt.NDArray[np.int64]

#: Confidence-interval transform for survival curves (R ``survfit(conf.type=)``).
ConfType: TypeAlias = Literal["log", "log-log", "plain", "none"]
#: Alternative hypothesis / interval sidedness.
Alternative: TypeAlias = Literal["two-sided", "less", "greater"]

__all__ = ["Alternative", "BoolArray", "ConfType", "FloatArray", "IntArray"]
