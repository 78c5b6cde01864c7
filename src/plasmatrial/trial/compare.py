"""Published-vs-computed comparison: each ``published`` figure next to the matching result.

Matching rules (``docs/decisions/0731-published-vs-computed.md``):

1. ``endpoint`` equal to an endpoint id:

   * response-type results (``response_rate``, ``organ_response``, ``mrd``): ``proportion`` is
     the estimate, ``percent`` 100 x estimate, ``count`` the number of responders x; for the arm
     named by ``arm`` (overall when absent);
   * ``time_to_event``/``duration_of_response``: ``months`` is the KM median of the arm (overall
     in a single-arm trial), ``hazard_ratio`` the Cox HR, ``p_value`` the log-rank p;
   * ``time_to_response``: ``months`` is the median among responders;
   * ``dose_intensity``: ``count`` is the median last administered dose of the first drug of
     the arm's regimen (the first arm's in a single-arm trial) (e.g. "median tolerated dose"), ``percent`` its median relative dose intensity.

2. ``<ENDPOINT>_<SUBGROUP>`` with ``SUBGROUP`` one of the endpoint's subgroups: the estimate in
   the subgroup level ``Y``.
3. ``<ENDPOINT>_BY_RESPONSE`` (``p_value``): p-value of the landmark analysis by response.
4. ``AE_DISC`` (``proportion``): share of the safety population that discontinued treatment
   for an adverse event (DS).

Agreement: ``|computed - published| <= precision``; a ``p_value`` without precision agrees
when both lie on the same side of 0.05; a figure without precision (or not computable) is not
judged (``AGREES`` null).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import polars as pl

from plasmatrial.design.protocol import PublishedFigure, Trial
from plasmatrial.trial.analyse import (
    EndpointResult,
    ResponseRateResult,
    TableResult,
    TimeToEventResult,
)

P_THRESHOLD: Final = 0.05
SCHEMA: Final = {
    "ENDPOINT": pl.Utf8,
    "ARMCD": pl.Utf8,
    "LABEL": pl.Utf8,
    "UNIT": pl.Utf8,
    "PUBLISHED": pl.Float64,
    "PUB_CI": pl.Utf8,
    "COMPUTED": pl.Float64,
    "COMP_CI": pl.Utf8,
    "PRECISION": pl.Float64,
    "AGREES": pl.Boolean,
    "MATCH": pl.Utf8,
    "SOURCE": pl.Utf8,
}


def _ci(lo: object, hi: object) -> str | None:
    if isinstance(lo, float) and isinstance(hi, float) and math.isfinite(lo) and math.isfinite(hi):
        return f"{lo:.3g}-{hi:.3g}"
    return None


def _from_response(
    fig: PublishedFigure, res: ResponseRateResult, subgroup: str = "", level: str = ""
) -> tuple[float, str | None, str]:
    row = res.get(fig.arm, subgroup, level)
    if not row:
        return math.nan, None, f"{res.endpoint}: no row for arm={fig.arm} {subgroup}={level}"
    est = float(row["ESTIMATE"])  # type: ignore[arg-type]
    value = {"proportion": est, "percent": 100 * est, "count": float(row["X"])}.get(  # type: ignore[arg-type]
        fig.unit, math.nan
    )
    where = f"{subgroup}={level}" if subgroup else "overall"
    if fig.arm:
        where = f"arm {fig.arm}" + (f", {where}" if subgroup else "")
    return (
        value,
        _ci(row["LOWER"], row["UPPER"]),
        f"{res.endpoint} {where} x/n={row['X']}/{row['N']}",
    )


def _from_tte(fig: PublishedFigure, res: TimeToEventResult) -> tuple[float, str | None, str]:
    if fig.unit == "hazard_ratio":
        if res.cox is None or "hazard_ratio" not in res.cox:
            return math.nan, None, "no Cox model"
        c = res.cox
        return (
            float(c["hazard_ratio"]),  # type: ignore[arg-type]
            _ci(c["conf_low"], c["conf_high"]),
            "Cox HR " + str(c.get("comparison", "")),
        )
    if fig.unit == "p_value":
        if res.logrank is None:
            return math.nan, None, "no log-rank test"
        return float(res.logrank["p_value"]), None, "log-rank p"  # type: ignore[arg-type]
    if fig.unit == "months" and res.summary.height:
        arm = fig.arm or "ALL"
        s = res.summary.filter(pl.col("ARMCD") == arm)
        if s.height == 0:
            return math.nan, None, f"no KM fit for arm {arm}"
        r = s.row(0, named=True)
        return (
            float(r["MEDIAN"]),
            _ci(r.get("LOWER"), r.get("UPPER")),
            f"{res.paramcd} median ({arm})",
        )
    return math.nan, None, f"unit {fig.unit} not matched for {res.endpoint}"


def _from_table(
    fig: PublishedFigure, res: TableResult, drug: str | None = None
) -> tuple[float, str | None, str]:
    t = res.table
    if res.kind == "dose_intensity" and t.height:
        arm = fig.arm
        rows = t if arm is None else t.filter(pl.col("ARMCD") == arm)
        if drug is not None and "EXTRT" in rows.columns:
            rows = rows.filter(pl.col("EXTRT").str.to_uppercase() == drug.upper())
        if rows.height == 0:
            return math.nan, None, "no exposure rows"
        r = rows.row(0, named=True)
        if fig.unit == "count":
            return float(r["LASTDOSE_MEDIAN"]), None, f"median last dose of {r['EXTRT']}"
        if fig.unit == "percent":
            return float(r["RDI_MEDIAN"]), None, f"median RDI of {r['EXTRT']}"
    return math.nan, None, f"{res.endpoint}: no matching figure ({res.note})"


def _first_drug(trial: Trial, arm: str | None) -> str | None:
    """First drug of the regimen of ``arm`` (the first arm when None)."""
    arms = [a for a in trial.arms if arm is None or a.code == arm]
    return arms[0].regimen[0].drug if arms and arms[0].regimen else None


def compare_published(
    trial: Trial,
    results: Sequence[EndpointResult],
    *,
    ae_discontinued: tuple[int, int] | None = None,
) -> pl.DataFrame:
    """One row per published figure with the computed value and whether they agree.

    Parameters
    ----------
    trial:
        Trial with its ``published`` figures.
    results:
        Endpoint results of :func:`plasmatrial.trial.run_trial`.
    ae_discontinued:
        ``(x, n)``: subjects discontinued for an adverse event among the safety population
        (None when DS was not supplied).

    Returns
    -------
    polars.DataFrame
        Columns of :data:`SCHEMA`.
    """
    by_id = {r.endpoint: r for r in results}
    rows = []
    for fig in trial.published:
        value, ci, how = math.nan, None, "no matching computed figure"
        res = by_id.get(fig.endpoint)
        if res is not None:
            if isinstance(res, ResponseRateResult):
                value, ci, how = _from_response(fig, res)
            elif isinstance(res, TimeToEventResult):
                if "RESPONDERS" in res.summary.columns and fig.unit == "months":
                    r = res.summary.filter(pl.col("ARMCD") == (fig.arm or "ALL"))
                    if r.height:
                        value, how = (
                            float(r["MEDIAN"][0]),
                            f"median among responders ({res.paramcd})",
                        )
                else:
                    value, ci, how = _from_tte(fig, res)
            else:
                value, ci, how = _from_table(fig, res, _first_drug(trial, fig.arm))
        elif fig.endpoint.endswith("_BY_RESPONSE"):
            base = by_id.get(fig.endpoint.removesuffix("_BY_RESPONSE"))
            if isinstance(base, TimeToEventResult) and base.landmark is not None:
                value = float(base.landmark["p_value"])  # type: ignore[arg-type]
                how = f"landmark Cox at {base.landmark['landmark']:g} months, responders vs not"
            else:
                how = "landmark analysis not available"
        elif fig.endpoint == "AE_DISC":
            if ae_discontinued is not None and ae_discontinued[1] > 0:
                x, n = ae_discontinued
                value, how = x / n, f"DS discontinued for adverse event {x}/{n} (safety)"
            else:
                how = "DS not supplied"
        else:
            for ep in trial.endpoints:
                for sg in ep.subgroups:
                    if fig.endpoint == f"{ep.id}_{sg}":
                        r2 = by_id.get(ep.id)
                        if isinstance(r2, ResponseRateResult):
                            value, ci, how = _from_response(fig, r2, sg, "Y")
        rows.append(
            {
                "ENDPOINT": fig.endpoint,
                "ARMCD": fig.arm or "ALL",
                "LABEL": fig.label,
                "UNIT": fig.unit,
                "PUBLISHED": fig.value,
                "PUB_CI": _ci(*fig.ci) if fig.ci else None,
                "COMPUTED": value,
                "COMP_CI": ci,
                "PRECISION": fig.precision,
                "AGREES": agrees(fig, value),
                "MATCH": how,
                "SOURCE": fig.source,
            }
        )
    return pl.DataFrame(rows, schema=SCHEMA)


def agrees(fig: PublishedFigure, computed: float) -> bool | None:
    """Whether ``computed`` agrees with the published figure (None: not judged)."""
    if not math.isfinite(computed):
        return None
    if fig.precision is not None:
        return abs(computed - fig.value) <= fig.precision + 1e-12
    if fig.unit == "p_value":
        return (computed < P_THRESHOLD) == (fig.value < P_THRESHOLD)
    return None
