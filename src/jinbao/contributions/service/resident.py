"""城乡居民基本养老保险 contributions: one yearly payment per person.

国发〔2014〕8号 (POLICY §8): the person pays one of the tiers (100–2000 yuan a year, local tiers
allowed); a collective (村集体) may add a subsidy; the government subsidy is at least 30 yuan
(60 from the 500-yuan tier: UNVERIFIED). All three go into the personal account. The payment is
recorded with its ledger journal (bank → personal-account fund) and the account entry, in the
caller's unit of work. Scheme linkage (城乡衔接, 人社部发〔2014〕17号) reads these years.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select

from jinbao.accounts.tables import account_entries
from jinbao.audit.service import record
from jinbao.benefits.deaths import recorded_death
from jinbao.contributions.service._lookups import paid_after_death
from jinbao.contributions.tables import resident_contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.identifiers import parse_resident_id
from jinbao.kernel.money import Fen
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit, region_of
from jinbao.policy.parameters import Parameters
from jinbao.policy.resident import contribution_subsidy
from jinbao.registry.service.persons import person_row_id
from jinbao.registry.tables import agencies, relationships

SCHEME = "resident"
FIRST_YEAR = 2009  # 新型农村社会养老保险试点 (国发〔2009〕32号); the unified scheme from 2014


@dataclass(frozen=True, slots=True)
class ResidentPayment:
    id_number: str
    year: int
    tier_yuan: int  # 个人缴费档次
    paid_on: dt.date
    collective: int = 0  # 集体补助, fen
    subsidy: Fen | None = None  # 政府补贴; None: the minimum for the tier


@dataclass(frozen=True, slots=True)
class ResidentYear:
    year: int
    agency_id: int
    region: str
    individual: int
    collective: int
    subsidy: int

    @property
    def total(self) -> int:
        return self.individual + self.collective + self.subsidy


def pay_resident_year(uow: UnitOfWork, cmd: ResidentPayment, params: Parameters) -> ResidentYear:
    """Record a year's payment at the agency where the person is insured in the resident scheme."""
    rid = parse_resident_id(cmd.id_number, today=uow.clock.today())
    person_id = person_row_id(uow, rid.number)
    relation = uow.conn.execute(
        select(relationships.c.agency_id, agencies.c.region_code)
        .join(agencies, agencies.c.id == relationships.c.agency_id)
        .where(
            relationships.c.person_id == person_id,
            relationships.c.scheme == SCHEME,
            relationships.c.status == "contributing",
        )
    ).first()
    if relation is None or relation.region_code is None:
        raise Conflict(
            "contribution.not_resident",
            "该人员没有正在缴费的城乡居民基本养老保险参保关系。",
            "The person has no contributing relationship in the resident scheme.",
            field="id_number",
        )
    today = uow.clock.today()
    if not FIRST_YEAR <= cmd.year <= today.year or cmd.paid_on > today:
        raise InvalidInput(
            "resident.year",
            f"缴费年度须在{FIRST_YEAR}年至今年之间，缴费日期不能晚于今天。",
            f"The year must be {FIRST_YEAR} to this year and the payment date not in the future.",
            field="year",
        )
    death = recorded_death(uow, person_id)
    if death is not None and cmd.year > death[0].year:
        later = (f"{cmd.year}年度在死亡之后", f"{cmd.year} is after the year of death")
        raise Conflict(
            "contribution.after_death", *paid_after_death(rid.number, death, *later), field="year"
        )
    minimum = contribution_subsidy(cmd.tier_yuan, params).value  # also checks the tier
    subsidy = minimum if cmd.subsidy is None else cmd.subsidy
    if subsidy < minimum or cmd.collective < 0:
        raise InvalidInput(
            "resident.subsidy",
            f"政府补贴不得低于{minimum // 100}元，集体补助不能为负。",
            f"The government subsidy cannot be below {minimum // 100} yuan, nor the collective "
            "subsidy negative.",
            field="subsidy",
        )
    if uow.conn.execute(
        select(resident_contributions.c.id).where(
            resident_contributions.c.person_id == person_id,
            resident_contributions.c.year == cmd.year,
        )
    ).first():
        raise Conflict(
            "resident.duplicate_year",
            f"{rid.number}的{cmd.year}年度城乡居民养老保险费已缴纳。",
            f"{rid.number} has already paid the resident contribution for {cmd.year}.",
            field="year",
        )
    region = region_of(relation.region_code)
    individual = cmd.tier_yuan * 100
    total = individual + cmd.collective + subsidy
    journal_id = ledger.post(
        uow,
        Journal(
            "resident_paid",
            f"resident:{rid.number}:{cmd.year}",
            cmd.paid_on,
            f"城乡居民养老保险费 {rid.number} {cmd.year}年",
            (debit(region, Account.BANK, total), credit(region, Account.ACCOUNT_FUND, total)),
        ),
    )
    uow.conn.execute(
        insert(resident_contributions).values(
            person_id=person_id, agency_id=relation.agency_id, region=region, year=cmd.year,
            individual=individual, collective=int(cmd.collective), subsidy=int(subsidy),
            paid_on=cmd.paid_on, journal_id=journal_id, created_at=uow.clock.now(),
        )
    )  # fmt: skip
    uow.conn.execute(
        insert(account_entries).values(
            **account_entry(person_id, region, cmd.year, cmd.paid_on, total, journal_id, uow.clock.now())
        )
    )  # fmt: skip
    record(
        uow, "contribution.resident", "person", rid.number,
        new={"year": cmd.year, "individual": individual, "collective": int(cmd.collective),
             "subsidy": int(subsidy)},
    )  # fmt: skip
    return ResidentYear(
        cmd.year, relation.agency_id, region, individual, int(cmd.collective), int(subsidy)
    )


def account_entry(
    person_id: int, region: str, year: int, paid_on: dt.date, total: int, journal_id: int,
    now: dt.datetime,
) -> dict[str, object]:  # fmt: skip
    """The account entry of a year's payment: the whole of it, the person's part with the
    collective's and the government's subsidies, goes into the personal account (国发〔2014〕8号:
    "全部记入个人账户"), in the from-2006 portion, for December of the year, dated the day it
    was paid."""
    return {
        "person_id": person_id, "scheme": SCHEME, "region": region, "portion": "from2006",
        "kind": "contribution", "period": year * 100 + 12, "effective_on": paid_on,
        "amount": total, "journal_id": journal_id, "source": f"resident:{year}", "created_at": now,
    }  # fmt: skip


def resident_years(
    uow: UnitOfWork, person_id: int, agency_id: int | None = None
) -> list[ResidentYear]:
    query = select(resident_contributions).where(resident_contributions.c.person_id == person_id)
    if agency_id is not None:
        query = query.where(resident_contributions.c.agency_id == agency_id)
    return [
        ResidentYear(r.year, r.agency_id, r.region, r.individual, r.collective, r.subsidy)
        for r in uow.conn.execute(query.order_by(resident_contributions.c.year))
    ]
