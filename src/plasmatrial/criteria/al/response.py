"""AL amyloidosis rule sets: hematologic response and progression, cardiac, renal and liver.

Rows transcribe criteria.md sections 1-2 (Palladini 2012, Comenzo 2012, Milani/Dittrich 2017,
Gertz 2005, Palladini 2014, Palladini 2018, Muchtar 2020/2023, ISA proposal). One builder makes
every variant; the registry exposes the CR variants of Q1 and the Palladini 2018 progression set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Final, Literal

import polars as pl

from plasmatrial.criteria.core.flc import flc_derivations
from plasmatrial.criteria.core.options import RuleSetOptions, validate_options
from plasmatrial.criteria.core.predicates import (
    BASELINE,
    NADIR,
    NADIR_TO_DATE,
    Alternative,
    Predicate,
    Scaled,
    Value,
    abs_decrease,
    abs_increase,
    all_of,
    any_of,
    best_value,
    category_is,
    equals,
    flag,
    known,
    nadir_while,
    nearest_miss,
    not_,
    pct_decrease,
    pct_increase,
    present,
    seg_fill,
    value,
)
from plasmatrial.criteria.core.rules import (
    Derivation,
    Interpretation,
    OptionValue,
    OutputFlag,
    Overall,
    Rule,
    RuleSet,
    RuleTable,
)
from plasmatrial.criteria.core.scale import AL_SCALE, OrganResponse, PctChangeMarker, ResponseSpec
from plasmatrial.criteria.core.sources import (
    COMENZO_2012,
    DITTRICH_2017,
    GERTZ_2005,
    HEMATO_2022,
    JACC_CARDIOONC_2024,
    KATZMANN_2002,
    MILANI_2017,
    MUCHTAR_2020,
    MUCHTAR_2023,
    PALLADINI_2012,
    PALLADINI_2014,
    PALLADINI_2018,
    PALLADINI_MILANI_MERLINI_2020,
)

CrVariant = Literal["CR_2012_RATIO", "CR_2012_LEVELS_AND_RATIO", "CR_ISA", "CR_MAYO_2020"]
Progression = Literal["2012", "PALLADINI_2018"]
Doubling = Literal["ratio_only", "both", "none"]
CardRef = Literal["nadir", "baseline"]
CardiacCriteria = Literal["PALLADINI_2012", "GERTZ_2005"]
RenalCriteria = Literal["PALLADINI_2014", "GERTZ_2005"]
AlpRule = Literal["value", "excess_over_uln"]

VERSION: Final = "1.0.0"
G: Final = "USUBJID"

# ------------------------------------------------------------------------------ interpretations
_REC_HEM = "docs/decisions/0201-al-hematologic-interpretations.md"
_REC_PROG = "docs/decisions/0202-al-progression.md"
_REC_CARD = "docs/decisions/0203-al-cardiac.md"
_REC_ORG = "docs/decisions/0204-al-renal-liver.md"

I_Q1: Final = Interpretation(
    "Q1",
    "CR definition variants are selectable rule sets",
    "CR_2012_RATIO is the default; the others are proposals.",
    _REC_HEM,
)
I_Q2: Final = Interpretation(
    "Q2",
    "PR needs dFLC decrease > 50%",
    "Palladini 2012 (validated) over the ≥ 50% wording.",
    _REC_HEM,
)
I_Q3: Final = Interpretation(
    "Q3",
    "measurable dFLC is ≥ 50 mg/L",
    "50.0 exactly is measurable (flagged AT_BOUNDARY).",
    _REC_HEM,
)
I_Q4: Final = Interpretation(
    "Q4",
    "low-dFLC window 20 ≤ dFLC < 50 mg/L",
    "20.0 exactly is LOW_DFLC (flagged AT_BOUNDARY).",
    _REC_HEM,
)
I_INVLC: Final = Interpretation(
    "INVLC",
    "involved light chain inferred from baseline ratio",
    "κ/λ > upper limit → κ, < lower limit → λ, else unknown → NE; flagged INVLC_INFERRED.",
    _REC_HEM,
)
I_LDPR: Final = Interpretation(
    "LDPR",
    "LDPR is its own code ranked below PR",
    "Never co-occurs with PR/VGPR for one subject (class fixed at baseline).",
    _REC_HEM,
)
I_PEAK: Final = Interpretation(
    "PEAK",
    "visible urine peak is not checked",
    "A urine M-protein value > 0 is taken to be a visible peak.",
    _REC_HEM,
)
I_Q8: Final = Interpretation(
    "Q8",
    "FLC progression uses iFLC vs its nadir",
    "Nadir over baseline and earlier assessments.",
    _REC_PROG,
)
I_R1: Final = Interpretation(
    "R1",
    "reference ≤ 0 in progression with an absolute floor",
    "Percentage condition met when current > 0; the floor decides.",
    _REC_PROG,
)
I_R2: Final = Interpretation(
    "R2",
    "best response so far excludes the current visit",
    "No earlier assessment → PR/NR rows with nadir references.",
    _REC_PROG,
)
I_DOUBLE: Final = Interpretation(
    "DOUBLE",
    "CR relapse doubling",
    "iFLC ≥ 2 × lowest iFLC at earlier CR assessments; option cr_relapse_doubling_applies_to.",
    _REC_PROG,
)
I_Q6: Final = Interpretation(
    "Q6",
    "cardiac progression reference and semantics",
    "NT-proBNP and troponin vs nadir (option); LVEF absolute points vs baseline.",
    _REC_CARD,
)
I_RENEX: Final = Interpretation(
    "RENEX",
    "[UNVERIFIED] worsening renal function = eGFR fall ≥ 25% vs baseline",
    "Blocks NT-proBNP progression; missing eGFR does not block.",
    _REC_CARD,
)
I_Q10: Final = Interpretation(
    "Q10",
    "IMiD confounds NT-proBNP",
    "Flag NTPROBNP_IMID_CONFOUNDED while IMIDFL; category still computed.",
    _REC_CARD,
)
I_Q5: Final = Interpretation(
    "Q5",
    "NT-proBNP evaluability ≥ 650 (binary) / > 650 (graded)",
    "As each source states.",
    _REC_CARD,
)
I_GRADED: Final = Interpretation(
    "GRADED",
    "graded CarCR uses the nadir to date",
    "Lowest value from baseline up to and including the visit; the visit's own value must be present.",
    _REC_CARD,
)
I_Q7: Final = Interpretation(
    "Q7", "renal progression eGFR fall ≥ 25%", "Palladini 2014 abstract wording.", _REC_ORG
)
I_GERTZ_LVEF: Final = Interpretation(
    "G2005LVEF",
    "Gertz 2005 'LVEF up 20%' read as 20 percentage points",
    "Absolute points, consistent with Q6 for the LVEF progression rule.",
    _REC_ORG,
)
I_GERTZ_WALL: Final = Interpretation(
    "G2005WALL",
    "'no wall thickening' = septum not thicker than at baseline; diuretic column optional",
    "NYHA route needs IVSD not above baseline and DIURINC (diuretic dose increased) not true; "
    "missing values do not block.",
    _REC_ORG,
)
I_RENAL2005_PROG: Final = Interpretation(
    "R2005PROG",
    "[UNVERIFIED] RENAL_2005 progression recalled, not seen in a stored source",
    "Proteinuria up 50% (at least 1 g/day) to > 1 g/day, or creatinine up 25%, or eGFR down 25%.",
    _REC_ORG,
)
I_ALP: Final = Interpretation(
    "ALP",
    "liver ALP response",
    "50% decrease of the ALP value (default) or of the excess over ULN; 'by 50%' read as ≥ 50%.",
    _REC_ORG,
)

FLAG_IMID: Final = OutputFlag(
    "NTPROBNP_IMID_CONFOUNDED", flag("IMIDFL", missing=False), "IMiD given at the assessment (Q10)"
)
FLAG_INFERRED: Final = OutputFlag(
    "INVLC_INFERRED",
    flag("INVLC_INFERRED", missing=False),
    "involved light chain inferred from baseline ratio",
)

# ---------------------------------------------------------------------------------- derivations


def al_derivations(ratio_low: float, ratio_high: float) -> tuple[Derivation, ...]:
    """The FLC derivations (:func:`~plasmatrial.criteria.core.flc.flc_derivations`, shared with
    myeloma), the ALP excess and the subject-level organ flags."""
    return (
        *flc_derivations(ratio_low, ratio_high),
        Derivation("ALPEXC", "U/L", "ALP − ALP ULN", lambda: pl.col("ALP") - pl.col("ALP_ULN")),
        *(
            Derivation(fl, "", f"{fl} is subject-level: carried to every row", _subject_level(fl))
            for fl in ("HEARTFL", "KIDNEYFL", "LIVERFL")
        ),
    )


def _subject_level(column: str) -> Callable[[], pl.Expr]:
    def build() -> pl.Expr:
        return seg_fill(pl.col(column))

    return build


# ------------------------------------------------------------------------------------ hematology
MEAS, LOW, MPROT, CRONLY = "DFLC_MEASURABLE", "LOW_DFLC", "MPROTEIN_ONLY", "CR_ONLY"
CLASSES: Final = (MEAS, LOW, MPROT, CRONLY)
HEM_ORDER: Final = ("CR", "VGPR", "PR", "LDPR", "NR")


def _evaluability_table() -> RuleTable:
    dflc_bl = value("DFLC", BASELINE)
    mprot = any_of(value("SPEPMP", BASELINE) > 0.5, value("UPEPMP", BASELINE) > 100)
    return RuleTable(
        "HEMEVAL",
        "Hematologic evaluability class (decided once, from baseline)",
        "AL.EVAL",
        (
            Rule(
                "AL.EVAL.DFLC_MEASURABLE",
                MEAS,
                COMENZO_2012.at(
                    "measurable disease; ruling docs/decisions/0201-al-hematologic-interpretations.md"
                ),
                "dFLC at baseline ≥ 50 mg/L",
                dflc_bl >= 50,
                (I_Q3, I_INVLC),
            ),
            Rule(
                "AL.EVAL.LOW_DFLC",
                LOW,
                MILANI_2017.at(
                    "low-dFLC definition; Dittrich 2017; ruling docs/decisions/0201-al-hematologic-interpretations.md"
                ),
                "20 ≤ dFLC at baseline < 50 mg/L",
                dflc_bl >= 20,
                (I_Q4,),
            ),
            Rule(
                "AL.EVAL.MPROTEIN_ONLY",
                MPROT,
                GERTZ_2005.at(
                    "M-protein response rules as listed in the CIBMTR manual; ruling docs/decisions/0201-al-hematologic-interpretations.md"
                ),
                "dFLC < 20 mg/L and (serum M-protein > 0.5 g/dL or urine M-protein > 100 mg/24 h with a visible peak)",
                all_of(dflc_bl < 20, mprot),
                (I_PEAK,),
            ),
            Rule(
                "AL.EVAL.CR_ONLY",
                CRONLY,
                COMENZO_2012.at(
                    "evaluability; ruling docs/decisions/0201-al-hematologic-interpretations.md"
                ),
                "dFLC < 20 mg/L and neither M-protein threshold met: CR or not CR only",
                dflc_bl < 20,
            ),
        ),
        emit=False,
    )


def _cr_test(variant: CrVariant, o: dict[str, float]) -> tuple[Predicate, str, Rule | None]:
    r = value("FLCRATIO")
    ratio_ok = all_of(r >= o["flc_ratio_low"], r <= o["flc_ratio_high"])
    lo, hi = f"{o['flc_ratio_low']:g}", f"{o['flc_ratio_high']:g}"
    if variant == "CR_2012_RATIO":
        return ratio_ok, f"normal FLC ratio ({lo}–{hi})", None
    if variant == "CR_2012_LEVELS_AND_RATIO":
        k, lam = value("FLCKAP"), value("FLCLAM")
        levels = all_of(
            ratio_ok,
            k >= o["kappa_low"],
            k <= o["kappa_high"],
            lam >= o["lambda_low"],
            lam <= o["lambda_high"],
        )
        return (
            levels,
            f"normal FLC ratio ({lo}–{hi}) and κ ({o['kappa_low']:g}–{o['kappa_high']:g} mg/L) and λ ({o['lambda_low']:g}–{o['lambda_high']:g} mg/L) within reference ranges",
            None,
        )
    if variant == "CR_ISA":
        isa = any_of(ratio_ok, all_of(not_(ratio_ok), value("UFLC") > value("IFLC")))
        return isa, f"normal FLC ratio ({lo}–{hi}), or abnormal ratio with uFLC > iFLC", None
    mayo = any_of(value("IFLC") <= 20, value("DFLC") <= 10)
    return mayo, "iFLC ≤ 20 mg/L or dFLC ≤ 10 mg/L", None


_CR_CITES = {
    "CR_2012_RATIO": PALLADINI_2012.at(
        "abstract, CR definition; Comenzo 2012 table; ruling Q1 docs/decisions/0201-al-hematologic-interpretations.md"
    ),
    "CR_2012_LEVELS_AND_RATIO": COMENZO_2012.at(
        "response table, CR row; ruling Q1 docs/decisions/0201-al-hematologic-interpretations.md"
    ),
    "CR_ISA": HEMATO_2022.at(
        "ISA Board CR proposal; ruling Q1 docs/decisions/0201-al-hematologic-interpretations.md"
    ),
    "CR_MAYO_2020": MUCHTAR_2020.at(
        "proposed CR; ruling Q1 docs/decisions/0201-al-hematologic-interpretations.md"
    ),
}


def hem_population() -> Rule:
    """Gate: the evaluability class is known (INVLC known or inferred, baseline FLC present)."""
    return Rule(
        "AL.HEM.EVALUABLE",
        "EVALUABLE",
        COMENZO_2012.at(
            "unknown involved light chain → NE; ruling docs/decisions/0201-al-hematologic-interpretations.md"
        ),
        "hematologic evaluability class established at baseline",
        category_is("HEMEVAL", *CLASSES),
        (I_INVLC,),
    )


def _hemcat_table(variant: CrVariant, o: dict[str, float]) -> RuleTable:
    cr_cond, cr_text, _ = _cr_test(variant, o)
    ife_neg = all_of(equals("SIFE", "NEGATIVE"), equals("UIFE", "NEGATIVE"))
    cr = all_of(ife_neg, cr_cond)
    vgpr_c = value("DFLC") < 40
    pr_c = pct_decrease("DFLC", BASELINE) > 50
    ldpr_c = value("DFLC") < 10
    mprot_c = any_of(
        all_of(value("SPEPMP", BASELINE) > 0.5, pct_decrease("SPEPMP", BASELINE) >= 50),
        all_of(value("UPEPMP", BASELINE) > 100, pct_decrease("UPEPMP", BASELINE) >= 50),
    )
    cite13 = PALLADINI_2012.at(
        "abstract; Comenzo 2012 response table; ruling docs/decisions/0201-al-hematologic-interpretations.md"
    )
    return RuleTable(
        "HEMCAT",
        "Hematologic response category from the visit's values (before progression)",
        "AL.HEM",
        (
            Rule(
                f"AL.HEM.CR.{variant}",
                "CR",
                _CR_CITES[variant],
                f"negative serum and urine IFE and {cr_text}",
                cr,
                (I_Q1,),
            ),
            Rule(
                "AL.HEM.VGPR",
                "VGPR",
                cite13,
                "DFLC_MEASURABLE: dFLC < 40 mg/L",
                all_of(category_is("HEMEVAL", MEAS), vgpr_c),
            ),
            Rule(
                "AL.HEM.PR",
                "PR",
                cite13,
                "DFLC_MEASURABLE: dFLC decrease > 50% from baseline",
                all_of(category_is("HEMEVAL", MEAS), pr_c),
                (I_Q2,),
            ),
            Rule(
                "AL.HEM.LDPR",
                "LDPR",
                MILANI_2017.at(
                    "low-dFLC PR; Dittrich 2017; ruling docs/decisions/0201-al-hematologic-interpretations.md"
                ),
                "LOW_DFLC: dFLC < 10 mg/L (low-dFLC PR)",
                all_of(category_is("HEMEVAL", LOW), ldpr_c),
                (I_LDPR,),
            ),
            Rule(
                "AL.HEM.PR.MPROTEIN",
                "PR",
                GERTZ_2005.at(
                    "M-protein response as listed in the CIBMTR manual; ruling docs/decisions/0201-al-hematologic-interpretations.md"
                ),
                "MPROTEIN_ONLY: ≥ 50% reduction in serum M-protein (baseline > 0.5 g/dL) or in urine M-protein (baseline > 100 mg/24 h)",
                all_of(category_is("HEMEVAL", MPROT), mprot_c),
                (I_PEAK,),
            ),
            Rule(
                "AL.HEM.NR",
                "NR",
                cite13,
                "DFLC_MEASURABLE: none of CR, VGPR, PR",
                all_of(category_is("HEMEVAL", MEAS), not_(vgpr_c), not_(pr_c)),
            ),
            Rule(
                "AL.HEM.NR.LOW_DFLC",
                "NR",
                MILANI_2017.at(
                    "low-dFLC response; ruling docs/decisions/0201-al-hematologic-interpretations.md"
                ),
                "LOW_DFLC: neither CR nor dFLC < 10 mg/L",
                all_of(category_is("HEMEVAL", LOW), not_(ldpr_c)),
            ),
            Rule(
                "AL.HEM.NR.MPROTEIN",
                "NR",
                GERTZ_2005.at(
                    "M-protein response; ruling docs/decisions/0201-al-hematologic-interpretations.md"
                ),
                "MPROTEIN_ONLY: neither CR nor M-protein PR",
                all_of(category_is("HEMEVAL", MPROT), not_(mprot_c)),
            ),
            Rule(
                "AL.HEM.NR.CR_ONLY",
                "NR",
                COMENZO_2012.at(
                    "evaluability; ruling docs/decisions/0201-al-hematologic-interpretations.md"
                ),
                "CR_ONLY: not CR",
                all_of(category_is("HEMEVAL", CRONLY), not_(cr)),
            ),
        ),
        population=hem_population(),
        flags=(FLAG_INFERRED,),
        order=HEM_ORDER,
    )


def _prog_2012(doubling: Doubling, o: dict[str, float]) -> tuple[Rule, ...]:
    from_cr = category_is("HEMCAT__BEST", "CR")
    not_cr = not_(from_cr)
    r = value("FLCRATIO")
    ratio_abn = not_(all_of(r >= o["flc_ratio_low"], r <= o["flc_ratio_high"]))
    doubled = value("IFLC") >= Scaled(2.0, Value("IFLC", nadir_while("HEMCAT", "CR")))
    ife_pos = any_of(equals("SIFE", "POSITIVE"), equals("UIFE", "POSITIVE"))
    ife_cond = all_of(from_cr, ife_pos, doubled) if doubling == "both" else all_of(from_cr, ife_pos)
    ratio_cond = (
        all_of(from_cr, ratio_abn) if doubling == "none" else all_of(from_cr, ratio_abn, doubled)
    )
    cite = COMENZO_2012.at(
        "progression table (Freelite handbook 28.6.2; CIBMTR manual); ruling docs/decisions/0202-al-progression.md"
    )
    dbl = " (iFLC ≥ 2 × nadir while in CR)"
    events = (
        Rule(
            "AL2012.PROG.CR.IFE",
            "PROG",
            cite,
            "from CR: any detectable monoclonal protein (serum or urine IFE positive)"
            + (dbl if doubling == "both" else ""),
            ife_cond,
            (I_R2, I_DOUBLE),
            note_missing=False,
        ),
        Rule(
            "AL2012.PROG.CR.RATIO",
            "PROG",
            cite,
            "from CR: abnormal FLC ratio (light chain must double)"
            + ("" if doubling == "none" else dbl),
            ratio_cond,
            (I_R2, I_DOUBLE),
            note_missing=False,
        ),
        Rule(
            "AL2012.PROG.SPEP",
            "PROG",
            cite,
            "from PR/VGPR/NR: serum M-protein increase ≥ 50% vs nadir to > 0.5 g/dL",
            all_of(not_cr, pct_increase("SPEPMP", NADIR, r1=True) >= 50, value("SPEPMP") > 0.5),
            (I_R1, I_R2),
            note_missing=False,
        ),
        Rule(
            "AL2012.PROG.UPEP",
            "PROG",
            cite,
            "from PR/VGPR/NR: urine M-protein increase ≥ 50% vs nadir to > 200 mg/day (visible peak)",
            all_of(not_cr, pct_increase("UPEPMP", NADIR, r1=True) >= 50, value("UPEPMP") > 200),
            (I_R1, I_R2, I_PEAK),
            note_missing=False,
        ),
        Rule(
            "AL2012.PROG.FLC",
            "PROG",
            cite,
            "from PR/VGPR/NR: FLC (iFLC) increase ≥ 50% vs nadir to > 100 mg/L",
            all_of(not_cr, pct_increase("IFLC", NADIR, r1=True) >= 50, value("IFLC") > 100),
            (I_Q8, I_R1, I_R2),
            note_missing=False,
        ),
    )
    names = (
        "relapse from CR by immunofixation",
        "relapse from CR by FLC ratio",
        "serum M-protein progression",
        "urine M-protein progression",
        "FLC progression",
    )
    available = any_of(
        present("IFLC"), present("SPEPMP"), present("UPEPMP"), present("SIFE"), present("UIFE")
    )
    return (
        *events,
        Rule(
            "AL2012.PROG.NONE",
            "NOPROG",
            cite,
            "no progression rule met by the available parameters",
            nearest_miss(
                available, "no progression", _alternatives(events, names), show_item=False
            ),
        ),
    )


def _alternatives(rules: tuple[Rule, ...], names: tuple[str, ...]) -> tuple[Alternative, ...]:
    """The rules a "nothing happened" row's explanation may name as the nearest miss."""
    return tuple(Alternative(r.id, n, r.when) for r, n in zip(rules, names, strict=True))


