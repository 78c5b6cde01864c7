"""A patient's exposure and adverse events for the patient page (decision 1005).

Read from the data version's own files (EX, AE, DM's arm), which never change once accepted
(read-only, in a folder named by their hash), so each version is read once per server process and
kept (a few versions, :data:`CACHED_VERSIONS`). Dose reductions and interruptions are those of
:func:`plasmatrial.endpoints.exposure.derive_dose_changes` with the subject's arm's planned
schedule from the study's trial file; nothing here decides them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from plasmatrial.design.protocol import parse_trial
from plasmatrial.endpoints.exposure import PlannedDose, derive_dose_changes
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.io import read_table
from plasmatrial.intake.readers import read_domain
from plasmatrial.web.timeline import AdverseEvent, DosePeriod

#: Data versions whose events one server process keeps in memory.
CACHED_VERSIONS: Final = 8


@dataclass(frozen=True, slots=True)
class PatientEvents:
    """A subject's dosing periods and adverse events (empty when the domain was not uploaded,
    or could not be read: ``problem`` says why)."""

    doses: tuple[DosePeriod, ...]
    events: tuple[AdverseEvent, ...]
    has_ex: bool
    has_ae: bool
    problem: str | None = None


def patient_events(folder: str, files_json: str, trial_yaml: str, usubjid: str) -> PatientEvents:
    """The subject's exposure periods and adverse events in a data version (``folder`` and its
    ``files`` JSON) of a study (its trial file's text gives the planned schedules)."""
    doses, events, has_ex, has_ae, problem = _version_events(folder, files_json, trial_yaml)
    return PatientEvents(
        doses.get(usubjid, ()), events.get(usubjid, ()), has_ex, has_ae, problem
    )


def _stored(folder: str, files: Mapping[str, Mapping[str, object]], domain: str) -> Path | None:
    entry = files.get(domain)
    return None if entry is None else Path(folder) / str(entry["stored"])


_Events = tuple[
    dict[str, tuple[DosePeriod, ...]], dict[str, tuple[AdverseEvent, ...]], bool, bool, str | None
]


@functools.lru_cache(maxsize=CACHED_VERSIONS)
def _version_events(folder: str, files_json: str, trial_yaml: str) -> _Events:
    files = json.loads(files_json)
    ex_path, ae_path, dm_path = (_stored(folder, files, d) for d in ("EX", "AE", "DM"))
    doses: dict[str, tuple[DosePeriod, ...]] = {}
    events: dict[str, tuple[AdverseEvent, ...]] = {}
    problems = []
    try:  # EX and DM may be XPT: the SDTM reader reads every format the upload accepts
        if ex_path is not None:
            arms = _subject_arms(dm_path)
            doses = _dose_periods(read_domain(ex_path, "EX"), arms, _plans(trial_yaml))
    except (PlasmatrialError, pl.exceptions.PolarsError) as exc:
        problems.append(f"exposure could not be read: {exc}")
    try:
        if ae_path is not None:
            events = _adverse_events(read_table(ae_path))
    except (PlasmatrialError, pl.exceptions.PolarsError) as exc:
        problems.append(f"adverse events could not be read: {exc}")
    problem = "; ".join(problems) or None
    return doses, events, ex_path is not None, ae_path is not None, problem


def _plans(trial_yaml: str) -> dict[str, tuple[PlannedDose, ...]]:
    """Planned schedules per arm, by arm code and by arm name (upper case)."""
    try:
        trial = parse_trial(trial_yaml, source="study trial file")
    except PlasmatrialError:  # pragma: no cover - the study was created from a valid file
        return {}
    out: dict[str, tuple[PlannedDose, ...]] = {}
    for arm in trial.arms:
        plan = tuple(d.planned() for d in arm.regimen)
        out[arm.code.upper()] = out[arm.name.upper()] = plan
    return out


def _subject_arms(dm_path: Path | None) -> dict[str, str]:
    if dm_path is None:
        return {}
    dm = read_domain(dm_path, "DM")
    col = next((c for c in ("ACTARMCD", "ARMCD", "ARM") if c in dm.columns), None)
    if col is None or "USUBJID" not in dm.columns:
        return {}
    pairs = dm.select(pl.col("USUBJID").cast(pl.String), pl.col(col).cast(pl.String).str.to_uppercase())
    return {str(u): str(a) for u, a in pairs.iter_rows() if a is not None}


def _dose_periods(
    ex: pl.DataFrame, arms: Mapping[str, str], plans: Mapping[str, tuple[PlannedDose, ...]]
) -> dict[str, tuple[DosePeriod, ...]]:
    """Per subject: runs of records of one drug at one dose with no interruption between them."""
    ex = ex.with_columns(pl.col("USUBJID").cast(pl.String))
    arm = pl.col("USUBJID").replace_strict(dict(arms), default=None, return_dtype=pl.String)
    ex = ex.with_columns(arm.alias("_ARM"))
    frames = []
    for key, part in ex.group_by("_ARM"):
        frames.append(derive_dose_changes(part.drop("_ARM"), planned=plans.get(str(key[0]), ())))
    if not frames:
        return {}
    flagged = pl.concat(frames, how="vertical_relaxed").sort("USUBJID", "EXTRT", "ASTDT")
    out: dict[str, list[DosePeriod]] = {}
    current: dict[str, object] | None = None
    for r in flagged.iter_rows(named=True):
        same = (
            current is not None and current["subject"] == r["USUBJID"]
            and current["drug"] == r["EXTRT"] and current["dose"] == r["EXDOSE"]
            and r["INTRPFL"] != "Y"
        )
        if same and current is not None:
            current["end"] = max(str(current["end"]), str(r["AENDT"]))
            current["records"] = int(str(current["records"])) + 1
            continue
        if current is not None:
            out.setdefault(str(current.pop("subject")), []).append(DosePeriod(**current))  # type: ignore[arg-type]
        prev = r["PREVDOSE"]
        change = None
        if prev is not None and r["EXDOSE"] is not None and r["EXDOSE"] != prev:
            change = "reduced" if r["REDUCFL"] == "Y" else "increased"
        current = {
            "subject": r["USUBJID"], "drug": str(r["EXTRT"]), "dose": r["EXDOSE"],
            "unit": r["EXDOSU"], "start": str(r["ASTDT"]), "end": str(r["AENDT"]),
            "records": 1, "change": change, "interrupted": r["INTRPFL"] == "Y",
            "gap_days": r["GAPDAYS"],
        }
    if current is not None:
        out.setdefault(str(current.pop("subject")), []).append(DosePeriod(**current))  # type: ignore[arg-type]
    return {k: tuple(sorted(v, key=lambda p: (p.drug, p.start))) for k, v in out.items()}


def _text(frame: pl.DataFrame, *names: str) -> pl.Expr:
    col = next((c for c in names if c in frame.columns), None)
    return pl.lit(None, pl.String) if col is None else pl.col(col).cast(pl.String)


def _adverse_events(ae: pl.DataFrame) -> dict[str, tuple[AdverseEvent, ...]]:
    rows = ae.select(
        pl.col("USUBJID").cast(pl.String),
        pl.coalesce(_text(ae, "AEDECOD"), _text(ae, "AETERM"), pl.lit("(no term)")).alias("term"),
        _text(ae, "AETOXGR").cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)
        .alias("grade"),
        _text(ae, "AESTDTC").str.slice(0, 10).alias("start"),
        _text(ae, "AEENDTC").str.slice(0, 10).alias("end"),
        (_text(ae, "AESER").str.to_uppercase() == "Y").fill_null(value=False).alias("serious"),
        _text(ae, "AEACN").alias("action"),
    ).sort("USUBJID", "start", nulls_last=True)
    out: dict[str, list[AdverseEvent]] = {}
    for r in rows.iter_rows(named=True):
        subject = r.pop("USUBJID")
        out.setdefault(str(subject), []).append(AdverseEvent(**r))
    return {k: tuple(v) for k, v in out.items()}


