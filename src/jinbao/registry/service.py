"""Registry use cases. Each takes an open unit of work, writes its audit row, never commits."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from jinbao.audit.service import record
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.kernel.identifiers import Sex, parse_resident_id, parse_uscc
from jinbao.registry import repository as repo
from jinbao.registry.model import (
    Agency,
    AgencyLevel,
    Contact,
    Employer,
    Person,
    Relationship,
    RelationshipKind,
    RelationshipStatus,
    RetirementCategory,
    Scheme,
    StatusChange,
    check_agency_placement,
    check_contact,
    check_person_identity,
    check_transition,
)
from jinbao.registry.tables import (
    agencies,
    employers,
    persons,
    relationship_status_changes,
    relationships,
)

AGENCY_CODE = re.compile(r"^[0-9A-Z]{6,20}$")
PHONE = re.compile(r"^[0-9+\-() 转]{5,30}$")


@dataclass(frozen=True, slots=True)
class NewAgency:
    code: str
    name: str
    level: AgencyLevel
    parent_code: str | None
    region_code: str | None
    contact: Contact
    networked_since: dt.date | None = None


@dataclass(frozen=True, slots=True)
class NewEmployer:
    uscc: str
    name: str
    agency_code: str


@dataclass(frozen=True, slots=True)
class NewPerson:
    id_number: str
    name: str
    hukou_region_code: str
    sex: Sex | None = None
    birth_date: dt.date | None = None
    retirement_category: RetirementCategory | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class NewRelationship:
    id_number: str
    scheme: Scheme
    agency_code: str
    started_on: dt.date
    kind: RelationshipKind = RelationshipKind.NORMAL
    employer_uscc: str | None = None


# ----------------------------------------------------------------------------- helpers


def _required_text(value: str, field: str, zh_name: str, max_len: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(
            f"{field}.required", f"{zh_name}不能为空。", f"{field} is required.", field=field
        )
    if len(text) > max_len:
        raise InvalidInput(
            f"{field}.too_long",
            f"{zh_name}不能超过{max_len}个字符。",
            f"{field} is longer than {max_len} characters.",
            field=field,
        )
    return text


def _agency_or_invalid(uow: UnitOfWork, code: str, field: str) -> Agency:
    agency = repo.get_agency(uow, code)
    if agency is None:
        raise InvalidInput(
            "agency.unknown",
            f"经办机构{code}不存在。",
            f"There is no agency with code {code}.",
            field=field,
        )
    return agency


# ----------------------------------------------------------------------------- agencies


def add_agency(uow: UnitOfWork, cmd: NewAgency) -> Agency:
    """Register a 社会保险经办机构 in the tree, with complete published contact information."""
    code = cmd.code.strip().upper()
    if not AGENCY_CODE.match(code):
        raise InvalidInput(
            "agency.code_format",
            "机构编码应为6至20位数字或大写字母。",
            "An agency code has 6 to 20 digits or capital letters.",
            field="code",
        )
    name = _required_text(cmd.name, "name", "机构名称", 100)
    parent = _agency_or_invalid(uow, cmd.parent_code, "parent_code") if cmd.parent_code else None
    region = None
    if cmd.region_code:
        region = repo.get_region(uow, cmd.region_code)
        if region is None:
            raise InvalidInput(
                "region.unknown",
                f"行政区划代码{cmd.region_code}不存在（GB/T 2260）。",
                f"{cmd.region_code} is not a GB/T 2260 region code in force.",
                field="region_code",
            )
    elif cmd.level is AgencyLevel.NATIONAL:
        region = None
    check_agency_placement(cmd.level, region, parent)
    if cmd.level is AgencyLevel.NATIONAL and cmd.region_code:
        raise InvalidInput(
            "agency.region",
            "国家级经办机构不属于某一行政区划。",
            "The national agency has no region code.",
            field="region_code",
        )
    contact = Contact(*(v.strip() for v in asdict(cmd.contact).values()))
    check_contact(contact)
    if repo.agency_id(uow, code) is not None:
        raise Conflict(
            "agency.duplicate",
            f"机构编码{code}已被使用。",
            f"Agency code {code} is already taken.",
            field="code",
        )
    values = {
        "code": code,
        "name": name,
        "level": cmd.level.value,
        "parent_id": repo.agency_id(uow, parent.code) if parent else None,
        "region_code": region.code if region else None,
        "address": contact.address,
        "department": contact.department,
        "phone": contact.phone,
        "hours": contact.hours,
        "networked_since": cmd.networked_since,
        "created_at": uow.clock.now(),
    }
    uow.conn.execute(insert(agencies).values(**values))
    record(
        uow,
        "agency.add",
        "agency",
        code,
        new={k: v for k, v in values.items() if k != "created_at"},
    )
    added = repo.get_agency(uow, code)
    assert added is not None
    return added


def get_agency(uow: UnitOfWork, code: str) -> Agency:
    agency = repo.get_agency(uow, code.strip().upper())
    if agency is None:
        raise NotFound(
            "agency.not_found", f"经办机构{code}不存在。", f"No agency with code {code}."
        )
    return agency


def update_agency_contact(uow: UnitOfWork, code: str, contact: Contact) -> Agency:
    """Change the published contact information (seed 001: report changes, keep it complete)."""
    before = get_agency(uow, code)
    contact = Contact(*(v.strip() for v in asdict(contact).values()))
    check_contact(contact)
    uow.conn.execute(
        update(agencies).where(agencies.c.code == before.code).values(**asdict(contact))
    )
    record(
        uow,
        "agency.contact",
        "agency",
        before.code,
        old=asdict(before.contact),
        new=asdict(contact),
    )
    return get_agency(uow, before.code)


def set_agency_network(uow: UnitOfWork, code: str, networked_since: dt.date | None) -> Agency:
    """Record that an agency joined the exchange network (入网) on a date, or left it."""
    before = get_agency(uow, code)
    if networked_since is not None and networked_since > uow.clock.today():
        raise InvalidInput(
            "agency.network_date_future",
            "入网日期不能晚于今天。",
            "The network joining date cannot be in the future.",
            field="networked_since",
        )
    uow.conn.execute(
        update(agencies)
        .where(agencies.c.code == before.code)
        .values(networked_since=networked_since)
    )
    record(
        uow,
        "agency.network",
        "agency",
        before.code,
        old={"networked_since": before.networked_since},
        new={"networked_since": networked_since},
    )
    return get_agency(uow, before.code)


# ----------------------------------------------------------------------------- employers


def validate_employer(uow: UnitOfWork, cmd: NewEmployer) -> dict[str, object]:
    """Check a new employer and return the row to insert (without the duplicate check)."""
    code = parse_uscc(cmd.uscc)
    name = _required_text(cmd.name, "name", "单位名称", 200)
    agency_code = (cmd.agency_code or "").strip().upper()
    agency_id = repo.agency_id(uow, agency_code)
    if agency_id is None:
        raise InvalidInput(
            "agency.unknown",
            f"经办机构{agency_code}不存在。",
            f"There is no agency with code {agency_code}.",
            field="agency_code",
        )
    return {"uscc": code, "name": name, "agency_id": agency_id, "agency_code": agency_code}


def add_employer(uow: UnitOfWork, cmd: NewEmployer) -> Employer:
    """Register a 参保单位 by its 统一社会信用代码 (GB 32100-2015), once nationally."""
    row = validate_employer(uow, cmd)
    if repo.get_employer(uow, str(row["uscc"])) is not None:
        raise Conflict(
            "employer.duplicate",
            f"统一社会信用代码{row['uscc']}的单位已参保登记。",
            f"An employer with code {row['uscc']} is already registered.",
            field="uscc",
        )
    insert_employers(uow, [row])
    employer = repo.get_employer(uow, str(row["uscc"]))
    assert employer is not None
    return employer


def insert_employers(uow: UnitOfWork, rows: list[dict[str, object]]) -> None:
    now = uow.clock.now()
    uow.conn.execute(
        insert(employers),
        [
            {"uscc": r["uscc"], "name": r["name"], "agency_id": r["agency_id"], "created_at": now}
            for r in rows
        ],
    )
    for r in rows:
        record(
            uow,
            "employer.add",
            "employer",
            str(r["uscc"]),
            new={"name": r["name"], "agency_code": r["agency_code"]},
        )


def get_employer(uow: UnitOfWork, uscc: str) -> Employer:
    employer = repo.get_employer(uow, uscc.strip().upper())
    if employer is None:
        raise NotFound(
            "employer.not_found", f"单位{uscc}未参保登记。", f"No employer with code {uscc}."
        )
    return employer


# ----------------------------------------------------------------------------- persons


def validate_person(
    uow: UnitOfWork, cmd: NewPerson, *, known_regions: set[str] | None = None
) -> dict[str, object]:
    """Check a new person and return the row to insert (without the duplicate check).

    ``known_regions`` lets a bulk import look region codes up once for the whole file.
    """
    rid = parse_resident_id(cmd.id_number, today=uow.clock.today())
    category = check_person_identity(
        rid, sex=cmd.sex, birth_date=cmd.birth_date, category=cmd.retirement_category
    )
    name = _required_text(cmd.name, "name", "姓名", 60)
    region = (cmd.hukou_region_code or "").strip()
    exists = region in known_regions if known_regions is not None else repo.get_region(uow, region)
    if not exists:
        raise InvalidInput(
            "person.hukou_region",
            f"户籍所在地行政区划代码“{region}”不存在（GB/T 2260）。",
            f"The hukou region code '{region}' is not a GB/T 2260 code in force.",
            field="hukou_region_code",
        )
    phone = (cmd.phone or "").strip() or None
    if phone is not None and not PHONE.match(phone):
        raise InvalidInput(
            "person.phone",
            "联系电话格式不正确。",
            "The phone number is malformed.",
            field="phone",
        )
    address = (cmd.address or "").strip() or None
    if address is not None and len(address) > 200:
        raise InvalidInput(
            "address.too_long", "地址不能超过200个字符。", "address is too long.", field="address"
        )
    return {
        "id_number": rid.number,
        "name": name,
        "sex": rid.sex.value,
        "birth_date": rid.birth_date,
        "hukou_region_code": region,
        "retirement_category": category.value,
        "phone": phone,
        "address": address,
    }


def _duplicate_person(id_number: str) -> Conflict:
    return Conflict(
        "person.duplicate",
        f"公民身份号码{id_number}已参保登记，全国每人只登记一次。",
        f"ID number {id_number} is already registered; a person is registered once nationally.",
        field="id_number",
    )


def add_person(uow: UnitOfWork, cmd: NewPerson) -> Person:
    """Register a 参保人, once nationally, with identity checked against the ID number."""
    row = validate_person(uow, cmd)
    if repo.person_id(uow, str(row["id_number"])) is not None:
        raise _duplicate_person(str(row["id_number"]))
    insert_persons(uow, [row])
    person = repo.get_person(uow, str(row["id_number"]))
    assert person is not None
    return person


def insert_persons(uow: UnitOfWork, rows: list[dict[str, object]]) -> None:
    now = uow.clock.now()
    try:
        uow.conn.execute(insert(persons), [{**r, "created_at": now} for r in rows])
    except IntegrityError as exc:  # a concurrent registration of the same number won the race
        if len(rows) == 1:
            raise _duplicate_person(str(rows[0]["id_number"])) from exc
        raise Conflict(
            "person.duplicate",
            "文件中有公民身份号码刚刚被其他操作登记，未导入任何记录，请重新导入。",
            "Some ID numbers were registered by someone else meanwhile; nothing was imported. "
            "Import again.",
        ) from exc
    for r in rows:
        record(
            uow,
            "person.add",
            "person",
            str(r["id_number"]),
            new={k: v for k, v in r.items() if k != "id_number"},
        )


def get_person(uow: UnitOfWork, id_number: str) -> Person:
    person = repo.get_person(uow, id_number.strip().upper())
    if person is None:
        raise NotFound(
            "person.not_found",
            f"公民身份号码{id_number}未参保登记。",
            f"No person is registered with ID number {id_number}.",
        )
    return person


# ----------------------------------------------------------------------------- relationships


def add_relationship(uow: UnitOfWork, cmd: NewRelationship) -> Relationship:
    """Open a 参保关系 for a person in a scheme at an agency.

    At most one active normal relationship per person and scheme (a second one is a duplicate
    relationship, settled by transfer: 人社部发〔2009〕187号 意见 三, POLICY §2.2). An employee's
    relationship sits at the employer's agency. A temporary account (临时基本养老保险缴费账户)
    is a separate kind and may exist beside the normal relationship.
    """
    person = get_person(uow, cmd.id_number)
    pid = repo.person_id(uow, person.id_number)
    assert pid is not None
    agency_code = cmd.agency_code.strip().upper()
    agency_id = repo.agency_id(uow, agency_code)
    if agency_id is None:
        raise InvalidInput(
            "agency.unknown",
            f"经办机构{agency_code}不存在。",
            f"There is no agency with code {agency_code}.",
            field="agency_code",
        )
    employer_id = None
    if cmd.employer_uscc:
        employer = repo.employer_row(uow, cmd.employer_uscc.strip().upper())
        if employer is None:
            raise InvalidInput(
                "employer.unknown",
                f"单位{cmd.employer_uscc}未参保登记。",
                f"No employer is registered with code {cmd.employer_uscc}.",
                field="employer_uscc",
            )
        if employer.agency_code != agency_code:
            raise InvalidInput(
                "relationship.employer_agency",
                f"单位在经办机构{employer.agency_code}参保，职工参保关系应在同一机构。",
                f"The employer is registered at {employer.agency_code}; its employees' "
                "relationship must be at the same agency.",
                field="agency_code",
            )
        employer_id = employer.id
    if cmd.started_on > uow.clock.today():
        raise InvalidInput(
            "relationship.start_future",
            "参保日期不能晚于今天。",
            "The start date cannot be in the future.",
            field="started_on",
        )
    if cmd.started_on < person.birth_date:
        raise InvalidInput(
            "relationship.start_before_birth",
            "参保日期早于出生日期。",
            "The start date is before the person's birth.",
            field="started_on",
        )
    if cmd.kind is RelationshipKind.NORMAL:
        existing = repo.active_normal_relationship(uow, pid, cmd.scheme)
        if existing is not None:
            raise _duplicate_relationship(existing)
    values = {
        "person_id": pid,
        "scheme": cmd.scheme.value,
        "agency_id": agency_id,
        "employer_id": employer_id,
        "kind": cmd.kind.value,
        "status": RelationshipStatus.CONTRIBUTING.value,
        "started_on": cmd.started_on,
        "created_at": uow.clock.now(),
    }
    try:
        new_id = uow.conn.execute(
            insert(relationships).values(**values).returning(relationships.c.id)
        ).scalar_one()
    except IntegrityError as exc:  # the partial unique index caught a concurrent twin
        raise Conflict(
            "relationship.duplicate_active",
            "该参保人在此险种已有有效参保关系。",
            "The person already has an active relationship in this scheme.",
            field="scheme",
        ) from exc
    _log_status(uow, new_id, None, RelationshipStatus.CONTRIBUTING, cmd.started_on, "参保登记")
    record(
        uow,
        "relationship.add",
        "relationship",
        str(new_id),
        new={**cmd_dict(cmd), "agency_code": agency_code},
    )
    return get_relationship(uow, new_id)


def _duplicate_relationship(existing: Relationship) -> Conflict:
    return Conflict(
        "relationship.duplicate_active",
        f"该参保人在此险种已有有效参保关系（编号{existing.id}，经办机构{existing.agency_code}），"
        "不能重复参保；跨地区参保应办理转移接续。",
        f"The person already has an active relationship in this scheme (#{existing.id} at "
        f"{existing.agency_code}); moving between places is done by a transfer.",
        field="scheme",
    )


def cmd_dict(cmd: NewRelationship) -> dict[str, object]:
    return {
        "id_number": cmd.id_number,
        "scheme": cmd.scheme,
        "kind": cmd.kind,
        "employer_uscc": cmd.employer_uscc,
        "started_on": cmd.started_on,
    }


def get_relationship(uow: UnitOfWork, relationship_id: int) -> Relationship:
    found = repo.get_relationship(uow, relationship_id)
    if found is None:
        raise get_relationship_error(relationship_id)
    return found


def status_history(uow: UnitOfWork, relationship_id: int) -> list[StatusChange]:
    return repo.status_history(uow, relationship_id)


def relationship_with_history(
    uow: UnitOfWork, relationship_id: int
) -> tuple[Relationship, list[StatusChange]]:
    return get_relationship(uow, relationship_id), repo.status_history(uow, relationship_id)


def person_relationships(
    uow: UnitOfWork, id_number: str
) -> list[tuple[Relationship, list[StatusChange]]]:
    """Every relationship of a person, oldest first, each with its dated status history."""
    person = get_person(uow, id_number)
    return [
        (r, repo.status_history(uow, r.id)) for r in repo.relationships_of(uow, person.id_number)
    ]


def change_relationship_status(
    uow: UnitOfWork,
    relationship_id: int,
    new_status: RelationshipStatus,
    *,
    changed_on: dt.date,
    reason: str,
) -> Relationship:
    """Move a relationship to a new status, dated, with a reason, kept in its history."""
    current = repo.get_relationship(uow, relationship_id, for_update=True)
    if current is None:
        raise get_relationship_error(relationship_id)
    check_transition(current.status, new_status, relationship_id=relationship_id)
    reason_text = _required_text(reason, "reason", "变更原因", 200)
    history = repo.status_history(uow, relationship_id)
    if history and changed_on < history[-1].changed_on:
        raise InvalidInput(
            "relationship.change_before_last",
            f"变更日期不能早于上一次状态变更日期{history[-1].changed_on.isoformat()}。",
            f"The change date is before the last change on {history[-1].changed_on}.",
            field="changed_on",
        )
    if changed_on > uow.clock.today():
        raise InvalidInput(
            "relationship.change_future",
            "变更日期不能晚于今天。",
            "The change date cannot be in the future.",
            field="changed_on",
        )
    uow.conn.execute(
        update(relationships)
        .where(relationships.c.id == relationship_id)
        .values(status=new_status.value)
    )
    _log_status(uow, relationship_id, current.status, new_status, changed_on, reason_text)
    record(
        uow,
        "relationship.status",
        "relationship",
        str(relationship_id),
        old={"status": current.status},
        new={"status": new_status, "changed_on": changed_on, "reason": reason_text},
    )
    return get_relationship(uow, relationship_id)


def get_relationship_error(relationship_id: int) -> NotFound:
    return NotFound(
        "relationship.not_found",
        f"参保关系{relationship_id}不存在。",
        f"No relationship #{relationship_id}.",
    )


def _log_status(
    uow: UnitOfWork,
    relationship_id: int,
    old: RelationshipStatus | None,
    new: RelationshipStatus,
    on: dt.date,
    reason: str,
) -> None:
    uow.conn.execute(
        insert(relationship_status_changes).values(
            relationship_id=relationship_id,
            from_status=old.value if old else None,
            to_status=new.value,
            changed_on=on,
            reason=reason,
            recorded_at=uow.clock.now(),
        )
    )
