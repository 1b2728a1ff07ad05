"""Payment runs kept (发放批次), and each payment's bank account as paid.

Until now a run's bank files (代发文件) existed only in its answer: a run whose answer was lost
(a dropped HTTP response, a CLI stopped before it wrote them) could not be sent to the bank, and
a rerun, paying nothing twice, had nothing to list. A run that pays something is now a row of
``benefit_runs``; each payment names its run and the bank and account it was paid into, so the
files of any run can be made again, the same, at any time.

The payments made before: one run per agency and run month (the first payment's time), the bank
and account on record for the person now (the best this database knows of the account then).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "benefit_runs",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_benefit_runs_agency_id_agencies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_benefit_runs"),
    )
    op.create_index("ix_benefit_runs_agency_id_month", "benefit_runs", ["agency_id", "month"])
    with op.batch_alter_table("benefit_payments") as batch:
        batch.add_column(sa.Column("run_id", BIGID, nullable=True))
        batch.add_column(sa.Column("bank", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("account_number", sa.String(length=40), nullable=True))
    op.execute(
        sa.text(
            "INSERT INTO benefit_runs (agency_id, month, actor, created_at) "
            "SELECT agency_id, run_month, 'migration 0015', min(created_at) "
            "FROM benefit_payments GROUP BY agency_id, run_month "
            "ORDER BY min(created_at), agency_id, run_month"
        )
    )
    op.execute(
        sa.text(
            "UPDATE benefit_payments SET run_id = (SELECT r.id FROM benefit_runs r "
            "WHERE r.agency_id = benefit_payments.agency_id "
            "AND r.month = benefit_payments.run_month)"
        )
    )
    # The person's account on record now; a payment always had one (a person without is not
    # paid), so the fallbacks only guard a payee removed by hand.
    payee = (
        "FROM payee_accounts p JOIN retirement_applications a ON a.person_id = p.person_id "
        "WHERE a.id = benefit_payments.application_id"
    )
    op.execute(
        sa.text(
            f"UPDATE benefit_payments SET bank = coalesce((SELECT p.bank {payee}), '未知'), "
            f"account_number = coalesce((SELECT p.account_number {payee}), '')"
        )
    )
    with op.batch_alter_table("benefit_payments") as batch:
        batch.alter_column("run_id", existing_type=BIGID, nullable=False)
        batch.alter_column("bank", existing_type=sa.String(length=60), nullable=False)
        batch.alter_column("account_number", existing_type=sa.String(length=40), nullable=False)
        batch.create_foreign_key(
            "fk_benefit_payments_run_id_benefit_runs", "benefit_runs", ["run_id"], ["id"]
        )
        batch.create_index("ix_benefit_payments_run_id_bank", ["run_id", "bank"])


def downgrade() -> None:
    with op.batch_alter_table("benefit_payments") as batch:
        batch.drop_index("ix_benefit_payments_run_id_bank")
        batch.drop_constraint("fk_benefit_payments_run_id_benefit_runs", type_="foreignkey")
        batch.drop_column("account_number")
        batch.drop_column("bank")
        batch.drop_column("run_id")
    op.drop_index("ix_benefit_runs_agency_id_month", table_name="benefit_runs")
    op.drop_table("benefit_runs")
