"""Time-to-event parameters (ADTTE) from event and censoring source specifications.

Two layers, after admiral:

* :func:`event_source` / :func:`censor_source` + :func:`derive_param_tte`: the generic mechanism.
  For each subject the earliest qualifying event date wins (``CNSR = 0``); without an event, the
  latest qualifying censoring date is used (``CNSR`` = the source's censor code).
* :func:`derive_param_pfs`: progression-free survival with the ordered censoring rules C1-C7 of
  criteria.md section 6.2 (FDA 2018 guidance example table, applied to myeloma and AL), with the
  sensitivity switches of that section as keyword options. Every row records the rule that decided
  it (``CNSRRULE``).

``AVAL`` is the duration in days from ``STARTDT`` to ``ADT`` counted as ``ADT - STARTDT + 1``
(admiral ``derive_vars_duration(add_one = TRUE)``, SAS convention); ``add_one=False`` gives the
plain difference. Reports divide by :data:`DAYS_PER_MONTH` (30.4375 days a month).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import polars as pl

from plasmatrial.errors import PlasmatrialError

DAYS_PER_MONTH: Final = 365.25 / 12
SUBJECT_KEYS: Final = ("USUBJID",)
#: ``EVNTDESC`` of a row censored at the last date known alive (ADSL ``LSTALVDT``: OS, TTNT);
#: censored OS rows add the sources in ``CNSDTDSC`` (decisions 0504, 0282).
LAST_KNOWN_ALIVE: Final = "LAST KNOWN ALIVE"


@dataclass(frozen=True)
class TTESource:
    """Where an event or censoring date comes from.

    Attributes
    ----------
    dataset_name:
        Key into ``source_datasets`` of :func:`derive_param_tte`.
    date:
        Column holding the date (``pl.Date``).
    filter:
        Polars expression selecting the qualifying records (``None`` = all records).
    censor:
        0 for an event; a positive integer censoring code otherwise.
    set_values_to:
        Constant columns to attach when this source decides a subject (``EVNTDESC``, ``SRCDOM``,
        ``SRCVAR``...).
    """

    dataset_name: str
    date: str
    filter: pl.Expr | None = None
    censor: int = 0
    set_values_to: Mapping[str, str] = field(default_factory=dict)


def event_source(
    dataset_name: str,
    *,
    date: str,
    filter: pl.Expr | None = None,
    set_values_to: Mapping[str, str] | None = None,
) -> TTESource:
    """Specify an event source (``CNSR = 0``): the earliest qualifying date is the event."""
    return TTESource(dataset_name, date, filter, 0, dict(set_values_to or {}))


def censor_source(
    dataset_name: str,
    *,
    date: str,
    filter: pl.Expr | None = None,
    censor: int = 1,
    set_values_to: Mapping[str, str] | None = None,
) -> TTESource:
    """Specify a censoring source: the latest qualifying date censors a subject without an event."""
    if censor < 1:
        raise PlasmatrialError(f"censor_source: censor must be >= 1, got {censor}")
    return TTESource(dataset_name, date, filter, censor, dict(set_values_to or {}))


def _candidates(
    source: TTESource,
    source_datasets: Mapping[str, pl.DataFrame],
    order: int,
    subject_keys: Sequence[str],
) -> pl.DataFrame:
    if source.dataset_name not in source_datasets:
        raise PlasmatrialError(
            f"source dataset '{source.dataset_name}' not given; have {sorted(source_datasets)}"
        )
    data = source_datasets[source.dataset_name]
    missing = [c for c in (*subject_keys, source.date) if c not in data.columns]
    if missing:
        raise PlasmatrialError(
            f"source dataset '{source.dataset_name}' lacks column(s) {', '.join(missing)}"
        )
    if source.filter is not None:
        data = data.filter(source.filter)
    consts = [pl.lit(v, dtype=pl.Utf8).alias(k) for k, v in source.set_values_to.items()]
    return data.select(
        *[pl.col(k) for k in subject_keys],
        pl.col(source.date).cast(pl.Date).alias("ADT"),
        pl.lit(source.censor, dtype=pl.Int8).alias("CNSR"),
        pl.lit(order, dtype=pl.Int32).alias("_ORDER"),
        *consts,
    ).filter(pl.col("ADT").is_not_null())


def derive_param_tte(
    dataset_adsl: pl.DataFrame,
    *,
    start_date: str,
    event_conditions: Sequence[TTESource],
    censor_conditions: Sequence[TTESource],
    source_datasets: Mapping[str, pl.DataFrame],
    set_values_to: Mapping[str, str],
    subject_keys: Sequence[str] = SUBJECT_KEYS,
    add_one: bool = True,
) -> pl.DataFrame:
    """Derive one time-to-event parameter, one row per subject of ``dataset_adsl``.

    Parameters
    ----------
    dataset_adsl:
        Subject-level frame with ``subject_keys`` and ``start_date``.
    start_date:
        Column of ``dataset_adsl`` with the time origin (randomisation or first dose).
    event_conditions, censor_conditions:
        Sources made with :func:`event_source` and :func:`censor_source`.
    source_datasets:
        Frames referred to by the sources' ``dataset_name``.
    set_values_to:
        Constant columns for every row, e.g. ``{"PARAMCD": "OS", "PARAM": "Overall survival"}``.
    subject_keys:
        Columns identifying a subject.
    add_one:
        Count ``AVAL`` as ``ADT - STARTDT + 1`` days (default) or ``ADT - STARTDT``.

    Returns
    -------
    polars.DataFrame
        ``subject_keys``, ``STARTDT``, ``ADT``, ``AVAL`` (days), ``AVALU``, ``CNSR`` and the
        deciding source's ``set_values_to`` columns, plus ``set_values_to``.

    Notes
    -----
    1. Collect every qualifying event date on or after the start date; the earliest wins
       (ties: first listed source).
    2. Subjects without an event take the latest qualifying censoring date on or after the start
       date (ties: first listed source).
    3. Subjects with neither are censored at the start date (``CNSR = 1``, ``EVNTDESC`` = "NO
       ASSESSMENT").

    References
    ----------
    .. [1] admiral ``derive_param_tte()``, pharmaverse.
    """
    if start_date not in dataset_adsl.columns:
        raise PlasmatrialError(f"dataset_adsl lacks the start date column '{start_date}'")
    keys = list(subject_keys)
    adsl = dataset_adsl.select(*keys, pl.col(start_date).cast(pl.Date).alias("STARTDT"))
    events = [_candidates(s, source_datasets, i, keys) for i, s in enumerate(event_conditions)]
    censors = [_candidates(s, source_datasets, i, keys) for i, s in enumerate(censor_conditions)]

    def pick(frames: list[pl.DataFrame], earliest: bool) -> pl.DataFrame | None:
        if not frames:
            return None
        stacked = pl.concat(frames, how="diagonal_relaxed").join(adsl, on=keys, how="inner")
        stacked = stacked.filter(pl.col("ADT") >= pl.col("STARTDT"))
        stacked = stacked.sort(
            [*keys, "ADT", "_ORDER"], descending=[False] * len(keys) + [not earliest, False]
        )
        return stacked.group_by(keys, maintain_order=True).first().drop("STARTDT")

    ev = pick(events, earliest=True)
    ce = pick(censors, earliest=False)
    if ev is not None and ce is not None:
        ce = ce.join(ev.select(keys), on=keys, how="anti")
    decided = [f for f in (ev, ce) if f is not None]
    out = adsl
    if decided:
        out = adsl.join(pl.concat(decided, how="diagonal_relaxed"), on=keys, how="left")
    for name, dtype in (("ADT", pl.Date), ("CNSR", pl.Int8), ("EVNTDESC", pl.Utf8)):
        if name not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=dtype).alias(name))
    no_source = pl.col("ADT").is_null()
    out = out.with_columns(
        pl.when(no_source).then(pl.col("STARTDT")).otherwise(pl.col("ADT")).alias("ADT"),
        pl.when(no_source).then(pl.lit(1, dtype=pl.Int8)).otherwise(pl.col("CNSR")).alias("CNSR"),
        pl.when(no_source)
        .then(pl.lit("NO ASSESSMENT"))
        .otherwise(pl.col("EVNTDESC"))
        .alias("EVNTDESC"),
    )
    out = out.with_columns(
        ((pl.col("ADT") - pl.col("STARTDT")).dt.total_days() + (1 if add_one else 0))
        .cast(pl.Float64)
        .alias("AVAL"),
        pl.lit("DAYS").alias("AVALU"),
        *[pl.lit(v, dtype=pl.Utf8).alias(k) for k, v in set_values_to.items()],
    )
    return out.drop("_ORDER", strict=False)


DeathRule = Literal["any", "due_to_pd", "none"]
#: ``DTHCAUS`` values that mean death due to progressive disease (case-insensitive).
DEATH_DUE_TO_PD: Final = ("PROGRESSIVE DISEASE", "DISEASE PROGRESSION", "PD")


def derive_param_ttnt(
    dataset_adsl: pl.DataFrame,
    *,
    death: DeathRule = "none",
    start_date: str = "STARTDT",
    new_therapy_date: str = "NACTDT",
    death_date: str = "DTHDT",
    death_cause: str = "DTHCAUS",
    last_alive_date: str = "LSTALVDT",
    paramcd: str = "TTNT",
    param: str = "Time to next treatment",
) -> pl.DataFrame:
    """Time to next treatment (criteria.md 6.1 and Q17).

    Parameters
    ----------
    dataset_adsl:
        One row per subject with ``start_date``, ``new_therapy_date`` (start of the next line),
        ``death_date``, ``last_alive_date`` and, for ``death="due_to_pd"``, ``death_cause``.
    death:
        Which deaths are events besides the next line: ``"none"`` (DEFAULT of this function:
        6.1 defines the event as the start of the next line and Q17 marks no default; decision
        0733), ``"any"`` or ``"due_to_pd"`` (``death_cause`` in :data:`DEATH_DUE_TO_PD`).
    paramcd, param:
        Parameter code and label.

    Returns
    -------
    polars.DataFrame
        :func:`derive_param_tte` output: the earliest event (next line, or a counted death),
        else censored at the last date known alive (a death not counted censors at its date).

    Raises
    ------
    PlasmatrialError
        ``death="due_to_pd"`` without a ``death_cause`` column, or an unknown ``death``.
    """
    if death not in ("any", "due_to_pd", "none"):
        raise PlasmatrialError(f"TTNT: death must be any, due_to_pd or none, got '{death}'")
    cols = dataset_adsl.columns
    adsl = dataset_adsl
    for c in (new_therapy_date, death_date):
        if c not in cols:
            adsl = adsl.with_columns(pl.lit(None, dtype=pl.Date).alias(c))
    events = [
        event_source("adsl", date=new_therapy_date, set_values_to={"EVNTDESC": "NEXT TREATMENT"})
    ]
    if death == "any":
        events.append(event_source("adsl", date=death_date, set_values_to={"EVNTDESC": "DEATH"}))
    elif death == "due_to_pd":
        if death_cause not in cols:
            raise PlasmatrialError(
                f"TTNT with death due to PD as an event needs the death cause '{death_cause}'"
            )
        due = (
            pl.col(death_cause).cast(pl.Utf8).str.to_uppercase().is_in(list(DEATH_DUE_TO_PD))
        ).fill_null(value=False)
        events.append(
            event_source(
                "adsl", date=death_date, filter=due, set_values_to={"EVNTDESC": "DEATH DUE TO PD"}
            )
        )
    censors = [
        censor_source("adsl", date=last_alive_date, set_values_to={"EVNTDESC": LAST_KNOWN_ALIVE})
    ]
    return derive_param_tte(
        adsl,
        start_date=start_date,
        event_conditions=events,
        censor_conditions=censors,
        source_datasets={"adsl": adsl},
        set_values_to={"PARAMCD": paramcd, "PARAM": param},
    )


def derive_param_pfs(
    dataset_adsl: pl.DataFrame,
    dataset_adrs: pl.DataFrame,
    *,
    start_date: str = "STARTDT",
    death_date: str = "DTHDT",
    new_therapy_date: str = "NACTDT",
    treatment_end_date: str | None = "TRTEDT",
    progression: pl.Expr | None = None,
    adequate: pl.Expr | None = None,
    assessment_interval_days: int = 28,
    window_days: int = 7,
    missed_visits: int = 2,
    count_events_after_missed: bool = False,
    count_pd_after_new_therapy: bool = False,
    require_confirmed_pd: bool = False,
    include_death: bool = True,
    paramcd: str = "PFS",
    param: str = "Progression-free survival",
    add_one: bool = True,
) -> pl.DataFrame:
    """Progression-free survival with the ordered censoring rules C1-C7 (criteria.md 6.2).

    Parameters
    ----------
    dataset_adsl:
        One row per subject: ``USUBJID``, ``start_date`` and, when present, ``death_date``,
        ``new_therapy_date`` (start of new anticancer therapy) and ``treatment_end_date``.
    dataset_adrs:
        Per-assessment rows: ``USUBJID``, ``ADT``, ``AVALC`` and optionally ``ABLFL`` (baseline),
        ``ADEQFL`` ("Y" = adequate assessment, 6.2) and ``CONFFL`` (PD confirmed).
    progression:
        Expression marking a progression assessment (default ``AVALC == "PD"``).
    adequate:
        Expression marking an adequate assessment (default ``ADEQFL == "Y"`` when that column
        exists, else any non-NE assessment).
    assessment_interval_days, window_days, missed_visits:
        An event is "after ``missed_visits`` missed assessments" when more than
        ``missed_visits * assessment_interval_days + window_days`` days separate it from the last
        adequate assessment before it (C3; DEFAULT k = 2).
    count_events_after_missed:
        Sensitivity analysis: do not apply C3.
    count_pd_after_new_therapy:
        Sensitivity analysis: do not apply C2 (PD or death after new therapy counts).
    require_confirmed_pd:
        Only PD rows with ``CONFFL == "Y"`` are events (ruling R7 option).
    include_death:
        Death is an event (PFS). ``False`` gives time to progression (TTP), deaths censored at
        the last adequate assessment.
    paramcd, param:
        Parameter code and label.
    add_one:
        Day counting as in :func:`derive_param_tte`.

    Returns
    -------
    polars.DataFrame
        One row per subject: ``USUBJID``, ``PARAMCD``, ``PARAM``, ``STARTDT``, ``ADT``, ``AVAL``
        (days), ``AVALU``, ``CNSR`` (0 event, 1 censored), ``EVNTDESC`` and ``CNSRRULE``
        (``C1``-``C7``: the row of 6.2 that decided).

    Notes
    -----
    Rows of 6.2 are evaluated in order and the first that applies decides:

    1. C1 no baseline assessment: censored at the origin.
    2. C2 new anticancer therapy before documented PD: censored at the last adequate assessment
       before the new therapy (unless ``count_pd_after_new_therapy``).
    3. C3 PD or death after >= ``missed_visits`` missed assessments: censored at the last
       adequate assessment before the gap (unless ``count_events_after_missed``).
    4. C4 PD: event at the first PD assessment.
    5. C5 death without PD: event at the death date.
    6. C6 treatment stopped without PD, and C7 alive without PD: censored at the last adequate
       assessment (C6 when ``treatment_end_date`` is known).
    """
    keys = ["USUBJID"]
    cols = dataset_adsl.columns

    def opt_date(name: str | None) -> pl.Expr:
        if name is not None and name in cols:
            return pl.col(name).cast(pl.Date)
        return pl.lit(None, dtype=pl.Date)

    if start_date not in cols:
        raise PlasmatrialError(f"dataset_adsl lacks the start date column '{start_date}'")
    adsl = dataset_adsl.select(
        "USUBJID",
        pl.col(start_date).cast(pl.Date).alias("STARTDT"),
        opt_date(death_date).alias("_DTH")
        if include_death
        else pl.lit(None, dtype=pl.Date).alias("_DTH"),
        opt_date(new_therapy_date).alias("_NACT"),
        opt_date(treatment_end_date).alias("_TRTE"),
    )
    rs = dataset_adrs
    for col in ("USUBJID", "ADT", "AVALC"):
        if col not in rs.columns:
            raise PlasmatrialError(f"dataset_adrs lacks column '{col}'")
    prog = progression if progression is not None else pl.col("AVALC") == "PD"
    if require_confirmed_pd:
        if "CONFFL" not in rs.columns:
            raise PlasmatrialError("require_confirmed_pd needs a CONFFL column in dataset_adrs")
        prog = prog & (pl.col("CONFFL") == "Y")
    if adequate is None:
        adequate = (
            pl.col("ADEQFL") == "Y"
            if "ADEQFL" in rs.columns
            else pl.col("AVALC").is_not_null() & (pl.col("AVALC") != "NE")
        )
    base = pl.col("ABLFL") == "Y" if "ABLFL" in rs.columns else pl.lit(value=False)
    rs = rs.select(
        "USUBJID",
        pl.col("ADT").cast(pl.Date),
        prog.fill_null(value=False).alias("_PD"),
        adequate.fill_null(value=False).alias("_ADEQ"),
        base.fill_null(value=False).alias("_BASE"),
    ).join(adsl.select("USUBJID", "STARTDT", "_NACT"), on=keys, how="inner")

    post = rs.filter(~pl.col("_BASE") & (pl.col("ADT") >= pl.col("STARTDT")))
    has_base = rs.group_by(keys).agg(
        (pl.col("_BASE") | (pl.col("ADT") < pl.col("STARTDT"))).any().alias("_HASBASE")
    )
    first_pd = post.filter(pl.col("_PD")).group_by(keys).agg(pl.col("ADT").min().alias("_PDDT"))
    s = (
        adsl.join(has_base, on=keys, how="left")
        .join(first_pd, on=keys, how="left")
        .with_columns(pl.col("_HASBASE").fill_null(value=False))
    )
    # Event date before censoring rules: the earliest of first PD and death.
    s = s.with_columns(
        pl.min_horizontal("_PDDT", "_DTH").alias("_EVDT"),
        pl.when(
            pl.col("_PDDT").is_not_null()
            & (pl.col("_DTH").is_null() | (pl.col("_PDDT") <= pl.col("_DTH")))
        )
        .then(pl.lit("PD"))
        .when(pl.col("_DTH").is_not_null())
        .then(pl.lit("DEATH"))
        .otherwise(None)
        .alias("_EVTYPE"),
    )

    adeq = post.filter(pl.col("_ADEQ")).select("USUBJID", "ADT")

    def last_adequate_before(date_col: str, strict: bool, name: str) -> pl.DataFrame:
        j = adeq.join(s.select("USUBJID", date_col), on=keys, how="inner")
        cond = pl.col("ADT") < pl.col(date_col) if strict else pl.col("ADT") <= pl.col(date_col)
        return j.filter(cond).group_by(keys).agg(pl.col("ADT").max().alias(name))

    s = (
        s.join(last_adequate_before("_NACT", True, "_LA_NACT"), on=keys, how="left")
        .join(last_adequate_before("_EVDT", True, "_LA_EV"), on=keys, how="left")
        .join(adeq.group_by(keys).agg(pl.col("ADT").max().alias("_LA")), on=keys, how="left")
    )
    gap_limit = missed_visits * assessment_interval_days + window_days
    ref_before_event = pl.coalesce("_LA_EV", "STARTDT")
    nact_first = (
        pl.col("_NACT").is_not_null()
        & (pl.col("_EVDT").is_null() | (pl.col("_NACT") < pl.col("_EVDT")))
        & (pl.lit(not count_pd_after_new_therapy))
    )
    missed = (
        pl.col("_EVDT").is_not_null()
        & ((pl.col("_EVDT") - ref_before_event).dt.total_days() > gap_limit)
        & pl.lit(not count_events_after_missed)
    )
    last_adequate = pl.coalesce("_LA", "STARTDT")
    stopped = pl.col("_TRTE").is_not_null() & (pl.col("_TRTE") < last_adequate)
    rule = (
        pl.when(~pl.col("_HASBASE"))
        .then(pl.lit("C1"))
        .when(nact_first)
        .then(pl.lit("C2"))
        .when(missed)
        .then(pl.lit("C3"))
        .when(pl.col("_EVTYPE") == "PD")
        .then(pl.lit("C4"))
        .when(pl.col("_EVTYPE") == "DEATH")
        .then(pl.lit("C5"))
        .when(stopped)
        .then(pl.lit("C6"))
        .otherwise(pl.lit("C7"))
    )
    s = s.with_columns(rule.alias("CNSRRULE"))
    r = pl.col("CNSRRULE")
    s = s.with_columns(
        pl.when(r == "C1")
        .then(pl.col("STARTDT"))
        .when(r == "C2")
        .then(pl.coalesce("_LA_NACT", "STARTDT"))
        .when(r == "C3")
        .then(ref_before_event)
        .when(r == "C4")
        .then(pl.col("_PDDT"))
        .when(r == "C5")
        .then(pl.col("_DTH"))
        .otherwise(last_adequate)
        .alias("ADT"),
        pl.when(r.is_in(["C4", "C5"])).then(0).otherwise(1).cast(pl.Int8).alias("CNSR"),
        pl.when(r == "C1")
        .then(pl.lit("NO BASELINE ASSESSMENT"))
        .when(r == "C2")
        .then(pl.lit("NEW ANTICANCER THERAPY BEFORE PD"))
        .when(r == "C3")
        .then(pl.lit("EVENT AFTER MISSED ASSESSMENTS"))
        .when(r == "C4")
        .then(pl.lit("PROGRESSIVE DISEASE"))
        .when(r == "C5")
        .then(pl.lit("DEATH"))
        .when(r == "C6")
        .then(pl.lit("TREATMENT STOPPED WITHOUT PD"))
        .otherwise(pl.lit("ALIVE WITHOUT PD"))
        .alias("EVNTDESC"),
    )
    return s.select(
        "USUBJID",
        pl.lit(paramcd).alias("PARAMCD"),
        pl.lit(param).alias("PARAM"),
        "STARTDT",
        "ADT",
        (((pl.col("ADT") - pl.col("STARTDT")).dt.total_days()) + (1 if add_one else 0))
        .cast(pl.Float64)
        .alias("AVAL"),
        pl.lit("DAYS").alias("AVALU"),
        "CNSR",
        "EVNTDESC",
        "CNSRRULE",
    )


def _first_response(
    dataset_adrs: pl.DataFrame, response: pl.Expr, start: pl.DataFrame
) -> pl.DataFrame:
    rows = dataset_adrs.join(start, on="USUBJID", how="inner").filter(
        response.fill_null(value=False) & (pl.col("ADT").cast(pl.Date) >= pl.col("STARTDT"))
    )
    return rows.group_by("USUBJID").agg(pl.col("ADT").cast(pl.Date).min().alias("RSPDT"))


def derive_param_dor(
    dataset_adsl: pl.DataFrame,
    dataset_adrs: pl.DataFrame,
    *,
    response: pl.Expr,
    start_date: str = "STARTDT",
    death_is_event: bool = False,
    **pfs_options: object,
) -> pl.DataFrame:
    """Duration of response among responders (criteria.md 6.1, Q17).

    Parameters
    ----------
    dataset_adsl, dataset_adrs:
        As for :func:`derive_param_pfs`.
    response:
        Expression marking a (confirmed) response assessment, e.g.
        ``pl.col("AVALC").is_in(["CR", "VGPR", "PR"])``.
    start_date:
        Time origin column of ``dataset_adsl`` (only used to ignore pre-origin rows).
    death_is_event:
        ``False`` (DEFAULT, IMWG style): deaths without PD are censored at the last adequate
        assessment. ``True`` (FDA/RECIST style): death is an event.
    **pfs_options:
        Passed to :func:`derive_param_pfs` (censoring-rule switches).

    Returns
    -------
    polars.DataFrame
        As :func:`derive_param_pfs` with ``PARAMCD = "DOR"``, one row per responder; ``STARTDT``
        is the date of first response.

    Notes
    -----
    The PFS censoring rules C2-C7 apply from the date of first response; C1 does not (a
    responder has, by definition, a baseline).
    """
    origin = dataset_adsl.select("USUBJID", pl.col(start_date).cast(pl.Date).alias("STARTDT"))
    first = _first_response(dataset_adrs, response, origin)
    responders = dataset_adsl.join(first, on="USUBJID", how="inner").with_columns(
        pl.col("RSPDT").alias("_DORSTART")
    )
    adrs = dataset_adrs.with_columns(pl.lit("N").alias("ABLFL"))
    # The first response assessment itself serves as the baseline of the response period.
    adrs = (
        adrs.join(first, on="USUBJID", how="left")
        .with_columns(
            pl.when(pl.col("ADT").cast(pl.Date) == pl.col("RSPDT"))
            .then(pl.lit("Y"))
            .otherwise(pl.col("ABLFL"))
            .alias("ABLFL")
        )
        .drop("RSPDT")
    )
    return derive_param_pfs(
        responders,
        adrs,
        start_date="_DORSTART",
        include_death=death_is_event,
        paramcd="DOR",
        param="Duration of response",
        **pfs_options,  # type: ignore[arg-type]
    )


def derive_param_ttr(
    dataset_adsl: pl.DataFrame,
    dataset_adrs: pl.DataFrame,
    *,
    response: pl.Expr,
    start_date: str = "STARTDT",
    adequate: pl.Expr | None = None,
    add_one: bool = True,
) -> pl.DataFrame:
    """Time to first response (criteria.md 6.1).

    Responders have ``CNSR = 0`` at the date of first response; non-responders are censored
    (``CNSR = 1``) at their last adequate assessment (or the origin), so the parameter serves both
    the responders-only descriptive summary (filter ``CNSR == 0``) and a Kaplan-Meier
    time-to-response analysis.

    Parameters
    ----------
    dataset_adsl, dataset_adrs:
        As for :func:`derive_param_pfs`.
    response:
        Expression marking a response assessment.
    start_date:
        Time origin column of ``dataset_adsl``.
    adequate:
        Expression marking an adequate assessment (default: any category other than NE).
    add_one:
        Day counting as in :func:`derive_param_tte`.

    Returns
    -------
    polars.DataFrame
        One row per subject with ``PARAMCD = "TTR"``.
    """
    adequate = (
        adequate
        if adequate is not None
        else pl.col("AVALC").is_not_null() & (pl.col("AVALC") != "NE")
    )
    rs = dataset_adrs.with_columns(
        response.fill_null(value=False).alias("_RSP"),
        adequate.fill_null(value=False).alias("_ADEQ"),
    )
    return derive_param_tte(
        dataset_adsl,
        start_date=start_date,
        event_conditions=[
            event_source(
                "adrs",
                date="ADT",
                filter=pl.col("_RSP"),
                set_values_to={"EVNTDESC": "FIRST RESPONSE"},
            )
        ],
        censor_conditions=[
            censor_source(
                "adrs",
                date="ADT",
                filter=pl.col("_ADEQ"),
                set_values_to={"EVNTDESC": "LAST ADEQUATE ASSESSMENT"},
            )
        ],
        source_datasets={"adrs": rs},
        set_values_to={"PARAMCD": "TTR", "PARAM": "Time to response"},
        add_one=add_one,
    )
