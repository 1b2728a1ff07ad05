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

Every action runs in the caller's unit of work: the case change, the ledger, the account entries
and the outgoing documents are written together or not at all. Each side changes only its own
copy of the case, by its own actions and by the documents it receives, so the two agencies can
sit on different nodes. Where an agency allows automatic review (即时办结), a leg with no finding
goes on at once; otherwise, or with a finding, the case waits in that agency's operator queue
with the reasons.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select, update

from jinbao.accounts.tables import account_entries
from jinbao.audit.service import record
from jinbao.contributions.service.resident import resident_years
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.codec import decode
from jinbao.exchange.model import Document, DocumentType
from jinbao.exchange.tables import inbox
from jinbao.kernel.clock import Clock
from jinbao.kernel.errors import Conflict, DomainError, InvalidInput, NotFound
from jinbao.kernel.money import Fen, format_yuan, round_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit, region_of
from jinbao.ledger.tables import pending_transfers
from jinbao.policy.explain import Explained
from jinbao.policy.interest import Portion
from jinbao.policy.linkage import ResidentYear as PolicyResidentYear
from jinbao.policy.linkage import overlap_refund, scheme_linkage
from jinbao.policy.parameters import ParameterMissing, Parameters
from jinbao.policy.receiving_place import ReceivingPlace, receiving_place
from jinbao.policy.retirement import Category, statutory_retirement
from jinbao.policy.transfer import TransferAmount, transfer_amount
from jinbao.policy.workdays import add_workdays, working_days_between
from jinbao.registry import repository as repo
from jinbao.registry.model import Agency, Person, RelationshipStatus
from jinbao.registry.service.persons import get_person
from jinbao.registry.service.relationships import change_relationship_status, make_temporary
from jinbao.registry.tables import agencies, relationships
from jinbao.transfers import cases
from jinbao.transfers.cases import CaseRow, Side
from jinbao.transfers.model import (
    State,
    advance,
    correction_received,
    open_case,
    request_correction,
)
from jinbao.transfers.model import (
    clock as leg_clock,
)
from jinbao.transfers.records import (
    account_balance,
    agency_history,
    national_history,
    paid_months,
)
from jinbao.transfers.rules import (
    ApplicationFacts,
    Finding,
    FundsFacts,
    LinkageFacts,
    RelationFacts,
    check_application,
    check_contact_letter,
    check_funds,
    check_relation_here,
)
from jinbao.transfers.tables import (
    cleared_months,
    transfer_cases,
    transfer_settings,
    transferred_years,
)

Message = dict[str, str]


# ----------------------------------------------------------------------------- settings


def auto_review(uow: UnitOfWork, agency_id: int) -> bool:
    return bool(
        uow.conn.execute(
            select(transfer_settings.c.auto_review).where(
                transfer_settings.c.agency_id == agency_id
            )
        ).scalar()
    )


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


# ----------------------------------------------------------------------------- leg 1: apply


@dataclass(frozen=True, slots=True)
class Application:
    id_number: str
    to_agency: str  # the receiving agency, where the person now contributes
    from_agency: str | None = None  # the agency holding the relation; found when only one does
    scheme: str = "enterprise"
    applied_on: dt.date | None = None
    # None: the kind follows from the relations. "return_to_receiving_place": at retirement, the
    # relation goes back to the pension-receiving place (待遇领取地), which keeps a relation but
    # need not be where the person contributes now. "linkage": 城乡衔接 into ``scheme``.
    kind: str | None = None


RETURN = "return_to_receiving_place"
# 城乡养老保险制度衔接 (人社部发〔2014〕17号): ``scheme`` names the scheme the person moves into
LINKAGE = "linkage"
LINKAGE_KIND = {"enterprise": "linkage_to_employee", "resident": "linkage_to_resident"}
SOURCE_SCHEME = {"linkage_to_employee": "resident", "linkage_to_resident": "enterprise"}


def apply(
    uow: UnitOfWork, cmd: Application, params: Parameters, *, batch: str | None = None
) -> str:
    """Open a case at the receiving agency and review it (leg 1). Returns the case id.
    ``batch``: the case is one of an employer's move (成建制划转, :mod:`transfers.bulk`)."""
    person = get_person(uow, cmd.id_number)
    person_id = cases.person_id(uow, person.id_number)
    applied_on = cmd.applied_on or uow.clock.today()
    if applied_on > uow.clock.today():
        raise InvalidInput(
            "transfer.applied_future",
            "申请日期不能晚于今天。",
            "The application date cannot be in the future.",
            field="applied_on",
        )
    to_id, to_agency = cases.agency(uow, cmd.to_agency)
    relations = _relations(uow, person_id, cmd.scheme)
    linkage = _linkage_kind(cmd)
    # a linkage moves the relation of the other scheme; a transfer, one of the same scheme
    sources = _relations(uow, person_id, SOURCE_SCHEME[linkage]) if linkage else relations
    candidates = [
        r
        for r in sources
        if r.agency_code != to_agency.code
        and r.status in ("suspended", "contributing", "receiving")
        and (cmd.from_agency is None or r.agency_code == cmd.from_agency.strip().upper())
    ]
    if not candidates and cmd.from_agency is None:
        raise InvalidInput(
            "transfer.nothing_to_transfer",
            "未找到可转出的参保关系：原参保地没有该参保人员保留的参保关系。"
            "如原参保地的记录不在本系统，请指明转出地经办机构。",
            "There is no relation to transfer: no other agency here keeps one for this person. "
            "If the old place's records are held elsewhere, name the transferring agency.",
            field="from_agency",
        )
    if len(candidates) > 1:
        raise InvalidInput(
            "transfer.choose_from_agency",
            "该参保人员在多地保留参保关系或临时缴费账户，请指明转出地经办机构："
            + "、".join(r.agency_code for r in candidates),
            "The person keeps relations or temporary accounts at several places; name the "
            "transferring agency: " + ", ".join(r.agency_code for r in candidates),
            field="from_agency",
        )
    # No relation here at the named agency: its records are held on another node (or nowhere);
    # the transferring agency checks its own relation at leg 2 and returns the letter if none.
    old = candidates[0] if candidates else None
    gathering = old is not None and old.kind == "temporary"
    kept = gathering or cmd.kind in (RETURN, LINKAGE)
    new = _receiving_relation(relations, to_agency.code, kept=kept)
    from_id, from_agency = cases.agency(uow, old.agency_code if old else cmd.from_agency or "")
    if cases.rows_where(
        uow,
        transfer_cases.c.person_id == person_id,
        transfer_cases.c.scheme == cmd.scheme,
        transfer_cases.c.side == Side.RECEIVING.value,
        transfer_cases.c.state.in_(["applied", "contact_sent", "funds_sent"]),
    ):
        raise Conflict(
            "transfer.already_open",
            "该参保人员已有正在办理的转移接续申请，请等待办结后再申请。",
            "The person already has a transfer in progress; wait for it to finish.",
        )
    case_id = f"ZY{applied_on:%Y%m%d}{uuid.uuid4().hex[:10].upper()}"
    row_id = cases.create(
        uow,
        open_case(case_id, applied_on),
        side=Side.RECEIVING.value,
        agency_id=to_id,
        counterpart_id=from_id,
        person_id=person_id,
        scheme=cmd.scheme,
        kind=_case_kind(cmd, batch, linkage, gathering, to_agency, from_agency),
        mode=cases.mode(applied_on, to_agency, from_agency),
        applied_on=applied_on,
        relationship_id=new.id if new else None,
        batch=batch,
    )
    record(
        uow,
        "transfer.apply",
        "transfer_case",
        case_id,
        new={"row": row_id, **_application_dict(cmd)},
    )
    row = cases.get(uow, case_id, Side.RECEIVING)
    known = relations if sources is relations else relations + sources
    findings = _application_findings(uow, row, person, known, new, old, params)
    _review(uow, row, findings, params, go=accept, stop=refuse)
    return case_id


