"""Trial simulator: calibration, error rates vs analytic designs, reproducibility, Dask."""

from __future__ import annotations

import dataclasses
import importlib.util
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plasmatrial.design import _sim_kernels as kern
from plasmatrial.design.group_sequential import group_sequential_design
from plasmatrial.design.protocol import parse_trial
from plasmatrial.design.sample_size import sample_size_logrank
from plasmatrial.design.simulate import (
    ArmScenario,
    SimulationDesign,
    _latent,
    _prepare,
    calibrate,
    design_from_trial,
    expand_grid,
    simulate_sweep,
    simulate_trials,
    trial_uniforms,
)
from plasmatrial.errors import DesignError, PlasmatrialError
from plasmatrial.stats.logrank import logrank_test_batched

#: Two-sided 99.9% normal quantile: Monte Carlo checks fail by chance with probability 0.001.
Z_MC = 3.29
#: Slack for the Schoenfeld approximation behind sample_size_logrank (power is approximate,
#: typically off by < 0.02 for 200-300 events at HR 0.7).
SCHOENFELD_SLACK = 0.025
#: Calibration is solved with Brent's method to machine precision.
RTOL_CALIBRATION = 1e-10

HAS_CUPY = importlib.util.find_spec("cupy") is not None


def _two_arm(**kw: object) -> SimulationDesign:
    base: dict[str, object] = {
        "arms": (ArmScenario("E", 1, 6.0, 20.0), ArmScenario("C", 1, 6.0, 20.0)),
        "control": "C",
        "n_patients": 120,
        "accrual": 12.0,
        "events": 80,
    }
    base.update(kw)
    return SimulationDesign(**base)  # type: ignore[arg-type]


def _survival_at(design: SimulationDesign, arm: int, t: float, endpoint: str) -> float:
    """Analytic S(t) of an arm from the calibration (mixture of responders / non-responders)."""
    cal = calibrate(design)
    a = design.arms[arm]
    if design.hazard_shape == "weibull":
        h0 = t**design.weibull_shape
    elif design.hazard_shape == "piecewise":
        b = np.asarray(design.piecewise_breaks)
        r = np.asarray(design.piecewise_rates)
        h0 = float(kern.baseline_cumhaz(np, np.array([t]), b, r, 1.0)[0])
    else:
        h0 = t
    cd, cp = cal.c_death[arm] * h0, cal.c_progression[arm] * h0
    gp, gd = design.pfs_responder_hr, design.os_responder_hr
    p = a.p_response
    if endpoint == "OS":
        return p * math.exp(-gd * cd) + (1 - p) * math.exp(-cd)
    return p * math.exp(-gp * cp - gd * cd) + (1 - p) * math.exp(-cp - cd)


# ---------------------------------------------------------------- calibration


@given(
    p=st.floats(0.0, 1.0),
    g_pfs=st.floats(0.2, 3.0),
    g_os=st.floats(0.2, 3.0),
    m_pfs=st.floats(0.5, 10.0),
    gap=st.floats(1.05, 5.0),
    shape=st.sampled_from(["exponential", "weibull", "piecewise"]),
)
def test_calibration_solves_median_equations(
    p: float, g_pfs: float, g_os: float, m_pfs: float, gap: float, shape: str
) -> None:
    arms = (ArmScenario("E", 2, m_pfs, m_pfs * gap, p_response=p), ArmScenario("C", 1, 2.0, 9.0))
    d = _two_arm(
        arms=arms,
        pfs_responder_hr=g_pfs,
        os_responder_hr=g_os,
        hazard_shape=shape,
        weibull_shape=1.4,
        piecewise_breaks=(0.0, 3.0, 8.0),
        piecewise_rates=(1.0, 0.6, 1.5),
    )
    assert _survival_at(d, 0, m_pfs * gap, "OS") == pytest.approx(0.5, rel=RTOL_CALIBRATION)
    assert _survival_at(d, 0, m_pfs, "PFS") == pytest.approx(0.5, rel=RTOL_CALIBRATION)


@pytest.mark.parametrize("shape", ["exponential", "weibull", "piecewise"])
def test_simulated_medians_match_targets(shape: str) -> None:
    """Fraction of latent times beyond the target median is 1/2 within binomial MC error."""
    arms = (
        ArmScenario("E", 1, 4.0, 12.7, p_response=0.3),
        ArmScenario("C", 1, 1.9, 8.1, p_response=0.1),
    )
    d = _two_arm(
        arms=arms,
        n_patients=400,
        events=100,
        pfs_responder_hr=0.4,
        os_responder_hr=0.6,
        hazard_shape=shape,
        weibull_shape=0.8,
        piecewise_breaks=(0.0, 2.0, 6.0),
        piecewise_rates=(2.0, 1.0, 0.5),
    )
    lat = _latent(_prepare(d), 7, 0, 100, np)  # 100 trials x 200 patients per arm
    arm = _prepare(d).arm_index
    for j, a in enumerate(d.arms):
        for key, median in (("pfs", a.median_pfs), ("os_nocross", a.median_os)):
            x = lat[key][:, arm == j]
            frac = float((x > median).mean())
            se = math.sqrt(0.25 / x.size)
            assert abs(frac - 0.5) <= Z_MC * se, (a.code, key, frac)