def _nearest_explained(t: RuleTable, row_id: str, names: dict[str, str]) -> RuleTable:
    """``t`` with its row ``row_id`` explained by the nearest failed row of ``names`` (decision
    0206); the row's truth is unchanged."""
    rows = list(t.rows)
    k = next(i for i, r in enumerate(rows) if r.id == row_id)
    alts = tuple(Alternative(r.id, names[r.id], r.when) for r in rows if r.id in names)
    rows[k] = replace(rows[k], when=nearest_miss(rows[k].when, "no response", alts))
    return replace(t, rows=tuple(rows))


def _prog_2018() -> tuple[Rule, ...]:
    d = value("DFLC")
    cond = all_of(
        d > 20,
        d > Scaled(0.2, Value("DFLC", BASELINE)),
        pct_increase("DFLC", best_value("HEMCAT"), r1=True) > 50,
    )
    cite = PALLADINI_2018.at(
        "high-risk dFLC progression definition; ruling docs/decisions/0202-al-progression.md"
    )
    event = Rule(
        "AL2018.PROG.DFLC",
        "PROG",
        cite,
        "dFLC > 20 mg/L and > 20% of baseline dFLC and > 1.5 × dFLC at best response",
        cond,
        (I_R1, I_R2),
        note_missing=False,
    )
    return (
        event,
        Rule(
            "AL2018.PROG.NONE",
            "NOPROG",
            cite,
            "high-risk dFLC progression not met",
            nearest_miss(
                present("DFLC"),
                "no progression",
                _alternatives((event,), ("high-risk dFLC progression",)),
                show_item=False,
            ),
        ),
    )


