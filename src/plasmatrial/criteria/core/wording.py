"""Words and number formats of the explanations (docs/decisions/0206-explanation-wording.md).

Static data only (never added to at import, so that explanations do not depend on which rule-set
module was imported first, issue 11), and the vectorised number formats every explanation uses:

* measured values at their own precision: the value rounded to the engine's 6 decimals (which
  removes float noise such as 4.1000000000000005), trailing ``.0`` dropped (``2367 ng/L``);
* percentage changes with 1 decimal (``11.0 %``), always as a magnitude with a direction word
  ("increase 11.0 %", never "decrease -11.0 %");
* ratios with 2 decimals (``0.86``);
* a rounded number that would read as equal to the threshold it is compared with (49.96 % shown
  as "50.0 % < 50 %") is shown at the engine's precision instead (``49.96 %``).

Labels turn every engine column into words: ``NYHA__baseline`` is "baseline NYHA class",
``HEMCAT__BEST`` "best hematologic response so far", ``HEMEVAL`` = ``DFLC_MEASURABLE`` is
"dFLC measurable (≥ 50 mg/L at baseline)".
"""

from __future__ import annotations

from typing import Final

import polars as pl

from plasmatrial.intake.analytes import ANALYTES

#: Decimals the engine rounds to before comparing (criteria.md 0.1).
ENGINE_DECIMALS: Final = 6
#: Decimals of a percentage change in an explanation.
PCT_DECIMALS: Final = 1
#: Decimals of a ratio in an explanation.
RATIO_DECIMALS: Final = 2
#: Significant digits of a derived ratio in the INPUTS column.
RATIO_SIGNIFICANT: Final = 6

#: Display label of every column a rule may read (analytes, derived columns, flags, categories).
LABELS: Final[dict[str, str]] = {
    "DFLC": "dFLC",
    "IFLC": "iFLC",
    "UFLC": "uFLC",
    "FLCKAP": "κ FLC",
    "FLCLAM": "λ FLC",
    "FLCRATIO": "κ/λ ratio",
    "SPEPMP": "serum M-protein",
    "UPEPMP": "urine M-protein",
    "NTPROBNP": "NT-proBNP",
    "BNP": "BNP",
    "TROPT": "cTnT",
    "TROPI": "cTnI",
    "HSTNT": "hs-cTnT",
    "PROT24H": "proteinuria",
    "EGFR": "eGFR",
    "ALP": "ALP",
    "ALPEXC": "ALP excess over ULN",
    "ALP_ULN": "ALP upper limit of normal",
    "NYHA": "NYHA class",
    "LVEF": "LVEF",
    "IVSD": "interventricular septum thickness",
    "LIVSPAN": "liver span",
    "SIFE": "serum IFE",
    "UIFE": "urine IFE",
    "INVLC": "involved light chain",
    "INVLCD": "involved light chain",
    "HEMEVAL": "hematologic evaluability class",
    "HEMCAT": "hematologic response",
    "HEMPROG": "hematologic progression",
    # myeloma columns (criteria.mm.imwg)
    "SIFEADJ": "serum IFE (daratumumab-adjusted)",
    "BMPC": "bone-marrow plasma cells",
    "BMPCL": "bone-marrow plasma cells (latest exam)",
    "BMCLONL": "clonal plasma cells by IHC (latest biopsy)",
    "PCYTSPD": "plasmacytoma SPD",
    "PCYTSPDL": "plasmacytoma SPD (latest imaging)",
    "CPC": "circulating plasma cells",
    "MRDSTAT": "MRD status (1 positive, 0 negative)",
    "PETMRD": "PET-CT MRD",
    "CALCIUM": "calcium",
    "HGB": "hemoglobin",
    "CREAT": "creatinine",
    "MMCAT": "IMWG response",
    "MMPD": "IMWG progression",
}

