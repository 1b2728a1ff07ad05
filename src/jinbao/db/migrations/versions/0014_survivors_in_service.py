"""A death settlement without a pension: the survivors of a person who died in service (在职死亡).

Until now a settlement existed only for a pensioner and was keyed by the pension's application.
A death in service is settled when the survivors claim (人社部发〔2021〕18号; 社会保险经办条例
第十九条), with no application: each settlement now names its person (one per person) and the
agency that settled it, the application is optional, and the claimant is kept. The settlements
already there take both from their application.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("death_settlements") as batch:
        batch.add_column(sa.Column("person_id", BIGID, nullable=True))
        batch.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("claimant", sa.String(length=40), nullable=True))
    op.execute(
        sa.text(
            "UPDATE death_settlements SET "
            "person_id = (SELECT r.person_id FROM retirement_applications r "
            "WHERE r.id = death_settlements.application_id), "
            "agency_id = (SELECT r.agency_id FROM retirement_applications r "
            "WHERE r.id = death_settlements.application_id)"
        )
    )
    with op.batch_alter_table("death_settlements") as batch:
        batch.alter_column("person_id", existing_type=BIGID, nullable=False)
        batch.alter_column("agency_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("application_id", existing_type=BIGID, nullable=True)
        batch.create_unique_constraint("uq_death_settlements_person_id", ["person_id"])
        batch.create_foreign_key(
            "fk_death_settlements_person_id_persons", "persons", ["person_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_death_settlements_agency_id_agencies", "agencies", ["agency_id"], ["id"]
        )


def downgrade() -> None:
    bind = op.get_bind()
    in_service = bind.execute(
        sa.text("SELECT count(*) FROM death_settlements WHERE application_id IS NULL")
    ).scalar_one()
    if in_service:
        # Before 0014 a settlement needs a pension's application: going down would lose these.
        raise RuntimeError(
            f"{in_service} settlements of deaths in service have no application and cannot be "
            "kept below revision 0014; nothing was changed."
        )
    with op.batch_alter_table("death_settlements") as batch:
        batch.drop_constraint("fk_death_settlements_agency_id_agencies", type_="foreignkey")
        batch.drop_constraint("fk_death_settlements_person_id_persons", type_="foreignkey")
        batch.drop_constraint("uq_death_settlements_person_id", type_="unique")
        batch.alter_column("application_id", existing_type=BIGID, nullable=False)
        batch.drop_column("claimant")
        batch.drop_column("agency_id")
        batch.drop_column("person_id")
