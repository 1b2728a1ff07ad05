"""Queries and row mappers for the registry. Never commits: the use case owns the transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Select, and_, bindparam, func, or_, select

from jinbao.db.bulk import chunks
from jinbao.db.driver import DriverRead
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.identifiers import Sex
from jinbao.registry.model import (
    CURRENT_STATUSES,
    Agency,
    AgencyLevel,
    Contact,
    Employer,
    Person,
    Region,
    RegionLevel,
    Relationship,
    RelationshipKind,
    RelationshipStatus,
    RetirementCategory,
    Scheme,
    StatusChange,
)
from jinbao.registry.tables import (
    agencies,
    employers,
    persons,
    regions,
    relationship_status_changes,
    relationships,
)

AnyRow = Row[*tuple[Any, ...]]

_parent = agencies.alias("parent")


def _region(row: AnyRow) -> Region:
    return Region(row.code, row.name, RegionLevel(row.level), row.parent_code)


def get_region(uow: UnitOfWork, code: str) -> Region | None:
    row = uow.conn.execute(select(regions).where(regions.c.code == code)).first()
    return _region(row) if row else None


def regions_by_codes(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, Region]:
    """The regions of these codes in force; a code not found is missing from the answer."""
    found: dict[str, Region] = {}
    for chunk in chunks(sorted(set(codes)), 500):
        rows = uow.conn.execute(select(regions).where(regions.c.code.in_(chunk)))
        found.update((row.code, _region(row)) for row in rows)
    return found


def list_regions(
    uow: UnitOfWork, *, level: RegionLevel | None, parent_code: str | None, query: str | None
) -> list[Region]:
    stmt = select(regions).order_by(regions.c.code)
    if level is not None:
        stmt = stmt.where(regions.c.level == level.value)
    if parent_code is not None:
        stmt = stmt.where(regions.c.parent_code == parent_code)
    if query:
        stmt = stmt.where(or_(regions.c.name.contains(query), regions.c.code.startswith(query)))
    return [_region(r) for r in uow.conn.execute(stmt)]


# ----------------------------------------------------------------------------- agencies

_agency_select = select(agencies, _parent.c.code.label("parent_code")).select_from(
    agencies.outerjoin(_parent, agencies.c.parent_id == _parent.c.id)
)


def _agency(row: AnyRow) -> Agency:
    return Agency(
        code=row.code,
        name=row.name,
        level=AgencyLevel(row.level),
        parent_code=row.parent_code,
        region_code=row.region_code,
        contact=Contact(row.address, row.department, row.phone, row.hours),
        networked_since=row.networked_since,
    )


# Agencies are looked up by code several times in every transfer: these statements are built
# once (building one costs more than running it).
_AGENCY_ID_BY_CODE = select(agencies.c.id).where(agencies.c.code == bindparam("code"))
_AGENCIES_BY_CODES = _agency_select.where(agencies.c.code.in_(bindparam("codes", expanding=True)))
# One or two codes (a transfer's agency, a document's two), the most frequent look-up: a fixed
# statement run on the driver's cursor (jinbao.db.driver), where an expanding list is rendered
# again by SQLAlchemy at each run.
_AGENCIES_BY_TWO_CODES = DriverRead(
    _agency_select.where(agencies.c.code.in_([bindparam("first"), bindparam("second")]))
)


def agency_id(uow: UnitOfWork, code: str) -> int | None:
    return uow.conn.execute(_AGENCY_ID_BY_CODE, {"code": code}).scalar()


def agency_ids(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, int]:
    """Row ids by agency code, for many codes (a directory loaded); a code not in the
    directory is missing from the answer."""
    found: dict[str, int] = {}
    for chunk in chunks(sorted(set(codes)), 500):
        rows = uow.conn.execute(
            select(agencies.c.code, agencies.c.id).where(agencies.c.code.in_(chunk))
        )
        found.update((row.code, int(row.id)) for row in rows)
    return found


def get_agency(uow: UnitOfWork, code: str) -> Agency | None:
    found = agency_with_id(uow, code)
    return found[1] if found else None


def agency_with_id(uow: UnitOfWork, code: str) -> tuple[int, Agency] | None:
    """The agency and its row id in one query."""
    return agencies_with_ids(uow, [code]).get(code)


# The agencies a transaction has read, by code: a transfer's unit names the same two agencies
# up to three times (its application, the review, the document sent). An agency changes in
# the directory's own use cases, which forget them (:func:`forget_agencies`).
_READ_AGENCIES = "registry.agencies"


def agencies_with_ids(uow: UnitOfWork, codes: Sequence[str]) -> dict[str, tuple[int, Agency]]:
    """Agencies and their row ids by code in one query (a transfer names its agencies by code
    and needs both, several times per transfer; a document names two), read once a
    transaction; a code not in the directory is missing from the answer."""
    read = uow.transaction_memo(_READ_AGENCIES)
    if all(code in read for code in codes):
        return {code: read[code] for code in codes}
    if 1 <= len(codes) <= 2:
        params = {"first": codes[0], "second": codes[-1]}
        rows: Iterable[AnyRow] = _AGENCIES_BY_TWO_CODES.all(uow.conn, params)
    else:  # a directory's worth (add_agencies): a few hundred a statement
        rows = [
            row
            for chunk in chunks(list(codes), 500)
            for row in uow.conn.execute(_AGENCIES_BY_CODES, {"codes": list(chunk)})
        ]
    found = {row.code: (int(row.id), _agency(row)) for row in rows}
    read.update(found)
    return found


def forget_agencies(uow: UnitOfWork) -> None:
    """After a change to the directory: the agencies read before are read again."""
    uow.transaction_memo(_READ_AGENCIES).clear()


def search_agencies(
    uow: UnitOfWork,
    *,
    query: str | None = None,
    level: AgencyLevel | None = None,
    region_prefix: str | None = None,
    networked: bool | None = None,
    parent_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Agency], int]:
    """The public directory: search by name, address or code, filter, page → (page, total)."""
    conditions = []
    if query:
        conditions.append(
            or_(
                agencies.c.name.contains(query),
                agencies.c.address.contains(query),
                agencies.c.code.startswith(query),
            )
        )
    if level is not None:
        conditions.append(agencies.c.level == level.value)
    if region_prefix:
        conditions.append(agencies.c.region_code.startswith(region_prefix))
    if networked is not None:
        conditions.append(
            agencies.c.networked_since.is_not(None)
            if networked
            else agencies.c.networked_since.is_(None)
        )
    if parent_code is not None:
        conditions.append(_parent.c.code == parent_code)
    where = and_(True, *conditions)
    total = uow.conn.execute(
        select(func.count())
        .select_from(agencies.outerjoin(_parent, agencies.c.parent_id == _parent.c.id))
        .where(where)
    ).scalar_one()
    rows = uow.conn.execute(
        _agency_select.where(where).order_by(agencies.c.code).limit(limit).offset(offset)
    )
    return [_agency(r) for r in rows], total


# ----------------------------------------------------------------------------- employers

_employer_select = select(
    employers.c.id, employers.c.uscc, employers.c.name, agencies.c.code.label("agency_code")
).select_from(employers.join(agencies, employers.c.agency_id == agencies.c.id))


def _employer(row: AnyRow) -> Employer:
    return Employer(row.uscc, row.name, row.agency_code)


def employer_row(uow: UnitOfWork, uscc: str) -> AnyRow | None:
    return uow.conn.execute(_employer_select.where(employers.c.uscc == uscc)).first()


def get_employer(uow: UnitOfWork, uscc: str) -> Employer | None:
    row = employer_row(uow, uscc)
    return _employer(row) if row else None


def list_employers(
    uow: UnitOfWork, *, agency_code: str | None, query: str | None, limit: int, offset: int
) -> list[Employer]:
    stmt = _employer_select.order_by(employers.c.uscc).limit(limit).offset(offset)
    if agency_code:
        stmt = stmt.where(agencies.c.code == agency_code)
    if query:
        stmt = stmt.where(or_(employers.c.name.contains(query), employers.c.uscc == query))
    return [_employer(r) for r in uow.conn.execute(stmt)]


def existing_usccs(uow: UnitOfWork, codes: Iterable[str]) -> set[str]:
    wanted = list(set(codes))
    found: set[str] = set()
    for chunk in chunks(wanted, 500):
        found.update(
            uow.conn.execute(select(employers.c.uscc).where(employers.c.uscc.in_(chunk))).scalars()
        )
    return found


# ----------------------------------------------------------------------------- persons


def person_from_row(row: AnyRow) -> Person:
    """A person from a row of the persons table (any statement that selects its columns)."""
    return Person(
        id_number=row.id_number,
        name=row.name,
        sex=Sex(row.sex),
        birth_date=row.birth_date,
        hukou_region_code=row.hukou_region_code,
        retirement_category=RetirementCategory(row.retirement_category),
        phone=row.phone,
        address=row.address,
    )


_PERSON_ID_BY_NUMBER = select(persons.c.id).where(persons.c.id_number == bindparam("number"))
_PERSON_BY_NUMBER = select(persons).where(persons.c.id_number == bindparam("number"))
_READ_PERSON_BY_NUMBER = DriverRead(_PERSON_BY_NUMBER)  # on the driver's cursor


def person_id(uow: UnitOfWork, id_number: str) -> int | None:
    return uow.conn.execute(_PERSON_ID_BY_NUMBER, {"number": id_number}).scalar()


def get_person_row(uow: UnitOfWork, id_number: str) -> tuple[int, Person] | None:
    """The person's row id and the person, in one query (a statement built once: it is on
    every person-facing request's path)."""
    row = _READ_PERSON_BY_NUMBER.first(uow.conn, {"number": id_number})
    return (int(row.id), person_from_row(row)) if row else None


