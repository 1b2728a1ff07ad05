"""A contribution's payment carries its person, with an index by person (issue 7).

A person's record (电子档案袋) and a transfer's periods read, for each of the person's monthly
records, whether and when it was paid. The payments are keyed by record id alone, and a
person's record ids are spread over the months (each month's declarations are written for
everyone at once), so that read was one random primary-key probe per month: at a million
persons × 10 years, 16 of a cold record's 22 ms. With the person in the row and an index by
person (on PostgreSQL carrying the record id and payment date), it is a few adjacent index
pages. Existing payments take their person from their record.

The column is not a foreign key: it is copied from the record in the statement that writes
the payment, and ``jinbao ledger check`` verifies it (a foreign-key check per row would add
40 % to the bulk writer's time per payment).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INDEX = "ix_contribution_payments_person_id"
# A subquery per payment, on both engines: each payment looks its record up by primary key, in
# the payments' own order, which is the records' order (a payment is written right after its
# record), so the look-ups walk the records' index and pages forward. Written as a join, the
# UPDATE was planned on PostgreSQL as a hash join of the two tables, which at 88 M rows
# spilled gigabytes of temporary files and nearly filled the disk.
BACKFILL = (
    "UPDATE contribution_payments SET person_id = (SELECT c.person_id FROM contributions c "
    "WHERE c.id = contribution_payments.contribution_id)"
)


def upgrade() -> None:
    op.add_column("contribution_payments", sa.Column("person_id", BIGID, nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table("contribution_payments") as batch:
        batch.alter_column("person_id", existing_type=BIGID, nullable=False)
    op.create_index(
        INDEX,
        "contribution_payments",
        ["person_id"],
        postgresql_include=["contribution_id", "paid_on"],
    )


def downgrade() -> None:
    op.drop_index(INDEX, "contribution_payments")
    with op.batch_alter_table("contribution_payments") as batch:
        batch.drop_column("person_id")
