"""Group-sequential efficacy boundaries (O'Brien-Fleming type) by recursive numerical integration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import optimize, stats

from plasmatrial._results import ResultMixin
from plasmatrial.design._validate import check_int, check_open_unit
from plasmatrial.errors import DesignError

__all__ = ["GroupSequentialDesign", "group_sequential_design", "stage_probabilities"]

FloatArray = NDArray[np.float64]
DesignType = Literal["asOF", "OF"]
#: Grid points per stage (Simpson's rule); truncation at 10 standard deviations below the mean.
GRID_POINTS = 401
TRUNCATE_SD = 10.0
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


@dataclass(frozen=True, slots=True, repr=False)
class GroupSequentialDesign(ResultMixin):
    """Efficacy boundaries on the z scale for ``k_max`` looks at ``information_rates``."""

    k_max: int
    alpha: float
    beta: float
    sided: int
    type_of_design: DesignType
    information_rates: FloatArray
    critical_values: FloatArray
    stage_levels: FloatArray
    alpha_spent: FloatArray
    inflation_factor: float
    shift: float
    reject_per_stage_h1: FloatArray

    def to_frame(self) -> pl.DataFrame:
        """One row per look."""
        return pl.DataFrame(
            {
                "stage": np.arange(1, self.k_max + 1),
                "information_rate": self.information_rates,
                "critical_value": self.critical_values,
                "stage_level": self.stage_levels,
                "alpha_spent": self.alpha_spent,
                "reject_h1": self.reject_per_stage_h1,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the design as a plain dictionary (for JSON)."""
        return {
            "k_max": self.k_max,
            "alpha": self.alpha,
            "beta": self.beta,
            "sided": self.sided,
            "type_of_design": self.type_of_design,
            "information_rates": self.information_rates.tolist(),
            "critical_values": self.critical_values.tolist(),
            "stage_levels": self.stage_levels.tolist(),
            "alpha_spent": self.alpha_spent.tolist(),
            "inflation_factor": self.inflation_factor,
            "shift": self.shift,
            "reject_per_stage_h1": self.reject_per_stage_h1.tolist(),
        }


def _simpson(lo: float, hi: float) -> tuple[FloatArray, FloatArray]:
    grid = np.linspace(lo, hi, GRID_POINTS)
    w = np.ones(GRID_POINTS)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    return grid, w * (hi - lo) / (3.0 * (GRID_POINTS - 1))


class _Recursion:
    """Sub-density of the score ``S_k = Z_k sqrt(t_k)`` on the continuation region, stage by stage."""

    def __init__(self, t: FloatArray, theta: float, sided: int) -> None:
        self.t, self.theta, self.sided = t, theta, sided
        self.k = 0
        self.grid = np.zeros(0)
        self.mass = np.zeros(0)  # density times quadrature weight

    def cross(self, c: float) -> float:
        """P(continue to look k, then cross the boundary ``c`` at look k) for the current look."""
        tk = self.t[self.k]
        b = c * np.sqrt(tk)
        if self.k == 0:
            mu, sd = self.theta * tk, np.sqrt(tk)
            p = stats.norm.sf((b - mu) / sd)
            if self.sided == 2:
                p += stats.norm.cdf((-b - mu) / sd)
            return float(p)
        dt = tk - self.t[self.k - 1]
        mu, sd = self.grid + self.theta * dt, np.sqrt(dt)
        up = stats.norm.sf((b - mu) / sd)
        if self.sided == 2:
            up = up + stats.norm.cdf((-b - mu) / sd)
        return float(self.mass @ up)

    def advance(self, c: float) -> None:
        """Condition on not crossing ``c`` at the current look and move to the next look."""
        tk = self.t[self.k]
        b = c * np.sqrt(tk)
        lo = -b if self.sided == 2 else min(self.theta * tk - TRUNCATE_SD * np.sqrt(tk), b - 1.0)
        grid, w = _simpson(lo, b)
        if self.k == 0:
            z = (grid - self.theta * tk) / np.sqrt(tk)
            dens = np.exp(-0.5 * z * z) * _INV_SQRT_2PI / np.sqrt(tk)
        else:
            dt = tk - self.t[self.k - 1]
            sd = np.sqrt(dt)
            z = (grid[None, :] - self.grid[:, None] - self.theta * dt) / sd
            dens = self.mass @ (np.exp(-0.5 * z * z) * _INV_SQRT_2PI / sd)
        self.grid, self.mass, self.k = grid, dens * w, self.k + 1


