"""Operating-characteristics figure."""

from __future__ import annotations

import pytest

from plasmatrial.design.simulate import ArmScenario, SimulationDesign, simulate_trials
from plasmatrial.errors import DesignError
from plasmatrial.report.design_figures import render_operating_characteristics


def _design() -> SimulationDesign:
    arms = (ArmScenario("E", 1, 6.0, 20.0), ArmScenario("C", 1, 6.0, 20.0))
    return SimulationDesign(arms, "C", n_patients=40, accrual=6.0, events=20)


def test_power_curve_and_look_bars() -> None:
    res = [simulate_trials(_design().with_hr(h), n_sims=40, seed=1) for h in (1.0, 0.5)]
    curve = render_operating_characteristics(res)
    assert curve.startswith("<svg") and "True hazard ratio" in curve
    bars = render_operating_characteristics(res[:1])
    assert "P(reject at look)" in bars


def test_empty_results_rejected() -> None:
    with pytest.raises(DesignError, match="at least one"):
        render_operating_characteristics([])
