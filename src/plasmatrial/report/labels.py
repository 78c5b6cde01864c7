"""One dictionary of words for the report: ADaM variable labels and value decodes.

Every table header, row label, figure axis and legend of the report takes its words from here, so
a reader never sees a variable name (``ARMCD``, ``N_GR1_PLUS``, ``RDI_MEDIAN``) or a raw code
(``Y``/``N``, ``F``/``M``, ``>=75``). ``results.json`` and the ADaM files keep the codes.

Adverse-event and CTCAE terms are shown in one spelling, American (CTCAE v5.0 and MedDRA's US
English: "Anemia", "Edema peripheral"); :func:`ae_term` maps the British spellings the data may
carry (decision 0800).

>>> label("PCT_GR3_4")
'Grade 3–4'
>>> decode("AGEGR1", ">=75")
'≥75 years'
>>> subgroup_label("PRIORLEN", "Y")
'Prior lenalidomide: yes'
>>> ae_term("Anaemia"), ae_term("Oedema peripheral")
('Anemia', 'Edema peripheral')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final, Protocol

from plasmatrial.trial.derive import PRIOR_THERAPY_FLAGS


class _Arm(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


def _prior_labels() -> dict[str, str]:
    out: dict[str, str] = {}
    for drug, flag in PRIOR_THERAPY_FLAGS.items():
        out.setdefault(flag, f"Prior {drug.lower()}")
    out["PRIORASCT"] = "Prior autologous stem cell transplant"
    out["PRIORLGT2"] = "More than 2 prior lines of therapy"
    return out


#: ADaM / report variable name -> words (headers and row labels).
VARIABLE_LABELS: Final[Mapping[str, str]] = {
    # subject level
    "STUDYID": "Study",
    "USUBJID": "Subject",
    "SUBJID": "Subject",
    "SITEID": "Site",
    "ARMCD": "Arm",
    "ARM": "Arm",
    "TRT01P": "Planned treatment",
    "TRT01A": "Actual treatment",
    "AGE": "Age, years",
    "AGEGR1": "Age group",
    "AGEGT75": "Age over 75 years",
    "SEX": "Sex",
    "RACE": "Race",
    "INVLC": "Involved light chain",
    "HEMEVAL": "Hematologic evaluability",
    "MAYO2004": "Mayo 2004 stage",
    "MAYO2012": "Mayo 2012 stage",
    "BU2019": "Boston University (BNP) stage",
    "RENSTG": "Renal stage",
    "HEARTFL": "Heart involved",
    "KIDNEYFL": "Kidney involved",
    "REFRACT": "Refractory disease",
    "NPRLINES": "Prior lines of therapy",
    "BASEDFLC": "Baseline dFLC, mg/L",
    "ITTFL": "Intention-to-treat population",
    "SAFFL": "Safety population",
    "EFFFL": "Response-evaluable population",
    "DCTREAS": "Reason for discontinuation",
    "EOTSTT": "End-of-treatment status",
    "DTHFL": "Died",
    "BESTRSP": "Best overall response",
    "STRATUM": "Stratum",
    **_prior_labels(),
    # populations
    "ITT": "Intention-to-treat",
    "SAFETY": "Safety",
    "EVALUABLE": "Response-evaluable",
    # response tables
    "SUBGROUP": "Subgroup",
    "LEVEL": "Level",
    "METHOD": "CI method",
    "X": "Responders",
    # time-to-event tables
    "N": "Patients",
    "EVENTS": "Events",
    "MEDIAN": "Median",
    "LOWER": "Lower 95% limit",
    "UPPER": "Upper 95% limit",
    "MIN": "Minimum",
    "MAX": "Maximum",
    "RESPONDERS": "Responders",
    "COMPETING": "Progressed or died before response",
    "CIF_MEDIAN": "Time to 50% cumulative incidence of response, months",
    "CIF_1M": "Cumulative incidence of response at 1 month",
    "CIF_3M": "Cumulative incidence of response at 3 months",
    "CIF_6M": "Cumulative incidence of response at 6 months",
    "CIF_12M": "Cumulative incidence of response at 12 months",
    # adverse events
    "AEDECOD": "Preferred term",
    "AEBODSYS": "System organ class",
    "ATOXDSC": "CTCAE term",
    "CATEGORY": "Category",
    "DENOM": "Patients at risk",
    "PCT": "Percent",
    "N_ANY": "Any grade",
    "PCT_ANY": "Any grade",
    "N_GR1_PLUS": "Any grade",
    "N_GR3_PLUS": "Grade 3 or higher",
    "N_GR3_4": "Grade 3–4",
    "PCT_GR3_4": "Grade 3–4",
    "N_GR5": "Grade 5",
    "PCT_GR5": "Grade 5",
    "BTOXGR": "Baseline grade",
    "N_RESULTS": "On-treatment results",
    "N_UNGRADABLE": "Results not gradable",
    "UNGRADABLE_REASONS": "Why not gradable",
    "N_SUBJECTS": "Patients with a result",
    "N_GRADED": "Patients with a gradable result",
    # exposure
    "EXTRT": "Drug",
    "CYCLES_MEDIAN": "Cycles started, median",
    "CYCLES_MIN": "Cycles started, minimum",
    "CYCLES_MAX": "Cycles started, maximum",
    "RDI_MEDIAN": "Median relative dose intensity",
    "N_REDUCED": "Dose reduced",
    "N_INTERRUPTED": "Dose interrupted",
    "N_DISC_AE": "Discontinued for an adverse event",
    "LASTDOSE_MEDIAN": "Last dose, median (mg)",
    # questionnaires
    "PARAMCD": "Parameter",
    "PARAM": "Parameter",
    "VISIT": "Visit",
    "MEAN": "Mean",
    "SD": "Standard deviation",
    "EQ5DIUS": "EQ-5D-5L index (US value set)",
    "EQ5DIEN": "EQ-5D-5L index (England value set)",
    "EQVAS": "EQ VAS (0–100)",
}

_YES_NO: Final[Mapping[str, str]] = {"Y": "Yes", "N": "No", "U": "Unknown"}

#: Per-variable decodes of coded values (anything not here is shown through :func:`decode`'s
#: general rules: Y/N flags, upper-case words to sentence case).
VALUE_DECODES: Final[Mapping[str, Mapping[str, str]]] = {
    "SEX": {"F": "Female", "M": "Male", "U": "Unknown", "UNDIFFERENTIATED": "Undifferentiated"},
    "AGEGR1": {
        "<65": "<65 years",
        "65-74": "65–74 years",
        ">=75": "≥75 years",
        "<75": "<75 years",
        "18-64": "18–64 years",
        ">=65": "≥65 years",
    },
    "INVLC": {"KAPPA": "Kappa", "LAMBDA": "Lambda", "K": "Kappa", "L": "Lambda"},
    "HEMEVAL": {
        "DFLC_MEASURABLE": "dFLC measurable (≥ 50 mg/L)",
        "LOW_DFLC": "Low dFLC (20–50 mg/L)",
        "MPROTEIN_ONLY": "Measurable M-protein only",
        "CR_ONLY": "Complete response assessable only",
        "NOT_EVALUABLE": "Not evaluable",
    },
    "EOTSTT": {"ONGOING": "Ongoing", "COMPLETED": "Completed", "DISCONTINUED": "Discontinued"},
    "BTOXGR": {**{g: f"Grade {g}" for g in "01234"}, "MISSING": "Not gradable"},
    "PARAMCD": {
        "EQ5DIUS": "EQ-5D-5L index (US value set)",
        "EQ5DIEN": "EQ-5D-5L index (England value set)",
        "EQVAS": "EQ VAS (0–100)",
    },
}

_STAGE_VARS: Final = ("MAYO2004", "MAYO2012", "BU2019", "RENSTG")
_ROMAN: Final[Mapping[str, str]] = {
    "1": "I", "2": "II", "3": "III", "3A": "IIIa", "3B": "IIIb", "4": "IV",
    "I": "I", "II": "II", "III": "III", "IIIA": "IIIa", "IIIB": "IIIb", "IV": "IV",
}  # fmt: skip
#: Values that mean "no value" in a coded column (shown as "Not known" rows or dropped).
MISSING_CODES: Final = frozenset({"NE", "NA", "", "UNKNOWN", "MISSING", "NOT DONE", "ND"})

# British -> American spelling of adverse-event and lab terms (longest first).
_SPELLING: Final[tuple[tuple[str, str], ...]] = (
    (r"oesophag", "esophag"),
    (r"oedema", "edema"),
    (r"diarrhoea", "diarrhea"),
    (r"dyspnoea", "dyspnea"),
    (r"haem", "hem"),
    (r"aemia", "emia"),
    (r"aemic", "emic"),
    (r"leucocyt", "leukocyt"),
    (r"leucopenia", "leukopenia"),
    (r"faecal", "fecal"),
    (r"orthopnoea", "orthopnea"),
    (r"oestrogen", "estrogen"),
    (r"tumour", "tumor"),
    (r"ischaem", "ischem"),
)


def label(var: str) -> str:
    """Words for a variable name (the name itself, in sentence case, when unknown)."""
    if var in VARIABLE_LABELS:
        return VARIABLE_LABELS[var]
    if var.startswith("PRIOR") and len(var) > 5:
        return f"Prior {var.removeprefix('PRIOR').lower()}"
    if re.fullmatch(r"[A-Z0-9_]+", var):
        return var.replace("_", " ").capitalize()
    return var


def _keep_case(src: str, dst: str) -> str:
    return dst[:1].upper() + dst[1:] if src[:1].isupper() else dst


def ae_term(term: str) -> str:
    """An adverse-event or CTCAE term in American spelling ("Anaemia" -> "Anemia")."""
    out = term
    for british, american in _SPELLING:

        def repl(m: re.Match[str], american: str = american) -> str:
            return _keep_case(m.group(0), american)

        out = re.sub(british, repl, out, flags=re.IGNORECASE)
    return out


def _words(value: str) -> str:
    """Upper-case code words to sentence case ("PROGRESSIVE DISEASE" -> "Progressive disease")."""
    if value.isupper() and len(value) > 3:
        return value.replace("_", " ").capitalize()
    return value


def decode(var: str, value: object) -> str:
    """Words for one value of ``var`` (Y/N flags, sex, age groups, stages, visits, drugs)."""
    if value is None:
        return "Not known"
    text = str(value)
    table = VALUE_DECODES.get(var, {})
    if text in table:
        return table[text]
    if var in _STAGE_VARS:
        return "Not known" if text in MISSING_CODES else f"Stage {_ROMAN.get(text.upper(), text)}"
    flag = var.endswith("FL") or var.startswith("PRIOR") or var in ("AGEGT75", "REFRACT")
    if flag and text in _YES_NO:
        return _YES_NO[text]
    if var in ("AEDECOD", "ATOXDSC", "AETERM", "AEBODSYS"):
        return ae_term(text)
    if var == "VISIT":
        return visit(text)
    if var == "EXTRT":
        return text.capitalize()
    return _words(text)


def visit(name: str) -> str:
    """A visit name in sentence case ("CYCLE 4 DAY 1" -> "Cycle 4 day 1")."""
    return name.capitalize() if name.isupper() else name


def subgroup_label(var: str, level: object) -> str:
    """A subgroup row ("Prior lenalidomide: yes", "Age group: ≥75 years")."""
    value = decode(var, level)
    if value in ("Yes", "No"):
        value = value.lower()
    return f"{label(var)}: {value}"


def arm_names(arms: Iterable[_Arm]) -> dict[str, str]:
    """Arm code -> arm name, in protocol order; "ALL" (arms pooled) -> "All patients"."""
    out = {a.code: a.name for a in arms}
    out.setdefault("ALL", "All patients")
    return out


def arm_name(code: object, names: Mapping[str, str]) -> str:
    """The name of an arm code (the code when the trial file does not name it)."""
    return names.get(str(code), str(code))
