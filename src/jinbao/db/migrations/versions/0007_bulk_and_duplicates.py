"""Bulk transfers (成建制划转): the cases of one employer's move share a batch id.
Each side of a transfer posts its own half of the money: a reservation can now be ``received``
(the receiver took it into its funds) before the sender posts its half.
Resident-scheme yearly contributions (城乡居保, 国发〔2014〕8号), for scheme linkage (17号).
Duplicate months cleared under 先转后清 (人社部发〔2009〕187号 意见三; 70号 第十条): which
agency's months no longer count, and what was refunded for them.

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

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("pending_transfers") as batch:
        batch.drop_constraint("ck_pending_transfers_state", type_="check")
        batch.create_check_constraint(
            "ck_pending_transfers_state", "state IN ('pending', 'received', 'posted', 'voided')"
        )
    with op.batch_alter_table("transfer_cases") as batch:
        batch.add_column(sa.Column("batch", sa.String(length=40), nullable=True))
        batch.create_index("ix_transfer_cases_batch", ["batch"])
    op.create_table(
        "resident_contributions",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("individual", sa.BigInteger(), nullable=False),
        sa.Column("collective", sa.BigInteger(), nullable=False),
        sa.Column("subsidy", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("journal_id", BIGID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_resident_contributions_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journals.id"], name="fk_resident_contributions_journal_id_journals"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_resident_contributions_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_resident_contributions"),
        sa.UniqueConstraint("person_id", "year", name="uq_resident_contributions_person_id_year"),
    )
    op.create_table(
        "cleared_months",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("case_row_id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("scheme", sa.String(length=12), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("refund", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_cleared_months_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["case_row_id"],
            ["transfer_cases.id"],
            name="fk_cleared_months_case_row_id_transfer_cases",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_cleared_months_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cleared_months"),
        sa.UniqueConstraint(
            "person_id",
            "scheme",
            "agency_id",
            "period",
            name="uq_cleared_months_person_id_scheme_agency_id_period",
        ),
    )


def downgrade() -> None:
    op.drop_table("cleared_months")
    op.drop_table("resident_contributions")
    with op.batch_alter_table("pending_transfers") as batch:
        batch.drop_constraint("ck_pending_transfers_state", type_="check")
        batch.create_check_constraint(
            "ck_pending_transfers_state", "state IN ('pending', 'posted', 'voided')"
        )
    with op.batch_alter_table("transfer_cases") as batch:
        batch.drop_index("ix_transfer_cases_batch")
        batch.drop_column("batch")
