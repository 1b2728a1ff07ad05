"""Leg 1 at the receiving agency: the application, its kind, the rules that apply to it, and the
联系函 (or a written refusal, or a temporary account instead, 66号 第五条（二）)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from jinbao.audit.service import record
from jinbao.contributions.service.resident import resident_years
from jinbao.db.driver import DriverRead
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.model import DocumentType
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.explain import Explained
from jinbao.policy.linkage import scheme_linkage
from jinbao.policy.parameters import Parameters
from jinbao.policy.receiving_place import ReceivingPlace, receiving_place
from jinbao.policy.retirement import Category, statutory_retirement
from jinbao.registry import repository as repo
from jinbao.registry.model import Agency, Person
from jinbao.registry.service.persons import registered_person
from jinbao.registry.service.relationships import make_temporary
from jinbao.registry.tables import agencies, relationships
from jinbao.transfers import cases
from jinbao.transfers.cases import CaseRow, Side
from jinbao.transfers.model import (
    State,
    advance,
    open_case,
)
from jinbao.transfers.records import (
    national_history,
)
from jinbao.transfers.review import (
    Message,
    agency_bodies,
    bank,
    close,
    on_date,
    person_body,
    refuse_blocking,
    review,
)
from jinbao.transfers.rules import (
    ApplicationFacts,
    Finding,
    LinkageFacts,
    RelationFacts,
    check_application,
)


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
    person_id, person = registered_person(uow, cmd.id_number)
    applied_on = cmd.applied_on or uow.clock.today()
    if applied_on > uow.clock.today():
        raise InvalidInput(
            "transfer.applied_future",
            "申请日期不能晚于今天。",
            "The application date cannot be in the future.",
            field="applied_on",
        )
    # The receiving agency is read with the transferring one, once the relations name it (one
    # statement, session 32); an unknown receiving agency is still the first thing said.
    to_code = cmd.to_agency.strip().upper()
    relations = relations_of(uow, person_id, cmd.scheme)
    linkage = _linkage_kind(cmd)
    # a linkage moves the relation of the other scheme, kept at another agency or at this one
    # (a case between the agency and itself); a transfer, one of the same scheme from elsewhere
    sources = relations_of(uow, person_id, SOURCE_SCHEME[linkage]) if linkage else relations
    candidates = [
        r
        for r in sources
        if (linkage or r.agency_code != to_code)
        and r.status in ("suspended", "contributing", "receiving")
        and (cmd.from_agency is None or r.agency_code == cmd.from_agency.strip().upper())
    ]
    candidates = one_per_agency(candidates)
    refusal = _no_single_source(cmd, candidates)
    if refusal is not None:
        cases.agency(uow, to_code)  # an unknown receiving agency is what is said first
        raise refusal
    # No relation here at the named agency: its records are held on another node (or nowhere);
    # the transferring agency checks its own relation at leg 2 and returns the letter if none.
    old = candidates[0] if candidates else None
    gathering = old is not None and old.kind == "temporary"
    kept = gathering or cmd.kind in (RETURN, LINKAGE)
    new = _receiving_relation(relations, to_code, kept=kept)
    (to_id, to_agency), (from_id, from_agency) = cases.named_agencies(
        uow, to_code, old.agency_code if old else cmd.from_agency or ""
    )
    if cases.open_receiving(uow, person_id, cmd.scheme) is not None:
        raise Conflict(
            "transfer.already_open",
            "该参保人员已有正在办理的转移接续申请，请等待办结后再申请。",
            "The person already has a transfer in progress; wait for it to finish.",
        )
    case_id = f"ZY{applied_on:%Y%m%d}{uuid.uuid4().hex[:10].upper()}"
    row = cases.create(
        uow,
        open_case(case_id, applied_on),
        agency=to_agency,
        counterpart=from_agency,
        person=person,
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
        new={"row": row.row_id, **_application_dict(cmd)},
    )
    known = relations if sources is relations else relations + sources
    findings = _application_findings(uow, row, person, known, new, old, params)
    review(uow, row, findings, params, go=lambda: _accept(uow, row, on=None), stop=refuse)
    return case_id


def _no_single_source(cmd: Application, found: list[Relation]) -> InvalidInput | None:
    """Why the relations kept elsewhere (:func:`one_per_agency` of them) name no one place to
    transfer from, or None."""
    if not found and cmd.from_agency is None:
        return InvalidInput(
            "transfer.nothing_to_transfer",
            "未找到可转出的参保关系：原参保地没有该参保人员保留的参保关系。"
            "如原参保地的记录不在本系统，请指明转出地经办机构。",
            "There is no relation to transfer: no other agency here keeps one for this person. "
            "If the old place's records are held elsewhere, name the transferring agency.",
            field="from_agency",
        )
    places = sorted({r.agency_code for r in found})
    if len(found) > 1 and len(places) == 1:
        # Found by the synthetic nation: such a person was asked to name the transferring
        # agency, and asked again when they had.
        return InvalidInput(
            "transfer.relation_and_temporary_account",
            f"经办机构{places[0]}同时保留该参保人员的基本养老保险关系和临时缴费账户，"
            "本系统暂不支持从这样的经办机构转移，请与该经办机构联系人工办理。",
            f"Agency {places[0]} keeps both a relation and a temporary account of the person; "
            "transferring from such an agency is not supported yet. Contact that agency to "
            "handle it by hand.",
            field="from_agency",
        )
    if len(found) > 1:
        return InvalidInput(
            "transfer.choose_from_agency",
            "该参保人员在多地保留参保关系或临时缴费账户，请指明转出地经办机构："
            + "、".join(places),
            "The person keeps relations or temporary accounts at several places; name the "
            "transferring agency: " + ", ".join(places),
            field="from_agency",
        )
    return None


def _application_dict(cmd: Application) -> dict[str, object]:
    return {
        "id_number": cmd.id_number,
        "to_agency": cmd.to_agency,
        "from_agency": cmd.from_agency,
        "scheme": cmd.scheme,
        "applied_on": cmd.applied_on,
    }


@dataclass(frozen=True, slots=True)
class Relation:
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


_RELATIONS = (  # built once: read several times in every transfer
    select(
        relationships.c.id,
        agencies.c.code,
        agencies.c.region_code,
        relationships.c.kind,
        relationships.c.status,
        relationships.c.started_on,
    )
    .join(agencies, agencies.c.id == relationships.c.agency_id)
    .where(
        relationships.c.person_id == bindparam("person_id"),
        relationships.c.scheme == bindparam("scheme"),
    )
    .order_by(relationships.c.id)
)


_READ_RELATIONS = DriverRead(_RELATIONS)  # on the driver's cursor (jinbao.db.driver)


def relations_of(uow: UnitOfWork, person_id: int, scheme: str) -> list[Relation]:
    rows = _READ_RELATIONS.all(uow.conn, {"person_id": person_id, "scheme": scheme})
    return [Relation(r[0], r[1], r[2] or "000000", r[3], r[4], r[5], scheme) for r in rows]


def one_per_agency(relations: list[Relation]) -> list[Relation]:
    """Relations kept at one agency are one relation to transfer: a person who changed
    employers there has a relation per employer, but one 参保 history at that agency, which moves
    whole (the latest relation stands for it; at completion all of them are 转出)."""
    latest: dict[tuple[str, str], Relation] = {}
    for r in relations:
        key = (r.agency_code, r.kind)
        if key not in latest or (r.started_on, r.id) > (latest[key].started_on, latest[key].id):
            latest[key] = r
    return sorted(latest.values(), key=lambda r: r.id)


def relation_of(
    uow: UnitOfWork, row: CaseRow, relations: list[Relation] | None = None
) -> Relation | None:
    """The relation the case moves, among ``relations`` if the caller has read them."""
    if row.relationship_id is None:
        return None
    if relations is None:
        relations = relations_of(uow, row.person_id, row.scheme)
    return next((r for r in relations if r.id == row.relationship_id), None)


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
    relations: list[Relation], agency_code: str, *, kept: bool
) -> Relation | None:
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
    relations: list[Relation],
    new: Relation | None,
    old: Relation | None,
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
            kept_in_new_province=new is not None
            and any(
                r.kind == "normal"
                and r.status in ("contributing", "suspended")  # kept, not moved away
                and r.id != new.id
                and r.region_code[:2] == new.region_code[:2]
                and r.started_on < new.started_on
                for r in relations
            ),
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
    relations: list[Relation],
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


def recheck_application(uow: UnitOfWork, row: CaseRow, params: Parameters) -> list[Finding]:
    person = repo.get_person(uow, row.id_number)
    assert person is not None
    relations = relations_of(uow, row.person_id, row.scheme)
    gathering = row.kind == "temporary_gathering"
    linkage = row.kind in SOURCE_SCHEME
    kept = gathering or linkage or row.kind == RETURN
    new = _receiving_relation(relations, row.agency_code, kept=kept)
    if linkage:  # the relation that moves is in the other scheme
        relations = relations + relations_of(uow, row.person_id, SOURCE_SCHEME[row.kind])
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


def accept(uow: UnitOfWork, case_id: str, *, params: Parameters, on: dt.date | None = None) -> None:
    """Leg 1 done: the receiving agency agrees and sends the 联系函 to the transferring agency."""
    row = cases.get(uow, case_id, Side.RECEIVING)
    refuse_blocking(recheck_application(uow, row, params), case_id)
    _accept(uow, row, on=on)


def _accept(uow: UnitOfWork, row: CaseRow, *, on: dt.date | None) -> None:
    """:func:`accept`'s work, once the case is in hand and nothing blocks."""
    case_id = row.case_id
    on = on_date(uow, on)
    case = advance(row.case, "contact_sent", on)
    to, transferring = agency_bodies(uow, row.agency_code, row.counterpart_code)
    envelope = exchange.send(
        uow,
        sender=row.agency_code,
        receiver=row.counterpart_code,
        document_type=DocumentType.CONTACT_LETTER,
        case_id=case_id,
        body={
            "person": person_body(row),
            "application_id": case_id,
            "transferring_agency": transferring,
            "receiving_agency": to,
            "receiving_bank": bank(to),
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
    close(uow, case_id, Side.RECEIVING, "refused", "refused", reasons, on, send=False)


def open_temporary_account(
    uow: UnitOfWork, case_id: str, *, params: Parameters, on: dt.date | None = None
) -> None:
    """Leg 1, when the rule of 66号 第五条（二） applies and no exception does: the relation here
    becomes a temporary account (建立临时缴费账户), the application is refused in writing with
    that reason, and the old place keeps the relation. The account is gathered later
    (归集: apply again, from this agency, to the place that keeps the relation)."""
    row = cases.get(uow, case_id, Side.RECEIVING)
    findings = recheck_application(uow, row, params) if row.state is State.APPLIED else []
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