def _application_dict(cmd: Application) -> dict[str, object]:
    return {
        "id_number": cmd.id_number,
        "to_agency": cmd.to_agency,
        "from_agency": cmd.from_agency,
        "scheme": cmd.scheme,
        "applied_on": cmd.applied_on,
    }


@dataclass(frozen=True, slots=True)
class _Relation:
    id: int
    agency_code: str
    region_code: str
    kind: str
    status: str
    started_on: dt.date
    scheme: str = "enterprise"

    def facts(self) -> RelationFacts:
        return RelationFacts(
            self.agency_code, self.region_code, self.kind, self.status, self.started_on
        )


def _relations(uow: UnitOfWork, person_id: int, scheme: str) -> list[_Relation]:
    rows = uow.conn.execute(
        select(
            relationships.c.id,
            agencies.c.code,
            agencies.c.region_code,
            relationships.c.kind,
            relationships.c.status,
            relationships.c.started_on,
        )
        .join(agencies, agencies.c.id == relationships.c.agency_id)
        .where(relationships.c.person_id == person_id, relationships.c.scheme == scheme)
        .order_by(relationships.c.id)
    )
    return [_Relation(r[0], r[1], r[2] or "000000", r[3], r[4], r[5], scheme) for r in rows]


def _case_kind(
    cmd: Application,
    batch: str | None,
    linkage: str | None,
    gathering: bool,
    to_agency: Agency,
    from_agency: Agency,
) -> str:
    if batch is not None:
        return "bulk_employer"
    if linkage:
        return linkage
    if gathering:
        return "temporary_gathering"
    if cmd.kind == RETURN:
        return RETURN
    same = (to_agency.region_code or "")[:2] == (from_agency.region_code or "")[:2]
    return "intra_province" if same else "cross_province"


def _linkage_kind(cmd: Application) -> str | None:
    """The linkage direction asked for, or None for a transfer; other kinds are refused."""
    if cmd.kind not in (None, RETURN, LINKAGE):
        raise InvalidInput(
            "transfer.kind",
            f"申请类型“{cmd.kind}”不适用：转移类型由参保关系确定，只有转回待遇领取地"
            f"（{RETURN}）和城乡制度衔接（{LINKAGE}）需注明。",
            f"Kind '{cmd.kind}' cannot be asked for: the kind follows from the relations; only "
            f"'{RETURN}' and '{LINKAGE}' are named by the applicant.",
            field="kind",
        )
    if cmd.kind != LINKAGE:
        return None
    if cmd.scheme not in LINKAGE_KIND:
        raise InvalidInput(
            "linkage.scheme",
            "城乡制度衔接须注明转入的险种：enterprise（城镇职工）或 resident（城乡居民）。",
            "A linkage names the scheme moved into: enterprise or resident.",
            field="scheme",
        )
    return LINKAGE_KIND[cmd.scheme]


def _receiving_relation(
    relations: list[_Relation], agency_code: str, *, kept: bool
) -> _Relation | None:
    """The person's relation at the receiving agency: where they contribute now; for gathering
    a temporary account (归集, 66号 第五条) or a return to the receiving place (第六条), the
    normal relation kept there, contributing or not."""
    statuses = ("contributing", "suspended") if kept else ("contributing",)
    return next(
        (
            r
            for r in relations
            if r.agency_code == agency_code and r.kind == "normal" and r.status in statuses
        ),
        None,
    )


def _application_findings(
    uow: UnitOfWork,
    row: CaseRow,
    person: Person,
    relations: list[_Relation],
    new: _Relation | None,
    old: _Relation | None,
    params: Parameters,
) -> list[Finding]:
    return check_application(
        ApplicationFacts(
            sex=person.sex,
            born=person.birth_date,
            hukou_region=person.hukou_region_code,
            receiving_anywhere=any(r.status == "receiving" for r in relations),
            new_relation=new.facts() if new else None,
            old_relation=old.facts() if old else None,
            gathering=row.kind == "temporary_gathering",
            old_held_elsewhere=old is None
            and not any(r.agency_code == row.counterpart_code for r in relations),
            transferring_region=row.counterpart_region,
            returning_to=_receiving_province(uow, row, person, relations, params)
            if row.kind == RETURN
            else None,
            linkage=_linkage_facts(uow, row, person, params) if row.kind in SOURCE_SCHEME else None,
        ),
        params,
    )


