"""Clean cross-province transfers end to end, automatic review on both sides (即时办结).

ours: for each of N movers with 12 paid months in Guangdong who now contribute in Henan, one
      application through completion: leg 1 (联系函 signed and sent), leg 2 (records read, amounts
      by the policy engine, money reserved, account out, 信息表 and 基金划转表 signed and sent),
      leg 3 (documents verified, money posted, account in, years merged, 办结通知), the old
      relation 转出 — every document through the outbox and the inbox, one client, one at a
      time. Reported: transfers/s, and each transfer's latency (p50, p99, max) against the
      issue's "under 1 s".
raw:  the database's own TPC-B rate on the same database, one client: `pgbench -c 1 -T 10` on
      PostgreSQL; the same five statements of the TPC-B transaction (three updates, a select, an
      insert, a commit) on SQLite through the driver's own cursor (through SQLAlchemy until
      session 6).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import statistics
import subprocess
import time

from sqlalchemy import Engine, text

from bench.common import CLOCK, CONTACT, arguments, database, declare_year, result, workforce
from jinbao.db.throwaway import find_bin_dir
from jinbao.db.uow import UnitOfWork
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters, load_parameters
from jinbao.registry import repository as repo
from jinbao.registry import service as registry
from jinbao.registry.model import AgencyLevel, RelationshipStatus, Scheme
from jinbao.transfers import cases, workflow
from jinbao.transfers.cases import Side

NEW = "41010000"


def movers(engine: Engine, n: int, params: Parameters) -> list[str]:
    _, pairs = workforce(engine, n, per_employer=max(1, n // 10))
    t0 = time.perf_counter()
    declare_year(engine, pairs, params)
    with engine.begin() as conn:  # they go home: 户籍 Henan, so no temporary account is due
        conn.execute(text("UPDATE persons SET hukou_region_code = '410105'"))
    with UnitOfWork(engine, CLOCK, "bench") as uow:
        for code, level, parent, region in [("41000000", AgencyLevel.PROVINCE, "10000000", "410000"), (NEW, AgencyLevel.CITY, "41000000", "410100")]:
            registry.add_agency(uow, registry.NewAgency(code, f"机构{code}", level, parent, region, CONTACT, dt.date(2011, 1, 1)))
        for code in ("44010600", "44010000", "44000000", "10000000"):
            registry.set_agency_network(uow, code, dt.date(2011, 1, 1))
        for _, person in pairs:
            pid = repo.person_id(uow, person)
            assert pid is not None
            current = repo.current_normal_relationship(uow, pid, Scheme.ENTERPRISE)
            assert current is not None
            registry.change_relationship_status(uow, current.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2025, 1, 1), reason="离职")
            registry.add_relationship(uow, registry.NewRelationship(person, Scheme.ENTERPRISE, NEW, dt.date(2025, 2, 1)))
        workflow.set_auto_review(uow, "44010600", True)
        workflow.set_auto_review(uow, NEW, True)
        uow.commit()
    print(f"setup: {n} movers with 12 paid months each in {time.perf_counter() - t0:.1f} s")
    return [p for _, p in pairs]


def transfer(engine: Engine, person: str, params: Parameters) -> str:
    with UnitOfWork(engine, CLOCK, "bench") as uow:
        case_id = workflow.apply(uow, workflow.Application(person, NEW), params)
        uow.commit()
    workflow.pump(engine, CLOCK, params)
    return case_id


def tpcb_sqlite(engine: Engine, seconds: float = 10.0) -> float:
    """The TPC-B transaction of pgbench, statement for statement, scale 1."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE tb_branches (bid INTEGER PRIMARY KEY, bbalance INTEGER, filler TEXT)"))
        conn.execute(text("CREATE TABLE tb_tellers (tid INTEGER PRIMARY KEY, bid INTEGER, tbalance INTEGER, filler TEXT)"))
        conn.execute(text("CREATE TABLE tb_accounts (aid INTEGER PRIMARY KEY, bid INTEGER, abalance INTEGER, filler TEXT)"))
        conn.execute(text("CREATE TABLE tb_history (tid INTEGER, bid INTEGER, aid INTEGER, delta INTEGER, mtime TIMESTAMP, filler TEXT)"))
        conn.execute(text("INSERT INTO tb_branches VALUES (1, 0, NULL)"))
        conn.execute(text("INSERT INTO tb_tellers VALUES (:t, 1, 0, NULL)"), [{"t": t} for t in range(1, 11)])
        conn.execute(text("INSERT INTO tb_accounts VALUES (:a, 1, 0, NULL)"), [{"a": a} for a in range(1, 100_001)])
    rng = random.Random(1)
    done = 0
    end = time.perf_counter() + seconds
    # The driver's own connection, one transaction per TPC-B transaction as pgbench runs it
    # (not through SQLAlchemy, whose statement handling would slow the raw side).
    connection = engine.raw_connection()
    cur = connection.cursor()
    t0 = time.perf_counter()
    while time.perf_counter() < end:
        aid, tid, delta = rng.randint(1, 100_000), rng.randint(1, 10), rng.randint(-5000, 5000)
        cur.execute("BEGIN")
        cur.execute("UPDATE tb_accounts SET abalance = abalance + ? WHERE aid = ?", (delta, aid))
        cur.execute("SELECT abalance FROM tb_accounts WHERE aid = ?", (aid,)).fetchone()
        cur.execute("UPDATE tb_tellers SET tbalance = tbalance + ? WHERE tid = ?", (delta, tid))
        cur.execute("UPDATE tb_branches SET bbalance = bbalance + ? WHERE bid = 1", (delta,))
        cur.execute("INSERT INTO tb_history VALUES (?, 1, ?, ?, CURRENT_TIMESTAMP, NULL)", (tid, aid, delta))
        connection.commit()
        done += 1
    elapsed = time.perf_counter() - t0
    connection.close()
    return done / elapsed


