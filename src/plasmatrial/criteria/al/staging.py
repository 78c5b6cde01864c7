"""AL staging rule set (criteria.md section 3 and the renal stage of 2.4), evaluated at baseline.

Stages are rule rows like everything else; the engine evaluates them on the baseline (ABLFL)
row. The "≥ II" and "I or II" rows implement the missing-marker rules of 3.1 and 2.4.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from plasmatrial.criteria.al.response import al_derivations
from plasmatrial.criteria.core.engine import adjudicate
from plasmatrial.criteria.core.predicates import Predicate, all_of, any_of, first_of, not_, value
from plasmatrial.criteria.core.registry import get_rule_set
from plasmatrial.criteria.core.rules import Interpretation, OptionValue, Rule, RuleSet, RuleTable
from plasmatrial.criteria.core.sources import (
    DISPENZIERI_2004,
    DISPENZIERI_2014,
    KRISTEN_2010,
    KUMAR_2012,
    LILLENESS_2019,
    PALLADINI_2014,
    WECHALEKAR_2013,
)
from plasmatrial.errors import RuleError

VERSION: Final = "1.0.0"
_REC = "docs/decisions/0205-al-staging.md"
I_HSTNT: Final = Interpretation(
    "HSTNT",
    "hs-cTnT substitute cut-offs",
    "Mayo 2004: 50 ng/L default (Kristen 2010), 54 selectable (Dispenzieri 2014); Mayo 2012: 40 ng/L. The first troponin assay measured decides (cTnT, then hs-cTnT, then cTnI).",
    _REC,
)
I_MISSING: Final = Interpretation(
    "STAGE_MISSING",
    "one marker missing",
    "Other marker adverse → '≥II'; other marker favourable → 'I/II'; both missing → NE.",
    _REC,
)


def _exactly_one(a: Predicate, b: Predicate) -> Predicate:
    return any_of(all_of(a, not_(b)), all_of(not_(a), b))


def _mayo2004(hs_cut: float) -> RuleTable:
    np_high = value("NTPROBNP") >= 332
    trop = first_of(value("TROPT") >= 0.035, value("HSTNT") >= hs_cut, value("TROPI") >= 0.1)
    c = DISPENZIERI_2004.at("abstract thresholds; ruling docs/decisions/0205-al-staging.md")
    e = WECHALEKAR_2013.at(
        "European modification (NT-proBNP > 8500 ng/L); ruling docs/decisions/0205-al-staging.md"
    )
    return RuleTable(
        "MAYO2004",
        "Mayo 2004 cardiac stage with European IIIa/IIIb modification",
        "AL.STG.MAYO2004",
        (
            Rule(
                "AL.STG.MAYO2004.IIIB",
                "IIIb",
                e,
                "both markers high and NT-proBNP > 8500 ng/L",
                all_of(np_high, trop, value("NTPROBNP") > 8500),
                (I_HSTNT,),
            ),
            Rule(
                "AL.STG.MAYO2004.IIIA",
                "IIIa",
                e,
                "both markers high and NT-proBNP ≤ 8500 ng/L",
                all_of(np_high, trop),
                (I_HSTNT,),
            ),
            Rule(
                "AL.STG.MAYO2004.II",
                "II",
                c,
                "exactly one of NT-proBNP ≥ 332 ng/L and troponin high",
                _exactly_one(np_high, trop),
                (I_HSTNT,),
            ),
            Rule(
                "AL.STG.MAYO2004.I",
                "I",
                c,
                "NT-proBNP < 332 ng/L and troponin low",
                all_of(not_(np_high), not_(trop)),
                (I_HSTNT,),
            ),
            Rule(
                "AL.STG.MAYO2004.GE_II",
                "≥II",
                c.citation.at("missing-data rule docs/decisions/0205-al-staging.md"),
                "one marker missing, the other high",
                any_of(np_high, trop),
                (I_MISSING,),
            ),
            Rule(
                "AL.STG.MAYO2004.I_OR_II",
                "I/II",
                c.citation.at("missing-data rule docs/decisions/0205-al-staging.md"),
                "one marker missing, the other low",
                any_of(not_(np_high), not_(trop)),
                (I_MISSING,),
            ),
        ),
        timepoint="baseline",
    )


def _mayo2012() -> RuleTable:
    a = value("DFLC") >= 180
    b = first_of(value("TROPT") >= 0.025, value("HSTNT") >= 40)
    n = value("NTPROBNP") >= 1800
    c = KUMAR_2012.at("abstract, revised staging; ruling docs/decisions/0205-al-staging.md")
    two = any_of(all_of(a, b, not_(n)), all_of(a, not_(b), n), all_of(not_(a), b, n))
    one = any_of(
        all_of(a, not_(b), not_(n)), all_of(not_(a), b, not_(n)), all_of(not_(a), not_(b), n)
    )
    return RuleTable(
        "MAYO2012",
        "Mayo 2012 revised stage (1 point each: dFLC ≥ 180 mg/L, cTnT ≥ 0.025 µg/L, NT-proBNP ≥ 1800 ng/L)",
        "AL.STG.MAYO2012",
        (
            Rule("AL.STG.MAYO2012.IV", "IV", c, "3 points", all_of(a, b, n), (I_HSTNT,)),
            Rule("AL.STG.MAYO2012.III", "III", c, "2 points", two, (I_HSTNT,)),
            Rule("AL.STG.MAYO2012.II", "II", c, "1 point", one, (I_HSTNT,)),
            Rule(
                "AL.STG.MAYO2012.I",
                "I",
                c,
                "0 points",
                all_of(not_(a), not_(b), not_(n)),
                (I_HSTNT,),
            ),
        ),
        timepoint="baseline",
    )


def _bu2019() -> RuleTable:
    bnp = value("BNP") > 81
    tni = value("TROPI") > 0.1
    c = LILLENESS_2019.at(
        "BNP-based stage; JACC CardioOncol 2024 Table 4 [partially verified]; ruling docs/decisions/0205-al-staging.md"
    )
    return RuleTable(
        "BU2019",
        "Boston University BNP-based stage",
        "AL.STG.BU2019",
        (
            Rule(
                "AL.STG.BU2019.IIIB",
                "IIIb",
                c,
                "both high and BNP > 700 ng/L",
                all_of(bnp, tni, value("BNP") > 700),
            ),
            Rule(
                "AL.STG.BU2019.III", "III", c, "BNP > 81 ng/L and cTnI > 0.1 µg/L", all_of(bnp, tni)
            ),
            Rule("AL.STG.BU2019.II", "II", c, "exactly one high", _exactly_one(bnp, tni)),
            Rule("AL.STG.BU2019.I", "I", c, "neither high", all_of(not_(bnp), not_(tni))),
        ),
        timepoint="baseline",
    )


def _renal_stage() -> RuleTable:
    p = value("PROT24H") > 5
    e = value("EGFR") < 50
    c = PALLADINI_2014.at("renal staging; ruling docs/decisions/0204-al-renal-liver.md")
    return RuleTable(
        "RENSTG",
        "Renal stage (Palladini 2014): proteinuria > 5 g/24 h, eGFR < 50",
        "AL.STG.REN2014",
        (
            Rule(
                "AL.STG.REN2014.III",
                "III",
                c,
                "proteinuria > 5 g/24 h and eGFR < 50 mL/min/1.73 m²",
                all_of(p, e),
            ),
            Rule("AL.STG.REN2014.II", "II", c, "exactly one of the two", _exactly_one(p, e)),
            Rule("AL.STG.REN2014.I", "I", c, "neither", all_of(not_(p), not_(e))),
            Rule(
                "AL.STG.REN2014.GE_II",
                "≥II",
                c.citation.at("missing-data rule docs/decisions/0204-al-renal-liver.md"),
                "one factor adverse, the other missing",
                any_of(p, e),
                (I_MISSING,),
            ),
        ),
        timepoint="baseline",
    )


def build_al_staging(**options: OptionValue) -> RuleSet:
    """Build the AL staging rule set (option ``hs_ctnt_mayo2004``: 50 or 54 ng/L)."""
    o = {"hs_ctnt_mayo2004": 50.0} | options
    cut = o["hs_ctnt_mayo2004"]
    if isinstance(cut, bool) or not isinstance(cut, int | float) or float(cut) not in (50.0, 54.0):
        raise RuleError(f"option hs_ctnt_mayo2004: {cut!r} is not one of 50, 54")
    return RuleSet(
        name="AL_STAGING",
        version=VERSION,
        disease="AL amyloidosis",
        description="Baseline staging: Mayo 2004 (+ European IIIa/IIIb), Mayo 2012, Boston University BNP, renal (Palladini 2014)",
        tables=(_mayo2004(float(cut)), _mayo2012(), _bu2019(), _renal_stage()),
        derivations=al_derivations(0.26, 1.65),
        options=(("hs_ctnt_mayo2004", float(cut)),),
        builder=build_al_staging,
    )


def stage(
    assessments: pl.DataFrame, rule_set: RuleSet | str = "AL_STAGING", **options: OptionValue
) -> pl.DataFrame:
    """Baseline stages, one row per subject per staging parameter.

    Parameters
    ----------
    assessments:
        Wide assessment frame; only the baseline (ABLFL = "Y") row of each subject is staged.
    rule_set:
        Staging rule set or its name (default ``"AL_STAGING"``).
    **options:
        Rule-set options, e.g. ``hs_ctnt_mayo2004=54``.

    Returns
    -------
    pl.DataFrame
        Same columns as :func:`~plasmatrial.criteria.core.engine.adjudicate`; PARAMCD in MAYO2004,
        MAYO2012, BU2019, RENSTG.

    Notes
    -----
    Markers are "high" at or above the thresholds of Dispenzieri 2004 / Kumar 2012 and strictly
    above those of Lilleness 2019, as each source states (criteria.md 3.1-3.3).
    """
    rs = (
        get_rule_set(rule_set, **options)
        if isinstance(rule_set, str)
        else rule_set.with_options(**options)
    )
    return adjudicate(assessments, rs)


_ = (DISPENZIERI_2014, KRISTEN_2010)
