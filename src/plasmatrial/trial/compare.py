"""Published-vs-computed comparison: each ``published`` figure next to the matching result.

The simulated data of the seed trials are generated to match these figures (the generator is
calibrated to them), so agreement shows that the pipeline computes what it should from such data;
it is not evidence about the trial (``docs/spec`` SAP section 7).

Matching rules (``docs/decisions/0731-published-vs-computed.md``, extended by 0745):

1. ``endpoint`` equal to an endpoint id:

   * response-type results (``response_rate``, ``organ_response``, ``mrd``): ``proportion`` is
     the estimate, ``percent`` 100 x estimate, ``count`` the number of responders x (with its
     denominator n); for the arm named by ``arm`` (overall when absent);
   * ``time_to_event``/``duration_of_response``: ``months`` is the KM median of the arm (overall
     in a single-arm trial), ``hazard_ratio`` the Cox HR, ``p_value`` the log-rank p;
   * ``time_to_response``: ``months`` is the median the result reports (its ``MEDIAN`` column);
   * ``dose_intensity``: ``count`` is the median last administered dose of the first drug of
     the arm's regimen, ``percent`` its median relative dose intensity.

2. ``<ENDPOINT>_<SUBGROUP>`` with ``SUBGROUP`` one of the endpoint's subgroups: the estimate in
   the subgroup level ``Y``.
3. ``<ENDPOINT>_BY_RESPONSE`` (``p_value``): p-value of the landmark analysis by response.
4. ``AE_DISC`` (``proportion``): share of the safety population that discontinued treatment
   for an adverse event (DS).
5. ``<TTE>_FOLLOWUP`` (``months``): median follow-up by reverse Kaplan-Meier (censorings as
   events) of that time-to-event endpoint, arms pooled unless ``arm`` is given.
6. ``<AE>_GR3`` (``proportion``/``percent``/``count``): subjects of the safety population with a
   treatment-emergent AE of grade >= 3 (the adverse-events result's overview).
7. ``<AE>_GR34_TERMS`` (``terms``): the ``terms`` (AEDECOD) are the commonest grade 3-4 terms.
8. ``among: CAT`` (``count``), from ADSL/ADRS/ADTTE: ``ALIVE`` patients whose best response is
   CAT and who are not dead (DTHFL); ``PROGRESSED`` those with a progression ending their response
   (ADTTE DOR event "PROGRESSIVE DISEASE"); ``FIRST_RESPONSE`` those whose first CAT assessment
   falls in ``window_months`` (months of treatment from TRTSDT, rounded to whole months).

Comparison rules (:func:`judge`; the ``RULE`` column states the one applied, in words):

* ``not_computed`` set: shown, never judged;
* ``count``: exact equality (and the denominator, when ``denominator`` is given);
* ``terms``: the k named terms are the k commonest (ties at the k-th place included);
* ``relation: greater_than`` / ``less_than``: the stated strict inequality;
* ``digits`` given: the computed value rounded (half up) to ``digits`` decimals equals the printed
  value; with ``relation: nearly`` it must also lie below it; with ``ci`` the computed interval
  rounded to the same digits must equal the printed interval (the CI method is part of the check);
  a ``p_value`` is compared the same way ("P = .001", 3 decimals: 0.0012 agrees, 0.003 does not);
* ``precision`` given (legacy): ``|computed - published| <= precision``;
* otherwise not judged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import numpy as np
import polars as pl

from plasmatrial.design.protocol import PublishedFigure, Trial
from plasmatrial.endpoints.tte import DAYS_PER_MONTH
from plasmatrial.stats.km import kaplan_meier
from plasmatrial.trial.analyse import (
    EndpointResult,
    ResponseRateResult,
    TableResult,
    TimeToEventResult,
)

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
    "RULE": pl.Utf8,
    "CI_AGREES": pl.Boolean,
    "AGREES": pl.Boolean,
    "MATCH": pl.Utf8,
    "SOURCE": pl.Utf8,
    "REPLICATION": pl.Utf8,
}


@dataclass(frozen=True, slots=True)
class Computed:
    """What the pipeline computed for one published figure."""

    value: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    how: str = "no matching computed figure"
    denominator: int | None = None
    terms: tuple[str, ...] = ()


def _ci(lo: object, hi: object) -> str | None:
    if isinstance(lo, float) and isinstance(hi, float) and math.isfinite(lo) and math.isfinite(hi):
        return f"{lo:.3g}-{hi:.3g}"
    return None


def _f(x: object) -> float:
    return float(x) if isinstance(x, int | float) else math.nan


def _from_response(
    fig: PublishedFigure, res: ResponseRateResult, subgroup: str = "", level: str = ""
) -> Computed:
    row = res.get(fig.arm, subgroup, level)
    if not row:
        return Computed(how=f"{res.endpoint}: no row for arm={fig.arm} {subgroup}={level}")
    est = _f(row["ESTIMATE"])
    scale = 100.0 if fig.unit == "percent" else 1.0
    value = {"proportion": est, "percent": 100 * est, "count": _f(row["X"])}.get(fig.unit, math.nan)
    where = f"{subgroup}={level}" if subgroup else "overall"
    if fig.arm:
        where = f"arm {fig.arm}" + (f", {where}" if subgroup else "")
    n = row["N"]
    return Computed(
        value,
        scale * _f(row["LOWER"]),
        scale * _f(row["UPPER"]),
        f"{res.endpoint} {where} x/n={row['X']}/{n} ({row.get('METHOD', '')} CI)",
        int(n) if isinstance(n, int) else None,
    )


def _from_tte(fig: PublishedFigure, res: TimeToEventResult) -> Computed:
    if fig.unit == "hazard_ratio":
        if res.cox is None or "hazard_ratio" not in res.cox:
            return Computed(how="no Cox model")
        c = res.cox
        return Computed(
            _f(c["hazard_ratio"]),
            _f(c["conf_low"]),
            _f(c["conf_high"]),
            "Cox HR " + str(c.get("comparison", "")),
        )
    if fig.unit == "p_value":
        if res.logrank is None:
            return Computed(how="no log-rank test")
        return Computed(_f(res.logrank["p_value"]), how="log-rank p")
    if fig.unit == "months" and res.table.height:
        arm = fig.arm or "ALL"
        s = res.table.filter(pl.col("ARMCD") == arm)
        if s.height == 0:
            return Computed(how=f"no KM fit for arm {arm}")
        r = s.row(0, named=True)
        if "RESPONDERS" in res.table.columns:
            return Computed(_f(r["MEDIAN"]), how=f"{res.paramcd} median as reported ({arm})")
        return Computed(
            _f(r["MEDIAN"]),
            _f(r.get("LOWER")),
            _f(r.get("UPPER")),
            f"{res.paramcd} KM median ({arm})",
        )
    return Computed(how=f"unit {fig.unit} not matched for {res.endpoint}")


def median_followup(res: TimeToEventResult, arm: str | None = None) -> float:
    """Median follow-up (months) by reverse Kaplan-Meier of a time-to-event result's fits.

    Each fit is expanded back to its subject times; censorings become the events of the reverse
    fit. Arms are pooled unless ``arm`` names one (a single-arm fit is ``ALL``).
    """
    fits = {k: v for k, v in res.fits.items() if arm is None or k == arm}
    if arm is None and "ALL" in fits:
        fits = {"ALL": fits["ALL"]}
    times: list[np.ndarray] = []
    censored: list[np.ndarray] = []
    for fit in fits.values():
        ev = np.rint(fit.n_event).astype(int)
        cn = np.rint(fit.n_censor).astype(int)
        times += [np.repeat(fit.time, ev), np.repeat(fit.time, cn)]
        censored += [np.zeros(int(ev.sum()), dtype=bool), np.ones(int(cn.sum()), dtype=bool)]
    if not times:
        return math.nan
    t = np.concatenate(times)
    c = np.concatenate(censored)
    if t.size == 0 or not c.any():
        return math.nan
    return float(kaplan_meier(t, c).median)


def _from_table(fig: PublishedFigure, res: TableResult, drug: str | None = None) -> Computed:
    t = res.table
    if res.kind == "dose_intensity" and t.height:
        arm = fig.arm
        rows = t if arm is None else t.filter(pl.col("ARMCD") == arm)
        if drug is not None and "EXTRT" in rows.columns:
            rows = rows.filter(pl.col("EXTRT").str.to_uppercase() == drug.upper())
        if rows.height == 0:
            return Computed(how="no exposure rows")
        r = rows.row(0, named=True)
        if fig.unit == "count":
            return Computed(_f(r["LASTDOSE_MEDIAN"]), how=f"median last dose of {r['EXTRT']}")
        if fig.unit == "percent":
            return Computed(_f(r["RDI_MEDIAN"]), how=f"median RDI of {r['EXTRT']}")
    return Computed(how=f"{res.endpoint}: no matching figure ({res.note})")


def _ae_grade3(fig: PublishedFigure, res: TableResult) -> Computed:
    t = res.table
    if t.height == 0 or "CATEGORY" not in t.columns:
        return Computed(how=f"{res.endpoint}: no AE overview ({res.note})")
    rows = t.filter(pl.col("CATEGORY") == "TEAE grade >= 3")
    if fig.arm is not None:
        rows = rows.filter(pl.col("ARMCD") == fig.arm)
    if rows.height == 0:
        return Computed(how=f"{res.endpoint}: no 'TEAE grade >= 3' row")
    x, n = int(rows["N"].sum()), int(rows["DENOM"].sum())
    value = {"proportion": x / n, "percent": 100 * x / n, "count": float(x)}.get(fig.unit, math.nan)
    return Computed(value, how=f"TEAE grade >= 3: {x}/{n} (safety)", denominator=n)


def _ae_top_terms(fig: PublishedFigure, res: TableResult) -> Computed:
    t = res.extra.get("by_grade")
    if t is None or t.height == 0:
        return Computed(how=f"{res.endpoint}: no AE table by term and grade")
    if fig.arm is not None:
        t = t.filter(pl.col("ARMCD") == fig.arm)
    counts = (
        t.group_by("AEDECOD")
        .agg(pl.col("N_GR3_4").sum())
        .filter(pl.col("N_GR3_4") > 0)
        .sort(["N_GR3_4", "AEDECOD"], descending=[True, False])
    )
    k = len(fig.terms)
    if counts.height == 0 or k == 0:
        return Computed(0.0, how="no grade 3-4 AE")
    kth = int(counts["N_GR3_4"][min(k, counts.height) - 1])
    top = counts.filter(pl.col("N_GR3_4") >= kth)
    top_terms = tuple(top["AEDECOD"].to_list())
    named = {s.upper() for s in fig.terms}
    hits = sum(1 for s in top_terms if s.upper() in named)
    listed = ", ".join(f"{a} {b}" for a, b in zip(top["AEDECOD"], top["N_GR3_4"], strict=True))
    return Computed(float(hits), how=f"commonest grade 3-4 (n): {listed}", terms=top_terms)


def _among(fig: PublishedFigure, datasets: Mapping[str, pl.DataFrame] | None) -> Computed:
    """Rule 8: counts among the patients whose best response is ``fig.among``."""
    if datasets is None or "ADSL" not in datasets:
        return Computed(how="ADSL not available")
    adsl = datasets["ADSL"]
    if fig.arm is not None:
        adsl = adsl.filter(pl.col("ARMCD") == fig.arm)
    cat = str(fig.among)
    ids = adsl.filter(pl.col("BESTRSP") == cat)
    n = ids.height
    if fig.endpoint == "ALIVE":
        x = ids.filter(pl.col("DTHFL").fill_null("N") != "Y").height
        return Computed(float(x), how=f"best response {cat} and not dead: {x} of {n}")
    if fig.endpoint == "PROGRESSED" and "ADTTE" in datasets:
        dor = datasets["ADTTE"].filter(
            (pl.col("PARAMCD") == "DOR")
            & (pl.col("CNSR") == 0)
            & (pl.col("EVNTDESC") == "PROGRESSIVE DISEASE")
            & pl.col("USUBJID").is_in(ids["USUBJID"].implode())
        )
        x = dor.height
        return Computed(float(x), how=f"best response {cat}, response ended by PD: {x} of {n}")
    if fig.endpoint == "FIRST_RESPONSE" and "ADRS" in datasets and fig.window_months:
        lo, hi = fig.window_months
        first = (
            datasets["ADRS"]
            .filter(
                (pl.col("PARAMCD") == "HEMRESP")
                & (pl.col("AVALC") == cat)
                & pl.col("USUBJID").is_in(ids["USUBJID"].implode())
            )
            .group_by("USUBJID")
            .agg(pl.col("ADT").min())
            .join(ids.select("USUBJID", "TRTSDT"), on="USUBJID")
            .with_columns(
                ((pl.col("ADT") - pl.col("TRTSDT")).dt.total_days() / DAYS_PER_MONTH)
                .round(0)
                .alias("M")
            )
        )
        inside = first.filter((pl.col("M") >= lo) & ((pl.col("M") <= hi) if hi else pl.lit(True)))
        months = ", ".join(f"{m:g}" for m in sorted(first["M"].to_list()))
        return Computed(
            float(inside.height),
            how=f"first {cat} at months {months} (of treatment); {inside.height} in the window",
        )
    return Computed(how=f"among {cat}: {fig.endpoint} not matched")


def _first_drug(trial: Trial, arm: str | None) -> str | None:
    """First drug of the regimen of ``arm`` (the first arm when None)."""
    arms = [a for a in trial.arms if arm is None or a.code == arm]
    return arms[0].regimen[0].drug if arms and arms[0].regimen else None


def _derived(fig: PublishedFigure, by_id: dict[str, EndpointResult]) -> Computed | None:
    """Rules 3 and 5-7: a figure derived from an endpoint's result by a suffix."""
    for suffix in ("_BY_RESPONSE", "_FOLLOWUP", "_GR3", "_GR34_TERMS"):
        if not fig.endpoint.endswith(suffix):
            continue
        base = by_id.get(fig.endpoint.removesuffix(suffix))
        if suffix == "_BY_RESPONSE":
            if isinstance(base, TimeToEventResult) and base.landmark is not None:
                lm = base.landmark
                return Computed(
                    _f(lm["p_value"]),
                    how=f"landmark Cox at {lm['landmark']:g} months, responders vs not",
                )
            return Computed(how="landmark analysis not available")
        if suffix == "_FOLLOWUP" and isinstance(base, TimeToEventResult):
            arms = fig.arm or "arms pooled"
            return Computed(
                median_followup(base, fig.arm),
                how=f"reverse Kaplan-Meier median follow-up of {base.paramcd} ({arms})",
            )
        if suffix == "_GR3" and isinstance(base, TableResult):
            return _ae_grade3(fig, base)
        if suffix == "_GR34_TERMS" and isinstance(base, TableResult):
            return _ae_top_terms(fig, base)
    return None