def get_person(uow: UnitOfWork, id_number: str) -> Person | None:
    found = get_person_row(uow, id_number)
    return found[1] if found else None


def list_persons(
    uow: UnitOfWork, *, query: str | None, hukou_prefix: str | None, limit: int, offset: int
) -> list[Person]:
    stmt = select(persons).order_by(persons.c.id_number).limit(limit).offset(offset)
    if query:
        stmt = stmt.where(or_(persons.c.name.contains(query), persons.c.id_number == query))
    if hukou_prefix:
        stmt = stmt.where(persons.c.hukou_region_code.startswith(hukou_prefix))
    return [person_from_row(r) for r in uow.conn.execute(stmt)]


def existing_id_numbers(uow: UnitOfWork, numbers: Iterable[str]) -> set[str]:
    wanted = list(set(numbers))
    found: set[str] = set()
    for chunk in chunks(wanted, 500):
        found.update(
            uow.conn.execute(
                select(persons.c.id_number).where(persons.c.id_number.in_(chunk))
            ).scalars()
        )
    return found


def region_codes(uow: UnitOfWork, codes: Iterable[str]) -> set[str]:
    wanted = list(set(codes))
    found: set[str] = set()
    for chunk in chunks(wanted, 500):
        found.update(
            uow.conn.execute(select(regions.c.code).where(regions.c.code.in_(chunk))).scalars()
        )
    return found


