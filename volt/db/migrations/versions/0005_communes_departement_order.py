"""A département's communes in code order from one index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

`GET /v1/communes?departement=` pages a département's communes by `code_insee`. With an index
on `code_departement` alone the planner walked the primary key in code order and dropped the
other départements' rows one by one (6,578 of them for the 51 rows of Côte-d'Or's first page on
12,500 communes: 1.8 ms, the page's whole cost). `(code_departement, code_insee)` gives the page
as one ordered range; it replaces the single-column index, whose queries it serves too. The
load's staging tables copy the live indexes (0002's volt_index_staging): nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP INDEX communes_departement_idx")
    op.execute("CREATE INDEX communes_departement_idx ON communes (code_departement, code_insee)")


def downgrade() -> None:
    op.execute("DROP INDEX communes_departement_idx")
    op.execute("CREATE INDEX communes_departement_idx ON communes (code_departement)")
