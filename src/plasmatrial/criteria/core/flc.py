"""Free-light-chain derivations shared by the AL and myeloma rule sets: κ/λ ratio, involved light
chain (given, else inferred from the baseline ratio), iFLC, uFLC and dFLC.

Disease-neutral (decision 0270): ``criteria/al`` and ``criteria/mm`` both read it, neither reads
the other.
"""

from __future__ import annotations

import polars as pl

from plasmatrial.criteria.core.predicates import BASELINE_FLAG, seg_fill
from plasmatrial.criteria.core.rules import Derivation


def baseline_value(expr: pl.Expr) -> pl.Expr:
    """Value of ``expr`` on the baseline row, broadcast to the subject."""
    return seg_fill(pl.when(pl.col(BASELINE_FLAG)).then(expr))


def flc_derivations(ratio_low: float, ratio_high: float) -> tuple[Derivation, ...]:
    """FLCRATIO, INVLCD, INVLC_INFERRED, IFLC, UFLC and DFLC, in that order; the involved light
    chain is inferred from a baseline ratio above ``ratio_high`` (κ) or below ``ratio_low`` (λ)
    where INVLC is missing."""
    ratio = pl.when(pl.col("FLCLAM") > 0).then(pl.col("FLCKAP") / pl.col("FLCLAM"))

    def invlc() -> pl.Expr:
        given = seg_fill(pl.col("INVLC"))
        blr = baseline_value(ratio).round(6)
        inferred = (
            pl.when(blr > ratio_high)
            .then(pl.lit("KAPPA"))
            .when(blr < ratio_low)
            .then(pl.lit("LAMBDA"))
        )
        return pl.coalesce(given.replace({"K": "KAPPA", "L": "LAMBDA"}), inferred)

    def inferred_fl() -> pl.Expr:
        given = seg_fill(pl.col("INVLC"))
        return given.is_null() & pl.col("INVLCD").is_not_null()

    kap = pl.col("INVLCD") == "KAPPA"
    lam = pl.col("INVLCD") == "LAMBDA"
    return (
        Derivation("FLCRATIO", "", "κ/λ = FLCKAP / FLCLAM (null when λ ≤ 0)", lambda: ratio),
        Derivation(
            "INVLCD",
            "",
            f"INVLC, else inferred from the baseline ratio (> {ratio_high:g} κ, < {ratio_low:g} λ)",
            invlc,
        ),
        Derivation("INVLC_INFERRED", "", "INVLC was missing and was inferred", inferred_fl),
        Derivation(
            "IFLC",
            "mg/L",
            "involved FLC",
            lambda: pl.when(kap).then(pl.col("FLCKAP")).when(lam).then(pl.col("FLCLAM")),
        ),
        Derivation(
            "UFLC",
            "mg/L",
            "uninvolved FLC",
            lambda: pl.when(kap).then(pl.col("FLCLAM")).when(lam).then(pl.col("FLCKAP")),
        ),
        Derivation(
            "DFLC", "mg/L", "dFLC = iFLC − uFLC (signed)", lambda: pl.col("IFLC") - pl.col("UFLC")
        ),
    )
