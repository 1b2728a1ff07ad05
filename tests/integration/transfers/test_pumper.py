"""The server's pump: one at a time, and a document committed while it runs is not left behind
(the running pump hands the note to a background round)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.exc import OperationalError

from jinbao.db.uow import UnitOfWork
from jinbao.exchange.model import Document, DocumentType
from jinbao.exchange.tables import inbox
from jinbao.kernel.errors import Conflict
from jinbao.policy.parameters import Parameters
from jinbao.transfers import cases, workflow
from jinbao.transfers.cases import Side
from tests.integration.helpers import commit
from tests.integration.transfers.conftest import NEW, OLD, Mover, MovingClock, auto_review

Uow = Callable[[], UnitOfWork]


def unapplied(engine: Engine) -> int:
    """Documents waiting in the inbox (one sent between two agencies of this node is there as
    soon as its sender commits; the pump applies it)."""
    with engine.connect() as conn:
        return len(
            conn.execute(select(inbox.c.document_id).where(inbox.c.applied_at.is_(None))).all()
        )


def test_a_request_that_finds_the_pump_running_leaves_its_documents_to_it(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    auto_review(uow_at, OLD, NEW)  # the application sends its letter at once
    real = workflow.pump
    calls: list[int] = []
    at_end, go_on = threading.Event(), threading.Event()

    def pump_then_wait(*args: object, **kwargs: object) -> workflow.PumpReport:
        report = real(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(report.applied)
        if len(calls) == 1:  # the first pump has looked at the outbox and is about to finish
            at_end.set()
            go_on.wait(10)
        return report

    monkeypatch.setattr(workflow, "pump", pump_then_wait)
    pumper = workflow.Pumper(engine, moving_clock, lambda: params)
    first = threading.Thread(target=pumper)
    first.start()
    assert at_end.wait(10)
    # Meanwhile a request applies for a transfer and asks for the pump: it does not run a second.
    commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    assert unapplied(engine) == 1
    pumper()
    assert len(calls) == 1  # left to the running pump
    assert unapplied(engine) == 1
    go_on.set()
    first.join(10)
    pumper.join(10)
    assert calls[1] >= 1  # the running pump's note went round again and applied the letter
    assert unapplied(engine) == 0


def test_a_request_pumps_for_a_bounded_time_and_the_background_finishes(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock,
) -> None:  # fmt: skip
    """Under load the node's inbox holds everyone's documents: the request's own rounds stop
    at their time budget (here none at all) and the background rounds carry the rest."""
    auto_review(uow_at, OLD, NEW)
    commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    pumper = workflow.Pumper(engine, moving_clock, lambda: params)
    pumper.FOREGROUND_SECONDS = -1.0  # the budget is spent before the first document
    held = threading.Lock()
    with held:  # the background cannot start before the request's pump has returned
        real_drain = pumper._drain

        def drain_after_release() -> None:
            with held:
                real_drain()

        pumper._drain = drain_after_release  # type: ignore[method-assign]
        pumper()
        assert unapplied(engine) == 1  # the request itself applied nothing
    pumper.join(10)
    assert unapplied(engine) == 0  # the background applied the letter and all that followed


def test_one_round_of_the_pump_runs_a_clean_transfer_between_agencies_here_to_the_end(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock,
) -> None:  # fmt: skip
    """Each document the pump applies sends the next into this node's inbox, and the pump
    applies it in the same round (until session 25 each waited for the next round's read), in
    the transaction that sent it (until session 31 each in its own). ``process_inbox`` called
    bare applies what it read and no more. A document sent and applied in one transaction
    goes into the inbox as applied, with no claim (since session 32)."""
    auto_review(uow_at, OLD, NEW)
    claimed_in: list[object] = []  # the transaction of each document claimed
    applied_in: list[object] = []  # of each put into the inbox as applied

    def claims(conn: Connection, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE inbox SET applied_at"):
            claimed_in.append(conn.get_transaction())
        if "INSERT INTO inbox" in statement:  # on PostgreSQL with the outbox's (session 33)
            applied_in.append(conn.get_transaction())

    def state(side: Side) -> str | None:
        with uow_at() as uow:
            row = cases.find(uow, case_id, side)
            return row.state.value if row else None

    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    assert workflow.process_inbox(engine, moving_clock, params) == workflow.InboxReport(1, 0)
    assert state(Side.TRANSFERRING) == "funds_sent"  # the letter applied: 信息表 and 划转表 sent
    assert state(Side.RECEIVING) == "contact_sent"  # and not applied by the bare call
    assert unapplied(engine) == 2
    event.listen(engine, "before_cursor_execute", claims)
    try:
        report = workflow.pump(engine, moving_clock, params, rounds=1)
    finally:
        event.remove(engine, "before_cursor_execute", claims)
    assert report.applied == 3  # 信息表, 划转表, then the 办结通知 they caused
    assert (state(Side.RECEIVING), state(Side.TRANSFERRING)) == ("completed", "completed")
    assert unapplied(engine) == 0
    # The first of the two funds documents completes the leg (it reads the other from the
    # inbox), and the 办结通知 it sends goes in as applied and is applied in its transaction;
    # the second has nothing left to do, in its own.
    assert len(claimed_in) == 2
    assert claimed_in[1] is not claimed_in[0]
    assert applied_in == claimed_in[:1]


def test_a_document_that_fails_takes_back_the_one_that_caused_it_which_is_applied_alone(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A document applied in the transaction of the one that sent it, and refused there, rolls
    that transaction back: the one before is applied again alone, and the refused one in its
    own transaction, where its reason is recorded and it waits to be tried again."""
    auto_review(uow_at, OLD, NEW)
    apply_completion = workflow.HANDLERS[DocumentType.COMPLETION]

    def refused(uow: UnitOfWork, document: Document, p: Parameters) -> None:
        raise Conflict("test.refused", "测试拒收。", "Refused by the test.")

    monkeypatch.setitem(workflow.HANDLERS, DocumentType.COMPLETION, refused)
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    report = workflow.pump(engine, moving_clock, params, rounds=1)
    assert (report.applied, report.failed) == (3, 1)  # letter, 信息表, 划转表; not the notice
    with uow_at() as uow:
        receiving = cases.get(uow, case_id, Side.RECEIVING)
        transferring = cases.get(uow, case_id, Side.TRANSFERRING)
    assert (receiving.state.value, transferring.state.value) == ("completed", "funds_sent")
    with engine.connect() as conn:
        waiting = conn.execute(
            select(inbox.c.type, inbox.c.apply_error).where(inbox.c.applied_at.is_(None))
        ).all()
    assert [tuple(w) for w in waiting] == [
        ("completion_notice", "test.refused: Refused by the test.")
    ]
    monkeypatch.setitem(workflow.HANDLERS, DocumentType.COMPLETION, apply_completion)
    assert workflow.pump(engine, moving_clock, params).applied == 1
    with uow_at() as uow:
        transferring = cases.get(uow, case_id, Side.TRANSFERRING)
    assert transferring.state.value == "completed"
    assert unapplied(engine) == 0


@pytest.mark.parametrize(
    "migrated_engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_document_another_worker_is_applying_is_skipped_not_waited_for(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock,
) -> None:  # fmt: skip
    """Each server process has its pump; two on the same oldest document must not queue behind
    each other. The one that finds it locked goes on, and the document stays for the next round
    if the other fails. (PostgreSQL: SQLite has one writer at a time.)"""
    auto_review(uow_at, OLD, NEW)
    commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    assert unapplied(engine) == 1
    with engine.connect() as other:  # another worker, in the middle of applying the letter
        held = other.begin()
        other.execute(select(inbox.c.document_id).with_for_update())
        reports: list[workflow.InboxReport] = []
        worker = threading.Thread(
            target=lambda: reports.append(workflow.process_inbox(engine, moving_clock, params))
        )
        worker.start()
        worker.join(15)  # waiting on the lock, it would still be here; the fallback lets it go
        held.rollback()  # the other worker fails: nothing of its work stays
        worker.join(15)
    assert reports == [workflow.InboxReport(0, 0)]  # it did not wait to take the letter itself
    assert unapplied(engine) == 1
    assert workflow.pump(engine, moving_clock, params).applied >= 1  # and all that follows
    assert unapplied(engine) == 0


@pytest.mark.parametrize(
    "migrated_engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_two_pumps_applying_a_cases_funds_documents_at_once_complete_it_once(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The 信息表 and the 基金划转表 arrive together; two server processes' pumps may apply one
    each at the same time. The first to read the leg completes it; the second must see that,
    not the leg as it was waiting for its funds (it then found the money taken, returned it and
    voided a completed transfer: session 29's mixed load). The first is held between its work
    and its commit while the second starts."""
    auto_review(uow_at, OLD, NEW)
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    assert workflow.process_inbox(engine, moving_clock, params) == workflow.InboxReport(1, 0)
    with engine.connect() as conn:  # the 信息表 and the 划转表, sent by the letter's transaction
        documents = {
            type_: (document_id, payload)
            for type_, document_id, payload in conn.execute(
                select(inbox.c.type, inbox.c.document_id, inbox.c.payload).where(
                    inbox.c.applied_at.is_(None)
                )
            )
        }
    info, slip = documents["info_table"], documents["fund_transfer_slip"]
    handled, go_on = threading.Event(), threading.Event()
    apply_funds = workflow.HANDLERS[DocumentType.INFO_TABLE]

    def held(uow: UnitOfWork, document: Document, p: Parameters) -> None:
        apply_funds(uow, document, p)
        if document.envelope.type is DocumentType.INFO_TABLE:
            handled.set()
            go_on.wait(15)  # the 信息表's unit has done its work and not committed yet

    monkeypatch.setitem(workflow.HANDLERS, DocumentType.INFO_TABLE, held)
    reports: dict[str, workflow.InboxReport] = {}

    def pump_of(name: str, document: tuple[str, str]) -> threading.Thread:
        def run() -> None:
            reports[name] = workflow.process_inbox(engine, moving_clock, params, pending=[document])

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    first = pump_of("info", info)
    assert handled.wait(15)
    second = pump_of("slip", slip)
    second.join(1)
    assert second.is_alive()  # waiting for the case, which the first has not let go yet
    go_on.set()
    first.join(15)
    second.join(15)
    assert reports == {"info": workflow.InboxReport(1, 0), "slip": workflow.InboxReport(1, 0)}
    workflow.pump(engine, moving_clock, params)  # the 办结通知
    with uow_at() as uow:
        receiving = cases.get(uow, case_id, Side.RECEIVING)
        transferring = cases.get(uow, case_id, Side.TRANSFERRING)
    assert (receiving.state.value, transferring.state.value) == ("completed", "completed")
    assert [e for _, e in receiving.case.history].count("completed") == 1
    assert unapplied(engine) == 0


def test_a_pump_that_fails_fails_neither_the_request_nor_the_next_pump(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """The request's own work is committed before it pumps: the database failing under the pump
    is logged, not answered as the request's error, and the documents wait for the next pump.
    A background round that fails leaves, and the next note starts another (it used to die
    with the error and stay registered, so that no later note started one)."""
    auto_review(uow_at, OLD, NEW)
    real = workflow.pump
    fail_in: set[str] = {"request"}
    background_rounds: list[workflow.PumpReport] = []

    def pump(*args: object, **kwargs: object) -> workflow.PumpReport:
        where = "request" if threading.current_thread() is threading.main_thread() else "back"
        if where in fail_in:
            raise OperationalError("SELECT", {}, Exception("the server closed the connection"))
        report = real(*args, **kwargs)  # type: ignore[arg-type]
        if where == "back":
            background_rounds.append(report)
        return report

    monkeypatch.setattr(workflow, "pump", pump)
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    pumper = workflow.Pumper(engine, moving_clock, lambda: params)
    with caplog.at_level(logging.ERROR, logger="jinbao.transfers.workflow"):
        pumper()  # does not raise
        assert caplog.text.count("The exchange pump failed") == 1
        assert unapplied(engine) == 1  # the letter waits
        assert pumper._background is None
        # Now the request's own rounds have no time and the background's fail.
        fail_in = {"back"}
        pumper.FOREGROUND_SECONDS = -1.0
        pumper()
        pumper.join(10)
        assert caplog.text.count("The exchange pump failed") == 2
        assert pumper._background is None  # it left
        assert unapplied(engine) == 1
    fail_in.clear()
    pumper()  # a new note: a new background round applies the letter and all it causes
    pumper.join(10)
    assert [r.applied for r in background_rounds] == [4]  # the letter and the three it causes
    assert unapplied(engine) == 0
    with uow_at() as uow:
        assert cases.get(uow, case_id, Side.RECEIVING).state.value == "completed"


def test_a_request_whose_pump_settles_starts_no_background_round(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock,
) -> None:  # fmt: skip
    """Alone, a request's own rounds take a clean transfer to the end and find nothing more: no
    background round follows (until session 29 one did, every request, for nothing)."""
    auto_review(uow_at, OLD, NEW)
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    pumper = workflow.Pumper(engine, moving_clock, lambda: params)
    pumper()
    assert pumper._background is None
    assert unapplied(engine) == 0
    with uow_at() as uow:
        assert cases.get(uow, case_id, Side.RECEIVING).state.value == "completed"


@pytest.mark.parametrize(
    "migrated_engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_writing_unit_locks_the_case_it_reads_again_after_a_commit(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters
) -> None:
    """The lock goes with the transaction that took it: a unit that commits and reads the case
    again takes it again."""
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )

    def locked() -> bool:
        with engine.connect() as other:
            try:
                other.execute(
                    text("SELECT id FROM transfer_cases WHERE case_id = :c FOR UPDATE NOWAIT"),
                    {"c": case_id},
                )
            except OperationalError:
                return True
            finally:
                other.rollback()
            return False

    with uow_at() as uow:
        assert not locked()
        cases.find(uow, case_id, Side.RECEIVING)
        assert locked()
        uow.commit()
        assert not locked()
        cases.find(uow, case_id, Side.RECEIVING)
        assert locked()
    assert not locked()
    with UnitOfWork(engine, uow.clock, write=False) as reading:  # a unit that only reads
        cases.find(reading, case_id, Side.RECEIVING)
        assert not locked()