def _hemprog_table(progression: Progression, doubling: Doubling, o: dict[str, float]) -> RuleTable:
    rows = _prog_2018() if progression == "PALLADINI_2018" else _prog_2012(doubling, o)
    prefix = "AL2018.PROG" if progression == "PALLADINI_2018" else "AL2012.PROG"
    return RuleTable(
        "HEMPROG",
        "Hematologic progression at the visit",
        prefix,
        rows,
        population=hem_population(),
        flags=(FLAG_INFERRED,),
    )


# ---------------------------------------------------------------------------------------- organs
def _cardiac_table(
    ref_kind: CardRef, trop_pct: float, lvef_pts: float, renal_pct: float
) -> RuleTable:
    ref = NADIR if ref_kind == "nadir" else BASELINE
    worsening = pct_decrease("EGFR", BASELINE) >= renal_pct
    nt_prog = all_of(
        pct_increase("NTPROBNP", ref) > 30,
        abs_increase("NTPROBNP", ref) > 300,
        known(not_(worsening), missing=True),
    )
    trop = any_of(
        pct_increase("TROPT", NADIR) >= trop_pct,
        pct_increase("HSTNT", NADIR) >= trop_pct,
        pct_increase("TROPI", NADIR) >= trop_pct,
    )
    nt_eval = value("NTPROBNP", BASELINE) >= 650
    nyha_eval = value("NYHA", BASELINE) >= 3
    cite = PALLADINI_2012.at(
        "cardiac response/progression; Comenzo 2012 table; CIBMTR manual; ruling docs/decisions/0203-al-cardiac.md"
    )
    trop_cite = COMENZO_2012.at(
        "cardiac progression row; JACC CardioOncol 2024 Table 4; ruling docs/decisions/0203-al-cardiac.md"
    )
    responses = (
        Rule(
            "AL2012.CARD.RESP.NTPROBNP",
            "CarR",
            cite,
            "baseline NT-proBNP ≥ 650 ng/L: NT-proBNP decrease > 30% and > 300 ng/L",
            all_of(nt_eval, pct_decrease("NTPROBNP") > 30, abs_decrease("NTPROBNP") > 300),
            (I_Q5, I_Q10),
        ),
        Rule(
            "AL2012.CARD.RESP.NYHA",
            "CarR",
            cite,
            "baseline NYHA III/IV: decrease ≥ 2 classes",
            all_of(nyha_eval, abs_decrease("NYHA") >= 2),
        ),
    )
    return RuleTable(
        "CARDRESP",
        "Cardiac response/progression, binary (Palladini 2012 / Comenzo 2012)",
        "AL2012.CARD",
        (
            Rule(
                "AL2012.CARD.PROG.NTPROBNP",
                "CarP",
                cite,
                f"NT-proBNP rise > 30% and > 300 ng/L vs {ref_kind}; not scorable with worsening renal function",
                nt_prog,
                (I_Q6, I_RENEX),
                note_missing=False,
            ),
            Rule(
                "AL2012.CARD.PROG.TROPONIN",
                "CarP",
                trop_cite,
                f"cardiac troponin rise ≥ {trop_pct:g}% vs nadir (same assay)",
                trop,
                (I_Q6,),
                note_missing=False,
            ),
            Rule(
                "AL2012.CARD.PROG.LVEF",
                "CarP",
                trop_cite,
                f"LVEF decrease ≥ {lvef_pts:g} percentage points",
                abs_decrease("LVEF", BASELINE) >= lvef_pts,
                (I_Q6,),
                note_missing=False,
            ),
            *responses,
            Rule(
                "AL2012.CARD.STABLE",
                "CarNR",
                cite,
                "evaluable, neither response nor progression",
                nearest_miss(
                    any_of(
                        all_of(nt_eval, present("NTPROBNP")), all_of(nyha_eval, present("NYHA"))
                    ),
                    "no response",
                    _alternatives(responses, ("NT-proBNP response", "NYHA response")),
                ),
            ),
        ),
        population=Rule(
            "AL2012.CARD.EVALUABLE",
            "EVALUABLE",
            cite,
            "heart involved (HEARTFL not false) with baseline NT-proBNP or NYHA",
            all_of(
                flag("HEARTFL", missing=True),
                any_of(present("NTPROBNP", BASELINE), present("NYHA", BASELINE)),
            ),
        ),
        flags=(
            FLAG_IMID,
            OutputFlag(
                "NTPROBNP_PROG_RENAL_EXCLUDED_UNVERIFIED",
                known(worsening),
                "eGFR fall blocks NT-proBNP progression [UNVERIFIED]",
            ),
        ),
    )


