"""The frames a trial analysis reads (:class:`TrialInputs`) and the rule sets it applies.

``TrialInputs`` holds raw SDTM-like frames as read by the CLI: DM, LB and EX are required (they go
through :func:`plasmatrial.intake.check_frames`); AE, DS, QS, RS, PR (prior therapy), CM
(subsequent therapy) and TU/TR (myeloma imaging) are optional, and every analysis that needs a
missing one is skipped with a note. Column contracts of the optional domains are in ``docs/decisions/0730-trial-pipeline.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from plasmatrial.criteria import RuleSet, get_rule_set
from plasmatrial.criteria.core.registry import RULE_SET_ALIASES, default_rule_set
from plasmatrial.criteria.core.scale import ResponseSpec
from plasmatrial.design.protocol import Trial
from plasmatrial.errors import PlasmatrialError, Problem, RuleError
from plasmatrial.intake.optional import optional_domain_problems
from plasmatrial.intake.tumor import TR_REQUIRED, TU_REQUIRED
from plasmatrial.intake.validate import raise_if

#: Optional domains and the columns each must have.
OPTIONAL_DOMAINS: Final[Mapping[str, tuple[str, ...]]] = {
    "ae": ("USUBJID", "AEDECOD", "AESTDTC", "AETOXGR"),
    "ds": ("USUBJID", "DSDECOD", "DSSTDTC"),
    "qs": ("USUBJID", "QSTESTCD", "QSSTRESN"),
    "rs": ("USUBJID", "RSTESTCD", "RSSTRESC", "RSDTC"),
    "pr": ("USUBJID",),  # plus DRUG (criteria.mm.refractory contract) or PRTRT
    "cm": ("USUBJID", "CMTRT", "CMSTDTC"),
    "tu": TU_REQUIRED,  # myeloma imaging: lesions (plasmatrial.intake.tumor)
    "tr": TR_REQUIRED,  # myeloma imaging: lesion diameters
    "sv": ("USUBJID", "SVSTDTC"),
}

#: Progression choices read as an option of the rule set (AL hematologic progression).
AL_PROGRESSION_OPTIONS: Final[Mapping[str, str]] = {"AL_PROG_2012": "2012"}


@dataclass(frozen=True, slots=True)
class TrialInputs:
    """Raw study data for one trial.

    Attributes
    ----------
    dm, lb : polars.DataFrame
        SDTM-like DM and LB (as read, text columns allowed).
    ex : polars.DataFrame or None
        Exposure; without it there is no safety population and no dose intensity.
    ae, ds, qs, rs, pr, cm, sv : polars.DataFrame or None
        Optional domains (adverse events, disposition, questionnaires, investigator responses,
        prior therapy, subsequent therapy, subject visits / follow-up contacts).
    tu, tr : polars.DataFrame or None
        Myeloma imaging (tumour identification and results); pass them to
        :func:`plasmatrial.intake.check_frames` as ``tu=``/``tr=``.
    file_hashes : mapping
        ``{file name: SHA-256}`` of the files read (provenance only).
    generator : mapping or None
        Content of ``generator.json`` when the data came from the virtual-patient generator.
    """

    dm: pl.DataFrame
    lb: pl.DataFrame
    ex: pl.DataFrame | None = None
    ae: pl.DataFrame | None = None
    ds: pl.DataFrame | None = None
    qs: pl.DataFrame | None = None
    rs: pl.DataFrame | None = None
    pr: pl.DataFrame | None = None
    cm: pl.DataFrame | None = None
    tu: pl.DataFrame | None = None
    tr: pl.DataFrame | None = None
    sv: pl.DataFrame | None = None
    file_hashes: Mapping[str, str] = field(default_factory=dict)
    generator: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for name, cols in OPTIONAL_DOMAINS.items():
            frame = getattr(self, name)
            if frame is not None:
                problems += optional_domain_problems(name.upper(), frame, cols)
        raise_if(problems)

    def present(self) -> dict[str, int]:
        """Row count of every domain supplied (absent optional domains are left out)."""
        out = {"dm": self.dm.height, "lb": self.lb.height}
        for name in ("ex", *OPTIONAL_DOMAINS):
            frame = getattr(self, name)
            if frame is not None:
                out[name] = frame.height
        return out


@dataclass(frozen=True, slots=True)
class ResolvedCriteria:
    """The registry rule set a trial's ``criteria`` section resolves to."""

    rule_set: RuleSet
    options: Mapping[str, str | float | bool]
    requested: Mapping[str, str]

    @property
    def label(self) -> str:
        """``NAME vVERSION`` (with options when any)."""
        opts = ", ".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return f"{self.rule_set.name} v{self.rule_set.version}" + (f" ({opts})" if opts else "")

    @property
    def response(self) -> ResponseSpec:
        """The response the rule set carries (parameter, scale, responders, ...; decision 0260)."""
        return self.rule_set.response_spec()


def resolve_criteria(trial: Trial) -> ResolvedCriteria:
    """Map the trial's ``criteria`` section to one registered rule set and its options.

    Parameters
    ----------
    trial:
        The trial definition.

    Returns
    -------
    ResolvedCriteria
        The rule set (by :func:`plasmatrial.criteria.get_rule_set`) and rule-set options.

    Raises
    ------
    PlasmatrialError
        An unknown name, unknown options, or a rule set that is not a response rule set.

    Notes
    -----
    ``hematologic``, else ``response``, names the rule set (``AL_2012`` is an alias of
    ``CR_2012_RATIO``); without either, the disease's DEFAULT
    (:data:`plasmatrial.criteria.core.registry.DEFAULT_RULE_SETS`: AL ``CR_2012_RATIO``, MM
    ``IMWG_2016``). ``progression`` ``AL_PROG_2012`` is the rule set's ``progression="2012"``
    option. ``criteria.options`` are passed through.
    """
    c = trial.criteria
    requested = {
        k: v
        for k, v in (
            ("hematologic", c.hematologic),
            ("progression", c.progression),
            ("response", c.response),
            ("cardiac", c.cardiac),
            ("renal", c.renal),
        )
        if v is not None
    }
    options: dict[str, str | float | bool] = {
        str(k): v for k, v in c.options.items() if isinstance(v, str | float | int | bool)
    }
    name = c.hematologic or c.response or default_rule_set(trial.disease)
    name = RULE_SET_ALIASES.get(name, name)
    if c.progression is not None and c.progression in AL_PROGRESSION_OPTIONS:
        options.setdefault("progression", AL_PROGRESSION_OPTIONS[c.progression])
    try:
        rs = get_rule_set(name)
        rs.response_spec()
    except RuleError as exc:
        raise PlasmatrialError(f"trial {trial.id}: criteria '{name}': {exc}") from None
    if options:
        try:
            rs.with_options(**options)
        except RuleError as exc:
            raise PlasmatrialError(f"{trial.where('criteria', 'options')}: {exc}") from None
    return ResolvedCriteria(rule_set=rs, options=options, requested=requested)
