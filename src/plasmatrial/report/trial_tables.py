"""The trial report's tables, built with :mod:`plasmatrial.report.tables` from TrialResults.

Arms are columns in protocol order (the trial file's order) with "(N = n)", a Total column where
the table describes patients (populations, flow, baseline, adverse-event summary), words from
:mod:`plasmatrial.report.labels`, and a caption line naming the population, the data cut-off and
the criteria version (decision 0801).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Final

import polars as pl

from plasmatrial.report.html import Block, Cell, format_value
from plasmatrial.report.labels import (
    MISSING_CODES,
    ae_term,
    arm_names,
    decode,
    label,
    subgroup_label,
)
from plasmatrial.report.tables import (
    NE,
    ArmColumn,
    Row,
    TableContext,
    arm_table,
    ci,
    estimate_ci,
    frame_table,
    grouped_table,
    median_range,
    n_pct,
    num,
    p_value,
)
from plasmatrial.trial.analyse import (
    ResponseRateResult,
    TableResult,
    TimeToEventResult,
    ordered_levels,
)
from plasmatrial.trial.pipeline import TrialResults

#: Population flag of ADSL by the population's name in captions.
POPULATION_FLAGS: Final[Mapping[str, str]] = {
    "ITT": "ITTFL",
    "Safety": "SAFFL",
    "Response-evaluable": "EFFFL",
}
POPULATION_DEFINITIONS: Final[Mapping[str, str]] = {
    "ITT": "every randomised patient (single-arm: every enrolled patient)",
    "Safety": "every patient who received at least one dose of a study drug",
    "Response-evaluable": "ITT patients with measurable disease at baseline and at least one "
    "post-baseline response assessment",
}
BASELINE_CONTINUOUS: Final = ("AGE", "BASEDFLC", "NPRLINES")
BASELINE_CATEGORICAL: Final = (
    "SEX", "AGEGR1", "INVLC", "HEMEVAL", "MAYO2004", "MAYO2012", "BU2019", "RENSTG",
    "HEARTFL", "KIDNEYFL", "REFRACT", "PRIORLGT2",
)  # fmt: skip


# ------------------------------------------------------------------------------ context
def data_cutoff(res: TrialResults) -> str:
    """The data cut-off: the latest response assessment, dosing or death date in the data."""
    dates: list[dt.date] = []
    adrs = res.datasets.get("ADRS")
    if adrs is not None and "ADT" in adrs.columns:
        dates.append(adrs["ADT"].max())  # type: ignore[arg-type]
    for col in ("TRTEDT", "DTHDT"):
        if col in res.adsl.columns:
            dates.append(res.adsl[col].max())  # type: ignore[arg-type]
    known = [d for d in dates if isinstance(d, dt.date)]
    return max(known).isoformat() if known else NE


def population_sizes(res: TrialResults) -> dict[str, int]:
    """N of each analysis population (all arms)."""
    adsl = res.adsl.filter(pl.col("ITTFL") == "Y")
    return {
        name: int((adsl[flag] == "Y").sum())
        for name, flag in POPULATION_FLAGS.items()
        if flag in adsl.columns
    }


def table_context(res: TrialResults) -> TableContext:
    """Cut-off, criteria and population sizes for every caption of the report."""
    return TableContext(
        cutoff=data_cutoff(res),
        criteria=f"{res.criteria.label}; CTCAE v{res.provenance.get('ctcae', '5.0')}",
        populations=population_sizes(res),
    )


def arm_columns(res: TrialResults, population: str = "ITT") -> list[ArmColumn]:
    """The arms in protocol order, each with its N in ``population``."""
    adsl = res.adsl.filter(pl.col("ITTFL") == "Y")
    flag = POPULATION_FLAGS[population]
    adsl = adsl.filter(pl.col(flag) == "Y")
    return [ArmColumn(a.code, a.name, int((adsl["ARMCD"] == a.code).sum())) for a in res.trial.arms]


def total_column(res: TrialResults, population: str = "ITT") -> ArmColumn | None:
    """The Total column (only when there is more than one arm)."""
    if len(res.trial.arms) < 2:
        return None
    return ArmColumn("ALL", "Total", sum(a.n for a in arm_columns(res, population)))


def _names(res: TrialResults) -> dict[str, str]:
    """Arm code -> name; "ALL" is the single arm's name in a single-arm trial."""
    names = arm_names(res.trial.arms)
    if len(res.trial.arms) == 1:
        names["ALL"] = res.trial.arms[0].name
    return names


