"""Passwords (argon2id), login lockout and CSRF tokens."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import threading
import time
from collections import deque
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from plasmatrial.web.models import User, utcnow

#: Failed logins in a row that lock an account, and for how long.
MAX_FAILED_LOGINS: Final = 5
LOCKOUT: Final = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH: Final = 10

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (refused when shorter than the minimum)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (never raises on a mismatch)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)  # SQLite: naive


def is_locked(user: User, now: dt.datetime | None = None) -> bool:
    """Whether the account is locked after too many failed logins."""
    return user.locked_until is not None and _aware(user.locked_until) > (now or utcnow())


def register_failure(user: User) -> None:
    """Count a failed login; the :data:`MAX_FAILED_LOGINS`-th locks the account."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = utcnow() + LOCKOUT
        user.failed_logins = 0


def new_csrf_token() -> str:
    """A fresh random token for a session."""
    return secrets.token_urlsafe(32)


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens (a missing one never matches)."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


class LoginThrottle:
    """Failed logins per client address in a sliding window (in memory, per server process):
    past ``max_failures`` in ``window_s`` seconds, that address may not try again until the
    oldest failure leaves the window. Complements the per-account lockout."""

    def __init__(self, max_failures: int = 20, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        stamps = self._failures.setdefault(address, deque())
        while stamps and stamps[0] <= now - self.window_s:
            stamps.popleft()
        return stamps

    def allowed(self, address: str) -> bool:
        """Whether ``address`` may try to log in now."""
        with self._lock:
            return len(self._recent(address, time.monotonic())) < self.max_failures

    def failure(self, address: str) -> None:
        """Count a failed login from ``address``."""
        with self._lock:
            self._recent(address, time.monotonic()).append(time.monotonic())
