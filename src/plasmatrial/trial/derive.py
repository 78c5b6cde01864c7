"""Analysis datasets of a trial: ADSL, ADRS, ADTTE, ADEX, ADAE, ADLB (CTCAE grades), ADQS.

Every function is pure (frames in, frames out). The rules that the trial file leaves open are in
``docs/decisions/0730-trial-pipeline.md``; the main ones:

* Time origin ``STARTDT`` = randomisation date, else first dose (ADSL ``RANDDT`` coalesces both).
* Response-evaluable (``EFFFL``): safety population, hematologic evaluability class established at
  baseline by the rule set, and at least one post-baseline response assessment.
* ADRS carries one baseline row (``ABLFL = "Y"``) per subject with a baseline assessment, then the
  rule set's per-visit calls; ``PDFL = "Y"`` marks progression (AL ``PROG``, IMWG ``PD``).
* What differs between diseases is what the rule set carries
  (:class:`~plasmatrial.criteria.core.scale.ResponseSpec`: overall parameter, scale, responders,
  evaluability, organ parameters, marker, staging); nothing here branches on the disease
  (decision 0260).
* Response at the end of cycle *k* is the call at the last assessment on or before study day
  ``k x cycle_days + 14`` (counted from ``STARTDT``); subjects without one count as not
  responding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import polars as pl

from plasmatrial.criteria import adjudicate, evaluability, stage
from plasmatrial.criteria.core.confirmation import ConfirmationOptions
from plasmatrial.criteria.core.scale import ResponseSpec
from plasmatrial.criteria.core.summary import ResponseSummary, summarise_response
from plasmatrial.criteria.ctcae import derive_var_atoxgr
from plasmatrial.design.endpoint_options import TimeToEventOptions
from plasmatrial.design.protocol import Trial
from plasmatrial.endpoints.adsl import derive_adsl, derive_var_evaluable
from plasmatrial.endpoints.adverse_events import derive_adae
from plasmatrial.endpoints.eq5d import derive_param_eq5d
from plasmatrial.endpoints.exposure import derive_adex
from plasmatrial.endpoints.tte import (
    LAST_KNOWN_ALIVE,
    DeathRule,
    censor_source,
    derive_param_dor,
    derive_param_pfs,
    derive_param_tte,
    derive_param_ttnt,
    derive_param_ttr,
    event_source,
)
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.dates import as_date
from plasmatrial.intake.flags import yes_no
from plasmatrial.trial.alive import alive_dates
from plasmatrial.trial.inputs import ResolvedCriteria, resolve_criteria

#: Prior-therapy flags: substring of ``PR.PRTRT`` (upper case) -> ADSL flag.
PRIOR_THERAPY_FLAGS: Final[Mapping[str, str]] = {
    "LENALIDOMIDE": "PRIORLEN",
    "POMALIDOMIDE": "PRIORPOM",
    "THALIDOMIDE": "PRIORTHAL",
    "BORTEZOMIB": "PRIORBOR",
    "IXAZOMIB": "PRIORIXA",
    "CARFILZOMIB": "PRIORCFZ",
    "DARATUMUMAB": "PRIORDARA",
    "MELPHALAN": "PRIORMEL",
    "CYCLOPHOSPHAMIDE": "PRIORCY",
    "AUTOLOGOUS": "PRIORASCT",
    "ASCT": "PRIORASCT",
}
CYCLE_WINDOW_DAYS: Final = 14


def response_spec(trial: Trial) -> ResponseSpec:
    """The response the rule set of the trial's ``criteria`` carries (decision 0260)."""
    return resolve_criteria(trial).response


def time_origin(dm: pl.DataFrame, ex: pl.DataFrame | None) -> pl.DataFrame:
    """``USUBJID, STARTDT``: the time origin of every DM subject (criteria.md 6.1).

    Randomisation date (DM ``RANDDTC``) when given, else first dose (DM ``RFSTDTC``, else the
    earliest EX ``EXSTDTC``). ``respond`` and ``run`` both count days from it.
    """
    from plasmatrial.intake import first_dose_dates

    fdt = first_dose_dates(dm, ex).rename({"FDT": "STARTDT"})
    if "RANDDTC" in dm.columns:
        rand = dm.select(pl.col("USUBJID").cast(pl.Utf8), as_date(dm, "RANDDTC").alias("_R"))
        fdt = (
            fdt.join(rand.unique("USUBJID", keep="first"), on="USUBJID", how="left")
            .with_columns(pl.coalesce("_R", "STARTDT").alias("STARTDT"))
            .drop("_R")
        )
    return fdt


def assign_arms(dm: pl.DataFrame, trial: Trial) -> pl.DataFrame:
    """Add ``ARMCD`` (the trial's arm code) and set ``ARM`` to the arm name.

    A DM subject matches an arm when ``ARMCD`` equals the code or ``ARM`` equals the code or name
    (case-insensitive). In a single-arm trial every assigned subject takes the arm. Screen
    failures / not-assigned keep their ``ARM`` and get a null ``ARMCD``.

    Raises
    ------
    PlasmatrialError
        A DM arm that matches no arm of the trial.
    """
    lookup: dict[str, str] = {}
    for a in trial.arms:
        lookup[a.code.upper()] = a.code
        lookup[a.name.upper()] = a.code
    names = {a.code: a.name for a in trial.arms}
    arm_src = "ARMCD" if "ARMCD" in dm.columns else ("ARM" if "ARM" in dm.columns else None)
    not_assigned = ("SCREEN FAILURE", "NOT ASSIGNED", "NOT TREATED", "")
    if arm_src is None:
        if len(trial.arms) != 1:
            raise PlasmatrialError(f"DM lacks ARM/ARMCD; trial {trial.id} has several arms")
        codes: list[str | None] = [trial.arms[0].code] * dm.height
    else:
        raw = [None if v is None else str(v).strip().upper() for v in dm[arm_src].to_list()]
        if "ARM" in dm.columns and arm_src == "ARMCD":
            alt = [None if v is None else str(v).strip().upper() for v in dm["ARM"].to_list()]
        else:
            alt = raw
        codes = []
        unknown: set[str] = set()
        for r, alt_r in zip(raw, alt, strict=True):
            if r is None or r in not_assigned:
                codes.append(None)
            elif r in lookup:
                codes.append(lookup[r])
            elif alt_r is not None and alt_r in lookup:
                codes.append(lookup[alt_r])
            elif len(trial.arms) == 1:
                codes.append(trial.arms[0].code)
            else:
                unknown.add(r)
                codes.append(None)
        if unknown:
            raise PlasmatrialError(
                f"DM {arm_src}: {', '.join(sorted(unknown))} match no arm of trial {trial.id} "
                f"(arms: {', '.join(a.code for a in trial.arms)})"
            )
    code_s = pl.Series("ARMCD", codes, dtype=pl.Utf8)
    old_arm = dm["ARM"].cast(pl.Utf8) if "ARM" in dm.columns else pl.Series([None] * dm.height)
    arm = [
        names[c] if c is not None else (o if o is not None else "NOT ASSIGNED")
        for c, o in zip(codes, old_arm.to_list(), strict=True)
    ]
    return dm.with_columns(code_s, pl.Series("ARM", arm, dtype=pl.Utf8))


