"""Prior-therapy eligibility criteria of relapsed/refractory myeloma trials, as data.

Each criterion is a row (:class:`EligibilityCriterion`: id, verbatim text, source, predicate). The
predicates come from a small closed vocabulary of patient-level aggregations over the annotated
prior-therapy table (:func:`plasmatrial.criteria.mm.refractory.annotate_prior_therapy`); each has
``to_expr()`` (a polars aggregation, evaluated per subject), ``explain_expr()``, ``__str__`` and
``requires()``. Two rule sets ship: :data:`MM003_ELIGIBILITY` and :data:`IFM2009_02`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

import polars as pl

from plasmatrial._results import ResultMixin
from plasmatrial.criteria.core.predicates import Input
from plasmatrial.criteria.core.registry import eligibility_names, get_eligibility
from plasmatrial.criteria.core.rules import RuleCatalogue, RuleGroup
from plasmatrial.criteria.core.sources import IFM_2009_02, SAN_MIGUEL_2013, CitedAt
from plasmatrial.criteria.mm.drugs import DRUG_CLASSES
from plasmatrial.criteria.mm.refractory import (
    REFRACTORY_WINDOW_DAYS,
    RESPONSE_RANK,
    annotate_prior_therapy,
)
from plasmatrial.errors import RuleError

__all__ = [
    "ELIGIBILITY_RULE_SETS",
    "IFM2009_02",
    "MM003_ELIGIBILITY",
    "BestResponseBelow",
    "EligibilityCriterion",
    "EligibilityResult",
    "EligibilityRuleSet",
    "ExposedTo",
    "MinLines",
    "ProgressedOnLastLine",
    "ProgressedWithinWindowOfLastLine",
    "eligibility_catalogue",
    "evaluate_eligibility",
]


class PatientPredicate(Protocol):
    """A patient-level condition evaluated as a polars aggregation per subject."""

    def to_expr(self) -> pl.Expr:
        """Boolean aggregation (null = cannot be decided from the data)."""
        ...

    def explain_expr(self) -> pl.Expr:
        """String aggregation stating the values the decision used."""
        ...

    def requires(self) -> tuple[str, ...]:
        """Columns of the prior-therapy table the predicate reads."""
        ...


@dataclass(frozen=True, slots=True)
class MinLines:
    """At least ``n`` prior lines of therapy (Rajkumar 2015 counting)."""

    n: int

    def to_expr(self) -> pl.Expr:
        return pl.col("LINE").max() >= self.n

    def explain_expr(self) -> pl.Expr:
        return pl.format("{} prior line(s) (needs ≥ {})", pl.col("LINE").max(), pl.lit(self.n))

    def requires(self) -> tuple[str, ...]:
        return ("REGID", "DRUG", "ASTDT")

    def __str__(self) -> str:
        return f"prior lines ≥ {self.n}"


def _check_drug(drug: str) -> str:
    name = drug.upper()
    if name not in DRUG_CLASSES:
        raise RuleError(f"unknown drug {drug!r}; known: {', '.join(sorted(DRUG_CLASSES))}")
    return name


@dataclass(frozen=True, slots=True)
class ExposedTo:
    """At least one prior exposure to ``drug``."""

    drug: str

    def to_expr(self) -> pl.Expr:
        return (pl.col("DRUG") == _check_drug(self.drug)).any()

    def explain_expr(self) -> pl.Expr:
        d = _check_drug(self.drug)
        return pl.format("{} exposure(s) to {}", (pl.col("DRUG") == d).sum(), pl.lit(d.lower()))

    def requires(self) -> tuple[str, ...]:
        return ("DRUG",)

    def __str__(self) -> str:
        return f"exposed to {self.drug.lower()}"


@dataclass(frozen=True, slots=True)
class ProgressedWithinWindowOfLastLine:
    """PD on the last prior line or ≤ ``days`` after its last dose."""

    days: int = REFRACTORY_WINDOW_DAYS

    def to_expr(self) -> pl.Expr:
        return pl.col("LINEPDWINFL").filter(pl.col("LASTLINEFL")).any()

    def explain_expr(self) -> pl.Expr:
        last = pl.col("LASTLINEFL")
        end = pl.col("AENDT").filter(last).max()
        pd = pl.col("PDDT").filter(last).min()
        return pl.format(
            "last line {}: last dose {}, PD {} ({} days; window {} days)",
            pl.col("LINE").max(),
            end.cast(pl.String).fill_null("ongoing"),
            pd.cast(pl.String).fill_null("none"),
            (pd - end).dt.total_days().cast(pl.String).fill_null("n/a"),
            pl.lit(self.days),
        )

    def requires(self) -> tuple[str, ...]:
        return ("AENDT", "PDDT")

    def __str__(self) -> str:
        return f"PD on or ≤ {self.days} days after the last dose of the last line"


@dataclass(frozen=True, slots=True)
class ProgressedOnLastLine:
    """A progression recorded on or after the start of the last prior line (progressive now)."""

    def to_expr(self) -> pl.Expr:
        start = pl.col("ASTDT").filter(pl.col("LASTLINEFL")).min()
        return (pl.col("PDDT") >= start).any()

    def explain_expr(self) -> pl.Expr:
        last = pl.col("LASTLINEFL")
        return pl.format(
            "PD after the start of the last line: {}",
            pl.col("PDDT").filter(last).min().cast(pl.String).fill_null("none"),
        )

    def requires(self) -> tuple[str, ...]:
        return ("PDDT",)

    def __str__(self) -> str:
        return "progressive disease on or after the last line"


@dataclass(frozen=True, slots=True)
class BestResponseBelow:
    """Exposed to ``drug`` and the best response over its exposures is worse than ``category``.

    Null (undecidable) when the drug was given but no response on it is known.
    """

    drug: str
    category: str

    def _rank(self) -> int:
        try:
            return RESPONSE_RANK[self.category.upper()]
        except KeyError:
            raise RuleError(
                f"unknown response category {self.category!r}; use one of {list(RESPONSE_RANK)}"
            ) from None

    def to_expr(self) -> pl.Expr:
        d = _check_drug(self.drug)
        best = pl.col("RESPRANK").filter(pl.col("DRUG") == d).max()
        exposed = (pl.col("DRUG") == d).any()
        return pl.when(exposed).then(best < self._rank()).otherwise(pl.lit(False))

    def explain_expr(self) -> pl.Expr:
        d = _check_drug(self.drug)
        inv = {v: k for k, v in RESPONSE_RANK.items()}
        best = pl.col("RESPRANK").filter(pl.col("DRUG") == d).max()
        return pl.format(
            "best response on {}: {} (needs worse than {})",
            pl.lit(d.lower()),
            best.replace_strict(inv, default=None, return_dtype=pl.String).fill_null(
                pl.when((pl.col("DRUG") == d).any())
                .then(pl.lit("unknown"))
                .otherwise(pl.lit("not exposed"))
            ),
            pl.lit(self.category),
        )

    def requires(self) -> tuple[str, ...]:
        return ("DRUG", "BESTRESP")

    def __str__(self) -> str:
        return f"best response on {self.drug.lower()} worse than {self.category}"


@dataclass(frozen=True, slots=True)
class EligibilityCriterion:
    """One eligibility row: id, protocol wording, source and predicate (a
    :class:`~plasmatrial.criteria.core.rules.RuleRow`; a patient meets it or not)."""

    id: str
    text: str
    citation: CitedAt
    when: PatientPredicate

    @property
    def category(self) -> str:
        """What the row decides when it holds."""
        return "MET"

    @property
    def requires(self) -> tuple[Input, ...]:
        """Columns of the prior-therapy table the predicate reads."""
        return tuple(Input(c, "") for c in self.when.requires())

    @property
    def predicate_text(self) -> str:
        """The rendered predicate."""
        return str(self.when)


@dataclass(frozen=True, slots=True)
class EligibilityRuleSet:
    """A named, versioned tuple of criteria; a patient is eligible when all pass."""

    name: str
    version: str
    title: str
    criteria: tuple[EligibilityCriterion, ...]


MM003_SOURCE: Final = SAN_MIGUEL_2013.at(
    "eligibility, wording as in the NCI summary: 'at least two prior therapies, including "
    "lenalidomide and bortezomib, and whose disease progressed within 60 days of completing the "
    "last therapy'"
)
MM003_ELIGIBILITY: Final = EligibilityRuleSet(
    name="MM003_ELIGIBILITY",
    version="1.0.0",
    title="Pomalidomide + low-dose dexamethasone vs high-dose dexamethasone (MM-003)",
    criteria=(
        EligibilityCriterion(
            "MM003.LINES", "at least two prior lines of therapy", MM003_SOURCE, MinLines(2)
        ),
        EligibilityCriterion(
            "MM003.LEN",
            "prior therapy included lenalidomide",
            MM003_SOURCE,
            ExposedTo("LENALIDOMIDE"),
        ),
        EligibilityCriterion(
            "MM003.BTZ", "prior therapy included bortezomib", MM003_SOURCE, ExposedTo("BORTEZOMIB")
        ),
        EligibilityCriterion(
            "MM003.PD60",
            "disease progressed on or within 60 days of the last dose of the last therapy",
            MM003_SOURCE,
            ProgressedWithinWindowOfLastLine(60),
        ),
    ),
)

IFM_SOURCE: Final = IFM_2009_02.at(
    "eligibility: 'relapse and refractory MM patients who are progressive and did not achieve at "
    "least a partial response to bortezomib and lenalidomide'"
)
IFM2009_02: Final = EligibilityRuleSet(
    name="IFM2009_02",
    version="1.0.0",
    title="IFM 2009-02 pomalidomide + dexamethasone phase 2",
    criteria=(
        EligibilityCriterion(
            "IFM200902.PROG", "progressive disease at entry", IFM_SOURCE, ProgressedOnLastLine()
        ),
        EligibilityCriterion(
            "IFM200902.BTZ",
            "did not achieve at least a PR to bortezomib",
            IFM_SOURCE,
            BestResponseBelow("BORTEZOMIB", "PR"),
        ),
        EligibilityCriterion(
            "IFM200902.LEN",
            "did not achieve at least a PR to lenalidomide",
            IFM_SOURCE,
            BestResponseBelow("LENALIDOMIDE", "PR"),
        ),
    ),
)


class _RegisteredEligibility(Mapping[str, EligibilityRuleSet]):
    """The eligibility rule sets named in the registry (``BUILTIN_ELIGIBILITY`` of
    :mod:`plasmatrial.criteria.core.registry`), read on use."""

    def __getitem__(self, name: str) -> EligibilityRuleSet:
        rs = get_eligibility(name)  # KeyError for an unknown name
        if not isinstance(rs, EligibilityRuleSet):
            raise RuleError(
                f"eligibility rule set {name!r}: the registry gives {type(rs).__name__}"
            )
        return rs

    def __iter__(self) -> Iterator[str]:
        return iter(eligibility_names())

    def __len__(self) -> int:
        return len(eligibility_names())


#: Eligibility rule sets by name: a view of the registry (one list of names).
ELIGIBILITY_RULE_SETS: Final[Mapping[str, EligibilityRuleSet]] = _RegisteredEligibility()


@dataclass(frozen=True, slots=True, repr=False)
class EligibilityResult(ResultMixin):
    """Per-subject, per-criterion pass/fail with explanations, and the overall decision."""

    rule_set: str
    version: str
    criteria: pl.DataFrame
    subjects: pl.DataFrame

    def to_frame(self) -> pl.DataFrame:
        """Long frame: ``USUBJID, RULESET, RULESETVER, CRITID, CRITTEXT, PASS, EXPLAIN``."""
        return self.criteria

    def to_dict(self) -> dict[str, object]:
        """Nested plain dictionary (for JSON)."""
        return {
            "rule_set": self.rule_set,
            "version": self.version,
            "subjects": self.subjects.to_dicts(),
            "criteria": self.criteria.to_dicts(),
        }


def evaluate_eligibility(
    prior_therapy: pl.DataFrame,
    rule_set: EligibilityRuleSet | str,
    *,
    window_days: int = REFRACTORY_WINDOW_DAYS,
) -> EligibilityResult:
    """Evaluate a prior-therapy eligibility rule set for every subject.

    Parameters
    ----------
    prior_therapy
        Prior-therapy table (see :mod:`plasmatrial.criteria.mm.refractory`).
    rule_set
        An :class:`EligibilityRuleSet` or its name in :data:`ELIGIBILITY_RULE_SETS`.
    window_days
        Refractoriness window used to annotate the table (default 60).

    Returns
    -------
    EligibilityResult
        ``criteria``: one row per subject and criterion with ``PASS`` (true / false / null when
        the data cannot decide) and ``EXPLAIN``; ``subjects``: ``USUBJID, RULESET, RULESETVER,
        ELIGFL`` (true when every criterion passes, false when any fails, else null),
        ``FAILED`` (ids of failed criteria) and ``EXPLAIN``.

    Notes
    -----
    Every predicate is an aggregation evaluated in one ``group_by("USUBJID")`` pass.
    """
    if isinstance(rule_set, str):
        try:
            rule_set = ELIGIBILITY_RULE_SETS[rule_set]
        except KeyError:
            raise RuleError(
                f"unknown eligibility rule set {rule_set!r}; "
                f"available: {', '.join(ELIGIBILITY_RULE_SETS)}"
            ) from None
    ann = annotate_prior_therapy(prior_therapy, window_days=window_days)
    aggs: list[pl.Expr] = []
    for i, crit in enumerate(rule_set.criteria):
        aggs += [crit.when.to_expr().alias(f"_P{i}"), crit.when.explain_expr().alias(f"_E{i}")]
    wide = ann.group_by("USUBJID").agg(aggs)
    parts = [
        wide.select(
            "USUBJID",
            pl.lit(crit.id).alias("CRITID"),
            pl.lit(crit.text).alias("CRITTEXT"),
            pl.col(f"_P{i}").alias("PASS"),
            pl.col(f"_E{i}").alias("EXPLAIN"),
        )
        for i, crit in enumerate(rule_set.criteria)
    ]
    long = (
        pl.concat(parts)
        .with_columns(
            pl.lit(rule_set.name).alias("RULESET"), pl.lit(rule_set.version).alias("RULESETVER")
        )
        .select("USUBJID", "RULESET", "RULESETVER", "CRITID", "CRITTEXT", "PASS", "EXPLAIN")
        .sort("USUBJID", maintain_order=True)
    )
    subjects = (
        long.group_by("USUBJID", maintain_order=True)
        .agg(
            pl.when((pl.col("PASS") == False).any())  # noqa: E712
            .then(pl.lit(False))
            .when(pl.col("PASS").is_null().any())
            .then(pl.lit(None, dtype=pl.Boolean))
            .otherwise(pl.lit(True))
            .alias("ELIGFL"),
            pl.col("CRITID").filter(pl.col("PASS") == False).alias("FAILED"),  # noqa: E712
            pl.format("{}: {}", pl.col("CRITID"), pl.col("EXPLAIN"))
            .str.join("; ")
            .alias("EXPLAIN"),
        )
        .with_columns(
            pl.lit(rule_set.name).alias("RULESET"), pl.lit(rule_set.version).alias("RULESETVER")
        )
        .select("USUBJID", "RULESET", "RULESETVER", "ELIGFL", "FAILED", "EXPLAIN")
        .sort("USUBJID")
    )
    return EligibilityResult(rule_set.name, rule_set.version, long, subjects)


def eligibility_catalogue(name: str) -> RuleCatalogue:
    """One eligibility rule set as a catalogue for ``criteria list/show`` and ``docs/criteria/``.

    Raises
    ------
    RuleError
        Unknown name.
    """
    rs = ELIGIBILITY_RULE_SETS.get(name)
    if rs is None:
        raise RuleError(
            f"unknown eligibility rule set {name!r}; known: {', '.join(ELIGIBILITY_RULE_SETS)}"
        )
    return RuleCatalogue(
        name=rs.name,
        version=rs.version,
        disease="MM",
        description=f"Prior-therapy eligibility: {rs.title}",
        applied_by="plasmatrial.criteria.mm.eligibility.evaluate_eligibility",
        groups=(
            RuleGroup(
                "Criteria",
                rs.criteria,
                "A patient is eligible when every criterion is met "
                "(docs/decisions/0403-refractoriness-and-eligibility.md).",
            ),
        ),
    )
