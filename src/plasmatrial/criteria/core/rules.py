"""Rule rows, rule tables and rule sets (rules are data); the registry is :mod:`.registry`.

A :class:`Rule` is one row of a published criteria table: id, category, citation with locator,
verbatim text, interpretations and a predicate built from :mod:`plasmatrial.criteria.core.predicates`.
A :class:`RuleTable` is the ordered list of rows for one output parameter (``PARAMCD``); the
engine assigns the first satisfied row (top-down precedence). A :class:`RuleSet` bundles the
tables, the derived inputs, the overall (progression-wins) combinations and the options it was
built with; options are applied by rebuilding the set from its ``builder`` so that the rows a
clinician reads are the rows that run.

Every rule family (engine rows, CTCAE grade rows, myeloma stage, MRD and eligibility rows)
satisfies one protocol, :class:`RuleRow`, and cites its source with one type
(:class:`~plasmatrial.criteria.core.sources.CitedAt`). Families that are not run by the engine
are listed and documented as a :class:`RuleCatalogue` of :class:`RuleGroup` s (decision 0270).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import polars as pl

from plasmatrial.criteria.core.predicates import Input, Predicate
from plasmatrial.criteria.core.scale import ResponseSpec
from plasmatrial.criteria.core.sources import CitedAt
from plasmatrial.errors import RuleError

OptionValue = str | float | int | bool | None
Timepoint = Literal["post_baseline", "baseline"]
ColumnKind = Literal["numeric", "character", "boolean", "date"]


@runtime_checkable
class RuleRow(Protocol):
    """What every rule row offers a reader, whatever its family (decision 0270).

    ``id`` is the stable rule id reported on output rows; ``category`` what the row assigns (a
    response category, a grade ``G3``, a stage, ``MET`` for an eligibility criterion);
    ``citation`` the source with a locator; ``text`` the published wording; ``requires`` the
    inputs (columns with units) the row reads; ``predicate_text`` the condition as evaluated.
    """

    @property
    def id(self) -> str: ...

    @property
    def category(self) -> str: ...

    @property
    def citation(self) -> CitedAt: ...

    @property
    def text(self) -> str: ...

    @property
    def requires(self) -> tuple[Input, ...]: ...

    @property
    def predicate_text(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Interpretation:
    """A choice taken where the source is silent or ambiguous (with its decision record)."""

    id: str
    title: str
    text: str
    record: str

    def __str__(self) -> str:
        return f"{self.id}: {self.title} ({self.record})"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule row.

    Attributes
    ----------
    id:
        Stable rule id (``"AL2012.HEM.VGPR"``); recorded as RULEID on every output row.
    category:
        Category code assigned when the predicate holds (AVALC).
    citation:
        Source and locator.
    text:
        The rule as the source states it (paraphrased, numbers and signs verbatim).
    when:
        The predicate.
    interpretations:
        Interpretations the row relies on.
    note_missing:
        Whether an unknown result (missing datum) is reported as a downgrade. Progression rows set
        this to False: a missing parameter never blocks progression (criteria.md 0.1 #3).
    """

    id: str
    category: str
    citation: CitedAt
    text: str
    when: Predicate
    interpretations: tuple[Interpretation, ...] = ()
    note_missing: bool = True

    @property
    def requires(self) -> tuple[Input, ...]:
        """Inputs (columns with units and references) the row reads."""
        return self.when.inputs()

    @property
    def predicate_text(self) -> str:
        """The rendered predicate."""
        return str(self.when)


@dataclass(frozen=True, slots=True)
class OutputFlag:
    """A named flag emitted on every output row of a table where ``when`` holds."""

    name: str
    when: Predicate
    text: str


