"""Trial definitions: a small YAML file describes a protocol; this module validates it.

A trial file names the disease, the arms and their regimens (drug, dose, days of each cycle),
allocation ratio and stratification, eligibility, the schedule of assessments, the criteria rule
sets, the endpoints with their analyses, and (optionally) the figures the trial published, which the
report puts side by side with the computed ones. A ``simulation`` section, read only by the
virtual-patient generator, holds the generator's calibration targets; the analysis never reads it.

:func:`parse_trial` takes the YAML text (the CLI reads the file) and returns a frozen
:class:`Trial`, or raises :class:`~plasmatrial.errors.DesignError` listing every problem with its
location in the file.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from plasmatrial.endpoints.exposure import PlannedDose, planned_from_mapping
from plasmatrial.errors import DesignError

Disease = Literal["AL", "MM"]
EndpointType = Literal[
    "response_rate",
    "time_to_event",
    "time_to_response",
    "duration_of_response",
    "organ_response",
    "mrd",
    "eq5d",
    "adverse_events",
    "dose_intensity",
]
CIMethod = Literal[
    "clopper-pearson", "wilson", "wilson-cc", "jeffreys", "agresti-coull", "mid-p", "wald"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DosePhase(_Frozen):
    """Dosing days of the cycles ``cycles`` (``"1-2"``, ``"3-6"``, ``"7-"``: cycle 7 onwards)."""

    cycles: str = Field(pattern=r"^\s*\d+\s*(-\s*\d*\s*)?$")
    days: str | list[int]


class DrugSchedule(_Frozen):
    """One drug of a regimen: dose on each of ``days`` of every ``cycle_days``-day cycle.

    ``phases`` give cycle-dependent days (e.g. daratumumab: weekly in cycles 1-2, every two weeks
    in cycles 3-6, every four weeks after); cycles no phase covers use ``days``. ``assumed``
    says why a value not stated by the trial's source was chosen (listed by the report).
    """

    drug: str
    dose: float = Field(gt=0)
    unit: str = "mg"
    days: str | list[int] = "1-28"
    cycle_days: int = Field(default=28, gt=0)
    route: str = "oral"
    phases: tuple[DosePhase, ...] = ()
    assumed: str | None = None

    def planned(self) -> PlannedDose:
        """The schedule as a :class:`~plasmatrial.endpoints.exposure.PlannedDose`."""
        return planned_from_mapping(self.model_dump())

    def days_in_cycle(self, cycle: int) -> str | list[int]:
        """Dosing days of cycle ``cycle`` (1-based): its phase's, else ``days``."""
        for ph in self.phases:
            lo, _, hi = ph.cycles.partition("-")
            first = int(lo)
            last = int(hi) if hi.strip() else None
            if cycle >= first and (last is None or cycle <= last):
                return ph.days
        return self.days

    @model_validator(mode="after")
    def _days_in_cycle(self) -> DrugSchedule:
        self.planned()  # raises PlasmatrialError on bad days
        return self


class Arm(_Frozen):
    """A treatment arm."""

    code: str
    name: str
    ratio: int = Field(default=1, ge=1)
    regimen: tuple[DrugSchedule, ...]
    crossover_to: str | None = None


class Schedule(_Frozen):
    """Schedule of disease assessments (``assumed``: why, when the source does not state it)."""

    cycle_days: int = Field(default=28, gt=0)
    treatment_cycles: int | None = Field(default=None, ge=1)
    assess_every_cycles: int = Field(default=1, ge=1)
    followup_every_months: float = Field(default=3.0, gt=0)
    followup_months: float = Field(default=36.0, gt=0)
    accrual_months: float = Field(default=12.0, gt=0)
    assumed: str | None = None


class CriteriaChoice(_Frozen):
    """Rule sets by registry name (``plasmatrial criteria list``)."""

    hematologic: str | None = None
    progression: str | None = None
    cardiac: str | None = None
    renal: str | None = None
    response: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class ConfirmationChoice(_Frozen):
    """Confirmation of myeloma responses (sap.md section 2; DEFAULTs criteria.md 4.4)."""

    min_days: int = Field(default=0, ge=0)
    """Minimum days between a response and its confirming assessment."""
    max_ne_between: int | None = Field(default=None, ge=0)
    """Most NE assessments allowed between them (None: any, skipped)."""
    max_sd_between: int = Field(default=0, ge=0, le=1)
    """SD assessments allowed between them (0 or 1)."""