def stage_probabilities(
    critical_values: FloatArray, information_rates: FloatArray, theta: float, sided: int
) -> FloatArray:
    """Probability of first crossing the efficacy boundary at each look.

    ``theta`` is the drift at full information: ``Z_k ~ N(theta sqrt(t_k), 1)``; for ``sided=2``
    a crossing is ``|Z_k| >= c_k``.
    """
    rec = _Recursion(np.asarray(information_rates, dtype=np.float64), theta, sided)
    out = np.zeros(len(critical_values))
    for k, c in enumerate(critical_values):
        out[k] = rec.cross(float(c))
        if k < len(critical_values) - 1:
            rec.advance(float(c))
    return out


def _spend_of(t: FloatArray, alpha: float, sided: int) -> FloatArray:
    """Lan-DeMets O'Brien-Fleming-type spending: ``2 (1 - Phi(z_{1 - a/2} / sqrt(t)))``."""
    a = alpha / sided  # rpact spends alpha/2 in each tail when sided = 2
    spent: FloatArray = 2.0 * stats.norm.sf(stats.norm.isf(a / 2.0) / np.sqrt(t)) * sided
    return spent


def _bounds_as_of(t: FloatArray, alpha: float, sided: int) -> FloatArray:
    spend = _spend_of(t, alpha, sided)
    rec = _Recursion(t, 0.0, sided)
    c = np.zeros(t.size)
    for k in range(t.size):
        target = spend[k] - (spend[k - 1] if k else 0.0)
        c[k] = optimize.brentq(
            lambda x, g=target: rec.cross(x) - g, 0.0, 40.0, xtol=1e-13, rtol=1e-14
        )
        if k < t.size - 1:
            rec.advance(c[k])
    return c


def _bounds_of(t: FloatArray, alpha: float, sided: int) -> FloatArray:
    def excess(const: float) -> float:
        return float(stage_probabilities(const / np.sqrt(t), t, 0.0, sided).sum()) - alpha

    const = optimize.brentq(excess, 0.5, 20.0, xtol=1e-13, rtol=1e-14)
    return np.asarray(const / np.sqrt(t), dtype=np.float64)


