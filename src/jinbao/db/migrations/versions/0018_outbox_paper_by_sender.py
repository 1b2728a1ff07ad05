"""The paper documents an agency sent, by an index of their own (issue 7).

An agency off the network prints and posts every document of its cases; its operator's list
(``GET /api/agencies/{code}/paper-documents``, ``jinbao transfer papers``) asked the outbox
for the paper documents of one sender, and no index had the sender: every document the node
ever sent, on the network or on paper, was read for each list, a read that grows with the
nation (found by a scale check, session 37). The index holds the paper documents alone (a
twentieth of the agencies are off the network in the synthetic nation), by sender and in the
order sent.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_PAPER = "channel = 'paper'"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_paper_by_sender",
        "outbox",
        ["sender", "id"],
        sqlite_where=sa.text(_PAPER),
        postgresql_where=sa.text(_PAPER),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_paper_by_sender", table_name="outbox")
