"""Transfer cases as each agency keeps them, the years a transfer brought in, notices to the
person, supervision comments and each agency's review setting.

Each side keeps its own row of a case (``side``: receiving or transferring) and moves it only by
its own actions and by the documents it receives, so the same workflow runs when the two agencies
sit on different nodes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)  # fmt: skip

from jinbao.db.metadata import metadata
from jinbao.db.types import BIGID

transfer_cases = Table(
    "transfer_cases",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("case_id", String(40), nullable=False),
    Column("side", String(12), nullable=False),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("counterpart_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False, index=True),
    Column("scheme", String(12), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("mode", String(12), nullable=False),
    Column("state", String(16), nullable=False),
    Column("legs", Text, nullable=False),  # JSON: the legs of the pure case model
    Column("applied_on", Date, nullable=False),
    Column("relationship_id", BIGID, ForeignKey("relationships.id"), nullable=True),
    Column("transfer_key", String(60), nullable=True),  # the pending ledger transfer
    Column("pooled", BigInteger, nullable=True),
    Column("account", BigInteger, nullable=True),
    Column("months", Integer, nullable=True),
    Column("queued", Boolean, nullable=False),  # waiting in this agency's operator queue
    Column("reasons", Text, nullable=True),  # JSON messages: why queued, refused or returned
    # the employer move (成建制划转) this case is one of; null for a person's own application
    Column("batch", String(40), nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("side IN ('receiving', 'transferring')", name="side"),
    CheckConstraint("mode IN ('electronic', 'manual')", name="mode"),
    CheckConstraint(
        "state IN ('applied', 'contact_sent', 'funds_sent', 'completed', 'refused', 'voided')",
        name="state",
    ),
    UniqueConstraint("case_id", "side"),
    Index("ix_transfer_cases_agency_id_state", "agency_id", "state"),
)

transfer_events = Table(
    "transfer_events",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("case_row_id", BIGID, ForeignKey("transfer_cases.id"), nullable=False, index=True),
    Column("event", String(30), nullable=False),
    Column("on", Date, nullable=False),
    Column("document_id", String(36), nullable=True),
    Column("note", String(300), nullable=True),
    Column("actor", String(60), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

transferred_years = Table(
    "transferred_years",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("case_row_id", BIGID, ForeignKey("transfer_cases.id"), nullable=False, index=True),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False),
    Column("scheme", String(12), nullable=False),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("from_period", Integer, nullable=False),  # YYYYMM
    Column("to_period", Integer, nullable=False),
    Column("months", Integer, nullable=False),
    Column("base", BigInteger, nullable=False),
    Column("rate", String(12), nullable=False),
    Column("pooled", BigInteger, nullable=False),
    Column("kind", String(14), nullable=False),
    Index("ix_transferred_years_person_id_scheme", "person_id", "scheme"),
)

# 先转后清: a month held at two places counts at one; the other place's month is cleared here,
# with the personal-account credits refunded to the person (人社部发〔2009〕187号 意见三).
cleared_months = Table(
    "cleared_months",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("case_row_id", BIGID, ForeignKey("transfer_cases.id"), nullable=False),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False),
    Column("scheme", String(12), nullable=False),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),  # whose month
    Column("period", Integer, nullable=False),  # YYYYMM
    Column("refund", BigInteger, nullable=False),  # fen of account credits refunded for it
    UniqueConstraint("person_id", "scheme", "agency_id", "period"),
)

transfer_notices = Table(
    "transfer_notices",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("case_row_id", BIGID, ForeignKey("transfer_cases.id"), nullable=False, index=True),
    Column("code", String(60), nullable=False),
    Column("zh", Text, nullable=False),
    Column("en", Text, nullable=False),
    Column("due_on", Date, nullable=True),  # the person must be told by then
    Column("created_at", DateTime(timezone=True), nullable=False),
)

transfer_comments = Table(
    "transfer_comments",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("case_id", String(40), nullable=False, index=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("text", String(500), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

transfer_settings = Table(
    "transfer_settings",
    metadata,
    Column("agency_id", Integer, ForeignKey("agencies.id"), primary_key=True),
    Column("auto_review", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
