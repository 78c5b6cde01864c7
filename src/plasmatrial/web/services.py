"""What the pages do: accounts, studies, uploads, response runs (decision 1000).

Every change writes its audit row in the same transaction. The clinical work is the public API's
(:func:`plasmatrial.api.read_sdtm`, :func:`plasmatrial.api.respond`) and the criteria package's;
nothing here decides a response.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from plasmatrial import api
from plasmatrial.criteria import get_rule_set
from plasmatrial.criteria.mm.concordance import concordance
from plasmatrial.errors import IntakeError, PlasmatrialError
from plasmatrial.intake.io import read_table
from plasmatrial.trial.files import sha256
from plasmatrial.web import audit
from plasmatrial.web.db import transaction
from plasmatrial.web.forms import as_disease
from plasmatrial.web.models import (
    ROLES,
    DataVersion,
    Marker,
    Membership,
    ResponseCall,
    ResponseRun,
    Study,
    SubjectSummary,
    User,
)
from plasmatrial.web.security import hash_password, is_locked, register_failure, verify_password
from plasmatrial.web.subject_calls import RS_TEST_CODE, investigator_best, subject_rows

#: Upload fields: domain -> required? DM, LB and EX are read by ``api.read_sdtm``; the others
#: are the optional domains of the trial reader (``api.read_trial_data``), checked as it checks
#: them (decision 1006).
DOMAINS: Final[dict[str, bool]] = {
    "DM": True, "LB": True, "EX": False, "RS": False,
    "AE": False, "DS": False, "QS": False, "PR": False, "CM": False,
}
#: What each upload field holds (the upload form's labels).
DOMAIN_LABELS: Final[dict[str, str]] = {
    "DM": "demographics (required)", "LB": "laboratory (required)", "EX": "exposure",
    "RS": "investigator's response", "AE": "adverse events", "DS": "disposition",
    "QS": "questionnaires", "PR": "prior therapy", "CM": "subsequent therapy",
}
SUFFIXES: Final[tuple[str, ...]] = (".csv", ".parquet", ".xpt")
#: The trial reader reads the optional domains as plain tables: CSV or Parquet, no XPT.
TABLE_SUFFIXES: Final[tuple[str, ...]] = (".csv", ".parquet")
#: Domains read by api.read_sdtm (any of SUFFIXES).
SDTM_DOMAINS: Final[frozenset[str]] = frozenset({"DM", "LB", "EX"})
#: Markers drawn on the patient timeline, per disease (wide assessment columns; display only).
MARKERS: Final[dict[str, tuple[str, ...]]] = {
    "al": ("FLCKAP", "FLCLAM", "NTPROBNP", "PROT24H", "EGFR"),
    "mm": ("SPEPMP", "UPEPMP", "FLCKAP", "FLCLAM"),
}


class WebError(PlasmatrialError):
    """A refused request: its message is shown to the user."""


class ConflictError(WebError):
    """Someone else changed the object first (e.g. two reviewers deciding one visit)."""


@dataclass(frozen=True, slots=True)
class ProblemRow:
    """One validation problem as the upload page shows it."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    """An accepted upload's version (``created`` False when the same files were there) or the
    problems that refused it."""

    version: DataVersion | None
    problems: tuple[ProblemRow, ...]
    created: bool = False


# -- accounts ---------------------------------------------------------------------------------


def create_user(
    session: Session, actor: User | None, username: str, password: str, *, is_admin: bool = False
) -> User:
    """A new account (audited; the password hash is never written to the audit trail)."""
    username = username.strip()
    if not username or len(username) > 80:
        raise WebError("a username needs 1 to 80 characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise WebError(f"user {username!r} exists")
    try:
        user = User(username=username, password_hash=hash_password(password), is_admin=is_admin)
    except ValueError as exc:
        raise WebError(str(exc)) from exc
    session.add(user)
    session.flush()
    audit.record(
        session,
        user=actor,
        username=username if actor is None else None,
        action="create",
        entity="user",
        entity_id=user.id,
        new={"username": username, "is_admin": is_admin},
    )
    return user


def ensure_admin(factory: sessionmaker[Session], username: str, password: str) -> bool:
    """Create admin ``username`` unless that account exists; True when created."""
    with factory.begin() as session:
        if session.scalar(select(User).where(User.username == username)) is not None:
            return False
        create_user(session, None, username, password, is_admin=True)
        return True


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user when the password matches and the account is active and not locked; every
    attempt is audited (``login`` / ``failed_login``)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or is_locked(user):
        why = "unknown user" if user is None else "locked or inactive"
        audit.record(
            session, user=None, username=username[:80], action="failed_login",
            entity="user", reason=why,
        )
        return None
    if not verify_password(user.password_hash, password):
        register_failure(user)
        audit.record(
            session, user=user, action="failed_login", entity="user", entity_id=user.id,
            reason="wrong password" + (" (account locked)" if is_locked(user) else ""),
        )
        return None
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, user=user, action="login", entity="user", entity_id=user.id)
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Replace the user's password after checking the current one (audited, no hashes logged)."""
    if not verify_password(user.password_hash, current):
        raise WebError("the current password does not match")
    try:
        user.password_hash = hash_password(new)
    except ValueError as exc:
        raise WebError(str(exc)) from exc
    audit.record(session, user=user, action="change_password", entity="user", entity_id=user.id)