#: CMCAT values that mark a CM record as new anticancer therapy (DEFAULT, sap.md section 2).
NEW_THERAPY_CATEGORIES: tuple[str, ...] = (
    "SUBSEQUENT ANTICANCER THERAPY",
    "NEW ANTICANCER THERAPY",
    "ANTICANCER THERAPY",
    "ANTINEOPLASTIC THERAPY",
)


class AnalysisOptions(_Frozen):
    """Best-response conventions a SAP may set (sap.md section 2); every field has its DEFAULT."""

    confirm: bool | None = None
    """Confirm responses before they count for best response (DEFAULT: myeloma yes, AL no)."""
    confirmation: ConfirmationChoice = ConfirmationChoice()
    sd_min_days: int = Field(default=0, ge=0)
    """SD (myeloma) or NR (AL) counts for best response only from this many days after the
    start."""
    new_therapy: Literal["exclude", "include"] = "exclude"
    """``exclude`` (DEFAULT): assessments on or after the start of new anticancer therapy do not
    count for best response or time to response; ``include`` is a sensitivity analysis."""
    new_therapy_categories: tuple[str, ...] = NEW_THERAPY_CATEGORIES
    """CMCAT values (case-insensitive) of new anticancer therapy when CM has CMCAT."""


class Endpoint(_Frozen):
    """An endpoint and its analysis."""

    id: str
    label: str
    type: EndpointType
    categories: tuple[str, ...] = ()
    timepoint: str = "best"
    ci_method: CIMethod = "clopper-pearson"
    conf_level: float = Field(default=0.95, gt=0, lt=1)
    test: str | None = None
    strata: tuple[str, ...] = ()
    subgroups: tuple[str, ...] = ()
    options: dict[str, Any] = Field(default_factory=dict)
    assumed: str | None = None


class PublishedFigure(_Frozen):
    """A figure the trial published, for the report's published-vs-computed table.

    How it is compared (``docs/decisions/0745-published-figure-comparison.md``):

    * ``digits``: decimals printed, in the figure's ``unit`` ("68%" as a proportion 0.68: 2;
      "16 months": 0; "P = .001": 3; "nearly 30%" as a percent: -1, i.e. tens); the computed value
      must round to the printed one, and a ``ci`` must round to the printed interval;
    * ``count`` figures compare exactly; ``denominator`` is the printed n of "95/302";
    * ``relation``: ``equals`` (default, the rounding rule), ``nearly`` (below the value but
      rounding to it at ``digits``), ``greater_than``/``less_than`` (strict: "more than half");
    * ``terms`` (unit ``terms``): named AE terms that must be the commonest ones;
    * ``among``: a best-response category; endpoints ``ALIVE``, ``PROGRESSED`` and
      ``FIRST_RESPONSE`` (with ``window_months``: whole months of treatment, upper None = open)
      count patients of that category (e.g. "7 of 8 CR patients are alive");
    * ``not_computed``: why the pipeline does not compute it (shown, never judged);
    * ``precision``: legacy absolute tolerance, used only without ``digits``.
    """

    endpoint: str
    label: str
    value: float | None = None
    unit: Literal["proportion", "months", "hazard_ratio", "p_value", "count", "percent", "terms"]
    arm: str | None = None
    ci: tuple[float, float] | None = None
    digits: int | None = Field(default=None, ge=-3, le=6)
    precision: float | None = None
    denominator: int | None = Field(default=None, gt=0)
    relation: Literal["equals", "nearly", "greater_than", "less_than"] = "equals"
    terms: tuple[str, ...] = ()
    among: str | None = None
    window_months: tuple[float, float | None] | None = None
    not_computed: str | None = None
    replication: str | None = None
    """Why simulated data do not reproduce this figure in every seed (``plasmatrial replicate``
    measured below 90 %), shown under the report's published-vs-computed table."""
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> PublishedFigure:
        if self.unit == "terms":
            if not self.terms:
                raise ValueError(f"published figure {self.endpoint}: unit 'terms' needs terms")
        elif self.value is None:
            raise ValueError(f"published figure {self.endpoint}: value is required")
        if self.relation == "nearly" and self.digits is None:
            raise ValueError(f"published figure {self.endpoint}: relation 'nearly' needs digits")
        if self.denominator is not None and self.unit != "count":
            raise ValueError(f"published figure {self.endpoint}: denominator needs unit 'count'")
        return self


