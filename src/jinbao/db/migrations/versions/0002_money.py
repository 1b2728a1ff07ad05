"""Contributions, personal accounts and the fund ledger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "interest_runs",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rate", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_interest_runs"),
        sa.UniqueConstraint("year", name="uq_interest_runs_year"),
    )
    op.create_table(
        "journals",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("reverses_id", BIGID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["journals.id"], name="fk_journals_reverses_id_journals"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_journals"),
        sa.UniqueConstraint("idempotency_key", name="uq_journals_idempotency_key"),
        sa.UniqueConstraint("reverses_id", name="uq_journals_reverses_id"),
    )
    op.create_table(
        "legal_documents",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("authority", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "authority IN ('court', 'audit', 'labour_inspection', 'arbitration', 'commitment')",
            name="ck_legal_documents_authority",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_legal_documents"),
    )
    op.create_table(
        "pending_transfers",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("transfer_key", sa.String(length=120), nullable=False),
        sa.Column("from_region", sa.String(length=6), nullable=False),
        sa.Column("to_region", sa.String(length=6), nullable=False),
        sa.Column("pooled_amount", sa.BigInteger(), nullable=False),
        sa.Column("account_amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reserve_journal_id", BIGID, nullable=False),
        sa.Column("final_journal_id", BIGID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'posted', 'voided')", name="ck_pending_transfers_state"
        ),
        sa.CheckConstraint(
            "pooled_amount >= 0 AND account_amount >= 0", name="ck_pending_transfers_amounts"
        ),
        sa.ForeignKeyConstraint(
            ["final_journal_id"],
            ["journals.id"],
            name="fk_pending_transfers_final_journal_id_journals",
        ),
        sa.ForeignKeyConstraint(
            ["reserve_journal_id"],
            ["journals.id"],
            name="fk_pending_transfers_reserve_journal_id_journals",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pending_transfers"),
        sa.UniqueConstraint("transfer_key", name="uq_pending_transfers_transfer_key"),
    )
    op.create_table(
        "postings",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("journal_id", BIGID, nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("account", sa.String(length=30), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journals.id"], name="fk_postings_journal_id_journals"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_postings"),
    )
    op.create_index("ix_postings_journal_id", "postings", ["journal_id"], unique=False)
    op.create_index("ix_postings_region_account", "postings", ["region", "account"], unique=False)
    op.create_table(
        "account_entries",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("scheme", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("portion", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("journal_id", BIGID, nullable=True),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('contribution', 'interest', 'transfer_in', 'transfer_out', 'refund', "
            "'payout')",
            name="ck_account_entries_kind",
        ),
        sa.CheckConstraint(
            "portion IN ('pre1998', 'y1998_2005', 'from2006')", name="ck_account_entries_portion"
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journals.id"], name="fk_account_entries_journal_id_journals"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_account_entries_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_entries"),
    )
    op.create_index(
        "ix_account_entries_person_id_scheme_effective_on",
        "account_entries",
        ["person_id", "scheme", "effective_on"],
        unique=False,
    )
    op.create_table(
        "interest_credits",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("run_id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("scheme", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_interest_credits_person_id_persons"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["interest_runs.id"], name="fk_interest_credits_run_id_interest_runs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_interest_credits"),
        sa.UniqueConstraint(
            "person_id", "scheme", "year", name="uq_interest_credits_person_id_scheme_year"
        ),
    )
    op.create_index("ix_interest_credits_run_id", "interest_credits", ["run_id"], unique=False)
    op.create_table(
        "contributions",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("scheme", sa.String(length=12), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("entry_no", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("base", sa.BigInteger(), nullable=False),
        sa.Column("employer_part", sa.BigInteger(), nullable=False),
        sa.Column("individual_part", sa.BigInteger(), nullable=False),
        sa.Column("to_account", sa.BigInteger(), nullable=False),
        sa.Column("lump_sum", sa.Boolean(), nullable=False),
        sa.Column("legal_document_id", BIGID, nullable=True),
        sa.Column("reverses_id", BIGID, nullable=True),
        sa.Column("batch", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('employee', 'flexible', 'back_payment', 'reversal')",
            name="ck_contributions_kind",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_contributions_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name="fk_contributions_employer_id_employers"
        ),
        sa.ForeignKeyConstraint(
            ["legal_document_id"],
            ["legal_documents.id"],
            name="fk_contributions_legal_document_id_legal_documents",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_contributions_person_id_persons"
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["contributions.id"], name="fk_contributions_reverses_id_contributions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contributions"),
        sa.UniqueConstraint(
            "person_id",
            "scheme",
            "period",
            "entry_no",
            name="uq_contributions_person_id_scheme_period_entry_no",
        ),
        sa.UniqueConstraint("reverses_id", name="uq_contributions_reverses_id"),
    )
    op.create_index("ix_contributions_batch", "contributions", ["batch"], unique=False)
    op.create_index(
        "ix_contributions_employer_id_period",
        "contributions",
        ["employer_id", "period"],
        unique=False,
    )
    op.create_table(
        "contribution_payments",
        sa.Column("contribution_id", BIGID, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("journal_id", BIGID, nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name="fk_contribution_payments_contribution_id_contributions",
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journals.id"], name="fk_contribution_payments_journal_id_journals"
        ),
        sa.PrimaryKeyConstraint("contribution_id", name="pk_contribution_payments"),
    )


def downgrade() -> None:
    op.drop_table("contribution_payments")
    op.drop_table("contributions")
    op.drop_table("interest_credits")
    op.drop_table("account_entries")
    op.drop_table("postings")
    op.drop_table("pending_transfers")
    op.drop_table("legal_documents")
    op.drop_table("journals")
    op.drop_table("interest_runs")
