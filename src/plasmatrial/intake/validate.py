"""Validate raw DM, LB and EX frames and collect every problem at once.

Each ``*_problems`` function returns a list of :class:`~plasmatrial.errors.Problem` (possibly
empty) and never stops at the first failure; :func:`validate_all` gathers the problems of every
file and raises one :class:`~plasmatrial.errors.IntakeError`. All checks are vectorised polars
expressions; Python only builds the ``Problem`` records for rows that fail.

Row numbers in problems are 1-based data rows (the header is not counted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import polars as pl

from plasmatrial.errors import IntakeError, Problem, ReasonCode
from plasmatrial.intake.analytes import ANALYTES, IFE_VALUES
from plasmatrial.intake.dates import dtc_date, dtc_status, plausible_window
from plasmatrial.intake.lbprep import prepare_lb
from plasmatrial.intake.mixup import flc_unit_mixups

LB_REQUIRED: Final[tuple[str, ...]] = (
    "USUBJID",
    "LBTESTCD",
    "LBORRES",
    "LBORRESU",
    "LBDTC",
    "VISIT",
    "VISITNUM",
)
DM_REQUIRED: Final[tuple[str, ...]] = ("STUDYID", "USUBJID", "RFSTDTC", "AGE", "SEX")
EX_REQUIRED: Final[tuple[str, ...]] = (
    "USUBJID",
    "EXTRT",
    "EXDOSE",
    "EXDOSU",
    "EXSTDTC",
    "EXENDTC",
)
SEX_VALUES: Final[tuple[str, ...]] = ("M", "F", "U", "UNDIFFERENTIATED")
INVLC_VALUES: Final[tuple[str, ...]] = ("KAPPA", "LAMBDA")
ORGAN_FLAGS: Final[tuple[str, ...]] = ("HEARTFL", "KIDNEYFL", "LIVERFL")
AGE_RANGE: Final[tuple[float, float]] = (0.0, 120.0)


def emit(
    rows: pl.DataFrame,
    *,
    file: str,
    column: str,
    reason: ReasonCode,
    expected: str | pl.Expr,
    value: str | pl.Expr | None = None,
) -> list[Problem]:
    """Turn the failing rows of a prepared frame (with ``_ROW``) into problems."""
    if rows.height == 0:
        return []
    value_expr = pl.col(column) if value is None else value
    if isinstance(value_expr, str):
        value_expr = pl.col(value_expr)
    exp_expr = pl.lit(expected) if isinstance(expected, str) else expected
    sel = rows.select(
        pl.col("_ROW").cast(pl.Int64),
        value_expr.cast(pl.String).alias("_V"),
        exp_expr.cast(pl.String).alias("_E"),
    )
    return [Problem(file, r, column, v, e or "", reason) for r, v, e in sel.iter_rows()]


def missing_columns(frame: pl.DataFrame, required: Sequence[str], *, file: str) -> list[Problem]:
    """One ``MISSING_COLUMN`` problem per required column absent from ``frame``."""
    found = ", ".join(frame.columns) or "no columns"
    return [
        Problem(file, None, col, None, f"column {col} (found: {found})", ReasonCode.MISSING_COLUMN)
        for col in required
        if col not in frame.columns
    ]


def _with_row(frame: pl.DataFrame) -> pl.DataFrame:
    renamed = frame.rename({c: c.upper() for c in frame.columns if c != c.upper()})
    casts = [pl.col(c).cast(pl.String) for c, t in renamed.schema.items() if t != pl.String]
    return renamed.with_columns(casts).with_row_index("_ROW", offset=1)


def _date_problems(
    frame: pl.DataFrame, col: str, *, file: str, required: bool, parsed: str | None = None
) -> list[Problem]:
    ok = pl.col(parsed) if parsed is not None else dtc_date(col)
    status = frame.filter(ok.is_null()).select("_ROW", col, dtc_status(col).alias("_S"))
    out = emit(
        status.filter(pl.col("_S") == "partial"),
        file=file,
        column=col,
        reason=ReasonCode.PARTIAL_DATE,
        expected="a complete ISO 8601 date YYYY-MM-DD (partial dates are not imputed)",
    )
    out += emit(
        status.filter(pl.col("_S") == "bad"),
        file=file,
        column=col,
        reason=ReasonCode.BAD_DATE,
        expected="an ISO 8601 date YYYY-MM-DD[Thh:mm[:ss]]",
    )
    if required:
        out += emit(
            status.filter(pl.col("_S") == "missing"),
            file=file,
            column=col,
            reason=ReasonCode.MISSING_VALUE,
            expected="a date",
        )
    return out + _window_problems(frame, col, ok, file=file)


def _window_problems(frame: pl.DataFrame, col: str, ok: pl.Expr, *, file: str) -> list[Problem]:
    earliest, latest = plausible_window()
    return emit(
        frame.filter((ok < earliest) | (ok > latest)),
        file=file,
        column=col,
        reason=ReasonCode.IMPLAUSIBLE_VALUE,
        expected=f"a date within the plausible study window {earliest} to {latest} "
        "(today + 1 year)",
    )


def _missing_value(frame: pl.DataFrame, col: str, *, file: str, expected: str) -> list[Problem]:
    return emit(
        frame.filter(pl.col(col).is_null()),
        file=file,
        column=col,
        reason=ReasonCode.MISSING_VALUE,
        expected=expected,
    )


def _vocabulary(
    frame: pl.DataFrame, col: str, allowed: Sequence[str], *, file: str
) -> list[Problem]:
    bad = frame.filter(
        pl.col(col).is_not_null() & ~pl.col(col).str.to_uppercase().is_in(list(allowed))
    )
    return emit(
        bad,
        file=file,
        column=col,
        reason=ReasonCode.BAD_VALUE,
        expected="one of " + ", ".join(allowed),
    )


def dm_problems(dm: pl.DataFrame, *, file: str = "DM") -> list[Problem]:
    """Every problem in a raw DM frame (see ``docs/intake.md`` for the checks)."""
    problems = missing_columns(dm, DM_REQUIRED, file=file)
    frame = _with_row(dm)
    cols = set(frame.columns)
    for col in ("STUDYID", "USUBJID", "SEX", "AGE"):
        if col in cols:
            problems += _missing_value(frame, col, file=file, expected=f"a value for {col}")
    if "USUBJID" in cols:
        first = pl.col("_ROW").min().over("USUBJID")
        dup = frame.with_columns(first.alias("_FIRST")).filter(
            pl.col("USUBJID").is_not_null() & (pl.col("_ROW") != pl.col("_FIRST"))
        )
        problems += emit(
            dup,
            file=file,
            column="USUBJID",
            reason=ReasonCode.DUPLICATE,
            expected=pl.format("one row per subject (first at data row {})", pl.col("_FIRST")),
        )
    if "AGE" in cols:
        age = pl.col("AGE").cast(pl.Float64, strict=False)
        problems += emit(
            frame.filter(pl.col("AGE").is_not_null() & (age.is_null() | ~age.is_finite())),
            file=file,
            column="AGE",
            reason=ReasonCode.NOT_NUMERIC,
            expected="age in years, a number",
        )
        lo, hi = AGE_RANGE
        problems += emit(
            frame.filter((age < lo) | (age > hi)),
            file=file,
            column="AGE",
            reason=ReasonCode.IMPLAUSIBLE_VALUE,
            expected=f"{lo:g}-{hi:g} years",
        )
    if "RFSTDTC" in cols:
        problems += _date_problems(frame, "RFSTDTC", file=file, required=False)
    if "SEX" in cols:
        problems += _vocabulary(frame, "SEX", SEX_VALUES, file=file)
    if "INVLC" in cols:
        problems += _vocabulary(frame, "INVLC", INVLC_VALUES, file=file)
    for flag in ORGAN_FLAGS:
        if flag in cols:
            problems += _vocabulary(frame, flag, ("Y", "N"), file=file)
    return problems


def ex_problems(ex: pl.DataFrame, *, file: str = "EX") -> list[Problem]:
    """Every problem in a raw EX frame."""
    problems = missing_columns(ex, EX_REQUIRED, file=file)
    frame = _with_row(ex)
    cols = set(frame.columns)
    for col in ("USUBJID", "EXTRT", "EXDOSE"):
        if col in cols:
            problems += _missing_value(frame, col, file=file, expected=f"a value for {col}")
    if "EXDOSE" in cols:
        dose = pl.col("EXDOSE").cast(pl.Float64, strict=False)
        problems += emit(
            frame.filter(pl.col("EXDOSE").is_not_null() & (dose.is_null() | ~dose.is_finite())),
            file=file,
            column="EXDOSE",
            reason=ReasonCode.NOT_NUMERIC,
            expected="a dose, a number",
        )
        problems += emit(
            frame.filter(dose < 0),
            file=file,
            column="EXDOSE",
            reason=ReasonCode.IMPLAUSIBLE_VALUE,
            expected="a dose >= 0",
        )
    if "EXSTDTC" in cols:
        problems += _date_problems(frame, "EXSTDTC", file=file, required=True)
    if "EXENDTC" in cols:
        problems += _date_problems(frame, "EXENDTC", file=file, required=False)
    if {"EXSTDTC", "EXENDTC"} <= cols:
        problems += emit(
            frame.filter(dtc_date("EXENDTC") < dtc_date("EXSTDTC")),
            file=file,
            column="EXENDTC",
            reason=ReasonCode.OUT_OF_ORDER,
            expected=pl.format("an end date on or after EXSTDTC {}", pl.col("EXSTDTC")),
        )
    return problems


def unknown_subjects(frame: pl.DataFrame, subjects: Iterable[str], *, file: str) -> list[Problem]:
    """One ``UNKNOWN_SUBJECT`` problem per subject of ``frame`` absent from DM (first row named)."""
    if "USUBJID" not in frame.columns:
        return []
    known = pl.Series("k", list(subjects), dtype=pl.String)
    rows = (
        _with_row(frame)
        .filter(pl.col("USUBJID").is_not_null() & ~pl.col("USUBJID").is_in(known.implode()))
        .group_by("USUBJID", maintain_order=True)
        .agg(pl.col("_ROW").min(), pl.len().alias("_N"))
    )
    return emit(
        rows,
        file=file,
        column="USUBJID",
        reason=ReasonCode.UNKNOWN_SUBJECT,
        expected=pl.format("a USUBJID present in DM ({} record(s) in this file)", pl.col("_N")),
    )


def _lb_code_problems(prep: pl.DataFrame, file: str) -> list[Problem]:
    out = _missing_value(prep, "LBTESTCD", file=file, expected="a test code")
    shown = ", ".join(a.code for a in ANALYTES[:6]) + ", ..."
    out += emit(
        prep.filter(pl.col("LBTESTCD").is_not_null() & pl.col("_CODE").is_null()),
        file=file,
        column="LBTESTCD",
        reason=ReasonCode.UNKNOWN_TEST,
        expected=f"a catalogue test code or alias ({shown}; see docs/intake.md)",
    )
    return out


def _lb_unit_problems(prep: pl.DataFrame, file: str) -> list[Problem]:
    units_expected = pl.col("_UNITS_OK")
    has_unit = pl.col("_CANUNIT") != ""
    out = emit(
        prep.filter((pl.col("_KIND") != "character") & has_unit & pl.col("_UNITKEY").is_null()),
        file=file,
        column="LBORRESU",
        reason=ReasonCode.MISSING_UNIT,
        expected=pl.format("a unit for {}: {}", pl.col("_CODE"), units_expected),
        value="LBORRESU",
    )
    out += emit(
        prep.filter(
            (pl.col("_KIND") != "character")
            & pl.col("_UNITKEY").is_not_null()
            & pl.col("_FACTOR").is_null()
        ),
        file=file,
        column="LBORRESU",
        reason=ReasonCode.UNKNOWN_UNIT,
        expected=pl.format("a unit accepted for {}: {}", pl.col("_CODE"), units_expected),
    )
    return out


def _lb_value_problems(prep: pl.DataFrame, file: str) -> list[Problem]:
    known = pl.col("_CODE").is_not_null()
    numeric = known & (pl.col("_KIND") != "character")
    out = emit(
        prep.filter(known & pl.col("LBORRES").is_null()),
        file=file,
        column="LBORRES",
        reason=ReasonCode.MISSING_VALUE,
        expected="a result (use LBSTAT = NOT DONE for tests not done)",
    )
    out += emit(
        prep.filter(numeric & pl.col("LBORRES").is_not_null() & pl.col("_NUM").is_null()),
        file=file,
        column="LBORRES",
        reason=ReasonCode.NOT_NUMERIC,
        expected=pl.format("a number for {} (no '<'/'>' qualifiers)", pl.col("_CODE")),
    )
    out += emit(
        prep.filter((pl.col("_KIND") == "integer") & (pl.col("_NUM") != pl.col("_NUM").round())),
        file=file,
        column="LBORRES",
        reason=ReasonCode.BAD_VALUE,
        expected=pl.format("a whole number for {}", pl.col("_CODE")),
    )
    implausible = (pl.col("AVAL") < pl.col("_LO")) | (pl.col("AVAL") > pl.col("_HI"))
    out += emit(
        prep.filter(implausible),
        file=file,
        column="LBORRES",
        reason=ReasonCode.IMPLAUSIBLE_VALUE,
        value=pl.format("{} {}", pl.col("LBORRES"), pl.col("LBORRESU").fill_null("")),
        expected=pl.format(
            "{} within {}-{} {} (this value is {} {} after conversion)",
            pl.col("_CODE"),
            pl.col("_LO"),
            pl.col("_HI"),
            pl.col("_CANUNIT"),
            pl.col("AVAL").round(6),
            pl.col("_CANUNIT"),
        ),
    )
    ife = ", ".join(IFE_VALUES)
    out += emit(
        prep.filter(
            (pl.col("_KIND") == "character")
            & pl.col("LBORRES").is_not_null()
            & pl.col("AVALC").is_null()
        ),
        file=file,
        column="LBORRES",
        reason=ReasonCode.BAD_VALUE,
        expected=pl.format(
            "a POSITIVE/NEGATIVE result for {}: one of {}", pl.col("_CODE"), pl.lit(ife)
        ),
    )
    return out


def _lb_visit_problems(prep: pl.DataFrame, file: str) -> list[Problem]:
    out = _missing_value(prep, "VISITNUM", file=file, expected="a visit number")
    out += emit(
        prep.filter(pl.col("VISITNUM").is_not_null() & pl.col("_VISITNUM").is_null()),
        file=file,
        column="VISITNUM",
        reason=ReasonCode.NOT_NUMERIC,
        expected="a numeric visit number",
    )
    if "LBSTNRHI" in prep.columns:
        out += emit(
            prep.filter(pl.col("LBSTNRHI").is_not_null() & pl.col("_ULNRAW").is_null()),
            file=file,
            column="LBSTNRHI",
            reason=ReasonCode.NOT_NUMERIC,
            expected="a numeric upper limit of normal",
        )
    if "LBSTNRLO" in prep.columns:
        out += emit(
            prep.filter(pl.col("LBSTNRLO").is_not_null() & pl.col("_LLNRAW").is_null()),
            file=file,
            column="LBSTNRLO",
            reason=ReasonCode.NOT_NUMERIC,
            expected="a numeric lower limit of normal",
        )
    return out


def _first_rows(ok: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Rows of ``ok`` (in file order) repeating an earlier row's ``keys``, with ``_FIRST``."""
    involved = ok.filter(ok.select(keys).is_duplicated())  # every copy, usually very few
    return (
        involved.with_columns(pl.col("_ROW").min().over(keys).alias("_FIRST"))
        .filter(pl.col("_ROW") != pl.col("_FIRST"))
        .sort("_ROW")
    )


