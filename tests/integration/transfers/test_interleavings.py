"""Random interleavings of legs, returns, deliveries, retries, duplicate documents, paper copies
(the old agency going off the network and back), long waits and the timeout sweep never lose or
duplicate money or records (SQLite; each example on a database of its own)."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from jinbao.accounts.tables import account_entries
from jinbao.contributions import service as contributions
from jinbao.db import migrate
from jinbao.db.engine import make_engine
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.tables import inbox, outbox
from jinbao.kernel.errors import DomainError
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.ledger.tables import pending_transfers
from jinbao.policy.parameters import load_parameters
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus, Scheme
from jinbao.registry.regions import sync_regions
from jinbao.transfers import queries, workflow
from jinbao.transfers.tables import transfer_cases, transferred_years
from tests.builders import a_uscc, an_agency_tree, an_id_number
from tests.integration.transfers.conftest import NEW, OLD, MovingClock

PARAMS = load_parameters()
OPS = [
    "apply", "approve", "return", "deliver", "process", "duplicate", "tick", "late", "sweep",
    "offline", "online", "paper",
]  # fmt: skip
LAST_DAY = dt.date(2026, 12, 20)  # the official calendar is loaded to the end of 2026


def _world(engine: Engine, clock: MovingClock) -> list[str]:
    people = [an_id_number(born=f"198{i}-05-0{i + 1}", county="410105") for i in range(3)]
    uscc = a_uscc("440106")
    with UnitOfWork(engine, clock) as uow:
        sync_regions(uow)
        an_agency_tree(uow)
        registry.add_employer(uow, registry.NewEmployer(uscc, "某厂", OLD))
        for i, person in enumerate(people):
            registry.add_person(uow, registry.NewPerson(person, f"人{i}", "410105"))
            old = registry.add_relationship(
                uow,
                registry.NewRelationship(
                    person, Scheme.ENTERPRISE, OLD, dt.date(2024, 1, 1), employer_uscc=uscc
                ),
            )
            rows = [
                contributions.DeclarationRow(2, uscc, YearMonth(2024, m), person, Fen(500_000 + i))
                for m in range(1, 7)
            ]
            contributions.declare(
                uow, rows, batch=f"b{i}", params=PARAMS, paid_on=dt.date(2024, 7, 10)
            )
            registry.change_relationship_status(
                uow, old.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2024, 7, 1),
                reason="离开",
            )  # fmt: skip
            registry.add_relationship(
                uow, registry.NewRelationship(person, Scheme.ENTERPRISE, NEW, dt.date(2025, 1, 1))
            )
        uow.commit()
    return people


def _case_of(engine: Engine, clock: MovingClock, person: str) -> str | None:
    with UnitOfWork(engine, clock) as uow:
        found = queries.person_cases(uow, person, PARAMS)
    return found[-1]["case_id"] if found else None


START = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A database migrated, with the world in it, made once: each example starts from a copy
    (migrating a database of its own took most of an example's time)."""
    path = tmp_path_factory.mktemp("interleavings") / "world.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
        people = _world(engine, MovingClock(START))
    finally:
        engine.dispose()  # the last connection closed: the WAL is checkpointed into the file
    return path, people


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    auto=st.tuples(st.booleans(), st.booleans()),
    steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 2)), max_size=30),
    seed=st.integers(0, 1000),
)
def test_random_interleavings_keep_money_and_records_whole(
    world: tuple[Path, list[str]], auto: tuple[bool, bool], steps: list[tuple[str, int]], seed: int
) -> None:
    template, people = world
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(template, Path(tmp) / "j.db")
        engine = make_engine(f"sqlite:///{Path(tmp) / 'j.db'}")
        try:
            clock = MovingClock(START)
            with UnitOfWork(engine, clock) as uow:
                for code, on in zip((OLD, NEW), auto, strict=True):
                    workflow.set_auto_review(uow, code, on)
                uow.commit()
            totals_before = _account_totals(engine)
            _run(engine, clock, people, steps, random.Random(seed))
            workflow.pump(engine, clock, PARAMS)  # everything in flight arrives
            _take_in_all_paper(engine, clock)  # and every paper copy is taken in at last
            workflow.pump(engine, clock, PARAMS)
            _check_invariants(engine, clock, totals_before)
        finally:
            engine.dispose()


