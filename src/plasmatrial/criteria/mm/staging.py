"""Myeloma staging at baseline: ISS (Greipp 2005), R-ISS (Palumbo 2015), R2-ISS (D'Agostino 2022).

Rules are data (:data:`ISS_RULES`, :data:`R_ISS_RULES`, :data:`R2_ISS_POINTS`, :data:`R2_ISS_GROUPS`);
the only code is the missing-data algorithm, which is the same for all three systems: every input
that is missing is allowed to take each of its possible values, the set of stages reachable from
the data is computed (as a bit mask, vectorised in polars), and a stage is reported only when that
set holds exactly one stage (criteria.md 4.9-4.11). R2-ISS reports the score interval
``[R2ISSMIN, R2ISSMAX]`` and a group only when the interval lies inside one group.

Input: one row per subject (the baseline rows of the wide assessment frame, see
:mod:`plasmatrial.intake.analytes`) with ``B2MICG`` (mg/L), ``ALB`` (g/dL), ``LDH`` and ``LDH_ULN``
(U/L) and the iFISH findings as boolean (or ``"Y"``/``"N"``, ``"POSITIVE"``/``"NEGATIVE"``) columns
``DEL17P``, ``T414``, ``T1416`` and ``GAIN1Q`` (1q gain or amplification). Missing columns count as
missing data, never as "absent".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from plasmatrial.criteria.core.predicates import Input
from plasmatrial.criteria.core.rules import RuleCatalogue, RuleGroup
from plasmatrial.criteria.core.sources import DAGOSTINO_2022, GREIPP_2005, PALUMBO_2015, CitedAt
from plasmatrial.errors import RuleError
from plasmatrial.intake.flags import yes_no

__all__ = [
    "CYTOGENETIC_COLUMNS",
    "ISS_RULES",
    "R2_ISS_GROUPS",
    "R2_ISS_POINTS",
    "R2_ISS_RULES",
    "R_ISS_RULES",
    "STAGING_VERSION",
    "StageRule",
    "derive_iss",
    "derive_r2_iss",
    "derive_r_iss",
    "derive_staging",
    "staging_catalogue",
]

STAGING_VERSION: Final = "1.0.0"
"""Version of the staging rule tables in this module (bumped whenever a row changes)."""

CYTOGENETIC_COLUMNS: Final[tuple[str, ...]] = ("DEL17P", "T414", "T1416", "GAIN1Q")

B2M_LOW: Final = 3.5  # mg/L, stage I needs β2M < 3.5
B2M_HIGH: Final = 5.5  # mg/L, stage III needs β2M ≥ 5.5
ALB_LOW: Final = 3.5  # g/dL, stage I needs albumin ≥ 3.5

LdhAtUln = Literal["normal", "high"]

_ISS_IN: Final = (Input("B2MICG", "mg/L"), Input("ALB", "g/dL"))
_RISS_IN: Final = (
    *_ISS_IN,
    Input("LDH", "U/L"),
    Input("LDH_ULN", "U/L"),
    *(Input(c, "") for c in ("DEL17P", "T414", "T1416")),
)


@dataclass(frozen=True, slots=True)
class StageRule:
    """One row of a staging table: the stage, the published wording, where it comes from and the
    inputs it reads (a :class:`~plasmatrial.criteria.core.rules.RuleRow`)."""

    id: str
    stage: str
    text: str
    citation: CitedAt
    inputs: tuple[Input, ...] = ()

    @property
    def category(self) -> str:
        """The stage this row reports."""
        return self.stage

    @property
    def requires(self) -> tuple[Input, ...]:
        """Inputs (columns with units) the row reads."""
        return self.inputs

    @property
    def predicate_text(self) -> str:
        """The condition as evaluated (the published wording; see the module docstring)."""
        return self.text


ISS_RULES: Final[tuple[StageRule, ...]] = (
    StageRule(
        "ISS2005.I",
        "I",
        "serum β2-microglobulin < 3.5 mg/L and serum albumin ≥ 3.5 g/dL",
        GREIPP_2005.at("Table 3"),
        _ISS_IN,
    ),
    StageRule(
        "ISS2005.II", "II", "neither stage I nor stage III", GREIPP_2005.at("Table 3"), _ISS_IN
    ),
    StageRule(
        "ISS2005.III",
        "III",
        "serum β2-microglobulin ≥ 5.5 mg/L",
        GREIPP_2005.at("Table 3"),
        _ISS_IN,
    ),
    StageRule(
        "ISS2005.I_OR_II",
        "I or II",
        "β2-microglobulin < 3.5 mg/L with albumin missing",
        GREIPP_2005.at("Table 3; missing-data rule docs/decisions/0400-mm-staging-missing-data.md"),
        _ISS_IN,
    ),
    StageRule(
        "ISS2005.NE",
        "NE",
        "β2-microglobulin missing: stage not computable",
        GREIPP_2005.at("Table 3; missing-data rule docs/decisions/0400-mm-staging-missing-data.md"),
        _ISS_IN,
    ),
)

R_ISS_RULES: Final[tuple[StageRule, ...]] = (
    StageRule(
        "RISS2015.I",
        "I",
        "ISS stage I and standard-risk CA by iFISH and serum LDH ≤ ULN",
        PALUMBO_2015.at("Table 1"),
        _RISS_IN,
    ),
    StageRule(
        "RISS2015.II",
        "II",
        "not R-ISS stage I or III",
        PALUMBO_2015.at("Table 1"),
        _RISS_IN,
    ),
    StageRule(
        "RISS2015.III",
        "III",
        "ISS stage III and either high-risk CA by iFISH [del(17p) and/or t(4;14) and/or "
        "t(14;16)] or serum LDH > ULN",
        PALUMBO_2015.at("Table 1"),
        _RISS_IN,
    ),
    StageRule(
        "RISS2015.NE",
        "NE",
        "stage not forced by the available data",
        PALUMBO_2015.at(
            "Table 1; missing-data rule docs/decisions/0400-mm-staging-missing-data.md"
        ),
        _RISS_IN,
    ),
)

R2_ISS_POINTS: Final[tuple[tuple[str, float, str], ...]] = (
    ("ISS II", 1.0, "ISS stage II"),
    ("ISS III", 1.5, "ISS stage III"),
    ("DEL17P", 1.0, "del(17p)"),
    ("LDHHI", 1.0, "LDH > ULN"),
    ("T414", 1.0, "t(4;14)"),
    ("GAIN1Q", 0.5, "1q+ (gain or amplification)"),
)
"""Additive R2-ISS points (D'Agostino 2022, Table 3): (feature, points, label)."""

R2_ISS_GROUPS: Final[tuple[tuple[str, float, float, str], ...]] = (
    ("I", 0.0, 0.0, "R2ISS2022.I"),
    ("II", 0.5, 1.0, "R2ISS2022.II"),
    ("III", 1.5, 2.5, "R2ISS2022.III"),
    ("IV", 3.0, 5.0, "R2ISS2022.IV"),
)
"""R2-ISS groups by total score (closed intervals): (group, min, max, rule id)."""

_R2ISS_IN: Final = (*_RISS_IN[:4], Input("DEL17P", ""), Input("T414", ""), Input("GAIN1Q", ""))
R2_ISS_RULES: Final[tuple[StageRule, ...]] = (
    *(
        StageRule(
            rid,
            name,
            f"total score {lo:g}"
            + ("" if lo == hi else f" to {hi:g}")
            + " ("
            + ", ".join(f"{label} {pts:g}" for _, pts, label in R2_ISS_POINTS)
            + ")",
            DAGOSTINO_2022.at("Table 3"),
            _R2ISS_IN,
        )
        for name, lo, hi, rid in R2_ISS_GROUPS
    ),
    StageRule(
        "R2ISS2022.NE",
        "NE",
        "the score interval reachable from the available data spans more than one group",
        DAGOSTINO_2022.at(
            "Table 3; missing-data rule docs/decisions/0400-mm-staging-missing-data.md"
        ),
        _R2ISS_IN,
    ),
)
"""R2-ISS rows as documented (the points and groups above, and the NE row), for listings."""

_I, _II, _III = 1, 2, 4  # stage bits of a candidate-set mask


def _num(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.Float64)
    return pl.col(name).cast(pl.Float64)


def _bits(cond: pl.Expr, bit_true: int, bit_false: int) -> pl.Expr:
    """Candidate bits of a tri-state condition: true → bit_true, false → bit_false, null → both."""
    return (
        pl.when(cond.is_null())
        .then(bit_true | bit_false)
        .when(cond)
        .then(bit_true)
        .otherwise(bit_false)
    )


def _has(mask: pl.Expr, bit: int) -> pl.Expr:
    return (mask & bit) != 0


def _baseline(frame: pl.DataFrame, subject_key: str) -> pl.DataFrame:
    if subject_key not in frame.columns:
        raise RuleError(f"baseline_frame: missing subject column {subject_key!r}")
    if "ABLFL" in frame.columns:
        frame = frame.filter(pl.col("ABLFL") == "Y")
    dup = frame.group_by(subject_key).len().filter(pl.col("len") > 1)
    if dup.height:
        first = dup[subject_key][0]
        raise RuleError(
            f"baseline_frame: {dup.height} subject(s) have more than one baseline row "
            f"(e.g. {subject_key}={first!r}); pass one row per subject"
        )
    return frame


def _iss_mask_expr(frame: pl.DataFrame) -> pl.Expr:
    b2m = _num(frame, "B2MICG")
    alb = _num(frame, "ALB")
    # β2M band bits: 1 = < 3.5, 2 = [3.5, 5.5), 4 = ≥ 5.5 (all three when missing).
    band = (
        pl.when(b2m.is_null())
        .then(7)
        .when(b2m.round(6) < B2M_LOW)
        .then(1)
        .when(b2m.round(6) < B2M_HIGH)
        .then(2)
        .otherwise(4)
    )
    alb_ok = _bits(alb.round(6) >= ALB_LOW, 1, 2)  # 1 = ≥ 3.5, 2 = < 3.5
    return (
        pl.when(_has(band, 1) & _has(alb_ok, 1)).then(_I).otherwise(0)
        | pl.when((_has(band, 1) & _has(alb_ok, 2)) | _has(band, 2)).then(_II).otherwise(0)
        | pl.when(_has(band, 4)).then(_III).otherwise(0)
    )


_MASK_LABEL: Final = {1: "I", 2: "II", 4: "III", 3: "I or II"}


def _label(mask: pl.Expr, labels: dict[int, str]) -> pl.Expr:
    return mask.replace_strict(labels, default="NE", return_dtype=pl.String)


def _fmt(expr: pl.Expr, unit: str) -> pl.Expr:
    return (expr.round(6).cast(pl.String) + f" {unit}").fill_null("missing")


def derive_iss(baseline_frame: pl.DataFrame, *, subject_key: str = "USUBJID") -> pl.DataFrame:
    """Derive the International Staging System stage per subject.

    Parameters
    ----------
    baseline_frame
        One row per subject (or the wide assessment frame: rows with ``ABLFL == "Y"`` are used)
        with ``B2MICG`` (mg/L) and ``ALB`` (g/dL).
    subject_key
        Subject identifier column.

    Returns
    -------
    pl.DataFrame
        ``USUBJID, ISS ("I"/"II"/"III"/"I or II"/"NE"), ISSN (1-3 or null), ISS_RULEID,
        ISS_RULESET ("ISS_2005"), ISS_RULESETVER, ISS_EXPLAIN, ISS_AT_BOUNDARY``.

    Notes
    -----
    1. Stage I: β2M < 3.5 mg/L and albumin ≥ 3.5 g/dL; III: β2M ≥ 5.5 mg/L; II: otherwise.
    2. Missing data: each missing input may take every value; the stage is reported when only one
       stage is reachable. β2M ≥ 5.5 → III even with albumin missing; 3.5 ≤ β2M < 5.5 → II; β2M
       < 3.5 with albumin missing → "I or II"; β2M missing → "NE".
    3. Values are rounded to 6 decimals before comparison; ``ISS_AT_BOUNDARY`` is true when β2M
       equals 3.5 or 5.5 or albumin equals 3.5 (ruling R8).

    References
    ----------
    .. [1] Greipp PR et al. International staging system for multiple myeloma. J Clin Oncol
       2005;23(15):3412-3420.

    Examples
    --------
    >>> df = pl.DataFrame({"USUBJID": ["A"], "B2MICG": [3.4], "ALB": [3.5]})
    >>> derive_iss(df)["ISS"].to_list()
    ['I']
    """
    base = _baseline(baseline_frame, subject_key)
    b2m, alb = _num(base, "B2MICG"), _num(base, "ALB")
    mask = _iss_mask_expr(base)
    rule_ids = {1: "ISS2005.I", 2: "ISS2005.II", 4: "ISS2005.III", 3: "ISS2005.I_OR_II"}
    texts = {r.id: r.text for r in ISS_RULES}
    out = base.select(
        pl.col(subject_key),
        mask.alias("_MASK"),
        pl.format("β2M {}, albumin {}", _fmt(b2m, "mg/L"), _fmt(alb, "g/dL")).alias("_VALUES"),
        ((b2m.round(6) == B2M_LOW) | (b2m.round(6) == B2M_HIGH) | (alb.round(6) == ALB_LOW))
        .fill_null(False)
        .alias("ISS_AT_BOUNDARY"),
    )
    rule = pl.col("_MASK").replace_strict(rule_ids, default="ISS2005.NE", return_dtype=pl.String)
    return out.select(
        pl.col(subject_key),
        _label(pl.col("_MASK"), _MASK_LABEL).alias("ISS"),
        pl.col("_MASK")
        .replace_strict({1: 1, 2: 2, 4: 3}, default=None, return_dtype=pl.Int8)
        .alias("ISSN"),
        rule.alias("ISS_RULEID"),
        pl.lit("ISS_2005").alias("ISS_RULESET"),
        pl.lit(STAGING_VERSION).alias("ISS_RULESETVER"),
        pl.format(
            "ISS {}: {} ({}; Greipp 2005)",
            _label(pl.col("_MASK"), _MASK_LABEL),
            pl.col("_VALUES"),
            rule.replace_strict(texts, default=""),
        ).alias("ISS_EXPLAIN"),
        pl.col("ISS_AT_BOUNDARY"),
    )


def _ldh_high(frame: pl.DataFrame, ldh_at_uln: LdhAtUln) -> tuple[pl.Expr, pl.Expr]:
    ldh, uln = _num(frame, "LDH").round(6), _num(frame, "LDH_ULN").round(6)
    high = ldh > uln if ldh_at_uln == "normal" else ldh >= uln
    return high, (ldh == uln).fill_null(False)


def _high_risk_ca(frame: pl.DataFrame) -> pl.Expr:
    # Kleene OR: any true → true; all false → false; otherwise null (unknown).
    return yes_no(frame, "DEL17P") | yes_no(frame, "T414") | yes_no(frame, "T1416")


def derive_r_iss(
    baseline_frame: pl.DataFrame,
    *,
    subject_key: str = "USUBJID",
    ldh_at_uln: LdhAtUln = "normal",
) -> pl.DataFrame:
    """Derive the Revised ISS (R-ISS) stage per subject.

    Parameters
    ----------
    baseline_frame
        One row per subject with ``B2MICG``, ``ALB``, ``LDH``, ``LDH_ULN`` and the iFISH flags
        ``DEL17P``, ``T414``, ``T1416`` (boolean or Y/N).
    subject_key
        Subject identifier column.
    ldh_at_uln
        How an LDH exactly equal to the ULN counts. **DEFAULT** ``"normal"`` (criteria.md 4.10;
        the case is flagged in ``RISS_AT_BOUNDARY``).

    Returns
    -------
    pl.DataFrame
        ``USUBJID, RISS ("I"/"II"/"III"/"NE"), RISS_RULEID, RISS_RULESET ("R_ISS_2015"),
        RISS_RULESETVER, RISS_EXPLAIN, RISS_AT_BOUNDARY``.

    Notes
    -----
    1. High-risk CA = del(17p) or t(4;14) or t(14;16); standard risk = none of the three known
       absent. LDH high = LDH > ULN.
    2. R-ISS I = ISS I, standard-risk CA and normal LDH; III = ISS III and (high-risk CA or high
       LDH); II = all other combinations.
    3. Missing data: the set of stages reachable over every value of each missing input is
       computed; a stage is reported only when it is forced (e.g. ISS III + high LDH → III with CA
       missing; ISS II → II), otherwise ``"NE"``.

    References
    ----------
    .. [1] Palumbo A et al. Revised International Staging System for multiple myeloma. J Clin
       Oncol 2015;33(26):2863-2869.

    Examples
    --------
    >>> df = pl.DataFrame({"USUBJID": ["A"], "B2MICG": [6.0], "ALB": [None], "LDH": [300.0],
    ...                    "LDH_ULN": [250.0]})
    >>> derive_r_iss(df)["RISS"].to_list()
    ['III']
    """
    base = _baseline(baseline_frame, subject_key)
    iss = _iss_mask_expr(base)
    high_ldh, ldh_boundary = _ldh_high(base, ldh_at_uln)
    ca = _bits(_high_risk_ca(base), 2, 1)  # 1 = standard risk, 2 = high risk
    ldh = _bits(high_ldh, 2, 1)  # 1 = normal, 2 = high
    stage_i = _has(iss, _I) & _has(ca, 1) & _has(ldh, 1)
    stage_iii = _has(iss, _III) & (_has(ca, 2) | _has(ldh, 2))
    stage_ii = (
        _has(iss, _II)
        | (_has(iss, _I) & (_has(ca, 2) | _has(ldh, 2)))
        | (_has(iss, _III) & _has(ca, 1) & _has(ldh, 1))
    )
    mask = (
        pl.when(stage_i).then(_I).otherwise(0)
        | pl.when(stage_ii).then(_II).otherwise(0)
        | pl.when(stage_iii).then(_III).otherwise(0)
    )
    labels = {1: "I", 2: "II", 4: "III"}
    rules = {1: "RISS2015.I", 2: "RISS2015.II", 4: "RISS2015.III"}
    texts = {r.id: r.text for r in R_ISS_RULES}
    ca_text = (
        pl.when(_high_risk_ca(base).is_null())
        .then(pl.lit("CA unknown"))
        .when(_high_risk_ca(base))
        .then(pl.lit("high-risk CA"))
        .otherwise(pl.lit("standard-risk CA"))
    )
    ldh_text = (
        pl.when(high_ldh.is_null())
        .then(pl.lit("LDH unknown"))
        .when(high_ldh)
        .then(pl.lit("LDH > ULN"))
        .when(ldh_boundary)
        .then(pl.lit(f"LDH = ULN (counted as {'normal' if ldh_at_uln == 'normal' else 'high'})"))
        .otherwise(pl.lit("LDH normal"))
    )
    stage = _label(mask, labels)
    rule = mask.replace_strict(rules, default="RISS2015.NE", return_dtype=pl.String)
    return base.select(
        pl.col(subject_key),
        stage.alias("RISS"),
        rule.alias("RISS_RULEID"),
        pl.lit("R_ISS_2015").alias("RISS_RULESET"),
        pl.lit(STAGING_VERSION).alias("RISS_RULESETVER"),
        pl.format(
            "R-ISS {}: ISS {}, {}, {} ({}; Palumbo 2015)",
            stage,
            _label(iss, _MASK_LABEL),
            ca_text,
            ldh_text,
            rule.replace_strict(texts, default=""),
        ).alias("RISS_EXPLAIN"),
        (
            ldh_boundary
            | (_num(base, "B2MICG").round(6).is_in([B2M_LOW, B2M_HIGH]))
            | (_num(base, "ALB").round(6) == ALB_LOW)
        )
        .fill_null(False)
        .alias("RISS_AT_BOUNDARY"),
    )


def _points_interval(flag: pl.Expr, points: float) -> tuple[pl.Expr, pl.Expr]:
    """(min, max) points contributed by a tri-state feature."""
    lo = pl.when(flag.fill_null(False)).then(points).otherwise(0.0)
    hi = pl.when(flag.fill_null(True)).then(points).otherwise(0.0)
    return lo, hi


def _group(score: pl.Expr) -> pl.Expr:
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, lo, hi, _ in reversed(R2_ISS_GROUPS):
        expr = pl.when((score >= lo) & (score <= hi)).then(pl.lit(name)).otherwise(expr)
    return expr


def derive_r2_iss(
    baseline_frame: pl.DataFrame,
    *,
    subject_key: str = "USUBJID",
    ldh_at_uln: LdhAtUln = "normal",
) -> pl.DataFrame:
    """Derive the second revision of the ISS (R2-ISS): score interval and risk group per subject.

    Parameters
    ----------
    baseline_frame
        One row per subject with ``B2MICG``, ``ALB``, ``LDH``, ``LDH_ULN``, ``DEL17P``, ``T414``
        and ``GAIN1Q``.
    subject_key
        Subject identifier column.
    ldh_at_uln
        How an LDH equal to the ULN counts (**DEFAULT** ``"normal"``).

    Returns
    -------
    pl.DataFrame
        ``USUBJID, R2ISS ("I"-"IV" or "NE"), R2ISSSC (score when fully known), R2ISSMIN,
        R2ISSMAX, R2ISS_RULEID, R2ISS_RULESET ("R2_ISS_2022"), R2ISS_RULESETVER, R2ISS_EXPLAIN,
        R2ISS_AT_BOUNDARY``.

    Notes
    -----
    1. Points (:data:`R2_ISS_POINTS`): ISS II 1, ISS III 1.5, del(17p) 1, LDH > ULN 1, t(4;14) 1,
       1q+ 0.5.
    2. Each missing feature contributes 0 to the minimum and its points to the maximum; for a
       partly known ISS the lowest and highest reachable ISS points are used.
    3. Groups (:data:`R2_ISS_GROUPS`): I = 0; II = 0.5-1; III = 1.5-2.5; IV = 3-5. A group is
       assigned only when both ends of the interval fall in the same group.

    References
    ----------
    .. [1] D'Agostino M et al. Second Revision of the International Staging System (R2-ISS) for
       overall survival in multiple myeloma. J Clin Oncol 2022;40(29):3406-3418.

    Examples
    --------
    >>> df = pl.DataFrame({"USUBJID": ["A"], "B2MICG": [4.0], "ALB": [4.0], "LDH": [100.0],
    ...     "LDH_ULN": [250.0], "DEL17P": [False], "T414": [False], "GAIN1Q": [True]})
    >>> derive_r2_iss(df)["R2ISS"].to_list()
    ['III']
    """
    base = _baseline(baseline_frame, subject_key)
    iss = _iss_mask_expr(base)
    iss_lo = pl.when(_has(iss, _I)).then(0.0).when(_has(iss, _II)).then(1.0).otherwise(1.5)
    iss_hi = pl.when(_has(iss, _III)).then(1.5).when(_has(iss, _II)).then(1.0).otherwise(0.0)
    high_ldh, ldh_boundary = _ldh_high(base, ldh_at_uln)
    lo_parts, hi_parts = [iss_lo], [iss_hi]
    for flag, pts in (
        (yes_no(base, "DEL17P"), 1.0),
        (high_ldh, 1.0),
        (yes_no(base, "T414"), 1.0),
        (yes_no(base, "GAIN1Q"), 0.5),
    ):
        lo, hi = _points_interval(flag, pts)
        lo_parts.append(lo)
        hi_parts.append(hi)
    smin = pl.sum_horizontal(lo_parts)
    smax = pl.sum_horizontal(hi_parts)
    g_lo, g_hi = _group(smin), _group(smax)
    group = pl.when(g_lo == g_hi).then(g_lo).otherwise(pl.lit("NE"))
    rules = {name: rid for name, _, _, rid in R2_ISS_GROUPS}
    rule = group.replace_strict(rules, default="R2ISS2022.NE", return_dtype=pl.String)
    return base.select(
        pl.col(subject_key),
        group.alias("R2ISS"),
        pl.when(smin == smax).then(smin).otherwise(None).alias("R2ISSSC"),
        smin.alias("R2ISSMIN"),
        smax.alias("R2ISSMAX"),
        rule.alias("R2ISS_RULEID"),
        pl.lit("R2_ISS_2022").alias("R2ISS_RULESET"),
        pl.lit(STAGING_VERSION).alias("R2ISS_RULESETVER"),
        pl.format(
            "R2-ISS {}: score interval [{}, {}] (ISS {}; del(17p) {}, LDH>ULN {}, t(4;14) {}, "
            "1q+ {}; groups I=0, II=0.5-1, III=1.5-2.5, IV=3-5; D'Agostino 2022)",
            group,
            smin,
            smax,
            _label(iss, _MASK_LABEL),
            _yn(yes_no(base, "DEL17P")),
            _yn(high_ldh),
            _yn(yes_no(base, "T414")),
            _yn(yes_no(base, "GAIN1Q")),
        ).alias("R2ISS_EXPLAIN"),
        (
            ldh_boundary
            | (_num(base, "B2MICG").round(6).is_in([B2M_LOW, B2M_HIGH]))
            | (_num(base, "ALB").round(6) == ALB_LOW)
        )
        .fill_null(False)
        .alias("R2ISS_AT_BOUNDARY"),
    )


def _yn(flag: pl.Expr) -> pl.Expr:
    return (
        pl.when(flag.is_null())
        .then(pl.lit("missing"))
        .when(flag)
        .then(pl.lit("yes"))
        .otherwise(pl.lit("no"))
    )


def derive_staging(
    baseline_frame: pl.DataFrame,
    *,
    subject_key: str = "USUBJID",
    ldh_at_uln: LdhAtUln = "normal",
) -> pl.DataFrame:
    """ISS, R-ISS and R2-ISS side by side, one row per subject (see the three derive functions).

    Parameters
    ----------
    baseline_frame
        One baseline row per subject (see :func:`derive_r2_iss` for the columns used).
    subject_key
        Subject identifier column.
    ldh_at_uln
        How an LDH equal to the ULN counts (**DEFAULT** ``"normal"``).

    Returns
    -------
    pl.DataFrame
        The columns of :func:`derive_iss`, :func:`derive_r_iss` and :func:`derive_r2_iss`.
    """
    iss = derive_iss(baseline_frame, subject_key=subject_key)
    riss = derive_r_iss(baseline_frame, subject_key=subject_key, ldh_at_uln=ldh_at_uln)
    r2 = derive_r2_iss(baseline_frame, subject_key=subject_key, ldh_at_uln=ldh_at_uln)
    return iss.join(riss, on=subject_key, how="left").join(r2, on=subject_key, how="left")


_SYSTEMS: Final = {
    "ISS_2005": ("International Staging System (Greipp 2005)", "derive_iss", ISS_RULES),
    "R_ISS_2015": ("Revised ISS (Palumbo 2015)", "derive_r_iss", R_ISS_RULES),
    "R2_ISS_2022": ("Second revision of the ISS (D'Agostino 2022)", "derive_r2_iss", R2_ISS_RULES),
}


def staging_catalogue(system: str) -> RuleCatalogue:
    """The rows of one staging system (``ISS_2005``, ``R_ISS_2015``, ``R2_ISS_2022``) as a
    catalogue for ``criteria list/show`` and ``docs/criteria/``.

    Raises
    ------
    RuleError
        Unknown system.
    """
    if system not in _SYSTEMS:
        raise RuleError(f"unknown staging system {system!r}; known: {', '.join(_SYSTEMS)}")
    title, fn, rows = _SYSTEMS[system]
    note = (
        "A stage is reported only when the stages reachable from the available data (every "
        "missing input taking each of its possible values) are one stage "
        "(docs/decisions/0400-mm-staging-missing-data.md)."
    )
    return RuleCatalogue(
        name=system,
        version=STAGING_VERSION,
        disease="MM",
        description=f"{title}, at baseline",
        applied_by=f"plasmatrial.criteria.mm.staging.{fn}",
        groups=(RuleGroup("Stages", rows, note),),
    )