def _linkage_facts(
    uow: UnitOfWork, row: CaseRow, person: Person, params: Parameters
) -> LinkageFacts:
    """What 17号 第三条、第八条 need: the employee statutory retirement month, the employee and
    resident months this node holds (each agency's own records: months an earlier transfer
    brought are counted where they were paid), and benefits in either scheme."""
    retirement = statutory_retirement(
        Category(person.retirement_category.value), YearMonth.of(person.birth_date), params
    ).value
    employee = national_history(uow, row.person_id, "enterprise")
    employee_months = sum(p.months - p.arrears_months for p in employee.periods)
    resident = resident_years(uow, row.person_id)
    receiving = uow.conn.execute(
        select(relationships.c.id).where(
            relationships.c.person_id == row.person_id, relationships.c.status == "receiving"
        )
    ).first()
    return LinkageFacts(
        statutory_month=retirement.statutory_month,
        applied_month=YearMonth.of(row.applied_on),
        decision=scheme_linkage(
            employee_months=employee_months,
            resident_months=12 * len(resident),
            employee_account=Fen(0),
            resident_account=Fen(0),
            already_receiving=False,
        ),
        receiving_either=receiving is not None,
        target_scheme=row.scheme,
    )


def _receiving_province(
    uow: UnitOfWork,
    row: CaseRow,
    person: Person,
    relations: list[_Relation],
    params: Parameters,
) -> Explained[ReceivingPlace]:
    """The pension-receiving province over the person's whole national record (第六条)."""
    temporary = frozenset(
        uow.conn.execute(
            select(agencies.c.id).where(
                agencies.c.code.in_([r.agency_code for r in relations if r.kind == "temporary"])
            )
        ).scalars()
    )
    history = national_history(uow, row.person_id, row.scheme, temporary)
    return receiving_place(person.hukou_region_code, history, params)


def _recheck_application(uow: UnitOfWork, row: CaseRow, params: Parameters) -> list[Finding]:
    person = repo.get_person(uow, row.id_number)
    assert person is not None
    relations = _relations(uow, row.person_id, row.scheme)
    gathering = row.kind == "temporary_gathering"
    linkage = row.kind in SOURCE_SCHEME
    kept = gathering or linkage or row.kind == RETURN
    new = _receiving_relation(relations, row.agency_code, kept=kept)
    if linkage:  # the relation that moves is in the other scheme
        relations = relations + _relations(uow, row.person_id, SOURCE_SCHEME[row.kind])
    old = next(
        (
            r
            for r in relations
            if r.agency_code == row.counterpart_code
            and (not linkage or r.scheme == SOURCE_SCHEME[row.kind])
            and r.kind == ("temporary" if gathering else "normal")
            and r.status in ("suspended", "contributing", "receiving")
        ),
        None,
    )  # fmt: skip
    return _application_findings(uow, row, person, relations, new, old, params)


Action = Callable[..., Any]


def _review(
    uow: UnitOfWork,
    row: CaseRow,
    findings: list[Finding],
    params: Parameters,
    *,
    go: Action,
    stop: Action,
) -> None:
    """Automatic review where the agency allows it; otherwise the operator queue."""
    blocking = [f.as_message() for f in findings if f.blocking]
    review = [f.as_message() for f in findings if not f.blocking]
    if auto_review(uow, row.agency_id):
        if blocking and not review:
            stop(uow, row.case_id, blocking, params=params)
            return
        if not findings:
            go(uow, row.case_id, params=params)
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


def accept(uow: UnitOfWork, case_id: str, *, params: Parameters, on: dt.date | None = None) -> None:
    """Leg 1 done: the receiving agency agrees and sends the 联系函 to the transferring agency."""
    row = cases.get(uow, case_id, Side.RECEIVING)
    _refuse_blocking(_recheck_application(uow, row, params), case_id)
    on = _on(uow, on)
    case = advance(row.case, "contact_sent", on)
    to = _agency_body(uow, row.agency_code)
    envelope = exchange.send(
        uow,
        sender=row.agency_code,
        receiver=row.counterpart_code,
        document_type=DocumentType.CONTACT_LETTER,
        case_id=case_id,
        body={
            "person": _person_body(row),
            "application_id": case_id,
            "transferring_agency": _agency_body(uow, row.counterpart_code),
            "receiving_agency": to,
            "receiving_bank": _bank(to),
            "direction": row.kind,
            "scheme": row.scheme,
            "applied_on": row.applied_on.isoformat(),
        },
    )
    cases.save(uow, row, case, "contact_sent", document_id=envelope.id, queued=False, reasons=None)
    record(uow, "transfer.accept", "transfer_case", case_id)


def refuse(
    uow: UnitOfWork,
    case_id: str,
    reasons: list[Message],
    *,
    params: Parameters | None = None,
    on: dt.date | None = None,
) -> None:
    """Leg 1 refused (不予受理): the reasons are the written explanation the person reads."""
    _close(uow, case_id, Side.RECEIVING, "refused", "refused", reasons, on, send=False)


