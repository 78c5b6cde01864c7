"""The single-patient calculator: typed baseline and follow-up values -> the AL or IMWG call.

The values become a one-subject DM and LB, validated and adjudicated by the public API
(:func:`plasmatrial.api.read_sdtm`, :func:`plasmatrial.api.respond`): the same checks, unit
conversions and rules as a study. Nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from plasmatrial import api
from plasmatrial.errors import IntakeError, PlasmatrialError
from plasmatrial.intake.analytes import ANALYTE_BY_CODE
from plasmatrial.web.forms import DM_EXTRAS, FIELDS, as_disease
from plasmatrial.web.services import ProblemRow

#: Assessments: baseline, the one to call, an optional later one (IMWG confirmation).
VISITS: Final[tuple[str, ...]] = ("baseline", "current", "next")
IFE_CHOICES: Final[tuple[str, ...]] = ("", "NEGATIVE", "POSITIVE")
SUBJECT: Final = "PATIENT"


@dataclass(frozen=True, slots=True)
class Field:
    """One analyte row of the form: code, name, accepted units (canonical first), text result?"""

    code: str
    name: str
    units: tuple[str, ...]
    is_text: bool


@dataclass(frozen=True, slots=True)
class CalculatorOutcome:  # a page's view model, not a library result (no ResultMixin)
    """The calls of the follow-up visits, or the problems that stopped them."""

    calls: tuple[dict[str, object], ...]
    problems: tuple[ProblemRow, ...]
    rule_set: str | None = None
    version: str | None = None


def fields(disease: str) -> list[Field]:
    """The form rows of ``disease`` with the units the intake accepts."""
    out = []
    for code in FIELDS[as_disease(disease)]:
        a = ANALYTE_BY_CODE[code]
        units = tuple(dict.fromkeys([a.unit, *a.conversions])) if a.unit else ()
        out.append(Field(code, a.name, units, a.kind == "character"))
    return out


def _date(form: Mapping[str, str], visit: str, default: dt.date) -> str:
    text = (form.get(f"date_{visit}") or "").strip()
    return text or default.isoformat()


def calculate(disease: str, form: Mapping[str, str]) -> CalculatorOutcome:
    """Validate and adjudicate the typed values (``{CODE}_{visit}``, ``{CODE}_unit``, dates,
    ``age``, ``sex`` and, for AL, ``invlc`` and the organ flags)."""
    try:
        code = as_disease(disease)
    except ValueError as exc:
        raise PlasmatrialError(str(exc)) from None
    base = dt.date(2024, 1, 1)
    dates = {
        "baseline": _date(form, "baseline", base),
        "current": _date(form, "current", base + dt.timedelta(days=90)),
        "next": _date(form, "next", base + dt.timedelta(days=120)),
    }
    dm = {
        "STUDYID": ["CALCULATOR"],
        "USUBJID": [SUBJECT],
        "RFSTDTC": [dates["baseline"]],
        "AGE": [form.get("age") or "60"],
        "SEX": [form.get("sex") or "F"],
    }
    for column, default in DM_EXTRAS[code].items():
        dm[column] = [form.get(column.lower()) or default]
    rows: list[dict[str, object]] = []
    for f in fields(disease):
        for i, visit in enumerate(VISITS, start=1):
            value = (form.get(f"{f.code}_{visit}") or "").strip()
            if not value:
                continue
            rows.append(
                {
                    "USUBJID": SUBJECT,
                    "LBTESTCD": f.code,
                    "LBORRES": value,
                    "LBORRESU": None if f.is_text else (form.get(f"{f.code}_unit") or f.units[0]),
                    "LBDTC": dates[visit],
                    "VISIT": visit.upper(),
                    "VISITNUM": i,
                }
            )
    if not rows:
        return CalculatorOutcome(
            (), (ProblemRow("form", None, None, None, "some values", "empty"),)
        )
    lb = pl.DataFrame(rows, schema_overrides={"LBORRESU": pl.String, "AGE": pl.String})
    try:
        bundle = api.read_sdtm(pl.DataFrame(dm), lb)
        res = api.respond(bundle, disease=code)
    except IntakeError as exc:
        return CalculatorOutcome((), tuple(_problem(p.as_dict()) for p in exc.problems))
    except PlasmatrialError as exc:
        return CalculatorOutcome((), (ProblemRow("form", None, None, None, None, str(exc)),))
    calls = tuple(
        {k: r.get(k) for k in ("ADT", "VISIT", "PARAMCD", "AVALC", "RULEID", "EXPLAIN")}
        for r in res.visits.sort("ADT", maintain_order=True).iter_rows(named=True)
    )
    return CalculatorOutcome(calls, (), res.rule_set, res.version)


def _problem(d: Mapping[str, object]) -> ProblemRow:
    def text(key: str) -> str | None:
        return None if d.get(key) is None else str(d[key])

    row = d.get("row")
    return ProblemRow(
        text("file") or "form",
        None if row is None else int(str(row)),
        text("column"),
        text("value"),
        text("expected"),
        text("reason"),
    )
