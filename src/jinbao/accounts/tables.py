from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)  # fmt: skip

from jinbao.db.metadata import metadata
from jinbao.db.types import BIGID

account_entries = Table(
    "account_entries",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False),
    Column("scheme", String(12), nullable=False),
    Column("region", String(6), nullable=False),
    Column("portion", String(12), nullable=False),
    Column("kind", String(14), nullable=False),
    Column("period", Integer, nullable=False),  # YYYYMM the entry belongs to
    Column("effective_on", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),  # fen, signed
    Column("journal_id", BIGID, ForeignKey("journals.id"), nullable=True),
    Column("source", String(60), nullable=False),  # the document behind it, e.g. contribution:123
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("portion IN ('pre1998', 'y1998_2005', 'from2006')", name="portion"),
    CheckConstraint(
        "kind IN ('contribution', 'interest', 'transfer_in', 'transfer_out', 'refund', 'payout')",
        name="kind",
    ),
    # On PostgreSQL carrying what the interest job and a person's record read (migration 0009):
    # entries are written month by month, so one person's lie on a page per month; read from
    # this person-ordered index they are a few adjacent pages (an index-only scan).
    Index(
        "ix_account_entries_person_id_scheme_effective_on",
        "person_id",
        "scheme",
        "effective_on",
        postgresql_include=["region", "portion", "kind", "amount", "id"],
    ),
)

# The columns a writer fills (all but the generated id), in table order: for bulk inserts.
ENTRY_COLUMNS = [c.name for c in account_entries.columns if c.name != "id"]

interest_runs = Table(
    "interest_runs",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("year", Integer, nullable=False, unique=True),
    Column("rate", String(12), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

# The interest job's markers: an account credited for a year, and its interest. The run is the
# run of the year (``interest_runs.year`` is unique). Keyed by account and year alone: one index
# and one foreign key per marker, as the job writes one per account (migration 0011).
interest_credits = Table(
    "interest_credits",
    metadata,
    Column("person_id", BIGID, ForeignKey("persons.id"), primary_key=True),
    Column("scheme", String(12), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("interest", BigInteger, nullable=False),
)
