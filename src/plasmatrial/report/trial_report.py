"""The trial report: a :class:`~plasmatrial.report.html.ReportDocument` built from TrialResults.

Sections: overview and notes, patient flow (CONSORT-style), baseline characteristics, disposition,
response tables with CIs, response over cycles, waterfall of the best marker change, swimmer plot,
Kaplan-Meier plots with numbers at risk, forest plot of subgroup HRs (randomised trials), organ
responses, adverse events, dose intensity, EQ-5D-5L, and the published-vs-computed table. The
provenance block names the software version, git revision, rule sets with versions, generator
seed and the SHA-256 of every input file.
"""

from __future__ import annotations

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
    format_value,
    table_block,
    text_block,
)
from plasmatrial.report.safety_tables import LAB_CAPTIONS, LAB_NOTE, worded_lab_table
from plasmatrial.stats.km import KaplanMeierResult
from plasmatrial.trial.analyse import (
    ResponseRateResult,
    TableResult,
    TimeToEventResult,
    ordered_levels,
)
from plasmatrial.trial.derive import PRIOR_THERAPY_FLAGS, response_at_cycle
from plasmatrial.trial.pipeline import TrialResults

SWIMMER_MAX: Final = 60
RESPONSE_STACK: Final = ("sCR", "CR", "VGPR", "PR", "LDPR", "MR", "SD", "NR", "PROG", "PD", "NE")


def _arms(res: TrialResults) -> list[str]:
    return [a.code for a in res.trial.arms]


def _pct(n: int, d: int) -> str:
    return f"{n} ({100 * n / d:.0f}%)" if d else str(n)


def flow_section(res: TrialResults) -> Section:
    """CONSORT-style flow: enrolled, allocated per arm, treated, discontinued (reasons), analysed."""
    adsl = res.adsl
    rows: list[tuple[Cell, ...]] = []
    arms = _arms(res)
    cols = ("Stage", *arms)

    def add(label: str, values: list[str]) -> None:
        rows.append((Cell(label), *(Cell(v, numeric=True) for v in values)))

    by_arm = {a: adsl.filter(pl.col("ARMCD") == a) for a in arms}
    enrolled = adsl.height
    rows.append((Cell(f"Enrolled: {enrolled}"), *(Cell("") for _ in arms)))
    not_assigned = adsl.filter(pl.col("ARMCD").is_null()).height
    if not_assigned:
        rows.append((Cell(f"Not allocated: {not_assigned}"), *(Cell("") for _ in arms)))
    add("Allocated", [str(by_arm[a].height) for a in arms])
    add("Treated (safety population)", [str((by_arm[a]["SAFFL"] == "Y").sum()) for a in arms])
    reasons = (
        adsl.filter(pl.col("ARMCD").is_not_null() & pl.col("DCTREAS").is_not_null())
        .get_column("DCTREAS")
        .unique()
        .sort()
        .to_list()
    )
    if reasons or adsl["EOTSTT"].drop_nulls().len():
        add(
            "Discontinued treatment",
            [str((by_arm[a]["EOTSTT"] == "DISCONTINUED").sum()) for a in arms],
        )
        for reason in reasons:
            add(
                f"  {str(reason).lower()}",
                [str((by_arm[a]["DCTREAS"] == reason).sum()) for a in arms],
            )
        add("Completed treatment", [str((by_arm[a]["EOTSTT"] == "COMPLETED").sum()) for a in arms])
        add("Ongoing", [str((by_arm[a]["EOTSTT"] == "ONGOING").sum()) for a in arms])
    add("Analysed: ITT", [str((by_arm[a]["ITTFL"] == "Y").sum()) for a in arms])
    add("Analysed: response-evaluable", [str((by_arm[a]["EFFFL"] == "Y").sum()) for a in arms])
    blocks = [Block("table", caption="Patient flow", columns=cols, rows=tuple(rows))]
    if "DS" not in {k.upper() for k in res.provenance.get("domains", {})}:
        blocks.append(text_block("DS was not supplied: treatment discontinuations are not known."))
    return Section("Patient flow", tuple(blocks))


