"""A mixed load on `jinbao serve`: queries, declarations and transfer steps, for a bounded time.

set-up: `jinbao sim generate` of N persons with 2 years of history; every agency reviews
      transfers automatically; on PostgreSQL a VACUUM ANALYZE (`settle`, as the other scripts
      do: else autovacuum works through the fresh tables during the measurement); the server in
      its own processes (`jinbao serve --workers`, uvicorn) on loopback.
ours: C client threads for T seconds, each request drawn from the mix —
      60% a person's whole record (GET /api/persons/{id}/record),
      15% a person's contribution history (GET /api/persons/{id}/contributions),
      15% an employer's monthly declaration for its current employees, collected at once
          (POST /api/declarations; each employer and month once),
      10% a transfer step: a migrant applies to bring a relation kept in another province
          (POST /api/transfers), the case is read back (GET /api/transfers/{id}).
      A transfer's request pumps the exchange for a bounded time and leaves the rest to the
      server's background pump: when the clients stop, the run waits until every document
      the run sent is delivered and applied (the drain), and the rate is of the run and the
      drain together (since session 29: until then the drain's work was left out). When the
      migrants or the declarations are used up the run ends there, its mix as planned, and
      says so (since session 30: until then their share turned into records).
      Reported: business transactions per second, p50/p99 latency by kind, errors (must be 0;
      a document the pumps could not apply counts as one), the transfer cases by state, the
      ledger check after the load (a break counts as an error), and the server's peak resident
      memory (goal: under 500 MB).
raw:  the bare endpoint of the same stack (GET /api/ping), the same clients and time.
--only KIND (record, history, declare, transfer): that kind alone, to price it (the CPU a
      request); a kind whose pool is used up ends the run there.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import threading
import time
from collections import defaultdict
from http.client import HTTPException
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.common import (
    CLOCK,
    Loopback,
    arguments,
    children,
    connections_per_process,
    database,
    peak_rss,
    result,
    run_clients,
    served,
    settle,
)
from jinbao.db.uow import UnitOfWork
from jinbao.ledger.check import check
from jinbao.policy.parameters import load_parameters
from jinbao.sim.nation import generate
from jinbao.transfers.workflow import set_auto_review

CLIENTS = 8
SECONDS = 20.0
PORT = 8792
TRANSFERS_BEFORE = 0.05  # the share of movers who transferred before the run (in the generation)
FIRST_MONTH = dt.date(2025, 3, 1)  # the month after the nation's history (CLOCK is 2025-03-01)


class Work:
    """The pools the clients draw from; each declaration month and each migrant used once."""

    def __init__(self, engine: Engine) -> None:
        with engine.connect() as conn:
            self.persons = list(conn.execute(text("SELECT id_number FROM persons")).scalars())
            staff: dict[str, list[str]] = defaultdict(list)
            for uscc, number in conn.execute(text(
                "SELECT e.uscc, p.id_number FROM relationships r JOIN employers e ON e.id = r.employer_id "
                "JOIN persons p ON p.id = r.person_id WHERE r.status = 'contributing' AND r.kind = 'normal'"
            )):  # fmt: skip
                staff[uscc].append(number)
            # Migrants contributing now with a normal relation kept in another province.
            # (the latest such relation: the one the person names when several are kept).
            self.migrants = list(conn.execute(text(
                "SELECT p.id_number, a.code, (SELECT b.code FROM relationships o JOIN agencies b ON b.id = o.agency_id "
                "  WHERE o.person_id = r.person_id AND o.status = 'suspended' AND o.kind = 'normal' AND o.scheme = 'enterprise' "
                "  AND substr(b.region_code, 1, 2) <> substr(a.region_code, 1, 2) ORDER BY o.started_on DESC LIMIT 1) "
                "FROM relationships r JOIN persons p ON p.id = r.person_id "
                "JOIN agencies a ON a.id = r.agency_id "
                "WHERE r.status = 'contributing' AND r.kind = 'normal' AND r.scheme = 'enterprise'"
            )).all())  # fmt: skip
            self.migrants = [m for m in self.migrants if m[2] is not None]
        today = dt.date.today()
        months = []
        m = FIRST_MONTH
        while m <= today.replace(day=1):
            months.append(m)
            m = (m + dt.timedelta(days=32)).replace(day=1)
        self.declarations = [(u, p, m) for u, p in staff.items() for m in months]
        random.Random(1).shuffle(self.declarations)
        random.Random(2).shuffle(self.migrants)
        self.lock = threading.Lock()

    def take(self, pool: list[Any]) -> Any:
        with self.lock:
            return pool.pop() if pool else None


FAILURES: list[str] = []


def _ok(what: str, answer: tuple[int, bytes], expected: int) -> bool:
    status, body = answer
    if status != expected and len(FAILURES) < 5:
        FAILURES.append(f"{what} → {status} {body[:300].decode(errors='replace')}")
    return status == expected


# Each kind's share of the mix, as the lower end of its band of the draw in request().
KINDS = {"record": 0.0, "history": 0.60, "declare": 0.75, "transfer": 0.90}


class UsedUp(Exception):
    """A pool of the mix (or of the one kind asked for, ``--only``) is used up: the run ends."""


def request(
    http: Loopback, work: Work, rng: random.Random, only: str | None = None
) -> tuple[str, bool]:
    """One business transaction of the mix, or of the kind ``only``; (kind, ok)."""
    x = rng.random() if only is None else KINDS[only]
    # A used-up pool ends the run (drive): until session 30 its share turned into records, a
    # lighter mix and a higher rate (the faster server used up the 1 315 migrants of `make
    # bench`'s load in 17 s: 641 tx/s, at 9 % transfers).
    if x >= 0.90 and not work.migrants:
        raise UsedUp("transfer")
    if 0.75 <= x < 0.90 and not work.declarations:
        raise UsedUp("declare")
    if x < 0.60:
        path = f"/api/persons/{rng.choice(work.persons)}/record"
        return "record", _ok(f"GET {path}", http.get(path), 200)
    if x < 0.75:
        path = f"/api/persons/{rng.choice(work.persons)}/contributions"
        return "history", _ok(f"GET {path}", http.get(path), 200)
    if x < 0.90:
        job = work.take(work.declarations)
        if job is None:  # taken by another client since the check above
            return request(http, work, rng, only)
        uscc, staff, month = job
        paid = min((month + dt.timedelta(days=32)).replace(day=15), dt.date.today())
        body = {"employer_uscc": uscc, "period": f"{month:%Y-%m}", "paid_on": paid.isoformat(),
                "lines": [{"id_number": n, "wage": "6000"} for n in staff]}  # fmt: skip
        return "declare", _ok("POST /api/declarations", http.post("/api/declarations", body), 201)
    job = work.take(work.migrants)
    if job is None:
        return request(http, work, rng, only)
    number, here, there = job
    applied = http.post("/api/transfers", {"id_number": number, "to_agency": here, "from_agency": there})
    if not _ok("POST /api/transfers", applied, 201):
        return "transfer", False
    path = f"/api/transfers/{json.loads(applied[1])['case_id']}"
    return "transfer", _ok(f"GET {path}", http.get(path), 200)


def drive(
    url: str, work: Work | None, only: str | None = None
) -> tuple[float, dict[str, list[float]], int, list[str]]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors = 0
    samples: list[str] = []
    lock = threading.Lock()
    end = time.perf_counter() + SECONDS
    used_up = threading.Event()  # a pool ran out: every client stops at its next request

    def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        mine: dict[str, list[float]] = defaultdict(list)
        bad = 0
        http = Loopback(url)
        while time.perf_counter() < end and not used_up.is_set():
            t = time.perf_counter()
            try:
                if work is None:
                    kind, ok = "ping", http.get("/api/ping")[0] == 200
                else:
                    kind, ok = request(http, work, rng, only)
            except UsedUp:
                used_up.set()
                break
            except (OSError, HTTPException) as exc:
                kind, ok = "failed", False
                with lock:
                    samples.append(repr(exc))
                http.close()
                http = Loopback(url)  # a fresh connection after a broken one
            mine[kind].append(time.perf_counter() - t)
            if not ok:
                bad += 1
        http.close()
        with lock:
            for k, v in mine.items():
                latencies[k].extend(v)
            errors += bad

    seconds = run_clients(CLIENTS, client)
    return sum(len(v) for v in latencies.values()) / seconds, latencies, errors, samples


SPLIT_AFTER = 3.0  # seconds into a run, when every client has connected


class split_later:  # noqa: N801 - read as a call: "the split, later"
    """The split of the clients' connections over the server processes, read SPLIT_AFTER
    seconds from now on a thread of its own (``get()`` waits for it), e.g. "2/6"."""

    def __init__(self, supervisor: int) -> None:
        self.found = "?"
        workers = [p for p in children(supervisor) if "resource_tracker" not in _cmdline(p)]

        def read() -> None:
            time.sleep(SPLIT_AFTER)
            self.found = "/".join(str(n) for n in sorted(connections_per_process(workers, PORT)))

        self.thread = threading.Thread(target=read, daemon=True)
        self.thread.start()

    def get(self) -> str:
        self.thread.join()
        return self.found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system CPU time each process has used so far."""
    used = {}
    for process in pids:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime and stime, fields 14 and 15 of stat, in clock ticks
        used[process] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def cpu_since(before: dict[int, float], now: dict[int, float]) -> float:
    """CPU seconds used between two readings, counting processes started in between whole."""
    return sum(t - before.get(process, 0.0) for process, t in now.items())


