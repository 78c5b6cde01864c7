"""Typed rule-set options: one pydantic model per rule-set family (decision 0748).

A rule-set builder validates its options through its model (``extra="forbid"``, strict types,
finite numbers), so an unknown option, a value outside its choices or a number given as text is a
:class:`~plasmatrial.errors.RuleError` naming every bad option at once, in the words the builders
have always used (``option cr_variant: 'X' is not one of ...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from plasmatrial.errors import RuleError

M = TypeVar("M", bound="RuleSetOptions")


class RuleSetOptions(BaseModel):
    """Base of the typed options of a rule set (frozen, strict, unknown keys refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def _choices(model: type[RuleSetOptions], name: str) -> tuple[str, ...]:
    field = model.model_fields.get(name)
    return tuple(str(a) for a in get_args(field.annotation)) if field is not None else ()


def _describe(model: type[RuleSetOptions], err: Any) -> str:
    name = ".".join(str(p) for p in err["loc"])
    val = err.get("input")
    if err["type"] == "extra_forbidden":
        return f"option {name}: unknown option; valid options: {', '.join(model.model_fields)}"
    if err["type"] == "literal_error":
        return f"option {name}: {val!r} is not one of {', '.join(_choices(model, name))}"
    if err["type"] == "bool_type":
        return f"option {name}: expected true/false, got {val!r}"
    if err["type"] in ("float_type", "finite_number", "int_type"):
        return f"option {name}: expected a number, got {val!r}"
    return f"option {name}: {err['msg']}, got {val!r}"


def validate_options(model: type[M], options: Mapping[str, object]) -> M:
    """Validate rule-set options with ``model``.

    Raises
    ------
    RuleError
        Every unknown option and bad value, joined by ``"; "``.
    """
    try:
        return model.model_validate(dict(options))
    except ValidationError as exc:
        raise RuleError("; ".join(_describe(model, e) for e in exc.errors())) from None
