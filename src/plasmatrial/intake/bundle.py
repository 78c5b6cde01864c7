"""Load DM, LB and EX together: one validation pass, one error listing every problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from plasmatrial.errors import IntakeError, Problem
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
from plasmatrial.intake.validate import (
    dm_problems,
    ex_problems,
    lb_problems,
    raise_if,
    unknown_subjects,
)


@dataclass(frozen=True, slots=True)
class SdtmBundle:
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
        Wide assessment frame (:data:`plasmatrial.intake.assessments.WIDE_SCHEMA`).
    """

    dm: pl.DataFrame
    lb: pl.DataFrame
    ex: pl.DataFrame | None
    assessments: pl.DataFrame

    @property
    def n_subjects(self) -> int:
        """Number of DM subjects."""
        return self.dm.height

    def to_dict(self) -> dict[str, int]:
        """Row counts per frame."""
        return {
            "subjects": self.dm.height,
            "lb_records": self.lb.height,
            "ex_records": 0 if self.ex is None else self.ex.height,
            "assessments": self.assessments.height,
        }


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
) -> tuple[list[Problem], SdtmBundle | None]:
    """Validate the three frames together; return all problems and, if none, the bundle.

    Notes
    -----
    1. Per-file checks (DM, LB, EX), then subjects of LB/EX absent from DM.
    2. LB rows that passed are standardised and assembled, and subjects without a first dose or a
       baseline assessment are added to the problems.
    """
    dm_file, lb_file, ex_file = files
    problems = dm_problems(dm, file=dm_file)
    lb_list, prep = lb_problems(lb, file=lb_file)
    problems += lb_list
    subjects = dm.get_column("USUBJID").drop_nulls().to_list() if "USUBJID" in dm.columns else []
    if "USUBJID" in dm.columns:
        problems += unknown_subjects(lb, subjects, file=lb_file)
    if ex is not None:
        problems += ex_problems(ex, file=ex_file)
        if "USUBJID" in dm.columns:
            problems += unknown_subjects(ex, subjects, file=ex_file)
    dm_ok = all(c in dm.columns for c in ("USUBJID", "AGE", "SEX"))
    if prep is None or not dm_ok:
        return problems, None
    std = standardize_prepared(prep, dm, egfr_equation=egfr_equation)
    fdt = first_dose_dates(dm, ex, baseline=baseline)
    problems += baseline_problems(assemble_wide(dm, std, fdt), fdt, file=lb_file)
    if problems:
        return problems, None
    wide = build_assessments(dm, std, ex, baseline=baseline)
    return problems, SdtmBundle(dm=dm, lb=std, ex=ex, assessments=wide)


def load_sdtm(
    dm_path: str | Path,
    lb_path: str | Path,
    ex_path: str | Path | None = None,
    *,
    baseline: BaselineRule = "first_dose",
    egfr_equation: EgfrEquation = "CKD-EPI 2009",
) -> SdtmBundle:
    """Read, validate and standardise DM, LB and (optionally) EX files.

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
    if dm is None or lb is None or (ex_path is not None and ex is None):
        if dm is not None:
            problems += dm_problems(dm, file=str(dm_path))
        if lb is not None:
            problems += lb_problems(lb, file=str(lb_path))[0]
        if ex is not None:
            problems += ex_problems(ex, file=str(ex_path))
        raise_if(problems)
    assert dm is not None and lb is not None  # for the type checker: raise_if raised otherwise
    found, bundle = check_frames(
        dm,
        lb,
        ex,
        files=(str(dm_path), str(lb_path), str(ex_path) if ex_path is not None else "EX"),
        baseline=baseline,
        egfr_equation=egfr_equation,
    )
    raise_if(problems + found)
    assert bundle is not None
    return bundle
