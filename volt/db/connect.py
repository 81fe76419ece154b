"""Connections: sync psycopg connections (ETL, CLI) and the async pool factory (API).

Nothing here connects at import; every session gets the volt search path, and reader sessions are
read-only with a statement timeout whatever the caller does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from volt.config import Settings
from volt.db.dsn import DbRole, redact, require_supported_server, role_dsn
from volt.errors import DatabaseUnavailableError

# One round trip for every session setting, values bound.
SESSION_SQL = """
SELECT set_config(name, value, false)
FROM unnest(%(names)s::text[], %(values)s::text[]) AS s(name, value)
"""
SERVER_VERSION_SQL = "SELECT current_setting('server_version')"

CONNECT_TIMEOUT_S = 10  # a server that does not answer in 10 s is down for our purposes


def session_settings(settings: Settings, role: DbRole) -> dict[str, str]:
    """GUCs every session of `role` starts with (the admin keeps the server defaults)."""
    if role is DbRole.ADMIN:
        return {}
    # Schema first, then public, where pre-existing pg_trgm/unaccent installs may live.
    schema = sql.Identifier(settings.db_schema).as_string(None)
    values = {"search_path": f"{schema}, public"}
    if role is DbRole.READER:
        values["default_transaction_read_only"] = "on"
        values["statement_timeout"] = str(settings.db_statement_timeout_ms)
        # psycopg prepares a statement from its 5th run; PostgreSQL may then switch to a generic
        # plan, which for optional filters (`%(x)s IS NULL OR col = %(x)s`) cannot use the
        # index: a 4 ms page became 180-270 ms. Plans are cheap next to that.
        values["plan_cache_mode"] = "force_custom_plan"
    return values


def open_connection(
    settings: Settings, role: DbRole = DbRole.WRITER, *, autocommit: bool = False
) -> psycopg.Connection[TupleRow]:
    """A configured connection the caller must close (prefer `connect`)."""
    dsn = role_dsn(settings, role)
    try:
        conn = psycopg.connect(dsn, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as exc:
        raise _unavailable(dsn, role, exc) from exc
    try:
        require_supported_server(conn.info.server_version)
        _configure(conn, settings, role)
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def connect(
    settings: Settings, role: DbRole = DbRole.WRITER, *, autocommit: bool = False
) -> Iterator[psycopg.Connection[TupleRow]]:
    """A connection as `role`: committed on normal exit, rolled back on error, then closed."""
    with open_connection(settings, role, autocommit=autocommit) as conn:
        yield conn


def open_async_pool(
    settings: Settings,
    role: DbRole = DbRole.READER,
    *,
    min_size: int = 1,
    max_size: int = 10,
    timeout: float = 10.0,
    name: str | None = None,
) -> AsyncConnectionPool[psycopg.AsyncConnection[TupleRow]]:
    """An async pool for `role`, not yet open: `await pool.open(wait=True)` or `async with pool`.

    In embedded mode this starts the server (synchronously) to learn its DSN.
    """
    params = _session_params(session_settings(settings, role))

    async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
        require_supported_server(conn.info.server_version)
        if params["names"]:
            await conn.execute(SESSION_SQL, params)
            await conn.commit()  # set_config inside a rolled-back transaction would be undone

    return AsyncConnectionPool(
        role_dsn(settings, role),
        connection_class=psycopg.AsyncConnection[TupleRow],
        kwargs={"connect_timeout": CONNECT_TIMEOUT_S},
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        name=name or f"volt-{role}",
        configure=configure,
        open=False,
    )


def server_version(settings: Settings, role: DbRole = DbRole.ADMIN) -> str:
    """The server's version string, e.g. '18.0' (a reachability check for `volt db status`)."""
    with connect(settings, role, autocommit=True) as conn:
        row = conn.execute(SERVER_VERSION_SQL).fetchone()
    assert row is not None
    return str(row[0])


def _configure(conn: psycopg.Connection[TupleRow], settings: Settings, role: DbRole) -> None:
    params = _session_params(session_settings(settings, role))
    if not params["names"]:
        return
    conn.execute(SESSION_SQL, params)
    if not conn.autocommit:
        conn.commit()  # set_config inside a rolled-back transaction would be undone


def _session_params(values: dict[str, str]) -> dict[str, list[str]]:
    return {"names": list(values), "values": list(values.values())}


def _unavailable(dsn: str, role: DbRole, exc: psycopg.OperationalError) -> DatabaseUnavailableError:
    # libpq's message names the host and user, never the password.
    reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    hint = "Check VOLT_DATABASE_URL and that the server runs."
    if role is not DbRole.ADMIN:
        hint += " The volt roles exist once `volt db upgrade` has run."
    return DatabaseUnavailableError(
        f"Cannot connect to PostgreSQL as {role} ({redact(dsn)}): {reason or type(exc).__name__}",
        hint=hint,
    )
