"""The schema is built by the migrations, on both engines, and matches the tables in code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, inspect, select, text

from jinbao.accounts.tables import interest_credits, interest_runs
from jinbao.benefits import payments
from jinbao.benefits.events import record_death
from jinbao.benefits.payments import run_payments
from jinbao.benefits.tables import (
    benefit_payments,
    benefit_runs,
    death_settlements,
    payee_accounts,
)
from jinbao.contributions.tables import contribution_payments
from jinbao.db import migrate
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.kernel.periods import YearMonth
from jinbao.policy.parameters import Parameters, load_parameters
from jinbao.registry.regions import sync_regions
from jinbao.sim.nation import generate
from tests.integration.benefits.test_events import pensioner
from tests.integration.helpers import commit
from tests.integration.transfers.conftest import MovingClock


def test_the_database_is_at_the_newest_revision_with_no_drift(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.drift(engine) == []


def test_the_head_read_from_the_scripts_is_alembics_head() -> None:
    """A server reads the newest revision from the scripts' text, without Alembic."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    assert migrate.head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_database_never_migrated_has_no_revision(fresh: Engine) -> None:
    migrate.downgrade(fresh, "base")
    assert migrate.current_revision(fresh) is None
    migrate.upgrade(fresh)
    assert migrate.current_revision(fresh) == migrate.head_revision()


def test_drift_is_detected_when_the_schema_and_the_code_disagree(fresh: Engine) -> None:
    with fresh.begin() as conn:
        conn.execute(text("ALTER TABLE persons ADD COLUMN nickname VARCHAR(20)"))
    differences = migrate.drift(fresh)
    assert any("nickname" in str(d) for d in differences)


def test_migrations_go_down_and_up_again(fresh: Engine) -> None:
    migrate.downgrade(fresh, "base")
    assert set(inspect(fresh).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(fresh)
    assert migrate.drift(fresh) == []


@pytest.mark.postgres
@pytest.mark.parametrize("migrated_engine", ["postgresql"], indirect=True)
def test_person_ordered_indexes_carry_what_reads_by_person_need(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        found = dict(
            conn.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                     "('contributions', 'account_entries')")
            ).all()
        )  # fmt: skip
    assert found["uq_contributions_person_id_scheme_period_entry_no"].endswith(
        "(person_id, scheme, period, entry_no) INCLUDE (kind, agency_id, base, to_account, id)"
    )
    assert found["ix_account_entries_person_id_scheme_effective_on"].endswith(
        "(person_id, scheme, effective_on) INCLUDE (region, portion, kind, amount, id)"
    )
    with migrated_engine.connect() as conn:
        payments = conn.execute(
            text("SELECT indexdef FROM pg_indexes "
                 "WHERE indexname = 'ix_contribution_payments_person_id'")
        ).scalar_one()  # fmt: skip
    assert payments.endswith("(person_id) INCLUDE (contribution_id, paid_on)")


def _nation(engine: Engine, clock: FixedClock, *, persons: int, years: int, interest: bool) -> None:
    """A small synthetic nation written at the newest revision, for data a migration keeps:
    employees only (their monthly records and credited accounts are what the sizes count), no
    survivors' claims."""
    with UnitOfWork(engine, clock) as uow:
        sync_regions(uow)
        uow.commit()
    generate(
        engine, clock, load_parameters(), persons_wanted=persons, years=years, interest=interest,
        residents=0.0, deaths=False,  # a settlement in service cannot go below 0014 (tested apart)
    )  # fmt: skip


def test_payments_made_before_0010_take_their_person_from_their_record(
    fresh: Engine, clock: FixedClock
) -> None:
    _nation(fresh, clock, persons=60, years=1, interest=False)
    read = select(contribution_payments.c.contribution_id, contribution_payments.c.person_id)
    with fresh.connect() as conn:
        written = conn.execute(read.order_by(contribution_payments.c.contribution_id)).all()
    assert len(written) > 300
    migrate.downgrade(fresh, "0009")
    columns = {c["name"] for c in inspect(fresh).get_columns("contribution_payments")}
    assert "person_id" not in columns
    migrate.upgrade(fresh)
    with fresh.connect() as conn:
        assert conn.execute(read.order_by(contribution_payments.c.contribution_id)).all() == written
    assert migrate.drift(fresh) == []


def test_interest_markers_keep_their_accounts_and_amounts_through_0011_down_and_up(
    fresh: Engine, clock: FixedClock
) -> None:
    _nation(fresh, clock, persons=40, years=3, interest=True)
    read = select(interest_credits).order_by(*interest_credits.primary_key.columns)
    with fresh.connect() as conn:
        markers = conn.execute(read).all()
        runs = dict(conn.execute(select(interest_runs.c.year, interest_runs.c.id)).all())
    assert len(markers) > 40
    assert len(runs) >= 2  # two runs: each marker must find its own year's
    migrate.downgrade(fresh, "0010")
    with fresh.connect() as conn:
        old = conn.exec_driver_sql(
            "SELECT person_id, scheme, year, interest, run_id, id FROM interest_credits"
        ).all()
    # Before 0011 each marker named its year's run, and had an id of its own.
    assert sorted(tuple(r[:4]) for r in old) == sorted(tuple(m) for m in markers)
    assert all(r[4] == runs[r[2]] for r in old)
    assert len({r[5] for r in old}) == len(old)
    migrate.upgrade(fresh)
    with fresh.connect() as conn:
        assert conn.execute(read).all() == markers
    assert migrate.drift(fresh) == []


