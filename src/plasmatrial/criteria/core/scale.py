"""What a response rule set carries about its response scale (issue 11, decision 0260).

A :class:`ResponseScale` is the ranked per-visit scale best overall response reads; a
:class:`ResponseSpec` is everything the trial pipeline, the report and ``respond`` need to know
about a rule set's response: the per-visit overall parameter, its scale, the DEFAULT responder
categories, the progression codes, the baseline evaluability class, organ response parameters,
the marker of the best percentage change, the staging rule set and, where the set confirms its
responses, the per-visit frame ``respond`` writes. Rule-set builders set it
(:attr:`plasmatrial.criteria.core.rules.RuleSet.response`); nothing outside the rule-set definitions
branches on the disease name.

This module imports only :mod:`plasmatrial.criteria.core.confirmation` (no rule sets, no engine), so
:mod:`plasmatrial.criteria.core.rules` can import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import polars as pl

from plasmatrial.criteria.core.confirmation import IMWG_CONFIRMATION, ConfirmationSpec

if TYPE_CHECKING:
    from plasmatrial.criteria.core.rules import RuleSet

__all__ = [
    "AL_SCALE",
    "HEM_RANKING",
    "IMWG_SCALE",
    "PR_OR_BETTER",
    "OrganResponse",
    "PctChangeMarker",
    "ResponseScale",
    "ResponseSpec",
]

#: Hematologic categories best first. LDPR ranks below PR: it is its own code (criteria.md 1.4)
#: and never co-occurs with PR/VGPR for one subject, whose evaluability class is fixed.
HEM_RANKING: Final = ("CR", "VGPR", "PR", "LDPR", "NR", "NE")
PR_OR_BETTER: Final = ("CR", "VGPR", "PR")


@dataclass(frozen=True, slots=True)
class ResponseScale:
    """A per-visit response scale as best overall response reads it.

    Attributes
    ----------
    name:
        Name used in explanations.
    ranking:
        Categories best first, without NE and progression (AL: CR ... NR; IMWG: sCR ... SD).
    progression:
        The progression category (AL ``PROG``, IMWG ``PD``).
    stable:
        The no-response floor (AL ``NR``, IMWG ``SD``).
    confirmation:
        How responses are confirmed (IMWG), or None (AL, criteria.md Q16 DEFAULT).
    not_evaluable:
        The not-evaluable category.
    """

    name: str
    ranking: tuple[str, ...]
    progression: str
    stable: str
    confirmation: ConfirmationSpec | None = None
    not_evaluable: str = "NE"

    def confirmation_spec(self) -> ConfirmationSpec:
        """The scale's confirmation spec, or one built from the ranking when it has none.

        The built spec confirms every category above the stable floor by the next evaluable
        assessment (criteria.md 4.4 applied to this scale), for a SAP that asks for
        confirmation where the criteria do not (``analysis.confirm``).
        """
        if self.confirmation is not None:
            return self.confirmation
        return ConfirmationSpec(
            responses=tuple(c for c in self.ranking if c != self.stable),
            stable=self.stable,
            progression=self.progression,
            not_evaluable=self.not_evaluable,
        )


AL_SCALE: Final = ResponseScale("AL hematologic", HEM_RANKING[:-1], "PROG", "NR")
"""AL hematologic response (criteria.md 1.3-1.6): no confirmation by DEFAULT (Q16)."""
IMWG_SCALE: Final = ResponseScale(
    "IMWG", ("sCR", "CR", "VGPR", "PR", "MR", "SD"), "PD", "SD", confirmation=IMWG_CONFIRMATION
)
"""IMWG 2016 (criteria.md 4.3-4.4): best confirmed response."""


@dataclass(frozen=True, slots=True)
class OrganResponse:
    """An organ response parameter of a rule set (``organ_response`` endpoints, ``TT...R``)."""

    organ: str
    paramcd: str
    category: str


@dataclass(frozen=True, slots=True)
class PctChangeMarker:
    """The disease marker whose best post-baseline percentage change ADSL reports.

    Attributes
    ----------
    name:
        ``PCHGPARM`` (and the column of the evaluability frame holding its baseline value).
    columns:
        Assessment columns the marker needs (no marker without them).
    build:
        The marker expression over the assessment columns (and ``subject_columns``).
    subject_columns:
        ADSL columns the marker reads (they replace same-named assessment columns).
    """

    name: str
    columns: tuple[str, ...]
    build: Callable[[], pl.Expr]
    subject_columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    """What a response rule set carries about its response (read by ``run``, report, ``respond``).

    Attributes
    ----------
    parameter:
        The per-visit overall response parameter (AL ``HEMRESP``, IMWG ``OVRLRESP``).
    scale:
        Its ranked scale, progression category and confirmation spec.
    responder:
        DEFAULT responder categories (a trial file's or ``--responder``'s categories replace
        them).
    label:
        Caption of the response tables of the report.
    pfs_label:
        ``PARAM`` of the PFS rows of ADTTE.
    evaluability:
        Column of :func:`plasmatrial.criteria.core.summary.evaluability` holding the baseline
        evaluability class (AL ``HEMEVAL``) that the response-evaluable population needs, or
        None (every subject with a post-baseline call is evaluable).
    organs:
        Organ response parameters.
    marker:
        Marker of the best percentage change (ADSL ``BESTPCHG``), or None.
    staging:
        Name of the staging rule set whose baseline stages go to ADSL and ``respond``, or None.
    measurable:
        ``(PARAMCD, classes)``: the baseline measurability parameter and the classes that make a
        subject measurable; ``respond`` refuses data where no subject is (decision 0760), or None.
    visits:
        The per-visit frame ``respond`` writes for this rule set (e.g. confirmed responses with
        relapse flags), or None: every adjudicated parameter.
    """

    parameter: str
    scale: ResponseScale
    responder: tuple[str, ...]
    label: str
    pfs_label: str
    evaluability: str | None = None
    organs: tuple[OrganResponse, ...] = ()
    marker: PctChangeMarker | None = None
    staging: str | None = None
    measurable: tuple[str, tuple[str, ...]] | None = None
    visits: Callable[[pl.DataFrame, RuleSet], pl.DataFrame] | None = None

    @property
    def progression(self) -> tuple[str, ...]:
        """Progression codes (``PDFL = "Y"`` in ADRS)."""
        return (self.scale.progression,)
