"""Reading transfer cases: one case whole, an agency's lists, supervision (督办), a person's view."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import String, bindparam, exists, insert, or_, select

from jinbao.audit.service import record
from jinbao.db.driver import DriverRead
from jinbao.db.json import as_text, json_bool, json_rows, text_at
from jinbao.db.planning import generic
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.model import DOCUMENT_ZH, DocumentType
from jinbao.exchange.tables import inbox, outbox
from jinbao.kernel.errors import InvalidInput, NotFound
from jinbao.ledger.tables import pending_transfers
from jinbao.policy.parameters import Parameters
from jinbao.policy.workdays import add_workdays, working_days_between
from jinbao.registry.service.persons import person_row_id
from jinbao.registry.tables import agencies
from jinbao.transfers import cases
from jinbao.transfers.cases import SIDE_ZH, CaseRow, Side
from jinbao.transfers.model import STATE_ZH, Timeliness, clock
from jinbao.transfers.tables import (
    transfer_cases,
    transfer_comments,
    transfer_notices,
)

KIND_ZH = {
    "cross_province": "跨省转移",
    "intra_province": "省内转移",
    "temporary_gathering": "临时缴费账户归集",
    "return_to_receiving_place": "转回待遇领取地",
    "linkage_to_employee": "城乡居保转入职工养老保险",
    "linkage_to_resident": "职工养老保险转入城乡居保",
    "bulk_employer": "成建制划转",
}
TIMELINESS_ZH = {
    Timeliness.ON_TIME: "正常",
    Timeliness.DUE_SOON: "临期",
    Timeliness.OVERDUE: "超期",
    Timeliness.PAUSED: "补正暂停",
}


def _clock(row: CaseRow, today: dt.date, params: Parameters) -> dict[str, Any] | None:
    limit = int(params.transfer("leg_working_days").value)
    c = clock(
        row.case,
        today,
        limit,
        lambda d, n: add_workdays(d, n, params).value,
        lambda a, b: working_days_between(a, b, params),
    )
    if c is None:
        return None
    return {
        "leg": c.leg,
        "owed_by": (owed := row.side if row.owes_action else _other(row.side)).value,
        "owed_by_zh": SIDE_ZH[owed],
        "due_on": c.due_on.isoformat() if c.due_on else None,
        "timeliness": c.timeliness.value,
        "timeliness_zh": TIMELINESS_ZH[c.timeliness],
        "working_days_left": c.working_days_left,
    }


def _other(side: Side) -> Side:
    return Side.TRANSFERRING if side is Side.RECEIVING else Side.RECEIVING


def summary(row: CaseRow, today: dt.date, params: Parameters) -> dict[str, Any]:
    return {
        "case_id": row.case_id,
        "side": row.side.value,
        "side_zh": SIDE_ZH[row.side],
        "agency": row.agency_code,
        "counterpart": row.counterpart_code,
        "person": {"id_number": row.id_number, "name": row.name},
        "kind": row.kind,
        "kind_zh": KIND_ZH.get(row.kind, row.kind),
        "mode": row.mode,
        "state": row.state.value,
        "state_zh": STATE_ZH[row.state],
        "applied_on": row.applied_on.isoformat(),
        "queued": row.queued,
        "reasons": row.reasons,
        "clock": _clock(row, today, params),
    }


# The case view in one statement, built once (see db/README.md) and run on the driver's cursor:
# a case is shown after every step taken on it over HTTP and followed by the person (under the
# mixed load each transfer is read back twice). The sides with their events (cases.sides_select)
# and, on each row, that side's notices, the documents of the case and the ledger transfer of
# the row's key; the comments only when there are some (a second statement: a
# timestamp's JSON text is not the API's). Until session 34 six statements, each some 90 µs of
# the server's and the database's CPU, and each document's whole payload decoded in Python
# for its date of issue (about 40 µs), now read by the database from the payload's text.
_NOTICES_JSON = json_rows(
    cases.of_sides(transfer_notices, "code", "zh", "en", "due_on"), "id", hidden=("id",)
)
_DOCUMENTS_JSON = json_rows(
    select(
        outbox.c.id,
        outbox.c.document_id.label("id_"),
        outbox.c.type,
        outbox.c.sender,
        outbox.c.receiver,
        text_at(outbox.c.payload, "envelope", "issued_at").label("issued_at"),
        outbox.c.channel,
        outbox.c.short_code,
        json_bool(or_(outbox.c.delivered_at.is_not(None), inbox.c.received_via.is_not(None))).label(
            "delivered"
        ),
        inbox.c.received_via,
        json_bool(inbox.c.applied_at.is_not(None)).label("applied"),
        inbox.c.apply_error,
    )
    .outerjoin(inbox, inbox.c.document_id == outbox.c.document_id)
    .where(outbox.c.case_id == generic(bindparam("case_id", type_=String))),  # as of_sides
    "id",
    hidden=("id",),
)
_VIEW = DriverRead(
    cases.sides_select(
        as_text(_NOTICES_JSON).label("notices_json"),
        as_text(_DOCUMENTS_JSON).label("documents_json"),
        pending_transfers.c.state.label("money_state"),
        pending_transfers.c.from_region.label("money_from"),
        pending_transfers.c.to_region.label("money_to"),
        pending_transfers.c.pooled_amount.label("money_pooled"),
        pending_transfers.c.account_amount.label("money_account"),
        exists()
        .where(transfer_comments.c.case_id == generic(bindparam("case_id", type_=String)))
        .label("has_comments"),
    ).outerjoin(
        pending_transfers, pending_transfers.c.transfer_key == transfer_cases.c.transfer_key
    )
)
_COMMENTS = DriverRead(
    select(
        agencies.c.code,
        transfer_comments.c.text,
        transfer_comments.c.actor,
        transfer_comments.c.created_at,
    )
    .join(agencies, agencies.c.id == transfer_comments.c.agency_id)
    .where(transfer_comments.c.case_id == bindparam("case_id"))
    .order_by(transfer_comments.c.id)
)


def _side_detail(
    row: CaseRow,
    events: list[dict[str, Any]],
    notices: list[dict[str, Any]],
    today: dt.date,
    params: Parameters,
) -> dict[str, Any]:
    limit = int(params.transfer("leg_working_days").value)
    out = summary(row, today, params)
    out["legs"] = [
        {
            "number": leg.number,
            "started_on": leg.started_on.isoformat(),
            "due_on": add_workdays(
                leg.started_on, limit + leg.paused_working_days, params
            ).value.isoformat(),
            "ended_on": leg.ended_on.isoformat() if leg.ended_on else None,
            "paused_on": leg.paused_on.isoformat() if leg.paused_on else None,
            "paused_working_days": leg.paused_working_days,
        }
        for leg in row.case.legs
    ]
    out["amounts"] = {
        "pooled": row.pooled,
        "account": row.account,
        "total": None if row.pooled is None else row.pooled + (row.account or 0),
        "months": row.months,
    }
    # As the view's statement gave them (dates already ISO text), without the side's row id.
    out["events"] = [
        {
            "on": e["on"],
            "event": e["event"],
            "document_id": e["document_id"],
            "note": e["note"],
            "actor": e["actor"],
        }
        for e in events
    ]
    out["notices"] = [
        {"code": n["code"], "zh": n["zh"], "en": n["en"], "due_on": n["due_on"]} for n in notices
    ]
    return out


def show(uow: UnitOfWork, case_id: str, params: Parameters) -> dict[str, Any]:
    """The case whole: each side's copy with legs, dates, deadlines, amounts, events and
    notices; every document sent or received; the state of its ledger transfer; comments."""
    case_id = case_id.strip().upper()
    read = _VIEW.all(uow.conn, {"case_id": case_id})
    if not read:
        raise _no_case(case_id)
    found = cases.sides_of(read)
    rows = [row for row, _ in found]
    # Each side's notices on its own row, as its events (cases.of_sides).
    notices = {r.id: json.loads(r.notices_json) for r in read}
    today = uow.clock.today()
    documents = [
        {
            "id": sent["id_"],
            "type": sent["type"],
            "type_zh": DOCUMENT_ZH[DocumentType(sent["type"])],
            "sender": sent["sender"],
            "receiver": sent["receiver"],
            "issued_at": sent["issued_at"],
            "channel": sent["channel"],  # network | paper (print it: jinbao transfer print)
            "short_code": sent["short_code"],
            "delivered": sent["delivered"],
            "received_via": sent["received_via"],  # network | scan | code
            "applied": sent["applied"],
            "apply_error": sent["apply_error"],
        }
        for sent in json.loads(read[0].documents_json)
    ]
    key = next((r.transfer_key for r in rows if r.transfer_key), None)
    # The ledger transfer as its key's row read it (None: not reserved on this node).
    money = next(
        (
            {
                "key": key,
                "state": r.money_state,
                "from_region": r.money_from,
                "to_region": r.money_to,
                "pooled": int(r.money_pooled),
                "account": int(r.money_account),
                "total": int(r.money_pooled) + int(r.money_account),
            }
            for r in read
            if key is not None and r.transfer_key == key and r.money_state is not None
        ),
        None,
    )
    comments = _COMMENTS.all(uow.conn, {"case_id": case_id}) if read[0].has_comments else []
    first = rows[0]
    return {
        "case_id": case_id,
        "person": {"id_number": first.id_number, "name": first.name},
        "scheme": first.scheme,
        "kind": first.kind,
        "kind_zh": KIND_ZH.get(first.kind, first.kind),
        "mode": first.mode,
        "batch": next((r.batch for r in rows if r.batch), None),
        "sides": [
            _side_detail(row, events, notices[row.row_id], today, params) for row, events in found
        ],
        "documents": documents,
        "ledger_transfer": money,
        "comments": [
            {"agency": code, "text": text, "actor": actor, "at": at.isoformat()}
            for code, text, actor, at in comments
        ],
    }


LIST_FILTERS = ("open", "queued", "due_soon", "overdue", "all")


def agency_cases(
    uow: UnitOfWork,
    agency_code: str,
    params: Parameters,
    only: str = "open",
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """An agency's copies of cases: ``open`` (running), ``queued`` (waiting for its operator),
    ``due_soon`` / ``overdue`` (legs it owes, by the clock) or ``all``; oldest first, ``limit``
    of them from ``offset`` (every one without a limit)."""
    agency_id = _agency_id(uow, agency_code)
    conditions = [transfer_cases.c.agency_id == agency_id]
    return _filtered(uow, conditions, params, only, limit, offset)


def _filtered(
    uow: UnitOfWork,
    conditions: list[Any],
    params: Parameters,
    only: str,
    limit: int | None,
    offset: int,
) -> list[dict[str, Any]]:
    """The cases of ``conditions`` that ``only`` keeps, a page of them. ``all`` grows with every
    case an agency ever had (a supervising province's, with its whole subtree's): its page is
    cut by the database. The others are the open cases, filtered here by their clocks, and
    their page is cut after the filter."""
    if only not in LIST_FILTERS:
        raise InvalidInput(
            "transfer.filter",
            f"筛选条件应为 {'、'.join(LIST_FILTERS)} 之一。",
            f"The filter must be one of {', '.join(LIST_FILTERS)}.",
            field="only",
        )
    today = uow.clock.today()
    if only == "all":
        page = cases.rows_where(uow, *conditions, limit=limit, offset=offset)
        return [summary(row, today, params) for row in page]
    conditions.append(transfer_cases.c.state.in_(cases.OPEN_STATES))
    out = []
    for row in cases.rows_where(uow, *conditions):
        item = summary(row, today, params)
        timeliness = (item["clock"] or {}).get("timeliness")
        if only == "queued" and not row.queued:
            continue
        if only in ("due_soon", "overdue") and (not row.owes_action or timeliness != only):
            continue
        out.append(item)
    return out[offset:] if limit is None else out[offset : offset + limit]


def supervision(
    uow: UnitOfWork,
    agency_code: str,
    params: Parameters,
    only: str = "overdue",
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """督办: the cases of every agency under ``agency_code`` (itself included) whose running leg
    that agency owes and which are overdue (or due soon, or all open ones, or all); a page as
    :func:`agency_cases` gives it."""
    subtree = _subtree(uow, _agency_id(uow, agency_code))
    conditions = [transfer_cases.c.agency_id.in_(subtree)]
    return _filtered(uow, conditions, params, only, limit, offset)


def comment(uow: UnitOfWork, case_id: str, agency_code: str, text: str) -> None:
    """A supervising agency (or one of the two) comments on a case (督办意见)."""
    case_id = case_id.strip().upper()
    agency_id = _agency_id(uow, agency_code)
    rows = _sides(uow, case_id)
    subtree = set(_subtree(uow, agency_id))
    if not any(r.agency_id in subtree for r in rows):
        raise InvalidInput(
            "transfer.not_supervisor",
            f"经办机构{agency_code}不是本案件经办机构或其上级，不能督办。",
            f"Agency {agency_code} is neither a party to this case nor above one.",
            field="agency_code",
        )
    body = text.strip()
    if not body:
        raise InvalidInput(
            "transfer.comment_empty", "督办意见不能为空。", "A comment cannot be empty.",
            field="text",
        )  # fmt: skip
    uow.conn.execute(
        insert(transfer_comments).values(
            case_id=case_id,
            agency_id=agency_id,
            text=body[:500],
            actor=uow.actor[:60],
            created_at=uow.clock.now(),
        )
    )
    record(uow, "transfer.comment", "transfer_case", case_id, new={"agency": agency_code})


def person_cases(uow: UnitOfWork, id_number: str, params: Parameters) -> list[dict[str, Any]]:
    """A person's transfers as they follow them: each case at the agency they applied to."""
    return cases_of_person(uow, person_row_id(uow, id_number), params)


