"""DPE and Enedis rows stay in the gold zone: drop their PostgreSQL tables, reload only the rest.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

No role ever read `dpe` or `enedis_consumption` from PostgreSQL (the API reader cannot), and
loading them was half of every load's time. They remain gold parquet files, the downloadable
product. The staging/index/swap functions are recreated over the remaining tables.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from alembic import context, op

from volt.db.migrations.helpers import SCHEMA_KEY, grant, quote, role

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the contract at this revision; tests/db/test_gold_schema.py checks both sides.
SERVING = ("communes", "buildings", "areas", "dpe_vs_metered")
INTERNAL = ("ban_addresses",)
DROPPED = ("dpe", "enedis_consumption")


def _previous() -> Any:
    return importlib.import_module("volt.db.migrations.versions.0002_gold")


def _function_sql(gold: Sequence[str]) -> list[str]:
    previous = _previous()
    schema: str = context.config.attributes[SCHEMA_KEY]
    names = {
        "path": f"{quote(schema)}, public, pg_temp",
        "tables": previous._array(gold),
        "serving": previous._array(SERVING),
        "writer": role("writer"),
        "reader": role("reader"),
        "writer_dml": previous.WRITER_DML,
    }
    sqls = (previous.PREPARE_SQL, previous.INDEX_STAGING_SQL, previous.SWAP_SQL)
    return [s.format(**names) for s in sqls]


def _recreate_functions(gold: Sequence[str]) -> None:
    previous = _previous()
    op.execute("DROP FUNCTION " + ", ".join(previous.FUNCTIONS))
    for statement in _function_sql(gold):
        op.execute(statement)
    for function in previous.FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {role('writer')}")


def upgrade() -> None:
    for table in DROPPED:
        op.execute(f"DROP TABLE IF EXISTS {table}__staging, {table}__old, {table}")
    _recreate_functions(SERVING + INTERNAL)


def downgrade() -> None:
    previous = _previous()
    gold_sql: str = previous.GOLD_SQL
    # Re-create only the two tables' statements from 0002's DDL.
    for statement in gold_sql.split(";"):
        if any(f"CREATE TABLE {t} (" in statement for t in DROPPED) or any(
            f"COMMENT ON TABLE {t} " in statement for t in DROPPED
        ):
            op.execute(statement)
    op.execute(grant(previous.WRITER_DML, DROPPED, to="writer"))
    _recreate_functions(previous.GOLD)
