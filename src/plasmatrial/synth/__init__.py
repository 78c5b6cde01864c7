"""Seeded synthetic study data: raw SDTM-like AL cohorts and large wide frames for benchmarks."""

from plasmatrial.synth.cohort import SyntheticCohort, generate_al_cohort

__all__ = ["SyntheticCohort", "generate_al_cohort"]
