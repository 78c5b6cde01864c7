"""ADaM-like endpoint derivations on polars frames: ADSL, ADAE, ADEX, EQ-5D-5L and
time-to-event parameters from event and censoring sources (admiral style).

Functions are imported on first use (``plasmatrial.endpoints.derive_param_tte``).
"""

from typing import TYPE_CHECKING

from plasmatrial._lazy import lazy_exports

if TYPE_CHECKING:
    from plasmatrial.endpoints.adsl import derive_adsl, derive_var_evaluable
    from plasmatrial.endpoints.adverse_events import ae_overview, ae_summary_by_grade, derive_adae
    from plasmatrial.endpoints.eq5d import derive_param_eq5d, eq5d5l_index, get_value_set
    from plasmatrial.endpoints.exposure import derive_adex, summarise_exposure
    from plasmatrial.endpoints.tte import (
        censor_source,
        derive_param_dor,
        derive_param_pfs,
        derive_param_tte,
        derive_param_ttnt,
        derive_param_ttr,
        event_source,
    )

_EXPORTS = {
    "derive_adsl": "plasmatrial.endpoints.adsl",
    "derive_var_evaluable": "plasmatrial.endpoints.adsl",
    "ae_overview": "plasmatrial.endpoints.adverse_events",
    "ae_summary_by_grade": "plasmatrial.endpoints.adverse_events",
    "derive_adae": "plasmatrial.endpoints.adverse_events",
    "derive_param_eq5d": "plasmatrial.endpoints.eq5d",
    "eq5d5l_index": "plasmatrial.endpoints.eq5d",
    "get_value_set": "plasmatrial.endpoints.eq5d",
    "derive_adex": "plasmatrial.endpoints.exposure",
    "summarise_exposure": "plasmatrial.endpoints.exposure",
    "censor_source": "plasmatrial.endpoints.tte",
    "derive_param_dor": "plasmatrial.endpoints.tte",
    "derive_param_pfs": "plasmatrial.endpoints.tte",
    "derive_param_tte": "plasmatrial.endpoints.tte",
    "derive_param_ttnt": "plasmatrial.endpoints.tte",
    "derive_param_ttr": "plasmatrial.endpoints.tte",
    "event_source": "plasmatrial.endpoints.tte",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "ae_overview",
    "ae_summary_by_grade",
    "censor_source",
    "derive_adae",
    "derive_adex",
    "derive_adsl",
    "derive_param_dor",
    "derive_param_eq5d",
    "derive_param_pfs",
    "derive_param_tte",
    "derive_param_ttnt",
    "derive_param_ttr",
    "derive_var_evaluable",
    "eq5d5l_index",
    "event_source",
    "get_value_set",
    "summarise_exposure",
]