def computed_for(
    fig: PublishedFigure,
    trial: Trial,
    results: Sequence[EndpointResult],
    *,
    ae_discontinued: tuple[int, int] | None = None,
    datasets: Mapping[str, pl.DataFrame] | None = None,
) -> Computed:
    """The computed figure matching ``fig`` (rules 1-8 of the module docstring)."""
    by_id = {r.endpoint: r for r in results}
    if fig.not_computed:
        return Computed(how=f"not computed: {fig.not_computed}")
    if fig.among is not None:
        return _among(fig, datasets)
    res = by_id.get(fig.endpoint)
    if res is not None:
        if isinstance(res, ResponseRateResult):
            return _from_response(fig, res)
        if isinstance(res, TimeToEventResult):
            return _from_tte(fig, res)
        return _from_table(fig, res, _first_drug(trial, fig.arm))
    derived = _derived(fig, by_id)
    if derived is not None:
        return derived
    if fig.endpoint == "AE_DISC":
        if ae_discontinued is not None and ae_discontinued[1] > 0:
            x, n = ae_discontinued
            value = {"proportion": x / n, "percent": 100 * x / n, "count": float(x)}.get(
                fig.unit, math.nan
            )
            return Computed(
                value, how=f"DS discontinued for adverse event {x}/{n} (safety)", denominator=n
            )
        return Computed(how="DS not supplied")
    for ep in trial.endpoints:
        for sg in ep.subgroups:
            if fig.endpoint == f"{ep.id}_{sg}":
                r2 = by_id.get(ep.id)
                if isinstance(r2, ResponseRateResult):
                    return _from_response(fig, r2, sg, "Y")
    return Computed()


