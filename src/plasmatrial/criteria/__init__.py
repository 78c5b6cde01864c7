"""Published response, progression and staging criteria as data, and one engine that applies them.

Entry points: :func:`adjudicate` (per-visit categories with provenance), :func:`stage`,
:func:`best_response`, :func:`time_to_first_response`, :func:`evaluability`,
:func:`get_rule_set` / :func:`list_rule_sets`, :func:`get_criteria` / :func:`list_criteria`
(rule sets and rule tables such as ISS, MRD, CTCAE) and :func:`register_rule_set`.
Layout, registry and the rule-row protocol: decision 0270 and ``docs/architecture.md``.
"""

from plasmatrial.criteria.al.staging import stage
from plasmatrial.criteria.core.engine import adjudicate
from plasmatrial.criteria.core.registry import (
    get_criteria,
    get_rule_set,
    list_criteria,
    list_rule_sets,
    register_rule_set,
)
from plasmatrial.criteria.core.rules import Rule, RuleCatalogue, RuleRow, RuleSet, RuleTable
from plasmatrial.criteria.core.summary import best_response, evaluability, time_to_first_response

__all__ = [
    "Rule",
    "RuleCatalogue",
    "RuleRow",
    "RuleSet",
    "RuleTable",
    "adjudicate",
    "best_response",
    "evaluability",
    "get_criteria",
    "get_rule_set",
    "list_criteria",
    "list_rule_sets",
    "register_rule_set",
    "stage",
    "time_to_first_response",
]
