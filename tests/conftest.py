"""Root fixtures: a real PostgreSQL per test session, migrated once, and per-test rollback.

VOLT_TEST_DATABASE_URL (CI: a PostgreSQL ≥ 15 superuser or CREATEROLE account) when set, else
an embedded server in the session's temp dir (one per xdist worker). Each session works in a fresh
database of its own, dropped at the end. The volt roles are cluster-wide and may already exist:
the upgrade is idempotent, so sessions and workers share them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from volt.cli import common
from volt.config import Settings, load_settings
from volt.db import embedded, migrate
from volt.db.admin import drop_database, ensure_database
from volt.db.connect import connect
from volt.db.dsn import DbRole

Conn = psycopg.Connection[TupleRow]


def _database_name(purpose: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"volt_{purpose}_{worker}_{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def pg_server_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A superuser (or CREATEROLE) DSN to a running PostgreSQL, on its maintenance database."""
    url = os.environ.get("VOLT_TEST_DATABASE_URL")
    if url:
        yield url
        return
    settings = load_settings(
        database_url=None, data_dir=tmp_path_factory.mktemp("embedded"), env="test"
    )
    dsn = embedded.ensure_started(settings, stop_at_exit=True)
    yield make_conninfo(dsn, dbname=embedded.MAINTENANCE_DB)
    embedded.stop(settings)


@pytest.fixture(scope="session")
def database_factory(pg_server_dsn: str) -> Iterator[Callable[[str], str]]:
    """Make fresh, uniquely named databases (dropped at the end); returns their admin DSN."""
    created: list[str] = []

    def make(purpose: str) -> str:
        name = _database_name(purpose)
        ensure_database(pg_server_dsn, name)
        created.append(name)
        return make_conninfo(pg_server_dsn, dbname=name)

    yield make
    for name in created:
        drop_database(pg_server_dsn, name)


@pytest.fixture(scope="session")
def admin_dsn(database_factory: Callable[[str], str]) -> str:
    """Admin DSN of this session's database."""
    return database_factory("test")


@pytest.fixture(scope="session")
def pg_settings(admin_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings in services mode on this session's database, migrated to head."""
    settings = _settings_for(admin_dsn, tmp_path_factory.mktemp("data"))
    migrate.upgrade(settings)
    return settings


@pytest.fixture
def empty_db_settings(database_factory: Callable[[str], str], tmp_path: Path) -> Settings:
    """Settings on a fresh database of this test's own, not migrated (schema-changing tests)."""
    return _settings_for(database_factory("empty"), tmp_path)


def _settings_for(dsn: str, data_dir: Path) -> Settings:
    return load_settings(database_url=dsn, data_dir=data_dir, env="test")


def _rolled_back(settings: Settings, role: DbRole) -> Iterator[Conn]:
    with connect(settings, role) as conn:
        yield conn
        conn.rollback()


@pytest.fixture
def owner_conn(pg_settings: Settings) -> Iterator[Conn]:
    yield from _rolled_back(pg_settings, DbRole.OWNER)


@pytest.fixture
def writer_conn(pg_settings: Settings) -> Iterator[Conn]:
    yield from _rolled_back(pg_settings, DbRole.WRITER)


@pytest.fixture
def reader_conn(pg_settings: Settings) -> Iterator[Conn]:
    """Configured as the API's: read-only transactions, statement timeout."""
    yield from _rolled_back(pg_settings, DbRole.READER)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real Redis: VOLT_TEST_REDIS_URL (CI sets it and a dead server fails the run), else the
    local default if one answers, else the Redis tests are skipped."""
    import redis

    url = os.environ.get("VOLT_TEST_REDIS_URL")
    if url:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return url
    candidate = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(candidate, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server: set VOLT_TEST_REDIS_URL to run the Redis tests")
    return candidate


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # Off a terminal Rich wraps at 80 columns, which would split temp paths across table lines.
    # Patch the private `_width` (None = follow the terminal): patching the `width` property
    # would leave a fixed 80 behind after the test and narrow every later test's output.
    monkeypatch.setattr(common.console, "_width", 400)
    monkeypatch.setattr(common.err_console, "_width", 400)