# ------------------------------------------------------------------------------ overview
def populations_block(res: TrialResults, ctx: TableContext) -> Block:
    """Patients per arm in each analysis population, with the definitions."""
    arms = arm_columns(res)
    total = total_column(res)
    adsl = res.adsl.filter(pl.col("ITTFL") == "Y")
    rows = []
    for name, flag in POPULATION_FLAGS.items():
        counts = [int(((adsl["ARMCD"] == a.code) & (adsl[flag] == "Y")).sum()) for a in arms]
        if total is not None:
            counts.append(sum(counts))
        rows.append(Row(name, tuple(str(c) for c in counts)))
    note = "; ".join(f"{k}: {v}" for k, v in POPULATION_DEFINITIONS.items()) + "."
    return arm_table(
        "Population", arms, rows, caption="Analysis populations",
        meta=f"Data cut-off: {ctx.cutoff}.", note=note, total=total,
    )  # fmt: skip


def flow_block(res: TrialResults, ctx: TableContext) -> Block:
    """CONSORT-style flow: enrolled, allocated, treated, discontinued (reasons), analysed."""
    adsl = res.adsl
    arms = arm_columns(res)
    total = total_column(res)
    by_arm = [adsl.filter(pl.col("ARMCD") == a.code) for a in arms]

    def counts(pred: pl.Expr) -> tuple[str, ...]:
        c = [int(f.select(pred.sum()).item()) for f in by_arm]
        return tuple(str(x) for x in ([*c, sum(c)] if total else c))

    rows = [Row(f"Enrolled: {adsl.height}", group=True)]
    not_assigned = adsl.filter(pl.col("ARMCD").is_null()).height
    if not_assigned:
        rows.append(Row(f"Not allocated: {not_assigned}", group=True))
    rows.append(Row("Allocated", counts(pl.col("USUBJID").is_not_null())))
    rows.append(Row("Treated (safety population)", counts(pl.col("SAFFL") == "Y")))
    reasons = (
        adsl.filter(pl.col("ARMCD").is_not_null() & pl.col("DCTREAS").is_not_null())
        .get_column("DCTREAS").unique().sort().to_list()
    )  # fmt: skip
    if reasons or adsl["EOTSTT"].drop_nulls().len():
        rows.append(Row("Discontinued treatment", counts(pl.col("EOTSTT") == "DISCONTINUED")))
        for reason in reasons:
            rows.append(
                Row(decode("DCTREAS", reason), counts(pl.col("DCTREAS") == reason), indent=True)
            )
        rows.append(Row("Completed treatment", counts(pl.col("EOTSTT") == "COMPLETED")))
        rows.append(Row("Treatment ongoing", counts(pl.col("EOTSTT") == "ONGOING")))
    rows.append(Row("Analysed: ITT", counts(pl.col("ITTFL") == "Y")))
    rows.append(Row("Analysed: response-evaluable", counts(pl.col("EFFFL") == "Y")))
    return arm_table(
        "Patients", arms, rows, caption="Patient flow",
        meta=f"All enrolled patients (N = {adsl.height}). Data cut-off: {ctx.cutoff}.",
        total=total,
    )  # fmt: skip


# ------------------------------------------------------------------------------ baseline
def _prior_columns(adsl: pl.DataFrame) -> list[str]:
    return [c for c in adsl.columns if c.startswith("PRIOR") and c != "PRIORLGT2"]


