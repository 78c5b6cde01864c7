"""Database URL, engine, Alembic upgrade at startup, transactions (decision 1000).

SQLite by default (a file in the data folder), PostgreSQL when ``PLASMATRIAL_DATABASE_URL`` names
one (``postgresql+psycopg://...``, psycopg 3). The schema is created and upgraded only by the
Alembic migrations under ``plasmatrial/web/migrations``, run by :func:`upgrade` when the app starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

#: Environment variable naming a database (any SQLAlchemy URL; PostgreSQL via psycopg 3).
DATABASE_URL_ENV: Final = "PLASMATRIAL_DATABASE_URL"
MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"


def database_url(db_path: Path | None) -> str:
    """``PLASMATRIAL_DATABASE_URL`` when set, else SQLite at ``db_path``."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    if db_path is None:
        raise ValueError(f"no database: give a SQLite file path or set {DATABASE_URL_ENV}")
    return f"sqlite:///{db_path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


#: SQLite connections kept open: one per request thread under load (decision 1009), so that
#: connections are not closed and reopened (with their PRAGMAs) when more than five are busy.
SQLITE_POOL_SIZE: Final = 20


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False},
            pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    """Alembic configuration for the package's migrations and ``url`` (no alembic.ini)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Run every migration not yet applied (an empty database gets the whole schema)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (templates render after the commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed when the block ends, rolled back when it raises.

    Unlike ``factory.begin()``, the block may raise after a failed flush (an ``IntegrityError``
    turned into a conflict): the rollback here is safe on an already rolled-back session.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