def _categorical(
    adsl: pl.DataFrame, col: str, arms: list[str], label: str
) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = [(Cell(label, css="ok"), *(Cell("") for _ in arms))]
    levels = ordered_levels(adsl[col].drop_nulls().unique().to_list())
    for lv in levels:
        vals = []
        for a in arms:
            sub = adsl.filter(pl.col("ARMCD") == a)
            vals.append(
                Cell(_pct(int((sub[col].cast(pl.Utf8) == lv).sum()), sub.height), numeric=True)
            )
        rows.append((Cell(f"  {lv}"), *vals))
    return rows


def baseline_section(res: TrialResults) -> Section:
    """Baseline characteristics by arm (continuous: median (range); categorical: n (%))."""
    adsl = res.adsl.filter(pl.col("ITTFL") == "Y")
    arms = _arms(res)
    header = (
        "Characteristic",
        *[f"{a} (N={adsl.filter(pl.col('ARMCD') == a).height})" for a in arms],
    )
    rows: list[tuple[Cell, ...]] = []
    for col, label in (
        ("AGE", "Age, years"),
        ("BASEDFLC", "Baseline dFLC, mg/L"),
        ("NPRLINES", "Prior lines"),
    ):
        if col in adsl.columns:
            vals = []
            for a in arms:
                x = (
                    adsl.filter(pl.col("ARMCD") == a)[col]
                    .cast(pl.Float64, strict=False)
                    .drop_nulls()
                )
                vals.append(
                    Cell(
                        f"{_num(x.median()):.1f} ({_num(x.min()):.0f}-{_num(x.max()):.0f})",
                        numeric=True,
                    )
                    if x.len()
                    else Cell("–")
                )
            rows.append((Cell(f"{label}, median (range)"), *vals))
    cats = [
        ("SEX", "Sex"), ("AGEGR1", "Age group"), ("INVLC", "Involved light chain"),
        ("HEMEVAL", "Hematologic evaluability class"), ("MAYO2004", "Mayo 2004 stage"),
        ("MAYO2012", "Mayo 2012 stage"), ("BU2019", "Boston University (BNP) stage"),
        ("RENSTG", "Renal stage"), ("HEARTFL", "Heart involved"), ("KIDNEYFL", "Kidney involved"),
    ]  # fmt: skip
    drug_of = {flag: drug for drug, flag in reversed(list(PRIOR_THERAPY_FLAGS.items()))}
    drug_of["PRIORASCT"] = "autologous stem cell transplant"
    cats += [
        (c, f"Prior {drug_of.get(c, c.removeprefix('PRIOR')).lower()}")
        for c in adsl.columns
        if c.startswith("PRIOR")
    ]
    for col, label in cats:
        if col in adsl.columns and adsl[col].drop_nulls().len():
            rows += _categorical(adsl, col, arms, label)
    return Section(
        "Baseline characteristics",
        (
            Block(
                "table", caption="Baseline characteristics (ITT)", columns=header, rows=tuple(rows)
            ),
        ),
    )


def _response_block(r: ResponseRateResult) -> Block:
    t = r.rows.with_columns(
        (pl.col("X").cast(pl.Utf8) + "/" + pl.col("N").cast(pl.Utf8)).alias("x/n"),
        (100 * pl.col("ESTIMATE")).alias("%"),
        (
            pl.format("{}-{}", (100 * pl.col("LOWER")).round(1), (100 * pl.col("UPPER")).round(1))
        ).alias(f"{100 * r.rows['CONF_LEVEL'][0]:.0f}% CI (%)" if r.rows.height else "CI"),
    )
    cols = ["ARMCD", "SUBGROUP", "LEVEL", "x/n", "%", t.columns[-1], "METHOD"]
    note = f"Population: {r.population}; categories {', '.join(r.categories)}; timepoint {r.timepoint}."
    if r.note:
        note += f" {r.note}."
    return table_block(t, caption=f"{r.endpoint}: {r.label}", columns=cols, digits=1, note=note)


