"""Argument checks shared by the design modules; every failure is a :class:`DesignError`."""

from __future__ import annotations

import math

from plasmatrial.errors import DesignError


def check_open_unit(name: str, value: float) -> float:
    """Return ``value`` as float if it lies strictly inside (0, 1), else raise ``DesignError``."""
    v = float(value)
    if not (math.isfinite(v) and 0.0 < v < 1.0):
        raise DesignError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return v


def check_unit(name: str, value: float) -> float:
    """Return ``value`` as float if it lies in [0, 1], else raise ``DesignError``."""
    v = float(value)
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise DesignError(f"{name} must lie in [0, 1], got {value!r}")
    return v


def check_positive(name: str, value: float) -> float:
    """Return ``value`` as float if it is finite and > 0, else raise ``DesignError``."""
    v = float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise DesignError(f"{name} must be a positive number, got {value!r}")
    return v


def check_nonnegative(name: str, value: float) -> float:
    """Return ``value`` as float if it is finite and >= 0, else raise ``DesignError``."""
    v = float(value)
    if not (math.isfinite(v) and v >= 0.0):
        raise DesignError(f"{name} must be a non-negative number, got {value!r}")
    return v


def check_int(name: str, value: int, *, minimum: int) -> int:
    """Return ``value`` if it is an integer >= ``minimum``, else raise ``DesignError``."""
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise DesignError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
