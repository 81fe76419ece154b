"""Admin routes (admin role, every call audited): `GET /v1/admin/audit`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from volt.admin import service
from volt.admin.schemas import AuditEventRead
from volt.api.deps import WriteConn
from volt.api.pagination import Page
from volt.api.problems import problem_responses
from volt.api.security import AdminOnly

router = APIRouter(prefix="/admin", tags=["admin"])

# A page of 200 events is a few hundred kB at most; more is what the cursor is for.
MAX_PAGE = 200
MAX_ID = 2**63 - 1  # bigint: a larger cursor would be a database error, not an empty page


@router.get(
    "/audit",
    summary="The audit log, newest first",
    description=(
        "Logins, failed logins, code requests, logouts, role changes and admin calls. "
        "Keyset-paginated: pass the `next` of a page as `before` to get the following one."
    ),
    responses=problem_responses(401, 403, 422, 429, 503),
)
async def list_audit_events(
    principal: AdminOnly,
    conn: WriteConn,  # the reader role cannot read audit_log
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Events per page.")] = 50,
    before: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="Cursor: events with a smaller id than this."),
    ] = None,
    action: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
            description="Exact action, or a dotted prefix of it (`auth`, `auth.login`).",
            examples=["auth.login.failed"],
        ),
    ] = None,
) -> Page[AuditEventRead]:
    return await service.list_audit_events(conn, limit=limit, before=before, action=action)
