"""Monte Carlo simulation of randomised time-to-event trials, analysed by plasmatrial.stats.

A :class:`SimulationDesign` describes the arms (allocation, response probability, median PFS and
OS), accrual, the event-time model (exponential, Weibull or piecewise-exponential baseline with
hazards multiplied for responders), dropout, crossover at progression, and the analysis plan (fixed
calendar times or event counts, O'Brien-Fleming-type efficacy boundaries at interim looks).
:func:`simulate_trials` simulates ``n_sims`` trials in batches and analyses every batch at once with
:func:`plasmatrial.stats.logrank.logrank_test_batched` and
:func:`plasmatrial.stats.cox_batched.cox_ph_batched_two_arm` (no Python loop per trial).

Reproducibility: trial ``i`` always uses the same uniforms, whatever the batch size, backend or
Dask scheduling (see :func:`trial_uniforms`), so results are bit-identical across batchings.
"""

from __future__ import annotations

import dataclasses
import importlib
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import optimize, stats

from plasmatrial._results import ResultMixin
from plasmatrial.design import _sim_kernels as kern
from plasmatrial.design._validate import check_int, check_open_unit, check_positive, check_unit
from plasmatrial.design.group_sequential import DesignType, group_sequential_design
from plasmatrial.errors import DesignError, PlasmatrialError

if TYPE_CHECKING:
    from plasmatrial.design.protocol import Trial
    from plasmatrial.design.simulation import Simulation

