"""DriverRead and DriverWrite: a fixed statement on the driver's cursor reads and writes what
SQLAlchemy would, on both engines (the types' processors applied both ways), listeners still see
it, and a driver's error is SQLAlchemy's own."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from jinbao.audit.tables import audit_log
from jinbao.db import driver
from jinbao.db.bulk import keys_in
from jinbao.db.driver import DriverRead, DriverWrite
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.registry.tables import agencies
from tests.integration.helpers import agency_row

# A boolean (SQLite answers 0 or 1), a date and a timestamp (SQLite answers text), and date and
# timestamp parameters (SQLite is sent text, the timestamp in SQLAlchemy's format, which the
# driver's own would not match): each needs its type's processor on one engine or the other.
_STATEMENT = select(
    agencies.c.code,
    agencies.c.networked_since,
    agencies.c.created_at,
    exists().where(agencies.c.networked_since <= bindparam("until", type_=Date)).label("any"),
    exists()
    .where(agencies.c.created_at <= bindparam("at", type_=DateTime(timezone=True)))
    .label("created"),
).where(agencies.c.code == bindparam("code"))


def test_a_driver_read_gives_the_row_sqlalchemy_gives(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWork(engine, clock) as uow:
        row = {**agency_row("10000000"), "networked_since": dt.date(2020, 1, 1)}
        uow.conn.execute(insert(agencies).values(**row, created_at=clock.now()))
        uow.commit()
    read = DriverRead(_STATEMENT)
    seen: list[str] = []

    def listener(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        seen.append(sql)

    for until, expected in ((dt.date(2021, 1, 1), True), (dt.date(2019, 1, 1), False)):
        params = {"code": "10000000", "until": until, "at": clock.now()}
        with UnitOfWork(engine, clock, write=False) as uow:
            event.listen(uow.conn, "before_cursor_execute", listener)
            ours = read.first(uow.conn, params)
            theirs = uow.conn.execute(_STATEMENT, params).first()
        assert ours is not None
        assert theirs is not None
        assert tuple(ours) == tuple(theirs)
        assert ours.any is expected
        assert ours.created is True
        assert ours.networked_since == dt.date(2020, 1, 1)
        assert isinstance(ours.created_at, dt.datetime)
    assert len(seen) == 4  # two of ours, two of SQLAlchemy's
    with UnitOfWork(engine, clock, write=False) as uow:
        missing = {"code": "99999999", "until": dt.date(2021, 1, 1), "at": clock.now()}
        assert read.first(uow.conn, missing) is None


def test_a_driver_read_refuses_an_in_list(engine: Engine, clock: FixedClock) -> None:
    """SQLAlchemy renders an IN list's placeholders when it runs the statement: refused."""
    read = DriverRead(
        select(agencies.c.id).where(agencies.c.code.in_(bindparam("codes", expanding=True)))
    )
    with UnitOfWork(engine, clock, write=False) as uow, pytest.raises(TypeError, match="IN list"):
        read.first(uow.conn, {"codes": ["10000000"]})


def test_all_rows_of_a_fixed_in_list(engine: Engine, clock: FixedClock) -> None:
    """An IN list of named parameters is fixed at compile time: every row, as SQLAlchemy's,
    one code given twice, and none."""
    with UnitOfWork(engine, clock) as uow:
        for code in ("10000000", "20000000", "30000000"):
            uow.conn.execute(insert(agencies).values(**agency_row(code), created_at=clock.now()))
        uow.commit()
    statement = (
        select(agencies.c.code, agencies.c.created_at)
        .where(agencies.c.code.in_([bindparam("first"), bindparam("second")]))
        .order_by(agencies.c.code)
    )
    read = DriverRead(statement)
    with UnitOfWork(engine, clock, write=False) as uow:
        both = {"first": "30000000", "second": "10000000"}
        ours = read.all(uow.conn, both)
        assert [tuple(r) for r in ours] == [tuple(r) for r in uow.conn.execute(statement, both)]
        assert [r.code for r in ours] == ["10000000", "30000000"]
        assert isinstance(ours[0].created_at, dt.datetime)
        assert [
            r.code for r in read.all(uow.conn, {"first": "20000000", "second": "20000000"})
        ] == ["20000000"]
        assert read.all(uow.conn, {"first": "40000000", "second": "50000000"}) == []


