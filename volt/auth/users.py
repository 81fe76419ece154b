"""User management from the console (`volt users …`): add, list, disable, enable, roles.

Synchronous, on a writer connection the caller opens and commits; every change is audited with
`{"via": "cli"}` and the user's id and e-mail hash in the details (the actor is at the console).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from email_validator import EmailNotValidError, validate_email
from psycopg.rows import TupleRow

from volt.api.audit import record_audit_sync
from volt.api.keys import email_hash, normalise_email
from volt.auth import queries
from volt.auth.queries import User
from volt.config import Settings
from volt.domain.roles import Role
from volt.errors import NotFoundError, UsageError

Conn = psycopg.Connection[TupleRow]


@dataclass(frozen=True)
class UserChange:
    user: User
    changed: bool  # False when the user already was in the asked state


def _valid_email(email: str) -> str:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise UsageError(f"{email!r} is not a valid e-mail address: {exc}") from None
    return normalise_email(email)


def _find(conn: Conn, email: str) -> User:
    params = {"email": normalise_email(email)}
    row = conn.execute(queries.USER_BY_EMAIL_FOR_UPDATE_SQL, params).fetchone()
    if row is None:
        raise NotFoundError(
            f"No user with the e-mail {email}.",
            hint="`volt users list` shows the users; `volt users add EMAIL` creates one.",
        )
    return User.from_row(row)


def _audit(conn: Conn, settings: Settings, action: str, user: User, **details: Any) -> None:
    record_audit_sync(
        conn,
        action,
        details={"via": "cli", "user_id": user.id, "email_hash": email_hash(settings, user.email)}
        | details,
    )


def add_user(conn: Conn, settings: Settings, email: str, *, admin: bool = False) -> User:
    role = Role.ADMIN if admin else Role.READER
    params = {"email": _valid_email(email), "role": role.value}
    row = conn.execute(queries.INSERT_USER_SQL, params).fetchone()
    if row is None:
        raise UsageError(
            f"A user with the e-mail {email} already exists.",
            hint="`volt users enable` or `volt users grant-admin` change an existing user.",
        )
    user = User.from_row(row)
    _audit(conn, settings, "users.created", user, role=role.value)
    return user


def list_users(conn: Conn) -> list[User]:
    return [User.from_row(row) for row in conn.execute(queries.LIST_USERS_SQL).fetchall()]


def set_active(conn: Conn, settings: Settings, email: str, *, active: bool) -> UserChange:
    """Disable (no new code, tokens refused within a minute) or enable a user."""
    user = _find(conn, email)
    if user.is_active == active:
        return UserChange(user, changed=False)
    row = conn.execute(queries.SET_ACTIVE_SQL, {"user_id": user.id, "is_active": active})
    updated = User.from_row(_one(row.fetchone()))
    _audit(conn, settings, "users.enabled" if active else "users.disabled", updated)
    return UserChange(updated, changed=True)


def set_role(conn: Conn, settings: Settings, email: str, role: Role) -> UserChange:
    user = _find(conn, email)
    if role is Role.READER and is_listed_admin(settings, user.email):
        raise UsageError(
            f"{user.email} is listed in VOLT_ADMIN_EMAILS: it would be admin again at its next "
            "login.",
            hint="Remove it from VOLT_ADMIN_EMAILS (and restart the API), then revoke.",
        )
    if user.role is role:
        return UserChange(user, changed=False)
    row = conn.execute(queries.SET_ROLE_SQL, {"user_id": user.id, "role": role.value})
    updated = User.from_row(_one(row.fetchone()))
    _audit(
        conn, settings, "users.role_changed", updated, **{"from": user.role.value, "to": role.value}
    )
    return UserChange(updated, changed=True)


def is_listed_admin(settings: Settings, email: str) -> bool:
    """In VOLT_ADMIN_EMAILS (case-insensitive): admin at every login, whatever the table says."""
    return normalise_email(email) in {normalise_email(e) for e in settings.admin_emails}


def _one(row: tuple[Any, ...] | None) -> tuple[Any, ...]:
    if row is None:  # locked by _find just before, and the writer role cannot DELETE users
        raise NotFoundError("The user disappeared during the change.")
    return row