def role_in(session: Session, user: User, study_id: int) -> str | None:
    """The user's role in the study (None: not a member)."""
    return session.scalar(
        select(Membership.role).where(
            Membership.study_id == study_id, Membership.user_id == user.id
        )
    )


def add_member(session: Session, actor: User, study: Study, username: str, role: str) -> Membership:
    """Give ``username`` a role in ``study`` (replacing an earlier role; audited)."""
    if role not in ROLES:
        raise WebError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise WebError(f"no user {username!r}")
    member = session.scalar(
        select(Membership).where(Membership.study_id == study.id, Membership.user_id == user.id)
    )
    old = None if member is None else member.role
    if member is None:
        member = Membership(study_id=study.id, user_id=user.id, role=role)
        session.add(member)
    else:
        member.role = role
    session.flush()
    audit.record(
        session, user=actor, action="set_role", entity="membership", entity_id=member.id,
        study_id=study.id, old=old, new={"user": user.username, "role": role},
    )
    return member


# -- studies ----------------------------------------------------------------------------------


def seed_trials() -> dict[str, Path]:
    """The seed trial files offered when creating a study (installed package or checkout)."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "_examples" / "trials", package.parents[1] / "examples" / "trials"):
        if folder.is_dir():
            return {p.name: p for p in sorted(folder.glob("*.yaml"))}
    return {}


def create_study(session: Session, actor: User, name: str, trial_file: str) -> Study:
    """A study from a seed trial file (its disease and response rule set come from the file)."""
    trials = seed_trials()
    if trial_file not in trials:
        raise WebError(f"unknown trial file {trial_file!r}; choose one of {', '.join(trials)}")
    name = name.strip()
    if not name or len(name) > 120:
        raise WebError("a study name needs 1 to 120 characters")
    if session.scalar(select(Study).where(Study.name == name)) is not None:
        raise WebError(f"a study named {name!r} exists")
    path = trials[trial_file]
    trial = api.read_trial(path)
    study = Study(
        name=name,
        trial_id=trial.id,
        trial_file=trial_file,
        trial_yaml=path.read_text(encoding="utf-8"),
        disease=trial.disease.lower(),
        rule_set=trial.criteria.response,
        created_by=actor.id,
    )
    session.add(study)
    session.flush()
    audit.record(
        session, user=actor, action="create", entity="study", entity_id=study.id,
        study_id=study.id, new={"name": name, "trial": trial.id, "file": trial_file},
    )
    return study


# -- uploads ----------------------------------------------------------------------------------



def _problem_row(d: Mapping[str, object], names: Mapping[str, str]) -> ProblemRow:
    """An intake problem (``Problem.as_dict``) with the user's file name."""
    file = str(d["file"])
    return ProblemRow(
        names.get(file, Path(file).name),
        None if d["row"] is None else int(str(d["row"])),
        None if d["column"] is None else str(d["column"]),
        None if d["value"] is None else str(d["value"]),
        None if d["expected"] is None else str(d["expected"]),
        None if d["reason"] is None else str(d["reason"]),
    )


