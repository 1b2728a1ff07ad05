"""Transfer cases at each side, the years a transfer brought in, notices, supervision comments,
each agency's review setting; the inbox remembers why a document could not be applied yet.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "transfer_comments",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_transfer_comments_agency_id_agencies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transfer_comments"),
    )
    op.create_index("ix_transfer_comments_case_id", "transfer_comments", ["case_id"], unique=False)
    op.create_table(
        "transfer_settings",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("auto_review", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_transfer_settings_agency_id_agencies"
        ),
        sa.PrimaryKeyConstraint("agency_id", name="pk_transfer_settings"),
    )
    op.create_table(
        "transfer_cases",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("side", sa.String(length=12), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("counterpart_id", sa.Integer(), nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("scheme", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("legs", sa.Text(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("relationship_id", BIGID, nullable=True),
        sa.Column("transfer_key", sa.String(length=60), nullable=True),
        sa.Column("pooled", sa.BigInteger(), nullable=True),
        sa.Column("account", sa.BigInteger(), nullable=True),
        sa.Column("months", sa.Integer(), nullable=True),
        sa.Column("queued", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("mode IN ('electronic', 'manual')", name="ck_transfer_cases_mode"),
        sa.CheckConstraint("side IN ('receiving', 'transferring')", name="ck_transfer_cases_side"),
        sa.CheckConstraint(
            "state IN ('applied', 'contact_sent', 'funds_sent', 'completed', 'refused', 'voided')",
            name="ck_transfer_cases_state",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_transfer_cases_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["counterpart_id"], ["agencies.id"], name="fk_transfer_cases_counterpart_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_transfer_cases_person_id_persons"
        ),
        sa.ForeignKeyConstraint(
            ["relationship_id"],
            ["relationships.id"],
            name="fk_transfer_cases_relationship_id_relationships",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transfer_cases"),
        sa.UniqueConstraint("case_id", "side", name="uq_transfer_cases_case_id_side"),
    )
    op.create_index(
        "ix_transfer_cases_agency_id_state", "transfer_cases", ["agency_id", "state"], unique=False
    )
    op.create_index("ix_transfer_cases_person_id", "transfer_cases", ["person_id"], unique=False)
    op.create_table(
        "transfer_events",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("case_row_id", BIGID, nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_row_id"],
            ["transfer_cases.id"],
            name="fk_transfer_events_case_row_id_transfer_cases",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transfer_events"),
    )
    op.create_index(
        "ix_transfer_events_case_row_id", "transfer_events", ["case_row_id"], unique=False
    )
    op.create_table(
        "transfer_notices",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("case_row_id", BIGID, nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("zh", sa.Text(), nullable=False),
        sa.Column("en", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_row_id"],
            ["transfer_cases.id"],
            name="fk_transfer_notices_case_row_id_transfer_cases",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transfer_notices"),
    )
    op.create_index(
        "ix_transfer_notices_case_row_id", "transfer_notices", ["case_row_id"], unique=False
    )
    op.create_table(
        "transferred_years",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("case_row_id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("scheme", sa.String(length=12), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("from_period", sa.Integer(), nullable=False),
        sa.Column("to_period", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("base", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.String(length=12), nullable=False),
        sa.Column("pooled", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_transferred_years_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["case_row_id"],
            ["transfer_cases.id"],
            name="fk_transferred_years_case_row_id_transfer_cases",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_transferred_years_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transferred_years"),
    )
    op.create_index(
        "ix_transferred_years_case_row_id", "transferred_years", ["case_row_id"], unique=False
    )
    op.create_index(
        "ix_transferred_years_person_id_scheme",
        "transferred_years",
        ["person_id", "scheme"],
        unique=False,
    )
    op.add_column("inbox", sa.Column("apply_error", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("apply_error")
    for table in (
        "transferred_years",
        "transfer_notices",
        "transfer_events",
        "transfer_cases",
        "transfer_settings",
        "transfer_comments",
    ):
        op.drop_table(table)
