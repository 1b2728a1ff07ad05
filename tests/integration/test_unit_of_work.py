"""The unit of work on both engines: what it commits, what it leaves, and a read-only unit."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from jinbao.db import engine as db_engine
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.registry.tables import agencies
from tests.integration.helpers import agency_row, listening


def agency_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(agencies)).scalar_one())


def test_a_unit_left_without_commit_writes_nothing(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWork(engine, clock) as uow:
        uow.conn.execute(insert(agencies).values(**agency_row("10000000"), created_at=clock.now()))
    assert agency_count(engine) == 0

    def fails_half_way() -> None:
        with UnitOfWork(engine, clock) as uow:
            row = agency_row("10000000")
            uow.conn.execute(insert(agencies).values(**row, created_at=clock.now()))
            raise RuntimeError("a use case fails half-way")

    with pytest.raises(RuntimeError):
        fails_half_way()
    assert agency_count(engine) == 0


def test_a_units_memo_lasts_as_long_as_the_unit(engine: Engine, clock: FixedClock) -> None:
    """What helpers note in ``memo`` (say, documents put in this node's inbox) is the unit's
    own: a reused unit object, or the next unit, starts with none of it."""
    uow = UnitOfWork(engine, clock)
    with uow:
        uow.memo["noted"] = [1]
        uow.commit()
        assert uow.memo == {"noted": [1]}  # still there after the commit, for the caller
    assert uow.memo == {}
    with uow:
        assert uow.memo == {}


def test_a_transactions_memo_is_empty_again_in_the_next_transaction(
    engine: Engine, clock: FixedClock
) -> None:
    """``transaction_memo`` holds for one transaction: what held in it (a lock, a row read)
    need not hold once the unit has committed and goes on."""
    with UnitOfWork(engine, clock) as uow:
        uow.transaction_memo("noted")["a"] = 1
        assert uow.transaction_memo("noted") == {"a": 1}  # the same transaction
        assert uow.transaction_memo("other") == {}
        uow.commit()
        assert uow.transaction_memo("noted") == {}
        uow.transaction_memo("noted")["b"] = 2
        assert uow.transaction_memo("noted") == {"b": 2}


# PostgreSQL's alone: READ ONLY transactions and server-side prepared statements.
ON_POSTGRESQL = pytest.mark.parametrize(
    "migrated_engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@ON_POSTGRESQL
def test_a_read_only_unit_refuses_writes_on_postgresql(engine: Engine, clock: FixedClock) -> None:
    row = agency_row("10000000")
    with (
        UnitOfWork(engine, clock, write=False) as uow,
        pytest.raises(DBAPIError, match="read-only"),
    ):
        uow.conn.execute(insert(agencies).values(**row, created_at=clock.now()))
    assert agency_count(engine) == 0
    with UnitOfWork(engine, clock) as uow:  # the next unit on that connection writes again
        uow.conn.execute(insert(agencies).values(**agency_row("10000000"), created_at=clock.now()))
        uow.commit()
    assert agency_count(engine) == 1


@ON_POSTGRESQL
def test_read_only_units_keep_the_connections_prepared_statements(
    engine: Engine, clock: FixedClock
) -> None:
    """psycopg prepares a statement run five times on a connection and forgets them all on a
    rollback: read-only units end in COMMIT, so a request's queries stay prepared."""
    query = select(func.count()).select_from(agencies).where(agencies.c.code == "x")
    engine.dispose()  # one connection, used by every unit below in turn
    for _ in range(8):
        with UnitOfWork(engine, clock, write=False) as uow:
            uow.conn.execute(query).scalar_one()
    with UnitOfWork(engine, clock, write=False) as uow:
        prepared = uow.conn.execute(
            text("SELECT statement FROM pg_prepared_statements")
        ).scalars().all()  # fmt: skip
    assert any("FROM agencies" in s for s in prepared), prepared


def test_a_snapshot_read_sees_one_state_whatever_commits_meanwhile(
    engine: Engine, clock: FixedClock
) -> None:
    """The ledger check compares sums read by several statements: a posting committed between
    them must not show in some and not in others."""

    def write_one(code: str) -> None:
        with UnitOfWork(engine, clock) as uow:
            uow.conn.execute(insert(agencies).values(**agency_row(code), created_at=clock.now()))
            uow.commit()

    counting = select(func.count()).select_from(agencies)
    write_one("10000000")
    with UnitOfWork(engine, clock, write=False, snapshot=True) as uow:
        assert uow.conn.execute(counting).scalar_one() == 1
        write_one("10000001")  # another connection commits in between
        assert uow.conn.execute(counting).scalar_one() == 1
    assert agency_count(engine) == 2
    with pytest.raises(ValueError, match="only read"):
        UnitOfWork(engine, clock, snapshot=True)


@ON_POSTGRESQL
def test_a_plain_read_waits_for_no_begin_or_commit_on_postgresql(
    engine: Engine, clock: FixedClock
) -> None:
    """A read unit's statements run in autocommit on a read-only session (no BEGIN or COMMIT
    round trip each); a snapshot read runs in one transaction, and the session goes back to
    autocommit after it."""
    engine.dispose()  # one connection, used by every unit below in turn
    with UnitOfWork(engine, clock, write=False) as uow:
        assert uow.conn.connection.driver_connection.autocommit
        first = uow.conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with UnitOfWork(engine, clock, write=False, snapshot=True) as uow:
        level = uow.conn.execute(text("SHOW transaction_isolation")).scalar_one()
        assert level == "repeatable read"
        assert uow.conn.execute(text("SHOW transaction_read_only")).scalar_one() == "on"
    with UnitOfWork(engine, clock, write=False) as uow:
        assert uow.conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == first
        assert uow.conn.connection.driver_connection.autocommit


def test_a_plain_read_sees_each_statements_own_state_and_begins_nothing_on_sqlite(
    engine: Engine, clock: FixedClock
) -> None:
    """On SQLite too (since session 34) a plain read unit's statements run each on its own, as
    on PostgreSQL's reader: no BEGIN, so a commit between two statements shows in the second;
    a snapshot read still begins (the previous test), and a writing unit begins IMMEDIATE."""
    begun: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if sql.startswith("BEGIN"):
            begun.append(sql)

    counting = select(func.count()).select_from(agencies)
    with listening(engine, "before_cursor_execute", seen):
        with UnitOfWork(engine, clock, write=False) as uow:
            before = uow.conn.execute(counting).scalar_one()
            with UnitOfWork(engine, clock) as other:  # another connection commits in between
                other.conn.execute(
                    insert(agencies).values(**agency_row("10000002"), created_at=clock.now())
                )
                other.commit()
            assert uow.conn.execute(counting).scalar_one() == before + 1
        with UnitOfWork(engine, clock, write=False, snapshot=True) as uow:
            uow.conn.execute(counting)
    if engine.dialect.name == "sqlite":
        assert begun == ["BEGIN IMMEDIATE", "BEGIN"]  # the writer's, the snapshot's
    else:
        assert begun == []  # psycopg begins by itself, without the statement SQLAlchemy sees
        return
    # A note left on a pooled connection cannot make a writer skip its lock.
    begun.clear()
    with listening(engine, "before_cursor_execute", seen), engine.connect() as conn:
        conn.info[db_engine.EACH_STATEMENT] = True
        conn.info[db_engine.WRITE] = True
        conn.begin()
        conn.rollback()
    assert begun == ["BEGIN IMMEDIATE"]


def _backend(uow: UnitOfWork) -> int:
    return int(uow.conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _end_server_process(engine: Engine, pid: int) -> None:
    """End one server process as a restart would, and wait until it is gone (from a connection
    of its own: the pools' next one is the process to end)."""
    with create_engine(engine.url, poolclass=NullPool).connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
        for _ in range(3000):  # 30 s at most: 5 s ran out once on a machine loaded by two runs
            if admin.execute(alive, {"pid": pid}).scalar_one() == 0:
                return
            time.sleep(0.01)
    raise AssertionError(f"server process {pid} did not end")


@ON_POSTGRESQL
@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_a_unit_never_gets_a_connection_whose_server_process_ended(
    engine: Engine, clock: FixedClock, write: bool
) -> None:
    """A pooled connection whose server process ended (a restart, pg_terminate_backend) is
    replaced when it is taken from the pool, used a moment ago or idle for long: the unit of
    work runs on a new one and does not fail."""
    engine.dispose()  # the pool's most recent connection is the one the next unit takes
    for idle in (False, True):
        with UnitOfWork(engine, clock, write=write) as uow:
            ended = _backend(uow)
        _end_server_process(engine, ended)
        if idle:  # as if it had waited in the pool longer than the ping's threshold
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(db_engine, "IDLE_PING_SECONDS", 0.0)
                with UnitOfWork(engine, clock, write=write) as uow:
                    assert _backend(uow) != ended
        else:
            with UnitOfWork(engine, clock, write=write) as uow:
                assert _backend(uow) != ended
                assert uow.conn.execute(select(func.count()).select_from(agencies)).scalar() == 0


@ON_POSTGRESQL
def test_a_connection_back_moments_ago_is_taken_without_a_round_trip(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a connection idle for ``IDLE_PING_SECONDS`` or more is pinged before use; under load
    a unit of work's connection costs no round trip of its own."""
    pings: list[object] = []
    ping = type(engine.dialect).do_ping

    def counted(dialect: object, dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dialect, dbapi_connection)  # type: ignore[arg-type]

    monkeypatch.setattr(type(engine.dialect), "do_ping", counted)
    for write in (False, True, False, True):
        with UnitOfWork(engine, clock, write=write) as uow:
            _backend(uow)
    assert pings == []
    monkeypatch.setattr(db_engine, "IDLE_PING_SECONDS", 0.0)
    with UnitOfWork(engine, clock, write=False) as uow:
        _backend(uow)
    assert len(pings) == 1
