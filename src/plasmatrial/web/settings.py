"""Settings of one workbench server."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

SECRET_ENV: Final = "PLASMATRIAL_SECRET_KEY"
#: Largest accepted upload file (bytes).
MAX_UPLOAD_BYTES: Final = 200 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the data live and how sessions are signed.

    Attributes
    ----------
    database_url : str
        SQLAlchemy URL (:func:`plasmatrial.web.db.database_url`).
    data_dir : Path
        Uploaded files (``studies/<id>/<sha256>/``) and the staging area.
    secret_key : str
        Signs the session cookie.
    secure_cookies : bool
        Send the session cookie over HTTPS only (set behind TLS).
    max_upload_bytes : int
        Per-file upload limit.
    """

    database_url: str
    data_dir: Path
    secret_key: str
    secure_cookies: bool = False
    max_upload_bytes: int = MAX_UPLOAD_BYTES


def secret_key(data_dir: Path) -> str:
    """``PLASMATRIAL_SECRET_KEY``, else a random key kept in ``data_dir/secret_key`` (0600)."""
    env = os.environ.get(SECRET_ENV, "").strip()
    if env:
        return env
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key
