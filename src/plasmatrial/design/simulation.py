"""The ``simulation:`` block of a trial file: the generators' calibration targets (decision 0620).

Two generators read it and nothing else does: the virtual-patient generator
(:mod:`plasmatrial.synth`, ``plasmatrial simulate-data``) and the Monte Carlo design simulation
(:func:`plasmatrial.design.simulate.design_from_trial`). The analysis never reads it: what the
pipeline computes is compared with ``published:``, not with these targets.

Every key is optional; a trial without the block gets the generators' generic defaults. Values
that may differ between arms take one value for every arm or a mapping by arm code
(``PerArm``). Counts of patients are exact: the generator reproduces them patient for patient.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

from plasmatrial.design.endpoint_options import MAX_MONTHS

#: Most patients a trial file may plan (``n_planned``, ``n_per_arm``, ``n_patients``).
MAX_PATIENTS: Final = 100_000


def _known_profile(name: str) -> str:
    from plasmatrial.synth.profiles import PROFILES

    if name not in PROFILES:
        raise ValueError(f"unknown generator profile; profiles: {', '.join(sorted(PROFILES))}")
    return name


def _whole_patients(n: int) -> int:
    if not 0 < n <= MAX_PATIENTS:
        raise ValueError(f"expected a whole number of patients 1-{MAX_PATIENTS:,}")
    return n


Patients = Annotated[int, Strict(), AfterValidator(_whole_patients)]
Count = Annotated[int, Strict(), Field(ge=0, le=MAX_PATIENTS)]
Months = Annotated[float, Strict(), Field(gt=0, le=MAX_MONTHS)]
Fraction = Annotated[float, Strict(), Field(ge=0, le=1)]
Positive = Annotated[float, Strict(), Field(gt=0, le=1e6)]
#: an arm code -> value mapping (keys are checked against the arms by the generators)
ArmCode = Annotated[str, Strict(), Field(min_length=1, max_length=64)]
Category = Annotated[str, Strict(), Field(min_length=1, max_length=16)]
#: a YAML list read as a tuple (items stay strict)
DoseLevels = Annotated[tuple[Positive, ...], Field(strict=False, max_length=10)]
LevelCounts = Annotated[tuple[Count, ...], Field(strict=False, max_length=10)]


class Simulation(BaseModel):
    """Typed ``simulation:`` block (``extra="forbid"``: an unknown key is a located error).

    Groups of fields, each documented with what the generator does with it:

    * published targets (both generators): sizes, medians, responders, follow-up;
    * the virtual-patient generator's latent design (``synth``): start date, exact best-response
      counts, AE discontinuations and grade 3-4 patients, latent scales, data cut-off, dose
      reductions, background death rate, demographics, prior-therapy groups, an original
      cohort and the course of complete responders, MRD tests;
    * the Monte Carlo design simulation's scenario (``design.simulate``): hazard shape, hazard
      ratios, dropout, crossover, analysis timing and the group-sequential options.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    # --- published targets -------------------------------------------------------------
    #: patients in all (Monte Carlo design; default ``n_planned``)
    n_patients: Patients | None = None
    #: patients per arm (default: ``n_planned`` split by the arm ratios)
    n_per_arm: dict[ArmCode, Patients] | None = Field(default=None, max_length=20)
    #: published median PFS / OS (months), one value or per arm; the generator calibrates its
    #: latent scales until the emitted data show them
    median_pfs_months: Months | dict[ArmCode, Months] | None = None
    median_os_months: Months | dict[ArmCode, Months] | None = None
    #: published median follow-up (months): the data cut-off moves until it is reached
    median_followup_months: Months | None = None
    #: published responders (one count, or per arm): the design simulation's response
    #: probability; the virtual patients take ``best_response_counts``
    responders: Count | dict[ArmCode, Count] | None = None
    #: published counts kept with the targets for the reader (no generator reads them)
    vgpr_or_better: Count | None = None
    complete_responses: Count | None = None
    partial_responses_of_34: Count | None = None
    minor_responses_fraction: Fraction | None = None

    # --- virtual patients: latent design ------------------------------------------------
    #: what the generator knows about the disease (response scale and labs, organ markers, AE
    #: terms, therapies, DM columns, typical rates): a name of
    #: :data:`plasmatrial.synth.profiles.PROFILES`; default: the DEFAULT profile of the trial's
    #: disease (decision 0621)
    profile: Annotated[str, Strict(), AfterValidator(_known_profile)] | None = None
    #: first day of accrual (default 2010-06-01)
    start_date: Annotated[dt.date, Field(strict=False)] | None = None
    #: exact number of patients with each best response per arm, in the order the categories
    #: are filled (categories of the trial's response scale: CR, VGPR, PR, LDPR, NR for AL;
    #: VGPR, PR, MR, SD for myeloma); default: typical rates of the disease
    best_response_counts: dict[ArmCode, dict[Category, Count]] | None = Field(
        default=None, max_length=20
    )
    #: patients who stop treatment for an adverse event (exact; one count or per arm)
    ae_discontinuations: Count | dict[ArmCode, Count] | None = None
    #: patients with a grade 3-4 adverse event (exact; one count or per arm; default: drawn)
    grade34_patients: Count | dict[ArmCode, Count] | None = None
    #: of those, the patients whose blood counts may reach grade 3-4 (default: all of them)
    cytopenia_grade34_patients: Count | None = None
    #: grade 3-4 events spread evenly over the first four AE terms (a paper's "commonest")
    grade34_spread_evenly: bool = False
    #: starting latent scales of progression and post-progression survival (months; one or
    #: per arm): the values themselves where no median is published, else the calibration's
    #: starting point
    pfs_scale_months: Positive | dict[ArmCode, Positive] | None = None
    os_scale_months: Positive | dict[ArmCode, Positive] | None = None
    #: data cut-off, months after the end of accrual, before the follow-up calibration
    #: (default 12)
    data_cutoff_after_accrual_months: (
        Annotated[float, Strict(), Field(ge=0, le=MAX_MONTHS)] | None
    ) = None
    #: dose levels of each drug a reduction steps through (default: pomalidomide 3, 2 mg;
    #: dexamethasone 20 mg)
    dose_reductions: dict[Category, DoseLevels] | None = Field(
        default=None, strict=False, max_length=10
    )
    #: ``{DRUG: [n0, n1, ...]}``: exact number of patients ending at each dose level of one drug
    #: (0 = starting dose); the last level takes the patients left over
    dose_level_patients: dict[Category, LevelCounts] | None = Field(
        default=None, strict=False, max_length=1
    )
    #: scale of the death from other causes (months; default by disease)
    background_death_months: Positive | None = None
    #: fraction of patients lost to follow-up (default 0.03)
    dropout_fraction: Fraction | None = None
    #: redraw the latent cohort when a published median is missed by more than this (months),
    #: at most ``median_retries`` times
    median_tolerance_months: Months | None = None
    median_retries: Annotated[int, Strict(), Field(ge=0, le=100)] = 0
    #: demographics: median age, fractions of men, of cardiac involvement (AL) and of lambda
    #: light chains (AL)
    median_age: Annotated[float, Strict(), Field(ge=18, le=100)] | None = None
    male_fraction: Fraction | None = None
    cardiac_fraction: Fraction | None = None
    lambda_fraction: Fraction | None = None
    #: prior-therapy groups (disjoint) and their responders (exact)
    prior_lenalidomide: Count | None = None
    prior_lenalidomide_responders: Count | None = None
    prior_ixazomib: Count | None = None
    prior_ixazomib_responders: Count | None = None
    #: the first enrolled patients form the original cohort (DM ``ORIGFL``): they carry every
    #: CR and this many responders; one of its non-responders dies before the first assessment
    original_cohort_patients: Patients | None = None
    original_cohort_responders: Count | None = None
    #: complete responders: first CR at an assessment in this inclusive range, some at the
    #: late assessments listed; this many relapse (at least ``relapse_margin_days`` before the
    #: patient's cut-off, so the relapse is observed) and one dies
    complete_response_onsets: tuple[Count, Count] | None = Field(default=None, strict=False)
    complete_response_late_onsets: tuple[Count, ...] = Field(default=(), strict=False)
    complete_response_relapses: Count | None = None
    relapse_margin_days: Annotated[float, Strict(), Field(ge=0, le=3650)] = 150.0
    #: bone-marrow MRD tests at this assessment (none when absent), by this method and
    #: sensitivity, negative in these fractions of each best-response category
    mrd_at_assessment: Annotated[int, Strict(), Field(ge=1, le=1000)] | None = None
    mrd_method: Annotated[str, Strict(), Field(min_length=1, max_length=32)] = "NGF"
    mrd_sensitivity: Annotated[float, Strict(), Field(gt=0, lt=1)] = 1e-5
    mrd_negative_fraction: dict[Category, Fraction] = Field(default_factory=dict, max_length=10)

    # --- Monte Carlo design simulation --------------------------------------------------
    #: response probability per arm (instead of ``responders``)
    p_response: Fraction | dict[ArmCode, Fraction] | None = None
    #: control arm (default: the arm with ``crossover_to``, else the last arm)
    control: ArmCode | None = None
    crossover_fraction: Fraction | None = None
    crossover_hr: Positive | None = None
    accrual_months: Months | None = None
    information_rates: tuple[Fraction, ...] | None = Field(default=None, strict=False)
    events: Patients | None = None
    analysis_time_months: Months | None = None
    hr: Positive | None = None
    hazard_shape: Literal["exponential", "weibull", "piecewise"] | None = None
    weibull_shape: Positive | None = None
    piecewise_breaks: tuple[Months, ...] | None = Field(default=None, strict=False)
    piecewise_rates: tuple[Positive, ...] | None = Field(default=None, strict=False)
    pfs_responder_hr: Positive | None = None
    os_responder_hr: Positive | None = None
    dropout_rate: Annotated[float, Strict(), Field(ge=0, le=1e3)] | None = None
    dropout_time: Months | None = None
    endpoint: Literal["PFS", "OS"] | None = None
    alpha: Annotated[float, Strict(), Field(gt=0, lt=1)] | None = None
    type_of_design: Annotated[str, Strict(), Field(max_length=16)] | None = None
    conf_level: Annotated[float, Strict(), Field(gt=0, lt=1)] | None = None
    ties: Literal["efron", "breslow"] | None = None

    def given(self) -> dict[str, Any]:
        """The keys the trial file gives (``None`` and unset defaults left out), as a mapping."""
        return self.model_dump(exclude_unset=True, exclude_none=True)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` when set (not ``None``), else ``default``."""
        value = getattr(self, key)
        return default if value is None else value
