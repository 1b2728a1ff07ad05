"""SQLite's writers wait their turn in a queue of ours instead of in SQLite's busy handler.

SQLite lets one transaction write at a time. A writer that finds the lock taken is handed to
the busy handler, which sleeps and tries again on a fixed schedule: 1, 2, 5, 10, 15, 20, 25 ms,
then 25 to 100 ms between tries, however soon the lock comes free. Under the mixed load of
``bench/bench_load.py`` (two server processes, eight clients) a fifth of the server's samples
were writers waiting there, and declarations and transfer steps had a p99 of 2 to 3 s. A lock
that wakes its waiter when it is released does not sleep through the time it is free (with
this queue: p99 0.26–0.38 s, and 10–80 % more transactions a second in four runs; see
bench/README.md).

So a unit of work that writes on a SQLite file queues before it begins (``BEGIN IMMEDIATE``)
and leaves the queue when its transaction ends:

- the threads of one process on a ``threading.Lock``, woken as soon as it is released;
- the processes (``jinbao serve --workers N``, a CLI job beside the server) on an advisory
  lock of a file beside the database (``<database>-writers``, ``flock``), tried every 0.1 to
  1 ms: only the head of each process's queue tries it.

A writer that has not had its turn after :data:`BUSY_SECONDS` gets :class:`DatabaseBusy`
(HTTP 503) with nothing written, as SQLite's own busy timeout (the same length) would have
failed it. The queue only orders our writers: SQLite's lock still guards the database, so a
writer outside it (the ``sqlite3`` shell, ``engine.begin()``) is safe, only not queued.
PostgreSQL has no such queue: its writers lock rows, not the database, and wait on them.
"""

from __future__ import annotations

import os
import threading
import time
import weakref

from sqlalchemy import Engine

from jinbao.kernel.errors import Unavailable

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the threads of one process queue, no more
    fcntl = None  # type: ignore[assignment]

# How long a writer waits for its turn; also SQLite's own busy timeout (jinbao.db.engine).
BUSY_SECONDS = 10.0

_FIRST_TRY, _LAST_TRY = 0.0001, 0.001  # seconds between tries of the file lock


class DatabaseBusy(Unavailable):
    """Another write held the database longer than :data:`BUSY_SECONDS`."""


class WriterQueue:
    """The queue of one engine in one process (see the module docstring)."""

    def __init__(self, database: str, busy_seconds: float = BUSY_SECONDS) -> None:
        self.busy_seconds = busy_seconds
        self.pid = os.getpid()  # a forked child makes its own: a shared file lock is no lock
        self._turn = threading.Lock()
        self._owner: int | None = None  # the thread whose turn it is
        self._depth = 0  # units of work of the owner nested in one another
        self._fd: int | None = None
        if fcntl is not None and database and database != ":memory:":
            self._fd = os.open(f"{database}-writers", os.O_RDWR | os.O_CREAT, 0o600)
            weakref.finalize(self, os.close, self._fd)  # with its engine, the queue goes

    def enter(self) -> None:
        """Wait for this thread's turn to write; :class:`DatabaseBusy` after ``busy_seconds``."""
        me = threading.get_ident()
        if self._owner == me:
            # A writing unit inside another on one thread: it has the turn already, and SQLite
            # decides (as before this queue: the inner one waits out the busy timeout).
            self._depth += 1
            return
        deadline = time.monotonic() + self.busy_seconds
        if not self._turn.acquire(timeout=self.busy_seconds):
            raise self._busy()
        try:
            self._take_file(deadline)
        except BaseException:
            self._turn.release()
            raise
        self._owner, self._depth = me, 1

    def leave(self) -> None:
        """End this thread's turn (its transaction has committed or rolled back)."""
        if self._owner != threading.get_ident():
            raise RuntimeError("leaving the writer queue without having entered it")
        self._depth -= 1
        if self._depth:
            return
        self._owner = None
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._turn.release()

    def _take_file(self, deadline: float) -> None:
        if self._fd is None:
            return
        pause = _FIRST_TRY
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            if time.monotonic() >= deadline:
                raise self._busy()
            time.sleep(pause)
            pause = min(pause * 2, _LAST_TRY)

    def _busy(self) -> DatabaseBusy:
        seconds = f"{self.busy_seconds:g}"
        return DatabaseBusy(
            "db.busy",
            f"数据库正忙：另一项写入已超过 {seconds} 秒未结束（可能是批量任务）。"
            "本次未写入任何数据，请稍后重试。",
            f"The database is busy: another write has held it for over {seconds} s (perhaps a "
            "batch job). Nothing was written; try again later.",
        )


_QUEUES: weakref.WeakKeyDictionary[Engine, WriterQueue] = weakref.WeakKeyDictionary()
_MADE = threading.Lock()


def writer_queue(engine: Engine) -> WriterQueue | None:
    """The writer queue of ``engine`` in this process; None on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return None
    found = _QUEUES.get(engine)
    if found is None or found.pid != os.getpid():
        with _MADE:
            found = _QUEUES.get(engine)
            if found is None or found.pid != os.getpid():
                found = _QUEUES[engine] = WriterQueue(engine.url.database or "")
    return found
