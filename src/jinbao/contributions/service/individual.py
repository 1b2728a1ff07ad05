"""Contributions paid by the person: flexible workers (灵活就业人员) and back-payments (补缴)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    insert,
    select,
)

from jinbao.benefits.deaths import recorded_death
from jinbao.contributions.model import (
    Kind,
    LegalDocument,
    check_lump_sum_document,
    period_int,
)
from jinbao.contributions.service._base import EARLIEST, SCHEME, PostingReport, Rules
from jinbao.contributions.service._lookups import _employers, _slots_of, after_death
from jinbao.contributions.service._writing import record_row, write_batch
from jinbao.contributions.tables import legal_documents
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.kernel.identifiers import parse_resident_id, parse_uscc
from jinbao.kernel.money import Fen, format_yuan
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.model import region_of
from jinbao.policy.contributions import (
    Rates,
    split,
)
from jinbao.policy.parameters import Parameters
from jinbao.registry.service.persons import person_row_id
from jinbao.registry.tables import agencies, relationships


def flexible(
    uow: UnitOfWork,
    id_number: str,
    period: YearMonth,
    base: Fen,
    paid_on: dt.date,
    params: Parameters,
) -> PostingReport:
    """A flexible worker (灵活就业人员) pays both parts on a base they chose within the band."""
    rid = parse_resident_id(id_number, today=uow.clock.today())
    person_id = person_row_id(uow, rid.number)
    relation = uow.conn.execute(
        select(relationships.c.agency_id, agencies.c.region_code)
        .select_from(relationships.join(agencies, relationships.c.agency_id == agencies.c.id))
        .where(
            relationships.c.person_id == person_id,
            relationships.c.scheme == SCHEME,
            relationships.c.status == "contributing",
            relationships.c.employer_id.is_(None),
        )
    ).first()
    if relation is None or relation.region_code is None:
        raise Conflict(
            "contribution.not_flexible",
            "该人员没有以灵活就业身份参保缴费的参保关系。",
            "The person has no contributing relationship as a flexible worker.",
            field="id_number",
        )
    today = uow.clock.today()
    if not EARLIEST <= period <= YearMonth.of(today) or paid_on > today:
        raise InvalidInput(
            "declaration.period",
            "所属期须在1998-01至本月之间，缴费日期不能晚于今天。",
            "The period must be 1998-01 to this month and the payment date not in the future.",
            field="period",
        )
    dead = after_death(rid.number, period, recorded_death(uow, person_id))
    if dead is not None:
        raise Conflict("contribution.after_death", *dead, field="period")
    region = region_of(relation.region_code)
    rules = Rules(params)
    limits = rules.limits(region, period)
    if not limits.floor <= base <= limits.cap:
        raise InvalidInput(
            "contribution.flexible_base",
            f"灵活就业人员缴费基数须在 {format_yuan(limits.floor)} 至 {format_yuan(limits.cap)} 元之间（全口径平均工资的60%至300%）。",
            f"A flexible worker's base must be between {format_yuan(limits.floor)} and {format_yuan(limits.cap)} yuan (60%–300% of the average wage).",
            field="base",
        )
    slot = _slots_of(uow, [person_id], [period_int(period)]).get((person_id, period_int(period)))
    if slot is not None and slot.active:
        raise Conflict(
            "contribution.duplicate_month",
            f"{rid.number}的{period}已有缴费记录。",
            f"{rid.number} already has a record for {period}.",
            field="period",
        )
    batch = f"flexible:{rid.number}:{period}:{slot.next_entry if slot else 0}"
    row = record_row(
        person_id,
        relation.agency_id,
        None,
        region,
        period_int(period),
        slot.next_entry if slot else 0,
        Kind.FLEXIBLE,
        split(base, rules.flexible(period)),
        batch,
        uow.clock.now(),
    )
    return write_batch(uow, "contribution.flexible", batch, [row], paid_on, today)


@dataclass(frozen=True, slots=True)
class BackPayment:
    id_number: str
    start: YearMonth
    end: YearMonth
    wage: Fen
    paid_on: dt.date
    employer_uscc: str | None = None  # None: paid as an individual (flexible worker rates)
    document: LegalDocument | None = None


def back_pay(uow: UnitOfWork, cmd: BackPayment, params: Parameters) -> PostingReport:
    """补缴 past months, at each month's rates; 3 years or more at once is a lump sum that needs
    its legal document (人社厅发〔2019〕94号)."""
    today = uow.clock.today()
    rid = parse_resident_id(cmd.id_number, today=today)
    if cmd.end < cmd.start or cmd.start < EARLIEST or cmd.end >= YearMonth.of(today):
        raise InvalidInput(
            "backpay.period",
            "补缴期间须在1998-01至上月之间，且起止有序。",
            "Back-payment months run from 1998-01 to last month, start before end.",
            field="start",
        )
    if cmd.paid_on > today:
        raise InvalidInput(
            "declaration.paid_on_future",
            "缴费日期不能晚于今天。",
            "The payment date cannot be in the future.",
            field="paid_on",
        )
    months = cmd.start.months_until(cmd.end) + 1
    lump_sum = check_lump_sum_document(months, cmd.paid_on, cmd.document)
    person_id = person_row_id(uow, rid.number)
    employer_id: int | None = None
    if cmd.employer_uscc:
        found = _employers(uow, [parse_uscc(cmd.employer_uscc)]).get(parse_uscc(cmd.employer_uscc))
        if found is None:
            raise NotFound(
                "employer.not_found",
                f"单位{cmd.employer_uscc}未参保登记。",
                f"No employer {cmd.employer_uscc}.",
            )
        employer_id, agency_id, region_code = found
    else:
        relation = uow.conn.execute(
            select(relationships.c.agency_id, agencies.c.region_code)
            .select_from(relationships.join(agencies, relationships.c.agency_id == agencies.c.id))
            .where(relationships.c.person_id == person_id, relationships.c.scheme == SCHEME)
            .order_by(relationships.c.started_on.desc())
        ).first()
        if relation is None:
            raise Conflict(
                "backpay.no_relationship",
                "该人员没有企业职工养老保险参保关系，不能补缴。",
                "The person has no enterprise-scheme relationship to back-pay into.",
            )
        agency_id, region_code = relation.agency_id, relation.region_code
    if region_code is None:
        raise InvalidInput(
            "declaration.no_region", "经办机构没有行政区划，不能征收。", "The agency has no region."
        )
    region = region_of(region_code)
    periods = [cmd.start.plus(i) for i in range(months)]
    dead = after_death(rid.number, cmd.end, recorded_death(uow, person_id))
    if dead is not None:  # the last month tells: the months run in order
        raise Conflict("contribution.after_death", *dead, field="end")
    slots = _slots_of(uow, [person_id], [period_int(p) for p in periods])
    taken = [
        p for p in periods if (s := slots.get((person_id, period_int(p)))) is not None and s.active
    ]
    if taken:
        raise Conflict(
            "contribution.duplicate_month",
            f"以下月份已有缴费记录：{'、'.join(map(str, taken[:12]))}。",
            f"These months already have records: {', '.join(map(str, taken[:12]))}.",
            field="start",
        )
    document_id = None
    if cmd.document is not None:
        document_id = uow.conn.execute(
            insert(legal_documents)
            .values(
                authority=cmd.document.authority.value,
                number=cmd.document.number.strip(),
                issued_on=cmd.document.issued_on,
                created_at=uow.clock.now(),
            )
            .returning(legal_documents.c.id)
        ).scalar_one()
    rules = Rules(params)
    batch = f"backpay:{rid.number}:{cmd.start}:{cmd.end}:{cmd.paid_on}"
    now = uow.clock.now()
    rows = []
    for p in periods:
        limits = rules.limits(region, p)
        base = Fen(min(max(cmd.wage, limits.floor), limits.cap))
        rates = rules.rates(p) if employer_id is not None else _individual_rates(rules, p)
        slot = slots.get((person_id, period_int(p)))
        rows.append(
            record_row(
                person_id,
                agency_id,
                employer_id,
                region,
                period_int(p),
                slot.next_entry if slot else 0,
                Kind.BACK_PAYMENT,
                split(base, rates),
                batch,
                now,
                lump_sum,
                document_id,
            )
        )
    document = cmd.document
    return write_batch(
        uow,
        "contribution.back_pay",
        batch,
        rows,
        cmd.paid_on,
        today,
        lump_sum=lump_sum,
        legal_document=f"{document.authority.value} {document.number} {document.issued_on}"
        if document
        else None,
    )


def _individual_rates(rules: Rules, period: YearMonth) -> Rates:
    """An individual back-paying: the flexible-worker rates where they exist (from 2006), else
    the employee rates (both parts paid by the person)."""
    try:
        return rules.flexible(period)
    except InvalidInput:
        return rules.rates(period)
