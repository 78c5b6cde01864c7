"""Shared frame builders of the synthetic generators (LB long frame from a subject-by-visit grid)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from plasmatrial.intake.analytes import ANALYTE_BY_CODE

StrGrid = npt.NDArray[np.str_]


@dataclass(frozen=True, slots=True)
class LabSeries:
    """One lab test on the subject-by-visit grid, already formatted as text.

    Attributes
    ----------
    code : str
        ``LBTESTCD``.
    text : ndarray of str, shape (n, v)
        ``LBORRES``.
    unit : ndarray of str, shape (n, v)
        ``LBORRESU`` (empty string = no unit).
    mask : ndarray of bool, shape (n, v), optional
        Extra per-cell mask (combined with the visit mask).
    lo, hi : ndarray of str, shape (n, v), optional
        ``LBSTNRLO`` / ``LBSTNRHI`` (empty string = none).
    """

    code: str
    text: StrGrid
    unit: StrGrid
    mask: npt.NDArray[np.bool_] | None = None
    lo: StrGrid | None = None
    hi: StrGrid | None = None


def fmt_grid(values: npt.NDArray[np.float64], decimals: int) -> StrGrid:
    """Format a numeric grid with a fixed number of decimals."""
    return np.char.mod(f"%.{decimals}f", values)


def lab_frame(
    studyid: str,
    ids: Sequence[str],
    dates: npt.NDArray[np.datetime64],
    visit_names: StrGrid,
    keep: npt.NDArray[np.bool_],
    labs: Sequence[LabSeries],
    *,
    with_lo: bool = False,
) -> pl.DataFrame:
    """Long SDTM-like LB frame from subject-by-visit grids.

    Parameters
    ----------
    studyid : str
        ``STUDYID``.
    ids : sequence of str
        Subject ids (rows of the grid).
    dates : ndarray of datetime64[D], shape (n, v)
        Assessment dates.
    visit_names : ndarray of str, shape (n, v)
        ``VISIT``; ``VISITNUM`` is the column index + 1.
    keep : ndarray of bool, shape (n, v)
        Visits that took place.
    labs : sequence of LabSeries
        Tests to emit.
    with_lo : bool
        Emit an ``LBSTNRLO`` column.

    Returns
    -------
    pl.DataFrame
        One row per kept cell and test, sorted by subject, visit and test code, with ``LBSEQ``.
    """
    n, n_vis = keep.shape
    date_txt = np.datetime_as_string(dates, unit="D")
    subj = np.broadcast_to(np.asarray(ids)[:, None], (n, n_vis))
    vnum = np.broadcast_to(np.arange(1, n_vis + 1)[None, :], (n, n_vis))
    empty = np.full((n, n_vis), "")
    parts = []
    for lab in labs:
        mask = keep if lab.mask is None else keep & lab.mask
        cols: dict[str, object] = {
            "USUBJID": subj[mask],
            "LBTESTCD": np.full(mask.sum(), lab.code),
            "LBTEST": np.full(mask.sum(), ANALYTE_BY_CODE[lab.code].name),
            "LBORRES": lab.text[mask],
            "LBORRESU": lab.unit[mask],
        }
        if with_lo:
            cols["LBSTNRLO"] = (lab.lo if lab.lo is not None else empty)[mask]
        cols["LBSTNRHI"] = (lab.hi if lab.hi is not None else empty)[mask]
        cols["LBDTC"] = date_txt[mask]
        cols["VISIT"] = visit_names[mask]
        cols["VISITNUM"] = vnum[mask]
        parts.append(pl.DataFrame(cols))
    blank_cols = ("LBORRESU", "LBSTNRLO", "LBSTNRHI") if with_lo else ("LBORRESU", "LBSTNRHI")
    lb = pl.concat(parts).with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in blank_cols
    )
    lb = lb.sort("USUBJID", "VISITNUM", "LBTESTCD")
    return lb.select(
        pl.lit(studyid).alias("STUDYID"),
        pl.lit("LB").alias("DOMAIN"),
        "USUBJID",
        (pl.int_range(pl.len()).over("USUBJID") + 1).cast(pl.Int64).alias("LBSEQ"),
        pl.exclude("USUBJID"),
    )
