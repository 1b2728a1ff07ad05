"""The transfer procedure at both agencies: actions, document handlers, automatic review.

国办发〔2009〕66号 第八条 (POLICY §1.6), as documents between two agencies:

1. The person applies at the receiving agency (转入地), where they already contribute. It checks
   the rules (:func:`rules.check_application`) and sends the 联系函 (``CONTACT_LETTER``) to the
   transferring agency (转出地), or refuses in writing.
2. The transferring agency, on the 联系函, computes what moves with the policy engine, reserves
   the money as a pending ledger transfer, takes the personal account out by portion and sends
   the 信息表 (``INFO_TABLE``) and the 基金划转表 (``FUND_SLIP``) — or returns the letter
   (``REFUSAL``) with reasons.
3. The receiving agency, when both have arrived, checks them against each other and against the
   money in transit (:func:`rules.check_funds`), posts the transfer, credits the account and
   merges the yearly record, and sends the 办结通知 (``COMPLETION``); or returns them, which voids
   the pending transfer. On the completion notice the old relationship becomes 转出.

The legs live in their own modules — ``application`` (leg 1), ``funds`` (leg 2), ``completion``
(leg 3), with ``settle`` (months held twice), ``timeouts`` (the sweep) and ``review`` (what they
share); this module gathers the actions callers use, the 补正 and return actions that apply to
whichever leg is running, and the inbox that applies each document once.

Every action runs in the caller's unit of work: the case change, the ledger, the account entries
and the outgoing documents are written together or not at all. Each side changes only its own
copy of the case, by its own actions and by the documents it receives, so the two agencies can
sit on different nodes. Where an agency allows automatic review (即时办结), a leg with no finding
goes on at once; otherwise, or with a finding, the case waits in that agency's operator queue
with the reasons.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, select, update

from jinbao.db.driver import DriverWrite
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.codec import decode
from jinbao.exchange.model import Document, DocumentType
from jinbao.exchange.tables import inbox
from jinbao.kernel.clock import Clock
from jinbao.kernel.errors import Conflict, DomainError, NotFound
from jinbao.policy.parameters import Parameters
from jinbao.policy.workdays import working_days_between
from jinbao.transfers import cases
from jinbao.transfers.application import (
    LINKAGE,
    RETURN,
    Application,
    accept,
    apply,
    open_temporary_account,
    refuse,
)
from jinbao.transfers.cases import CaseRow, Side
from jinbao.transfers.completion import (
    complete,
    on_completion,
    on_funds_document,
    on_refusal,
    return_funds,
)
from jinbao.transfers.funds import on_contact_letter, return_letter, send_funds
from jinbao.transfers.model import (
    State,
    correction_received,
    request_correction,
)
from jinbao.transfers.review import (
    Message,
    on_date,
    operator_reason,
    person_body,
    set_auto_review,
    written_reasons,
)
from jinbao.transfers.timeouts import TimeoutReport, void_overdue

logger = logging.getLogger(__name__)


def _on_correction_request(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    env = document.envelope
    row = cases.addressed(uow, env.case_id, env.receiver, env.id)
    if row is None:
        raise NotFound(
            "transfer.not_found",
            f"没有转移案件 {env.case_id}。",
            f"No transfer case {env.case_id}.",
        )
    items = "；".join(i["zh"] for i in document.body["items"])
    cases.event_(uow, row.row_id, "correction_request_received", uow.clock.today(), env.id, items)


def return_case(
    uow: UnitOfWork, case_id: str, reasons: list[Message], *, on: dt.date | None = None
) -> None:
    """Refuse or return whatever leg is running, by the agency that owes it: leg 1 不予受理,
    leg 2 the 联系函 returned, leg 3 the 信息表 and funds returned."""
    row = _owing_row(uow, case_id)
    action = {
        State.APPLIED: refuse,
        State.CONTACT_SENT: return_letter,
        State.FUNDS_SENT: return_funds,
    }[row.state]
    action(uow, case_id, reasons, on=on)


def go_on(
    uow: UnitOfWork,
    case_id: str,
    *,
    params: Parameters,
    on: dt.date | None = None,
    keep: str | None = None,
) -> None:
    """The operator of the agency that owes the running leg approves it: leg 1 sends the 联系函,
    leg 2 the 信息表 and funds, leg 3 completes (``keep``: which side's duplicate months stay)."""
    row = _owing_row(uow, case_id)
    if row.state is State.FUNDS_SENT:
        complete(uow, case_id, params=params, on=on, keep=keep)
        return
    action = {State.APPLIED: accept, State.CONTACT_SENT: send_funds}[row.state]
    action(uow, case_id, params=params, on=on)


def ask_correction(
    uow: UnitOfWork,
    case_id: str,
    items: list[Message],
    *,
    params: Parameters,
    on: dt.date | None = None,
) -> None:
    """补正: the agency that owes the running leg asks for missing material; its clock pauses.
    At legs 2 and 3 the other agency is asked by a 补正材料通知; at leg 1 the person is."""
    row = _owing_row(uow, case_id)
    on = on_date(uow, on)
    case = request_correction(row.case, on)
    written = written_reasons(items)
    document_id = None
    if row.state is not State.APPLIED:
        document_id = exchange.send(
            uow,
            sender=row.agency_code,
            receiver=row.counterpart_code,
            document_type=DocumentType.CORRECTION_REQUEST,
            case_id=case_id,
            body={"person": person_body(row), "items": written, "requested_on": on.isoformat()},
        ).id
    cases.save(
        uow,
        row,
        case,
        "correction_requested",
        document_id=document_id,
        note="；".join(m["zh"] for m in written),
        reasons=written,
    )


def correction_supplied(
    uow: UnitOfWork, case_id: str, *, params: Parameters, on: dt.date | None = None
) -> None:
    """The material arrived: the clock runs again, extended by the working days it waited."""
    row = _owing_row(uow, case_id)
    case = correction_received(
        row.case, on_date(uow, on), lambda a, b: working_days_between(a, b, params)
    )
    cases.save(uow, row, case, "correction_received")


def _owing_row(uow: UnitOfWork, case_id: str) -> CaseRow:
    for side in Side:
        row = cases.find(uow, case_id, side)
        if row is not None and row.owes_action:
            return row
    raise Conflict(
        "transfer.no_running_leg",
        f"转移案件 {case_id} 没有正在办理的环节。",
        f"Case {case_id} has no running leg here.",
    )


HANDLERS: dict[DocumentType, Callable[[UnitOfWork, Document, Parameters], None]] = {
    DocumentType.CONTACT_LETTER: on_contact_letter,
    DocumentType.INFO_TABLE: on_funds_document,
    DocumentType.FUND_SLIP: on_funds_document,
    DocumentType.REFUSAL: on_refusal,
    DocumentType.COMPLETION: on_completion,
    DocumentType.CORRECTION_REQUEST: _on_correction_request,
}


@dataclass(frozen=True, slots=True)
class InboxReport:
    applied: int
    failed: int


# Claim a document for this transaction: built once, run for every document taken from the
# inbox (those a chain applies in the transaction that sent them go in as applied). A
# document another worker is applying right now is skipped (PostgreSQL's SKIP LOCKED; SQLite
# has one writer at a time and ignores it): if that worker fails, the document is still
# unapplied and the next round takes it. Waiting for it instead, every pump of the node (one per
# server process) queued behind the others on the same oldest documents, in turn: under the
# mixed load a claim waited 44 ms on average (session 16), and the pumps applied one document at
# a time between them. The documents of one case cannot be overtaken this way: each is sent by
# the transaction that applies the one before it.
_CLAIM = DriverWrite(
    update(inbox)
    .where(
        inbox.c.document_id == bindparam("claimed_id"),
        inbox.c.applied_at.is_(None),
        inbox.c.document_id.in_(
            select(inbox.c.document_id)
            .where(inbox.c.document_id == bindparam("claimed_id"))
            .with_for_update(skip_locked=True)
        ),
    )
    .values(applied_at=bindparam("now"), apply_error=None)
)


def process_inbox(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    limit: int = exchange.BATCH,
    until: float | None = None,
    pending: Sequence[tuple[str, str]] | None = None,
    follow: bool = False,
) -> InboxReport:
    """Apply each received document once, oldest first, each in its own transaction with the
    case change it causes. A document that cannot be applied yet (say, it arrived before the
    one it answers) stays in the inbox with the reason and is tried again next time. With
    ``until`` (a ``time.monotonic()`` instant) it stops there and leaves the rest for later.
    ``pending``: the rows of ``exchange.unapplied`` when the caller has just read them.
    ``follow``: the documents an applied one sent to agencies of this node are applied in the
    same call, and in the same transaction (the pump's way: a clean transfer between two
    agencies here runs to completion in one round and one transaction after its application);
    without it they wait for the next call, each in its own transaction."""
    if pending is None:
        # A reading unit, not a bare connection: a connection of the writers' pool that read in
        # a transaction is rolled back on its return, and on PostgreSQL a rollback makes
        # psycopg drop every statement it had prepared on that connection (see UnitOfWork).
        with UnitOfWork(engine, clock, write=False) as reading:
            pending = reading.conn.execute(exchange.unapplied(limit)).all()
    applied = failed = 0
    waiting = deque(pending)
    while waiting:
        document_id, payload = waiting.popleft()
        if until is not None and time.monotonic() > until:
            break
        try:
            try:
                done = _apply(engine, clock, params, document_id, payload, chain=follow)
            except _ChainBroken:
                # What it caused failed, and took it back with it: apply it alone, and what it
                # sent each in its own transaction next, where a failure is recorded.
                done = _apply(engine, clock, params, document_id, payload, chain=False)
        except DomainError as exc:
            failed += 1
            with engine.begin() as conn:
                conn.execute(
                    update(inbox)
                    .where(inbox.c.document_id == document_id)
                    .values(apply_error=f"{exc.code}: {exc.en}"[:300])
                )
            continue
        if done is None:
            continue  # another worker applied it, or is applying it now
        applied += done.applied
        if follow:  # committed: they are in the inbox (a claim still decides who applies)
            waiting.extend(done.left)
    return InboxReport(applied, failed)


@dataclass(frozen=True, slots=True)
class _Applied:
    applied: int  # the document and, chained, the documents it caused
    left: list[tuple[str, str]]  # what it sent to this node's inbox, not applied here


class _ChainBroken(Exception):
    """A document caused by the one being applied failed in the same transaction."""


def _apply(
    engine: Engine, clock: Clock, params: Parameters, document_id: str, payload: str, chain: bool
) -> _Applied | None:
    """Claim one document and apply it in a transaction of its own, or None if another worker
    has it. With ``chain``, what applying it sent to agencies of this node (the 联系函's 信息表
    and 基金划转表, those tables' 办结通知) is applied in the same transaction before it
    commits, each as its receiver: nobody else can see those documents before then, so they
    need no claim in a transaction of their own and no round of the pump, and a clean
    transfer's three legs after its application cost one transaction, not four (session 31);
    they go into the inbox as applied, with no claim at all (session 32).
    Each receiving side still changes only its own copy of the case, by the document it
    received, as it would on another node. If one of them fails, :class:`_ChainBroken` rolls
    the whole transaction back, and the caller applies the first alone."""
    document = decode(payload.encode()).document
    with UnitOfWork(engine, clock, f"agency:{document.envelope.receiver}") as uow:
        claimed = _CLAIM.run(uow.conn, {"claimed_id": document_id, "now": clock.now()})
        if claimed != 1:  # another worker applied it, or is applying it now
            uow.commit()  # nothing was written; a rollback would make psycopg forget
            return None  # every statement it has prepared on the connection (db/README)
        # With the chain, what it sends here is written to the inbox as applied (exchange's
        # APPLIED_HERE): applied below, or rolled back with everything if one fails.
        uow.memo[exchange.APPLIED_HERE] = chain
        _handle(uow, document, params)
        sent: list[tuple[str, str]] = uow.memo.setdefault(exchange.DELIVERED_HERE, [])
        applied, taken = 1, 0
        while chain and taken < len(sent):  # what each one sends joins the list
            caused_id, caused_payload = sent[taken]
            taken += 1
            caused = decode(caused_payload.encode()).document
            uow.actor = f"agency:{caused.envelope.receiver}"
            try:
                _handle(uow, caused, params)
            except DomainError as exc:
                raise _ChainBroken(caused_id) from exc
            applied += 1
        left = sent[taken:]
        uow.commit()
    return _Applied(applied, left)


def _handle(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    handler = HANDLERS.get(document.envelope.type)
    if handler is not None:
        handler(uow, document, params)


@dataclass(frozen=True, slots=True)
class PumpReport:
    delivered: int
    applied: int
    failed: int
    # The last round found nothing to move, within the time given: what was waiting when it
    # looked is done. False when the rounds or the time ran out first.
    settled: bool = True


def pump(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    transport: exchange.Transport | None = None,
    rounds: int = 20,
    until: float | None = None,
) -> PumpReport:
    """Deliver the outbox and apply the inbox until nothing moves (local delivery by default),
    or until ``until`` (a ``time.monotonic()`` instant) has passed."""
    transport = transport or exchange.LocalTransport(engine, clock)
    delivered = applied = failed = 0
    settled = False
    for _ in range(rounds):
        if until is not None and time.monotonic() > until:
            break
        # What waits in the outbox and in the inbox, read in one unit (a pool checkout and one
        # statement; two until session 34). A document between two agencies of this node is in the
        # inbox when its sender commits; one that a document applied here sends is applied in
        # the same transaction (``follow``): a clean transfer here takes one round, and a second
        # that finds nothing (until session 25, four rounds: each document sent waited for the
        # next read of the inbox). A document delivered into this node's inbox by a transport
        # in this round is applied in the next.
        with UnitOfWork(engine, clock, write=False) as reading:
            outgoing, incoming = exchange.waiting(reading.conn)
        sent = exchange.deliver(engine, clock, transport, until=until, pending=outgoing)
        done = process_inbox(engine, clock, params, until=until, pending=incoming, follow=True)
        delivered += sent.delivered
        applied += done.applied
        failed += done.failed
        if sent.delivered == 0 and done.applied == 0:
            # Nothing moved; unless the time ran out in the middle of the round's documents.
            settled = until is None or time.monotonic() <= until
            break
    return PumpReport(delivered, applied, failed, settled)


class Pumper:
    """One pump at a time per process, none lost, no request held hostage. A request pumps
    itself, so that alone its response shows what the pump did — for a bounded time: under
    load the node's outbox and inbox hold everyone's documents, and what the request's rounds
    leave goes to a background thread. A request that finds the pump running leaves a note
    instead of pumping the same outbox and inbox beside it; the running pump, when done, hands
    the notes to the background thread, which goes round until none is left."""

    def __init__(self, engine: Engine, clock: Clock, params: Callable[[], Parameters]) -> None:
        self.engine, self.clock, self.params = engine, clock, params
        self._running = threading.Lock()
        self._again = threading.Event()
        self._guard = threading.Lock()  # starting the background thread and its leaving
        self._background: threading.Thread | None = None

    # A clean transfer between two agencies of this node, reviewed automatically, completes in
    # one round (the letter, and in its transaction the information table and slip it sends
    # and the completion notice they cause) and a second finds nothing more: what a request
    # waits for, alone, in some 0.1 s. Documents from other nodes take a round each. Under load
    # it stops pumping after FOREGROUND_SECONDS and answers with the case as far as it has come.
    FOREGROUND_ROUNDS = 4
    FOREGROUND_SECONDS = 0.5

    def __call__(self) -> None:
        self._again.set()
        report = self._once(self.FOREGROUND_ROUNDS, time.monotonic() + self.FOREGROUND_SECONDS)
        if report is None:
            return  # the running pump has the note
        if not report.settled:
            self._again.set()  # what the request's rounds left: the background's
        # A note left while this pump ran (looked at after it let go, so none is missed), or
        # what it left itself: the background goes round. A pump that settled with no note
        # does not start it (until session 29 each request's pump was followed by an empty
        # round in the background).
        if self._again.is_set():
            with self._guard:
                if self._background is None:
                    self._background = threading.Thread(target=self._drain, daemon=True)
                    self._background.start()

    def _once(
        self, rounds: int, until: float | None = None, wait: bool = False
    ) -> PumpReport | None:
        """Pump if no pump is running (with ``wait``, once the running one is done); None if one
        is (it will see the note)."""
        if not self._running.acquire(blocking=wait):
            return None
        try:
            self._again.clear()
            return pump(self.engine, self.clock, self.params(), rounds=rounds, until=until)
        except Exception:
            # The database went away, a deadlock, a bug in a handler: what the pump had applied
            # is committed, the rest waits in the outbox and inbox for the next request's pump.
            # The request that asked has done its own work, and its answer says so; the
            # background thread leaves, so that it does not go round on an error that repeats
            # (until session 31 the error reached the request, as a 500 after its commit, or
            # ended the background thread without clearing it, and no later note started one).
            logger.exception("The exchange pump failed; the documents wait for the next pump.")
            return PumpReport(0, 0, 0, settled=True)
        finally:
            self._running.release()

    def _drain(self) -> None:
        """Round after round while there are notes. It waits for a request's pump rather than
        leave beside it, and decides to leave under the guard, so that a note left as it goes is
        either seen here or starts a new background thread."""
        while True:
            with self._guard:
                if not self._again.is_set():
                    self._background = None
                    return
            report = self._once(20, wait=True)
            if report is not None and not report.settled:
                self._again.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the background rounds (for tests and an orderly shutdown)."""
        background = self._background
        if background is not None:
            background.join(timeout)


__all__ = [
    "LINKAGE", "RETURN", "Application", "InboxReport", "PumpReport", "Pumper", "TimeoutReport", "accept",
    "apply", "ask_correction", "complete", "correction_supplied", "go_on", "open_temporary_account",
    "operator_reason", "process_inbox", "pump", "refuse", "return_case", "return_funds",
    "return_letter", "send_funds", "set_auto_review", "void_overdue",
]  # fmt: skip
