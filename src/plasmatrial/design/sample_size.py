"""Log-rank sample size: events (Schoenfeld / Freedman) and patients under exponential survival."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from plasmatrial._results import ResultMixin
from plasmatrial.design._validate import (
    check_int,
    check_nonnegative,
    check_open_unit,
    check_positive,
)
from plasmatrial.design.group_sequential import (
    DesignType,
    GroupSequentialDesign,
    group_sequential_design,
    stage_probabilities,
)
from plasmatrial.errors import DesignError

__all__ = ["SampleSizeResult", "prob_event", "sample_size_logrank"]

FloatArray = NDArray[np.float64]
Method = Literal["schoenfeld", "freedman"]


@dataclass(frozen=True, slots=True, repr=False)
class SampleSizeResult(ResultMixin):
    """Events and patients for a two-arm log-rank comparison (arm 1 = treatment, arm 2 = control).

    Continuous values are unrounded, as rpact reports them; ``*_rounded`` are rounded up.
    """

    hr: float
    alpha: float
    power: float
    sided: int
    ratio: float
    method: Method
    lambda1: float
    lambda2: float
    dropout_hazard: float
    accrual: float
    follow_up: float
    events_fixed: float
    events: float
    events_per_stage: FloatArray
    n_total: float
    n_treatment: float
    n_control: float
    prob_event_treatment: float
    prob_event_control: float
    analysis_times: FloatArray
    expected_events_h1: float
    expected_events_h0: float
    expected_duration_h1: float
    design: GroupSequentialDesign

    @property
    def events_rounded(self) -> int:
        """Maximum number of events, rounded up."""
        return _ceil(self.events)

    @property
    def n_treatment_rounded(self) -> int:
        """Patients in the treatment arm, rounded up."""
        return _ceil(self.n_treatment)

    @property
    def n_control_rounded(self) -> int:
        """Patients in the control arm, rounded up."""
        return _ceil(self.n_control)

    @property
    def n_total_rounded(self) -> int:
        """Sum of the rounded-up arm sizes."""
        return self.n_treatment_rounded + self.n_control_rounded

    @property
    def study_duration(self) -> float:
        """Accrual plus follow-up: time of the final analysis."""
        return self.accrual + self.follow_up

    def to_dict(self) -> dict[str, Any]:
        """Return every number as a plain dictionary (for JSON)."""
        out = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in {"design", "events_per_stage", "analysis_times"}
        }
        out.update(
            events_per_stage=self.events_per_stage.tolist(),
            analysis_times=self.analysis_times.tolist(),
            events_rounded=self.events_rounded,
            n_total_rounded=self.n_total_rounded,
            n_treatment_rounded=self.n_treatment_rounded,
            n_control_rounded=self.n_control_rounded,
            study_duration=self.study_duration,
            design=self.design.to_dict(),
        )
        return out


def _ceil(x: float) -> int:
    """Round up, ignoring floating-point noise below 1e-9."""
    return math.ceil(x - 1e-9)


def prob_event(hazard: float, dropout_hazard: float, accrual: float, time: float) -> float:
    """P(event observed by calendar ``time``) with uniform accrual on ``[0, accrual]``.

    Exponential event hazard ``hazard`` and competing exponential dropout ``dropout_hazard``:
    ``(1/a) int_0^{min(a, T)} h_e/h (1 - exp(-h (T - u))) du`` with ``h = h_e + h_d``.
    """
    h = hazard + dropout_hazard
    m = min(accrual, time)
    if m <= 0.0:
        return 0.0
    integral = m - (math.exp(-h * (time - m)) - math.exp(-h * time)) / h
    return hazard / h * integral / accrual


def sample_size_logrank(
    hr: float,
    *,
    alpha: float = 0.025,
    power: float = 0.8,
    ratio: float = 1.0,
    sided: Literal[1, 2] = 1,
    accrual: float,
    follow_up: float,
    median_control: float | None = None,
    lambda2: float | None = None,
    dropout_rate: float = 0.0,
    dropout_time: float = 12.0,
    method: Method = "schoenfeld",
    k_max: int = 1,
    type_of_design: DesignType = "asOF",
) -> SampleSizeResult:
    """Events and patients for a log-rank test under exponential survival and uniform accrual.

    Parameters
    ----------
    hr : float
        Hazard ratio treatment / control under H1 (not 1).
    alpha : float, default 0.025
        Type I error, one-sided if ``sided=1``, total two-sided if ``sided=2``.
    power : float, default 0.8
        Target power.
    ratio : float, default 1
        Allocation ratio treatment : control (2 for 2:1).
    sided : {1, 2}
        One- or two-sided test.
    accrual, follow_up : float
        Uniform accrual period and additional follow-up after the last patient (same time unit).
    median_control, lambda2 : float
        Control-arm median survival or hazard rate (exactly one).
    dropout_rate : float, default 0
        Proportion lost to follow-up by ``dropout_time`` in each arm (exponential).
    dropout_time : float, default 12
        Time at which ``dropout_rate`` applies.
    method : {"schoenfeld", "freedman"}
        Formula for the number of events.
    k_max : int, default 1
        Number of looks; with ``k_max > 1`` the events are inflated for O'Brien-Fleming-type
        boundaries at equally spaced information (``type_of_design``).
    type_of_design : {"asOF", "OF"}
        Alpha-spending (Lan-DeMets OF) or classical O'Brien-Fleming boundaries.

    Returns
    -------
    SampleSizeResult
        Events (fixed and maximum, per look), patients in total and per arm, probability of an
        event per arm, analysis times, expected events and expected study duration.

    Raises
    ------
    DesignError
        On invalid parameters.

    Notes
    -----
    Matches ``rpact::getSampleSizeSurvival(design, hazardRatio, median2 | lambda2,
    allocationRatioPlanned = ratio, accrualTime = accrual, followUpTime = follow_up,
    dropoutRate1 = dropout_rate, dropoutRate2 = dropout_rate, dropoutTime,
    typeOfComputation = "Schoenfeld" | "Freedman")``; rpact reports these values unrounded.

    1. Fixed-design events with ``z = z_{1-alpha/sided} + z_{1-beta}`` and allocation ``r``:
       Schoenfeld ``D = z^2 (1 + r)^2 / (r log(hr)^2)``; Freedman
       ``D = z^2 (1 + r hr)^2 / (r (1 - hr)^2)``.
    2. Maximum events ``D_max = D * inflation_factor`` of the group-sequential design; look ``k``
       is planned at ``t_k D_max`` events.
    3. Hazards: ``lambda2 = log 2 / median_control``, ``lambda1 = hr lambda2``, dropout hazard
       ``-log(1 - dropout_rate) / dropout_time``.
    4. ``N = D_max (1 + r) / (r P1 + P2)`` where ``P_i`` is the probability of an observed event
       by ``accrual + follow_up`` under uniform accrual (:func:`prob_event`).
    5. Analysis times solve ``N * pbar(T) = t_k D_max``; expected events and duration weight the
       looks by the probability of stopping there (efficacy boundary) under H1 or H0.

    References
    ----------
    .. [1] Schoenfeld DA. Sample-size formula for the proportional-hazards regression model.
       Biometrics 1983;39:499-503.
    .. [2] Freedman LS. Tables of the number of patients required in clinical trials using the
       logrank test. Stat Med 1982;1:121-129.
    .. [3] Lachin JM, Foulkes MA. Evaluation of sample size and power for analyses of survival
       with allowance for nonuniform patient entry, losses to follow-up, noncompliance, and
       stratification. Biometrics 1986;42:507-519.

    Examples
    --------
    >>> res = sample_size_logrank(0.7, alpha=0.025, power=0.9, ratio=2, accrual=24,
    ...                           follow_up=12, median_control=8)
    >>> round(res.events, 2), res.events_rounded
    (371.68, 372)
    """
    hr = check_positive("hr", hr)
    if hr == 1.0:
        raise DesignError("hr must differ from 1 (no effect means infinite sample size)")
    alpha = check_open_unit("alpha", alpha)
    power = check_open_unit("power", power)
    ratio = check_positive("ratio", ratio)
    accrual = check_positive("accrual", accrual)
    follow_up = check_nonnegative("follow_up", follow_up)
    dropout_rate = check_nonnegative("dropout_rate", dropout_rate)
    if dropout_rate >= 1.0:
        raise DesignError(f"dropout_rate must be below 1, got {dropout_rate!r}")
    dropout_time = check_positive("dropout_time", dropout_time)
    if method not in ("schoenfeld", "freedman"):
        raise DesignError(f"method must be 'schoenfeld' or 'freedman', got {method!r}")
    k_max = check_int("k_max", k_max, minimum=1)
    lam2 = _control_hazard(median_control, lambda2)
    lam1 = hr * lam2
    gamma = -math.log(1.0 - dropout_rate) / dropout_time

    design = group_sequential_design(
        k_max, alpha=alpha, beta=1.0 - power, sided=sided, type_of_design=type_of_design
    )
    z = stats.norm.isf(alpha / sided) + stats.norm.isf(1.0 - power)
    if method == "schoenfeld":
        d_fixed = z**2 * (1.0 + ratio) ** 2 / (ratio * math.log(hr) ** 2)
    else:
        d_fixed = z**2 * (1.0 + ratio * hr) ** 2 / (ratio * (1.0 - hr) ** 2)
    d_fixed = float(d_fixed)
    d_max = d_fixed * design.inflation_factor
    d_stage = design.information_rates * d_max

    total = accrual + follow_up
    p1 = prob_event(lam1, gamma, accrual, total)
    p2 = prob_event(lam2, gamma, accrual, total)
    n = d_max * (1.0 + ratio) / (ratio * p1 + p2)

    def expected_events(time: float) -> float:
        pbar = ratio * prob_event(lam1, gamma, accrual, time) + prob_event(
            lam2, gamma, accrual, time
        )
        return float(n * pbar / (1.0 + ratio))

    times = np.array(
        [optimize.brentq(lambda x, d=d: expected_events(x) - d, 1e-9, total) for d in d_stage[:-1]]
        + [total]
    )
    stop_h1 = _stop_probs(design.reject_per_stage_h1)
    stop_h0 = _stop_probs(
        stage_probabilities(design.critical_values, design.information_rates, 0.0, sided)
    )
    return SampleSizeResult(
        hr=hr,
        alpha=alpha,
        power=power,
        sided=sided,
        ratio=ratio,
        method=method,
        lambda1=lam1,
        lambda2=lam2,
        dropout_hazard=gamma,
        accrual=accrual,
        follow_up=follow_up,
        events_fixed=d_fixed,
        events=d_max,
        events_per_stage=d_stage,
        n_total=n,
        n_treatment=n * ratio / (1.0 + ratio),
        n_control=n / (1.0 + ratio),
        prob_event_treatment=p1,
        prob_event_control=p2,
        analysis_times=times,
        expected_events_h1=float(stop_h1 @ d_stage),
        expected_events_h0=float(stop_h0 @ d_stage),
        expected_duration_h1=float(stop_h1 @ times),
        design=design,
    )


def _stop_probs(reject: FloatArray) -> FloatArray:
    """Probability of stopping at each look: reject there, or reach the last look."""
    out = reject.copy()
    out[-1] = 1.0 - reject[:-1].sum()
    return out


def _control_hazard(median_control: float | None, lambda2: float | None) -> float:
    if (median_control is None) == (lambda2 is None):
        raise DesignError("give exactly one of median_control and lambda2")
    if median_control is not None:
        return math.log(2.0) / check_positive("median_control", median_control)
    assert lambda2 is not None
    return check_positive("lambda2", lambda2)
