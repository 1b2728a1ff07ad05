"""Insurance relationships: one active normal relationship per scheme, dated status history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.registry import service
from jinbao.registry.model import RelationshipKind, RelationshipStatus, Scheme
from jinbao.registry.tables import agencies, persons, relationships
from tests.builders import a_uscc, an_agency_tree, an_id_number
from tests.integration.helpers import commit, listening, rejected

Uow = Callable[[], UnitOfWork]


@pytest.fixture
def person(make_uow: Uow) -> str:
    number = an_id_number(born="1972-08-15", sex="M", county="410105")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        service.add_person(uow, service.NewPerson(number, "李四", "410105"))

    commit(make_uow, setup)
    return number


def enroll(number: str, agency: str = "44010600", **kw: object) -> service.NewRelationship:
    return service.NewRelationship(
        number,
        kw.pop("scheme", Scheme.ENTERPRISE),
        agency,
        kw.pop("on", dt.date(2010, 3, 1)),
        **kw,  # type: ignore[arg-type]
    )


def test_a_relationship_opens_contributing_with_its_first_history_entry(
    engine: Engine, make_uow: Uow, person: str
) -> None:
    rel = commit(make_uow, lambda uow: service.add_relationship(uow, enroll(person)))
    assert (rel.status, rel.kind, rel.agency_code) == (
        RelationshipStatus.CONTRIBUTING,
        RelationshipKind.NORMAL,
        "44010600",
    )
    with make_uow() as uow:
        ((found, history),) = service.person_relationships(uow, person)
    assert found == rel
    assert [(h.from_status, h.to_status, h.changed_on) for h in history] == [
        (None, RelationshipStatus.CONTRIBUTING, dt.date(2010, 3, 1))
    ]


def test_a_second_active_relationship_in_the_same_scheme_is_refused(
    engine: Engine, make_uow: Uow, person: str
) -> None:
    commit(make_uow, lambda uow: service.add_relationship(uow, enroll(person)))
    error = rejected(
        engine,
        make_uow,
        lambda uow: service.add_relationship(uow, enroll(person, "41010000")),
        Conflict,
    )
    assert error.code == "relationship.duplicate_active"
    assert "转移接续" in error.zh


def test_other_schemes_and_temporary_accounts_may_stand_beside_it(
    engine: Engine, make_uow: Uow, person: str
) -> None:
    commit(make_uow, lambda uow: service.add_relationship(uow, enroll(person)))
    commit(
        make_uow,
        lambda uow: service.add_relationship(
            uow, enroll(person, "41010000", scheme=Scheme.RESIDENT)
        ),
    )
    temp = commit(
        make_uow,
        lambda uow: service.add_relationship(
            uow, enroll(person, "41010000", kind=RelationshipKind.TEMPORARY)
        ),
    )
    assert temp.kind is RelationshipKind.TEMPORARY


def test_the_database_itself_refuses_a_second_current_normal_relationship(
    engine: Engine, make_uow: Uow, person: str
) -> None:
    """The partial unique index backs the rule even for a writer that skips the use case."""
    commit(make_uow, lambda uow: service.add_relationship(uow, enroll(person)))
    with engine.connect() as conn:
        pid = conn.execute(select(persons.c.id)).scalar_one()
        aid = conn.execute(select(agencies.c.id).where(agencies.c.code == "41010000")).scalar_one()
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(relationships).values(
                person_id=pid, scheme="enterprise", agency_id=aid, kind="normal",
                status="receiving", started_on=dt.date(2020, 1, 1),
                created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
        )  # fmt: skip


def test_a_suspended_relation_is_kept_while_the_person_enrols_at_the_new_place(
    engine: Engine, make_uow: Uow, person: str
) -> None:
    """66号 第八条 一: enrol at the new place first, then apply; the old place keeps the relation
    (suspended) until the transfer completes. It cannot start contributing again meanwhile."""
    old = commit(make_uow, lambda uow: service.add_relationship(uow, enroll(person)))
    commit(
        make_uow,
        lambda uow: service.change_relationship_status(
            uow, old.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2015, 6, 30),
            reason="离职中断缴费",
        ),
    )  # fmt: skip
    new = commit(
        make_uow,
        lambda uow: service.add_relationship(
            uow, enroll(person, "41010000", on=dt.date(2015, 7, 1))
        ),
    )
    assert new.status is RelationshipStatus.CONTRIBUTING
    error = rejected(
        engine,
        make_uow,
        lambda uow: service.change_relationship_status(
            uow, old.id, RelationshipStatus.CONTRIBUTING, changed_on=dt.date(2015, 8, 1),
            reason="恢复缴费",
        ),
        Conflict,
    )  # fmt: skip
    assert error.code == "relationship.duplicate_active"
    assert "41010000" in error.zh


def test_after_a_transfer_out_a_new_relationship_may_open_elsewhere(
    engine: Engine, make_uow: Uow, person: str
) -> None:
    rel = commit(make_uow, lambda uow: service.add_relationship(uow, enroll(person)))
    commit(
        make_uow,
        lambda uow: service.change_relationship_status(
            uow, rel.id, RelationshipStatus.TRANSFERRED_OUT, changed_on=dt.date(2015, 6, 30),
            reason="跨省转出",
        ),
    )  # fmt: skip
    moved = commit(
        make_uow,
        lambda uow: service.add_relationship(
            uow, enroll(person, "41010000", on=dt.date(2015, 7, 1))
        ),
    )
    assert moved.status is RelationshipStatus.CONTRIBUTING


def test_status_changes_follow_the_rules_and_are_dated_in_order(
    engine: Engine, make_uow: Uow, person: str
) -> None:
    rel = commit(make_uow, lambda uow: service.add_relationship(uow, enroll(person)))

    def change(
        status: RelationshipStatus, on: dt.date, reason: str = "原因"
    ) -> Callable[[UnitOfWork], object]:
        return lambda uow: service.change_relationship_status(
            uow, rel.id, status, changed_on=on, reason=reason
        )

    def refused(status: RelationshipStatus, on: dt.date, reason: str = "原因") -> str:
        return rejected(engine, make_uow, change(status, on, reason)).code

    commit(make_uow, change(RelationshipStatus.SUSPENDED, dt.date(2012, 1, 1)))
    back = RelationshipStatus.CONTRIBUTING
    assert refused(back, dt.date(2011, 1, 1)) == "relationship.change_before_last"
    assert refused(back, dt.date(2027, 1, 1)) == "relationship.change_future"
    assert refused(back, dt.date(2013, 1, 1), " ") == "reason.required"
    changed = commit(make_uow, change(back, dt.date(2013, 1, 1)))
    with make_uow() as uow:  # what the change returns is the relationship as now stored
        assert changed == service.get_relationship(uow, rel.id)
    commit(make_uow, change(RelationshipStatus.RECEIVING, dt.date(2024, 6, 1)))
    assert refused(RelationshipStatus.TRANSFERRED_OUT, dt.date(2026, 1, 1)) == (
        "relationship.transition"
    )
    with make_uow() as uow:
        _, history = service.relationship_with_history(uow, rel.id)
    assert [h.to_status for h in history] == [
        RelationshipStatus.CONTRIBUTING,
        RelationshipStatus.SUSPENDED,
        RelationshipStatus.CONTRIBUTING,
        RelationshipStatus.RECEIVING,
    ]


def test_an_employee_relationship_sits_at_the_employers_agency(
    engine: Engine, make_uow: Uow, person: str
) -> None:
    uscc = a_uscc()
    commit(
        make_uow,
        lambda uow: service.add_employer(uow, service.NewEmployer(uscc, "某厂", "44010600")),
    )
    error = rejected(
        engine,
        make_uow,
        lambda uow: service.add_relationship(uow, enroll(person, "41010000", employer_uscc=uscc)),
        InvalidInput,
    )
    assert error.code == "relationship.employer_agency"
    rel = commit(
        make_uow, lambda uow: service.add_relationship(uow, enroll(person, employer_uscc=uscc))
    )
    assert rel.employer_uscc == uscc


def test_start_dates_are_checked(engine: Engine, make_uow: Uow, person: str) -> None:
    for on, code in [
        (dt.date(2027, 1, 1), "relationship.start_future"),
        (dt.date(1972, 8, 14), "relationship.start_before_birth"),
    ]:
        error = rejected(
            engine, make_uow, lambda uow, d=on: service.add_relationship(uow, enroll(person, on=d)),
            InvalidInput,
        )  # fmt: skip
        assert error.code == code


def test_a_status_change_writes_with_its_history_in_one_statement_on_postgresql(
    engine: Engine, make_uow: Uow, person: str
) -> None:
    """Every completed transfer changes a relation's status: the relation (locked on
    PostgreSQL) and then the day of its last change are read, and on PostgreSQL the new status
    and its row of history are one write (since session 34; SQLite runs the two). Then the
    audit row."""
    rel = commit(make_uow, lambda uow: service.add_relationship(uow, enroll(person)))
    run: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if not sql.startswith("BEGIN"):
            run.append(sql)

    with listening(engine, "before_cursor_execute", seen):
        changed = commit(
            make_uow,
            lambda uow: service.change_relationship_status(
                uow, rel.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2015, 6, 30),
                reason="离职中断缴费",
            ),
        )  # fmt: skip
    reads = [sql for sql in run if sql.lstrip().startswith("SELECT")]
    writes = [sql for sql in run if not sql.lstrip().startswith("SELECT")]
    assert len(reads) == 2
    assert len(writes) == (2 if engine.dialect.name == "postgresql" else 3)
    assert "audit_log" in writes[-1]
    with make_uow() as uow:
        stored, history = service.relationship_with_history(uow, rel.id)
    assert changed == stored
    assert stored.status is RelationshipStatus.SUSPENDED
    assert [(h.from_status, h.to_status, h.changed_on, h.reason) for h in history][-1] == (
        RelationshipStatus.CONTRIBUTING,
        RelationshipStatus.SUSPENDED,
        dt.date(2015, 6, 30),
        "离职中断缴费",
    )
