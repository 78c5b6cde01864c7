"""Parse a raw LB frame once into typed helper columns used by validation and standardisation.

The helper columns (prefixed ``_``) are internal; :func:`prepare_lb` is shared by
:mod:`plasmatrial.intake.validate` and :mod:`plasmatrial.intake.standardize` so that the value a
validator accepted is exactly the value that gets standardised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import polars as pl

from plasmatrial.intake.analytes import ALIAS_TO_CODE, ANALYTES, IFE_VALUES
from plasmatrial.intake.dates import dtc_date
from plasmatrial.intake.units import UNIT_FACTORS, accepted_units, unit_key

#: Roman numerals accepted for integer-coded results (NYHA class).
ROMAN: Final[dict[str, float]] = {"I": 1.0, "II": 2.0, "III": 3.0, "IV": 4.0}

_KIND: Final[dict[str, str]] = {a.code: a.kind for a in ANALYTES}
_CANUNIT: Final[dict[str, str]] = {a.code: a.unit for a in ANALYTES}
_UNITS_OK: Final[dict[str, str]] = {a.code: accepted_units(a.code) for a in ANALYTES}
_LO: Final[dict[str, float | None]] = {a.code: a.plausible[0] for a in ANALYTES}
_HI: Final[dict[str, float | None]] = {a.code: a.plausible[1] for a in ANALYTES}


def _text_upper(frame: pl.DataFrame) -> pl.DataFrame:
    renamed = frame.rename({c: c.upper() for c in frame.columns if c != c.upper()})
    casts = [pl.col(c).cast(pl.String) for c, t in renamed.schema.items() if t != pl.String]
    return renamed.with_columns(casts) if casts else renamed


def _code_of(raw: str) -> str | None:
    return ALIAS_TO_CODE.get(raw.strip().upper())


def _unit_key_of(raw: str) -> str | None:
    return unit_key(raw) or None


def _map_uniques(frame: pl.DataFrame, col: str, fn: Callable[[str], str | None]) -> pl.Expr:
    """Apply ``fn`` to the distinct values of a text column only (few codes/units, many rows)."""
    uniques = frame.get_column(col).drop_nulls().unique().to_list()
    mapping = {u: fn(u) for u in uniques}
    return pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.String)


def _number(col: str) -> pl.Expr:
    num = pl.col(col).str.strip_chars().cast(pl.Float64, strict=False)
    return pl.when(num.is_finite()).then(num).otherwise(None)


def prepare_lb(lb: pl.DataFrame) -> pl.DataFrame:
    """Add parsed helper columns to a raw LB frame (required columns must exist).

    Parameters
    ----------
    lb : pl.DataFrame
        Raw LB records (text or typed columns).

    Returns
    -------
    pl.DataFrame
        The input columns plus ``_ROW`` (1-based file row), ``_CODE`` (canonical code or null),
        ``_KIND``, ``_CANUNIT``, ``_UNITS_OK``, ``_LO``/``_HI`` (plausible range), ``_UNITKEY``,
        ``_FACTOR`` (to canonical unit), ``_NUM`` (raw number), ``AVAL`` (canonical number),
        ``AVALC`` (IFE result), ``ADT`` (date), ``_VISITNUM`` and, when ``LBSTNRHI`` /
        ``LBSTNRLO`` exist, ``_ULNRAW``/``_ULN`` / ``_LLNRAW``/``_LLN`` (normal range in the
        canonical unit, converted with the result's factor). Rows with ``LBSTAT == "NOT DONE"`` are dropped (row numbers keep
        counting the file's rows).

    Notes
    -----
    1. Test codes are upper-cased and mapped through ``ALIAS_TO_CODE``.
    2. Units are normalised (:func:`~plasmatrial.intake.units.unit_key`) and looked up per code;
       unitless analytes (NYHA) take factor 1 when no unit is given.
    3. Results are parsed as finite floats; NYHA also accepts I-IV.
    4. ``AVAL = _NUM * _FACTOR``; IFE text is mapped through ``IFE_VALUES``.
    """
    frame = _text_upper(lb).with_row_index("_ROW", offset=1)
    if "LBSTAT" in frame.columns:
        frame = frame.filter(
            pl.col("LBSTAT").is_null() | (pl.col("LBSTAT").str.to_uppercase() != "NOT DONE")
        )
    frame = frame.with_columns(
        _map_uniques(frame, "LBTESTCD", _code_of).alias("_CODE"),
        _map_uniques(frame, "LBORRESU", _unit_key_of).alias("_UNITKEY"),
        _number("LBORRES").alias("_NUMRAW"),
        dtc_date("LBDTC").alias("ADT"),
        _number("VISITNUM").alias("_VISITNUM"),
    )
    pairs = frame.select("_CODE", "_UNITKEY").unique()
    lookup = pairs.with_columns(
        pl.Series(
            "_FACTOR",
            [
                UNIT_FACTORS.get((c, u)) if c is not None and u is not None else None
                for c, u in pairs.iter_rows()
            ],
            dtype=pl.Float64,
        ),
        pl.Series("_KIND", [_KIND.get(c) for c in pairs.get_column("_CODE")], dtype=pl.String),
        pl.Series(
            "_CANUNIT", [_CANUNIT.get(c) for c in pairs.get_column("_CODE")], dtype=pl.String
        ),
        pl.Series(
            "_UNITS_OK", [_UNITS_OK.get(c) for c in pairs.get_column("_CODE")], dtype=pl.String
        ),
        pl.Series("_LO", [_LO.get(c) for c in pairs.get_column("_CODE")], dtype=pl.Float64),
        pl.Series("_HI", [_HI.get(c) for c in pairs.get_column("_CODE")], dtype=pl.Float64),
    )
    frame = frame.join(
        lookup, on=["_CODE", "_UNITKEY"], how="left", nulls_equal=True, maintain_order="left"
    )
    roman = (
        pl.col("LBORRES")
        .str.strip_chars()
        .str.to_uppercase()
        .replace_strict(ROMAN, default=None, return_dtype=pl.Float64)
    )
    kind = pl.col("_KIND")
    frame = frame.with_columns(
        pl.when(kind == "integer")
        .then(pl.coalesce(pl.col("_NUMRAW"), roman))
        .when(kind == "numeric")
        .then(pl.col("_NUMRAW"))
        .otherwise(None)
        .alias("_NUM"),
        pl.when((pl.col("_CANUNIT") == "") & pl.col("_UNITKEY").is_null())
        .then(pl.lit(1.0))
        .otherwise(pl.col("_FACTOR"))
        .alias("_FACTOR"),
        pl.when(kind == "character")
        .then(
            pl.col("LBORRES")
            .str.strip_chars()
            .str.to_uppercase()
            .replace_strict(IFE_VALUES, default=None, return_dtype=pl.String)
        )
        .otherwise(None)
        .alias("AVALC"),
    )
    frame = frame.with_columns((pl.col("_NUM") * pl.col("_FACTOR")).alias("AVAL"))
    if "LBSTNRHI" in frame.columns:
        frame = frame.with_columns(_number("LBSTNRHI").alias("_ULNRAW")).with_columns(
            (pl.col("_ULNRAW") * pl.col("_FACTOR")).alias("_ULN")
        )
    if "LBSTNRLO" in frame.columns:
        frame = frame.with_columns(_number("LBSTNRLO").alias("_LLNRAW")).with_columns(
            (pl.col("_LLNRAW") * pl.col("_FACTOR")).alias("_LLN")
        )
    return frame.drop("_NUMRAW")