class Trial(_Frozen):
    """A validated trial definition."""

    id: str
    title: str
    disease: Disease
    phase: str = ""
    reference: str = ""
    randomised: bool = False
    n_planned: int = Field(gt=0)
    arms: tuple[Arm, ...]
    stratification: tuple[str, ...] = ()
    eligibility: tuple[str, ...] = ()
    eligibility_rule: str | None = None
    schedule: Schedule = Schedule()
    criteria: CriteriaChoice = CriteriaChoice()
    analysis: AnalysisOptions = AnalysisOptions()
    primary: tuple[Endpoint, ...]
    secondary: tuple[Endpoint, ...] = ()
    published: tuple[PublishedFigure, ...] = ()
    simulation: dict[str, Any] = Field(default_factory=dict)
    #: top-level values the source does not state (e.g. ``n_planned``) -> why they were chosen
    assumed: dict[str, str] = Field(default_factory=dict)

    @field_validator("arms")
    @classmethod
    def _unique_arms(cls, arms: tuple[Arm, ...]) -> tuple[Arm, ...]:
        codes = [a.code for a in arms]
        if len(set(codes)) != len(codes):
            raise ValueError(f"arm codes must be unique, got {codes}")
        if not arms:
            raise ValueError("at least one arm is required")
        return arms

    @model_validator(mode="after")
    def _cross_references(self) -> Trial:
        codes = {a.code for a in self.arms}
        for arm in self.arms:
            if arm.crossover_to is not None and arm.crossover_to not in codes:
                raise ValueError(f"arm {arm.code}: crossover_to '{arm.crossover_to}' is not an arm")
        for fig in self.published:
            if fig.arm is not None and fig.arm not in codes:
                raise ValueError(f"published figure {fig.endpoint}: unknown arm '{fig.arm}'")
        unknown = sorted(set(self.assumed) - set(type(self).model_fields))
        if unknown:
            raise ValueError(f"assumed: not fields of a trial: {unknown}")
        ids = [e.id for e in (*self.primary, *self.secondary)]
        if len(set(ids)) != len(ids):
            raise ValueError(f"endpoint ids must be unique, got {ids}")
        if self.randomised and len(self.arms) < 2:
            raise ValueError("a randomised trial needs at least two arms")
        return self

    def assumptions(self) -> tuple[tuple[str, str], ...]:
        """Every value marked ``assumed``: ``(where, reason)`` in file order."""
        out = [(k, v) for k, v in self.assumed.items()]
        for arm in self.arms:
            for d in arm.regimen:
                if d.assumed:
                    out.append((f"{arm.code} {d.drug} {d.dose:g} {d.unit}", d.assumed))
        if self.schedule.assumed:
            out.append(("schedule", self.schedule.assumed))
        out += [(f"endpoint {e.id}", e.assumed) for e in self.endpoints if e.assumed]
        return tuple(out)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """Primary then secondary endpoints."""
        return (*self.primary, *self.secondary)

    def allocation(self) -> dict[str, float]:
        """Allocation probability of each arm from the ratios."""
        total = sum(a.ratio for a in self.arms)
        return {a.code: a.ratio / total for a in self.arms}


def parse_trial(text: str, *, source: str = "<trial>") -> Trial:
    """Parse and validate a trial definition written in YAML.

    Parameters
    ----------
    text:
        The YAML document.
    source:
        File name used in error messages.

    Returns
    -------
    Trial
        The frozen, validated definition.

    Raises
    ------
    DesignError
        Listing every problem as ``source: location: message``.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DesignError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DesignError(f"{source}: expected a mapping at the top level")
    try:
        return Trial.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{source}: {'.'.join(str(p) for p in err['loc']) or '<top>'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise DesignError(
            f"{len(lines)} problem(s) in trial definition\n" + "\n".join(lines)
        ) from None
