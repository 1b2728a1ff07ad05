"""Registry tables. Enumerations are strings with CHECK constraints (portable to both engines)."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    text,
)

from jinbao.db.metadata import metadata
from jinbao.db.types import BIGID


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


regions = Table(
    "regions",
    metadata,
    Column("code", String(6), primary_key=True),
    Column("name", String(60), nullable=False),
    Column("level", String(12), nullable=False),
    Column("parent_code", String(6), ForeignKey("regions.code"), nullable=True, index=True),
    CheckConstraint(_in("level", ["province", "prefecture", "county"]), name="level"),
)

agencies = Table(
    "agencies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("level", String(12), nullable=False),
    Column("parent_id", Integer, ForeignKey("agencies.id"), nullable=True, index=True),
    Column("region_code", String(6), ForeignKey("regions.code"), nullable=True, index=True),
    Column("address", String(200), nullable=False),
    Column("department", String(100), nullable=False),
    Column("phone", String(50), nullable=False),
    Column("hours", String(100), nullable=False),
    Column("networked_since", Date, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        _in("level", ["national", "province", "city", "county", "township", "village"]),
        name="level",
    ),
)

employers = Table(
    "employers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uscc", String(18), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

persons = Table(
    "persons",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("id_number", String(18), nullable=False, unique=True),
    Column("name", String(60), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("hukou_region_code", String(6), ForeignKey("regions.code"), nullable=False, index=True),
    Column("retirement_category", String(12), nullable=False),
    Column("phone", String(30), nullable=True),
    Column("address", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(_in("sex", ["M", "F"]), name="sex"),
    CheckConstraint(
        _in("retirement_category", ["male", "female_55", "female_50"]), name="retirement_category"
    ),
)

CURRENT_STATUS_SQL = "status IN ('contributing', 'receiving')"

relationships = Table(
    "relationships",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column(
        "person_id",
        BIGID,
        ForeignKey("persons.id"),
        nullable=False,
        index=True,
    ),
    Column("scheme", String(12), nullable=False),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False, index=True),
    Column("employer_id", Integer, ForeignKey("employers.id"), nullable=True, index=True),
    Column("kind", String(12), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(_in("scheme", ["enterprise", "resident", "public"]), name="scheme"),
    CheckConstraint(_in("kind", ["normal", "temporary"]), name="kind"),
    CheckConstraint(
        _in("status", ["contributing", "suspended", "transferred_out", "terminated", "receiving"]),
        name="status",
    ),
    # At most one current (contributing or receiving) normal relationship per person and scheme,
    # enforced by the database as well as by the use case (which gives the friendlier message).
    Index(
        "uq_relationships_one_current_normal",
        "person_id",
        "scheme",
        unique=True,
        sqlite_where=text(f"kind = 'normal' AND {CURRENT_STATUS_SQL}"),
        postgresql_where=text(f"kind = 'normal' AND {CURRENT_STATUS_SQL}"),
    ),
)

relationship_status_changes = Table(
    "relationship_status_changes",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column(
        "relationship_id",
        BIGID,
        ForeignKey("relationships.id"),
        nullable=False,
        index=True,
    ),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("changed_on", Date, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
