"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    # Raw SQL only; unqualified names land in the volt schema (first on the search path).
    # Grant every new table explicitly (volt.db.migrations.helpers.grant): no default privileges.
    op.execute("""${upgrades if upgrades else "SELECT 1"}""")


def downgrade() -> None:
    op.execute("""${downgrades if downgrades else "SELECT 1"}""")
