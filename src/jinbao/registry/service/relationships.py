"""Insurance relationships (参保关系) and their dated status history."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from jinbao.audit.service import record
from jinbao.db.driver import DriverWrite
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.registry import repository as repo
from jinbao.registry.model import (
    CURRENT_STATUSES,
    STATUS_ZH,
    Relationship,
    RelationshipKind,
    RelationshipStatus,
    StatusChange,
    check_transition,
)
from jinbao.registry.service._common import NewRelationship, _required_text
from jinbao.registry.service.persons import get_person
from jinbao.registry.tables import (
    relationship_status_changes,
    relationships,
)


def add_relationship(uow: UnitOfWork, cmd: NewRelationship) -> Relationship:
    """Open a 参保关系 for a person in a scheme at an agency.

    At most one current (contributing or receiving) normal relationship per person and scheme
    (a second one is a duplicate relationship, settled by transfer: 人社部发〔2009〕187号 意见 三,
    POLICY §2.2). A suspended relation elsewhere may stay: the person enrols at the new place
    first and then applies to transfer the old one (国办发〔2009〕66号 第八条 一). An employee's
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
        existing = repo.current_normal_relationship(uow, pid, cmd.scheme)
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
            "该参保人在此险种已有在缴或领取待遇的参保关系。",
            "The person already has a current relationship in this scheme.",
            field="scheme",
        ) from exc
    _log_status(uow, new_id, None, RelationshipStatus.CONTRIBUTING, cmd.started_on, "参保登记")
    record(
        uow,
        "relationship.add",
        "relationship",
        str(new_id),
        new={**_cmd_dict(cmd), "agency_code": agency_code},
    )
    return get_relationship(uow, new_id)


def _duplicate_relationship(existing: Relationship) -> Conflict:
    return Conflict(
        "relationship.duplicate_active",
        f"该参保人在此险种已有{STATUS_ZH[existing.status]}的参保关系（编号{existing.id}，经办机构"
        f"{existing.agency_code}），不能重复参保；跨地区参保应办理转移接续。",
        f"The person already has a {existing.status.value} relationship in this scheme "
        f"(#{existing.id} at {existing.agency_code}); moving between places is done by a transfer.",
        field="scheme",
    )


def _cmd_dict(cmd: NewRelationship) -> dict[str, object]:
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
        raise _not_found(relationship_id)
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


# A status change's writes, on the driver's cursor (every completed transfer makes one). On
# PostgreSQL one statement since session 34: the update in a WITH, the history's row inserted
# from the row it returns (as a transfer case is saved with its event); SQLite runs two.
_SET_STATUS = DriverWrite(
    update(relationships)
    .where(relationships.c.id == bindparam("relationship_id"))
    .values(status=bindparam("new_status"))
)
_LOG_STATUS = DriverWrite(insert(relationship_status_changes))
_LOG_COLUMNS = (
    "relationship_id",
    "from_status",
    "to_status",
    "changed_on",
    "reason",
    "recorded_at",
)
_CHANGED = (
    update(relationships)
    .where(relationships.c.id == bindparam("relationship_id"))
    .values(status=bindparam("to_status"))
    .returning(relationships.c.id)
    .cte("changed")
)
_SET_STATUS_LOGGED = DriverWrite(
    insert(relationship_status_changes).from_select(
        _LOG_COLUMNS,
        select(
            _CHANGED.c.id,
            *(
                bindparam(name, type_=relationship_status_changes.c[name].type)
                for name in _LOG_COLUMNS[1:]
            ),
        ),
        include_defaults=False,
    )
)


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
        raise _not_found(relationship_id)
    check_transition(current.status, new_status, relationship_id=relationship_id)
    if (
        current.kind is RelationshipKind.NORMAL
        and new_status in CURRENT_STATUSES
        and current.status not in CURRENT_STATUSES
    ):
        pid = repo.person_id(uow, current.person_id_number)
        assert pid is not None
        other = repo.current_normal_relationship(uow, pid, current.scheme)
        if other is not None:
            raise _duplicate_relationship(other)
    reason_text = _required_text(reason, "reason", "变更原因", 200)
    # Read after the lock, by a statement of its own: in the locking statement it would be read
    # as of that statement's start, without what a unit it waited for committed.
    last = repo.last_status_change_on(uow, relationship_id)
    if last is not None and changed_on < last:
        raise InvalidInput(
            "relationship.change_before_last",
            f"变更日期不能早于上一次状态变更日期{last.isoformat()}。",
            f"The change date is before the last change on {last}.",
            field="changed_on",
        )
    if changed_on > uow.clock.today():
        raise InvalidInput(
            "relationship.change_future",
            "变更日期不能晚于今天。",
            "The change date cannot be in the future.",
            field="changed_on",
        )
    logged = _status_log(relationship_id, current.status, new_status, changed_on, reason_text, uow)
    if uow.conn.dialect.name == "postgresql":
        _SET_STATUS_LOGGED.run(uow.conn, logged)
    else:
        _SET_STATUS.run(
            uow.conn, {"relationship_id": relationship_id, "new_status": new_status.value}
        )
        _LOG_STATUS.run(uow.conn, logged)
    record(
        uow,
        "relationship.status",
        "relationship",
        str(relationship_id),
        old={"status": current.status},
        new={"status": new_status, "changed_on": changed_on, "reason": reason_text},
    )
    # The row read above, locked until the commit, with the one column just changed.
    return dataclasses.replace(current, status=new_status)