def _lb_duplicates(prep: pl.DataFrame, file: str) -> list[Problem]:
    ok = prep.filter(pl.col("_CODE").is_not_null() & pl.col("USUBJID").is_not_null())
    d1 = _first_rows(ok.filter(pl.col("ADT").is_not_null()), ["USUBJID", "_CODE", "ADT"])
    out = emit(
        d1,
        file=file,
        column="LBDTC",
        reason=ReasonCode.DUPLICATE,
        value=pl.format("{} {} on {}", pl.col("USUBJID"), pl.col("_CODE"), pl.col("ADT")),
        expected=pl.format(
            "one {} record per subject and date (first at data row {})",
            pl.col("_CODE"),
            pl.col("_FIRST"),
        ),
    )
    flagged = d1.get_column("_ROW")
    d2 = _first_rows(
        ok.filter(pl.col("_VISITNUM").is_not_null()), ["USUBJID", "_CODE", "_VISITNUM"]
    )
    d2 = d2.filter(~pl.col("_ROW").is_in(flagged.implode()))
    out += emit(
        d2,
        file=file,
        column="VISITNUM",
        reason=ReasonCode.DUPLICATE,
        value=pl.format(
            "{} {} at VISITNUM {}", pl.col("USUBJID"), pl.col("_CODE"), pl.col("VISITNUM")
        ),
        expected=pl.format(
            "one {} record per subject and visit (first at data row {}; give unscheduled visits "
            "their own VISITNUM)",
            pl.col("_CODE"),
            pl.col("_FIRST"),
        ),
    )
    return out


