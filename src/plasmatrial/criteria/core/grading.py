"""Graded parameters combined at their lowest level (a general combination mode for rule rows).

Some criteria grade several followed parameters separately and report the **lowest** level any of
them reached (IMWG myeloma, ruling R4: serum, urine, FLC, marrow, plasmacytoma). Rather than a
special case in the engine, the combination is written as ordinary predicates: the row for level
``L`` holds when every followed parameter reaches at least ``L``. With Kleene logic a followed
parameter whose datum is missing makes the row unknown, so the engine's missing-data downgrade and
the NE result (ruling R5) apply unchanged, and EXPLAIN shows each parameter's values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from plasmatrial.criteria.core.predicates import (
    AnyOf,
    Described,
    Known,
    Not,
    Predicate,
    all_of,
    any_of,
)
from plasmatrial.errors import RuleError


@dataclass(frozen=True, slots=True)
class GradedParameter:
    """One followed parameter and the predicates for the levels it can reach.

    Attributes
    ----------
    name:
        Display name (``"serum M-protein"``).
    followed:
        Whether the parameter is followed for the subject (usually decided at baseline); unknown
        counts as not followed.
    reaches:
        Level → predicate "the parameter reaches **at least** this level" (cumulative). A level
        the parameter cannot grade (e.g. MR for FLC-only disease) is absent: reaching it then
        means reaching the nearest higher level present; above every present level it is False.
    """

    name: str
    followed: Predicate
    reaches: Mapping[str, Predicate]

    def at_least(self, level: str, order: Sequence[str]) -> Predicate | None:
        """Predicate for "reaches at least ``level``" (``None``: the level is out of reach)."""
        if level not in order:
            raise RuleError(f"level {level!r} is not one of {', '.join(order)}")
        for lv in reversed(order[: order.index(level) + 1]):
            if lv in self.reaches:
                return self.reaches[lv]
        return None


def lowest_level_at_least(
    parameters: Sequence[GradedParameter], level: str, order: Sequence[str]
) -> Predicate:
    """Every followed parameter reaches at least ``level`` (lowest-level combination, R4).

    Parameters
    ----------
    parameters:
        The graded parameters.
    level:
        The level tested.
    order:
        Levels best first (e.g. ``("VGPR", "PR", "MR", "SD")``).

    Returns
    -------
    Predicate
        ``AND`` over parameters of ``(NOT followed) OR reaches(level)``.

    Notes
    -----
    A parameter that cannot reach ``level`` contributes ``NOT followed`` alone. Unknown
    ``followed`` reads as not followed; an unknown ``reaches`` of a followed parameter keeps the
    result unknown (missing datum → downgrade / NE).
    """
    parts: list[Predicate] = []
    for p in parameters:
        not_followed = Described(
            Not(Known(p.followed, missing=False)), f"{p.name} not followed", f"{p.name} followed"
        )
        reach = p.at_least(level, order)
        parts.append(not_followed if reach is None else AnyOf((not_followed, reach)))
    return all_of(*parts)


def any_followed(parameters: Sequence[GradedParameter]) -> Predicate:
    """At least one parameter is followed (never unknown)."""
    return any_of(*(Known(p.followed, missing=False) for p in parameters))