@dataclass(frozen=True, slots=True)
class RuleTable:
    """Ordered rule rows producing one parameter.

    ``population`` (optional) is the evaluability gate: where it does not hold the result is NE
    with the gate's rule id. Where no row holds the result is NE with id ``<id_prefix>.NE``.
    ``order`` ranks categories best first (used for best-response-so-far references).
    ``emit`` False keeps an intermediate table (e.g. evaluability class) out of the output.
    """

    paramcd: str
    description: str
    id_prefix: str
    rows: tuple[Rule, ...]
    population: Rule | None = None
    flags: tuple[OutputFlag, ...] = ()
    order: tuple[str, ...] = ()
    emit: bool = True
    timepoint: Timepoint = "post_baseline"

    @property
    def ne_id(self) -> str:
        """Rule id reported when no row can be established."""
        return f"{self.id_prefix}.NE"

    def all_rules(self) -> tuple[Rule, ...]:
        """Population gate (if any) followed by the rows."""
        return ((self.population,) if self.population else ()) + self.rows

    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id this table can report (gate, rows and NE)."""
        return (*(r.id for r in self.all_rules()), self.ne_id)


@dataclass(frozen=True, slots=True)
class Overall:
    """Per-visit overall parameter: progression wins, else the response (ruling R3)."""

    paramcd: str
    description: str
    progression: str
    progression_categories: tuple[str, ...]
    response: str


@dataclass(frozen=True, slots=True)
class Derivation:
    """A derived input column (e.g. dFLC), computed before any rule is evaluated."""

    column: str
    unit: str
    text: str
    build: Callable[[], pl.Expr]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A named, versioned collection of rule tables.

    ``columns`` declares extra input columns (name, kind) beyond the analyte catalogue that the
    rule set reads (e.g. myeloma imaging and marrow flags); the engine types them like analytes
    (absent → all-null). ``response`` (response rule sets) is what the trial pipeline, the
    report and ``respond`` read about the response: parameter, scale, responders, confirmation,
    evaluability (:class:`~plasmatrial.criteria.core.scale.ResponseSpec`, decision 0260).
    """

    name: str
    version: str
    disease: str
    description: str
    tables: tuple[RuleTable, ...]
    derivations: tuple[Derivation, ...] = ()
    overall: tuple[Overall, ...] = ()
    options: tuple[tuple[str, OptionValue], ...] = ()
    columns: tuple[tuple[str, ColumnKind], ...] = ()
    response: ResponseSpec | None = None
    builder: Callable[..., RuleSet] | None = field(default=None, compare=False, repr=False)

    def with_options(self, **options: OptionValue) -> RuleSet:
        """Rebuild this rule set with some options changed.

        Raises
        ------
        RuleError
            If an option is unknown to this rule set.
        """
        if not options:
            return self
        current = dict(self.options)
        unknown = sorted(set(options) - set(current))
        if unknown:
            raise RuleError(
                f"rule set {self.name!r}: unknown option(s) {', '.join(unknown)}; "
                f"valid options: {', '.join(sorted(current)) or 'none'}"
            )
        if self.builder is None:
            raise RuleError(f"rule set {self.name!r} takes no options")
        current.update(options)
        return self.builder(**current)

    def table(self, paramcd: str) -> RuleTable:
        """The table producing ``paramcd``."""
        for t in self.tables:
            if t.paramcd == paramcd:
                return t
        raise RuleError(
            f"rule set {self.name!r} has no parameter {paramcd!r}; "
            f"parameters: {', '.join(t.paramcd for t in self.tables)}"
        )

    def rules(self) -> Iterator[Rule]:
        """Every rule row of every table."""
        for t in self.tables:
            yield from t.all_rules()

    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id the rule set can report."""
        return tuple(i for t in self.tables for i in t.rule_ids())

    def response_spec(self) -> ResponseSpec:
        """The response this rule set carries.

        Raises
        ------
        RuleError
            Not a response rule set (e.g. staging).
        """
        if self.response is None:
            raise RuleError(f"rule set {self.name!r} is not a response rule set")
        return self.response

    def options_text(self) -> str:
        """Options as ``key=value`` text."""
        return ", ".join(f"{k}={v}" for k, v in self.options)

    def groups(self) -> tuple[RuleGroup, ...]:
        """The rows of every table as titled groups (the common listing shape)."""
        return tuple(RuleGroup(f"{t.paramcd}: {t.description}", t.all_rules()) for t in self.tables)


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """A titled, ordered group of rule rows of any family (one table of a listing)."""

    title: str
    rows: tuple[RuleRow, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class RuleCatalogue:
    """Rule rows that are listed and documented like a rule set but applied by their own function
    (myeloma staging, MRD, CTCAE grading, trial eligibility): name, version, disease, what applies
    them and the rows in groups. ``criteria list``, ``criteria show`` and ``docs/criteria/`` read
    these and :class:`RuleSet` alike."""

    name: str
    version: str
    disease: str
    description: str
    applied_by: str
    groups: tuple[RuleGroup, ...]

    def rules(self) -> Iterator[RuleRow]:
        """Every row of every group."""
        for g in self.groups:
            yield from g.rows

    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id of the catalogue."""
        return tuple(r.id for r in self.rules())


