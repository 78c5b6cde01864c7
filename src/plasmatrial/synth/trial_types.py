"""Structural types of what the virtual-patient generator reads from a trial definition.

``synth`` sits below ``design`` in the import layers (decision 0001), so it cannot import
:class:`plasmatrial.design.protocol.Trial`; these protocols describe the attributes it reads, and
a ``Trial`` satisfies them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import polars as pl


class RegimenLike(Protocol):
    """One drug of an arm's regimen."""

    @property
    def drug(self) -> str: ...
    @property
    def dose(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def days(self) -> str | list[int]: ...
    @property
    def cycle_days(self) -> int: ...
    @property
    def route(self) -> str: ...
    def days_in_cycle(self, cycle: int) -> str | list[int]: ...


class ArmLike(Protocol):
    """A treatment arm."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def ratio(self) -> int: ...
    @property
    def regimen(self) -> Sequence[RegimenLike]: ...
    @property
    def crossover_to(self) -> str | None: ...


class ScheduleLike(Protocol):
    """Schedule of assessments."""

    @property
    def cycle_days(self) -> int: ...
    @property
    def treatment_cycles(self) -> int | None: ...
    @property
    def assess_every_cycles(self) -> int: ...
    @property
    def followup_every_months(self) -> float: ...
    @property
    def followup_months(self) -> float: ...
    @property
    def accrual_months(self) -> float: ...


class SimulationLike(Protocol):
    """The trial file's ``simulation:`` block (:class:`plasmatrial.design.simulation.Simulation`)."""

    def get(self, key: str, default: Any = None) -> Any: ...


class TrialLike(Protocol):
    """The parts of a trial definition the generator reads (``simulation`` = its targets)."""

    @property
    def id(self) -> str: ...
    @property
    def disease(self) -> str: ...
    @property
    def randomised(self) -> bool: ...
    @property
    def n_planned(self) -> int: ...
    @property
    def arms(self) -> Sequence[ArmLike]: ...
    @property
    def schedule(self) -> ScheduleLike: ...
    @property
    def simulation(self) -> SimulationLike: ...


@dataclass(frozen=True, slots=True)
class TrialData:
    """Raw SDTM-like data of one simulated trial.

    Attributes
    ----------
    trial_id : str
        The trial's ``id``.
    seed : int
        Seed that reproduces the data.
    dm, lb, ex, ae, ds, qs, rs, pr, cm : pl.DataFrame
        Domains (text columns as a site would deliver them). ``rs`` is the investigator's
        assessment (for concordance checks), never an input of the analysis.
    notes : dict
        Generator facts that are not data (calibrated scales, data cut-off date), for the log.
    """

    DOMAINS: ClassVar[tuple[str, ...]] = ("dm", "lb", "ex", "ae", "ds", "qs", "rs", "pr", "cm")

    trial_id: str
    seed: int
    dm: pl.DataFrame
    lb: pl.DataFrame
    ex: pl.DataFrame
    ae: pl.DataFrame
    ds: pl.DataFrame
    qs: pl.DataFrame
    rs: pl.DataFrame
    pr: pl.DataFrame
    cm: pl.DataFrame
    notes: dict[str, str] = field(default_factory=dict)

    def frames(self) -> dict[str, pl.DataFrame]:
        """Domain name (lower case, the file stem) to frame."""
        return {name: getattr(self, name) for name in self.DOMAINS}

    def to_dict(self) -> dict[str, int]:
        """Row count per domain."""
        return {name: frame.height for name, frame in self.frames().items()}
