"""``plasmatrial audit verify``: check the workbench's hash-chained audit trail (decision 1008).

The command recomputes every audit row's hash in order (:func:`plasmatrial.web.audit.verify_chain`,
the check the admins' ``/admin/audit`` page shows) and exits 0 when the chain is intact, 1 with
every break listed when a row was changed, deleted or reordered, and 2 when the database cannot be
read (no such file, not a workbench database). It only reads: no migration runs and nothing is
written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer

from plasmatrial.errors import PlasmatrialError

#: Exit status when the chain is broken (2 stays the status of every refused command).
BROKEN: Final = 1
DEFAULT_DB: Final = Path("plasmatrial-web/plasmatrial.db")

audit_app = typer.Typer(
    help="Check the workbench's audit trail: every row's hash, in order (exit 1 when broken).",
    no_args_is_help=True,
)


@audit_app.command("verify")
def verify(
    db: Annotated[
        Path,
        typer.Option(
            "--db",
            help="SQLite database file of `plasmatrial serve` (ignored when "
            "PLASMATRIAL_DATABASE_URL is set)",
        ),
    ] = DEFAULT_DB,
) -> None:
    """Recompute the audit chain; exit 0 when intact, 1 listing every changed, deleted or
    reordered row."""
    try:
        from sqlalchemy import inspect, make_url
        from sqlalchemy.exc import SQLAlchemyError

        from plasmatrial.web.audit import verify_chain
        from plasmatrial.web.db import DATABASE_URL_ENV, database_url, make_engine, session_factory
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise PlasmatrialError(
            f"plasmatrial audit needs the web extra: pip install 'plasmatrial[web]' ({exc})"
        ) from exc
    url = database_url(db)
    file = make_url(url).database if url.startswith("sqlite") else None
    if file is not None and not Path(file).is_file():  # never create an empty database
        raise PlasmatrialError(f"no database file {file} (give --db, or set {DATABASE_URL_ENV})")
    engine = make_engine(url)
    where = url.split("@")[-1]
    try:
        tables = set(inspect(engine).get_table_names())
        if not {"audit_events", "audit_head"} <= tables:
            raise PlasmatrialError(f"{where}: not a workbench database (no audit tables)")
        with session_factory(engine)() as session:
            check = verify_chain(session)
    except SQLAlchemyError as exc:
        raise PlasmatrialError(f"{where}: cannot read the audit trail: {exc}") from exc
    finally:
        engine.dispose()
    if check.ok:
        typer.echo(f"audit trail intact: all {check.n_rows} rows verified ({where})")
        return
    typer.echo(
        f"audit trail BROKEN: {len(check.problems)} problem(s) in {check.n_rows} rows ({where})",
        err=True,
    )
    for problem in check.problems:
        typer.echo(f"  {problem}", err=True)
    raise typer.Exit(BROKEN)


def register(app: typer.Typer) -> None:
    """Attach the ``audit`` group to the root app."""
    app.add_typer(audit_app, name="audit")
