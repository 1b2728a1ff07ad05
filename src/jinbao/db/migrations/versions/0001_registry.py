"""Registry foundations: regions, agencies, employers, persons, relationships, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE = "kind = 'normal' AND status IN ('contributing', 'suspended', 'receiving')"


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("parent_code", sa.String(6), nullable=True),
        sa.CheckConstraint(
            "level IN ('province', 'prefecture', 'county')", name="ck_regions_level"
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["regions.code"], name="fk_regions_parent_code_regions"
        ),
        sa.PrimaryKeyConstraint("code", name="pk_regions"),
    )
    op.create_index("ix_regions_parent_code", "regions", ["parent_code"])

    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(50), nullable=False),
        sa.Column("hours", sa.String(100), nullable=False),
        sa.Column("networked_since", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('national', 'province', 'city', 'county', 'township', 'village')",
            name="ck_agencies_level",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["agencies.id"], name="fk_agencies_parent_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name="fk_agencies_region_code_regions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_agencies"),
        sa.UniqueConstraint("code", name="uq_agencies_code"),
    )
    op.create_index("ix_agencies_parent_id", "agencies", ["parent_id"])
    op.create_index("ix_agencies_region_code", "agencies", ["region_code"])

    op.create_table(
        "employers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_employers_agency_id_agencies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_employers"),
        sa.UniqueConstraint("uscc", name="uq_employers_uscc"),
    )
    op.create_index("ix_employers_agency_id", "employers", ["agency_id"])

    op.create_table(
        "persons",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("hukou_region_code", sa.String(6), nullable=False),
        sa.Column("retirement_category", sa.String(12), nullable=False),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("address", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sex IN ('M', 'F')", name="ck_persons_sex"),
        sa.CheckConstraint(
            "retirement_category IN ('male', 'female_55', 'female_50')",
            name="ck_persons_retirement_category",
        ),
        sa.ForeignKeyConstraint(
            ["hukou_region_code"], ["regions.code"], name="fk_persons_hukou_region_code_regions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_persons"),
        sa.UniqueConstraint("id_number", name="uq_persons_id_number"),
    )
    op.create_index("ix_persons_hukou_region_code", "persons", ["hukou_region_code"])

    op.create_table(
        "relationships",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("scheme", sa.String(12), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "scheme IN ('enterprise', 'resident', 'public')", name="ck_relationships_scheme"
        ),
        sa.CheckConstraint("kind IN ('normal', 'temporary')", name="ck_relationships_kind"),
        sa.CheckConstraint(
            "status IN ('contributing', 'suspended', 'transferred_out', 'terminated', 'receiving')",
            name="ck_relationships_status",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_relationships_person_id_persons"
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_relationships_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name="fk_relationships_employer_id_employers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_relationships"),
    )
    op.create_index("ix_relationships_person_id", "relationships", ["person_id"])
    op.create_index("ix_relationships_agency_id", "relationships", ["agency_id"])
    op.create_index("ix_relationships_employer_id", "relationships", ["employer_id"])
    op.create_index(
        "uq_relationships_one_active_normal",
        "relationships",
        ["person_id", "scheme"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )

    op.create_table(
        "relationship_status_changes",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("relationship_id", BIGID, nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["relationship_id"],
            ["relationships.id"],
            name="fk_relationship_status_changes_relationship_id_relationships",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_relationship_status_changes"),
    )
    op.create_index(
        "ix_relationship_status_changes_relationship_id",
        "relationship_status_changes",
        ["relationship_id"],
    )

    op.create_table(
        "audit_log",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_key", sa.String(60), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("relationship_status_changes")
    op.drop_table("relationships")
    op.drop_table("persons")
    op.drop_table("employers")
    op.drop_table("agencies")
    op.drop_table("regions")
