"""Connections and the async pool: session settings per role, clear errors when unreachable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from psycopg import errors
from psycopg.conninfo import make_conninfo

from volt.config import Settings, load_settings
from volt.db.connect import connect, open_async_pool, open_connection, server_version
from volt.db.dsn import DbRole
from volt.errors import DatabaseUnavailableError

SETTINGS_SQL = """
SELECT current_user, current_setting('search_path'), current_setting('statement_timeout'),
       current_setting('default_transaction_read_only'), current_setting('plan_cache_mode')
"""


def test_reader_pool_sessions_are_read_only_with_a_timeout(pg_settings: Settings):
    async def probe() -> tuple[object, ...] | None:
        pool = open_async_pool(pg_settings, DbRole.READER, max_size=2)
        async with pool, pool.connection() as conn:
            cur = await conn.execute(SETTINGS_SQL)
            return await cur.fetchone()

    assert asyncio.run(probe()) == (
        "volt_reader",
        '"volt", public',
        "5s",
        "on",
        "force_custom_plan",
    )


def test_writer_pool_sessions_are_not_read_only(pg_settings: Settings):
    async def probe() -> tuple[object, ...] | None:
        pool = open_async_pool(pg_settings, DbRole.WRITER, max_size=1)
        async with pool, pool.connection() as conn:
            cur = await conn.execute(SETTINGS_SQL)
            return await cur.fetchone()

    assert asyncio.run(probe()) == ("volt_writer", '"volt", public', "0", "off", "auto")


def test_pool_is_not_opened_by_the_factory(tmp_path: Path):
    # Nothing listens there: building the pool must not try to connect.
    dsn = make_conninfo("", user="postgres", host=str(tmp_path), dbname="volt")
    pool = open_async_pool(load_settings(database_url=dsn, env="test"), DbRole.READER)
    assert pool.closed is True


def test_session_settings_survive_a_rollback(pg_settings: Settings):
    with connect(pg_settings, DbRole.READER) as conn:
        conn.rollback()
        conn.execute("SELECT 1")
        conn.rollback()
        row = conn.execute("SELECT current_setting('statement_timeout')").fetchone()
    assert row == ("5s",)


def test_statement_timeout_cuts_long_reader_queries(pg_settings: Settings):
    settings = pg_settings.model_copy(update={"db_statement_timeout_ms": 50})
    with connect(settings, DbRole.READER) as conn, pytest.raises(errors.QueryCanceled) as caught:
        conn.execute("SELECT pg_sleep(1)")
    assert str(caught.value) == "canceling statement due to statement timeout"


def test_unreachable_server_raises_database_unavailable(tmp_path: Path):
    dsn = make_conninfo("", user="postgres", password="s3cret", host=str(tmp_path), dbname="v")
    settings = load_settings(database_url=dsn, env="test")
    with pytest.raises(DatabaseUnavailableError) as caught:
        open_connection(settings, DbRole.WRITER)
    assert caught.value.message.startswith(
        f"Cannot connect to PostgreSQL as writer (postgresql://volt_writer@/v?host={tmp_path}): "
    )
    assert "s3cret" not in str(caught.value)


def test_server_version_is_at_least_15(pg_settings: Settings):
    assert int(server_version(pg_settings).split(".")[0]) >= 15