def _cardiac_table_2005() -> RuleTable:
    cite = GERTZ_2005.at(
        "cardiac response, Table 5 of OJRD 2012;7:54; ruling docs/decisions/0203-al-cardiac.md"
    )
    no_thickening = known(not_(abs_increase("IVSD", BASELINE) > 0), missing=True)
    no_more_diuretic = known(not_(flag("DIURINC")), missing=True)
    return RuleTable(
        "CARDRESP",
        "Cardiac response, Gertz 2005 (optional older set; no progression rule)",
        "AL2005.CARD",
        (
            Rule(
                "AL2005.CARD.RESP.NTPROBNP",
                "CarR",
                cite,
                "NT-proBNP decrease ≥ 30% and ≥ 300 ng/L with eGFR ≥ 45 mL/min/1.73 m²",
                all_of(
                    pct_decrease("NTPROBNP") >= 30,
                    abs_decrease("NTPROBNP") >= 300,
                    value("EGFR") >= 45,
                ),
            ),
            Rule(
                "AL2005.CARD.RESP.IVS",
                "CarR",
                cite,
                "interventricular septum thickness decreased by 2 mm",
                abs_decrease("IVSD", BASELINE) >= 2,
            ),
            Rule(
                "AL2005.CARD.RESP.LVEF",
                "CarR",
                cite,
                "LVEF improved by 20%",
                abs_increase("LVEF", BASELINE) >= 20,
                (I_GERTZ_LVEF,),
            ),
            Rule(
                "AL2005.CARD.RESP.NYHA",
                "CarR",
                cite,
                "NYHA improved by 2 classes without more diuretic and no wall thickening",
                all_of(abs_decrease("NYHA") >= 2, no_more_diuretic, no_thickening),
                (I_GERTZ_WALL,),
            ),
            Rule(
                "AL2005.CARD.STABLE",
                "CarNR",
                cite,
                "evaluable, no response",
                any_of(present("NTPROBNP"), present("NYHA"), present("LVEF"), present("IVSD")),
            ),
        ),
        population=Rule(
            "AL2005.CARD.EVALUABLE",
            "EVALUABLE",
            cite,
            "heart involved (HEARTFL not false) with a baseline cardiac measurement",
            all_of(
                flag("HEARTFL", missing=True),
                any_of(
                    present("NTPROBNP", BASELINE),
                    present("NYHA", BASELINE),
                    present("LVEF", BASELINE),
                    present("IVSD", BASELINE),
                ),
            ),
        ),
        flags=(FLAG_IMID,),
    )


