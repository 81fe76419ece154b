"""Write the audit log: logins, failed logins, logouts, role changes and admin actions.

E-mails are recorded only as keyed hashes (`volt.api.keys.email_hash`). Failures (a wrong code, a
denied admin call) are recorded on their own short connection and committed at once, because the
request's own transaction rolls back when the route raises.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import psycopg
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from volt.api import queries

AsyncConn = psycopg.AsyncConnection[TupleRow]
WriterPool = AsyncConnectionPool[AsyncConn]


def _params(
    action: str,
    actor_user_id: int | None,
    actor_email_hash: str | None,
    ip: str | None,
    details: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "action": action,
        "actor_user_id": actor_user_id,
        "actor_email_hash": actor_email_hash,
        "ip": _valid_ip(ip),
        "details": Jsonb(details or {}),
    }


def _valid_ip(ip: str | None) -> str | None:
    # The peer address of a test client or a Unix socket is not an IP; inet would refuse it.
    if ip is None:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


async def record_audit(
    target: WriterPool | AsyncConn,
    action: str,
    *,
    actor_user_id: int | None = None,
    actor_email_hash: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record an event: in the caller's transaction (a connection), or committed now (a pool)."""
    params = _params(action, actor_user_id, actor_email_hash, ip, details)
    if isinstance(target, AsyncConnectionPool):
        async with target.connection() as conn, conn.transaction():
            await conn.execute(queries.INSERT_AUDIT_SQL, params)
    else:
        await target.execute(queries.INSERT_AUDIT_SQL, params)


def record_audit_sync(
    conn: psycopg.Connection[TupleRow],
    action: str,
    *,
    actor_user_id: int | None = None,
    actor_email_hash: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """The CLI's variant, in the caller's transaction (no IP: the actor is at the console)."""
    params = _params(action, actor_user_id, actor_email_hash, None, details)
    conn.execute(queries.INSERT_AUDIT_SQL, params)