#: Baseline details respond gives (and DM's organ flags), grouped and named for the page.
BASELINE_GROUPS: Final[tuple[tuple[str, dict[str, str]], ...]] = (
    ("Stage at baseline", {
        "MAYO2004": "Mayo 2004 (cardiac)", "MAYO2012": "Mayo 2012", "BU2019": "Boston University 2019",
        "RENSTG": "Renal stage (Palladini 2014)", "ISS": "ISS", "RISS": "R-ISS", "R2ISS": "R2-ISS",
    }),
    ("Organ involvement", {
        "HEARTFL": "Heart", "KIDNEYFL": "Kidney", "LIVERFL": "Liver",
    }),
    ("Disease at baseline", {
        "INVLC": "Involved light chain", "INVLC_INFERRED": "Involved chain inferred",
        "DFLC": "dFLC (mg/L)", "ARM": "Arm",
    }),
)
FLAG_WORDS: Final[dict[str, str]] = {"Y": "involved", "N": "not involved"}


def baseline_sections(details: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The baseline details as named groups of (label, code, value); anything not named goes to
    "Other details" under its code. Organ flags read "involved" / "not involved"."""
    out: list[tuple[str, list[tuple[str, str, str]]]] = []
    used: set[str] = set()
    for title, names in BASELINE_GROUPS:
        rows = []
        for code, label in names.items():
            if code in details:
                value = details[code]
                if code.endswith("FL"):
                    value = FLAG_WORDS.get(value.upper(), value)
                rows.append((label, code, value))
                used.add(code)
        if rows:
            out.append((title, rows))
    rest = [(k, k, v) for k, v in sorted(details.items()) if k not in used]
    if rest:
        out.append(("Other details", rest))
    return out
