"""What the virtual-patient generator knows about a disease: a :class:`GeneratorProfile`.

The generic generator (:mod:`plasmatrial.synth.trials`) draws latent courses, visits, exposure,
adverse events and disposition the same way for every trial. Everything that differs between
diseases (the response scale it fills, the labs that show the response, the organ markers, the AE
terms, prior and subsequent therapies, the DM columns, the typical rates of a trial without
published counts) is a value of the trial's profile, chosen once from the registry
(:mod:`plasmatrial.synth.profiles`, decision 0621). The generator reads these values and never the
disease name: adding a disease means adding a profile, not a branch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from plasmatrial.synth._frames import LabSeries
from plasmatrial.synth.course import Observed

Arr = npt.NDArray[Any]
FloatArr = npt.NDArray[np.float64]
BoolArr = npt.NDArray[np.bool_]


class CourseLike(Protocol):
    """The per-patient latent course a profile's lab generators read
    (:class:`plasmatrial.synth.trials.Cohort`; row = patient, column = assessment)."""

    #: assessment days (row = patient, column = assessment; column 0 = baseline)
    grid: FloatArr
    #: best response category
    cat: Arr
    #: column of the response onset
    onset: Arr
    #: low baseline response marker (:class:`LowBurden`; AL: dFLC 20-50 mg/L)
    low_marker: BoolArr
    #: what the analysis observes (documented progression column, death, ...)
    obs: Observed


class SimulationKnobs(Protocol):
    """The trial file's ``simulation:`` block as a profile reads it."""

    def get(self, key: str, default: Any = None) -> Any: ...


def visit_states(c: CourseLike) -> tuple[BoolArr, BoolArr, BoolArr]:
    """Per cell: before response onset, responding, at/after documented progression."""
    _n, v = int(c.grid.shape[0]), int(c.grid.shape[1])
    cols = np.arange(v)[None, :]
    pd = np.where(c.obs.pdcol >= 0, c.obs.pdcol, v + 10)[:, None]
    onset = c.onset[:, None]
    post = cols >= pd
    resp = (cols >= onset) & ~post & (cols >= 1)
    pre = (cols >= 1) & (cols < onset) & ~post
    return pre, resp, post


#: ``labs(rng, course) -> (response labs, marker fraction of baseline, involved light chain)``:
#: the labs the response criteria classify, so that each visit shows the course's category
ResponseLabs = Callable[[np.random.Generator, CourseLike], tuple[list[LabSeries], FloatArr, Arr]]
#: ``involvement(rng, n, simulation, labs, invlc) -> (organs, labs, invlc)``: organ involvement
#: per patient (``{ORGAN: bool array}``, an empty mapping when the profile has none), with the
#: response labs and involved light chain adjusted to the trial's knobs
Involvement = Callable[
    [np.random.Generator, int, SimulationKnobs, list[LabSeries], Arr],
    tuple[dict[str, BoolArr], list[LabSeries], Arr],
]
#: ``markers(rng, course, frac, organs, on_tx) -> labs``: the disease's routine markers (organ
#: markers, staging markers), drawn before the blood counts
Markers = Callable[
    [np.random.Generator, CourseLike, FloatArr, Mapping[str, BoolArr], BoolArr], list[LabSeries]
]
#: ``prior_regimens(rng, group) -> (regimens, refractory to the last line only)``: one patient's
#: prior lines of therapy, oldest first unless drawn otherwise; ``group`` is the patient's
#: prior-therapy group (``"LEN"``, ``"IXA"`` or ``""``, ``simulation.prior_*``)
PriorRegimens = Callable[[np.random.Generator, str], tuple[list[list[str]], bool]]
#: ``default_counts(n) -> {category: patients}``: best-response counts of an arm of ``n``
#: patients when the trial file gives none (typical rates of the disease)
DefaultCounts = Callable[[int], dict[str, int]]


@dataclass(frozen=True, slots=True)
class LowBurden:
    """Patients whose baseline response marker is low (AL: dFLC 20-50 mg/L, decision 0008):
    every patient of ``category`` and ``nonresponders`` patients without response."""

    category: str
    nonresponders: int


