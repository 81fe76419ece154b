"""SQL of the login flow and of user management (writer role: it may read and update users)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from volt.domain.roles import Role

USER_COLUMNS = "id, email, role, is_active, created_at, last_login_at"


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> User:
        user_id, email, role, is_active, created_at, last_login_at = row
        return cls(user_id, email, Role(role), is_active, created_at, last_login_at)


# E-mails are compared case-insensitively, like the unique index users_email_key.
USER_BY_EMAIL_SQL = f"""
SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower(%(email)s)
"""

# The login locks the row: a concurrent disable or role change waits for the login to finish.
USER_BY_EMAIL_FOR_UPDATE_SQL = USER_BY_EMAIL_SQL.rstrip() + " FOR UPDATE\n"

USER_BY_ID_SQL = f"""
SELECT {USER_COLUMNS} FROM users WHERE id = %(user_id)s
"""

# ON CONFLICT: two first logins of one address at once create one account (the other gets None).
INSERT_USER_SQL = f"""
INSERT INTO users (email, role) VALUES (%(email)s, %(role)s)
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING {USER_COLUMNS}
"""

RECORD_LOGIN_SQL = """
UPDATE users SET last_login_at = now() WHERE id = %(user_id)s
"""

SET_ROLE_SQL = f"""
UPDATE users SET role = %(role)s WHERE id = %(user_id)s RETURNING {USER_COLUMNS}
"""

SET_ACTIVE_SQL = f"""
UPDATE users SET is_active = %(is_active)s WHERE id = %(user_id)s RETURNING {USER_COLUMNS}
"""

LIST_USERS_SQL = f"""
SELECT {USER_COLUMNS} FROM users ORDER BY lower(email)
"""