#: Words for a Boolean column: (true, false, missing).
FLAG_TEXTS: Final[dict[str, tuple[str, str, str]]] = {
    "HEARTFL": ("heart involved", "heart not involved", "heart involvement not recorded"),
    "KIDNEYFL": ("kidney involved", "kidney not involved", "kidney involvement not recorded"),
    "LIVERFL": ("liver involved", "liver not involved", "liver involvement not recorded"),
    "IMIDFL": (
        "IMiD given at the assessment",
        "no IMiD at the assessment",
        "IMiD exposure not recorded",
    ),
    "INVLC_INFERRED": (
        "involved light chain inferred from the baseline κ/λ ratio",
        "involved light chain recorded",
        "involved light chain unknown",
    ),
    "DIURINC": (
        "diuretic dose increased",
        "diuretic dose not increased",
        "diuretic dose change not recorded",
    ),
    "NEWLESFL": ("new bone lesion or plasmacytoma", "no new lesion", "new lesions not assessed"),
    "BMCLONL": (
        "clonal plasma cells by IHC at the latest biopsy",
        "no clonal plasma cells by IHC at the latest biopsy",
        "no biopsy with IHC",
    ),
    "FLW_SERUM": (
        "serum M-protein measurable at baseline",
        "serum M-protein not measurable at baseline",
        "serum M-protein measurability unknown",
    ),
    "FLW_URINE": (
        "urine M-protein measurable at baseline",
        "urine M-protein not measurable at baseline",
        "urine M-protein measurability unknown",
    ),
    "FLW_FLC": (
        "FLC-only measurable disease",
        "not FLC-only disease",
        "FLC measurability unknown",
    ),
    "FLW_MARROW": (
        "marrow-only disease",
        "not marrow-only disease",
        "marrow-only status unknown",
    ),
    "FLW_PCYT": (
        "soft-tissue plasmacytoma at baseline",
        "no soft-tissue plasmacytoma at baseline",
        "plasmacytoma status at baseline unknown",
    ),
    "FLW_CPC": (
        "circulating plasma cells the only measure of disease",
        "circulating plasma cells not the only measure of disease",
        "circulating plasma cell status unknown",
    ),
    "NO_SU": (
        "serum and urine M-protein not measurable",
        "serum or urine M-protein measurable",
        "serum and urine measurability unknown",
    ),
    "NO_SUF": (
        "serum, urine and FLC not measurable",
        "serum, urine or FLC measurable",
        "serum, urine and FLC measurability unknown",
    ),
}

#: Words for the values of a category column (by the column's base name).
CATEGORY_TEXTS: Final[dict[str, dict[str, str]]] = {
    "HEMEVAL": {
        "DFLC_MEASURABLE": "dFLC measurable (≥ 50 mg/L at baseline)",
        "LOW_DFLC": "low dFLC (20 to < 50 mg/L at baseline)",
        "MPROTEIN_ONLY": "M-protein-only disease (dFLC < 20 mg/L, measurable M-protein at baseline)",
        "CR_ONLY": "only CR assessable (dFLC < 20 mg/L, no measurable M-protein at baseline)",
    },
}

#: Columns whose values are ratios (2 decimals in explanations, 6 significant digits in INPUTS).
RATIO_COLUMNS: Final = frozenset({"FLCRATIO"})

#: Words for the engine's reference suffixes (``<column>__<suffix>``).
_SUFFIX_WORDS: Final[dict[str, str]] = {
    "baseline": "baseline",
    "nadir": "nadir",
    "nadir_to_date": "nadir to date",
    "nadir_confirmed": "lowest confirmed",
}

UNITS: Final[dict[str, str]] = {a.code: a.unit for a in ANALYTES} | {
    "DFLC": "mg/L",
    "IFLC": "mg/L",
    "UFLC": "mg/L",
    "FLCRATIO": "",
    "ALPEXC": "U/L",
    "BMPCL": "%",
    "PCYTSPD": "cm2",
    "PCYTSPDL": "cm2",
    "CPC": "/uL",
    "MRDSTAT": "",
    "ALP_ULN": "U/L",
}


def label(col: str) -> str:
    """Words for an engine column, its references included.

    >>> label("NYHA__baseline"), label("HEMCAT__BEST"), label("NYHA__baseline__ADT")
    ('baseline NYHA class', 'best hematologic response so far', 'date of baseline NYHA class')
    """
    if col in LABELS:
        return LABELS[col]
    if col in FLAG_TEXTS:
        return FLAG_TEXTS[col][0]
    if col.endswith("__ADT"):
        return "date of " + label(col.removesuffix("__ADT"))
    base, sep, suffix = col.partition("__")
    if not sep:
        return col
    name = label(base)
    if suffix == "BEST":
        return f"best {name} so far"
    if suffix in _SUFFIX_WORDS:
        return f"{_SUFFIX_WORDS[suffix]} {name}"
    if suffix.startswith("best_value_"):
        return f"{name} at the best {label(suffix.removeprefix('best_value_'))} so far"
    if suffix.startswith("nadir_while_"):
        param, _, category = suffix.removeprefix("nadir_while_").rpartition("_")
        return f"nadir {name} while the {label(param)} was {category}"
    return col


