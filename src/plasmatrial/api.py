"""The notebook API: read study data, adjudicate response, read and run a trial.

``import plasmatrial as pt`` exposes these functions (``pt.read_sdtm``, ``pt.respond``,
``pt.read_trial``, ``pt.read_trial_data``, ``pt.run_trial``); the CLI commands ``respond``,
``run`` and ``report`` are thin shells over them, so a notebook and the command line never
disagree about a subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import polars as pl

from plasmatrial._results import ResultMixin, jsonable
from plasmatrial.criteria import RuleSet, adjudicate, evaluability, get_rule_set, stage
from plasmatrial.criteria.core.registry import DEFAULT_RULE_SETS, default_rule_set, is_for_disease
from plasmatrial.criteria.core.scale import ResponseSpec
from plasmatrial.criteria.core.summary import summarise_response
from plasmatrial.design.protocol import NEW_THERAPY_CATEGORIES
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake import SdtmBundle, check_frames, load_sdtm
from plasmatrial.intake.dates import as_date
from plasmatrial.intake.flags import yes_no
from plasmatrial.intake.tumor import IMAGING_WINDOW_DAYS
from plasmatrial.intake.validate import raise_if
from plasmatrial.trial.derive import first_new_therapy, time_origin
from plasmatrial.trial.files import read_trial, read_trial_data
from plasmatrial.trial.pipeline import run_trial

if TYPE_CHECKING:
    from plasmatrial.intake.assessments import BaselineRule
    from plasmatrial.intake.egfr import EgfrEquation

Disease = Literal["al", "mm"]
#: DM columns that only AL amyloidosis data carry (baseline organ involvement, docs/intake.md).
AL_ORGAN_FLAGS: Final[tuple[str, ...]] = ("HEARTFL", "KIDNEYFL", "LIVERFL")

Table = str | Path | pl.DataFrame

__all__ = [
    "ResponseResult",
    "adjudicate_mm",
    "read_sdtm",
    "read_trial",
    "read_trial_data",
    "respond",
    "respond_frames",
    "run_trial",
    "subject_summary",
]


def read_sdtm(
    dm: Table,
    lb: Table,
    ex: Table | None = None,
    *,
    tu: Table | None = None,
    tr: Table | None = None,
    baseline: BaselineRule = "first_dose",
    egfr_equation: EgfrEquation = "CKD-EPI 2009",
    imaging_window_days: int = IMAGING_WINDOW_DAYS,
    accept_units: bool = False,
) -> SdtmBundle:
    """Read (or take) DM, LB, EX, TU and TR and validate them together.

    Parameters
    ----------
    dm, lb : str, Path or polars.DataFrame
        DM and LB: files (CSV, Parquet, XPT, SAS7BDAT) or frames already read.
    ex, tu, tr : str, Path or polars.DataFrame, optional
        EX (first dose) and myeloma imaging (TR needs TU).
    baseline, egfr_equation, imaging_window_days, accept_units
        As :func:`plasmatrial.intake.load_sdtm`.

    Returns
    -------
    SdtmBundle
        DM, standardised LB, EX, TU, TR and the wide assessment frame.

    Raises
    ------
    IntakeError
        One error listing every problem in every file or frame.

    Notes
    -----
    1. All paths: :func:`plasmatrial.intake.load_sdtm` (reads, then one validation pass).
    2. Otherwise files are read with :func:`plasmatrial.intake.read_domain` and all frames are
       checked together by :func:`plasmatrial.intake.check_frames`, the same checks.

    Examples
    --------
    >>> import polars as pl
    >>> dm = pl.DataFrame({"USUBJID": ["S1"], "AGE": [60], "SEX": ["F"]})
    >>> read_sdtm(dm, pl.DataFrame({"USUBJID": ["S1"]}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    plasmatrial.errors.IntakeError: ...
    """
    options: dict[str, Any] = {
        "baseline": baseline,
        "egfr_equation": egfr_equation,
        "imaging_window_days": imaging_window_days,
        "accept_units": accept_units,
    }
    given = (dm, lb, ex, tu, tr)
    if not any(isinstance(t, pl.DataFrame) for t in given):
        return load_sdtm(dm, lb, ex, tu_path=tu, tr_path=tr, **options)  # type: ignore[arg-type]
    from plasmatrial.intake import read_domain

    def frame(table: Table | None, domain: str) -> pl.DataFrame | None:
        if table is None or isinstance(table, pl.DataFrame):
            return table
        return read_domain(table, domain)  # type: ignore[arg-type]

    names = ("DM", "LB", "EX", "TU", "TR")
    dm_f, lb_f, ex_f, tu_f, tr_f = (frame(t, n) for t, n in zip(given, names, strict=True))
    assert dm_f is not None and lb_f is not None
    label = [
        n if t is None or isinstance(t, pl.DataFrame) else str(t)
        for t, n in zip(given, names, strict=True)
    ]
    problems, bundle = check_frames(
        dm_f,
        lb_f,
        ex_f,
        files=(label[0], label[1], label[2]),
        tu=tu_f,
        tr=tr_f,
        imaging_files=(label[3], label[4]),
        **options,
    )
    raise_if(problems)
    assert bundle is not None
    return bundle


def subject_summary(
    visits: pl.DataFrame,
    dm: pl.DataFrame,
    ex: pl.DataFrame | None,
    *,
    response: ResponseSpec,
    cm: pl.DataFrame | None = None,
    responder: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """Best response, first response and time to response per DM subject.

    The derivation ``plasmatrial run`` uses (:func:`plasmatrial.trial.derive.derive_response`
    through :func:`plasmatrial.criteria.core.summary.summarise_response`), with the same time origin
    (randomisation, else first dose), the same responder categories by DEFAULT (the rule set's
    ``response.responder``), new anticancer therapy from CM and deaths from DM ``DTHDTC``, so
    the two never disagree about a subject.
    """
    subjects = time_origin(dm, ex)
    if "DTHDTC" in dm.columns:
        dth = dm.select(
            pl.col("USUBJID").cast(pl.Utf8), as_date(dm, "DTHDTC").alias("DTHDT")
        ).unique("USUBJID", keep="first")  # the death date ADSL (derive_adsl) reads
        subjects = subjects.join(dth, on="USUBJID", how="left")
    if cm is not None:
        nact = first_new_therapy(cm, subjects, NEW_THERAPY_CATEGORIES)
        subjects = subjects.join(nact, on="USUBJID", how="left")
    calls = visits.filter(pl.col("PARAMCD") == response.parameter)
    summary = summarise_response(
        calls,
        subjects,
        scale=response.scale,
        responder=responder or response.responder,
    )
    return summary.subjects


def respond_frames(
    assessments: pl.DataFrame,
    dm: pl.DataFrame,
    ex: pl.DataFrame | None,
    rule_set: str,
    *,
    cm: pl.DataFrame | None = None,
    responder: tuple[str, ...] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-visit calls and per-subject summary, as the rule set's response says (decision 0260).

    Per visit: the rule set's ``response.visits`` frame (IMWG: confirmed OVRLRESP with relapse
    flags), else every adjudicated parameter. Per subject: :func:`subject_summary`, with the
    baseline evaluability class and the staging rule set's stages when the response has them.
    """
    rs = get_rule_set(rule_set)
    response = rs.response_spec()
    if response.visits is not None:
        visits = response.visits(assessments, rs)
    else:
        visits = adjudicate(assessments, rule_set)
    subjects = subject_summary(visits, dm, ex, response=response, cm=cm, responder=responder)
    if response.evaluability is None and response.staging is None:
        return visits, subjects
    if response.evaluability is not None:
        subjects = subjects.join(evaluability(assessments, rule_set), on="USUBJID", how="left")
    if response.staging is not None:
        stages = stage(assessments, response.staging).pivot(
            on="PARAMCD", index="USUBJID", values="AVALC", aggregate_function="first"
        )  # baseline stages (AL: Mayo 2004, Mayo 2012, BU, renal) as one column each
        subjects = subjects.join(stages, on="USUBJID", how="left")
    return visits, subjects.sort("USUBJID")


def as_dates(frame: pl.DataFrame, cols: tuple[str, ...]) -> pl.DataFrame:
    """Columns among ``cols`` as dates (:func:`~plasmatrial.intake.dates.as_date`: complete ISO
    dates; anything else null)."""
    fixes = [
        as_date(frame, c).alias(c)
        for c in cols
        if c in frame.columns and frame.schema[c] != pl.Date
    ]
    return frame.with_columns(fixes) if fixes else frame


def prepare_assessments(
    frame: pl.DataFrame, columns: tuple[tuple[str, str], ...] | None = None
) -> pl.DataFrame:
    """Dates as dates and Y/N/true/false flag columns (``columns`` of kind boolean; DEFAULT the
    myeloma columns :data:`plasmatrial.criteria.mm.imwg.MM_COLUMNS`) as Booleans (CSV input)."""
    if columns is None:
        from plasmatrial.criteria.mm.imwg import MM_COLUMNS

        columns = MM_COLUMNS
    frame = as_dates(frame, ("ADT", "NACTDT"))
    fixes = [
        yes_no(frame, c).alias(c)
        for c, kind in columns
        if kind == "boolean" and c in frame.columns and frame.schema[c] != pl.Boolean
    ]
    return frame.with_columns(fixes) if fixes else frame


def adjudicate_mm(
    assessments: pl.DataFrame, rule_set: str = "IMWG_2016"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-visit confirmed IMWG response and per-subject best confirmed response (``respond-mm``)."""
    from plasmatrial.criteria.mm.response import respond_mm

    res = respond_mm(prepare_assessments(assessments), rule_set)
    return res.visits, res.best


def check_rule_set(disease: str, rule_set: str) -> None:
    """Refuse a rule set of another disease, or one that makes no response call."""
    rs = get_rule_set(rule_set)
    if not is_for_disease(rs, disease):
        raise PlasmatrialError(
            f"rule set {rule_set} is for {rs.disease}, not {disease.upper()}; "
            "see `plasmatrial criteria list`"
        )
    param = get_rule_set(default_rule_set(disease)).response_spec().parameter
    made = {t.paramcd for t in rs.tables} | {o.paramcd for o in rs.overall}
    if rs.response is None or param not in made:
        raise PlasmatrialError(
            f"--criteria {rule_set}: not a response rule set (it derives "
            f"{', '.join(sorted(made)) or 'nothing'}, no {param}); respond needs one that "
            f"calls {param}, e.g. {default_rule_set(disease)} (see `plasmatrial criteria list`)"
        )


def check_responder(
    cats: Sequence[str] | None, rule_set: str, *, option: str = "responder"
) -> tuple[str, ...] | None:
    """``cats`` as a tuple of categories of the rule set's scale (None: the DEFAULT)."""
    if cats is None:
        return None
    cats = tuple(cats)
    scale = get_rule_set(rule_set).response_spec().scale
    unknown = [c for c in cats if c not in scale.ranking]
    if unknown or not cats:
        raise PlasmatrialError(
            f"{option}: {', '.join(unknown) or '(empty)'} not a {rule_set} category; "
            f"choose from {', '.join(scale.ranking)}"
        )
    return cats


def check_measurable_data(
    assessments: pl.DataFrame, dm: pl.DataFrame, rule_set: RuleSet, disease: str
) -> None:
    """Refuse a rule set with a measurability parameter (IMWG) on data that look like AL (issue 13).

    Two signals, either one refuses: DM flags AL organ involvement (``HEARTFL``/``KIDNEYFL``/
    ``LIVERFL`` = Y for some subject), or no subject has a measurable serum or urine M-protein at
    baseline by the rule set's own measurability table (``response.measurable``: MMMEAS).
    The partitioned ``respond`` runs the same three steps, the counts summed over partitions.
    """
    if rule_set.response_spec().measurable is None:
        return
    check_organ_flags(dm, rule_set, disease)
    refuse_unmeasurable(measurable_counts(assessments, rule_set), rule_set, disease)


_DISEASE_HINT: Final = "use --disease al, or add --no-disease-check if this really is myeloma data"


def check_organ_flags(dm: pl.DataFrame, rule_set: RuleSet, disease: str) -> None:
    """Refuse (see :func:`check_measurable_data`) when DM flags AL organ involvement."""
    if rule_set.response_spec().measurable is None:
        return
    flags = [c for c in AL_ORGAN_FLAGS if c in dm.columns]
    organ = (
        dm.filter(
            pl.any_horizontal(pl.col(c).cast(pl.String).str.to_uppercase() == "Y" for c in flags)
        ).height
        if flags
        else 0
    )
    if organ:
        raise PlasmatrialError(
            f"--disease {disease}: DM flags AL amyloidosis organ involvement ({', '.join(flags)} = Y "
            f"for {organ} of {dm.height} subjects); {_DISEASE_HINT}"
        )


def measurable_counts(assessments: pl.DataFrame, rule_set: RuleSet) -> pl.DataFrame:
    """Subjects per baseline measurability class (``AVALC``, ``len``); empty without the table."""
    measurable = rule_set.response_spec().measurable
    if measurable is None:
        return pl.DataFrame(schema={"AVALC": pl.String, "len": pl.UInt32})
    calls = adjudicate(assessments, rule_set)
    meas = calls.filter(pl.col("PARAMCD") == measurable[0]).unique("USUBJID", keep="first")
    return (
        meas.group_by("AVALC")
        .len()
        .select(pl.col("AVALC").cast(pl.String), pl.col("len").cast(pl.UInt32))
    )


def refuse_unmeasurable(counts: pl.DataFrame, rule_set: RuleSet, disease: str) -> None:
    """Refuse when subjects were classed but none has a measurable M-protein (``counts`` as
    :func:`measurable_counts`, possibly summed over partitions)."""
    measurable = rule_set.response_spec().measurable
    if measurable is None or counts.height == 0:
        return
    if counts.filter(pl.col("AVALC").is_in(measurable[1])).height:
        return
    counts = counts.sort("AVALC")
    shown = ", ".join(f"{r['AVALC'] or 'none'} {r['len']}" for r in counts.iter_rows(named=True))
    raise PlasmatrialError(
        f"--disease {disease}: no subject has a measurable serum or urine M-protein at baseline "
        f"by {rule_set.name} (measurability: {shown}); FLC-only data like this is usually AL "
        f"amyloidosis: {_DISEASE_HINT}"
    )


@dataclass(frozen=True, slots=True, repr=False)
class ResponseResult(ResultMixin):
    """Response adjudicated by one rule set: per-visit calls and per-subject summaries.

    Attributes
    ----------
    visits : polars.DataFrame
        One row per subject-visit and parameter: ``AVALC``, ``RULEID``, ``RULESET``,
        ``RULESETVER``, ``EXPLAIN`` and the inputs used (what ``plasmatrial respond -o`` writes).
    subjects : polars.DataFrame
        One row per subject: best response (``BESTRSP``, ``BESTRSDT``, ``BESTEXPL``), first
        response and time to response, evaluability and (AL) baseline stages.
    rule_set, version : str
        The rule set applied and its version.
    disease : {"al", "mm"}
        The disease of the rule set.
    """

    visits: pl.DataFrame
    subjects: pl.DataFrame
    rule_set: str
    version: str
    disease: str
    _repr_fields = ("rule_set", "version", "disease", "n_subjects", "n_visits", "n_responders")

    @property
    def n_subjects(self) -> int:
        """Number of subjects summarised."""
        return self.subjects.height

    @property
    def n_visits(self) -> int:
        """Number of distinct subject-visits adjudicated."""
        return self.visits.select("USUBJID", "ADT").unique().height

    @property
    def n_responders(self) -> int:
        """Subjects counted as responders (``RSPFL`` = Y)."""
        if "RSPFL" not in self.subjects.columns:
            return 0
        return self.subjects.filter(pl.col("RSPFL") == "Y").height

    def summary(self) -> pl.DataFrame:
        """Subjects per best response, best category first (``BESTRSP``, ``n``, ``pct``)."""
        ranking = get_rule_set(self.rule_set).response_spec().scale
        order = [*ranking.ranking, ranking.progression, ranking.not_evaluable]
        best = self.subjects.get_column("BESTRSP").fill_null(ranking.not_evaluable)
        counts = best.value_counts(name="n")
        rank = {c: i for i, c in enumerate(order)}
        return (
            counts.with_columns(
                pl.col("BESTRSP").replace_strict(rank, default=len(order)).alias("_rank"),
                (pl.col("n") / max(self.n_subjects, 1)).round(4).alias("pct"),
            )
            .sort("_rank", "BESTRSP")
            .drop("_rank")
            .with_columns(pl.col("n").cast(pl.Int64))
        )

    def to_frame(self) -> pl.DataFrame:
        """The per-visit calls (:attr:`visits`)."""
        return self.visits

    def to_dict(self) -> dict[str, Any]:
        """Rule set, counts, best-response table and every subject and visit row, JSON-ready."""
        return {
            "rule_set": self.rule_set,
            "version": self.version,
            "disease": self.disease,
            "n_subjects": self.n_subjects,
            "n_visits": self.n_visits,
            "n_responders": self.n_responders,
            "best_response": jsonable(self.summary()),
            "subjects": jsonable(self.subjects),
            "visits": jsonable(self.visits),
        }

    def explain(self, subject: str, parameters: Sequence[str] | None = None) -> str:
        """One subject's calls as readable text: dates, categories, rule ids and explanations.

        Parameters
        ----------
        subject : str
            A ``USUBJID``.
        parameters : sequence of str, optional
            ``PARAMCD`` values to show (e.g. ``["HEMRESP"]``); default every parameter.

        Returns
        -------
        str
            A header with the best-response sentence, then one block per assessment date with one
            line per parameter (``PARAMCD  AVALC  [RULEID]  EXPLAIN``).

        Raises
        ------
        PlasmatrialError
            ``subject`` is not in the data.
        """
        row = self.subjects.filter(pl.col("USUBJID") == subject)
        if row.height == 0:
            known = self.subjects.get_column("USUBJID").head(5).to_list()
            raise PlasmatrialError(
                f"subject {subject!r} not in the data ({self.n_subjects} subjects, e.g. "
                f"{', '.join(map(str, known))})"
            )
        first = row.row(0, named=True)
        lines = [
            f"{subject}: {self.rule_set} v{self.version} ({self.disease.upper()})",
            f"Best response: {first.get('BESTRSP') or 'NE'}"
            + (f" on {first['BESTRSDT']}" if first.get("BESTRSDT") else ""),
        ]
        if first.get("BESTEXPL"):
            lines.append(f"  {first['BESTEXPL']}")
        calls = self.visits.filter(pl.col("USUBJID") == subject).sort("ADT", maintain_order=True)
        if parameters is not None and "PARAMCD" in calls.columns:
            calls = calls.filter(pl.col("PARAMCD").is_in(list(parameters)))
        default_param = get_rule_set(self.rule_set).response_spec().parameter
        for (adt,), group in calls.group_by("ADT", maintain_order=True):
            visit = group.get_column("VISIT")[0] if "VISIT" in group.columns else None
            lines.append(f"{adt}" + (f"  {visit}" if visit else ""))
            for call in group.iter_rows(named=True):
                param = call.get("PARAMCD") or default_param
                rule = f"  [{call['RULEID']}]" if call.get("RULEID") else ""
                text = f"  {call['EXPLAIN']}" if call.get("EXPLAIN") else ""
                lines.append(f"  {param:<9} {call.get('AVALC') or 'NE':<7}{rule}{text}")
        return "\n".join(lines)


def _disease_of(disease: str | None, criteria: str | None) -> str:
    """The disease: as given, else the named rule set's, else AL."""
    if disease is not None:
        key = disease.lower()
        if key.upper() not in DEFAULT_RULE_SETS:
            raise PlasmatrialError(f"disease must be 'al' or 'mm', got '{disease}'")
        return key
    if criteria is None:
        return "al"
    rs = get_rule_set(criteria)
    for key in DEFAULT_RULE_SETS:
        if is_for_disease(rs, key):
            return key.lower()
    raise PlasmatrialError(f"rule set {criteria} is for {rs.disease}, not AL or MM response")


def respond(
    study: SdtmBundle,
    criteria: str | None = None,
    *,
    disease: Disease | None = None,
    cm: Table | None = None,
    responder: Sequence[str] | None = None,
    check_disease: bool = True,
) -> ResponseResult:
    """Adjudicate response and progression per subject-visit, with explanations.

    Parameters
    ----------
    study : SdtmBundle
        Validated study data (:func:`read_sdtm`).
    criteria : str, optional
        Rule set (``pt.criteria.list_rule_sets()``); default ``CR_2012_RATIO`` for AL and
        ``IMWG_2016`` for myeloma.
    disease : {"al", "mm"}, optional
        Default: the disease of ``criteria``, else AL.
    cm : str, Path or polars.DataFrame, optional
        CM domain: new anticancer therapy (``CMSTDTC``; ``CMCAT`` when present) ends the
        assessments that count for best response and time to response.
    responder : sequence of str, optional
        Categories counted as response (default AL CR, VGPR, PR, LDPR; MM sCR, CR, VGPR, PR).
    check_disease : bool
        Myeloma only: refuse data that look like AL amyloidosis (no measurable M-protein, AL
        organ flags in DM).

    Returns
    -------
    ResponseResult
        ``.visits``, ``.subjects``, ``.summary()`` and ``.explain(subject)``.

    Raises
    ------
    PlasmatrialError
        A rule set of another disease or without a response call, an unknown responder
        category, CM without ``USUBJID``/``CMSTDTC``, or (myeloma) data that look like AL.

    Notes
    -----
    1. Per visit, the rule set's response frame (IMWG: confirmed OVRLRESP with relapse flags,
       :func:`plasmatrial.criteria.mm.response.respond_mm`), else every adjudicated parameter
       (:func:`respond_frames`, decision 0260).
    2. Per subject, the derivation of ``plasmatrial run`` (:func:`subject_summary`), with the
       evaluability class and baseline stages where the rule set has them.
    3. ``plasmatrial respond`` calls this function, so the command and a notebook agree.

    Examples
    --------
    >>> from plasmatrial.synth import generate_al_cohort
    >>> cohort = generate_al_cohort(4, seed=1)
    >>> res = respond(read_sdtm(cohort.dm, cohort.lb, cohort.ex))
    >>> res  # doctest: +NORMALIZE_WHITESPACE
    ResponseResult(rule_set='CR_2012_RATIO', version='1.0.0', disease='al', n_subjects=4,
                   n_visits=38, n_responders=4)
    >>> print(res.explain("PLAS-AL-01-001", parameters=["HEMRESP"]).splitlines()[1])
    Best response: VGPR on 2024-08-11
    """
    key = _disease_of(disease, criteria)
    rule_set = criteria or default_rule_set(key)
    check_rule_set(key, rule_set)
    cats = check_responder(responder, rule_set)
    cm_frame = _cm_frame(cm)
    rs = get_rule_set(rule_set)
    prepared = prepare_assessments(study.assessments, rs.columns)
    if check_disease:
        check_measurable_data(prepared, study.dm, rs, key)
    visits, subjects = respond_frames(
        prepared, study.dm, study.ex, rule_set, cm=cm_frame, responder=cats
    )
    return ResponseResult(visits, subjects, rule_set=rule_set, version=rs.version, disease=key)


def _cm_frame(cm: Table | None) -> pl.DataFrame | None:
    if cm is None:
        return None
    from plasmatrial.intake.io import read_table

    frame = cm if isinstance(cm, pl.DataFrame) else read_table(cm)
    missing = [c for c in ("USUBJID", "CMSTDTC") if c not in frame.columns]
    if missing:
        where = "CM" if isinstance(cm, pl.DataFrame) else str(cm)
        raise PlasmatrialError(
            f"{where}: missing column(s) {', '.join(missing)}; found {', '.join(frame.columns)}"
        )
    return frame
