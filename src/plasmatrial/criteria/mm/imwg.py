"""IMWG 2016 myeloma response and progression rule sets (``IMWG_2016``, ``IMWG_2011_NADIR``).

Rows transcribe criteria.md section 4 (Kumar 2016; Durie 2006; Rajkumar 2011) with rulings R1,
R4-R8 and Q11/Q12/Q18. Each followed parameter (serum, urine, FLC, marrow, plasmacytoma) is graded
on its own and the lowest level wins (R4, :mod:`plasmatrial.criteria.core.grading`); a followed
parameter missing at a visit makes it NE (R5). Progression (PD) wins the visit (OVRLRESP).
Confirmation and best response are in :mod:`plasmatrial.criteria.core.confirmation`.

Extra input columns (besides the analyte catalogue): ``BMCLONFL`` (clonal plasma cells in the
marrow biopsy by IHC, sCR), ``PCYTSPD`` (cm², sum of products of diameters of soft-tissue
plasmacytomas), ``NEWLESFL`` (new bone lesion or plasmacytoma), ``IFEDARAFL`` (serum IFE positive
only at the daratumumab position and daratumumab interference excluded, Q18), ``CPC``
(circulating plasma cells per µL), ``MRDNGF``/``MRDNGS``/``PETMRD`` (POSITIVE/NEGATIVE),
``NACTDT`` (start of new anti-myeloma therapy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal

import polars as pl

from plasmatrial.criteria.core.flc import flc_derivations
from plasmatrial.criteria.core.grading import GradedParameter, any_followed, lowest_level_at_least
from plasmatrial.criteria.core.options import RuleSetOptions, validate_options
from plasmatrial.criteria.core.predicates import (
    BASELINE,
    BASELINE_FLAG,
    CURRENT,
    NADIR,
    NADIR_CONFIRMED,
    Alternative,
    Predicate,
    Ref,
    Waived,
    abs_decrease,
    abs_increase,
    all_of,
    any_of,
    category_is,
    equals,
    flag,
    is_null,
    known,
    nearest_miss,
    not_,
    pct_decrease,
    pct_increase,
    present,
    seg_fill,
    seg_forward_fill,
    value,
)
from plasmatrial.criteria.core.rules import (
    ColumnKind,
    Derivation,
    Interpretation,
    OptionValue,
    OutputFlag,
    Overall,
    Rule,
    RuleSet,
    RuleTable,
)
from plasmatrial.criteria.core.scale import IMWG_SCALE, PctChangeMarker, ResponseSpec
from plasmatrial.criteria.core.sources import DURIE_2006, KUMAR_2016, RAJKUMAR_2011

__all__ = [
    "IMWG_DEFAULT_OPTIONS",
    "IMWG_ORDER",
    "MM_COLUMNS",
    "build_imwg_rule_set",
]

VERSION: Final = "1.0.1"
PdReference = Literal["lowest_confirmed", "nadir"]

#: IMWG response levels best first (PD and NE are handled by the overall parameter).
IMWG_ORDER: Final = ("sCR", "CR", "VGPR", "PR", "MR", "SD")
_LEVELS: Final = ("VGPR", "PR", "MR", "SD")

#: Extra wide-frame columns the IMWG rule sets read.
MM_COLUMNS: Final[tuple[tuple[str, ColumnKind], ...]] = (
    ("BMCLONFL", "boolean"),
    ("PCYTSPD", "numeric"),
    ("NEWLESFL", "boolean"),
    ("IFEDARAFL", "boolean"),
    ("CPC", "numeric"),
    ("MRDNGF", "character"),
    ("MRDNGS", "character"),
    ("PETMRD", "character"),
    ("NACTDT", "date"),
)


# ------------------------------------------------------------------------------ interpretations
_REC_RESP = "docs/decisions/0410-imwg-response-grading.md"
_REC_PD = "docs/decisions/0411-imwg-progression.md"
_REC_CONF = "docs/decisions/0412-imwg-confirmation.md"

I_R4: Final = Interpretation(
    "R4",
    "each followed parameter graded separately; lowest level wins",
    "Serum −60 % with urine −60 % (still ≥ 200 mg/24 h) is MR. Levels are cumulative: a "
    "parameter at a better level also counts for the worse ones (serum −33 % with urine "
    "250 → 190 mg/24 h, −24 % but < 200, is MR).",
    _REC_RESP,
)
I_R5: Final = Interpretation(
    "R5",
    "followed parameter missing and no PD → NE",
    "SD needs every followed parameter at the visit.",
    _REC_RESP,
)
I_MR: Final = Interpretation(
    "MR_UPPER",
    "MR is 25 ≤ pct < 50",
    "49.5 % is MR; 50 % is PR (DEFAULT; decision 0410).",
    _REC_RESP,
)
I_FLCVGPR: Final = Interpretation(
    "FLC_VGPR",
    "FLC-only VGPR needs dFLC decrease > 90 %",
    "Exactly 90 % is PR (DEFAULT; PCL table prints ≥ 90 %).",
    _REC_RESP,
)
I_URINE100: Final = Interpretation(
    "URINE_100",
    "the 90 % serum VGPR route needs urine < 100 mg/24 h whenever urine was assessed at baseline",
    "Urine not collected at the visit → VGPR not assessable → downgrade (M5).",
    _REC_RESP,
)
I_LATEST: Final = Interpretation(
    "LATEST_EXAM",
    "marrow and imaging from the most recent post-baseline exam",
    "BMPCL, BMCLONL and PCYTSPDL carry the latest post-baseline value forward.",
    _REC_RESP,
)
I_PCYT: Final = Interpretation(
    "PCYT_LEVELS",
    "plasmacytoma levels",
    "SPD −50 % satisfies PR and VGPR (VGPR sets no plasmacytoma threshold); 25-49 % MR; CR needs "
    "disappearance (SPD 0).",
    _REC_RESP,
)
I_Q18: Final = Interpretation(
    "Q18",
    "daratumumab IFE interference",
    "Serum IFE positive with IFEDARAFL true is read as negative.",
    _REC_RESP,
)
I_R1: Final = Interpretation(
    "R1", "reference ≤ 0: percentage met when current > 0; floor decides", "", _REC_PD
)
I_R6: Final = Interpretation(
    "R6",
    "lowest confirmed value",
    "min(baseline, lowest max(v_k, v_k+1) over consecutive pairs before the visit).",
    _REC_PD,
)
I_Q11: Final = Interpretation("Q11", "serum absolute increase ≥ 0.5 g/dL", "", _REC_PD)
I_CPC: Final = Interpretation(
    "CPC",
    "circulating PC PD only when it is the only measure; 'minimum 200/µL' = current count ≥ 200",
    "",
    _REC_PD,
)
I_RELAPSE: Final = Interpretation(
    "RELAPSE",
    "relapse flags",
    "From CR: an earlier assessment graded CR/sCR (the confirmation step additionally requires it "
    "to be confirmed). From MRD-negative: an earlier MRD-negative marrow. Clinical: computable "
    "CRAB items only (hyperviscosity and attribution are not checked).",
    _REC_CONF,
)


# ---------------------------------------------------------------------------------- derivations
def _locf_post(column: str) -> Callable[[], pl.Expr]:
    """Baseline row: own value; later rows: latest post-baseline exam (never the baseline)."""

    def build() -> pl.Expr:
        bl = pl.col(BASELINE_FLAG)
        post = seg_forward_fill(pl.when(~bl).then(pl.col(column)))
        return pl.when(bl).then(pl.col(column)).otherwise(post)

    return build


def _sifeadj() -> pl.Expr:
    dara = pl.col("IFEDARAFL").fill_null(False)
    return (
        pl.when((pl.col("SIFE") == "POSITIVE") & dara)
        .then(pl.lit("NEGATIVE"))
        .otherwise(pl.col("SIFE"))
    )


def _mrdstat() -> pl.Expr:
    ngf, ngs = pl.col("MRDNGF"), pl.col("MRDNGS")
    pos = (ngf == "POSITIVE") | (ngs == "POSITIVE")
    neg = (ngf == "NEGATIVE") | (ngs == "NEGATIVE")
    return pl.when(pos.fill_null(False)).then(1.0).when(neg.fill_null(False)).then(0.0)


def mm_derivations(ratio_low: float, ratio_high: float) -> tuple[Derivation, ...]:
    """FLC derivations (shared with AL) plus the myeloma ones."""
    return (
        *flc_derivations(ratio_low, ratio_high),
        Derivation(
            "SIFEADJ",
            "",
            "serum IFE; POSITIVE read as NEGATIVE when IFEDARAFL (daratumumab band only, Q18)",
            _sifeadj,
        ),
        Derivation(
            "BMPCL", "%", "marrow PC % of the latest post-baseline exam", _locf_post("BMPC")
        ),
        Derivation(
            "BMCLONL", "", "BMCLONFL of the latest post-baseline biopsy", _locf_post("BMCLONFL")
        ),
        Derivation(
            "PCYTSPDL", "cm2", "plasmacytoma SPD of the latest imaging", _locf_post("PCYTSPD")
        ),
        Derivation("MRDSTAT", "", "1 if NGF or NGS positive, 0 if negative", _mrdstat),
    )


# ------------------------------------------------------------------------------------ baseline
def _ratio_normal(o: dict[str, float], ref: Ref = CURRENT) -> Predicate:
    r = value("FLCRATIO", ref)
    return all_of(r >= o["flc_ratio_low"], r <= o["flc_ratio_high"])


def _measurable(o: dict[str, float]) -> dict[str, Predicate]:
    """Measurability predicates, evaluated on the baseline row (criteria.md 4.2)."""
    ser = value("SPEPMP") >= o["serum_measurable"]
    uri = value("UPEPMP") >= o["urine_measurable"]
    flc_raw = all_of(value("IFLC") >= o["iflc_measurable"], not_(_ratio_normal(o)))
    no_s = known(not_(ser), missing=True)
    no_u = known(not_(uri), missing=True)
    no_f = known(not_(flc_raw), missing=True)
    pcyt = value("PCYTSPD") > 0
    return {
        "serum": ser,
        "urine": uri,
        "flc": all_of(no_s, no_u, flc_raw),
        "marrow": all_of(no_s, no_u, no_f, present("BMPC")),
        "pcyt": pcyt,
        "cpc_only": all_of(
            no_s,
            no_u,
            no_f,
            is_null("BMPC"),
            known(not_(pcyt), missing=True),
            present("CPC"),
        ),
        "no_serum_urine": all_of(no_s, no_u),
        "no_serum_urine_flc": all_of(no_s, no_u, no_f),
    }


#: Subject-level "followed" flags derived from the baseline row (text, predicate key).
FOLLOWED: Final = (
    ("FLW_SERUM", "serum M-protein measurable at baseline", "serum"),
    ("FLW_URINE", "urine M-protein measurable at baseline", "urine"),
    ("FLW_FLC", "FLC-only measurable disease", "flc"),
    ("FLW_MARROW", "marrow-only disease (no serum, urine or FLC measurable)", "marrow"),
    ("FLW_PCYT", "soft-tissue plasmacytoma present at baseline", "pcyt"),
    ("FLW_CPC", "circulating plasma cells are the only measure of disease", "cpc_only"),
    ("NO_SU", "serum and urine M-protein not measurable", "no_serum_urine"),
    ("NO_SUF", "serum, urine and FLC not measurable", "no_serum_urine_flc"),
)


def _followed_derivations(o: dict[str, float]) -> tuple[Derivation, ...]:
    m = _measurable(o)

    def make(key: str) -> Callable[[], pl.Expr]:
        def build() -> pl.Expr:
            at_bl = pl.when(pl.col(BASELINE_FLAG)).then(m[key].to_expr().fill_null(False))
            return seg_fill(at_bl).fill_null(False)

        return build

    return tuple(
        Derivation(col, "", f"{text} (baseline row: {m[key]})", make(key))
        for col, text, key in FOLLOWED
    )


def _followed() -> dict[str, Predicate]:
    return {key: flag(col, missing=False) for col, _, key in FOLLOWED}


def _measurable_table(m: dict[str, Predicate]) -> RuleTable:
    cite = KUMAR_2016.at(
        "measurable disease definitions; ruling docs/decisions/0410-imwg-response-grading.md"
    )
    rows = (
        (
            "SPEP_UPEP",
            "serum M-protein ≥ 1.0 g/dL and urine M-protein ≥ 200 mg/24 h",
            all_of(m["serum"], m["urine"]),
        ),
        ("SPEP", "serum M-protein ≥ 1.0 g/dL", m["serum"]),
        ("UPEP", "urine M-protein ≥ 200 mg/24 h", m["urine"]),
        (
            "FLC",
            "serum and urine not measurable; iFLC ≥ 100 mg/L with abnormal κ/λ ratio",
            m["flc"],
        ),
        (
            "MARROW",
            "serum, urine and FLC not measurable; marrow PC % at baseline (PR needs ≥ 30 %)",
            m["marrow"],
        ),
        ("PLASMACYTOMA", "soft-tissue plasmacytoma only (SPD > 0)", m["pcyt"]),
        ("CPC", "circulating plasma cells are the only measure of disease", m["cpc_only"]),
    )
    return RuleTable(
        "MMMEAS",
        "Measurable disease at baseline (which parameters are followed)",
        "IMWG.MEAS",
        tuple(Rule(f"IMWG.MEAS.{c}", c, cite, t, p, note_missing=False) for c, t, p in rows),
        flags=(
            OutputFlag(
                "PLASMACYTOMA_FOLLOWED", known(m["pcyt"]), "plasmacytoma followed by imaging"
            ),
        ),
        timepoint="baseline",
    )


# ------------------------------------------------------------------------------------ response
def graded_parameters(o: dict[str, float], m: dict[str, Predicate]) -> tuple[GradedParameter, ...]:
    """The followed parameters and their cumulative levels (criteria.md 4.3, R4)."""
    # The serum route's urine clause (I_URINE100): where urine is a followed parameter its own
    # VGPR row tests the same threshold, so the clause is waived there rather than stated twice.
    urine_ok = Waived(
        known(m["urine"]),
        any_of(is_null("UPEPMP", BASELINE), value("UPEPMP") < o["vgpr_urine_max"]),
        "urine M-protein followed (its own VGPR threshold applies)",
    )
    serum = GradedParameter(
        "serum M-protein",
        m["serum"],
        {
            "VGPR": all_of(any_of(value("SPEPMP").eq(0), pct_decrease("SPEPMP") >= 90), urine_ok),
            "PR": pct_decrease("SPEPMP") >= 50,
            "MR": pct_decrease("SPEPMP") >= 25,
            "SD": present("SPEPMP"),
        },
    )
    urine = GradedParameter(
        "urine M-protein",
        m["urine"],
        {
            "VGPR": value("UPEPMP") < o["vgpr_urine_max"],
            "PR": any_of(pct_decrease("UPEPMP") >= 90, value("UPEPMP") < 200),
            # Cumulative (R4): MR's own 50-89 % band, or PR's urine requirement (≥ 90 % is
            # already ≥ 50 %; < 200 mg/24 h is not, e.g. 250 → 190 is only −24 %).
            "MR": any_of(pct_decrease("UPEPMP") >= 50, value("UPEPMP") < 200),
            "SD": present("UPEPMP"),
        },
    )
    flc_vgpr = pct_decrease("DFLC") > 90 if o["flc_vgpr_strict"] else pct_decrease("DFLC") >= 90
    flc = GradedParameter(
        "dFLC (FLC-only disease)",
        m["flc"],
        {"VGPR": flc_vgpr, "PR": pct_decrease("DFLC") >= 50, "SD": present("DFLC")},
    )
    marrow = GradedParameter(
        "marrow PC (marrow-only disease)",
        m["marrow"],
        {
            "PR": all_of(value("BMPC", BASELINE) >= 30, pct_decrease("BMPCL") >= 50),
            "SD": present("BMPCL"),
        },
    )
    pcyt = GradedParameter(
        "plasmacytoma SPD",
        m["pcyt"],
        {
            "VGPR": pct_decrease("PCYTSPDL") >= 50,
            "MR": pct_decrease("PCYTSPDL") >= 25,
            "SD": present("PCYTSPDL"),
        },
    )
    return (serum, urine, flc, marrow, pcyt)


def _response_table(o: dict[str, float], m: dict[str, Predicate]) -> RuleTable:
    params = graded_parameters(o, m)
    ife_neg = all_of(equals("SIFEADJ", "NEGATIVE"), equals("UIFE", "NEGATIVE"))
    cr = all_of(
        ife_neg,
        any_of(not_(known(m["pcyt"])), value("PCYTSPDL").eq(0)),
        value("BMPCL") < 5,
        any_of(not_(known(m["flc"])), _ratio_normal(o)),
    )
    scr = all_of(cr, _ratio_normal(o), not_(flag("BMCLONL")))
    cite = KUMAR_2016.at(
        "response criteria table; ruling docs/decisions/0410-imwg-response-grading.md"
    )
    lo, hi = f"{o['flc_ratio_low']:g}", f"{o['flc_ratio_high']:g}"
    lvl = {lv: lowest_level_at_least(params, lv, _LEVELS) for lv in _LEVELS}
    rows: tuple[Rule, ...] = (
        Rule(
            "IMWG.RESP.SCR",
            "sCR",
            cite.citation.at("response table, row sCR (IHC κ/λ wording per CIBMTR manual)"),
            f"CR as below plus normal FLC ratio ({lo}–{hi}) and absence of clonal cells in the "
            "bone-marrow biopsy by immunohistochemistry",
            scr,
            (I_Q18, I_LATEST),
        ),
        Rule(
            "IMWG.RESP.CR",
            "CR",
            cite.citation.at("response table, row CR"),
            "negative serum and urine IFE, disappearance of soft-tissue plasmacytomas, < 5 % "
            f"plasma cells in marrow aspirate; FLC-only: also normal FLC ratio ({lo}–{hi})",
            cr,
            (I_Q18, I_LATEST, I_PCYT),
        ),
        Rule(
            "IMWG.RESP.VGPR",
            "VGPR",
            cite.citation.at("response table, row VGPR"),
            "every followed parameter at VGPR: serum M-protein detectable by IFE but 0 on "
            "electrophoresis or ≥ 90 % reduction with urine < 100 mg/24 h; urine < 100 mg/24 h; "
            "FLC-only dFLC decrease > 90 %; plasmacytoma SPD ≥ 50 % smaller",
            lvl["VGPR"],
            (I_R4, I_R5, I_URINE100, I_FLCVGPR, I_PCYT),
        ),
        Rule(
            "IMWG.RESP.PR",
            "PR",
            cite.citation.at("response table, row PR"),
            "every followed parameter at PR or better: serum ≥ 50 % reduction; urine ≥ 90 % "
            "reduction or < 200 mg/24 h; FLC-only dFLC ≥ 50 % decrease; marrow-only (baseline "
            "≥ 30 %) ≥ 50 % reduction of marrow PCs; plasmacytoma SPD ≥ 50 % smaller",
            lvl["PR"],
            (I_R4, I_R5, I_LATEST, I_PCYT),
        ),
        Rule(
            "IMWG.RESP.MR",
            "MR",
            cite.citation.at("response table, row MR"),
            "every followed parameter at MR or better: serum 25-49 % reduction; urine 50-89 % "
            "reduction (or < 200 mg/24 h, the PR urine level); plasmacytoma SPD 25-49 % smaller "
            "(not applicable to FLC-only or marrow-only disease)",
            lvl["MR"],
            (I_R4, I_R5, I_MR, I_PCYT),
        ),
    )
    rows = (
        *rows,
        Rule(
            "IMWG.RESP.SD",
            "SD",
            cite.citation.at("response table, row SD"),
            "not meeting CR, VGPR, PR, MR or PD; every followed parameter measured at the visit",
            nearest_miss(
                lvl["SD"],
                "no response",
                (
                    Alternative(rows[3].id, "partial response", rows[3].when),
                    Alternative(rows[4].id, "minimal response", rows[4].when),
                ),
            ),
            (I_R4, I_R5),
        ),
    )
    return RuleTable(
        "MMCAT",
        "IMWG response category from the visit's values (before progression and confirmation)",
        "IMWG.RESP",
        rows,
        population=Rule(
            "IMWG.RESP.MEASURABLE",
            "EVALUABLE",
            KUMAR_2016.at(
                "measurable disease; ruling docs/decisions/0410-imwg-response-grading.md"
            ),
            "measurable disease at baseline (serum, urine, FLC, marrow or plasmacytoma)",
            any_followed(params),
        ),
        order=IMWG_ORDER,
    )


# --------------------------------------------------------------------------------- progression
def _pd_table(o: dict[str, float], m: dict[str, Predicate], ref_kind: PdReference) -> RuleTable:
    ref = NADIR_CONFIRMED if ref_kind == "lowest_confirmed" else NADIR
    ids = "IMWG2016.PD" if ref_kind == "lowest_confirmed" else "IMWG2011.PD"
    source = KUMAR_2016 if ref_kind == "lowest_confirmed" else RAJKUMAR_2011
    cite = source.at("progressive disease criteria; ruling docs/decisions/0411-imwg-progression.md")
    refword = "lowest confirmed value" if ref_kind == "lowest_confirmed" else "lowest value (nadir)"
    interp = (I_R1, I_R6) if ref_kind == "lowest_confirmed" else (I_R1,)
    imaging = any_of(flag("NEWLESFL", missing=False), pct_increase("PCYTSPD", NADIR, r1=True) >= 50)
    rows: tuple[Rule, ...] = (
        Rule(
            f"{ids}.P1",
            "PD",
            cite,
            f"serum M-protein ≥ 25 % increase from the {refword} and absolute increase ≥ 0.5 g/dL",
            all_of(
                pct_increase("SPEPMP", ref, r1=True) >= 25,
                abs_increase("SPEPMP", ref) >= o["pd_serum_abs"],
            ),
            (*interp, I_Q11),
            note_missing=False,
        ),
        Rule(
            f"{ids}.P2",
            "PD",
            cite,
            f"serum M-protein increase ≥ 1 g/dL when the {refword} is ≥ 5 g/dL",
            all_of(value("SPEPMP", ref) >= 5, abs_increase("SPEPMP", ref) >= 1),
            interp,
            note_missing=False,
        ),
        Rule(
            f"{ids}.P3",
            "PD",
            cite,
            f"urine M-protein ≥ 25 % increase from the {refword} and absolute increase ≥ 200 mg/24 h",
            all_of(pct_increase("UPEPMP", ref, r1=True) >= 25, abs_increase("UPEPMP", ref) >= 200),
            interp,
            note_missing=False,
        ),
        Rule(
            f"{ids}.P4",
            "PD",
            cite,
            "serum and urine M-protein not measurable: dFLC ≥ 25 % increase and absolute "
            "increase > 100 mg/L",
            all_of(
                m["no_serum_urine"],
                pct_increase("DFLC", ref, r1=True) >= 25,
                abs_increase("DFLC", ref) > 100,
            ),
            interp,
            note_missing=False,
        ),
        Rule(
            f"{ids}.P5",
            "PD",
            cite,
            "serum, urine and FLC not measurable: marrow PC % ≥ 25 % increase and absolute "
            "increase ≥ 10 percentage points",
            all_of(
                m["no_serum_urine_flc"],
                pct_increase("BMPC", ref, r1=True) >= 25,
                abs_increase("BMPC", ref) >= 10,
            ),
            interp,
            note_missing=False,
        ),
        Rule(
            f"{ids}.P6.NEWLESION",
            "PD",
            KUMAR_2016.at(
                "progressive disease criteria, imaging; ruling docs/decisions/0411-imwg-progression.md"
            ),
            "new bone lesion(s) or soft-tissue plasmacytoma(s)",
            flag("NEWLESFL", missing=False),
            note_missing=False,
        ),
        Rule(
            f"{ids}.P6.SPD",
            "PD",
            KUMAR_2016.at(
                "progressive disease criteria, imaging; ruling docs/decisions/0411-imwg-progression.md"
            ),
            "≥ 50 % increase from nadir in the SPD of plasmacytomas",
            pct_increase("PCYTSPD", NADIR, r1=True) >= 50,
            (I_R1,),
            note_missing=False,
        ),
        Rule(
            f"{ids}.P7",
            "PD",
            cite,
            "circulating plasma cells as the only measure of disease: ≥ 50 % increase "
            "(minimum 200 cells/µL)",
            all_of(
                m["cpc_only"],
                pct_increase("CPC", ref, r1=True) >= 50,
                value("CPC") >= 200,
            ),
            (*interp, I_CPC),
            note_missing=False,
        ),
    )
    names = {
        "P1": "serum M-protein progression",
        "P2": "serum M-protein progression from ≥ 5 g/dL",
        "P3": "urine M-protein progression",
        "P4": "dFLC progression",
        "P5": "marrow plasma cell progression",
        "P6.NEWLESION": "new lesion",
        "P6.SPD": "plasmacytoma growth",
        "P7": "circulating plasma cell progression",
    }
    available = any_of(
        present("SPEPMP"),
        present("UPEPMP"),
        present("DFLC"),
        present("BMPC"),
        present("PCYTSPD"),
        present("CPC"),
    )
    alternatives = tuple(
        Alternative(r.id, names.get(r.id.removeprefix(ids + "."), "progression"), r.when)
        for r in rows
    )
    rows = (
        *rows,
        Rule(
            f"{ids}.NONE",
            "NOPD",
            cite,
            "no progression rule met by the available parameters",
            nearest_miss(available, "no progression", alternatives, show_item=False),
        ),
    )
    return RuleTable(
        "MMPD",
        f"IMWG progressive disease at the visit (reference: {refword})",
        ids,
        rows,
        flags=(OutputFlag("PD_IMAGING", known(imaging), "PD shown by imaging (needs no repeat)"),),
    )


# ------------------------------------------------------------------------------------- relapse
def _relapse_tables() -> tuple[RuleTable, ...]:
    cite = KUMAR_2016.at("relapse definitions; ruling docs/decisions/0411-imwg-progression.md")
    pd = category_is("MMPD", "PD")
    reappear = any_of(
        known(equals("SIFEADJ", "POSITIVE")),
        known(equals("UIFE", "POSITIVE")),
        known(value("SPEPMP") > 0),
        known(value("UPEPMP") > 0),
        known(value("BMPC") >= 5),
        flag("NEWLESFL", missing=False),
        known(value("CALCIUM") > 11),
        pd,
    )
    assessed = any_of(present("SIFE"), present("UIFE"), present("SPEPMP"), present("UPEPMP"))
    relcr = RuleTable(
        "RELCR",
        "Relapse from CR (for disease-free survival)",
        "IMWG.RELCR",
        (
            Rule(
                "IMWG.RELCR.Y",
                "Y",
                cite,
                "reappearance of M-protein by IFE or electrophoresis, ≥ 5 % marrow PCs, or any "
                "other sign of progression (new lesion, hypercalcaemia > 11 mg/dL, PD)",
                reappear,
                (I_RELAPSE,),
            ),
            Rule(
                "IMWG.RELCR.N", "N", cite, "no relapse item met", all_of(not_(reappear), assessed)
            ),
        ),
        population=Rule(
            "IMWG.RELCR.FROMCR",
            "EVALUABLE",
            cite,
            "an earlier assessment was graded CR or sCR",
            category_is("MMCAT__BEST", "sCR", "CR"),
            (I_RELAPSE,),
        ),
    )
    mrd_loss = any_of(known(value("MRDSTAT").eq(1)), known(equals("PETMRD", "POSITIVE")), reappear)
    relmrd = RuleTable(
        "RELMRD",
        "Relapse from MRD-negativity (for DFS / duration of MRD negativity)",
        "IMWG.RELMRD",
        (
            Rule(
                "IMWG.RELMRD.Y",
                "Y",
                cite,
                "loss of MRD negativity (NGF/NGS positive or imaging positive), M-protein "
                "reappearance, ≥ 5 % marrow PCs or any other sign of progression",
                mrd_loss,
                (I_RELAPSE,),
            ),
            Rule(
                "IMWG.RELMRD.N", "N", cite, "no relapse item met", all_of(not_(mrd_loss), assessed)
            ),
        ),
        population=Rule(
            "IMWG.RELMRD.FROMNEG",
            "EVALUABLE",
            cite,
            "an earlier marrow MRD result was negative",
            value("MRDSTAT", NADIR).eq(0),
            (I_RELAPSE,),
        ),
    )
    clin = any_of(
        flag("NEWLESFL", missing=False),
        known(pct_increase("PCYTSPD", NADIR, r1=True) >= 50),
        known(value("CALCIUM") > 11),
        known(abs_decrease("HGB", BASELINE) >= 2),
        known(abs_increase("CREAT", BASELINE) >= 2),
    )
    clinrel = RuleTable(
        "CLINREL",
        "Clinical relapse (not used for PFS/TTP)",
        "IMWG.CLINREL",
        (
            Rule(
                "IMWG.CLINREL.Y",
                "Y",
                cite,
                "new lesion, plasmacytoma SPD ≥ 50 % increase, calcium > 11 mg/dL, hemoglobin "
                "fall ≥ 2 g/dL or creatinine rise ≥ 2 mg/dL from start of therapy",
                clin,
                (I_RELAPSE,),
            ),
            Rule(
                "IMWG.CLINREL.N",
                "N",
                cite,
                "no clinical relapse item met",
                all_of(
                    not_(clin),
                    any_of(
                        present("CALCIUM"), present("HGB"), present("CREAT"), present("PCYTSPD")
                    ),
                ),
            ),
        ),
    )
    return relcr, relmrd, clinrel


# ---------------------------------------------------------------------------------------- builder
class ImwgOptions(RuleSetOptions):
    """Typed options of the IMWG rule sets; values and DEFAULTs in :data:`IMWG_DEFAULT_OPTIONS`."""

    pd_reference: PdReference
    flc_ratio_low: float
    flc_ratio_high: float
    serum_measurable: float
    urine_measurable: float
    iflc_measurable: float
    vgpr_urine_max: float
    pd_serum_abs: float
    flc_vgpr_strict: bool


def _confirmed_visits(assessments: pl.DataFrame, rule_set: RuleSet) -> pl.DataFrame:
    """Per-visit confirmed OVRLRESP with relapse flags (what ``respond`` writes)."""
    from plasmatrial.criteria.mm.response import respond_mm

    return respond_mm(assessments, rule_set).visits


IMWG_RESPONSE: Final = ResponseSpec(
    parameter="OVRLRESP",
    scale=IMWG_SCALE,
    responder=("sCR", "CR", "VGPR", "PR"),
    label="Response (IMWG)",
    pfs_label="Progression-free survival",
    marker=PctChangeMarker("SPEPMP", ("SPEPMP",), lambda: pl.col("SPEPMP")),
    measurable=("MMMEAS", ("SPEP", "UPEP", "SPEP_UPEP")),
    visits=_confirmed_visits,
)
"""The response of the IMWG rule sets (decision 0260): confirmed OVRLRESP (criteria.md 4.4)."""


def build_imwg_rule_set(**options: OptionValue) -> RuleSet:
    """Build an IMWG rule set from options (see :data:`IMWG_DEFAULT_OPTIONS`).

    Raises
    ------
    RuleError
        Unknown options and values outside their allowed sets, all listed.
    """
    o = dict(IMWG_DEFAULT_OPTIONS) | options
    opts = validate_options(ImwgOptions, o)
    nums: dict[str, float] = {
        k: getattr(opts, k)
        for k in (
            "flc_ratio_low",
            "flc_ratio_high",
            "serum_measurable",
            "urine_measurable",
            "iflc_measurable",
            "vgpr_urine_max",
            "pd_serum_abs",
        )
    }
    nums["flc_vgpr_strict"] = float(opts.flc_vgpr_strict)
    m = _followed()
    pd_ref = opts.pd_reference
    name = "IMWG_2016" if pd_ref == "lowest_confirmed" else "IMWG_2011_NADIR"
    return RuleSet(
        name=name,
        version=VERSION,
        disease="multiple myeloma",
        description=(
            "IMWG 2016 response (lowest level across followed parameters), progression vs the "
            + ("lowest confirmed value (R6)" if pd_ref == "lowest_confirmed" else "nadir (2011)")
            + ", relapse flags"
        ),
        tables=(
            _measurable_table(_measurable(nums)),
            _response_table(nums, m),
            _pd_table(nums, m, pd_ref),
            *_relapse_tables(),
        ),
        derivations=(
            *mm_derivations(nums["flc_ratio_low"], nums["flc_ratio_high"]),
            *_followed_derivations(nums),
        ),
        overall=(
            Overall(
                "OVRLRESP",
                "Overall IMWG response at the visit: PD wins, else the response category",
                "MMPD",
                ("PD",),
                "MMCAT",
            ),
        ),
        options=tuple(sorted(o.items())),
        columns=MM_COLUMNS,
        response=IMWG_RESPONSE,
        builder=build_imwg_rule_set,
    )


IMWG_DEFAULT_OPTIONS: Final[dict[str, OptionValue]] = {
    "pd_reference": "lowest_confirmed",
    "flc_ratio_low": 0.26,
    "flc_ratio_high": 1.65,
    "serum_measurable": 1.0,
    "urine_measurable": 200.0,
    "iflc_measurable": 100.0,
    "vgpr_urine_max": 100.0,
    "pd_serum_abs": 0.5,
    "flc_vgpr_strict": True,
}
"""Default IMWG options (criteria.md 4.2-4.6 DEFAULTs, Q11, Q12)."""

_ = DURIE_2006
