"""Storing a side's copy of a case: the row, its events, notices; the model round trip."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

from sqlalchemy import String, bindparam, insert, or_, select, update
from sqlalchemy.orm import aliased

from jinbao.db.bulk import chunks
from jinbao.db.dml import parent_with_children
from jinbao.db.driver import DriverRead, DriverWrite
from jinbao.db.json import as_text, json_rows
from jinbao.db.planning import generic
from jinbao.db.uow import UnitOfWork
from jinbao.exchange.model import over_the_network
from jinbao.kernel.errors import InvalidInput, NotFound
from jinbao.registry import repository as repo
from jinbao.registry.model import Agency, Person
from jinbao.registry.tables import agencies, persons
from jinbao.transfers.model import Case, Leg, State
from jinbao.transfers.tables import transfer_cases, transfer_events, transfer_notices


class Side(StrEnum):
    RECEIVING = "receiving"  # 转入地: legs 1 and 3
    TRANSFERRING = "transferring"  # 转出地: leg 2


SIDE_ZH = {Side.RECEIVING: "转入地", Side.TRANSFERRING: "转出地"}

# Which side owes the action in each running state.
OWES = {
    State.APPLIED: Side.RECEIVING,
    State.CONTACT_SENT: Side.TRANSFERRING,
    State.FUNDS_SENT: Side.RECEIVING,
}


@dataclass(frozen=True, slots=True)
class CaseRow:
    row_id: int
    case_id: str
    side: Side
    agency_id: int
    agency_code: str
    agency_region: str
    counterpart_id: int
    counterpart_code: str
    counterpart_region: str
    person_id: int
    id_number: str
    name: str
    scheme: str
    kind: str
    mode: str
    case: Case
    applied_on: dt.date
    relationship_id: int | None
    transfer_key: str | None
    pooled: int | None
    account: int | None
    months: int | None
    queued: bool
    reasons: list[dict[str, str]]
    batch: str | None = None  # the employer move it is one of (成建制划转)

    @property
    def state(self) -> State:
        return self.case.state

    @property
    def owes_action(self) -> bool:
        return OWES.get(self.case.state) is self.side


def legs_json(case: Case) -> str:
    return json.dumps(
        [
            {
                "number": leg.number,
                "started_on": leg.started_on.isoformat(),
                "paused_on": leg.paused_on.isoformat() if leg.paused_on else None,
                "paused_working_days": leg.paused_working_days,
                "ended_on": leg.ended_on.isoformat() if leg.ended_on else None,
            }
            for leg in case.legs
        ]
    )


def _legs(text: str) -> tuple[Leg, ...]:
    def day(value: str | None) -> dt.date | None:
        return dt.date.fromisoformat(value) if value else None

    return tuple(
        Leg(
            leg["number"],
            dt.date.fromisoformat(leg["started_on"]),
            day(leg["paused_on"]),
            leg["paused_working_days"],
            day(leg["ended_on"]),
        )
        for leg in json.loads(text)
    )


_counterpart = aliased(agencies)


def _select() -> Any:
    return select(
        transfer_cases,
        agencies.c.code.label("agency_code"),
        agencies.c.region_code.label("agency_region"),
        _counterpart.c.code.label("counterpart_code"),
        _counterpart.c.region_code.label("counterpart_region"),
        persons.c.id_number,
        persons.c.name,
    ).select_from(
        transfer_cases.join(agencies, agencies.c.id == transfer_cases.c.agency_id)
        .join(_counterpart, _counterpart.c.id == transfer_cases.c.counterpart_id)
        .join(persons, persons.c.id == transfer_cases.c.person_id)
    )


# The statements a transfer runs on every leg are built once, with bound parameters: building
# one (coercing its values, computing its cache key) costs three times what running it does.
# The states of a case still under way (neither completed nor refused).
OPEN_STATES = ("applied", "contact_sent", "funds_sent")
# A person's application under way, looked up at every application and retirement: the states
# as equalities (an IN list would be rendered at each run), on the driver's cursor; the second
# from one transferring agency only.
_OPEN_RECEIVING_WHERE = (
    transfer_cases.c.person_id == bindparam("person_id"),
    transfer_cases.c.scheme == bindparam("scheme"),
    transfer_cases.c.side == Side.RECEIVING.value,
    or_(*(transfer_cases.c.state == state for state in OPEN_STATES)),
)
_OPEN_RECEIVING = DriverRead(
    select(transfer_cases.c.case_id).where(*_OPEN_RECEIVING_WHERE).limit(1)
)
_OPEN_RECEIVING_FROM = DriverRead(
    select(transfer_cases.c.case_id)
    .where(*_OPEN_RECEIVING_WHERE, transfer_cases.c.counterpart_id == bindparam("counterpart"))
    .limit(1)
)
_HISTORIES = (
    select(transfer_events.c.case_row_id, transfer_events.c.on, transfer_events.c.event)
    .where(transfer_events.c.case_row_id.in_(bindparam("row_ids", expanding=True)))
    .order_by(transfer_events.c.id)
)
# Run on the driver's cursor (jinbao.db.driver): a transfer writes some eleven events and
# updates its cases five times.
_INSERT_EVENT = DriverWrite(insert(transfer_events))
_INSERT_CASE = DriverWrite(insert(transfer_cases).returning(transfer_cases.c.id))
_UPDATE_CASE = DriverWrite(update(transfer_cases).where(transfer_cases.c.id == bindparam("row_id")))
_CASE_COLUMNS = frozenset(transfer_cases.c.keys())


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """Other columns a caller sets. A statement run with parameters ignores a key that names
    no column (``.values()`` refused it), so a misspelt one is refused here."""
    unknown = values.keys() - _CASE_COLUMNS
    if unknown:
        raise TypeError(f"transfer_cases has no column {', '.join(sorted(unknown))}")
    return values


def _histories(uow: UnitOfWork, row_ids: list[int]) -> dict[int, list[tuple[dt.date, str]]]:
    """The dated events of many case rows in one query (chunked for long IN lists)."""
    out: dict[int, list[tuple[dt.date, str]]] = {i: [] for i in row_ids}
    for chunk in chunks(row_ids):
        for row_id, on, event in uow.conn.execute(_HISTORIES, {"row_ids": chunk}):
            out[row_id].append((on, event))
    return out


def _row(r: Any, history: list[tuple[dt.date, str]]) -> CaseRow:
    return CaseRow(
        r.id,
        r.case_id,
        Side(r.side),
        r.agency_id,
        r.agency_code,
        r.agency_region or "000000",
        r.counterpart_id,
        r.counterpart_code,
        r.counterpart_region or "000000",
        r.person_id,
        r.id_number,
        r.name,
        r.scheme,
        r.kind,
        r.mode,
        Case(r.case_id, State(r.state), _legs(r.legs), tuple(history)),
        r.applied_on,
        r.relationship_id,
        r.transfer_key,
        r.pooled,
        r.account,
        r.months,
        bool(r.queued),
        json.loads(r.reasons) if r.reasons else [],
        r.batch,
    )


# A unit that writes reads a case to change it. On PostgreSQL two units can do so at once: the
# pumps of two server processes applying a case's 信息表 and 基金划转表 side by side, an
# operator's action beside the pump, the timeout sweep. Read unlocked, both saw the leg waiting
# for its funds; one completed the transfer and the other, saving over it, found the money
# already taken and returned it: under the mixed load 4–21 % of the transfers ended voided at
# the receiving agency and completed at the transferring one, the refusal never applied
# (session 29). So a writing unit locks every leg of a case (both sides, in the order of
# their rows, so that two units never wait for each other's second leg) before it first reads
# one, and a unit that had to wait reads the case as the other left it: under READ COMMITTED
# each statement sees what committed before it began. The lock is held to the unit's end. On
# SQLite writers take turns (jinbao.db.writers) and nothing is locked.
_LOCK_CASE = DriverRead(
    select(transfer_cases.c.id)
    .where(transfer_cases.c.case_id == bindparam("case_id"))
    .order_by(transfer_cases.c.id)
    .with_for_update()
)
_LOCKED = "transfers.cases.locked"  # the cases the transaction has locked
# The sides this transaction has read or written, by (case id, side): a case is locked for the
# transaction (above; on SQLite writers take turns), and every change of its rows or events is
# made here (create, save, event_), so what the transaction last read or wrote is what a read
# would give. A clean transfer found its cases seven times in the pump's transaction, each time
# read again (session 34). Kept only where the row is known current: a save of a row that
# missed an event written since drops the note, and the next find reads.
_KNOWN = "transfers.cases.known"


def find(uow: UnitOfWork, case_id: str, side: Side) -> CaseRow | None:
    """One side's copy of a case, or None. In a unit that writes, the case's sides are locked
    first and then read, all of them (see ``_LOCKED``), and a side this transaction has read
    or written is not read again (see ``_KNOWN``)."""
    if not uow.write:
        return _read(uow, case_id, side)
    known: dict[tuple[str, Side], CaseRow] = uow.transaction_memo(_KNOWN)
    found = known.get((case_id, side))
    if found is not None:
        return found
    held = uow.transaction_memo(_LOCKED)
    if case_id not in held and uow.conn.dialect.name == "postgresql":
        # A unit may commit and go on: its locks went with the transaction that took them.
        _LOCK_CASE.all(uow.conn, {"case_id": case_id})
    held[case_id] = True
    # Read after the lock, by a statement of its own: one that had to wait for the lock sees
    # what the other unit committed. (Locking and reading in one statement would not: FOR
    # UPDATE gives the locked row's latest version, but the events, another table, as of the
    # statement's start.) A side already locked but not seen here (say, new) is read the same.
    for row in _sides(uow, case_id).values():
        known[(case_id, row.side)] = row
    return known.get((case_id, side))


def _sides(uow: UnitOfWork, case_id: str) -> dict[Side, CaseRow]:
    """Every side of the case held here, each with its history, as a read gives it now."""
    return {row.side: row for row, _ in sides_of(_SIDES.all(uow.conn, {"case_id": case_id}))}


def _read(uow: UnitOfWork, case_id: str, side: Side) -> CaseRow | None:
    return _sides(uow, case_id).get(side)


def _noted(uow: UnitOfWork, row: CaseRow, given: CaseRow | None = None) -> CaseRow:
    """Note ``row``, which this transaction wrote, as what a read of its side now gives — if
    ``given`` (the row a save started from) was: a save of a row that missed an event written
    since returns the row without it, and a note of that would hide the event from the next
    find. Returns ``row``."""
    if not uow.write:
        return row
    known: dict[tuple[str, Side], CaseRow] = uow.transaction_memo(_KNOWN)
    key = (row.case_id, row.side)
    if given is None or known.get(key) == given:
        known[key] = row
    else:
        known.pop(key, None)
    return row


def of_sides(table: Any, *columns: str) -> Any:
    """The rows of ``table`` (events, notices) of the side whose row the enclosing statement
    reads (correlated with its ``transfer_cases``), each with its ``case_row_id``, in the
    order they were written (by their ``id``): an index look-up per side, whatever the
    statistics. Until session 35 the rows of every side, joined by the case id: its generic
    plan, made while the tables were small, hashed a scan of the whole table and kept doing
    so as they grew (the view's statement 0.65 ms a call after 1 000 transfers in one
    process, 0.22 with the look-up)."""
    return (
        select(table.c.id, table.c.case_row_id, *(table.c[name] for name in columns))
        .where(table.c.case_row_id == transfer_cases.c.id)
        .correlate(transfer_cases)
    )


def sides_select(*extra: Any) -> Any:
    """The statement that reads a case's sides for showing it, whatever their number: each
    side's row as :func:`find` reads it with its events as a JSON array (``events_json``:
    ``case_row_id``, ``on``, ``event``, ``document_id``, ``note``, ``actor``, in order), then
    the ``extra`` columns a view adds; the case id bound as ``case_id``. It locks nothing: the
    view reads it as it is (for showing, not for changing), and :func:`find` too, in a
    writing unit after taking the case's lock. Until session 32 a view read each side, then
    each side's events; until session 34 the sides and their events were two statements and
    the view's other parts four more."""
    return (
        _with_events()
        .add_columns(*extra)
        .where(transfer_cases.c.case_id == generic(bindparam("case_id", type_=String)))
        .order_by(transfer_cases.c.id)
    )


