"""What an analysis job computes and writes (decision 1001); run inside the worker process.

The trial analysis is the public API's (:func:`plasmatrial.api.read_trial_data`,
:func:`plasmatrial.api.run_trial`) with the reviewers' latest decisions passed as
``adjudications`` (the pipeline applies them, decision 1002); this module only gathers the
decisions and writes the outputs: the HTML (and PDF) report, ``results.json``, every ADaM dataset
as CSV and Dataset-JSON, and ``adjudicated.csv`` (the adjudicated calls, per-visit and
subject-level best responses, with the subject's best response).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plasmatrial._results import jsonable
from plasmatrial.intake.io import write_frame, write_text
from plasmatrial.report.html import html_to_pdf, render_html
from plasmatrial.report.trial_report import build_trial_report
from plasmatrial.trial import TrialResults, adam_dataset_json
from plasmatrial.trial.adjudications import BEST_PARAMCD
from plasmatrial.trial.files import sha256
from plasmatrial.web.models import Decision, ResponseCall, User

ADJUDICATED_FILE: Final = "adjudicated.csv"
ADJUDICATED_COLUMNS: Final[tuple[str, ...]] = (
    "USUBJID", "PARAMCD", "VISIT", "ADT", "COMPAVALC", "AVALC", "SRCTYPE", "RULEID", "ADJREAS",
    "ADJBY", "ADJDTC", "BESTRSP",
)  # fmt: skip
ADJ_SCHEMA: Final = {
    "USUBJID": pl.String, "ADT": pl.String, "PARAMCD": pl.String, "AVALC": pl.String,
    "ADJREAS": pl.String, "ADJBY": pl.String, "ADJDTC": pl.String,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file an analysis wrote (its name relative to the job folder)."""

    name: str
    bytes: int
    sha256: str


def adjudications(session: Session, run_id: int, until: dt.datetime) -> pl.DataFrame:
    """The latest decision recorded up to ``until`` on each response call of a run, as the
    pipeline's ``adjudications`` frame (``USUBJID, ADT, PARAMCD, AVALC, ADJREAS, ADJBY,
    ADJDTC``). Accepted calls are included: their category is the computed one, only their
    source becomes ``ADJUDICATED``. Subject-level best-response items (``PARAMCD = "BOR"``,
    decision 1007) are included as ``BOR`` rows: the pipeline applies them to the subject's best
    overall response (decision 1011)."""
    rows = session.execute(
        select(ResponseCall, Decision, User.username)
        .join(Decision, Decision.call_id == ResponseCall.id)
        .join(User, User.id == Decision.reviewer_id)
        .where(
            ResponseCall.run_id == run_id,
            or_(ResponseCall.is_response.is_(True), ResponseCall.paramcd == BEST_PARAMCD),
            Decision.created_at <= until,
        )
        .order_by(ResponseCall.id, Decision.seq)
    ).all()
    latest: dict[int, dict[str, object]] = {}
    for call, decision, username in rows:  # ordered by seq: the last one wins
        latest[call.id] = {
            "USUBJID": call.usubjid, "ADT": call.adt, "PARAMCD": call.paramcd,
            "AVALC": decision.category,
            "ADJREAS": decision.reason or ("accepted" if decision.action == "accept" else None),
            "ADJBY": username, "ADJDTC": decision.created_at.isoformat(timespec="seconds"),
        }  # fmt: skip
    return pl.DataFrame(list(latest.values()), schema=ADJ_SCHEMA)



def adjudicated_rows(res: TrialResults) -> pl.DataFrame:
    """ADRS rows whose category came from a reviewer, with the subject's best response."""
    adrs = res.datasets["ADRS"]
    if "SRCTYPE" not in adrs.columns:
        return pl.DataFrame(schema=dict.fromkeys(ADJUDICATED_COLUMNS, pl.String))
    best = res.adsl.select("USUBJID", "BESTRSP")
    return (
        adrs.filter(pl.col("SRCTYPE") == "ADJUDICATED")
        .join(best, on="USUBJID", how="left")
        .select(*[pl.col(c).cast(pl.String) for c in ADJUDICATED_COLUMNS])
        .sort("USUBJID", "ADT")
    )


def write_analysis(
    res: TrialResults, folder: Path, *, pdf: bool = False, extra: dict[str, str] | None = None
) -> list[OutputFile]:
    """Write the report, ``results.json``, the ADaM datasets and ``adjudicated.csv`` into
    ``folder`` (which must exist); every file is written atomically."""
    adam = folder / "adam"
    adam.mkdir(exist_ok=True)
    written: list[Path] = []
    doc = build_trial_report(res, extra_provenance=extra)
    html = write_text(folder / "report.html", render_html(doc))
    written.append(html)
    if pdf:
        html_to_pdf(html, folder / "report.pdf")
        written.append(folder / "report.pdf")
    payload = jsonable(res.to_dict())
    if extra:
        payload["provenance"].update(extra)
    written.append(
        write_text(folder / "results.json", json.dumps(payload, indent=1, allow_nan=False))
    )
    for name, frame in res.datasets.items():
        written.append(write_frame(frame, adam / f"{name.lower()}.csv"))
        doc_json = adam_dataset_json(frame, name=name, study_oid=res.trial.id)
        written.append(
            write_text(adam / f"{name.lower()}.json", json.dumps(doc_json, allow_nan=False))
        )
    written.append(write_frame(adjudicated_rows(res), folder / ADJUDICATED_FILE))
    return [
        OutputFile(str(p.relative_to(folder)), p.stat().st_size, sha256(p)) for p in written
    ]
