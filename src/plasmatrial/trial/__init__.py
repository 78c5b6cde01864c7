"""Trial analysis pipeline: from a trial file and its SDTM-like data to ADaM and endpoint results.

Layer: between ``report`` (which renders :class:`TrialResults`) and ``design`` (which defines the
:class:`~plasmatrial.design.protocol.Trial`); see ``docs/decisions/0730-trial-pipeline.md``.
Entry point: :func:`run_trial`.
"""

from plasmatrial.trial.analyse import ResponseRateResult, TableResult, TimeToEventResult
from plasmatrial.trial.dataset_json import adam_dataset_json, from_dataset_json, to_dataset_json
from plasmatrial.trial.inputs import ResolvedCriteria, TrialInputs, resolve_criteria
from plasmatrial.trial.pipeline import STAGES, TrialResults, run_trial

__all__ = [
    "STAGES",
    "ResolvedCriteria",
    "ResponseRateResult",
    "TableResult",
    "TimeToEventResult",
    "TrialInputs",
    "TrialResults",
    "adam_dataset_json",
    "from_dataset_json",
    "resolve_criteria",
    "run_trial",
    "to_dataset_json",
]
