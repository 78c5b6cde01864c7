"""Array kernels of the trial simulator, written against an array module ``xp`` (numpy or cupy).

Nothing here depends on which module is passed: every function takes ``xp`` explicitly and uses only
functions that numpy and cupy share (``log``, ``exp``, ``interp``, ``searchsorted``, ``where``,
``partition``, ``argsort``, ``take_along_axis``, ``cumsum``, ``maximum.accumulate`` is avoided).
The tests run them with numpy; on a GPU the same code runs with cupy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Columns of the per-trial uniform array ``u[trial, column, patient]``.
U_ENTRY, U_RESPONSE, U_PROGRESSION, U_DEATH, U_DROPOUT, U_SWITCH = range(6)
N_UNIFORMS = 6
#: Smallest event time (an exact zero has probability 2**-53 per draw).
TINY = 1e-12


def baseline_cumhaz(xp: Any, t: Any, breaks: Any, rates: Any, shape: float) -> Any:
    """Baseline cumulative hazard ``H0(t)``: Weibull ``t**shape`` or piecewise constant rates.

    ``breaks`` are the interval starts (first 0) and ``rates`` the relative hazards on them; an
    empty ``breaks`` means Weibull (``shape = 1``: exponential).
    """
    if breaks is None:
        return t**shape if shape != 1.0 else t
    cum = _piecewise_cum(xp, breaks, rates)
    j = xp.searchsorted(breaks, t, side="right") - 1
    return cum[j] + rates[j] * (t - breaks[j])


def baseline_cumhaz_inverse(xp: Any, h: Any, breaks: Any, rates: Any, shape: float) -> Any:
    """Inverse of :func:`baseline_cumhaz` (``h >= 0``; ``inf`` maps to ``inf``)."""
    if breaks is None:
        return h ** (1.0 / shape) if shape != 1.0 else h
    cum = _piecewise_cum(xp, breaks, rates)
    j = xp.searchsorted(cum, h, side="right") - 1
    return breaks[j] + (h - cum[j]) / rates[j]


def _piecewise_cum(xp: Any, breaks: Any, rates: Any) -> Any:
    cum = xp.zeros(breaks.shape[0], dtype=xp.float64)
    cum[1:] = xp.cumsum(rates[:-1] * (breaks[1:] - breaks[:-1]))
    return cum


def entry_times(xp: Any, u: Any, knots_time: Any, knots_cdf: Any) -> Any:
    """Calendar entry times by inverting the piecewise-linear accrual CDF."""
    return xp.interp(u, knots_cdf, knots_time)


def latent_times(
    xp: Any,
    u: Any,
    *,
    arm_index: Any,
    p_response: Any,
    c_prog: Any,
    c_death: Any,
    prog_responder_hr: float,
    death_responder_hr: float,
    switch_prob: Any,
    switch_hr: float,
    dropout_hazard: float,
    breaks: Any,
    rates: Any,
    shape: float,
) -> dict[str, Any]:
    """Latent event times of every patient (no administrative censoring yet).

    Parameters are per-arm vectors indexed by ``arm_index`` (shape ``(n,)``). Returns a dict of
    ``(n_trials, n)`` arrays: ``entry`` is filled by the caller; here ``pfs``, ``pfs_is_prog``,
    ``os`` (with crossover), ``os_nocross`` (counterfactual without crossover), ``dropout``.

    Notes
    -----
    Patient hazards are ``c_arm * g * h0(t)`` with ``g`` the responder hazard ratio for responders
    and 1 otherwise, so ``T = H0^{-1}(E / (c g))`` with ``E = -log(U)`` exponential. Progression and
    death are conditionally independent given response; PFS is ``min(progression, death)``. A
    control patient who progresses switches with probability ``switch_prob``; after the switch the
    death hazard is multiplied by ``switch_hr``, so with the same ``E`` the death time solves
    ``H(s) + switch_hr (H(T') - H(s)) = E``.
    """
    resp = u[:, U_RESPONSE, :] < p_response[arm_index]
    g_prog = xp.where(resp, prog_responder_hr, 1.0)
    g_death = xp.where(resp, death_responder_hr, 1.0)
    m_prog = c_prog[arm_index] * g_prog
    m_death = c_death[arm_index] * g_death
    e_prog = -xp.log1p(-u[:, U_PROGRESSION, :])
    e_death = -xp.log1p(-u[:, U_DEATH, :])
    # event times are kept strictly positive: time 0 is reserved for excluded patients
    t_prog = xp.maximum(baseline_cumhaz_inverse(xp, e_prog / m_prog, breaks, rates, shape), TINY)
    t_death = xp.maximum(baseline_cumhaz_inverse(xp, e_death / m_death, breaks, rates, shape), TINY)
    is_prog = t_prog < t_death
    pfs = xp.minimum(t_prog, t_death)
    switched = is_prog & (u[:, U_SWITCH, :] < switch_prob[arm_index])
    if switch_hr != 1.0:
        h_s = m_death * baseline_cumhaz(xp, t_prog, breaks, rates, shape)
        h_after = h_s + (e_death - h_s) / switch_hr
        t_cross = baseline_cumhaz_inverse(xp, h_after / m_death, breaks, rates, shape)
        os = xp.where(switched, t_cross, t_death)
    else:
        os = t_death
    if dropout_hazard > 0.0:
        dropout = -xp.log1p(-u[:, U_DROPOUT, :]) / dropout_hazard
    else:
        dropout = xp.full(pfs.shape, xp.inf)
    return {
        "response": resp,
        "pfs": pfs,
        "pfs_is_prog": is_prog,
        "os": os,
        "os_nocross": t_death,
        "dropout": dropout,
        "switched": switched,
    }


def event_driven_times(xp: Any, entry: Any, latent: Any, dropout: Any, counts: list[int]) -> Any:
    """Calendar time of the ``counts[k]``-th observable event in each trial, shape ``(n_trials, K)``.

    A trial that never reaches that many events (all patients observed to death or dropout) is
    analysed at its last observable event.
    """
    cal = xp.where(latent <= dropout, entry + latent, xp.inf)
    n = cal.shape[1]
    srt = xp.sort(cal, axis=1)
    finite = xp.isfinite(srt)
    n_events = finite.sum(axis=1)
    last = xp.where(
        n_events > 0,
        xp.take_along_axis(srt, xp.maximum(n_events - 1, 0)[:, None], axis=1)[:, 0],
        0.0,
    )
    out = xp.empty((cal.shape[0], len(counts)), dtype=xp.float64)
    for k, d in enumerate(counts):
        at = srt[:, min(d, n) - 1]
        out[:, k] = xp.where(xp.isfinite(at), at, last)
    return out


def observe(
    xp: Any, entry: Any, latent: Any, dropout: Any, analysis_time: Any, include: Any | None
) -> tuple[Any, Any]:
    """Observed time and event at calendar ``analysis_time`` (per trial, shape ``(n_trials,)``).

    Patients not enrolled by then, or not in ``include`` (a per-patient bool mask), get time 0 and
    no event: they are in no risk set at any event time (event times are positive), i.e. excluded.
    """
    follow = xp.maximum(analysis_time[:, None] - entry, 0.0)
    cens = xp.minimum(dropout, follow)
    # compare on the calendar scale, as event_driven_times does ((e + t) - e may differ from t)
    event = (latent <= dropout) & (entry + latent <= analysis_time[:, None])
    time = xp.where(event, latent, cens)
    if include is not None:
        time = xp.where(include[None, :], time, 0.0)
        event = event & include[None, :]
    return time, event


def logrank_z(xp: Any, time: Any, event: Any, group: Any) -> Any:
    """Log-rank ``z = (O1 - E1) / sqrt(V)`` per row, for numpy or cupy arrays.

    Same algorithm (and the same value, to rounding) as
    :func:`plasmatrial.stats.logrank.logrank_test_batched`; used on the GPU so the simulated arrays
    need not be copied back for the test. ``group`` is a 1-D bool array shared by all rows.
    """
    n_trials, n = time.shape
    order = xp.argsort(time, axis=1)
    ts = xp.take_along_axis(time, order, axis=1)
    es = xp.take_along_axis(event, order, axis=1)
    gs = xp.take_along_axis(xp.broadcast_to(group, time.shape), order, axis=1)
    first = xp.ones((n_trials, n), dtype=bool)
    first[:, 1:] = ts[:, 1:] != ts[:, :-1]
    last = xp.ones((n_trials, n), dtype=bool)
    last[:, :-1] = first[:, 1:]
    idx = xp.arange(n)[None, :]
    # block start index: the last "first" position at or before each position
    start = _running_max(xp, xp.where(first, idx, 0))

    def counts(x: Any) -> tuple[Any, Any]:
        cum = xp.cumsum(x, axis=1)
        before = _running_max(xp, xp.where(first, cum - x, 0))
        return cum, before

    cum_d, before_d = counts(es.astype(xp.int64))
    cum_d1, before_d1 = counts((es & gs).astype(xp.int64))
    cum_g1, before_g1 = counts(gs.astype(xp.int64))
    d = xp.where(last, cum_d - before_d, 0).astype(xp.float64)
    d1 = xp.where(last, cum_d1 - before_d1, 0).astype(xp.float64)
    n_t = (n - start).astype(xp.float64)
    n1 = (cum_g1[:, -1:] - before_g1).astype(xp.float64)
    frac = n1 / n_t
    o1 = d1.sum(axis=1)
    e1 = (d * frac).sum(axis=1)
    denom = xp.where(n_t > 1, n_t - 1.0, 1.0)
    vt = xp.where(n_t > 1, d * frac * (1.0 - frac) * (n_t - d) / denom, 0.0)
    v = vt.sum(axis=1)
    safe = xp.where(v > 0, v, 1.0)
    return xp.where(v > 0, (o1 - e1) / xp.sqrt(safe), xp.nan)


def _running_max(xp: Any, x: Any) -> Any:
    """Running maximum along axis 1 (``maximum.accumulate`` where available, else log-steps)."""
    acc = getattr(xp.maximum, "accumulate", None)
    if acc is not None and xp is np:
        return acc(x, axis=1)
    out = x.copy()
    shift = 1
    n = x.shape[1]
    while shift < n:
        out[:, shift:] = xp.maximum(out[:, shift:], out[:, :-shift].copy())
        shift *= 2
    return out
