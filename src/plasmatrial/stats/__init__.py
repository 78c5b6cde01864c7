"""Survival and inference statistics: numpy arrays in, frozen typed results out, no I/O.

Estimators are imported on first use (``plasmatrial.stats.kaplan_meier``), so importing the
package loads nothing; every result has a short ``repr``, ``summary()``, ``to_frame()`` and
``to_dict()`` (:mod:`plasmatrial._results`).
"""

from typing import TYPE_CHECKING

from plasmatrial._lazy import lazy_exports

if TYPE_CHECKING:
    from plasmatrial.stats.binomial import BinomialCIResult, binomial_ci
    from plasmatrial.stats.cif import CumulativeIncidenceResult, cumulative_incidence, gray_test
    from plasmatrial.stats.cox import CoxResult, cox_ph
    from plasmatrial.stats.cox_batched import BatchedCoxResult, cox_ph_batched_two_arm
    from plasmatrial.stats.km import (
        KaplanMeierByResult,
        KaplanMeierResult,
        kaplan_meier,
        kaplan_meier_by,
    )
    from plasmatrial.stats.landmark import LandmarkResult, landmark_analysis, to_counting_process
    from plasmatrial.stats.logrank import (
        LogRankBatchResult,
        LogRankResult,
        logrank_test,
        logrank_test_batched,
    )
    from plasmatrial.stats.rmst import RMSTDifferenceResult, RMSTResult, rmst, rmst_difference
    from plasmatrial.stats.rpsft import RpsftResult, rpsft

_EXPORTS = {
    "BinomialCIResult": "plasmatrial.stats.binomial",
    "binomial_ci": "plasmatrial.stats.binomial",
    "CumulativeIncidenceResult": "plasmatrial.stats.cif",
    "cumulative_incidence": "plasmatrial.stats.cif",
    "gray_test": "plasmatrial.stats.cif",
    "CoxResult": "plasmatrial.stats.cox",
    "cox_ph": "plasmatrial.stats.cox",
    "BatchedCoxResult": "plasmatrial.stats.cox_batched",
    "cox_ph_batched_two_arm": "plasmatrial.stats.cox_batched",
    "KaplanMeierByResult": "plasmatrial.stats.km",
    "KaplanMeierResult": "plasmatrial.stats.km",
    "kaplan_meier": "plasmatrial.stats.km",
    "kaplan_meier_by": "plasmatrial.stats.km",
    "LandmarkResult": "plasmatrial.stats.landmark",
    "landmark_analysis": "plasmatrial.stats.landmark",
    "to_counting_process": "plasmatrial.stats.landmark",
    "LogRankBatchResult": "plasmatrial.stats.logrank",
    "LogRankResult": "plasmatrial.stats.logrank",
    "logrank_test": "plasmatrial.stats.logrank",
    "logrank_test_batched": "plasmatrial.stats.logrank",
    "RMSTDifferenceResult": "plasmatrial.stats.rmst",
    "RMSTResult": "plasmatrial.stats.rmst",
    "rmst": "plasmatrial.stats.rmst",
    "rmst_difference": "plasmatrial.stats.rmst",
    "RpsftResult": "plasmatrial.stats.rpsft",
    "rpsft": "plasmatrial.stats.rpsft",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "BatchedCoxResult",
    "BinomialCIResult",
    "CoxResult",
    "CumulativeIncidenceResult",
    "KaplanMeierByResult",
    "KaplanMeierResult",
    "LandmarkResult",
    "LogRankBatchResult",
    "LogRankResult",
    "RMSTDifferenceResult",
    "RMSTResult",
    "RpsftResult",
    "binomial_ci",
    "cox_ph",
    "cox_ph_batched_two_arm",
    "cumulative_incidence",
    "gray_test",
    "kaplan_meier",
    "kaplan_meier_by",
    "landmark_analysis",
    "logrank_test",
    "logrank_test_batched",
    "rmst",
    "rmst_difference",
    "rpsft",
    "to_counting_process",
]