def _renal_table_2005() -> RuleTable:
    cite = GERTZ_2005.at(
        "renal response; Comenzo 2012 consensus table; ruling docs/decisions/0204-al-renal-liver.md"
    )
    prog = any_of(
        all_of(
            pct_increase("PROT24H", BASELINE) >= 50,
            abs_increase("PROT24H", BASELINE) >= 1,
            value("PROT24H") > 1,
        ),
        pct_increase("CREAT", BASELINE) >= 25,
        pct_decrease("EGFR", BASELINE) >= 25,
    )
    return RuleTable(
        "RENRESP",
        "Renal response/progression, Gertz 2005 / Comenzo 2012 (optional older set)",
        "AL2005.REN",
        (
            Rule(
                "AL2005.REN.PROG",
                "RenP",
                cite,
                "proteinuria up 50% (at least 1 g/day) to > 1 g/day, or 25% worsening of serum "
                "creatinine or creatinine clearance",
                prog,
                (I_RENAL2005_PROG,),
                note_missing=False,
            ),
            Rule(
                "AL2005.REN.RESP",
                "RenR",
                cite,
                "proteinuria down 50% (and by at least 0.5 g/day), no eGFR fall ≥ 25% and no "
                "serum creatinine rise ≥ 0.5 mg/dL",
                all_of(
                    pct_decrease("PROT24H") >= 50,
                    abs_decrease("PROT24H") >= 0.5,
                    not_(pct_decrease("EGFR", BASELINE) >= 25),
                    not_(abs_increase("CREAT", BASELINE) >= 0.5),
                ),
            ),
            Rule(
                "AL2005.REN.STABLE",
                "RenSD",
                cite,
                "evaluable, neither response nor progression",
                present("PROT24H"),
            ),
        ),
        population=Rule(
            "AL2005.REN.EVALUABLE",
            "EVALUABLE",
            cite,
            "kidney involved (KIDNEYFL not false) with baseline proteinuria > 0.5 g/24 h",
            all_of(flag("KIDNEYFL", missing=True), value("PROT24H", BASELINE) > 0.5),
        ),
    )


