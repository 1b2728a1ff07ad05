"""An agency has at most one current signing key (a race found by the load test, issue 7).

``ensure_key`` made an agency's key pair on its first document when it found none. Two workers
sending an agency's first documents at once each found none and each made one; the next look-up
of "the" current key then found two and the request failed (500). A partial unique index now
allows one current key (not retired, private part held here) per agency, and ``ensure_key``
inserts with ON CONFLICT DO NOTHING: the second writer waits for the first's commit and takes
its key. Keys already doubled are retired but the oldest; a retired key still verifies the
documents it signed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_CURRENT = "retired_at IS NULL AND private_key IS NOT NULL"


def upgrade() -> None:
    op.execute(
        sa.text(
            f"UPDATE agency_keys SET retired_at = CURRENT_TIMESTAMP WHERE {_CURRENT} AND id > "
            f"(SELECT min(k.id) FROM agency_keys k WHERE k.agency_id = agency_keys.agency_id "
            f"AND k.retired_at IS NULL AND k.private_key IS NOT NULL)"
        )
    )
    op.create_index(
        "ux_agency_keys_signing",
        "agency_keys",
        ["agency_id"],
        unique=True,
        sqlite_where=sa.text(_CURRENT),
        postgresql_where=sa.text(_CURRENT),
    )


def downgrade() -> None:
    op.drop_index("ux_agency_keys_signing", table_name="agency_keys")