def _with_events() -> Any:
    """:func:`_select` with each side's events as a JSON array (``events_json``)."""
    events = json_rows(
        of_sides(transfer_events, "on", "event", "document_id", "note", "actor"),
        "id",
        hidden=("id",),
    )
    return _select().add_columns(as_text(events).label("events_json"))


def sides_of(
    found: Sequence[Any], *, ordered: bool = True
) -> list[tuple[CaseRow, list[dict[str, Any]]]]:
    """The rows :func:`sides_select` read, each side's copy with its events in full (as JSON
    gives them: dates as ISO text), the receiving side first (``ordered``; else as read)."""
    read = []
    for r in found:
        events = json.loads(r.events_json)
        history = [(dt.date.fromisoformat(e["on"]), e["event"]) for e in events]
        read.append((_row(r, history), events))
    if not ordered:
        return read
    order = list(Side)
    return sorted(read, key=lambda pair: order.index(pair[0].side))


# What a find reads (a writing unit's once the case is locked): every side whole, on the driver's
# cursor (until session 34 the side asked for, and in a writing unit again at each find).
_SIDES = DriverRead(sides_select())


def addressed(uow: UnitOfWork, case_id: str, receiver: str, document_id: str) -> CaseRow | None:
    """The side of a case a document either side may send (a refusal, a request for 补正) is
    addressed to: the side at its receiving agency. When both sides are that agency (a linkage
    between the two schemes within one agency, 人社部发〔2014〕17号), the side that did not send
    it: the sender logged the document's id among its events when it sent it."""
    here = [r for side in Side if (r := find(uow, case_id, side)) and r.agency_code == receiver]
    if len(here) < 2:
        return here[0] if here else None
    sender = uow.conn.execute(
        select(transfer_cases.c.side)
        .join(transfer_events, transfer_events.c.case_row_id == transfer_cases.c.id)
        .where(transfer_cases.c.case_id == case_id, transfer_events.c.document_id == document_id)
    ).scalar()
    return next((r for r in here if r.side != sender), None) if sender else None


