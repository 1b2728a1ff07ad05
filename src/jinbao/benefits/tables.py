"""Retirement applications and pension awards.

An application (退休申请) keeps the national record check it found and the transfers it started;
an award (待遇核定) keeps its inputs and full explanation. An approved award is never changed: a
correction is a new version that supersedes it.
"""

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
    Text,
    UniqueConstraint,
)  # fmt: skip

from jinbao.db.metadata import metadata
from jinbao.db.types import BIGID

retirement_applications = Table(
    "retirement_applications",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False, index=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("scheme", String(12), nullable=False),
    Column("statutory_month", Integer, nullable=False),  # YYYYMM
    Column("retire_month", Integer, nullable=False),  # YYYYMM, within the flexible bounds
    Column("state", String(12), nullable=False),
    Column("findings", Text, nullable=False),  # JSON: the national record check
    Column("transfers", Text, nullable=False),  # JSON: transfer cases started and waited for
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("state IN ('waiting', 'refused', 'awarded')", name="state"),
)

awards = Table(
    "awards",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("application_id", BIGID, ForeignKey("retirement_applications.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("state", String(12), nullable=False),
    Column("from_month", Integer, nullable=False),  # YYYYMM, first month paid
    Column("basic", BigInteger, nullable=False),
    Column("account", BigInteger, nullable=False),
    Column("transitional", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("inputs", Text, nullable=False),  # JSON: C, index, months, balance, age
    Column("explanation", Text, nullable=False),  # JSON: the policy engine's steps and sources
    # a correction (更正) is a new version: why, which version it replaces, and the monthly
    # difference (positive: arrears owed to the person; negative: overpaid)
    Column("supersedes_id", BIGID, ForeignKey("awards.id"), nullable=True),
    Column("reason", String(200), nullable=True),
    Column("difference", BigInteger, nullable=True),
    Column("made_by", String(60), nullable=False),
    Column("checked_by", String(60), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("state IN ('draft', 'approved')", name="state"),
    UniqueConstraint("application_id", "version"),
)


# 发放批次: one payment run that paid something. Its payments go to the banks as one file per
# bank, which can be made again from the payments at any time (migration 0015): until then
# the files existed only in the run's answer, and a run whose answer was lost could not be
# sent to the bank (a rerun pays nothing twice, so it had nothing to list).
benefit_runs = Table(
    "benefit_runs",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("month", Integer, nullable=False),  # YYYYMM the run was for
    Column("actor", String(60), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_benefit_runs_agency_id_month", "agency_id", "month"),
)

# 待遇发放: one row a person, month and kind — the unique key makes a rerun of a month harmless.
# Each names its run and the bank account it was paid into (as it was then: a later change of
# account does not change a file already sent).
benefit_payments = Table(
    "benefit_payments",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("application_id", BIGID, ForeignKey("retirement_applications.id"), nullable=False),
    Column("award_id", BIGID, ForeignKey("awards.id"), nullable=False),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("month", Integer, nullable=False),  # YYYYMM the payment is for
    Column("kind", String(10), nullable=False),  # monthly | arrears (a correction's difference)
    Column("amount", BigInteger, nullable=False),
    Column("run_month", Integer, nullable=False),  # the month of the run that paid it
    Column("journal_id", BIGID, ForeignKey("journals.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("run_id", BIGID, ForeignKey("benefit_runs.id"), nullable=False),
    Column("bank", String(60), nullable=False),
    Column("account_number", String(40), nullable=False),
    CheckConstraint("kind IN ('monthly', 'arrears')", name="kind"),
    UniqueConstraint("application_id", "month", "kind"),
    Index("ix_benefit_payments_run_id_bank", "run_id", "bank"),
)


# 待遇资格认证: each time a pensioner is certified alive and entitled — by data comparison, a
# self-service attestation or at a counter. Payment needs one within a rolling 12 months.
certifications = Table(
    "certifications",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False, index=True),
    Column("method", String(10), nullable=False),
    Column("certified_on", Date, nullable=False),
    Column("note", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("method IN ('data', 'self', 'counter')", name="method"),
)

# What the feeds of public security, civil affairs and the courts report.
life_events = Table(
    "life_events",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False, index=True),
    Column("kind", String(12), nullable=False),
    Column("on", Date, nullable=False),
    Column("source", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("kind IN ('death', 'imprisonment', 'abroad')", name="kind"),
    UniqueConstraint("person_id", "kind", "on"),
)

# After a death: the survivors' due (遗属待遇) and the account inherited, and for a pensioner what
# was paid after it (冒领) and how it is recovered. One per person: a pensioner's is settled when
# the death is recorded (application_id names the pension); a death in service (在职死亡, no
# application) when the survivors claim (claimant), at the agency of the last relation.
death_settlements = Table(
    "death_settlements",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False, unique=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column(
        "application_id",
        BIGID,
        ForeignKey("retirement_applications.id"),
        nullable=True,
        unique=True,
    ),
    Column("claimant", String(40), nullable=True),  # 申领人 of a death in service
    Column("died_on", Date, nullable=False),
    Column("overpaid", BigInteger, nullable=False),
    Column("funeral", BigInteger, nullable=False),
    Column("survivor_pension", BigInteger, nullable=False),
    Column("inheritance", BigInteger, nullable=False),
    Column("payable", BigInteger, nullable=False),  # to the survivors after the overpayment
    Column("to_recover", BigInteger, nullable=False),  # overpayment the survivors' due cannot cover
    Column("explanation", Text, nullable=False),
    Column("journal_id", BIGID, ForeignKey("journals.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# Where a pensioner's pension is paid (社会保障卡 / 银行账户), set with the application or later.
payee_accounts = Table(
    "payee_accounts",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False, unique=True),
    Column("bank", String(60), nullable=False),
    Column("account_number", String(40), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
