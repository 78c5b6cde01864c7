"""Published response, progression and staging criteria as data, and one engine that applies them.

Entry points: :func:`adjudicate` (per-visit categories with provenance), :func:`stage`,
:func:`best_response`, :func:`time_to_first_response`, :func:`evaluability`,
:func:`get_rule_set` / :func:`list_rule_sets`.
"""

from plasmatrial.criteria.al.staging import stage
from plasmatrial.criteria.core.engine import adjudicate
from plasmatrial.criteria.core.registry import get_rule_set, list_rule_sets
from plasmatrial.criteria.core.rules import Rule, RuleSet, RuleTable
from plasmatrial.criteria.core.summary import best_response, evaluability, time_to_first_response

__all__ = [
    "Rule",
    "RuleSet",
    "RuleTable",
    "adjudicate",
    "best_response",
    "evaluability",
    "get_rule_set",
    "list_rule_sets",
    "stage",
    "time_to_first_response",
]
