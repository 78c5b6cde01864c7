"""CTCAE lab grading as rule data (v5.0 DEFAULT, v6.0 selectable) and a vectorised grader.

Every threshold is one :class:`GradeRule` row (term x version x grade [x unit or reference]) with
the verbatim CTCAE grade text and its citation. :func:`derive_var_atoxgr` applies the rows of
one version to an LB/ADLB-like frame exactly as ``criteria.md`` 8.2 describes; nothing about a
term is coded outside the rows except the unit table.

Rule ids read ``CTCAE<major>.<TERM>.G<grade>[.<unit or reference>]``, e.g. ``CTCAE5.NEUTDEC.G4``,
``CTCAE5.ANEMIA.G2.mmol/L``, ``CTCAE5.CREATINC.G3.BASE``. Grade 0 is reported with the id
``CTCAE<major>.<TERM>.G0`` ("no grade 1-4 criterion met").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from plasmatrial.criteria.core.predicates import Input
from plasmatrial.criteria.core.rules import RuleCatalogue, RuleGroup
from plasmatrial.criteria.core.sources import CTCAE_V5, CTCAE_V6, Citation, CitedAt
from plasmatrial.errors import RuleError

logger = logging.getLogger(__name__)

CtcaeVersion = Literal["5.0", "6.0"]
Reference = Literal["none", "LLN", "ULN", "BASE"]
Comparison = Literal["<", ">"]

DEFAULT_VERSION: Final[CtcaeVersion] = "5.0"
#: Values and references are compared after rounding to this many decimals (criteria.md 0.1).
COMPARE_DECIMALS: Final = 6


_CITES: Final[Mapping[str, Citation]] = {"5.0": CTCAE_V5, "6.0": CTCAE_V6}
#: Default columns of the reference a relative row compares against (see derive_var_atoxgr).
_REF_INPUT: Final[Mapping[str, Input]] = {
    "LLN": Input("ANRLO", ""),
    "ULN": Input("ANRHI", ""),
    "BASE": Input("BASE", ""),
}


@dataclass(frozen=True, slots=True)
class GradeRule:
    """One CTCAE threshold: ``value <comparison> threshold [x reference]`` → ``grade``.

    Attributes
    ----------
    id:
        Stable rule id (see module docstring).
    version, term_code, term, grade:
        CTCAE version, internal term code, CTCAE term name and the grade this row assigns.
    comparison:
        ``"<"`` for "decreased" terms, ``">"`` for "increased" terms, applied exactly.
    threshold:
        Absolute cut (in ``unit``) when ``reference == "none"``, else a multiplier of the
        reference (LLN, ULN or baseline, in the value's own unit).
    reference:
        What the threshold is relative to.
    unit:
        Unit of an absolute threshold (rows apply only to values in that unit after conversion);
        ``None`` for relative rows, which apply in any unit.
    text:
        Verbatim CTCAE text of the grade.
    citation:
        Source with locator (:class:`~plasmatrial.criteria.core.sources.CitedAt`).
    requires_baseline_below_lln:
        The row applies only when baseline < LLN (CTCAE v6 creatinine).
    """

    id: str
    version: CtcaeVersion
    term_code: str
    term: str
    grade: int
    comparison: Comparison
    threshold: float
    reference: Reference
    unit: str | None
    text: str
    citation: CitedAt
    requires_baseline_below_lln: bool = False

    @property
    def category(self) -> str:
        """The grade this row assigns, as ``G<grade>`` (the rule-row protocol's category)."""
        return f"G{self.grade}"

    @property
    def requires(self) -> tuple[Input, ...]:
        """The value (in ``unit`` for absolute rows) and the reference a relative row needs."""
        value = Input("AVAL", self.unit or "")
        ref = _REF_INPUT.get(self.reference)
        below = (Input("BASE", ""), Input("ANRLO", "")) if self.requires_baseline_below_lln else ()
        return tuple(dict.fromkeys((value, *((ref,) if ref else ()), *below)))

    @property
    def predicate_text(self) -> str:
        """The rendered condition (``grade 4: value < 0.5 10^9/L``)."""
        return str(self)

    def __str__(self) -> str:
        if self.reference == "none":
            rhs = f"{self.threshold:g} {self.unit}"
        elif self.threshold == 1.0:
            rhs = self.reference
        else:
            rhs = f"{self.threshold:g} x {self.reference}"
        cond = " [if baseline < LLN]" if self.requires_baseline_below_lln else ""
        return f"grade {self.grade}: value {self.comparison} {rhs}{cond}"


@dataclass(frozen=True, slots=True)
class CtcaeTerm:
    """A gradable lab term: its code, names per version and accepted units.

    ``units`` maps an input unit spelling to ``(rule unit, factor)`` with
    ``value_in_rule_unit = value x factor``; the key ``"*"`` accepts any unit (ratio-only terms).
    """

    code: str
    names: Mapping[str, str]
    units: Mapping[str, tuple[str, float]]
    aliases: tuple[str, ...]


_COUNT_UNITS: Final[Mapping[str, tuple[str, float]]] = {
    **dict.fromkeys(
        ("10^9/L", "10*9/L", "10E9/L", "GI/L", "10^3/UL", "10*3/UL", "K/UL", "X10^9/L"),
        ("10^9/L", 1.0),
    ),
    **dict.fromkeys(("/MM3", "CELLS/MM3", "/UL", "CELLS/UL"), ("10^9/L", 0.001)),
}

TERMS: Final[tuple[CtcaeTerm, ...]] = (
    CtcaeTerm(
        "ANEMIA",
        {"5.0": "Anemia", "6.0": "Anemia"},
        {"G/DL": ("g/dL", 1.0), "G/L": ("g/dL", 0.1), "MMOL/L": ("mmol/L", 1.0)},
        ("HGB", "HB", "HEMOGLOBIN", "ANEMIA"),
    ),
    CtcaeTerm(
        "NEUTDEC",
        {"5.0": "Neutrophil count decreased", "6.0": "Neutrophil count decreased"},
        _COUNT_UNITS,
        ("NEUT", "ANC", "NEUTROPHIL COUNT DECREASED"),
    ),
    CtcaeTerm(
        "PLATDEC",
        {"5.0": "Platelet count decreased", "6.0": "Thrombocytopenia"},
        _COUNT_UNITS,
        ("PLAT", "PLT", "PLATELET COUNT DECREASED", "THROMBOCYTOPENIA"),
    ),
    CtcaeTerm(
        "WBCDEC",
        {"5.0": "White blood cell decreased", "6.0": "White blood cell decreased"},
        _COUNT_UNITS,
        ("WBC", "LEUK", "WHITE BLOOD CELL DECREASED"),
    ),
    CtcaeTerm(
        "LYMPHDEC",
        {"5.0": "Lymphocyte count decreased"},
        _COUNT_UNITS,
        ("LYM", "LYMPH", "LYMPHOCYTE COUNT DECREASED"),
    ),
    CtcaeTerm(
        "CREATINC",
        {"5.0": "Creatinine increased", "6.0": "Creatinine increased"},
        {"*": ("*", 1.0)},
        ("CREAT", "CREATININE INCREASED"),
    ),
    CtcaeTerm(
        "HYPERCA",
        {"5.0": "Hypercalcemia", "6.0": "Hypercalcemia"},
        {"MG/DL": ("mg/dL", 1.0), "MMOL/L": ("mmol/L", 1.0)},
        ("CACORR", "CALCCORR", "CACOR", "HYPERCALCEMIA"),
    ),
)
_TERM_BY_CODE: Final[Mapping[str, CtcaeTerm]] = {t.code: t for t in TERMS}

# (term code, grade, comparison, threshold, reference, unit, qualifier, text, extra flag)
_Row = tuple[str, int, Comparison, float, Reference, str | None, str, str, bool]

_HB_G1 = "Hemoglobin (Hgb) <LLN - 10.0 g/dL; <LLN - 6.2 mmol/L; <LLN - 100 g/L"
_HB_G2 = "Hgb <10.0 - 8.0 g/dL; <6.2 - 4.9 mmol/L; <100 - 80g/L"
_HB_G3 = "Hgb <8.0 g/dL; <4.9 mmol/L; <80 g/L; transfusion indicated"
_CA_G1 = "Corrected serum calcium of >ULN - 11.5 mg/dL; >ULN - 2.9 mmol/L"
_CA_G2 = "Corrected serum calcium of >11.5 - 12.5 mg/dL; >2.9 - 3.1 mmol/L; symptomatic"
_CA_G3 = (
    "Corrected serum calcium of >12.5 - 13.5 mg/dL; >3.1 - 3.4 mmol/L; hospitalization indicated"
)
_CA_G4 = "Corrected serum calcium of >13.5 mg/dL; >3.4 mmol/L; life-threatening consequences"
_CR5_G2 = ">1.5 - 3.0 x baseline; >1.5 - 3.0 x ULN"
_CR5_G3 = ">3.0 baseline; >3.0 - 6.0 x ULN"
_CR6_G2 = ">1.5 - 3.0 x if baseline is below LLN; >1.5 - 3.0 x ULN"
_CR6_G3 = ">3.0 x if baseline is below LLN; >3.0 - 6.0 x ULN"
_U = "10^9/L"

_COMMON_ROWS: Final[tuple[_Row, ...]] = (
    # Anemia: lab-only grading stops at 3 (grade 4/5 need clinical information).
    ("ANEMIA", 3, "<", 8.0, "none", "g/dL", "g/dL", _HB_G3, False),
    ("ANEMIA", 3, "<", 4.9, "none", "mmol/L", "mmol/L", _HB_G3, False),
    ("ANEMIA", 2, "<", 10.0, "none", "g/dL", "g/dL", _HB_G2, False),
    ("ANEMIA", 2, "<", 6.2, "none", "mmol/L", "mmol/L", _HB_G2, False),
    ("ANEMIA", 1, "<", 1.0, "LLN", None, "", _HB_G1, False),
    ("WBCDEC", 4, "<", 1.0, "none", _U, "", "<1000/mm3; <1.0 x 10e9 /L", False),
    ("WBCDEC", 3, "<", 2.0, "none", _U, "", "<2000 - 1000/mm3; <2.0 - 1.0 x 10e9 /L", False),
    ("WBCDEC", 2, "<", 3.0, "none", _U, "", "<3000 - 2000/mm3; <3.0 - 2.0 x 10e9 /L", False),
    ("WBCDEC", 1, "<", 1.0, "LLN", None, "", "<LLN - 3000/mm3; <LLN - 3.0 x 10e9 /L", False),
    ("CREATINC", 4, ">", 6.0, "ULN", None, "", ">6.0 x ULN", False),
    ("HYPERCA", 4, ">", 13.5, "none", "mg/dL", "mg/dL", _CA_G4, False),
    ("HYPERCA", 4, ">", 3.4, "none", "mmol/L", "mmol/L", _CA_G4, False),
    ("HYPERCA", 3, ">", 12.5, "none", "mg/dL", "mg/dL", _CA_G3, False),
    ("HYPERCA", 3, ">", 3.1, "none", "mmol/L", "mmol/L", _CA_G3, False),
    ("HYPERCA", 2, ">", 11.5, "none", "mg/dL", "mg/dL", _CA_G2, False),
    ("HYPERCA", 2, ">", 2.9, "none", "mmol/L", "mmol/L", _CA_G2, False),
    ("HYPERCA", 1, ">", 1.0, "ULN", None, "", _CA_G1, False),
    ("CREATINC", 1, ">", 1.0, "ULN", None, "", ">ULN - 1.5 x ULN", False),
)

_V5_ROWS: Final[tuple[_Row, ...]] = (
    ("NEUTDEC", 4, "<", 0.5, "none", _U, "", "<500/mm3; <0.5 x 10e9 /L", False),
    ("NEUTDEC", 3, "<", 1.0, "none", _U, "", "<1000 - 500/mm3; <1.0 - 0.5 x 10e9 /L", False),
    ("NEUTDEC", 2, "<", 1.5, "none", _U, "", "<1500 - 1000/mm3; <1.5 - 1.0 x 10e9 /L", False),
    ("NEUTDEC", 1, "<", 1.0, "LLN", None, "", "<LLN - 1500/mm3; <LLN - 1.5 x 10e9 /L", False),
    ("PLATDEC", 4, "<", 25.0, "none", _U, "", "<25,000/mm3; <25.0 x 10e9 /L", False),
    (
        "PLATDEC",
        3,
        "<",
        50.0,
        "none",
        _U,
        "",
        "<50,000 - 25,000/mm3; <50.0 - 25.0 x 10e9 /L",
        False,
    ),
    (
        "PLATDEC",
        2,
        "<",
        75.0,
        "none",
        _U,
        "",
        "<75,000 - 50,000/mm3; <75.0 - 50.0 x 10e9 /L",
        False,
    ),
    ("PLATDEC", 1, "<", 1.0, "LLN", None, "", "<LLN - 75,000/mm3; <LLN - 75.0 x 10e9 /L", False),
    ("LYMPHDEC", 4, "<", 0.2, "none", _U, "", "<200/mm3; <0.2 x 10e9 /L", False),
    ("LYMPHDEC", 3, "<", 0.5, "none", _U, "", "<500 - 200/mm3; <0.5 - 0.2 x 10e9 /L", False),
    ("LYMPHDEC", 2, "<", 0.8, "none", _U, "", "<800 - 500/mm3; <0.8 - 0.5 x 10e9 /L", False),
    ("LYMPHDEC", 1, "<", 1.0, "LLN", None, "", "<LLN - 800/mm3; <LLN - 0.8 x 10e9/L", False),
    ("CREATINC", 3, ">", 3.0, "ULN", None, "ULN", _CR5_G3, False),
    ("CREATINC", 3, ">", 3.0, "BASE", None, "BASE", _CR5_G3, False),
    ("CREATINC", 2, ">", 1.5, "ULN", None, "ULN", _CR5_G2, False),
    ("CREATINC", 2, ">", 1.5, "BASE", None, "BASE", _CR5_G2, False),
)

_V6_ROWS: Final[tuple[_Row, ...]] = (
    ("NEUTDEC", 4, "<", 0.1, "none", _U, "", "<100/mm3; <0.1 x 10^9/L", False),
    ("NEUTDEC", 3, "<", 0.5, "none", _U, "", "<500 - 100/mm3; <0.5 - 0.1 x 10^9/L", False),
    ("NEUTDEC", 2, "<", 1.0, "none", _U, "", "<1000 - 500/mm3; <1.0 - 0.5 x 10^9/L", False),
    ("NEUTDEC", 1, "<", 1.5, "none", _U, "", "<1500 - 1000/mm3; <1.5 - 1.0 x 10^9/L", False),
    (
        "PLATDEC",
        4,
        "<",
        10.0,
        "none",
        _U,
        "",
        "<10,000/mm3; 10.0 x 10^9/L; life-threatening consequences; urgent intervention indicated",
        False,
    ),
    (
        "PLATDEC",
        3,
        "<",
        50.0,
        "none",
        _U,
        "",
        "<50,000 - 10,000/mm3; <50.0 - 10.0 x 10^9/L; transfusion indicated",
        False,
    ),
    ("PLATDEC", 2, "<", 75.0, "none", _U, "", "<75,000 - 50,000/mm3; <75.0 - 50.0 x 10^9/L", False),
    ("PLATDEC", 1, "<", 1.0, "LLN", None, "", "<LLN - 75,000/mm3; <LLN - 75.0 x 10^9/L", False),
    ("CREATINC", 3, ">", 3.0, "ULN", None, "ULN", _CR6_G3, False),
    ("CREATINC", 3, ">", 3.0, "BASE", None, "BASE", _CR6_G3, True),
    ("CREATINC", 2, ">", 1.5, "ULN", None, "ULN", _CR6_G2, False),
    ("CREATINC", 2, ">", 1.5, "BASE", None, "BASE", _CR6_G2, True),
)


def _build(version: CtcaeVersion, rows: Sequence[_Row]) -> tuple[GradeRule, ...]:
    major = version.split(".")[0]
    out = []
    for code, grade, cmp, thr, ref, unit, qual, text, below in rows:
        term = _TERM_BY_CODE[code].names[version]
        rid = f"CTCAE{major}.{code}.G{grade}" + (f".{qual}" if qual else "")
        src = _CITES[version].at(f"term '{term}', grade {grade}")
        out.append(
            GradeRule(rid, version, code, term, grade, cmp, thr, ref, unit, text, src, below)
        )
    return tuple(sorted(out, key=lambda r: (r.term_code, -r.grade)))


#: All rule rows by version, ordered by term then most severe grade first.
CTCAE_RULES: Final[Mapping[str, tuple[GradeRule, ...]]] = {
    "5.0": _build("5.0", (*_COMMON_ROWS, *_V5_ROWS)),
    "6.0": _build("6.0", (*_COMMON_ROWS, *_V6_ROWS)),
}


def rules_frame(version: CtcaeVersion = DEFAULT_VERSION) -> pl.DataFrame:
    """Return the rule rows of one version as a frame (for documentation and review).

    Parameters
    ----------
    version:
        ``"5.0"`` (DEFAULT) or ``"6.0"``.

    Returns
    -------
    polars.DataFrame
        One row per rule: id, term, grade, rendered predicate, unit, reference, text, source.
    """
    rules = _rules(version)
    return pl.DataFrame(
        {
            "RULEID": [r.id for r in rules],
            "TERM": [r.term for r in rules],
            "GRADE": [r.grade for r in rules],
            "PREDICATE": [str(r) for r in rules],
            "UNIT": [r.unit for r in rules],
            "REFERENCE": [r.reference for r in rules],
            "TEXT": [r.text for r in rules],
            "SOURCE": [str(r.citation) for r in rules],
        },
        schema_overrides={"GRADE": pl.Int8},
    )


def _rules(version: str) -> tuple[GradeRule, ...]:
    try:
        return CTCAE_RULES[version]
    except KeyError:
        raise RuleError(f"version must be one of {sorted(CTCAE_RULES)}, got {version!r}") from None


# --- Grader --------------------------------------------------------------------------------------


def _nest(pairs: Sequence[tuple[pl.Expr, pl.Expr]], otherwise: pl.Expr) -> pl.Expr:
    """``when(c1).then(v1).when(c2).then(v2)...otherwise(o)``: the first true condition wins."""
    expr = otherwise
    for cond, val in reversed(pairs):
        expr = pl.when(cond).then(val).otherwise(expr)
    return expr


_REF_COL: Final[Mapping[str, str]] = {"LLN": "_LLN", "ULN": "_ULN", "BASE": "_B"}


def _fires(rule: GradeRule) -> pl.Expr:
    """Boolean expression: the row applies and its comparison holds (null inputs → False)."""
    value = pl.col("_V")
    if rule.reference == "none":
        thr: pl.Expr = pl.lit(rule.threshold)
    else:
        thr = (pl.lit(rule.threshold) * pl.col(_REF_COL[rule.reference])).round(COMPARE_DECIMALS)
    hit = value < thr if rule.comparison == "<" else value > thr
    if rule.unit is not None:
        hit = hit & (pl.col("_RU") == rule.unit)
    if rule.requires_baseline_below_lln:
        hit = hit & (pl.col("_B") < pl.col("_LLN"))
    return hit.fill_null(False)


@dataclass(frozen=True, slots=True)
class _Outcome:
    grade: int | None
    rule_id: str | None
    reason: str | None


def _term_outcome(term: CtcaeTerm, rules: Sequence[GradeRule], outcomes: list[_Outcome]) -> pl.Expr:
    """Index into ``outcomes`` for one term's rows (criteria.md 8.2 steps 2-5).

    The chain tests the rule rows from the most severe grade down; the first satisfied row
    wins. ``outcomes`` is extended with one entry per possible result.
    """

    def code(outcome: _Outcome) -> pl.Expr:
        outcomes.append(outcome)
        return pl.lit(len(outcomes) - 1, dtype=pl.Int32)

    major = rules[0].version.split(".")[0]
    pairs = [(pl.col("_V").is_null(), code(_Outcome(None, None, "value missing")))]
    pairs += [(_fires(r), code(_Outcome(r.grade, r.id, None))) for r in rules]
    for ref in sorted({r.reference for r in rules if r.reference in ("LLN", "ULN")}):
        pairs.append(
            (pl.col(_REF_COL[ref]).is_null(), code(_Outcome(None, None, f"{ref} missing")))
        )
    return _nest(pairs, code(_Outcome(0, f"CTCAE{major}.{term.code}.G0", None)))


def _alias_map(term_map: Mapping[str, str] | None) -> dict[str, str]:
    aliases = {a.upper(): t.code for t in TERMS for a in (*t.aliases, t.code)}
    for key, code in (term_map or {}).items():
        if code not in _TERM_BY_CODE:
            raise RuleError(f"term_map value must be one of {sorted(_TERM_BY_CODE)}, got {code!r}")
        aliases[key.strip().upper()] = code
    return aliases


def _unit_exprs() -> tuple[pl.Expr, pl.Expr]:
    """Conversion factor and rule unit per row, from the term's unit table (null if unknown)."""
    key = pl.col("_UNIT")
    factor_pairs: list[tuple[pl.Expr, pl.Expr]] = []
    unit_pairs: list[tuple[pl.Expr, pl.Expr]] = []
    for t in TERMS:
        is_t = pl.col("_T") == t.code
        if "*" in t.units:
            factor_pairs.append((is_t, pl.lit(1.0)))
            unit_pairs.append((is_t, pl.lit("*")))
            continue
        factors = {k: v[1] for k, v in t.units.items()}
        units = {k: v[0] for k, v in t.units.items()}
        factor_pairs.append(
            (is_t, key.replace_strict(factors, default=None, return_dtype=pl.Float64))
        )
        unit_pairs.append((is_t, key.replace_strict(units, default=None, return_dtype=pl.String)))
    return (
        _nest(factor_pairs, pl.lit(None, dtype=pl.Float64)),
        _nest(unit_pairs, pl.lit(None, dtype=pl.String)),
    )


def _optional(col: str | None, columns: Sequence[str], arg: str) -> pl.Expr:
    if col is None:
        return pl.lit(None, dtype=pl.Float64)
    if col not in columns:
        raise RuleError(f"{arg}={col!r} is not a column of dataset_lb (pass {arg}=None if absent)")
    return pl.col(col).cast(pl.Float64, strict=False)


def derive_var_atoxgr(
    dataset_lb: pl.DataFrame,
    *,
    version: CtcaeVersion = DEFAULT_VERSION,
    term_col: str = "PARAMCD",
    value_col: str = "AVAL",
    unit_col: str | None = "AVALU",
    lln_col: str | None = "ANRLO",
    uln_col: str | None = "ANRHI",
    base_col: str | None = "BASE",
    term_map: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Add CTCAE lab toxicity grades (``ATOXGR``) to an LB/ADLB-like frame.

    Parameters
    ----------
    dataset_lb:
        One row per lab result.
    version:
        ``"5.0"`` (DEFAULT) or ``"6.0"``.
    term_col:
        Column identifying the test: a lab code (``HGB``, ``NEUT``/``ANC``, ``PLAT``/``PLT``,
        ``WBC``, ``LYM``, ``CREAT``, ``CACORR``), a CTCAE term name or a term code. Other values
        are left ungraded (null).
    value_col:
        Numeric result.
    unit_col:
        Unit of the result, LLN, ULN and baseline (they must share it). Accepted: g/dL, g/L,
        mmol/L (Hb); 10^9/L (and spellings), /mm3, cells/uL (counts); mg/dL, mmol/L (corrected
        calcium); any unit for creatinine (ratio-based). ``None``: no unit column (then
        only ratio-based terms can be graded; others raise :class:`RuleError`).
    lln_col, uln_col:
        Lower/upper limit of normal; ``None`` when the frame has none (grades that need them
        become missing unless a higher grade applies).
    base_col:
        Baseline value (creatinine baseline-relative rows); ``None`` when absent.
    term_map:
        Extra ``{input value: term code}`` entries, e.g. ``{"CALCIUM": "HYPERCA"}`` when the
        calcium column is already albumin-corrected.

    Returns
    -------
    polars.DataFrame
        The input with ``ATOXGR`` (Int8, null = not derivable), ``ATOXDSC`` (CTCAE term),
        ``ATOXVER`` (version), ``ATOXRULE`` (id of the rule that fired, ``...G0`` for grade 0)
        and ``ATOXREAS`` (why a grade is missing).

    Raises
    ------
    RuleError
        Unknown version, a named column that is absent, or a unit that cannot be converted for
        a graded term (all offending term/unit pairs are listed).

    Notes
    -----
    Algorithm (criteria.md 8.2):

    1. Map the test to a CTCAE term of ``version``; a term absent from that version (v6:
       lymphocyte count decreased) is not graded.
    2. Convert value, LLN, ULN and baseline to the rule unit; round to 6 decimals.
    3. Test the term's rows from the most severe grade down; the first satisfied row gives
       the grade and ``ATOXRULE``. Relative thresholds are ``round(k x reference, 6)``.
       A row whose baseline is missing counts as not met (admiral behaviour).
    4. If no row is satisfied and a needed LLN/ULN is missing → grade missing (not 0).
    5. Otherwise grade 0. Anemia stops at grade 3 (grades 4-5 need clinical information).

    References
    ----------
    .. [1] NCI. CTCAE Version 5.0, 27 Nov 2017.
    .. [2] pharmaverse/admiral, ``data-raw/adlb_grading/ncictcaev5.json`` and
       ``ncictcaev6.json`` (executable transcription of the CTCAE tables).

    Examples
    --------
    >>> lb = pl.DataFrame({"PARAMCD": ["NEUT"], "AVAL": [0.49], "AVALU": ["10^9/L"],
    ...                    "ANRLO": [1.8]})
    >>> derive_var_atoxgr(lb, uln_col=None, base_col=None)["ATOXGR"].to_list()
    [4]
    """
    rules = _rules(version)
    cols = dataset_lb.columns
    for arg, col in (("term_col", term_col), ("value_col", value_col)):
        if col not in cols:
            raise RuleError(f"{arg}={col!r} is not a column of dataset_lb")
    if unit_col is not None and unit_col not in cols:
        raise RuleError(f"unit_col={unit_col!r} is not a column of dataset_lb")
    aliases = _alias_map(term_map)
    unit = (
        pl.col(unit_col).cast(pl.String).str.strip_chars().str.to_uppercase().fill_null("")
        if unit_col is not None
        else pl.lit("")
    )
    df = dataset_lb.with_columns(
        pl.col(term_col)
        .cast(pl.String)
        .str.strip_chars()
        .str.to_uppercase()
        .replace_strict(aliases, default=None, return_dtype=pl.String)
        .alias("_T"),
        unit.alias("_UNIT"),
        pl.col(value_col).cast(pl.Float64, strict=False).alias("_RAW"),
        _optional(lln_col, cols, "lln_col").alias("_RLLN"),
        _optional(uln_col, cols, "uln_col").alias("_RULN"),
        _optional(base_col, cols, "base_col").alias("_RB"),
    )
    factor, rule_unit = _unit_exprs()
    df = df.with_columns(factor.alias("_F"), rule_unit.alias("_RU"))
    _check_units(df, unit_col)
    df = df.with_columns(
        (pl.col(src) * pl.col("_F")).round(COMPARE_DECIMALS).alias(dst)
        for src, dst in (("_RAW", "_V"), ("_RLLN", "_LLN"), ("_RULN", "_ULN"), ("_RB", "_B"))
    )
    outcomes: list[_Outcome] = [_Outcome(None, None, None)]
    names: dict[str, str] = {}
    df = df.with_row_index("_ROW")
    parts = []
    for (code,), part in df.partition_by("_T", as_dict=True, maintain_order=True).items():
        t_rules = [r for r in rules if r.term_code == code]
        if code is None:
            expr = pl.lit(0, dtype=pl.Int32)
        elif not t_rules:
            outcomes.append(_Outcome(None, None, f"term not in CTCAE {version} rule table"))
            expr = pl.lit(len(outcomes) - 1, dtype=pl.Int32)
        else:
            term = _TERM_BY_CODE[str(code)]
            names[term.code] = term.names[version]
            expr = _term_outcome(term, t_rules, outcomes)
        parts.append(part.with_columns(expr.alias("_O")))
    df = (
        pl.concat(parts, how="vertical").sort("_ROW")
        if parts
        else df.with_columns(pl.lit(0, dtype=pl.Int32).alias("_O"))
    )
    idx = list(range(len(outcomes)))
    df = df.with_columns(
        pl.col("_O")
        .replace_strict(idx, [o.grade for o in outcomes], return_dtype=pl.Int8)
        .alias("ATOXGR"),
        pl.col("_T").replace_strict(names, default=None, return_dtype=pl.String).alias("ATOXDSC"),
        pl.when(pl.col("_T").is_not_null()).then(pl.lit(version)).alias("ATOXVER"),
        pl.col("_O")
        .replace_strict(idx, [o.rule_id for o in outcomes], return_dtype=pl.String)
        .alias("ATOXRULE"),
        pl.col("_O")
        .replace_strict(idx, [o.reason for o in outcomes], return_dtype=pl.String)
        .alias("ATOXREAS"),
    )
    return df.drop(
        "_ROW",
        "_O",
        "_T",
        "_UNIT",
        "_RAW",
        "_RLLN",
        "_RULN",
        "_RB",
        "_F",
        "_RU",
        "_V",
        "_LLN",
        "_ULN",
        "_B",
    )


def _check_units(df: pl.DataFrame, unit_col: str | None) -> None:
    shown = pl.col(unit_col).cast(pl.String) if unit_col is not None else pl.lit(None)
    bad = (
        df.filter(
            pl.col("_T").is_not_null() & pl.col("_RAW").is_not_null() & pl.col("_F").is_null()
        )
        .select("_T", shown.alias("_SHOWN"))
        .unique()
        .sort("_T", "_SHOWN", nulls_last=True)
    )
    if bad.height:
        pairs = ", ".join(f"{t}: {u!r}" for t, u in bad.iter_rows())
        raise RuleError(
            f"{unit_col or 'unit_col'} has units that cannot be converted for CTCAE grading "
            f"({pairs}); convert them or extend the unit table"
        )


# --- Summaries -----------------------------------------------------------------------------------


def _require(dataset: pl.DataFrame, columns: Sequence[str], arg: str) -> None:
    missing = [c for c in columns if c not in dataset.columns]
    if missing:
        raise RuleError(f"{arg} lacks the columns {missing}")


def worst_grade(
    dataset: pl.DataFrame,
    *,
    by_vars: Sequence[str] = ("USUBJID", "ATOXDSC"),
    filter: pl.Expr | None = None,
    grade_col: str = "ATOXGR",
) -> pl.DataFrame:
    """Worst (highest) toxicity grade per group, e.g. per subject and term in a period.

    Parameters
    ----------
    dataset:
        Output of :func:`derive_var_atoxgr` (or any frame with ``grade_col``).
    by_vars:
        Grouping columns.
    filter:
        Optional polars expression selecting the period's records (e.g.
        ``pl.col("ONTRTFL") == "Y"``).
    grade_col:
        Grade column.

    Returns
    -------
    polars.DataFrame
        ``by_vars`` + ``grade_col`` (worst non-missing grade; null when every grade in the group
        is missing) + ``ATOXRULE`` of the worst record when present + ``N_RECORDS``.

    Notes
    -----
    Records with no CTCAE term (``ATOXDSC`` null) are dropped first when ``ATOXDSC`` is a
    column. Ties keep the first record in input order.
    """
    _require(dataset, [*by_vars, grade_col], "dataset")
    data = dataset if filter is None else dataset.filter(filter)
    if "ATOXDSC" in data.columns:
        data = data.filter(pl.col("ATOXDSC").is_not_null())
    aggs = [pl.col(grade_col).max(), pl.len().alias("N_RECORDS")]
    if "ATOXRULE" in data.columns:
        order = pl.col(grade_col).fill_null(-1)
        aggs.insert(
            1, pl.col("ATOXRULE").sort_by(order, descending=True, maintain_order=True).first()
        )
    return data.group_by(list(by_vars), maintain_order=True).agg(aggs)


def shift_table(
    dataset: pl.DataFrame,
    *,
    by_vars: Sequence[str] = ("ATOXDSC",),
    subject_keys: Sequence[str] = ("USUBJID",),
    baseline_filter: pl.Expr | None = None,
    post_baseline_filter: pl.Expr | None = None,
    grade_col: str = "ATOXGR",
) -> pl.DataFrame:
    """Counts of subjects by baseline grade x worst post-baseline grade.

    Parameters
    ----------
    dataset:
        Graded records (see :func:`derive_var_atoxgr`).
    by_vars:
        Table strata (term; add e.g. ``"ARM"``).
    subject_keys:
        Subject identifiers.
    baseline_filter:
        Baseline records; default ``pl.col("ABLFL") == "Y"``.
    post_baseline_filter:
        Post-baseline records; default ``pl.col("ONTRTFL") == "Y"`` (admiral ADLB convention).
    grade_col:
        Grade column.

    Returns
    -------
    polars.DataFrame
        ``by_vars``, ``BTOXGR`` (baseline grade) and ``ATOXGR`` (worst post-baseline grade) as
        strings ``"0"``..``"4"`` or ``"Missing"``, and ``N`` subjects; every combination of the
        levels appears (zero counts included) within each stratum.

    Raises
    ------
    RuleError
        If a column the filters or keys need is absent.

    Notes
    -----
    1. Baseline grade per subject and stratum = worst grade among baseline records.
    2. Post-baseline grade = worst grade among post-baseline records (criteria.md 8.2 step 6).
    3. A subject appears once per stratum; a side with no record or only missing grades is
       ``"Missing"``.
    """
    base_f = pl.col("ABLFL") == "Y" if baseline_filter is None else baseline_filter
    post_f = pl.col("ONTRTFL") == "Y" if post_baseline_filter is None else post_baseline_filter
    keys = [*subject_keys, *by_vars]
    _require(dataset, [*keys, grade_col], "dataset")
    try:
        base = worst_grade(dataset, by_vars=keys, filter=base_f, grade_col=grade_col)
        post = worst_grade(dataset, by_vars=keys, filter=post_f, grade_col=grade_col)
    except pl.exceptions.ColumnNotFoundError as exc:
        raise RuleError(f"shift_table filter refers to a missing column: {exc}") from None
    both = base.select(*keys, pl.col(grade_col).alias("BTOXGR")).join(
        post.select(*keys, pl.col(grade_col).alias("ATOXGR")),
        on=keys,
        how="full",
        coalesce=True,
        nulls_equal=True,
    )
    label = {
        c: pl.col(c).cast(pl.String).fill_null("Missing").alias(c) for c in ("BTOXGR", "ATOXGR")
    }
    both = both.with_columns(label.values())
    observed = set(both["BTOXGR"].to_list()) | set(both["ATOXGR"].to_list())
    levels = [*sorted({"0", "1", "2", "3", "4"} | (observed - {"Missing"}), key=int), "Missing"]
    grid = pl.DataFrame({"BTOXGR": levels}).join(pl.DataFrame({"ATOXGR": levels}), how="cross")
    strata = both.select(list(by_vars)).unique(maintain_order=True)
    counts = both.group_by([*by_vars, "BTOXGR", "ATOXGR"]).agg(pl.len().alias("N"))
    full = strata.join(grid, how="cross").join(
        counts, on=[*by_vars, "BTOXGR", "ATOXGR"], how="left", nulls_equal=True
    )
    rank = {lv: i for i, lv in enumerate(levels)}
    return (
        full.with_columns(pl.col("N").fill_null(0).cast(pl.Int64))
        .with_columns(
            pl.col("BTOXGR").replace_strict(rank, return_dtype=pl.Int32).alias("_b"),
            pl.col("ATOXGR").replace_strict(rank, return_dtype=pl.Int32).alias("_a"),
        )
        .sort([*by_vars, "_b", "_a"])
        .drop("_b", "_a")
    )


def ctcae_catalogue(version: CtcaeVersion = DEFAULT_VERSION) -> RuleCatalogue:
    """The grade rows of one CTCAE version as a catalogue for ``criteria list/show`` and
    ``docs/criteria/`` (one group per term, most severe grade first).

    Raises
    ------
    RuleError
        Unknown version.
    """
    rules = _rules(version)
    terms = dict.fromkeys(r.term_code for r in rules)
    groups = tuple(
        RuleGroup(
            f"{code}: {next(r.term for r in rules if r.term_code == code)}",
            tuple(r for r in rules if r.term_code == code),
        )
        for code in terms
    )
    return RuleCatalogue(
        name=f"CTCAE_{version}",
        version=version,
        disease="any",
        description=f"CTCAE v{version} lab grades (worst grade of the rows that hold; else 0)",
        applied_by="plasmatrial.criteria.ctcae.derive_var_atoxgr",
        groups=groups,
    )
