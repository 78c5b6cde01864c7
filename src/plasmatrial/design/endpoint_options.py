"""Typed ``options`` of every trial-file endpoint type (decision 0747).

Each endpoint ``type`` has one frozen pydantic model with ``extra="forbid"`` and strict types, so
a misspelt option (``landmark_by_respons_months``), a value of the wrong type (``organ: 1``) or
outside its range fails when the trial file is parsed, with its location in the file. Every field
states its DEFAULT; an endpoint without ``options`` gets the model's defaults.

:class:`~plasmatrial.design.protocol.Endpoint` validates its ``options`` mapping with the model of
its ``type`` (a discriminated union: the endpoint's ``type`` is copied into the options as the
hidden discriminator ``type``, excluded from dumps).
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator

from plasmatrial.criteria.mm.mrd import MRD_MIN_SENSITIVITY

#: Longest follow-up a trial file may name, months (100 years: a bound, not a clinical limit).
MAX_MONTHS: Final = 1200.0
#: Default tolerance after ``months`` for an MRD test date, days (as the cycle windows).
DEFAULT_WINDOW_DAYS: Final = 14
#: Default time points of the cumulative incidence of response, months.
DEFAULT_TTR_AT_MONTHS: Final = (1.0, 3.0, 6.0, 12.0)

Months = Annotated[float, Strict(), Field(gt=0, le=MAX_MONTHS)]
Population = Literal["ITT", "SAFETY", "EVALUABLE"]


class _Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def _upper(v: object) -> object:
    return v.strip().upper() if isinstance(v, str) else v


class ResponseRateOptions(_Options):
    """Options of a ``response_rate`` endpoint.

    Attributes
    ----------
    population:
        Denominator: ``ITT`` (DEFAULT, sap.md section 1), ``SAFETY`` or ``EVALUABLE``
        (a sensitivity analysis); case-insensitive.
    """

    type: Literal["response_rate"] = Field(default="response_rate", exclude=True, repr=False)
    population: Population = "ITT"

    _population = field_validator("population", mode="before")(_upper)


class SurvivalOptions(_Options):
    """Options shared by ``time_to_event`` and ``duration_of_response`` endpoints.

    Attributes
    ----------
    at_months:
        Kaplan-Meier survival reported at these months (DEFAULT none).
    landmark_by_response_months:
        Landmark analysis by response at this many months (DEFAULT none: not done).
    crossover_adjustment:
        ``rpsft``: RPSFT-adjusted effect for a crossover trial (DEFAULT none, decision 0732).
    """

    at_months: tuple[Months, ...] = Field(default=(), strict=False, max_length=24)
    landmark_by_response_months: Months | None = None
    crossover_adjustment: Literal["rpsft"] | None = None


class TimeToEventOptions(SurvivalOptions):
    """Options of a ``time_to_event`` endpoint (and those of :class:`SurvivalOptions`).

    Attributes
    ----------
    event:
        ``hematologic_progression_or_death`` or ``progression_or_death`` (analysed as PFS),
        ``death`` (OS); DEFAULT none: the parameter follows the endpoint id (PFS, TTP, TTNT,
        else OS).
    ttnt_death:
        Deaths that end time to next treatment: ``any``, ``due_to_pd`` or ``none`` (DEFAULT
        ``none``, decision 0733).
    """

    type: Literal["time_to_event"] = Field(default="time_to_event", exclude=True, repr=False)
    event: Literal["hematologic_progression_or_death", "progression_or_death", "death"] | None = (
        None
    )
    ttnt_death: Literal["any", "due_to_pd", "none"] | None = None


class DurationOfResponseOptions(SurvivalOptions):
    """Options of a ``duration_of_response`` endpoint (those of :class:`SurvivalOptions`)."""

    type: Literal["duration_of_response"] = Field(
        default="duration_of_response", exclude=True, repr=False
    )


class TimeToResponseOptions(_Options):
    """Options of a ``time_to_response`` endpoint.

    Attributes
    ----------
    organ:
        true: time to organ response (ADTTE ``TTCARR``); DEFAULT false: hematologic (``TTR``).
    at_months:
        Months at which the cumulative incidence of response is reported (DEFAULT 1, 3, 6, 12).
    """

    type: Literal["time_to_response"] = Field(default="time_to_response", exclude=True, repr=False)
    organ: bool = False
    at_months: tuple[Months, ...] = Field(
        default=DEFAULT_TTR_AT_MONTHS, strict=False, min_length=1, max_length=24
    )


class OrganResponseOptions(_Options):
    """Options of an ``organ_response`` endpoint.

    Attributes
    ----------
    organ:
        ``cardiac`` (DEFAULT), ``renal`` or ``liver``; case-insensitive.
    months:
        Only assessments up to ``months`` (plus the 14-day cycle window) count; DEFAULT none
        (any assessment).
    """

    type: Literal["organ_response"] = Field(default="organ_response", exclude=True, repr=False)
    organ: Literal["cardiac", "renal", "liver"] = "cardiac"
    months: Months | None = None

    @field_validator("organ", mode="before")
    @classmethod
    def _lower(cls, v: object) -> object:
        return v.strip().lower() if isinstance(v, str) else v


class MrdOptions(_Options):
    """Options of an ``mrd`` endpoint (decision 0505).

    Attributes
    ----------
    method:
        ``NGF`` or ``NGS``: only tests by that method count; ``ANY`` (DEFAULT): either.
    sensitivity:
        Minimum assay sensitivity as a fraction; a negative test must reach it (DEFAULT 1e-5,
        i.e. 1e-5 or more sensitive such as 1e-6).
    months:
        Assessment window: only tests on or before study day ``months x 30.4375 +
        window_days`` (from the time origin) count; DEFAULT none (any time).
    window_days:
        Tolerance after ``months`` (DEFAULT 14 days, as the cycle windows).
    population:
        Denominator: ``ITT`` (DEFAULT), ``SAFETY`` or ``EVALUABLE``.
    require_cr:
        MRD negativity counts only in CR/sCR (best response) (DEFAULT true, criteria.md 4.8).
    """

    type: Literal["mrd"] = Field(default="mrd", exclude=True, repr=False)
    method: Literal["NGF", "NGS", "ANY"] = "ANY"
    sensitivity: float = Field(default=MRD_MIN_SENSITIVITY, gt=0, lt=1)
    months: Months | None = None
    window_days: int = Field(default=DEFAULT_WINDOW_DAYS, ge=0, le=366)
    population: Population = "ITT"
    require_cr: bool = True

    _upper_choices = field_validator("method", "population", mode="before")(_upper)


class Eq5dOptions(_Options):
    """Options of an ``eq5d`` endpoint.

    Attributes
    ----------
    value_set:
        Value set the trial reports (``US``, ``England``, ``UK2026``); recorded for the reader,
        DEFAULT none (ADQS carries the US and England indices, decision 0500).
    """

    type: Literal["eq5d"] = Field(default="eq5d", exclude=True, repr=False)
    value_set: Literal["US", "England", "UK2026"] | None = None


class AdverseEventsOptions(_Options):
    """``adverse_events`` endpoints take no options."""

    type: Literal["adverse_events"] = Field(default="adverse_events", exclude=True, repr=False)


class DoseIntensityOptions(_Options):
    """``dose_intensity`` endpoints take no options."""

    type: Literal["dose_intensity"] = Field(default="dose_intensity", exclude=True, repr=False)


EndpointOptions = Annotated[
    ResponseRateOptions
    | TimeToEventOptions
    | TimeToResponseOptions
    | DurationOfResponseOptions
    | OrganResponseOptions
    | MrdOptions
    | Eq5dOptions
    | AdverseEventsOptions
    | DoseIntensityOptions,
    Field(discriminator="type"),
]
"""The options of an endpoint, by its ``type``."""

OPTIONS_BY_TYPE: Final[dict[str, type[_Options]]] = {
    "response_rate": ResponseRateOptions,
    "time_to_event": TimeToEventOptions,
    "time_to_response": TimeToResponseOptions,
    "duration_of_response": DurationOfResponseOptions,
    "organ_response": OrganResponseOptions,
    "mrd": MrdOptions,
    "eq5d": Eq5dOptions,
    "adverse_events": AdverseEventsOptions,
    "dose_intensity": DoseIntensityOptions,
}
"""The options model of each endpoint type."""