def _graded_cardiac_table() -> RuleTable:
    nt_route = value("NTPROBNP", BASELINE) > 650
    bnp_route = all_of(known(not_(nt_route), missing=True), value("BNP", BASELINE) > 150)
    cite = MUCHTAR_2023.at(
        "graded cardiac response table; ruling docs/decisions/0203-al-cardiac.md"
    )
    rows: list[Rule] = []
    for cat, nt, bnp, text in (
        (
            "CarCR",
            value("NTPROBNP", NADIR_TO_DATE) <= 350,
            value("BNP", NADIR_TO_DATE) <= 80,
            "nadir ≤ 350 (NT-proBNP) / ≤ 80 (BNP) ng/L",
        ),
        (
            "CarVGPR",
            pct_decrease("NTPROBNP") > 60,
            pct_decrease("BNP") > 60,
            "> 60% reduction vs baseline",
        ),
        (
            "CarPR",
            pct_decrease("NTPROBNP") > 30,
            pct_decrease("BNP") > 30,
            "31–60% reduction vs baseline (> 30%)",
        ),
        (
            "CarNR",
            pct_decrease("NTPROBNP") <= 30,
            pct_decrease("BNP") <= 30,
            "≤ 30% reduction (or increase)",
        ),
    ):
        suffix = cat.removeprefix("Car")
        rows.append(
            Rule(
                f"AL2023.CARDGRD.{suffix}.NTPROBNP",
                cat,
                cite,
                f"NT-proBNP route: {text}",
                all_of(nt_route, present("NTPROBNP"), nt),
                (I_Q5, I_GRADED, I_Q10),
            )
        )
        rows.append(
            Rule(
                f"AL2023.CARDGRD.{suffix}.BNP",
                cat,
                cite,
                f"BNP route: {text}",
                all_of(bnp_route, present("BNP"), bnp),
                (I_GRADED,),
            )
        )
    return RuleTable(
        "CARDGRD",
        "Graded cardiac response (Muchtar 2023)",
        "AL2023.CARDGRD",
        tuple(rows),
        population=Rule(
            "AL2023.CARDGRD.EVALUABLE",
            "EVALUABLE",
            cite,
            "baseline NT-proBNP > 650 ng/L or BNP > 150 ng/L",
            all_of(flag("HEARTFL", missing=True), any_of(nt_route, value("BNP", BASELINE) > 150)),
            (I_Q5,),
        ),
        flags=(FLAG_IMID,),
    )


