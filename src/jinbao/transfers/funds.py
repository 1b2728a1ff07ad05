"""Leg 2 at the transferring agency: the 联系函 opens its copy of the case; the amounts by the policy
engine, the money reserved, the account out, the 信息表 and 基金划转表 — or the letter returned."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinbao.audit.service import record
from jinbao.contributions.service.resident import resident_years
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.model import Document, DocumentType
from jinbao.kernel.errors import Conflict
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.model import region_of
from jinbao.policy.history import History, Kind
from jinbao.policy.interest import Portion
from jinbao.policy.parameters import Parameters
from jinbao.policy.transfer import TransferAmount, transfer_amount
from jinbao.policy.workdays import add_workdays
from jinbao.registry import repository as repo
from jinbao.transfers import cases
from jinbao.transfers.application import SOURCE_SCHEME, Relation, relation_of, relations_of
from jinbao.transfers.cases import CaseRow, Side
from jinbao.transfers.model import (
    advance,
    open_case,
)
from jinbao.transfers.records import (
    account_balance,
    agency_history,
)
from jinbao.transfers.review import (
    Message,
    agency_bodies,
    bank,
    close,
    on_date,
    person_body,
    post_entries,
    refuse_blocking,
    review,
)
from jinbao.transfers.rules import (
    check_contact_letter,
    check_relation_here,
)


def on_contact_letter(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    """The transferring agency opens its copy of the case and reviews leg 2."""
    env, body = document.envelope, document.body
    if cases.find(uow, env.case_id, Side.TRANSFERRING) is not None:
        raise Conflict(
            "transfer.letter_twice",
            f"转移案件 {env.case_id} 已收到过联系函。",
            f"Case {env.case_id} already has a contact letter here.",
        )
    found = repo.get_person_row(uow, body["person"]["id_number"])
    if found is None:
        # Nothing here to open a case for: return the letter at once, in writing.
        exchange.send(
            uow,
            sender=env.receiver,
            receiver=env.sender,
            document_type=DocumentType.REFUSAL,
            case_id=env.case_id,
            body={
                "person": dict(body["person"]),
                "reasons": [
                    {
                        "code": "transfer.person_unknown",
                        "zh": f"本经办机构没有参保人员{body['person']['id_number']}的参保记录。",
                        "en": f"This agency holds no record of {body['person']['id_number']}.",
                    }
                ],
                "refused_on": uow.clock.today().isoformat(),
            },
            in_reply_to=env.id,
        )
        return
    person_id, person = found
    (agency_id, agency), (counterpart_id, counterpart) = cases.named_agencies(
        uow, env.receiver, env.sender
    )
    today = uow.clock.today()
    applied_on = dt.date.fromisoformat(body.get("applied_on") or today.isoformat())
    wanted = "temporary" if body.get("direction") == "temporary_gathering" else "normal"
    scheme = SOURCE_SCHEME.get(body.get("direction", ""), body.get("scheme", "enterprise"))
    here = [
        r
        for r in relations_of(uow, person_id, scheme)
        if r.agency_code == agency.code and r.kind == wanted
    ]
    open_ = [r for r in here if r.status not in ("transferred_out", "terminated")]
    relation = (open_ or here)[-1] if here else None
    case = advance(open_case(env.case_id, min(applied_on, today)), "contact_sent", today)
    row = cases.create(
        uow,
        case,
        agency=agency,
        counterpart=counterpart,
        person=person,
        noted=[(today, "contact_letter_received", env.id)],
        side=Side.TRANSFERRING.value,
        agency_id=agency_id,
        counterpart_id=counterpart_id,
        person_id=person_id,
        scheme=scheme,
        kind=body.get("direction", "cross_province"),
        mode=cases.mode(today, agency, counterpart),
        applied_on=applied_on,
        relationship_id=relation.id if relation else None,
    )
    findings = check_contact_letter(
        relation.facts() if relation else None, person.name, body["person"]["name"]
    )
    # The letter's checks include the relation's (check_relation_here), so a clean review
    # leaves nothing for send_funds to check again.
    review(
        uow, row, findings, params,
        go=lambda: _send_funds(uow, row, relation, params=params, on=None),
        stop=return_letter,
    )  # fmt: skip


def send_funds(
    uow: UnitOfWork, case_id: str, *, params: Parameters, on: dt.date | None = None
) -> None:
    """Leg 2 done: compute what moves, reserve it, take the account out, send 信息表 and 划转表."""
    row = cases.get(uow, case_id, Side.TRANSFERRING)
    relation = relation_of(uow, row)
    refuse_blocking(check_relation_here(relation.facts() if relation else None), case_id)
    _send_funds(uow, row, relation, params=params, on=on)


def _send_funds(
    uow: UnitOfWork,
    row: CaseRow,
    relation: Relation | None,
    *,
    params: Parameters,
    on: dt.date | None,
) -> None:
    """:func:`send_funds`'s work, once the case and the relation it moves are in hand and
    nothing blocks."""
    case_id = row.case_id
    on = on_date(uow, on)
    case = advance(row.case, "funds_sent", on)
    from_region = region_of(row.agency_region)
    to_region = region_of(row.counterpart_region)
    body_person = person_body(row)
    amount: TransferAmount | None = None
    if row.kind == "linkage_to_employee":
        body, portions, months = _resident_info_table(uow, row, body_person, on, from_region)
        pooled = 0
    else:
        history = agency_history(
            uow, row.person_id, row.scheme, row.agency_id, from_region,
            temporary=relation is not None and relation.kind == "temporary",
        )  # fmt: skip
        amount = transfer_amount(history, params).value
        pooled = int(amount.pooled_total)
        pooled_note = None
        if row.kind == "intra_province" and not _intra_province_pooled_moves(
            row.agency_region, params
        ):
            pooled = 0
            pooled_note = "省内转移：本省统筹基金不随同转移（省级参数）。"
        if row.kind == "linkage_to_resident":
            pooled = 0
            pooled_note = "城乡制度衔接：统筹基金不转移，个人账户全部储存额并入（人社部发〔2014〕17号 第六条）。"
        body = _info_table(body_person, on, amount, pooled, pooled_note, history)
        portions, months = dict(amount.account), amount.counted_months
    account = sum(portions.values())
    key = case_id if pooled + account > 0 else None
    if key is not None:
        reserved = ledger.reserve(uow, key, from_region, to_region, pooled, account, on)
        journal_id = reserved.reserve_journal_id
        post_entries(uow, row, from_region, portions, -1, "transfer_out", on, journal_id, case_id)
    info = exchange.send(
        uow,
        sender=row.agency_code,
        receiver=row.counterpart_code,
        document_type=DocumentType.INFO_TABLE,
        case_id=case_id,
        body=body,
    )
    from_bank, to_bank = map(bank, agency_bodies(uow, row.agency_code, row.counterpart_code))
    slip = exchange.send(
        uow,
        sender=row.agency_code,
        receiver=row.counterpart_code,
        document_type=DocumentType.FUND_SLIP,
        case_id=case_id,
        body={
            "transfer_key": key or f"none:{case_id}",
            "pooled": pooled,
            "account": account,
            "total": pooled + account,
            "from_bank": from_bank,
            "to_bank": to_bank,
            "sent_on": on.isoformat(),
        },
        in_reply_to=None,
    )
    cases.save(
        uow,
        row,
        case,
        "funds_sent",
        document_id=info.id,
        note=f"基金划转表 {slip.id}",
        queued=False,
        reasons=None,
        transfer_key=key,
        pooled=pooled,
        account=account,
        months=months,
    )
    if amount is not None:
        _exclusion_notices(uow, row, amount, params)
    record(
        uow,
        "transfer.send_funds",
        "transfer_case",
        case_id,
        new={"pooled": pooled, "account": account, "months": months},
    )


def _intra_province_pooled_moves(region: str, params: Parameters) -> bool:
    """Whether pooled funds move within the province: a provincial rule (POLICY §3, §6.1;
    parameter ``intra_province_pooled_moves``, status secondary)."""
    entry = params.transfer("intra_province_pooled_moves").value
    return bool(entry.get(region[:2], entry.get("default", False)))


def _resident_info_table(
    uow: UnitOfWork, row: CaseRow, person: dict[str, str], on: dt.date, region: str
) -> tuple[dict[str, Any], dict[Portion, Fen], int]:
    """The 信息表 of a resident-scheme relation moving into the employee scheme (17号 第五条):
    each year paid here with what the person and the collective paid (for the refund of months
    that overlap employee months, 第七条), and the whole account; no pooled funds."""
    portions = account_balance(uow, row.person_id, "resident", region)
    years = [
        {
            "year": y.year, "region_code": row.agency_region, "from": f"{y.year}-01",
            "to": f"{y.year}-12", "months": 12, "base": 0, "rate": "0.0", "pooled": 0,
            "kind": "resident", "individual": y.individual, "collective": y.collective,
        }
        for y in resident_years(uow, row.person_id, row.agency_id)
    ]  # fmt: skip
    account = sum(portions.values())
    body = {
        "person": person,
        "transferred_on": on.isoformat(),
        "years": years,
        "funds": {
            "account": {p.value: v for p, v in portions.items() if v},
            "pooled": 0,
            "total": account,
        },
    }
    return body, portions, 12 * len(years)


def _info_table(
    person: dict[str, str],
    on: dt.date,
    amount: TransferAmount,
    pooled: int,
    pooled_note: str | None,
    history: History,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person": person,
        "transferred_on": on.isoformat(),
        "years": [
            {
                "year": y.year,
                "region_code": f"{y.province}0000",
                "from": str(y.first),
                "to": str(y.last),
                "months": y.months,
                "base": y.base,
                "rate": format(y.rate, "f"),
                "pooled": y.pooled,
                "kind": y.kind.value,
                **({"note": pooled_note} if pooled_note else {}),
            }
            for y in amount.years
        ]
        + _deemed_lines(history),
        "funds": {
            "account": {p.value: v for p, v in amount.account.items() if v},
            "pooled": pooled,
            "total": pooled + amount.account_total,
        },
    }
    deemed = amount.counted_months - sum(y.months for y in amount.years)
    if deemed > 0:
        body["deemed_months"] = deemed  # the deemed lines' months, as a total
    if amount.exclusions:
        body["exclusions"] = [_exclusion_message(e.reason, e.months) for e in amount.exclusions]
    return body


def _deemed_lines(history: History) -> list[dict[str, Any]]:
    """The deemed years the relation carries, a line a year at the place worked, no base and
    no money (kind ``deemed``): the receiver keeps them with the relation, still counted where
    they were worked (人社部规〔2016〕5号 一), and sends them on with it. Until session 42 only
    their total went (``deemed_months``), and the receiver counted them once, for the case."""
    lines = []
    for p in history.periods:
        if p.kind is not Kind.DEEMED:
            continue
        start = p.start
        while start <= p.end:
            last = min(p.end, YearMonth(start.year, 12))
            lines.append(
                {
                    "year": start.year,
                    "region_code": f"{p.province}0000",
                    "from": str(start),
                    "to": str(last),
                    "months": start.months_until(last) + 1,
                    "base": 0,
                    "rate": "0.0",
                    "pooled": 0,
                    "kind": Kind.DEEMED.value,
                }
            )
            start = last.plus(1)
    return lines


def _exclusion_message(reason: str, months: int) -> Message:
    if reason == "arrears":
        return {
            "code": "transfer.arrears_excluded",
            "zh": f"欠缴{months}个月未补缴：欠缴时间不计算缴费年限，个人欠费的时间不转移基金（人社部发〔2010〕70号）。",
            "en": f"{months} unpaid months: they count no contribution years and move no funds (人社部发〔2010〕70号).",
        }
    return {
        "code": "transfer.lump_sum_excluded",
        "zh": f"一次性缴费{months}个月（3年以上）无相关法律文书：缴费年限和资金均不转移（人社厅发〔2019〕94号）。",
        "en": f"A lump sum of {months} months (3+ years) without legal documents: neither years nor funds move (人社厅发〔2019〕94号).",
    }


def _exclusion_notices(
    uow: UnitOfWork, row: CaseRow, amount: TransferAmount, params: Parameters
) -> None:
    """The person is told what stays behind: arrears at once; a lump sum without documents in
    writing within 10 working days of the 联系函 (人社厅发〔2019〕94号 三)."""
    letter_day = next(on for on, event in row.case.history if event == "contact_sent")
    for e in amount.exclusions:
        due = None
        if e.notify_within_working_days is not None:
            due = add_workdays(letter_day, e.notify_within_working_days, params).value
        cases.notice(uow, row.row_id, _exclusion_message(e.reason, e.months), due)


def return_letter(
    uow: UnitOfWork,
    case_id: str,
    reasons: list[Message],
    *,
    params: Parameters | None = None,
    on: dt.date | None = None,
) -> None:
    """Leg 2 refused: the transferring agency returns the 联系函 with written reasons (退回)."""
    close(uow, case_id, Side.TRANSFERRING, "voided", "returned", reasons, on, send=True)