def test_a_driver_write_writes_what_sqlalchemy_writes(engine: Engine, clock: FixedClock) -> None:
    """The same audit row by SQLAlchemy and by the driver (a timestamp, JSON with Chinese text
    and a None) reads back the same; RETURNING gives the new id; an update counts its rows."""
    row = {
        "occurred_at": clock.now(),
        "actor": "张三",
        "action": "test.write",
        "entity": "person",
        "entity_key": "1",
        "old": None,
        "new": {"name": "李四", "months": [1, 2]},
    }
    write = DriverWrite(insert(audit_log))
    returning = DriverWrite(insert(audit_log).returning(audit_log.c.id))
    rename = DriverWrite(
        update(audit_log)
        .where(audit_log.c.action == bindparam("was"))
        .values(action=bindparam("now"))
    )
    seen: list[str] = []
    with UnitOfWork(engine, clock) as uow:
        event.listen(uow.conn, "before_cursor_execute", lambda _c, _k, sql, *_: seen.append(sql))
        uow.conn.execute(insert(audit_log), {**row, "entity_key": "theirs"})
        assert write.run(uow.conn, {**row, "entity_key": "ours"}) == 1
        new = returning.first(uow.conn, {**row, "entity_key": "returned"})
        assert new is not None
        assert rename.run(uow.conn, {"was": "test.write", "now": "test.renamed"}) == 3
        uow.commit()
    assert len(seen) == 4
    with UnitOfWork(engine, clock, write=False) as uow:
        found = {
            r.entity_key: r
            for r in uow.conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
        }
    assert found["returned"].id == new.id
    theirs, ours = found["theirs"], found["ours"]
    assert (ours.occurred_at, ours.new, ours.old) == (theirs.occurred_at, theirs.new, theirs.old)
    assert ours.new == {"name": "李四", "months": [1, 2]}
    assert {r.action for r in found.values()} == {"test.renamed"}


def test_a_driver_writes_error_is_sqlalchemys(engine: Engine, clock: FixedClock) -> None:
    """A unique key taken raises SQLAlchemy's IntegrityError, as conn.execute would (callers
    catch it to tell a race from a fault), and the unit of work rolls back."""
    write = DriverWrite(insert(agencies))
    with UnitOfWork(engine, clock) as uow:
        write.run(uow.conn, {**agency_row("10000000"), "created_at": clock.now()})
        with pytest.raises(IntegrityError):
            write.run(uow.conn, {**agency_row("10000000"), "created_at": clock.now()})


def test_a_driver_write_refuses_a_python_side_default(engine: Engine) -> None:
    """SQLAlchemy computes a Python-side default at each execution: the caller must give it."""
    table = Table(
        "with_default", MetaData(), Column("id", Integer, primary_key=True),
        Column("note", String(10), default="none"),
    )  # fmt: skip
    with engine.connect() as conn, pytest.raises(TypeError, match="note"):
        DriverWrite(insert(table)).run(conn, {"id": 1})


