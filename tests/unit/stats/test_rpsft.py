"""RPSFT: known-truth recovery and input validation."""

from __future__ import annotations

import numpy as np
import pytest

from plasmatrial.errors import StatsError
from plasmatrial.stats.rpsft import counterfactual_times, rpsft


def simulate(rng: np.random.Generator, n: int, psi: float) -> dict[str, np.ndarray]:
    arm = np.repeat([0, 1], n // 2)
    u = rng.exponential(12, n)
    switch_at = rng.uniform(2, 10, n)
    switches = (arm == 0) & (rng.random(n) < 0.6) & (u > switch_at)
    t_true = np.where(
        arm == 1,
        u / np.exp(psi),
        np.where(switches, switch_at + (u - switch_at) / np.exp(psi), u),
    )
    cens = rng.uniform(15, 40, n)
    time = np.minimum(t_true, cens)
    on = np.where(arm == 1, time, np.where(switches, np.maximum(0, time - switch_at), 0))
    return {"time": time, "event": t_true <= cens, "arm": arm, "rx": on / time, "cens": cens}


def test_recovers_known_psi_on_large_simulation(rng: np.random.Generator) -> None:
    psi = -0.6
    d = simulate(rng, 6000, psi)
    r = rpsft(d["time"], d["event"], d["arm"], d["rx"], censor_time=d["cens"])
    assert r.psi_conf_low < psi < r.psi_conf_high
    assert abs(r.psi - psi) < 0.1  # several standard errors at this n
    assert r.hazard_ratio < 1


def test_no_switching_psi_is_log_time_ratio(rng: np.random.Generator) -> None:
    # without switching, U(psi) = exp(psi) T in the experimental arm: Z(psi) must vanish near psi
    n = 4000
    arm = np.repeat([0, 1], n // 2)
    t = rng.exponential(12, n) / np.exp(np.where(arm == 1, -0.4, 0.0))
    r = rpsft(t, np.ones(n, dtype=bool), arm, arm.astype(float))
    assert r.psi_conf_low < -0.4 < r.psi_conf_high
    assert abs(r.psi + 0.4) < 0.1


def test_recensoring_boundary() -> None:
    # C* = C * min(1, exp(psi)); an untreated time exactly at C* keeps its event
    t = np.array([10.0, 10.0])
    u, d, rec = counterfactual_times(
        np.log(0.5), t, np.array([True, True]), np.array([1.0, 0.5]), np.array([20.0, 20.0]),
        np.array([True, True]),
    )  # fmt: skip
    np.testing.assert_allclose(u, [5.0, 7.5])
    assert not rec.any() and d.all()
    u, d, rec = counterfactual_times(
        np.log(0.5), t, np.array([True, True]), np.array([0.0, 0.0]), np.array([20.0, 19.99]),
        np.array([True, True]),
    )  # fmt: skip
    assert rec.tolist() == [False, True]  # 10 <= 10 just meets; 10 > 9.995 just misses
    assert d.tolist() == [True, False]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        pytest.param({"rx": [0, 1.5, 0, 1]}, "rx:", id="rx-above-1"),
        pytest.param({"psi_range": (0.5, 1.0)}, "psi_range", id="no-crossing"),
    ],
)
def test_invalid(kw: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "time": [5.0, 8, 9, 12, 15, 20, 7, 30],
        "event": [1, 1, 0, 1, 1, 0, 1, 1],
        "arm": [0, 0, 0, 0, 1, 1, 1, 1],
        "rx": [0, 0.5, 0, 0, 1, 1, 1, 1],
    }
    if "rx" in kw:
        args = {k: v[:4] for k, v in args.items()}  # type: ignore[index]
    args |= kw
    with pytest.raises(StatsError, match=match):
        rpsft(**args)  # type: ignore[arg-type]