def validate_upload(staged: Mapping[str, tuple[str, Path]]) -> tuple[ProblemRow, ...]:
    """Every problem of the staged files: DM/LB/EX by ``api.read_sdtm``; RS, AE, DS, QS, PR, CM
    by the checks the trial reader applies to them (required columns, ISO dates in the study
    window, CTCAE grades 1-5), so an accepted version folder reads with ``api.read_trial_data``."""
    from plasmatrial.intake.optional import optional_domain_problems
    from plasmatrial.trial.inputs import OPTIONAL_DOMAINS

    names = {str(path): original for original, path in staged.values()}
    missing = [d for d, required in DOMAINS.items() if required and d not in staged]
    if missing:
        return tuple(
            ProblemRow(d, None, None, None, f"a {d} file", "missing_file") for d in missing
        )
    problems: list[ProblemRow] = []
    try:
        api.read_sdtm(
            staged["DM"][1], staged["LB"][1], staged["EX"][1] if "EX" in staged else None
        )
    except IntakeError as exc:
        problems += [_problem_row(p.as_dict(), names) for p in exc.problems]
    except PlasmatrialError as exc:
        problems.append(ProblemRow("(all files)", None, None, None, None, str(exc)))
    for domain, (original, path) in staged.items():
        if domain in SDTM_DOMAINS:
            continue
        try:
            frame = read_table(path)
        except IntakeError as exc:
            problems += [_problem_row(p.as_dict(), names) for p in exc.problems]
            continue
        except (PlasmatrialError, OSError, ValueError) as exc:
            reason = str(exc).replace(str(path), original)
            problems.append(ProblemRow(original, None, None, None, "a readable table", reason))
            continue
        found = optional_domain_problems(original, frame, OPTIONAL_DOMAINS[domain.lower()])
        problems += [_problem_row(p.as_dict(), names) for p in found]
    return tuple(problems)


def accept_upload(
    factory: sessionmaker[Session],
    data_dir: Path,
    study_id: int,
    actor: User,
    staged: Mapping[str, tuple[str, Path]],
    staging_dir: Path,
) -> UploadOutcome:
    """Validate staged files; when clean, move them to their immutable hashed folder and record
    the data version (an upload of the same files returns the existing version)."""
    problems = validate_upload(staged)
    if problems:
        with factory.begin() as session:
            audit.record(
                session, user=actor, action="reject_upload", entity="data_version",
                study_id=study_id, new={"problems": len(problems)},
            )
        return UploadOutcome(None, problems)
    files = {
        d: {"name": original, "sha256": sha256(p), "bytes": p.stat().st_size,
            "stored": p.name}
        for d, (original, p) in sorted(staged.items())
    }
    digest = hashlib.sha256(
        "\n".join(f"{d}:{f['sha256']}" for d, f in files.items()).encode()
    ).hexdigest()
    final = data_dir / "studies" / str(study_id) / digest
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        shutil.rmtree(staging_dir, ignore_errors=True)
    else:
        for p in staging_dir.iterdir():
            p.chmod(0o444)
        staging_dir.replace(final)  # atomic: the folder is whole or absent
    n_subjects = read_table(final / str(files["DM"]["stored"])).get_column("USUBJID").n_unique()
    with transaction(factory) as session:
        existing = session.scalar(
            select(DataVersion).where(
                DataVersion.study_id == study_id, DataVersion.sha256 == digest
            )
        )
        if existing is not None:
            return UploadOutcome(existing, ())
        number = (
            session.scalar(
                select(func.max(DataVersion.number)).where(DataVersion.study_id == study_id)
            )
            or 0
        ) + 1
        version = DataVersion(
            study_id=study_id, number=number, sha256=digest, folder=str(final),
            files=json.dumps(files), n_subjects=n_subjects, created_by=actor.id,
        )
        session.add(version)
        try:
            session.flush()
        except IntegrityError as exc:
            raise ConflictError("another upload created this version first; reload") from exc
        audit.record(
            session, user=actor, action="create", entity="data_version", entity_id=version.id,
            study_id=study_id, new={"number": number, "sha256": digest, "files": files},
        )
    return UploadOutcome(version, (), created=True)


