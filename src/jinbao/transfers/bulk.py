"""成建制划转: an employer moves to another agency with all its staff.

The receiving agency files one application for the employer. In one transaction every employee
contributing there is enrolled at the new agency from the move date, the employer's registration
moves (its later declarations go to the new agency; the records already made stay where they
were made), and one transfer case per employee opens under a shared batch id. From then on
each case runs the three legs of 国办发〔2009〕66号 第八条 like any other, reviewed person by
person (a rule that stops one person's transfer stops only that case), with the money reserved,
posted or voided case by case. Nothing is written if anything in the filing is wrong.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from jinbao.audit.service import record
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import InvalidInput
from jinbao.policy.parameters import Parameters
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus, Scheme
from jinbao.registry.tables import agencies, employers, persons, relationships
from jinbao.transfers import cases, queries, workflow
from jinbao.transfers.tables import transfer_cases


@dataclass(frozen=True, slots=True)
class EmployerMove:
    employer_uscc: str
    to_agency: str
    moved_on: dt.date | None = None  # first day insured at the new agency (default today)


def apply_bulk(uow: UnitOfWork, cmd: EmployerMove, params: Parameters) -> str:
    """File the move; returns the batch id (``PL`` + date + random)."""
    employer = registry.get_employer(uow, cmd.employer_uscc)
    to_id, to_agency = cases.agency(uow, cmd.to_agency)
    moved_on = cmd.moved_on or uow.clock.today()
    if moved_on > uow.clock.today():
        raise InvalidInput(
            "transfer.applied_future",
            "划转日期不能晚于今天。",
            "The move date cannot be in the future.",
            field="moved_on",
        )
    from_code = employer.agency_code
    staff = uow.conn.execute(
        select(relationships.c.id, persons.c.id_number, relationships.c.started_on)
        .join(persons, persons.c.id == relationships.c.person_id)
        .join(employers, employers.c.id == relationships.c.employer_id)
        .join(agencies, agencies.c.id == relationships.c.agency_id)
        .where(
            employers.c.uscc == employer.uscc,
            agencies.c.code == from_code,
            relationships.c.scheme == Scheme.ENTERPRISE.value,
            relationships.c.kind == "normal",
            relationships.c.status == RelationshipStatus.CONTRIBUTING.value,
        )
        .order_by(persons.c.id_number)
    ).all()
    if not staff:
        raise InvalidInput(
            "transfer.bulk_no_staff",
            f"单位{employer.uscc}在{from_code}没有正在缴费的职工，无需成建制划转。",
            f"Employer {employer.uscc} has no contributing staff at {from_code}; nothing to move.",
            field="employer_uscc",
        )
    late = [s.id_number for s in staff if s.started_on >= moved_on]
    if late:
        raise InvalidInput(
            "transfer.bulk_date",
            f"划转日期须晚于每名职工的参保日期；{'、'.join(late[:5])}等在该日期当天或之后才参保。",
            f"The move date must follow every employee's start; {', '.join(late[:5])} started "
            "on or after it.",
            field="moved_on",
        )
    registry.move_employer(uow, employer.uscc, to_agency.code)  # also refuses the same agency
    batch = f"PL{moved_on:%Y%m%d}{uuid.uuid4().hex[:8].upper()}"
    for relation_id, id_number, _ in staff:
        registry.change_relationship_status(
            uow, relation_id, RelationshipStatus.SUSPENDED, changed_on=moved_on,
            reason=f"成建制划转至{to_agency.code}，批次{batch}",
        )  # fmt: skip
        registry.add_relationship(
            uow,
            registry.NewRelationship(
                id_number, Scheme.ENTERPRISE, to_agency.code, moved_on,
                employer_uscc=employer.uscc,
            ),
        )  # fmt: skip
    record(
        uow, "transfer.bulk", "transfer_batch", batch,
        new={"employer": employer.uscc, "from": from_code, "to": to_agency.code,
             "moved_on": moved_on.isoformat(), "staff": len(staff), "agency_id": to_id},
    )  # fmt: skip
    for _, id_number, _ in staff:
        workflow.apply(
            uow,
            workflow.Application(id_number, to_agency.code, from_code, applied_on=moved_on),
            params,
            batch=batch,
        )
    return batch


def batch_cases(uow: UnitOfWork, batch: str, params: Parameters) -> dict[str, Any]:
    """The progress of one move: each employee's case as the receiving agency sees it, and a
    count by state."""
    batch = batch.strip().upper()
    rows = cases.rows_where(
        uow, transfer_cases.c.batch == batch, transfer_cases.c.side == cases.Side.RECEIVING.value
    )
    if not rows:
        raise InvalidInput(
            "transfer.batch_unknown", f"没有批次{batch}。", f"There is no batch {batch}.",
            field="batch",
        )  # fmt: skip
    today = uow.clock.today()
    listed = [queries.summary(r, today, params) for r in rows]
    states: dict[str, int] = {}
    for c in listed:
        states[c["state"]] = states.get(c["state"], 0) + 1
    return {"batch": batch, "cases": listed, "by_state": states}
