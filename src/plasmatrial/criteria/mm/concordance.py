"""Concordance of computed IMWG response with the investigator's response (SDTM RS domain)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from plasmatrial._results import ResultMixin
from plasmatrial.errors import RuleError
from plasmatrial.intake.dates import as_date

__all__ = ["RESPONSE_SYNONYMS", "ConcordanceResult", "concordance", "normalise_response_expr"]

RESPONSE_SYNONYMS: Final[dict[str, str]] = {
    "SCR": "sCR",
    "STRINGENT COMPLETE RESPONSE": "sCR",
    "CR": "CR",
    "COMPLETE RESPONSE": "CR",
    "VGPR": "VGPR",
    "VERY GOOD PARTIAL RESPONSE": "VGPR",
    "PR": "PR",
    "PARTIAL RESPONSE": "PR",
    "MR": "MR",
    "MINIMAL RESPONSE": "MR",
    "MINOR RESPONSE": "MR",
    "SD": "SD",
    "STABLE DISEASE": "SD",
    "PD": "PD",
    "PROGRESSIVE DISEASE": "PD",
    "NE": "NE",
    "NOT EVALUABLE": "NE",
    "UNK": "NE",
}
"""Upper-case spellings of IMWG categories mapped to the canonical code."""


def normalise_response_expr(expr: pl.Expr) -> pl.Expr:
    """Canonical IMWG category (``sCR``, ``CR``, ... ``NE``); unknown spellings pass through."""
    text = expr.cast(pl.String).str.strip_chars().str.to_uppercase()
    return text.replace_strict(RESPONSE_SYNONYMS, default=text, return_dtype=pl.String)


@dataclass(frozen=True, slots=True, repr=False)
class ConcordanceResult(ResultMixin):
    """Visits compared, agreement counts and every discordant subject-visit."""

    n_compared: int
    n_agree: int
    discordant: pl.DataFrame

    @property
    def agreement(self) -> float | None:
        """Proportion of visits present on both sides with the same category."""
        return None if self.n_compared == 0 else self.n_agree / self.n_compared

    def to_frame(self) -> pl.DataFrame:
        """Discordant rows: ``USUBJID, ADT, COMPUTED, INVESTIGATOR, STATUS, EXPLAIN``."""
        return self.discordant

    def to_dict(self) -> dict[str, object]:
        """Plain dictionary (for JSON)."""
        return {
            "n_compared": self.n_compared,
            "n_agree": self.n_agree,
            "agreement": self.agreement,
            "discordant": self.discordant.with_columns(pl.col("ADT").cast(pl.String)).to_dicts(),
        }


def concordance(
    computed: pl.DataFrame,
    investigator_rs: pl.DataFrame,
    *,
    test_code: str = "OVRLRESP",
    category_col: str = "AVALC",
    explain_col: str = "EXPLAIN",
    date_col: str = "ADT",
) -> ConcordanceResult:
    """Compare computed response categories with the investigator's, visit by visit.

    Parameters
    ----------
    computed
        One row per subject-visit with ``USUBJID``, ``date_col``, ``category_col`` and
        (optionally) ``explain_col``.
    investigator_rs
        SDTM RS domain: ``USUBJID, RSDTC, RSTESTCD`` and ``RSSTRESC`` (or ``RSORRES``).
    test_code
        ``RSTESTCD`` of the investigator's overall response (default ``"OVRLRESP"``).
    category_col, explain_col, date_col
        Columns of ``computed``.

    Returns
    -------
    ConcordanceResult
        Counts and the discordant rows with ``STATUS`` ``DISAGREE``, ``COMPUTED_ONLY`` or
        ``INVESTIGATOR_ONLY``.

    Notes
    -----
    Visits are matched on subject and date (``RSDTC`` truncated to the day). Categories are
    normalised with :data:`RESPONSE_SYNONYMS` before comparison.
    """
    for col in ("USUBJID", date_col, category_col):
        if col not in computed.columns:
            raise RuleError(
                f"computed: missing column {col!r}; found {', '.join(computed.columns)}"
            )
    result_col = next((c for c in ("RSSTRESC", "RSORRES") if c in investigator_rs.columns), None)
    missing = [c for c in ("USUBJID", "RSDTC", "RSTESTCD") if c not in investigator_rs.columns]
    if missing or result_col is None:
        raise RuleError(
            "investigator_rs: needs USUBJID, RSDTC, RSTESTCD and RSSTRESC or RSORRES; found "
            + ", ".join(investigator_rs.columns)
        )
    inv = (
        investigator_rs.filter(pl.col("RSTESTCD") == test_code)
        .select(
            pl.col("USUBJID").cast(pl.String),
            as_date(investigator_rs, "RSDTC").alias("ADT"),
            normalise_response_expr(pl.col(result_col)).alias("INVESTIGATOR"),
        )
        .unique(subset=["USUBJID", "ADT"], keep="last", maintain_order=True)
    )
    explain = pl.col(explain_col) if explain_col in computed.columns else pl.lit(None, pl.String)
    comp = computed.select(
        pl.col("USUBJID").cast(pl.String),
        pl.col(date_col).cast(pl.Date).alias("ADT"),
        normalise_response_expr(pl.col(category_col)).alias("COMPUTED"),
        explain.cast(pl.String).alias("EXPLAIN"),
    )
    both = comp.join(inv, on=["USUBJID", "ADT"], how="full", coalesce=True)
    status = (
        pl.when(pl.col("INVESTIGATOR").is_null())
        .then(pl.lit("COMPUTED_ONLY"))
        .when(pl.col("COMPUTED").is_null())
        .then(pl.lit("INVESTIGATOR_ONLY"))
        .when(pl.col("COMPUTED") != pl.col("INVESTIGATOR"))
        .then(pl.lit("DISAGREE"))
        .otherwise(pl.lit("AGREE"))
    )
    both = both.with_columns(status.alias("STATUS"))
    compared = both.filter(pl.col("STATUS").is_in(["AGREE", "DISAGREE"]))
    n_agree = compared.filter(pl.col("STATUS") == "AGREE").height
    discordant = (
        both.filter(pl.col("STATUS") != "AGREE")
        .select("USUBJID", "ADT", "COMPUTED", "INVESTIGATOR", "STATUS", "EXPLAIN")
        .sort("USUBJID", "ADT")
    )
    return ConcordanceResult(compared.height, n_agree, discordant)
