"""A person's whole record from every place, in one read (电子档案袋; the mission's public
services; issue 7's record benchmark): who they are; every relationship with its current
status; their contributions year by year and place by place (months paid, unpaid, the bases);
the years transfers brought; their deemed years (视同缴费年限); each scheme's account by
portion; their transfers; their retirement, award in force and payments.

Read-only, and written by the database: the person and every section are one statement whose
value is the record's JSON document, each list gathered and ordered by the database
(:mod:`jinbao.db.json`), whatever the history's length. The API sends that text as it comes.
Only a person with a transfer case has their document completed in Python: each case's clock
needs the working-day rules. A pension (the award in force, what was paid) and a recorded death
with its settlement are written by the database with the rest (since session 36).
The statement is built once, at import, with the ID number as its parameter: building it
anew cost more than running it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import BindParameter, bindparam, case, exists, func, select

from jinbao.accounts.tables import account_entries
from jinbao.benefits.tables import (
    awards,
    benefit_payments,
    death_settlements,
    life_events,
    retirement_applications,
)
from jinbao.contributions.service import payments_of, records_in_force
from jinbao.contributions.tables import contributions, deemed_years, resident_contributions
from jinbao.db.driver import DriverRead
from jinbao.db.json import (
    as_json,
    as_text,
    json_object,
    json_object_agg,
    json_rows,
    json_values,
    year_month_text,
)
from jinbao.db.uow import UnitOfWork
from jinbao.policy.parameters import Parameters
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
        relationships.c.status, agencies.c.code.label("agency"),
        agencies.c.name.label("agency_name"), relationships.c.started_on,
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
        grouped.c.year, grouped.c.scheme, code.label("agency"),
        grouped.c.paid.label("paid_months"),
        (grouped.c.months - grouped.c.paid).label("unpaid_months"),
        grouped.c.base_min, grouped.c.base_max,
        func.coalesce(grouped.c.to_account, 0).label("to_account"),
    )  # fmt: skip


# Read by three sections (the years, the totals, the places): a common table expression, which
# PostgreSQL computes once when it is read more than once.
_YEARS = _years_statement().cte("contribution_years")

_RESIDENT = (
    select(
        resident_contributions.c.year, resident_contributions.c.agency_id,
        agencies.c.code.label("agency"), resident_contributions.c.individual,
        resident_contributions.c.collective, resident_contributions.c.subsidy,
        resident_contributions.c.paid_on,
    )
    .join(agencies, agencies.c.id == resident_contributions.c.agency_id)
    .where(resident_contributions.c.person_id == _PERSON)
)  # fmt: skip
_BROUGHT = (
    select(
        transferred_years.c.year, transferred_years.c.scheme, agencies.c.code.label("agency"),
        transferred_years.c.from_period.label("from"), transferred_years.c.to_period.label("to"),
        transferred_years.c.months, transferred_years.c.region_code.label("region"),
        transferred_years.c.kind,
    )
    .join(agencies, agencies.c.id == transferred_years.c.agency_id)
    .where(transferred_years.c.person_id == _PERSON)
)  # fmt: skip

# 视同缴费年限 (jinbao.contributions.service.deemed): where recorded, where worked, on what
# basis; counted as contribution years with no money (the totals' deemed_months).
_DEEMED = (
    select(
        year_month_text(deemed_years.c.from_period).label("from"),
        year_month_text(deemed_years.c.to_period).label("to"),
        deemed_years.c.months, deemed_years.c.region, agencies.c.code.label("agency"),
        deemed_years.c.basis, deemed_years.c.from_period,
    )
    .join(agencies, agencies.c.id == deemed_years.c.agency_id)
    .where(deemed_years.c.person_id == _PERSON, deemed_years.c.cancelled_at.is_(None))
)  # fmt: skip


def _accounts() -> Any:
    """``{scheme: {"portions": {portion: fen}, "total": fen}}`` from the entries' sums."""
    portions = (
        select(
            account_entries.c.scheme, account_entries.c.portion,
            func.sum(account_entries.c.amount).label("amount"),
        )
        .where(account_entries.c.person_id == _PERSON)
        .group_by(account_entries.c.scheme, account_entries.c.portion)
    ).subquery()  # fmt: skip
    schemes = (
        select(
            portions.c.scheme,
            json_object(
                "portions", json_object_agg(portions.c.portion, portions.c.amount),
                "total", func.sum(portions.c.amount),
            ).label("account"),
        ).group_by(portions.c.scheme)
    ).subquery()  # fmt: skip
    return select(json_object_agg(schemes.c.scheme, schemes.c.account)).scalar_subquery()


def _totals() -> Any:
    paid = select(func.coalesce(func.sum(_YEARS.c.paid_months), 0)).scalar_subquery()
    unpaid = select(func.coalesce(func.sum(_YEARS.c.unpaid_months), 0)).scalar_subquery()
    places = json_values(select(_YEARS.c.agency).distinct())
    deemed = (
        select(func.coalesce(func.sum(deemed_years.c.months), 0))
        .where(deemed_years.c.person_id == _PERSON, deemed_years.c.cancelled_at.is_(None))
        .scalar_subquery()
    )
    return json_object(
        "paid_months", paid, "unpaid_months", unpaid, "deemed_months", deemed, "places", places
    )


