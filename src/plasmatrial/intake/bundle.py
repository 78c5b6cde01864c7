"""Load DM, LB, EX (and TU/TR) together: one validation pass, one error listing every problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from plasmatrial._results import ResultMixin
from plasmatrial.errors import IntakeError, Problem, ReasonCode
from plasmatrial.intake.assessments import (
    BaselineRule,
    assemble_wide,
    baseline_problems,
    build_assessments,
    first_dose_dates,
)
from plasmatrial.intake.egfr import EgfrEquation
from plasmatrial.intake.readers import read_domain
from plasmatrial.intake.standardize import standardize_prepared
from plasmatrial.intake.tumor import (
    IMAGING_WINDOW_DAYS,
    add_mm_columns,
    imaging_records,
    match_imaging,
    new_before_first_dose,
    tr_problems,
    tu_problems,
)
from plasmatrial.intake.validate import (
    dm_problems,
    ex_problems,
    lb_problems,
    raise_if,
    unknown_subjects,
)


@dataclass(frozen=True, slots=True, repr=False)
class SdtmBundle(ResultMixin):
    """Validated study data.

    Attributes
    ----------
    dm : pl.DataFrame
        DM as read (text columns).
    lb : pl.DataFrame
        Standardised LB (:data:`plasmatrial.intake.standardize.STANDARD_SCHEMA`).
    ex : pl.DataFrame or None
        EX as read.
    assessments : pl.DataFrame
        Wide assessment frame (:data:`plasmatrial.intake.assessments.WIDE_SCHEMA`) plus the
        myeloma columns ``BMCLONFL``, ``PCYTSPD`` and ``NEWLESFL``
        (:data:`plasmatrial.intake.tumor.MM_WIDE_COLUMNS`).
    tu, tr : pl.DataFrame or None
        TU and TR as read (myeloma imaging), when given.
    """

    dm: pl.DataFrame
    lb: pl.DataFrame
    ex: pl.DataFrame | None
    assessments: pl.DataFrame
    tu: pl.DataFrame | None = None
    tr: pl.DataFrame | None = None

    @property
    def n_subjects(self) -> int:
        """Number of DM subjects."""
        return self.dm.height

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.to_dict().items())
        return f"SdtmBundle({counts})"

    def summary(self) -> pl.DataFrame:
        """One row of counts (:meth:`to_dict`)."""
        return pl.DataFrame([self.to_dict()])

    def to_dict(self) -> dict[str, int]:
        """Row counts per frame."""
        return {
            "subjects": self.dm.height,
            "lb_records": self.lb.height,
            "ex_records": 0 if self.ex is None else self.ex.height,
            "tu_records": 0 if self.tu is None else self.tu.height,
            "tr_records": 0 if self.tr is None else self.tr.height,
            "assessments": self.assessments.height,
        }


def drop_unit_mixups(problems: list[Problem]) -> list[Problem]:
    """``problems`` without the ``unit_mixup`` ones (for ``--accept-units``)."""
    return [p for p in problems if p.reason is not ReasonCode.UNIT_MIXUP]


def _read(path: str | Path, domain: str, problems: list[Problem]) -> pl.DataFrame | None:
    try:
        return read_domain(path, domain)  # type: ignore[arg-type]
    except IntakeError as exc:
        problems.extend(exc.problems)
        return None


def check_frames(
    dm: pl.DataFrame,
    lb: pl.DataFrame,
    ex: pl.DataFrame | None = None,
    *,
    files: tuple[str, str, str] = ("DM", "LB", "EX"),
    baseline: BaselineRule = "first_dose",
    egfr_equation: EgfrEquation = "CKD-EPI 2009",
    tu: pl.DataFrame | None = None,
    tr: pl.DataFrame | None = None,
    imaging_files: tuple[str, str] = ("TU", "TR"),
    imaging_window_days: int = IMAGING_WINDOW_DAYS,
    accept_units: bool = False,
) -> tuple[list[Problem], SdtmBundle | None]:
    """Validate the frames together; return all problems and, if none, the bundle.

    Parameters
    ----------
    dm, lb, ex:
        Raw DM, LB and (optional) EX.
    files:
        DM, LB and EX file names for messages.
    baseline, egfr_equation:
        See :func:`load_sdtm`.
    tu, tr:
        Optional raw TU and TR (myeloma imaging, :mod:`plasmatrial.intake.tumor`); TR needs TU.
    imaging_files:
        TU and TR file names for messages.
    imaging_window_days:
        Matching window between an on-treatment imaging date and an assessment date
        (decision 0104).
    accept_units:
        Drop ``unit_mixup`` problems (the user has checked the unit labels; decision 0105).

    Notes
    -----
    1. Per-file checks (DM, LB, EX, TU, TR), then subjects of LB/EX/TU/TR absent from DM.
    2. LB rows that passed are standardised and assembled, and subjects without a first dose or a
       baseline assessment are added to the problems.
    3. Imaging records (TU/TR) are placed on assessment rows (:func:`~plasmatrial.intake.tumor.
       match_imaging`); an on-treatment imaging date with no assessment in the window, or a NEW
       lesion dated on or before the first dose, is a problem.
    4. The wide frame gets ``BMCLONFL`` (LB ``BMCLON``), ``PCYTSPD`` and ``NEWLESFL`` (null
       without TU/TR).
    """
    dm_file, lb_file, ex_file = files
    tu_file, tr_file = imaging_files
    problems = dm_problems(dm, file=dm_file)
    lb_list, prep = lb_problems(lb, file=lb_file)
    problems += drop_unit_mixups(lb_list) if accept_units else lb_list
    subjects = dm.get_column("USUBJID").drop_nulls().to_list() if "USUBJID" in dm.columns else []
    if "USUBJID" in dm.columns:
        problems += unknown_subjects(lb, subjects, file=lb_file)
    if ex is not None:
        problems += ex_problems(ex, file=ex_file)
        if "USUBJID" in dm.columns:
            problems += unknown_subjects(ex, subjects, file=ex_file)
    tu_prep = tr_prep = None
    n_before = len(problems)
    if tu is not None:
        tu_list, tu_prep = tu_problems(tu, file=tu_file)
        problems += tu_list
    if tr is not None:
        tr_list, tr_prep = tr_problems(tr, tu_prep, file=tr_file, tu_file=tu_file)
        problems += tr_list
    imaging_ok = len(problems) == n_before
    for frame, name in ((tu, tu_file), (tr, tr_file)):
        if frame is not None and "USUBJID" in dm.columns:
            problems += unknown_subjects(frame, subjects, file=name)
    dm_ok = all(c in dm.columns for c in ("USUBJID", "AGE", "SEX"))
    ex_ok = ex is None or all(c in ex.columns for c in ("USUBJID", "EXSTDTC"))
    if prep is None or not dm_ok or not ex_ok:
        return problems, None
    std = standardize_prepared(prep, dm, egfr_equation=egfr_equation)
    fdt = first_dose_dates(dm, ex, baseline=baseline)
    wide0 = assemble_wide(dm, std, fdt)
    problems += baseline_problems(wide0, fdt, file=lb_file)
    placed = None
    if tu_prep is not None and imaging_ok:
        problems += new_before_first_dose(tu_prep, fdt, file=tu_file)
        imaging = imaging_records(tu_prep, tr_prep)
        placed, unmatched = match_imaging(
            wide0,
            imaging,
            fdt,
            window_days=imaging_window_days,
            files=(tu_file, tr_file),
        )
        problems += unmatched
    if problems:
        return problems, None
    wide = add_mm_columns(build_assessments(dm, std, ex, baseline=baseline), placed)
    return problems, SdtmBundle(dm=dm, lb=std, ex=ex, assessments=wide, tu=tu, tr=tr)


def load_sdtm(
    dm_path: str | Path,
    lb_path: str | Path,
    ex_path: str | Path | None = None,
    *,
    baseline: BaselineRule = "first_dose",
    egfr_equation: EgfrEquation = "CKD-EPI 2009",
    tu_path: str | Path | None = None,
    tr_path: str | Path | None = None,
    imaging_window_days: int = IMAGING_WINDOW_DAYS,
    accept_units: bool = False,
) -> SdtmBundle:
    """Read, validate and standardise DM, LB and (optionally) EX, TU and TR files.

    Parameters
    ----------
    dm_path, lb_path : str or Path
        DM and LB files (CSV, Parquet, XPT or SAS7BDAT).
    ex_path : str or Path, optional
        EX file.
    baseline : {"first_dose", "first_ex_dose"}
        See :func:`~plasmatrial.intake.assessments.build_assessments`.
    egfr_equation : {"CKD-EPI 2009", "CKD-EPI 2021"}
        Equation for eGFR derived from creatinine.
    tu_path, tr_path : str or Path, optional
        SDTM TU and TR (myeloma plasmacytomas and new lesions; TR needs TU). See
        :func:`check_frames` and ``docs/intake.md``.
    imaging_window_days : int
        Matching window between imaging and assessment dates (decision 0104).
    accept_units : bool
        Accept the FLC unit labels as written: ``unit_mixup`` problems are not reported
        (decision 0105). Every other check still applies.

    Returns
    -------
    SdtmBundle
        DM, standardised LB, EX and the wide assessment frame.

    Raises
    ------
    IntakeError
        One error listing every problem found in every file (unreadable files included).
    """
    problems: list[Problem] = []
    dm = _read(dm_path, "DM", problems)
    lb = _read(lb_path, "LB", problems)
    ex = _read(ex_path, "EX", problems) if ex_path is not None else None
    tu = _read(tu_path, "TU", problems) if tu_path is not None else None
    tr = _read(tr_path, "TR", problems) if tr_path is not None else None
    unread = any(
        path is not None and frame is None
        for path, frame in ((ex_path, ex), (tu_path, tu), (tr_path, tr))
    )
    if dm is None or lb is None or unread:
        if dm is not None:
            problems += dm_problems(dm, file=str(dm_path))
        if lb is not None:
            lb_list = lb_problems(lb, file=str(lb_path))[0]
            problems += drop_unit_mixups(lb_list) if accept_units else lb_list
        if ex is not None:
            problems += ex_problems(ex, file=str(ex_path))
        tu_prep = None
        if tu is not None:
            tu_list, tu_prep = tu_problems(tu, file=str(tu_path))
            problems += tu_list
        if tr is not None:
            problems += tr_problems(tr, tu_prep, file=str(tr_path), tu_file=str(tu_path))[0]
        raise_if(problems)
    assert dm is not None and lb is not None  # for the type checker: raise_if raised otherwise
    found, bundle = check_frames(
        dm,
        lb,
        ex,
        files=(str(dm_path), str(lb_path), str(ex_path) if ex_path is not None else "EX"),
        baseline=baseline,
        egfr_equation=egfr_equation,
        tu=tu,
        tr=tr,
        imaging_files=(
            str(tu_path) if tu_path is not None else "TU",
            str(tr_path) if tr_path is not None else "TR",
        ),
        imaging_window_days=imaging_window_days,
        accept_units=accept_units,
    )
    raise_if(problems + found)
    assert bundle is not None
    return bundle
