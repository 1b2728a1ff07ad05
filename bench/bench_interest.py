"""Yearly interest crediting for N accounts with 12 monthly credits each.

ours: `jinbao account interest` (read each account's entries, compute by portion and method,
      write interest entries, markers and journals, in resumable chunks; a writer thread
      writes one chunk while the next is read and computed).
raw:  the nearest plain equivalent in the same run on the same database: scan the same entries
      grouped per account, compute balance × rate in Python, and write one row per account
      back with an executemany UPDATE of a balance table — through the driver's own cursor
      with tuples, as the engine's plain path (through SQLAlchemy until session 6).

With --url DB (e.g. a nation of `jinbao sim generate --no-interest`), both sides run on that
database instead, for --year: our side credits the year for real (a year already credited is a
no-op, so use a fresh copy or a year not yet run); the raw side's table is dropped afterwards and
the bound's entries are rolled back, so the database stays consistent.
"""

from __future__ import annotations

import time
from decimal import Decimal

from sqlalchemy import Engine, text

from bench.common import CLOCK, arguments, database, declare_year, driver_cursor, existing, placeholder, result, workforce, write_rows
from jinbao.accounts.interest import run_interest
from jinbao.accounts.tables import ENTRY_COLUMNS
from jinbao.policy.parameters import load_parameters


def main() -> None:
    args = arguments(__doc__ or "", 50_000, year=2024, url=True)
    params = load_parameters()
    with existing(args.url) if args.url else database(args.engine) as engine:
        if not args.url:
            _, pairs = workforce(engine, args.persons)
            print(f"setup: 12 months declared in {declare_year(engine, pairs, params):.1f} s")
        t0 = time.perf_counter()
        report = run_interest(engine, CLOCK, args.year, params, chunk_size=5000)
        ours = report.accounts / (time.perf_counter() - t0)
        print(f"ours: {report.accounts} accounts credited for {args.year} ({report.already} before) in {time.perf_counter() - t0:.1f} s")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE raw_balances (person_id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)"))
            conn.execute(text("INSERT INTO raw_balances SELECT DISTINCT person_id, 0 FROM account_entries"))
        rate = Decimal("0.0262")
        mark = placeholder(engine)
        t0 = time.perf_counter()
        with driver_cursor(engine) as cur:
            cur.execute("SELECT person_id, SUM(amount) FROM account_entries WHERE kind = 'contribution' GROUP BY person_id")
            updates = [(int(s + s * rate), p) for p, s in cur.fetchall()]
            cur.executemany(f"UPDATE raw_balances SET balance = {mark} WHERE person_id = {mark}", updates)
        raw = len(updates) / (time.perf_counter() - t0)
        bound = entry_bound(engine, rate, keep=not args.url)
        print(f"the same scan, one interest entry per account into the real ledger: {bound:.0f}/s ({bound / raw:.2f} of raw)")
        if args.url:
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE raw_balances"))
        result(f"interest_{engine.dialect.name}", ours, raw, "accounts/s")


def entry_bound(engine: Engine, rate: Decimal, keep: bool = True) -> float:
    """Not the comparison, a bound on it: the raw side's scan and arithmetic, then one interest
    entry per account appended to the real account ledger (COPY on PostgreSQL, executemany on
    SQLite) — the append-only ledger the issue asks for, with its foreign keys and indexes,
    instead of an UPDATE in place. Accounts per second; no interest job that writes its entries
    there can pass it. Without ``keep`` the entries are rolled back (timed before the rollback)."""
    with engine.connect() as conn:
        journal = conn.execute(text("SELECT max(id) FROM journals")).scalar_one()
    t0 = time.perf_counter()
    with driver_cursor(engine, commit=keep) as cur:
        cur.execute("SELECT person_id, scheme, max(region), SUM(amount) FROM account_entries GROUP BY person_id, scheme")
        entries = [(p, sc, r, "from2006", "interest", 202512, "2025-12-31", int(a * rate), journal, "bound", "2026-01-01 00:00:00") for p, sc, r, a in cur.fetchall()]
        write_rows(cur, engine, "account_entries", ENTRY_COLUMNS, entries)
        seconds = time.perf_counter() - t0
    return len(entries) / seconds


if __name__ == "__main__":
    main()
