"""Passwords (argon2id), login lockout and CSRF tokens."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from plasmatrial.web.models import LoginFailure, User, utcnow

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
    """Failed logins per client address in a sliding window, kept in the database (table
    ``login_failures``, decision 1012) so that every server process sharing it counts the same
    failures: past ``max_failures`` in ``window_s`` seconds, that address may not try again until
    the oldest failure leaves the window. A successful login does not clear an address's
    failures. Complements the per-account lockout.

    ``clock`` gives the current time in UTC (the wall clock: processes share no monotonic one);
    tests pass their own to move the window.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        max_failures: int = 20,
        window_s: float = 300.0,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        if max_failures < 1 or window_s <= 0:
            raise ValueError("the login throttle needs max_failures >= 1 and window_s > 0")
        self.factory = factory
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock

    def _window_start(self, now: dt.datetime) -> dt.datetime:
        return now - dt.timedelta(seconds=self.window_s)

    def failures(self, address: str) -> int:
        """Failed logins from ``address`` in the window ending now."""
        since = self._window_start(self.clock())
        with self.factory() as session:
            count = session.scalar(
                select(func.count()).select_from(LoginFailure).where(
                    LoginFailure.address == _address_key(address),
                    LoginFailure.failed_at > since,
                )
            )
        return int(count or 0)

    def allowed(self, address: str) -> bool:
        """Whether ``address`` may try to log in now."""
        return self.failures(address) < self.max_failures

    def failure(self, address: str) -> None:
        """Count a failed login from ``address`` (and prune every stamp past the window)."""
        now = self.clock()
        with self.factory.begin() as session:
            session.execute(delete(LoginFailure).where(
                LoginFailure.failed_at <= self._window_start(now)
            ))
            session.add(LoginFailure(address=_address_key(address), failed_at=now))


def _address_key(address: str) -> str:
    """The address as stored (the column holds 64 characters; an IPv6 address has at most 45)."""
    return address[:64]
