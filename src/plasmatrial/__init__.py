"""plasmatrial: run and analyse IMiD-based trials in AL amyloidosis and multiple myeloma.

Research software. Every output states the criteria versions used; nothing here is a
substitute for clinical judgement.
"""

from plasmatrial.errors import (
    DesignError,
    IntakeError,
    PlasmatrialError,
    Problem,
    RuleError,
    StatsError,
)

__version__ = "0.1.0"

DISCLAIMER = (
    "Research software: response, progression and endpoint calls are computed from the data "
    "by published criteria and are not a substitute for clinical judgement."
)

__all__ = [
    "DISCLAIMER",
    "DesignError",
    "IntakeError",
    "PlasmatrialError",
    "Problem",
    "RuleError",
    "StatsError",
    "__version__",
]