def baseline_block(res: TrialResults, ctx: TableContext) -> Block:
    """Baseline characteristics: median (range) and n (%), arms and Total as columns."""
    adsl = res.adsl.filter(pl.col("ITTFL") == "Y")
    arms = arm_columns(res)
    total = total_column(res)
    groups = [adsl.filter(pl.col("ARMCD") == a.code) for a in arms]
    if total is not None:
        groups.append(adsl.filter(pl.col("ARMCD").is_in([a.code for a in arms])))
    rows: list[Row] = []
    not_collected: list[str] = []
    for col in BASELINE_CONTINUOUS:
        if col not in adsl.columns:
            continue
        x = adsl[col].cast(pl.Float64, strict=False).drop_nulls()
        if x.len() == 0:
            not_collected.append(label(col))
            continue
        whole = bool((x == x.round(0)).all())
        vals = tuple(
            median_range(
                g[col].cast(pl.Float64, strict=False).drop_nulls().to_list(),
                range_digits=0 if whole else 1,
            )
            for g in groups
        )
        rows.append(Row(f"{label(col)}, median (range)", vals))
    for col in (*BASELINE_CATEGORICAL, *_prior_columns(adsl)):
        if col not in adsl.columns:
            continue
        values = adsl[col].cast(pl.Utf8)
        known = [v for v in values.drop_nulls().unique().to_list() if v not in MISSING_CODES]
        if not known:
            not_collected.append(label(col))
            continue
        if set(known) <= {"Y", "N"}:
            vals = tuple(n_pct(int((g[col].cast(pl.Utf8) == "Y").sum()), g.height) for g in groups)
            rows.append(Row(f"{label(col)}, n (%)", vals))
            continue
        rows.append(Row(label(col), group=True))
        for lv in ordered_levels(known):
            vals = tuple(n_pct(int((g[col].cast(pl.Utf8) == lv).sum()), g.height) for g in groups)
            rows.append(Row(decode(col, lv), vals, indent=True))
        missing = [
            int((g[col].is_null() | g[col].cast(pl.Utf8).is_in(list(MISSING_CODES))).sum())
            for g in groups
        ]
        if any(missing):
            vals = tuple(n_pct(m, g.height) for m, g in zip(missing, groups, strict=True))
            rows.append(Row("Not known", vals, indent=True))
    note = (
        "Continuous characteristics: median (range); categorical: n (%) of the arm's N; yes/no "
        "characteristics: patients with the characteristic."
    )
    if not_collected:
        note += f" Not collected in these data: {', '.join(not_collected)}."
    return arm_table(
        "Characteristic", arms, rows, caption="Baseline characteristics",
        meta=ctx.meta("ITT"), note=note, total=total,
    )  # fmt: skip


# ------------------------------------------------------------------------------ response
def _population_name(population: str) -> str:
    return (
        population if population in POPULATION_FLAGS else population.replace("-", " ").capitalize()
    )


def response_block(r: ResponseRateResult, res: TrialResults, ctx: TableContext) -> Block:
    """A response rate by arm: responders n/N (%), CI; subgroups as further rows."""
    t = r.rows
    names = _names(res)
    present = set(t["ARMCD"].cast(pl.Utf8).to_list()) if t.height else set()
    codes = [a.code for a in res.trial.arms if a.code in present]
    if "ALL" in present and len(codes) != 1:
        codes.append("ALL")
    n_of = {
        str(x["ARMCD"]): int(x["N"])
        for x in t.filter(pl.col("SUBGROUP").fill_null("") == "").iter_rows(named=True)
    }
    cols = [
        ArmColumn(c, "Total" if c == "ALL" and len(codes) > 1 else names.get(c, c), n_of.get(c, 0))
        for c in codes
    ]
    conf = f"{100 * float(t['CONF_LEVEL'][0]):.0f}%" if t.height else "95%"
    methods = sorted({str(m) for m in t["METHOD"].to_list()}) if t.height else []
    keys = t.select(pl.col("SUBGROUP").fill_null(""), pl.col("LEVEL").fill_null("")).unique(
        maintain_order=True
    )
    rows: list[Row] = []
    for sub, lvl in keys.iter_rows():
        d = t.filter(
            (pl.col("SUBGROUP").fill_null("") == sub) & (pl.col("LEVEL").fill_null("") == lvl)
        )
        by = {str(x["ARMCD"]): x for x in d.iter_rows(named=True)}
        rate = tuple(
            f"{by[c]['X']}/{by[c]['N']} ({num(100 * float(by[c]['ESTIMATE']))}%)"
            if c in by and by[c]["N"]
            else NE
            for c in codes
        )
        cis = tuple(
            ci(100 * float(by[c]["LOWER"]), 100 * float(by[c]["UPPER"]))
            if c in by and by[c]["LOWER"] is not None and by[c]["UPPER"] is not None
            else NE
            for c in codes
        )
        if sub:
            rows.append(Row(subgroup_label(sub, lvl), group=True))
        rows.append(Row("Responders, n/N (%)", rate, indent=bool(sub)))
        rows.append(Row(f"{conf} CI, %", cis, indent=bool(sub)))
    note = (
        f"Responders: best response {', '.join(r.categories)} ({r.timepoint}). "
        f"CI method: {', '.join(m.replace('-', ' ').title().replace(' ', '-') for m in methods)}."
    )
    if r.note:
        note += f" {r.note.rstrip('.')}."
    n_total = n_of.get("ALL") or sum(n_of.get(a.code, 0) for a in res.trial.arms) or None
    return arm_table(
        "", cols, rows, caption=r.label,
        meta=ctx.meta(_population_name(r.population), n_total), note=note,
    )  # fmt: skip


