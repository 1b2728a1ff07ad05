"""Agencies (经办机构): register, look up, published contacts, network status (入网)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import insert, update

from jinbao.audit.service import record, record_many
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.registry import repository as repo
from jinbao.registry.model import (
    Agency,
    AgencyLevel,
    Contact,
    Region,
    check_agency_placement,
    check_contact,
)
from jinbao.registry.service._common import (
    AGENCY_CODE,
    NewAgency,
    _required_text,
)
from jinbao.registry.tables import (
    agencies,
)


def add_agency(uow: UnitOfWork, cmd: NewAgency) -> Agency:
    """Register a 社会保险经办机构 in the tree, with complete published contact information."""
    return add_agencies(uow, [cmd])[0]


def add_agencies(uow: UnitOfWork, cmds: Sequence[NewAgency]) -> list[Agency]:
    """Register several agencies at once (a province's directory, a generated nation), each by
    the rules of :func:`add_agency`; an agency's parent may be one of them, listed before it.
    Every one is checked before any is written: the first that breaks a rule stops them all
    with its error, and nothing is written. (One by one, an agency took five statements: a
    nation's three thousand counties, a long transaction of look-ups.)"""
    named = sorted({c.parent_code for c in cmds if c.parent_code})
    parents = {code: a for code, (_, a) in repo.agencies_with_ids(uow, named).items()}
    regions = repo.regions_by_codes(uow, [c.region_code for c in cmds if c.region_code])
    taken = repo.agency_ids(uow, [c.code.strip().upper() for c in cmds])
    added: dict[str, Agency] = {}
    for cmd in cmds:
        parent = added.get(cmd.parent_code or "") or parents.get(cmd.parent_code or "")
        agency = _checked(cmd, parent, regions)
        if agency.code in taken or agency.code in added:
            raise Conflict(
                "agency.duplicate",
                f"机构编码{agency.code}已被使用。",
                f"Agency code {agency.code} is already taken.",
                field="code",
            )
        added[agency.code] = agency
    outside = {a.parent_code for a in added.values() if a.parent_code} - added.keys()
    ids = repo.agency_ids(uow, outside)
    now = uow.clock.now()
    written: list[dict[str, object]] = []
    depths = sorted({a.level.depth for a in added.values()})
    for depth in depths:  # a parent's row first: its children's rows name its id
        rows = [_values(a, ids) for a in added.values() if a.level.depth == depth]
        uow.conn.execute(insert(agencies), [{**row, "created_at": now} for row in rows])
        written += rows
        if depth != depths[-1]:
            ids.update(repo.agency_ids(uow, [str(row["code"]) for row in rows]))
    repo.forget_agencies(uow)
    record_many(uow, "agency.add", "agency", [(str(row["code"]), None, row) for row in written])
    return list(added.values())


def _checked(cmd: NewAgency, parent: Agency | None, regions: dict[str, Region]) -> Agency:
    """The agency ``cmd`` describes, if it keeps the directory's rules (``parent``: the agency
    its parent code names, if any; ``regions``: the regions in force by code)."""
    code = cmd.code.strip().upper()
    if not AGENCY_CODE.match(code):
        raise InvalidInput(
            "agency.code_format",
            "机构编码应为6至20位数字或大写字母。",
            "An agency code has 6 to 20 digits or capital letters.",
            field="code",
        )
    name = _required_text(cmd.name, "name", "机构名称", 100)
    if cmd.parent_code and parent is None:
        raise InvalidInput(
            "agency.unknown",
            f"经办机构{cmd.parent_code}不存在。",
            f"There is no agency with code {cmd.parent_code}.",
            field="parent_code",
        )
    region = None
    if cmd.region_code:
        region = regions.get(cmd.region_code)
        if region is None:
            raise InvalidInput(
                "region.unknown",
                f"行政区划代码{cmd.region_code}不存在（GB/T 2260）。",
                f"{cmd.region_code} is not a GB/T 2260 region code in force.",
                field="region_code",
            )
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
    return Agency(
        code=code,
        name=name,
        level=cmd.level,
        parent_code=parent.code if parent else None,
        region_code=region.code if region else None,
        contact=contact,
        networked_since=cmd.networked_since,
    )


def _values(agency: Agency, ids: dict[str, int]) -> dict[str, object]:
    """The agency's row (and its audit record), its parent by row id."""
    return {
        "code": agency.code,
        "name": agency.name,
        "level": agency.level.value,
        "parent_id": ids[agency.parent_code] if agency.parent_code else None,
        "region_code": agency.region_code,
        **asdict(agency.contact),
        "networked_since": agency.networked_since,
    }


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
