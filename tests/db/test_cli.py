"""`volt db` commands, run through Typer against the session database."""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg.conninfo import make_conninfo
from typer.testing import CliRunner

from volt.cli.db import app
from volt.config import Settings

runner = CliRunner()
PASSWORDS = {
    "VOLT_DB_OWNER_PASSWORD": "Owner-S3cret-1",
    "VOLT_DB_WRITER_PASSWORD": "Writer-S3cret-2",
    "VOLT_DB_READER_PASSWORD": "Reader-S3cret-3",
}
ADMIN_PASSWORD = "Admin-S3cret-0"


def services_env(dsn: str, tmp_path: Path) -> dict[str, str | None]:
    return {"VOLT_DATABASE_URL": dsn, "VOLT_DATA_DIR": str(tmp_path), "VOLT_ENV": "test"}


@pytest.mark.parametrize("role", ["admin", "owner", "writer", "reader"])
def test_db_url_never_prints_a_password(role: str, tmp_path: Path, wide_console: None):
    dsn = f"postgresql://volt_admin:{ADMIN_PASSWORD}@db.example.org:5432/volt"
    env = services_env(dsn, tmp_path) | PASSWORDS
    result = runner.invoke(app, ["url", "--role", role], env=env)
    assert result.exit_code == 0, result.output
    user = "volt_admin" if role == "admin" else f"volt_{role}"
    assert result.output == f"postgresql://{user}@db.example.org:5432/volt\n"
    for secret in [ADMIN_PASSWORD, *PASSWORDS.values()]:
        assert secret not in result.output


def test_db_upgrade_prints_roles_schema_and_revision(
    pg_settings: Settings, tmp_path: Path, wide_console: None
):
    assert pg_settings.database_url is not None
    env = services_env(pg_settings.database_url.get_secret_value(), tmp_path)
    result = runner.invoke(app, ["upgrade"], env=env)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines] == [
        ["owner role", "volt_owner", "password set"],
        ["writer role", "volt_writer", "password set"],
        ["reader role", "volt_reader", "password set"],
        ["schema", "volt", "ready"],
        ["revision", "0005", "up to date"],
    ]


def test_db_start_and_stop_in_services_mode_have_nothing_to_do(tmp_path: Path, wide_console: None):
    env = services_env("postgresql://u@db.example.org/volt", tmp_path)
    started = runner.invoke(app, ["start"], env=env)
    stopped = runner.invoke(app, ["stop"], env=env)
    assert (started.exit_code, started.output) == (
        0,
        "Services mode (VOLT_DATABASE_URL is set): nothing to start.\n",
    )
    assert (stopped.exit_code, stopped.output) == (
        0,
        "Services mode (VOLT_DATABASE_URL is set): nothing to stop.\n",
    )


def test_db_status_reports_an_unreachable_server_with_exit_code_1(
    tmp_path: Path, wide_console: None
):
    # A socket directory with no server in it: libpq fails at once, no network involved.
    dsn = make_conninfo("", user="postgres", host=str(tmp_path), dbname="volt")
    result = runner.invoke(app, ["status"], env=services_env(dsn, tmp_path))
    assert result.exit_code == 1
    assert (
        f"Error: Cannot connect to PostgreSQL as admin (postgresql://postgres@/volt?host={tmp_path})"
        in result.output
    )
