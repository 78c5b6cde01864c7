"""Typed ``options`` of the endpoint types whose options this package validates.

``Endpoint.options`` is a free mapping in the trial file; an endpoint type listed here reads it
through a pydantic model, so an unknown key or a bad value is a clear error naming the endpoint
(checked in the pipeline's validate stage, before any derivation).
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from plasmatrial.criteria.mm_mrd import MRD_MIN_SENSITIVITY
from plasmatrial.design.protocol import Endpoint
from plasmatrial.errors import PlasmatrialError

#: Default tolerance after ``months`` for an MRD test date, days (as the cycle windows).
DEFAULT_WINDOW_DAYS: Final = 14


class MrdOptions(BaseModel):
    """Typed ``options`` of an ``mrd`` endpoint (unknown keys are errors).

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

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["NGF", "NGS", "ANY"] = "ANY"
    sensitivity: float = Field(default=MRD_MIN_SENSITIVITY, gt=0, lt=1)
    months: float | None = Field(default=None, gt=0)
    window_days: int = Field(default=DEFAULT_WINDOW_DAYS, ge=0)
    population: Literal["ITT", "SAFETY", "EVALUABLE"] = "ITT"
    require_cr: bool = True

    @field_validator("method", "population", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return v.strip().upper() if isinstance(v, str) else v


def mrd_options(endpoint: Endpoint) -> MrdOptions:
    """Validate the options of an ``mrd`` endpoint.

    Raises
    ------
    PlasmatrialError
        Unknown keys or invalid values, all listed with the endpoint id.
    """
    try:
        return MrdOptions.model_validate(endpoint.options)
    except ValidationError as exc:
        problems = "; ".join(
            f"options.{'.'.join(str(p) for p in e['loc'])}: "
            + ("unknown option" if e["type"] == "extra_forbidden" else e["msg"])
            for e in exc.errors()
        )
        allowed = ", ".join(MrdOptions.model_fields)
        raise PlasmatrialError(
            f"endpoint {endpoint.id} (mrd): {problems} (options: {allowed})"
        ) from None