def _run(
    engine: Engine,
    clock: MovingClock,
    people: list[str],
    steps: list[tuple[str, int]],
    rng: random.Random,
) -> None:
    transport = exchange.LocalTransport(engine, clock)
    for op, i in steps:
        case_id = _case_of(engine, clock, people[i])
        try:
            if op == "apply":
                with UnitOfWork(engine, clock) as uow:
                    workflow.apply(uow, workflow.Application(people[i], NEW), PARAMS)
                    uow.commit()
            elif op in ("approve", "return") and case_id:
                with UnitOfWork(engine, clock) as uow:
                    if op == "approve":
                        workflow.go_on(uow, case_id, params=PARAMS)
                    else:
                        workflow.return_case(uow, case_id, workflow.operator_reason("退回"))
                    uow.commit()
            elif op == "deliver":
                exchange.deliver(engine, clock, transport)
            elif op == "process":
                workflow.process_inbox(engine, clock, PARAMS)
            elif op == "duplicate":
                with engine.connect() as conn:
                    payloads = [p for (p,) in conn.execute(select(outbox.c.payload))]
                if payloads:
                    transport.send(rng.choice(payloads).encode())
            elif op == "tick":
                clock.advance(1)
            elif op == "late" and clock.day + dt.timedelta(days=70) <= LAST_DAY:
                clock.advance(70)  # past the leg-3 deadline and the grace of the sweep
            elif op == "sweep":
                workflow.void_overdue(engine, clock, PARAMS)
            elif op in ("offline", "online"):
                with UnitOfWork(engine, clock) as uow:
                    since = dt.date(2011, 1, 1) if op == "online" else None
                    registry.set_agency_network(uow, OLD, since)
                    uow.commit()
            elif op == "paper":
                with engine.connect() as conn:
                    papers = conn.execute(
                        select(outbox.c.short_code, outbox.c.receiver).where(
                            outbox.c.short_code.is_not(None)
                        )
                    ).all()
                if papers:
                    code, receiver = rng.choice(papers)
                    with UnitOfWork(engine, clock) as uow:
                        exchange.intake_code(uow, receiver, code)
                        uow.commit()
        except DomainError:
            pass  # refused actions write nothing; the invariants below prove it


def _take_in_all_paper(engine: Engine, clock: MovingClock) -> None:
    for _ in range(10):  # each paper taken in may answer with another
        with engine.connect() as conn:
            waiting = conn.execute(
                select(outbox.c.short_code, outbox.c.receiver)
                .outerjoin(inbox, inbox.c.document_id == outbox.c.document_id)
                .where(outbox.c.short_code.is_not(None), inbox.c.document_id.is_(None))
            ).all()
        if not waiting:
            return
        for code, receiver in waiting:
            with UnitOfWork(engine, clock) as uow:
                exchange.intake_code(uow, receiver, code)
                uow.commit()
        workflow.pump(engine, clock, PARAMS)


def _account_totals(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return {
            p: int(v)
            for p, v in conn.execute(
                select(account_entries.c.person_id, func.sum(account_entries.c.amount)).group_by(
                    account_entries.c.person_id
                )
            )
        }


def _check_invariants(engine: Engine, clock: MovingClock, totals_before: dict[int, int]) -> None:
    with UnitOfWork(engine, clock) as uow:
        assert check(uow) == []
    # A transfer never makes or loses money: what left an account is in another, or in transit.
    with engine.connect() as conn:
        in_transit = dict(
            conn.execute(
                select(transfer_cases.c.person_id, pending_transfers.c.account_amount)
                .join(
                    pending_transfers, pending_transfers.c.transfer_key == transfer_cases.c.case_id
                )
                .where(
                    pending_transfers.c.state == "pending",
                    transfer_cases.c.side == "transferring",
                )
            ).all()
        )
    after = _account_totals(engine)
    assert {p: after.get(p, 0) + int(in_transit.get(p, 0)) for p in totals_before} == totals_before
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(inbox).where(inbox.c.applied_at.is_(None))
            ).scalar_one()
            == 0
        )
        sides: dict[str, dict[str, str]] = {}
        for case_id, side, state in conn.execute(
            select(transfer_cases.c.case_id, transfer_cases.c.side, transfer_cases.c.state)
        ):
            sides.setdefault(case_id, {})[side] = state
        money: dict[str, str] = dict(
            conn.execute(select(pending_transfers.c.transfer_key, pending_transfers.c.state)).all()
        )
        merged = {
            case: int(months)
            for case, months in conn.execute(
                select(transfer_cases.c.case_id, func.sum(transferred_years.c.months))
                .join(transferred_years, transferred_years.c.case_row_id == transfer_cases.c.id)
                .group_by(transfer_cases.c.case_id)
            )
        }
    completed = 0
    for case_id, by_side in sides.items():
        receiving, transferring = by_side["receiving"], by_side.get("transferring")
        # Both copies agree once everything has been delivered.
        if transferring is not None and receiving in ("completed", "voided"):
            assert transferring == receiving, (case_id, by_side)
        state = money.get(case_id)
        if receiving == "completed":
            completed += 1
            assert state == "posted"
            assert merged[case_id] == 6  # every month moved exactly once
        elif state is not None:
            assert state == ("voided" if receiving == "voided" else "pending"), (case_id, by_side)
        else:
            assert case_id not in merged
    assert completed <= 3  # at most one completed transfer per person: nothing twice
