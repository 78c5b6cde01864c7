"""Build the wide assessment frame that the criteria engine consumes.

One row per subject and assessment date; one column per catalogue analyte in its canonical unit.
The schema is :data:`WIDE_SCHEMA` (stable column order).
"""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

from plasmatrial.errors import IntakeError, Problem, ReasonCode
from plasmatrial.intake.analytes import CHARACTER_CODES, IMID_DRUGS, NUMERIC_CODES
from plasmatrial.intake.dates import dtc_date
from plasmatrial.intake.egfr import EgfrEquation
from plasmatrial.intake.standardize import standardize_lb

BaselineRule = Literal["first_dose", "first_ex_dose"]
MissingBaseline = Literal["error", "keep"]

ORGAN_FLAGS: Final[tuple[str, ...]] = ("HEARTFL", "KIDNEYFL", "LIVERFL")

WIDE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "USUBJID": pl.String(),
    "VISIT": pl.String(),
    "VISITNUM": pl.Float64(),
    "ADT": pl.Date(),
    "ADY": pl.Int64(),
    "ABLFL": pl.String(),
    **{code: pl.Float64() for code in NUMERIC_CODES},
    **{code: pl.String() for code in CHARACTER_CODES},
    "ALP_ULN": pl.Float64(),
    "LDH_ULN": pl.Float64(),
    "EGFRMETH": pl.String(),
    "INVLC": pl.String(),
    **{flag: pl.Boolean() for flag in ORGAN_FLAGS},
    "IMIDFL": pl.Boolean(),
}


