"""Latent disease courses on an assessment grid, calibrated to published medians.

Every patient has a grid of scheduled assessment days (days since first dose; column 0 is the
baseline, a few days before the first dose). The latent course is a progression day, a
pre-progression death day, a post-progression survival and a withdrawal day. What the analysis
will *observe* follows from the grid: progression is documented at the first assessment on or
after the latent progression day (and, for myeloma, confirmed at the next assessment); deaths are
observed when they precede the data cut-off; everyone else is censored at the last assessment.

:func:`observe` computes exactly that, vectorised over patients, so that the scale of the latent
times can be searched (:func:`calibrate_scale`) until the Kaplan-Meier median of the observed
times equals the published one as closely as the grid allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from plasmatrial.stats.km import km_median_unchecked

FloatArr = npt.NDArray[np.float64]
IntArr = npt.NDArray[np.int64]
BoolArr = npt.NDArray[np.bool_]

MONTH: Final[float] = 365.25 / 12
"""Days per month (the analysis reports months as days / 30.4375)."""
SCALES: Final[FloatArr] = np.exp(np.linspace(np.log(0.2), np.log(5.0), 321))
"""Candidate multipliers of the latent times searched by :func:`calibrate_scale`."""


def build_grid(
    rng: np.random.Generator,
    n: int,
    *,
    interval: int,
    n_cols: int,
    tx_cols: int | None = None,
    followup_interval: int | None = None,
) -> FloatArr:
    """Scheduled assessment days (since first dose) for ``n`` patients.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source.
    n : int
        Patients.
    interval : int
        Days between on-treatment assessments (cycle length x cycles between assessments).
    n_cols : int
        Post-baseline assessments per patient (the grid is cut later at the data cut-off).
    tx_cols : int, optional
        Assessments at ``interval`` spacing before the spacing becomes ``followup_interval``
        (fixed-duration treatment); ``None`` = ``interval`` throughout.
    followup_interval : int, optional
        Spacing after ``tx_cols``.

    Returns
    -------
    ndarray, shape (n, n_cols + 1)
        Column 0 is the baseline (day -7..-1); column j the j-th assessment. Cycle delays
        (15 % of cycles, 1-7 days) accumulate; a +-2 day window is added on top.
    """
    steps = np.full(n_cols, float(interval))
    if tx_cols is not None and followup_interval is not None and tx_cols < n_cols:
        steps[tx_cols:] = float(followup_interval)
    delay = np.where(rng.random((n, n_cols)) < 0.15, rng.integers(1, 8, (n, n_cols)), 0)
    nominal = np.cumsum(steps[None, :] + delay, axis=1)
    jitter = rng.integers(-2, 3, (n, n_cols))
    grid = np.empty((n, n_cols + 1))
    grid[:, 0] = -rng.integers(1, 8, n)
    grid[:, 1:] = nominal + jitter
    return grid


@dataclass(frozen=True, slots=True)
class Observed:
    """What the analysis sees of the latent courses (days since first dose unless stated).

    Attributes
    ----------
    pdcol : ndarray of int
        Grid column of the documented progression (``-1`` = none observed).
    confcol : ndarray of int
        Confirming column (myeloma: ``pdcol + 1``; AL: ``pdcol``); ``-1`` = none.
    death : ndarray of float
        Day of death (``inf`` = alive at the data cut-off or lost to follow-up first).
    lastcol : ndarray of int
        Last disease-assessment column before progression, death or the limit.
    pfs_days, pfs_event : ndarray
        PFS from the analysis origin, counted ``ADT - origin + 1``, and its event flag.
    os_days, os_event : ndarray
        OS likewise (censored at the last contact).
    contact : ndarray of bool, shape (n, v)
        Visits that take place (before missed visits are removed).
    """

    pdcol: IntArr
    confcol: IntArr
    death: FloatArr
    lastcol: IntArr
    pfs_days: FloatArr
    pfs_event: BoolArr
    os_days: FloatArr
    os_event: BoolArr
    contact: BoolArr


def observe(
    grid: FloatArr,
    *,
    prog: FloatArr,
    predeath: FloatArr,
    pps: FloatArr,
    limit: FloatArr,
    gap: FloatArr,
    confirm: bool,
    followup_every: int,
    treated_until: FloatArr | None = None,
) -> Observed:
    """Observed progression, death and censoring of latent courses on the grid.

    Parameters
    ----------
    grid : ndarray (n, v)
        Assessment days (:func:`build_grid`).
    prog : ndarray
        Latent progression day (``inf`` = never).
    predeath : ndarray
        Latent death day if it comes before progression (``inf`` = none).
    pps : ndarray
        Post-progression survival (days after the confirming assessment; at least 3).
    limit : ndarray
        Data cut-off or withdrawal day, whichever comes first.
    gap : ndarray
        Days from the analysis origin (randomisation) to the first dose.
    confirm : bool
        Progression must be confirmed at the next assessment (IMWG).
    followup_every : int
        After progression, every ``followup_every``-th scheduled visit is a survival contact.
    treated_until : ndarray, optional
        Planned last day of treatment (end of a fixed number of cycles; ``inf`` = until
        progression). A patient alive without progression is treated (and so known alive, as
        the analysis's last-alive date reads the exposure) until this day, the cut-off or
        withdrawal, whichever comes first; ``None`` = the last assessment only.

    Returns
    -------
    Observed
    """
    n, v = grid.shape
    rows = np.arange(n)
    pad = np.concatenate([grid, np.full((n, 2), np.inf)], axis=1)
    ge = grid[:, 1:] >= prog[:, None]
    has = ge.any(axis=1)
    pdc = np.where(has, ge.argmax(axis=1) + 1, v)
    pd_day = pad[rows, pdc]
    conf_c = pdc + 1 if confirm else pdc
    conf_day = pad[rows, np.minimum(conf_c, v + 1)]
    pd_obs = has & (pd_day < predeath) & (conf_day <= limit)
    death = np.where(pd_obs, conf_day + np.maximum(pps, 3.0), predeath)
    death_seen = death <= limit
    death = np.where(death_seen, death, np.inf)
    # last disease assessment: before the (unconfirmable) progression visit, death and the limit
    stop = np.minimum(limit, death)
    cols = np.arange(v)[None, :]
    before = (grid <= stop[:, None]) & (grid < death[:, None])
    upper = np.where(pd_obs, conf_c + 1, pdc)
    disease = before & (cols < upper[:, None])
    lastcol = np.where(disease.any(axis=1), v - 1 - disease[:, ::-1].argmax(axis=1), 0)
    after = pd_obs[:, None] & (cols > conf_c[:, None]) & before
    after &= ((cols - conf_c[:, None]) % max(followup_every, 1)) == 0
    contact = disease | after
    last_contact = np.max(np.where(contact, grid, -np.inf), axis=1)
    pfs_day = np.where(pd_obs, pd_day, np.where(death_seen, death, grid[rows, lastcol]))
    pfs_event = pd_obs | death_seen
    pfs_days = np.maximum(pfs_day + gap + 1, 1.0)
    if treated_until is not None:
        on_tx = ~pd_obs & ~death_seen
        last_contact = np.where(
            on_tx, np.maximum(last_contact, np.minimum(limit, treated_until)), last_contact
        )
    os_days = np.maximum(np.where(death_seen, death, last_contact) + gap + 1, 1.0)
    return Observed(
        pdcol=np.where(pd_obs, pdc, -1).astype(np.int64),
        confcol=np.where(pd_obs, conf_c, -1).astype(np.int64),
        death=death,
        lastcol=lastcol.astype(np.int64),
        pfs_days=pfs_days,
        pfs_event=pfs_event,
        os_days=os_days,
        os_event=death_seen,
        contact=contact,
    )


def km_median_months(days: FloatArr, event: BoolArr) -> float:
    """Kaplan-Meier median in months (NaN when not reached)."""
    return km_median_unchecked(days / MONTH, event.astype(np.bool_))


def calibrate_scale(medians_at: Callable[[FloatArr], FloatArr], target: float) -> float:
    """The multiplier of :data:`SCALES` whose observed median is nearest to ``target``.

    Parameters
    ----------
    medians_at : callable
        Observed medians (months) for an array of multipliers of the latent times (one call
        per search pass, so that the caller can observe all candidates at once).
    target : float
        Published median (months).

    Returns
    -------
    float
        The best multiplier (ties: the smallest).

    Notes
    -----
    A coarse pass over :data:`SCALES` is refined on 201 multipliers between the coarse
    neighbours of the best one. Medians not reached count as infinitely far.
    """

    def err(medians: FloatArr) -> FloatArr:
        finite = np.isfinite(medians)
        return np.where(finite, np.abs(np.where(finite, medians, 0.0) - target), np.inf)

    errors = err(medians_at(SCALES))
    k = int(np.argmin(errors))
    lo, hi = SCALES[max(k - 1, 0)], SCALES[min(k + 1, SCALES.size - 1)]
    fine = np.linspace(lo, hi, 201)
    fine_err = err(medians_at(fine))
    j = int(np.argmin(fine_err))
    return float(fine[j]) if fine_err[j] < errors[k] else float(SCALES[k])


def exact_assign(rng: np.random.Generator, eligible: BoolArr, count: int) -> BoolArr:
    """Choose exactly ``count`` of the eligible patients by a seeded permutation.

    Raises
    ------
    ValueError
        Fewer eligible patients than ``count``.
    """
    idx = np.flatnonzero(eligible)
    if idx.size < count:
        raise ValueError(f"count: need {count} eligible patients, only {idx.size}")
    out = np.zeros(eligible.size, dtype=bool)
    out[rng.permutation(idx)[:count]] = True
    return out


