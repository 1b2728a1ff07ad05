"""Bulk transfers (成建制划转): the cases of one employer's move share a batch id.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfer_cases") as batch:
        batch.add_column(sa.Column("batch", sa.String(length=40), nullable=True))
        batch.create_index("ix_transfer_cases_batch", ["batch"])


def downgrade() -> None:
    with op.batch_alter_table("transfer_cases") as batch:
        batch.drop_index("ix_transfer_cases_batch")
        batch.drop_column("batch")
