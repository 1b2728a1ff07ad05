from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
)  # fmt: skip

from jinbao.db.metadata import metadata
from jinbao.db.types import BIGID

journals = Table(
    "journals",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("idempotency_key", String(120), nullable=False, unique=True),
    Column("effective_on", Date, nullable=False),
    Column("description", String(200), nullable=False),
    Column("reverses_id", BIGID, ForeignKey("journals.id"), nullable=True, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

postings = Table(
    "postings",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("journal_id", BIGID, ForeignKey("journals.id"), nullable=False, index=True),
    Column("region", String(6), nullable=False),
    Column("account", String(30), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Index("ix_postings_region_account", "region", "account"),
)

pending_transfers = Table(
    "pending_transfers",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("transfer_key", String(120), nullable=False, unique=True),
    Column("from_region", String(6), nullable=False),
    Column("to_region", String(6), nullable=False),
    Column("pooled_amount", BigInteger, nullable=False),
    Column("account_amount", BigInteger, nullable=False),
    Column("state", String(10), nullable=False),
    Column("reserve_journal_id", BIGID, ForeignKey("journals.id"), nullable=False),
    Column("final_journal_id", BIGID, ForeignKey("journals.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # pending: reserved by the sender; received: the receiver took it into its funds (same node);
    # posted: the sender's half done (money left its bank); voided: back in the sender's funds.
    CheckConstraint("state IN ('pending', 'received', 'posted', 'voided')", name="state"),
    CheckConstraint("pooled_amount >= 0 AND account_amount >= 0", name="amounts"),
)
