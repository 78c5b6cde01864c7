"""Trial design: sample size, Simon two-stage, dose escalation, group-sequential boundaries,
Monte Carlo trial simulation and the trial-file schema.

Functions are imported on first use (``plasmatrial.design.simon_two_stage``).
"""

from typing import TYPE_CHECKING

from plasmatrial._lazy import lazy_exports

if TYPE_CHECKING:
    from plasmatrial.design.boin_simulate import BoinSimulationResult, simulate_boin
    from plasmatrial.design.dose_escalation import (
        BoinBoundaries,
        ThreePlusThreeResult,
        boin_boundaries,
        three_plus_three,
    )
    from plasmatrial.design.group_sequential import GroupSequentialDesign, group_sequential_design
    from plasmatrial.design.protocol import Trial, parse_trial
    from plasmatrial.design.sample_size import SampleSizeResult, sample_size_logrank
    from plasmatrial.design.simon import (
        SimonResult,
        exact_single_stage,
        operating_characteristics,
        simon_design,
        simon_two_stage,
    )
    from plasmatrial.design.simulate import (
        SimulationDesign,
        SimulationResult,
        calibrate,
        design_from_trial,
        simulate_sweep,
        simulate_trials,
    )

_EXPORTS = {
    "BoinSimulationResult": "plasmatrial.design.boin_simulate",
    "simulate_boin": "plasmatrial.design.boin_simulate",
    "BoinBoundaries": "plasmatrial.design.dose_escalation",
    "ThreePlusThreeResult": "plasmatrial.design.dose_escalation",
    "boin_boundaries": "plasmatrial.design.dose_escalation",
    "three_plus_three": "plasmatrial.design.dose_escalation",
    "GroupSequentialDesign": "plasmatrial.design.group_sequential",
    "group_sequential_design": "plasmatrial.design.group_sequential",
    "Trial": "plasmatrial.design.protocol",
    "parse_trial": "plasmatrial.design.protocol",
    "SampleSizeResult": "plasmatrial.design.sample_size",
    "sample_size_logrank": "plasmatrial.design.sample_size",
    "SimonResult": "plasmatrial.design.simon",
    "exact_single_stage": "plasmatrial.design.simon",
    "operating_characteristics": "plasmatrial.design.simon",
    "simon_design": "plasmatrial.design.simon",
    "simon_two_stage": "plasmatrial.design.simon",
    "SimulationDesign": "plasmatrial.design.simulate",
    "SimulationResult": "plasmatrial.design.simulate",
    "calibrate": "plasmatrial.design.simulate",
    "design_from_trial": "plasmatrial.design.simulate",
    "simulate_sweep": "plasmatrial.design.simulate",
    "simulate_trials": "plasmatrial.design.simulate",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "BoinBoundaries",
    "BoinSimulationResult",
    "GroupSequentialDesign",
    "SampleSizeResult",
    "SimonResult",
    "SimulationDesign",
    "SimulationResult",
    "ThreePlusThreeResult",
    "Trial",
    "boin_boundaries",
    "calibrate",
    "design_from_trial",
    "exact_single_stage",
    "group_sequential_design",
    "operating_characteristics",
    "parse_trial",
    "sample_size_logrank",
    "simon_design",
    "simon_two_stage",
    "simulate_boin",
    "simulate_sweep",
    "simulate_trials",
    "three_plus_three",
]
