"""One *current* normal relationship per person and scheme (contributing or receiving).

A suspended relation may now stand beside a contributing one: the person enrols at the new
place first and the old place keeps the relation until the transfer completes
(国办发〔2009〕66号 第八条 一).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD = "kind = 'normal' AND status IN ('contributing', 'suspended', 'receiving')"
NEW = "kind = 'normal' AND status IN ('contributing', 'receiving')"


def _index(name: str, where: str) -> None:
    op.create_index(
        name,
        "relationships",
        ["person_id", "scheme"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("uq_relationships_one_active_normal", table_name="relationships")
    _index("uq_relationships_one_current_normal", NEW)


def downgrade() -> None:
    op.drop_index("uq_relationships_one_current_normal", table_name="relationships")
    _index("uq_relationships_one_active_normal", OLD)
