"""Alembic: an empty database upgrades to a schema equal to the models; the app is idempotent."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from plasmatrial.web.db import database_url, make_engine, upgrade
from plasmatrial.web.models import Base


def test_upgrade_from_empty_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert inspect(engine).get_table_names() == []
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) | {"alembic_version"} == tables
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    upgrade(engine)  # a second start changes nothing
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "1003"


def test_database_url_prefers_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PLASMATRIAL_DATABASE_URL", raising=False)
    assert database_url(tmp_path / "x.db") == f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("PLASMATRIAL_DATABASE_URL", "postgresql://u@/db?host=/tmp")
    assert database_url(tmp_path / "x.db") == "postgresql+psycopg://u@/db?host=/tmp"
