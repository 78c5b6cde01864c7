"""Unit spellings, the unit lookup table and conversion to canonical units.

Unit labels are matched after a light, documented normalisation (:func:`unit_key`): surrounding and
inner white space removed, lower case, ``µ``/``μ``/``mcg`` read as ``u`` / ``ug``, ``²`` as ``2``.
So ``"mg/24 h"``, ``"MG/24H"`` and ``"mg/24h"`` are the same unit. The factors come only from
:data:`plasmatrial.intake.analytes.ANALYTES`; nothing else converts a value.
"""

from __future__ import annotations

from typing import Final

from plasmatrial.intake.analytes import ANALYTE_BY_CODE, ANALYTES


def unit_key(unit: str) -> str:
    """Normalise one unit label for lookup (see module docstring).

    Parameters
    ----------
    unit : str
        A unit as written in the file.

    Returns
    -------
    str
        The lookup key.

    Examples
    --------
    >>> unit_key(" mg/24 H ")
    'mg/24h'
    >>> unit_key("µg/L") == unit_key("mcg/L") == "ug/l"
    True
    """
    key = "".join(unit.split()).lower()
    return key.replace("µ", "u").replace("μ", "u").replace("mcg", "ug").replace("²", "2")


def _build_unit_map() -> dict[tuple[str, str], float]:
    table: dict[tuple[str, str], float] = {}
    for analyte in ANALYTES:
        for spelling, factor in analyte.conversions.items():
            key = (analyte.code, unit_key(spelling))
            if key in table and table[key] != factor:  # pragma: no cover - catalogue bug
                msg = f"unit {spelling!r} of {analyte.code} normalises to a clashing key"
                raise ValueError(msg)
            table[key] = factor
    return table


#: ``(canonical code, unit key) -> factor`` to the canonical unit.
UNIT_FACTORS: Final[dict[tuple[str, str], float]] = _build_unit_map()


def accepted_units(code: str) -> str:
    """Human-readable list of the unit spellings accepted for ``code`` (for problem reports)."""
    analyte = ANALYTE_BY_CODE[code]
    if not analyte.conversions:
        return "no unit (blank)"
    seen: dict[str, str] = {}
    for spelling in analyte.conversions:
        seen.setdefault(unit_key(spelling), spelling)
    return ", ".join(seen.values())


def convert(value: float, unit: str, code: str) -> float:
    """Convert one value to the canonical unit of ``code``.

    Parameters
    ----------
    value : float
        Value in ``unit``.
    unit : str
        Unit label as written (normalised with :func:`unit_key`).
    code : str
        Canonical LBTESTCD.

    Returns
    -------
    float
        ``value * factor``.

    Raises
    ------
    KeyError
        If the unit is not accepted for ``code``.

    Examples
    --------
    >>> convert(2.5, "mg/dL", "FLCKAP")
    25.0
    """
    return value * UNIT_FACTORS[(code, unit_key(unit))]
