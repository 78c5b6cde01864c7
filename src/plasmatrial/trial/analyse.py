"""Endpoint analyses by endpoint ``type``; each returns a frozen result with ``.to_frame()``.

* ``response_rate``: x/n with the endpoint's CI method, overall, by arm and by subgroup level.
* ``time_to_event`` / ``duration_of_response``: Kaplan-Meier by arm (median with CI, survival at
  ``options.at_months``), log-rank (stratified by ``strata``) and Cox hazard ratio between arms,
  subgroup hazard ratios (forest), and the landmark analysis of OS by response.
* ``time_to_response``: median (range) among responders, and the cumulative incidence of
  response over ITT with progression and death before response competing.
* ``organ_response``, ``mrd``: x/n with CI; ``eq5d``, ``adverse_events``, ``dose_intensity``:
  summary tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl

from plasmatrial._results import ResultMixin
from plasmatrial.criteria.core.summary import TTR_COMPETING
from plasmatrial.design.endpoint_options import (
    DEFAULT_TTR_AT_MONTHS,
    SurvivalOptions,
    TimeToResponseOptions,
)
from plasmatrial.design.protocol import Endpoint, Trial
from plasmatrial.endpoints.adverse_events import ae_overview, ae_summary_by_grade
from plasmatrial.endpoints.exposure import summarise_exposure
from plasmatrial.endpoints.tte import DAYS_PER_MONTH
from plasmatrial.errors import StatsError
from plasmatrial.stats.binomial import binomial_ci
from plasmatrial.stats.cif import CIFCurve, cumulative_incidence
from plasmatrial.stats.cox import cox_ph
from plasmatrial.stats.km import KaplanMeierResult, kaplan_meier, kaplan_meier_by
from plasmatrial.stats.landmark import landmark_analysis
from plasmatrial.stats.logrank import logrank_test
from plasmatrial.stats.rpsft import rpsft
from plasmatrial.trial.labtox import lab_toxicity_tables

ALL: Final = "ALL"
RESP_SCHEMA: Final = {
    "ENDPOINT": pl.Utf8,
    "ARMCD": pl.Utf8,
    "SUBGROUP": pl.Utf8,
    "LEVEL": pl.Utf8,
    "X": pl.Int64,
    "N": pl.Int64,
    "ESTIMATE": pl.Float64,
    "LOWER": pl.Float64,
    "UPPER": pl.Float64,
    "METHOD": pl.Utf8,
    "CONF_LEVEL": pl.Float64,
}


@dataclass(frozen=True, slots=True, repr=False)
class ResponseRateResult(ResultMixin):
    """Proportions with confidence intervals (overall ``ARMCD = "ALL"``, per arm, per subgroup)."""

    endpoint: str
    label: str
    population: str
    categories: tuple[str, ...]
    timepoint: str
    rows: pl.DataFrame
    note: str = ""

    def to_frame(self) -> pl.DataFrame:
        """One row per arm x subgroup level (:data:`RESP_SCHEMA`)."""
        return self.rows

    def get(self, arm: str | None = None, subgroup: str = "", level: str = "") -> dict[str, object]:
        """The row for ``arm`` (None = overall), subgroup and level, as a dict (empty if none)."""
        sel = self.rows.filter(
            (pl.col("ARMCD") == (arm or ALL))
            & (pl.col("SUBGROUP") == subgroup)
            & (pl.col("LEVEL") == level)
        )
        return sel.row(0, named=True) if sel.height else {}


@dataclass(frozen=True, slots=True, repr=False)
class TimeToEventResult(ResultMixin):
    """KM by arm, log-rank, Cox HR, subgroup HRs, the landmark analysis by response and the
    crossover-adjusted (RPSFT) effect."""

    endpoint: str
    label: str
    paramcd: str
    table: pl.DataFrame
    fits: Mapping[str, KaplanMeierResult]
    logrank: Mapping[str, object] | None = None
    cox: Mapping[str, object] | None = None
    subgroups: pl.DataFrame | None = None
    landmark: Mapping[str, object] | None = None
    note: str = ""
    crossover: Mapping[str, object] | None = None
    cif: Mapping[str, CIFCurve] = field(default_factory=dict)
    """Time to response: cumulative incidence of response by arm (``ALL`` overall)."""

    def to_frame(self) -> pl.DataFrame:
        """Per arm: ``N, EVENTS, MEDIAN, LOWER, UPPER`` (months) and survival at requested months."""
        return self.table


@dataclass(frozen=True, slots=True, repr=False)
class TableResult(ResultMixin):
    """A summary table (AE, dose intensity, EQ-5D, time to response, MRD...)."""

    endpoint: str
    label: str
    kind: str
    table: pl.DataFrame
    extra: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    note: str = ""

    def to_frame(self) -> pl.DataFrame:
        """The main table."""
        return self.table


EndpointResult = ResponseRateResult | TimeToEventResult | TableResult


def _ci_row(
    endpoint: Endpoint, arm: str, subgroup: str, level: str, x: int, n: int
) -> dict[str, object]:
    if n == 0:
        est = lo = hi = math.nan
    else:
        r = binomial_ci(x, n, method=endpoint.ci_method, conf_level=endpoint.conf_level)
        est, lo, hi = r.estimate, r.lower, r.upper
    return {
        "ENDPOINT": endpoint.id,
        "ARMCD": arm,
        "SUBGROUP": subgroup,
        "LEVEL": level,
        "X": x,
        "N": n,
        "ESTIMATE": est,
        "LOWER": lo,
        "UPPER": hi,
        "METHOD": endpoint.ci_method,
        "CONF_LEVEL": endpoint.conf_level,
    }


_LEADING_NUMBER: Final = re.compile(r"^\s*(<=|>=|<|>)?\s*(\d+(?:\.\d+)?)")


def _level_key(level: str) -> tuple[int, float, str]:
    m = _LEADING_NUMBER.match(level)
    if m is None:
        return (1, 0.0, level)
    shift = {"<": -0.5, "<=": -0.25, ">=": 0.25, ">": 0.5}.get(m.group(1) or "", 0.0)
    return (0, float(m.group(2)) + shift, level)


def ordered_levels(values: Sequence[object]) -> list[str]:
    """Subgroup levels in reading order: numeric bands by their bound (``<65``, ``65-74``,
    ``>=75``), then the other levels alphabetically."""
    return sorted({str(v) for v in values}, key=_level_key)


def proportion_table(
    endpoint: Endpoint,
    subjects: pl.DataFrame,
    *,
    success: str = "SUCCESS",
    arms: Sequence[str] = (),
    subgroups: Sequence[str] = (),
) -> pl.DataFrame:
    """x/n with CI overall, per arm and per level of each subgroup column (overall and by arm).

    ``subjects`` has one row per analysed subject with ``ARMCD``, a boolean ``success`` column
    and the subgroup columns; subgroup columns absent from it are skipped.
    """
    rows: list[dict[str, object]] = []

    def add(frame: pl.DataFrame, arm: str, sg: str, level: str) -> None:
        rows.append(_ci_row(endpoint, arm, sg, level, int(frame[success].sum()), frame.height))

    groups: list[tuple[str, pl.DataFrame]] = [(ALL, subjects)]
    if len(arms) > 1:
        groups += [(a, subjects.filter(pl.col("ARMCD") == a)) for a in arms]
    for arm, frame in groups:
        add(frame, arm, "", "")
        for sg in subgroups:
            if sg not in frame.columns:
                continue
            levels = ordered_levels(frame[sg].drop_nulls().unique().to_list())
            for level in levels:
                add(frame.filter(pl.col(sg).cast(pl.Utf8) == level), arm, sg, level)
    return pl.DataFrame(rows, schema=RESP_SCHEMA)


def _months(days: pl.Series | np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=float) / DAYS_PER_MONTH


def km_summary(
    fits: Mapping[str, KaplanMeierResult], at_months: Sequence[float] = ()
) -> pl.DataFrame:
    """Per fit: N, events, median (CI) and survival at ``at_months`` (months)."""
    rows = []
    for arm, fit in fits.items():
        q = fit.quantile([0.5])
        row: dict[str, object] = {
            "ARMCD": arm,
            "N": int(fit.n),
            "EVENTS": int(fit.n_event.sum()),
            "MEDIAN": float(q.quantile[0]),
            "LOWER": float(q.lower[0]),
            "UPPER": float(q.upper[0]),
        }
        for m in at_months:
            row[f"SURV_{m:g}M"] = float(fit.survival_at([m])[0])
        rows.append(row)
    return pl.DataFrame(rows)


def _fit_by_arm(
    data: pl.DataFrame, arms: Sequence[str], conf_level: float
) -> dict[str, KaplanMeierResult]:
    """Kaplan-Meier per arm, in ``arms`` order (one arm or none: every patient, as ``ALL``)."""
    d = data if len(arms) <= 1 else data.filter(pl.col("ARMCD").is_in(list(arms)))
    if d.height == 0:
        return {}
    time, event = _months(d["AVAL"].to_numpy()), (d["CNSR"] == 0).to_numpy()
    if len(arms) <= 1:
        return {ALL: kaplan_meier(time, event, conf_level=conf_level)}
    by = kaplan_meier_by(time, event, d["ARMCD"].cast(pl.Utf8).to_numpy(), conf_level=conf_level)
    return {a: by[a] for a in arms if a in by.groups}


def _strata_labels(d: pl.DataFrame, strata: Sequence[str]) -> np.ndarray | None:
    """One label per patient joining the stratification factors (``NA`` for a missing one)."""
    if not strata:
        return None
    joined = pl.concat_str([pl.col(s).cast(pl.Utf8).fill_null("NA") for s in strata], separator="|")
    return d.select(joined).to_series().to_numpy()


def _cox_arm(d: pl.DataFrame, control: str, strata: Sequence[str] = ()) -> dict[str, object] | None:
    treated = (d["ARMCD"] != control).to_numpy().astype(float)
    events = (d["CNSR"] == 0).to_numpy()
    if events.sum() == 0 or treated.min() == treated.max():
        return None
    st = _strata_labels(d, strata)
    try:
        fit = cox_ph(
            _months(d["AVAL"].to_numpy()), events, treated, strata=st, names=["treatment"],
            compute_concordance=False,
        )  # fmt: skip
    except StatsError as exc:
        return {"error": str(exc)}
    return {
        "hazard_ratio": float(fit.hazard_ratio[0]),
        "conf_low": float(fit.conf_low[0]),
        "conf_high": float(fit.conf_high[0]),
        "p_value": float(fit.p_value[0]),
        "n": fit.n,
        "events": fit.n_events,
        "stratified": bool(strata),
    }


def analyse_time_to_event(
    endpoint: Endpoint,
    trial: Trial,
    adtte: pl.DataFrame,
    adsl: pl.DataFrame,
    *,
    paramcd: str,
    response_time: pl.DataFrame | None = None,
) -> TimeToEventResult:
    """KM by arm, tests and HRs for one ADTTE parameter (AVAL converted to months).

    Parameters
    ----------
    endpoint, trial:
        Endpoint (``strata``, ``subgroups``, ``options.at_months``,
        ``options.landmark_by_response_months``) and trial (arms, randomisation).
    adtte, adsl:
        Derived datasets.
    paramcd:
        ADTTE parameter analysed.
    response_time:
        ``USUBJID``, ``RSPDAYS`` (days from origin to first response) for the landmark analysis.
    """
    d = adtte.filter(pl.col("PARAMCD") == paramcd)
    default_sub = tuple(c for c in ("SEX", "AGEGR1", *endpoint.strata) if c in adsl.columns)
    subgroups = endpoint.subgroups or default_sub
    extra = [c for c in dict.fromkeys((*endpoint.strata, *subgroups)) if c in adsl.columns]
    extra = [c for c in extra if c not in d.columns]
    if extra:
        d = d.join(adsl.select("USUBJID", *extra), on="USUBJID", how="left")
    arms = [a.code for a in trial.arms if d.filter(pl.col("ARMCD") == a.code).height]
    opts = endpoint.options if isinstance(endpoint.options, SurvivalOptions) else SurvivalOptions()
    at = list(opts.at_months)
    notes = []
    if d.height == 0:
        return TimeToEventResult(
            endpoint.id, endpoint.label, paramcd, pl.DataFrame(), {}, note="no subjects"
        )
    fits = _fit_by_arm(d, arms, endpoint.conf_level)
    lr = cox = None
    sub = None
    if len(arms) > 1:
        strata = [s for s in endpoint.strata if s in d.columns]
        if len(strata) < len(endpoint.strata):
            notes.append(
                "strata not in the data: "
                + ", ".join(s for s in endpoint.strata if s not in d.columns)
            )
        st = _strata_labels(d, strata)
        r = logrank_test(
            _months(d["AVAL"].to_numpy()), (d["CNSR"] == 0).to_numpy(), d["ARMCD"].to_numpy(),
            strata=st,
        )  # fmt: skip
        lr = {"chisq": r.chisq, "df": r.df, "p_value": r.p_value, "stratified": bool(strata)}
        control = arms[-1]
        cox = _cox_arm(d, control, strata)
        if cox is not None:
            cox["comparison"] = f"{arms[0]} vs {control}"
        rows = []
        for sg in subgroups:
            if sg not in d.columns:
                continue
            for level in ordered_levels(d[sg].drop_nulls().unique().to_list()):
                res = _cox_arm(d.filter(pl.col(sg).cast(pl.Utf8) == level), control)
                if res is not None and "error" not in res:
                    rows.append({"SUBGROUP": sg, "LEVEL": level, **res})
        sub = pl.DataFrame(rows) if rows else None
    xo = _crossover_option(opts, d, adsl, trial, notes)
    lm = None
    months = opts.landmark_by_response_months
    if months is not None and response_time is not None:
        j = d.join(response_time, on="USUBJID", how="left")
        rt = _months(j["RSPDAYS"].fill_null(float("nan")).to_numpy())
        try:
            res_lm = landmark_analysis(
                _months(j["AVAL"].to_numpy()), (j["CNSR"] == 0).to_numpy(), rt,
                landmark=months,
            )  # fmt: skip
            lm = res_lm.to_dict()
        except StatsError as exc:
            notes.append(f"landmark analysis at {months:g} months not possible: {exc}")
    return TimeToEventResult(
        endpoint=endpoint.id,
        label=endpoint.label,
        paramcd=paramcd,
        table=km_summary(fits, at),
        fits=fits,
        logrank=lr,
        cox=cox,
        subgroups=sub,
        landmark=lm,
        note="; ".join(notes),
        crossover=xo,
    )


def _crossover_option(
    opts: SurvivalOptions, d: pl.DataFrame, adsl: pl.DataFrame, trial: Trial, notes: list[str]
) -> dict[str, object] | None:
    if opts.crossover_adjustment is None:
        return None
    xo, why = crossover_rpsft(d, adsl, trial)
    if why:
        notes.append(why)
    return xo


def crossover_rpsft(
    d: pl.DataFrame, adsl: pl.DataFrame, trial: Trial
) -> tuple[dict[str, object] | None, str]:
    """RPSFT-adjusted treatment effect for a two-arm trial with crossover.

    ``rx`` (share of the observed time on the experimental regimen) is 1 in the experimental
    arm (the ``crossover_to`` target), ``(AVAL - days to CROSSDT) / AVAL`` for a control subject
    who switched, else 0. The potential censoring time (for re-censoring) runs from each
    subject's origin to the data cut-off, taken as the latest ``ADT`` of the parameter.
    Returns the result (None when it cannot be computed) and a note.
    """
    controls = [a for a in trial.arms if a.crossover_to is not None]
    if len(trial.arms) != 2 or len(controls) != 1:
        return None, "crossover adjustment needs two arms, one with crossover_to"
    control, experimental = controls[0].code, controls[0].crossover_to
    if "CROSSDT" not in adsl.columns:
        return None, "crossover adjustment: no crossover dates (EX not supplied)"
    j = d.join(adsl.select("USUBJID", "CROSSDT"), on="USUBJID", how="left").filter(
        pl.col("ARMCD").is_in([control, experimental])
    )
    cut = j["ADT"].max()
    j = j.with_columns(
        (pl.col("CROSSDT") - pl.col("STARTDT")).dt.total_days().cast(pl.Float64).alias("_XD"),
        ((pl.lit(cut) - pl.col("STARTDT")).dt.total_days() + 1).cast(pl.Float64).alias("_C"),
    )
    aval = j["AVAL"].to_numpy().astype(np.float64)
    xd = j["_XD"].fill_null(np.inf).to_numpy()
    is_exp = (j["ARMCD"] == experimental).to_numpy()
    rx = np.where(is_exp, 1.0, np.clip((aval - xd) / np.maximum(aval, 1.0), 0.0, 1.0))
    try:
        r = rpsft(
            _months(aval), (j["CNSR"] == 0).to_numpy(), is_exp.astype(np.float64), rx,
            censor_time=_months(np.maximum(j["_C"].to_numpy(), aval)),
        )  # fmt: skip
    except StatsError as exc:
        return None, f"RPSFT not possible: {exc}"
    switched = int(((~is_exp) & np.isfinite(xd)).sum())
    out: dict[str, object] = {"method": "rpsft", **r.to_dict()}
    out |= {
        "comparison": f"{experimental} vs {control} (counterfactual, untreated)",
        "n_switched": switched,
        "n_control": int((~is_exp).sum()),
    }
    return out, ""


def analyse_time_to_response(
    endpoint: Endpoint, trial: Trial, adtte: pl.DataFrame, *, paramcd: str
) -> TimeToEventResult:
    """Time to response reported both ways, each labelled (sap.md section 3).

    (a) Among responders: median and range (months) from the origin to the first response
    (``RESPONDERS``, ``MEDIAN``, ``MIN``, ``MAX``): a descriptive summary, not a Kaplan-Meier
    median. (b) Over all subjects of the parameter (ITT): cumulative incidence of response
    (Aalen-Johansen, :func:`plasmatrial.stats.cif.cumulative_incidence`) with progression and
    death before response as competing events; ``CIF_MEDIAN`` is the first time the incidence
    reaches 50 % (NaN when it never does) and ``CIF_<k>M`` the incidence at ``k`` months.
    """
    d = adtte.filter(pl.col("PARAMCD") == paramcd)
    arms = [a.code for a in trial.arms if d.filter(pl.col("ARMCD") == a.code).height]
    groups = [(ALL, d)] + (
        [(a, d.filter(pl.col("ARMCD") == a)) for a in arms] if len(arms) > 1 else []
    )
    opts = endpoint.options
    at = opts.at_months if isinstance(opts, TimeToResponseOptions) else DEFAULT_TTR_AT_MONTHS
    cifs: dict[str, CIFCurve] = {}
    rows = []
    for arm, g in groups:
        r = g.filter(pl.col("CNSR") == 0)
        m = _months(r["AVAL"].to_numpy())
        row: dict[str, object] = {
            "ARMCD": arm,
            "N": g.height,
            "RESPONDERS": r.height,
            "MEDIAN": float(np.median(m)) if m.size else math.nan,
            "MIN": float(m.min()) if m.size else math.nan,
            "MAX": float(m.max()) if m.size else math.nan,
            "COMPETING": int(g["EVNTDESC"].is_in(list(TTR_COMPETING)).sum()),
        }
        curve = _response_cif(g) if r.height else None
        if curve is not None:
            cifs[arm] = curve
            reached = np.flatnonzero(curve.estimate >= 0.5)
            row["CIF_MEDIAN"] = float(curve.time[reached[0]]) if reached.size else math.nan
            est, _ = curve.at(at)
            row |= {f"CIF_{k:g}M": float(e) for k, e in zip(at, est, strict=True)}
        else:
            row["CIF_MEDIAN"] = math.nan
            row |= {f"CIF_{k:g}M": math.nan for k in at}
        rows.append(row)
    return TimeToEventResult(
        endpoint.id, endpoint.label, paramcd, pl.DataFrame(rows), {},
        note=(
            "MEDIAN (MIN-MAX): months from the start to first response among responders; "
            "CIF: cumulative incidence of response over all subjects, progression and death "
            "before response competing"
        ),
        cif=cifs,
    )  # fmt: skip


def _response_cif(g: pl.DataFrame) -> CIFCurve | None:
    """Cumulative incidence of response (cause 1) with competing progression/death (cause 2)."""
    status = np.where(
        g["CNSR"].to_numpy() == 0, 1, np.where(g["EVNTDESC"].is_in(list(TTR_COMPETING)), 2, 0)
    )
    fit = cumulative_incidence(_months(g["AVAL"].to_numpy()), status)
    return fit.curve("1")


def analyse_ae(
    endpoint: Endpoint, adae: pl.DataFrame | None, adsl: pl.DataFrame, adlb: pl.DataFrame
) -> TableResult:
    """Overview and by-grade tables of treatment-emergent AEs; CTCAE lab grades by arm.

    The lab tables (:func:`lab_toxicity_tables`) count on-treatment results: worst grade per
    subject, the ungradable results and the baseline-to-worst shift (sap.md 4).
    """
    saf = adsl.filter(pl.col("SAFFL") == "Y")
    extra: dict[str, pl.DataFrame] = {}
    if adlb.height:
        extra |= lab_toxicity_tables(adlb)
    if adae is None:
        return TableResult(
            endpoint.id, endpoint.label, "adverse_events", pl.DataFrame(), extra,
            note="AE domain not supplied: adverse events are not summarised "
            "(CTCAE grades of laboratory values only)",
        )  # fmt: skip
    overview = ae_overview(adae, by_vars=("ARMCD",), dataset_adsl=saf)
    extra["by_grade"] = ae_summary_by_grade(adae, by_vars=("ARMCD",), dataset_adsl=saf)
    return TableResult(endpoint.id, endpoint.label, "adverse_events", overview, extra)


def analyse_dose_intensity(endpoint: Endpoint, adex: pl.DataFrame | None) -> TableResult:
    """Median cycles, RDI, reductions, interruptions by arm and drug."""
    if adex is None:
        return TableResult(
            endpoint.id, endpoint.label, "dose_intensity", pl.DataFrame(),
            note="EX domain not supplied",
        )  # fmt: skip
    table = summarise_exposure(adex, by_vars=("ARMCD", "EXTRT"))
    last = adex.group_by("ARMCD", "EXTRT").agg(pl.col("LASTDOSE").median().alias("LASTDOSE_MEDIAN"))
    return TableResult(
        endpoint.id, endpoint.label, "dose_intensity",
        table.join(last, on=["ARMCD", "EXTRT"], how="left"),
    )  # fmt: skip


def analyse_eq5d(endpoint: Endpoint, adqs: pl.DataFrame | None) -> TableResult:
    """Mean (SD, 95% CI), n of EQ-5D-5L index and VAS by arm and visit."""
    if adqs is None:
        return TableResult(
            endpoint.id, endpoint.label, "eq5d", pl.DataFrame(), note="QS domain not supplied"
        )
    order = "VISITNUM" if "VISITNUM" in adqs.columns else "VISIT"
    table = (
        adqs.filter(pl.col("AVAL").is_not_null())
        .group_by("PARAMCD", "ARMCD", "VISIT")
        .agg(
            pl.len().alias("N"),
            pl.col("AVAL").mean().alias("MEAN"),
            pl.col("AVAL").std().alias("SD"),
            pl.col(order).min().alias("_ORD"),
        )
        .with_columns(
            (pl.col("MEAN") - 1.96 * pl.col("SD") / pl.col("N").sqrt()).alias("LOWER"),
            (pl.col("MEAN") + 1.96 * pl.col("SD") / pl.col("N").sqrt()).alias("UPPER"),
        )
        .sort("PARAMCD", "ARMCD", "_ORD", "VISIT")  # VISIT: ties of VISITNUM, one order
        .drop("_ORD")
    )
    return TableResult(
        endpoint.id, endpoint.label, "eq5d", table, note="normal-approximation 95% CI"
    )


def first_response_days(adtte: pl.DataFrame) -> pl.DataFrame:
    """``USUBJID, RSPDAYS``: days from origin to first response (null for non-responders)."""
    ttr = adtte.filter(pl.col("PARAMCD") == "TTR")
    return ttr.select(
        "USUBJID",
        pl.when(pl.col("CNSR") == 0).then(pl.col("AVAL")).otherwise(None).alias("RSPDAYS"),
    )
