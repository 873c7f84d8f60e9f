"""`vismasync db ...`: the state database."""

from __future__ import annotations

import sqlalchemy as sa
import typer
from cryptography.fernet import Fernet
from rich.console import Console
from rich.table import Table

from vismasync.store.database import DatabaseUnavailable, app_database_url, create_state_engine
from vismasync.store.database import redacted as redacted_url
from vismasync.store.database import server_location as configured_server
from vismasync.store.migrate import current_revision, head_revision, upgrade
from vismasync.store.models import Base

db_app = typer.Typer(
    help="Inspect and migrate the state database (PostgreSQL).", no_args_is_help=True
)
console = Console()


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]Error:[/red] {message}")
    return typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations (they also run automatically on first use)."""
    try:
        engine = create_state_engine(app_database_url())
        before = current_revision(engine)
        after = upgrade(engine)
    except (DatabaseUnavailable, sa.exc.OperationalError) as exc:
        raise _fail(str(exc)) from None
    if before == after:
        console.print(f"Schema is up to date (revision {after}).")
    else:
        console.print(f"Schema upgraded from {before or 'empty'} to {after}.")


@db_app.command("status")
def db_status() -> None:
    """Show which database is used, its schema revision, and what it holds."""
    try:
        location = configured_server()
        url = app_database_url()
        engine = create_state_engine(url)
        revision = current_revision(engine)
        with engine.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version")).scalar()
            counts = {}
            if revision is not None:
                for table in Base.metadata.sorted_tables:
                    counts[table.name] = conn.execute(
                        sa.select(sa.func.count()).select_from(table)
                    ).scalar()
    except (DatabaseUnavailable, sa.exc.OperationalError) as exc:
        raise _fail(str(exc)) from None
    head = head_revision()
    console.print(f"Database:  {redacted_url(url)}", soft_wrap=True, highlight=False)
    if location.embedded:
        console.print(
            f"Server:    embedded PostgreSQL {version}, data in {location.data_dir}", soft_wrap=True
        )
    else:
        console.print(f"Server:    external PostgreSQL {version} (DATABASE_URL)")
    state = "up to date" if revision == head else f"behind, latest is {head}"
    console.print(f"Schema:    revision {revision or 'none'} ({state})")
    if counts:
        table = Table("table", "rows")
        for name, count in counts.items():
            table.add_row(name, str(count))
        console.print(table)


@db_app.command("new-key")
def db_new_key() -> None:
    """Print a fresh key for VISMASYNC_SECRET_KEY (encrypts stored OAuth tokens)."""
    typer.echo(Fernet.generate_key().decode())


@db_app.command("prune")
def db_prune(
    older_than_days: int | None = typer.Option(
        None,
        min=1,
        help="Expire messages of rows unchanged for this many days "
        "(default: VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS, 90).",
    ),
) -> None:
    """Remove old error messages from the ledger (keys, hashes and statuses stay)."""
    from datetime import timedelta

    from vismasync.store.database import get_engine
    from vismasync.store.retention import expire_messages, message_retention_days

    try:
        days = older_than_days or message_retention_days()
        count = expire_messages(get_engine(), timedelta(days=days))
    except (ValueError, DatabaseUnavailable) as exc:
        raise _fail(str(exc)) from None
    console.print(f"Removed {count} message(s) older than {days} days.")
