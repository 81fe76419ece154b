"""`volt users …` against the session's PostgreSQL: output, exit codes and the audit trail."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.api.conftest import migrated_database
from volt.api.keys import email_hash
from volt.cli import common
from volt.cli.main import app
from volt.config import Settings
from volt.db.connect import connect
from volt.db.dsn import DbRole

runner = CliRunner()


@pytest.fixture(scope="module")
def users_settings(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """A database of its own: users and audit rows committed here would otherwise show in the
    privilege tests, which expect those tables empty."""
    return migrated_database(database_factory, tmp_path_factory.mktemp("users"), "users")


@pytest.fixture
def env(users_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    # Off a terminal Rich wraps at 80 columns; the e-mails in the table must stay whole.
    monkeypatch.setattr(common.console, "_width", 200)
    monkeypatch.setattr(common.err_console, "_width", 200)
    assert users_settings.database_url is not None
    return {
        "VOLT_DATABASE_URL": users_settings.database_url.get_secret_value(),
        "VOLT_DATA_DIR": str(users_settings.data_dir),
        "VOLT_ADMIN_EMAILS": "",
    }


def volt(env: dict[str, str], *args: str) -> Any:
    return runner.invoke(app, ["users", *args], env=env)


def new_email() -> str:
    return f"cli-{secrets.token_hex(5)}@Example.org"


def user_row(settings: Settings, email: str) -> tuple[Any, ...] | None:
    with connect(settings, DbRole.WRITER) as conn:
        sql = "SELECT id, email, role, is_active FROM users WHERE lower(email) = lower(%s)"
        return conn.execute(sql, (email,)).fetchone()


def audit_for(settings: Settings, user_id: int) -> list[tuple[Any, ...]]:
    with connect(settings, DbRole.WRITER) as conn:
        sql = """
            SELECT action, actor_user_id, ip, details FROM audit_log
            WHERE details ->> 'user_id' = %s ORDER BY id
        """
        return conn.execute(sql, (str(user_id),)).fetchall()


def test_add_list_disable_enable_and_roles_are_audited(
    env: dict[str, str], users_settings: Settings
) -> None:
    email = new_email()
    result = volt(env, "add", email)
    assert (result.exit_code, result.output) == (0, f"Added {email.lower()} (reader).\n")
    row = user_row(users_settings, email)
    assert row is not None and row[1:] == (email.lower(), "reader", True)
    user_id = row[0]

    steps = [
        (("disable", email), "disabled"),
        (("disable", email), "already disabled"),
        (("enable", email.upper()), "enabled"),
        (("grant-admin", email), "now admin"),
        (("grant-admin", email), "already admin"),
        (("revoke-admin", email), "now reader"),
    ]
    for args, said in steps:
        result = volt(env, *args)
        assert (result.exit_code, result.output) == (0, f"{email.lower()}: {said}.\n"), args

    base = {"via": "cli", "user_id": user_id, "email_hash": email_hash(users_settings, email)}
    assert audit_for(users_settings, user_id) == [
        ("users.created", None, None, base | {"role": "reader"}),
        ("users.disabled", None, None, base),
        ("users.enabled", None, None, base),
        ("users.role_changed", None, None, base | {"from": "reader", "to": "admin"}),
        ("users.role_changed", None, None, base | {"from": "admin", "to": "reader"}),
    ]


def table_cells(line: str) -> list[str]:
    """The cells of a Rich table line (header lines use heavy bars), [] for rules and titles."""
    parts = re.split("[│┃]", line)
    return [part.strip() for part in parts[1:-1]]


def test_list_shows_a_table_of_users(env: dict[str, str]) -> None:
    admin, reader = new_email(), new_email()
    assert volt(env, "add", admin, "--admin").exit_code == 0
    assert volt(env, "add", reader).exit_code == 0
    assert volt(env, "disable", reader).exit_code == 0
    result = volt(env, "list")
    assert result.exit_code == 0
    rows = {cells[0]: cells for cells in map(table_cells, result.output.splitlines()) if cells}
    assert rows["email"] == ["email", "role", "active", "created", "last login"]
    admin_cells, reader_cells = rows[admin.lower()], rows[reader.lower()]
    assert (admin_cells[1:3], admin_cells[4]) == (["admin", "yes"], "-")
    assert (reader_cells[1:3], reader_cells[4]) == (["reader", "no"], "-")
    assert len(admin_cells[3]) == len("2025-01-01 12:00")


def test_unknown_email_is_a_clear_error_with_a_hint(env: dict[str, str]) -> None:
    email = new_email()
    for command in ("disable", "enable", "grant-admin", "revoke-admin"):
        result = volt(env, command, email)
        assert result.exit_code == 1, command
        assert f"No user with the e-mail {email}." in result.output
        assert "volt users list" in result.output


def test_adding_twice_or_a_bad_address_is_a_usage_error(env: dict[str, str]) -> None:
    email = new_email()
    assert volt(env, "add", email).exit_code == 0
    again = volt(env, "add", email.upper())
    assert again.exit_code == 2
    assert "already exists" in again.output
    bad = volt(env, "add", "not-an-address")
    assert bad.exit_code == 2
    assert "'not-an-address' is not a valid e-mail address" in bad.output


def test_revoking_an_address_of_volt_admin_emails_is_refused(
    env: dict[str, str], users_settings: Settings
) -> None:
    email = new_email()
    assert volt(env, "add", email, "--admin").exit_code == 0
    result = volt(env | {"VOLT_ADMIN_EMAILS": email.upper()}, "revoke-admin", email)
    assert result.exit_code == 2
    assert "listed in VOLT_ADMIN_EMAILS" in result.output
    row = user_row(users_settings, email)
    assert row is not None and row[2] == "admin"
