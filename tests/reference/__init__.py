"""Reference values computed by R (scripts in ``tests/reference/r``; values in ``fixtures``).

Tests read the committed JSON; R is needed only to regenerate it (``make refresh-r``).
Tolerances are named here, once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Relative tolerance for estimates R prints at full precision (issue 3: 1e-8).
RTOL_R = 1e-8
#: Relative tolerance for iteratively fitted quantities (Cox coefficients, likelihoods).
RTOL_R_ITER = 1e-6
#: Absolute tolerance for p-values and quantities that may be ~0.
ATOL_R = 1e-10

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> dict[str, Any]:
    """Load ``fixtures/<name>.json`` written by the matching R script."""
    with (FIXTURES / f"{name}.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data