__all__ = [
    "ArmScenario",
    "Calibration",
    "ComparisonSummary",
    "EstimateSummary",
    "SimulationDesign",
    "SimulationResult",
    "TrialOutcomes",
    "calibrate",
    "design_from_trial",
    "simulate_sweep",
    "simulate_trials",
    "summarize",
    "trial_uniforms",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Backend = Literal["numpy", "cupy"]
Endpoint = Literal["PFS", "OS"]
HazardShape = Literal["exponential", "weibull", "piecewise"]
AnalysisRule = Literal["events", "calendar"]
Ties = Literal["efron", "breslow"]

#: Trials per SeedSequence child stream. Trial ``i`` reads draws
#: ``[(i mod STREAM_BLOCK) * 6 n, ...)`` of child ``i // STREAM_BLOCK`` (PCG64 ``advance``).
STREAM_BLOCK = 256
#: Default number of trials simulated and analysed together.
DEFAULT_BATCH_SIZE = 1000


# --------------------------------------------------------------------------------------------
# Design
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArmScenario:
    """One arm: allocation weight, response probability and median PFS / OS (months).

    ``crossover_fraction`` is the probability that a patient of this arm switches to the
    experimental treatment at progression (meaningful for the control arm).
    """

    code: str
    ratio: float
    median_pfs: float
    median_os: float
    p_response: float = 0.0
    crossover_fraction: float = 0.0

    def __post_init__(self) -> None:
        check_positive(f"arm {self.code}: ratio", self.ratio)
        check_positive(f"arm {self.code}: median_pfs", self.median_pfs)
        check_positive(f"arm {self.code}: median_os", self.median_os)
        check_unit(f"arm {self.code}: p_response", self.p_response)
        check_unit(f"arm {self.code}: crossover_fraction", self.crossover_fraction)


@dataclass(frozen=True, slots=True)
class SimulationDesign:
    """Scenario and analysis plan of a simulated randomised trial.

    Attributes
    ----------
    arms : tuple of ArmScenario
        At least two arms; ``control`` names the comparator, every other arm is compared with it.
    control : str
        Code of the control arm.
    n_patients : int
        Patients enrolled (split by ``ratio`` with largest remainders unless ``n_per_arm``).
    accrual : float
        Accrual period (months); entry is uniform on ``[0, accrual]`` unless
        ``accrual_breaks``/``accrual_weights`` give a piecewise-constant intensity.
    hazard_shape : {"exponential", "weibull", "piecewise"}
        Baseline hazard shape shared by PFS and OS; ``weibull_shape`` or ``piecewise_breaks``
        (interval starts, first 0) and ``piecewise_rates`` (relative hazards).
    pfs_responder_hr, os_responder_hr : float
        Hazard of progression / death of responders relative to non-responders.
    dropout_rate, dropout_time : float
        Exponential dropout: proportion lost by ``dropout_time`` months.
    crossover_hr : float
        Factor on the death hazard after a switch at progression.
    endpoint : {"PFS", "OS"}
        Primary endpoint (tested at every look; its events time the analyses).
    analysis : {"events", "calendar"}
        Analyses after ``events`` primary events (look ``k`` at ``round(t_k events)``) or at the
        calendar times ``analysis_times`` (months from the first entry), one per look.
    information_rates : tuple of float
        Planned information fractions of the looks (last 1); one entry = fixed design.
    alpha : float
        One-sided type I error of the efficacy boundaries.
    type_of_design : {"asOF", "OF"}
        Boundaries from :func:`plasmatrial.design.group_sequential.group_sequential_design`.
    conf_level : float
        Level of the Wald confidence interval of the hazard ratio.
    ties : {"efron", "breslow"}
        Cox tie handling.
    """

    arms: tuple[ArmScenario, ...]
    control: str
    n_patients: int
    accrual: float
    n_per_arm: tuple[int, ...] | None = None
    accrual_breaks: tuple[float, ...] = ()
    accrual_weights: tuple[float, ...] = ()
    hazard_shape: HazardShape = "exponential"
    weibull_shape: float = 1.0
    piecewise_breaks: tuple[float, ...] = ()
    piecewise_rates: tuple[float, ...] = ()
    pfs_responder_hr: float = 1.0
    os_responder_hr: float = 1.0
    dropout_rate: float = 0.0
    dropout_time: float = 12.0
    crossover_hr: float = 1.0
    endpoint: Endpoint = "PFS"
    analysis: AnalysisRule = "events"
    events: int | None = None
    analysis_times: tuple[float, ...] = ()
    information_rates: tuple[float, ...] = (1.0,)
    alpha: float = 0.025
    type_of_design: DesignType = "asOF"
    conf_level: float = 0.95
    ties: Ties = "efron"
    label: str = ""

    def __post_init__(self) -> None:
        _check_arms(self)
        _check_accrual(self)
        _check_hazards(self)
        _check_analysis(self)

    @property
    def n_looks(self) -> int:
        """Number of analyses (interims plus final)."""
        return len(self.information_rates)

    @property
    def control_index(self) -> int:
        """Position of the control arm in ``arms``."""
        return [a.code for a in self.arms].index(self.control)

    @property
    def experimental(self) -> tuple[str, ...]:
        """Codes of the arms compared with control, in order."""
        return tuple(a.code for a in self.arms if a.code != self.control)

    def arm_sizes(self) -> tuple[int, ...]:
        """Patients per arm: ``n_per_arm`` or the ratio split by largest remainders."""
        if self.n_per_arm is not None:
            return self.n_per_arm
        return _split(self.n_patients, [a.ratio for a in self.arms])

    def event_counts(self) -> list[int]:
        """Primary events at each look (event-driven designs)."""
        assert self.events is not None
        return [max(1, round(t * self.events)) for t in self.information_rates]

    def with_hr(self, hr: float, *, endpoint: Endpoint | None = None) -> SimulationDesign:
        """The same design with every experimental arm's median set to a target hazard ratio.

        The experimental median becomes ``H0^{-1}(H0(m_control) / hr)``, so that the
        median-equivalent hazard ratio (see :class:`Calibration`) equals ``hr``.
        """
        hr = check_positive("hr", hr)
        ep = endpoint or self.endpoint
        ctl = self.arms[self.control_index]
        breaks, rates, shape = _baseline(self)
        m_ctl = ctl.median_pfs if ep == "PFS" else ctl.median_os
        h = kern.baseline_cumhaz(np, np.array([m_ctl]), breaks, rates, shape) / hr
        m_new = float(kern.baseline_cumhaz_inverse(np, h, breaks, rates, shape)[0])
        arms = tuple(
            a
            if a.code == self.control
            else (
                dataclasses.replace(a, median_pfs=m_new)
                if ep == "PFS"
                else dataclasses.replace(a, median_os=m_new)
            )
            for a in self.arms
        )
        return dataclasses.replace(self, arms=arms, label=self.label or f"HR {hr:g}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (for JSON)."""
        out = dataclasses.asdict(self)
        out["arms"] = [dataclasses.asdict(a) for a in self.arms]
        return out


def _check_arms(d: SimulationDesign) -> None:
    if len(d.arms) < 2:
        raise DesignError(f"arms: at least two arms are needed, got {len(d.arms)}")
    codes = [a.code for a in d.arms]
    if len(set(codes)) != len(codes):
        raise DesignError(f"arms: codes must be unique, got {codes}")
    if d.control not in codes:
        raise DesignError(f"control: {d.control!r} is not one of the arms {codes}")
    check_int("n_patients", d.n_patients, minimum=2 * len(d.arms))
    if d.n_per_arm is not None:
        if len(d.n_per_arm) != len(d.arms) or sum(d.n_per_arm) != d.n_patients:
            raise DesignError(
                f"n_per_arm: expected {len(d.arms)} counts summing to n_patients="
                f"{d.n_patients}, got {list(d.n_per_arm)}"
            )
        for c in d.n_per_arm:
            check_int("n_per_arm", c, minimum=1)


def _check_accrual(d: SimulationDesign) -> None:
    check_positive("accrual", d.accrual)
    if len(d.accrual_breaks) != len(d.accrual_weights):
        raise DesignError(
            "accrual_breaks and accrual_weights must have the same length, got "
            f"{list(d.accrual_breaks)} and {list(d.accrual_weights)}"
        )
    if d.accrual_breaks:
        b = np.asarray(d.accrual_breaks)
        if b[0] != 0.0 or np.any(np.diff(b) <= 0) or b[-1] >= d.accrual:
            raise DesignError(
                f"accrual_breaks must start at 0 and increase below accrual={d.accrual}, "
                f"got {list(d.accrual_breaks)}"
            )
        for w in d.accrual_weights:
            check_positive("accrual_weights", w)


def _check_hazards(d: SimulationDesign) -> None:
    if d.hazard_shape not in ("exponential", "weibull", "piecewise"):
        raise DesignError(
            f"hazard_shape must be 'exponential', 'weibull' or 'piecewise', got {d.hazard_shape!r}"
        )
    check_positive("weibull_shape", d.weibull_shape)
    if d.hazard_shape == "piecewise":
        b = np.asarray(d.piecewise_breaks, dtype=np.float64)
        if (
            b.size == 0
            or b.size != len(d.piecewise_rates)
            or b[0] != 0.0
            or np.any(np.diff(b) <= 0)
        ):
            raise DesignError(
                "piecewise_breaks must start at 0, increase, and match piecewise_rates in "
                f"length; got {list(d.piecewise_breaks)} and {list(d.piecewise_rates)}"
            )
        for r in d.piecewise_rates:
            check_positive("piecewise_rates", r)
    check_positive("pfs_responder_hr", d.pfs_responder_hr)
    check_positive("os_responder_hr", d.os_responder_hr)
    check_unit("dropout_rate", d.dropout_rate)
    if d.dropout_rate >= 1.0:
        raise DesignError(f"dropout_rate must be below 1, got {d.dropout_rate!r}")
    check_positive("dropout_time", d.dropout_time)
    check_positive("crossover_hr", d.crossover_hr)


def _check_analysis(d: SimulationDesign) -> None:
    if d.endpoint not in ("PFS", "OS"):
        raise DesignError(f"endpoint must be 'PFS' or 'OS', got {d.endpoint!r}")
    n_looks = len(d.information_rates)
    if n_looks < 1:
        raise DesignError("information_rates: at least one look is needed")
    if d.analysis == "events":
        if d.events is None:
            raise DesignError("events: required when analysis='events'")
        check_int("events", d.events, minimum=n_looks)
        if d.events > d.n_patients:
            raise DesignError(f"events={d.events} exceeds n_patients={d.n_patients}")
    elif d.analysis == "calendar":
        t = np.asarray(d.analysis_times, dtype=np.float64)
        if t.size != n_looks or np.any(t <= 0) or np.any(np.diff(t) <= 0):
            raise DesignError(
                f"analysis_times: expected {n_looks} increasing positive times (one per "
                f"look), got {list(d.analysis_times)}"
            )
    else:
        raise DesignError(f"analysis must be 'events' or 'calendar', got {d.analysis!r}")
    check_open_unit("alpha", d.alpha)
    check_open_unit("conf_level", d.conf_level)
    if d.ties not in ("efron", "breslow"):
        raise DesignError(f"ties must be 'efron' or 'breslow', got {d.ties!r}")


def _baseline(design: SimulationDesign) -> tuple[FloatArray | None, FloatArray | None, float]:
    if design.hazard_shape == "piecewise":
        return (
            np.asarray(design.piecewise_breaks, dtype=np.float64),
            np.asarray(design.piecewise_rates, dtype=np.float64),
            1.0,
        )
    return None, None, (design.weibull_shape if design.hazard_shape == "weibull" else 1.0)


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class Calibration(ResultMixin):
    """Per-arm hazard multipliers that make each arm's medians equal their targets.

    ``true_hr_pfs[j]`` / ``true_hr_os[j]`` are the median-equivalent hazard ratios of arm ``j``
    vs control, ``H0(m_control) / H0(m_j)``: the hazard ratio of the proportional-hazards model
    with the same baseline shape and the same medians. Without a response effect
    (responder hazard ratios 1, or equal response probabilities) the arms have exactly
    proportional hazards and this is the hazard ratio; otherwise it is a summary.
    """

    c_progression: FloatArray
    c_death: FloatArray
    true_hr_pfs: FloatArray
    true_hr_os: FloatArray

    def to_dict(self) -> dict[str, list[float]]:
        """Plain lists."""
        return {
            "c_progression": self.c_progression.tolist(),
            "c_death": self.c_death.tolist(),
            "true_hr_pfs": self.true_hr_pfs.tolist(),
            "true_hr_os": self.true_hr_os.tolist(),
        }


def _solve_scale(p: float, g: float, offset_r: float, offset_n: float, label: str) -> float:
    """Solve ``p exp(-g x - offset_r) + (1 - p) exp(-x - offset_n) = 1/2`` for ``x >= 0``."""

    def f(x: float) -> float:
        return p * math.exp(-g * x - offset_r) + (1.0 - p) * math.exp(-x - offset_n) - 0.5

    if f(0.0) <= 0.0:
        raise DesignError(
            f"{label}: median PFS must be shorter than median OS (death alone already halves "
            "survival by the PFS median)"
        )
    hi = 1.0
    while f(hi) > 0.0:
        hi *= 2.0
        if hi > 1e8:  # pragma: no cover - f decreases to -1/2
            raise DesignError(f"{label}: calibration failed")
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def calibrate(design: SimulationDesign) -> Calibration:
    """Hazard multipliers per arm so that median PFS and median OS equal the targets.

    Notes
    -----
    A patient of arm ``a`` responds with probability ``p``; death and progression hazards are
    ``c_D g_D h0(t)`` and ``c_P g_P h0(t)`` with ``g = `` responder hazard ratio for responders and
    1 otherwise. With ``H0`` the baseline cumulative hazard:

    1. OS: ``p exp(-g_D x) + (1 - p) exp(-x) = 1/2`` gives ``x = c_D H0(m_OS)``.
    2. PFS = min(progression, death), conditionally independent given response:
       ``p exp(-g_P y - g_D u) + (1 - p) exp(-y - u) = 1/2`` with ``u = c_D H0(m_PFS)`` gives
       ``y = c_P H0(m_PFS)``.

    Both are monotone one-dimensional equations solved by Brent's method.
    """
    breaks, rates, shape = _baseline(design)

    def h0(t: float) -> float:
        return float(kern.baseline_cumhaz(np, np.array([t]), breaks, rates, shape)[0])

    c_p, c_d = [], []
    for a in design.arms:
        x = _solve_scale(a.p_response, design.os_responder_hr, 0.0, 0.0, f"arm {a.code} OS")
        cd = x / h0(a.median_os)
        u = cd * h0(a.median_pfs)
        y = _solve_scale(
            a.p_response,
            design.pfs_responder_hr,
            design.os_responder_hr * u,
            u,
            f"arm {a.code} PFS",
        )
        c_p.append(y / h0(a.median_pfs))
        c_d.append(cd)
    ctl = design.arms[design.control_index]
    hr_pfs = [h0(ctl.median_pfs) / h0(a.median_pfs) for a in design.arms]
    hr_os = [h0(ctl.median_os) / h0(a.median_os) for a in design.arms]
    return Calibration(np.array(c_p), np.array(c_d), np.array(hr_pfs), np.array(hr_os))


# --------------------------------------------------------------------------------------------
# Random numbers
# --------------------------------------------------------------------------------------------


def trial_uniforms(seed: int, start: int, stop: int, n: int) -> FloatArray:
    """Uniforms of trials ``start..stop-1``, shape ``(stop - start, 6, n)``.

    Notes
    -----
    ``SeedSequence(seed).spawn`` gives child ``b`` (``spawn_key=(b,)``) to the block of trials
    ``[b B, (b + 1) B)`` with ``B = STREAM_BLOCK``; each child drives a ``Generator(PCG64)`` and
    each trial takes ``6 n`` consecutive doubles of its block's stream, in trial order. A batch
    starting inside a block jumps there with ``PCG64.advance``. The draws of trial ``i`` therefore
    depend only on ``(seed, i, n)``: results do not depend on batch size or scheduling.
    """
    per = kern.N_UNIFORMS * n
    out = np.empty((stop - start, kern.N_UNIFORMS, n), dtype=np.float64)
    flat = out.reshape(stop - start, per)
    i = start
    while i < stop:
        block = i // STREAM_BLOCK
        end = min(stop, (block + 1) * STREAM_BLOCK)
        bit = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,)))
        skip = (i - block * STREAM_BLOCK) * per
        if skip:
            bit.advance(skip)
        np.random.Generator(bit).random(out=flat[i - start : end - start])
        i = end
    return out


