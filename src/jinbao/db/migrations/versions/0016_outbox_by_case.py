"""A case's documents are found in the outbox by an index of their own (issue 7).

A transfer case's view (``GET /api/transfers/{case}``, ``jinbao transfer show``; the mixed
load reads one back after each application) asks the outbox for the case's documents. The inbox
has had an index on ``case_id`` from the start; the outbox had none, so each view read every
document the node ever sent. Found under the mixed load (session 29): with some 5 000 documents
sent, the view's statement read 266 pages (0.32 ms) for four rows, the costliest statement of a
transfer; a node that has sent a million would read them all at every view.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_case_id", "outbox", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_case_id", table_name="outbox")