def _num(x: object) -> float:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else math.nan


def tte_block(r: TimeToEventResult, res: TrialResults, ctx: TableContext) -> Block:
    """Kaplan-Meier summary by arm: patients, events n (%), median (95% CI), HR and p-value."""
    names = _names(res)
    by = {str(x["ARMCD"]): x for x in r.table.iter_rows(named=True)}
    codes = [a.code for a in res.trial.arms if a.code in by] or list(by)
    cols = [ArmColumn(c, names.get(c, c), int(by[c]["N"])) for c in codes]
    rows = [
        Row("Events, n (%)", tuple(n_pct(int(by[c].get("EVENTS") or 0), int(by[c]["N"])) for c in codes)),
        Row(
            "Median, months (95% CI)",
            tuple(estimate_ci(by[c].get("MEDIAN"), by[c].get("LOWER"), by[c].get("UPPER")) for c in codes),
        ),
    ]  # fmt: skip
    note = "Medians by Kaplan-Meier with Brookmeyer-Crowley 95% CI; NE: not estimable."
    if r.cox and "hazard_ratio" in r.cox and len(codes) > 1:
        comparison = str(r.cox.get("comparison", ""))
        exp, _, ref = comparison.partition(" vs ")
        hr = estimate_ci(r.cox["hazard_ratio"], r.cox["conf_low"], r.cox["conf_high"], 2)
        rows.append(
            Row("Hazard ratio (95% CI)", tuple(hr if c == exp else "Reference" if c == ref else "" for c in codes))
        )  # fmt: skip
        note += (
            f" Hazard ratio of {names.get(exp, exp)} vs {names.get(ref, ref)}: "
            f"{'stratified ' if r.cox.get('stratified') else ''}Cox model, Wald CI."
        )
    if r.logrank and len(codes) > 1:
        p = p_value(r.logrank.get("p_value"))
        rows.append(Row("Log-rank p-value", tuple(p if i == 0 else "" for i in range(len(codes)))))
        note += f" {'Stratified l' if r.logrank.get('stratified') else 'L'}og-rank test."
    population = "Responders" if r.paramcd == "DOR" or r.endpoint == "DOR" else "ITT"
    n = sum(a.n for a in cols)
    return arm_table(
        "", cols, rows, caption=f"{r.label}: summary", meta=ctx.meta(population, n), note=note
    )


