"""Shared set-up for the benchmarks: a migrated database on either engine and a bulk workforce.

The set-up is not measured. Persons and relationships are written with plain bulk inserts so
that a million persons load in reasonable time; ID numbers carry valid check characters.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
from sqlalchemy import Engine, exists, insert, select

from jinbao.contributions.imports import import_declaration
from jinbao.db import migrate
from jinbao.db.engine import make_engine
from jinbao.db.throwaway import find_bin_dir, start_cluster
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.kernel.identifiers import resident_id_check_character, uscc_check_character
from jinbao.policy.parameters import Parameters
from jinbao.registry import service as registry
from jinbao.registry.model import AgencyLevel, Contact
from jinbao.registry.regions import sync_regions
from jinbao.registry.tables import agencies, employers, persons, relationships

CLOCK = FixedClock.on(dt.date(2025, 3, 1))
CONTACT = Contact("广州市天河区体育西路1号", "转移接续科", "020-12345678", "9:00-17:00")


def arguments(description: str, default_persons: int, year: int | None = None, url: bool = False,
              only: Sequence[str] = ()) -> argparse.Namespace:  # fmt: skip
    """The benchmarks' options; ``url`` for those that can run on an existing database, ``year``
    for those that work on one year, ``only`` the kinds of a mix that can run alone."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--persons", type=int, default=default_persons)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes of `jinbao serve` for the HTTP benchmarks (default: one per core)")  # fmt: skip
    if url:
        parser.add_argument("--url", help="measure on this existing database (e.g. a nation made by "
                            "`jinbao sim generate`) instead of building one; --engine and --persons are then ignored")  # fmt: skip
    if year is not None:
        parser.add_argument("--year", type=int, default=year, help="the year to work on")
    if only:
        parser.add_argument("--only", choices=only, help="one kind of request alone, to price it: "
                            "ends when its pool is used up")  # fmt: skip
    return parser.parse_args()


@contextlib.contextmanager
def existing(url: str) -> Iterator[Engine]:
    """An existing database, not removed afterwards (record and ledger only read it; interest
    credits its year)."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def sample_persons(engine: Engine, n: int, seed: int = 1) -> list[str]:
    """ID numbers of ``n`` persons drawn at random from those with a history (a relationship):
    a synthetic nation also holds persons who retired before its years (5 % of a ten-year
    nation, 15 % of a two-year one), whose records are empty and cheap. Until session 9 they
    were drawn too."""
    has_history = exists().where(relationships.c.person_id == persons.c.id)
    with engine.connect() as conn:
        numbers = list(conn.execute(select(persons.c.id_number).where(has_history)).scalars())
    return random.Random(seed).sample(numbers, min(n, len(numbers)))


@contextlib.contextmanager
def database(kind: str) -> Iterator[Engine]:
    """A fresh migrated database with the regions loaded; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="jinbao-bench-") as tmp:
        if kind == "sqlite":
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            cluster = None
        else:
            bin_dir = find_bin_dir()
            if bin_dir is None:
                raise SystemExit("PostgreSQL binaries not found")
            cluster = start_cluster(bin_dir)
            import psycopg

            with psycopg.connect(f"host={cluster.socket_dir} user=jinbao dbname=postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE bench")
            engine = make_engine(cluster.url("bench"))
        try:
            migrate.upgrade(engine)
            with UnitOfWork(engine, CLOCK) as uow:
                sync_regions(uow)
                uow.commit()
            yield engine
        finally:
            engine.dispose()
            if cluster is not None:
                cluster.stop()


def id_number(i: int) -> str:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=i % 14000)
    body = f"440106{born:%Y%m%d}{(i // 14000) % 1000:03d}"  # unique for i < 14 million
    return body + resident_id_check_character(body)


