"""Gold `area_cuts` (DPE dimensions per area); indexes for a département's communes and for
building pages in BAN id order.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

`area_cuts` holds, per area from the commune up, year, DPE dimension and value, the DPE count,
the label mixes and the vigintiles of the conventional consumption per m²: the statistics
filters, breakdowns and distributions read it (volt.domain.cuts). It is a serving table, loaded
and swapped like the others: the staging/index/swap functions are recreated over it.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from alembic import context, op

from volt.db.migrations.helpers import SCHEMA_KEY, grant, quote, role

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the contract at this revision; tests/db/test_gold_schema.py checks both sides.
LABEL_COUNTS = [
    f"{p}_{label}" for p in ("n_label", "n_ges", "n_label_recomputed") for label in "abcdefg"
]
VIGINTILES = [f"{e}_p{p:02d}" for e in ("ep", "ef") for p in range(5, 100, 5)]


def _cols(names: Sequence[str], pg_type: str) -> str:
    return ",\n".join(f"    {name} {pg_type}" for name in names)


AREA_CUTS_SQL = f"""
CREATE TABLE area_cuts (
    level      text CHECK (level IN ('commune', 'epci', 'departement', 'region', 'france')),
    code       text,
    annee      integer,
    dimension  text CHECK (dimension IN
        ('all', 'etiquette_dpe', 'type_batiment', 'periode_construction', 'energie_chauffage')),
    value      text,
    n_dpe      integer,
{_cols(LABEL_COUNTS, "integer")},
    n_ep       integer,
{_cols(VIGINTILES[:19], "double precision")},
    n_ef       integer,
{_cols(VIGINTILES[19:], "double precision")},
    CONSTRAINT area_cuts_pkey PRIMARY KEY (level, code, annee, dimension, value)
);
COMMENT ON TABLE area_cuts IS
    'Per area (commune and up), year, DPE dimension and value: counts, labels, vigintiles.';
"""

# A département's communes (GET /v1/communes?departement=, /v1/stats/commune?parent=&
# parent_level=departement) were read through the level's rows filtered one by one.
INDEX_SQL = "CREATE INDEX areas_departement_idx ON areas (level, code_departement, annee)"
# A page of a commune's (a street's) buildings in BAN id order (bytewise, as the API pages):
# the index now gives that order, so a page reads its 51 rows instead of sorting every building
# of the place. Same names and leading columns as 0002's, which they replace.
BUILDING_PAGE_INDEXES = {
    "buildings_commune_idx": ("code_insee", "annee"),
    "buildings_street_idx": ("street_code", "annee"),
}


def _page_indexes(ordered: bool) -> list[str]:
    statements = []
    for name, columns in BUILDING_PAGE_INDEXES.items():
        keys = ", ".join(columns) + (', ban_id COLLATE "C"' if ordered else "")
        statements += [f"DROP INDEX {name}", f"CREATE INDEX {name} ON buildings ({keys})"]
    return statements


SERVING = ("communes", "buildings", "areas", "dpe_vs_metered", "area_cuts")
INTERNAL = ("ban_addresses",)


def _migration(name: str) -> Any:
    return importlib.import_module(f"volt.db.migrations.versions.{name}")


def _recreate_functions(gold: Sequence[str], serving: Sequence[str]) -> None:
    """0002's staging/index/swap functions, over these gold and serving tables."""
    previous = _migration("0002_gold")
    schema: str = context.config.attributes[SCHEMA_KEY]
    names = {
        "path": f"{quote(schema)}, public, pg_temp",
        "tables": previous._array(gold),
        "serving": previous._array(serving),
        "writer": role("writer"),
        "reader": role("reader"),
        "writer_dml": previous.WRITER_DML,
    }
    op.execute("DROP FUNCTION " + ", ".join(previous.FUNCTIONS))
    for statement in (previous.PREPARE_SQL, previous.INDEX_STAGING_SQL, previous.SWAP_SQL):
        op.execute(statement.format(**names))
    for function in previous.FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {role('writer')}")


def upgrade() -> None:
    op.execute(AREA_CUTS_SQL)
    op.execute(INDEX_SQL)
    for statement in _page_indexes(ordered=True):
        op.execute(statement)
    op.execute(grant("SELECT", ["area_cuts"], to="reader"))
    op.execute(grant(_migration("0002_gold").WRITER_DML, ["area_cuts"], to="writer"))
    _recreate_functions(SERVING + INTERNAL, SERVING)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS area_cuts__staging, area_cuts__old, area_cuts")
    op.execute("DROP INDEX areas_departement_idx")
    for statement in _page_indexes(ordered=False):
        op.execute(statement)
    gold_0003 = _migration("0003_gold_zone_only")
    _recreate_functions(gold_0003.SERVING + gold_0003.INTERNAL, gold_0003.SERVING)
