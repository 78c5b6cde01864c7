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

import re
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from plasmatrial.design.endpoint_options import (
    MAX_MONTHS,
    OPTIONS_BY_TYPE,
    AdverseEventsOptions,
    EndpointOptions,
)
from plasmatrial.design.simulation import MAX_PATIENTS, Simulation
from plasmatrial.design.yaml_source import line_map, load_yaml, locate, one_line
from plasmatrial.endpoints.exposure import PlannedDose, planned_from_mapping
from plasmatrial.errors import DesignError

#: Longest treatment cycle, days.
MAX_CYCLE_DAYS: Final = 366
#: Highest cycle number a trial file may name (treatment cycles, dosing phases).
MAX_CYCLES: Final = 1_000
#: Longest interval in days a trial file may name (confirmation, SD minimum).
MAX_DAYS: Final = 3_660
#: Largest allocation ratio of an arm.
MAX_RATIO: Final = 100

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


Months = Annotated[float, Strict(), Field(gt=0, le=MAX_MONTHS)]
SFloat = Annotated[float, Strict()]


def _as_tuple(v: object) -> object:
    return tuple(v) if isinstance(v, list) else v


OptionValue = StrictStr | StrictBool | StrictInt | StrictFloat


class _Frozen(BaseModel):
    # strict: no coercion (``true`` is not 1, ``'no'`` is not false); finite floats only; lists
    # are accepted for tuples field by field (``Field(strict=False)``, items stay strict).
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def _day_problems(days: str | list[int], cycle_days: int) -> list[str]:
    """Problems of a ``days`` value: syntax, and every day within ``1..cycle_days`` (checked on
    the range bounds, never by expanding a range)."""
    bounds: list[tuple[int, int]] = []
    if isinstance(days, str):
        for part in days.split(","):
            lo, dash, hi = part.strip().partition("-")
            if not (lo.strip().isdigit() and (not dash or hi.strip().isdigit())):
                return [f"days '{days}': expected days and ranges such as '1-21' or '1,8,15,22'"]
            a, b = int(lo), int(hi) if dash else int(lo)
            if a > b:
                return [f"days '{days}': range {a}-{b} is reversed"]
            bounds.append((a, b))
    else:
        bounds = [(d, d) for d in days]
    bad = [f"{a}-{b}" if a != b else str(a) for a, b in bounds if a < 1 or b > cycle_days]
    if bad:
        return [f"days {', '.join(bad)} outside the {cycle_days}-day cycle (1-{cycle_days})"]
    return []


class DosePhase(_Frozen):
    """Dosing days of the cycles ``cycles`` (``"1-2"``, ``"3-6"``, ``"7-"``: cycle 7 onwards)."""

    cycles: str = Field(pattern=r"^\s*\d{1,4}\s*(-\s*\d{0,4}\s*)?$")
    days: str | list[StrictInt]


