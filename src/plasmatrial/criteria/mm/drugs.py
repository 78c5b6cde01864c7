"""Drug → class table for myeloma and AL amyloidosis therapy (used for class refractoriness).

Classes: ``IMID`` (immunomodulatory drugs, incl. CELMoDs), ``PI`` (proteasome inhibitors),
``ANTI_CD38`` (anti-CD38 monoclonal antibodies), ``ALKYLATOR``, ``STEROID``, ``SCT`` (stem-cell
transplant rows of a prior-therapy table) and ``OTHER``. Names are matched case-insensitively
after trimming; brand names are accepted as aliases. Unknown drugs are ``OTHER``.
"""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

__all__ = [
    "DRUG_CLASSES",
    "DRUG_CLASS_NAMES",
    "DrugClass",
    "drug_class_expr",
    "normalise_drug_expr",
]

DrugClass = Literal["IMID", "PI", "ANTI_CD38", "ALKYLATOR", "STEROID", "SCT", "OTHER"]
DRUG_CLASS_NAMES: Final[tuple[str, ...]] = (
    "IMID",
    "PI",
    "ANTI_CD38",
    "ALKYLATOR",
    "STEROID",
    "SCT",
    "OTHER",
)

_TABLE: Final[dict[str, tuple[DrugClass, tuple[str, ...]]]] = {
    "THALIDOMIDE": ("IMID", ("THALOMID",)),
    "LENALIDOMIDE": ("IMID", ("REVLIMID", "LEN")),
    "POMALIDOMIDE": ("IMID", ("POMALYST", "IMNOVID", "POM")),
    "IBERDOMIDE": ("IMID", ("CC-220",)),
    "MEZIGDOMIDE": ("IMID", ("CC-92480",)),
    "BORTEZOMIB": ("PI", ("VELCADE", "BTZ")),
    "CARFILZOMIB": ("PI", ("KYPROLIS", "CFZ")),
    "IXAZOMIB": ("PI", ("NINLARO",)),
    "DARATUMUMAB": ("ANTI_CD38", ("DARZALEX", "DARATUMUMAB SC", "DARATUMUMAB AND HYALURONIDASE")),
    "ISATUXIMAB": ("ANTI_CD38", ("SARCLISA",)),
    "MELPHALAN": ("ALKYLATOR", ("ALKERAN", "HIGH-DOSE MELPHALAN", "HDM", "MELPHALAN FLUFENAMIDE")),
    "CYCLOPHOSPHAMIDE": ("ALKYLATOR", ("CYTOXAN", "ENDOXAN")),
    "BENDAMUSTINE": ("ALKYLATOR", ("TREANDA", "LEVACT")),
    "DEXAMETHASONE": ("STEROID", ("DEX", "DECADRON")),
    "PREDNISONE": ("STEROID", ("PRED",)),
    "PREDNISOLONE": ("STEROID", ()),
    "METHYLPREDNISOLONE": ("STEROID", ("SOLU-MEDROL",)),
    "AUTOLOGOUS SCT": ("SCT", ("ASCT", "AUTO-SCT", "AUTOLOGOUS STEM CELL TRANSPLANT", "AUTO SCT")),
    "ALLOGENEIC SCT": ("SCT", ("ALLO-SCT", "ALLOGENEIC STEM CELL TRANSPLANT", "ALLO SCT")),
    "ELOTUZUMAB": ("OTHER", ("EMPLICITI",)),
    "PANOBINOSTAT": ("OTHER", ("FARYDAK",)),
    "SELINEXOR": ("OTHER", ("XPOVIO",)),
    "VENETOCLAX": ("OTHER", ("VENCLEXTA",)),
    "BELANTAMAB MAFODOTIN": ("OTHER", ("BLENREP",)),
    "TECLISTAMAB": ("OTHER", ("TECVAYLI",)),
    "ELRANATAMAB": ("OTHER", ("ELREXFIO",)),
    "TALQUETAMAB": ("OTHER", ("TALVEY",)),
    "IDECABTAGENE VICLEUCEL": ("OTHER", ("IDE-CEL", "ABECMA")),
    "CILTACABTAGENE AUTOLEUCEL": ("OTHER", ("CILTA-CEL", "CARVYKTI")),
    "DOXORUBICIN": ("OTHER", ("PEGYLATED LIPOSOMAL DOXORUBICIN", "ADRIAMYCIN")),
    "VINCRISTINE": ("OTHER", ()),
    "CISPLATIN": ("OTHER", ()),
    "ETOPOSIDE": ("OTHER", ()),
    "DOXYCYCLINE": ("OTHER", ()),
}

DRUG_CLASSES: Final[dict[str, DrugClass]] = {name: cls for name, (cls, _) in _TABLE.items()}
"""Canonical drug name → class."""

_ALIASES: Final[dict[str, str]] = {
    alias: name for name, (_, aliases) in _TABLE.items() for alias in (name, *aliases)
}


def normalise_drug_expr(col: str = "DRUG") -> pl.Expr:
    """Canonical upper-case drug name (brand names and abbreviations mapped to the generic name)."""
    text = pl.col(col).cast(pl.String).str.strip_chars().str.to_uppercase()
    return text.replace(_ALIASES)


def drug_class_expr(col: str = "DRUG") -> pl.Expr:
    """Drug class of a (normalised) drug-name column; unknown drugs are ``"OTHER"``."""
    return pl.col(col).replace_strict(DRUG_CLASSES, default="OTHER", return_dtype=pl.String)