def _lb_visit_order(prep: pl.DataFrame, file: str) -> list[Problem]:
    visits = (
        prep.filter(
            pl.col("USUBJID").is_not_null()
            & pl.col("_VISITNUM").is_not_null()
            & pl.col("ADT").is_not_null()
        )
        .group_by("USUBJID", "_VISITNUM")
        .agg(pl.col("ADT").min(), pl.col("_ROW").min(), pl.col("VISITNUM").first())
        .sort("USUBJID", "_VISITNUM")
        .with_columns(
            pl.col("ADT").cum_max().shift(1).over("USUBJID").alias("_PREVMAX"),
        )
        .filter(pl.col("ADT") < pl.col("_PREVMAX"))
        .sort("_ROW")
    )
    return emit(
        visits,
        file=file,
        column="VISITNUM",
        reason=ReasonCode.OUT_OF_ORDER,
        value=pl.format("VISITNUM {} on {}", pl.col("VISITNUM"), pl.col("ADT")),
        expected=pl.format(
            "visit dates increasing with VISITNUM (an earlier visit of {} is dated {})",
            pl.col("USUBJID"),
            pl.col("_PREVMAX"),
        ),
    )


def lb_problems_prepared(prep: pl.DataFrame, *, file: str = "LB") -> list[Problem]:
    """Problems of an LB frame already passed through :func:`prepare_lb`."""
    problems = _missing_value(prep, "USUBJID", file=file, expected="a subject id")
    problems += _lb_code_problems(prep, file)
    problems += _lb_unit_problems(prep, file)
    problems += _lb_value_problems(prep, file)
    problems += _date_problems(prep, "LBDTC", file=file, required=True, parsed="ADT")
    problems += _lb_visit_problems(prep, file)
    problems += _lb_duplicates(prep, file)
    problems += _lb_visit_order(prep, file)
    problems += flc_unit_mixups(prep, file=file)
    return problems