def ttr_block(r: TimeToEventResult, res: TrialResults, ctx: TableContext) -> Block:
    """Time to response both ways (sap.md 3): among responders, and cumulative incidence."""
    names = _names(res)
    by = {str(x["ARMCD"]): x for x in r.table.iter_rows(named=True)}
    codes = [a.code for a in res.trial.arms if a.code in by] or list(by)
    cols = [ArmColumn(c, names.get(c, c), int(by[c]["N"])) for c in codes]

    def rng(x: Mapping[str, object]) -> str:
        if _num(x.get("MEDIAN")) != _num(x.get("MEDIAN")):
            return NE
        return f"{num(x.get('MEDIAN'))} ({num(x.get('MIN'))}–{num(x.get('MAX'))})"

    rows = [
        Row("Responders, n (%)", tuple(n_pct(int(by[c]["RESPONDERS"]), int(by[c]["N"])) for c in codes)),
        Row("Among responders: time to response, median (range), months", tuple(rng(by[c]) for c in codes)),
        Row("All patients: cumulative incidence of response", group=True),
    ]  # fmt: skip
    for key, words in (("CIF_1M", "at 1 month"), ("CIF_3M", "at 3 months"),
                       ("CIF_6M", "at 6 months"), ("CIF_12M", "at 12 months")):  # fmt: skip
        if key in r.table.columns:
            rows.append(
                Row(words, tuple(f"{num(100 * _num(by[c].get(key)))}%" if _num(by[c].get(key)) == _num(by[c].get(key)) else NE for c in codes), indent=True)
            )  # fmt: skip
    if "CIF_MEDIAN" in r.table.columns:
        rows.append(
            Row("Time to 50% cumulative incidence, months", tuple(num(by[c].get("CIF_MEDIAN")) for c in codes), indent=True)
        )  # fmt: skip
    if "COMPETING" in r.table.columns:
        rows.append(
            Row("Progressed or died before response (competing events), n", tuple(str(by[c].get("COMPETING") or 0) for c in codes))
        )  # fmt: skip
    return arm_table(
        "", cols, rows, caption=f"{r.label}: summary",
        meta=ctx.meta("ITT", sum(a.n for a in cols)),
        note="The median among responders is not a Kaplan-Meier median; cumulative incidence "
        "treats progression and death before response as competing events.",
    )  # fmt: skip


# ------------------------------------------------------------------------------ safety
def _safety_cols(res: TrialResults) -> list[ArmColumn]:
    return arm_columns(res, "Safety")


def _by_arm(frame: pl.DataFrame, key: str) -> dict[str, dict[str, dict[str, object]]]:
    out: dict[str, dict[str, dict[str, object]]] = {}
    for x in frame.iter_rows(named=True):
        out.setdefault(str(x[key]), {})[str(x["ARMCD"])] = x
    return out


def ae_summary_block(r: TableResult, res: TrialResults, ctx: TableContext) -> Block:
    """Patients with TEAEs by category, n (%) per arm and Total."""
    arms = _safety_cols(res)
    total = total_column(res, "Safety")
    by = _by_arm(r.table, "CATEGORY")
    rows = []
    for cat, per_arm in by.items():
        counts = [int(per_arm.get(a.code, {}).get("N") or 0) for a in arms]  # type: ignore[call-overload]
        vals = [n_pct(c, a.n) for c, a in zip(counts, arms, strict=True)]
        if total is not None:
            vals.append(n_pct(sum(counts), total.n))
        words = cat.replace(">=", "≥").replace("grade ≥ 3", "of grade ≥3")
        rows.append(Row(words[:1].upper() + words[1:], tuple(vals)))
    note = (
        "TEAE: treatment-emergent adverse event, onset from the first dose to 30 days after the "
        "last dose (sap.md 4); patients counted once per row."
    )
    if r.note:
        note += f" {r.note.rstrip('.')}."
    return arm_table(
        "Patients with", arms, rows, caption="Adverse events: overview",
        meta=ctx.meta("Safety"), note=note, total=total,
    )  # fmt: skip


def ae_term_block(frame: pl.DataFrame, res: TrialResults, ctx: TableContext) -> Block:
    """Adverse events by preferred term: any grade, grade 3–4 (and grade 5 when any), per arm."""
    arms = _safety_cols(res)
    f = frame.with_columns(pl.col("AEDECOD").map_elements(ae_term, return_dtype=pl.Utf8))
    has5 = "N_GR5" in f.columns and int(f["N_GR5"].fill_null(0).sum()) > 0
    subs = ["Any grade", "Grade 3–4", *(["Grade 5"] if has5 else [])]
    keys = ["N_ANY", "N_GR3_4", *(["N_GR5"] if has5 else [])]
    order = (
        f.group_by("AEDECOD").agg(pl.col("N_ANY").sum().alias("_n"))
        .sort(["_n", "AEDECOD"], descending=[True, False])["AEDECOD"].to_list()
    )  # fmt: skip
    by = _by_arm(f, "AEDECOD")
    rows = []
    for term in order:
        vals = []
        for a in arms:
            x = by[term].get(a.code, {})
            vals += [n_pct(int(x.get(k) or 0), a.n) for k in keys]  # type: ignore[call-overload]
        rows.append(((term,), vals))
    return grouped_table(
        ["Preferred term"], [(a.header, subs) for a in arms], rows,
        caption="Adverse events by preferred term and worst grade",
        meta=ctx.meta("Safety"),
        note="Patients counted once per term at their worst CTCAE grade; terms ordered by "
        "patients with any grade, all arms together; American spelling (decision 0800).",
    )  # fmt: skip