def test_run_many_writes_every_row(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several rows by run_many (on PostgreSQL VALUES lists, here of at most two rows, so that
    five rows take three statements) read back as SQLAlchemy's executemany writes them; rows
    with different parameter names are refused before anything is written."""
    monkeypatch.setattr(driver, "MANY_VALUES", 2)
    codes = ("10000000", "20000000", "30000000", "40000000", "50000000", "60000000")
    rows = [
        {**agency_row(code), "networked_since": dt.date(2020, 1, n), "created_at": clock.now()}
        for n, code in enumerate(codes, start=1)
    ]
    seen: list[bool] = []
    with UnitOfWork(engine, clock) as uow:
        event.listen(uow.conn, "before_cursor_execute", lambda *args: seen.append(args[-1]))
        DriverWrite(insert(agencies)).run_many(uow.conn, rows[:5])
        postgres = engine.dialect.name == "postgresql"
        assert seen == ([False] * 3 if postgres else [True])  # statements, or one executemany
        uow.conn.execute(insert(agencies), rows[5:])
        with pytest.raises(TypeError, match="same parameter names"):
            DriverWrite(insert(agencies)).run_many(uow.conn, [rows[0], {"code": "70000000"}])
        uow.commit()
    with UnitOfWork(engine, clock, write=False) as uow:
        found = uow.conn.execute(
            select(agencies.c.code, agencies.c.networked_since, agencies.c.created_at).order_by(
                agencies.c.code
            )
        ).all()
    assert [r.code for r in found] == list(codes)
    assert [r.networked_since.day for r in found] == [1, 2, 3, 4, 5, 6]
    assert found[0].created_at == found[5].created_at


def test_the_drivers_cursor_is_kept_with_its_connection_on_postgresql(
    engine: Engine, clock: FixedClock
) -> None:
    """On PostgreSQL one cursor serves a connection's driver statements (a new one per statement
    was 7 µs of 25); a connection replaced after an invalidation gets a cursor of its own. On
    SQLite each statement has its own cursor, closed after it (a sqlite3 cursor that read one
    row of several would keep its statement, and a read snapshot, open)."""
    with UnitOfWork(engine, clock) as uow:
        uow.conn.execute(insert(agencies).values(**agency_row("10000000"), created_at=clock.now()))
        uow.commit()
    read = DriverRead(select(agencies.c.code).where(agencies.c.code == bindparam("code")))
    cursors: list[object] = []

    def listener(_conn: object, cursor: object, *_: object) -> None:
        cursors.append(cursor)

    kept = engine.dialect.name == "postgresql"
    with UnitOfWork(engine, clock, write=False) as uow:
        event.listen(uow.conn, "before_cursor_execute", listener)
        assert read.first(uow.conn, {"code": "10000000"}) == ("10000000",)
        assert read.all(uow.conn, {"code": "10000000"}) == [("10000000",)]
        assert (cursors[0] is cursors[1]) is kept
        uow.conn.invalidate()  # the DBAPI connection closed; the next statement opens another
        uow.conn.rollback()
        assert read.first(uow.conn, {"code": "10000000"}) == ("10000000",)
        assert cursors[2] is not cursors[1]


def test_keys_in_binds_any_number_of_keys_in_one_statement(
    engine: Engine, clock: FixedClock
) -> None:
    """``keys_in``: the rows whose key is among a list bound as one parameter (an array on
    PostgreSQL, a JSON array on SQLite); the statement's text is the same for no key, one or
    several, so it is built once and prepared, unlike an expanding IN list."""
    codes = [f"1000000{i}" for i in range(4)]
    with UnitOfWork(engine, clock) as uow:
        for code in codes:
            uow.conn.execute(insert(agencies).values(**agency_row(code), created_at=clock.now()))
        uow.commit()
    read = DriverRead(
        select(agencies.c.code)
        .where(keys_in(agencies.c.code, "codes", String))
        .order_by(agencies.c.code)
    )
    texts: set[str] = set()

    def listener(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        texts.add(sql)

    with UnitOfWork(engine, clock, write=False) as uow:
        event.listen(uow.conn, "before_cursor_execute", listener)
        for wanted in ([], ["10000002"], ["10000003", "10000000", "99999999"]):
            found = [r.code for r in read.all(uow.conn, {"codes": wanted})]
            assert found == sorted(c for c in wanted if c in codes)
    assert len(texts) == 1


ON_POSTGRESQL = pytest.mark.parametrize(
    "migrated_engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
_OURS = (
    "SELECT name, statement FROM pg_prepared_statements"
    " WHERE name LIKE '\\_jinbao\\_%%' ORDER BY prepare_time"
)


@ON_POSTGRESQL
def test_on_postgresql_a_statement_inside_a_transaction_is_prepared_here_and_run_by_libpq(
    engine: Engine, clock: FixedClock
) -> None:
    """After the transaction's first statement (psycopg's cursor, which begins it), a driver
    statement is prepared once on the connection under a name of ours and run by libpq; a
    read unit (autocommit) runs every one that way. The rows and counts are the cursor's."""
    read = DriverRead(select(agencies.c.code, agencies.c.created_at).where(
        agencies.c.code.in_([bindparam("first"), bindparam("second")])
    ).order_by(agencies.c.code))  # fmt: skip
    rename = DriverWrite(
        update(agencies).where(agencies.c.code == bindparam("which")).values(name=bindparam("to"))
    )
    codes = {"first": "10000000", "second": "20000000"}
    with UnitOfWork(engine, clock) as uow:
        for code in codes.values():
            uow.conn.execute(insert(agencies).values(**agency_row(code), created_at=clock.now()))
        before = set(uow.conn.exec_driver_sql(_OURS).all())  # earlier tests' on this connection
        first = read.all(uow.conn, codes)
        again = read.all(uow.conn, codes)
        assert rename.run(uow.conn, {"which": "10000000", "to": "甲"}) == 1
        assert rename.run(uow.conn, {"which": "99999999", "to": "乙"}) == 0
        prepared = [r for r in uow.conn.exec_driver_sql(_OURS).all() if r not in before]
        uow.commit()
    assert first == again == [("10000000", clock.now()), ("20000000", clock.now())]
    assert [statement.count("$") for _, statement in prepared] == [2, 2]  # read, then write
    assert "SELECT agencies.code" in prepared[0].statement
    assert "UPDATE agencies" in prepared[1].statement
    with UnitOfWork(engine, clock, write=False) as uow:
        assert read.first(uow.conn, codes) == ("10000000", clock.now())
        assert len(uow.conn.exec_driver_sql(_OURS).all()) >= 1