def lb_problems(lb: pl.DataFrame, *, file: str = "LB") -> tuple[list[Problem], pl.DataFrame | None]:
    """Every problem in a raw LB frame, and the prepared frame (``None`` if columns are missing)."""
    problems = missing_columns(lb, LB_REQUIRED, file=file)
    if problems:
        return problems, None
    prep = prepare_lb(lb)
    return lb_problems_prepared(prep, file=file), prep


def raise_if(problems: Sequence[Problem]) -> None:
    """Raise one :class:`IntakeError` listing ``problems`` (sorted by file, row) if any."""
    if problems:
        ordered = sorted(
            problems, key=lambda p: (p.file, -1 if p.row is None else p.row, p.column or "")
        )
        raise IntakeError(ordered)


def validate_dm(dm: pl.DataFrame, *, file: str = "DM") -> pl.DataFrame:
    """Return ``dm`` unchanged, or raise one :class:`IntakeError` listing all DM problems."""
    raise_if(dm_problems(dm, file=file))
    return dm


def validate_ex(ex: pl.DataFrame, *, file: str = "EX") -> pl.DataFrame:
    """Return ``ex`` unchanged, or raise one :class:`IntakeError` listing all EX problems."""
    raise_if(ex_problems(ex, file=file))
    return ex


def validate_lb(lb: pl.DataFrame, *, file: str = "LB") -> pl.DataFrame:
    """Return ``lb`` unchanged, or raise one :class:`IntakeError` listing all LB problems."""
    raise_if(lb_problems(lb, file=file)[0])
    return lb