def _dose_cell(x: Mapping[str, object] | None, fn: str, arm_n: int) -> str:
    if x is None:
        return "–"
    n = _int(x["N"])
    if fn == "n":
        return n_pct(n, arm_n)
    if fn == "cycles":
        return f"{num(x['CYCLES_MEDIAN'])} ({num(x['CYCLES_MIN'], 0)}–{num(x['CYCLES_MAX'], 0)})"
    if fn == "rdi":
        rdi = _num(x["RDI_MEDIAN"])
        return f"{num(rdi)}%" if math.isfinite(rdi) else NE
    if fn == "last":
        return num(x["LASTDOSE_MEDIAN"])
    return n_pct(_int(x[fn]), n)


def _int(x: object) -> int:
    return int(x) if isinstance(x, int | float) and not isinstance(x, bool) else 0


def dose_block(r: TableResult, res: TrialResults, ctx: TableContext) -> Block:
    """Exposure and dose intensity per drug, arms as columns."""
    arms = _safety_cols(res)
    t = r.table
    rows: list[Row] = []
    for drug in t["EXTRT"].unique(maintain_order=True).sort().to_list():
        d = {str(x["ARMCD"]): x for x in t.filter(pl.col("EXTRT") == drug).iter_rows(named=True)}
        rows.append(Row(decode("EXTRT", drug), group=True))

        for fn, words in (
            ("n", "Patients who received it, n (%)"),
            ("cycles", "Cycles started, median (range)"),
            ("rdi", label("RDI_MEDIAN")),
            ("N_REDUCED", "Dose reduced, n (%)"),
            ("N_INTERRUPTED", "Dose interrupted, n (%)"),
            ("N_DISC_AE", "Discontinued for an adverse event, n (%)"),
            ("last", "Last dose, median (mg)"),
        ):
            rows.append(
                Row(words, tuple(_dose_cell(d.get(a.code), fn, a.n) for a in arms), indent=True)
            )
    return arm_table(
        "", arms, rows, caption=r.label, meta=ctx.meta("Safety"),
        note="Percentages of dose-reduced, interrupted and discontinued patients are of the "
        "patients who received the drug; NE: relative dose intensity not computable (no planned "
        "dose for the drug in this arm, e.g. crossover treatment); – : drug not given in the arm.",
    )  # fmt: skip


def _visit_order(res: TrialResults) -> dict[str, tuple[int, str]]:
    q = res.datasets.get("ADQS")
    if q is None or "VISITNUM" not in q.columns:
        return {}
    v = q.group_by("VISIT").agg(pl.col("VISITNUM").min())
    return {str(a): (int(b) if b is not None else 10**6, str(a)) for a, b in v.iter_rows()}


def eq5d_blocks(r: TableResult, res: TrialResults, ctx: TableContext) -> list[Block]:
    """EQ-5D-5L summaries: one table per parameter, visits in time order, n and mean (95% CI)."""
    t = r.table
    arms = arm_columns(res)
    order = _visit_order(res)
    blocks = []
    for param in t["PARAMCD"].unique(maintain_order=True).sort().to_list():
        d = t.filter(pl.col("PARAMCD") == param)
        visits = sorted(set(d["VISIT"].to_list()), key=lambda v: order.get(str(v), (10**6, str(v))))
        by = _by_arm(d, "VISIT")
        digits = 1 if param == "EQVAS" else 2
        rows = []
        for v in visits:
            vals = []
            for a in arms:
                x = by[str(v)].get(a.code)
                if x is None:
                    vals += ["0", NE]
                else:
                    vals += [str(x["N"]), estimate_ci(x["MEAN"], x["LOWER"], x["UPPER"], digits)]
            rows.append(((decode("VISIT", v),), vals))
        blocks.append(
            grouped_table(
                ["Visit"],
                [(a.header, ["n", "Mean (95% CI)"]) for a in arms],
                rows,
                caption=decode("PARAMCD", param),
                meta=ctx.meta("ITT"),
                note=f"Visits in schedule order (visit number). {r.note[:1].upper()}{r.note[1:]}."
                if r.note
                else "Visits in schedule order (visit number).",
            )
        )
    return blocks


