"""Definitions of the single-patient calculator form per disease (data only, no logic).

Like the rule-set and trial-file definitions, this is where a disease is named: the analytes the
form offers and the DM columns (with their defaults) the disease's rules read. The calculator code
reads these tables and never branches on the disease (issue 11, decision 1000).
"""

from __future__ import annotations

from typing import Final

from plasmatrial.api import Disease

#: The analytes the form offers, per disease (codes of the intake catalogue).
FIELDS: Final[dict[Disease, tuple[str, ...]]] = {
    "al": ("FLCKAP", "FLCLAM", "SIFE", "UIFE", "NTPROBNP", "PROT24H", "EGFR"),
    "mm": ("SPEPMP", "UPEPMP", "FLCKAP", "FLCLAM", "SIFE", "UIFE", "BMPC"),
}
#: DM columns the disease's rules read beyond the common ones, with the default when the form
#: leaves them empty (AL: the involved light chain and the organ-involvement flags).
DM_EXTRAS: Final[dict[Disease, dict[str, str]]] = {
    "al": {"INVLC": "LAMBDA", "HEARTFL": "N", "KIDNEYFL": "N", "LIVERFL": "N"},
    "mm": {},
}


def as_disease(text: str) -> Disease:
    """``text`` as a disease code of the forms, or ``ValueError``."""
    for code in FIELDS:
        if code == text:
            return code
    raise ValueError(f"disease must be one of {', '.join(FIELDS)}, got {text!r}")
