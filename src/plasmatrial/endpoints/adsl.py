"""Subject-level analysis dataset (ADSL): populations, treatment dates, death and last contact.

Inputs are SDTM-like frames: DM (one row per subject), EX (exposure records) and optionally DS
(disposition events) and a last-contact source. Output variables follow ADaM naming:

``STUDYID USUBJID ARM ARMCD TRT01P TRT01A RANDDT TRTSDT TRTEDT ITTFL SAFFL AGE AGEGR1 SEX
DTHDT DTHFL LSTALVDT LSTALVSRC EOTSTT DCTREAS NACTDT``.

Populations (``docs/decisions/0010-populations.md``):

* ITT (``ITTFL``): every subject in DM with an arm other than screen failure / not assigned.
* Safety (``SAFFL``): ITT subjects with at least one EX record with a dose > 0.
* Response-evaluable is disease-specific (measurable disease at baseline and at least one
  post-baseline assessment); it is derived from the criteria output by
  :func:`derive_var_evaluable`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.dates import as_date as _date

NOT_ASSIGNED: Final = ("SCREEN FAILURE", "NOT ASSIGNED", "NOT TREATED", "")
AE_REASONS: Final = ("ADVERSE EVENT",)


def derive_adsl(
    dataset_dm: pl.DataFrame,
    dataset_ex: pl.DataFrame,
    *,
    dataset_ds: pl.DataFrame | None = None,
    dataset_last_contact: pl.DataFrame | None = None,
    dataset_next_therapy: pl.DataFrame | None = None,
    age_groups: Sequence[float] = (65.0, 75.0),
) -> pl.DataFrame:
    """Derive ADSL.

    Parameters
    ----------
    dataset_dm:
        DM with ``USUBJID`` and, when present, ``STUDYID``, ``ARM``, ``ARMCD``, ``ACTARM``,
        ``RFICDTC``/``RANDDTC`` (randomisation date), ``AGE``, ``SEX``, ``DTHDTC``, ``DTHFL``.
        Other DM columns are carried over unchanged (baseline characteristics, strata).
    dataset_ex:
        EX with ``USUBJID``, ``EXDOSE``, ``EXSTDTC``, ``EXENDTC``.
    dataset_ds:
        DS with ``USUBJID``, ``DSCAT`` (or none), ``DSDECOD``, ``DSSTDTC``. A row with
        ``DSDECOD == "DEATH"`` gives the death date when DM has none; the first row with
        ``DSCAT`` "DISPOSITION EVENT" and ``DSSCAT`` "TREATMENT" (or any non-death row when those
        columns are absent) gives the end-of-treatment status and reason.
    dataset_last_contact:
        Frame with ``USUBJID`` and ``ADT`` rows of any date the subject was documented alive
        (visits, labs, adverse events, questionnaires, alive disposition records, contacts) and
        optionally ``SRCDOM``/``SRCVAR`` naming each; the latest date per subject not after
        death, with randomisation and treatment dates, gives ``LSTALVDT`` and its sources
        ``LSTALVSRC`` (:func:`_add_last_alive`).
    dataset_next_therapy:
        Frame with ``USUBJID`` and ``NACTDT`` (start of next anticancer therapy).
    age_groups:
        Cut points for ``AGEGR1`` (``<65``, ``65-74``, ``>=75`` by default).

    Returns
    -------
    polars.DataFrame
        One row per DM subject.
    """
    if "USUBJID" not in dataset_dm.columns:
        raise PlasmatrialError("DM lacks column USUBJID")
    dup = dataset_dm.filter(pl.col("USUBJID").is_duplicated())
    if dup.height:
        raise PlasmatrialError(
            f"DM has duplicate subjects: {', '.join(dup['USUBJID'].unique().sort().to_list()[:5])}"
        )
    dm = dataset_dm
    arm = pl.col("ARM") if "ARM" in dm.columns else pl.lit("ALL", dtype=pl.Utf8)
    actarm = pl.col("ACTARM") if "ACTARM" in dm.columns else arm
    rand = "RANDDTC" if "RANDDTC" in dm.columns else "RFSTDTC"
    adsl = dm.with_columns(
        (pl.col("STUDYID") if "STUDYID" in dm.columns else pl.lit("")).alias("STUDYID"),
        arm.cast(pl.Utf8).alias("ARM"),
        arm.cast(pl.Utf8).alias("TRT01P"),
        actarm.cast(pl.Utf8).alias("TRT01A"),
        _date(dm, rand).alias("RANDDT"),
        _date(dm, "DTHDTC").alias("DTHDT"),
    )
    ex = dataset_ex.select(
        "USUBJID",
        pl.col("EXDOSE").cast(pl.Float64),
        _date(dataset_ex, "EXSTDTC").alias("_ST"),
        pl.coalesce(_date(dataset_ex, "EXENDTC"), _date(dataset_ex, "EXSTDTC")).alias("_EN"),
    ).filter(pl.col("EXDOSE") > 0)
    trt = ex.group_by("USUBJID").agg(
        pl.col("_ST").min().alias("TRTSDT"), pl.col("_EN").max().alias("TRTEDT")
    )
    adsl = adsl.join(trt, on="USUBJID", how="left")
    adsl = adsl.with_columns(
        pl.when(pl.col("ARM").is_null() | pl.col("ARM").str.to_uppercase().is_in(NOT_ASSIGNED))
        .then(pl.lit("N"))
        .otherwise(pl.lit("Y"))
        .alias("ITTFL"),
    ).with_columns(
        pl.when((pl.col("ITTFL") == "Y") & pl.col("TRTSDT").is_not_null())
        .then(pl.lit("Y"))
        .otherwise(pl.lit("N"))
        .alias("SAFFL"),
        pl.coalesce("RANDDT", "TRTSDT").alias("RANDDT"),
    )
    adsl = _add_disposition(adsl, dataset_ds)
    adsl = _add_last_alive(adsl, dataset_last_contact)
    if dataset_next_therapy is not None:
        nact = dataset_next_therapy.select(
            "USUBJID", _date(dataset_next_therapy, "NACTDT").alias("NACTDT")
        )
        adsl = adsl.join(
            nact.group_by("USUBJID").agg(pl.col("NACTDT").min()), on="USUBJID", how="left"
        )
    else:
        adsl = adsl.with_columns(pl.lit(None, dtype=pl.Date).alias("NACTDT"))
    if "AGE" in adsl.columns:
        lo, hi = age_groups
        adsl = adsl.with_columns(
            pl.when(pl.col("AGE") < lo)
            .then(pl.lit(f"<{lo:g}"))
            .when(pl.col("AGE") < hi)
            .then(pl.lit(f"{lo:g}-{hi - 1:g}"))
            .when(pl.col("AGE").is_not_null())
            .then(pl.lit(f">={hi:g}"))
            .otherwise(None)
            .alias("AGEGR1")
        )
    return adsl.with_columns(
        pl.when(pl.col("DTHDT").is_not_null())
        .then(pl.lit("Y"))
        .otherwise(pl.lit("N"))
        .alias("DTHFL")
    )


def _add_disposition(adsl: pl.DataFrame, ds: pl.DataFrame | None) -> pl.DataFrame:
    if ds is None:
        return adsl.with_columns(
            pl.lit(None, dtype=pl.Utf8).alias("EOTSTT"),
            pl.lit(None, dtype=pl.Utf8).alias("DCTREAS"),
        )
    if not {"USUBJID", "DSDECOD"} <= set(ds.columns):
        raise PlasmatrialError("DS lacks column(s) USUBJID and/or DSDECOD")
    ds = ds.with_columns(
        pl.col("DSDECOD").cast(pl.Utf8).str.to_uppercase(), _date(ds, "DSSTDTC").alias("_DT")
    )
    death = (
        ds.filter(pl.col("DSDECOD") == "DEATH")
        .group_by("USUBJID")
        .agg(pl.col("_DT").min().alias("_DSDTH"))
    )
    trt_rows = ds.filter(pl.col("DSDECOD") != "DEATH")
    if "DSSCAT" in ds.columns:
        trt_rows = trt_rows.filter(pl.col("DSSCAT").cast(pl.Utf8).str.to_uppercase() == "TREATMENT")
    eot = (
        trt_rows.sort("USUBJID", "_DT")
        .group_by("USUBJID", maintain_order=True)
        .agg(pl.col("DSDECOD").first().alias("DCTREAS"))
        .with_columns(
            pl.when(pl.col("DCTREAS") == "COMPLETED")
            .then(pl.lit("COMPLETED"))
            .otherwise(pl.lit("DISCONTINUED"))
            .alias("EOTSTT")
        )
    )
    out = adsl.join(death, on="USUBJID", how="left").join(eot, on="USUBJID", how="left")
    out = out.with_columns(
        pl.coalesce("DTHDT", "_DSDTH").alias("DTHDT"),
        pl.when(pl.col("EOTSTT").is_null() & pl.col("TRTSDT").is_not_null())
        .then(pl.lit("ONGOING"))
        .otherwise(pl.col("EOTSTT"))
        .alias("EOTSTT"),
        pl.when(pl.col("DCTREAS") == "COMPLETED")
        .then(None)
        .otherwise(pl.col("DCTREAS"))
        .alias("DCTREAS"),
    )
    return out.drop("_DSDTH")


#: Domains in the order that names ``SRCDOM`` when several sources give the last alive date.
ALIVE_SOURCE_ORDER: Final = ("DS", "SV", "AE", "QS", "RS", "LB", "ADRS", "EX", "DM")


def _add_last_alive(adsl: pl.DataFrame, contact: pl.DataFrame | None) -> pl.DataFrame:
    """``LSTALVDT`` (latest date documented alive, never after death) and ``LSTALVSRC``.

    Candidates: randomisation (``DM``), first and last dose (``EX``) and every row of ``contact``
    (``ADT``; ``SRCDOM``/``SRCVAR`` name it, default ``CONTACT``/``ADT``). Dates after the death
    date are dropped. ``LSTALVSRC`` lists the ``DOMAIN.VARIABLE`` sources of the chosen date
    (``", "``-separated, in :data:`ALIVE_SOURCE_ORDER`); a subject who died has ``LSTALVDT`` =
    ``DTHDT`` and ``LSTALVSRC`` = ``"DTHDT"``.
    """
    keys = adsl.select("USUBJID", "DTHDT")
    fixed = [("RANDDT", "DM", "RANDDT"), ("TRTSDT", "EX", "EXSTDTC"), ("TRTEDT", "EX", "EXENDTC")]
    parts = [
        adsl.select(
            "USUBJID",
            pl.col(col).cast(pl.Date).alias("_C"),
            pl.lit(dom).alias("SRCDOM"),
            pl.lit(var).alias("SRCVAR"),
        )
        for col, dom, var in fixed
    ]
    if contact is not None:
        if not {"USUBJID", "ADT"} <= set(contact.columns):
            raise PlasmatrialError("last-contact source lacks USUBJID and/or ADT")
        parts.append(
            contact.select(
                "USUBJID",
                _date(contact, "ADT").alias("_C"),
                (pl.col("SRCDOM") if "SRCDOM" in contact.columns else pl.lit("CONTACT"))
                .cast(pl.Utf8)
                .alias("SRCDOM"),
                (pl.col("SRCVAR") if "SRCVAR" in contact.columns else pl.lit("ADT"))
                .cast(pl.Utf8)
                .alias("SRCVAR"),
            )
        )
    rank = {d: i for i, d in enumerate(ALIVE_SOURCE_ORDER)}
    cand = (
        pl.concat(parts, how="vertical_relaxed")
        .join(keys, on="USUBJID", how="inner")
        .filter(
            pl.col("_C").is_not_null()
            & (pl.col("DTHDT").is_null() | (pl.col("_C") <= pl.col("DTHDT")))
        )
    )
    last = cand.filter(pl.col("_C") == pl.col("_C").max().over("USUBJID"))
    src = (
        last.with_columns(
            pl.col("SRCDOM").replace_strict(rank, default=len(rank)).alias("_R"),
            pl.format("{}.{}", "SRCDOM", "SRCVAR").alias("_S"),
        )
        .unique(["USUBJID", "_S"])
        .sort("USUBJID", "_R", "_S")
        .group_by("USUBJID", maintain_order=True)
        .agg(pl.col("_C").first().alias("_LAST"), pl.col("_S").str.join(", ").alias("_SRC"))
    )
    adsl = adsl.join(src, on="USUBJID", how="left")
    # The last date known alive never lies after death; a death date is the last alive date.
    dead = pl.col("DTHDT").is_not_null()
    return adsl.with_columns(
        pl.when(dead).then(pl.col("DTHDT")).otherwise(pl.col("_LAST")).alias("LSTALVDT"),
        pl.when(dead).then(pl.lit("DTHDT")).otherwise(pl.col("_SRC")).alias("LSTALVSRC"),
    ).drop("_LAST", "_SRC")


def derive_var_evaluable(
    dataset_adsl: pl.DataFrame,
    evaluable_subjects: Sequence[str],
    *,
    new_var: str = "EFFFL",
) -> pl.DataFrame:
    """Flag the response-evaluable population (``EFFFL``) from a list of evaluable subjects."""
    ids = list(evaluable_subjects)
    return dataset_adsl.with_columns(
        pl.when(pl.col("USUBJID").is_in(ids) & (pl.col("SAFFL") == "Y"))
        .then(pl.lit("Y"))
        .otherwise(pl.lit("N"))
        .alias(new_var)
    )