def get(uow: UnitOfWork, case_id: str, side: Side) -> CaseRow:
    found = find(uow, case_id, side)
    if found is None:
        raise NotFound(
            "transfer.not_found",
            f"没有{SIDE_ZH[side]}的转移案件 {case_id}。",
            f"No transfer case {case_id} at the {side.value} agency.",
        )
    return found


def open_receiving(
    uow: UnitOfWork, person_id: int, scheme: str, counterpart_id: int | None = None
) -> str | None:
    """The case id of the person's application for this scheme still under way (from the
    agency ``counterpart_id``, if given), or None."""
    params: dict[str, object] = {"person_id": person_id, "scheme": scheme}
    if counterpart_id is None:
        found = _OPEN_RECEIVING.first(uow.conn, params)
    else:
        found = _OPEN_RECEIVING_FROM.first(uow.conn, {**params, "counterpart": counterpart_id})
    return None if found is None else str(found.case_id)


# A person's applications, each at the agency they applied to, with their events: one statement
# on the driver's cursor. A person's record (电子档案袋) reads it for everyone with a case; by
# rows_where it took three statements built anew at each call, and a mover's record cost four
# to five times another's (3.9 ms against 0.85 in process, session 36).
_RECEIVING_OF_PERSON = DriverRead(
    _with_events()
    .where(
        transfer_cases.c.person_id == bindparam("person_id"),
        transfer_cases.c.side == Side.RECEIVING.value,
    )
    .order_by(transfer_cases.c.id)
)


