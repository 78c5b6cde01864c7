"""Seeded synthetic study data: raw SDTM-like AL cohorts, virtual-patient trials, wide frames.

What the virtual-patient generator knows about a disease is a :class:`GeneratorProfile` from the
registry :data:`PROFILES` (decision 0621).
"""

from plasmatrial.synth.cohort import SyntheticCohort, generate_al_cohort
from plasmatrial.synth.profile import GeneratorProfile
from plasmatrial.synth.profiles import PROFILES, profile_for
from plasmatrial.synth.trial_types import TrialData, TrialLike
from plasmatrial.synth.trials import simulate_trial_data
from plasmatrial.synth.wide import generate_wide_assessments

__all__ = [
    "PROFILES",
    "GeneratorProfile",
    "SyntheticCohort",
    "TrialData",
    "TrialLike",
    "generate_al_cohort",
    "generate_wide_assessments",
    "profile_for",
    "simulate_trial_data",
]