@dataclass(frozen=True, slots=True)
class GeneratorProfile:
    """The generator's knowledge of one disease, as data (decision 0621).

    Attributes
    ----------
    name : str
        Registry key (``simulation.profile`` of a trial file).
    description : str
        One line for ``--help`` texts and errors.
    categories : tuple of str
        Best-response categories of the response scale the labs are built for, best first
        (the order of the investigator's calls); ``simulation.best_response_counts`` takes
        these.
    responders : tuple of str
        Of ``categories``, those that are responses (the others are no response).
    no_response : str
        Category of a patient without response (the initial best response of everyone).
    progression : str
        The investigator's progression call.
    minor : str or None
        Category drawn among the non-responders after the responders (myeloma ``MR``).
    rs_category : str
        ``RSCAT`` of the investigator's overall response (the criteria the investigator used).
    confirm : bool
        Responses and progression are confirmed at the next assessment: a responder's course
        lasts until the visit after the response onset, and the investigator calls ``unconfirmed``
        at the onset visit of a responder.
    unconfirmed : str or None
        The investigator's call at a responder's onset visit when ``confirm`` is set.
    low_burden : LowBurden or None
        Patients with a low baseline marker (none when None).
    nonresponder_progression : float
        Multiplier of a non-responder's latent progression time (responders 1).
    progression_factors : tuple of (category, factor)
        Further multipliers of the latent progression time by best response.
    pfs_scale_months, os_scale_months, background_death_months : float
        Latent scales of a trial file that names none (``pfs_scale_months``,
        ``os_scale_months``, ``background_death_months`` of the ``simulation:`` block).
    default_counts : callable
        Best-response counts of an arm when the trial file gives none.
    ae_terms : tuple of (term, decoded term, probability)
        Common clinical adverse events; the first four are the commonest (grade 3-4 events,
        discontinuations).
    labs : callable
        Response labs (:data:`ResponseLabs`).
    involvement : callable
        Organ involvement (:data:`Involvement`).
    markers : callable
        Routine disease markers (:data:`Markers`).
    haemoglobin_mean : float
        Mean baseline haemoglobin (g/dL).
    cytopenia_only_severe : bool
        Only the patients selected as grade 3-4 reach grade 3-4 blood counts (exact counts).
    prior_regimens : callable
        Prior lines of therapy (:data:`PriorRegimens`).
    refractory_last_line : bool
        The last prior line (or, for refractory-only patients, every line) ends in
        progression soon after it (the population is refractory); else prior lines respond.
    progression_before_entry : bool
        The last prior line's progression falls before the first dose.
    subsequent_therapies : tuple of str
        Subsequent anticancer therapies after progression (CM), drawn uniformly.
    age : (mean, sd, min, max)
        Age in years: normal, rounded and clipped.
    age_flag : (column, age) or None
        A DM flag ``Y`` for patients older than ``age`` (myeloma ``AGEGT75``).
    dm_flags : tuple of str
        Prior-therapy flags the DM carries (after the organ flags and the age flag).
    """

    name: str
    description: str
    categories: tuple[str, ...]
    responders: tuple[str, ...]
    no_response: str
    progression: str
    minor: str | None
    rs_category: str
    confirm: bool
    unconfirmed: str | None
    low_burden: LowBurden | None
    nonresponder_progression: float
    progression_factors: tuple[tuple[str, float], ...]
    pfs_scale_months: float
    os_scale_months: float
    background_death_months: float
    default_counts: DefaultCounts
    ae_terms: tuple[tuple[str, str, float], ...]
    labs: ResponseLabs
    involvement: Involvement
    markers: Markers
    haemoglobin_mean: float
    cytopenia_only_severe: bool
    prior_regimens: PriorRegimens
    refractory_last_line: bool
    progression_before_entry: bool
    subsequent_therapies: tuple[str, ...]
    age: tuple[float, float, float, float]
    age_flag: tuple[str, int] | None
    dm_flags: tuple[str, ...]

    def __post_init__(self) -> None:
        problems = []
        if not set(self.responders) <= set(self.categories):
            problems.append("responders must be categories")
        if self.no_response not in self.categories or self.no_response in self.responders:
            problems.append("no_response must be a category that is not a response")
        if self.minor is not None and (
            self.minor not in self.categories or self.minor in self.responders
        ):
            problems.append("minor must be a category that is not a response")
        if self.confirm != (self.unconfirmed is not None):
            problems.append("unconfirmed is the call of a confirming profile, and only of one")
        if len(self.ae_terms) < 4:
            problems.append("at least four AE terms (the commonest four are drawn from)")
        if problems:
            raise ValueError(f"generator profile {self.name!r}: {'; '.join(problems)}")

    def non_responding(self) -> tuple[str, ...]:
        """Categories that are not responses, in scale order."""
        return tuple(c for c in self.categories if c not in self.responders)
