from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from jinbao.db.metadata import metadata
from jinbao.db.types import BIGID

agency_keys = Table(
    "agency_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("key_id", String(40), nullable=False),
    Column("public_key", String(60), nullable=False),
    # Held only for agencies this node acts for. Kept in the database for now; a key store (HSM,
    # KMS or SM2 device) is the production answer and comes with node operations.
    Column("private_key", String(60), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("agency_id", "key_id"),
    # One current signing key per agency: two first documents at once make one key (0013).
    Index(
        "ux_agency_keys_signing",
        "agency_id",
        unique=True,
        sqlite_where=text("retired_at IS NULL AND private_key IS NOT NULL"),
        postgresql_where=text("retired_at IS NULL AND private_key IS NOT NULL"),
    ),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("document_id", String(36), nullable=False, unique=True),
    Column("sender", String(20), nullable=False),
    Column("receiver", String(20), nullable=False),
    Column("type", String(30), nullable=False),
    Column("case_id", String(60), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("last_error", String(300), nullable=True),
    # "network": delivered by the transport; "paper": printed as a PDF form with QR codes and
    # carried by post, because sender and receiver were not both on the network when it was sent.
    Column("channel", String(10), nullable=False, server_default="network"),
    # Typed by the receiving operator instead of scanning (paper documents only).
    Column("short_code", String(20), nullable=True),
    # The network documents waiting to be delivered, in the order deliver takes them: only
    # those (0012; since 0017 not the paper ones, which the post carries).
    Index(
        "ix_outbox_pending",
        "id",
        sqlite_where=text("delivered_at IS NULL AND channel = 'network'"),
        postgresql_where=text("delivered_at IS NULL AND channel = 'network'"),
    ),
    Index("ix_outbox_short_code", "short_code", unique=True),
    Index("ix_outbox_case_id", "case_id"),  # a case's documents (0016)
    # An agency's paper documents, to print and post (0018): the paper ones alone.
    Index(
        "ix_outbox_paper_by_sender",
        "sender",
        "id",
        sqlite_where=text("channel = 'paper'"),
        postgresql_where=text("channel = 'paper'"),
    ),
)

inbox = Table(
    "inbox",
    metadata,
    Column("document_id", String(36), primary_key=True),
    Column("sender", String(20), nullable=False),
    Column("receiver", String(20), nullable=False),
    Column("type", String(30), nullable=False),
    Column("case_id", String(60), nullable=False, index=True),
    Column("payload", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=True),
    # Why the document could not be applied yet (e.g. it arrived before the one it answers);
    # it stays in the inbox and is tried again.
    Column("apply_error", String(300), nullable=True),
    # "network", "scan" (a QR code read from an uploaded image or PDF) or "code" (short code).
    Column("received_via", String(10), nullable=True),
    # The documents waiting to be applied, in the order process_inbox takes them: only those,
    # so a round of the pump does not read every document the node ever received (0012).
    Index(
        "ix_inbox_pending",
        "received_at",
        "document_id",
        sqlite_where=text("applied_at IS NULL"),
        postgresql_where=text("applied_at IS NULL"),
    ),
)