def workforce(engine: Engine, n: int, per_employer: int = 1000) -> tuple[list[str], list[tuple[str, str]]]:
    """N persons, each employed by one of N/per_employer employers at one county agency.

    Returns the employers' credit codes and (uscc, id_number) pairs. Numbers are unique by
    construction: the sequence code and birth date both come from ``i``.
    """
    t0 = time.perf_counter()
    with UnitOfWork(engine, CLOCK) as uow:
        for code, level, parent, region in [
            ("10000000", AgencyLevel.NATIONAL, None, None), ("44000000", AgencyLevel.PROVINCE, "10000000", "440000"),
            ("44010000", AgencyLevel.CITY, "44000000", "440100"), ("44010600", AgencyLevel.COUNTY, "44010000", "440106"),
        ]:  # fmt: skip
            registry.add_agency(uow, registry.NewAgency(code, f"机构{code}", level, parent, region, CONTACT))
        uow.commit()
    with engine.begin() as conn:
        agency_id = conn.execute(select(agencies.c.id).where(agencies.c.code == "44010600")).scalar_one()
        now = CLOCK.now()
        codes = []
        for e in range(max(1, n // per_employer)):
            body = f"91440106{e:09d}"
            codes.append(body + uscc_check_character(body))
        conn.execute(insert(employers), [{"uscc": c, "name": f"企业{i}", "agency_id": agency_id, "created_at": now} for i, c in enumerate(codes)])
        employer_ids = dict(conn.execute(select(employers.c.uscc, employers.c.id)).all())
        pairs: list[tuple[str, str]] = []
        seen: set[str] = set()
        batch_p, batch_r = [], []
        i = 0
        while len(pairs) < n:
            number = id_number(i)
            i += 1
            if number in seen:
                continue
            seen.add(number)
            uscc = codes[len(pairs) % len(codes)]
            pairs.append((uscc, number))
            batch_p.append({"id_number": number, "name": "某", "sex": "M" if int(number[16]) % 2 else "F", "birth_date": dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                            "hukou_region_code": "440106", "retirement_category": "male" if int(number[16]) % 2 else "female_50", "phone": None, "address": None, "created_at": now})  # fmt: skip
            if len(batch_p) == 20000:
                conn.execute(insert(persons), batch_p)
                batch_p.clear()
        if batch_p:
            conn.execute(insert(persons), batch_p)
        person_ids = dict(conn.execute(select(persons.c.id_number, persons.c.id)).all())
        for start in range(0, len(pairs), 20000):
            batch_r = [
                {"person_id": person_ids[num], "scheme": "enterprise", "agency_id": agency_id, "employer_id": employer_ids[u],
                 "kind": "normal", "status": "contributing", "started_on": dt.date(2020, 1, 1), "created_at": now}
                for u, num in pairs[start : start + 20000]
            ]  # fmt: skip
            conn.execute(insert(relationships), batch_r)
    print(f"setup: {n} persons, {len(codes)} employers in {time.perf_counter() - t0:.1f} s")
    return codes, pairs


def declare_year(engine: Engine, pairs: list[tuple[str, str]], params: Parameters, year: int = 2024) -> float:
    """Every (employer, person) pair declares the twelve months of a year at 6 000 yuan, each
    month collected on the 15th of the month; returns the seconds it took (set-up, not measured)."""
    t0 = time.perf_counter()
    for month in range(1, 13):
        csv = "employer_uscc,period,id_number,wage\n" + "".join(f"{u},{year}-{month:02d},{p},6000\n" for u, p in pairs)
        with UnitOfWork(engine, CLOCK, "bench") as uow:
            import_declaration(uow, csv.encode(), batch=f"m{year}{month}", params=params, paid_on=dt.date(year, month, 15))
            uow.commit()
    return time.perf_counter() - t0


@contextlib.contextmanager
def driver_cursor(engine: Engine, commit: bool = True) -> Iterator[Any]:
    """The raw side's path: a DB-API cursor of the engine's own driver (sqlite3, psycopg) in one
    transaction, rows passed as tuples, no SQLAlchemy. Placeholders are the driver's: ``?`` on
    SQLite, ``%s`` on PostgreSQL (:func:`placeholder`)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN")  # our connections run in autocommit mode (jinbao.db.engine)
        yield cursor
        if commit:
            connection.commit()
        else:
            connection.rollback()
    finally:
        connection.close()


def settle(engine: Engine) -> None:
    """After a bulk set-up, before measuring: on PostgreSQL VACUUM ANALYZE (else autovacuum
    processes the freshly loaded tables during the measurement, on the same two cores)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def write_rows(cursor: Any, engine: Engine, table: str, columns: list[str], values: list[tuple[Any, ...]]) -> None:
    """Rows written by the engine's plain path on a :func:`driver_cursor`: COPY on PostgreSQL,
    the driver's executemany on SQLite."""
    names = ", ".join(columns)
    if engine.dialect.name == "postgresql":
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for v in values:
                copy.write_row(v)
    else:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", values)


def placeholder(engine: Engine) -> str:
    return "?" if engine.dialect.name == "sqlite" else "%s"


def result(name: str, ours: float, raw: float, unit: str) -> None:
    """The final line. The ratio has two decimals, or two significant digits below 0.1: a
    transfer's 0.0034 printed as 0.00 said nothing."""
    ratio = ours / raw
    shown = f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.2g}"
    print(f"bench: {name} ours={ours:.0f} raw={raw:.0f} ratio={shown} unit={unit}")


class Loopback:
    """A benchmark's HTTP client: one keep-alive connection of the standard library's
    ``http.client`` to a server on loopback. The clients share the server's two cores, so what
    a request costs them is taken from the server: measured against `jinbao serve`'s bare
    ``/api/ping`` (8 threads, 8 s), httpx took 620 µs of client CPU per request and this 170–190
    µs, and the bare endpoint went from about 1 100 to 1 850 requests a second (session 14). A
    heavy client also flatters a ratio against the bare endpoint: its own cost is added to both
    sides alike. Not thread-safe: one per client thread."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """(status, body) of one request; ``body`` is sent as JSON."""
        if body is None:
            self.connection.request(method, path)
        else:
            self.connection.request(method, path, json.dumps(body).encode(), {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        return response.status, response.read()

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> tuple[int, bytes]:
        return self.request("POST", path, body)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@contextlib.contextmanager
def served(engine: Engine, port: int, workers: int = 1) -> Iterator[tuple[str, int]]:
    """`jinbao serve --workers N` on the database, in processes of its own (the clients of a
    benchmark do not share its interpreter lock); yields its base URL and process id (with
    several workers, the supervisor's: its children are the servers)."""
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINBAO_")}
    env["JINBAO_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    jinbao = str(Path(sys.executable).with_name("jinbao"))
    log = open(Path(tempfile.gettempdir()) / f"jinbao-bench-serve-{port}.log", "wb")  # noqa: SIM115 - open for the server's life
    server = subprocess.Popen([jinbao, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(workers)], env=env,
                              stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        # Until every worker has answered: each has a socket of its own (session 27), and the
        # connections the kernel gives one not yet started wait for it, which the first
        # seconds of a measurement would count. A new connection each time, spread by the kernel.
        answered: set[int] = set()
        for _ in range(600):
            try:
                answered.add(httpx.get(f"{url}/healthz", timeout=1).json()["process"])
            except httpx.HTTPError:
                time.sleep(0.1)
            if len(answered) == workers:
                break
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
        print(f"server log: {log.name}")


def run_clients(n: int, client: Callable[[int], None]) -> float:
    """Run ``client(i)`` for i in 0..n-1 on n threads at once; the seconds until all are done."""
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t0


def peak_rss(pid: int, stop: threading.Event, out: list[int]) -> None:
    """The peak resident memory of a process and its children, summed (a server and its
    workers, the generator and its writers), until ``stop`` is set."""
    while not stop.is_set():
        total = 0
        for process in [pid, *children(pid)]:
            try:
                for line in Path(f"/proc/{process}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                continue  # gone meanwhile
        out[0] = max(out[0], total)
        stop.wait(0.2)


def connections_per_process(pids: list[int], port: int) -> list[int]:
    """How many established TCP connections on local ``port`` each process holds (Linux /proc):
    which server process the clients' keep-alive connections landed on. Each process accepts
    for itself, and uvicorn's loop takes every waiting connection when it wakes, so clients that
    connect at once may all land on one (session 26: the mixed load ran at about 330 tx/s with
    its 8 connections on one of two processes, about 450 with them split 2/6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    counts = []
    for pid in pids:
        held = 0
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    held += os.readlink(fd) in inodes
                except OSError:
                    continue
        except OSError:
            pass
        counts.append(held)
    return counts


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the field after the state is the parent's id
            found.append(int(stat.parent.name))
    return found
