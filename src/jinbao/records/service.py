"""A person's whole record from every place, in one read (电子档案袋; the mission's public
services; issue 7's record benchmark): who they are; every relationship with its status
history; their contributions year by year and place by place (months paid, unpaid, the bases);
the years transfers brought; each scheme's account by portion; their transfers; their
retirement, award in force and payments. Read-only, a handful of queries whatever the history's
length (grouped in the database, not row by row). The statements are built once, at import,
with the person's row id as a parameter: building them anew cost more than running them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, bindparam, case, func, select

from jinbao.accounts.tables import account_entries
from jinbao.benefits.service import current_award
from jinbao.benefits.tables import benefit_payments, retirement_applications
from jinbao.contributions.service import records_in_force
from jinbao.contributions.tables import contribution_payments, contributions, resident_contributions
from jinbao.db.uow import UnitOfWork
from jinbao.policy.parameters import Parameters
from jinbao.registry.service.persons import registered_person
from jinbao.registry.tables import agencies, relationships
from jinbao.transfers import queries as transfers
from jinbao.transfers.tables import transfer_cases, transferred_years

_PERSON: BindParameter[int] = bindparam("person_id")

_RELATIONS = (
    select(
        relationships.c.id, relationships.c.scheme, relationships.c.kind,
        relationships.c.status, relationships.c.started_on, agencies.c.code, agencies.c.name,
    )
    .join(agencies, agencies.c.id == relationships.c.agency_id)
    .where(relationships.c.person_id == _PERSON)
    .order_by(relationships.c.started_on, relationships.c.id)
)  # fmt: skip


def _years_statement() -> Any:
    in_force = records_in_force(contributions.c.person_id == _PERSON).subquery()
    year = (in_force.c.period // 100).label("year")
    paid = contribution_payments.c.contribution_id.is_not(None)
    return (
        select(
            year, in_force.c.scheme, agencies.c.code,
            func.count().label("months"),
            func.sum(case((paid, 1), else_=0)).label("paid"),
            func.min(in_force.c.base).label("base_min"),
            func.max(in_force.c.base).label("base_max"),
            func.sum(case((paid, in_force.c.to_account), else_=0)).label("to_account"),
        )
        .join(agencies, agencies.c.id == in_force.c.agency_id)
        .outerjoin(contribution_payments, contribution_payments.c.contribution_id == in_force.c.id)
        .group_by(year, in_force.c.scheme, agencies.c.code)
        .order_by(year, agencies.c.code)
    )  # fmt: skip


_YEARS = _years_statement()
_RESIDENT = (
    select(resident_contributions)
    .where(resident_contributions.c.person_id == _PERSON)
    .order_by(resident_contributions.c.year)
)
_BROUGHT = (
    select(transferred_years, agencies.c.code)
    .join(agencies, agencies.c.id == transferred_years.c.agency_id)
    .where(transferred_years.c.person_id == _PERSON)
    .order_by(transferred_years.c.from_period)
)
_ACCOUNTS = (
    select(account_entries.c.scheme, account_entries.c.portion, func.sum(account_entries.c.amount))
    .where(account_entries.c.person_id == _PERSON)
    .group_by(account_entries.c.scheme, account_entries.c.portion)
)
_APPLICATION = (
    select(retirement_applications)
    .where(retirement_applications.c.person_id == _PERSON)
    .order_by(retirement_applications.c.id.desc())
    .limit(1)
)
_HAS_TRANSFER = select(transfer_cases.c.id).where(transfer_cases.c.person_id == _PERSON).limit(1)


def person_record(uow: UnitOfWork, id_number: str, params: Parameters) -> dict[str, Any]:
    person_id, person = registered_person(uow, id_number)
    by_person = {"person_id": person_id}
    relations = [
        {
            "id": r.id, "scheme": r.scheme, "kind": r.kind, "status": r.status,
            "agency": r.code, "agency_name": r.name, "started_on": r.started_on.isoformat(),
        }
        for r in uow.conn.execute(_RELATIONS, by_person)
    ]  # fmt: skip
    years = [
        {
            "year": int(r.year), "scheme": r.scheme, "agency": r.code,
            "paid_months": int(r.paid), "unpaid_months": int(r.months - r.paid),
            "base_min": int(r.base_min), "base_max": int(r.base_max),
            "to_account": int(r.to_account or 0),
        }
        for r in uow.conn.execute(_YEARS, by_person)
    ]  # fmt: skip
    resident = [
        {"year": r.year, "agency_id": r.agency_id, "individual": r.individual,
         "collective": r.collective, "subsidy": r.subsidy}
        for r in uow.conn.execute(_RESIDENT, by_person)
    ]  # fmt: skip
    brought = [
        {"year": r.year, "scheme": r.scheme, "agency": r.code, "from": r.from_period,
         "to": r.to_period, "months": r.months, "region": r.region_code, "kind": r.kind}
        for r in uow.conn.execute(_BROUGHT, by_person)
    ]  # fmt: skip
    accounts: dict[str, dict[str, int]] = {}
    for scheme, portion, amount in uow.conn.execute(_ACCOUNTS, by_person):
        accounts.setdefault(scheme, {})[portion] = int(amount)
    pension = None
    application = uow.conn.execute(_APPLICATION, by_person).first()
    if application is not None:
        award = current_award(uow, application.id)
        total_paid = uow.conn.execute(
            select(func.coalesce(func.sum(benefit_payments.c.amount), 0)).where(
                benefit_payments.c.application_id == application.id
            )
        ).scalar_one()
        retire = application.retire_month
        pension = {
            "application": application.id, "state": application.state,
            "retire_month": f"{retire // 100}-{retire % 100:02d}",
            "monthly": int(award.total) if award else None,
            "award_version": award.version if award else None, "paid_total": int(total_paid),
        }  # fmt: skip
    return {
        "person": {
            "id_number": person.id_number,
            "name": person.name,
            "sex": person.sex.value,
            "birth_date": person.birth_date.isoformat(),
            "hukou": person.hukou_region_code,
        },
        "relationships": relations,
        "contribution_years": years,
        "resident_years": resident,
        "transferred_years": brought,
        "accounts": {s: {"portions": p, "total": sum(p.values())} for s, p in accounts.items()},
        "transfers": transfers.person_cases(uow, person.id_number, params)
        if uow.conn.execute(_HAS_TRANSFER, by_person).first()
        else [],
        "pension": pension,
        "totals": {
            "paid_months": sum(y["paid_months"] for y in years),
            "unpaid_months": sum(y["unpaid_months"] for y in years),
            "places": sorted({y["agency"] for y in years}),
        },
    }
