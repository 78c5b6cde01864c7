"""Citations for the published criteria encoded in :mod:`plasmatrial.criteria`: the one citation
type and one constant per source, used by every rule family (decision 0270).

Each rule row cites one source with a locator (table, row, clause) so that a reader holding the
paper can check the rule without reading the engine. Where the project had to rule on an ambiguity,
the locator names the decision record in the repository (under ``docs/decisions/``).
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
    url:
        Where to read it when it has neither (e.g. the NCI CTCAE page), else ``None``.
    """

    key: str
    title: str
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None

    def at(self, locator: str) -> CitedAt:
        """Return this citation with a locator (table, row, clause)."""
        return CitedAt(self, locator)

    def __str__(self) -> str:
        ident = (
            f"doi:{self.doi}"
            if self.doi
            else (f"PMID {self.pmid}" if self.pmid else (self.url or ""))
        )
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

KASTRITIS_2021: Final = Citation(
    "Kastritis 2021",
    "Daratumumab-based treatment for immunoglobulin light-chain amyloidosis (ANDROMEDA). "
    "N Engl J Med 2021;385(1):46-58",
    doi="10.1056/NEJMoa2028631",
)
KUMAR_2016: Final = Citation(
    "Kumar 2016",
    "International Myeloma Working Group consensus criteria for response and minimal residual "
    "disease assessment in multiple myeloma. Lancet Oncol 2016;17(8):e328-e346",
    doi="10.1016/S1470-2045(16)30206-6",
    pmid="27511158",
)
DURIE_2006: Final = Citation(
    "Durie 2006",
    "International uniform response criteria for multiple myeloma. Leukemia 2006;20(9):1467-1473",
    doi="10.1038/sj.leu.2404284",
)
RAJKUMAR_2011: Final = Citation(
    "Rajkumar 2011",
    "Consensus recommendations for the uniform reporting of clinical trials: report of the "
    "International Myeloma Workshop Consensus Panel 1. Blood 2011;117(18):4691-4695",
    doi="10.1182/blood-2010-10-299487",
)
GREIPP_2005: Final = Citation(
    "Greipp 2005",
    "International staging system for multiple myeloma. J Clin Oncol 2005;23(15):3412-3420",
    doi="10.1200/JCO.2005.04.242",
)
PALUMBO_2015: Final = Citation(
    "Palumbo 2015",
    "Revised International Staging System for multiple myeloma: a report from International "
    "Myeloma Working Group. J Clin Oncol 2015;33(26):2863-2869",
    doi="10.1200/JCO.2015.61.2267",
)
DAGOSTINO_2022: Final = Citation(
    "D'Agostino 2022",
    "Second revision of the International Staging System (R2-ISS) for overall survival in multiple "
    "myeloma: a European Myeloma Network (EMN) report within the HARMONY project. "
    "J Clin Oncol 2022;40(29):3406-3418",
    doi="10.1200/JCO.21.02614",
)
SAN_MIGUEL_2013: Final = Citation(
    "San Miguel 2013",
    "Pomalidomide plus low-dose dexamethasone versus high-dose dexamethasone alone for patients "
    "with relapsed and refractory multiple myeloma (MM-003). Lancet Oncol 2013;14(11):1055-1066",
    pmid="24007748",
)
IFM_2009_02: Final = Citation(
    "IFM 2009-02",
    "Pomalidomide and dexamethasone in relapsed and refractory myeloma (IFM 2009-02), "
    "ClinicalTrials.gov NCT01745640, study description",
    url="https://clinicaltrials.gov/study/NCT01745640",
)
CTCAE_V5: Final = Citation(
    "CTCAE v5.0",
    "Common Terminology Criteria for Adverse Events (CTCAE) Version 5.0. U.S. DHHS, NIH, "
    "National Cancer Institute, 27 Nov 2017",
    url="https://ctep.cancer.gov/protocoldevelopment/electronic_applications/ctc.htm",
)
CTCAE_V6: Final = Citation(
    "CTCAE v6.0",
    "Common Terminology Criteria for Adverse Events (CTCAE) Version 6.0. NCI; thresholds as "
    "transcribed in pharmaverse/admiral data-raw/adlb_grading/ncictcaev6.json (commit 6eb5125); "
    "publication date not verified here",
    url="https://github.com/pharmaverse/admiral",
)