def response_section(res: TrialResults) -> Section:
    """Response tables, response over cycles, waterfall and swimmer plots."""
    blocks: list[Block] = []
    for r in res.endpoints:
        if isinstance(r, ResponseRateResult) and not r.population.endswith("-evaluable"):
            blocks.append(_response_block(r))
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
            caption=("Hematologic response" if res.trial.disease == "AL" else "Response (IMWG)")
            + " at the end of each cycle",
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


def _fmt(x: object, digits: int = 1) -> str:
    if isinstance(x, float) and math.isfinite(x):
        return f"{x:.{digits}f}"
    return "NR"


def ttr_blocks(r: TimeToEventResult) -> list[Block]:
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
    blocks.append(
        table_block(
            r.table,
            caption=(
                f"{r.endpoint}: MEDIAN/MIN/MAX among responders (months, not a Kaplan-Meier "
                "median); CIF_* cumulative incidence of response over all subjects"
            ),
            digits=2,
        )
    )
    return blocks


def km_blocks(r: TimeToEventResult) -> list[Block]:
    """KM plot with numbers at risk, median (CI) table, tests, landmark."""
    if r.cif or (not r.fits and "CIF_MEDIAN" in r.table.columns):
        return ttr_blocks(r)
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
            f"(95% CI {_fmt(row.get('LOWER'))}-{_fmt(row.get('UPPER'))})"
        )
        if "EVENTS" in row:
            line += f", {row['EVENTS']} events / {row['N']}"
        lines.append(line)
    if r.logrank:
        lines.append(
            f"{'Stratified l' if r.logrank.get('stratified') else 'L'}og-rank p = "
            f"{_num(r.logrank['p_value']):.4g}"
        )
    if r.cox and "hazard_ratio" in r.cox:
        c = r.cox
        lines.append(
            f"Cox HR ({c.get('comparison')}) {_num(c['hazard_ratio']):.2f} "
            f"(95% CI {_num(c['conf_low']):.2f}-{_num(c['conf_high']):.2f}), "
            f"p = {_num(c['p_value']):.4g}"
        )
    if r.landmark:
        lm = r.landmark
        lines.append(
            f"Landmark at {lm['landmark']:g} months, responders vs non-responders: HR "
            f"{_num(lm['hazard_ratio']):.2f} (95% CI {_num(lm['conf_low']):.2f}-"
            f"{_num(lm['conf_high']):.2f}), p = {_num(lm['p_value']):.4g}, "
            f"{lm['n_at_risk']} at risk"
        )
    if r.crossover:
        x = r.crossover
        lines.append(
            f"Crossover-adjusted (RPSFT, {x['n_switched']} of {x['n_control']} control patients "
            f"switched): HR {_num(x['hazard_ratio']):.2f} (95% CI "
            f"{_num(x['hazard_ratio_conf_low']):.2f}-{_num(x['hazard_ratio_conf_high']):.2f}), "
            f"acceleration factor {_num(x['acceleration_factor']):.2f}"
        )
    if r.note:
        lines.append(r.note)
    blocks = [
        figure_block(svg, caption=f"{r.endpoint}: {r.label} (Kaplan-Meier)", note="; ".join(lines)),
        table_block(s, caption=f"{r.endpoint}: summary (months)", digits=2),
    ]
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
            blocks += km_blocks(r)
    return Section("Time-to-event endpoints", tuple(blocks))


def organ_section(res: TrialResults) -> Section | None:
    """Organ response tables."""
    blocks = [
        _response_block(r)
        for r in res.endpoints
        if isinstance(r, ResponseRateResult) and r.population.endswith("-evaluable")
    ]
    return Section("Organ responses", tuple(blocks)) if blocks else None


def _table_result_blocks(r: TableResult, arm_names: Mapping[str, str] | None = None) -> list[Block]:
    blocks: list[Block] = []
    if r.table.height:
        blocks.append(table_block(r.table, caption=f"{r.endpoint}: {r.label}", note=r.note))
    elif r.note:
        blocks.append(text_block(f"{r.endpoint}: {r.note}."))
    for name, frame in r.extra.items():
        if frame.height and name in LAB_CAPTIONS:
            blocks.append(
                table_block(
                    worded_lab_table(frame, arm_names or {}),
                    caption=f"{r.endpoint}: {LAB_CAPTIONS[name]}",
                    note=LAB_NOTE,
                )
            )
        elif frame.height:
            blocks.append(
                table_block(frame.head(40), caption=f"{r.endpoint}: {name.replace('_', ' ')}")
            )
    return blocks