def receiving_of_person(uow: UnitOfWork, person_id: int) -> list[CaseRow]:
    """The person's cases at the agencies they applied to (the receiving side), oldest first."""
    found = _RECEIVING_OF_PERSON.all(uow.conn, {"person_id": person_id})
    return [row for row, _ in sides_of(found, ordered=False)]


def rows_where(
    uow: UnitOfWork, *conditions: Any, limit: int | None = None, offset: int = 0
) -> list[CaseRow]:
    """The case rows of ``conditions`` with their histories, in the order written: the rows,
    then their events by one set-wise query (chunked).

    Not the view's shape (:func:`_with_events`, each row's events as JSON by a correlated
    look-up), which suits a case's sides or a person's few cases: for a list it is slower.
    Session 36 tried it here; measured on 2 000 completed transfers into one agency (PostgreSQL,
    best of five, in turn), an agency's list of all its cases took 160–186 ms against 137–156
    this way, every case of both sides (4 000) 371–495 ms against 250–269, and an empty list of
    open cases 2.4–2.6 ms against 1.4–1.5 (no second query when there are no rows).

    ``limit`` rows from ``offset``, for a page of a list."""
    stmt = _select().where(*conditions).order_by(transfer_cases.c.id).offset(offset)
    found = uow.conn.execute(stmt if limit is None else stmt.limit(limit)).all()
    histories = _histories(uow, [r.id for r in found])
    return [_row(r, histories[r.id]) for r in found]


