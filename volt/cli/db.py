"""`volt db …`: migrations, the DSN in use, and the embedded PostgreSQL server. Commands only."""

from __future__ import annotations

import typer
from rich.table import Table

from volt.cli.common import console, handle_errors, settings_from_env
from volt.db import embedded, migrate
from volt.db.connect import server_version
from volt.db.dsn import DbRole, redact, role_dsn

app = typer.Typer(
    help="PostgreSQL: roles and migrations, connection URLs, the embedded server.",
    no_args_is_help=True,
)

SERVICES_MODE = "Services mode (VOLT_DATABASE_URL is set)"


@app.command()
@handle_errors
def upgrade() -> None:
    """Create or update the volt roles, schema and extensions, then migrate to the latest."""
    report = migrate.upgrade(settings_from_env())
    table = Table(title=f"Database {report.database} — PostgreSQL {report.server_version}")
    table.add_column("what")
    table.add_column("name")
    table.add_column("state")
    for change in report.roles:
        state = "created" if change.created else "password set"
        table.add_row(f"{change.role} role", change.name, state)
    table.add_row("schema", report.schema, "ready")
    table.add_row("revision", report.revision or "-", "up to date")
    console.print(table)


@app.command()
@handle_errors
def url(
    role: DbRole = typer.Option(DbRole.ADMIN, "--role", help="Whose connection URL to print."),
) -> None:
    """Print the connection URL in use, without its password (starts the embedded server)."""
    typer.echo(redact(role_dsn(settings_from_env(), role)))


@app.command()
@handle_errors
def start() -> None:
    """Start the embedded PostgreSQL (it keeps running until `volt db stop`)."""
    settings = settings_from_env()
    if not settings.embedded:
        console.print(f"{SERVICES_MODE}: nothing to start.")
        return
    dsn = embedded.ensure_started(settings)
    console.print(f"Embedded PostgreSQL running in {embedded.pgdata_dir(settings)}")
    console.print(redact(dsn), soft_wrap=True, highlight=False)


@app.command()
@handle_errors
def stop() -> None:
    """Stop the embedded PostgreSQL."""
    settings = settings_from_env()
    if not settings.embedded:
        console.print(f"{SERVICES_MODE}: nothing to stop.")
        return
    stopped = embedded.stop(settings)
    where = embedded.pgdata_dir(settings)
    console.print(f"Stopped the embedded PostgreSQL in {where}." if stopped else "Not running.")


@app.command()
@handle_errors
def status() -> None:
    """Show the embedded server's state (services mode: check the server answers)."""
    settings = settings_from_env()
    if not settings.embedded:
        dsn = role_dsn(settings, DbRole.ADMIN)
        console.print(f"{SERVICES_MODE}: {redact(dsn)}", soft_wrap=True, highlight=False)
        console.print(f"PostgreSQL {server_version(settings)} answers.")
        return
    state = embedded.status(settings)
    table = Table(title="Embedded PostgreSQL", show_header=False)
    table.add_row("data directory", str(state.pgdata))
    table.add_row("initialised", f"yes (PostgreSQL {state.version})" if state.initialized else "no")
    table.add_row("running", f"yes (pid {state.pid})" if state.running else "no")
    if state.socket_dir is not None:
        table.add_row("socket directory", str(state.socket_dir))
    console.print(table)