def safety_section(res: TrialResults) -> Section:
    """Adverse events, CTCAE lab grades, dose intensity, MRD."""
    blocks: list[Block] = []
    for r in res.endpoints:
        if isinstance(r, TableResult) and r.kind in ("adverse_events", "dose_intensity", "mrd"):
            blocks += _table_result_blocks(r, {a.code: a.name for a in res.trial.arms})
    return Section("Safety and exposure", tuple(blocks) or (text_block("No safety endpoints."),))


def eq5d_section(res: TrialResults) -> Section | None:
    """EQ-5D-5L index and VAS over time by arm."""
    rs = [r for r in res.endpoints if isinstance(r, TableResult) and r.kind == "eq5d"]
    if not rs:
        return None
    blocks: list[Block] = []
    for r in rs:
        blocks += _table_result_blocks(r)
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
                rows=tuple((Cell(w), Cell(r)) for w, r in rows),
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
    cols = (
        "Endpoint",
        "Arm",
        "Figure",
        "Published",
        "Computed",
        "Rule",
        "Agrees",
        "How matched",
    )
    rows = []
    for r in p.iter_rows(named=True):
        ag = r["AGREES"]
        agree = (
            Cell("yes", css="ok")
            if ag is True
            else Cell("no", css="warn")
            if ag is False
            else Cell("not judged")
        )
        pub = f"{r['PUBLISHED']:g}" + (f" ({r['PUB_CI']})" if r["PUB_CI"] else "")
        comp = format_value(r["COMPUTED"], 3).text + (f" ({r['COMP_CI']})" if r["COMP_CI"] else "")
        rows.append(
            (
                Cell(r["ENDPOINT"]), Cell(r["ARMCD"]), Cell(f"{r['LABEL']} [{r['UNIT']}]"),
                Cell(pub, numeric=True), Cell(comp, numeric=True),
                Cell(r["RULE"]), agree, Cell(r["MATCH"]),
            )
        )  # fmt: skip
    n_ok = int(p["AGREES"].fill_null(value=False).sum())
    n_judged = int(p["AGREES"].is_not_null().sum())
    return Section(
        "Published vs computed",
        (
            text_block(CALIBRATION_NOTE),
            Block(
                "table",
                caption="Published figures next to the computed ones",
                columns=cols,
                rows=tuple(rows),
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
    lines = "; ".join(
        f"{r['LABEL']}: {r['REPLICATION']}" for r in notes.iter_rows(named=True)
    )
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


def build_trial_report(
    res: TrialResults, *, extra_provenance: Mapping[str, str] | None = None
) -> ReportDocument:
    """Build the whole trial report document.

    Parameters
    ----------
    res:
        Output of :func:`plasmatrial.trial.run_trial`.
    extra_provenance:
        Further provenance rows (the CLI adds the git revision when available).

    Returns
    -------
    ReportDocument
        Render with :func:`plasmatrial.report.html.render_html`.
    """
    overview = [
        text_block(
            f"{res.trial.title}. Disease {res.trial.disease}, phase {res.trial.phase or '–'}, "
            f"{'randomised' if res.trial.randomised else 'single-arm / non-randomised'}, "
            f"{res.trial.n_planned} planned patients; arms: "
            + "; ".join(f"{a.code} = {a.name}" for a in res.trial.arms)
            + "."
        ),
        table_block(res.populations(), caption="Analysis populations"),
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
    return ReportDocument(
        title=f"{res.trial.id}: trial report",
        subtitle=res.trial.title,
        sections=tuple(s for s in sections if s is not None),
        provenance=provenance_rows(res, extra_provenance),
        disclaimer=DISCLAIMER + f" Criteria: {res.criteria.label}; CTCAE v5.0.",
    )
