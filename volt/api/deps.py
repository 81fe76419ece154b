"""Request dependencies: settings, cache, mailer and database connections.

Dependencies own transactions: a write connection is handed out inside a transaction that commits
when the route returns normally and rolls back when it raises; a read connection's (read-only)
transaction ends with the response (volt.api.lazyconn); services and queries never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, cast

import psycopg
from fastapi import Depends, Request
from psycopg.rows import TupleRow

from volt.api.lazyconn import READ_CONNECTIONS, LazyConnection
from volt.api.state import AppState
from volt.cache.base import Cache
from volt.config import Settings
from volt.mail.base import Mailer

AsyncConn = psycopg.AsyncConnection[TupleRow]


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.volt
    return state


# Dependencies are coroutines: FastAPI runs a plain `def` dependency in a worker thread, which
# cost ≈ 5 % of a data request.
async def app_state(request: Request) -> AppState:
    return _state(request)


async def _settings(request: Request) -> Settings:
    return _state(request).settings


async def _cache(request: Request) -> Cache:
    return _state(request).cache


async def _mailer(request: Request) -> Mailer:
    return _state(request).mailer


async def _read_conn(request: Request) -> AsyncConn:
    # Taken from the pool at the first query only: cached answers and 304s need none. Ended by
    # ReadConnectionsMiddleware when the response is complete: a `yield` dependency costs an
    # exit stack and a shielded cancel scope per request (≈ 7 % of an uncached data request).
    lazy = LazyConnection(_state(request).reader_pool)
    request.scope.setdefault(READ_CONNECTIONS, []).append(lazy)
    # The routes use `execute` and `cursor` only, which LazyConnection provides.
    return cast(AsyncConn, lazy)


async def _write_conn(request: Request) -> AsyncIterator[AsyncConn]:
    async with _state(request).writer_pool.connection() as conn, conn.transaction():
        yield conn


AppStateDep = Annotated[AppState, Depends(app_state)]
SettingsDep = Annotated[Settings, Depends(_settings)]
CacheDep = Annotated[Cache, Depends(_cache)]
MailerDep = Annotated[Mailer, Depends(_mailer)]
ReadConn = Annotated[AsyncConn, Depends(_read_conn)]
WriteConn = Annotated[AsyncConn, Depends(_write_conn)]
