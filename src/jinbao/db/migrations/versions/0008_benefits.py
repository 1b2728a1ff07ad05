"""Retirement applications and pension awards (issue 6).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "retirement_applications",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=12), nullable=False),
        sa.Column("statutory_month", sa.Integer(), nullable=False),
        sa.Column("retire_month", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("transfers", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('waiting', 'refused', 'awarded')", name="ck_retirement_applications_state"
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_retirement_applications_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_retirement_applications_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_retirement_applications"),
    )
    op.create_index(
        "ix_retirement_applications_person_id", "retirement_applications", ["person_id"]
    )
    op.create_table(
        "awards",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("application_id", BIGID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("from_month", sa.Integer(), nullable=False),
        sa.Column("basic", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.BigInteger(), nullable=False),
        sa.Column("transitional", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("supersedes_id", BIGID, nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("difference", sa.BigInteger(), nullable=True),
        sa.Column("made_by", sa.String(length=60), nullable=False),
        sa.Column("checked_by", sa.String(length=60), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('draft', 'approved')", name="ck_awards_state"),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["retirement_applications.id"],
            name="fk_awards_application_id_retirement_applications",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["awards.id"], name="fk_awards_supersedes_id_awards"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_awards"),
        sa.UniqueConstraint("application_id", "version", name="uq_awards_application_id_version"),
    )

    op.create_table(
        "benefit_payments",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("application_id", BIGID, nullable=False),
        sa.Column("award_id", BIGID, nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("run_month", sa.Integer(), nullable=False),
        sa.Column("journal_id", BIGID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('monthly', 'arrears')", name="ck_benefit_payments_kind"),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_benefit_payments_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["retirement_applications.id"],
            name="fk_benefit_payments_application_id_retirement_applications",
        ),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name="fk_benefit_payments_award_id_awards"
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journals.id"], name="fk_benefit_payments_journal_id_journals"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_benefit_payments"),
        sa.UniqueConstraint(
            "application_id", "month", "kind", name="uq_benefit_payments_application_id_month_kind"
        ),
    )

    op.create_table(
        "certifications",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('data', 'self', 'counter')", name="ck_certifications_method"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_certifications_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_certifications"),
    )
    op.create_index("ix_certifications_person_id", "certifications", ["person_id"])
    op.create_table(
        "life_events",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('death', 'imprisonment', 'abroad')", name="ck_life_events_kind"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_life_events_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_life_events"),
        sa.UniqueConstraint("person_id", "kind", "on", name="uq_life_events_person_id_kind_on"),
    )
    op.create_index("ix_life_events_person_id", "life_events", ["person_id"])
    op.create_table(
        "death_settlements",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("application_id", BIGID, nullable=False),
        sa.Column("died_on", sa.Date(), nullable=False),
        sa.Column("overpaid", sa.BigInteger(), nullable=False),
        sa.Column("funeral", sa.BigInteger(), nullable=False),
        sa.Column("survivor_pension", sa.BigInteger(), nullable=False),
        sa.Column("inheritance", sa.BigInteger(), nullable=False),
        sa.Column("payable", sa.BigInteger(), nullable=False),
        sa.Column("to_recover", sa.BigInteger(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("journal_id", BIGID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["retirement_applications.id"],
            name="fk_death_settlements_application_id_retirement_applications",
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journals.id"], name="fk_death_settlements_journal_id_journals"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_death_settlements"),
        sa.UniqueConstraint("application_id", name="uq_death_settlements_application_id"),
    )

    op.create_table(
        "payee_accounts",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("bank", sa.String(length=60), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_payee_accounts_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payee_accounts"),
        sa.UniqueConstraint("person_id", name="uq_payee_accounts_person_id"),
    )


def downgrade() -> None:
    op.drop_table("payee_accounts")
    op.drop_table("death_settlements")
    op.drop_index("ix_life_events_person_id", table_name="life_events")
    op.drop_table("life_events")
    op.drop_index("ix_certifications_person_id", table_name="certifications")
    op.drop_table("certifications")
    op.drop_table("benefit_payments")
    op.drop_table("awards")
    op.drop_index("ix_retirement_applications_person_id", table_name="retirement_applications")
    op.drop_table("retirement_applications")
