"""The interest job's markers are keyed by account and year, with one index (issue 7).

A marker (``interest_credits``) says that an account was credited for a year; the interest
job writes one per account, in the transaction of the account's interest entries. Each marker
had a surrogate id (its own index), a run id with an index and a foreign key, and a unique key
on (person, scheme, year). The run id repeated the year: a year has one run
(``interest_runs.year`` is unique). Measured on PostgreSQL, the run id's foreign-key check and
index and the id's index were a third of the job's writes. Now the marker is its natural key,
(person, scheme, year) as its primary key, the foreign key to the person, and the interest;
its run is the run of its year. Existing markers keep their key and amount (on PostgreSQL the
primary key's index is built anew: seconds for ten million markers).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "interest_credits"
RUN_INDEX = "ix_interest_credits_run_id"
RUN_KEY = "fk_interest_credits_run_id_interest_runs"
UNIQUE = "uq_interest_credits_person_id_scheme_year"
PRIMARY = "pk_interest_credits"


def upgrade() -> None:
    op.drop_index(RUN_INDEX, TABLE)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(RUN_KEY, TABLE, type_="foreignkey")
        op.drop_column(TABLE, "run_id")
        op.drop_column(TABLE, "id")  # drops its primary key with it
        op.drop_constraint(UNIQUE, TABLE, type_="unique")
        op.create_primary_key(PRIMARY, TABLE, ["person_id", "scheme", "year"])
        return
    with op.batch_alter_table(TABLE, recreate="always") as batch:
        batch.drop_constraint(RUN_KEY, type_="foreignkey")
        batch.drop_column("run_id")
        batch.drop_constraint(UNIQUE, type_="unique")
        batch.drop_column("id")
        batch.create_primary_key(PRIMARY, ["person_id", "scheme", "year"])


def downgrade() -> None:
    # The table as 0002 made it, filled from the markers, each with the run of its year.
    op.rename_table(TABLE, "interest_credits_0011")
    if op.get_bind().dialect.name == "postgresql":  # its index would take the new key's name
        op.execute(f"ALTER TABLE interest_credits_0011 RENAME CONSTRAINT {PRIMARY} TO pk_0011")
    op.create_table(
        TABLE,
        sa.Column("id", BIGID, nullable=False),
        sa.Column("run_id", BIGID, nullable=False),
        sa.Column("person_id", BIGID, nullable=False),
        sa.Column("scheme", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_interest_credits_person_id_persons"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["interest_runs.id"], name=RUN_KEY),
        sa.PrimaryKeyConstraint("id", name=PRIMARY),
        sa.UniqueConstraint("person_id", "scheme", "year", name=UNIQUE),
    )
    op.execute(
        f"INSERT INTO {TABLE} (run_id, person_id, scheme, year, interest) "
        "SELECT r.id, c.person_id, c.scheme, c.year, c.interest FROM interest_credits_0011 c "
        "JOIN interest_runs r ON r.year = c.year ORDER BY c.year, c.person_id, c.scheme"
    )
    op.drop_table("interest_credits_0011")
    op.create_index(RUN_INDEX, TABLE, ["run_id"], unique=False)
