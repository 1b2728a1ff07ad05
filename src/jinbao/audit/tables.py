from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, String, Table

from jinbao.db.metadata import metadata
from jinbao.db.types import BIGID

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(60), nullable=False, index=True),
    Column("entity", String(40), nullable=False),
    Column("entity_key", String(60), nullable=False),
    Column("old", JSON, nullable=True),
    Column("new", JSON, nullable=True),
)
