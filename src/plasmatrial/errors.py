"""Exception hierarchy and the problem record that readers and validators report.

Every user-facing error derives from :class:`PlasmatrialError`; the CLI prints such errors as one
clear line (plus a problem table for :class:`IntakeError`) and exits with code 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    """Machine-readable reason for an intake problem."""

    MISSING_COLUMN = "missing_column"
    MISSING_VALUE = "missing_value"
    UNKNOWN_TEST = "unknown_test"
    UNKNOWN_UNIT = "unknown_unit"
    MISSING_UNIT = "missing_unit"
    NOT_NUMERIC = "not_numeric"
    IMPLAUSIBLE_VALUE = "implausible_value"
    UNIT_MIXUP = "unit_mixup"
    BAD_DATE = "bad_date"
    PARTIAL_DATE = "partial_date"
    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"
    UNKNOWN_SUBJECT = "unknown_subject"
    BAD_VALUE = "bad_value"
    UNREADABLE_FILE = "unreadable_file"


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation failure: where it is, what was found and what was expected."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    reason: ReasonCode = ReasonCode.BAD_VALUE

    def as_dict(self) -> dict[str, str | int | None]:
        """Return the problem as a plain dictionary (for JSON and tables)."""
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
            "reason": self.reason.value,
        }


class PlasmatrialError(Exception):
    """Base class for every error a user can cause and fix."""


class IntakeError(PlasmatrialError):
    """Input data failed validation. ``problems`` lists every failure found, not just the first."""

    def __init__(self, problems: Sequence[Problem], message: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        n = len(self.problems)
        files = sorted({p.file for p in self.problems})
        super().__init__(
            message or f"{n} problem{'s' if n != 1 else ''} found in {', '.join(files) or 'input'}"
        )


class RuleError(PlasmatrialError):
    """A rule set or criterion was misconfigured or asked for something it cannot do."""


class StatsError(PlasmatrialError):
    """Invalid input to a statistical routine (names the argument and the offending value)."""


class DesignError(PlasmatrialError):
    """Invalid trial design or simulation parameters."""


class PlasmatrialWarning(UserWarning):
    """Base class for warnings about data that was processed but deserves a look."""