def _close(
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
    case = advance(row.case, model_event, _on(uow, on))
    messages = _messages(reasons)
    document_id = None
    if send:
        document_id = exchange.send(
            uow,
            sender=row.agency_code,
            receiver=row.counterpart_code,
            document_type=DocumentType.REFUSAL,
            case_id=row.case_id,
            body={
                "person": _person_body(row),
                "reasons": messages,
                "refused_on": case.history[-1][0].isoformat(),
            },
        ).id
    cases.save(uow, row, case, label, document_id=document_id, queued=False, reasons=messages)
    record(uow, f"transfer.{label}", "transfer_case", case_id, new={"reasons": messages})


def _refuse_blocking(findings: list[Finding], case_id: str) -> None:
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise Conflict(
            "transfer.rule_forbids",
            f"转移案件 {case_id} 不能继续办理：" + "；".join(f.zh for f in blocking),
            f"Transfer case {case_id} cannot go on: " + "; ".join(f.en for f in blocking),
        )


def _messages(reasons: list[Message]) -> list[Message]:
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


# ----------------------------------------------------------------------------- leg 2: send funds


def _on_contact_letter(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    """The transferring agency opens its copy of the case and reviews leg 2."""
    env, body = document.envelope, document.body
    if cases.find(uow, env.case_id, Side.TRANSFERRING) is not None:
        raise Conflict(
            "transfer.letter_twice",
            f"转移案件 {env.case_id} 已收到过联系函。",
            f"Case {env.case_id} already has a contact letter here.",
        )
    person_id = repo.person_id(uow, body["person"]["id_number"])
    person = repo.get_person(uow, body["person"]["id_number"])
    if person_id is None or person is None:
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
    agency_id, agency = cases.agency(uow, env.receiver)
    counterpart_id, counterpart = cases.agency(uow, env.sender)
    today = uow.clock.today()
    applied_on = dt.date.fromisoformat(body.get("applied_on") or today.isoformat())
    wanted = "temporary" if body.get("direction") == "temporary_gathering" else "normal"
    scheme = SOURCE_SCHEME.get(body.get("direction", ""), body.get("scheme", "enterprise"))
    here = [
        r
        for r in _relations(uow, person_id, scheme)
        if r.agency_code == agency.code and r.kind == wanted
    ]
    open_ = [r for r in here if r.status not in ("transferred_out", "terminated")]
    relation = (open_ or here)[-1] if here else None
    case = advance(open_case(env.case_id, min(applied_on, today)), "contact_sent", today)
    cases.create(
        uow,
        case,
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
    row = cases.get(uow, env.case_id, Side.TRANSFERRING)
    cases.event_(uow, row.row_id, "contact_letter_received", today, env.id)
    findings = check_contact_letter(
        relation.facts() if relation else None, person.name, body["person"]["name"]
    )
    _review(uow, row, findings, params, go=send_funds, stop=return_letter)


def send_funds(
    uow: UnitOfWork, case_id: str, *, params: Parameters, on: dt.date | None = None
) -> None:
    """Leg 2 done: compute what moves, reserve it, take the account out, send 信息表 and 划转表."""
    row = cases.get(uow, case_id, Side.TRANSFERRING)
    relation = _relation_of(uow, row)
    _refuse_blocking(check_relation_here(relation.facts() if relation else None), case_id)
    on = _on(uow, on)
    case = advance(row.case, "funds_sent", on)
    from_region = region_of(row.agency_region)
    to_region = region_of(row.counterpart_region)
    body_person = _person_body(row)
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
        body = _info_table(body_person, on, amount, pooled, pooled_note)
        portions, months = dict(amount.account), amount.counted_months
    account = sum(portions.values())
    key = case_id if pooled + account > 0 else None
    if key is not None:
        ledger.reserve(uow, key, from_region, to_region, pooled, account, on)
        journal_id = uow.conn.execute(
            select(pending_transfers.c.reserve_journal_id).where(
                pending_transfers.c.transfer_key == key
            )
        ).scalar_one()
        _account_entries(
            uow, row, from_region, portions, -1, "transfer_out", on, journal_id, case_id
        )
    info = exchange.send(
        uow,
        sender=row.agency_code,
        receiver=row.counterpart_code,
        document_type=DocumentType.INFO_TABLE,
        case_id=case_id,
        body=body,
    )
    from_bank = _bank(_agency_body(uow, row.agency_code))
    to_bank = _bank(_agency_body(uow, row.counterpart_code))
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
        ],
        "funds": {
            "account": {p.value: v for p, v in amount.account.items() if v},
            "pooled": pooled,
            "total": pooled + amount.account_total,
        },
    }
    deemed = amount.counted_months - sum(y.months for y in amount.years)
    if deemed > 0:
        body["deemed_months"] = deemed
    if amount.exclusions:
        body["exclusions"] = [_exclusion_message(e.reason, e.months) for e in amount.exclusions]
    return body


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
    _close(uow, case_id, Side.TRANSFERRING, "voided", "returned", reasons, on, send=True)


# ----------------------------------------------------------------------------- leg 3: complete


def _on_funds_document(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    """An 信息表 or 基金划转表 arrived; when both have, leg 3 starts and is reviewed."""
    env = document.envelope
    row = cases.get(uow, env.case_id, Side.RECEIVING)
    today = uow.clock.today()
    cases.event_(uow, row.row_id, f"{env.type.value}_received", today, env.id)
    info, slip = _funds_documents(uow, env.case_id, env.receiver)
    if info is None or slip is None or row.state is not State.CONTACT_SENT:
        return  # the other one has not come yet, or this one came again on paper
    case = advance(row.case, "funds_sent", today)
    funds = info.body["funds"]
    cases.save(
        uow,
        row,
        case,
        "funds_received",
        pooled=funds["pooled"],
        account=funds["total"] - funds["pooled"],
        months=sum(y["months"] for y in info.body["years"]) + info.body.get("deemed_months", 0),
        transfer_key=None
        if slip.body["transfer_key"].startswith("none:")
        else slip.body["transfer_key"],
    )
    row = cases.get(uow, env.case_id, Side.RECEIVING)
    _review(uow, row, _funds_findings(uow, row, info, slip), params, go=complete, stop=return_funds)


def _funds_documents(
    uow: UnitOfWork, case_id: str, receiver: str
) -> tuple[Document | None, Document | None]:
    found: dict[str, Document] = {}
    for payload, type_ in uow.conn.execute(
        select(inbox.c.payload, inbox.c.type).where(
            inbox.c.case_id == case_id,
            inbox.c.receiver == receiver,
            inbox.c.type.in_([DocumentType.INFO_TABLE.value, DocumentType.FUND_SLIP.value]),
        )
    ):
        found[type_] = decode(payload.encode()).document
    return found.get(DocumentType.INFO_TABLE.value), found.get(DocumentType.FUND_SLIP.value)


def _funds_findings(uow: UnitOfWork, row: CaseRow, info: Document, slip: Document) -> list[Finding]:
    funds = info.body["funds"]
    reserved: int | None = 0  # nothing in transit for this case
    if row.transfer_key is not None:
        pending = uow.conn.execute(
            select(pending_transfers).where(pending_transfers.c.transfer_key == row.transfer_key)
        ).first()
        if pending is None:
            reserved = None  # reserved on the sending agency's node: its signed slip is the advice
        elif pending.state == "pending":
            reserved = int(pending.pooled_amount + pending.account_amount)
    return check_funds(
        FundsFacts(
            info_total=funds["total"],
            info_account=sum(funds["account"].values()),
            info_pooled=funds["pooled"],
            slip_total=slip.body["total"],
            reserved_total=reserved,
            same_person=info.body["person"]["id_number"] == row.id_number,
            duplicate_months=tuple(
                f"{p // 100}-{p % 100:02d}" for p in _duplicates(uow, row, info)
            ),
        )
    )


def _incoming_months(info: Document) -> list[tuple[int, int]]:
    """(line index, YYYYMM) of every paid month the 信息表 brings. A year line is paid from its
    first month for ``months`` months (unpaid months make lines of their own, with 0 months)."""
    out = []
    for i, y in enumerate(info.body["years"]):
        start = YearMonth.parse(y["from"])
        out += [(i, start.plus(k).year * 100 + start.plus(k).month) for k in range(y["months"])]
    return out


def _duplicates(uow: UnitOfWork, row: CaseRow, info: Document) -> list[int]:
    """Months paid here that the 信息表 brings again (重复缴费), YYYYMM, sorted. (A linkage
    joins two schemes: their overlap is 17号 第七条's, settled in :func:`_linkage_overlap`.)"""
    if row.kind in SOURCE_SCHEME:
        return []
    here = paid_months(uow, row.person_id, row.scheme, row.agency_id)
    return sorted({p for _, p in _incoming_months(info) if p in here})


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
        advance(row.case, "completed", _on(uow, on))  # raises, naming the state (作废, 已办结…)
    info, slip = _funds_documents(uow, case_id, row.agency_code)
    if info is None or slip is None or row.state is not State.FUNDS_SENT:
        raise Conflict(
            "transfer.out_of_order",
            f"转移案件 {case_id} 尚未收到信息表和基金划转表。",
            f"Case {case_id} has not received the info table and the fund slip.",
        )
    _refuse_blocking(_funds_findings(uow, row, info, slip), case_id)
    duplicates = _duplicates(uow, row, info)
    if duplicates and keep not in KEEP:
        raise InvalidInput(
            "transfer.keep_required",
            f"有{len(duplicates)}个月重复缴费，须先与本人协商确定保留哪一方：本地（here）或转入（transferred）。",
            f"{len(duplicates)} months were paid twice: agree with the person which side to keep, "
            "here or transferred, and say so.",
            field="keep",
        )
    on = _on(uow, on)
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
        _account_entries(uow, row, to_region, portions, 1, "transfer_in", on, journal_id, case_id)
    cleared_lines: dict[int, int] = {}
    if duplicates:
        cleared_lines = _clear_duplicates(uow, row, info, set(duplicates), keep, on, params)
    for i, y in enumerate(info.body["years"]):
        uow.conn.execute(
            insert(transferred_years).values(
                case_row_id=row.row_id,
                person_id=row.person_id,
                scheme=row.scheme,
                agency_id=row.agency_id,
                year=y["year"],
                region_code=y["region_code"],
                from_period=_period_int(y["from"]),
                to_period=_period_int(y["to"]),
                # 17号 第五条: resident years do not become employee years
                months=0
                if row.kind == "linkage_to_employee"
                else y["months"] - cleared_lines.get(i, 0),
                base=y["base"],
                rate=y["rate"],
                pooled=y["pooled"],
                kind=y.get("kind", "employee"),
            )
        )
    months = (
        sum(y["months"] for y in info.body["years"])
        + info.body.get("deemed_months", 0)
        - sum(cleared_lines.values())
    )
    if row.kind in SOURCE_SCHEME:
        _linkage_overlap(uow, row, info, on)
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
            "person": _person_body(row),
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


def _clear_duplicates(
    uow: UnitOfWork,
    row: CaseRow,
    info: Document,
    duplicates: set[int],
    keep: str | None,
    on: dt.date,
    params: Parameters,
) -> dict[int, int]:
    """先转后清 (人社部发〔2009〕187号 意见三; 70号 第十条): clear the side not kept for the
    duplicate months — recorded in ``cleared_months`` so they count once everywhere — and refund
    that side's personal-account credits for them to the person (account fund → bank). Returns
    the months cleared per 信息表 line (when the transferred side is cleared).

    Kept here: the transferred months' credits are the line's base × the account share in force
    (8% from 2006, 11% 1998–2005) — DERIVED, the 信息表 carries no monthly credits, and their
    interest is not refunded. Kept transferred: this agency's own credits for those months,
    exact."""
    refunds: dict[Portion, int] = {}
    cleared: list[dict[str, int]] = []
    per_line: dict[int, int] = {}
    if keep == "here":
        whose = row.counterpart_id
        for line, period in _incoming_months(info):
            if period not in duplicates:
                continue
            ym = YearMonth(period // 100, period % 100)
            share = params.account_share(ym).value
            amount = int(round_to_fen(Decimal(info.body["years"][line]["base"]) * share))
            refunds[Portion.of(ym)] = refunds.get(Portion.of(ym), 0) + amount
            cleared.append({"period": period, "refund": amount})
            per_line[line] = per_line.get(line, 0) + 1
        zh_keep, en_keep = "保留本地缴费，转入的重复月份不计", "kept the months paid here"
    else:
        whose = row.agency_id
        here = paid_months(uow, row.person_id, row.scheme, row.agency_id)
        for period in sorted(duplicates):
            ym = YearMonth(period // 100, period % 100)
            refunds[Portion.of(ym)] = refunds.get(Portion.of(ym), 0) + here[period]
            cleared.append({"period": period, "refund": here[period]})
        zh_keep, en_keep = "保留转入的缴费，本地重复月份不计", "kept the transferred months"
    uow.conn.execute(
        insert(cleared_months),
        [
            {
                "case_row_id": row.row_id, "person_id": row.person_id, "scheme": row.scheme,
                "agency_id": whose, **c,
            }
            for c in cleared
        ],
    )  # fmt: skip
    total = sum(refunds.values())
    region = region_of(row.agency_region)
    journal_id = None
    if total:
        journal_id = ledger.post(
            uow,
            Journal(
                "duplicate_refund",
                f"duplicate:{row.case_id}",
                on,
                f"先转后清 {row.case_id}: 重复缴费{len(duplicates)}个月个人账户储存额退还本人",
                (debit(region, Account.ACCOUNT_FUND, total), credit(region, Account.BANK, total)),
            ),
        )
    _account_entries(  # paid out to the person; the contribution records themselves stand
        uow, row, region, refunds, -1, "payout", on, journal_id, row.case_id,
        source=f"duplicate:{row.case_id}",
    )  # fmt: skip
    cases.notice(
        uow,
        row.row_id,
        {
            "code": "transfer.duplicate_refund",
            "zh": f"重复缴费{len(duplicates)}个月按“先转后清”清理：{zh_keep}；另一方同期个人账户储存额"
            f"{format_yuan(Fen(total))}元退还本人，缴费年限不重复计算（人社部发〔2009〕187号 意见三）。",
            "en": f"{len(duplicates)} months paid twice, settled 'transfer first, then clear': "
            f"{en_keep}; the other side's account credits for them, {format_yuan(Fen(total))} "
            "yuan, are refunded and the months count once (人社部发〔2009〕187号 意见三).",
        },
    )
    record(
        uow, "transfer.duplicates_cleared", "transfer_case", row.case_id,
        new={"keep": keep, "months": sorted(duplicates), "refund": total},
    )  # fmt: skip
    return per_line


def _linkage_overlap(uow: UnitOfWork, row: CaseRow, info: Document, on: dt.date) -> None:
    """17号 第七条: months paid in both schemes count for the employee scheme only; the resident
    scheme's individual and collective payments for them are refunded to the person, by month
    (policy.linkage.overlap_refund), out of the account here. Returns the months that overlap."""
    lines = info.body["years"]
    if row.kind == "linkage_to_resident":  # employee years come in; resident years are here
        employee = {YearMonth(p // 100, p % 100) for _, p in _incoming_months(info)}
        resident = [
            PolicyResidentYear(y.year, Fen(y.individual), Fen(y.collective))
            for y in resident_years(uow, row.person_id, row.agency_id)
        ]
        resident_agency = row.agency_id
    else:  # resident years come in; the employee years are here, paid or brought by transfers
        employee = {
            YearMonth(p // 100, p % 100)
            for p in paid_months(uow, row.person_id, "enterprise", row.agency_id)
        }
        for first, last in uow.conn.execute(
            select(transferred_years.c.from_period, transferred_years.c.to_period).where(
                transferred_years.c.person_id == row.person_id,
                transferred_years.c.scheme == "enterprise",
                transferred_years.c.agency_id == row.agency_id,
                transferred_years.c.months > 0,
            )
        ):
            start, end = YearMonth(first // 100, first % 100), YearMonth(last // 100, last % 100)
            employee |= {YearMonth.from_index(i) for i in range(start.index, end.index + 1)}
        resident = [
            PolicyResidentYear(y["year"], Fen(y.get("individual", 0)), Fen(y.get("collective", 0)))
            for y in lines
            if y.get("kind") == "resident"
        ]
        resident_agency = row.counterpart_id
    refund = overlap_refund(employee, resident)
    result = refund.value
    if not result.months:
        return
    region = region_of(row.agency_region)
    cleared = []
    for year, (count, amount) in sorted(result.by_year.items()):
        months = sorted(m for m in employee if m.year == year)
        share, rest = divmod(int(amount), count)
        for i, m in enumerate(months):
            cleared.append(
                {"period": m.year * 100 + m.month, "refund": share + (rest if i == 0 else 0)}
            )
    uow.conn.execute(
        insert(cleared_months),
        [
            {
                "case_row_id": row.row_id, "person_id": row.person_id, "scheme": "resident",
                "agency_id": resident_agency, **c,
            }
            for c in cleared
        ],
    )  # fmt: skip
    journal_id = ledger.post(
        uow,
        Journal(
            "linkage_refund",
            f"linkage-refund:{row.case_id}",
            on,
            f"城乡衔接 {row.case_id}: 重复缴费{result.months}个月城乡居民个人缴费和集体补助退还本人",
            (
                debit(region, Account.ACCOUNT_FUND, int(result.refund)),
                credit(region, Account.BANK, int(result.refund)),
            ),
        ),
    )
    _account_entries(
        uow, row, region, {Portion.FROM_2006: result.refund}, -1, "payout", on, journal_id,
        row.case_id, source=f"linkage-refund:{row.case_id}",
    )  # fmt: skip
    steps = refund.explanation.steps
    cases.notice(
        uow,
        row.row_id,
        {
            "code": "linkage.overlap_refund",
            "zh": "".join(step.zh for step in steps) + "（人社部发〔2014〕17号 第七条）",
            "en": " ".join(step.en for step in steps) + " (人社部发〔2014〕17号 第七条)",
        },
    )


def _period_int(text: str) -> int:
    ym = YearMonth.parse(text)
    return ym.year * 100 + ym.month


def open_temporary_account(
    uow: UnitOfWork, case_id: str, *, params: Parameters, on: dt.date | None = None
) -> None:
    """Leg 1, when the rule of 66号 第五条（二） applies and no exception does: the relation here
    becomes a temporary account (建立临时缴费账户), the application is refused in writing with
    that reason, and the old place keeps the relation. The account is gathered later
    (归集: apply again, from this agency, to the place that keeps the relation)."""
    row = cases.get(uow, case_id, Side.RECEIVING)
    findings = _recheck_application(uow, row, params) if row.state is State.APPLIED else []
    if "transfer.temporary_account_due" not in {f.code for f in findings}:
        raise Conflict(
            "transfer.no_temporary_account_due",
            f"转移案件 {case_id} 不属于应建立临时缴费账户的情形（或已不在受理环节）。",
            f"Case {case_id} is not one where a temporary account is due (or is past leg 1).",
        )
    assert row.relationship_id is not None
    make_temporary(uow, row.relationship_id, reason=f"建立临时缴费账户，转移案件{case_id}")
    reason = next(f for f in findings if f.code == "transfer.temporary_account_due")
    refuse(
        uow,
        case_id,
        [
            {
                "code": "transfer.temporary_account_opened",
                "zh": "已在本地建立临时基本养老保险缴费账户，原参保地继续保留基本养老保险关系，"
                "本次不办理转移（国办发〔2009〕66号 第五条（二））。再次流动或达到待遇领取条件时归集。",
                "en": "A temporary account was opened here and the old place keeps the relation; "
                "no transfer now (国办发〔2009〕66号 第五条（二）). It is gathered on the next move "
                "or at retirement.",
            },
            reason.as_message(),
        ],
        on=on,
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
    _close(uow, case_id, Side.RECEIVING, "voided", "returned", reasons, on, send=True)


def _on_refusal(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    env = document.envelope
    today = uow.clock.today()
    reasons = list(document.body["reasons"])
    mine = cases.find(uow, env.case_id, Side.RECEIVING)
    if mine is not None and mine.agency_code == env.receiver:
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
    _void_reservation(uow, row, today)
    cases.save(uow, row, case, "returned_by_counterpart", document_id=env.id, reasons=reasons)


def _void_reservation(uow: UnitOfWork, row: CaseRow, today: dt.date) -> None:
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
    _account_entries(
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


def _funds_overdue_days(row: CaseRow, today: dt.date, params: Parameters) -> int:
    """Working days the receiving agency is past its leg-3 deadline (0 if not past it)."""
    found = leg_clock(
        row.case,
        today,
        int(params.transfer("leg_working_days").value),
        lambda d, n: add_workdays(d, n, params).value,
        lambda a, b: working_days_between(a, b, params),
    )
    if found is None or found.leg != 3 or found.working_days_left is None:
        return 0
    return max(0, -found.working_days_left)


@dataclass(frozen=True, slots=True)
class TimeoutReport:
    voided: list[str]
    # cases whose deadline cannot be computed (say, next year's holidays are not loaded yet):
    # left as they are, named so an operator can load the calendar
    undetermined: list[str]


def void_overdue(
    engine: Engine, clock: Clock, params: Parameters, *, agency_code: str | None = None
) -> TimeoutReport:
    """The timeout sweep (run daily): each case whose money has waited in transit longer than
    the receiving agency's leg-3 deadline plus ``funds_void_after_working_days`` (a sample
    parameter: no national rule fixes it) is voided by the transferring agency — the pending
    ledger transfer voided, the account put back — and the receiving agency is told in writing,
    so the person can apply again. One transaction per case; a case the receiving agency
    completed meanwhile is left alone (the ledger posts or voids a transfer once)."""
    grace = int(params.transfer("funds_void_after_working_days").value)
    due, undetermined = [], []
    with UnitOfWork(engine, clock, "transfer-timeouts") as uow:
        today = uow.clock.today()
        conditions = [
            transfer_cases.c.side == Side.TRANSFERRING.value,
            transfer_cases.c.state == "funds_sent",
        ]
        if agency_code is not None:
            agency_id, _ = cases.agency(uow, agency_code)
            conditions.append(transfer_cases.c.agency_id == agency_id)
        for row in cases.rows_where(uow, *conditions):
            try:
                if _funds_overdue_days(row, today, params) > grace:
                    due.append(row.case_id)
            except ParameterMissing:
                undetermined.append(row.case_id)
    voided = []
    for case_id in due:
        with UnitOfWork(engine, clock, "transfer-timeouts") as uow:
            row = cases.get(uow, case_id, Side.TRANSFERRING)
            late = _funds_overdue_days(row, uow.clock.today(), params)
            if row.case.state.value != "funds_sent" or late <= grace:
                continue
            state = uow.conn.execute(
                select(pending_transfers.c.state).where(
                    pending_transfers.c.transfer_key == row.transfer_key
                )
            ).scalar()
            if state not in (None, "pending"):
                continue  # posted by the receiving agency: its 办结通知 is on the way
            reasons: list[Message] = [
                {
                    "code": "transfer.funds_timeout",
                    "zh": f"转入地超过办结时限{late}个工作日仍未办结（逾期{grace}个工作日即作废），"
                    "转出地已收回资金并恢复个人账户，本次转移作废；参保人员可重新申请。",
                    "en": f"The receiving agency is {late} working days past its deadline (the "
                    f"limit is {grace}); the transferring agency took the money back and restored "
                    "the account, and this transfer is void. The person may apply again.",
                }
            ]
            _void_reservation(uow, row, uow.clock.today())
            _close(uow, case_id, Side.TRANSFERRING, "voided", "timed_out", reasons, None, send=True)
            uow.commit()
            voided.append(case_id)
    return TimeoutReport(voided, undetermined)


def _on_completion(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    """The receiving agency completed: the old relationship is 转出, pointing to the case."""
    env = document.envelope
    row = cases.get(uow, env.case_id, Side.TRANSFERRING)
    today = uow.clock.today()
    case = advance(row.case, "completed", today)
    if row.transfer_key is not None:
        ledger.post_transfer(uow, row.transfer_key, today)  # this agency's half: money left
    relation = _relation_of(uow, row)
    if relation is not None and relation.status not in ("transferred_out", "terminated"):
        change_relationship_status(
            uow,
            relation.id,
            RelationshipStatus.TRANSFERRED_OUT,
            changed_on=today,
            reason=f"转移接续办结，案件{row.case_id}",
        )
    cases.save(uow, row, case, "completed", document_id=env.id)


def _on_correction_request(uow: UnitOfWork, document: Document, params: Parameters) -> None:
    env = document.envelope
    for side in Side:
        row = cases.find(uow, env.case_id, side)
        if row is not None and row.agency_code == env.receiver:
            items = "；".join(i["zh"] for i in document.body["items"])
            cases.event_(
                uow, row.row_id, "correction_request_received", uow.clock.today(), env.id, items
            )
            return
    raise NotFound(
        "transfer.not_found", f"没有转移案件 {env.case_id}。", f"No transfer case {env.case_id}."
    )


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


# ----------------------------------------------------------------------------- corrections (补正)


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
    on = _on(uow, on)
    case = request_correction(row.case, on)
    messages = _messages(items)
    document_id = None
    if row.state is not State.APPLIED:
        document_id = exchange.send(
            uow,
            sender=row.agency_code,
            receiver=row.counterpart_code,
            document_type=DocumentType.CORRECTION_REQUEST,
            case_id=case_id,
            body={"person": _person_body(row), "items": messages, "requested_on": on.isoformat()},
        ).id
    cases.save(
        uow,
        row,
        case,
        "correction_requested",
        document_id=document_id,
        note="；".join(m["zh"] for m in messages),
        reasons=messages,
    )


def correction_supplied(
    uow: UnitOfWork, case_id: str, *, params: Parameters, on: dt.date | None = None
) -> None:
    """The material arrived: the clock runs again, extended by the working days it waited."""
    row = _owing_row(uow, case_id)
    case = correction_received(
        row.case, _on(uow, on), lambda a, b: working_days_between(a, b, params)
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


# ----------------------------------------------------------------------------- helpers


def _on(uow: UnitOfWork, on: dt.date | None) -> dt.date:
    day = on or uow.clock.today()
    if day > uow.clock.today():
        raise InvalidInput(
            "transfer.date_future", "办理日期不能晚于今天。", "The date cannot be in the future.",
            field="on",
        )  # fmt: skip
    return day


def _relation_of(uow: UnitOfWork, row: CaseRow) -> _Relation | None:
    if row.relationship_id is None:
        return None
    return next(
        (r for r in _relations(uow, row.person_id, row.scheme) if r.id == row.relationship_id),
        None,
    )


def _account_entries(
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
        uow.conn.execute(insert(account_entries), entries)


def _person_body(row: CaseRow) -> dict[str, str]:
    return {"id_number": row.id_number, "name": row.name}


def _agency_body(uow: UnitOfWork, code: str) -> dict[str, str]:
    agency = cases.agency(uow, code)[1]
    return {
        "code": agency.code,
        "name": agency.name,
        "region_code": agency.region_code or "000000",
        "phone": agency.contact.phone,
        "address": agency.contact.address,
    }


def _bank(agency: dict[str, str]) -> dict[str, str]:
    """The fund account that receives transfers. SAMPLE: agencies do not publish their bank
    accounts in the directory yet, so a placeholder marked 样例 is sent."""
    return {
        "account_name": f"{agency['name']}社会保险基金收入户",
        "bank": "样例银行（SAMPLE）",
        "account_number": f"SAMPLE-{agency['code']}",
    }


# ----------------------------------------------------------------------------- the inbox


HANDLERS: dict[DocumentType, Callable[[UnitOfWork, Document, Parameters], None]] = {
    DocumentType.CONTACT_LETTER: _on_contact_letter,
    DocumentType.INFO_TABLE: _on_funds_document,
    DocumentType.FUND_SLIP: _on_funds_document,
    DocumentType.REFUSAL: _on_refusal,
    DocumentType.COMPLETION: _on_completion,
    DocumentType.CORRECTION_REQUEST: _on_correction_request,
}


@dataclass(frozen=True, slots=True)
class InboxReport:
    applied: int
    failed: int


def process_inbox(
    engine: Engine, clock: Clock, params: Parameters, limit: int = 1000
) -> InboxReport:
    """Apply each received document once, oldest first, each in its own transaction with the
    case change it causes. A document that cannot be applied yet (say, it arrived before the
    one it answers) stays in the inbox with the reason and is tried again next time."""
    with engine.connect() as conn:
        pending = conn.execute(
            select(inbox.c.document_id, inbox.c.payload)
            .where(inbox.c.applied_at.is_(None))
            .order_by(inbox.c.received_at, inbox.c.document_id)
            .limit(limit)
        ).all()
    applied = failed = 0
    for document_id, payload in pending:
        document = decode(payload.encode()).document
        try:
            with UnitOfWork(engine, clock, f"agency:{document.envelope.receiver}") as uow:
                claimed = uow.conn.execute(
                    update(inbox)
                    .where(inbox.c.document_id == document_id, inbox.c.applied_at.is_(None))
                    .values(applied_at=clock.now(), apply_error=None)
                ).rowcount
                if claimed != 1:
                    continue  # another worker applied it
                handler = HANDLERS.get(document.envelope.type)
                if handler is not None:
                    handler(uow, document, params)
                uow.commit()
                applied += 1
        except DomainError as exc:
            failed += 1
            with engine.begin() as conn:
                conn.execute(
                    update(inbox)
                    .where(inbox.c.document_id == document_id)
                    .values(apply_error=f"{exc.code}: {exc.en}"[:300])
                )
    return InboxReport(applied, failed)


@dataclass(frozen=True, slots=True)
class PumpReport:
    delivered: int
    applied: int
    failed: int


def pump(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    transport: exchange.Transport | None = None,
    rounds: int = 20,
) -> PumpReport:
    """Deliver the outbox and apply the inbox until nothing moves (local delivery by default)."""
    transport = transport or exchange.LocalTransport(engine, clock)
    delivered = applied = failed = 0
    for _ in range(rounds):
        sent = exchange.deliver(engine, clock, transport)
        done = process_inbox(engine, clock, params)
        delivered += sent.delivered
        applied += done.applied
        failed += done.failed
        if sent.delivered == 0 and done.applied == 0:
            break
    return PumpReport(delivered, applied, failed)
