"""Exposure (ADEX): cycles, cumulative dose, dose intensity, relative dose intensity, reductions,
interruptions and discontinuation for adverse events.

Definitions (see ``docs/decisions/0007-dose-intensity.md``):

* An EX record gives a constant daily dose ``EXDOSE`` on every day from ``EXSTDTC`` to
  ``EXENDTC`` inclusive (a weekly dexamethasone dose is a one-day record).
* Cycles started = cycles (of ``cycle_days`` from the first dose) that contain at least one dose.
* Actual cumulative dose = sum of ``EXDOSE x days`` over records.
* Planned cumulative dose = planned daily dose x planned dosing days per cycle x cycles started
  (the last cycle counts in full: a cycle started is a cycle planned).
* Relative dose intensity (RDI, %) = 100 x actual / planned cumulative dose.
* Dose intensity (DI) = actual cumulative dose per 28 days of exposure, exposure counted from first
  dose to the end of the last cycle started (``cycles x cycle_days`` days).
* A reduction is a record whose dose is below the previous record's dose of the same drug.
* An interruption is a gap between consecutive records of the same drug longer than the planned
  off-treatment gap between them (``cycle_days - len(days)`` at a cycle boundary, the planned
  spacing within a cycle otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

import polars as pl

from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.dates import as_date

EX_REQUIRED: Final = ("USUBJID", "EXTRT", "EXDOSE", "EXSTDTC", "EXENDTC")


@dataclass(frozen=True, slots=True)
class PlannedDose:
    """A drug's planned schedule within a regimen.

    Attributes
    ----------
    drug:
        Name as in ``EX.EXTRT`` (compared case-insensitively).
    dose:
        Planned dose on each dosing day, in ``unit``.
    unit:
        Dose unit (``mg``).
    days:
        Dosing days of each cycle, 1-based (e.g. ``range(1, 22)`` for days 1-21).
    cycle_days:
        Cycle length in days.
    phases:
        Cycle-dependent days ``(first cycle, last cycle or 0 = open, days)``; cycles no phase
        covers use ``days``.
    """

    drug: str
    dose: float
    unit: str
    days: tuple[int, ...]
    cycle_days: int = 28
    phases: tuple[tuple[int, int, tuple[int, ...]], ...] = ()

    def days_in_cycle(self, cycle: int) -> tuple[int, ...]:
        """Dosing days of cycle ``cycle`` (1-based)."""
        for first, last, days in self.phases:
            if cycle >= first and (last == 0 or cycle <= last):
                return days
        return self.days

    def planned_days(self, n_cycles: int) -> int:
        """Planned dosing days over cycles 1..``n_cycles``."""
        return sum(len(set(self.days_in_cycle(k))) for k in range(1, n_cycles + 1))

    def __post_init__(self) -> None:
        if self.dose <= 0:
            raise PlasmatrialError(f"PlannedDose {self.drug}: dose must be > 0, got {self.dose}")
        for days in (self.days, *(ph[2] for ph in self.phases)):
            if not days or min(days) < 1 or max(days) > self.cycle_days:
                raise PlasmatrialError(
                    f"PlannedDose {self.drug}: days must lie in 1..{self.cycle_days}, got {days}"
                )

    @property
    def dosing_days_per_cycle(self) -> int:
        """Number of planned dosing days in one cycle."""
        return len(set(self.days))

    @property
    def max_planned_gap(self) -> int:
        """Longest planned run of non-dosing days between two dosing days (across cycles)."""
        gaps = []
        for days in (self.days, *(ph[2] for ph in self.phases)):
            d = sorted(set(days))
            gaps += [b - a - 1 for a, b in pairwise(d)]
            gaps.append(self.cycle_days - d[-1] + d[0] - 1)
        return max(gaps)


def derive_adex(
    dataset_ex: pl.DataFrame,
    *,
    planned: Sequence[PlannedDose],
    dataset_ds: pl.DataFrame | None = None,
    ae_discontinuation: Sequence[str] = ("ADVERSE EVENT",),
) -> pl.DataFrame:
    """Per-subject, per-drug exposure summary.

    Parameters
    ----------
    dataset_ex:
        SDTM EX: ``USUBJID``, ``EXTRT``, ``EXDOSE``, ``EXSTDTC``, ``EXENDTC`` (ISO dates or dates).
    planned:
        Planned schedules; drugs in EX without a plan are reported without RDI.
    dataset_ds:
        Optional SDTM DS with ``USUBJID``, ``DSDECOD`` (and ``DSCAT``); subjects whose treatment
        disposition is in ``ae_discontinuation`` get ``DCAEFL = "Y"``.
    ae_discontinuation:
        ``DSDECOD`` values meaning "discontinued because of an adverse event".

    Returns
    -------
    polars.DataFrame
        ``USUBJID``, ``EXTRT``, ``TRTSDT``, ``TRTEDT``, ``NCYCLES``, ``CUMDOSE``, ``PLCUMDOS``,
        ``DOSEU``, ``EXPDUR`` (days), ``DI`` (dose per 28 days), ``PLDI``, ``RDI`` (%),
        ``NREDUC``, ``NINTRP``, ``LASTDOSE``, ``DCAEFL``.

    Notes
    -----
    1. Expand nothing: durations come from ``EXENDTC - EXSTDTC + 1`` per record.
    2. Cycle of a record = ``(EXSTDTC - first dose) // cycle_days + 1``; cycles started is the
       highest cycle with a record.
    3. Reductions and interruptions compare each record with the previous record of the same
       drug (sorted by start date).
    """
    missing = [c for c in EX_REQUIRED if c not in dataset_ex.columns]
    if missing:
        raise PlasmatrialError(f"EX lacks column(s) {', '.join(missing)}")
    ex = _flagged_records(dataset_ex, planned)
    out = ex.group_by("USUBJID", "EXTRT", maintain_order=True).agg(
        pl.col("_ST").min().alias("TRTSDT"),
        pl.col("_EN").max().alias("TRTEDT"),
        pl.col("_CYCLE").max().cast(pl.Int64).alias("NCYCLES"),
        (pl.col("EXDOSE") * pl.col("_NDAYS")).sum().alias("CUMDOSE"),
        pl.col("PLDOSE").first(),
        pl.col("PLDAYS").first(),
        pl.col("CYCLEN").first(),
        pl.col("DOSEU").first(),
        pl.col("_REDUC").sum().cast(pl.Int64).alias("NREDUC"),
        pl.col("_INTRP").sum().cast(pl.Int64).alias("NINTRP"),
        pl.col("EXDOSE").last().alias("LASTDOSE"),
    )
    out = out.with_columns(
        (pl.col("NCYCLES") * pl.col("CYCLEN")).alias("EXPDUR"),
        (pl.col("PLDOSE") * pl.col("PLDAYS") * pl.col("NCYCLES")).alias("PLCUMDOS"),
    )
    phased = {p.drug.upper(): p for p in planned if p.phases}
    if phased:  # cycle-dependent days: planned dose summed over the cycles started
        plcum = [
            phased[d.upper()].dose * phased[d.upper()].planned_days(int(nc)) if d.upper() in phased
            else pc
            for d, nc, pc in zip(out["EXTRT"], out["NCYCLES"], out["PLCUMDOS"], strict=True)
        ]  # fmt: skip
        out = out.with_columns(pl.Series("PLCUMDOS", plcum, dtype=pl.Float64))
    out = out.with_columns(
        (pl.col("CUMDOSE") / pl.col("EXPDUR") * 28).alias("DI"),
        (pl.col("PLDOSE") * pl.col("PLDAYS") / pl.col("CYCLEN") * 28).alias("PLDI"),
        (100 * pl.col("CUMDOSE") / pl.col("PLCUMDOS")).alias("RDI"),
    )
    dcae = pl.lit("N")
    if dataset_ds is not None:
        if not {"USUBJID", "DSDECOD"} <= set(dataset_ds.columns):
            raise PlasmatrialError("DS lacks column(s) USUBJID and/or DSDECOD")
        ae_ids = (
            dataset_ds.filter(pl.col("DSDECOD").str.to_uppercase().is_in(list(ae_discontinuation)))
            .get_column("USUBJID")
            .unique()
            .to_list()
        )
        dcae = pl.when(pl.col("USUBJID").is_in(ae_ids)).then(pl.lit("Y")).otherwise(pl.lit("N"))
    return out.with_columns(dcae.alias("DCAEFL")).select(
        "USUBJID",
        "EXTRT",
        "TRTSDT",
        "TRTEDT",
        "NCYCLES",
        "CUMDOSE",
        "PLCUMDOS",
        "DOSEU",
        "EXPDUR",
        "DI",
        "PLDI",
        "RDI",
        "NREDUC",
        "NINTRP",
        "LASTDOSE",
        "DCAEFL",
    )


def _flagged_records(dataset_ex: pl.DataFrame, planned: Sequence[PlannedDose]) -> pl.DataFrame:
    """EX records sorted by subject, drug and start, with the plan of their drug, their days,
    cycle, reduction (``_REDUC``) and interruption (``_INTRP``) flags (module definitions)."""
    plans = pl.DataFrame(
        {
            "_DRUG": [p.drug.upper() for p in planned],
            "PLDOSE": [float(p.dose) for p in planned],
            "DOSEU": [p.unit for p in planned],
            "PLDAYS": [p.dosing_days_per_cycle for p in planned],
            "CYCLEN": [p.cycle_days for p in planned],
            "PLGAP": [p.max_planned_gap for p in planned],
        },
        schema={
            "_DRUG": pl.Utf8,
            "PLDOSE": pl.Float64,
            "DOSEU": pl.Utf8,
            "PLDAYS": pl.Int64,
            "CYCLEN": pl.Int64,
            "PLGAP": pl.Int64,
        },
    )

    ex = (
        dataset_ex.select(
            "USUBJID",
            pl.col("EXTRT").cast(pl.Utf8),
            pl.col("EXTRT").cast(pl.Utf8).str.to_uppercase().alias("_DRUG"),
            pl.col("EXDOSE").cast(pl.Float64),
            (
                pl.col("EXDOSU").cast(pl.Utf8)
                if "EXDOSU" in dataset_ex.columns
                else pl.lit(None, pl.Utf8).alias("EXDOSU")
            ),
            as_date(dataset_ex, "EXSTDTC").alias("_ST"),
            as_date(dataset_ex, "EXENDTC").alias("_EN"),
        )
        .with_columns(pl.coalesce("_EN", "_ST").alias("_EN"))
        .filter(pl.col("_ST").is_not_null())
        .join(plans, on="_DRUG", how="left")
        .with_columns(pl.col("CYCLEN").fill_null(28))
        .sort("USUBJID", "_DRUG", "_ST")
    )
    first = pl.col("_ST").min().over("USUBJID", "_DRUG")
    prev_dose = pl.col("EXDOSE").shift(1).over("USUBJID", "_DRUG")
    prev_end = pl.col("_EN").shift(1).over("USUBJID", "_DRUG")
    ex = ex.with_columns(
        ((pl.col("_EN") - pl.col("_ST")).dt.total_days() + 1).alias("_NDAYS"),
        ((pl.col("_ST") - first).dt.total_days() // pl.col("CYCLEN") + 1).alias("_CYCLE"),
        (pl.col("EXDOSE") < prev_dose).fill_null(value=False).alias("_REDUC"),
        ((pl.col("_ST") - prev_end).dt.total_days() - 1 > pl.col("PLGAP").fill_null(0))
        .fill_null(value=False)
        .alias("_INTRP"),
    )
    return ex


#: Columns of :func:`derive_dose_changes`.
DOSE_CHANGE_COLUMNS: Final = (
    "USUBJID", "EXTRT", "EXDOSE", "EXDOSU", "ASTDT", "AENDT", "PREVDOSE", "GAPDAYS", "REDUCFL",
    "INTRPFL",
)


def derive_dose_changes(
    dataset_ex: pl.DataFrame, *, planned: Sequence[PlannedDose] = ()
) -> pl.DataFrame:
    """Every EX record with its dose change flags: the per-record view of :func:`derive_adex`.

    Parameters
    ----------
    dataset_ex:
        SDTM EX: ``USUBJID``, ``EXTRT``, ``EXDOSE``, ``EXSTDTC``, ``EXENDTC`` (``EXDOSU``
        optional).
    planned:
        Planned schedules; a drug without one gets no interruption flags (its planned gap is
        unknown), reductions are flagged for every drug.

    Returns
    -------
    polars.DataFrame
        :data:`DOSE_CHANGE_COLUMNS`, sorted by subject, drug and start: ``ASTDT``/``AENDT``
        (dates; a missing end is the start), ``PREVDOSE`` (the previous record's dose of the same
        drug), ``GAPDAYS`` (days without the drug since the previous record), ``REDUCFL`` and
        ``INTRPFL`` (``"Y"``/``"N"``: a reduction, or an interruption before this record, as
        the module docstring defines them and ``derive_adex`` counts them).
    """
    missing = [c for c in EX_REQUIRED if c not in dataset_ex.columns]
    if missing:
        raise PlasmatrialError(f"EX lacks column(s) {', '.join(missing)}")
    ex = _flagged_records(dataset_ex, planned)
    known = pl.col("PLGAP").is_not_null()
    yn = {True: "Y", False: "N"}
    return ex.select(
        "USUBJID",
        "EXTRT",
        "EXDOSE",
        "EXDOSU",
        pl.col("_ST").alias("ASTDT"),
        pl.col("_EN").alias("AENDT"),
        pl.col("EXDOSE").shift(1).over("USUBJID", "_DRUG").alias("PREVDOSE"),
        ((pl.col("_ST") - pl.col("_EN").shift(1).over("USUBJID", "_DRUG")).dt.total_days() - 1)
        .alias("GAPDAYS"),
        pl.col("_REDUC").replace_strict(yn, return_dtype=pl.Utf8).alias("REDUCFL"),
        (pl.col("_INTRP") & known).replace_strict(yn, return_dtype=pl.Utf8).alias("INTRPFL"),
    )


def summarise_exposure(adex: pl.DataFrame, *, by_vars: Sequence[str] = ("EXTRT",)) -> pl.DataFrame:
    """Median (range) of cycles and RDI, and counts with reductions/interruptions, by group."""
    return (
        adex.group_by(list(by_vars), maintain_order=True)
        .agg(
            pl.len().alias("N"),
            pl.col("NCYCLES").median().alias("CYCLES_MEDIAN"),
            pl.col("NCYCLES").min().alias("CYCLES_MIN"),
            pl.col("NCYCLES").max().alias("CYCLES_MAX"),
            pl.col("RDI").median().alias("RDI_MEDIAN"),
            (pl.col("NREDUC") > 0).sum().alias("N_REDUCED"),
            (pl.col("NINTRP") > 0).sum().alias("N_INTERRUPTED"),
            (pl.col("DCAEFL") == "Y").sum().alias("N_DISC_AE"),
        )
        .sort(list(by_vars))
    )


def planned_from_mapping(spec: Mapping[str, object]) -> PlannedDose:
    """Build a :class:`PlannedDose` from a trial-file mapping (drug, dose, unit, days, cycle_days).

    ``days`` may be a list of days or a string range such as ``"1-21"`` or ``"1,8,15,22"``;
    ``phases`` a list of ``{cycles: "1-2" | "7-", days: ...}`` (cycle-dependent days).
    """
    phases = tuple(
        (int(lo), int(hi) if hi.strip() else 0, _parse_days(ph.get("days")))
        for ph in spec.get("phases") or ()  # type: ignore[attr-defined]
        for lo, _, hi in [str(ph.get("cycles", "")).partition("-")]
    )
    dose = spec.get("dose")
    cycle = spec.get("cycle_days", 28)
    if not isinstance(dose, int | float) or not isinstance(cycle, int):
        raise PlasmatrialError(f"regimen entry needs numeric dose and cycle_days: {dict(spec)!r}")
    return PlannedDose(
        drug=str(spec.get("drug", "")),
        dose=float(dose),
        unit=str(spec.get("unit", "mg")),
        days=_parse_days(spec.get("days", "1-28")),
        cycle_days=cycle,
        phases=phases,
    )


def _parse_days(days_raw: object) -> tuple[int, ...]:
    days: list[int] = []
    if isinstance(days_raw, str):
        for part in days_raw.split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = part.split("-", 1)
                days.extend(range(int(lo), int(hi) + 1))
            elif part:
                days.append(int(part))
    elif isinstance(days_raw, list | tuple):
        days = [int(x) for x in days_raw]
    else:
        raise PlasmatrialError(f"days: expected a list or 'a-b' string, got {days_raw!r}")
    return tuple(days)