def cases_of_person(uow: UnitOfWork, person_id: int, params: Parameters) -> list[dict[str, Any]]:
    """:func:`person_cases` by the person's row id (a person's record has it)."""
    today = uow.clock.today()
    return [summary(r, today, params) for r in cases.receiving_of_person(uow, person_id)]


def _sides(uow: UnitOfWork, case_id: str) -> list[CaseRow]:
    rows = [r for side in Side if (r := cases.find(uow, case_id, side)) is not None]
    if not rows:
        raise _no_case(case_id)
    return rows


def _no_case(case_id: str) -> NotFound:
    return NotFound(
        "transfer.not_found", f"没有转移案件 {case_id}。", f"No transfer case {case_id}."
    )


def _agency_id(uow: UnitOfWork, code: str) -> int:
    return cases.agency(uow, code)[0]


def _subtree(uow: UnitOfWork, root: int) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for agency_id, parent in uow.conn.execute(select(agencies.c.id, agencies.c.parent_id)):
        children.setdefault(parent, []).append(agency_id)
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children.get(node, []))
    return out


def paper_documents(
    uow: UnitOfWork,
    agency_code: str | None = None,
    *,
    pending_only: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Manual mode: the documents an agency must print and post (``pending_only``), or all its
    paper documents with whether the receiver has taken them in; oldest first, ``limit`` of
    them from ``offset``."""
    found = exchange.paper_documents(
        uow, sender=agency_code, pending_only=pending_only, limit=limit, offset=offset
    )
    return [
        {
            "document_id": d.document_id,
            "type": d.type,
            "type_zh": DOCUMENT_ZH[DocumentType(d.type)],
            "case_id": d.case_id,
            "sender": d.sender,
            "receiver": d.receiver,
            "short_code": d.short_code,
            "received": d.received,
        }
        for d in found
    ]


def taken_in(received: list[exchange.Received]) -> list[dict[str, Any]]:
    """What a scan or a short code brought in, for the operator who handed it in."""
    return [
        {
            "document_id": r.document.envelope.id,
            "type": r.document.envelope.type.value,
            "type_zh": DOCUMENT_ZH[r.document.envelope.type],
            "case_id": r.document.envelope.case_id,
            "sender": r.document.envelope.sender,
            "duplicate": r.duplicate,  # already here (paper twice, or the network copy first)
        }
        for r in received
    ]