def test_pfs_median_at_or_above_os_median_is_rejected() -> None:
    ok = (ArmScenario("E", 1, 8.0 * (1 - 1e-6), 8.0), ArmScenario("C", 1, 2.0, 8.0))
    calibrate(_two_arm(arms=ok))  # just meets: PFS median just below OS median
    bad = (ArmScenario("E", 1, 8.0, 8.0), ArmScenario("C", 1, 2.0, 8.0))
    with pytest.raises(DesignError, match="median PFS must be shorter"):
        calibrate(_two_arm(arms=bad))  # just misses


def test_with_hr_sets_median_equivalent_hazard_ratio() -> None:
    d = _two_arm(hazard_shape="weibull", weibull_shape=1.5).with_hr(0.6)
    cal = calibrate(d)
    assert cal.true_hr_pfs[0] == pytest.approx(0.6, rel=1e-12)
    # Weibull proportional hazards: HR = (m_C / m_E) ** shape
    assert (6.0 / d.arms[0].median_pfs) ** 1.5 == pytest.approx(0.6, rel=1e-12)


@given(h=st.floats(0.0, 50.0))
def test_piecewise_cumhaz_inverse_round_trip(h: float) -> None:
    b, r = np.array([0.0, 1.0, 4.0]), np.array([0.5, 2.0, 0.25])
    t = kern.baseline_cumhaz_inverse(np, np.array([h]), b, r, 1.0)
    assert kern.baseline_cumhaz(np, t, b, r, 1.0)[0] == pytest.approx(h, abs=1e-9)


def test_crossover_kernel_exponential_closed_form() -> None:
    """Exponential death hazard lam, switch at s with factor f: T' = s + (T - s) / f."""
    n = 50
    u = np.random.default_rng(3).random((1, kern.N_UNIFORMS, n))
    u[:, kern.U_SWITCH, :] = 0.0  # everyone who progresses switches
    lat = kern.latent_times(
        np,
        u,
        arm_index=np.zeros(n, dtype=np.int64),
        p_response=np.array([0.0]),
        c_prog=np.array([0.5]),
        c_death=np.array([0.1]),
        prog_responder_hr=1.0,
        death_responder_hr=1.0,
        switch_prob=np.array([1.0]),
        switch_hr=0.5,
        dropout_hazard=0.0,
        breaks=None,
        rates=None,
        shape=1.0,
    )
    prog = lat["pfs_is_prog"][0]
    assert prog.any() and (~prog).any()
    s, t = lat["pfs"][0], lat["os_nocross"][0]
    np.testing.assert_allclose(lat["os"][0][prog], s[prog] + (t[prog] - s[prog]) / 0.5)
    np.testing.assert_array_equal(lat["os"][0][~prog], t[~prog])


# ---------------------------------------------------------------- error rates


def test_type_one_error_at_hr_one() -> None:
    n_sims = 4000
    r = simulate_trials(_two_arm(), n_sims=n_sims, seed=11, batch_size=2000)
    c = r.comparisons[0]
    tol = Z_MC * math.sqrt(0.025 * 0.975 / n_sims)
    assert abs(c.rejection_rate - 0.025) <= tol
    assert c.primary.true_hr == 1.0
    assert abs(c.primary.coverage - 0.95) <= Z_MC * math.sqrt(0.95 * 0.05 / n_sims)


def test_group_sequential_type_one_error_and_stopping() -> None:
    n_sims = 4000
    d = _two_arm(information_rates=(0.5, 1.0), events=90)
    r = simulate_trials(d, n_sims=n_sims, seed=5, batch_size=2000)
    c = r.comparisons[0]
    gsd = group_sequential_design(2, alpha=0.025)
    np.testing.assert_allclose(r.critical_values, gsd.critical_values)
    expected = np.diff(np.concatenate([[0.0], gsd.alpha_spent]))
    se = np.sqrt(expected * (1 - expected) / n_sims)
    assert np.all(np.abs(c.reject_per_look - expected) <= Z_MC * se + 1e-12)
    assert c.stop_per_look.sum() == pytest.approx(1.0)
    assert c.expected_events == pytest.approx(
        float(c.stop_per_look @ np.array([45, 90])), rel=1e-12
    )


