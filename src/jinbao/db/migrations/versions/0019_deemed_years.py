"""视同缴费年限: the years a person worked before individual contributions began (issue 7).

Until now no deemed years were recorded, so a 中人 — at work before 国发〔1997〕26号, retiring
after — had only the months on record counted, no transitional pension, and a nation of ten
years no pensioner at all. One row per continuous span, at the agency keeping the relation,
counted at the place worked (人社部规〔2016〕5号 一), maker and checker named.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "deemed_years",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("scheme", sa.String(12), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("from_period", sa.Integer(), nullable=False),
        sa.Column("to_period", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(200), nullable=False),
        sa.Column("recorded_by", sa.String(60), nullable=False),
        sa.Column("checked_by", sa.String(60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(60), nullable=True),
        sa.Column("cancel_reason", sa.String(200), nullable=True),
        sa.CheckConstraint("from_period <= to_period", name="ck_deemed_years_span"),
        sa.CheckConstraint("months > 0", name="ck_deemed_years_months"),
        sa.CheckConstraint("recorded_by <> checked_by", name="ck_deemed_years_two_operators"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_deemed_years_person_id_persons"
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_deemed_years_agency_id_agencies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deemed_years"),
    )
    op.create_index("ix_deemed_years_person_id_scheme", "deemed_years", ["person_id", "scheme"])


def downgrade() -> None:
    op.drop_index("ix_deemed_years_person_id_scheme", table_name="deemed_years")
    op.drop_table("deemed_years")
