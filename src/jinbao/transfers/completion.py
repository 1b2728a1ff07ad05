"""Leg 3 at the receiving agency: the 信息表 and 基金划转表 checked against each other and the money,
the receiving half posted, the record merged, the 办结通知 — or the funds returned; and what the
transferring agency does on the answer (its half posted, or the reservation voided)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import String, bindparam, insert, select

from jinbao.audit.service import record
from jinbao.contributions.model import period_int
from jinbao.db.driver import DriverRead, DriverWrite
from jinbao.db.planning import generic
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.codec import decode
from jinbao.exchange.model import Document, DocumentType
from jinbao.exchange.tables import inbox
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.model import region_of
from jinbao.policy.interest import Portion
from jinbao.policy.parameters import Parameters
from jinbao.registry.model import RelationshipStatus
from jinbao.registry.service.relationships import change_relationship_status
from jinbao.transfers import cases
from jinbao.transfers.application import SOURCE_SCHEME, relation_of, relations_of
from jinbao.transfers.cases import CaseRow, Side
from jinbao.transfers.model import (
    State,
    advance,
)
from jinbao.transfers.review import (
    Message,
    close,
    on_date,
    person_body,
    post_entries,
    refuse_blocking,
    review,
    void_reservation,
)
from jinbao.transfers.rules import (
    Finding,
    FundsFacts,
    check_funds,
)
from jinbao.transfers.settle import clear_duplicates, duplicate_months, linkage_overlap
from jinbao.transfers.tables import (
    transferred_years,
)


def counted_months(body: Mapping[str, Any]) -> int:
    """The months a 信息表 brings: its lines' (deemed lines among them, since session 42) and
    any deemed months its ``deemed_months`` total names beyond its deemed lines (a sender that
    sends the total alone, as this one did until then)."""
    lines = sum(int(y["months"]) for y in body["years"])
    deemed_lines = sum(int(y["months"]) for y in body["years"] if y.get("kind") == "deemed")
    return lines + max(0, int(body.get("deemed_months", 0)) - deemed_lines)


def on_funds_document(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    """An 信息表 or 基金划转表 arrived; when both have, leg 3 starts and is reviewed."""
    env = document.envelope
    row = cases.get(uow, env.case_id, Side.RECEIVING)
    today = uow.clock.today()
    received = f"{env.type.value}_received"
    cases.event_(uow, row.row_id, received, today, env.id)
    if row.state is not State.CONTACT_SENT:
        return  # the other one completed the leg, or this one came again on paper
    info, slip = _funds_documents(uow, env.case_id, env.receiver)
    if info is None or slip is None:
        return  # the other one has not come yet
    case = advance(row.case, "funds_sent", today)
    funds = info.body["funds"]
    row = cases.save(  # the case as saved, as a read would give it: not read again
        uow,
        cases.with_event(row, today, received),
        case,
        "funds_received",
        pooled=funds["pooled"],
        account=funds["total"] - funds["pooled"],
        months=counted_months(info.body),
        transfer_key=None
        if slip.body["transfer_key"].startswith("none:")
        else slip.body["transfer_key"],
    )
    duplicates = duplicate_months(uow, row, info)

    findings = _funds_findings(uow, row, info, slip, duplicates, params)
    review(
        uow, row, findings, params,
        go=lambda: _complete(uow, row, info, duplicates, params=params, on=None, keep=None),
        stop=return_funds,
    )  # fmt: skip


_INSERT_YEARS = DriverWrite(insert(transferred_years))
_FUNDS_DOCUMENTS = DriverRead(  # built once (db/README.md), on the driver's cursor
    select(inbox.c.payload, inbox.c.type).where(
        # The case id hidden from the planner, so that it plans this once (jinbao.db.planning).
        inbox.c.case_id == generic(bindparam("case_id", type_=String)),
        inbox.c.receiver == bindparam("receiver"),
        (inbox.c.type == DocumentType.INFO_TABLE.value)
        | (inbox.c.type == DocumentType.FUND_SLIP.value),
    )
)


def _funds_documents(
    uow: UnitOfWork, case_id: str, receiver: str
) -> tuple[Document | None, Document | None]:
    found: dict[str, Document] = {}
    for payload, type_ in _FUNDS_DOCUMENTS.all(
        uow.conn, {"case_id": case_id, "receiver": receiver}
    ):
        found[type_] = decode(payload.encode()).document
    return found.get(DocumentType.INFO_TABLE.value), found.get(DocumentType.FUND_SLIP.value)


def _funds_findings(
    uow: UnitOfWork,
    row: CaseRow,
    info: Document,
    slip: Document,
    duplicates: list[int],
    params: Parameters,
) -> list[Finding]:
    funds = info.body["funds"]
    reserved: int | None = 0  # nothing in transit for this case
    if row.transfer_key is not None:
        pending = ledger.pending_transfer(uow, row.transfer_key)
        if pending is None:
            reserved = None  # reserved on the sending agency's node: its signed slip is the advice
        elif pending.state == "pending":
            reserved = pending.pooled + pending.account
    return check_funds(
        FundsFacts(
            info_total=funds["total"],
            info_account=sum(funds["account"].values()),
            info_pooled=funds["pooled"],
            slip_total=slip.body["total"],
            reserved_total=reserved,
            same_person=info.body["person"]["id_number"] == row.id_number,
            duplicate_months=tuple(f"{p // 100}-{p % 100:02d}" for p in duplicates),
            deemed_out_of_range=_deemed_out_of_range(info.body, params),
        )
    )


def _deemed_out_of_range(body: Mapping[str, Any], params: Parameters) -> tuple[str, ...]:
    """The 信息表's deemed lines that cannot be deemed years: later than the last month that can
    be deemed where they were worked (parameter ``transitional.deemed``), or carrying a base or
    money ("from–to" each). Risk control: deemed years add years with no money behind them."""
    out = []
    for y in body["years"]:
        if y.get("kind") != "deemed":
            continue
        last = params.deemed_last_month(y["region_code"]).value
        if YearMonth.parse(y["to"]) > last or y["base"] or y["pooled"]:
            out.append(f"{y['from']}至{y['to']}")
    return tuple(out)


KEEP = ("here", "transferred")


def complete(
    uow: UnitOfWork,
    case_id: str,
    *,
    params: Parameters,
    on: dt.date | None = None,
    keep: str | None = None,
) -> None:
    """Leg 3 done: post the transfer, credit the account by portion, merge the yearly record,
    and tell the transferring agency (办结). Months paid both here and in the 信息表 are settled
    先转后清 as agreed with the person (``keep``: ``here`` or ``transferred``): the other
    side's months are cleared, their account credits refunded, each month counted once
    (人社部发〔2009〕187号 意见三; 70号 第十条)."""
    row = cases.get(uow, case_id, Side.RECEIVING)
    if row.state not in (State.CONTACT_SENT, State.FUNDS_SENT):
        advance(row.case, "completed", on_date(uow, on))  # raises, naming the state (作废, 已办结…)
    info, slip = _funds_documents(uow, case_id, row.agency_code)
    if info is None or slip is None or row.state is not State.FUNDS_SENT:
        raise Conflict(
            "transfer.out_of_order",
            f"转移案件 {case_id} 尚未收到信息表和基金划转表。",
            f"Case {case_id} has not received the info table and the fund slip.",
        )
    duplicates = duplicate_months(uow, row, info)
    refuse_blocking(_funds_findings(uow, row, info, slip, duplicates, params), case_id)
    _complete(uow, row, info, duplicates, params=params, on=on, keep=keep)


def _complete(
    uow: UnitOfWork,
    row: CaseRow,
    info: Document,
    duplicates: list[int],
    *,
    params: Parameters,
    on: dt.date | None,
    keep: str | None,
) -> None:
    """:func:`complete`'s work, once the case, its 信息表 and the months paid twice are in hand
    and nothing blocks."""
    case_id = row.case_id
    if duplicates and keep not in KEEP:
        raise InvalidInput(
            "transfer.keep_required",
            f"有{len(duplicates)}个月重复缴费，须先与本人协商确定保留哪一方：本地（here）或转入（transferred）。",
            f"{len(duplicates)} months were paid twice: agree with the person which side to keep, "
            "here or transferred, and say so.",
            field="keep",
        )
    on = on_date(uow, on)
    case = advance(row.case, "completed", on)
    to_region = region_of(row.agency_region)
    if row.transfer_key is not None:
        # This agency's half of the money: into its bank and funds. The sending agency posts
        # its half (out of transit) when the 办结通知 reaches it — on this node or another.
        funds = info.body["funds"]
        portions = {Portion(k): int(v) for k, v in funds["account"].items()}
        journal_id = ledger.receive_transfer(
            uow, row.transfer_key, to_region, int(funds["pooled"]), sum(portions.values()), on
        )
        post_entries(uow, row, to_region, portions, 1, "transfer_in", on, journal_id, case_id)
    cleared_lines: dict[int, int] = {}
    if duplicates:
        cleared_lines = clear_duplicates(uow, row, info, set(duplicates), keep, on, params)
    _INSERT_YEARS.run_many(  # the years brought, one statement (a line a year)
        uow.conn,
        [
            {
                "case_row_id": row.row_id,
                "person_id": row.person_id,
                "scheme": row.scheme,
                "agency_id": row.agency_id,
                "year": y["year"],
                "region_code": y["region_code"],
                "from_period": period_int(YearMonth.parse(y["from"])),
                "to_period": period_int(YearMonth.parse(y["to"])),
                # 17号 第五条: resident years do not become employee years
                "months": 0
                if row.kind == "linkage_to_employee"
                else y["months"] - cleared_lines.get(i, 0),
                "base": y["base"],
                "rate": y["rate"],
                "pooled": y["pooled"],
                "kind": y.get("kind", "employee"),
            }
            for i, y in enumerate(info.body["years"])
        ],
    )
    months = counted_months(info.body) - sum(cleared_lines.values())
    if row.kind in SOURCE_SCHEME:
        linkage_overlap(uow, row, info, on)
        if row.kind == "linkage_to_employee":
            months = 0  # the account joins; the resident years stay resident years (第五条)
    total = info.body["funds"]["total"]
    envelope = exchange.send(
        uow,
        sender=row.agency_code,
        receiver=row.counterpart_code,
        document_type=DocumentType.COMPLETION,
        case_id=case_id,
        body={
            "person": person_body(row),
            "completed_on": on.isoformat(),
            "accepted_months": months,
            "accepted_total": total,
        },
        in_reply_to=info.envelope.id,
    )
    cases.save(
        uow, row, case, "completed", document_id=envelope.id, queued=False, reasons=None,
        months=months,
    )  # fmt: skip
    record(
        uow, "transfer.complete", "transfer_case", case_id, new={"months": months, "total": total}
    )


def return_funds(
    uow: UnitOfWork,
    case_id: str,
    reasons: list[Message],
    *,
    params: Parameters | None = None,
    on: dt.date | None = None,
) -> None:
    """Leg 3 refused: the receiving agency returns the 信息表 and funds; the transfer is voided
    when the transferring agency takes the return."""
    close(uow, case_id, Side.RECEIVING, "voided", "returned", reasons, on, send=True)


def on_refusal(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    env = document.envelope
    today = uow.clock.today()
    reasons = list(document.body["reasons"])
    mine = cases.addressed(uow, env.case_id, env.receiver, env.id)
    if mine is not None and mine.side is Side.RECEIVING:
        # The transferring agency returned the 联系函 (leg 2), or took the money back after the
        # leg-3 deadline (void_overdue).
        if mine.case.state is State.VOIDED:  # we returned it ourselves meanwhile: both agree
            cases.event_(uow, mine.row_id, "refusal_after_void", today, env.id)
            return
        case = advance(mine.case, "voided", today)
        cases.save(uow, mine, case, "returned_by_counterpart", document_id=env.id, reasons=reasons)
        return
    row = cases.get(uow, env.case_id, Side.TRANSFERRING)
    if row.case.state is State.VOIDED:  # timed out here while the return was on its way
        cases.event_(uow, row.row_id, "refusal_after_void", today, env.id)
        return
    # The receiving agency returned the funds (leg 3): void the pending transfer, put the
    # account back by portion.
    case = advance(row.case, "voided", today)
    void_reservation(uow, row, today)
    cases.save(uow, row, case, "returned_by_counterpart", document_id=env.id, reasons=reasons)


def on_completion(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    """The receiving agency completed: the old relationship is 转出, pointing to the case."""
    env = document.envelope
    row = cases.get(uow, env.case_id, Side.TRANSFERRING)
    today = uow.clock.today()
    case = advance(row.case, "completed", today)
    if row.transfer_key is not None:
        ledger.post_transfer(uow, row.transfer_key, today)  # this agency's half: money left
    relations = relations_of(uow, row.person_id, row.scheme)
    relation = relation_of(uow, row, relations)
    if relation is not None:
        # Every relation kept (suspended) at this agency of that kind moves with it
        # (one_per_agency); a current one there stays.
        for other in relations:
            same_place = (other.agency_code, other.kind) == (relation.agency_code, relation.kind)
            kept = other.status == "suspended" or (
                other.id == relation.id and other.status not in ("transferred_out", "terminated")
            )
            if same_place and kept:
                change_relationship_status(
                    uow,
                    other.id,
                    RelationshipStatus.TRANSFERRED_OUT,
                    changed_on=today,
                    reason=f"转移接续办结，案件{row.case_id}",
                )
    cases.save(uow, row, case, "completed", document_id=env.id)
