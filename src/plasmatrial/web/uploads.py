"""Receiving uploaded files: staged under fixed names with a size limit, validated, accepted as
a data version (decisions 1000, 1006). The page and the JSON API both upload through here."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session, sessionmaker

from plasmatrial.web.models import User
from plasmatrial.web.services import (
    DOMAINS,
    SDTM_DOMAINS,
    SUFFIXES,
    TABLE_SUFFIXES,
    ProblemRow,
    UploadOutcome,
    WebError,
    accept_upload,
)


def stage_file(
    filename: str, stream: BinaryIO, domain: str, folder: Path, limit: int
) -> tuple[Path | None, ProblemRow | None]:
    """Copy one uploaded stream into ``folder`` under a fixed name (``ae.csv``: never the user's
    file name), refusing a wrong type or more than ``limit`` bytes (the copy stops there)."""
    name = Path(filename).name
    suffix = Path(name).suffix.lower()
    allowed = SUFFIXES if domain in SDTM_DOMAINS else TABLE_SUFFIXES
    if suffix not in allowed:
        return None, ProblemRow(
            name, None, None, suffix or None, f"a {', '.join(allowed)} file for {domain}",
            "file_type",
        )
    target = folder / f"{domain.lower()}{suffix}"
    size = 0
    with target.open("wb") as out:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if size > limit:
                return None, ProblemRow(
                    name, None, None, f"> {limit} bytes", f"at most {limit} bytes", "too_large"
                )
            out.write(chunk)
    return target, None


def receive_upload(
    factory: sessionmaker[Session],
    data_dir: Path,
    study_id: int,
    actor: User,
    files: Mapping[str, tuple[str, BinaryIO]],
    *,
    limit: int,
) -> UploadOutcome:
    """Stage uploaded files (domain -> (file name, stream)) in a fresh folder, validate them and
    accept them as a data version (:func:`~plasmatrial.web.services.accept_upload`); the staging
    folder never outlives the call."""
    unknown = sorted(set(files) - set(DOMAINS))
    if unknown:
        raise WebError(f"unknown domain(s) {', '.join(unknown)}; upload {', '.join(DOMAINS)}")
    staging = data_dir / "staging" / secrets.token_hex(16)
    staging.mkdir(parents=True)
    staged: dict[str, tuple[str, Path]] = {}
    problems: list[ProblemRow] = []
    try:
        for domain in DOMAINS:  # a fixed order: the same files always give the same problems
            if domain not in files:
                continue
            filename, stream = files[domain]
            path, problem = stage_file(filename, stream, domain, staging, limit)
            if problem is not None:
                problems.append(problem)
            elif path is not None:
                staged[domain] = (Path(filename).name, path)
        if problems:
            return UploadOutcome(None, tuple(problems))
        return accept_upload(factory, data_dir, study_id, actor, staged, staging)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