class DrugSchedule(_Frozen):
    """One drug of a regimen: dose on each of ``days`` of every ``cycle_days``-day cycle.

    ``phases`` give cycle-dependent days (e.g. daratumumab: weekly in cycles 1-2, every two weeks
    in cycles 3-6, every four weeks after); cycles no phase covers use ``days``. ``assumed``
    says why a value not stated by the trial's source was chosen (listed by the report).
    """

    drug: str
    dose: float = Field(gt=0)
    unit: str = "mg"
    cycle_days: int = Field(default=28, gt=0, le=MAX_CYCLE_DAYS)
    days: str | list[StrictInt] = "1-28"
    route: str = "oral"
    phases: tuple[DosePhase, ...] = Field(default=(), strict=False, max_length=MAX_CYCLES)
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

    @field_validator("days")
    @classmethod
    def _days_in_cycle(cls, days: str | list[int], info: ValidationInfo) -> str | list[int]:
        cycle = info.data.get("cycle_days")  # absent when cycle_days itself is invalid
        problems = _day_problems(days, cycle) if isinstance(cycle, int) else []
        if problems:
            raise ValueError("; ".join(problems))
        return days

    @field_validator("phases")
    @classmethod
    def _phase_days_in_cycle(
        cls, phases: tuple[DosePhase, ...], info: ValidationInfo
    ) -> tuple[DosePhase, ...]:
        cycle = info.data.get("cycle_days")
        problems = [
            f"phases.{i}.{p}"
            for i, ph in enumerate(phases)
            for p in (_day_problems(ph.days, cycle) if isinstance(cycle, int) else [])
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return phases


class Arm(_Frozen):
    """A treatment arm."""

    code: str
    name: str
    ratio: int = Field(default=1, ge=1, le=MAX_RATIO)
    regimen: tuple[DrugSchedule, ...] = Field(strict=False, max_length=100)
    crossover_to: str | None = None


class Schedule(_Frozen):
    """Schedule of disease assessments (``assumed``: why, when the source does not state it)."""

    cycle_days: int = Field(default=28, gt=0, le=MAX_CYCLE_DAYS)
    treatment_cycles: int | None = Field(default=None, ge=1, le=MAX_CYCLES)
    assess_every_cycles: int = Field(default=1, ge=1, le=MAX_CYCLES)
    followup_every_months: Months = 3.0
    followup_months: Months = 36.0
    accrual_months: Months = 12.0
    assumed: str | None = None


class CriteriaChoice(_Frozen):
    """Rule sets by registry name (``plasmatrial criteria list``)."""

    hematologic: str | None = None
    progression: str | None = None
    cardiac: str | None = None
    renal: str | None = None
    response: str | None = None
    options: dict[str, OptionValue] = Field(default_factory=dict)
    """Rule-set options (``plasmatrial criteria show NAME``), checked by the rule set's typed
    options when the criteria are resolved."""


class ConfirmationChoice(_Frozen):
    """Confirmation of myeloma responses (sap.md section 2; DEFAULTs criteria.md 4.4)."""

    min_days: int = Field(default=0, ge=0, le=MAX_DAYS)
    """Minimum days between a response and its confirming assessment."""
    max_ne_between: int | None = Field(default=None, ge=0, le=100)
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
    sd_min_days: int = Field(default=0, ge=0, le=MAX_DAYS)
    """SD (myeloma) or NR (AL) counts for best response only from this many days after the
    start."""
    new_therapy: Literal["exclude", "include"] = "exclude"
    """``exclude`` (DEFAULT): assessments on or after the start of new anticancer therapy do not
    count for best response or time to response; ``include`` is a sensitivity analysis."""
    new_therapy_categories: tuple[str, ...] = Field(default=NEW_THERAPY_CATEGORIES, strict=False)
    """CMCAT values (case-insensitive) of new anticancer therapy when CM has CMCAT."""


class Endpoint(_Frozen):
    """An endpoint and its analysis.

    ``options`` are typed by ``type`` (:mod:`plasmatrial.design.endpoint_options`, decision
    0747): a mapping in the file, the options model of the endpoint's type once validated.
    """

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
    label: str
    type: EndpointType
    categories: tuple[str, ...] = Field(default=(), strict=False)
    timepoint: str = Field(default="best", pattern=r"(?i)^\s*(best|cycle\s+\d{1,4})\s*$")
    ci_method: CIMethod = "clopper-pearson"
    conf_level: float = Field(default=0.95, gt=0, lt=1)
    test: str | None = None
    strata: tuple[str, ...] = Field(default=(), strict=False)
    subgroups: tuple[str, ...] = Field(default=(), strict=False)
    options: EndpointOptions = Field(default_factory=AdverseEventsOptions)
    """Set from the file's mapping by :meth:`_typed_options` (never this default)."""
    assumed: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _typed_options(cls, data: Any) -> Any:
        """Tag the ``options`` mapping with the endpoint type (the union's discriminator)."""
        if not isinstance(data, dict):
            return data
        kind, raw = data.get("type"), data.get("options")
        if not isinstance(kind, str) or kind not in OPTIONS_BY_TYPE:
            return {k: v for k, v in data.items() if k != "options"}  # only ``type`` is wrong
        if raw is None:
            raw = {}
        if isinstance(raw, dict):
            raw = {k: v for k, v in raw.items() if k != "type"} | {"type": kind}
            if "type" in (data.get("options") or {}):
                raw["type"] = "type is not an option"  # reported as a bad tag
        return {**data, "options": raw}


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
    value: float | None = Field(default=None, ge=-1e9, le=1e9)
    unit: Literal["proportion", "months", "hazard_ratio", "p_value", "count", "percent", "terms"]
    arm: str | None = None
    ci: Annotated[tuple[SFloat, SFloat] | None, BeforeValidator(_as_tuple)] = None
    digits: int | None = Field(default=None, ge=-3, le=6)
    precision: float | None = None
    denominator: int | None = Field(default=None, gt=0)
    relation: Literal["equals", "nearly", "greater_than", "less_than"] = "equals"
    terms: tuple[str, ...] = Field(default=(), strict=False)
    among: str | None = None
    window_months: Annotated[tuple[SFloat, SFloat | None] | None, BeforeValidator(_as_tuple)] = None
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
    n_planned: int = Field(gt=0, le=MAX_PATIENTS)
    arms: tuple[Arm, ...] = Field(strict=False, max_length=20)
    stratification: tuple[str, ...] = Field(default=(), strict=False)
    eligibility: tuple[str, ...] = Field(default=(), strict=False)
    eligibility_rule: str | None = None
    schedule: Schedule = Schedule()
    criteria: CriteriaChoice = CriteriaChoice()
    analysis: AnalysisOptions = AnalysisOptions()
    primary: tuple[Endpoint, ...] = Field(strict=False, max_length=200)
    secondary: tuple[Endpoint, ...] = Field(default=(), strict=False, max_length=200)
    published: tuple[PublishedFigure, ...] = Field(default=(), strict=False, max_length=1000)
    #: the generators' calibration targets (:class:`~plasmatrial.design.simulation.Simulation`,
    #: decision 0620); the analysis never reads it
    simulation: Simulation = Simulation()
    #: top-level values the source does not state (e.g. ``n_planned``) -> why they were chosen
    assumed: dict[str, str] = Field(default_factory=dict)
    _source: str = PrivateAttr(default="<trial>")
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    def where(self, *loc: str | int) -> str:
        """``file: path (line N)`` of a location in the trial file, for errors found after
        parsing (the line when the trial came from :func:`parse_trial`)."""
        path = ".".join(map(str, loc))
        line = self._lines.get(path)
        return f"{self._source}: {path}" + (f" (line {line})" if line else "")

    def variables(self) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        """Every ADSL variable the trial names (stratification, endpoint strata and subgroups)
        with its location."""
        out: list[tuple[tuple[str | int, ...], str]] = [
            (("stratification", k), v) for k, v in enumerate(self.stratification)
        ]
        for section in ("primary", "secondary"):
            for i, ep in enumerate(getattr(self, section)):
                for field in ("strata", "subgroups"):
                    out += [((section, i, field, k), v) for k, v in enumerate(getattr(ep, field))]
        return tuple(out)

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
    def _cross_references(self, info: ValidationInfo) -> Trial:
        if isinstance(info.context, dict) and info.context.get("cross_checks") == "deferred":
            return self  # parse_trial runs them to give each problem its line
        problems = cross_check(self)
        if problems:
            raise ValueError("; ".join(f"{'.'.join(map(str, loc))}: {m}" for loc, m in problems))
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


Loc = tuple[str | int, ...]
#: Published ids that are not endpoint ids (rules 4 and 8 of :mod:`plasmatrial.trial.compare`).
SPECIAL_FIGURES: Final = ("AE_DISC", "ALIVE", "PROGRESSED", "FIRST_RESPONSE")
AMONG_FIGURES: Final = ("ALIVE", "PROGRESSED", "FIRST_RESPONSE")
#: Suffixes of figures derived from an endpoint's result, by the endpoint types that give them.
DERIVED_SUFFIXES: Final = {
    "_BY_RESPONSE": ("time_to_event", "duration_of_response"),
    "_FOLLOWUP": ("time_to_event", "duration_of_response"),
    "_GR3": ("adverse_events",),
    "_GR34_TERMS": ("adverse_events",),
}
_VARIABLE: Final = r"^[A-Za-z][A-Za-z0-9_]{0,31}$"


def response_categories(disease: Disease) -> tuple[str, ...]:
    """Best-response categories of the response scale of the disease's DEFAULT rule set
    (``RuleSet.response``, decision 0260)."""
    from plasmatrial.criteria.core.registry import default_rule_set, get_rule_set

    scale = get_rule_set(default_rule_set(disease)).response_spec().scale
    return (*scale.ranking, scale.progression, scale.not_evaluable)


def _figure_ids(trial: Trial) -> set[str]:
    ids = set(SPECIAL_FIGURES)
    for ep in trial.endpoints:
        ids.add(ep.id)
        ids.update(f"{ep.id}_{sg}" for sg in ep.subgroups)
        ids.update(f"{ep.id}{sfx}" for sfx, kinds in DERIVED_SUFFIXES.items() if ep.type in kinds)
    return ids


def _endpoint_problems(trial: Trial) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    cats = response_categories(trial.disease)
    seen: set[str] = set()
    for section in ("primary", "secondary"):
        eps: tuple[Endpoint, ...] = getattr(trial, section)
        for i, ep in enumerate(eps):
            if ep.id in seen:
                out.append(((section, i, "id"), f"endpoint id '{ep.id}' is used twice"))
            seen.add(ep.id)
            if ep.categories and ep.type != "response_rate":
                out.append(((section, i, "categories"), f"a {ep.type} endpoint has no categories"))
            for k, c in enumerate(ep.categories):
                if c not in cats:
                    out.append(
                        (
                            (section, i, "categories", k),
                            f"'{c}' is not a response category of {trial.disease} "
                            f"({', '.join(cats)})",
                        )
                    )
            for field in ("strata", "subgroups"):
                for k, v in enumerate(getattr(ep, field)):
                    if not re.match(_VARIABLE, v):
                        out.append(((section, i, field, k), f"'{v}' is not a variable name"))
    return out


def _published_problems(trial: Trial) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    codes = {a.code for a in trial.arms}
    cats = response_categories(trial.disease)
    ids = _figure_ids(trial)
    for j, fig in enumerate(trial.published):
        if fig.arm is not None and fig.arm not in codes:
            out.append((("published", j, "arm"), f"unknown arm '{fig.arm}'"))
        if fig.among is not None and fig.among not in cats:
            out.append(
                (
                    ("published", j, "among"),
                    f"'{fig.among}' is not a response category of {trial.disease}",
                )
            )
        if (fig.endpoint in AMONG_FIGURES) != (fig.among is not None) and not fig.not_computed:
            out.append(
                (
                    ("published", j, "among"),
                    f"{', '.join(AMONG_FIGURES)} figures, and only they, need 'among'",
                )
            )
        if fig.endpoint not in ids and not fig.not_computed:
            out.append(
                (
                    ("published", j, "endpoint"),
                    f"'{fig.endpoint}' is no endpoint of the trial nor a figure derived from "
                    "one (<ENDPOINT>, <ENDPOINT>_<SUBGROUP>, <TTE>_BY_RESPONSE, <TTE>_FOLLOWUP, "
                    "<AE>_GR3, <AE>_GR34_TERMS, AE_DISC, ALIVE, PROGRESSED, FIRST_RESPONSE); "
                    "set not_computed for a figure the pipeline does not compute",
                )
            )
    return out


def cross_check(trial: Trial) -> list[tuple[Loc, str]]:
    """Problems between parts of a trial: arms, endpoint ids, categories, published figures,
    ``assumed`` keys and generator sizes, each with its location (decision 0747)."""
    out: list[tuple[Loc, str]] = []
    codes = {a.code for a in trial.arms}
    for i, arm in enumerate(trial.arms):
        if arm.crossover_to is not None and arm.crossover_to not in codes:
            out.append((("arms", i, "crossover_to"), f"'{arm.crossover_to}' is not an arm"))
    for key in sorted(set(trial.assumed) - set(type(trial).model_fields)):
        out.append((("assumed", key), "not a field of a trial"))
    if trial.randomised and len(trial.arms) < 2:
        out.append((("randomised",), "a randomised trial needs at least two arms"))
    for k, v in enumerate(trial.stratification):
        if not re.match(_VARIABLE, v):
            out.append((("stratification", k), f"'{v}' is not a variable name"))
    return out + _endpoint_problems(trial) + _published_problems(trial)


_TAGS: Final = frozenset(OPTIONS_BY_TYPE)


#: Union members pydantic names in an error location (``days.str``, ``days.list[int]``).
_MEMBER: Final = re.compile(r"^(str|int|float|bool|none|[a-z-]+\[.*\])$")


def _problem(source: str, root: Any, loc: Loc, msg: str) -> str:
    loc = tuple(p for p in loc if not (isinstance(p, str) and _MEMBER.match(p)))
    where, line = locate(root, loc, tags=_TAGS)
    text = f"{source}: {where}" + (f" (line {line})" if line else "") + f": {msg}"
    return one_line(text)


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "union_tag_invalid":
        return "'type' is not an option"
    msg = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    if err["type"] != "missing" and isinstance(value, str | int | float | bool | None):
        msg += f" (got {value!r:.60})"
    return msg


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
        Listing every problem as ``source: location (line N): message``.
    """
    data, root = load_yaml(text, source=source)
    if not isinstance(data, dict):
        raise DesignError(f"{source}: expected a mapping at the top level")
    try:
        trial = Trial.model_validate(data, context={"cross_checks": "deferred"})
    except ValidationError as exc:
        lines = [_problem(source, root, err["loc"], _message(err)) for err in exc.errors()]
        lines = list(dict.fromkeys(lines))
    else:
        lines = [_problem(source, root, loc, msg) for loc, msg in cross_check(trial)]
        if not lines:
            trial._source, trial._lines = source, line_map(root)
            return trial
    raise DesignError(f"{len(lines)} problem(s) in trial definition\n" + "\n".join(lines))
