"""EQ-5D-5L index scoring: value sets as data, one vectorised scorer, and an ADQS-style derivation.

A value set is a :class:`ValueSet` row of numbers copied from the valuation paper; the scorer
implements the general form of ``criteria.md`` 7.2 once::

    index = start + intercept·[any level > 1] + Σ_d coef[d, level_d] + Σ extra terms

Adding a country means adding a :class:`ValueSet`, not code. Shipped value sets: ``"US"``
(Pickard 2019, DEFAULT), ``"England"`` (Devlin 2018) and ``"UK2026"`` (Rowen 2026; single-source
transcription, flagged ``verified=False`` and warned about when used).

Missing or invalid answers give a missing index (no imputation). Indices keep full precision;
:func:`round_index` rounds for reporting only.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, overload

import numpy as np
import numpy.typing as npt
import polars as pl

from plasmatrial.errors import RuleError
from plasmatrial.intake.dates import as_date

logger = logging.getLogger(__name__)

#: The five EQ-5D dimensions in their fixed order (criteria.md 7.1).
DIMENSIONS: Final[tuple[str, ...]] = ("MO", "SC", "UA", "PD", "AD")

ValueSetName = Literal["US", "England", "UK2026"]

FloatArray = npt.NDArray[np.float64]


class UnverifiedValueSetWarning(UserWarning):
    """A value set whose coefficients come from a single unverified transcription was used."""


@dataclass(frozen=True, slots=True)
class ValueSetSource:
    """Bibliographic source of a value set and where its coefficients were checked."""

    citation: str
    doi: str
    pmid: str
    locator: str
    checked_against: str

    def __str__(self) -> str:
        return f"{self.citation} doi:{self.doi} ({self.locator})"


@dataclass(frozen=True, slots=True)
class CountTerm:
    """Extra model term ``coefficient · (number of dimensions with a level in levels) ** power``.

    Covers the "N4/N45"-style and squared-count terms some value sets use (criteria.md 7.2).
    """

    name: str
    levels: frozenset[int]
    coefficient: float
    power: int = 1


@dataclass(frozen=True, slots=True)
class SlopeTerm:
    """Extra model term ``coefficient · (level_d − 1)`` for one dimension (per-level slopes)."""

    name: str
    dimension: str
    coefficient: float


ExtraTerm = CountTerm | SlopeTerm


@dataclass(frozen=True, slots=True)
class ValueSet:
    """One EQ-5D-5L value set, in the general additive form of criteria.md 7.2.

    Attributes
    ----------
    name:
        Short selector (``"US"``).
    label:
        Human-readable name for reports.
    source:
        Where the coefficients come from.
    start:
        Value of the index before any term (1 for the US and England sets).
    intercept:
        Added once when any dimension is above level 1 (0 for US and England).
    coefficients:
        For each dimension, the five coefficients *added* for levels 1..5 (decrements are negative).
    extra_terms:
        Optional interaction / count / slope terms.
    verified:
        False when the coefficients come from one unverified transcription.
    """

    name: str
    label: str
    source: ValueSetSource
    start: float
    intercept: float
    coefficients: Mapping[str, tuple[float, float, float, float, float]]
    extra_terms: tuple[ExtraTerm, ...] = ()
    verified: bool = True

    def coefficient_matrix(self) -> FloatArray:
        """Return the 5 x 5 matrix ``[dimension, level − 1]`` of added coefficients."""
        missing = [d for d in DIMENSIONS if d not in self.coefficients]
        if missing:
            raise RuleError(f"value set {self.name!r} lacks coefficients for {missing}")
        return np.array([self.coefficients[d] for d in DIMENSIONS], dtype=np.float64)

    def to_frame(self) -> pl.DataFrame:
        """Return the main-effect table (one row per dimension x level) for documentation."""
        mat = self.coefficient_matrix()
        return pl.DataFrame(
            {
                "VALUE_SET": [self.name] * 25,
                "DIMENSION": [d for d in DIMENSIONS for _ in range(5)],
                "LEVEL": [lv for _ in DIMENSIONS for lv in range(1, 6)],
                "COEFFICIENT": mat.reshape(-1).tolist(),
            }
        )


def decrement_value_set(
    *,
    name: str,
    label: str,
    source: ValueSetSource,
    decrements: Mapping[str, tuple[float, float, float, float]],
    verified: bool = True,
) -> ValueSet:
    """Build a ``1 − Σ decrement`` value set from a paper's decrement table (levels 2..5).

    Parameters
    ----------
    name, label, source, verified:
        As in :class:`ValueSet`.
    decrements:
        For each dimension the printed (positive) decrements for levels 2, 3, 4 and 5.

    Returns
    -------
    ValueSet
        With ``start = 1``, no intercept and coefficients ``(0, −d2, −d3, −d4, −d5)``.
    """
    coefs = {d: (0.0, -v[0], -v[1], -v[2], -v[3]) for d, v in decrements.items()}
    return ValueSet(
        name=name,
        label=label,
        source=source,
        start=1.0,
        intercept=0.0,
        coefficients=coefs,
        verified=verified,
    )


# --- Value-set data: numbers exactly as printed in criteria.md 7.3-7.5 (levels 2, 3, 4, 5) ---

US_2019: Final = decrement_value_set(
    name="US",
    label="United States (Pickard et al. 2019)",
    source=ValueSetSource(
        citation="Pickard AS, et al. Value Health 2019;22(8):931-941",
        doi="10.1016/j.jval.2019.02.009",
        pmid="31426935",
        locator="criteria.md 7.3 (final model decrements)",
        checked_against="R eq5d (fragla/eq5d bfdc7ca VT.csv) and R valueEQ5D (24a8cba)",
    ),
    decrements={
        "MO": (0.096, 0.122, 0.237, 0.322),
        "SC": (0.089, 0.107, 0.220, 0.261),
        "UA": (0.068, 0.101, 0.255, 0.255),  # UA4 == UA5 as published
        "PD": (0.060, 0.098, 0.318, 0.414),
        "AD": (0.057, 0.123, 0.299, 0.321),
    },
)

ENGLAND_2018: Final = decrement_value_set(
    name="England",
    label="England (Devlin et al. 2018)",
    source=ValueSetSource(
        citation="Devlin NJ, et al. Health Econ 2018;27(1):7-22",
        doi="10.1002/hec.3564",
        pmid="28833869",
        locator="criteria.md 7.4 (hybrid model decrements)",
        checked_against="R eq5d (fragla/eq5d bfdc7ca VT.csv) and R valueEQ5D (24a8cba)",
    ),
    decrements={
        "MO": (0.058, 0.076, 0.207, 0.274),
        "SC": (0.050, 0.080, 0.164, 0.203),
        "UA": (0.050, 0.063, 0.162, 0.184),
        "PD": (0.063, 0.084, 0.276, 0.335),
        "AD": (0.078, 0.104, 0.285, 0.289),
    },
)

UK_2026: Final = decrement_value_set(
    name="UK2026",
    label="United Kingdom (Rowen et al. 2026) [single-source, unverified]",
    source=ValueSetSource(
        citation="Rowen D, et al. Value Health 2026 (epub 24 Mar 2026)",
        doi="10.1016/j.jval.2026.03.008",
        pmid="41887403",
        locator="criteria.md 7.5 (as coded in R eq5d 0.16.3)",
        checked_against="R eq5d 0.16.3 only; not checked against the paper",
    ),
    decrements={
        "MO": (0.032, 0.058, 0.179, 0.279),
        "SC": (0.038, 0.060, 0.162, 0.206),
        "UA": (0.049, 0.086, 0.184, 0.212),
        "PD": (0.056, 0.066, 0.371, 0.479),
        "AD": (0.041, 0.126, 0.313, 0.391),
    },
    verified=False,
)

#: Shipped value sets by selector. ``"US"`` is the default.
VALUE_SETS: Final[Mapping[str, ValueSet]] = {vs.name: vs for vs in (US_2019, ENGLAND_2018, UK_2026)}

DEFAULT_VALUE_SET: Final = "US"


def get_value_set(value_set: ValueSetName | ValueSet) -> ValueSet:
    """Resolve a selector or a :class:`ValueSet`; warn when an unverified set is used.

    Parameters
    ----------
    value_set:
        ``"US"``, ``"England"``, ``"UK2026"`` or a custom :class:`ValueSet`.

    Returns
    -------
    ValueSet
        The resolved value set.

    Raises
    ------
    RuleError
        If the selector is unknown.
    """
    if isinstance(value_set, ValueSet):
        vs = value_set
    else:
        try:
            vs = VALUE_SETS[value_set]
        except KeyError:
            raise RuleError(
                f"value_set must be one of {sorted(VALUE_SETS)} or a ValueSet, got {value_set!r}"
            ) from None
    if not vs.verified:
        warnings.warn(
            f"EQ-5D-5L value set {vs.name!r} is a single-source transcription "
            f"({vs.source.checked_against}); verify it against the paper before analysis",
            UnverifiedValueSetWarning,
            stacklevel=3,
        )
    return vs


# --- Parsing -------------------------------------------------------------------------------------


def _levels_from_strings(states: pl.Series) -> npt.NDArray[np.int8]:
    """Parse 5-digit states into an (n, 5) level matrix; 0 marks an invalid or missing state."""
    s = states.cast(pl.String, strict=False).str.strip_chars()
    valid = s.str.contains(r"^[1-5]{5}$").fill_null(False)
    digits = [
        pl.when(valid).then(s.str.slice(i, 1).cast(pl.Int8, strict=False)).otherwise(0)
        for i in range(5)
    ]
    frame = pl.DataFrame({"s": s}).select(
        [d.alias(dim) for d, dim in zip(digits, DIMENSIONS, strict=True)]
    )
    return frame.to_numpy().astype(np.int8)


def _levels_from_columns(frame: pl.DataFrame, dimensions: Sequence[str]) -> npt.NDArray[np.int8]:
    """Take five level columns; non-integer or out-of-range levels become 0 (invalid)."""
    missing = [c for c in dimensions if c not in frame.columns]
    if missing:
        raise RuleError(f"states frame lacks the dimension columns {missing}")
    exprs = []
    for c in dimensions:
        x = pl.col(c).cast(pl.Float64, strict=False)
        ok = x.is_not_null() & x.is_in([1.0, 2.0, 3.0, 4.0, 5.0])
        exprs.append(pl.when(ok).then(x.cast(pl.Int8)).otherwise(0).alias(c))
    return frame.select(exprs).to_numpy().astype(np.int8)


def compute_eq5d5l_index(levels: npt.NDArray[np.integer], value_set: ValueSet) -> FloatArray:
    """Score an (n, 5) matrix of levels; any row with a level outside 1..5 scores NaN.

    Parameters
    ----------
    levels:
        Integer matrix, columns in the order MO, SC, UA, PD, AD.
    value_set:
        The value set to apply.

    Returns
    -------
    numpy.ndarray
        Float64 index per row, NaN where the state is incomplete or invalid.

    Notes
    -----
    1. ``valid`` = every level in 1..5.
    2. ``index = start + intercept·[any level > 1] + Σ_d coef[d, level_d − 1]``.
    3. Each extra term adds ``coefficient · count ** power`` (count of dimensions at the listed
       levels) or ``coefficient · (level_d − 1)``.
    """
    lv = np.asarray(levels, dtype=np.int64)
    if lv.ndim != 2 or lv.shape[1] != len(DIMENSIONS):
        raise RuleError(f"levels must have shape (n, 5), got {lv.shape}")
    valid = np.all((lv >= 1) & (lv <= 5), axis=1)
    safe = np.where(valid[:, None], lv, 1)
    mat = value_set.coefficient_matrix()
    idx = value_set.start + mat[np.arange(5)[None, :], safe - 1].sum(axis=1)
    idx = idx + value_set.intercept * np.any(safe > 1, axis=1)
    for term in value_set.extra_terms:
        if isinstance(term, CountTerm):
            count = np.isin(safe, list(term.levels)).sum(axis=1).astype(np.float64)
            idx = idx + term.coefficient * count**term.power
        else:
            col = DIMENSIONS.index(term.dimension)
            idx = idx + term.coefficient * (safe[:, col] - 1)
    return np.where(valid, idx, np.nan)


StatesInput = pl.Series | pl.DataFrame | Sequence[str | int | None] | npt.NDArray[np.generic]


@overload
def eq5d5l_index(
    states: pl.Series | pl.DataFrame,
    *,
    value_set: ValueSetName | ValueSet = ...,
    dimensions: Sequence[str] = ...,
) -> pl.Series: ...
@overload
def eq5d5l_index(
    states: Sequence[str | int | None] | npt.NDArray[np.generic],
    *,
    value_set: ValueSetName | ValueSet = ...,
    dimensions: Sequence[str] = ...,
) -> FloatArray: ...
def eq5d5l_index(
    states: StatesInput,
    *,
    value_set: ValueSetName | ValueSet = "US",
    dimensions: Sequence[str] = DIMENSIONS,
) -> pl.Series | FloatArray:
    """EQ-5D-5L index values for health states under a value set.

    Parameters
    ----------
    states:
        Either 5-digit states (``"21345"`` or ``21345``) as a polars Series, a sequence or a 1-D
        array; or five level columns as a polars DataFrame (columns ``dimensions``) or an
        ``(n, 5)`` integer array.
    value_set:
        ``"US"`` (Pickard 2019, DEFAULT), ``"England"`` (Devlin 2018), ``"UK2026"`` (Rowen 2026,
        unverified: emits :class:`UnverifiedValueSetWarning`) or a custom :class:`ValueSet`.
    dimensions:
        Column names of the five levels when ``states`` is a DataFrame, in the order MO, SC, UA,
        PD, AD.

    Returns
    -------
    polars.Series or numpy.ndarray
        Full-precision index values: a Float64 Series named ``"EQ5DIDX"`` (null where invalid)
        for polars input, else a float64 array (NaN where invalid).

    Raises
    ------
    RuleError
        Unknown value set, missing dimension columns or a level array of the wrong shape.

    Notes
    -----
    1. Parse each state into five levels; anything other than exactly five digits 1..5 (``0``,
       ``6``, letters, 4 digits, null) makes the state invalid.
    2. Score with :func:`compute_eq5d5l_index`.
    3. No imputation and no rounding (use :func:`round_index` for reporting).

    References
    ----------
    .. [1] Pickard AS, et al. Value Health 2019;22(8):931-941.
    .. [2] Devlin NJ, et al. Health Econ 2018;27(1):7-22.

    Examples
    --------
    >>> float(round_index(eq5d5l_index(["21345"], value_set="US"))[0])
    0.164
    """
    vs = get_value_set(value_set)
    if isinstance(states, pl.DataFrame):
        levels = _levels_from_columns(states, dimensions)
        return pl.Series("EQ5DIDX", compute_eq5d5l_index(levels, vs), nan_to_null=True)
    if isinstance(states, pl.Series):
        levels = _levels_from_strings(states)
        return pl.Series("EQ5DIDX", compute_eq5d5l_index(levels, vs), nan_to_null=True)
    arr = np.asarray(states, dtype=object)
    if arr.ndim == 2:
        frame = pl.DataFrame(
            {d: pl.Series(arr[:, i].tolist(), strict=False) for i, d in enumerate(DIMENSIONS)}
        )
        return compute_eq5d5l_index(_levels_from_columns(frame, DIMENSIONS), vs)
    as_str = [None if x is None else str(x) for x in arr.reshape(-1).tolist()]
    levels = _levels_from_strings(pl.Series("s", as_str, dtype=pl.String))
    return compute_eq5d5l_index(levels, vs)


@overload
def round_index(x: pl.Series, decimals: int = ...) -> pl.Series: ...
@overload
def round_index(x: FloatArray | float, decimals: int = ...) -> FloatArray: ...
def round_index(x: pl.Series | FloatArray | float, decimals: int = 3) -> pl.Series | FloatArray:
    """Round index values for reporting, half away from zero (missing stays missing).

    Parameters
    ----------
    x:
        Index values (Series, array or scalar).
    decimals:
        Decimal places (3 for reporting, criteria.md 7.2).

    Returns
    -------
    polars.Series or numpy.ndarray
        Rounded values, same container kind as the input (scalars come back as 0-d arrays).

    Notes
    -----
    Values are first rounded to 12 decimals to remove binary artefacts (``1 − 0.836`` is
    ``0.16400000000000003``), then rounded half away from zero.
    """
    if isinstance(x, pl.Series):
        vals = x.cast(pl.Float64).to_numpy()
        return pl.Series(x.name, _round_half_away(vals, decimals), nan_to_null=True)
    return _round_half_away(np.asarray(x, dtype=np.float64), decimals)


def _round_half_away(vals: FloatArray, decimals: int) -> FloatArray:
    scale = 10.0**decimals
    clean = np.round(vals * scale, 12 - decimals if decimals < 12 else 0)
    out: FloatArray = np.sign(clean) * np.floor(np.abs(clean) + 0.5) / scale
    return out


# --- ADQS-like derivation ------------------------------------------------------------------------

#: QSTESTCD → dimension (or ``"VAS"``). EQ5D02xx is the CDISC EQ-5D-5L code list; EQ5D01xx is
#: accepted as the brief asks (CDISC uses it for 3L, so a QSCAT naming 3L is rejected).
QSTESTCD_MAP: Final[Mapping[str, str]] = {
    **{f"EQ5D010{i + 1}": d for i, d in enumerate(DIMENSIONS)},
    **{f"EQ5D020{i + 1}": d for i, d in enumerate(DIMENSIONS)},
    **{d: d for d in DIMENSIONS},
    "EQ5D0106": "VAS",
    "EQ5D0206": "VAS",
    "EQVAS": "VAS",
    "VAS": "VAS",
}


def _check_qs(dataset_qs: pl.DataFrame, by_vars: Sequence[str]) -> None:
    need = [*by_vars, "QSTESTCD", "QSSTRESN"]
    missing = [c for c in need if c not in dataset_qs.columns]
    if missing:
        raise RuleError(f"dataset_qs lacks the columns {missing}")
    if "QSCAT" in dataset_qs.columns:
        cats = dataset_qs.get_column("QSCAT").drop_nulls().unique().to_list()
        bad = [c for c in cats if "3L" in str(c).upper()]
        if bad:
            raise RuleError(f"dataset_qs has QSCAT {bad}: EQ-5D-3L cannot be scored as 5L")


def _wide_states(dataset_qs: pl.DataFrame, by_vars: Sequence[str]) -> pl.DataFrame:
    """One row per by-group with MO..AD levels and VAS."""
    qs = dataset_qs.with_columns(
        pl.col("QSTESTCD")
        .cast(pl.String)
        .str.to_uppercase()
        .replace_strict(dict(QSTESTCD_MAP), default=None)
        .alias("_DIM")
    ).filter(pl.col("_DIM").is_not_null())
    dup = qs.group_by([*by_vars, "_DIM"]).len().filter(pl.col("len") > 1)
    if dup.height:
        raise RuleError(
            f"dataset_qs has {dup.height} duplicated item(s) per {list(by_vars)}; first: "
            f"{dup.row(0, named=True)}"
        )
    keys = qs.select(by_vars).unique(maintain_order=True)
    wide = keys
    for dim in (*DIMENSIONS, "VAS"):
        part = qs.filter(pl.col("_DIM") == dim).select(
            *by_vars, pl.col("QSSTRESN").cast(pl.Float64, strict=False).alias(dim)
        )
        wide = wide.join(part, on=list(by_vars), how="left", nulls_equal=True)
    return wide


def _flag_baseline(
    adqs: pl.DataFrame,
    *,
    subject_keys: Sequence[str],
    order: Sequence[str],
    pre_dose: pl.Expr,
) -> pl.DataFrame:
    """ABLFL = "Y" on the last pre-dose record with non-missing AVAL; BASE and post-base CHG."""
    grp = [*subject_keys, "PARAMCD"]
    adqs = adqs.with_row_index("_ROW").sort([*grp, *order, "_ROW"], nulls_last=True)
    cand = pre_dose & pl.col("AVAL").is_not_null()
    adqs = adqs.with_columns(cand.fill_null(False).alias("_CAND"))
    adqs = adqs.with_columns(
        pl.when(pl.col("_CAND")).then(pl.int_range(pl.len()).over(grp)).alias("_POS")
    ).with_columns(pl.col("_POS").max().over(grp).alias("_BPOS"))
    pos = pl.int_range(pl.len()).over(grp)
    is_base = pos == pl.col("_BPOS")
    adqs = adqs.with_columns(
        pl.when(is_base).then(pl.lit("Y")).alias("ABLFL"),
        pl.when(is_base).then(pl.col("AVAL")).max().over(grp).alias("BASE"),
        (pos > pl.col("_BPOS")).fill_null(False).alias("_POST"),
    ).with_columns(
        pl.when(pl.col("_POST")).then(pl.col("AVAL") - pl.col("BASE")).alias("CHG"),
    )
    return adqs.sort("_ROW").drop("_ROW", "_CAND", "_POS", "_BPOS", "_POST")


def derive_param_eq5d(
    dataset_qs: pl.DataFrame,
    *,
    dataset_adsl: pl.DataFrame | None = None,
    value_set: ValueSetName | ValueSet = "US",
    by_vars: Sequence[str] = ("USUBJID", "VISIT"),
    subject_keys: Sequence[str] = ("USUBJID",),
    order: Sequence[str] = ("VISITNUM",),
    date_col: str = "QSDTC",
    trt_start_col: str = "TRTSDT",
) -> pl.DataFrame:
    """Derive EQ-5D-5L index (``EQ5DIDX``) and EQ VAS (``EQVAS``) parameters from QS records.

    Parameters
    ----------
    dataset_qs:
        SDTM QS-like frame: ``by_vars``, ``QSTESTCD`` (``EQ5D0201``..``EQ5D0206``,
        ``EQ5D0101``..``EQ5D0106``, ``MO``/``SC``/``UA``/``PD``/``AD``, ``EQVAS``/``VAS``) and
        ``QSSTRESN``. Optional ``QSCAT`` (a 3L category is rejected), ``order`` columns,
        ``date_col`` and ``QSBLFL``. Other test codes are ignored.
    dataset_adsl:
        Optional frame with ``subject_keys`` and ``trt_start_col`` (date). When given, a record
        is pre-dose if its ``date_col`` is on or before first dose.
    value_set:
        Value set for the index (see :func:`eq5d5l_index`).
    by_vars:
        Keys of one questionnaire administration (must include ``subject_keys``).
    subject_keys:
        Subject identifiers.
    order:
        Columns ordering administrations within a subject (after the date, when present).
    date_col:
        ISO-8601 date column of the administration (used with ``dataset_adsl``).
    trt_start_col:
        First-dose date column in ``dataset_adsl``.

    Returns
    -------
    polars.DataFrame
        Two rows per administration: ``by_vars`` (+ ``order``/date columns present),
        ``PARAMCD`` (``EQ5DIDX``/``EQVAS``), ``PARAM``, ``AVAL`` (full precision),
        ``EQ5DSTATE`` (5-digit state or null), ``EQ5DVSET`` (value-set name on index rows),
        ``ABLFL``, ``BASE`` and ``CHG``.

    Raises
    ------
    RuleError
        Missing columns, duplicated items within an administration, a 3L ``QSCAT``, or no
        way to tell pre-dose records (neither ``dataset_adsl`` nor ``QSBLFL``).

    Notes
    -----
    1. Map QSTESTCD to dimensions; pivot to one row per ``by_vars`` group.
    2. Index = :func:`eq5d5l_index` of the five levels (missing if any is missing/invalid).
       VAS outside 0..100 is missing.
    3. Pre-dose: ``date_col`` ≤ ``trt_start_col`` when ``dataset_adsl`` is given, else
       ``QSBLFL == "Y"`` on any record of the administration.
    4. Per subject and parameter, ``ABLFL = "Y"`` on the last pre-dose record with non-missing
       AVAL (sorted by date then ``order``); ``BASE`` on every record; ``CHG = AVAL − BASE`` on
       records after the baseline record only (decision 0500).

    References
    ----------
    .. [1] CDISC ADaM IG v1.3, BDS variables ABLFL, BASE, CHG.
    """
    _check_qs(dataset_qs, by_vars)
    vs = get_value_set(value_set)
    wide = _wide_states(dataset_qs, by_vars)
    levels = _levels_from_columns(wide, DIMENSIONS)
    idx = compute_eq5d5l_index(levels, vs)
    valid = np.all(levels > 0, axis=1)
    state = [
        "".join(str(v) for v in row) if ok else None
        for row, ok in zip(levels.tolist(), valid.tolist(), strict=True)
    ]
    extra = [c for c in (*order, date_col, "QSBLFL") if c in dataset_qs.columns]
    extra = [c for c in extra if c not in by_vars]
    carried = dataset_qs.group_by(list(by_vars), maintain_order=True).agg(
        [
            (pl.col(c) == "Y").any().alias("_QSBLFL")
            if c == "QSBLFL"
            else pl.col(c).drop_nulls().first()
            for c in extra
        ]
    )
    wide = wide.with_columns(
        pl.Series("_IDX", idx, nan_to_null=True),
        pl.Series("_STATE", state, dtype=pl.String),
        pl.when(pl.col("VAS").is_between(0, 100)).then(pl.col("VAS")).alias("VAS"),
    ).join(carried, on=list(by_vars), how="left", nulls_equal=True)
    base_cols = [*by_vars, *[("_QSBLFL" if c == "QSBLFL" else c) for c in extra]]
    index_rows = wide.select(
        *base_cols,
        pl.lit("EQ5DIDX").alias("PARAMCD"),
        pl.lit(f"EQ-5D-5L index ({vs.label})").alias("PARAM"),
        pl.col("_IDX").alias("AVAL"),
        pl.col("_STATE").alias("EQ5DSTATE"),
        pl.lit(vs.name).alias("EQ5DVSET"),
    )
    vas_rows = wide.select(
        *base_cols,
        pl.lit("EQVAS").alias("PARAMCD"),
        pl.lit("EQ VAS (0-100)").alias("PARAM"),
        pl.col("VAS").alias("AVAL"),
        pl.lit(None, dtype=pl.String).alias("EQ5DSTATE"),
        pl.lit(None, dtype=pl.String).alias("EQ5DVSET"),
    )
    adqs = pl.concat([index_rows, vas_rows], how="vertical")
    adqs, pre_dose, sort_cols = _pre_dose(
        adqs, dataset_adsl, subject_keys, order, date_col, trt_start_col
    )
    out = _flag_baseline(adqs, subject_keys=subject_keys, order=sort_cols, pre_dose=pre_dose)
    return out.drop([c for c in ("_TRTSDT", "_ADT", "_QSBLFL") if c in out.columns])


def _as_date(frame: pl.DataFrame, col: str, new: str) -> pl.DataFrame:
    """Add ``new`` = ``col`` as a Date (:func:`~plasmatrial.intake.dates.as_date`; partial → null)."""
    return frame.with_columns(as_date(frame, col).alias(new))


def _pre_dose(
    adqs: pl.DataFrame,
    dataset_adsl: pl.DataFrame | None,
    subject_keys: Sequence[str],
    order: Sequence[str],
    date_col: str,
    trt_start_col: str,
) -> tuple[pl.DataFrame, pl.Expr, list[str]]:
    """Return the frame with helper columns, the pre-dose expression and the sort columns."""
    order_cols = [c for c in order if c in adqs.columns]
    if dataset_adsl is not None:
        missing = [c for c in (*subject_keys, trt_start_col) if c not in dataset_adsl.columns]
        if missing:
            raise RuleError(f"dataset_adsl lacks the columns {missing}")
        if date_col not in adqs.columns:
            raise RuleError(f"dataset_qs lacks date_col {date_col!r} needed with dataset_adsl")
        adsl = _as_date(
            dataset_adsl.select(*subject_keys, trt_start_col).unique(list(subject_keys)),
            trt_start_col,
            "_TRTSDT",
        ).select(*subject_keys, "_TRTSDT")
        adqs = _as_date(adqs, date_col, "_ADT").join(adsl, on=list(subject_keys), how="left")
        return adqs, pl.col("_ADT") <= pl.col("_TRTSDT"), ["_ADT", *order_cols]
    if "_QSBLFL" in adqs.columns:
        return adqs, pl.col("_QSBLFL"), order_cols
    raise RuleError(
        "cannot tell pre-dose records: pass dataset_adsl (with first-dose date) or provide QSBLFL"
    )