# --------------------------------------------------------------------------------------------
# Per-trial outcomes and batch simulation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class TrialOutcomes(ResultMixin):
    """Per-trial results; comparison axis ``c`` (experimental arms in order), look axis ``k``.

    ``z[i, c, k]`` is the log-rank statistic oriented so that positive favours the experimental
    arm; ``stop_look[i, c]`` the 0-based look where comparison ``c`` stops (efficacy or final);
    ``log_hr*``/``se*`` the Cox estimates at that look for the primary endpoint, observed OS and
    counterfactual OS without crossover; ``analysis_time[i, k]``, ``events[i, k]`` (primary
    events, all arms) and ``enrolled[i, k]`` describe each look.
    """

    z: FloatArray
    reject: BoolArray
    stop_look: IntArray
    log_hr: FloatArray
    se: FloatArray
    log_hr_os: FloatArray
    se_os: FloatArray
    log_hr_os_nocross: FloatArray
    se_os_nocross: FloatArray
    analysis_time: FloatArray
    events: IntArray
    enrolled: IntArray
    switched: IntArray

    @property
    def n_sims(self) -> int:
        """Number of trials."""
        return int(self.z.shape[0])

    @staticmethod
    def concatenate(parts: Sequence[TrialOutcomes]) -> TrialOutcomes:
        """Stack batches in trial order."""
        return TrialOutcomes(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in parts], axis=0)
                for f in dataclasses.fields(TrialOutcomes)
            }
        )

    def to_frame(self) -> pl.DataFrame:
        """One row per trial and comparison (decisions and estimates at the stopping look)."""
        n, c = self.stop_look.shape
        rows = np.arange(n).repeat(c)
        stop = self.stop_look.reshape(-1)
        return pl.DataFrame(
            {
                "sim": rows,
                "comparison": np.tile(np.arange(c), n),
                "reject": self.reject.reshape(-1),
                "stop_look": stop + 1,
                "z": self.z.reshape(n * c, -1)[np.arange(n * c), stop],
                "log_hr": self.log_hr.reshape(-1),
                "se": self.se.reshape(-1),
                "log_hr_os": self.log_hr_os.reshape(-1),
                "log_hr_os_nocross": self.log_hr_os_nocross.reshape(-1),
                "analysis_time": self.analysis_time[rows, stop],
                "events": self.events[rows, stop],
                "enrolled": self.enrolled[rows, stop],
            }
        )


