"""Subject-level calls: each subject's best overall response beside the per-visit calls
(decision 1007).

A subject's computed best response (``respond``'s ``BESTRSP``) is stored as one more call
(``PARAMCD`` :data:`SUBJECT_PARAM`, ``ADT`` the date it was reached, ``VISIT`` empty), so the
queue, the decision (accept, or a signed override with a reason), the conflict check, the audit
trail and the ADRS export treat it exactly as a visit's call. It is queued when it disagrees with
the investigator's best response or is not evaluable. Nothing here decides a response: the
investigator's best is RS ``BESTRSP`` when given, else ``api.subject_summary`` on the
investigator's per-visit calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from plasmatrial import api
from plasmatrial.criteria.core.scale import ResponseSpec
from plasmatrial.criteria.mm.concordance import normalise_response_expr
from plasmatrial.intake import SdtmBundle
from plasmatrial.intake.dates import as_date

#: RS test codes: the investigator's overall response per visit, and best overall response.
RS_TEST_CODE: Final = "OVRLRESP"
RS_BEST_CODE: Final = "BESTRSP"
#: PARAMCD of a subject-level call: the best overall response (ADaM BOR).
SUBJECT_PARAM: Final = "BOR"


def investigator_best(
    rs: pl.DataFrame, bundle: SdtmBundle, spec: ResponseSpec, cm: pl.DataFrame | None
) -> dict[str, str | None]:
    """Subject -> the investigator's best overall response: RS ``BESTRSP`` where RS has it for
    the subject, else the derivation of the computed best (``api.subject_summary``: same time origin, scale,
    confirmation and new-therapy cut) applied to the investigator's per-visit ``OVRLRESP``."""
    result = next((c for c in ("RSSTRESC", "RSORRES") if c in rs.columns), None)
    if result is None or not {"USUBJID", "RSTESTCD", "RSDTC"} <= set(rs.columns):
        return {}
    code = pl.col("RSTESTCD").cast(pl.String).str.to_uppercase()
    out: dict[str, str | None] = {}
    per_visit = rs.filter(code == RS_TEST_CODE)
    if per_visit.height:
        visits = per_visit.select(
            pl.col("USUBJID").cast(pl.String),
            as_date(per_visit, "RSDTC").alias("ADT"),
            normalise_response_expr(pl.col(result)).alias("AVALC"),
            pl.lit(spec.parameter).alias("PARAMCD"),
        ).drop_nulls(["ADT", "AVALC"])
        summary = api.subject_summary(visits, bundle.dm, bundle.ex, response=spec, cm=cm)
        with_calls = set(visits.get_column("USUBJID").to_list())
        out = {
            str(u): b
            for u, b in summary.select(pl.col("USUBJID").cast(pl.String), "BESTRSP").iter_rows()
            if u in with_calls
        }
    given = rs.filter(code == RS_BEST_CODE).select(
        pl.col("USUBJID").cast(pl.String), normalise_response_expr(pl.col(result))
    )
    out.update({str(u): v for u, v in given.unique("USUBJID", keep="last").iter_rows()})
    return out


def subject_rows(
    subjects: pl.DataFrame, investigator: Mapping[str, str | None], res: api.ResponseResult,
    not_evaluable: str, *, has_rs: bool,
) -> list[dict[str, object]]:
    """One subject-level call per subject: the computed best overall response, queued when it
    disagrees with the investigator's best or is not evaluable (decision 1007)."""
    rows: list[dict[str, object]] = []
    for r in subjects.iter_rows(named=True):
        usubjid, best = str(r["USUBJID"]), r.get("BESTRSP")
        inv = investigator.get(usubjid)
        reasons = []
        if has_rs and inv is not None and best is not None and inv != best:
            reasons.append("discordant")
        if best is None or best == not_evaluable:
            reasons.append("not_evaluable")
        rows.append(
            {
                "usubjid": usubjid, "visit": None, "visitnum": None,
                "adt": None if r.get("BESTRSDT") is None else str(r["BESTRSDT"]),
                "paramcd": SUBJECT_PARAM, "avalc": best, "ruleid": None,
                "ruleset": res.rule_set, "rulesetver": res.version,
                "explain": r.get("BESTEXPL"), "inputs": None, "at_boundary": None,
                "is_response": False, "investigator": inv,
                "queue_reason": ",".join(reasons) or None,
            }
        )
    return rows