def unit_of(col: str) -> str:
    """Canonical unit of a column ('' when unitless or unknown)."""
    return UNITS.get(col, "")


def unit_text(unit: str) -> str:
    """The unit as written after a number: ' mg/L', ' %' ('' when unitless)."""
    return f" {unit}" if unit else ""


def clean_number(expr: pl.Expr, rounded: pl.Expr | None = None) -> pl.Expr:
    """A measured value at its own precision: rounded to the engine's decimals (no float noise),
    negative zero read as zero, a trailing ``.0`` dropped (``2367.0`` → ``2367``). Null stays null.
    ``rounded``: :func:`rounded_text` of ``expr`` where it is already computed (shared).
    """
    return (rounded_text(expr) if rounded is None else rounded).str.strip_suffix(".0")


def rounded_text(expr: pl.Expr) -> pl.Expr:
    """The value rounded to the engine's decimals, negative zero as zero, as text (``2367.0``):
    what :func:`clean_number` and the INPUTS text (:func:`input_text`) of a value that is not a
    ratio both start from, so that one column's text can be computed once for both."""
    return _no_negative_zero(expr.round(ENGINE_DECIMALS)).cast(pl.Utf8)


def _no_negative_zero(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr == 0.0).then(pl.lit(0.0)).otherwise(expr)


def decimal_text(expr: pl.Expr, decimals: int) -> pl.Expr:
    """``expr`` rounded to ``decimals``, negative zero as zero, as its shortest text."""
    return _no_negative_zero(expr.round(decimals)).cast(pl.Utf8)


def fixed_number(expr: pl.Expr, decimals: int, text: pl.Expr | None = None) -> pl.Expr:
    """``expr`` with exactly ``decimals`` decimals (1 or 2). Null stays null. ``text``:
    :func:`decimal_text` of ``expr`` where it is already computed (shared: it is read three
    times here)."""
    if text is None:
        text = decimal_text(expr, decimals)
    if decimals == 1:  # the shortest text of a 1-decimal float has exactly one decimal
        return text
    return pl.when(text.str.contains(r"\.\d$")).then(text + "0").otherwise(text)


def guarded_number(
    expr: pl.Expr,
    decimals: int,
    threshold: float | None,
    *,
    shown: pl.Expr | None = None,
    clean: pl.Expr | None = None,
) -> pl.Expr:
    """:func:`fixed_number`, or :func:`clean_number` where the rounded text would equal
    ``threshold`` although the value (at the engine's precision) does not. ``shown`` and
    ``clean``: those two texts of ``expr`` where they are already computed (shared)."""
    if shown is None:
        shown = fixed_number(expr, decimals)
    if threshold is None:
        return shown
    exact = expr.round(ENGINE_DECIMALS)
    ambiguous = (expr.round(decimals) == threshold) & (exact != threshold)
    return pl.when(ambiguous).then(clean_number(expr) if clean is None else clean).otherwise(shown)


def value_number(column: str, expr: pl.Expr, threshold: float | None = None) -> pl.Expr:
    """A value of ``column``: ratios with 2 decimals, anything else at its own precision."""
    if column in RATIO_COLUMNS:
        return guarded_number(expr, RATIO_DECIMALS, threshold)
    return clean_number(expr)


def input_number(column: str, expr: pl.Expr) -> pl.Expr:
    """A value of ``column`` in the INPUTS column: no float noise (6 decimals; ratios to 6
    significant digits). Non-finite values are null."""
    v = _no_negative_zero(pl.when(expr.is_finite()).then(expr).round(ENGINE_DECIMALS))
    if column in RATIO_COLUMNS:
        v = v.round_sig_figs(RATIO_SIGNIFICANT)
    return v


def input_text(column: str, expr: pl.Expr, rounded: pl.Expr | None = None) -> pl.Expr:
    """JSON text of a value of ``column`` in the INPUTS column: :func:`input_number` as text,
    ``null`` where missing or not finite. ``rounded``: :func:`rounded_text` of ``expr`` where it
    is already computed (not for ratios, whose INPUTS text has 6 significant digits)."""
    if column in RATIO_COLUMNS:
        return input_number(column, expr).cast(pl.Utf8).fill_null("null")
    # equal to input_number(...).cast(Utf8): the same rounding and text where finite, else null
    text = rounded_text(expr) if rounded is None else rounded
    return pl.when(expr.is_finite()).then(text).fill_null("null")


def threshold_text(value: float, unit: str) -> str:
    """A threshold as written: '50 %', '0.5 g/dL', '1.65'."""
    return f"{value:g}{unit_text(unit)}"
