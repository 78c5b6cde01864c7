"""Myeloma response end to end: IMWG adjudication, confirmation, best response, relapse flags."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from plasmatrial._results import ResultMixin
from plasmatrial.criteria.core.confirmation import (
    IMWG_CONFIRMATION,
    best_confirmed_response,
    confirm_response,
)
from plasmatrial.criteria.core.engine import adjudicate
from plasmatrial.criteria.core.registry import get_rule_set
from plasmatrial.criteria.core.rules import OptionValue, RuleSet
from plasmatrial.errors import RuleError

__all__ = ["MMResponseResult", "respond_mm"]

RELAPSE_PARAMETERS = ("RELCR", "RELMRD", "CLINREL")
_CR_RANK_TOKENS = ("sCR", "CR")


@dataclass(frozen=True, slots=True, repr=False)
class MMResponseResult(ResultMixin):
    """Per-visit confirmed responses, best confirmed response, and every adjudicated row.

    Attributes
    ----------
    visits:
        One row per post-baseline assessment: the OVRLRESP columns of
        :func:`~plasmatrial.criteria.core.engine.adjudicate` (AVALC unconfirmed, RULEID, EXPLAIN, ...)
        plus CONFLVL, CONFFL, CONFRESP, CONFDT, NXTADT, WARN, ANL01FL and, with relapse flags,
        RELCRFL, RELMRDFL, CLINRELFL.
    best:
        One row per subject: BOR with its date, first PD date and whether it was confirmed.
    adjudicated:
        Long frame of every adjudicated parameter (OVRLRESP, MMMEAS, relapse tables, ...).
    """

    visits: pl.DataFrame
    best: pl.DataFrame
    adjudicated: pl.DataFrame

    def to_frame(self) -> pl.DataFrame:
        """The per-visit frame."""
        return self.visits

    def summary(self) -> pl.DataFrame:
        """Subjects per best confirmed response (``AVALC``, ``n``)."""
        return self.best.group_by("AVALC").len("n").sort("AVALC")


def _relapse_flags(visits: pl.DataFrame, adj: pl.DataFrame) -> pl.DataFrame:
    """Attach relapse flags; relapse from CR additionally needs an earlier confirmed CR/sCR."""
    cols: list[pl.Series] = []
    paramcd, avalc = adj.get_column("PARAMCD"), adj.get_column("AVALC")
    for p, name in zip(RELAPSE_PARAMETERS, ("RELCRFL", "RELMRDFL", "CLINRELFL"), strict=True):
        col = avalc.filter(paramcd == p).alias(name)  # one column, not every provenance column
        cols.append(col)
        if col.len() != visits.height:  # pragma: no cover - engine emits one row per visit
            raise RuleError(f"internal: {p} rows do not align with OVRLRESP rows")
    out = visits.with_columns(cols)
    cr_conf = pl.col("CONFLVL").is_in(list(_CR_RANK_TOKENS)).fill_null(False)
    seen = cr_conf.cast(pl.Int32).cum_sum().over("USUBJID") - cr_conf.cast(pl.Int32)
    return out.with_columns(
        pl.when(pl.col("RELCRFL") == "Y")
        .then(pl.when(seen > 0).then(pl.lit("Y")).otherwise(pl.lit("N")))
        .otherwise(pl.when(pl.col("RELCRFL") == "N").then(pl.lit("N")))
        .alias("RELCRFL"),
        pl.when(pl.col("RELMRDFL").is_in(["Y", "N"])).then(pl.col("RELMRDFL")).alias("RELMRDFL"),
        pl.when(pl.col("CLINRELFL").is_in(["Y", "N"])).then(pl.col("CLINRELFL")).alias("CLINRELFL"),
    )


def respond_mm(
    assessments: pl.DataFrame,
    rule_set: RuleSet | str = "IMWG_2016",
    *,
    subjects: pl.DataFrame | None = None,
    relapse: bool = True,
    warn: bool = True,
    **options: OptionValue,
) -> MMResponseResult:
    """IMWG response per visit with confirmation, best confirmed response and relapse flags.

    Parameters
    ----------
    assessments:
        Wide assessment frame (analytes plus the columns of
        :data:`plasmatrial.criteria.mm.imwg.MM_COLUMNS`; ``NACTDT`` stops confirmation).
    rule_set:
        ``"IMWG_2016"`` (default, PD vs lowest confirmed value) or ``"IMWG_2011_NADIR"``.
    subjects:
        Optional per-subject frame with USUBJID and any of NACTDT (new therapy), DTHDT and
        DTHPDFL (death due to progression, confirms a last PD).
    relapse:
        Also derive RELCRFL, RELMRDFL and CLINRELFL.
    warn:
        Warn about confirmations more than 84 days apart.
    **options:
        Rule-set options (see :data:`plasmatrial.criteria.mm.imwg.IMWG_DEFAULT_OPTIONS`).

    Returns
    -------
    MMResponseResult

    Notes
    -----
    1. :func:`~plasmatrial.criteria.core.engine.adjudicate` gives the unconfirmed OVRLRESP per visit
       (PD wins, R3) with RULEID, EXPLAIN, DOWNGRADE, AT_BOUNDARY and FLAGS (PD_IMAGING).
    2. :func:`~plasmatrial.criteria.core.confirmation.confirm_response` confirms it (4.4, R7).
    3. :func:`~plasmatrial.criteria.core.confirmation.best_confirmed_response` gives BOR.
    4. Relapse from CR counts only after a confirmed CR/sCR.
    """
    rs = get_rule_set(rule_set) if isinstance(rule_set, str) else rule_set
    rs = rs.with_options(**options)
    if "OVRLRESP" not in [o.paramcd for o in rs.overall]:
        raise RuleError(f"rule_set: {rs.name!r} has no OVRLRESP parameter (not a myeloma set)")
    params = ["OVRLRESP", *(RELAPSE_PARAMETERS if relapse else ())]
    adj = adjudicate(assessments, rs, parameters=params)
    visits = adj.filter(pl.col("PARAMCD") == "OVRLRESP")
    nt_frames: list[pl.DataFrame] = []
    if "NACTDT" in assessments.columns:
        nt_frames.append(
            assessments.select(pl.col("USUBJID").cast(pl.Utf8), pl.col("NACTDT").cast(pl.Date))
        )
    deaths = None
    if subjects is not None:
        if "NACTDT" in subjects.columns:
            nt_frames.append(
                subjects.select(pl.col("USUBJID").cast(pl.Utf8), pl.col("NACTDT").cast(pl.Date))
            )
        if {"DTHDT", "DTHPDFL"} <= set(subjects.columns):
            deaths = subjects.select(pl.col("USUBJID").cast(pl.Utf8), "DTHDT", "DTHPDFL")
    new_therapy = pl.concat(nt_frames) if nt_frames else None
    # adjudicate() output is already in USUBJID/ADT order and confirm_response sorts stably, so
    # the relapse rows align with the confirmed rows by position.
    confirmed = confirm_response(
        visits, spec=IMWG_CONFIRMATION, new_therapy=new_therapy, deaths=deaths, warn=warn
    )
    if relapse:
        confirmed = _relapse_flags(confirmed, adj)
    return MMResponseResult(confirmed, best_confirmed_response(confirmed), adj)