def create(
    uow: UnitOfWork,
    case: Case,
    *,
    agency: Agency,
    counterpart: Agency,
    person: Person,
    noted: Sequence[tuple[dt.date, str, str | None]] = (),
    **values: Any,
) -> CaseRow:
    """Write one side's new case (``values``: its columns) with the events of its history and
    those ``noted`` after them (day, event, document id), and return the case as :func:`find`
    would read it, built by the same :func:`_row` from what was written and the ``agency``,
    ``counterpart`` and ``person`` the caller read (tested equal to the read).

    Not read back: a row this transaction wrote is seen by no one else before it commits, so
    it needs neither the lock nor a read, which were two statements of each case a transfer
    creates (session 32). A later :func:`find` of it in the transaction gives it as written
    (``_KNOWN``); one of another side locks the case first."""
    now = uow.clock.now()
    written = {
        "case_id": case.id,
        "state": case.state.value,
        "legs": legs_json(case),
        "queued": False,
        "created_at": now,
        "updated_at": now,
        **_columns(values),
    }
    events = [*((on, event, None) for on, event in case.history), *noted]
    # Each event's row, its case row id (0 here) given by the statement or filled in below.
    rows = [_event(uow, 0, event, on, document) for on, event, document in events]
    if events and uow.conn.dialect.name == "postgresql":
        # The case and its events in one statement, a round trip fewer (session 33).
        columns = tuple(k for k in rows[0] if k != "case_row_id")
        case_row_id = parent_with_children(
            transfer_cases, tuple(written), transfer_events, "case_row_id", columns, len(rows)
        ).write(uow.conn, written, rows)
        if case_row_id is None:  # RETURNING gives the row written
            raise RuntimeError(f"the insert of case {case.id} returned no row")
        row_id = case_row_id
    else:
        created = _INSERT_CASE.first(uow.conn, written)
        if created is None:
            raise RuntimeError(f"the insert of case {case.id} returned no row")
        row_id = int(created.id)
        _INSERT_EVENT.run_many(uow.conn, [row | {"case_row_id": row_id} for row in rows])
    history = [(on, event) for on, event, _ in events]
    read = dict.fromkeys(_CASE_COLUMNS) | written | {"id": row_id}
    read |= {
        "agency_code": agency.code,
        "agency_region": agency.region_code,
        "counterpart_code": counterpart.code,
        "counterpart_region": counterpart.region_code,
        "id_number": person.id_number,
        "name": person.name,
    }
    return _noted(uow, _row(SimpleNamespace(**read), history))


def save(
    uow: UnitOfWork,
    row: CaseRow,
    case: Case,
    event: str | None = None,
    *,
    on: dt.date | None = None,
    document_id: str | None = None,
    note: str | None = None,
    **values: Any,
) -> CaseRow:
    """Write the new model state of a side's case (and any other columns), with its event
    (dated ``on``, by default the date of the model's last event). Returns the case as saved:
    ``row`` with the state, legs and columns written and the event after its history, as a
    read would give it if ``row`` was current (an event written since: :func:`with_event`)."""
    if values.keys() & _FIXED:  # the row returned could not show them (joined columns)
        raise TypeError(f"a save does not change {', '.join(sorted(values.keys() & _FIXED))}")
    shown = {k: v for k, v in values.items() if k in _ROW_FIELDS}
    if "reasons" in shown:
        shown["reasons"] = shown["reasons"] or []
    if "reasons" in values and values["reasons"] is not None:
        values["reasons"] = json.dumps(values["reasons"], ensure_ascii=False)
    changed = {
        "row_id": row.row_id,
        "state": case.state.value,
        "legs": legs_json(case),
        "updated_at": uow.clock.now(),
        **_columns(values),
    }
    history = row.case.history
    if event is None:
        _UPDATE_CASE.run(uow.conn, changed)
    else:
        when = on or (case.history[-1][0] if case.history else None)
        logged = _event(uow, row.row_id, event, when, document_id, note)
        history = (*history, (logged["on"], event))
        if uow.conn.dialect.name != "postgresql":
            _UPDATE_CASE.run(uow.conn, changed)
            _INSERT_EVENT.run(uow.conn, logged)
        else:
            statement = _save_with_event(tuple(changed))
            event_values = {_EVENT + k: logged[k] for k in _EVENT_COLUMNS[1:]}  # the update's
            statement.run(uow.conn, {**changed, **event_values})
    saved = Case(case.id, case.state, _legs(changed["legs"]), history)
    return _noted(uow, dataclasses.replace(row, case=saved, **shown), given=row)


# The columns a save may change that a CaseRow shows under the same name and type; and those
# that make a case another's, which a save does not change.
_FIXED = frozenset({"case_id", "side", "agency_id", "counterpart_id", "person_id"})
_ROW_FIELDS = frozenset(
    {"transfer_key", "pooled", "account", "months", "queued", "reasons", "relationship_id"}
    | {"batch", "kind", "mode", "applied_on", "scheme"}
)


