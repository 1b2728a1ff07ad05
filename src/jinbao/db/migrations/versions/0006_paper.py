"""Manual mode: each outgoing document travels by network or on paper, with a short code.

A document between agencies that are not both on the exchange network (入网) is printed as a
PDF form carrying the signed document in QR codes; the receiving operator scans it or types its
short code. The inbox remembers how each document came in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=10), nullable=False, server_default="network")
        )
        batch.add_column(sa.Column("short_code", sa.String(length=20), nullable=True))
        batch.create_index("ix_outbox_short_code", ["short_code"], unique=True)
    op.add_column("inbox", sa.Column("received_via", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("received_via")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_short_code")
        batch.drop_column("short_code")
        batch.drop_column("channel")
