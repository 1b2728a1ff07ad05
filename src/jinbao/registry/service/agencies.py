"""Agencies (经办机构): register, look up, published contacts, network status (入网)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import insert, update

from jinbao.audit.service import record
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.registry import repository as repo
from jinbao.registry.model import (
    Agency,
    AgencyLevel,
    Contact,
    check_agency_placement,
    check_contact,
)
from jinbao.registry.service._common import (
    AGENCY_CODE,
    NewAgency,
    _agency_or_invalid,
    _required_text,
)
from jinbao.registry.tables import (
    agencies,
)


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
    repo.forget_agencies(uow)
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
    repo.forget_agencies(uow)
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
    repo.forget_agencies(uow)
    record(
        uow,
        "agency.network",
        "agency",
        before.code,
        old={"networked_since": before.networked_since},
        new={"networked_since": networked_since},
    )
    return get_agency(uow, before.code)
