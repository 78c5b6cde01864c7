"""Seeded synthetic study data: raw SDTM-like AL cohorts and large wide frames for benchmarks."""

from plasmatrial.synth.cohort import SyntheticCohort, generate_al_cohort
from plasmatrial.synth.wide import generate_wide_assessments

__all__ = ["SyntheticCohort", "generate_al_cohort", "generate_wide_assessments"]
