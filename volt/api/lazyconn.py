"""A reader connection taken from the pool only when a query runs.

Data routes answer most requests from the response cache or with a 304; taking a pooled
connection and opening a transaction for those would cost two round trips for nothing. The
route sees an ordinary connection (`execute`, `cursor`); the pool is asked at the first use,
and the transaction ends (commit, or rollback on error) when the request does.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

import psycopg
from psycopg import AsyncCursor
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool
from starlette.types import ASGIApp, Receive, Scope, Send

AsyncConn = psycopg.AsyncConnection[TupleRow]
READ_CONNECTIONS = "volt.read_connections"  # ASGI scope key: the request's lazy connections


class LazyConnection:
    def __init__(self, pool: AsyncConnectionPool[AsyncConn]) -> None:
        self._pool = pool
        self._lease: AbstractAsyncContextManager[AsyncConn] | None = None
        self._transaction: AbstractAsyncContextManager[Any] | None = None
        self._conn: AsyncConn | None = None

    async def connection(self) -> AsyncConn:
        if self._conn is None:
            lease = self._pool.connection()
            conn = await lease.__aenter__()
            self._lease = lease
            transaction = conn.transaction()
            await transaction.__aenter__()
            self._transaction, self._conn = transaction, conn
        return self._conn

    async def execute(self, *args: Any, **kwargs: Any) -> AsyncCursor[TupleRow]:
        return await (await self.connection()).execute(*args, **kwargs)

    def cursor(self, *args: Any, **kwargs: Any) -> _LazyCursor:
        return _LazyCursor(self, args, kwargs)

    async def close(self, error: BaseException | None) -> None:
        """End the transaction (rollback if `error`) and give the connection back, if taken."""
        if self._lease is None or self._transaction is None:
            return
        kind = type(error) if error is not None else None
        try:
            await self._transaction.__aexit__(kind, error, error.__traceback__ if error else None)
        finally:
            await self._lease.__aexit__(kind, error, error.__traceback__ if error else None)
            self._lease = self._transaction = self._conn = None


class _LazyCursor:
    """`async with conn.cursor(...) as cursor` on a connection taken at that moment."""

    def __init__(self, lazy: LazyConnection, args: tuple[Any, ...], kwargs: dict[str, Any]):
        self._lazy, self._args, self._kwargs = lazy, args, kwargs
        self._cursor: AbstractAsyncContextManager[Any] | None = None

    async def __aenter__(self) -> Any:
        conn = await self._lazy.connection()
        self._cursor = conn.cursor(*self._args, **self._kwargs)
        return await self._cursor.__aenter__()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._cursor is not None
        await self._cursor.__aexit__(kind, error, traceback)


class ReadConnectionsMiddleware:
    """Ends the request's read transactions when its response is complete: rolled back if the
    application raised, committed otherwise (read-only: both only release the snapshot), and
    gives their connections back to the pool."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except BaseException as exc:
            await _close_all(scope, exc)
            raise
        await _close_all(scope, None)


async def _close_all(scope: Scope, error: BaseException | None) -> None:
    for lazy in scope.pop(READ_CONNECTIONS, ()):
        await lazy.close(error)
