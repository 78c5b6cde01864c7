"""The trial report: a :class:`~plasmatrial.report.html.ReportDocument` built from TrialResults.

Sections: overview and notes, patient flow (CONSORT-style), baseline characteristics, disposition,
response tables with CIs, response over cycles, waterfall of the best marker change, swimmer plot,
Kaplan-Meier plots with numbers at risk, forest plot of subgroup HRs (randomised trials), organ
responses, adverse events, dose intensity, EQ-5D-5L, and the published-vs-computed table. The
provenance block names the software version, git revision, rule sets with versions, generator
seed and the SHA-256 of every input file.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Final

import numpy as np
import polars as pl

from plasmatrial import DISCLAIMER
from plasmatrial.endpoints.tte import DAYS_PER_MONTH
from plasmatrial.report import labels
from plasmatrial.report.figures import (
    CurveData,
    ForestRow,
    RiskTable,
    SwimmerLane,
    render_forest,
    render_km_plot,
    render_line_summary,
    render_stacked_bars,
    render_swimmer,
    render_waterfall,
)
from plasmatrial.report.html import (
    Block,
    Cell,
    ReportDocument,
    Section,
    figure_block,
    text_block,
)
from plasmatrial.report.safety_tables import LAB_BLOCKS
from plasmatrial.report.style import ArmStyle
from plasmatrial.report.tables import TableContext, p_value, with_meta
from plasmatrial.report.trial_tables import (
    POPULATION_DEFINITIONS,
    ae_summary_block,
    ae_term_block,
    arm_columns,
    assumption_rows,
    baseline_block,
    bor_block,
    data_cutoff,
    dose_block,
    eq5d_blocks,
    flow_block,
    generic_blocks,
    population_sizes,
    populations_block,
    published_block,
    response_block,
    table_context,
    tte_block,
    ttr_block,
)
from plasmatrial.stats.km import KaplanMeierResult
from plasmatrial.trial.analyse import (
    ResponseRateResult,
    TableResult,
    TimeToEventResult,
)
from plasmatrial.trial.derive import response_at_cycle
from plasmatrial.trial.pipeline import TrialResults

RESPONSE_STACK: Final = ("sCR", "CR", "VGPR", "PR", "LDPR", "MR", "SD", "NR", "PROG", "PD", "NE")


def _arms(res: TrialResults) -> list[str]:
    return [a.code for a in res.trial.arms]


def _pct(n: int, d: int) -> str:
    return f"{n} ({100 * n / d:.0f}%)" if d else str(n)


def flow_section(res: TrialResults) -> Section:
    """CONSORT-style flow: enrolled, allocated per arm, treated, discontinued (reasons), analysed."""
    blocks = [flow_block(res, table_context(res))]
    if "DS" not in {k.upper() for k in res.provenance.get("domains", {})}:
        blocks.append(text_block("DS was not supplied: treatment discontinuations are not known."))
    return Section("Patient flow", tuple(blocks))


def baseline_section(res: TrialResults) -> Section:
    """Baseline characteristics by arm (continuous: median (range); categorical: n (%))."""
    return Section("Baseline characteristics", (baseline_block(res, table_context(res)),))


def response_section(res: TrialResults) -> Section:
    """Response tables, response over cycles, waterfall and swimmer plots."""
    blocks: list[Block] = []
    ctx = table_context(res)
    for r in res.endpoints:
        if isinstance(r, ResponseRateResult) and not r.population.endswith("-evaluable"):
            blocks.append(response_block(r, res, ctx))
    bor = bor_block(res, ctx)
    if bor is not None:
        blocks.insert(0, bor)
    blocks += _cycles_figure(res)
    blocks += _waterfall(res)
    blocks += _swimmer(res)
    return Section("Response", tuple(blocks), intro=f"Criteria: {res.criteria.label}.")


def _figure_meta(
    block: Block, res: TrialResults | None, population: str, n: int | None = None
) -> Block:
    """A figure block whose caption line names its population, the cut-off and the criteria."""
    if res is None:
        return block
    return replace(block, meta=table_context(res).meta(population, n))


def _tte_population(r: TimeToEventResult, res: TrialResults | None) -> tuple[str, int | None]:
    """Population of a time-to-event figure: ITT, or the responders for duration of response."""
    t = r.table
    if "ALL" in t.get_column("ARMCD").to_list() if "ARMCD" in t.columns else False:
        t = t.filter(pl.col("ARMCD") == "ALL")
    n = int(t["N"].sum()) if "N" in t.columns and t.height else None
    itt = population_sizes(res).get("ITT") if res is not None else None
    if n is None or n == itt:
        return "ITT", n
    return ("Responders" if "response" in r.label.lower() else "Patients analysed"), n


def arm_style(res: TrialResults) -> ArmStyle:
    """Colours and names of the trial's arms in protocol order, shared by every figure."""
    return ArmStyle.of(_arms(res), {a.code: a.name for a in res.trial.arms})


