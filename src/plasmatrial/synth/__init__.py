"""Seeded synthetic study data: raw SDTM-like AL cohorts, virtual-patient trials, wide frames."""

from plasmatrial.synth.cohort import SyntheticCohort, generate_al_cohort
from plasmatrial.synth.trial_types import TrialData, TrialLike
from plasmatrial.synth.trials import simulate_trial_data
from plasmatrial.synth.wide import generate_wide_assessments

__all__ = [
    "SyntheticCohort",
    "TrialData",
    "TrialLike",
    "generate_al_cohort",
    "generate_wide_assessments",
    "simulate_trial_data",
]