def postgres_processes(engine: Engine) -> list[int]:
    """The processes of the benchmark's own PostgreSQL cluster: its postmaster (named by the
    data folder's postmaster.pid, beside the socket) and its children. None on SQLite, whose
    work is in the server's processes. Until session 9 this was every process named postgres
    on the machine, so another cluster's work was counted too."""
    if engine.dialect.name != "postgresql":
        return []
    pid_file = Path(str(engine.url.query["host"])) / "data" / "postmaster.pid"
    postmaster = int(pid_file.read_text().split()[0])
    return [postmaster, *children(postmaster)]


DRAIN_SECONDS = 300.0  # the longest the run waits for the server's pumps after the clients stop


def drain(engine: Engine) -> tuple[float, list[str]]:
    """Wait until the server's pumps have delivered every network document in the outbox and
    applied every document in the inbox, bar those that failed (``apply_error``: the pump tries
    them again each round and they do not go away); (seconds waited, the failed documents'
    types and errors)."""
    start = time.perf_counter()
    while True:
        with engine.connect() as conn:
            left = conn.execute(text(
                "SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND channel = 'network')"
                " + (SELECT count(*) FROM inbox WHERE applied_at IS NULL AND apply_error IS NULL)"
            )).scalar_one()  # fmt: skip
            if not left:
                failed = conn.execute(text(
                    "SELECT type || ': ' || apply_error FROM inbox WHERE applied_at IS NULL AND apply_error IS NOT NULL"
                )).scalars().all()  # fmt: skip
                return time.perf_counter() - start, list(failed)
        if time.perf_counter() - start > DRAIN_SECONDS:
            raise SystemExit(f"{left} documents still waiting {DRAIN_SECONDS:.0f} s after the clients stopped")
        time.sleep(0.05)


