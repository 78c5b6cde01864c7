"""The ``mrd`` endpoint: MRD-negativity rate by the IMWG 2016 categories (sap.md 5, decision 0505).

An RS record ``RSTESTCD = "MRD"`` is one bone-marrow MRD test: result ``RSSTRESC``
(``NEGATIVE``/``POSITIVE``), date ``RSDTC``, method ``RSMETHOD`` (else ``RSCAT``; ``NGF`` or
``NGS``) and sensitivity ``RSLLOQ`` (else ``MRDSENS``; a fraction, 1e-5 = 1 in 10⁵ cells). The
tests the trial file's options admit (method, assessment window) are categorised by
:func:`plasmatrial.criteria.mm.mrd.derive_mrd` with the endpoint's minimum sensitivity and, by
DEFAULT, the CR requirement read from the subject's best response (ADSL ``BESTRSP``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from plasmatrial.criteria.mm.mrd import derive_mrd
from plasmatrial.design.protocol import Endpoint, Trial
from plasmatrial.endpoints.tte import DAYS_PER_MONTH
from plasmatrial.intake.dates import as_date
from plasmatrial.trial.analyse import ResponseRateResult, TableResult, proportion_table
from plasmatrial.trial.options import MrdOptions, mrd_options

#: MRD categories that count as MRD-negative (IMWG 2016).
NEGATIVE_CATEGORIES: Final = (
    "SUSTAINED_MRD_NEGATIVE",
    "IMAGING_PLUS_MRD_NEGATIVE",
    "FLOW_AND_SEQUENCING_MRD_NEGATIVE",
    "FLOW_MRD_NEGATIVE",
    "SEQUENCING_MRD_NEGATIVE",
)
_POP_FLAG: Final = {"ITT": "ITTFL", "SAFETY": "SAFFL", "EVALUABLE": "EFFFL"}
_METHOD_COLS: Final = ("RSMETHOD", "RSCAT")
_SENS_COLS: Final = ("RSLLOQ", "MRDSENS")


def _first_col(frame: pl.DataFrame, names: tuple[str, ...], dtype: pl.DataType) -> pl.Expr:
    for n in names:
        if n in frame.columns:
            return pl.col(n).cast(pl.Utf8).str.strip_chars().str.to_uppercase().cast(dtype)
    return pl.lit(None, dtype=dtype)


def _tests(rs: pl.DataFrame, adsl: pl.DataFrame) -> pl.DataFrame:
    """MRD tests with method, sensitivity, study day and best response."""
    mrd = rs.filter(pl.col("RSTESTCD").cast(pl.Utf8).str.to_uppercase() == "MRD")
    sens = next((c for c in _SENS_COLS if c in mrd.columns), None)
    return mrd.select(
        pl.col("USUBJID").cast(pl.Utf8),
        as_date(mrd, "RSDTC").alias("ADT"),
        pl.col("RSSTRESC").cast(pl.Utf8).str.strip_chars().str.to_uppercase().alias("_RES"),
        _first_col(mrd, _METHOD_COLS, pl.Utf8()).alias("_METHOD"),
        (pl.col(sens).cast(pl.Float64, strict=False) if sens else pl.lit(None, pl.Float64)).alias(
            "MRDSENS"
        ),
    ).join(
        adsl.select("USUBJID", "STARTDT", pl.col("BESTRSP").alias("_BEST")),
        on="USUBJID",
        how="inner",
    )


def analyse_mrd(
    endpoint: Endpoint, trial: Trial, adsl: pl.DataFrame, rs: pl.DataFrame | None
) -> ResponseRateResult | TableResult:
    """MRD-negativity rate with the trial file's method, sensitivity, window and CR requirement.

    Notes
    -----
    1. Tests whose method is not the required one, and tests after the window, are set aside.
    2. The others are categorised by :func:`~plasmatrial.criteria.mm.mrd.derive_mrd`
       (``min_sensitivity`` = ``options.sensitivity``; response = ``BESTRSP`` when
       ``require_cr``).
    3. A subject is a success with at least one test in :data:`NEGATIVE_CATEGORIES`; the
       denominator is ``options.population`` (DEFAULT ITT), subjects without a test included.
    4. The note states what was required and how many negative results were excluded, by reason.
    """
    opts = mrd_options(endpoint)
    if (
        rs is None
        or rs.filter(pl.col("RSTESTCD").cast(pl.Utf8).str.to_uppercase() == "MRD").is_empty()
    ):
        return TableResult(
            endpoint.id, endpoint.label, "mrd", pl.DataFrame(),
            note="no MRD results (RS records with RSTESTCD = MRD) supplied",
        )  # fmt: skip
    tests = _tests(rs, adsl)
    negative = pl.col("_RES") == "NEGATIVE"
    known = pl.col("_METHOD").is_in(["NGF", "NGS"]).fill_null(value=False)
    method_ok = known if opts.method == "ANY" else (pl.col("_METHOD") == opts.method)
    method_ok = method_ok.fill_null(value=False)
    limit = None if opts.months is None else opts.months * DAYS_PER_MONTH + opts.window_days
    ady = (pl.col("ADT") - pl.col("STARTDT")).dt.total_days() + 1
    in_window = pl.lit(value=True) if limit is None else (ady <= limit).fill_null(value=False)
    excluded = {
        "method": tests.filter(negative & ~method_ok).height,
        "window": tests.filter(negative & method_ok & ~in_window).height,
    }
    kept = tests.filter(method_ok & in_window).with_columns(
        pl.when(pl.col("_METHOD") == "NGF").then(pl.col("_RES")).alias("MRDNGF"),
        pl.when(pl.col("_METHOD") == "NGS").then(pl.col("_RES")).alias("MRDNGS"),
    )
    cats = derive_mrd(
        kept,
        response_col="_BEST",
        require_cr=opts.require_cr,
        min_sensitivity=opts.sensitivity,
    )
    excluded["sensitivity"] = cats.filter(pl.col("MRDCAT") == "MRD_NOT_EVALUABLE").height
    excluded["cr"] = cats.filter(pl.col("MRDCAT") == "MRD_NOT_IN_CR").height
    neg_ids = cats.filter(pl.col("MRDCAT").is_in(list(NEGATIVE_CATEGORIES)))["USUBJID"]
    subjects = adsl.filter(pl.col(_POP_FLAG[opts.population]) == "Y").with_columns(
        pl.col("USUBJID").is_in(neg_ids.unique().to_list()).alias("SUCCESS")
    )
    table = proportion_table(endpoint, subjects, arms=[a.code for a in trial.arms])
    when = "at any time" if limit is None else f"by {opts.months:g} months (study day {int(limit)})"
    return ResponseRateResult(
        endpoint.id, endpoint.label, opts.population, ("MRD-NEGATIVE",), when, table,
        note=_note(opts, when, tests.filter(negative).height, excluded),
    )  # fmt: skip


def _sens(x: float) -> str:
    """``1e-5`` rather than Python's ``1e-05``."""
    mantissa, exponent = f"{x:e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _note(opts: MrdOptions, when: str, n_negative: int, excluded: dict[str, int]) -> str:
    method = "NGF or NGS" if opts.method == "ANY" else opts.method
    required = (
        f"bone-marrow MRD negative by {method}, sensitivity {_sens(opts.sensitivity)} or better, "
        f"tested {when}" + (", in CR/sCR (best response)" if opts.require_cr else "")
    )
    reasons = {
        "method": f"method not {method}",
        "window": "tested after the window",
        "sensitivity": f"sensitivity worse than {_sens(opts.sensitivity)} or not stated",
        "cr": "best response not CR/sCR",
    }
    parts = [f"{n} {reasons[k]}" for k, n in excluded.items() if n]
    total = sum(excluded.values())
    why = f" ({'; '.join(parts)})" if parts else ""
    return (
        f"IMWG 2016 MRD; required: {required}. {n_negative} MRD-negative result(s), "
        f"{total} excluded{why}. Denominator: {opts.population}"
    )
