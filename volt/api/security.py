"""Who may call what: the bearer token, then the account behind it, then the role.

`ReaderOrAdmin` guards every data route and `AdminOnly` every admin route; an endpoint without
either is public, and tests/api/test_security.py lists the public ones. A valid token is not
enough: its account must still exist and be active, and an admin token works only while the
account still holds the admin role.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from volt.api import queries
from volt.api.audit import AsyncConn, record_audit
from volt.api.clientip import client_ip
from volt.api.deps import AppStateDep
from volt.api.state import AppState
from volt.api.tokens import LOGIN_HINT, Principal, decode_token, is_revoked, revocation_key
from volt.cache.base import cache_key
from volt.domain.roles import Role
from volt.errors import AuthenticationError, PermissionDeniedError

# Swagger's *Authorize* posts the OAuth2 password form here. auto_error=False: a missing token is
# our AuthenticationError (problem+json with WWW-Authenticate), not FastAPI's own 401.
oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/v1/auth/token",
    auto_error=False,
    description="username = your e-mail, password = the code it received (POST /v1/auth/code).",
)

# Reader routes are the hot path: re-reading the account on each call would put a writer-pool
# round trip (4 connections) in front of every data query. A disabled account keeps access for
# at most this long, against a token lifetime of 30 minutes; admin routes never use the cache.
USER_STATUS_TTL_S = 60

DISABLED_MESSAGE = "The account of this token is disabled or no longer exists."


@dataclasses.dataclass(frozen=True)
class UserStatus:
    is_active: bool
    role: Role | None  # None: no such user

    def encode(self) -> bytes:
        return f"{int(self.is_active)}:{self.role or ''}".encode()

    @classmethod
    def decode(cls, raw: bytes) -> UserStatus:
        active, _, role = raw.decode().partition(":")
        return cls(active == "1", Role(role) if role else None)


async def current_principal(
    token: Annotated[str | None, Depends(oauth2_scheme)], state: AppStateDep
) -> Principal:
    """The token's principal; 401 when it is missing, invalid, expired or revoked."""
    if not token:
        raise AuthenticationError("This route needs a bearer token.", hint=LOGIN_HINT)
    principal = decode_token(state.settings, token)
    if await is_revoked(state.cache, state.settings, principal.jti):
        raise AuthenticationError("The token has been revoked.", hint=LOGIN_HINT)
    return principal


async def _read_status(conn: AsyncConn, user_id: int) -> UserStatus:
    row = await (await conn.execute(queries.USER_STATUS_SQL, {"user_id": user_id})).fetchone()
    if row is None:
        return UserStatus(is_active=False, role=None)
    return UserStatus(is_active=row[0], role=Role(row[1]))


def status_key(state: AppState, user_id: int) -> str:
    return cache_key(state.settings.cache_prefix, "user_status", str(user_id))


async def _fresh_status(state: AppState, user_id: int) -> UserStatus:
    """The account read from the database, then cached for USER_STATUS_TTL_S."""
    async with state.writer_pool.connection() as conn, conn.transaction():
        status = await _read_status(conn, user_id)
    await state.cache.set(status_key(state, user_id), status.encode(), USER_STATUS_TTL_S)
    return status


# The cache layer (volt/api/fastpath.py) leaves here the principal and account status it
# checked for a request it could not answer, so the route does not decode and fetch them again.
CHECKED_KEY = "volt_checked_reader"


async def reader_or_admin(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)], state: AppStateDep
) -> Principal:
    """Any active account; an admin token whose account lost the role reads as a reader.

    The hot path of every data route: the revocation mark and the cached account status come
    back in one cache round trip (MGET), and the database is read only when the status is not
    cached.
    """
    if not token:
        raise AuthenticationError("This route needs a bearer token.", hint=LOGIN_HINT)
    checked: tuple[str, Principal, UserStatus] | None = request.scope.get("state", {}).get(
        CHECKED_KEY
    )
    principal: Principal
    status: UserStatus
    if checked is not None and checked[0] == token:
        _, principal, status = checked
    else:
        principal = decode_token(state.settings, token)
        revoked, raw_status = await state.cache.get_many(
            revocation_key(state.settings, principal.jti), status_key(state, principal.user_id)
        )
        if revoked is not None:
            raise AuthenticationError("The token has been revoked.", hint=LOGIN_HINT)
        if raw_status is not None:
            status = UserStatus.decode(raw_status)
        else:
            status = await _fresh_status(state, principal.user_id)
    if not status.is_active or status.role is None:
        raise AuthenticationError(DISABLED_MESSAGE, hint=LOGIN_HINT)
    if principal.role is Role.ADMIN and status.role is not Role.ADMIN:
        return dataclasses.replace(principal, role=Role.READER)
    return principal


async def admin_only(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    state: AppStateDep,
) -> Principal:
    """An admin token of an account that is still an active admin (read now, not cached).

    Every call is audited, as `admin.<route name>` or `admin.denied`, in a transaction of its
    own: a denied call raises, which would roll back the route's transaction.
    """
    ip = client_ip(request, state.limiter.trusted_proxies)
    async with state.writer_pool.connection() as conn, conn.transaction():
        status = await _read_status(conn, principal.user_id)
        refusal = _admin_refusal(principal, status)
        route = request.scope.get("route")
        details: dict[str, Any] = {"method": request.method, "path": request.url.path}
        if refusal is not None:
            details["reason"] = refusal
        action = "admin.denied" if refusal else f"admin.{getattr(route, 'name', 'unknown')}"
        actor = principal.user_id if status.role is not None else None  # FK: must exist
        await record_audit(conn, action, actor_user_id=actor, ip=ip, details=details)
    if refusal == "inactive":
        raise AuthenticationError(DISABLED_MESSAGE, hint=LOGIN_HINT)
    if refusal is not None:
        raise PermissionDeniedError(
            "This route needs the admin role.",
            hint="Ask an admin for the role (volt users grant-admin), then log in again.",
        )
    return principal


def _admin_refusal(principal: Principal, status: UserStatus) -> str | None:
    if not status.is_active or status.role is None:
        return "inactive"
    if principal.role is not Role.ADMIN:
        return "reader_token"
    if status.role is not Role.ADMIN:
        return "role_revoked"
    return None


ReaderOrAdmin = Annotated[Principal, Depends(reader_or_admin)]
AdminOnly = Annotated[Principal, Depends(admin_only)]

# What makes a route non-public; the route-table test looks for these in each dependency tree.
PRINCIPAL_DEPENDENCIES = (current_principal, reader_or_admin)
