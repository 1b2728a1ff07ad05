"""The documents waiting in the inbox and the outbox are found by indexes of their own (issue 7).

Each round of the pump (and so each transfer request, which pumps) asks the outbox for the
documents not yet delivered and the inbox for those not yet applied, oldest first. Both tables
keep every document a node ever sent or received. Nothing indexed the inbox's question, so
every round read the whole inbox; the outbox's index on ``delivered_at`` held every document,
and SQLite did not use it for this query (it walked the outbox in id order instead). Measured
with 300 000 documents done and two waiting: the inbox 130–190 ms a round on PostgreSQL and
about 160 ms on SQLite, the outbox 120–150 ms on SQLite, for two rows. Partial indexes hold
only the waiting documents, in the order they are taken (0.1–0.5 ms), so a round costs what
the waiting documents cost, whatever the tables hold. The outbox's full index had no other use:
it is replaced.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _partial(name: str, table: str, columns: list[str], where: str) -> None:
    op.create_index(
        name, table, columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where)
    )


def upgrade() -> None:
    _partial("ix_inbox_pending", "inbox", ["received_at", "document_id"], "applied_at IS NULL")
    op.drop_index("ix_outbox_delivered_at", table_name="outbox")
    _partial("ix_outbox_pending", "outbox", ["id"], "delivered_at IS NULL")


def downgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.create_index("ix_outbox_delivered_at", "outbox", ["delivered_at"])
    op.drop_index("ix_inbox_pending", table_name="inbox")
