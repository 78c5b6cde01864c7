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
from typing import Final

import numpy as np
import polars as pl

from plasmatrial import DISCLAIMER
from plasmatrial.endpoints.tte import DAYS_PER_MONTH
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

SWIMMER_MAX: Final = 60
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


def _cycles_figure(res: TrialResults) -> list[Block]:
    adsl = res.adsl.filter(pl.col("EFFFL") == "Y")
    if adsl.height == 0:
        return []
    adrs = res.datasets["ADRS"]
    max_day = adrs["ADY"].max()
    n_cycles = res.trial.schedule.treatment_cycles or 6
    if isinstance(max_day, int | float):
        n_cycles = max(1, min(n_cycles, int(max_day // res.trial.schedule.cycle_days)))
    labels, calls = [], []
    for k in range(1, n_cycles + 1):
        labels.append(f"C{k}")
        calls.append(response_at_cycle(adrs, adsl, res.trial, k)["AVALC"].to_list())
    present = [c for c in RESPONSE_STACK if any(c in cs for cs in calls)]
    shares: dict[str, Sequence[float]] = {
        c: [100 * cs.count(c) / len(cs) for cs in calls] for c in present
    }
    svg = render_stacked_bars(labels, shares, ylabel="Response-evaluable patients (%)")
    return [
        figure_block(
            svg,
            caption=f"{res.criteria.response.label} at the end of each cycle",
            note="Call at the last assessment on or before day cycle x cycle length + 14; "
            "NE = no assessment by then.",
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
        a["BESTPCHG"].to_list(), a["BESTRSP"].to_list(),
        ylabel=f"Best change of {marker} from baseline (%)",
    )  # fmt: skip
    return [figure_block(svg, caption=f"Waterfall of the best {marker} change, by best response")]


def _swimmer(res: TrialResults) -> list[Block]:
    adsl = res.adsl.filter(pl.col("ITTFL") == "Y").sort("USUBJID").head(SWIMMER_MAX)
    adtte = res.datasets["ADTTE"]

    def event_months(param: str, desc: str | None = None) -> dict[str, float]:
        d = adtte.filter((pl.col("PARAMCD") == param) & (pl.col("CNSR") == 0))
        if desc is not None:
            d = d.filter(pl.col("EVNTDESC") == desc)
        return {u: v / DAYS_PER_MONTH for u, v in zip(d["USUBJID"], d["AVAL"], strict=True)}

    resp = event_months("TTR")
    prog = event_months("PFS", "PROGRESSIVE DISEASE")
    lanes = []
    for row in adsl.iter_rows(named=True):
        start = row["STARTDT"]
        if start is None:
            continue
        trt_end = row["TRTEDT"] or start
        last = row["LSTALVDT"] or trt_end
        death = row["DTHDT"]
        lanes.append(
            SwimmerLane(
                subject=str(row["USUBJID"])[-6:],
                on_treatment=max((trt_end - start).days, 0) / DAYS_PER_MONTH,
                follow_up=max((last - start).days, 0) / DAYS_PER_MONTH,
                response_start=resp.get(row["USUBJID"]),
                progression=prog.get(row["USUBJID"]),
                death=None if death is None else (death - start).days / DAYS_PER_MONTH,
                ongoing=death is None and row.get("EOTSTT") == "ONGOING",
            )
        )
    if not lanes:
        return []
    note = f"First {SWIMMER_MAX} patients shown." if res.adsl.height > SWIMMER_MAX else ""
    return [figure_block(render_swimmer(lanes), caption="Each patient's course", note=note)]


def _curve(label: str, fit: KaplanMeierResult) -> CurveData:
    cens = fit.n_censor > 0
    return CurveData(
        label=label,
        time=fit.time.tolist(),
        surv=fit.surv.tolist(),
        lower=np.nan_to_num(fit.lower, nan=0.0).tolist(),
        upper=np.nan_to_num(fit.upper, nan=1.0).tolist(),
        censor_times=fit.time[cens].tolist(),
        censor_surv=fit.surv[cens].tolist(),
    )


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


def ttr_blocks(r: TimeToEventResult, res: TrialResults | None = None) -> list[Block]:
    """Time to response both ways (sap.md section 3): the rising cumulative incidence of response
    over all subjects, and the median (range) among responders, each labelled."""
    curves = [
        CurveData(
            label=arm,
            time=c.time.tolist(),
            surv=c.estimate.tolist(),
            lower=np.nan_to_num(c.lower, nan=0.0).tolist(),
            upper=np.nan_to_num(c.upper, nan=1.0).tolist(),
        )
        for arm, c in r.cif.items()
        if arm != "ALL" or len(r.cif) == 1
    ]
    lines = []
    for row in r.table.iter_rows(named=True):
        lines.append(
            f"{row['ARMCD']}: among {row['RESPONDERS']} responders of {row['N']}, median time to "
            f"response {_fmt(row.get('MEDIAN'))} months (range {_fmt(row.get('MIN'))}-"
            f"{_fmt(row.get('MAX'))}); cumulative incidence of response reaches 50 % at "
            f"{_fmt(row.get('CIF_MEDIAN'))} months ({row.get('COMPETING', 0)} progressed or died "
            "before response: competing events)"
        )
    blocks: list[Block] = []
    if curves:
        svg = render_km_plot(
            curves, xlabel="Months", ylabel="Cumulative incidence of response", start=0.0
        )
        blocks.append(
            figure_block(
                svg,
                caption=f"{r.endpoint}: {r.label} (cumulative incidence of response, all subjects)",
                note="; ".join(lines),
            )
        )
    else:
        blocks.append(text_block(f"{r.endpoint}: no response; " + "; ".join(lines)))
    if res is not None:
        blocks.append(ttr_block(r, res, table_context(res)))
    return blocks


def km_blocks(r: TimeToEventResult, res: TrialResults | None = None) -> list[Block]:
    """KM plot with numbers at risk, median (CI) table, tests, landmark."""
    if r.cif or (not r.fits and "CIF_MEDIAN" in r.table.columns):
        return ttr_blocks(r, res)
    if not r.fits:
        return [text_block(f"{r.endpoint}: {r.note or 'no data'}")]
    horizon = max(float(f.time.max()) for f in r.fits.values() if f.time.size) if r.fits else 0.0
    step = 3.0 if horizon <= 36 else 6.0
    times = [step * i for i in range(int(horizon // step) + 1)]
    counts: dict[str, Sequence[int]] = {
        arm: [int(v) for v in f.number_at_risk(times).n_risk] for arm, f in r.fits.items()
    }
    svg = render_km_plot(
        [_curve(arm, f) for arm, f in r.fits.items()],
        risk_table=RiskTable(times=times, counts=counts),
        xlabel="Months",
        ylabel="Probability",
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
        figure_block(svg, caption=f"{r.endpoint}: {r.label} (Kaplan-Meier)", note="; ".join(lines)),
    ]
    if res is not None:
        blocks.append(tte_block(r, res, table_context(res)))
    if r.subgroups is not None and r.subgroups.height:
        rows = [
            ForestRow(
                f"{x['SUBGROUP']}={x['LEVEL']}",
                x["hazard_ratio"],
                x["conf_low"],
                x["conf_high"],
                x["n"],
            )
            for x in r.subgroups.iter_rows(named=True)
        ]
        if r.cox and "hazard_ratio" in r.cox:
            c = r.cox
            rows.insert(
                0,
                ForestRow(
                    "All",
                    _num(c["hazard_ratio"]),
                    _num(c["conf_low"]),
                    _num(c["conf_high"]),
                    int(_num(c["n"])),
                ),
            )
        blocks.append(
            figure_block(render_forest(rows), caption=f"{r.endpoint}: subgroup hazard ratios")
        )
    return blocks


def survival_section(res: TrialResults) -> Section:
    """KM plots for every time-to-event, duration and time-to-response endpoint."""
    blocks: list[Block] = []
    for r in res.endpoints:
        if isinstance(r, TimeToEventResult):
            blocks += km_blocks(r, res)
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


def eq5d_section(res: TrialResults) -> Section | None:
    """EQ-5D-5L index and VAS over time by arm."""
    rs = [r for r in res.endpoints if isinstance(r, TableResult) and r.kind == "eq5d"]
    if not rs:
        return None
    blocks: list[Block] = []
    ctx = table_context(res)
    for r in rs:
        blocks += _table_result_blocks(r, res, ctx)
        t = r.table
        if t.height:
            for param, label in (("EQ5DIUS", "EQ-5D-5L index (US)"), ("EQVAS", "EQ VAS")):
                d = t.filter(pl.col("PARAMCD") == param)
                if d.height == 0:
                    continue
                visits = list(dict.fromkeys(d["VISIT"].to_list()))
                series: dict[str, tuple[Sequence[float], Sequence[float], Sequence[float]]] = {}
                for arm in d["ARMCD"].unique(maintain_order=True).to_list():
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
                        [v[0] for v in vals],
                        [v[1] if v[1] is not None else v[0] for v in vals],
                        [v[2] if v[2] is not None else v[0] for v in vals],
                    )
                blocks.append(
                    figure_block(
                        render_line_summary(visits, series, ylabel=label),
                        caption=f"{label} over time",
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
