"""plasmatrial: run and analyse IMiD-based trials in AL amyloidosis and multiple myeloma.

Research software. Every output states the criteria versions used; nothing here is a
substitute for clinical judgement.

The notebook API (:mod:`plasmatrial.api`)::

    import plasmatrial as pt

    study = pt.read_sdtm("data/dm.csv", "data/lb.csv", "data/ex.csv")
    res = pt.respond(study, criteria="CR_2012_RATIO")
    res.subjects, res.visits, res.summary(), print(res.explain("SUBJ-001"))
    trial = pt.read_trial("trial.yaml")
    results = pt.run_trial(trial, pt.read_trial_data("data"))

and the subpackages ``pt.stats``, ``pt.design``, ``pt.endpoints``, ``pt.criteria``. Everything
beyond the errors below is imported on first use, so ``import plasmatrial`` stays fast.
"""

from typing import TYPE_CHECKING

from plasmatrial._lazy import lazy_exports
from plasmatrial.errors import (
    DesignError,
    IntakeError,
    PlasmatrialError,
    Problem,
    RuleError,
    StatsError,
)

if TYPE_CHECKING:
    from plasmatrial import criteria, design, endpoints, intake, stats, synth, trial
    from plasmatrial.api import (
        ResponseResult,
        read_sdtm,
        read_trial,
        read_trial_data,
        respond,
        run_trial,
    )

__version__ = "0.1.0"

DISCLAIMER = (
    "Research software: response, progression and endpoint calls are computed from the data "
    "by published criteria and are not a substitute for clinical judgement."
)

_API = ("ResponseResult", "read_sdtm", "read_trial", "read_trial_data", "respond", "run_trial")
_PACKAGES = ("criteria", "design", "endpoints", "intake", "stats", "synth", "trial")
__getattr__, __dir__ = lazy_exports(
    __name__, dict.fromkeys(_API, "plasmatrial.api"), submodules=_PACKAGES
)

__all__ = [
    "DISCLAIMER",
    "DesignError",
    "IntakeError",
    "PlasmatrialError",
    "Problem",
    "ResponseResult",
    "RuleError",
    "StatsError",
    "__version__",
    "criteria",
    "design",
    "endpoints",
    "intake",
    "read_sdtm",
    "read_trial",
    "read_trial_data",
    "respond",
    "run_trial",
    "stats",
    "synth",
    "trial",
]
