"""SQLite's writers take turns in our queue (jinbao.db.writers), across threads and processes,
and one that does not get its turn in time is refused with nothing written."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from jinbao.db.uow import UnitOfWork
from jinbao.db.writers import BUSY_SECONDS, DatabaseBusy, WriterQueue, writer_queue
from jinbao.kernel.clock import FixedClock
from jinbao.registry.tables import agencies
from tests.integration.helpers import agency_row

ON_SQLITE = pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)


def add(uow: UnitOfWork, code: str) -> None:
    uow.conn.execute(insert(agencies).values(**agency_row(code), created_at=uow.clock.now()))


def write(engine: Engine, clock: FixedClock, code: str) -> None:
    with UnitOfWork(engine, clock) as uow:
        add(uow, code)
        uow.commit()


def codes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(agencies.c.code)).scalars())


@pytest.fixture
def short_wait(engine: Engine) -> Iterator[WriterQueue]:
    """This process's queue of the test database, waiting 0.3 s instead of 10 s."""
    queue = writer_queue(engine)
    assert queue is not None
    queue.busy_seconds = 0.3
    yield queue
    queue.busy_seconds = BUSY_SECONDS


@ON_SQLITE
def test_a_writer_waits_for_another_threads_turn_and_is_refused_in_the_end(
    engine: Engine, clock: FixedClock, short_wait: WriterQueue
) -> None:
    inside, done = threading.Event(), threading.Event()

    def holder() -> None:
        with UnitOfWork(engine, clock) as uow:
            add(uow, "10000000")
            inside.set()
            done.wait(10)
            uow.commit()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert inside.wait(10)
        # Refused by the queue (not by SQLite's "database is locked"), before any write.
        with pytest.raises(DatabaseBusy) as refused:
            write(engine, clock, "20000000")
        assert refused.value.code == "db.busy"
        assert refused.value.kind == "unavailable"  # HTTP 503
        assert "未写入" in refused.value.zh
        assert "Nothing was written" in refused.value.en
    finally:
        done.set()
        thread.join()
    write(engine, clock, "20000000")  # the turn is free again
    assert codes(engine) == ["10000000", "20000000"]


@ON_SQLITE
def test_the_turn_ends_with_the_commit_and_with_a_failure(
    engine: Engine, clock: FixedClock, short_wait: WriterQueue
) -> None:
    def write_in_another_thread(code: str) -> list[BaseException]:
        errors: list[BaseException] = []

        def try_to_write() -> None:
            try:
                write(engine, clock, code)
            except BaseException as error:
                errors.append(error)

        thread = threading.Thread(target=try_to_write)
        thread.start()
        thread.join()
        return errors

    with UnitOfWork(engine, clock) as uow:
        add(uow, "10000000")
        uow.commit()
        # Still in the block, which only reads now: another writer has its turn.
        assert write_in_another_thread("20000000") == []

    def fails_half_way() -> None:
        with UnitOfWork(engine, clock) as uow:
            add(uow, "30000000")
            raise RuntimeError("a use case fails half-way")

    with pytest.raises(RuntimeError):
        fails_half_way()
    assert write_in_another_thread("40000000") == []
    assert codes(engine) == ["10000000", "20000000", "40000000"]


HOLD = """
import datetime
import sys
from sqlalchemy import insert
from jinbao.db.engine import make_engine
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.registry.tables import agencies
clock = FixedClock.on(datetime.date(2025, 3, 1))
with UnitOfWork(make_engine(sys.argv[1]), clock) as uow:
    uow.conn.execute(insert(agencies).values(
        code="90000000", name="机构", level="national", address="北京", department="中心",
        phone="010-1", hours="9-17", created_at=clock.now()))
    print("inside", flush=True)
    sys.stdin.readline()  # until the test lets go
    uow.commit()
"""


@ON_SQLITE
def test_the_processes_writing_to_one_file_take_turns(
    engine: Engine, clock: FixedClock, short_wait: WriterQueue
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    assert Path(f"{engine.url.database}").exists()
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert other.stdin is not None
    assert other.stdout is not None
    try:
        assert other.stdout.readline().strip() == "inside"
        with pytest.raises(DatabaseBusy):
            write(engine, clock, "10000000")
    finally:
        other.stdin.write("\n")
        other.stdin.close()
        assert other.wait(30) == 0
    write(engine, clock, "10000000")
    assert codes(engine) == ["10000000", "90000000"]


def test_a_thread_nested_in_its_own_turn_keeps_it_until_the_outer_unit_leaves(
    tmp_path: Path,
) -> None:
    queue = WriterQueue(str(tmp_path / "x.db"), busy_seconds=0.2)

    def others_turn() -> bool:
        got: list[bool] = []

        def take() -> None:
            try:
                queue.enter()
            except DatabaseBusy:
                got.append(False)
            else:
                queue.leave()
                got.append(True)

        thread = threading.Thread(target=take)
        thread.start()
        thread.join()
        return got[0]

    queue.enter()
    queue.enter()  # nested: no wait on itself
    queue.leave()
    assert not others_turn()
    queue.leave()
    assert others_turn()
    with pytest.raises(RuntimeError, match="without having entered"):
        queue.leave()
