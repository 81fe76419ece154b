"""The embedded PostgreSQL: start on demand, status, stop, restart; and its failure modes."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from typer.testing import CliRunner

from volt.cli.db import app
from volt.config import load_settings
from volt.db import embedded
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.errors import DatabaseUnavailableError

SOCKET_PATH_MAX = 100  # under the AF_UNIX limits: 108 bytes on Linux, 104 on macOS


def table_rows(output: str) -> list[list[str]]:
    """Cells of a Rich table's rows (box-drawn)."""
    lines = [line for line in output.splitlines() if line.startswith("│")]
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]


def embedded_settings(data_dir: Path, **overrides: object):
    return load_settings(database_url=None, data_dir=data_dir, env="test", **overrides)


def test_start_status_stop_round_trip(tmp_path: Path):
    settings = embedded_settings(tmp_path / "data" / "nested", database_name="volt_rt")
    pgdata = tmp_path / "data" / "nested" / "pg"
    assert embedded.status(settings) == embedded.EmbeddedStatus(
        pgdata=pgdata, initialized=False, running=False, pid=None, socket_dir=None, version=None
    )
    try:
        dsn = embedded.ensure_started(settings, stop_at_exit=True)
        assert conninfo_to_dict(dsn) == {
            "user": "postgres",
            "dbname": "volt_rt",
            "host": str(pgdata),
        }
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT current_database(), current_user").fetchone()
        assert row == ("volt_rt", "postgres")
        running = embedded.status(settings)
        assert (running.initialized, running.running, running.socket_dir) == (True, True, pgdata)
        assert running.version == "18"
        assert embedded.ensure_started(settings) == dsn  # already running: same server
        assert embedded.stop(settings) is True
        assert embedded.status(settings).running is False
        assert embedded.stop(settings) is False
        # Restart in the same process: the library's cached handle must not be trusted.
        assert embedded.ensure_started(settings, stop_at_exit=True) == dsn
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        embedded.stop(settings)
    assert embedded.status(settings).running is False


def test_long_data_dir_puts_the_socket_elsewhere(tmp_path: Path):
    data_dir = tmp_path / ("d" * 60) / ("e" * 60)
    settings = embedded_settings(data_dir)
    assert len(str(data_dir / "pg" / ".s.PGSQL.5432")) > 108
    try:
        dsn = embedded.ensure_started(settings, stop_at_exit=True)
        host = conninfo_to_dict(dsn)["host"]
        assert isinstance(host, str)
        assert len(host + "/.s.PGSQL.5432") <= SOCKET_PATH_MAX
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("volt",)
    finally:
        embedded.stop(settings)
    assert not Path(host).exists()


def test_unstartable_data_dir_raises_with_the_server_log(tmp_path: Path):
    # A data directory left by another PostgreSQL major version.
    settings = embedded_settings(tmp_path)
    embedded.ensure_started(settings, stop_at_exit=True)
    embedded.stop(settings)
    pgdata = tmp_path / "pg"
    (pgdata / "PG_VERSION").write_text("9.6\n")
    with pytest.raises(DatabaseUnavailableError) as caught:
        embedded.ensure_started(settings)
    first_line, *log_lines = caught.value.message.splitlines()
    assert first_line == (
        f"Cannot start the embedded PostgreSQL in {pgdata}: pg_ctl exited with status 1."
    )
    assert log_lines[0] == f"Last lines of {pgdata / 'log'}:"
    assert "database files are incompatible with server" in caught.value.message
    assert caught.value.hint is not None and str(pgdata / "log") in caught.value.hint
    assert embedded.status(settings).running is False


def test_embedded_mode_connects_every_role_after_upgrade(tmp_path: Path):
    from volt.db import migrate

    settings = embedded_settings(tmp_path)
    try:
        embedded.ensure_started(settings, stop_at_exit=True)
        report = migrate.upgrade(settings)
        assert (report.database, report.revision) == ("volt", "0005")
        with connect(settings, DbRole.READER) as conn:
            row = conn.execute("SELECT current_user, count(*) FROM communes").fetchone()
        assert row == ("volt_reader", 0)
    finally:
        embedded.stop(settings)


def test_cli_start_status_stop(tmp_path: Path, wide_console: None):
    runner = CliRunner()
    env = {"VOLT_DATA_DIR": str(tmp_path), "VOLT_DATABASE_URL": None}
    try:
        started = runner.invoke(app, ["start"], env=env)
        assert started.exit_code == 0, started.output
        assert started.output.splitlines() == [
            f"Embedded PostgreSQL running in {tmp_path / 'pg'}",
            f"postgresql://postgres@/volt?host={tmp_path / 'pg'}",
        ]
        status = runner.invoke(app, ["status"], env=env)
        assert status.exit_code == 0, status.output
        rows = table_rows(status.output)
        pid = embedded.status(embedded_settings(tmp_path)).pid
        assert rows == [
            ["data directory", str(tmp_path / "pg")],
            ["initialised", "yes (PostgreSQL 18)"],
            ["running", f"yes (pid {pid})"],
            ["socket directory", str(tmp_path / "pg")],
        ]
        stopped = runner.invoke(app, ["stop"], env=env)
        assert stopped.output == f"Stopped the embedded PostgreSQL in {tmp_path / 'pg'}.\n"
        again = runner.invoke(app, ["stop"], env=env)
        assert again.output == "Not running.\n"
        after = runner.invoke(app, ["status"], env=env)
        assert table_rows(after.output)[1:] == [
            ["initialised", "yes (PostgreSQL 18)"],
            ["running", "no"],
        ]
    finally:
        embedded.stop(embedded_settings(tmp_path))
