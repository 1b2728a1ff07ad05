"""The outbox's index of waiting documents holds the network's only (issue 7).

The pump asks the outbox at every round for the network documents not yet delivered
(``delivered_at IS NULL AND channel = 'network'``). Its partial index (0012) held every
undelivered document, paper ones too; a paper document sent to an agency off this node is never
marked delivered here (the post carries it), so it stayed in the index for good and every round
stepped over all of them. Found under the mixed load (session 35): a nation of 50 000 persons
holds some 150 such documents, a fifth of the pump's read (0.065 of its 0.09 ms); a node that
has sent a million paper documents would step over a million at every round. The index now
holds what the pump takes, and the query names the channel as a constant, so the planner can
use it on both engines.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _pending(where: str) -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    _pending("delivered_at IS NULL AND channel = 'network'")


def downgrade() -> None:
    _pending("delivered_at IS NULL")
