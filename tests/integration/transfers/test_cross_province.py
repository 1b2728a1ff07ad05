"""A cross-province transfer end to end, on both engines: documents, money, record, relations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, insert, select

from jinbao.accounts.service import statement
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.codec import decode
from jinbao.exchange.tables import inbox, outbox
from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import round_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters
from jinbao.registry import repository
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus, Scheme
from jinbao.transfers import cases, queries, workflow
from jinbao.transfers.model import Case
from jinbao.transfers.records import agency_history, agency_record, paid_months
from jinbao.transfers.tables import cleared_months, transfer_cases, transfer_notices
from tests.builders import an_agency_tree, an_id_number
from tests.integration.helpers import commit, listening, rejected
from tests.integration.transfers.conftest import NEW, OLD, Mover, MovingClock, auto_review, employ

Uow = Callable[[], UnitOfWork]


def apply(make_uow: Uow, mover: Mover, params: Parameters) -> str:
    return commit(
        make_uow,
        lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params),
    )


def show(make_uow: Uow, case_id: str, params: Parameters) -> dict:
    with make_uow() as uow:
        return queries.show(uow, case_id, params)


def no_breaks(make_uow: Uow) -> None:
    with make_uow() as uow:
        assert check(uow) == []


def test_with_automatic_review_on_both_sides_a_clean_transfer_completes_at_once(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    auto_review(uow_at, OLD, NEW)
    with uow_at() as uow:
        before = statement(uow, mover.id_number, moving_clock.today())
    case_id = apply(uow_at, mover, params)
    report = workflow.pump(engine, moving_clock, params)
    assert report.failed == 0

    case = show(uow_at, case_id, params)
    sides = {s["side"]: s for s in case["sides"]}
    assert sides["receiving"]["state"] == "completed"
    assert sides["transferring"]["state"] == "completed"
    assert [d["type"] for d in case["documents"]] == [
        "contact_letter", "info_table", "fund_transfer_slip", "completion_notice",
    ]  # fmt: skip
    assert all(d["delivered"] and d["applied"] for d in case["documents"])

    # Money: 12% of each paid month's base (no interest on the pooled part) plus the whole
    # account; the unpaid month moves nothing (人社部发〔2010〕70号).
    pooled = round_to_fen(Decimal(800_000) * Decimal("0.12") * 12) + round_to_fen(
        Decimal(800_000) * Decimal("0.12") * 11
    )
    money = case["ledger_transfer"]
    assert money["state"] == "posted"
    assert money["pooled"] == pooled
    assert money["account"] == 23 * 64_000  # 8% of 8 000 yuan a month, paid months only
    assert (money["from_region"], money["to_region"]) == ("440000", "410000")
    assert sides["transferring"]["amounts"]["months"] == 23
    assert sides["receiving"]["amounts"]["months"] == 23

    # The person's account is whole, and now all of it sits in Henan.
    with uow_at() as uow:
        after = statement(uow, mover.id_number, moving_clock.today())
        record = agency_record(
            uow, _person_id(uow, mover), "enterprise", _agency_id(uow, NEW), "410000"
        )
        old_relation = registry.get_relationship(uow, mover.old_relation)
        old_history = registry.status_history(uow, mover.old_relation)
    assert after.balances == before.balances
    assert record.account == before.balances
    assert record.months == 23 + 3  # Guangzhou's paid months, then Zhengzhou's own
    assert [(y.year, y.local_months, y.transferred_months) for y in record.years] == [
        (2023, 0, 12), (2024, 0, 11), (2025, 3, 0),
    ]  # fmt: skip
    assert old_relation.status is RelationshipStatus.TRANSFERRED_OUT
    assert case_id in old_history[-1].reason

    # The person was told about the unpaid month.
    notices = sides["transferring"]["notices"]
    assert [n["code"] for n in notices] == ["transfer.arrears_excluded"]
    assert sides["receiving"]["notices"] == []
    # Each side shows its own events (the view reads both sides' at once since session 32).
    events = {side: [e["event"] for e in sides[side]["events"]] for side in sides}
    assert "contact_letter_received" in events["transferring"]
    assert "contact_letter_received" not in events["receiving"]
    assert "info_table_received" in events["receiving"]
    assert "info_table_received" not in events["transferring"]
    no_breaks(uow_at)


def test_a_cases_view_is_one_statement_and_shows_what_its_tables_hold(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    """The view of a case (read back twice a transfer under the mixed load) is one statement
    since session 34, and a second only when the case has comments; what it shows of the
    documents, the notices and the ledger transfer is what their own tables and the documents'
    own text say."""
    auto_review(uow_at, OLD, NEW)
    case_id = apply(uow_at, mover, params)
    assert workflow.pump(engine, moving_clock, params).failed == 0
    run: list[str] = []

    def reads(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if not sql.startswith("BEGIN"):  # SQLite's writing unit begins by a statement
            run.append(sql)

    with listening(engine, "before_cursor_execute", reads):
        case = show(uow_at, case_id, params)
    assert len(run) == 1, run

    with uow_at() as uow:
        sent = uow.conn.execute(
            select(outbox.c.document_id, outbox.c.payload, outbox.c.delivered_at)
            .where(outbox.c.case_id == case_id)
            .order_by(outbox.c.id)
        ).all()
        received = {
            r.document_id: r
            for r in uow.conn.execute(
                select(inbox.c.document_id, inbox.c.applied_at, inbox.c.received_via)
            )
        }
        money = ledger.pending_transfer(uow, _key(uow, case_id))
        notices = (
            uow.conn.execute(select(transfer_notices.c.code).order_by(transfer_notices.c.id))
            .scalars()
            .all()
        )
    assert [d["id"] for d in case["documents"]] == [r.document_id for r in sent]
    for shown, row in zip(case["documents"], sent, strict=True):
        envelope = decode(row.payload.encode()).document.envelope
        assert shown["issued_at"] == envelope.issued_at  # read from the payload's text
        assert (shown["type"], shown["sender"], shown["receiver"]) == (
            envelope.type.value, envelope.sender, envelope.receiver,
        )  # fmt: skip
        assert shown["delivered"] is (row.delivered_at is not None)
        assert shown["applied"] is (received[row.document_id].applied_at is not None)
        assert shown["received_via"] == received[row.document_id].received_via
    assert money is not None
    assert case["ledger_transfer"] == {
        "key": money.key, "state": money.state, "from_region": money.from_region,
        "to_region": money.to_region, "pooled": money.pooled, "account": money.account,
        "total": money.pooled + money.account,
    }  # fmt: skip
    assert [n["code"] for s in case["sides"] for n in s["notices"]] == notices
    assert case["comments"] == []

    commit(uow_at, lambda uow: queries.comment(uow, case_id, OLD, "请按时办结"))
    run.clear()
    with listening(engine, "before_cursor_execute", reads):
        commented = show(uow_at, case_id, params)
    assert len(run) == 2, run
    assert [(c["agency"], c["text"]) for c in commented["comments"]] == [(OLD, "请按时办结")]
    assert {k: v for k, v in commented.items() if k != "comments"} == {
        k: v for k, v in case.items() if k != "comments"
    }


def _key(uow: UnitOfWork, case_id: str) -> str:
    return (
        uow.conn.execute(
            select(transfer_cases.c.transfer_key).where(
                transfer_cases.c.case_id == case_id, transfer_cases.c.transfer_key.is_not(None)
            )
        )
        .scalars()
        .first()
    )


def test_a_clean_transfer_rolls_nothing_back(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    """Every transaction of a clean transfer, its reads included, ends in a commit. On
    PostgreSQL a rollback makes psycopg drop every statement prepared on the connection, so a
    pump whose reads were rolled back planned each statement of the next transfer anew: 80
    instead of 51 ms a transfer (bench_transfer, session 11)."""
    auto_review(uow_at, OLD, NEW)
    rollbacks: list[object] = []

    def rolled_back(conn: object) -> None:
        rollbacks.append(conn)

    with listening(engine, "rollback", rolled_back):
        case_id = apply(uow_at, mover, params)
        assert workflow.pump(engine, moving_clock, params).failed == 0
    assert {s["state"] for s in show(uow_at, case_id, params)["sides"]} == {"completed"}
    assert rollbacks == []


def test_a_case_saved_with_its_event_is_one_statement_on_postgresql(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters
) -> None:
    """A transfer saves its cases with an event five times: on PostgreSQL the update and the
    event go as one statement (a writing WITH); SQLite has none, and runs two. Either way the
    case and its event are written whole, and a save without an event writes none."""
    case_id = apply(uow_at, mover, params)
    written: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if not sql.lstrip().upper().startswith("SELECT"):
            written.append(sql)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with uow_at() as uow:
            row = cases.get(uow, case_id, cases.Side.RECEIVING)
            written.clear()
            saved = cases.save(
                uow, row, row.case, "noted", on=dt.date(2026, 11, 3), document_id="d" * 36,
                note="备注", reasons=[{"code": "x"}], months=7, queued=True,
            )  # fmt: skip
            with_event = list(written)
            # What save returns is what a read gives (session 32: not read again).
            assert saved == cases.find(uow, case_id, cases.Side.RECEIVING)
            assert (saved.months, saved.queued, saved.reasons) == (7, True, [{"code": "x"}])
            again = cases.save(uow, saved, saved.case)
            assert again == cases.find(uow, case_id, cases.Side.RECEIVING)
            assert again.reasons == [{"code": "x"}]
            with pytest.raises(TypeError, match="agency_id"):  # its row could not show it
                cases.save(uow, again, again.case, agency_id=again.counterpart_id)
            uow.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(with_event) == (1 if engine.dialect.name == "postgresql" else 2)
    assert len(written) == len(with_event) + 1  # the save without an event: its update alone
    side = next(s for s in show(uow_at, case_id, params)["sides"] if s["side"] == "receiving")
    assert side["events"][-1] == {
        "on": "2026-11-03", "event": "noted", "document_id": "d" * 36, "note": "备注",
        "actor": "test",
    }  # fmt: skip
    assert [e["event"] for e in side["events"]].count("noted") == 1
    with uow_at() as uow:
        assert cases.get(uow, case_id, cases.Side.RECEIVING).reasons == [{"code": "x"}]


def test_a_writing_unit_reads_a_case_once_and_finds_it_as_a_read_would_give_it(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    """A writing unit locks and reads a case's sides at its first find, in one statement, and
    finds them again as it last read or wrote them (session 34; a clean transfer's pump found
    its cases seven times). What it finds is what a read gives: after a save, after an event,
    and after a save of a row that missed an event written since (the next find reads)."""
    auto_review(uow_at, OLD, NEW)
    case_id = apply(uow_at, mover, params)
    reads: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if "FROM transfer_cases JOIN agencies" in sql:  # a read of a case's rows
            reads.append(sql)

    with listening(engine, "before_cursor_execute", seen):
        assert workflow.pump(engine, moving_clock, params).failed == 0
    assert len(reads) == 1  # the letter's unit, whose chain completes the transfer

    receiving, transferring = cases.Side.RECEIVING, cases.Side.TRANSFERRING
    with uow_at() as uow:
        row = cases.get(uow, case_id, receiving)
        reads.clear()
        with listening(engine, "before_cursor_execute", seen):
            assert cases.get(uow, case_id, transferring) == cases._read(uow, case_id, transferring)
            assert cases.get(uow, case_id, receiving) == row
            assert len(reads) == 1  # the check's own read: the finds read nothing
            cases.event_(uow, row.row_id, "noted", dt.date(2026, 11, 3))
            found = cases.get(uow, case_id, receiving)
            assert found == cases._read(uow, case_id, receiving)
            assert found.case.history[-1] == (dt.date(2026, 11, 3), "noted")
            saved = cases.save(uow, found, found.case, "noted_again", on=dt.date(2026, 11, 4))
            assert cases.get(uow, case_id, receiving) == saved
            assert saved == cases._read(uow, case_id, receiving)
            # A save of the row as it was before the event: what it returns misses the event,
            # so the next find reads the case again and has both.
            reads.clear()
            stale = cases.save(uow, row, row.case, "noted_late", on=dt.date(2026, 11, 5))
            assert [e for _, e in stale.case.history].count("noted") == 0
            again = cases.get(uow, case_id, receiving)
            assert len(reads) == 1
        events = [e for _, e in again.case.history]
        assert events[-3:] == ["noted", "noted_again", "noted_late"]
        assert again == cases._read(uow, case_id, receiving)


def test_a_created_case_is_the_case_a_read_gives_without_reading_it(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Each side's case is built from what was written, not read back (session 32): the
    application's at the receiving agency, the 联系函's at the transferring one with the
    letter's event. Each equals what a read in the same transaction gives, on both engines,
    its events in order. Each is written with its events by one statement on PostgreSQL
    (session 33), two on SQLite."""
    auto_review(uow_at, OLD, NEW)
    real = cases.create
    pairs: list[tuple[cases.CaseRow, cases.CaseRow | None]] = []
    writes: list[int] = []

    def create_then_read(uow: UnitOfWork, case: Case, **values: Any) -> cases.CaseRow:
        sent: list[str] = []

        def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
            sent.append(sql)

        with listening(engine, "before_cursor_execute", seen):
            row = real(uow, case, **values)
        writes.append(len(sent))
        pairs.append((row, cases.find(uow, row.case_id, row.side)))
        return row

    monkeypatch.setattr(cases, "create", create_then_read)
    case_id = apply(uow_at, mover, params)
    assert workflow.pump(engine, moving_clock, params).failed == 0
    assert [(row.side, row.case_id) for row, _ in pairs] == [
        (cases.Side.RECEIVING, case_id), (cases.Side.TRANSFERRING, case_id),
    ]  # fmt: skip
    for row, read in pairs:
        assert row == read
    assert writes == ([1, 1] if engine.dialect.name == "postgresql" else [2, 2])
    letter = pairs[1][0]
    assert [event for _, event in letter.case.history][-1] == "contact_letter_received"
    assert (letter.agency_code, letter.counterpart_code, letter.id_number) == (
        OLD, NEW, mover.id_number,
    )  # fmt: skip
    assert {s["state"] for s in show(uow_at, case_id, params)["sides"]} == {"completed"}


