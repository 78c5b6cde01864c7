"""Citations for the published criteria encoded in :mod:`plasmatrial.criteria`.

Each rule row cites one source with a locator (table, row, clause) so that a reader holding the
paper can check the rule without reading the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Citation:
    """A published source.

    Attributes
    ----------
    key:
        Short name used in tables (``"Palladini 2012"``).
    title:
        Title or journal reference.
    doi:
        DOI when known, else ``None``.
    pmid:
        PubMed id when known, else ``None``.
    """

    key: str
    title: str
    doi: str | None = None
    pmid: str | None = None

    def at(self, locator: str) -> CitedAt:
        """Return this citation with a locator (table, row, clause)."""
        return CitedAt(self, locator)

    def __str__(self) -> str:
        ident = f"doi:{self.doi}" if self.doi else (f"PMID {self.pmid}" if self.pmid else "")
        return f"{self.key} ({ident})" if ident else self.key


@dataclass(frozen=True, slots=True)
class CitedAt:
    """A citation plus the place in the source a rule comes from."""

    citation: Citation
    locator: str

    def __str__(self) -> str:
        return f"{self.citation}, {self.locator}"


PALLADINI_2012: Final = Citation(
    "Palladini 2012",
    "New criteria for response to treatment in immunoglobulin light chain amyloidosis based on "
    "free light chain measurement and cardiac biomarkers. J Clin Oncol 2012;30(36):4541-4549",
    doi="10.1200/JCO.2011.37.7614",
)
COMENZO_2012: Final = Citation(
    "Comenzo 2012",
    "Consensus guidelines for the conduct and reporting of clinical trials in systemic light-chain "
    "amyloidosis. Leukemia 2012;26(11):2317-2325",
    doi="10.1038/leu.2012.100",
)
MILANI_2017: Final = Citation(
    "Milani 2017",
    "Patients with light-chain amyloidosis and low free light-chain burden have distinct clinical "
    "features and outcome. Blood 2017;130(5):625-631",
)
DITTRICH_2017: Final = Citation(
    "Dittrich 2017",
    "AL amyloidosis patients with low amyloidogenic free light chain levels at first diagnosis have "
    "an excellent prognosis. Blood 2017;130(5):632-642",
)
PALLADINI_2018: Final = Citation(
    "Palladini 2018",
    "Presentation and outcome with second-line treatment in AL amyloidosis previously sensitive to "
    "nontransplant therapies. Blood 2018;131(5):525-532",
)
MUCHTAR_2020: Final = Citation(
    "Muchtar 2020",
    "Refining amyloid complete hematological response: quantitative serum free light chains "
    "superior to ratio. Am J Hematol 2020",
)
HEMATO_2022: Final = Citation(
    "Hemato 2022",
    "Monitoring patients with light chain (AL) amyloidosis during and after therapy: response "
    "assessment and identification of relapse. Hemato 2022;3(1):98-108 (ISA Board CR proposal)",
    doi="10.3390/hemato3010008",
)
GERTZ_2005: Final = Citation(
    "Gertz 2005",
    "Definition of organ involvement and treatment response in immunoglobulin light chain "
    "amyloidosis (AL). Am J Hematol 2005;79(4):319-328",
    pmid="16044444",
)
MUCHTAR_2023: Final = Citation(
    "Muchtar 2023",
    "Graded cardiac response criteria for patients with systemic light chain amyloidosis. "
    "J Clin Oncol 2023;41(7):1393-1403",
)
PALLADINI_2014: Final = Citation(
    "Palladini 2014",
    "A staging system for renal outcome and early markers of renal response to chemotherapy in AL "
    "amyloidosis. Blood 2014;124(15):2325-2332",
)
PALLADINI_MILANI_MERLINI_2020: Final = Citation(
    "Palladini, Milani, Merlini 2020",
    "Management of AL amyloidosis in 2020. Blood 2020;136(23):2620-2627 (Table 4)",
)
DISPENZIERI_2004: Final = Citation(
    "Dispenzieri 2004",
    "Serum cardiac troponins and N-terminal pro-brain natriuretic peptide: a staging system for "
    "primary systemic amyloidosis. J Clin Oncol 2004;22(18):3751-3757",
    pmid="15365071",
)
DISPENZIERI_2014: Final = Citation(
    "Dispenzieri 2014",
    "High-sensitivity cardiac troponin T in AL amyloidosis staging. Heart 2014;100(5):383-388",
)
KRISTEN_2010: Final = Citation(
    "Kristen 2010",
    "High-sensitive troponin T as a prognostic marker in AL amyloidosis. Blood 2010;116(14):2455-2461",
)
WECHALEKAR_2013: Final = Citation(
    "Wechalekar 2013",
    "A European collaborative study of treatment outcomes in 346 patients with cardiac stage III AL "
    "amyloidosis. Blood 2013;121(17):3420-3427",
    doi="10.1182/blood-2012-12-473066",
)
KUMAR_2012: Final = Citation(
    "Kumar 2012",
    "Revised prognostic staging system for light chain amyloidosis incorporating cardiac "
    "biomarkers and serum free light chain measurements. J Clin Oncol 2012;30(9):989-995",
    doi="10.1200/JCO.2011.38.5724",
    pmid="22331953",
)
LILLENESS_2019: Final = Citation(
    "Lilleness 2019",
    "Development and validation of a survival staging system incorporating BNP in patients with "
    "light chain amyloidosis. Blood 2019;133(3):215-223",
)
KATZMANN_2002: Final = Citation(
    "Katzmann 2002",
    "Serum reference intervals and diagnostic ranges for free kappa and free lambda immunoglobulin "
    "light chains. Clin Chem 2002;48(9):1437-1444",
)
JACC_CARDIOONC_2024: Final = Citation(
    "JACC CardioOncol 2024",
    "Cardiac troponins in AL amyloidosis (review, Table 4). JACC CardioOncol 2024;6(1):1-15",
    doi="10.1016/j.jaccao.2023.12.006",
)