def _xp(backend: Backend) -> Any:
    if backend == "numpy":
        return np
    if backend == "cupy":
        try:
            return importlib.import_module("cupy")
        except ImportError as exc:
            raise PlasmatrialError(
                "backend='cupy' needs the cupy package and a CUDA GPU; cupy is not importable "
                f"({exc}). Use backend='numpy'."
            ) from None
    raise DesignError(f"backend must be 'numpy' or 'cupy', got {backend!r}")


def _to_numpy(xp: Any, a: Any) -> Any:
    return a if xp is np else xp.asnumpy(a)


@dataclass(frozen=True, slots=True)
class _Prepared:
    design: SimulationDesign
    calibration: Calibration
    critical_values: FloatArray
    arm_index: IntArray
    sizes: tuple[int, ...]


def _prepare(design: SimulationDesign) -> _Prepared:
    gsd = group_sequential_design(
        design.n_looks,
        alpha=design.alpha,
        sided=1,
        type_of_design=design.type_of_design,
        information_rates=design.information_rates,
    )
    sizes = design.arm_sizes()
    arm_index = np.repeat(np.arange(len(sizes)), sizes).astype(np.int64)
    return _Prepared(design, calibrate(design), gsd.critical_values, arm_index, sizes)


def _latent(prep: _Prepared, seed: int, start: int, stop: int, xp: Any) -> dict[str, Any]:
    """Entry and latent event times of trials ``start..stop-1`` (arrays of module ``xp``)."""
    d, cal = prep.design, prep.calibration
    u = xp.asarray(trial_uniforms(seed, start, stop, int(prep.arm_index.size)))
    breaks, rates, shape = _baseline(d)
    knots_t, knots_c = _accrual_knots(d)
    lat: dict[str, Any] = kern.latent_times(
        xp,
        u,
        arm_index=xp.asarray(prep.arm_index),
        p_response=xp.asarray([a.p_response for a in d.arms]),
        c_prog=xp.asarray(cal.c_progression),
        c_death=xp.asarray(cal.c_death),
        prog_responder_hr=d.pfs_responder_hr,
        death_responder_hr=d.os_responder_hr,
        switch_prob=xp.asarray([a.crossover_fraction for a in d.arms]),
        switch_hr=d.crossover_hr,
        dropout_hazard=-math.log(1.0 - d.dropout_rate) / d.dropout_time,
        breaks=None if breaks is None else xp.asarray(breaks),
        rates=None if rates is None else xp.asarray(rates),
        shape=shape,
    )
    lat["entry"] = kern.entry_times(
        xp, u[:, kern.U_ENTRY, :], xp.asarray(knots_t), xp.asarray(knots_c)
    )
    return lat


def _simulate_batch(
    prep: _Prepared, seed: int, start: int, stop: int, backend: Backend
) -> TrialOutcomes:
    """Simulate and analyse trials ``start..stop-1``; every operation is vectorised over trials."""
    from plasmatrial.stats.cox_batched import cox_ph_batched_two_arm
    from plasmatrial.stats.logrank import logrank_test_batched

    xp = _xp(backend)
    d = prep.design
    lat = _latent(prep, seed, start, stop, xp)
    entry = lat["entry"]
    arm_index = xp.asarray(prep.arm_index)
    primary = lat["pfs"] if d.endpoint == "PFS" else lat["os"]
    dropout = lat["dropout"]
    if d.analysis == "events":
        times = kern.event_driven_times(xp, entry, primary, dropout, d.event_counts())
    else:
        times = xp.broadcast_to(xp.asarray(d.analysis_times), (stop - start, d.n_looks)).copy()

    nb, n_looks = stop - start, d.n_looks
    comps = [i for i, a in enumerate(d.arms) if a.code != d.control]
    ci = d.control_index
    z = np.zeros((nb, len(comps), n_looks))
    events = np.zeros((nb, n_looks), dtype=np.int64)
    enrolled = np.zeros((nb, n_looks), dtype=np.int64)
    masks = [(arm_index == ci) | (arm_index == j) for j in comps]
    groups = [_to_numpy(xp, arm_index == j) for j in comps]
    for k in range(n_looks):
        at = times[:, k]
        t_all, e_all = kern.observe(xp, entry, primary, dropout, at, None)
        events[:, k] = _to_numpy(xp, e_all.sum(axis=1))
        enrolled[:, k] = _to_numpy(xp, (entry <= at[:, None]).sum(axis=1))
        for c, j in enumerate(comps):
            inc = masks[c]
            tt = xp.where(inc[None, :], t_all, 0.0)
            ee = e_all & inc[None, :]
            if xp is np:
                zc = logrank_test_batched(tt, ee, groups[c]).z
            else:
                zc = _to_numpy(xp, kern.logrank_z(xp, tt, ee, arm_index == j))
            z[:, c, k] = -zc  # stats orient z as O - E of the experimental arm
    crit = prep.critical_values
    with np.errstate(invalid="ignore"):
        cross = z >= crit[None, None, :]
    any_cross = cross.any(axis=2)
    stop_look = np.where(any_cross, cross.argmax(axis=2), n_looks - 1).astype(np.int64)

    shape2 = (nb, len(comps))
    log_hr, se = np.full(shape2, np.nan), np.full(shape2, np.nan)
    log_os, se_os = np.full(shape2, np.nan), np.full(shape2, np.nan)
    log_osn, se_osn = np.full(shape2, np.nan), np.full(shape2, np.nan)
    entry_np = _to_numpy(xp, entry)
    drop_np = _to_numpy(xp, dropout)
    lat_np = {key: _to_numpy(xp, lat[key]) for key in ("pfs", "os", "os_nocross")}
    times_np = _to_numpy(xp, times)
    arm_np = prep.arm_index
    crossover = d.crossover_hr != 1.0 and any(a.crossover_fraction > 0 for a in d.arms)
    for c, j in enumerate(comps):
        inc = (arm_np == ci) | (arm_np == j)
        grp = (arm_np[inc] == j).astype(np.float64)
        for k in range(n_looks):
            rows = np.flatnonzero(stop_look[:, c] == k)
            if rows.size == 0:
                continue
            at = times_np[rows, k]
            sub_e, sub_d = entry_np[rows][:, inc], drop_np[rows][:, inc]
            fits: dict[str, tuple[FloatArray, FloatArray]] = {}
            for key in ("pfs", "os", "os_nocross"):
                if key == "os_nocross" and not crossover:
                    fits[key] = fits["os"]  # identical data: no patient switches
                    continue
                tt, ee = kern.observe(np, sub_e, lat_np[key][rows][:, inc], sub_d, at, None)
                fit = cox_ph_batched_two_arm(tt, ee, grp, ties=d.ties)
                fits[key] = (fit.coef, fit.se)
            prim = fits["pfs" if d.endpoint == "PFS" else "os"]
            log_hr[rows, c], se[rows, c] = prim
            log_os[rows, c], se_os[rows, c] = fits["os"]
            log_osn[rows, c], se_osn[rows, c] = fits["os_nocross"]
    return TrialOutcomes(
        z=z,
        reject=np.asarray(any_cross, dtype=np.bool_),
        stop_look=stop_look,
        log_hr=log_hr,
        se=se,
        log_hr_os=log_os,
        se_os=se_os,
        log_hr_os_nocross=log_osn,
        se_os_nocross=se_osn,
        analysis_time=times_np.astype(np.float64),
        events=events,
        enrolled=enrolled,
        switched=_to_numpy(xp, lat["switched"].sum(axis=1)).astype(np.int64),
    )


