"""Persons (参保人), registered once nationally by their 公民身份号码."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from jinbao.audit.service import record_many
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.kernel.identifiers import parse_resident_id
from jinbao.registry import repository as repo
from jinbao.registry.model import (
    Person,
    check_person_identity,
)
from jinbao.registry.service._common import PHONE, NewPerson, _required_text
from jinbao.registry.tables import (
    persons,
)


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
    changes = [(str(r["id_number"]), None, {k: v for k, v in r.items() if k != "id_number"})
               for r in rows]  # fmt: skip
    record_many(uow, "person.add", "person", changes)


def registered_person(uow: UnitOfWork, id_number: str) -> tuple[int, Person]:
    """The registered person's row id and the person, in one query, or person.not_found."""
    found = repo.get_person_row(uow, id_number.strip().upper())
    if found is None:
        raise person_not_found(id_number)
    return found


def person_not_found(id_number: str) -> NotFound:
    return NotFound(
        "person.not_found",
        f"公民身份号码{id_number}未参保登记。",
        f"No person is registered with ID number {id_number}.",
    )


def get_person(uow: UnitOfWork, id_number: str) -> Person:
    return registered_person(uow, id_number)[1]


def person_row_id(uow: UnitOfWork, id_number: str) -> int:
    """The registered person's row id, or person.not_found (for use cases keyed by row)."""
    return registered_person(uow, id_number)[0]
