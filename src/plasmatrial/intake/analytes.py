"""Catalogue of accepted lab tests (LBTESTCD), their canonical units and unit conversions.

This table is the contract between :mod:`plasmatrial.intake` (which converts every LB record to the
canonical unit) and :mod:`plasmatrial.criteria` (whose rules see canonical units only). Canonical
units follow ``criteria.md`` section 0.1.

The *wide assessment frame* that the criteria engine consumes has one row per subject-visit and one
column per analyte, named by the canonical test code below (``FLCKAP``, ``SPEPMP``, ...), in the
canonical unit, plus ``USUBJID``, ``VISIT``, ``VISITNUM``, ``ADT`` (date), ``ADY`` and ``ABLFL``.
Character results (immunofixation, marrow clonality) are ``"POSITIVE"`` / ``"NEGATIVE"`` or null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

ValueKind = Literal["numeric", "character", "integer"]


@dataclass(frozen=True, slots=True)
class Analyte:
    """One accepted lab test.

    Attributes
    ----------
    code:
        Canonical LBTESTCD (also the column name in the wide assessment frame).
    name:
        Human-readable name.
    unit:
        Canonical unit (criteria.md 0.1); empty for unitless/character results.
    conversions:
        Accepted unit spellings mapped to the factor that converts a value in that unit to the
        canonical unit (value_canonical = value * factor).
    plausible:
        Closed range of plausible values in the canonical unit; values outside are reported, never
        silently accepted. ``None`` bounds are open.
    aliases:
        Other LBTESTCD spellings accepted on input.
    kind:
        Numeric or character result.
    """

    code: str
    name: str
    unit: str
    conversions: dict[str, float] = field(default_factory=dict)
    plausible: tuple[float | None, float | None] = (None, None)
    aliases: tuple[str, ...] = ()
    kind: ValueKind = "numeric"


_MGL = {"mg/L": 1.0, "mg/l": 1.0, "mg/dL": 10.0, "mg/dl": 10.0}
_GDL = {"g/dL": 1.0, "g/dl": 1.0, "g/L": 0.1, "g/l": 0.1, "mg/dL": 0.001}
_NGL = {"ng/L": 1.0, "pg/mL": 1.0, "pg/ml": 1.0, "ng/l": 1.0}
_UGL = {"ug/L": 1.0, "µg/L": 1.0, "ng/mL": 1.0, "ng/ml": 1.0, "ng/L": 0.001, "pg/mL": 0.001}

ANALYTES: Final[tuple[Analyte, ...]] = (
    Analyte(
        "FLCKAP",
        "Serum free light chain kappa (Freelite)",
        "mg/L",
        _MGL,
        (0.0, 100000.0),
        ("KAPLCFR", "KAPPA", "FLCKAPPA", "SFLCK"),
    ),
    Analyte(
        "FLCLAM",
        "Serum free light chain lambda (Freelite)",
        "mg/L",
        _MGL,
        (0.0, 100000.0),
        ("LAMLCFR", "LAMBDA", "FLCLAMBD", "SFLCL"),
    ),
    Analyte(
        "SPEPMP", "Serum M-protein (SPEP)", "g/dL", _GDL, (0.0, 15.0), ("MPROT", "SMPROT", "MSPIKE")
    ),
    Analyte(
        "UPEPMP",
        "Urine M-protein, 24-h (UPEP)",
        "mg/24h",
        {
            "mg/24h": 1.0,
            "mg/24 h": 1.0,
            "mg/day": 1.0,
            "g/24h": 1000.0,
            "g/24 h": 1000.0,
            "g/day": 1000.0,
        },
        (0.0, 50000.0),
        ("UMPROT", "UMSPIKE"),
    ),
    Analyte("SIFE", "Serum immunofixation", "", {}, (None, None), ("IFES", "SIMFIX"), "character"),
    Analyte("UIFE", "Urine immunofixation", "", {}, (None, None), ("IFEU", "UIMFIX"), "character"),
    Analyte("NTPROBNP", "NT-proBNP", "ng/L", _NGL, (0.0, 200000.0), ("NTBNP", "BNPPRO")),
    Analyte("BNP", "BNP", "ng/L", _NGL, (0.0, 50000.0)),
    Analyte(
        "TROPT", "Cardiac troponin T (4th generation)", "ug/L", _UGL, (0.0, 50.0), ("TNT", "CTNT")
    ),
    Analyte("TROPI", "Cardiac troponin I", "ug/L", _UGL, (0.0, 500.0), ("TNI", "CTNI")),
    Analyte(
        "HSTNT",
        "High-sensitivity cardiac troponin T",
        "ng/L",
        {"ng/L": 1.0, "ng/l": 1.0, "pg/mL": 1.0, "ug/L": 1000.0, "ng/mL": 1000.0},
        (0.0, 50000.0),
        ("HSCTNT", "TROPTHS"),
    ),
    Analyte(
        "PROT24H",
        "Urine total protein, 24-h",
        "g/24h",
        {
            "g/24h": 1.0,
            "g/24 h": 1.0,
            "g/day": 1.0,
            "mg/24h": 0.001,
            "mg/24 h": 0.001,
            "mg/day": 0.001,
        },
        (0.0, 40.0),
        ("UPROT24", "PROTU24"),
    ),
    Analyte(
        "EGFR",
        "eGFR",
        "mL/min/1.73m2",
        {"mL/min/1.73m2": 1.0, "mL/min/1.73 m2": 1.0, "mL/min/1.73m^2": 1.0, "ml/min/1.73m2": 1.0},
        (0.0, 200.0),
        ("GFREST",),
    ),
    Analyte(
        "CREAT",
        "Serum creatinine",
        "mg/dL",
        {"mg/dL": 1.0, "mg/dl": 1.0, "umol/L": 1 / 88.4, "µmol/L": 1 / 88.4},
        (0.05, 30.0),
    ),
    Analyte(
        "ALP",
        "Alkaline phosphatase",
        "U/L",
        {"U/L": 1.0, "IU/L": 1.0, "U/l": 1.0},
        (0.0, 10000.0),
        ("ALKPH",),
    ),
    Analyte(
        "B2MICG",
        "Beta-2 microglobulin",
        "mg/L",
        {"mg/L": 1.0, "mg/l": 1.0, "ug/mL": 1.0, "mg/dL": 10.0},
        (0.0, 200.0),
        ("B2M", "BETA2M"),
    ),
    Analyte(
        "ALB",
        "Serum albumin",
        "g/dL",
        {"g/dL": 1.0, "g/dl": 1.0, "g/L": 0.1, "g/l": 0.1},
        (0.5, 7.0),
    ),
    Analyte("LDH", "Lactate dehydrogenase", "U/L", {"U/L": 1.0, "IU/L": 1.0}, (0.0, 20000.0)),
    Analyte(
        "HGB",
        "Hemoglobin",
        "g/dL",
        {"g/dL": 1.0, "g/dl": 1.0, "g/L": 0.1, "mmol/L": 1 / 0.6206},
        (2.0, 25.0),
    ),
    Analyte(
        "CALCIUM",
        "Serum calcium",
        "mg/dL",
        {"mg/dL": 1.0, "mg/dl": 1.0, "mmol/L": 4.008},
        (2.0, 25.0),
        ("CA",),
    ),
    Analyte(
        "NEUT",
        "Absolute neutrophil count",
        "10^9/L",
        {"10^9/L": 1.0, "10*9/L": 1.0, "GI/L": 1.0, "/mm3": 0.001, "cells/uL": 0.001},
        (0.0, 100.0),
        ("ANC",),
    ),
    Analyte(
        "PLAT",
        "Platelets",
        "10^9/L",
        {"10^9/L": 1.0, "10*9/L": 1.0, "GI/L": 1.0, "/mm3": 0.001, "cells/uL": 0.001},
        (0.0, 2000.0),
        ("PLT",),
    ),
    Analyte("BMPC", "Bone marrow plasma cells", "%", {"%": 1.0}, (0.0, 100.0), ("PCBM",)),
    Analyte(
        "BMCLON",
        "Clonal plasma cells in bone-marrow biopsy by IHC (kappa/lambda ratio abnormal)",
        "",
        {},
        (None, None),
        ("BMCLONAL", "BMPCCLON"),
        "character",
    ),
    Analyte("NYHA", "NYHA functional class", "", {}, (1.0, 4.0), (), "integer"),
    Analyte("LVEF", "Left ventricular ejection fraction", "%", {"%": 1.0}, (5.0, 90.0)),
    Analyte("LIVSPAN", "Liver span on imaging", "cm", {"cm": 1.0, "mm": 0.1}, (5.0, 40.0)),
    Analyte(
        "IVSD",
        "Interventricular septum thickness, diastole (echocardiography)",
        "mm",
        {"mm": 1.0, "cm": 10.0},
        (3.0, 40.0),
        ("IVS", "IVSTHK"),
    ),
)

ANALYTE_BY_CODE: Final[dict[str, Analyte]] = {a.code: a for a in ANALYTES}
ALIAS_TO_CODE: Final[dict[str, str]] = {
    alias: a.code for a in ANALYTES for alias in (a.code, *a.aliases)
}
NUMERIC_CODES: Final[tuple[str, ...]] = tuple(a.code for a in ANALYTES if a.kind != "character")
CHARACTER_CODES: Final[tuple[str, ...]] = tuple(a.code for a in ANALYTES if a.kind == "character")

IFE_VALUES: Final[dict[str, str]] = {
    "POSITIVE": "POSITIVE",
    "POS": "POSITIVE",
    "+": "POSITIVE",
    "DETECTED": "POSITIVE",
    "NEGATIVE": "NEGATIVE",
    "NEG": "NEGATIVE",
    "-": "NEGATIVE",
    "NOT DETECTED": "NEGATIVE",
}

IMID_DRUGS: Final[frozenset[str]] = frozenset({"POMALIDOMIDE", "LENALIDOMIDE", "THALIDOMIDE"})