def tpcb_postgres(engine: Engine, seconds: int = 10) -> float:
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    url = engine.url
    host = str(url.query["host"])
    base = [str(bin_dir / "pgbench"), "-h", host, "-U", "jinbao"]
    subprocess.run([*base, "-i", "-s", "1", "-q", str(url.database)], check=True, capture_output=True)
    out = subprocess.run([*base, "-c", "1", "-j", "1", "-T", str(seconds), "-n", str(url.database)], check=True, capture_output=True, text=True).stdout
    found = re.search(r"tps = ([\d.]+)", out)
    assert found, out
    return float(found[1])


def main() -> None:
    args = arguments(__doc__ or "", 300)
    params = load_parameters()
    with database(args.engine) as engine:
        people = movers(engine, args.persons, params)
        transfer(engine, people[0], params)  # warm-up: imports, caches, first key pair
        latencies = []
        t0 = time.perf_counter()
        case_ids = []
        for person in people[1:]:
            t = time.perf_counter()
            case_ids.append(transfer(engine, person, params))
            latencies.append(time.perf_counter() - t)
        ours = len(case_ids) / (time.perf_counter() - t0)
        with UnitOfWork(engine, CLOCK, "bench") as uow:
            incomplete = [c for c in case_ids if cases.get(uow, c, Side.RECEIVING).state.value != "completed"]
            breaks = check(uow)
        if incomplete or breaks:
            raise SystemExit(f"not clean: {len(incomplete)} incomplete, ledger check {breaks[:3]}")
        raw = tpcb_sqlite(engine) if args.engine == "sqlite" else tpcb_postgres(engine)
        q = statistics.quantiles(latencies, n=100)
        print(f"latency: p50={q[49] * 1000:.0f} ms p99={q[98] * 1000:.0f} ms max={max(latencies) * 1000:.0f} ms "
              f"({'every transfer under 1 s' if max(latencies) < 1 else 'SOME OVER 1 s'}); raw TPC-B {raw:.0f} tps")
        result(f"transfer_{args.engine}", ours, raw, "transfers/s")


if __name__ == "__main__":
    main()
