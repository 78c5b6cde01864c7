"""Read, validate and standardise SDTM-like input (DM, LB, EX) into the wide assessment frame.

Public API: :func:`read_domain`, :func:`standardize_lb`, :func:`build_assessments`,
:func:`load_sdtm` / :class:`SdtmBundle`, :func:`write_frame`, :func:`egfr_ckd_epi`, and the
analyte catalogue in :mod:`plasmatrial.intake.analytes`. See ``docs/intake.md``.
"""

from plasmatrial.intake.assessments import WIDE_SCHEMA, build_assessments, first_dose_dates
from plasmatrial.intake.bundle import SdtmBundle, check_frames, load_sdtm
from plasmatrial.intake.egfr import egfr_ckd_epi
from plasmatrial.intake.io import write_frame
from plasmatrial.intake.readers import read_domain
from plasmatrial.intake.standardize import STANDARD_SCHEMA, derive_egfr, standardize_lb
from plasmatrial.intake.validate import (
    dm_problems,
    ex_problems,
    lb_problems,
    validate_dm,
    validate_ex,
    validate_lb,
)

__all__ = [
    "STANDARD_SCHEMA",
    "WIDE_SCHEMA",
    "SdtmBundle",
    "build_assessments",
    "check_frames",
    "derive_egfr",
    "dm_problems",
    "egfr_ckd_epi",
    "ex_problems",
    "first_dose_dates",
    "lb_problems",
    "load_sdtm",
    "read_domain",
    "standardize_lb",
    "validate_dm",
    "validate_ex",
    "validate_lb",
    "write_frame",
]
