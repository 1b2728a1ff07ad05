"""Shared by the legs: automatic review and the operator queue, written refusals and returns, the
personal-account entries and the reservation a transfer moves, the bodies of its documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from jinbao.accounts.tables import account_entries
from jinbao.audit.service import record
from jinbao.db.driver import DriverRead, DriverWrite
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.model import DocumentType
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.ledger import service as ledger
from jinbao.ledger.model import region_of
from jinbao.ledger.tables import pending_transfers
from jinbao.policy.interest import Portion
from jinbao.policy.parameters import Parameters
from jinbao.transfers import cases
from jinbao.transfers.cases import CaseRow, Side
from jinbao.transfers.model import (
    advance,
)
from jinbao.transfers.rules import (
    Finding,
)
from jinbao.transfers.tables import (
    transfer_settings,
)

Message = dict[str, str]


_INSERT_ENTRIES = DriverWrite(insert(account_entries))  # on the driver's cursor
_AUTO_REVIEW = DriverRead(  # built once, run on the driver's cursor: read at every leg
    select(transfer_settings.c.auto_review).where(
        transfer_settings.c.agency_id == bindparam("agency_id")
    )
)


def auto_review(uow: UnitOfWork, agency_id: int) -> bool:
    found = _AUTO_REVIEW.first(uow.conn, {"agency_id": agency_id})
    return bool(found is not None and found.auto_review)


def set_auto_review(uow: UnitOfWork, agency_code: str, enabled: bool) -> None:
    """Let the system review clean legs itself at this agency (即时办结), or stop it."""
    agency_id = cases.agency(uow, agency_code)[0]
    values = {"auto_review": enabled, "updated_at": uow.clock.now()}
    changed = uow.conn.execute(
        update(transfer_settings).where(transfer_settings.c.agency_id == agency_id).values(values)
    ).rowcount
    if not changed:
        uow.conn.execute(insert(transfer_settings).values(agency_id=agency_id, **values))
    record(uow, "transfer.auto_review", "agency", agency_code, new={"auto_review": enabled})


Action = Callable[..., Any]


def review(
    uow: UnitOfWork,
    row: CaseRow,
    findings: list[Finding],
    params: Parameters,
    *,
    go: Callable[[], None],
    stop: Action,
) -> None:
    """Automatic review where the agency allows it; otherwise the operator queue.

    ``go`` is the leg's work once nothing is found: it goes on with the case (and whatever else
    the caller read and checked) in hand, in this unit of work, not read and checked again as an
    operator's later approval is (``accept``, ``send_funds``, ``complete``). ``stop`` refuses or
    returns in writing: ``stop(uow, case_id, reasons, params=params)``."""
    blocking = [f.as_message() for f in findings if f.blocking]
    review = [f.as_message() for f in findings if not f.blocking]
    if auto_review(uow, row.agency_id):
        if blocking and not review:
            stop(uow, row.case_id, blocking, params=params)
            return
        if not findings:
            go()
            return
    reasons = blocking + review or [
        {
            "code": "transfer.operator_review",
            "zh": "本经办机构未开启自动审核，等待经办人审核。",
            "en": "Automatic review is off at this agency; waiting for an operator.",
        }
    ]
    current = cases.get(uow, row.case_id, row.side)
    cases.save(uow, current, current.case, "queued", queued=True, reasons=reasons)


def close(
    uow: UnitOfWork,
    case_id: str,
    side: Side,
    model_event: str,
    label: str,
    reasons: list[Message],
    on: dt.date | None,
    *,
    send: bool,
) -> None:
    """End a side's copy with written reasons; at legs 2 and 3 the other agency gets them as a
    退回 document (国办发〔2009〕66号 第八条: refusals are explained in writing)."""
    row = cases.get(uow, case_id, side)
    case = advance(row.case, model_event, on_date(uow, on))
    written = written_reasons(reasons)
    document_id = None
    if send:
        document_id = exchange.send(
            uow,
            sender=row.agency_code,
            receiver=row.counterpart_code,
            document_type=DocumentType.REFUSAL,
            case_id=row.case_id,
            body={
                "person": person_body(row),
                "reasons": written,
                "refused_on": case.history[-1][0].isoformat(),
            },
        ).id
    cases.save(uow, row, case, label, document_id=document_id, queued=False, reasons=written)
    record(uow, f"transfer.{label}", "transfer_case", case_id, new={"reasons": written})


def refuse_blocking(findings: list[Finding], case_id: str) -> None:
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise Conflict(
            "transfer.rule_forbids",
            f"转移案件 {case_id} 不能继续办理：" + "；".join(f.zh for f in blocking),
            f"Transfer case {case_id} cannot go on: " + "; ".join(f.en for f in blocking),
        )


def written_reasons(reasons: list[Message]) -> list[Message]:
    if not reasons:
        raise InvalidInput(
            "transfer.reasons_required",
            "不予受理或退回须书面说明理由。",
            "A refusal or return needs written reasons.",
            field="reasons",
        )
    out = []
    for reason in reasons:
        zh = (reason.get("zh") or "").strip()
        if not zh:
            raise InvalidInput(
                "transfer.reasons_required",
                "理由不能为空。",
                "A reason cannot be empty.",
                field="reasons",
            )
        out.append(
            {
                "code": reason.get("code") or "transfer.operator_reason",
                "zh": zh[:200],
                "en": (reason.get("en") or zh).strip()[:200],
            }
        )
    return out


def operator_reason(zh: str, en: str | None = None) -> list[Message]:
    return [{"code": "transfer.operator_reason", "zh": zh, "en": en or zh}]


def on_date(uow: UnitOfWork, on: dt.date | None) -> dt.date:
    day = on or uow.clock.today()
    if day > uow.clock.today():
        raise InvalidInput(
            "transfer.date_future", "办理日期不能晚于今天。", "The date cannot be in the future.",
            field="on",
        )  # fmt: skip
    return day


def person_body(row: CaseRow) -> dict[str, str]:
    return {"id_number": row.id_number, "name": row.name}


def agency_bodies(uow: UnitOfWork, *codes: str) -> list[dict[str, str]]:
    """The agencies as a document names them, read in one query."""
    return [
        {
            "code": agency.code,
            "name": agency.name,
            "region_code": agency.region_code or "000000",
            "phone": agency.contact.phone,
            "address": agency.contact.address,
        }
        for _, agency in cases.named_agencies(uow, *codes)
    ]


def bank(agency: dict[str, str]) -> dict[str, str]:
    """The fund account that receives transfers. SAMPLE: agencies do not publish their bank
    accounts in the directory yet, so a placeholder marked 样例 is sent."""
    return {
        "account_name": f"{agency['name']}社会保险基金收入户",
        "bank": "样例银行（SAMPLE）",
        "account_number": f"SAMPLE-{agency['code']}",
    }


def post_entries(
    uow: UnitOfWork,
    row: CaseRow,
    region: str,
    portions: dict[Portion, Any],
    sign: int,
    kind: str,
    on: dt.date,
    journal_id: int | None,
    case_id: str,
    source: str | None = None,
) -> None:
    entries = [
        {
            "person_id": row.person_id,
            "scheme": row.scheme,
            "region": region,
            "portion": portion.value,
            "kind": kind,
            "period": on.year * 100 + on.month,
            "effective_on": on,
            "amount": sign * int(amount),
            "journal_id": journal_id,
            "source": source or f"transfer:{case_id}",
            "created_at": uow.clock.now(),
        }
        for portion, amount in portions.items()
        if amount
    ]
    if entries:
        _INSERT_ENTRIES.run_many(uow.conn, entries)


def void_reservation(uow: UnitOfWork, row: CaseRow, today: dt.date) -> None:
    """Take back money in transit: void the pending ledger transfer (exactly once) and put the
    account entries taken out at leg 2 back, portion by portion."""
    if row.transfer_key is None:
        return
    ledger.void_transfer(uow, row.transfer_key, today)
    journal_id = uow.conn.execute(
        select(pending_transfers.c.final_journal_id).where(
            pending_transfers.c.transfer_key == row.transfer_key
        )
    ).scalar_one()
    taken = {
        Portion(p): -int(v)
        for p, v in uow.conn.execute(
            select(account_entries.c.portion, account_entries.c.amount).where(
                account_entries.c.source == f"transfer:{row.case_id}",
                account_entries.c.kind == "transfer_out",
                account_entries.c.amount < 0,
            )
        )
    }
    post_entries(
        uow,
        row,
        region_of(row.agency_region),
        taken,
        1,
        "transfer_out",
        today,
        journal_id,
        row.case_id,
        source=f"transfer-void:{row.case_id}",
    )