def prior_therapy_flags(pr: pl.DataFrame | None, subjects: Sequence[str]) -> pl.DataFrame:
    """``Y``/``N`` flags per prior drug class (:data:`PRIOR_THERAPY_FLAGS`) and ``NPRLINES``.

    The drug is ``DRUG`` (the prior-therapy contract of :mod:`plasmatrial.criteria.mm.refractory`)
    or, in SDTM-style files, ``PRTRT``. ``NPRLINES`` counts distinct regimens (``REGID``, or
    ``PRLNKGRP``) when such a column exists, else distinct drugs. Without PR every flag is absent
    (only ``USUBJID``).
    """
    base = pl.DataFrame({"USUBJID": list(subjects)}, schema={"USUBJID": pl.Utf8})
    if pr is None:
        return base
    drug_col = next((c for c in ("DRUG", "PRTRT") if c in pr.columns), None)
    if drug_col is None:
        raise PlasmatrialError(f"PR: needs a DRUG (or PRTRT) column; found {', '.join(pr.columns)}")
    p = pr.with_columns(pl.col(drug_col).cast(pl.Utf8).str.to_uppercase().alias("_T"))
    flags = []
    for flag in dict.fromkeys(PRIOR_THERAPY_FLAGS.values()):
        if flag in flags:
            continue
        needles = [k for k, v in PRIOR_THERAPY_FLAGS.items() if v == flag]
        hit = p.filter(
            pl.any_horizontal([pl.col("_T").str.contains(n, literal=True) for n in needles])
        )
        ids = hit["USUBJID"].unique().to_list()
        base = base.with_columns(
            pl.when(pl.col("USUBJID").is_in(ids))
            .then(pl.lit("Y"))
            .otherwise(pl.lit("N"))
            .alias(flag)
        )
        flags.append(flag)
    line_col = next((c for c in ("REGID", "PRLNKGRP") if c in pr.columns), drug_col)
    lines = p.group_by("USUBJID").agg(pl.col(line_col).n_unique().cast(pl.Int64).alias("NPRLINES"))
    return base.join(lines, on="USUBJID", how="left").with_columns(pl.col("NPRLINES").fill_null(0))


def crossover_dates(ex: pl.DataFrame | None, arms: pl.DataFrame, trial: Trial) -> pl.DataFrame:
    """First dose of the crossover regimen (``CROSSDT``) of subjects who switched.

    A subject of an arm with ``crossover_to`` switched when EX holds a dose of a drug of the
    target arm's regimen that is not in the subject's own regimen (in MM-003, pomalidomide for
    a high-dose dexamethasone patient); ``CROSSDT`` is the first such ``EXSTDTC``.

    Parameters
    ----------
    ex:
        SDTM EX (``USUBJID``, ``EXTRT``, ``EXSTDTC``); None gives no switches.
    arms:
        ``USUBJID``, ``ARMCD`` (:func:`assign_arms`).
    trial:
        Trial definition (arms, regimens, ``crossover_to``).

    Returns
    -------
    polars.DataFrame
        ``USUBJID``, ``CROSSDT`` (Date), one row per subject who switched.
    """
    schema = {"USUBJID": pl.Utf8, "CROSSDT": pl.Date}
    by_code = {a.code: a for a in trial.arms}
    pairs = []
    for arm in trial.arms:
        if arm.crossover_to is None:
            continue
        own = {r.drug.upper() for r in arm.regimen}
        new = {r.drug.upper() for r in by_code[arm.crossover_to].regimen} - own
        pairs += [(arm.code, drug) for drug in sorted(new)]
    if ex is None or not pairs or ex.is_empty():
        return pl.DataFrame(schema=schema)
    switch = pl.DataFrame(pairs, schema={"ARMCD": pl.Utf8, "_DRUG": pl.Utf8}, orient="row")
    doses = ex.select(
        "USUBJID",
        pl.col("EXTRT").cast(pl.Utf8).str.to_uppercase().alias("_DRUG"),
        as_date(ex, "EXSTDTC").alias("CROSSDT"),
    )
    return (
        arms.select("USUBJID", "ARMCD")
        .join(switch, on="ARMCD")
        .join(doses, on=["USUBJID", "_DRUG"])
        .group_by("USUBJID")
        .agg(pl.col("CROSSDT").min())
        .filter(pl.col("CROSSDT").is_not_null())
        .sort("USUBJID")
    )