# A recorded death, and the survivors' settlement once there is one (amounts in fen, the
# explanation's steps and sources): null when no death is recorded. Written by the database
# as the rest (until session 36 completed in Python by three more statements, and a record of
# the dead cost three times another's). The settlement has the keys and values of
# jinbao.benefits.events.death_settlement, which tests/integration/records holds equal.
_SETTLEMENT = (
    select(
        json_object(
            "id_number", persons.c.id_number,
            "died_on", death_settlements.c.died_on,
            "agency_code", agencies.c.code,
            "application_id", death_settlements.c.application_id,
            "claimant", death_settlements.c.claimant,
            "overpaid", death_settlements.c.overpaid,
            "funeral", death_settlements.c.funeral,
            "survivor_pension", death_settlements.c.survivor_pension,
            "inheritance", death_settlements.c.inheritance,
            "payable", death_settlements.c.payable,
            "to_recover", death_settlements.c.to_recover,
            "explanation", as_json(death_settlements.c.explanation),
        )
    )
    .join_from(death_settlements, agencies, agencies.c.id == death_settlements.c.agency_id)
    .where(death_settlements.c.person_id == persons.c.id)
    .correlate(persons)
)  # fmt: skip
_DEATH = (
    select(
        json_object(
            "died_on",
            func.coalesce(
                select(death_settlements.c.died_on)
                .where(death_settlements.c.person_id == persons.c.id)
                .correlate(persons)
                .scalar_subquery(),
                life_events.c.on,
            ),
            "settlement",
            _SETTLEMENT.scalar_subquery(),
        )
    )
    .where(life_events.c.person_id == persons.c.id, life_events.c.kind == "death")
    .correlate(persons)
    .scalar_subquery()
)
# The latest retirement application with the award in force (the latest approved version;
# null before the first approval) and what has been paid: null for a person who has not
# applied. Written by the database as the rest (until session 36 completed in Python by three
# more statements). The award as jinbao.benefits.service.current_award picks it.
_AWARD_IN_FORCE = (
    select(awards.c.total, awards.c.version)
    .where(awards.c.application_id == retirement_applications.c.id, awards.c.state == "approved")
    .order_by(awards.c.version.desc())
    .limit(1)
    .correlate(retirement_applications)
)
_PAID = (
    select(func.coalesce(func.sum(benefit_payments.c.amount), 0))
    .where(benefit_payments.c.application_id == retirement_applications.c.id)
    .correlate(retirement_applications)
    .scalar_subquery()
)
_PENSION = (
    select(
        json_object(
            "application", retirement_applications.c.id,
            "scheme", retirement_applications.c.scheme,
            "state", retirement_applications.c.state,
            "retire_month", year_month_text(retirement_applications.c.retire_month),
            "monthly", _AWARD_IN_FORCE.with_only_columns(awards.c.total).scalar_subquery(),
            "award_version",
            _AWARD_IN_FORCE.with_only_columns(awards.c.version).scalar_subquery(),
            "paid_total", _PAID,
        )
    )
    .where(retirement_applications.c.person_id == persons.c.id)
    .order_by(retirement_applications.c.id.desc())
    .limit(1)
    .correlate(persons)
    .scalar_subquery()
)  # fmt: skip
# The whole document, key by key as the API shows it, and what says whether Python must
# complete it. One round trip, and the text is sent as it is (on PostgreSQL the round trips,
# then the driver's and Python's handling of a dozen columns, were most of a record's time).
_RECORD = select(
    as_text(
        json_object(
            "person", json_object(
                "id_number", persons.c.id_number, "name", persons.c.name, "sex", persons.c.sex,
                "birth_date", persons.c.birth_date, "hukou", persons.c.hukou_region_code,
            ),
            "relationships", json_rows(_RELATIONS, "started_on", "id"),
            "contribution_years", json_rows(select(_YEARS), "year", "agency", "scheme"),
            "resident_years", json_rows(_RESIDENT, "year"),
            "transferred_years", json_rows(_BROUGHT, "from"),
            "deemed_years", json_rows(_DEEMED, "from_period", hidden=("from_period",)),
            "accounts", _accounts(),
            "transfers", as_json("[]"),  # filled in below when the person has a case
            "pension", _PENSION,
            "death", _DEATH,
            "totals", _totals(),
        )
    ).label("document"),
    persons.c.id.label("person_id"),
    exists().where(transfer_cases.c.person_id == _PERSON).label("has_transfer"),
).where(persons.c.id_number == _NUMBER)  # fmt: skip
# Run on the driver's cursor: SQLAlchemy's execution cost a quarter of its time (jinbao.db.driver).
_READ_RECORD = DriverRead(_RECORD)


def person_record_json(uow: UnitOfWork, id_number: str, params: Parameters) -> str:
    """The record as JSON text, as the API sends it."""
    row = _READ_RECORD.first(uow.conn, {"number": id_number.strip().upper()})
    if row is None:
        raise person_not_found(id_number)
    if not row.has_transfer:
        return str(row.document)
    found = json.loads(row.document)
    found["transfers"] = transfers.cases_of_person(uow, row.person_id, params)
    return json.dumps(found, ensure_ascii=False)


def person_record(uow: UnitOfWork, id_number: str, params: Parameters) -> dict[str, Any]:
    """The record as Python values (the CLI; tests)."""
    found: dict[str, Any] = json.loads(person_record_json(uow, id_number, params))
    return found
