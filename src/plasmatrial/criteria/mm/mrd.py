"""IMWG 2016 minimal-residual-disease categories (criteria.md 4.8), vectorised over the wide frame.

Optional per-visit MRD columns of the wide assessment frame (not lab tests, so not in
:mod:`plasmatrial.intake.analytes`):

========== =====================================================================================
Column     Meaning
========== =====================================================================================
MRDNGF     bone-marrow next-generation flow result, ``"POSITIVE"`` / ``"NEGATIVE"``
MRDNGS     bone-marrow next-generation sequencing result, ``"POSITIVE"`` / ``"NEGATIVE"``
MRDSENS    sensitivity of the marrow assay as a fraction (1e-5 = 1 in 10⁵ nucleated cells)
PETMRD     PET-CT result for imaging MRD, ``"POSITIVE"`` / ``"NEGATIVE"``
========== =====================================================================================

The response category at the time of the test is read from ``response_col`` (default ``AVALC``,
the IMWG category of the same visit, e.g. the confirmed response).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import polars as pl

from plasmatrial.criteria.core.predicates import Input
from plasmatrial.criteria.core.rules import RuleCatalogue, RuleGroup
from plasmatrial.criteria.core.sources import KUMAR_2016, CitedAt
from plasmatrial.errors import RuleError

__all__ = [
    "MRD_CATEGORIES",
    "MRD_MIN_SENSITIVITY",
    "MRD_RULES",
    "MRD_RULESET",
    "MRD_RULESET_VERSION",
    "MrdRule",
    "derive_mrd",
    "mrd_catalogue",
]

MRD_RULESET: Final = "IMWG_2016_MRD"
MRD_RULESET_VERSION: Final = "1.0.0"
MRD_MIN_SENSITIVITY: Final = 1e-5
"""Minimum sensitivity (1 in 10⁵ nucleated cells) for a negative marrow MRD result."""
SUSTAINED_MIN_DAYS: Final = 365
"""'Confirmed at least 1 year apart' counted as ≥ 365 calendar days (decision 0401)."""


@dataclass(frozen=True, slots=True)
class MrdRule:
    """One MRD category: id, label, published wording, source and inputs (a
    :class:`~plasmatrial.criteria.core.rules.RuleRow`)."""

    id: str
    category: str
    text: str
    citation: CitedAt
    inputs: tuple[Input, ...] = ()

    @property
    def requires(self) -> tuple[Input, ...]:
        """Inputs (columns with units) the row reads."""
        return self.inputs

    @property
    def predicate_text(self) -> str:
        """The condition as evaluated (the published wording; see :func:`derive_mrd`)."""
        return self.text


_D0401: Final = "docs/decisions/0401-mm-mrd.md"
_MARROW: Final = (Input("MRDNGF", ""), Input("MRDNGS", ""), Input("MRDSENS", "fraction"))
_RESP: Final = (Input("AVALC", ""),)


MRD_RULES: Final[tuple[MrdRule, ...]] = (
    MrdRule(
        "IMWG2016.MRD.sustained",
        "SUSTAINED_MRD_NEGATIVE",
        "MRD negativity in the marrow (NGF or NGS, or both) and by imaging, confirmed a minimum "
        "of 1 year apart",
        KUMAR_2016.at("Panel 'IMWG MRD criteria'; 1 year as 365 days: " + _D0401),
        (*_MARROW, Input("PETMRD", ""), *_RESP),
    ),
    MrdRule(
        "IMWG2016.MRD.imaging_plus",
        "IMAGING_PLUS_MRD_NEGATIVE",
        "MRD negative by NGF or NGS plus disappearance of every area of increased tracer uptake "
        "found at baseline or a preceding PET/CT",
        KUMAR_2016.at("Panel 'IMWG MRD criteria'"),
        (*_MARROW, Input("PETMRD", ""), *_RESP),
    ),
    MrdRule(
        "IMWG2016.MRD.flow_and_sequencing",
        "FLOW_AND_SEQUENCING_MRD_NEGATIVE",
        "negative by both next-generation flow and next-generation sequencing",
        KUMAR_2016.at("Panel 'IMWG MRD criteria'"),
        (*_MARROW, *_RESP),
    ),
    MrdRule(
        "IMWG2016.MRD.flow",
        "FLOW_MRD_NEGATIVE",
        "absence of phenotypically aberrant clonal plasma cells by NGF on bone-marrow aspirate, "
        "minimum sensitivity of 1 in 10⁵ nucleated cells or higher",
        KUMAR_2016.at("Panel 'IMWG MRD criteria'"),
        (*_MARROW, *_RESP),
    ),
    MrdRule(
        "IMWG2016.MRD.sequencing",
        "SEQUENCING_MRD_NEGATIVE",
        "absence of clonal plasma cells by NGS on bone-marrow aspirate, minimum sensitivity of "
        "1 in 10⁵ nucleated cells or higher",
        KUMAR_2016.at("Panel 'IMWG MRD criteria'"),
        (*_MARROW, *_RESP),
    ),
    MrdRule(
        "IMWG2016.MRD.positive",
        "MRD_POSITIVE",
        "clonal plasma cells detected by NGF or NGS",
        KUMAR_2016.at("Panel 'IMWG MRD criteria'"),
        _MARROW,
    ),
    MrdRule(
        "IMWG2016.MRD.not_evaluable",
        "MRD_NOT_EVALUABLE",
        "negative marrow MRD result with sensitivity worse than 1 in 10⁵ (or not stated)",
        KUMAR_2016.at("Panel 'IMWG MRD criteria' (minimum sensitivity); ruling " + _D0401),
        _MARROW,
    ),
    MrdRule(
        "IMWG2016.MRD.not_in_cr",
        "MRD_NOT_IN_CR",
        "MRD negativity requires CR or sCR at the time of testing (DEFAULT)",
        KUMAR_2016.at("Panel 'IMWG MRD criteria' (requires CR); ruling " + _D0401),
        (*_MARROW, *_RESP),
    ),
    MrdRule(
        "IMWG2016.MRD.not_done",
        "MRD_NOT_DONE",
        "no marrow MRD result at this visit",
        KUMAR_2016.at("ruling " + _D0401),
        _MARROW,
    ),
)
MRD_CATEGORIES: Final[tuple[str, ...]] = tuple(r.category for r in MRD_RULES)
_RULE_BY_CAT: Final = {r.category: r for r in MRD_RULES}


def _result(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    return pl.col(name).cast(pl.String).str.strip_chars().str.to_uppercase()


def derive_mrd(
    dataset: pl.DataFrame,
    *,
    response_col: str = "AVALC",
    require_cr: bool = True,
    min_sensitivity: float = MRD_MIN_SENSITIVITY,
    subject_key: str = "USUBJID",
    date_col: str = "ADT",
) -> pl.DataFrame:
    """Derive the IMWG 2016 MRD category of every subject-visit.

    Parameters
    ----------
    dataset
        Wide assessment frame with ``USUBJID``, ``ADT`` and the optional columns ``MRDNGF``,
        ``MRDNGS``, ``MRDSENS``, ``PETMRD`` (see the module docstring) and ``response_col``.
    response_col
        Column holding the IMWG response category at the time of the test (``"sCR"``/``"CR"``...).
    require_cr
        **DEFAULT** ``True``: MRD negativity is only called in CR/sCR; other negative results
        become ``MRD_NOT_IN_CR``. ``False`` reports MRD regardless of the response (some trials).
    min_sensitivity
        Worst acceptable assay sensitivity for a negative result (default 1e-5).
    subject_key, date_col
        Subject and assessment-date columns.

    Returns
    -------
    pl.DataFrame
        The input with ``MRDCAT`` (one of :data:`MRD_CATEGORIES`), ``MRDMARNEG`` (marrow
        negative, evaluable, CR condition met), ``MRDIMGNEG`` (imaging-plus negative),
        ``MRDSUSTFL``, ``MRDNEGDUR`` (days since the start of the current run of imaging-plus
        MRD negativity), ``MRD_RULEID``, ``MRD_RULESET``, ``MRD_RULESETVER``, ``MRD_EXPLAIN`` and
        ``MRD_AT_BOUNDARY`` (sensitivity exactly equal to ``min_sensitivity``).

    Notes
    -----
    1. A marrow result is POSITIVE if NGF or NGS is positive (a detected clone overrides a
       negative result of the other method).
    2. A negative marrow result needs a sensitivity at least ``min_sensitivity``: compared on the
       log10 scale rounded to 6 decimals, so 1e-5 meets and 1.1e-5 or 1e-4 miss
       (``MRD_NOT_EVALUABLE``). A missing sensitivity also gives ``MRD_NOT_EVALUABLE``.
    3. With ``require_cr`` a negative, evaluable result outside CR/sCR is ``MRD_NOT_IN_CR``.
    4. Imaging-plus: marrow-negative (steps 2-3) and ``PETMRD == "NEGATIVE"`` at the same visit.
    5. Sustained: visits are split into runs at every marrow-positive or PET-positive result;
       within a run, a visit that is imaging-plus negative is sustained when the first
       imaging-plus negative visit of the run is ≥ 365 days earlier.

    References
    ----------
    .. [1] Kumar S et al. International Myeloma Working Group consensus criteria for response and
       minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-e346.
    """
    for col in (subject_key, date_col):
        if col not in dataset.columns:
            raise RuleError(f"dataset: missing column {col!r} needed for MRD derivation")
    if not (0 < min_sensitivity < 1):
        raise RuleError(f"min_sensitivity must be in (0, 1), got {min_sensitivity!r}")
    ngf, ngs, pet = (
        _result(dataset, "MRDNGF"),
        _result(dataset, "MRDNGS"),
        _result(dataset, "PETMRD"),
    )
    sens = (
        pl.col("MRDSENS").cast(pl.Float64)
        if "MRDSENS" in dataset.columns
        else pl.lit(None, dtype=pl.Float64)
    )
    resp = (
        _result(dataset, response_col)
        if response_col in dataset.columns
        else pl.lit(None, dtype=pl.String)
    )
    log_need = round(-math.log10(min_sensitivity), 6)
    log_sens = (-sens.log10()).round(6)
    sens_ok = (sens > 0) & (log_sens >= log_need)
    any_pos = (ngf == "POSITIVE") | (ngs == "POSITIVE")
    any_neg = (ngf == "NEGATIVE") | (ngs == "NEGATIVE")
    in_cr = resp.is_in(["SCR", "CR"]).fill_null(False) if require_cr else pl.lit(True)
    flow_neg = ngf == "NEGATIVE"
    seq_neg = ngs == "NEGATIVE"
    marrow_neg = (~any_pos.fill_null(False)) & any_neg.fill_null(False) & sens_ok.fill_null(False)
    marrow_ok = marrow_neg & in_cr
    imaging_plus = marrow_ok & (pet == "NEGATIVE").fill_null(False)
    base_cat = (
        pl.when(any_pos.fill_null(False))
        .then(pl.lit("MRD_POSITIVE"))
        .when(~any_neg.fill_null(False))
        .then(pl.lit("MRD_NOT_DONE"))
        .when(~sens_ok.fill_null(False))
        .then(pl.lit("MRD_NOT_EVALUABLE"))
        .when(~in_cr)
        .then(pl.lit("MRD_NOT_IN_CR"))
        .when(imaging_plus)
        .then(pl.lit("IMAGING_PLUS_MRD_NEGATIVE"))
        .when(flow_neg.fill_null(False) & seq_neg.fill_null(False))
        .then(pl.lit("FLOW_AND_SEQUENCING_MRD_NEGATIVE"))
        .when(flow_neg.fill_null(False))
        .then(pl.lit("FLOW_MRD_NEGATIVE"))
        .otherwise(pl.lit("SEQUENCING_MRD_NEGATIVE"))
    )
    breaks = any_pos.fill_null(False) | (pet == "POSITIVE").fill_null(False)
    order = dataset.with_row_index("_ROW").sort(subject_key, date_col, "_ROW")
    work = order.with_columns(
        base_cat.alias("_CAT"),
        marrow_ok.alias("MRDMARNEG"),
        imaging_plus.alias("MRDIMGNEG"),
        breaks.cast(pl.Int32).cum_sum().over(subject_key).alias("_RUN"),
        ((sens > 0) & (log_sens == log_need)).fill_null(False).alias("MRD_AT_BOUNDARY"),
        _fmt_sens(sens).alias("_SENSTXT"),
    )
    first_neg = (pl.when(pl.col("MRDIMGNEG")).then(pl.col(date_col)).otherwise(None).min()).over(
        subject_key, "_RUN"
    )
    dur = (pl.col(date_col) - first_neg).dt.total_days()
    work = work.with_columns(
        pl.when(pl.col("MRDIMGNEG")).then(dur).otherwise(None).alias("MRDNEGDUR"),
    ).with_columns(
        (pl.col("MRDIMGNEG") & (pl.col("MRDNEGDUR") >= SUSTAINED_MIN_DAYS))
        .fill_null(False)
        .alias("MRDSUSTFL"),
    )
    cat = (
        pl.when(pl.col("MRDSUSTFL"))
        .then(pl.lit("SUSTAINED_MRD_NEGATIVE"))
        .otherwise(pl.col("_CAT"))
    )
    ids = {c: r.id for c, r in _RULE_BY_CAT.items()}
    texts = {c: r.text for c, r in _RULE_BY_CAT.items()}
    explain = pl.format(
        "{}: NGF {}, NGS {}, sensitivity {}, PET-CT {}, response {}{} ({})",
        pl.col("MRDCAT"),
        ngf.fill_null("not done"),
        ngs.fill_null("not done"),
        pl.col("_SENSTXT"),
        pet.fill_null("not done"),
        resp.fill_null("missing"),
        pl.when(pl.col("MRDSUSTFL"))
        .then(pl.format(", imaging-plus negative for {} days", pl.col("MRDNEGDUR")))
        .otherwise(pl.lit("")),
        pl.col("MRDCAT").replace_strict(texts, default=""),
    )
    return (
        work.with_columns(cat.alias("MRDCAT"))
        .with_columns(
            pl.col("MRDCAT")
            .replace_strict(ids, default=None, return_dtype=pl.String)
            .alias("MRD_RULEID"),
            pl.lit(MRD_RULESET).alias("MRD_RULESET"),
            pl.lit(MRD_RULESET_VERSION).alias("MRD_RULESETVER"),
            explain.alias("MRD_EXPLAIN"),
        )
        .sort("_ROW")
        .drop("_ROW", "_CAT", "_RUN", "_SENSTXT")
    )


def _fmt_sens(sens: pl.Expr) -> pl.Expr:
    return sens.cast(pl.String).fill_null(pl.lit("missing"))


def mrd_catalogue() -> RuleCatalogue:
    """The MRD category rows as a catalogue for ``criteria list/show`` and ``docs/criteria/``."""
    return RuleCatalogue(
        name=MRD_RULESET,
        version=MRD_RULESET_VERSION,
        disease="MM",
        description="IMWG 2016 minimal residual disease categories, per visit",
        applied_by="plasmatrial.criteria.mm.mrd.derive_mrd",
        groups=(
            RuleGroup(
                "MRD categories",
                MRD_RULES,
                "Best category first; a negative marrow result needs a sensitivity of at least "
                "1 in 10⁵ (docs/decisions/0401-mm-mrd.md).",
            ),
        ),
    )