def _renal_table() -> RuleTable:
    prog = pct_decrease("EGFR", BASELINE) >= 25
    cite = PALLADINI_2014.at(
        "abstract, renal response/progression; ruling docs/decisions/0204-al-renal-liver.md"
    )
    response = Rule(
        "AL2014.REN.RESP",
        "RenR",
        cite,
        "proteinuria decrease ≥ 30% vs baseline or < 0.5 g/24 h, without renal progression",
        all_of(any_of(pct_decrease("PROT24H") >= 30, value("PROT24H") < 0.5), not_(prog)),
    )
    return RuleTable(
        "RENRESP",
        "Renal response/progression (Palladini 2014)",
        "AL2014.REN",
        (
            Rule(
                "AL2014.REN.PROG",
                "RenP",
                cite,
                "eGFR decrease ≥ 25% vs baseline",
                prog,
                (I_Q7,),
                note_missing=False,
            ),
            response,
            Rule(
                "AL2014.REN.STABLE",
                "RenSD",
                cite,
                "evaluable, neither response nor progression",
                nearest_miss(
                    present("PROT24H"),
                    "no response",
                    _alternatives((response,), ("renal response",)),
                    show_item=False,
                ),
            ),
        ),
        population=Rule(
            "AL2014.REN.EVALUABLE",
            "EVALUABLE",
            GERTZ_2005.at("renal involvement definition, used by Palladini 2014"),
            "kidney involved (KIDNEYFL not false) with baseline proteinuria > 0.5 g/24 h",
            all_of(flag("KIDNEYFL", missing=True), value("PROT24H", BASELINE) > 0.5),
        ),
    )


def _liver_table(alp_rule: AlpRule) -> RuleTable:
    col = "ALP" if alp_rule == "value" else "ALPEXC"
    abnormal = value("ALP", BASELINE) > Value("ALP_ULN", BASELINE)
    cite = GERTZ_2005.at(
        "liver response/progression; Comenzo 2012; ruling docs/decisions/0204-al-renal-liver.md"
    )
    what = "ALP value" if alp_rule == "value" else "ALP excess over ULN"
    responses = (
        Rule(
            "AL2005.LIV.RESP.ALP",
            "LivR",
            cite,
            f"abnormal baseline ALP: {what} decreased by 50%",
            all_of(abnormal, pct_decrease(col) >= 50),
            (I_ALP,),
        ),
        Rule(
            "AL2005.LIV.RESP.SPAN",
            "LivR",
            cite,
            "liver span decrease ≥ 2 cm on imaging",
            abs_decrease("LIVSPAN") >= 2,
            note_missing=False,
        ),
    )
    return RuleTable(
        "LIVRESP",
        "Liver response/progression (Gertz 2005 / Comenzo 2012)",
        "AL2005.LIV",
        (
            Rule(
                "AL2005.LIV.PROG",
                "LivP",
                cite,
                "ALP increase 50% above its nadir",
                pct_increase("ALP", NADIR) >= 50,
                (I_ALP,),
                note_missing=False,
            ),
            *responses,
            Rule(
                "AL2005.LIV.STABLE",
                "LivSD",
                cite,
                "evaluable, neither response nor progression",
                nearest_miss(
                    any_of(present("ALP"), present("LIVSPAN")),
                    "no response",
                    _alternatives(responses, ("ALP response", "liver span response")),
                    show_item=False,
                ),
            ),
        ),
        population=Rule(
            "AL2005.LIV.EVALUABLE",
            "EVALUABLE",
            cite,
            "liver involved (LIVERFL not false) with abnormal baseline ALP or a baseline liver span",
            all_of(flag("LIVERFL", missing=True), any_of(abnormal, present("LIVSPAN", BASELINE))),
        ),
    )


# ---------------------------------------------------------------------------------------- builder
class AlOptions(RuleSetOptions):
    """Typed options of the AL rule sets; values and DEFAULTs in :data:`AL_DEFAULT_OPTIONS`."""

    cr_variant: CrVariant
    progression: Progression
    cr_relapse_doubling_applies_to: Doubling
    flc_ratio_low: float
    flc_ratio_high: float
    kappa_low: float
    kappa_high: float
    lambda_low: float
    lambda_high: float
    cardiac_progression_reference: CardRef
    troponin_increase_pct: float
    lvef_decrease_points: float
    renal_exclusion_egfr_pct: float
    liver_alp_response: AlpRule
    cardiac_criteria: CardiacCriteria
    renal_criteria: RenalCriteria


