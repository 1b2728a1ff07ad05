from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)  # fmt: skip

from jinbao.db.metadata import metadata
from jinbao.db.types import BIGID

legal_documents = Table(
    "legal_documents",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("authority", String(20), nullable=False),
    Column("number", String(100), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "authority IN ('court', 'audit', 'labour_inspection', 'arbitration', 'commitment')",
        name="authority",
    ),
)

contributions = Table(
    "contributions",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False),
    Column("scheme", String(12), nullable=False),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("employer_id", Integer, ForeignKey("employers.id"), nullable=True),
    Column("region", String(6), nullable=False),
    Column("period", Integer, nullable=False),  # YYYYMM
    Column("entry_no", SmallInteger, nullable=False),  # 0, 1, 2… per person, scheme and month
    Column("kind", String(14), nullable=False),
    Column("base", BigInteger, nullable=False),
    Column("employer_part", BigInteger, nullable=False),
    Column("individual_part", BigInteger, nullable=False),
    Column("to_account", BigInteger, nullable=False),
    Column("lump_sum", Boolean, nullable=False),
    Column("legal_document_id", BIGID, ForeignKey("legal_documents.id"), nullable=True),
    Column("reverses_id", BIGID, ForeignKey("contributions.id"), nullable=True, unique=True),
    Column("batch", String(120), nullable=False),  # the declaration or operation it came in
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("kind IN ('employee', 'flexible', 'back_payment', 'reversal')", name="kind"),
    # One record per person, scheme and month at a time: a correction is a reversal (entry 1)
    # and a new record (entry 2); the database refuses a second entry 0 even under a race.
    # On PostgreSQL the index also carries what a person's record reads (migration 0009): the
    # records are written month by month, so one person's lie on a page per month; read from
    # this person-ordered index they are a few adjacent pages (an index-only scan).
    UniqueConstraint(
        "person_id",
        "scheme",
        "period",
        "entry_no",
        postgresql_include=["kind", "agency_id", "base", "to_account", "id"],
    ),
    Index("ix_contributions_employer_id_period", "employer_id", "period"),
    Index("ix_contributions_batch", "batch"),
)

contribution_payments = Table(
    "contribution_payments",
    metadata,
    Column("contribution_id", BIGID, ForeignKey("contributions.id"), primary_key=True),
    Column("paid_on", Date, nullable=False),
    Column("journal_id", BIGID, ForeignKey("journals.id"), nullable=False),
    # The record's person (migration 0010), so that one person's payments are read by this
    # index, not by one primary-key probe per month (the record ids of a person are spread).
    # Not a foreign key: it is copied from the record (itself checked against persons) in the
    # same statement that writes the payment, and the ledger check verifies that it still is
    # the record's person. A foreign-key check per row cost the bulk writer 40 % more time per
    # payment (PostgreSQL: 19 µs a row with it, 14 µs without, 3 µs with no foreign key at all).
    Column("person_id", BIGID, nullable=False),
    Index(
        "ix_contribution_payments_person_id",
        "person_id",
        postgresql_include=["contribution_id", "paid_on"],
    ),
)

# 视同缴费年限: the years a person worked before individual contributions began where they
# worked (国发〔1997〕26号's 中人), reviewed from the personnel file (档案) and recorded with two
# operators, maker and checker. They count as contribution years ("缴费年限，除另有特殊规定外，
# 均包括视同缴费年限") with no money behind them, at the place worked (人社部规〔2016〕5号 一:
# "计算为当时工作地的视同缴费年限": ``region``), and are kept by the agency that holds the
# person's relation (``agency_id``): a transfer of that relation carries them on.
deemed_years = Table(
    "deemed_years",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False),
    Column("scheme", String(12), nullable=False),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("region", String(6), nullable=False),  # the place worked (当时工作地)
    Column("from_period", Integer, nullable=False),  # YYYYMM
    Column("to_period", Integer, nullable=False),
    Column("months", Integer, nullable=False),
    Column("basis", String(200), nullable=False),  # what the years rest on (档案, 招工表…)
    Column("recorded_by", String(60), nullable=False),
    Column("checked_by", String(60), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # 撤销: an entry found wrong is cancelled, not deleted (who, when, why); it counts no more.
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    Column("cancelled_by", String(60), nullable=True),
    Column("cancel_reason", String(200), nullable=True),
    CheckConstraint("from_period <= to_period", name="span"),
    CheckConstraint("months > 0", name="months"),
    CheckConstraint("recorded_by <> checked_by", name="two_operators"),
    Index("ix_deemed_years_person_id_scheme", "person_id", "scheme"),
)

# 城乡居民基本养老保险: one yearly payment per person (国发〔2014〕8号): the person's tier, the
# collective subsidy (集体补助) and the government subsidy (政府补贴), all into the personal account.
resident_contributions = Table(
    "resident_contributions",
    metadata,
    Column("id", BIGID, primary_key=True),
    Column("person_id", BIGID, ForeignKey("persons.id"), nullable=False),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("region", String(6), nullable=False),
    Column("year", Integer, nullable=False),
    Column("individual", BigInteger, nullable=False),
    Column("collective", BigInteger, nullable=False),
    Column("subsidy", BigInteger, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("journal_id", BIGID, ForeignKey("journals.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("person_id", "year"),
)