def test_power_matches_schoenfeld_sample_size() -> None:
    # without a response effect PFS is exponential with rate log(2) / median: HR exactly 0.7
    ss = sample_size_logrank(
        0.7, alpha=0.025, power=0.8, ratio=1, accrual=12, follow_up=12, median_control=6.0
    )
    d = SimulationDesign(
        arms=(ArmScenario("E", 1, 6.0 / 0.7, 30.0), ArmScenario("C", 1, 6.0, 30.0)),
        control="C",
        n_patients=ss.n_total_rounded,
        accrual=12.0,
        events=ss.events_rounded,
    )
    n_sims = 2000
    r = simulate_trials(d, n_sims=n_sims, seed=2024, batch_size=1000)
    c = r.comparisons[0]
    tol = Z_MC * math.sqrt(0.8 * 0.2 / n_sims) + SCHOENFELD_SLACK
    assert abs(c.rejection_rate - 0.8) <= tol
    assert c.primary.true_hr == pytest.approx(0.7)
    assert abs(c.primary.bias) <= Z_MC * c.primary.mcse_mean + 0.01
    assert c.expected_events == ss.events_rounded


def test_crossover_attenuates_os_hazard_ratio() -> None:
    arms = (
        ArmScenario("E", 1, 6.0, 18.0),
        ArmScenario("C", 1, 3.0, 10.0, crossover_fraction=1.0),
    )
    d = _two_arm(arms=arms, n_patients=300, events=250, crossover_hr=10.0 / 18.0)
    r = simulate_trials(d, n_sims=800, seed=9)
    c = r.comparisons[0]
    assert c.os_nocross.true_hr == pytest.approx(10 / 18)
    # counterfactual analysis is unbiased (no crossover); observed OS HR moves towards 1
    assert abs(c.os_nocross.bias) <= Z_MC * c.os_nocross.mcse_mean + 0.02
    assert c.os.mean_log_hr > c.os_nocross.mean_log_hr + 5 * c.os.mcse_mean
    assert c.os.coverage < c.os_nocross.coverage


def test_calendar_analysis_before_accrual_end_enrols_fewer() -> None:
    d = _two_arm(analysis="calendar", analysis_times=(6.0,), events=None)
    r = simulate_trials(d, n_sims=300, seed=1)
    c = r.comparisons[0]
    assert c.expected_duration == 6.0
    # uniform accrual over 12 months: half the patients by month 6
    assert abs(c.expected_n - 60.0) <= Z_MC * c.mcse_n


# ---------------------------------------------------------------- reproducibility


def test_uniform_streams_are_position_based() -> None:
    full = trial_uniforms(42, 0, 600, 5)
    np.testing.assert_array_equal(trial_uniforms(42, 250, 520, 5), full[250:520])
    assert not np.array_equal(trial_uniforms(43, 0, 10, 5), full[:10])


def test_same_seed_same_result_and_batch_size_invariance() -> None:
    d = _two_arm(information_rates=(0.5, 1.0), n_patients=60, events=40)
    a = simulate_trials(d, n_sims=300, seed=3, batch_size=300)
    b = simulate_trials(d, n_sims=300, seed=3, batch_size=7)
    c = simulate_trials(d, n_sims=300, seed=3, batch_size=300)
    for f in dataclasses.fields(a.outcomes):
        np.testing.assert_array_equal(getattr(a.outcomes, f.name), getattr(b.outcomes, f.name))
    assert a.to_dict() == b.to_dict() == c.to_dict()
    other = simulate_trials(d, n_sims=300, seed=4)
    assert not np.array_equal(other.outcomes.z, a.outcomes.z)


def test_dask_local_cluster_equals_serial() -> None:
    pytest.importorskip("distributed")
    base = _two_arm(n_patients=60, events=40)
    grid = {"hr": [1.0, 0.6]}
    serial = simulate_sweep((base, grid), n_sims=120, seed=8, batch_size=50)
    dask = simulate_sweep((base, grid), n_sims=120, seed=8, batch_size=50, scheduler="local")
    assert [r.to_dict() for r in serial] == [r.to_dict() for r in dask]
    np.testing.assert_array_equal(serial[1].outcomes.log_hr, dask[1].outcomes.log_hr)
    single = simulate_trials(base.with_hr(0.6), n_sims=120, seed=8)
    np.testing.assert_array_equal(single.outcomes.z, serial[1].outcomes.z)


