"""CKD-EPI estimated GFR from serum creatinine, age and sex (2009 and 2021 equations).

Palladini 2014 (renal staging and response, criteria.md 2.4) used CKD-EPI; the 2009 equation is the
default here, the race-free 2021 refit is selectable. See ``docs/decisions/0102-egfr-equation.md``.

Equations (Scr in mg/dL, age in years; κ = 0.7 female / 0.9 male)::

    2009: 141 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.209 × 0.993^age × 1.018 [female] × 1.159 [Black]
          α = −0.329 female / −0.411 male
    2021: 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 [female]
          α = −0.241 female / −0.302 male
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import polars as pl

EgfrEquation = Literal["CKD-EPI 2009", "CKD-EPI 2021"]
EGFR_EQUATIONS: Final[tuple[str, ...]] = ("CKD-EPI 2009", "CKD-EPI 2021")

#: CDISC RACE term that triggers the 2009 race coefficient.
BLACK_RACE: Final[str] = "BLACK OR AFRICAN AMERICAN"


@dataclass(frozen=True, slots=True)
class CkdEpiConstants:
    """Published constants of one CKD-EPI creatinine equation."""

    scale: float
    kappa_female: float
    kappa_male: float
    alpha_female: float
    alpha_male: float
    exponent_above: float
    age_base: float
    female_factor: float
    black_factor: float


CKD_EPI: Final[dict[str, CkdEpiConstants]] = {
    # Levey AS et al. Ann Intern Med 2009;150(9):604-612.
    "CKD-EPI 2009": CkdEpiConstants(141.0, 0.7, 0.9, -0.329, -0.411, -1.209, 0.993, 1.018, 1.159),
    # Inker LA et al. N Engl J Med 2021;385(19):1737-1749 (race-free refit).
    "CKD-EPI 2021": CkdEpiConstants(142.0, 0.7, 0.9, -0.241, -0.302, -1.200, 0.9938, 1.012, 1.0),
}


def egfr_ckd_epi(
    creat_mg_dl: float,
    age: float,
    sex: Literal["M", "F"],
    *,
    black: bool = False,
    equation: EgfrEquation = "CKD-EPI 2009",
) -> float:
    """CKD-EPI eGFR (mL/min/1.73 m²) for one person.

    Parameters
    ----------
    creat_mg_dl : float
        Serum creatinine in mg/dL (> 0).
    age : float
        Age in years.
    sex : {"M", "F"}
        Sex.
    black : bool, default False
        Apply the 2009 race coefficient (ignored by the race-free 2021 equation).
    equation : {"CKD-EPI 2009", "CKD-EPI 2021"}
        Which equation.

    Returns
    -------
    float
        eGFR in mL/min/1.73 m².

    References
    ----------
    .. [1] Levey AS, Stevens LA, Schmid CH, et al. A new equation to estimate glomerular filtration
       rate. Ann Intern Med 2009;150:604-612.
    .. [2] Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based equations to
       estimate GFR without race. N Engl J Med 2021;385:1737-1749.

    Examples
    --------
    >>> round(egfr_ckd_epi(0.9, 50, "M"), 2)  # Scr = κ: 141 × 0.993^50
    99.24
    """
    k = CKD_EPI[equation]
    female = sex == "F"
    kappa = k.kappa_female if female else k.kappa_male
    alpha = k.alpha_female if female else k.alpha_male
    ratio = creat_mg_dl / kappa
    value: float = (
        k.scale * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** k.exponent_above * k.age_base**age
    )
    if female:
        value *= k.female_factor
    if black:
        value *= k.black_factor
    return value


def _divide(series: Sequence[pl.Series]) -> pl.Series:
    """``series[0] / series[1]`` element by element (IEEE division, nulls kept)."""
    num, den = series
    if den.len() == 1 and num.len() != 1:
        den = den.extend_constant(den[0], num.len() - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = num.to_numpy(allow_copy=True) / den.to_numpy(allow_copy=True)
    return pl.Series(num.name, values, dtype=pl.Float64).set(num.is_null() | den.is_null(), None)


def egfr_ckd_epi_expr(
    creat: pl.Expr, age: pl.Expr, sex: pl.Expr, black: pl.Expr, *, equation: EgfrEquation
) -> pl.Expr:
    """Vectorised :func:`egfr_ckd_epi` (null unless sex is M or F and creatinine > 0)."""
    k = CKD_EPI[equation]
    female = sex == "F"
    male = sex == "M"
    kappa = pl.when(female).then(k.kappa_female).otherwise(k.kappa_male)
    alpha = pl.when(female).then(k.alpha_female).otherwise(k.alpha_male)
    # Divided as numbers, one by one: polars divides a column by a uniform ("scalar") column by
    # multiplying with the reciprocal (off by an ulp), and whether ``kappa`` is uniform depends
    # on the frame (one sex, one row), so a subject's eGFR would depend on its neighbours
    # (decision 0900: partitioned and in-memory runs must agree exactly).
    ratio = pl.map_batches(
        [creat.cast(pl.Float64), kappa.cast(pl.Float64)],
        _divide,
        return_dtype=pl.Float64,
    )
    value = (
        k.scale
        * pl.min_horizontal(ratio, pl.lit(1.0)).pow(alpha)
        * pl.max_horizontal(ratio, pl.lit(1.0)).pow(k.exponent_above)
        * pl.lit(k.age_base).pow(age)
        * pl.when(female).then(k.female_factor).otherwise(1.0)
        * pl.when(black.fill_null(False)).then(k.black_factor).otherwise(1.0)
    )
    ok = (female | male) & (creat > 0) & age.is_not_null()
    return pl.when(ok).then(value).otherwise(None)
