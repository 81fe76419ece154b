"""Schema upgrades: admin bootstrap (roles, schema, extensions), then Alembic as the owner role.

Alembic runs on a connection of the owner role so that every table it creates is owned by it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import sqlalchemy
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from psycopg import errors
from psycopg.rows import TupleRow
from sqlalchemy.pool import NullPool

from volt.config import Settings
from volt.db.admin import RoleChange, ensure_roles, ensure_schema
from volt.db.connect import connect, open_connection
from volt.db.dsn import APP_ROLES, DbRole, role_name
from volt.db.migrations.helpers import ROLES_KEY, SCHEMA_KEY
from volt.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
HEAD = "head"
BASE = "base"

# Session advisory lock: replicas or operators upgrading the same database run one at a time.
# The key is arbitrary but fixed (ASCII "voltmigr").
MIGRATION_LOCK_KEY = 0x766F_6C74_6D69_6772
LOCK_SQL = "SELECT pg_advisory_lock(%s)"


@dataclass(frozen=True)
class UpgradeReport:
    database: str
    server_version: str
    schema: str
    roles: tuple[RoleChange, ...]
    revision: str | None


def upgrade(settings: Settings, revision: str = HEAD) -> UpgradeReport:
    """Create or update roles, schema, grants and extensions, then migrate to `revision`."""
    with connect(settings, DbRole.ADMIN, autocommit=True) as admin:
        admin.execute(LOCK_SQL, (MIGRATION_LOCK_KEY,))  # released when the connection closes
        roles = _bootstrap(admin, settings)
        current = _run_alembic(settings, "upgrade", revision)
        info = admin.info
        return UpgradeReport(
            database=info.dbname,
            server_version=str(info.parameter_status("server_version") or info.server_version),
            schema=settings.db_schema,
            roles=tuple(roles),
            revision=current,
        )


def downgrade(settings: Settings, revision: str) -> str | None:
    """Migrate down to `revision` ('base' drops every volt table); the revision reached."""
    with connect(settings, DbRole.ADMIN, autocommit=True) as admin:
        admin.execute(LOCK_SQL, (MIGRATION_LOCK_KEY,))
        return _run_alembic(settings, "downgrade", revision)


def current_revision(settings: Settings) -> str | None:
    """The revision the database is at, None before the first upgrade."""
    with _owner_engine(settings) as engine, engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table_schema": settings.db_schema}
        )
        return context.get_current_revision()


def head_revision(settings: Settings) -> str:
    """The latest revision this version of volt ships."""
    head = ScriptDirectory.from_config(_alembic_config(settings)).get_current_head()
    assert head is not None
    return head


def require_current(settings: Settings) -> None:
    """Raise a clear error unless the database is migrated to this volt's latest revision."""
    current, head = current_revision(settings), head_revision(settings)
    if current != head:
        raise ConfigError(
            f"The database is at revision {current or 'none'}, this volt needs {head}.",
            hint="Run `volt db upgrade` first.",
        )


def _bootstrap(admin: psycopg.Connection[TupleRow], settings: Settings) -> list[RoleChange]:
    try:
        roles = ensure_roles(admin, settings)
        ensure_schema(admin, settings)
    except errors.InsufficientPrivilege as exc:
        raise ConfigError(
            f"The admin account cannot set up the volt roles and schema: "
            f"{exc.diag.message_primary}.",
            hint="VOLT_DATABASE_URL must name a superuser, or an account with CREATEROLE that "
            "owns the database (or has CREATE on it).",
        ) from exc
    return roles


def _run_alembic(settings: Settings, direction: str, revision: str) -> str | None:
    with _owner_engine(settings) as engine, engine.begin() as connection:
        config = _alembic_config(settings)
        config.attributes["connection"] = connection
        if direction == "upgrade":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)
        context = MigrationContext.configure(
            connection, opts={"version_table_schema": settings.db_schema}
        )
        return context.get_current_revision()


def _alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.attributes[SCHEMA_KEY] = settings.db_schema
    config.attributes[ROLES_KEY] = {str(role): role_name(settings, role) for role in APP_ROLES}
    return config


@contextmanager
def _owner_engine(settings: Settings) -> Iterator[sqlalchemy.Engine]:
    # SQLAlchemy only carries Alembic; the connection is ours, configured as the owner role.
    engine = sqlalchemy.create_engine(
        "postgresql+psycopg://",
        creator=lambda: open_connection(settings, DbRole.OWNER),
        poolclass=NullPool,
    )
    try:
        yield engine
    finally:
        engine.dispose()