def compare_published(
    trial: Trial,
    results: Sequence[EndpointResult],
    *,
    ae_discontinued: tuple[int, int] | None = None,
    datasets: Mapping[str, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """One row per published figure with the computed value, the rule and whether they agree.

    Parameters
    ----------
    trial:
        Trial with its ``published`` figures.
    results:
        Endpoint results of :func:`plasmatrial.trial.run_trial`.
    ae_discontinued:
        ``(x, n)``: subjects discontinued for an adverse event among the safety population
        (None when DS was not supplied).
    datasets:
        ADaM datasets (ADSL, ADRS, ADTTE) for the counts among a best-response category.

    Returns
    -------
    polars.DataFrame
        Columns of :data:`SCHEMA`.
    """
    rows = []
    for fig in trial.published:
        comp = computed_for(fig, trial, results, ae_discontinued=ae_discontinued, datasets=datasets)
        ok, ci_ok = judge(fig, comp)
        published = fig.value if fig.value is not None else float(len(fig.terms))
        rows.append(
            {
                "ENDPOINT": fig.endpoint,
                "ARMCD": fig.arm or "ALL",
                "LABEL": fig.label,
                "UNIT": fig.unit,
                "PUBLISHED": published,
                "PUB_CI": _ci(*map(float, fig.ci)) if fig.ci else None,
                "COMPUTED": comp.value,
                "COMP_CI": _ci(comp.lower, comp.upper),
                "PRECISION": fig.precision,
                "RULE": rule_text(fig),
                "CI_AGREES": ci_ok,
                "AGREES": ok,
                "MATCH": comp.how,
                "SOURCE": fig.source,
                "REPLICATION": fig.replication,
            }
        )
    return pl.DataFrame(rows, schema=SCHEMA)


def rounds_to(computed: float, printed: float, digits: int) -> bool:
    """Whether ``computed`` rounded half up to ``digits`` decimals equals ``printed`` (rounded
    the same way; ``digits`` may be negative: -1 rounds to tens)."""
    if not (math.isfinite(computed) and math.isfinite(printed)):
        return False
    q = Decimal(1).scaleb(-digits)
    return Decimal(repr(computed)).quantize(q, ROUND_HALF_UP) == Decimal(repr(printed)).quantize(
        q, ROUND_HALF_UP
    )


def _fmt_digits(value: float, digits: int) -> str:
    return f"{value:.{max(digits, 0)}f}"


def rule_text(fig: PublishedFigure) -> str:
    """The comparison rule applied to ``fig``, in words."""
    if fig.not_computed:
        return "not computed (shown, not judged)"
    if fig.unit == "terms":
        return (
            f"the {len(fig.terms)} named terms are the {len(fig.terms)} commonest (ties included)"
        )
    v = fig.value if fig.value is not None else math.nan
    if fig.unit == "count":
        den = f" of {fig.denominator}" if fig.denominator is not None else ""
        return f"count equals {v:g}{den} exactly"
    if fig.relation == "greater_than":
        return f"stated inequality: more than {v:g}"
    if fig.relation == "less_than":
        return f"stated inequality: less than {v:g}"
    if fig.digits is not None:
        printed = _fmt_digits(v, fig.digits)
        places = f"{fig.digits} decimal(s)" if fig.digits >= 0 else f"nearest {10**-fig.digits:g}"
        if fig.relation == "nearly":
            text = f"'nearly {printed}': below {printed} and rounds to it ({places})"
        else:
            text = f"rounds to {printed} ({places})"
        if fig.ci is not None:
            lo, hi = (_fmt_digits(float(x), fig.digits) for x in fig.ci)
            text += f"; CI rounds to {lo}-{hi}"
        return text
    if fig.precision is not None:
        return f"within {fig.precision:g} of {v:g}"
    return "not judged (no printed precision)"


def judge(fig: PublishedFigure, comp: Computed) -> tuple[bool | None, bool | None]:
    """``(agrees, ci_agrees)`` of a computed figure with the published one (None: not judged).

    ``agrees`` includes the CI check when the figure has a CI and ``digits``.
    """
    if fig.not_computed:
        return None, None
    if fig.unit == "terms":
        if not math.isfinite(comp.value):
            return None, None
        named = {s.upper() for s in fig.terms}
        return {s.upper() for s in comp.terms} == named, None
    value = comp.value
    if not math.isfinite(value) or fig.value is None:
        return None, None
    if fig.unit == "count":
        ok = value == fig.value
        if fig.denominator is not None:
            ok = ok and comp.denominator == fig.denominator
        return ok, None
    if fig.relation == "greater_than":
        return value > fig.value, None
    if fig.relation == "less_than":
        return value < fig.value, None
    if fig.digits is not None:
        ok = rounds_to(value, fig.value, fig.digits)
        if fig.relation == "nearly":
            ok = ok and value < fig.value
        ci_ok = None
        if fig.ci is not None:
            ci_ok = rounds_to(comp.lower, float(fig.ci[0]), fig.digits) and rounds_to(
                comp.upper, float(fig.ci[1]), fig.digits
            )
            ok = ok and ci_ok
        return ok, ci_ok
    if fig.precision is not None:
        return abs(value - fig.value) <= fig.precision + 1e-12, None
    return None, None


def agrees(fig: PublishedFigure, computed: float) -> bool | None:
    """Whether a computed value agrees with the published figure (None: not judged); a figure
    with a CI is judged on its value only here (see :func:`judge`)."""
    fig_no_ci = fig.model_copy(update={"ci": None})
    return judge(fig_no_ci, Computed(computed))[0]
