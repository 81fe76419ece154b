"""`volt users …`: API accounts (add, list, disable, enable, admin role). Commands only."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from volt.auth import users
from volt.auth.queries import User
from volt.cli.common import console, handle_errors, settings_from_env
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role

app = typer.Typer(
    help="API accounts: they log in with an e-mailed code; admins manage data and users.",
    no_args_is_help=True,
)

EMAIL = typer.Argument(..., help="The user's e-mail address (case-insensitive).")


@app.command()
@handle_errors
def add(
    email: str = EMAIL,
    admin: bool = typer.Option(False, "--admin", help="Give the admin role."),
) -> None:
    """Register a user (needed when self-registration is off)."""
    settings = settings_from_env()
    with connect(settings, DbRole.WRITER) as conn:
        user = users.add_user(conn, settings, email, admin=admin)
    console.print(f"Added {user.email} ({user.role}).")


@app.command("list")
@handle_errors
def list_() -> None:
    """Show every user: role, state, creation and last login."""
    with connect(settings_from_env(), DbRole.WRITER) as conn:
        rows = users.list_users(conn)
    table = Table(title=f"Users ({len(rows)})")
    for name in ("email", "role", "active", "created", "last login"):
        table.add_column(name, no_wrap=name != "email")
    for user in rows:
        table.add_row(
            user.email,
            user.role,
            "yes" if user.is_active else "[red]no[/]",
            _when(user.created_at),
            _when(user.last_login_at),
        )
    console.print(table)


@app.command()
@handle_errors
def disable(email: str = EMAIL) -> None:
    """Refuse new codes to a user; its tokens stop working within a minute."""
    _set_active(email, active=False)


@app.command()
@handle_errors
def enable(email: str = EMAIL) -> None:
    """Let a disabled user log in again."""
    _set_active(email, active=True)


@app.command("grant-admin")
@handle_errors
def grant_admin(email: str = EMAIL) -> None:
    """Give the admin role (it applies from the user's next login)."""
    _set_role(email, Role.ADMIN)


@app.command("revoke-admin")
@handle_errors
def revoke_admin(email: str = EMAIL) -> None:
    """Take the admin role back (admin routes refuse the user's tokens at once)."""
    _set_role(email, Role.READER)


def _set_active(email: str, *, active: bool) -> None:
    settings = settings_from_env()
    with connect(settings, DbRole.WRITER) as conn:
        change = users.set_active(conn, settings, email, active=active)
    state = "enabled" if active else "disabled"
    _report(change.user, f"{state}" if change.changed else f"already {state}")


def _set_role(email: str, role: Role) -> None:
    settings = settings_from_env()
    with connect(settings, DbRole.WRITER) as conn:
        change = users.set_role(conn, settings, email, role)
    _report(change.user, f"now {role}" if change.changed else f"already {role}")


def _report(user: User, what: str) -> None:
    console.print(f"{user.email}: {what}.")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"