def generic_blocks(r: TableResult, res: TrialResults, ctx: TableContext) -> list[Block]:
    """Any other table of an endpoint, with words for its headers and values."""
    blocks: list[Block] = []
    if r.table.height:
        blocks.append(
            frame_table(r.table, caption=r.label, meta=ctx.meta("ITT"), note=r.note, arm_names=_names(res))
        )  # fmt: skip
    for name, frame in r.extra.items():
        if frame.height:
            blocks.append(
                frame_table(
                    frame.head(40), caption=f"{r.label}: {name.replace('_', ' ')}",
                    meta=ctx.meta("ITT"), arm_names=_names(res),
                )
            )  # fmt: skip
    return blocks


# ------------------------------------------------------------------------------ published
def _ci_text(text: str) -> str:
    """``"0.49-0.83"`` as ``"(0.49, 0.83)"`` (other forms as they are, in parentheses)."""
    m = re.fullmatch(r"\s*(-?[0-9.]+|NA|NE)\s*-\s*(-?[0-9.]+|NA|NE)\s*", str(text))
    if m is None:
        return f"({text})"
    lo, hi = (NE if v == "NA" else v for v in m.groups())
    return f"({lo}, {hi})"


def published_block(res: TrialResults, note: str) -> Block:
    """Published figures next to the computed ones, each with its rule and agreement."""
    names = _names(res)
    cols = ("Figure", "Arm", "Published", "Computed", "Rule", "Agrees", "How matched")
    rows = []
    for r in res.published.iter_rows(named=True):
        ag = r["AGREES"]
        agree = (
            Cell("yes", css="ok")
            if ag is True
            else Cell("no", css="warn")
            if ag is False
            else Cell("not judged")
        )
        pub = f"{r['PUBLISHED']:g}" + (f" {_ci_text(r['PUB_CI'])}" if r["PUB_CI"] else "")
        computed = r["COMPUTED"]
        if (
            r["UNIT"] in ("count", "terms")
            and isinstance(computed, float)
            and computed.is_integer()
        ):
            computed = int(computed)
        comp = format_value(computed, 3).text + (
            f" {_ci_text(r['COMP_CI'])}" if r["COMP_CI"] else ""
        )
        arm = names.get(str(r["ARMCD"]), str(r["ARMCD"]))
        rows.append(
            (Cell(f"{ae_term(r['LABEL'])} [{r['UNIT']}]"), Cell(arm), Cell(pub, numeric=True),
             Cell(comp, numeric=True), Cell(r["RULE"]), agree, Cell(ae_term(r["MATCH"])))
        )  # fmt: skip
    return Block(
        "table", caption="Published figures next to the computed ones", columns=cols,
        rows=tuple(rows), note=note, wide=True,
    )  # fmt: skip


def assumption_rows(res: TrialResults) -> list[tuple[str, str]]:
    """The trial file's assumptions with arm names and endpoint labels for the codes."""
    names = _names(res)
    ep = {e.endpoint: e.label for e in res.endpoints}
    out = []
    for where, why in res.trial.assumptions():
        head, _, rest = where.partition(" ")
        if head in names and rest:
            drug, _, dose = rest.partition(" ")
            where = f"{names[head]}: {decode('EXTRT', drug)} {dose}".strip()
        elif head == "endpoint" and rest:
            where = f"Endpoint: {ep.get(rest, rest)}"
        else:
            where = where[:1].upper() + where[1:]
        out.append((where, why))
    return out


def cells(values: Sequence[str]) -> tuple[Cell, ...]:
    """Plain text cells."""
    return tuple(Cell(v) for v in values)