def last_ids(engine: Engine) -> tuple[int, int]:
    """The last transfer case row and outbox row written before the run (the generation's)."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT (SELECT coalesce(max(id), 0) FROM transfer_cases), (SELECT coalesce(max(id), 0) FROM outbox)"
        )).one()  # fmt: skip


def case_states(engine: Engine, before: tuple[int, int]) -> str:
    """The run's transfer cases' legs by state, e.g. "completed 2270, contact_sent 139", and
    the run's documents sent on paper (to an agency off the network: a leg the pumps cannot
    take further)."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT state, count(*) FROM transfer_cases WHERE id > :case GROUP BY state ORDER BY 2 DESC"
        ), {"case": before[0]}).all()  # fmt: skip
        paper = conn.execute(text(
            "SELECT count(*) FROM outbox WHERE channel = 'paper' AND id > :sent"
        ), {"sent": before[1]}).scalar_one()  # fmt: skip
    return f"{', '.join(f'{state} {n}' for state, n in rows) or 'none'} ({paper} documents on paper)"


def main() -> None:
    args = arguments(__doc__ or "", 20_000, only=tuple(KINDS))
    params = load_parameters()
    with database(args.engine) as engine:
        t0 = time.perf_counter()
        # A twentieth of the movers transfer in the generation: the load runs on a node with
        # transfers behind it, as a running node has. With none (until session 29) the
        # transfer tables were empty when analyzed, and PostgreSQL planned the look-ups and
        # foreign-key checks on them as scans, which grew as the run filled them (a transfer's
        # database time 9.8 ms against 5.0). The others draw from the movers left: the load's
        # own applications. No residents: the employees' scheme's persons, as before session 21.
        report = generate(engine, CLOCK, params, persons_wanted=args.persons, years=2, interest=False,
                          transfers=TRANSFERS_BEFORE, residents=0.0)  # fmt: skip
        with UnitOfWork(engine, CLOCK, "bench") as uow:
            for code in uow.conn.execute(text("SELECT code FROM agencies")).scalars():
                set_auto_review(uow, code, True)
            uow.commit()
        settle(engine)  # else autovacuum works through the fresh tables during the measurement
        work = Work(engine)
        print(f"setup: {report.persons} persons, {report.records} records in {time.perf_counter() - t0:.0f} s; "
              f"{len(work.declarations)} declarations and {len(work.migrants)} migrants to draw from")  # fmt: skip
        with served(engine, PORT, args.workers) as (url, pid):
            before = last_ids(engine)
            stop, rss = threading.Event(), [0]
            watcher = threading.Thread(target=peak_rss, args=(pid, stop, rss))
            watcher.start()
            servers_before = cpu_seconds([pid, *children(pid)])
            database_before = cpu_seconds(postgres_processes(engine))
            ours_split = split_later(pid)
            accepted, latencies, errors, failures = drive(url, work, args.only)
            done = sum(len(v) for v in latencies.values())
            drained, stuck = drain(engine)
            errors += len(stuck)  # a document the pumps could not apply: a transaction not done
            ours = done / (done / accepted + drained)
            server_cpu = cpu_since(servers_before, cpu_seconds([pid, *children(pid)])) / done
            database_cpu = cpu_since(database_before, cpu_seconds(postgres_processes(engine))) / done
            stop.set()
            watcher.join()
            raw_split = split_later(pid)
            raw, _, raw_errors, _ = drive(url, None)
        for kind, values in sorted(latencies.items()):
            q = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
            print(f"{kind}: {len(values)} done, p50={q[49] * 1000:.0f} ms p99={q[98] * 1000:.0f} ms")
        # A used-up pool ends the run (see request()): the rate is of the time it lasted, with
        # the mix as planned. Say so, with the shares the run had.
        for pool, kind in ((work.migrants, "transfer"), (work.declarations, "declare")):
            if not pool:
                shares = ", ".join(f"{k} {len(v) / done:.0%}" for k, v in sorted(latencies.items()))
                print(f"note: the {kind} pool was used up {done / accepted:.1f} s into the run; "
                      f"the run ended there, the rate is of that time (mix: {shares}); "
                      f"use more --persons for the whole {SECONDS:.0f} s")  # fmt: skip
        print(f"drain: {drained:.1f} s after the clients stopped until every document was applied "
              f"({accepted:.0f} tx/s while the clients ran, {ours:.0f} with the drain); "
              f"transfer cases' legs: {case_states(engine, before)}; documents failed: {len(stuck)}")  # fmt: skip
        # The money after the load, as after any day: every invariant of the ledger holds.
        with UnitOfWork(engine, CLOCK, "bench", write=False, snapshot=True) as uow:
            breaks = check(uow)
        print(f"ledger check after the load: {'passed' if not breaks else f'{len(breaks)} breaks'}")
        errors += len(breaks)
        print(f"clients' connections per server process, {SPLIT_AFTER:.0f} s in: ours {ours_split.get()}, "
              f"ping {raw_split.get()} (throughput depends on it: see bench/README, session 26)")  # fmt: skip
        print(f"errors={errors} (ping {raw_errors}); server peak RSS {rss[0] / 2**20:.0f} MB "
              f"({'under' if rss[0] < 500 * 2**20 else 'OVER'} 500 MB); {args.workers} server processes, {CLIENTS} clients, {SECONDS:.0f} s")  # fmt: skip
        # What a transaction costs the machine, whatever the clients: the ceiling this code has
        # on these cores if nothing else ran (new connections' backends are not counted).
        per = server_cpu + database_cpu
        print(f"CPU per transaction: server {server_cpu * 1000:.1f} ms, database {database_cpu * 1000:.1f} ms; "
              f"at most {(os.cpu_count() or 1) / per:.0f} tx/s on {os.cpu_count()} cores")  # fmt: skip
        for failure in (FAILURES + failures + [f"document {e}" for e in stuck] + [f"ledger {b}" for b in breaks])[:8]:
            print("error:", failure)
        name = f"load_{args.engine}" if args.only is None else f"load_{args.engine}_{args.only}_only"
        result(name, ours, raw, "transactions/s")
        if errors or raw_errors:
            raise SystemExit("errors under load")


if __name__ == "__main__":
    main()