def make_temporary(uow: UnitOfWork, relationship_id: int, *, reason: str) -> Relationship:
    """建立临时基本养老保险缴费账户 (国办发〔2009〕66号 第五条（二）): a relation opened at a place
    where the person, of temporary-account age outside the 户籍 province, should have had a
    temporary account becomes one; the old place keeps the normal relation."""
    current = repo.get_relationship(uow, relationship_id, for_update=True)
    if current is None:
        raise _not_found(relationship_id)
    if current.kind is not RelationshipKind.NORMAL or current.status not in CURRENT_STATUSES:
        raise Conflict(
            "relationship.not_convertible",
            f"参保关系{relationship_id}不是正在缴费的基本养老保险关系，不能建立为临时缴费账户。",
            f"Relationship #{relationship_id} is not a current normal relation; it cannot become "
            "a temporary account.",
        )
    reason_text = _required_text(reason, "reason", "原因", 200)
    uow.conn.execute(
        update(relationships)
        .where(relationships.c.id == relationship_id)
        .values(kind=RelationshipKind.TEMPORARY.value)
    )
    record(
        uow, "relationship.kind", "relationship", str(relationship_id),
        old={"kind": current.kind}, new={"kind": RelationshipKind.TEMPORARY, "reason": reason_text},
    )  # fmt: skip
    return dataclasses.replace(current, kind=RelationshipKind.TEMPORARY)  # locked, as above


def _not_found(relationship_id: int) -> NotFound:
    return NotFound(
        "relationship.not_found",
        f"参保关系{relationship_id}不存在。",
        f"No relationship #{relationship_id}.",
    )


def _status_log(
    relationship_id: int,
    old: RelationshipStatus | None,
    new: RelationshipStatus,
    on: dt.date,
    reason: str,
    uow: UnitOfWork,
) -> dict[str, Any]:
    """A row of a relation's status history."""
    return {
        "relationship_id": relationship_id,
        "from_status": old.value if old else None,
        "to_status": new.value,
        "changed_on": on,
        "reason": reason,
        "recorded_at": uow.clock.now(),
    }


def _log_status(
    uow: UnitOfWork,
    relationship_id: int,
    old: RelationshipStatus | None,
    new: RelationshipStatus,
    on: dt.date,
    reason: str,
) -> None:
    _LOG_STATUS.run(uow.conn, _status_log(relationship_id, old, new, on, reason, uow))