# ----------------------------------------------------------------------------- relationships


def _relationship_select() -> Select[Any]:
    return select(
        relationships,
        persons.c.id_number.label("person_id_number"),
        agencies.c.code.label("agency_code"),
        employers.c.uscc.label("employer_uscc"),
    ).select_from(
        relationships.join(persons, relationships.c.person_id == persons.c.id)
        .join(agencies, relationships.c.agency_id == agencies.c.id)
        .outerjoin(employers, relationships.c.employer_id == employers.c.id)
    )


def _relationship(row: AnyRow) -> Relationship:
    return Relationship(
        id=row.id,
        person_id_number=row.person_id_number,
        scheme=Scheme(row.scheme),
        agency_code=row.agency_code,
        employer_uscc=row.employer_uscc,
        kind=RelationshipKind(row.kind),
        status=RelationshipStatus(row.status),
        started_on=row.started_on,
    )


_RELATIONSHIP_BY_ID = _relationship_select().where(relationships.c.id == bindparam("id"))
_RELATIONSHIP_BY_ID_FOR_UPDATE = _RELATIONSHIP_BY_ID.with_for_update(of=relationships)


# On the driver's cursor: a relation is read (and locked) for each change of its status, as
# every completed transfer makes one.
_READ_RELATIONSHIP = DriverRead(_RELATIONSHIP_BY_ID)
_READ_RELATIONSHIP_FOR_UPDATE = DriverRead(_RELATIONSHIP_BY_ID_FOR_UPDATE)


def get_relationship(
    uow: UnitOfWork, relationship_id: int, *, for_update: bool = False
) -> Relationship | None:
    read = _READ_RELATIONSHIP_FOR_UPDATE if for_update else _READ_RELATIONSHIP
    row = read.first(uow.conn, {"id": relationship_id})
    return _relationship(row) if row else None


def relationships_of(uow: UnitOfWork, id_number: str) -> list[Relationship]:
    stmt = (
        _relationship_select()
        .where(persons.c.id_number == id_number)
        .order_by(relationships.c.started_on, relationships.c.id)
    )
    return [_relationship(r) for r in uow.conn.execute(stmt)]


def current_normal_relationship(uow: UnitOfWork, pid: int, scheme: Scheme) -> Relationship | None:
    stmt = _relationship_select().where(
        relationships.c.person_id == pid,
        relationships.c.scheme == scheme.value,
        relationships.c.kind == RelationshipKind.NORMAL.value,
        relationships.c.status.in_([s.value for s in CURRENT_STATUSES]),
    )
    row = uow.conn.execute(stmt).first()
    return _relationship(row) if row else None


_LAST_CHANGE = DriverRead(
    select(relationship_status_changes.c.changed_on)
    .where(relationship_status_changes.c.relationship_id == bindparam("relationship_id"))
    .order_by(relationship_status_changes.c.id.desc())
    .limit(1)
)


def last_status_change_on(uow: UnitOfWork, relationship_id: int) -> dt.date | None:
    """The day of the relation's latest status change (the last of :func:`status_history`)."""
    found = _LAST_CHANGE.first(uow.conn, {"relationship_id": relationship_id})
    return None if found is None else found.changed_on


def status_history(uow: UnitOfWork, relationship_id: int) -> list[StatusChange]:
    rows = uow.conn.execute(
        select(relationship_status_changes)
        .where(relationship_status_changes.c.relationship_id == relationship_id)
        .order_by(relationship_status_changes.c.id)
    )
    return [
        StatusChange(
            RelationshipStatus(r.from_status) if r.from_status else None,
            RelationshipStatus(r.to_status),
            r.changed_on,
            r.reason,
        )
        for r in rows
    ]