def test_each_save_of_a_clean_transfer_returns_the_case_a_read_gives(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A handler goes on with the case save returned (the funds leg no longer reads it again,
    session 32): each is what a read in the same transaction gives, events included."""
    auto_review(uow_at, OLD, NEW)
    real = cases.save
    pairs: list[tuple[cases.CaseRow, cases.CaseRow | None]] = []

    def save_then_read(uow: UnitOfWork, row: cases.CaseRow, *args: Any, **values: Any) -> Any:
        saved = real(uow, row, *args, **values)
        pairs.append((saved, cases.find(uow, row.case_id, row.side)))
        return saved

    monkeypatch.setattr(cases, "save", save_then_read)
    case_id = apply(uow_at, mover, params)
    assert workflow.pump(engine, moving_clock, params).failed == 0
    assert len(pairs) == 5  # letter sent; funds sent; funds received; completed, both sides
    for saved, read in pairs:
        assert saved == read
    assert {s["state"] for s in show(uow_at, case_id, params)["sides"]} == {"completed"}


def test_a_transaction_reads_the_two_agencies_it_sends_between_once(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    """What a document's sending reads of its two agencies (on the network? served here? the
    signing key) is read once a transaction, whichever way the documents go: the pump's one
    transaction after the application sends the 信息表 and 基金划转表 one way and the 办结通知
    back (session 32: the second way was read again). Both agencies have signed before: an
    agency's first document makes its key, and what was read is read again after that."""
    auto_review(uow_at, OLD, NEW)
    for code in (OLD, NEW):
        commit(uow_at, lambda uow, code=code: exchange.ensure_key(uow, code))
    reads: list[object] = []  # the transaction of each read of a route

    def seen(conn: Connection, _cursor: object, sql: str, *_: object) -> None:
        if sql.startswith("SELECT agencies.code, agencies.networked_since"):
            reads.append(conn.get_transaction())

    with listening(engine, "before_cursor_execute", seen):
        case_id = apply(uow_at, mover, params)
        assert workflow.pump(engine, moving_clock, params).applied == 4
    assert len(reads) == 2  # the application's transaction, then the pump's
    assert reads[0] is not reads[1]
    assert {s["state"] for s in show(uow_at, case_id, params)["sides"]} == {"completed"}


