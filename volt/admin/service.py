"""Admin logic: reading the audit log page by page."""

from __future__ import annotations

import psycopg
from psycopg.rows import TupleRow

from volt.admin import queries
from volt.admin.schemas import AuditEventRead
from volt.api.pagination import Page, cut_page

AsyncConn = psycopg.AsyncConnection[TupleRow]


async def list_audit_events(
    conn: AsyncConn, *, limit: int, before: int | None, action: str | None
) -> Page[AuditEventRead]:
    params = {"limit": limit + 1, "before": before, "action": action}
    rows = await (await conn.execute(queries.LIST_AUDIT_SQL, params)).fetchall()
    events = [
        AuditEventRead(
            id=event_id,
            at=at,
            actor_user_id=actor_user_id,
            actor_email_hash=actor_email_hash,
            action=action_name,
            ip=ip,
            details=details,
        )
        for event_id, at, actor_user_id, actor_email_hash, action_name, ip, details in rows
    ]
    items, next_cursor = cut_page(events, limit, lambda event: event.id)
    return Page[AuditEventRead](items=items, next=next_cursor)