def with_event(row: CaseRow, on: dt.date, event: str) -> CaseRow:
    """``row`` with an event written since it was read (:func:`event_`) after its history."""
    history = (*row.case.history, (on, event))
    return dataclasses.replace(row, case=dataclasses.replace(row.case, history=history))


# On PostgreSQL a case saved with its event is one statement: the update in a WITH, the event
# inserted from the row it returns. A transfer saves its cases with an event five times, each
# statement a round trip with its Python on both ends (session 30: with the agencies and routes
# read once a transaction, 98 → 89 statements a transfer, 2–3 % of its CPU in process). SQLite
# has no writing WITH; its statements are calls in the process. One statement per set of
# columns a caller changes, built the first time.
_EVENT = "event_"  # the event's parameters, apart from the case's columns
_EVENT_COLUMNS = ("case_row_id", "event", "on", "document_id", "note", "actor", "recorded_at")
_SAVES_WITH_EVENT: dict[tuple[str, ...], DriverWrite] = {}


def _save_with_event(keys: tuple[str, ...]) -> DriverWrite:
    found = _SAVES_WITH_EVENT.get(keys)
    if found is None:
        saved = (
            update(transfer_cases)
            .where(transfer_cases.c.id == bindparam("row_id"))
            .values({k: bindparam(k) for k in keys if k != "row_id"})
            .returning(transfer_cases.c.id)
            .cte("saved")
        )
        logged = select(
            saved.c.id,
            *(
                bindparam(_EVENT + name, type_=transfer_events.c[name].type)
                for name in _EVENT_COLUMNS[1:]
            ),
        )
        statement = insert(transfer_events).from_select(
            _EVENT_COLUMNS, logged, include_defaults=False
        )
        found = _SAVES_WITH_EVENT[keys] = DriverWrite(statement)
    return found


def _event(
    uow: UnitOfWork,
    row_id: int,
    event: str,
    on: dt.date | None,
    document_id: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    return {
        "case_row_id": row_id,
        "event": event,
        "on": on or uow.clock.today(),
        "document_id": document_id,
        "note": note[:300] if note else None,
        "actor": uow.actor[:60],
        "recorded_at": uow.clock.now(),
    }


def event_(
    uow: UnitOfWork,
    row_id: int,
    event: str,
    on: dt.date | None,
    document_id: str | None = None,
    note: str | None = None,
) -> None:
    """An event of a side's case, its row unchanged (a document received, say)."""
    logged = _event(uow, row_id, event, on, document_id, note)
    _INSERT_EVENT.run(uow.conn, logged)
    if uow.write:  # the side as this transaction knows it, with the event after its history
        known: dict[tuple[str, Side], CaseRow] = uow.transaction_memo(_KNOWN)
        for key, row in list(known.items()):
            if row.row_id == row_id:
                known[key] = with_event(row, logged["on"], event)


def notice(
    uow: UnitOfWork, row_id: int, message: dict[str, str], due_on: dt.date | None = None
) -> None:
    uow.conn.execute(
        insert(transfer_notices).values(
            case_row_id=row_id,
            code=message["code"],
            zh=message["zh"],
            en=message["en"],
            due_on=due_on,
            created_at=uow.clock.now(),
        )
    )


def agency(uow: UnitOfWork, code: str) -> tuple[int, Agency]:
    """An agency named in a transfer, by code; an unknown code is bad input, not a lookup miss."""
    return named_agencies(uow, code)[0]


def named_agencies(uow: UnitOfWork, *codes: str) -> list[tuple[int, Agency]]:
    """The agencies named in a transfer (a document names two), in the order asked, read in one
    query; an unknown code is bad input."""
    wanted = [code.strip().upper() for code in codes]
    found = repo.agencies_with_ids(uow, wanted)
    for code in wanted:
        if code not in found:
            raise InvalidInput(
                "agency.unknown",
                f"经办机构{code}不存在。",
                f"There is no agency with code {code}.",
                field="agency_code",
            )
    return [found[code] for code in wanted]


def mode(on: dt.date, *parties: Agency) -> str:
    """``electronic`` when the case's documents go over the exchange network on the day, else
    ``manual`` (paper forms): :func:`jinbao.exchange.model.over_the_network`, the rule each of
    its documents is sent by."""
    networked = over_the_network(on, {a.code: a.networked_since for a in parties})
    return "electronic" if networked else "manual"
