"""What only the admin account does: databases, the three login roles, the schema and extensions."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
from psycopg import errors, sql
from psycopg.rows import TupleRow

from volt.config import Settings
from volt.db.dsn import APP_ROLES, DbRole, role_name, role_password
from volt.errors import ConfigError

DATABASE_EXISTS_SQL = "SELECT 1 FROM pg_database WHERE datname = %s"
CREATE_DATABASE_SQL = "CREATE DATABASE {name}"
DROP_DATABASE_SQL = "DROP DATABASE IF EXISTS {name} WITH (FORCE)"

ROLE_SQL = """
SELECT rolsuper, rolname = current_user AS is_me
FROM pg_roles WHERE rolname = %s
"""
CREATE_ROLE_SQL = "CREATE ROLE {name} WITH LOGIN PASSWORD {password}"
ALTER_ROLE_SQL = "ALTER ROLE {name} WITH LOGIN PASSWORD {password}"
IS_SUPERUSER_SQL = "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
# PostgreSQL 16 split membership into options: a CREATEROLE admin gets ADMIN on the roles it
# creates, but must also be able to SET ROLE (and inherit) to give the owner a schema.
CAN_ACT_AS_SQL = (
    "SELECT pg_has_role(current_user, %(role)s, 'SET')"
    " AND pg_has_role(current_user, %(role)s, 'USAGE')"
)
GRANT_ROLE_TO_ME_SQL = "GRANT {role} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE"
IS_MEMBER_SQL_PG15 = "SELECT pg_has_role(current_user, %(role)s, 'USAGE')"
GRANT_ROLE_TO_ME_SQL_PG15 = "GRANT {role} TO CURRENT_USER"

CREATE_SCHEMA_SQL = "CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {owner}"
ALTER_SCHEMA_OWNER_SQL = "ALTER SCHEMA {schema} OWNER TO {owner}"
GRANT_CONNECT_SQL = "GRANT CONNECT ON DATABASE {database} TO {owner}, {writer}, {reader}"
# The ETL loads through temporary staging tables (the writer may not create tables in the schema).
GRANT_TEMPORARY_SQL = "GRANT TEMPORARY ON DATABASE {database} TO {writer}"
GRANT_USAGE_SQL = "GRANT USAGE ON SCHEMA {schema} TO {writer}, {reader}"
# Trusted extensions (PG ≥ 13): a role with CREATE on the database may create them.
# Into the volt schema, so that the search path (volt, public) finds them for every role.
CREATE_EXTENSION_SQL = "CREATE EXTENSION IF NOT EXISTS {extension} WITH SCHEMA {schema}"
EXTENSIONS = ("pg_trgm", "unaccent")

ROLE_RETRIES = 3  # concurrent upgrades of sibling databases touch the same cluster-wide roles


@dataclass(frozen=True)
class RoleChange:
    role: DbRole
    name: str
    created: bool


def ensure_database(server_dsn: str, name: str) -> bool:
    """Create database `name` if missing (connected to another database). True if created."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        if conn.execute(DATABASE_EXISTS_SQL, (name,)).fetchone():
            return False
        try:
            conn.execute(sql.SQL(CREATE_DATABASE_SQL).format(name=sql.Identifier(name)))
        except errors.DuplicateDatabase:
            return False  # another process created it between our check and our CREATE
        return True


def drop_database(server_dsn: str, name: str) -> None:
    """Drop database `name`, cutting its sessions (tests, resets)."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL(DROP_DATABASE_SQL).format(name=sql.Identifier(name)))


def ensure_roles(conn: psycopg.Connection[TupleRow], settings: Settings) -> list[RoleChange]:
    """Create the owner, writer and reader LOGIN roles, or reset their passwords. Idempotent."""
    names = [role_name(settings, role) for role in APP_ROLES]
    if len(set(names)) != len(names):
        raise ConfigError(
            f"The owner, writer and reader roles must differ (got {', '.join(names)}).",
            hint="Set VOLT_DB_OWNER_ROLE, VOLT_DB_WRITER_ROLE and VOLT_DB_READER_ROLE.",
        )
    return [_ensure_role(conn, settings, role) for role in APP_ROLES]


def ensure_schema(conn: psycopg.Connection[TupleRow], settings: Settings) -> None:
    """The volt schema owned by the owner role, CONNECT/USAGE grants, pg_trgm and unaccent."""
    owner = role_name(settings, DbRole.OWNER)
    _make_me_member_of(conn, owner)
    names = {
        "schema": sql.Identifier(settings.db_schema),
        "database": sql.Identifier(conn.info.dbname),
        "owner": sql.Identifier(owner),
        "writer": sql.Identifier(role_name(settings, DbRole.WRITER)),
        "reader": sql.Identifier(role_name(settings, DbRole.READER)),
    }
    for statement in (
        CREATE_SCHEMA_SQL,
        ALTER_SCHEMA_OWNER_SQL,
        GRANT_CONNECT_SQL,
        GRANT_TEMPORARY_SQL,
        GRANT_USAGE_SQL,
    ):
        conn.execute(sql.SQL(statement).format(**names))
    for extension in EXTENSIONS:
        conn.execute(
            sql.SQL(CREATE_EXTENSION_SQL).format(
                extension=sql.Identifier(extension), schema=names["schema"]
            )
        )


def _ensure_role(
    conn: psycopg.Connection[TupleRow], settings: Settings, role: DbRole
) -> RoleChange:
    name = role_name(settings, role)
    # Hashed here (SCRAM, as psql's \password does): the clear text never reaches server logs.
    secret = conn.pgconn.encrypt_password(
        role_password(settings, role).encode(), name.encode()
    ).decode()
    params = {"name": sql.Identifier(name), "password": sql.Literal(secret)}
    for attempt in range(ROLE_RETRIES):
        row = conn.execute(ROLE_SQL, (name,)).fetchone()
        if row is not None and (row[0] or row[1]):
            raise ConfigError(
                f"Role {name!r} is a superuser or the admin account itself; volt will not "
                "change its password.",
                hint="Give the volt roles their own names (VOLT_DB_*_ROLE).",
            )
        try:
            conn.execute(
                sql.SQL(CREATE_ROLE_SQL if row is None else ALTER_ROLE_SQL).format(**params)
            )
            return RoleChange(role=role, name=name, created=row is None)
        except (errors.DuplicateObject, errors.UniqueViolation, errors.InternalError_) as exc:
            # Created, or its pg_authid row updated, by a concurrent session ("tuple
            # concurrently updated"): look again and retry.
            if isinstance(exc, errors.InternalError_) and "concurrently" not in str(exc):
                raise
            time.sleep(0.05 * (attempt + 1))
    raise ConfigError(f"Could not create or update role {name!r}: concurrent changes kept failing.")


def _make_me_member_of(conn: psycopg.Connection[TupleRow], owner: str) -> None:
    """A non-superuser admin must be a member of the owner role to give it the schema."""
    superuser = conn.execute(IS_SUPERUSER_SQL).fetchone()
    if superuser is not None and superuser[0]:
        return
    if conn.info.server_version >= 160000:
        check, grant = CAN_ACT_AS_SQL, GRANT_ROLE_TO_ME_SQL
    else:
        check, grant = IS_MEMBER_SQL_PG15, GRANT_ROLE_TO_ME_SQL_PG15
    allowed = conn.execute(check, {"role": owner}).fetchone()
    if allowed is None or not allowed[0]:
        conn.execute(sql.SQL(grant).format(role=sql.Identifier(owner)))