@ON_POSTGRESQL
def test_on_postgresql_our_statements_are_prepared_again_after_psycopg_deallocates_them(
    engine: Engine, clock: FixedClock
) -> None:
    """psycopg deallocates every prepared statement of the connection after a rollback when it
    had prepared some of its own; ours are then prepared again under new names, and the next
    transaction's statements run (the first version of this path failed there: "prepared
    statement does not exist"). A rollback with none of psycopg's leaves ours as they are."""
    read = DriverRead(select(agencies.c.code).where(agencies.c.code == bindparam("code")))
    engine.dispose()  # one connection for the units below
    with UnitOfWork(engine, clock) as uow:
        uow.conn.execute(insert(agencies).values(**agency_row("10000000"), created_at=clock.now()))
        uow.commit()
    with UnitOfWork(engine, clock) as uow:  # a new connection: psycopg has prepared nothing
        uow.conn.execute(select(agencies.c.id))
        assert read.first(uow.conn, {"code": "10000000"}) == ("10000000",)
        kept = uow.conn.exec_driver_sql(_OURS).all()
        # leaving without commit: a rollback, and nothing of psycopg's to deallocate
    with UnitOfWork(engine, clock) as uow:
        uow.conn.execute(select(agencies.c.id))
        assert read.first(uow.conn, {"code": "10000000"}) == ("10000000",)
        assert uow.conn.exec_driver_sql(_OURS).all() == kept  # the same, none made again
        uow.commit()
    for _ in range(2):
        with UnitOfWork(engine, clock) as uow:
            for _ in range(6):  # psycopg prepares a statement of its own at its fifth run
                uow.conn.execute(select(agencies.c.id).where(agencies.c.code == "10000000"))
            assert read.first(uow.conn, {"code": "10000000"}) == ("10000000",)
            names = [name for name, _ in uow.conn.exec_driver_sql(_OURS)]
            # leaving the block without commit: a rollback, and psycopg's DEALLOCATE ALL
        with UnitOfWork(engine, clock) as uow:
            uow.conn.execute(select(agencies.c.id))  # the transaction's first, on the cursor
            assert uow.conn.exec_driver_sql(_OURS).all() == []
            assert read.first(uow.conn, {"code": "10000000"}) == ("10000000",)
            again = [name for name, _ in uow.conn.exec_driver_sql(_OURS)]
            uow.commit()
        assert len(again) == len(names) == 1
        assert again != names  # a new name: the server may not have forgotten the old one


@ON_POSTGRESQL
def test_on_postgresql_a_snapshot_units_first_driver_statement_begins_its_transaction(
    engine: Engine, clock: FixedClock
) -> None:
    """The first statement of a transaction goes by psycopg's cursor, which sends the BEGIN with
    the connection's isolation level: a snapshot unit reads in REPEATABLE READ even when a
    driver statement is its first."""
    level = DriverRead(select(func.current_setting(bindparam("name", type_=String)).label("level")))
    with UnitOfWork(engine, clock, write=False, snapshot=True) as uow:
        assert level.first(uow.conn, {"name": "transaction_isolation"}) == ("repeatable read",)
        assert level.first(uow.conn, {"name": "transaction_isolation"}) == ("repeatable read",)
    with UnitOfWork(engine, clock) as uow:
        assert level.first(uow.conn, {"name": "transaction_isolation"}) == ("read committed",)


@ON_POSTGRESQL
def test_on_postgresql_a_connection_told_not_to_prepare_runs_our_statements_unnamed(
    engine: Engine, clock: FixedClock
) -> None:
    """A connection whose psycopg is told not to prepare (``prepare_threshold`` None, as
    behind a pooler in transaction mode) prepares none of ours either; the statements run."""
    read = DriverRead(select(agencies.c.code).where(agencies.c.code == bindparam("code")))
    engine.dispose()
    with UnitOfWork(engine, clock) as uow:
        uow.conn.execute(insert(agencies).values(**agency_row("10000000"), created_at=clock.now()))
        uow.conn.connection.dbapi_connection.prepare_threshold = None
        before = uow.conn.exec_driver_sql(_OURS).all()
        for _ in range(3):
            assert read.first(uow.conn, {"code": "10000000"}) == ("10000000",)
        assert uow.conn.exec_driver_sql(_OURS).all() == before
        uow.conn.connection.dbapi_connection.prepare_threshold = 5
        assert read.first(uow.conn, {"code": "10000000"}) == ("10000000",)
        assert len(uow.conn.exec_driver_sql(_OURS).all()) == len(before) + 1
        uow.commit()