def _cycles_figure(res: TrialResults) -> list[Block]:
    adsl = res.adsl.filter(pl.col("EFFFL") == "Y")
    if adsl.height == 0:
        return []
    style = arm_style(res)
    adrs = res.datasets["ADRS"]
    max_day = adrs["ADY"].max()
    n_cycles = res.trial.schedule.treatment_cycles or 6
    if isinstance(max_day, int | float):
        n_cycles = max(1, min(n_cycles, int(max_day // res.trial.schedule.cycle_days)))
    labels = [f"C{k}" for k in range(1, n_cycles + 1)]
    calls_by_arm: dict[str, list[list[str]]] = {}
    counts: dict[str, int] = {}
    for arm in style.order(adsl["ARMCD"].drop_nulls().unique().to_list()):
        sub = adsl.filter(pl.col("ARMCD") == arm)
        counts[arm] = sub.height
        calls_by_arm[arm] = [
            response_at_cycle(adrs, sub, res.trial, k)["AVALC"].to_list()
            for k in range(1, n_cycles + 1)
        ]
    present = [
        c for c in RESPONSE_STACK if any(c in cs for calls in calls_by_arm.values() for cs in calls)
    ]
    panels = {
        arm: {c: [100 * cs.count(c) / len(cs) for cs in calls] for c in present}
        for arm, calls in calls_by_arm.items()
    }
    svg = render_stacked_bars(
        labels,
        panels=panels,
        style=style,
        counts=counts,
        ylabel="Response-evaluable patients (%)",
        xlabel="End of cycle",
    )
    return [
        _figure_meta(
            figure_block(
                svg,
                caption=f"{res.criteria.response.label} at the end of each cycle, by arm "
                "(response-evaluable population)",
                note="Call at the last assessment on or before day cycle x cycle length + 14; "
                "NE = no assessment by then.",
            ),
            res,
            "Response-evaluable",
        )
    ]


def _waterfall(res: TrialResults) -> list[Block]:
    a = (
        res.adsl.filter((pl.col("EFFFL") == "Y") & pl.col("BESTPCHG").is_not_null())
        if "BESTPCHG" in res.adsl.columns
        else None
    )
    if a is None or a.height == 0:
        return []
    marker = a["PCHGPARM"][0]
    svg = render_waterfall(
        a["BESTPCHG"].to_list(),
        a["BESTRSP"].to_list(),
        arms=[str(x) for x in a["ARMCD"].to_list()],
        style=arm_style(res),
        ylabel=f"Best change of {marker} from baseline (%)",
    )
    return [
        _figure_meta(
            figure_block(
                svg,
                caption=f"Waterfall of the best {marker} change, by arm, coloured by best "
                "response (response-evaluable population)",
                note="Bars are clipped at +200 %; the dotted line marks a 50 % decrease.",
            ),
            res,
            "Response-evaluable",
            a.height,
        )
    ]


#: The swimmer plot shows every patient up to this many; above it, the patients of each arm with
#: the longest time on study, SWIMMER_ALL // (number of arms) per arm but at least
#: SWIMMER_MIN_PER_ARM (decision 0810): 40 lanes keep the printed figure within the 225 mm the
#: PDF allows a figure, so subject IDs print at 8 pt.
SWIMMER_ALL: Final = 40
SWIMMER_MIN_PER_ARM: Final = 10


def _subject_label(row: Mapping[str, object]) -> str:
    subjid = row.get("SUBJID")
    return str(subjid) if subjid not in (None, "") else str(row["USUBJID"])[-6:]


def _swimmer(res: TrialResults) -> list[Block]:
    style = arm_style(res)
    itt = res.adsl.filter((pl.col("ITTFL") == "Y") & pl.col("STARTDT").is_not_null())
    if itt.height == 0:
        return []
    end = pl.coalesce("DTHDT", "LSTALVDT", "TRTEDT", "STARTDT")
    itt = itt.with_columns((end - pl.col("STARTDT")).dt.total_days().alias("_ON_STUDY"))
    arms = style.order(itt["ARMCD"].drop_nulls().unique().to_list())
    shown = itt.height <= SWIMMER_ALL
    per_arm = max(SWIMMER_MIN_PER_ARM, SWIMMER_ALL // max(len(arms), 1))
    parts = []
    for arm in arms:
        sub = itt.filter(pl.col("ARMCD") == arm).sort(
            ["_ON_STUDY", "USUBJID"], descending=[True, False]
        )
        parts.append(sub if shown else sub.head(per_arm))
    adsl = pl.concat(parts, how="diagonal_relaxed") if parts else itt.head(0)
    adtte = res.datasets["ADTTE"]

    def event_months(param: str, desc: str | None = None) -> dict[str, float]:
        d = adtte.filter((pl.col("PARAMCD") == param) & (pl.col("CNSR") == 0))
        if desc is not None:
            d = d.filter(pl.col("EVNTDESC") == desc)
        return {u: v / DAYS_PER_MONTH for u, v in zip(d["USUBJID"], d["AVAL"], strict=True)}

    resp = event_months("TTR")
    prog = event_months("PFS", "PROGRESSIVE DISEASE")
    has_cross = "CROSSDT" in adsl.columns
    lanes = []
    for row in adsl.iter_rows(named=True):
        start = row["STARTDT"]
        trt_end = row["TRTEDT"] or start
        last = row["LSTALVDT"] or trt_end
        death = row["DTHDT"]
        cross = row["CROSSDT"] if has_cross else None
        lanes.append(
            SwimmerLane(
                subject=_subject_label(row),
                on_treatment=max((trt_end - start).days, 0) / DAYS_PER_MONTH,
                follow_up=max((max(last, trt_end) - start).days, 0) / DAYS_PER_MONTH,
                response_start=resp.get(row["USUBJID"]),
                progression=prog.get(row["USUBJID"]),
                death=None if death is None else (death - start).days / DAYS_PER_MONTH,
                ongoing=death is None and row.get("EOTSTT") == "ONGOING",
                arm=str(row["ARMCD"]),
                crossover=None if cross is None else max((cross - start).days, 0) / DAYS_PER_MONTH,
            )
        )
    if not lanes:
        return []
    if shown:
        rule = f"All {len(lanes)} patients of the ITT population"
    else:
        rule = (
            f"The {per_arm} patients of each arm with the longest time on study (start to "
            f"death or last known alive; {len(lanes)} of {itt.height} ITT patients)"
        )
    cross_note = (
        " Crossover treatment after progression (CROSSDT) is hatched grey, not counted as study "
        "treatment."
        if any(lane.crossover is not None for lane in lanes)
        else ""
    )
    return [
        _figure_meta(
            figure_block(
                render_swimmer(lanes, style=style),
                caption=f"Each patient's course, by arm. {rule}, longest first.",
                note="Study treatment in the arm's colour, follow-up off treatment light grey; "
                "first response, progression (PFS event) and death marked; an arrow marks a patient "
                "alive and on study." + cross_note,
            ),
            res,
            "ITT",
        )
    ]


def _curve(label: str, fit: KaplanMeierResult, key: str = "") -> CurveData:
    cens = fit.n_censor > 0
    return CurveData(
        key=key,
        label=label,
        time=fit.time.tolist(),
        surv=fit.surv.tolist(),
        lower=np.nan_to_num(fit.lower, nan=0.0).tolist(),
        upper=np.nan_to_num(fit.upper, nan=1.0).tolist(),
        censor_times=fit.time[cens].tolist(),
        censor_surv=fit.surv[cens].tolist(),
    )


def _is_time_to_response(r: TimeToEventResult) -> bool:
    """A time-to-response endpoint: drawn rising, never as a falling Kaplan-Meier curve."""
    label = r.label.lower()
    return r.endpoint.upper() == "TTR" or ("time to" in label and "response" in label)


def _num(x: object) -> float:
    return float(x) if isinstance(x, int | float) else math.nan


def _p(x: object) -> str:
    """``"< 0.001"`` or ``"= 0.023"`` (decision 0801)."""
    text = p_value(x)
    return f"< {text[1:]}" if text.startswith("<") else f"= {text}"


def _fmt(x: object, digits: int = 1) -> str:
    if isinstance(x, float) and math.isfinite(x):
        return f"{x:.{digits}f}"
    return "NE"


def _curve_key(arm: str, style: ArmStyle | None) -> str:
    """Arm code that colours a curve: a pooled "ALL" curve of a one-arm trial is that arm's."""
    if style is not None and arm not in style.codes and len(style.codes) == 1:
        return style.codes[0]
    return arm


def ttr_curves(r: TimeToEventResult, style: ArmStyle | None = None) -> list[CurveData]:
    """Cumulative incidence of response per arm (rising from 0; competing events: progression
    or death before response), the pooled curve only when it is the only one."""
    return [
        CurveData(
            label=style.name(_curve_key(arm, style)) if style is not None else arm,
            time=c.time.tolist(),
            surv=c.estimate.tolist(),
            lower=np.nan_to_num(c.lower, nan=0.0).tolist(),
            upper=np.nan_to_num(c.upper, nan=1.0).tolist(),
            key=_curve_key(arm, style),
        )
        for arm, c in r.cif.items()
        if arm != "ALL" or len(r.cif) == 1
    ]


def ttr_blocks(
    r: TimeToEventResult, res: TrialResults | None = None, style: ArmStyle | None = None
) -> list[Block]:
    """Time to response both ways (sap.md section 3): the rising cumulative incidence of response
    over all subjects, and the median (range) among responders, each labelled."""
    if style is None and res is not None:
        style = arm_style(res)
    curves = ttr_curves(r, style)
    lines = []
    medians = []
    for row in r.table.iter_rows(named=True):
        lines.append(
            f"{row['ARMCD']}: among {row['RESPONDERS']} responders of {row['N']}, median time to "
            f"response {_fmt(row.get('MEDIAN'))} months (range {_fmt(row.get('MIN'))}-"
            f"{_fmt(row.get('MAX'))}); cumulative incidence of response reaches 50 % at "
            f"{_fmt(row.get('CIF_MEDIAN'))} months ({row.get('COMPETING', 0)} progressed or died "
            "before response: competing events)"
        )
        arm = str(row["ARMCD"])
        shown = style.name(_curve_key(arm, style)) if style is not None else arm
        medians.append(
            f"{shown}: {row['RESPONDERS']}/{row['N']} responded; 50 % reached at "
            f"{_fmt(row.get('CIF_MEDIAN'))} months"
        )
    blocks: list[Block] = []
    if curves:
        svg = render_km_plot(
            curves,
            xlabel="Months since start",
            ylabel=f"{r.label}\n(cumulative incidence)",
            start=0.0,
            style=style,
            annotation="\n".join(medians),
        )
        blocks.append(
            _figure_meta(
                figure_block(
                    svg,
                    caption=f"{r.endpoint}: {r.label} (cumulative incidence of response, all "
                    "subjects; progression or death before response are competing events)",
                    note="; ".join(lines),
                ),
                res,
                *_tte_population(r, res),
            )
        )
    else:
        blocks.append(text_block(f"{r.endpoint}: no response; " + "; ".join(lines)))
    if res is not None:
        blocks.append(ttr_block(r, res, table_context(res)))
    return blocks


def km_ylabel(label: str) -> str:
    """y-axis title of a Kaplan-Meier plot: the endpoint, e.g. "Overall survival (probability)"."""
    return f"{label} (probability)"


def _km_annotation(r: TimeToEventResult) -> str:
    lines = ["Median, months (95% CI)"]
    for row in r.table.iter_rows(named=True):
        lines.append(
            f"{row['ARMCD']}: {_fmt(row.get('MEDIAN'))} "
            f"({_fmt(row.get('LOWER'))}-{_fmt(row.get('UPPER'))})"
        )
    if r.cox and "hazard_ratio" in r.cox:
        c = r.cox
        lines.append(
            f"HR {c.get('comparison', '')}: {_num(c['hazard_ratio']):.2f} "
            f"(95% CI {_num(c['conf_low']):.2f}-{_num(c['conf_high']):.2f})"
        )
    return "\n".join(lines)


def km_blocks(
    r: TimeToEventResult, res: TrialResults | None = None, style: ArmStyle | None = None
) -> list[Block]:
    """KM plot with numbers at risk, median (CI) table, tests, landmark, forest plot."""
    if style is None and res is not None:
        style = arm_style(res)
    if r.cif or (not r.fits and "CIF_MEDIAN" in r.table.columns):
        return ttr_blocks(r, res, style)
    if not r.fits:
        return [text_block(f"{r.endpoint}: {r.note or 'no data'}")]
    horizon = max(float(f.time.max()) for f in r.fits.values() if f.time.size) if r.fits else 0.0
    step = 3.0 if horizon <= 36 else 6.0
    times = [step * i for i in range(int(horizon // step) + 1)]
    arms = style.order(r.fits) if style is not None else list(r.fits)
    counts: dict[str, Sequence[int]] = {
        arm: [int(v) for v in r.fits[arm].number_at_risk(times).n_risk] for arm in arms
    }
    curves = [_curve(style.name(arm) if style else arm, r.fits[arm], arm) for arm in arms]
    if _is_time_to_response(r):
        curves = [
            CurveData(
                c.label,
                c.time,
                [1 - v for v in c.surv],
                None if c.upper is None else [1 - v for v in c.upper],
                None if c.lower is None else [1 - v for v in c.lower],
                c.censor_times,
                [1 - v for v in c.censor_surv],
                c.key,
            )
            for c in curves
        ]
    svg = render_km_plot(
        curves,
        risk_table=RiskTable(times=times, counts=counts),
        xlabel="Months since start",
        ylabel=(
            f"{r.label}\n(1 - Kaplan-Meier)" if _is_time_to_response(r) else km_ylabel(r.label)
        ),
        start=0.0 if _is_time_to_response(r) else 1.0,
        style=style,
        annotation=_km_annotation(r),
    )
    s = r.table
    lines = []
    for row in s.iter_rows(named=True):
        line = (
            f"{row['ARMCD']}: median {_fmt(row.get('MEDIAN'))} months "
            f"(95% CI {_fmt(row.get('LOWER'))}, {_fmt(row.get('UPPER'))})"
        )
        if "EVENTS" in row:
            line += f", {row['EVENTS']} events / {row['N']}"
        lines.append(line)
    if r.logrank:
        lines.append(
            f"{'Stratified l' if r.logrank.get('stratified') else 'L'}og-rank p "
            f"{_p(r.logrank['p_value'])}"
        )
    if r.cox and "hazard_ratio" in r.cox:
        c = r.cox
        lines.append(
            f"Cox HR ({c.get('comparison')}) {_num(c['hazard_ratio']):.2f} "
            f"(95% CI {_num(c['conf_low']):.2f}, {_num(c['conf_high']):.2f}), "
            f"p {_p(c['p_value'])}"
        )
    if r.landmark:
        lm = r.landmark
        lines.append(
            f"Landmark at {lm['landmark']:g} months, responders vs non-responders: HR "
            f"{_num(lm['hazard_ratio']):.2f} (95% CI {_num(lm['conf_low']):.2f}, "
            f"{_num(lm['conf_high']):.2f}), p {_p(lm['p_value'])}, "
            f"{lm['n_at_risk']} at risk"
        )
    if r.crossover:
        x = r.crossover
        lines.append(
            f"Crossover-adjusted (RPSFT, {x['n_switched']} of {x['n_control']} control patients "
            f"switched): HR {_num(x['hazard_ratio']):.2f} (95% CI "
            f"{_num(x['hazard_ratio_conf_low']):.2f}, {_num(x['hazard_ratio_conf_high']):.2f}), "
            f"acceleration factor {_num(x['acceleration_factor']):.2f}"
        )
    if r.note:
        lines.append(r.note)
    blocks = [
        _figure_meta(
            figure_block(
                svg, caption=f"{r.endpoint}: {r.label} (Kaplan-Meier)", note="; ".join(lines)
            ),
            res,
            *_tte_population(r, res),
        ),
    ]
    if res is not None:
        blocks.append(tte_block(r, res, table_context(res)))
    if r.subgroups is not None and r.subgroups.height:
        blocks.append(_figure_meta(_forest_block(r, style, res), res, *_tte_population(r, res)))
    return blocks


def subgroup_words(variable: str, level: str) -> tuple[str, str]:
    """(variable label, level label) in words for a forest-plot row, from the report's label
    dictionary (:mod:`plasmatrial.report.labels`), e.g. ``("AGEGR1", ">=75")`` ->
    ``("Age group", "≥75 years")``."""
    return labels.label(variable), labels.decode(variable, level)


#: A subgroup with fewer events than this gets no hazard ratio in the plot (decision 0810).
FOREST_MIN_EVENTS: Final = 1


def _subgroup_counts(
    r: TimeToEventResult, res: TrialResults | None, arms: Sequence[str]
) -> dict[tuple[str, str], dict[str, tuple[int, int]]]:
    """{(variable, level): {arm: (events, n)}} from ADTTE for the forest plot text columns."""
    if res is None or "ADTTE" not in res.datasets or r.subgroups is None:
        return {}
    tte = res.datasets["ADTTE"].filter(pl.col("PARAMCD") == r.paramcd).select("USUBJID", "CNSR")
    adsl = res.adsl.filter(pl.col("ITTFL") == "Y")
    d = adsl.join(tte, on="USUBJID", how="inner")
    out: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}
    for row in (
        d.group_by("ARMCD")
        .agg(pl.len().alias("n"), (pl.col("CNSR") == 0).sum().alias("ev"))
        .iter_rows(named=True)
    ):
        if row["ARMCD"] in arms:
            out.setdefault(("", ""), {})[row["ARMCD"]] = (int(row["ev"]), int(row["n"]))
    for var in r.subgroups["SUBGROUP"].unique(maintain_order=True).to_list():
        if var not in d.columns:
            continue
        g = (
            d.with_columns(pl.col(var).cast(pl.Utf8).alias("_LV"))
            .group_by("_LV", "ARMCD")
            .agg(pl.len().alias("n"), (pl.col("CNSR") == 0).sum().alias("ev"))
        )
        for row in g.iter_rows(named=True):
            if row["ARMCD"] in arms:
                cell = out.setdefault((var, str(row["_LV"])), {})
                cell[row["ARMCD"]] = (int(row["ev"]), int(row["n"]))
    return out


def _forest_block(r: TimeToEventResult, style: ArmStyle | None, res: TrialResults | None) -> Block:
    """Forest plot: subgroup in words, events/n per arm, HR (95% CI), "favours" labels."""
    assert r.subgroups is not None
    arms = list(style.codes) if style is not None else []
    comparison = str((r.cox or {}).get("comparison", ""))
    pair = comparison.split(" vs ") if " vs " in comparison else []
    if len(pair) == 2:
        arms = [a for a in pair if a in arms] or arms
    counts = _subgroup_counts(r, res, arms)
    use_counts = bool(counts) and len(arms) >= 1

    def cells(key: tuple[str, str]) -> tuple[str, ...]:
        if not use_counts:
            return ()
        per = counts.get(key, {})
        return tuple(f"{per[a][0]}/{per[a][1]}" if a in per else "0/0" for a in arms)

    rows: list[ForestRow] = []
    if r.cox and "hazard_ratio" in r.cox:
        c = r.cox
        rows.append(
            ForestRow(
                "All patients",
                _num(c["hazard_ratio"]),
                _num(c["conf_low"]),
                _num(c["conf_high"]),
                int(_num(c["n"])),
                counts=cells(("", "")),
            )
        )
    current = None
    for x in r.subgroups.iter_rows(named=True):
        var, level = str(x["SUBGROUP"]), str(x["LEVEL"])
        heading, text = subgroup_words(var, level)
        if var != current:
            rows.append(ForestRow(heading, math.nan, math.nan, math.nan, heading=True))
            current = var
        events = x.get("events")
        few = isinstance(events, int) and events < FOREST_MIN_EVENTS
        est = [_num(x["hazard_ratio"]), _num(x["conf_low"]), _num(x["conf_high"])]
        missing = few or not all(math.isfinite(v) for v in est)
        rows.append(
            ForestRow(
                text,
                math.nan if missing else est[0],
                math.nan if missing else est[1],
                math.nan if missing else est[2],
                x["n"],
                counts=cells((var, level)),
                note="too few events to estimate" if missing else "",
            )
        )
    names = dict(zip(style.codes, style.names, strict=True)) if style is not None else {}
    favours = (
        (f"Favours {names.get(pair[0], pair[0])}", f"Favours {names.get(pair[1], pair[1])}")
        if len(pair) == 2
        else None
    )
    svg = render_forest(
        rows,
        count_columns=[f"{a}\nevents/n" for a in arms] if use_counts else (),
        favours=favours,
    )
    note = (
        "Hazard ratios from Cox models within each subgroup (unstratified), on a log scale; "
        "the overall hazard ratio as in the primary analysis"
        + (" (stratified)" if (r.cox or {}).get("stratified") else "")
        + ". Events/n per arm in the ITT population. A subgroup without events in an arm has no "
        "estimable hazard ratio and is marked, not drawn."
    )
    return figure_block(
        svg,
        caption=f"{r.endpoint}: {r.label}, hazard ratios by subgroup"
        + (f" ({comparison})" if comparison else ""),
        note=note,
    )


def survival_section(res: TrialResults) -> Section:
    """KM plots for every time-to-event, duration and time-to-response endpoint."""
    blocks: list[Block] = []
    for r in res.endpoints:
        if isinstance(r, TimeToEventResult):
            blocks += km_blocks(r, res, arm_style(res))
    return Section("Time-to-event endpoints", tuple(blocks))


def organ_section(res: TrialResults) -> Section | None:
    """Organ response tables."""
    ctx = table_context(res)
    blocks = [
        response_block(r, res, ctx)
        for r in res.endpoints
        if isinstance(r, ResponseRateResult) and r.population.endswith("-evaluable")
    ]
    return Section("Organ responses", tuple(blocks)) if blocks else None


def _table_result_blocks(r: TableResult, res: TrialResults, ctx: TableContext) -> list[Block]:
    blocks: list[Block] = []
    safety = ctx.meta("Safety")
    if r.kind == "adverse_events" and r.table.height and "CATEGORY" in r.table.columns:
        blocks.append(ae_summary_block(r, res, ctx))
    elif r.kind == "dose_intensity" and r.table.height and "EXTRT" in r.table.columns:
        blocks.append(dose_block(r, res, ctx))
    elif r.kind == "eq5d" and r.table.height and "VISIT" in r.table.columns:
        blocks += eq5d_blocks(r, res, ctx)
    elif r.table.height:
        blocks += generic_blocks(
            TableResult(r.endpoint, r.label, r.kind, r.table, {}, r.note), res, ctx
        )
    elif r.note:
        blocks.append(text_block(f"{r.label}: {r.note.rstrip('.')}."))
    arms = arm_columns(res, "Safety")
    for name, frame in r.extra.items():
        if not frame.height:
            continue
        if name in LAB_BLOCKS:
            blocks.append(LAB_BLOCKS[name](frame, arms, meta=safety))
        elif "AEDECOD" in frame.columns and "N_ANY" in frame.columns:
            blocks.append(ae_term_block(frame, res, ctx))
        else:
            blocks += generic_blocks(
                TableResult(r.endpoint, r.label, r.kind, pl.DataFrame(), {name: frame}), res, ctx
            )
    return blocks


def safety_section(res: TrialResults) -> Section:
    """Adverse events, CTCAE lab grades, dose intensity, MRD."""
    blocks: list[Block] = []
    ctx = table_context(res)
    for r in res.endpoints:
        if isinstance(r, TableResult) and r.kind in ("adverse_events", "dose_intensity", "mrd"):
            blocks += _table_result_blocks(r, res, ctx)
    return Section("Safety and exposure", tuple(blocks) or (text_block("No safety endpoints."),))


def visit_order(res: TrialResults, visits: Sequence[str], domain: str = "ADQS") -> list[str]:
    """``visits`` in time order: by VISITNUM, then by median study day, then by name.

    Visits that share a VISITNUM (a cycle visit and a follow-up visit at the same month) are
    put in the order of their median study day (date minus the start date in ADSL)."""
    d = res.datasets.get(domain)
    keys: dict[str, tuple[float, float, str]] = {v: (math.inf, math.inf, v) for v in visits}
    if d is not None and "VISIT" in d.columns:
        cols = [pl.col("VISIT")]
        num = (
            pl.col("VISITNUM").cast(pl.Float64, strict=False).min()
            if "VISITNUM" in d.columns
            else pl.lit(math.inf)
        )
        date_col = next((c for c in ("ADT", "QSDTC") if c in d.columns), None)
        if date_col is not None and "STARTDT" in res.adsl.columns:
            d = d.join(res.adsl.select("USUBJID", "STARTDT"), on="USUBJID", how="left")
            day = (
                (pl.col(date_col).cast(pl.Utf8).str.slice(0, 10).str.to_date(strict=False))
                - pl.col("STARTDT")
            ).dt.total_days()
            d = d.with_columns(day.alias("_DAY"))
            med = pl.col("_DAY").cast(pl.Float64).median()
        else:
            med = pl.lit(math.inf)
        g = d.group_by(*cols).agg(num.alias("_NUM"), med.alias("_MED"))
        for row in g.iter_rows(named=True):
            v = row["VISIT"]
            if v in keys:
                n, m = row["_NUM"], row["_MED"]
                keys[v] = (
                    n if isinstance(n, float) and math.isfinite(n) else math.inf,
                    m if isinstance(m, float) and math.isfinite(m) else math.inf,
                    v,
                )
    return sorted(dict.fromkeys(visits), key=lambda v: keys[v])


def visit_phase(name: str) -> str:
    """The phase of a visit name: "Follow-up", "On treatment" or "" (screening; decision 0810)."""
    upper = name.upper()
    if "SCREEN" in upper or "BASELINE" in upper:
        return ""
    return "Follow-up" if "FOLLOW" in upper else "On treatment"


def eq5d_section(res: TrialResults) -> Section | None:
    """EQ-5D-5L index and VAS over time by arm."""
    rs = [r for r in res.endpoints if isinstance(r, TableResult) and r.kind == "eq5d"]
    if not rs:
        return None
    style = arm_style(res)
    blocks: list[Block] = []
    ctx = table_context(res)
    for r in rs:
        blocks += _table_result_blocks(r, res, ctx)
        t = r.table
        if not t.height:
            continue
        # one visit order for both plots: every visit of the table, in time order
        visits_all = visit_order(res, t["VISIT"].unique(maintain_order=True).to_list())
        for param, label in (("EQ5DIUS", "EQ-5D-5L index (US value set)"), ("EQVAS", "EQ VAS")):
            d = t.filter(pl.col("PARAMCD") == param)
            if d.height == 0:
                continue
            present = set(d["VISIT"].to_list())
            visits = [v for v in visits_all if v in present]
            series: dict[str, tuple[Sequence[float], Sequence[float], Sequence[float]]] = {}
            for arm in style.order(d["ARMCD"].unique(maintain_order=True).to_list()):
                a = d.filter(pl.col("ARMCD") == arm)
                m = dict(
                    zip(
                        a["VISIT"],
                        zip(a["MEAN"], a["LOWER"], a["UPPER"], strict=True),
                        strict=True,
                    )
                )
                nan3 = (math.nan, math.nan, math.nan)
                vals = [m.get(v, nan3) for v in visits]
                series[str(arm)] = (
                    [_num(v[0]) for v in vals],
                    [_num(v[1]) if v[1] is not None else _num(v[0]) for v in vals],
                    [_num(v[2]) if v[2] is not None else _num(v[0]) for v in vals],
                )
            blocks.append(
                _figure_meta(
                    figure_block(
                        render_line_summary(
                            [labels.visit(v) for v in visits],
                            series,
                            ylabel=label,
                            style=style,
                            phases=[visit_phase(v) for v in visits],
                        ),
                        caption=f"{label} over time, by arm: mean (95% CI) at each visit",
                        note="Visits in time order (visit number, then median study day); each "
                        "visit's mean is over the patients assessed at it. Solid lines join the "
                        "on-treatment (cycle) visits, dashed lines the follow-up visits, both from "
                        "baseline: different patients answer at each.",
                    ),
                    res,
                    "ITT",
                )
            )
    return Section("Quality of life (EQ-5D-5L)", tuple(blocks))


#: Said wherever published figures are shown next to computed ones (SAP section 7).
CALIBRATION_NOTE: Final = (
    "When the data come from the plasmatrial generator (simulate-data), they were generated to "
    "match these published figures: agreement shows that the pipeline computes what it should "
    "from such data; it is not evidence about the trial."
)


def assumptions_section(res: TrialResults) -> Section | None:
    """Values of the trial file that its source does not state (``assumed`` markers)."""
    rows = res.trial.assumptions()
    if not rows:
        return None
    return Section(
        "Assumptions of the trial file",
        (
            text_block(
                "These doses, schedules and options are not stated by the trial's source; the "
                "trial file marks them as assumptions, with the reason given."
            ),
            Block(
                "table",
                caption="Assumed values",
                columns=("Where", "Assumption and reason"),
                rows=tuple((Cell(w), Cell(r)) for w, r in assumption_rows(res)),
            ),
        ),
    )


def published_section(res: TrialResults) -> Section:
    """Published vs computed figures, each with its comparison rule and agreement flag."""
    p = res.published
    if p.height == 0:
        return Section(
            "Published vs computed", (text_block("The trial file lists no published figures."),)
        )
    n_ok = int(p["AGREES"].fill_null(value=False).sum())
    n_judged = int(p["AGREES"].is_not_null().sum())
    return Section(
        "Published vs computed",
        (
            text_block(CALIBRATION_NOTE),
            published_block(
                res,
                note=f"{n_ok} of {n_judged} judged figures agree by the rule shown on their row "
                "(counts exactly, printed figures and CIs at their printed digits, stated "
                "inequalities; docs/decisions/0731 and 0745). Rows marked 'not computed' are "
                "published figures the pipeline does not compute.",
            ),
            *_replication_notes(p),
        ),
    )


def _replication_notes(published: pl.DataFrame) -> tuple[Block, ...]:
    """Why some figures are not reproduced by every simulated data set (trial-file
    ``replication`` notes, measured with ``plasmatrial replicate``)."""
    if "REPLICATION" not in published.columns:
        return ()
    notes = published.filter(pl.col("REPLICATION").is_not_null())
    if notes.height == 0:
        return ()
    lines = "; ".join(f"{r['LABEL']}: {r['REPLICATION']}" for r in notes.iter_rows(named=True))
    return (
        text_block(
            "Figures that simulated data do not reproduce in every seed (plasmatrial replicate "
            f"reproduces them in fewer than 90 % of seeds), and why: {lines}."
        ),
    )


def provenance_rows(
    res: TrialResults, extra: Mapping[str, str] | None = None
) -> tuple[tuple[str, str], ...]:
    """Provenance as ``(key, value)`` pairs for the report header."""
    p = res.provenance
    rows = [
        ("Trial", f"{res.trial.id}: {res.trial.title}"),
        ("Reference", res.trial.reference or "–"),
        ("plasmatrial", str(p.get("plasmatrial", ""))),
        ("Response criteria", res.criteria.label),
        ("Toxicity grading", f"CTCAE v{p.get('ctcae', '5.0')}"),
    ]
    gen = p.get("generator")
    if isinstance(gen, Mapping):
        rows.append(("Generator seed", str(gen.get("seed", "–"))))
    for k, v in (extra or {}).items():
        rows.append((k, v))
    for name, sha in sorted(dict(p.get("inputs", {})).items()):
        rows.append((f"SHA-256 {name}", str(sha)))
    return tuple(rows)


def header_rows(
    res: TrialResults, report_date: dt.date | None = None
) -> tuple[tuple[str, str], ...]:
    """The facts under the report's title: trial, cut-off, report date, criteria, populations."""
    sizes = table_context(res).populations
    ctcae = res.provenance.get("ctcae", "5.0")
    return (
        ("Trial", f"{res.trial.id}: {res.trial.title}"),
        (
            "Data cut-off",
            f"{data_cutoff(res)} (latest response assessment, dose or death in the data)",
        ),
        ("Report date", (report_date or dt.datetime.now(dt.UTC).date()).isoformat()),
        ("Response criteria", res.criteria.label),
        ("Toxicity grading", f"CTCAE v{ctcae}"),
        ("Software", f"plasmatrial {res.provenance.get('plasmatrial', '')}".strip()),
        *(
            (f"{name} population", f"{definition} (N = {sizes.get(name, 0)})")
            for name, definition in POPULATION_DEFINITIONS.items()
        ),
    )


def build_trial_report(
    res: TrialResults,
    *,
    extra_provenance: Mapping[str, str] | None = None,
    report_date: dt.date | None = None,
) -> ReportDocument:
    """Build the whole trial report document.

    Parameters
    ----------
    res:
        Output of :func:`plasmatrial.trial.run_trial`.
    extra_provenance:
        Further provenance rows (the CLI adds the git revision when available).
    report_date:
        Date printed as the report date (default: today, UTC).

    Returns
    -------
    ReportDocument
        Render with :func:`plasmatrial.report.html.render_html`.
    """
    ctx = table_context(res)
    overview = [
        text_block(
            f"{res.trial.title}. Disease {res.trial.disease}, phase {res.trial.phase or '–'}, "
            f"{'randomised' if res.trial.randomised else 'single-arm / non-randomised'}, "
            f"{res.trial.n_planned} planned patients; arms: "
            + "; ".join(a.name for a in res.trial.arms)
            + "."
        ),
        populations_block(res, ctx),
    ]
    overview += [text_block(f"Note: {n}.") for n in res.notes]
    sections: list[Section | None] = [
        Section("Overview", tuple(overview)),
        flow_section(res),
        baseline_section(res),
        response_section(res),
        survival_section(res),
        organ_section(res),
        safety_section(res),
        eq5d_section(res),
        assumptions_section(res),
        published_section(res),
    ]
    figure_meta = f"Data cut-off: {ctx.cutoff}. Criteria: {ctx.criteria}."
    return ReportDocument(
        title=f"{res.trial.id}: trial report",
        subtitle=res.trial.title,
        sections=tuple(
            Section(s.title, with_meta(s.blocks, figure_meta), s.intro)
            for s in sections
            if s is not None
        ),
        provenance=provenance_rows(res, extra_provenance),
        disclaimer=DISCLAIMER + f" Criteria: {res.criteria.label}; CTCAE v5.0.",
        running_header=f"{res.trial.id} · data cut-off {ctx.cutoff} · {ctx.criteria}",
        header=header_rows(res, report_date),
    )