def _upper(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.rename({c: c.upper() for c in frame.columns if c != c.upper()})


def first_dose_dates(
    dm: pl.DataFrame, ex: pl.DataFrame | None, *, baseline: BaselineRule = "first_dose"
) -> pl.DataFrame:
    """First-dose date per DM subject: ``USUBJID``, ``FDT`` (Date, null when unknown).

    ``"first_dose"`` uses DM.RFSTDTC and falls back to the earliest EX.EXSTDTC;
    ``"first_ex_dose"`` uses EX only.
    """
    subjects = (
        _upper(dm)
        .select(
            pl.col("USUBJID").cast(pl.String),
            dtc_date("RFSTDTC").alias("_RF")
            if "RFSTDTC" in _upper(dm).columns
            else pl.lit(None, dtype=pl.Date).alias("_RF"),
        )
        .unique("USUBJID", keep="first")
    )
    if ex is not None:
        ex_first = (
            _upper(ex)
            .select(pl.col("USUBJID").cast(pl.String), dtc_date("EXSTDTC").alias("_EX"))
            .group_by("USUBJID")
            .agg(pl.col("_EX").min())
        )
        subjects = subjects.join(ex_first, on="USUBJID", how="left")
    else:
        subjects = subjects.with_columns(pl.lit(None, dtype=pl.Date).alias("_EX"))
    fdt = pl.col("_EX") if baseline == "first_ex_dose" else pl.coalesce("_RF", "_EX")
    return subjects.select("USUBJID", fdt.alias("FDT"))


def _imid_flag(keys: pl.DataFrame, ex: pl.DataFrame) -> pl.Series:
    """Whether an IMiD is being given on ADT (EX start <= ADT <= end; missing end = start)."""
    exu = _upper(ex)
    intervals = (
        exu.filter(
            pl.col("EXTRT")
            .cast(pl.String)
            .str.strip_chars()
            .str.to_uppercase()
            .is_in(list(IMID_DRUGS))
        )
        .select(
            pl.col("USUBJID").cast(pl.String),
            dtc_date("EXSTDTC").alias("_S"),
            pl.coalesce(dtc_date("EXENDTC"), dtc_date("EXSTDTC")).alias("_E"),
        )
        .drop_nulls()
        .sort("USUBJID", "_S")
        .with_columns(pl.col("_E").cum_max().over("USUBJID").alias("_EMAX"))
    )
    probe = keys.select("USUBJID", "ADT").with_row_index("_I").sort("ADT")
    joined = probe.join_asof(
        intervals.sort("_S"),
        left_on="ADT",
        right_on="_S",
        by="USUBJID",
        strategy="backward",
        check_sortedness=False,
    ).sort("_I")
    return joined.select((pl.col("_EMAX") >= pl.col("ADT")).fill_null(False)).to_series()


def _spread(
    parts: dict[str, pl.DataFrame], n_keys: int, codes: tuple[str, ...], value: str
) -> list[pl.Series]:
    """One column per code: the first non-null ``value`` of that code per assessment key ``_K``.

    A vectorised pivot: each code's records are scattered into a null column at their key index.
    """
    out: list[pl.Series] = []
    for code in codes:
        dtype = pl.String if value in ("AVALC", "EGFRMETH") else pl.Float64
        col = pl.Series(code, [None] * 0, dtype=dtype).extend_constant(None, n_keys)
        part = parts.get(code)
        if part is not None:
            first = part.filter(pl.col(value).is_not_null()).unique("_K", keep="first")
            if first.height:
                col = col.scatter(first.get_column("_K"), first.get_column(value).cast(dtype))
        out.append(col.alias(code))
    return out


def baseline_problems(wide: pl.DataFrame, fdt: pl.DataFrame, *, file: str = "LB") -> list[Problem]:
    """Problems for DM subjects with no first-dose date or no assessment on/before it."""
    has = wide.filter(pl.col("ABLFL") == "Y").select("USUBJID").unique()
    no_fdt = fdt.filter(pl.col("FDT").is_null())
    no_base = fdt.filter(pl.col("FDT").is_not_null()).join(has, on="USUBJID", how="anti")
    out = [
        Problem(
            "DM",
            None,
            "RFSTDTC",
            s,
            "a first-dose date (DM.RFSTDTC or an EX record)",
            ReasonCode.MISSING_VALUE,
        )
        for s in no_fdt.get_column("USUBJID").sort().to_list()
    ]
    out += [
        Problem(
            file,
            None,
            "LBDTC",
            f"{s} (first dose {d})",
            "a baseline assessment on or before the first dose",
            ReasonCode.MISSING_VALUE,
        )
        for s, d in no_base.sort("USUBJID").iter_rows()
    ]
    return out


def assemble_wide(dm: pl.DataFrame, lb: pl.DataFrame, fdt: pl.DataFrame) -> pl.DataFrame:
    keys = (
        lb.group_by("USUBJID", "ADT")
        .agg(
            pl.col("VISIT").sort_by("VISITNUM", nulls_last=True).first(),
            pl.col("VISITNUM").min(),
        )
        .with_row_index("_K")
    )
    lbk = lb.join(keys.select("USUBJID", "ADT", "_K"), on=["USUBJID", "ADT"], how="left")
    parts = {
        str(name[0]): part
        for name, part in lbk.partition_by("LBTESTCD", as_dict=True, maintain_order=True).items()
    }
    uln_parts = {f"{code}_ULN": parts[code] for code in ("ALP", "LDH") if code in parts}
    meth_parts = {"EGFRMETH": parts["EGFR"]} if "EGFR" in parts else {}
    columns = _spread(parts, keys.height, NUMERIC_CODES, "AVAL")
    columns += _spread(parts, keys.height, CHARACTER_CODES, "AVALC")
    columns += _spread(uln_parts, keys.height, ("ALP_ULN", "LDH_ULN"), "ANRHI")
    columns += _spread(meth_parts, keys.height, ("EGFRMETH",), "EGFRMETH")
    wide = keys.drop("_K").with_columns(columns)
    dmu = _upper(dm)
    attrs = [pl.col("USUBJID").cast(pl.String)]
    attrs.append(
        pl.col("INVLC").cast(pl.String).str.to_uppercase().alias("INVLC")
        if "INVLC" in dmu.columns
        else pl.lit(None, dtype=pl.String).alias("INVLC")
    )
    for flag in ORGAN_FLAGS:
        if flag in dmu.columns:
            yn = pl.col(flag).cast(pl.String).str.to_uppercase()
            attrs.append(pl.when(yn == "Y").then(True).when(yn == "N").then(False).alias(flag))
        else:
            attrs.append(pl.lit(None, dtype=pl.Boolean).alias(flag))
    people = dmu.select(attrs).unique("USUBJID", keep="first").join(fdt, on="USUBJID", how="left")
    wide = wide.join(people, on="USUBJID", how="left")
    days = (pl.col("ADT") - pl.col("FDT")).dt.total_days()
    wide = wide.with_columns(
        pl.when(days >= 0).then(days + 1).otherwise(days).cast(pl.Int64).alias("ADY"),
        pl.col("ADT").filter(pl.col("ADT") <= pl.col("FDT")).max().over("USUBJID").alias("_BDT"),
    )
    return wide.with_columns(
        pl.when(pl.col("ADT") == pl.col("_BDT")).then(pl.lit("Y")).otherwise(None).alias("ABLFL")
    )


def build_assessments(
    dm: pl.DataFrame,
    lb: pl.DataFrame,
    ex: pl.DataFrame | None = None,
    *,
    baseline: BaselineRule = "first_dose",
    missing_baseline: MissingBaseline = "error",
    egfr_equation: EgfrEquation = "CKD-EPI 2009",
) -> pl.DataFrame:
    """Build the wide assessment frame (one row per subject and assessment date).

    Parameters
    ----------
    dm : pl.DataFrame
        DM (raw or typed): ``USUBJID``, ``RFSTDTC``, ``AGE``, ``SEX``; optional ``INVLC``,
        ``HEARTFL``, ``KIDNEYFL``, ``LIVERFL``, ``RACE``.
    lb : pl.DataFrame
        Standardised LB (:func:`~plasmatrial.intake.standardize.standardize_lb`), or raw LB, which
        is validated and standardised first.
    ex : pl.DataFrame, optional
        EX; gives the first dose when RFSTDTC is missing and drives ``IMIDFL`` (null without EX).
    baseline : {"first_dose", "first_ex_dose"}
        First dose = DM.RFSTDTC, else the earliest EX start (``"first_dose"``), or EX only.
    missing_baseline : {"error", "keep"}
        Raise an :class:`IntakeError` for subjects without a baseline (default), or keep them with
        no ``ABLFL`` row (the engine then reports them not evaluable).
    egfr_equation : {"CKD-EPI 2009", "CKD-EPI 2021"}
        Used only when ``lb`` is raw.

    Returns
    -------
    pl.DataFrame
        Columns and types of :data:`WIDE_SCHEMA`, sorted by USUBJID and ADT.

    Raises
    ------
    IntakeError
        Subjects with no first-dose date or no assessment on or before it (``"error"``).

    Notes
    -----
    1. LB records of a subject on one date form one assessment; VISIT/VISITNUM are those of the
       lowest VISITNUM among them.
    2. Numeric analytes are pivoted (first record per subject, date and test; duplicates are
       rejected by validation), IFE results into ``SIFE``/``UIFE``, ``LBSTNRHI`` of ALP/LDH into
       ``ALP_ULN``/``LDH_ULN``.
    3. ``ADY`` = days from first dose + 1 on or after it, plain (negative) day difference before it:
       there is no day 0.
    4. ``ABLFL = "Y"`` on the last assessment dated on or before the first dose, never later.
    5. ``IMIDFL``: an EX record of an IMiD (``IMID_DRUGS``) covers ADT (EXSTDTC <= ADT <=
       EXENDTC, a missing end meaning a one-day record). Uses an as-of join on the running maximum
       end date, so it is linear in the data.

    Examples
    --------
    >>> dm = pl.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2024-01-10"], "AGE": ["60"],
    ...     "SEX": ["F"]})
    >>> lb = pl.DataFrame({"USUBJID": ["S1", "S1"], "LBTESTCD": ["FLCLAM", "FLCLAM"],
    ...     "LBORRES": ["200", "90"], "LBORRESU": ["mg/L", "mg/L"],
    ...     "LBDTC": ["2024-01-08", "2024-02-07"], "VISIT": ["BASELINE", "C2D1"],
    ...     "VISITNUM": ["1", "2"]})
    >>> build_assessments(dm, lb).select("ADY", "ABLFL", "FLCLAM").rows()
    [(-2, 'Y', 200.0), (29, None, 90.0)]
    """
    if "AVAL" not in lb.columns:
        lb = standardize_lb(lb, dm, egfr_equation=egfr_equation)
    fdt = first_dose_dates(dm, ex, baseline=baseline)
    wide = assemble_wide(dm, lb, fdt)
    if missing_baseline == "error":
        problems = baseline_problems(wide, fdt)
        if problems:
            raise IntakeError(problems)
    if ex is not None:
        wide = wide.with_columns(_imid_flag(wide, ex).alias("IMIDFL"))
    else:
        wide = wide.with_columns(pl.lit(None, dtype=pl.Boolean).alias("IMIDFL"))
    missing = {c: t for c, t in WIDE_SCHEMA.items() if c not in wide.columns}
    wide = wide.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in missing.items())
    return wide.select(pl.col(c).cast(t) for c, t in WIDE_SCHEMA.items()).sort("USUBJID", "ADT")
