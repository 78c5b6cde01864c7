"""SDTM TU/TR (tumour identification and results) for myeloma imaging, and the myeloma columns of
the wide assessment frame.

The IMWG rule sets read three columns besides the lab analytes that SDTM keeps outside LB:
``PCYTSPD`` (cm², sum of the products of the perpendicular diameters of the soft-tissue
plasmacytomas), ``NEWLESFL`` (a new bone lesion or plasmacytoma) and ``BMCLONFL`` (clonal plasma
cells in the marrow biopsy by IHC, for sCR). This module validates TU and TR the way
:mod:`plasmatrial.intake.validate` validates LB (every problem at once, with file, row, column,
value and what was expected), derives one imaging record per subject and date, and places it on
an assessment row (decision ``docs/decisions/0104-mm-imaging-intake.md``):

* TU: one row per lesion, ``TUTESTCD = TUMIDENT``, ``TUSTRESC`` ``TARGET`` / ``NON-TARGET`` /
  ``NEW``, ``TUDTC`` the date the lesion was identified, ``TULNKID`` the lesion id (``TULOC``
  optional, kept for reading only: bone lesions and plasmacytomas both count as new lesions).
* TR: ``TRTESTCD`` ``LDIAM`` / ``LPERP`` (longest and perpendicular diameter, mm or cm) or
  ``AREA`` (the product for that lesion, mm2 or cm2), ``TRSTRESN``, ``TRSTRESU``, ``TRDTC``,
  ``TRLNKID`` (a ``TULNKID`` of the same subject). Rows with ``TRSTAT = NOT DONE`` are skipped.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from plasmatrial.errors import Problem, ReasonCode
from plasmatrial.intake.dates import dtc_date
from plasmatrial.intake.validate import (
    _date_problems,
    _first_rows,
    _missing_value,
    _vocabulary,
    _with_row,
    emit,
    missing_columns,
)

TU_REQUIRED: Final[tuple[str, ...]] = ("USUBJID", "TULNKID", "TUTESTCD", "TUSTRESC", "TUDTC")
TR_REQUIRED: Final[tuple[str, ...]] = (
    "USUBJID",
    "TRLNKID",
    "TRTESTCD",
    "TRSTRESN",
    "TRSTRESU",
    "TRDTC",
)
TU_TESTS: Final[tuple[str, ...]] = ("TUMIDENT",)
TU_RESULTS: Final[tuple[str, ...]] = ("TARGET", "NON-TARGET", "NEW")

#: TR test code -> accepted unit (normalised: no spaces or ``^``, lower case, ² as 2) -> factor to
#: the canonical unit (cm for diameters, cm2 for areas).
TR_UNITS: Final[dict[str, dict[str, float]]] = {
    "LDIAM": {"mm": 0.1, "cm": 1.0},
    "LPERP": {"mm": 0.1, "cm": 1.0},
    "AREA": {"mm2": 0.01, "cm2": 1.0},
}
#: Plausible range in the canonical unit (a data check, not a clinical threshold).
TR_PLAUSIBLE: Final[dict[str, tuple[float, float]]] = {
    "LDIAM": (0.0, 100.0),
    "LPERP": (0.0, 100.0),
    "AREA": (0.0, 10000.0),
}
#: Default matching window (days) between an imaging date and an assessment date (0104).
IMAGING_WINDOW_DAYS: Final = 14

#: Myeloma columns :func:`add_mm_columns` adds to the wide assessment frame.
MM_WIDE_COLUMNS: Final[dict[str, pl.DataType]] = {
    "BMCLONFL": pl.Boolean(),
    "PCYTSPD": pl.Float64(),
    "NEWLESFL": pl.Boolean(),
}


def _units_text(code: str) -> str:
    return ", ".join(TR_UNITS[code])


def _unit_key(col: str) -> pl.Expr:
    return (
        pl.col(col)
        .str.replace_all(r"[\s^]", "")
        .str.replace_all("²", "2", literal=True)
        .str.to_lowercase()
    )


def tu_problems(tu: pl.DataFrame, *, file: str = "TU") -> tuple[list[Problem], pl.DataFrame | None]:
    """Every problem in a raw TU frame, and the prepared frame (``None`` if columns are missing).

    The prepared frame has ``_ROW``, ``USUBJID``, ``TULNKID``, ``_RES`` (upper-case TUSTRESC) and
    ``ADT`` (TUDTC as a date).
    """
    problems = missing_columns(tu, TU_REQUIRED, file=file)
    if problems:
        return problems, None
    frame = _with_row(tu).with_columns(
        pl.col("TUTESTCD").str.strip_chars().str.to_uppercase().alias("_CODE"),
        pl.col("TUSTRESC").str.strip_chars().str.to_uppercase().alias("_RES"),
        dtc_date("TUDTC").alias("ADT"),
    )
    for col, what in (
        ("USUBJID", "a subject id"),
        ("TULNKID", "a lesion id"),
        ("TUTESTCD", "a test code"),
        ("TUSTRESC", "TARGET, NON-TARGET or NEW"),
    ):
        problems += _missing_value(frame, col, file=file, expected=what)
    problems += emit(
        frame.filter(pl.col("_CODE").is_not_null() & ~pl.col("_CODE").is_in(list(TU_TESTS))),
        file=file,
        column="TUTESTCD",
        reason=ReasonCode.UNKNOWN_TEST,
        expected="TUMIDENT (tumour identification)",
    )
    problems += _vocabulary(frame, "TUSTRESC", TU_RESULTS, file=file)
    problems += _date_problems(frame, "TUDTC", file=file, required=True, parsed="ADT")
    ok = frame.filter(pl.col("USUBJID").is_not_null() & pl.col("TULNKID").is_not_null())
    problems += emit(
        _first_rows(ok, ["USUBJID", "TULNKID"]),
        file=file,
        column="TULNKID",
        reason=ReasonCode.DUPLICATE,
        value=pl.format("{} lesion {}", pl.col("USUBJID"), pl.col("TULNKID")),
        expected=pl.format("one TU record per subject and lesion (first at data row {})", "_FIRST"),
    )
    return problems, frame.select("_ROW", "USUBJID", "TULNKID", "_RES", "ADT")


def _tr_prepare(tr: pl.DataFrame) -> pl.DataFrame:
    frame = _with_row(tr)
    if "TRSTAT" in frame.columns:
        frame = frame.filter(
            pl.col("TRSTAT").is_null() | (pl.col("TRSTAT").str.to_uppercase() != "NOT DONE")
        )
    code = pl.col("TRTESTCD").str.strip_chars().str.to_uppercase()
    num = pl.col("TRSTRESN").str.strip_chars().cast(pl.Float64, strict=False)
    lookup = {(c, u): f for c, units in TR_UNITS.items() for u, f in units.items()}
    frame = frame.with_columns(
        code.alias("_CODE"),
        _unit_key("TRSTRESU").alias("_UNIT"),
        pl.when(num.is_finite()).then(num).alias("_NUM"),
        dtc_date("TRDTC").alias("ADT"),
    )
    factor = pl.lit(None, dtype=pl.Float64)
    for (c, u), f in lookup.items():
        factor = pl.when((pl.col("_CODE") == c) & (pl.col("_UNIT") == u)).then(f).otherwise(factor)
    return frame.with_columns(factor.alias("_FACTOR")).with_columns(
        (pl.col("_NUM") * pl.col("_FACTOR")).alias("AVAL")
    )


def tr_problems(
    tr: pl.DataFrame, tu: pl.DataFrame | None, *, file: str = "TR", tu_file: str = "TU"
) -> tuple[list[Problem], pl.DataFrame | None]:
    """Every problem in a raw TR frame (``tu``: the prepared TU of :func:`tu_problems`).

    Returns the problems and the prepared frame (``None`` if columns are missing): ``_ROW``,
    ``USUBJID``, ``TRLNKID``, ``_CODE``, ``AVAL`` (cm or cm2) and ``ADT``.
    """
    problems = missing_columns(tr, TR_REQUIRED, file=file)
    if problems:
        return problems, None
    frame = _tr_prepare(tr)
    known = pl.col("_CODE").is_in(list(TR_UNITS))
    for col, what in (
        ("USUBJID", "a subject id"),
        ("TRLNKID", "the lesion id (a TULNKID of the subject in TU)"),
        ("TRTESTCD", "a test code"),
        ("TRSTRESN", "a result (use TRSTAT = NOT DONE for measurements not done)"),
    ):
        problems += _missing_value(frame, col, file=file, expected=what)
    problems += emit(
        frame.filter(pl.col("_CODE").is_not_null() & ~known),
        file=file,
        column="TRTESTCD",
        reason=ReasonCode.UNKNOWN_TEST,
        expected="LDIAM or LPERP (diameters, mm or cm) or AREA (product of diameters, mm2 or cm2)",
    )
    problems += emit(
        frame.filter(pl.col("TRSTRESN").is_not_null() & pl.col("_NUM").is_null()),
        file=file,
        column="TRSTRESN",
        reason=ReasonCode.NOT_NUMERIC,
        expected=pl.format("a number for {}", pl.col("_CODE")),
    )
    for code in TR_UNITS:
        this = frame.filter(pl.col("_CODE") == code)
        problems += emit(
            this.filter(pl.col("_UNIT").is_null()),
            file=file,
            column="TRSTRESU",
            reason=ReasonCode.MISSING_UNIT,
            expected=f"a unit for {code}: {_units_text(code)}",
        )
        problems += emit(
            this.filter(pl.col("_UNIT").is_not_null() & pl.col("_FACTOR").is_null()),
            file=file,
            column="TRSTRESU",
            reason=ReasonCode.UNKNOWN_UNIT,
            expected=f"a unit accepted for {code}: {_units_text(code)}",
        )
        lo, hi = TR_PLAUSIBLE[code]
        canon = "cm2" if code == "AREA" else "cm"
        problems += emit(
            this.filter((pl.col("AVAL") < lo) | (pl.col("AVAL") > hi)),
            file=file,
            column="TRSTRESN",
            reason=ReasonCode.IMPLAUSIBLE_VALUE,
            value=pl.format("{} {}", pl.col("TRSTRESN"), pl.col("TRSTRESU").fill_null("")),
            expected=f"{code} within {lo:g}-{hi:g} {canon} after conversion",
        )
    problems += _date_problems(frame, "TRDTC", file=file, required=True, parsed="ADT")
    ok = frame.filter(pl.col("USUBJID").is_not_null() & pl.col("TRLNKID").is_not_null() & known)
    dated = ok.filter(pl.col("ADT").is_not_null())
    problems += emit(
        _first_rows(dated, ["USUBJID", "TRLNKID", "_CODE", "ADT"]),
        file=file,
        column="TRDTC",
        reason=ReasonCode.DUPLICATE,
        value=pl.format("{} lesion {} {} on {}", "USUBJID", "TRLNKID", "_CODE", "ADT"),
        expected=pl.format(
            "one {} record per subject, lesion and date (first at data row {})", "_CODE", "_FIRST"
        ),
    )
    problems += _pair_problems(dated, file)
    if tu is None:
        if frame.height:
            problems.append(
                Problem(
                    file,
                    None,
                    "TRLNKID",
                    f"{frame.height} TR record(s)",
                    f"a TU file identifying the lesions ({tu_file})",
                    ReasonCode.MISSING_VALUE,
                )
            )
    else:
        lesions = tu.select("USUBJID", pl.col("TULNKID").alias("TRLNKID")).unique()
        problems += emit(
            ok.join(lesions, on=["USUBJID", "TRLNKID"], how="anti").sort("_ROW"),
            file=file,
            column="TRLNKID",
            reason=ReasonCode.BAD_VALUE,
            value=pl.format("{} lesion {}", "USUBJID", "TRLNKID"),
            expected=f"a TULNKID of this subject in {tu_file}",
        )
    return problems, frame.select("_ROW", "USUBJID", "TRLNKID", "_CODE", "AVAL", "ADT")


def _pair_problems(dated: pl.DataFrame, file: str) -> list[Problem]:
    """LDIAM without LPERP (or the reverse), or AREA beside diameters, for a lesion and date."""
    groups = dated.group_by("USUBJID", "TRLNKID", "ADT").agg(
        pl.col("_ROW").min(),
        (pl.col("_CODE") == "LDIAM").any().alias("_L"),
        (pl.col("_CODE") == "LPERP").any().alias("_P"),
        (pl.col("_CODE") == "AREA").any().alias("_A"),
    )
    bad = groups.filter((pl.col("_L") != pl.col("_P")) | (pl.col("_A") & pl.col("_L"))).sort("_ROW")
    return emit(
        bad,
        file=file,
        column="TRTESTCD",
        reason=ReasonCode.MISSING_VALUE,
        value=pl.format(
            "{} lesion {} on {}: {}",
            "USUBJID",
            "TRLNKID",
            "ADT",
            pl.when(pl.col("_A"))
            .then(pl.lit("AREA and diameters"))
            .when(pl.col("_L"))
            .then(pl.lit("LDIAM only"))
            .otherwise(pl.lit("LPERP only")),
        ),
        expected="both LDIAM and LPERP, or AREA alone, for each lesion and date",
    )


def imaging_records(tu: pl.DataFrame, tr: pl.DataFrame | None) -> pl.DataFrame:
    """One imaging record per subject and date from prepared (valid) TU and TR.

    Returns
    -------
    pl.DataFrame
        ``USUBJID``, ``IDT`` (imaging date), ``PCYTSPD`` (cm²; null when no target lesion was
        measured that day or a TU target lesion identified on or before it was not), ``NEWLESFL``
        (a TU ``NEW`` lesion identified that day), ``_FILE`` (``TR``/``TU``) and ``_ROW`` (first
        source row, for messages).

    Notes
    -----
    1. Per lesion and date the product is ``AREA`` or ``LDIAM × LPERP`` (cm²).
    2. PCYTSPD sums the products of the ``TARGET`` lesions; non-target and new lesions are not
       measured into the SPD.
    3. Imaging dates are the TR dates and the ``TUDTC`` of ``NEW`` lesions.
    """
    targets = tu.filter(pl.col("_RES") == "TARGET").select(
        "USUBJID", pl.col("TULNKID").alias("TRLNKID"), pl.col("ADT").alias("_IDDT")
    )
    parts: list[pl.DataFrame] = []
    if tr is not None and tr.height:
        wide = tr.group_by("USUBJID", "TRLNKID", "ADT").agg(
            pl.col("_ROW").min(),
            pl.col("AVAL").filter(pl.col("_CODE") == "AREA").first().alias("_A"),
            pl.col("AVAL").filter(pl.col("_CODE") == "LDIAM").first().alias("_L"),
            pl.col("AVAL").filter(pl.col("_CODE") == "LPERP").first().alias("_P"),
        )
        prod = wide.with_columns(pl.coalesce("_A", pl.col("_L") * pl.col("_P")).alias("_PROD"))
        measured = prod.join(targets, on=["USUBJID", "TRLNKID"], how="left")
        per_date = measured.group_by("USUBJID", "ADT").agg(
            pl.col("_ROW").min(),
            pl.col("_PROD").filter(pl.col("_IDDT").is_not_null()).sum().alias("_SPD"),
            pl.col("_IDDT").is_not_null().sum().alias("_NMEAS"),
        )
        expected_n = (
            per_date.select("USUBJID", "ADT")
            .join(targets, on="USUBJID", how="inner")
            .filter(pl.col("_IDDT") <= pl.col("ADT"))
            .group_by("USUBJID", "ADT")
            .agg(pl.len().alias("_NTGT"))
        )
        per_date = per_date.join(expected_n, on=["USUBJID", "ADT"], how="left")
        complete = (pl.col("_NMEAS") > 0) & (pl.col("_NMEAS") >= pl.col("_NTGT").fill_null(0))
        parts.append(
            per_date.select(
                "USUBJID",
                pl.col("ADT").alias("IDT"),
                pl.when(complete).then(pl.col("_SPD")).alias("PCYTSPD"),
                pl.lit(False).alias("NEWLESFL"),
                pl.lit("TR").alias("_FILE"),
                pl.col("_ROW").cast(pl.Int64),
            )
        )
    new = (
        tu.filter(pl.col("_RES") == "NEW")
        .group_by("USUBJID", "ADT")
        .agg(pl.col("_ROW").min())
        .select(
            "USUBJID",
            pl.col("ADT").alias("IDT"),
            pl.lit(None, dtype=pl.Float64).alias("PCYTSPD"),
            pl.lit(True).alias("NEWLESFL"),
            pl.lit("TU").alias("_FILE"),
            pl.col("_ROW").cast(pl.Int64),
        )
    )
    parts.append(new)
    both = pl.concat(parts, how="vertical_relaxed")
    return (
        both.sort("USUBJID", "IDT", "_FILE")
        .group_by("USUBJID", "IDT", maintain_order=True)
        .agg(
            pl.col("PCYTSPD").drop_nulls().first(),
            pl.col("NEWLESFL").any(),
            pl.col("_FILE").first(),
            pl.col("_ROW").first(),
        )
        .sort("USUBJID", "IDT")
    )


def match_imaging(
    wide: pl.DataFrame,
    imaging: pl.DataFrame,
    fdt: pl.DataFrame,
    *,
    window_days: int = IMAGING_WINDOW_DAYS,
    files: tuple[str, str] = ("TU", "TR"),
) -> tuple[pl.DataFrame, list[Problem]]:
    """Place each imaging record on an assessment row of ``wide`` (decision 0104).

    Parameters
    ----------
    wide:
        Wide assessment frame (``USUBJID``, ``ADT``, ``ABLFL``).
    imaging:
        :func:`imaging_records`.
    fdt:
        First-dose dates (``USUBJID``, ``FDT``).
    window_days:
        Largest distance in days between an on-treatment imaging date and its assessment.
    files:
        TU and TR file names for messages.

    Returns
    -------
    tuple
        ``(USUBJID, ADT, PCYTSPD, NEWLESFL)`` per matched assessment row, and a problem for every
        on-treatment imaging record with no assessment within the window.

    Notes
    -----
    1. Imaging on or before the first dose goes to the baseline row (``ABLFL = "Y"``): baseline
       is the last value on or before the first dose (criteria.md 0.1).
    2. Later imaging goes to the nearest assessment after the first dose with
       ``|ADT - imaging date| <= window_days``; at equal distance the earlier assessment.
    3. Several imaging records on one row: ``PCYTSPD`` of the latest one that has it,
       ``NEWLESFL`` true if any of them found a new lesion.
    """
    # subjects without a first dose (or not in DM) are reported elsewhere (baseline, DM checks)
    img = (
        imaging.join(fdt.filter(pl.col("FDT").is_not_null()), on="USUBJID", how="inner")
        .sort("USUBJID", "IDT")
        .with_row_index("_I")
    )
    base_rows = wide.filter(pl.col("ABLFL") == "Y").select("USUBJID", pl.col("ADT").alias("_BL"))
    pre = img.filter(pl.col("IDT") <= pl.col("FDT"))
    pre = pre.join(base_rows, on="USUBJID", how="inner").select("_I", pl.col("_BL").alias("ADT"))
    post = img.filter(pl.col("IDT") > pl.col("FDT"))
    rows = (
        wide.join(fdt, on="USUBJID", how="left")
        .filter(pl.col("FDT").is_null() | (pl.col("ADT") > pl.col("FDT")))
        .select("USUBJID", "ADT", pl.col("ADT").alias("_A"))
        .sort("ADT")
    )
    probe = post.select("_I", "USUBJID", "IDT").sort("IDT")
    back = probe.join_asof(
        rows.rename({"_A": "_B"}).drop("ADT"),
        left_on="IDT",
        right_on="_B",
        by="USUBJID",
        strategy="backward",
        check_sortedness=False,
    )
    fwd = back.join_asof(
        rows.rename({"_A": "_F"}).drop("ADT"),
        left_on="IDT",
        right_on="_F",
        by="USUBJID",
        strategy="forward",
        check_sortedness=False,
    )
    db = (pl.col("IDT") - pl.col("_B")).dt.total_days()
    df = (pl.col("_F") - pl.col("IDT")).dt.total_days()
    chosen = fwd.with_columns(
        pl.when(pl.col("_F").is_null() | (db <= df))
        .then(pl.col("_B"))
        .otherwise(pl.col("_F"))
        .alias("ADT")
    ).with_columns((pl.col("ADT") - pl.col("IDT")).dt.total_days().abs().alias("_D"))
    matched = chosen.filter(pl.col("_D") <= window_days).select("_I", "ADT")
    unmatched = post.join(matched, on="_I", how="anti").join(
        chosen.select("_I", pl.col("ADT").alias("_NEAR"), "_D"), on="_I", how="left"
    )
    tu_file, tr_file = files
    problems = [
        Problem(
            tu_file if f == "TU" else tr_file,
            r,
            "TUDTC" if f == "TU" else "TRDTC",
            f"{s} imaging on {d}",
            f"an assessment (LB date) within {window_days} days after the first dose "
            + (f"(nearest {n}, {dd} days away)" if n is not None else "(none after first dose)"),
            ReasonCode.OUT_OF_ORDER,
        )
        for s, d, f, r, n, dd in unmatched.sort("_FILE", "_ROW")
        .select("USUBJID", "IDT", "_FILE", "_ROW", "_NEAR", "_D")
        .iter_rows()
    ]
    placed = pl.concat([pre, matched]).join(img, on="_I", how="inner")
    out = (
        placed.sort("USUBJID", "ADT", "IDT")
        .group_by("USUBJID", "ADT", maintain_order=True)
        .agg(pl.col("PCYTSPD").drop_nulls().last(), pl.col("NEWLESFL").any())
    )
    return out, problems


def new_before_first_dose(
    tu: pl.DataFrame, fdt: pl.DataFrame, *, file: str = "TU"
) -> list[Problem]:
    """A ``NEW`` lesion identified on or before the first dose (it cannot be new on treatment)."""
    bad = (
        tu.filter(pl.col("_RES") == "NEW")
        .join(fdt, on="USUBJID", how="inner")
        .filter(pl.col("ADT") <= pl.col("FDT"))
        .sort("_ROW")
    )
    return emit(
        bad,
        file=file,
        column="TUSTRESC",
        reason=ReasonCode.BAD_VALUE,
        value=pl.format("NEW on {}", "ADT"),
        expected=pl.format(
            "TARGET or NON-TARGET for a lesion identified on or before the first dose ({})", "FDT"
        ),
    )


def add_mm_columns(wide: pl.DataFrame, placed: pl.DataFrame | None = None) -> pl.DataFrame:
    """Add ``BMCLONFL`` (from the LB ``BMCLON`` result), ``PCYTSPD`` and ``NEWLESFL``.

    ``placed`` is the first result of :func:`match_imaging`; without it the imaging columns are
    null (no imaging supplied).
    """
    clon = pl.col("BMCLON") if "BMCLON" in wide.columns else pl.lit(None, dtype=pl.String)
    out = wide.drop([c for c in MM_WIDE_COLUMNS if c in wide.columns]).with_columns(
        pl.when(clon == "POSITIVE")
        .then(True)
        .when(clon == "NEGATIVE")
        .then(False)
        .cast(pl.Boolean)
        .alias("BMCLONFL")
    )
    if placed is None:
        return out.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("PCYTSPD"),
            pl.lit(None, dtype=pl.Boolean).alias("NEWLESFL"),
        )
    keys = wide.select(pl.col("USUBJID"), pl.col("ADT"))
    cols = keys.join(
        placed.select(
            "USUBJID",
            pl.col("ADT").cast(wide.schema["ADT"]),
            pl.col("PCYTSPD").cast(pl.Float64),
            pl.col("NEWLESFL").cast(pl.Boolean),
        ),
        on=["USUBJID", "ADT"],
        how="left",
        maintain_order="left",
    )
    return out.with_columns(cols.get_column("PCYTSPD"), cols.get_column("NEWLESFL"))
