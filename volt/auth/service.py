"""The login flow: request a code, exchange it for a token, log out, who am I.

Users are created on first login when self-registration is on; otherwise only active, known
addresses get a code. Admins are users with the admin role plus the addresses of
VOLT_ADMIN_EMAILS, whose role is brought to admin at login (and audited as a role change).
"""

from __future__ import annotations

from typing import NoReturn

import psycopg
from psycopg.rows import TupleRow

from volt.api.audit import record_audit
from volt.api.keys import email_hash, normalise_email
from volt.api.state import AppState
from volt.api.tokens import IssuedToken, Principal, issue_token, revoke
from volt.auth import codes, queries
from volt.auth.queries import User
from volt.auth.schemas import MeRead
from volt.auth.users import is_listed_admin
from volt.config import Settings
from volt.domain.roles import Role
from volt.errors import AuthenticationError, ServiceUnavailableError
from volt.mail.base import OutgoingMail

AsyncConn = psycopg.AsyncConnection[TupleRow]

# One message for a wrong, expired, used or voided code and for an address that may not log in:
# the answer must not tell which.
BAD_CODE_MESSAGE = "The code is wrong, expired or already used."
BAD_CODE_HINT = "Request a new code: POST /v1/auth/code."


async def request_code(state: AppState, conn: AsyncConn, email: str, ip: str | None) -> None:
    """Mail a code if this address may log in; do the same visible work either way."""
    settings = state.settings
    address_hash = email_hash(settings, email)
    # Per address, whoever asks: bounds the mails a victim gets and the codes one can guess.
    await state.limiter.hit("auth_code_email", address_hash)
    user = await _find_user(conn, email)
    may_login = user.is_active if user is not None else settings.self_registration
    await record_audit(
        conn,
        "auth.code.requested",
        actor_user_id=user.id if user is not None else None,
        actor_email_hash=address_hash,
        ip=ip,
        details={"sent": may_login},
    )
    if not may_login:
        return
    # Stored before sending, so that a fast reader of the mail finds it; voided if sending fails.
    code = await codes.store_code(state.cache, settings, address_hash)
    try:
        await state.mailer.send(login_mail(settings, normalise_email(email), code))
    except ServiceUnavailableError:
        await codes.void_code(state.cache, settings, address_hash)
        await record_audit(
            state.writer_pool,
            "auth.code.send_failed",
            actor_email_hash=address_hash,
            ip=ip,
        )
        raise


def login_mail(settings: Settings, to: str, code: str) -> OutgoingMail:
    seconds = settings.login_code_seconds
    lifetime = f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"
    body = (
        f"Your volt login code is: {code}\n"
        "\n"
        f"It is valid for {lifetime} and works once.\n"
        "\n"
        "If you did not ask for it, ignore this mail: nobody can log in without the code.\n"
    )
    return OutgoingMail(to=to, subject="Your volt login code", body=body)


async def exchange_code(
    state: AppState, conn: AsyncConn, email: str, code: str, ip: str | None
) -> IssuedToken:
    """A token for a right code (single use, within the attempts), else 401 — the same for all."""
    settings = state.settings
    address_hash = email_hash(settings, email)
    if not await codes.check_code(state.cache, settings, address_hash, code):
        await _login_failed(state, address_hash, ip, "bad_code")
    user = await _find_user(conn, email, lock=True)
    if user is None and settings.self_registration:
        user = await _create_user(conn, settings, email, ip)
    if user is None or not user.is_active:
        # Disabled (or self-registration turned off) between the code request and now.
        await _login_failed(state, address_hash, ip, "not_allowed")
    role = await _sync_admin_role(conn, settings, user, ip)
    await conn.execute(queries.RECORD_LOGIN_SQL, {"user_id": user.id})
    issued = issue_token(settings, user.id, role)
    await record_audit(
        conn,
        "auth.login.succeeded",
        actor_user_id=user.id,
        actor_email_hash=address_hash,
        ip=ip,
        details={"role": role.value},
    )
    return issued


async def _login_failed(
    state: AppState, address_hash: str, ip: str | None, reason: str
) -> NoReturn:
    # Its own transaction: the request's rolls back with the 401.
    await record_audit(
        state.writer_pool,
        "auth.login.failed",
        actor_email_hash=address_hash,
        ip=ip,
        details={"reason": reason},
    )
    raise AuthenticationError(BAD_CODE_MESSAGE, hint=BAD_CODE_HINT)


async def _find_user(conn: AsyncConn, email: str, *, lock: bool = False) -> User | None:
    sql = queries.USER_BY_EMAIL_FOR_UPDATE_SQL if lock else queries.USER_BY_EMAIL_SQL
    row = await (await conn.execute(sql, {"email": normalise_email(email)})).fetchone()
    return User.from_row(row) if row is not None else None


async def _create_user(
    conn: AsyncConn, settings: Settings, email: str, ip: str | None
) -> User | None:
    role = Role.ADMIN if is_listed_admin(settings, email) else Role.READER
    params = {"email": normalise_email(email), "role": role.value}
    row = await (await conn.execute(queries.INSERT_USER_SQL, params)).fetchone()
    if row is None:  # created by a concurrent first login: take that one
        return await _find_user(conn, email, lock=True)
    user = User.from_row(row)
    await record_audit(
        conn,
        "users.created",
        actor_user_id=user.id,
        actor_email_hash=email_hash(settings, email),
        ip=ip,
        details={"via": "self_registration", "role": role.value},
    )
    return user


async def _sync_admin_role(conn: AsyncConn, settings: Settings, user: User, ip: str | None) -> Role:
    """Admin by the table or by VOLT_ADMIN_EMAILS; the latter is written to the table."""
    if user.role is Role.ADMIN or not is_listed_admin(settings, user.email):
        return user.role
    await conn.execute(queries.SET_ROLE_SQL, {"user_id": user.id, "role": Role.ADMIN.value})
    await record_audit(
        conn,
        "users.role_changed",
        actor_user_id=user.id,
        actor_email_hash=email_hash(settings, user.email),
        ip=ip,
        details={"from": user.role.value, "to": Role.ADMIN.value, "via": "admin_emails"},
    )
    return Role.ADMIN


async def logout(state: AppState, conn: AsyncConn, principal: Principal, ip: str | None) -> None:
    await revoke(state.cache, state.settings, principal)
    await record_audit(conn, "auth.logout", actor_user_id=principal.user_id, ip=ip)


async def get_me(conn: AsyncConn, principal: Principal) -> MeRead:
    row = await (
        await conn.execute(queries.USER_BY_ID_SQL, {"user_id": principal.user_id})
    ).fetchone()
    if row is None:  # the security dependency checked the account just before
        raise AuthenticationError("The account no longer exists.", hint=BAD_CODE_HINT)
    user = User.from_row(row)
    return MeRead(email=user.email, role=principal.role, token_expires_at=principal.expires_at)