def test_keys_doubled_by_the_first_document_race_keep_the_oldest_current_through_0013(
    fresh: Engine, clock: FixedClock
) -> None:
    """Before 0013 two first documents at once could give an agency two current signing keys;
    the migration retires all but the oldest (a retired key still verifies what it signed)."""
    migrate.downgrade(fresh, "0012")
    with fresh.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO agencies (code, name, level, address, department, phone, hours, "
            "created_at) VALUES ('41010000', '郑州市社保中心', 'city', '郑州', '中心', '0371-1', "
            "'9-17', CURRENT_TIMESTAMP)"
        )
        conn.execute(
            text(
                "INSERT INTO agency_keys (agency_id, key_id, public_key, private_key, created_at) "
                "SELECT id, :key_id, 'pub', :private, CURRENT_TIMESTAMP FROM agencies"
            ),
            [
                {"key_id": "k1", "private": "p1"},
                {"key_id": "k2", "private": "p2"},
                {"key_id": "far", "private": None},  # another node's key: not this node's to sign
            ],
        )
    migrate.upgrade(fresh)
    with fresh.connect() as conn:
        keys = conn.exec_driver_sql(
            "SELECT key_id, retired_at IS NULL FROM agency_keys ORDER BY key_id"
        ).all()
    assert [tuple(k) for k in keys] == [("far", True), ("k1", True), ("k2", False)]
    assert migrate.drift(fresh) == []


def _a_pensioner_on(fresh: Engine, params: Parameters) -> tuple[Callable[[], UnitOfWork], str]:
    """The regions and a pensioner approved in December 2025 on a fresh database; its units of
    work then dated 2026-11-02."""
    moving = MovingClock(dt.date(2026, 11, 2))

    def uow_at() -> UnitOfWork:
        return UnitOfWork(fresh, moving, actor="test")

    with uow_at() as uow:
        sync_regions(uow)
        uow.commit()
    person, _ = pensioner(uow_at, params, moving)
    moving.day = dt.date(2026, 11, 2)
    return uow_at, person


def test_a_pensioners_death_settlement_takes_person_and_agency_from_its_application_through_0014(
    fresh: Engine,
) -> None:
    """0014 lets a settlement stand without a pension (a death in service): the settlements made
    before name their person and agency through their application. Going below 0014 is refused,
    changing nothing, while a settlement without an application exists."""
    params = load_parameters()
    uow_at, person = _a_pensioner_on(fresh, params)
    commit(uow_at, lambda uow: record_death(uow, person, dt.date(2026, 3, 15), "民政", params))
    read = select(
        death_settlements.c.person_id, death_settlements.c.agency_id,
        death_settlements.c.application_id, death_settlements.c.payable,
    )  # fmt: skip
    with fresh.connect() as conn:
        before = conn.execute(read).all()
    assert len(before) == 1
    migrate.downgrade(fresh, "0013")
    columns = {c["name"] for c in inspect(fresh).get_columns("death_settlements")}
    assert {"person_id", "agency_id", "claimant"}.isdisjoint(columns)
    migrate.upgrade(fresh)
    with fresh.connect() as conn:
        assert conn.execute(read).all() == before
    assert migrate.drift(fresh) == []
    with fresh.begin() as conn:
        conn.execute(death_settlements.update().values(application_id=None))
    with pytest.raises(RuntimeError, match="deaths in service"):
        migrate.downgrade(fresh, "0013")
    assert migrate.current_revision(fresh) == migrate.head_revision()
    assert migrate.drift(fresh) == []


def test_payments_made_before_0015_are_kept_as_one_run_per_agency_and_month(
    fresh: Engine,
) -> None:
    """0015 keeps payment runs (发放批次) and the account each payment went to. Payments made
    before it: one run per agency and run month, the account on record for the person."""
    params = load_parameters()
    uow_at, person = _a_pensioner_on(fresh, params)
    for month in (YearMonth(2026, 1), YearMonth(2026, 2)):
        commit(uow_at, lambda uow, month=month: run_payments(uow, "41010000", month))
    migrate.downgrade(fresh, "0014")
    assert "benefit_runs" not in inspect(fresh).get_table_names()
    columns = {c["name"] for c in inspect(fresh).get_columns("benefit_payments")}
    assert {"run_id", "bank", "account_number"}.isdisjoint(columns)
    migrate.upgrade(fresh)
    assert migrate.drift(fresh) == []
    with fresh.connect() as conn:
        runs = conn.execute(
            select(benefit_runs.c.id, benefit_runs.c.month).order_by(benefit_runs.c.id)
        ).all()
        paid = conn.execute(
            select(
                benefit_payments.c.run_month, benefit_payments.c.run_id,
                benefit_payments.c.bank, benefit_payments.c.account_number,
            ).order_by(benefit_payments.c.id)
        ).all()  # fmt: skip
        payee = conn.execute(select(payee_accounts.c.bank, payee_accounts.c.account_number)).one()
    assert [m for _, m in runs] == [202601, 202602]
    by_month = {m: i for i, m in runs}
    assert paid  # January, then February
    assert all(run_id == by_month[m] for m, run_id, _, _ in paid)
    assert {(bank, account) for _, _, bank, account in paid} == {tuple(payee)}
    with uow_at() as uow:
        (text,) = [
            "".join(payments.bank_file(uow, by_month[202601], b.bank))
            for b in payments.get_run(uow, by_month[202601]).banks
        ]
    assert person in text
