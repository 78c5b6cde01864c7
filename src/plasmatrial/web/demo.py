"""A demo study: simulated AL-POMDEX-P2 data (every domain the upload accepts) uploaded and
computed like any study's."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plasmatrial import api
from plasmatrial.web import services
from plasmatrial.web.models import Study, User

DEMO_TRIAL: Final = "al_pomdex_phase2.yaml"
#: The admin account a first start creates when none is named.
FIRST_ADMIN: Final = "admin"
DEMO_NAME: Final = "Demo: AL-POMDEX-P2 (simulated)"


def any_admin(factory: sessionmaker[Session]) -> str | None:
    """The first active admin's username (None: no admin yet)."""
    with factory() as session:
        return session.scalar(
            select(User.username)
            .where(User.is_admin.is_(True), User.is_active.is_(True))
            .order_by(User.id)
        )


def first_admin_password(factory: sessionmaker[Session], data_dir: Path) -> Path | None:
    """On a database without accounts, create admin :data:`FIRST_ADMIN` with a random password
    written to ``data_dir/first-admin-password`` (0600); the file's path, or None when accounts
    exist."""
    import os

    with factory() as session:
        if session.scalar(select(User.id).limit(1)) is not None:
            return None
    password = secrets.token_urlsafe(18)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "first-admin-password"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    services.ensure_admin(factory, FIRST_ADMIN, password)
    return path


def load_demo(
    factory: sessionmaker[Session], data_dir: Path, admin: str, *, seed: int = 20240601,
    n_subjects: int | None = None,
) -> int | None:
    """Create the demo study as ``admin`` (simulated DM, LB, EX, RS, AE, DS, QS, PR, CM
    uploaded, responses computed); None when it exists already. Returns the study id."""
    import polars as pl

    from plasmatrial.synth import simulate_trial_data

    with factory.begin() as session:
        user = session.scalar(select(User).where(User.username == admin))
        if user is None or not user.is_admin:
            raise services.WebError(f"the demo study needs an admin account, not {admin!r}")
        if session.scalar(select(Study).where(Study.name == DEMO_NAME)) is not None:
            return None
        study = services.create_study(session, user, DEMO_NAME, DEMO_TRIAL)
        study_id = study.id
    data = simulate_trial_data(api.read_trial(services.seed_trials()[DEMO_TRIAL]), seed=seed)
    keep = data.dm.get_column("USUBJID")
    if n_subjects is not None:
        keep = keep.head(n_subjects)
    staging = data_dir / "staging" / secrets.token_hex(16)
    staging.mkdir(parents=True)
    staged = {}
    for domain in services.DOMAINS:
        frame: pl.DataFrame | None = getattr(data, domain.lower(), None)
        if frame is None:  # pragma: no cover - the simulator writes every domain
            continue
        path = staging / f"{domain.lower()}.csv"
        frame.filter(pl.col("USUBJID").is_in(keep.implode())).write_csv(path)
        staged[domain] = (f"demo_{domain.lower()}.csv", path)
    outcome = services.accept_upload(factory, data_dir, study_id, user, staged, staging)
    if outcome.version is None:  # pragma: no cover - simulated data always validate
        raise services.WebError(f"demo data refused: {outcome.problems[:3]}")
    services.compute_responses(factory, study, outcome.version, user)
    return study_id