def derive_trial_adsl(
    trial: Trial,
    dm: pl.DataFrame,
    ex: pl.DataFrame | None,
    assessments: pl.DataFrame,
    criteria: ResolvedCriteria,
    *,
    ds: pl.DataFrame | None = None,
    pr: pl.DataFrame | None = None,
    cm: pl.DataFrame | None = None,
    post_baseline: pl.DataFrame | None = None,
    ae: pl.DataFrame | None = None,
    qs: pl.DataFrame | None = None,
    rs: pl.DataFrame | None = None,
    sv: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """ADSL for a trial: populations, arms, dates, baseline characteristics, stage, prior therapy.

    Parameters
    ----------
    trial:
        The trial definition (arms).
    dm, ex:
        SDTM DM and EX (``ex`` may be None: no one is in the safety population).
    assessments:
        Wide assessment frame (intake) for stage and evaluability.
    criteria:
        The resolved rule set.
    ds, pr, cm:
        Optional disposition, prior therapy and subsequent therapy (``CMSTDTC`` gives
        ``NACTDT``).
    post_baseline:
        ADRS rows (``USUBJID``, ``ADT``, ``ABLFL``, ``AVALC``): last contact, and at least one
        evaluable post-baseline assessment for ``EFFFL``.
    ae, qs, rs, sv:
        Optional adverse events, questionnaires, investigator responses and subject visits:
        dates the subject was documented alive (:func:`alive_dates`).

    Returns
    -------
    polars.DataFrame
        :func:`plasmatrial.endpoints.adsl.derive_adsl` output (``LSTALVDT`` / ``LSTALVSRC``
        from every domain, sap.md 3) plus ``ARMCD``, ``STARTDT``,
        ``EFFFL``, ``HEMEVAL``, ``BASEDFLC``, stage columns (``MAYO2012`` ...), prior-therapy
        flags, ``NPRLINES``, ``DCAEFL`` (discontinued treatment for an adverse event), any
        DM variable an endpoint names as a subgroup or stratum and, in a trial with crossover,
        ``CROSSDT`` (:func:`crossover_dates`).
    """
    dm2 = assign_arms(dm, trial)
    if "AGE" in dm2.columns:
        dm2 = dm2.with_columns(pl.col("AGE").cast(pl.Float64, strict=False))
    ex_frame = (
        ex
        if ex is not None
        else pl.DataFrame(schema={"USUBJID": pl.Utf8, "EXDOSE": pl.Float64, "EXSTDTC": pl.Utf8})
    )
    contact = alive_dates(
        assessments, post_baseline=post_baseline, ds=ds, ae=ae, qs=qs, rs=rs, sv=sv
    )
    adsl = derive_adsl(dm2, ex_frame, dataset_ds=ds, dataset_last_contact=contact)
    adsl = adsl.with_columns(pl.col("RANDDT").alias("STARTDT"))
    if cm is not None:
        nact = first_new_therapy(cm, adsl, trial.analysis.new_therapy_categories)
        adsl = adsl.drop("NACTDT").join(nact, on="USUBJID", how="left")
    # Baseline disease characteristics: what the rule set's response carries.
    response = criteria.response
    if response.evaluability is not None:
        ev = evaluability(assessments, criteria.rule_set)
        marker = response.marker.name if response.marker is not None else None
        keep = ["USUBJID", *[c for c in (response.evaluability, marker) if c in ev.columns]]
        ev = ev.select(keep).rename({marker: f"BASE{marker}"} if marker in ev.columns else {})
        adsl = adsl.join(ev, on="USUBJID", how="left")
    if response.staging is not None:
        st = stage(assessments, response.staging)
        if st.height:
            wide = st.pivot(
                on="PARAMCD", index="USUBJID", values="AVALC", aggregate_function="first"
            )
            adsl = adsl.join(wide, on="USUBJID", how="left")
    adsl = adsl.join(best_pct_change(response, assessments, adsl), on="USUBJID", how="left")
    evaluable_ids: list[str] = []
    if post_baseline is not None:
        post = post_baseline.filter(
            (pl.col("ABLFL") != "Y") & pl.col("AVALC").is_not_null() & (pl.col("AVALC") != "NE")
        )
        evaluable_ids = post["USUBJID"].unique().to_list()
    eval_class = response.evaluability
    if eval_class is not None and eval_class in adsl.columns:
        measurable = adsl.filter(pl.col(eval_class).is_not_null() & (pl.col(eval_class) != "NE"))
        evaluable_ids = [s for s in evaluable_ids if s in set(measurable["USUBJID"].to_list())]
    adsl = derive_var_evaluable(adsl, evaluable_ids)
    prior = prior_therapy_flags(pr, adsl["USUBJID"].to_list())
    # Flags derived from the prior-therapy records replace same-named DM variables (a
    # delivered PRIORLEN, NPRLINES ...): one source per variable, the one with the records.
    same = [c for c in prior.columns if c != "USUBJID" and c in adsl.columns]
    adsl = adsl.drop(same).join(prior, on="USUBJID", how="left")
    # DM variables the trial file names as subgroups or strata (e.g. a cohort flag) that no
    # derivation above produced are carried from DM as delivered.
    wanted = dict.fromkeys(v for ep in trial.endpoints for v in (*ep.subgroups, *ep.strata))
    carry = [v for v in wanted if v in dm.columns and v not in adsl.columns]
    if carry:
        adsl = adsl.join(dm.select("USUBJID", *carry).unique("USUBJID"), on="USUBJID", how="left")
    if any(a.crossover_to for a in trial.arms):
        xo = crossover_dates(ex, adsl.select("USUBJID", "ARMCD"), trial)
        adsl = adsl.join(xo, on="USUBJID", how="left")
    dcae = pl.col("DCTREAS").fill_null("").str.to_uppercase() == "ADVERSE EVENT"
    return adsl.with_columns(
        pl.when(dcae).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("DCAEFL")
    ).sort("USUBJID")


def new_therapy_dates(cm: pl.DataFrame, categories: Sequence[str]) -> pl.DataFrame:
    """Start dates of new anticancer therapy (``USUBJID, NACTDT``) from CM.

    When CM has ``CMCAT``, only records whose category (case-insensitive) is one of
    ``categories`` count (trial-file ``analysis.new_therapy_categories``; a concomitant
    medication is not a new therapy); without ``CMCAT`` every record counts (the CM contract of
    ``docs/decisions/0730-trial-pipeline.md``: subsequent therapy). Records that start before
    first dose are removed later by the origin check of :func:`derive_trial_adsl`'s caller.
    """
    rows = cm
    if "CMCAT" in cm.columns:
        wanted = [c.upper() for c in categories]
        rows = cm.filter(
            pl.col("CMCAT").cast(pl.Utf8).str.strip_chars().str.to_uppercase().is_in(wanted)
        )
    return rows.select(pl.col("USUBJID").cast(pl.Utf8), as_date(rows, "CMSTDTC").alias("NACTDT"))


def first_new_therapy(
    cm: pl.DataFrame, origin: pl.DataFrame, categories: Sequence[str]
) -> pl.DataFrame:
    """``USUBJID, NACTDT``: the earliest new anticancer therapy after each subject's time origin.

    ``origin`` has ``USUBJID`` and ``STARTDT``; CM records on or before it are prior therapy,
    not new therapy. :func:`new_therapy_dates` decides which records are anticancer therapy.
    ``run`` (ADSL) and ``respond`` both take ``NACTDT`` from here.
    """
    return (
        new_therapy_dates(cm, categories)
        .join(origin.select("USUBJID", "STARTDT"), on="USUBJID", how="inner")
        .filter(pl.col("NACTDT") > pl.col("STARTDT"))
        .group_by("USUBJID")
        .agg(pl.col("NACTDT").min())
    )


def best_pct_change(
    response: ResponseSpec, assessments: pl.DataFrame, adsl: pl.DataFrame
) -> pl.DataFrame:
    """Best (lowest) post-baseline percentage change of the rule set's marker per subject.

    The marker is the response's :class:`~plasmatrial.criteria.core.scale.PctChangeMarker` (AL: dFLC
    = involved - uninvolved FLC, the involved chain from ADSL ``INVLC``, i.e. given or inferred
    from the baseline ratio; IMWG: serum M-protein ``SPEPMP``). Returns ``USUBJID, BESTPCHG,
    PCHGPARM``; subjects with a baseline of 0 or none get null; no rows without the marker's
    columns.
    """
    empty = pl.DataFrame(schema={"USUBJID": pl.Utf8, "BESTPCHG": pl.Float64, "PCHGPARM": pl.Utf8})
    m = response.marker
    a = assessments
    if (
        m is None
        or not set(m.subject_columns) <= set(adsl.columns)
        or not set(m.columns) <= set(a.columns)
    ):
        return empty
    if m.subject_columns:
        a = a.drop(m.subject_columns, strict=False).join(
            adsl.select("USUBJID", *m.subject_columns), on="USUBJID", how="left"
        )
    marker, name = m.build(), m.name
    base_flag = yes_no(a, "ABLFL").fill_null(value=False)
    a = a.select("USUBJID", base_flag.alias("_B"), marker.cast(pl.Float64).alias("_M"))
    base = a.filter(pl.col("_B")).group_by("USUBJID").agg(pl.col("_M").first().alias("_BASE"))
    post = a.filter(~pl.col("_B")).group_by("USUBJID").agg(pl.col("_M").min().alias("_MIN"))
    out = base.join(post, on="USUBJID", how="left").with_columns(
        pl.when(pl.col("_BASE") > 0)
        .then(100 * (pl.col("_MIN") - pl.col("_BASE")) / pl.col("_BASE"))
        .otherwise(None)
        .alias("BESTPCHG"),
        pl.lit(name).alias("PCHGPARM"),
    )
    return out.select("USUBJID", "BESTPCHG", "PCHGPARM")


def derive_adrs(
    trial: Trial,
    assessments: pl.DataFrame,
    criteria: ResolvedCriteria,
    *,
    first_dose: pl.DataFrame,
) -> pl.DataFrame:
    """ADRS: baseline row + per-visit calls of every emitted parameter, with flags.

    Parameters
    ----------
    trial:
        Trial.
    assessments:
        Wide assessment frame.
    criteria:
        Resolved rule set and options (its response names the overall response parameter).
    first_dose:
        ``USUBJID``, ``STARTDT`` (time origin).

    Returns
    -------
    polars.DataFrame
        ``USUBJID, PARAMCD, VISIT, VISITNUM, ADT, ADY (days from STARTDT + 1), AVALC, ABLFL,
        PDFL, CONFFL, RULEID, RULESET, RULESETVER, EXPLAIN``.
    """
    opts: dict[str, str | float | bool] = dict(criteria.options)
    calls = adjudicate(assessments, criteria.rule_set, **opts)  # type: ignore[arg-type]
    calls = calls.select(
        "USUBJID",
        "PARAMCD",
        "VISIT",
        pl.col("VISITNUM").cast(pl.Float64),
        pl.col("ADT").cast(pl.Date),
        "AVALC",
        pl.lit("N").alias("ABLFL"),
        pl.lit("N").alias("CONFFL"),  # per-visit calls; annotate_adrs sets confirmed ones
        "RULEID",
        "RULESET",
        "RULESETVER",
        "EXPLAIN",
    )
    param = criteria.response.parameter
    base = (
        assessments.filter(yes_no(assessments, "ABLFL").fill_null(value=False))
        .select(
            "USUBJID",
            pl.lit(param).alias("PARAMCD"),
            pl.col("VISIT").cast(pl.Utf8),
            pl.col("VISITNUM").cast(pl.Float64),
            pl.col("ADT").cast(pl.Date),
            pl.lit("BASELINE").alias("AVALC"),
            pl.lit("Y").alias("ABLFL"),
            pl.lit("N").alias("CONFFL"),
            pl.lit(None, dtype=pl.Utf8).alias("RULEID"),
            pl.lit(criteria.rule_set.name).alias("RULESET"),
            pl.lit(criteria.rule_set.version).alias("RULESETVER"),
            pl.lit("baseline assessment").alias("EXPLAIN"),
        )
        .unique("USUBJID", keep="first", maintain_order=True)
    )
    out = pl.concat([base, calls], how="vertical_relaxed")
    out = out.join(first_dose.select("USUBJID", "STARTDT"), on="USUBJID", how="left")
    out = out.with_columns(
        ((pl.col("ADT") - pl.col("STARTDT")).dt.total_days() + 1).alias("ADY"),
        pl.when(pl.col("AVALC").is_in(list(criteria.response.progression)))
        .then(pl.lit("Y"))
        .otherwise(pl.lit("N"))
        .alias("PDFL"),
        pl.when(pl.col("AVALC").is_null() | pl.col("AVALC").is_in(["NE", "BASELINE"]))
        .then(pl.lit("N"))
        .otherwise(pl.lit("Y"))
        .alias("ADEQFL"),
    ).drop("STARTDT")
    return out.sort("USUBJID", "PARAMCD", "ADT", "ABLFL", descending=[False, False, False, True])


def response_param(trial: Trial) -> str:
    """The per-visit overall response parameter of the trial's rule set."""
    return response_spec(trial).parameter


def derive_response(
    trial: Trial, adrs: pl.DataFrame, adsl: pl.DataFrame, *, responder: Sequence[str]
) -> ResponseSummary:
    """Best overall response, first response and time to response of every ADSL subject.

    The one derivation of :func:`plasmatrial.criteria.core.summary.summarise_response`, with the
    trial file's ``analysis`` options: assessments before new anticancer therapy (ADSL
    ``NACTDT``) and up to the first progression count; myeloma responses are confirmed
    (criteria.md 4.4) unless ``analysis.confirm`` says otherwise; every ADSL subject gets a row
    (BOR = NE without an assessment).
    """
    opts = trial.analysis
    response = response_spec(trial)
    param = response.parameter
    visits = adrs.filter((pl.col("PARAMCD") == param) & (pl.col("ABLFL") != "Y")).select(
        "USUBJID", "VISIT", "ADT", "AVALC", "RULEID", "EXPLAIN",
        *[c for c in ("FLAGS",) if c in adrs.columns],
    )  # fmt: skip
    subjects = adsl.select(
        "USUBJID",
        "STARTDT",
        *[c for c in ("NACTDT", "DTHDT", "DTHPDFL") if c in adsl.columns],
    )
    c = opts.confirmation
    return summarise_response(
        visits,
        subjects,
        scale=response.scale,
        responder=tuple(responder),
        confirm=opts.confirm,
        options=ConfirmationOptions(
            min_days=c.min_days, max_ne_between=c.max_ne_between, max_sd_between=c.max_sd_between
        ),
        sd_min_days=opts.sd_min_days,
        exclude_after_new_therapy=opts.new_therapy == "exclude",
    )


def annotate_adrs(trial: Trial, adrs: pl.DataFrame, summary: ResponseSummary) -> pl.DataFrame:
    """Add the best-response view of each visit to ADRS and one ``BOR`` row per subject.

    Per-visit rows of the overall response parameter get ``BORLVL`` (the level best response
    reads: the confirmed level in myeloma), ``ANL01FL`` ("Y" when the visit counts for best
    response) and, under confirmation, ``CONFFL``; a myeloma PD that the next assessment refutes
    (criteria.md 4.4 step 6) loses ``PDFL``. ``BOR`` rows (``PARAMCD = "BOR"``) carry the best
    overall response of every subject with its date and explanation.
    """
    scale = response_spec(trial).scale
    param = response_param(trial)
    cols = ["USUBJID", "ADT", "BORLVL", "ANL01FL"]
    confirmed = "CONFLVL" in summary.visits.columns
    if confirmed:
        cols += ["CONFFL"]
    per_visit = (
        summary.visits.select(cols)
        .rename({"CONFFL": "_CONFFL"} if confirmed else {})
        .unique(["USUBJID", "ADT"], keep="first")
    )
    is_param = (pl.col("PARAMCD") == param) & (pl.col("ABLFL") != "Y")
    out = adrs.join(per_visit, on=["USUBJID", "ADT"], how="left").with_columns(
        pl.when(is_param).then(pl.col("BORLVL")).alias("BORLVL"),
        pl.when(is_param).then(pl.col("ANL01FL")).alias("ANL01FL"),
    )
    prog = scale.progression
    if confirmed:
        refuted = is_param & (pl.col("AVALC") == prog) & (pl.col("BORLVL") == "NE")
        out = out.with_columns(
            pl.when(is_param).then(pl.col("_CONFFL").fill_null("N")).otherwise(pl.col("CONFFL"))
            .alias("CONFFL"),
            pl.when(refuted).then(pl.lit("N")).otherwise(pl.col("PDFL")).alias("PDFL"),
        ).drop("_CONFFL")  # fmt: skip
    s = summary.subjects
    bor = s.select(
        "USUBJID",
        pl.lit("BOR").alias("PARAMCD"),
        pl.lit(None, dtype=pl.Utf8).alias("VISIT"),
        pl.lit(None, dtype=pl.Float64).alias("VISITNUM"),
        pl.col("BESTRSDT").alias("ADT"),
        pl.col("BESTRSP").alias("AVALC"),
        pl.lit("N").alias("ABLFL"),
        pl.lit("Y" if confirmed else "N").alias("CONFFL"),
        pl.lit(None, dtype=pl.Utf8).alias("RULEID"),
        pl.col("BESTEXPL").alias("EXPLAIN"),
        ((pl.col("BESTRSDT") - pl.col("STARTDT")).dt.total_days() + 1).alias("ADY"),
        pl.when(pl.col("BESTRSP") == prog).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("PDFL"),
        pl.when(pl.col("BESTRSP") == "NE").then(pl.lit("N")).otherwise(pl.lit("Y")).alias("ADEQFL"),
    ).join(
        adrs.select("USUBJID", "RULESET", "RULESETVER", *(["ARMCD"] if "ARMCD" in adrs.columns else []))
        .unique("USUBJID", keep="first"),
        on="USUBJID",
        how="left",
    )  # fmt: skip
    if bor["RULESET"].null_count():
        rs_name = adrs["RULESET"].drop_nulls()
        bor = bor.with_columns(
            pl.col("RULESET").fill_null(rs_name[0] if rs_name.len() else None),
            pl.col("RULESETVER").fill_null(
                adrs["RULESETVER"].drop_nulls()[0] if rs_name.len() else None
            ),
        )
    return pl.concat([out, bor], how="diagonal_relaxed").sort(
        "USUBJID", "PARAMCD", "ADT", "ABLFL", descending=[False, False, False, True],
        nulls_last=True,
    )  # fmt: skip


def response_at_cycle(
    adrs: pl.DataFrame, adsl: pl.DataFrame, trial: Trial, cycle: int
) -> pl.DataFrame:
    """Best response reached by the end of ``cycle`` per ADSL subject (``USUBJID, AVALC``).

    sap.md section 2: the best response among the assessments that count for best response
    (``ANL01FL``/``BORLVL`` of :func:`annotate_adrs` when present: before new therapy, up to the
    first progression, confirmed in myeloma) with ``ADY <= cycle x cycle_days + 14``; the
    progression when nothing better than NE precedes it; NE (a non-responder) for subjects with
    no such assessment, e.g. off study before the landmark.
    """
    limit = cycle * trial.schedule.cycle_days + CYCLE_WINDOW_DAYS
    response = response_spec(trial)
    param, scale = response.parameter, response.scale
    rows = adrs.filter(
        (pl.col("PARAMCD") == param) & (pl.col("ABLFL") != "Y") & (pl.col("ADY") <= limit)
    ).sort("USUBJID", "ADT")
    if "ANL01FL" in rows.columns and "BORLVL" in rows.columns:
        rows = rows.filter(pl.col("ANL01FL") == "Y").with_columns(pl.col("BORLVL").alias("_L"))
    else:  # plain calls: the window ends at the first progression
        npd = (pl.col("PDFL") == "Y").cast(pl.Int32).cum_sum().over("USUBJID")
        rows = rows.filter((npd == 0) | ((npd == 1) & (pl.col("PDFL") == "Y"))).with_columns(
            pl.when(pl.col("PDFL") == "Y")
            .then(pl.lit(scale.progression))
            .otherwise(pl.col("AVALC"))
            .alias("_L")
        )
    rank = {c: i for i, c in enumerate(scale.ranking)}
    best = (
        rows.filter(pl.col("_L").is_in(list(scale.ranking)))
        .with_columns(pl.col("_L").replace_strict(rank, return_dtype=pl.Int32).alias("_R"))
        .group_by("USUBJID")
        .agg(pl.col("_L").sort_by("_R").first().alias("_BEST"))
    )
    prog = rows.filter(pl.col("_L") == scale.progression).select("USUBJID").unique()
    return (
        adsl.select("USUBJID")
        .join(best, on="USUBJID", how="left")
        .join(prog.with_columns(pl.lit(value=True).alias("_PD")), on="USUBJID", how="left")
        .select(
            "USUBJID",
            pl.when(pl.col("_BEST").is_not_null())
            .then(pl.col("_BEST"))
            .when(pl.col("_PD").fill_null(value=False))
            .then(pl.lit(scale.progression))
            .otherwise(pl.lit("NE"))
            .alias("AVALC"),
        )
    )


def derive_adtte(
    trial: Trial,
    adsl: pl.DataFrame,
    adrs: pl.DataFrame,
    *,
    summary: ResponseSummary,
) -> pl.DataFrame:
    """ADTTE: OS, PFS, TTP, DOR, TTR and time to organ responses (AVAL in days).

    Notes
    -----
    * OS: death (``DTHDT``) is the event, otherwise censored at ``LSTALVDT``.
    * PFS: :func:`plasmatrial.endpoints.tte.derive_param_pfs` with ``PDFL`` progression and the
      6.2 rules; the missed-assessment rule (C3) uses the follow-up interval
      (``followup_every_months``) as the scheduled interval, the longer of the two schedules.
    * TTP: PFS without death as event.
    * DOR: from the first response counted for best response (``summary``: before
      progression and new therapy, confirmed in myeloma) to the PFS event, death censored
      (IMWG).
    * TTR: ``summary``'s time to response: the first response is the event; progression or
      death before response end the row with ``CNSR = 1`` and ``EVNTDESC`` naming the competing
      event (sap.md section 3 (b)); others are censored at the last adequate assessment before
      new therapy.
    * TTCARDR / TTRENR: first organ response (``CarR`` / ``RenR``) among organ-evaluable
      subjects.
    * TTNT (when a next-treatment date is known for someone): start of the next line; deaths
      count as events per the ``ttnt_death`` option of the trial's TTNT endpoint
      (:func:`ttnt_death_rule`).
    * PARAM of PFS is the rule set's (AL: hematologic PFS, progression is hematologic).
    """
    response = response_spec(trial)
    param = response.parameter
    hem = adrs.filter(pl.col("PARAMCD") == param)
    start = adsl.filter(pl.col("ITTFL") == "Y")
    first_rsp = summary.subjects.select("USUBJID", "FRSPDT")
    interval = round(trial.schedule.followup_every_months * 365.25 / 12)
    interval = max(interval, trial.schedule.cycle_days * trial.schedule.assess_every_cycles)
    prog = pl.col("PDFL") == "Y"
    pfs_opts: dict[str, object] = {
        "progression": prog,
        "adequate": pl.col("ADEQFL") == "Y",
        "assessment_interval_days": interval,
    }
    parts = []
    os_ = derive_param_tte(
        start,
        start_date="STARTDT",
        event_conditions=[event_source("adsl", date="DTHDT", set_values_to={"EVNTDESC": "DEATH"})],
        censor_conditions=[
            censor_source("adsl", date="LSTALVDT", set_values_to={"EVNTDESC": LAST_KNOWN_ALIVE})
        ],
        source_datasets={"adsl": start},
        set_values_to={"PARAMCD": "OS", "PARAM": "Overall survival"},
    )
    # Censored OS rows name the source(s) of the last alive date (ADSL LSTALVSRC, sap.md 3).
    alive_src = pl.col("LSTALVSRC") if "LSTALVSRC" in start.columns else pl.lit("ADSL.LSTALVDT")
    first_src = pl.col("_SRC").str.split(", ").list.first().str.splitn(".", 2)
    censored = pl.col("CNSR") == 1
    os_ = (
        os_.join(start.select("USUBJID", alive_src.alias("_SRC")), on="USUBJID", how="left")
        .with_columns(
            pl.when(censored)
            .then(pl.format(LAST_KNOWN_ALIVE + " ({})", "_SRC"))
            .otherwise(None)
            .alias("CNSDTDSC"),
            pl.when(censored)
            .then(first_src.struct.field("field_0"))
            .otherwise(pl.lit("ADSL"))
            .alias("SRCDOM"),
            pl.when(censored)
            .then(first_src.struct.field("field_1"))
            .otherwise(pl.lit("DTHDT"))
            .alias("SRCVAR"),
        )
        .drop("_SRC")
    )
    parts.append(os_)
    pfs_label = response.pfs_label
    parts.append(
        derive_param_pfs(start, hem, param=pfs_label, **pfs_opts)  # type: ignore[arg-type]
    )
    parts.append(
        derive_param_pfs(
            start,
            hem,
            include_death=False,
            paramcd="TTP",
            param="Time to progression",
            **pfs_opts,  # type: ignore[arg-type]
        )
    )
    hem_rsp = hem.join(first_rsp, on="USUBJID", how="left")
    resp = (pl.col("ADT") == pl.col("FRSPDT")).fill_null(value=False)
    parts.append(
        derive_param_dor(start, hem_rsp, response=resp, **pfs_opts)  # type: ignore[arg-type]
    )
    parts.append(_ttr_rows(start, summary))
    if "NACTDT" in start.columns and start["NACTDT"].null_count() < start.height:
        parts.append(derive_param_ttnt(start, death=ttnt_death_rule(trial)))
    for organ in response.organs:
        pcd, cat = organ.paramcd, organ.category
        rows = adrs.filter(pl.col("PARAMCD") == pcd)
        if rows.is_empty():
            continue
        ok = rows.filter(pl.col("ADEQFL") == "Y")["USUBJID"].unique().to_list()
        ttr = derive_param_ttr(
            start.filter(pl.col("USUBJID").is_in(ok)), rows, response=pl.col("AVALC") == cat
        ).with_columns(
            pl.lit(f"TT{pcd[:3]}R").alias("PARAMCD"),
            pl.lit(f"Time to {organ.organ} response").alias("PARAM"),
        )
        parts.append(ttr)
    cols = ["USUBJID", "PARAMCD", "PARAM", "STARTDT", "ADT", "AVAL", "AVALU", "CNSR", "EVNTDESC"]
    frames = []
    for p in parts:
        rule = pl.col("CNSRRULE") if "CNSRRULE" in p.columns else pl.lit(None, dtype=pl.Utf8)
        frames.append(
            p.select(
                *cols[:-2],
                pl.col("CNSR").cast(pl.Int8),
                pl.col("EVNTDESC").cast(pl.Utf8),
                rule.cast(pl.Utf8).alias("CNSRRULE"),
                *[
                    (pl.col(c) if c in p.columns else pl.lit(None)).cast(pl.Utf8).alias(c)
                    for c in ("CNSDTDSC", "SRCDOM", "SRCVAR")
                ],
            )
        )
    out = pl.concat(frames, how="vertical_relaxed")
    arm = adsl.select("USUBJID", "ARMCD", "ARM")
    return out.join(arm, on="USUBJID", how="left").sort("PARAMCD", "USUBJID")


def _ttr_rows(start: pl.DataFrame, summary: ResponseSummary) -> pl.DataFrame:
    """ADTTE ``TTR`` rows of the ITT subjects from the subject-level response summary."""
    s = start.select("USUBJID").join(summary.subjects, on="USUBJID", how="left")
    return s.select(
        "USUBJID",
        pl.lit("TTR").alias("PARAMCD"),
        pl.lit("Time to response").alias("PARAM"),
        "STARTDT",
        pl.col("TTRDT").alias("ADT"),
        "TTR",
        pl.lit("DAYS").alias("AVALU"),
        pl.col("TTRCNSR").alias("CNSR"),
        pl.col("TTREVNT").alias("EVNTDESC"),
    ).rename({"TTR": "AVAL"})


def ttnt_death_rule(trial: Trial) -> DeathRule:
    """``options.ttnt_death`` of the trial's TTNT endpoint (``any``/``due_to_pd``/``none``)."""
    for ep in trial.endpoints:
        if isinstance(ep.options, TimeToEventOptions) and ep.options.ttnt_death is not None:
            return ep.options.ttnt_death
    return "none"


def derive_trial_adex(
    trial: Trial, ex: pl.DataFrame | None, adsl: pl.DataFrame, ds: pl.DataFrame | None
) -> pl.DataFrame | None:
    """ADEX per arm with that arm's planned regimen (None without EX)."""
    if ex is None or ex.is_empty():
        return None
    parts = []
    arms = adsl.select("USUBJID", "ARMCD", "ARM")
    ex_arm = ex.join(arms, on="USUBJID", how="inner")
    for a in trial.arms:
        sub = ex_arm.filter(pl.col("ARMCD") == a.code).drop("ARMCD", "ARM")
        if sub.is_empty():
            continue
        planned = [d.planned() for d in a.regimen]
        parts.append(
            derive_adex(sub, planned=planned, dataset_ds=ds).with_columns(
                pl.lit(a.code).alias("ARMCD"), pl.lit(a.name).alias("ARM")
            )
        )
    if not parts:
        return None
    return pl.concat(parts, how="vertical_relaxed")


def derive_trial_adae(ae: pl.DataFrame | None, adsl: pl.DataFrame) -> pl.DataFrame | None:
    """ADAE (treatment-emergent flag, numeric grade) or None without AE."""
    if ae is None:
        return None
    ae2 = ae
    for col, default in (("AESER", "N"), ("AEACN", "")):
        if col not in ae2.columns:
            ae2 = ae2.with_columns(pl.lit(default).alias(col))
    return derive_adae(
        ae2, adsl.filter(pl.col("SAFFL") == "Y"), adsl_vars=("ARM", "ARMCD", "SAFFL")
    )


#: LB test codes graded by CTCAE (the others are dropped from ADLB).
CTCAE_GRADED_CODES: Final = ("HGB", "NEUT", "PLAT", "WBC", "LYM", "CREAT", "CACORR")
#: On-treatment lab window: after first dose up to this many days after the last dose (sap.md 4).
LAB_POST_DOSE_DAYS: Final = 30


def derive_adlb_grades(lb: pl.DataFrame, adsl: pl.DataFrame) -> pl.DataFrame:
    """CTCAE v5 grades of the baseline and on-treatment lab results of CTCAE terms.

    ``lb`` is the standardised LB of intake (``LBTESTCD``, ``AVAL``, ``AVALU``, ``ANRLO``,
    ``ANRHI``, ``ADT``; ``SRCROW`` when present orders same-day results).

    Returns
    -------
    polars.DataFrame
        One row per graded result: the LB columns plus ``ARMCD``, ``TRTSDT``, ``TRTEDT``,
        ``BASE`` / ``BASEDT`` (baseline value of the test and its date), ``ABLFL`` (``Y`` on the
        baseline record), ``ONTRTFL`` (``Y`` on on-treatment records) and the grading columns of
        :func:`plasmatrial.criteria.ctcae.derive_var_atoxgr` (``ATOXGR``, ``ATOXDSC``,
        ``ATOXVER``, ``ATOXRULE``, ``ATOXREAS``).

    Notes
    -----
    1. Baseline (criteria.md 0.1, sap.md 4) = the last result of the test on or before the
       first dose (``TRTSDT``; ties on one date: the later file row).
    2. On treatment = after the first dose and up to ``TRTEDT`` + :data:`LAB_POST_DOSE_DAYS`.
    3. Each result is graded with its own LLN (``ANRLO``), ULN (``ANRHI``) and the subject's
       baseline of the same test (creatinine > 1.5 x baseline). A result whose grade needs a
       missing normal range gets a missing grade with the reason in ``ATOXREAS``.
    4. Subjects without a first dose are not graded (no safety population).
    """
    graded_codes = CTCAE_GRADED_CODES
    sub = lb.filter(pl.col("LBTESTCD").is_in(list(graded_codes)) & pl.col("AVAL").is_not_null())
    if sub.is_empty():
        return pl.DataFrame(
            schema={"USUBJID": pl.Utf8, "ARMCD": pl.Utf8, "ATOXDSC": pl.Utf8, "ATOXGR": pl.Int8}
        )
    for col in ("ANRLO", "ANRHI"):
        if col not in sub.columns:
            sub = sub.with_columns(pl.lit(None, dtype=pl.Float64).alias(col))
    order = "SRCROW" if "SRCROW" in sub.columns else "ADT"
    dates = adsl.select("USUBJID", "ARMCD", "TRTSDT", "TRTEDT")
    sub = (
        sub.join(dates, on="USUBJID", how="inner")
        .filter(pl.col("TRTSDT").is_not_null())
        .with_row_index("_ROW")
    )
    base = (
        sub.filter(pl.col("ADT") <= pl.col("TRTSDT"))
        .sort("USUBJID", "LBTESTCD", "ADT", order)
        .group_by("USUBJID", "LBTESTCD", maintain_order=True)
        .agg(
            pl.col("AVAL").last().alias("BASE"),
            pl.col("ADT").last().alias("BASEDT"),
            pl.col("_ROW").last().alias("_BROW"),
        )
    )
    on_trt = (pl.col("ADT") > pl.col("TRTSDT")) & (
        pl.col("ADT") <= pl.col("TRTEDT") + pl.duration(days=LAB_POST_DOSE_DAYS)
    )
    sub = (
        sub.join(base, on=["USUBJID", "LBTESTCD"], how="left")
        .with_columns(
            pl.when(pl.col("_ROW") == pl.col("_BROW"))
            .then(pl.lit("Y"))
            .otherwise(pl.lit("N"))
            .alias("ABLFL"),
            pl.when(on_trt).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("ONTRTFL"),
        )
        .filter((pl.col("ABLFL") == "Y") | (pl.col("ONTRTFL") == "Y"))
        .drop("_ROW", "_BROW")
    )
    graded = derive_var_atoxgr(
        sub,
        term_col="LBTESTCD",
        value_col="AVAL",
        unit_col="AVALU",
        lln_col="ANRLO",
        uln_col="ANRHI",
        base_col="BASE",
    )
    return graded.filter(pl.col("ATOXDSC").is_not_null())


def derive_adqs(qs: pl.DataFrame | None, adsl: pl.DataFrame) -> pl.DataFrame | None:
    """EQ-5D-5L index (US and England value sets) and VAS per administration, or None."""
    if qs is None:
        return None
    by = ["USUBJID", "VISIT"] if "VISIT" in qs.columns else ["USUBJID", "QSDTC"]
    order = [c for c in ("VISITNUM",) if c in qs.columns]
    parts = []
    for vs in ("US", "England"):
        d = derive_param_eq5d(
            qs,
            dataset_adsl=adsl.select("USUBJID", "TRTSDT") if "QSDTC" in qs.columns else None,
            value_set=vs,
            by_vars=by,
            order=order,
        )
        if vs != "US":
            d = d.filter(pl.col("PARAMCD") == "EQ5DIDX")
        parts.append(
            d.with_columns(
                pl.when(pl.col("PARAMCD") == "EQ5DIDX")
                .then(pl.lit(f"EQ5DI{'US' if vs == 'US' else 'EN'}"))
                .otherwise(pl.col("PARAMCD"))
                .alias("PARAMCD")
            )
        )
    out = pl.concat(parts, how="diagonal_relaxed")
    return out.join(adsl.select("USUBJID", "ARMCD", "ARM"), on="USUBJID", how="left")