def _accrual_knots(d: SimulationDesign) -> tuple[FloatArray, FloatArray]:
    """Knots of the piecewise-linear accrual CDF (time, probability)."""
    if not d.accrual_breaks:
        return np.array([0.0, d.accrual]), np.array([0.0, 1.0])
    t = np.append(np.asarray(d.accrual_breaks, dtype=np.float64), d.accrual)
    mass = np.asarray(d.accrual_weights) * np.diff(t)
    cdf = np.concatenate([[0.0], np.cumsum(mass) / mass.sum()])
    return t, cdf


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class EstimateSummary(ResultMixin):
    """Distribution of the Cox log hazard ratio over simulated trials, vs ``true_hr``.

    ``bias`` and ``sd`` are on the log scale; ``coverage`` is the proportion of Wald intervals
    ``exp(b +/- z se)`` that contain ``true_hr``. ``mcse_*`` are Monte Carlo standard errors.
    """

    endpoint: str
    true_hr: float
    mean_log_hr: float
    hr_geometric_mean: float
    bias: float
    sd: float
    coverage: float
    mcse_mean: float
    mcse_coverage: float
    n_valid: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _estimate_summary(
    endpoint: str, true_hr: float, b: FloatArray, se: FloatArray, conf_level: float
) -> EstimateSummary:
    ok = np.isfinite(b) & np.isfinite(se)
    b, se = b[ok], se[ok]
    m = int(b.size)
    if m == 0:
        nan = float("nan")
        return EstimateSummary(endpoint, true_hr, nan, nan, nan, nan, nan, nan, nan, 0)
    zq = float(stats.norm.isf((1.0 - conf_level) / 2.0))
    cover = np.abs(b - math.log(true_hr)) <= zq * se
    mean = float(b.mean())
    sd = float(b.std(ddof=1)) if m > 1 else float("nan")
    cov = float(cover.mean())
    return EstimateSummary(
        endpoint=endpoint,
        true_hr=true_hr,
        mean_log_hr=mean,
        hr_geometric_mean=math.exp(mean),
        bias=mean - math.log(true_hr),
        sd=sd,
        coverage=cov,
        mcse_mean=sd / math.sqrt(m) if m > 1 else float("nan"),
        mcse_coverage=math.sqrt(cov * (1.0 - cov) / m),
        n_valid=m,
    )


def _mean_se(x: FloatArray) -> tuple[float, float]:
    m = x.size
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(m)) if m > 1 else float("nan")


@dataclass(frozen=True, slots=True, repr=False)
class ComparisonSummary(ResultMixin):
    """Operating characteristics of one experimental arm vs control.

    ``rejection_rate`` is power under H1 and the type I error under H0 (hazard ratio 1);
    ``reject_per_look[k]`` the probability of stopping for efficacy at look ``k``;
    ``stop_per_look`` adds reaching the final look without rejection to the last entry.
    Expectations are at the stopping look. ``os_nocross`` is the counterfactual OS analysis of the
    same patients without crossover, so ``os.bias - os_nocross.bias`` is the crossover effect.
    """

    arm: str
    rejection_rate: float
    mcse_rejection: float
    reject_per_look: FloatArray
    stop_per_look: FloatArray
    expected_events: float
    mcse_events: float
    expected_n: float
    mcse_n: float
    expected_duration: float
    mcse_duration: float
    primary: EstimateSummary
    os: EstimateSummary
    os_nocross: EstimateSummary

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (for JSON)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v = v.tolist()
            elif isinstance(v, EstimateSummary):
                v = v.to_dict()
            out[f.name] = v
        return out


