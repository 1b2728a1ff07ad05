"""Employers (参保单位), registered once by their 统一社会信用代码."""

from __future__ import annotations

from sqlalchemy import insert, update

from jinbao.audit.service import record, record_many
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.kernel.identifiers import parse_uscc
from jinbao.registry import repository as repo
from jinbao.registry.model import (
    Employer,
)
from jinbao.registry.service._common import NewEmployer, _agency_or_invalid, _required_text
from jinbao.registry.tables import (
    employers,
)


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
    changes = [(str(r["uscc"]), None, {"name": r["name"], "agency_code": r["agency_code"]})
               for r in rows]  # fmt: skip
    record_many(uow, "employer.add", "employer", changes)


def get_employer(uow: UnitOfWork, uscc: str) -> Employer:
    employer = repo.get_employer(uow, uscc.strip().upper())
    if employer is None:
        raise NotFound(
            "employer.not_found", f"单位{uscc}未参保登记。", f"No employer with code {uscc}."
        )
    return employer


def move_employer(uow: UnitOfWork, uscc: str, agency_code: str) -> Employer:
    """The employer is now insured at another agency (成建制划转): its later declarations go
    there; the records already made stay with the agency that made them."""
    employer = get_employer(uow, uscc)
    target = _agency_or_invalid(uow, agency_code, "agency_code")
    if target.code == employer.agency_code:
        raise Conflict(
            "employer.same_agency",
            f"单位{employer.uscc}已在{target.code}参保。",
            f"Employer {employer.uscc} is already insured at {target.code}.",
            field="agency_code",
        )
    agency_id = repo.agency_id(uow, target.code)
    uow.conn.execute(
        update(employers).where(employers.c.uscc == employer.uscc).values(agency_id=agency_id)
    )
    record(
        uow, "employer.move", "employer", employer.uscc,
        old={"agency": employer.agency_code}, new={"agency": target.code},
    )  # fmt: skip
    moved = repo.get_employer(uow, employer.uscc)
    assert moved is not None
    return moved