def _dflc_marker() -> pl.Expr:
    """dFLC = involved - uninvolved FLC, the involved chain from ADSL ``INVLC``."""
    kappa = pl.col("INVLC").cast(pl.Utf8).str.to_uppercase().str.starts_with("K")
    flc = pl.col("FLCKAP"), pl.col("FLCLAM")
    return pl.when(kappa).then(flc[0] - flc[1]).otherwise(flc[1] - flc[0])


AL_RESPONSE: Final = ResponseSpec(
    parameter="HEMRESP",
    scale=AL_SCALE,
    responder=("CR", "VGPR", "PR", "LDPR"),
    label="Hematologic response",
    pfs_label="Hematologic progression-free survival",
    evaluability="HEMEVAL",
    organs=(
        OrganResponse("cardiac", "CARDRESP", "CarR"),
        OrganResponse("renal", "RENRESP", "RenR"),
        OrganResponse("liver", "LIVRESP", "LivR"),
    ),
    marker=PctChangeMarker("DFLC", ("FLCKAP", "FLCLAM"), _dflc_marker, ("INVLC",)),
    staging="AL_STAGING",
)
"""The response of every AL rule set (decision 0260): HEMRESP on the AL hematologic scale."""


def build_al_rule_set(**options: OptionValue) -> RuleSet:
    """Build an AL rule set from options (see :data:`AL_DEFAULT_OPTIONS`).

    Raises
    ------
    RuleError
        Unknown options and values outside their allowed sets, all listed.
    """
    o = dict(AL_DEFAULT_OPTIONS) | options
    opts = validate_options(AlOptions, o)
    variant, progression = opts.cr_variant, opts.progression
    doubling, card_ref = opts.cr_relapse_doubling_applies_to, opts.cardiac_progression_reference
    alp, cardiac, renal = opts.liver_alp_response, opts.cardiac_criteria, opts.renal_criteria
    nums: dict[str, float] = {
        k: getattr(opts, k)
        for k in (
            "flc_ratio_low",
            "flc_ratio_high",
            "kappa_low",
            "kappa_high",
            "lambda_low",
            "lambda_high",
            "troponin_increase_pct",
            "lvef_decrease_points",
            "renal_exclusion_egfr_pct",
        )
    }
    name: str = "AL_PROG_PALLADINI_2018" if progression == "PALLADINI_2018" else variant
    organ_sets = [
        label
        for label, chosen in (("CARD_2005", cardiac), ("RENAL_2005", renal))
        if chosen == "GERTZ_2005"
    ]
    if organ_sets:
        name = "+".join(organ_sets) if name == "CR_2012_RATIO" else "+".join([name, *organ_sets])
    prog_text = (
        "Palladini 2018 high-risk dFLC progression"
        if progression == "PALLADINI_2018"
        else "2012 consensus progression"
    )
    tables = (
        _evaluability_table(),
        _hemcat_table(variant, nums),
        _hemprog_table(progression, doubling, nums),
        _cardiac_table(
            card_ref,
            nums["troponin_increase_pct"],
            nums["lvef_decrease_points"],
            nums["renal_exclusion_egfr_pct"],
        )
        if cardiac == "PALLADINI_2012"
        else _nearest_explained(
            _cardiac_table_2005(),
            "AL2005.CARD.STABLE",
            {
                "AL2005.CARD.RESP.NTPROBNP": "NT-proBNP response",
                "AL2005.CARD.RESP.IVS": "septal thickness response",
                "AL2005.CARD.RESP.LVEF": "LVEF response",
                "AL2005.CARD.RESP.NYHA": "NYHA response",
            },
        ),
        _graded_cardiac_table(),
        _renal_table()
        if renal == "PALLADINI_2014"
        else _nearest_explained(
            _renal_table_2005(), "AL2005.REN.STABLE", {"AL2005.REN.RESP": "renal response"}
        ),
        _liver_table(alp),
    )
    return RuleSet(
        name=name,
        version=VERSION,
        disease="AL amyloidosis",
        description=(
            f"AL hematologic response ({variant}), {prog_text}, "
            f"cardiac ({'binary' if cardiac == 'PALLADINI_2012' else 'Gertz 2005'} + graded), "
            f"renal ({'Palladini 2014' if renal == 'PALLADINI_2014' else 'Gertz 2005'}), liver"
        ),
        tables=tables,
        derivations=al_derivations(nums["flc_ratio_low"], nums["flc_ratio_high"]),
        overall=(
            Overall(
                "HEMRESP",
                "Overall hematologic: progression wins, else the response category (R3)",
                "HEMPROG",
                ("PROG",),
                "HEMCAT",
            ),
        ),
        options=tuple(sorted(o.items())),
        response=AL_RESPONSE,
        builder=build_al_rule_set,
    )


AL_DEFAULT_OPTIONS: Final[dict[str, OptionValue]] = {
    "cr_variant": "CR_2012_RATIO",
    "progression": "2012",
    "cr_relapse_doubling_applies_to": "ratio_only",
    "flc_ratio_low": 0.26,
    "flc_ratio_high": 1.65,
    "kappa_low": 3.3,
    "kappa_high": 19.4,
    "lambda_low": 5.7,
    "lambda_high": 26.3,
    "cardiac_progression_reference": "nadir",
    "troponin_increase_pct": 33.0,
    "lvef_decrease_points": 10.0,
    "renal_exclusion_egfr_pct": 25.0,
    "liver_alp_response": "value",
    "cardiac_criteria": "PALLADINI_2012",
    "renal_criteria": "PALLADINI_2014",
}
"""Default AL options (criteria.md DEFAULTs). Ratio range per Katzmann 2002."""

_ = (KATZMANN_2002, DITTRICH_2017, PALLADINI_MILANI_MERLINI_2020, JACC_CARDIOONC_2024)
