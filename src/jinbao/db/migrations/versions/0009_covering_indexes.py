"""Covering indexes for reading by person on PostgreSQL (issue 7, at 1 million persons × 10 years).

Contribution records and account entries are written month by month for everyone (each
month's declarations), so one person's ten years lie on some 120 heap pages of each table.
Read by person — a person's record (电子档案袋), the interest job — that is hundreds of random
page reads once the tables outgrow memory. With the columns those reads need carried in the
person-ordered index (INCLUDE, PostgreSQL 11+), PostgreSQL answers them from a few adjacent
index pages (an index-only scan) instead. SQLite has no INCLUDE: unchanged there.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

RECORD_KEY = ["person_id", "scheme", "period", "entry_no"]
RECORD_INCLUDE = ["kind", "agency_id", "base", "to_account", "id"]
ENTRY_KEY = ["person_id", "scheme", "effective_on"]
ENTRY_INCLUDE = ["region", "portion", "kind", "amount", "id"]
UNIQUE = "uq_contributions_person_id_scheme_period_entry_no"
ENTRIES = "ix_account_entries_person_id_scheme_effective_on"


def _unique(include: list[str]) -> None:
    # Written out: alembic builds the constraint on a table stub that lacks the INCLUDE columns.
    extra = f" INCLUDE ({', '.join(include)})" if include else ""
    op.execute(
        f"ALTER TABLE contributions ADD CONSTRAINT {UNIQUE} UNIQUE ({', '.join(RECORD_KEY)}){extra}"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint(UNIQUE, "contributions", type_="unique")
    _unique(RECORD_INCLUDE)
    op.drop_index(ENTRIES, "account_entries")
    op.create_index(ENTRIES, "account_entries", ENTRY_KEY, postgresql_include=ENTRY_INCLUDE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(ENTRIES, "account_entries")
    op.create_index(ENTRIES, "account_entries", ENTRY_KEY)
    op.drop_constraint(UNIQUE, "contributions", type_="unique")
    _unique([])
