"""A person's whole record from every place, in one read (电子档案袋; the mission's public
services; issue 7's record benchmark): who they are; every relationship with its status
history; their contributions year by year and place by place (months paid, unpaid, the bases);
the years transfers brought; each scheme's account by portion; their transfers; their
retirement, award in force and payments. Read-only: the person and every section in one
statement (each section a JSON array built and grouped by the database, not row by row),
whatever the history's length. The statement is built once, at import, with the ID number as
its parameter: building it anew cost more than running it.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, bindparam, case, exists, func, select

from jinbao.accounts.tables import account_entries
from jinbao.benefits.service import current_award
from jinbao.benefits.tables import benefit_payments, retirement_applications
from jinbao.contributions.service import payments_of, records_in_force
from jinbao.contributions.tables import contributions, resident_contributions
from jinbao.db.json import json_rows, loads
from jinbao.db.uow import UnitOfWork
from jinbao.policy.parameters import Parameters
from jinbao.registry.repository import person_from_row
from jinbao.registry.service.persons import person_not_found
from jinbao.registry.tables import agencies, persons, relationships
from jinbao.transfers import queries as transfers
from jinbao.transfers.tables import transfer_cases, transferred_years

# The person's row id, looked up by ID number inside the one statement (each section's
# condition is this uncorrelated subquery: the database runs it once per section, by index).
_NUMBER: BindParameter[str] = bindparam("number")
_PERSON = (
    select(persons.c.id).where(persons.c.id_number == _NUMBER).correlate(None).scalar_subquery()
)

_RELATIONS = (
    select(
        relationships.c.id, relationships.c.scheme, relationships.c.kind,
        relationships.c.status, relationships.c.started_on, agencies.c.code.label("agency"),
        agencies.c.name.label("agency_name"),
    )
    .join(agencies, agencies.c.id == relationships.c.agency_id)
    .where(relationships.c.person_id == _PERSON)
)  # fmt: skip


def _years_statement() -> Any:
    """Months, payments, bases and account credits by year, scheme and agency. Grouped by the
    agency's id first, its code looked up for each of the dozen groups after: joined to the
    hundred-odd months, PostgreSQL hashed the whole agencies table for every record."""
    in_force = records_in_force(contributions.c.person_id == _PERSON).subquery()
    payments = payments_of(_PERSON)
    year = (in_force.c.period // 100).label("year")
    paid = payments.c.contribution_id.is_not(None)
    grouped = (
        select(
            year, in_force.c.scheme, in_force.c.agency_id,
            func.count().label("months"),
            func.sum(case((paid, 1), else_=0)).label("paid"),
            func.min(in_force.c.base).label("base_min"),
            func.max(in_force.c.base).label("base_max"),
            func.sum(case((paid, in_force.c.to_account), else_=0)).label("to_account"),
        )
        .outerjoin(payments, payments.c.contribution_id == in_force.c.id)
        .group_by(year, in_force.c.scheme, in_force.c.agency_id)
    ).subquery()  # fmt: skip
    code = select(agencies.c.code).where(agencies.c.id == grouped.c.agency_id).scalar_subquery()
    return select(
        grouped.c.year, grouped.c.scheme, code.label("agency"), grouped.c.months,
        grouped.c.paid, grouped.c.base_min, grouped.c.base_max, grouped.c.to_account,
    )  # fmt: skip


_RESIDENT = select(
    resident_contributions.c.year, resident_contributions.c.agency_id,
    resident_contributions.c.individual, resident_contributions.c.collective,
    resident_contributions.c.subsidy,
).where(resident_contributions.c.person_id == _PERSON)  # fmt: skip
_BROUGHT = (
    select(
        transferred_years.c.year, transferred_years.c.scheme, agencies.c.code.label("agency"),
        transferred_years.c.from_period, transferred_years.c.to_period, transferred_years.c.months,
        transferred_years.c.region_code, transferred_years.c.kind,
    )
    .join(agencies, agencies.c.id == transferred_years.c.agency_id)
    .where(transferred_years.c.person_id == _PERSON)
)  # fmt: skip
_ACCOUNTS = (
    select(
        account_entries.c.scheme, account_entries.c.portion,
        func.sum(account_entries.c.amount).label("amount"),
    )
    .where(account_entries.c.person_id == _PERSON)
    .group_by(account_entries.c.scheme, account_entries.c.portion)
)  # fmt: skip
_APPLICATION = (
    select(
        retirement_applications.c.id, retirement_applications.c.state,
        retirement_applications.c.retire_month,
    )
    .where(retirement_applications.c.person_id == _PERSON)
    .order_by(retirement_applications.c.id.desc())
    .limit(1)
)  # fmt: skip
# The person and every section in one statement, each section a JSON array: one round trip
# instead of one per section (on PostgreSQL the round trips, not the database's work, were most
# of a record's time).
_RECORD = select(
    persons,
    json_rows(_RELATIONS).label("relations"),
    json_rows(_years_statement()).label("years"),
    json_rows(_RESIDENT).label("resident"),
    json_rows(_BROUGHT).label("brought"),
    json_rows(_ACCOUNTS).label("accounts"),
    json_rows(_APPLICATION).label("application"),
    exists().where(transfer_cases.c.person_id == _PERSON).label("has_transfer"),
).where(persons.c.id_number == _NUMBER)


def person_record(uow: UnitOfWork, id_number: str, params: Parameters) -> dict[str, Any]:
    sections = uow.conn.execute(_RECORD, {"number": id_number.strip().upper()}).first()
    if sections is None:
        raise person_not_found(id_number)
    person = person_from_row(sections)
    relations = [
        {
            "id": r["id"], "scheme": r["scheme"], "kind": r["kind"], "status": r["status"],
            "agency": r["agency"], "agency_name": r["agency_name"], "started_on": r["started_on"],
        }
        for r in sorted(loads(sections.relations), key=itemgetter("started_on", "id"))
    ]  # fmt: skip
    years = [
        {
            "year": int(r["year"]), "scheme": r["scheme"], "agency": r["agency"],
            "paid_months": int(r["paid"]), "unpaid_months": int(r["months"] - r["paid"]),
            "base_min": int(r["base_min"]), "base_max": int(r["base_max"]),
            "to_account": int(r["to_account"] or 0),
        }
        for r in sorted(loads(sections.years), key=itemgetter("year", "agency", "scheme"))
    ]  # fmt: skip
    resident = [
        {"year": r["year"], "agency_id": r["agency_id"], "individual": r["individual"],
         "collective": r["collective"], "subsidy": r["subsidy"]}
        for r in sorted(loads(sections.resident), key=itemgetter("year"))
    ]  # fmt: skip
    brought = [
        {"year": r["year"], "scheme": r["scheme"], "agency": r["agency"],
         "from": r["from_period"], "to": r["to_period"], "months": r["months"],
         "region": r["region_code"], "kind": r["kind"]}
        for r in sorted(loads(sections.brought), key=itemgetter("from_period"))
    ]  # fmt: skip
    accounts: dict[str, dict[str, int]] = {}
    for r in sorted(loads(sections.accounts), key=itemgetter("scheme", "portion")):
        accounts.setdefault(r["scheme"], {})[r["portion"]] = int(r["amount"])
    pension = None
    for application in loads(sections.application):
        award = current_award(uow, application["id"])
        total_paid = uow.conn.execute(
            select(func.coalesce(func.sum(benefit_payments.c.amount), 0)).where(
                benefit_payments.c.application_id == application["id"]
            )
        ).scalar_one()
        retire = application["retire_month"]
        pension = {
            "application": application["id"], "state": application["state"],
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
        if sections.has_transfer
        else [],
        "pension": pension,
        "totals": {
            "paid_months": sum(y["paid_months"] for y in years),
            "unpaid_months": sum(y["unpaid_months"] for y in years),
            "places": sorted({y["agency"] for y in years}),
        },
    }