def test_an_unknown_receiving_agency_is_what_an_application_is_told_first(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters
) -> None:
    """The receiving agency is read with the transferring one, once the relations name it
    (session 32): an unknown receiving agency is still the refusal, whether or not the
    person keeps a relation to transfer, and nothing is written."""
    for to, source in (("99999999", None), ("99999999", OLD), (NEW, "99999998")):
        error = rejected(
            engine,
            uow_at,
            lambda uow, to=to, source=source: workflow.apply(
                uow, workflow.Application(mover.id_number, to, source), params
            ),
            InvalidInput,
        )
        assert error.code == "agency.unknown"
        assert (to if to != NEW else source) in error.zh
    # The receiving agency itself, with no relation kept elsewhere: nothing to transfer.
    stranger = an_id_number(born="1990-01-01", sex="F", county="410105")
    commit(
        uow_at, lambda uow: registry.add_person(uow, registry.NewPerson(stranger, "李四", "410105"))
    )
    error = rejected(
        engine,
        uow_at,
        lambda uow: workflow.apply(uow, workflow.Application(stranger, NEW), params),
        InvalidInput,
    )
    assert error.code == "transfer.nothing_to_transfer"


def test_months_cleared_as_duplicates_are_left_out_of_an_agencys_history_and_paid_months(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters
) -> None:
    """A month an agency cleared as paid twice counts at the other place (先转后清): its own
    history for a transfer and its paid months for a duplicate check leave it out, read in
    the same statement as the records since session 34."""
    case_id = apply(uow_at, mover, params)
    with uow_at() as uow:
        pid, old = _person_id(uow, mover), _agency_id(uow, OLD)
        before = agency_history(uow, pid, "enterprise", old, "440000")
        paid_before = paid_months(uow, pid, "enterprise", old)
        row = uow.conn.execute(
            select(transfer_cases.c.id).where(transfer_cases.c.case_id == case_id)
        ).scalar_one()
        uow.conn.execute(
            insert(cleared_months),
            [
                {"case_row_id": row, "person_id": pid, "scheme": "enterprise", "agency_id": old,
                 "period": period, "refund": 0}
                for period in (202405, 202406)
            ],
        )  # fmt: skip
        after = agency_history(uow, pid, "enterprise", old, "440000")
        paid_after = paid_months(uow, pid, "enterprise", old)
    assert len(paid_before) == mover.paid_months
    assert paid_after == {m: v for m, v in paid_before.items() if m not in (202405, 202406)}
    # Every month of the history, paid or not.
    months = [m for p in before.periods for m in range(p.start.index, p.end.index + 1)]
    left = [m for p in after.periods for m in range(p.start.index, p.end.index + 1)]
    assert len(left) == len(months) - 2
    assert YearMonth(2024, 5).index not in left
    assert YearMonth(2024, 4).index in left