# -- responses --------------------------------------------------------------------------------


def _stored(version: DataVersion, domain: str) -> Path | None:
    files = json.loads(version.files)
    return None if domain not in files else Path(version.folder) / files[domain]["stored"]


def _investigator(
    calls: pl.DataFrame, rs_path: Path | None
) -> dict[tuple[str, str], tuple[str | None, bool]]:
    """(subject, date) -> (investigator's category, discordant) from the RS domain."""
    if rs_path is None or calls.height == 0:
        return {}
    res = concordance(calls, read_table(rs_path), test_code=RS_TEST_CODE)
    out: dict[tuple[str, str], tuple[str | None, bool]] = {}
    seen = {
        (r["USUBJID"], str(r["ADT"])): r for r in res.discordant.iter_rows(named=True)
    }
    for row in calls.iter_rows(named=True):
        key = (str(row["USUBJID"]), str(row["ADT"]))
        d = seen.get(key)
        if d is None:
            out[key] = (row["AVALC"], False)  # agrees
        elif d["STATUS"] == "DISAGREE":
            out[key] = (d["INVESTIGATOR"], True)
        else:
            out[key] = (None, False)
    return out


def _queue_reason(avalc: str | None, at_boundary: bool | None, discordant: bool, ne: str) -> str:
    reasons = []
    if discordant:
        reasons.append("discordant")
    if at_boundary:
        reasons.append("at_boundary")
    if avalc is None or avalc == ne:
        reasons.append("not_evaluable")
    return ",".join(reasons)


def compute_responses(
    factory: sessionmaker[Session], study: Study, version: DataVersion, actor: User
) -> ResponseRun:
    """Respond on a data version and store every call in one transaction (all or nothing): one
    per subject-visit and parameter, and one per subject (best overall response, ``BOR``). CM,
    when uploaded, ends the assessments that count for best response (as in the trial run)."""
    dm, lb, ex, cm_path = (_stored(version, d) for d in ("DM", "LB", "EX", "CM"))
    assert dm is not None and lb is not None
    bundle = api.read_sdtm(dm, lb, ex)
    cm = None if cm_path is None else read_table(cm_path)
    res = api.respond(bundle, study.rule_set, disease=as_disease(study.disease), cm=cm)
    spec = get_rule_set(res.rule_set).response_spec()
    scale = spec.scale
    categories = [*scale.ranking, scale.progression, scale.not_evaluable]
    visits = res.visits
    if "PARAMCD" not in visits.columns:
        visits = visits.with_columns(pl.lit(spec.parameter).alias("PARAMCD"))
    main = visits.filter(pl.col("PARAMCD") == spec.parameter)
    inv = _investigator(main.select("USUBJID", "ADT", "AVALC", *(
        ["EXPLAIN"] if "EXPLAIN" in main.columns else [])), _stored(version, "RS"))
    rows = []
    for r in visits.iter_rows(named=True):
        is_resp = r["PARAMCD"] == spec.parameter
        adt = None if r.get("ADT") is None else str(r["ADT"])
        investigator, discordant = inv.get((str(r["USUBJID"]), str(adt)), (None, False))
        rows.append(
            {
                "usubjid": str(r["USUBJID"]),
                "visit": r.get("VISIT"),
                "visitnum": r.get("VISITNUM"),
                "adt": adt,
                "paramcd": str(r["PARAMCD"]),
                "avalc": r.get("AVALC"),
                "ruleid": r.get("RULEID"),
                "ruleset": r.get("RULESET") or res.rule_set,
                "rulesetver": r.get("RULESETVER") or res.version,
                "explain": r.get("EXPLAIN"),
                "inputs": None if r.get("INPUTS") is None else str(r["INPUTS"]),
                "at_boundary": r.get("AT_BOUNDARY"),
                "is_response": is_resp,
                "investigator": investigator if is_resp else None,
                "queue_reason": (
                    _queue_reason(r.get("AVALC"), r.get("AT_BOUNDARY"), discordant,
                                  scale.not_evaluable) or None
                    if is_resp
                    else None
                ),
            }
        )
    rs_path = _stored(version, "RS")
    inv_best = (
        {} if rs_path is None else investigator_best(read_table(rs_path), bundle, spec, cm)
    )
    rows += subject_rows(res.subjects, inv_best, res, scale.not_evaluable, has_rs=rs_path is not None)
    markers = _marker_rows(bundle.assessments, MARKERS.get(study.disease, ()))
    summaries = _summary_rows(res.subjects, bundle.dm)
    with factory.begin() as session:
        run = ResponseRun(
            version_id=version.id, rule_set=res.rule_set, rule_set_version=res.version,
            disease=res.disease, response_param=spec.parameter,
            categories=json.dumps(categories), n_calls=len(rows), created_by=actor.id,
        )
        session.add(run)
        session.flush()
        if rows:
            session.execute(insert(ResponseCall), [{**x, "run_id": run.id} for x in rows])
        if summaries:
            session.execute(
                insert(SubjectSummary), [{**x, "run_id": run.id} for x in summaries]
            )
        has_markers = session.scalar(
            select(func.count(Marker.id)).where(Marker.version_id == version.id)
        )
        if markers and not has_markers:
            session.execute(
                insert(Marker), [{**m, "version_id": version.id} for m in markers]
            )
        audit.record(
            session, user=actor, action="compute", entity="response_run", entity_id=run.id,
            study_id=study.id,
            new={"version": version.number, "rule_set": res.rule_set, "rule_set_version":
                 res.version, "calls": len(rows)},
        )
    return run


