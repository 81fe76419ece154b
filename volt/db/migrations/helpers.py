"""What migrations need beyond op.execute: the configured role names, quoted, and GRANTs."""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context
from psycopg import sql

# Keys of config.attributes set by volt.db.migrate (role names are configurable per install).
SCHEMA_KEY = "volt_schema"
ROLES_KEY = "volt_roles"


def role(key: str) -> str:
    """The quoted name of the 'owner', 'writer' or 'reader' role of this install."""
    roles: dict[str, str] = context.config.attributes[ROLES_KEY]
    return quote(roles[key])


def quote(identifier: str) -> str:
    return sql.Identifier(identifier).as_string(None)


def grant(privileges: str, tables: Sequence[str], to: str) -> str:
    """GRANT <privileges> ON <tables> TO <role key>; tables resolve in the volt schema."""
    return f"GRANT {privileges} ON TABLE {', '.join(quote(t) for t in tables)} TO {role(to)}"