def _person_id(uow: UnitOfWork, mover: Mover) -> int:

    pid = repository.person_id(uow, mover.id_number)
    assert pid is not None
    return pid


def _agency_id(uow: UnitOfWork, code: str) -> int:

    aid = repository.agency_id(uow, code)
    assert aid is not None
    return aid


def test_without_automatic_review_each_leg_waits_for_its_operator(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    case_id = apply(uow_at, mover, params)
    with uow_at() as uow:
        queue = queries.agency_cases(uow, NEW, params, only="queued")
    assert [c["case_id"] for c in queue] == [case_id]
    assert queue[0]["reasons"][0]["code"] == "transfer.operator_review"

    moving_clock.advance(2)
    commit(uow_at, lambda uow: workflow.accept(uow, case_id, params=params))
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        assert [c["case_id"] for c in queries.agency_cases(uow, OLD, params, only="queued")] == [
            case_id
        ]

    moving_clock.advance(3)
    commit(uow_at, lambda uow: workflow.send_funds(uow, case_id, params=params))
    workflow.pump(engine, moving_clock, params)
    case = show(uow_at, case_id, params)
    assert case["ledger_transfer"]["state"] == "pending"
    no_breaks(uow_at)  # money in transit is accounted for while it travels

    moving_clock.advance(1)
    commit(uow_at, lambda uow: workflow.complete(uow, case_id, params=params))
    workflow.pump(engine, moving_clock, params)
    case = show(uow_at, case_id, params)
    legs = {s["side"]: s["legs"] for s in case["sides"]}["receiving"]
    assert [(leg["number"], leg["started_on"], leg["ended_on"]) for leg in legs] == [
        (1, "2026-11-02", "2026-11-04"),
        (2, "2026-11-04", "2026-11-07"),
        (3, "2026-11-07", "2026-11-08"),
    ]
    assert case["ledger_transfer"]["state"] == "posted"
    no_breaks(uow_at)


def test_relations_kept_at_one_agency_move_as_one(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """Two employers one after the other in Tianhe leave two relations there, one 参保 history:
    the application needs no choice of agency, and both relations are 转出 at completion."""
    person = an_id_number(born="1988-06-01", sex="F", county="410105")

    def setup(uow: UnitOfWork) -> tuple[int, int]:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "李四", "410105"))
        first, _ = employ(
            uow, params, person, OLD, YearMonth(2022, 1), 12, 700_000, paid_on=dt.date(2023, 1, 10)
        )
        registry.change_relationship_status(
            uow, first, RelationshipStatus.SUSPENDED, changed_on=dt.date(2023, 1, 1), reason="离职"
        )
        second, _ = employ(
            uow, params, person, OLD, YearMonth(2023, 2), 10, 700_000, paid_on=dt.date(2023, 12, 10)
        )
        registry.change_relationship_status(
            uow, second, RelationshipStatus.SUSPENDED, changed_on=dt.date(2024, 1, 1), reason="离职"
        )
        registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, NEW, dt.date(2025, 2, 1))
        )
        return first, second

    first, second = commit(uow_at, setup)
    auto_review(uow_at, OLD, NEW)
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(person, NEW), params)
    )
    assert workflow.pump(engine, moving_clock, params).failed == 0
    sides = {s["side"]: s for s in show(uow_at, case_id, params)["sides"]}
    assert sides["receiving"]["state"] == "completed"
    assert sides["transferring"]["amounts"]["months"] == 22  # both employers' months
    with uow_at() as uow:
        statuses = [registry.get_relationship(uow, r).status for r in (first, second)]
    assert statuses == [RelationshipStatus.TRANSFERRED_OUT] * 2
    no_breaks(uow_at)