@dataclass(frozen=True, slots=True, repr=False)
class SimulationResult(ResultMixin):
    """Operating characteristics of a simulated design, with Monte Carlo standard errors."""

    design: SimulationDesign
    n_sims: int
    seed: int
    backend: str
    critical_values: FloatArray
    calibration: Calibration
    comparisons: tuple[ComparisonSummary, ...]
    outcomes: TrialOutcomes = field(repr=False)

    def to_frame(self) -> pl.DataFrame:
        """One row per comparison and look: rejection and stopping probabilities."""
        rows: dict[str, list[Any]] = {
            "label": [],
            "arm": [],
            "look": [],
            "critical_value": [],
            "reject_at_look": [],
            "stop_at_look": [],
            "cumulative_rejection": [],
        }
        for c in self.comparisons:
            cum = np.cumsum(c.reject_per_look)
            for k in range(self.design.n_looks):
                rows["label"].append(self.design.label)
                rows["arm"].append(c.arm)
                rows["look"].append(k + 1)
                rows["critical_value"].append(float(self.critical_values[k]))
                rows["reject_at_look"].append(float(c.reject_per_look[k]))
                rows["stop_at_look"].append(float(c.stop_per_look[k]))
                rows["cumulative_rejection"].append(float(cum[k]))
        return pl.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (for JSON), without the per-trial outcomes."""
        return {
            "design": self.design.to_dict(),
            "n_sims": self.n_sims,
            "seed": self.seed,
            "backend": self.backend,
            "critical_values": self.critical_values.tolist(),
            "calibration": self.calibration.to_dict(),
            "comparisons": [c.to_dict() for c in self.comparisons],
        }


def summarize(
    design: SimulationDesign,
    outcomes: TrialOutcomes,
    *,
    seed: int,
    backend: str = "numpy",
    prepared: _Prepared | None = None,
) -> SimulationResult:
    """Operating characteristics from per-trial outcomes (see :class:`ComparisonSummary`)."""
    prep = prepared or _prepare(design)
    n = outcomes.n_sims
    rows = np.arange(n)
    cal = prep.calibration
    comps = [i for i, a in enumerate(design.arms) if a.code != design.control]
    out = []
    for c, j in enumerate(comps):
        stop = outcomes.stop_look[:, c]
        rej = outcomes.reject[:, c]
        reject_per_look = np.array(
            [np.mean(rej & (stop == k)) for k in range(design.n_looks)], dtype=np.float64
        )
        stop_per_look = np.array(
            [np.mean(stop == k) for k in range(design.n_looks)], dtype=np.float64
        )
        rate = float(rej.mean())
        ev, ev_se = _mean_se(outcomes.events[rows, stop].astype(np.float64))
        nn, nn_se = _mean_se(outcomes.enrolled[rows, stop].astype(np.float64))
        du, du_se = _mean_se(outcomes.analysis_time[rows, stop])
        true_primary = cal.true_hr_pfs[j] if design.endpoint == "PFS" else cal.true_hr_os[j]
        out.append(
            ComparisonSummary(
                arm=design.arms[j].code,
                rejection_rate=rate,
                mcse_rejection=math.sqrt(rate * (1.0 - rate) / n),
                reject_per_look=reject_per_look,
                stop_per_look=stop_per_look,
                expected_events=ev,
                mcse_events=ev_se,
                expected_n=nn,
                mcse_n=nn_se,
                expected_duration=du,
                mcse_duration=du_se,
                primary=_estimate_summary(
                    design.endpoint,
                    float(true_primary),
                    outcomes.log_hr[:, c],
                    outcomes.se[:, c],
                    design.conf_level,
                ),
                os=_estimate_summary(
                    "OS",
                    float(cal.true_hr_os[j]),
                    outcomes.log_hr_os[:, c],
                    outcomes.se_os[:, c],
                    design.conf_level,
                ),
                os_nocross=_estimate_summary(
                    "OS (no crossover)",
                    float(cal.true_hr_os[j]),
                    outcomes.log_hr_os_nocross[:, c],
                    outcomes.se_os_nocross[:, c],
                    design.conf_level,
                ),
            )
        )
    return SimulationResult(
        design=design,
        n_sims=n,
        seed=seed,
        backend=backend,
        critical_values=prep.critical_values,
        calibration=cal,
        comparisons=tuple(out),
        outcomes=outcomes,
    )


def _batches(n_sims: int, batch_size: int) -> list[tuple[int, int]]:
    return [(s, min(n_sims, s + batch_size)) for s in range(0, n_sims, batch_size)]


def simulate_trials(
    design: SimulationDesign,
    *,
    n_sims: int,
    seed: int,
    backend: Backend = "numpy",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate ``n_sims`` trials of ``design`` and summarise their operating characteristics.

    Parameters
    ----------
    design : SimulationDesign
        Scenario and analysis plan.
    n_sims : int
        Number of simulated trials.
    seed : int
        Seed of the ``SeedSequence`` from which every trial's stream derives.
    backend : {"numpy", "cupy"}
        Array module of the simulation kernels; ``"cupy"`` runs them on a CUDA GPU (log-rank on
        the GPU too, Cox on the CPU after ``cupy.asnumpy``).
    batch_size : int, default 1000
        Trials simulated and analysed together (memory ~ ``batch_size * n * 200`` bytes).
        Results do not depend on it.
    progress : callable, optional
        Called as ``progress(done, n_sims)`` after each batch.

    Returns
    -------
    SimulationResult
        Rejection rates (power or type I error), rejection/stopping probability per look, expected
        events, patients and duration, hazard-ratio estimate summaries (primary endpoint, OS, OS
        without crossover) with Monte Carlo standard errors, and the per-trial outcomes.

    Raises
    ------
    DesignError
        Invalid arguments.
    PlasmatrialError
        ``backend="cupy"`` without an importable cupy.

    Notes
    -----
    Per batch, with ``u`` the ``(B, 6, n)`` uniforms of :func:`trial_uniforms`:

    1. Entry by inverting the (piecewise-)uniform accrual CDF; arms are fixed blocks of sizes
       :meth:`SimulationDesign.arm_sizes` (entry times are i.i.d., so this is randomisation with
       exact arm sizes).
    2. Response ``U < p_arm``; progression and death times ``H0^{-1}(-log(1-U) / (c g))`` with the
       multipliers of :func:`calibrate`; PFS = min(progression, death); crossover at progression
       (control patients, probability ``crossover_fraction``) multiplies the later death hazard
       by ``crossover_hr``; exponential dropout.
    3. Look ``k`` is at the calendar time of the ``round(t_k D)``-th primary event (or at the given
       calendar time). Patients not yet enrolled, or in arms outside a comparison, get time 0 and
       no event, which removes them from every risk set.
    4. :func:`~plasmatrial.stats.logrank.logrank_test_batched` at every look and comparison; the
       comparison stops at the first look with ``-z >= c_k`` (boundaries of
       :func:`~plasmatrial.design.group_sequential.group_sequential_design`, one-sided ``alpha``,
       planned information rates).
    5. :func:`~plasmatrial.stats.cox_batched.cox_ph_batched_two_arm` at the stopping look for the
       primary endpoint, OS and counterfactual OS without crossover.

    References
    ----------
    .. [1] Morris TP, White IR, Crowther MJ. Using simulation studies to evaluate statistical
       methods. Stat Med 2019;38:2074-2102.
    .. [2] Bender R, Augustin T, Blettner M. Generating survival times to simulate Cox
       proportional hazards models. Stat Med 2005;24:1713-1723.

    Examples
    --------
    >>> arms = (ArmScenario("E", 1, 6.0, 20.0), ArmScenario("C", 1, 4.0, 15.0))
    >>> d = SimulationDesign(arms, "C", n_patients=100, accrual=12, events=60)
    >>> r = simulate_trials(d, n_sims=200, seed=1)
    >>> 0.0 <= r.comparisons[0].rejection_rate <= 1.0
    True
    """
    n_sims = check_int("n_sims", n_sims, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    _xp(backend)
    prep = _prepare(design)
    parts = []
    for start, stop in _batches(n_sims, batch_size):
        parts.append(_simulate_batch(prep, seed, start, stop, backend))
        if progress is not None:
            progress(stop, n_sims)
    return summarize(
        design, TrialOutcomes.concatenate(parts), seed=seed, backend=backend, prepared=prep
    )


# --------------------------------------------------------------------------------------------
# Sweeps (optionally on Dask)
# --------------------------------------------------------------------------------------------


def expand_grid(
    base: SimulationDesign, grid: Mapping[str, Sequence[Any]]
) -> list[SimulationDesign]:
    """Designs for every combination of the ``grid`` values.

    Keys are :class:`SimulationDesign` fields, or ``"hr"`` (applied with
    :meth:`SimulationDesign.with_hr`). The last key varies fastest.
    """
    keys = list(grid)
    fields = {f.name for f in dataclasses.fields(SimulationDesign)}
    for k in keys:
        if k != "hr" and k not in fields:
            raise DesignError(
                f"grid: unknown parameter {k!r} (use 'hr' or a SimulationDesign field)"
            )
    out = []
    for values in itertools.product(*(grid[k] for k in keys)):
        d = base
        label = []
        for k, v in zip(keys, values, strict=True):
            d = d.with_hr(float(v)) if k == "hr" else dataclasses.replace(d, **{k: v})
            label.append(f"{k}={v}")
        out.append(dataclasses.replace(d, label=", ".join(label)))
    return out


def _run_batch(design: SimulationDesign, seed: int, start: int, stop: int) -> TrialOutcomes:
    return _simulate_batch(_prepare(design), seed, start, stop, "numpy")


def simulate_sweep(
    designs_or_grid: Iterable[SimulationDesign]
    | tuple[SimulationDesign, Mapping[str, Sequence[Any]]],
    *,
    n_sims: int,
    seed: int,
    scheduler: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> list[SimulationResult]:
    """Simulate several scenarios, serially or on a Dask cluster; identical results either way.

    Parameters
    ----------
    designs_or_grid : iterable of SimulationDesign, or (base design, grid mapping)
        Scenarios, or a base design and a parameter grid (see :func:`expand_grid`).
    n_sims, seed, batch_size :
        As :func:`simulate_trials`; every scenario uses the same ``seed`` (common random numbers,
        which makes differences between scenarios less noisy).
    scheduler : None, "local" or str
        ``None``: run here, serially. ``"local"``: a ``dask.distributed.LocalCluster`` (closed on
        return). Otherwise the address of a running scheduler (``"tcp://host:8786"``).
    progress : callable, optional
        ``progress(done_batches, total_batches)``.

    Returns
    -------
    list of SimulationResult
        One per scenario, in order.

    Notes
    -----
    Each (scenario, batch) is one task returning per-trial outcomes; batches are concatenated in
    trial order and summarised here. Because every trial's random numbers depend only on
    ``(seed, trial index)`` and every per-trial statistic is computed row by row, the results equal
    the serial run exactly.
    """
    if (
        isinstance(designs_or_grid, tuple)
        and len(designs_or_grid) == 2
        and isinstance(designs_or_grid[1], Mapping)
    ):
        base, grid = designs_or_grid
        designs = expand_grid(base, grid)
    else:
        designs = list(designs_or_grid)  # type: ignore[arg-type]
    for d in designs:
        if not isinstance(d, SimulationDesign):
            raise DesignError(f"designs_or_grid: expected SimulationDesign items, got {type(d)!r}")
    n_sims = check_int("n_sims", n_sims, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    preps = [_prepare(d) for d in designs]
    spans = _batches(n_sims, batch_size)
    total = len(designs) * len(spans)
    parts: list[list[TrialOutcomes]] = []
    if scheduler is None:
        done = 0
        for prep in preps:
            mine = []
            for start, stop in spans:
                mine.append(_simulate_batch(prep, seed, start, stop, "numpy"))
                done += 1
                if progress is not None:
                    progress(done, total)
            parts.append(mine)
    else:
        parts = _run_dask(designs, spans, seed, scheduler, progress, total)
    return [
        summarize(d, TrialOutcomes.concatenate(p), seed=seed, prepared=prep)
        for d, p, prep in zip(designs, parts, preps, strict=True)
    ]


def _run_dask(
    designs: list[SimulationDesign],
    spans: list[tuple[int, int]],
    seed: int,
    scheduler: str,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> list[list[TrialOutcomes]]:
    from plasmatrial._dask import dask_client, distributed_module

    distributed = distributed_module()
    with dask_client(scheduler) as client:
        futures = [
            [client.submit(_run_batch, d, seed, a, b, pure=False) for a, b in spans]
            for d in designs
        ]
        if progress is not None:
            flat = [f for row in futures for f in row]
            for done, _ in enumerate(distributed.as_completed(flat), start=1):
                progress(done, total)
        return [client.gather(row) for row in futures]


# --------------------------------------------------------------------------------------------
# From a trial file
# --------------------------------------------------------------------------------------------


def design_from_trial(trial: Trial, **overrides: Any) -> SimulationDesign:
    """Build a :class:`SimulationDesign` from a :class:`~plasmatrial.design.protocol.Trial`.

    Arms and allocation ratios come from the trial's ``arms``; ``n_patients`` from ``n_planned``
    (or ``simulation.n_per_arm``); ``accrual`` from ``schedule.accrual_months``. Scenario
    parameters come, in order of precedence, from ``overrides``, the trial's ``simulation:``
    section (``median_pfs_months``, ``median_os_months``, ``p_response`` or ``responders``,
    ``crossover_fraction``, ``crossover_hr``, ``dropout_rate``, ``events``, ``analysis_time_months``
    or ``median_followup_months``, ``information_rates``, ``alpha``, ``endpoint``, ...), then the
    published medians (``published`` entries for PFS/OS in months). The control arm is the arm with
    ``crossover_to`` set, else ``simulation.control``, else the last arm. Without an event target
    the analysis is at calendar time ``analysis_time_months``, or ``accrual/2 +
    median_followup_months`` (median potential follow-up), or ``accrual + schedule.followup_months``.

    ``overrides`` are keys of :class:`~plasmatrial.design.simulation.Simulation` (``None``
    values are ignored); they are validated with the block, so an unknown key or a value out of
    range is a :class:`~plasmatrial.errors.DesignError`. Every key read here defaults to
    ``None``, so "the trial file gives it" is "the value is not ``None``".

    Raises
    ------
    DesignError
        An invalid override, an arm without a median, an unknown control arm, or an invalid
        design.
    """
    sim = _with_overrides(trial, overrides)
    codes = [a.code for a in trial.arms]
    published: dict[tuple[str, str], float] = {}
    for fig in trial.published:
        if fig.unit != "months" or fig.arm is None or fig.value is None:
            continue
        if fig.endpoint in ("PFS", "OS"):
            published.setdefault((fig.endpoint, fig.arm), float(fig.value))

    def per_arm(
        name: str,
        value: float | Mapping[str, float] | None,
        endpoint: str | None,
        default: float | None,
    ) -> list[float]:
        if value is None:
            given: Mapping[str, float] = {}
        elif isinstance(value, Mapping):
            given = value
        else:
            given = dict.fromkeys(codes, value)
        vals = []
        for code in codes:
            if code in given:
                vals.append(float(given[code]))
            elif endpoint is not None and (endpoint, code) in published:
                vals.append(published[(endpoint, code)])
            elif default is not None:
                vals.append(default)
            else:
                raise DesignError(
                    f"trial {trial.id}: no {name} for arm {code} (give it in the simulation: "
                    "section, the published figures, or as an option)"
                )
        return vals

    n_per = sim.n_per_arm
    n_per_arm = tuple(int(n_per[c]) for c in codes) if n_per is not None else None
    n_patients = sim.n_patients
    if n_patients is None:
        n_patients = sum(n_per_arm) if n_per_arm else trial.n_planned
    if n_per_arm is not None and sum(n_per_arm) != n_patients:
        n_per_arm = None
    pfs = per_arm("median_pfs_months", sim.median_pfs_months, "PFS", None)
    os_ = per_arm("median_os_months", sim.median_os_months, "OS", None)
    p_resp = (
        per_arm("p_response", sim.p_response, None, 0.0)
        if sim.p_response is not None
        else _p_from_responders(
            sim, codes, n_per_arm or _split(n_patients, [a.ratio for a in trial.arms])
        )
    )
    control = next((a.code for a in trial.arms if a.crossover_to), None)
    control = sim.control if sim.control is not None else (control or codes[-1])
    if control not in codes:
        raise DesignError(f"trial {trial.id}: control {control!r} is not an arm ({codes})")
    xfrac = float(sim.crossover_fraction or 0.0)
    arms = tuple(
        ArmScenario(
            code=a.code,
            ratio=float(a.ratio),
            median_pfs=pfs[i],
            median_os=os_[i],
            p_response=p_resp[i],
            crossover_fraction=xfrac if a.code == control else 0.0,
        )
        for i, a in enumerate(trial.arms)
    )
    accrual = float(
        sim.accrual_months if sim.accrual_months is not None else trial.schedule.accrual_months
    )
    given_rates = sim.information_rates
    rates = tuple(float(v) for v in (given_rates if given_rates is not None else (1.0,)))
    kwargs = _analysis_kwargs(sim, accrual, rates, float(trial.schedule.followup_months))
    passthrough: dict[str, Any] = {
        "hazard_shape": sim.hazard_shape,
        "weibull_shape": sim.weibull_shape,
        "piecewise_breaks": sim.piecewise_breaks,
        "piecewise_rates": sim.piecewise_rates,
        "pfs_responder_hr": sim.pfs_responder_hr,
        "os_responder_hr": sim.os_responder_hr,
        "dropout_rate": sim.dropout_rate,
        "dropout_time": sim.dropout_time,
        "crossover_hr": sim.crossover_hr,
        "endpoint": sim.endpoint,
        "alpha": sim.alpha,
        "type_of_design": sim.type_of_design,
        "conf_level": sim.conf_level,
        "ties": sim.ties,
    }
    kwargs |= {k: v for k, v in passthrough.items() if v is not None}
    design = SimulationDesign(
        arms=arms,
        control=control,
        n_patients=n_patients,
        n_per_arm=n_per_arm,
        accrual=accrual,
        information_rates=rates,
        label=str(trial.id),
        **kwargs,
    )
    if sim.hr is not None:
        design = design.with_hr(float(sim.hr))
    return design


def _with_overrides(trial: Trial, overrides: Mapping[str, Any]) -> Simulation:
    """The trial's ``simulation:`` block with the ``overrides`` that are not ``None``, validated
    together by the model (an unknown key or a bad value is a :class:`DesignError`)."""
    from pydantic import ValidationError

    from plasmatrial.design.simulation import Simulation

    given = {k: v for k, v in overrides.items() if v is not None}
    if not given:
        return trial.simulation
    try:
        return Simulation.model_validate(trial.simulation.model_dump(exclude_unset=True) | given)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise DesignError(f"trial {trial.id}: invalid simulation option ({problems})") from None


def _p_from_responders(sim: Simulation, codes: list[str], sizes: Sequence[int]) -> list[float]:
    """Response probability per arm from ``simulation.responders`` counts (0 where absent)."""
    responders = sim.responders
    if not isinstance(responders, Mapping):
        return [0.0] * len(codes)
    return [float(responders.get(c, 0)) / sizes[i] for i, c in enumerate(codes)]


def _analysis_kwargs(
    sim: Simulation, accrual: float, rates: tuple[float, ...], followup: float
) -> dict[str, Any]:
    """Event-driven analysis if ``events`` is given, else calendar times (see design_from_trial)."""
    if sim.events is not None:
        return {"analysis": "events", "events": int(sim.events)}
    if sim.analysis_time_months is not None:
        t_end = float(sim.analysis_time_months)
    elif sim.median_followup_months is not None:
        t_end = max(accrual, accrual / 2.0 + float(sim.median_followup_months))
    else:
        t_end = accrual + followup
    return {"analysis": "calendar", "analysis_times": tuple(t_end * r for r in rates)}


def _split(n: int, ratios: Sequence[float]) -> tuple[int, ...]:
    w = np.asarray(ratios, dtype=np.float64)
    exact = n * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[: n - int(base.sum())]] += 1
    return tuple(int(v) for v in base)
