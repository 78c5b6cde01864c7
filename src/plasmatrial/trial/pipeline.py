"""``run_trial``: frames in, frozen results out (validation, adjudication, ADaM, analyses)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

import polars as pl

from plasmatrial import __version__
from plasmatrial._dask import DEFAULT_LOCAL_WORKERS
from plasmatrial._results import ResultMixin, jsonable
from plasmatrial.design.endpoint_options import (
    OrganResponseOptions,
    ResponseRateOptions,
    TimeToEventOptions,
    TimeToResponseOptions,
)
from plasmatrial.design.protocol import Endpoint, Trial
from plasmatrial.endpoints.tte import DAYS_PER_MONTH
from plasmatrial.errors import IntakeError, PlasmatrialError
from plasmatrial.intake import check_frames
from plasmatrial.trial.adjudications import (
    apply_adjudications,
    apply_best_adjudications,
    check_best_adjudications,
    mark_best_sources,
    split_adjudications,
    unsupported_best,
)
from plasmatrial.trial.analyse import (
    EndpointResult,
    ResponseRateResult,
    TableResult,
    analyse_ae,
    analyse_dose_intensity,
    analyse_eq5d,
    analyse_time_to_event,
    analyse_time_to_response,
    first_response_days,
    proportion_table,
)
from plasmatrial.trial.compare import compare_published
from plasmatrial.trial.derive import (
    CYCLE_WINDOW_DAYS,
    PRIOR_THERAPY_FLAGS,
    annotate_adrs,
    derive_adlb_grades,
    derive_adqs,
    derive_adrs,
    derive_adtte,
    derive_response,
    derive_trial_adae,
    derive_trial_adex,
    derive_trial_adsl,
    response_at_cycle,
    response_spec,
    time_origin,
)
from plasmatrial.trial.inputs import ResolvedCriteria, TrialInputs, resolve_criteria
from plasmatrial.trial.mrd import analyse_mrd
from plasmatrial.trial.partitions import DEFAULT_PARTITION_SIZE, derive_visits

logger = logging.getLogger(__name__)

#: Pipeline stages, in order, as reported to ``progress``.
STAGES: Final = (
    "validate",
    "adjudicate",
    "adsl",
    "adtte",
    "safety",
    "analyse",
    "compare",
)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True, repr=False)
class TrialResults(ResultMixin):
    """Everything a trial analysis produced.

    Attributes
    ----------
    trial:
        The trial definition analysed.
    criteria:
        Resolved rule set (name, version, options).
    datasets:
        ADaM-like frames by name (``ADSL``, ``ADRS``, ``ADTTE``, and when their inputs were
        supplied ``ADEX``, ``ADAE``, ``ADLB``, ``ADQS``).
    endpoints:
        One result per endpoint of the trial file (primary first).
    published:
        Published-vs-computed table (:func:`plasmatrial.trial.compare.compare_published`).
    notes:
        What was skipped and why (missing optional domains, impossible analyses).
    provenance:
        Software version, rule sets, input hashes, generator seed.
    """

    trial: Trial
    criteria: ResolvedCriteria
    datasets: Mapping[str, pl.DataFrame]
    endpoints: tuple[EndpointResult, ...]
    published: pl.DataFrame
    notes: tuple[str, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def adsl(self) -> pl.DataFrame:
        """The subject-level dataset."""
        return self.datasets["ADSL"]

    def __repr__(self) -> str:
        return (
            f"TrialResults(trial={self.trial.id!r}, subjects={self.adsl.height}, "
            f"criteria={self.criteria.label!r}, endpoints={len(self.endpoints)}, "
            f"datasets={', '.join(self.datasets)})"
        )[:400]

    def summary(self) -> pl.DataFrame:
        """One row per endpoint: ``ENDPOINT, TYPE, LABEL, ROWS, NOTE``."""
        return pl.DataFrame(
            {
                "ENDPOINT": [r.endpoint for r in self.endpoints],
                "TYPE": [type(r).__name__ for r in self.endpoints],
                "LABEL": [r.label for r in self.endpoints],
                "ROWS": [r.to_frame().height for r in self.endpoints],
                "NOTE": [r.note for r in self.endpoints],
            },
            schema={"ENDPOINT": pl.String, "TYPE": pl.String, "LABEL": pl.String,
                    "ROWS": pl.Int64, "NOTE": pl.String},
        )  # fmt: skip

    def endpoint(self, endpoint_id: str) -> EndpointResult:
        """The result of one endpoint by id."""
        for r in self.endpoints:
            if r.endpoint == endpoint_id:
                return r
        raise PlasmatrialError(
            f"endpoint_id: no endpoint '{endpoint_id}'; have "
            + ", ".join(r.endpoint for r in self.endpoints)
        )

    def populations(self) -> pl.DataFrame:
        """Subjects per arm in each population (ITT, safety, response-evaluable)."""
        a = self.adsl.filter(pl.col("ITTFL") == "Y")
        return (
            a.group_by("ARMCD")
            .agg(
                pl.len().alias("ITT"),
                (pl.col("SAFFL") == "Y").sum().alias("SAFETY"),
                (pl.col("EFFFL") == "Y").sum().alias("EVALUABLE"),
            )
            .sort("ARMCD")
        )

    def to_frame(self) -> pl.DataFrame:
        """Every endpoint's main table stacked long: ``ENDPOINT, TABLE_JSON``."""
        return pl.DataFrame(
            {
                "ENDPOINT": [r.endpoint for r in self.endpoints],
                "TYPE": [type(r).__name__ for r in self.endpoints],
                "TABLE_JSON": [r.to_frame().write_json() for r in self.endpoints],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: provenance, populations, every endpoint's tables, comparison."""
        eps: list[dict[str, Any]] = []
        for r in self.endpoints:
            d: dict[str, Any] = {
                "id": r.endpoint,
                "label": r.label,
                "result": type(r).__name__,
                "table": r.to_frame().to_dicts(),
                "note": r.note,
            }
            if isinstance(r, ResponseRateResult):
                d |= {
                    "population": r.population,
                    "categories": list(r.categories),
                    "timepoint": r.timepoint,
                }
            elif isinstance(r, TableResult):
                d["extra"] = {k: v.to_dicts() for k, v in r.extra.items()}
            else:
                d |= {
                    "paramcd": r.paramcd,
                    "logrank": r.logrank,
                    "cox": r.cox,
                    "landmark": r.landmark,
                    "crossover": r.crossover,
                    "subgroups": None if r.subgroups is None else r.subgroups.to_dicts(),
                }
            eps.append(d)
        out: dict[str, Any] = jsonable({
            "trial": {
                "id": self.trial.id,
                "title": self.trial.title,
                "disease": self.trial.disease,
            },
            "provenance": dict(self.provenance),
            "criteria": {
                "rule_set": self.criteria.rule_set.name,
                "version": self.criteria.rule_set.version,
                "options": dict(self.criteria.options),
                "requested": dict(self.criteria.requested),
            },
            "populations": self.populations().to_dicts(),
            "endpoints": eps,
            "published_vs_computed": self.published.to_dicts(),
            "notes": list(self.notes),
        })  # fmt: skip
        return out


def _population(endpoint: Endpoint, trial: Trial) -> str:
    """``options.population`` of an endpoint: ITT by DEFAULT for every trial (sap.md section 1;
    single-arm: every enrolled patient); ``EVALUABLE`` is a sensitivity analysis."""
    opts = endpoint.options
    return opts.population if isinstance(opts, ResponseRateOptions) else "ITT"


#: ADSL variables derived only from optional domains (PR, DS, EX): a trial may name them when
#: its data lack that domain (the analysis then notes them as missing).
OPTIONAL_ADSL_VARIABLES: Final = frozenset(
    {*PRIOR_THERAPY_FLAGS.values(), "NPRLINES", "DCAEFL", "CROSSDT"}
)


def check_variables(trial: Trial, adsl: pl.DataFrame) -> None:
    """Refuse strata, subgroups and stratification variables that ADSL cannot carry: neither a
    DM column nor a derived variable (decision 0747; the trial file cannot know DM's columns).

    Raises
    ------
    PlasmatrialError
        Listing every unknown variable with its location in the trial file.
    """
    known = set(adsl.columns) | OPTIONAL_ADSL_VARIABLES
    bad = [f"{trial.where(*loc)}: '{v}'" for loc, v in trial.variables() if v not in known]
    if bad:
        raise PlasmatrialError(
            f"{len(bad)} variable(s) of the trial file are neither DM columns nor derived ADSL "
            "variables:\n" + "\n".join(bad)
        )


_POP_FLAG: Final = {"ITT": "ITTFL", "SAFETY": "SAFFL", "EVALUABLE": "EFFFL"}


def _response_rate(
    endpoint: Endpoint,
    trial: Trial,
    adsl: pl.DataFrame,
    adrs: pl.DataFrame,
    best: pl.DataFrame,
) -> ResponseRateResult:
    pop = _population(endpoint, trial)
    subjects = adsl.filter(pl.col(_POP_FLAG[pop]) == "Y")
    tp = endpoint.timepoint.strip().lower()
    cats = endpoint.categories or response_spec(trial).responder
    if tp == "best":
        calls = best.select("USUBJID", "AVALC")
    elif tp.startswith("cycle"):
        try:
            k = int(tp.split()[1])
        except (IndexError, ValueError):
            raise PlasmatrialError(
                f"endpoint {endpoint.id}: timepoint must be 'best' or 'cycle N', got "
                f"'{endpoint.timepoint}'"
            ) from None
        calls = response_at_cycle(adrs, subjects, trial, k)
    else:
        raise PlasmatrialError(
            f"endpoint {endpoint.id}: timepoint must be 'best' or 'cycle N', got "
            f"'{endpoint.timepoint}'"
        )
    data = subjects.join(calls, on="USUBJID", how="left").with_columns(
        pl.col("AVALC").is_in(list(cats)).fill_null(value=False).alias("SUCCESS")
    )
    arms = [a.code for a in trial.arms]
    rows = proportion_table(endpoint, data, arms=arms, subgroups=endpoint.subgroups)
    missing = [s for s in endpoint.subgroups if s not in adsl.columns]
    note = f"subgroup variable(s) not in the data: {', '.join(missing)}" if missing else ""
    return ResponseRateResult(
        endpoint.id, endpoint.label, pop, tuple(cats), endpoint.timepoint, rows, note
    )


def _organ_response(
    endpoint: Endpoint, trial: Trial, adsl: pl.DataFrame, adrs: pl.DataFrame
) -> ResponseRateResult:
    opts = endpoint.options
    if not isinstance(opts, OrganResponseOptions):
        opts = OrganResponseOptions()
    organ, months = opts.organ, opts.months
    organs = {o.organ: o for o in response_spec(trial).organs}
    if organ not in organs:
        raise PlasmatrialError(
            f"endpoint {endpoint.id}: options.organ must be one of "
            f"{', '.join(organs) or '(none: the rule set has no organ responses)'}, got '{organ}'"
        )
    pcd, cat = organs[organ].paramcd, organs[organ].category
    rows = adrs.filter(pl.col("PARAMCD") == pcd)
    if months is not None:
        rows = rows.filter(pl.col("ADY") <= months * DAYS_PER_MONTH + CYCLE_WINDOW_DAYS)
    evaluable = rows.filter(pl.col("ADEQFL") == "Y")["USUBJID"].unique().to_list()
    responders = rows.filter(pl.col("AVALC") == cat)["USUBJID"].unique().to_list()
    subjects = adsl.filter((pl.col("SAFFL") == "Y") & pl.col("USUBJID").is_in(evaluable))
    data = subjects.with_columns(pl.col("USUBJID").is_in(responders).alias("SUCCESS"))
    table = proportion_table(
        endpoint, data, arms=[a.code for a in trial.arms], subgroups=endpoint.subgroups
    )
    when = f"by {months:g} months" if months is not None else "at any assessment"
    return ResponseRateResult(
        endpoint.id, endpoint.label, f"{organ}-evaluable", (cat,), when, table,
        note=f"{organ} response ({pcd} = {cat}) {when} among subjects with an evaluable {pcd} call",
    )  # fmt: skip


def _mrd(
    endpoint: Endpoint, trial: Trial, adsl: pl.DataFrame, rs: pl.DataFrame | None
) -> ResponseRateResult | TableResult:
    return analyse_mrd(endpoint, trial, adsl, rs)


def _tte_param(endpoint: Endpoint) -> str:
    event = endpoint.options.event if isinstance(endpoint.options, TimeToEventOptions) else None
    eid = endpoint.id.upper()
    if event in ("hematologic_progression_or_death", "progression_or_death") or "PFS" in eid:
        return "PFS"
    if "TTP" in eid:
        return "TTP"
    if "TTNT" in eid:
        return "TTNT"
    return "OS"


def _analyse_endpoint(
    ep: Endpoint,
    trial: Trial,
    data: TrialInputs,
    datasets: Mapping[str, pl.DataFrame],
    best: pl.DataFrame,
    rsp_days: pl.DataFrame,
) -> EndpointResult:
    adsl, adrs, adtte = datasets["ADSL"], datasets["ADRS"], datasets["ADTTE"]
    if ep.type == "response_rate":
        return _response_rate(ep, trial, adsl, adrs, best)
    if ep.type == "time_to_event":
        return analyse_time_to_event(
            ep, trial, adtte, adsl, paramcd=_tte_param(ep), response_time=rsp_days
        )
    if ep.type == "duration_of_response":
        return analyse_time_to_event(ep, trial, adtte, adsl, paramcd="DOR")
    if ep.type == "time_to_response":
        is_organ = isinstance(ep.options, TimeToResponseOptions) and ep.options.organ
        pcd = "TTCARR" if is_organ else "TTR"
        return analyse_time_to_response(ep, trial, adtte, paramcd=pcd)
    if ep.type == "organ_response":
        return _organ_response(ep, trial, adsl, adrs)
    if ep.type == "mrd":
        return _mrd(ep, trial, adsl, data.rs)
    if ep.type == "eq5d":
        return analyse_eq5d(ep, datasets.get("ADQS"))
    if ep.type == "adverse_events":
        empty = pl.DataFrame(schema={"USUBJID": pl.Utf8})
        return analyse_ae(ep, datasets.get("ADAE"), adsl, datasets.get("ADLB", empty))
    return analyse_dose_intensity(ep, datasets.get("ADEX"))


def _safety_datasets(
    trial: Trial,
    data: TrialInputs,
    bundle_lb: pl.DataFrame,
    ex: pl.DataFrame | None,
    adsl: pl.DataFrame,
) -> tuple[dict[str, pl.DataFrame], list[str]]:
    out: dict[str, pl.DataFrame] = {}
    notes: list[str] = []
    adex = derive_trial_adex(trial, ex, adsl, data.ds)
    if adex is not None:
        out["ADEX"] = adex
    else:
        notes.append("EX not supplied: no safety population, exposure or dose intensity")
    adae = derive_trial_adae(data.ae, adsl)
    if adae is not None:
        out["ADAE"] = adae
    else:
        notes.append("AE not supplied: the adverse-event section is omitted")
    adlb = derive_adlb_grades(bundle_lb, adsl)
    if adlb.height:
        out["ADLB"] = adlb
    adqs = derive_adqs(data.qs, adsl)
    if adqs is not None:
        out["ADQS"] = adqs
    elif any(e.type == "eq5d" for e in trial.endpoints):
        notes.append("QS not supplied: EQ-5D-5L is not summarised")
    if data.ds is None:
        notes.append("DS not supplied: no disposition, deaths only from DM.DTHDTC")
    if data.pr is None:
        notes.append("PR not supplied: no prior-therapy flags or subgroups")
    return out, notes


def run_trial(
    trial: Trial,
    data: TrialInputs,
    *,
    progress: Progress | None = None,
    accept_units: bool = False,
    adjudications: pl.DataFrame | None = None,
    partition_size: int | None = None,
    scheduler: str | None = None,
    n_workers: int = DEFAULT_LOCAL_WORKERS,
    partition_progress: Callable[[int, int], None] | None = None,
) -> TrialResults:
    """Run a trial's whole analysis: validate, adjudicate, derive ADaM, analyse, compare.

    Parameters
    ----------
    trial:
        Parsed trial definition (:func:`plasmatrial.design.protocol.parse_trial`).
    data:
        Raw domains (:class:`~plasmatrial.trial.inputs.TrialInputs`).
    progress:
        Optional callback ``progress(stage, index, total)`` called before each stage of
        :data:`STAGES`.
    accept_units:
        Do not report FLC ``unit_mixup`` problems (``--accept-units``, decision 0105).
    adjudications:
        Reviewers' categories for per-visit calls (``USUBJID, ADT, PARAMCD, AVALC``; optionally
        ``ADJREAS, ADJBY, ADJDTC``): they replace the computed calls before best response,
        confirmation and every time to event are derived, and ADRS records each call's source
        (:func:`plasmatrial.trial.adjudications.apply_adjudications`, decision 1002). Rows with
        ``PARAMCD = "BOR"`` (``ADT`` ignored) decide a subject's best overall response: they
        replace the derived best in ADSL, ADRS's ``BOR`` row and every best-response rate
        (decision 1011).
    partition_size:
        Validate and adjudicate this many subjects at a time (decision 0902): peak memory of those
        steps follows the partition, not the input; the results are the same. ``None`` (the
        default): in one piece, unless ``scheduler`` is given (then
        :data:`~plasmatrial.trial.partitions.DEFAULT_PARTITION_SIZE`).
    scheduler, n_workers:
        Run the partitions on Dask: ``"local"`` (a cluster of ``n_workers`` threads) or a
        scheduler address (:func:`plasmatrial._dask.dask_client`).
    partition_progress:
        ``partition_progress(done, total)`` after each partition.

    Returns
    -------
    TrialResults
        Frozen results: datasets, endpoint results, published-vs-computed table, notes.

    Raises
    ------
    IntakeError
        DM/LB/EX fail validation (every problem listed).
    PlasmatrialError
        Criteria not installed (IMWG), arms that match no trial arm, unsupported options, a
        failed partition (its subject range named).

    Notes
    -----
    1. Validate and standardise DM/LB/EX (intake); resolve the rule set.
    2. Adjudicate every subject-visit (ADRS); derive ADSL (populations, stage, prior therapy).
    3. ADTTE (OS, PFS, TTP, DOR, TTR, organ response times).
    4. ADEX, ADAE, CTCAE grades of labs, ADQS when their domains are present.
    5. Each endpoint by its type; then the published-vs-computed table.
    """

    def step(name: str) -> None:
        if progress is not None:
            progress(name, STAGES.index(name), len(STAGES))
        logger.info("trial %s: %s", trial.id, name)

    step("validate")
    criteria = resolve_criteria(trial)
    if partition_size is None and scheduler is not None:
        partition_size = DEFAULT_PARTITION_SIZE
    visits = None
    if partition_size is not None:
        visits = derive_visits(
            trial, data, partition_size=partition_size, accept_units=accept_units,
            scheduler=scheduler, n_workers=n_workers, progress=partition_progress,
        )  # fmt: skip
    if visits is not None:
        step("adjudicate")
        bundle, adrs = visits.bundle, visits.adrs
        del visits  # ADRS is rebound below; the first frame must not stay alive through it
    else:
        problems, checked = check_frames(
            data.dm, data.lb, data.ex, tu=data.tu, tr=data.tr, accept_units=accept_units
        )
        if problems or checked is None:
            raise IntakeError(problems)
        bundle = checked
        step("adjudicate")
        # The time origin is needed for ADY before ADSL exists: randomisation date, else first
        # dose.
        fdt = time_origin(bundle.dm, bundle.ex)
        adrs = derive_adrs(trial, bundle.assessments, criteria, first_dose=fdt)
    dm_arms = bundle.dm
    scale = criteria.response.scale
    categories = (*scale.ranking, scale.progression, scale.not_evaluable)
    best_adj: pl.DataFrame | None = None
    if adjudications is not None:
        visit_adj, best_adj = split_adjudications(adjudications)
        adrs = apply_adjudications(
            adrs, visit_adj, categories=categories, progression=criteria.response.progression
        )
    step("adsl")
    adsl = derive_trial_adsl(
        trial, dm_arms, bundle.ex, bundle.assessments, criteria,
        ds=data.ds, pr=data.pr, cm=data.cm, post_baseline=adrs,
        ae=data.ae, qs=data.qs, rs=data.rs, sv=data.sv,
    )  # fmt: skip
    check_variables(trial, adsl)
    adrs = adrs.join(adsl.select("USUBJID", "ARMCD"), on="USUBJID", how="left")
    primary_rr = next((e for e in trial.endpoints if e.type == "response_rate"), None)
    responder = (primary_rr.categories if primary_rr and primary_rr.categories else None) or (
        criteria.response.responder
    )
    # One derivation of best response, first response and time to response (sap.md 2-3).
    summary = derive_response(trial, adrs, adsl, responder=responder)
    derived = summary.subjects
    adj_notes: list[str] = []
    if best_adj is not None:
        # Subject-level decisions replace the derived best (decision 1011); TTR/DOR stay derived.
        best_adj = check_best_adjudications(
            best_adj, subjects=derived["USUBJID"].to_list(), categories=categories
        )
        summary = replace(
            summary,
            subjects=apply_best_adjudications(derived, best_adj, responder=summary.responder),
        )
        lacking = unsupported_best(adrs, best_adj, parameter=response_spec(trial).parameter)
        if lacking:
            adj_notes.append(
                "adjudicated best overall response without a per-visit call of that category "
                f"(time to response and duration of response stay derived from the per-visit "
                f"calls, decision 1011): {', '.join(lacking)}"
            )
    adrs = annotate_adrs(trial, adrs, summary)
    if best_adj is not None:
        adrs = mark_best_sources(adrs, derived, best_adj)
    adsl = adsl.join(
        summary.subjects.select(
            "USUBJID",
            "BESTRSP",
            "BESTRSDT",
            pl.col("RSPFL").alias("BRSPFL"),
            "FRSPDT",
        ),
        on="USUBJID",
        how="left",
    ).with_columns(pl.col("BESTRSP").fill_null("NE"))
    best = summary.subjects.select("USUBJID", pl.col("BESTRSP").alias("AVALC"))
    step("adtte")
    adtte = derive_adtte(trial, adsl, adrs, summary=summary)
    step("safety")
    datasets: dict[str, pl.DataFrame] = {"ADSL": adsl, "ADRS": adrs, "ADTTE": adtte}
    extra, notes = _safety_datasets(trial, data, bundle.lb, bundle.ex, adsl)
    notes = [*adj_notes, *notes]
    datasets |= extra
    step("analyse")
    rsp_days = first_response_days(adtte)
    results = tuple(
        _analyse_endpoint(ep, trial, data, datasets, best, rsp_days) for ep in trial.endpoints
    )
    step("compare")
    ae_disc = None
    if data.ds is not None:
        saf = adsl.filter(pl.col("SAFFL") == "Y")
        ae_disc = (int((saf["DCAEFL"] == "Y").sum()), saf.height)
    published = compare_published(trial, results, ae_discontinued=ae_disc, datasets=datasets)
    provenance: dict[str, Any] = {
        "plasmatrial": __version__,
        "rule_set": criteria.label,
        "ctcae": "5.0",
        "inputs": dict(data.file_hashes),
        "domains": data.present(),
    }
    if data.generator is not None:
        provenance["generator"] = dict(data.generator)
    return TrialResults(
        trial=trial,
        criteria=criteria,
        datasets=datasets,
        endpoints=results,
        published=published,
        notes=tuple(notes),
        provenance=provenance,
    )