def group_sequential_design(
    k_max: int,
    *,
    alpha: float = 0.025,
    beta: float = 0.2,
    sided: Literal[1, 2] = 1,
    type_of_design: DesignType = "asOF",
    information_rates: Sequence[float] | None = None,
) -> GroupSequentialDesign:
    """O'Brien-Fleming-type group-sequential efficacy boundaries.

    Parameters
    ----------
    k_max : int
        Number of looks (1 = fixed design).
    alpha : float, default 0.025
        Type I error; one-sided when ``sided=1``, total two-sided when ``sided=2``.
    beta : float, default 0.2
        Type II error (power ``1 - beta``) used for the inflation factor.
    sided : {1, 2}
        One-sided (efficacy upper boundary) or symmetric two-sided boundaries.
    type_of_design : {"asOF", "OF"}
        Lan-DeMets alpha spending with the O'Brien-Fleming-type function, or the classical
        O'Brien-Fleming boundaries ``c_k = C / sqrt(t_k)``.
    information_rates : sequence of float, optional
        Increasing information fractions ending at 1 (default equally spaced).

    Returns
    -------
    GroupSequentialDesign
        Critical values (z scale), stage levels ``1 - Phi(c_k)``, cumulative alpha spent,
        the inflation factor and the drift ``shift`` at full information under H1.

    Raises
    ------
    DesignError
        On invalid parameters.

    Notes
    -----
    Equivalent R call: ``rpact::getDesignGroupSequential(kMax, alpha, beta, sided,
    typeOfDesign, informationRates)`` with ``getDesignCharacteristics()$inflationFactor``.

    1. The score ``S_k = Z_k sqrt(t_k)`` has independent normal increments with variance
       ``t_k - t_{k-1}`` and mean ``theta (t_k - t_{k-1})``. Its sub-density on the continuation
       region is propagated by numerical integration (Armitage, McPherson & Rowe 1969) with
       Simpson's rule on 401 points, truncated 10 SD below the mean.
    2. asOF: the spending function is ``alpha(t) = 2 (1 - Phi(z_{1-a/2} / sqrt t))`` with
       ``a = alpha / sided``; each ``c_k`` solves "crossing probability at look k under H0 equals
       the newly spent alpha" (Brent's method). Two-sided designs spend ``a`` in each tail.
    3. OF: ``C`` solves "total crossing probability under H0 = alpha".
    4. The drift ``theta`` with power ``1 - beta`` is found by Brent's method; power counts
       crossings of the upper boundary only (also for ``sided=2``, as rpact does);
       ``inflation_factor = theta^2 / (z_{1-alpha/sided} + z_{1-beta})^2`` and ``shift = theta^2``.

    References
    ----------
    .. [1] Lan KKG, DeMets DL. Discrete sequential boundaries for clinical trials.
       Biometrika 1983;70:659-663.
    .. [2] O'Brien PC, Fleming TR. A multiple testing procedure for clinical trials.
       Biometrics 1979;35:549-556.
    .. [3] Jennison C, Turnbull BW. Group Sequential Methods with Applications to Clinical
       Trials. Chapman & Hall/CRC 2000, chapter 19.

    Examples
    --------
    >>> d = group_sequential_design(3, alpha=0.025, beta=0.1)
    >>> [round(float(c), 4) for c in d.critical_values]
    [3.7103, 2.5114, 1.993]
    """
    k_max = check_int("k_max", k_max, minimum=1)
    alpha = check_open_unit("alpha", alpha)
    beta = check_open_unit("beta", beta)
    if sided not in (1, 2):
        raise DesignError(f"sided must be 1 or 2, got {sided!r}")
    if type_of_design not in ("asOF", "OF"):
        raise DesignError(f"type_of_design must be 'asOF' or 'OF', got {type_of_design!r}")
    t = _information_rates(k_max, information_rates)
    c = _bounds_as_of(t, alpha, sided) if type_of_design == "asOF" else _bounds_of(t, alpha, sided)
    spent = np.cumsum(stage_probabilities(c, t, 0.0, sided))
    z_fixed = stats.norm.isf(alpha / sided) + stats.norm.isf(beta)

    def power_gap(theta: float) -> float:  # power = crossing the upper boundary (as rpact)
        return float(stage_probabilities(c, t, theta, 1).sum()) - (1.0 - beta)

    theta = optimize.brentq(power_gap, 0.9 * z_fixed, 1.5 * z_fixed, xtol=1e-12, rtol=1e-14)
    return GroupSequentialDesign(
        k_max=k_max,
        alpha=alpha,
        beta=beta,
        sided=sided,
        type_of_design=type_of_design,
        information_rates=t,
        critical_values=c,
        stage_levels=stats.norm.sf(c),
        alpha_spent=spent,
        inflation_factor=float(theta**2 / z_fixed**2),
        shift=float(theta**2),
        reject_per_stage_h1=stage_probabilities(c, t, theta, 1),
    )


def _information_rates(k_max: int, rates: Sequence[float] | None) -> FloatArray:
    if rates is None:
        return np.arange(1, k_max + 1, dtype=np.float64) / k_max
    t = np.asarray(rates, dtype=np.float64)
    if t.shape != (k_max,):
        raise DesignError(f"information_rates must have k_max={k_max} values, got {list(t)}")
    if not (np.all(np.diff(t) > 0) and t[0] > 0 and abs(t[-1] - 1.0) < 1e-12):
        raise DesignError(
            f"information_rates must increase strictly from >0 to exactly 1, got {list(t)}"
        )
    return t
