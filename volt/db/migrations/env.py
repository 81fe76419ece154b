"""Alembic environment: runs on the owner connection handed over by volt.db.migrate, online only."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from volt.db.migrations.helpers import SCHEMA_KEY

CURRENT_SCHEMA_SQL = "SELECT current_schema()"


def run_migrations() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        # Roles, schema and extensions come first, as admin: the bare alembic CLI cannot do that.
        raise RuntimeError("Run migrations with `volt db upgrade` (volt.db.migrate), not alembic.")
    schema: str = config.attributes[SCHEMA_KEY]
    # Unqualified names in the migrations must land in the volt schema, never in public.
    actual = connection.execute(text(CURRENT_SCHEMA_SQL)).scalar()
    if actual != schema:
        raise RuntimeError(f"search_path resolves to schema {actual!r}, expected {schema!r}.")
    context.configure(connection=connection, version_table_schema=schema)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