def test_expand_grid_labels_and_unknown_key() -> None:
    designs = expand_grid(_two_arm(), {"hr": [1.0, 0.5], "dropout_rate": [0.0, 0.1]})
    assert [d.label for d in designs][:2] == [
        "hr=1.0, dropout_rate=0.0",
        "hr=1.0, dropout_rate=0.1",
    ]
    with pytest.raises(DesignError, match="unknown parameter 'bogus'"):
        expand_grid(_two_arm(), {"bogus": [1]})


# ---------------------------------------------------------------- backends


def test_xp_logrank_equals_stats_logrank(rng: np.random.Generator) -> None:
    t = np.round(rng.exponential(5.0, (40, 30)), 0)  # many ties
    e = rng.random((40, 30)) < 0.7
    t[:, :3] = 0.0  # excluded patients
    e[:, :3] = False
    g = np.arange(30) % 3 == 0
    ours = kern.logrank_z(np, t, e, g)
    ref = logrank_test_batched(t, e, g).z
    np.testing.assert_allclose(ours, ref, rtol=1e-12, equal_nan=True)


@pytest.mark.skipif(HAS_CUPY, reason="cupy is installed: the missing-cupy error cannot occur")
def test_cupy_backend_without_cupy_is_a_clear_error() -> None:
    with pytest.raises(PlasmatrialError, match="cupy is not importable"):
        simulate_trials(_two_arm(), n_sims=10, seed=1, backend="cupy")


@pytest.mark.skipif(not HAS_CUPY, reason="cupy not installed (no GPU in this environment)")
def test_cupy_backend_matches_numpy() -> None:  # pragma: no cover - needs a GPU
    d = _two_arm()
    a = simulate_trials(d, n_sims=500, seed=1, backend="numpy")
    b = simulate_trials(d, n_sims=500, seed=1, backend="cupy")
    # same uniforms; GPU transcendental functions may differ in the last bits
    np.testing.assert_allclose(a.outcomes.z, b.outcomes.z, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- validation and trial files


@pytest.mark.parametrize(
    ("events", "ok"),
    [pytest.param(120, True, id="just-meets"), pytest.param(121, False, id="just-misses")],
)
def test_events_at_most_patients(events: int, ok: bool) -> None:
    if ok:
        _two_arm(events=events)
    else:
        with pytest.raises(DesignError, match="exceeds n_patients"):
            _two_arm(events=events)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"control": "X"}, "control: 'X'"),
        ({"arms": (ArmScenario("E", 1, 2, 5),)}, "at least two arms"),
        ({"analysis": "calendar", "analysis_times": (5.0, 4.0)}, "analysis_times"),
        ({"dropout_rate": 1.0}, "dropout_rate must be below 1"),
        ({"hazard_shape": "piecewise"}, "piecewise_breaks"),
        ({"n_per_arm": (60, 59)}, "n_per_arm"),
    ],
)
def test_invalid_designs(kw: dict[str, object], match: str) -> None:
    with pytest.raises(DesignError, match=match):
        _two_arm(**kw)


def test_design_from_mm003_trial_file() -> None:
    with open("examples/trials/mm_pom_lodex_vs_hidex.yaml", encoding="utf-8") as fh:
        trial = parse_trial(fh.read())
    d = design_from_trial(trial)
    assert d.control == "HIDEX"
    assert d.n_per_arm == (302, 153)
    assert [(a.median_pfs, a.median_os) for a in d.arms] == [(4.0, 12.7), (1.9, 8.1)]
    assert d.arms[0].p_response == pytest.approx(95 / 302)
    # median follow-up 10 months with uniform accrual over 18 months: analysis at month 19
    assert d.analysis_times == (19.0,)
    d2 = design_from_trial(trial, events=300, hr=0.8, crossover_fraction=0.5)
    assert d2.events == 300 and d2.arms[1].crossover_fraction == 0.5
    assert calibrate(d2).true_hr_pfs[0] == pytest.approx(0.8)


def test_design_overrides_are_validated_with_the_simulation_block() -> None:
    """Overrides are keys of the typed ``simulation:`` block: a misspelt key or a value out of
    range is refused with the key named, instead of being ignored or failing later."""
    with open("examples/trials/mm_pom_lodex_vs_hidex.yaml", encoding="utf-8") as fh:
        trial = parse_trial(fh.read())
    with pytest.raises(DesignError, match=r"invalid simulation option \(event: Extra inputs"):
        design_from_trial(trial, event=300)
    with pytest.raises(DesignError, match=r"alpha: Input should be less than 1"):
        design_from_trial(trial, alpha=1.5)
    # None means "not given": the trial file's values stay
    assert design_from_trial(trial, events=None, alpha=None) == design_from_trial(trial)
    assert design_from_trial(trial, information_rates=[0.5, 1.0]).information_rates == (0.5, 1.0)