#: DM columns shown with the baseline details (AL organ involvement).
DM_DETAILS: Final[tuple[str, ...]] = ("ARM", "HEARTFL", "KIDNEYFL", "LIVERFL")
SUMMARY_COLUMNS: Final[tuple[str, ...]] = ("USUBJID", "BESTRSP", "BESTRSDT", "BESTEXPL")


def _summary_rows(subjects: pl.DataFrame, dm: pl.DataFrame) -> list[dict[str, object]]:
    extra = [c for c in DM_DETAILS if c in dm.columns and c not in subjects.columns]
    if extra:
        dm_part = dm.select(pl.col("USUBJID").cast(pl.String), *extra).unique("USUBJID")
        subjects = subjects.with_columns(pl.col("USUBJID").cast(pl.String)).join(
            dm_part, on="USUBJID", how="left"
        )
    rows = []
    for r in subjects.iter_rows(named=True):
        details = {
            k: str(v) for k, v in r.items() if k not in SUMMARY_COLUMNS and v is not None
        }
        rows.append(
            {
                "usubjid": str(r["USUBJID"]),
                "best": r.get("BESTRSP"),
                "best_date": None if r.get("BESTRSDT") is None else str(r["BESTRSDT"]),
                "best_explain": r.get("BESTEXPL"),
                "details": json.dumps(details, sort_keys=True),
            }
        )
    return rows


def _marker_rows(assessments: pl.DataFrame, codes: tuple[str, ...]) -> list[dict[str, object]]:
    present = [c for c in codes if c in assessments.columns]
    if not present:
        return []
    long = (
        assessments.select(
            pl.col("USUBJID").cast(pl.String),
            pl.col("ADT").cast(pl.String),
            *(pl.col(c).cast(pl.Float64) for c in present),
        )
        .unpivot(index=["USUBJID", "ADT"], variable_name="code", value_name="value")
        .drop_nulls()
    )
    return [
        {"usubjid": r["USUBJID"], "adt": r["ADT"], "code": r["code"], "value": r["value"]}
        for r in long.iter_rows(named=True)
    ]
