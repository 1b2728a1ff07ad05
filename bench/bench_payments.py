"""The monthly payment run (待遇发放) of one agency with N pensioners, one month each.

ours: `jinbao benefit pay --agency A --month M` (read the agency's awarded applications, their
      award versions, relations, life events, payees, payments made and account balances; for
      each pensioner the month due, the account part drawn down; two journals, an account
      entry and a payment row per person-month; then the bank file written from the payments,
      as `--bank-dir` does: since session 25 the run is kept and its files are made from its
      rows, not held as text through the run).
raw:  the nearest plain equivalent in the same run on the same database: the same awards
      scanned (application, award, amount, bank account) through the driver's own cursor, and
      one payment row per pensioner written by the engine's fastest plain path (COPY on PostgreSQL, the
      driver's executemany of tuples on SQLite) into a copy of the payments table with no
      indexes.

The pensioners are set up in bulk (a workforce, each relation receiving, an application
awarded from the month paid, an approved award, a bank account, an account balance): the set-up
is not measured. Added in session 24, when the run became set-wise; before, it read six
statements a pensioner and wrote some ten a person-month.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time

from sqlalchemy import Engine, func, select, text, update

from bench.common import CLOCK, arguments, database, driver_cursor, result, settle, workforce, write_rows
from jinbao.accounts.tables import ENTRY_COLUMNS, account_entries
from jinbao.benefits.payments import bank_file, run_payments
from jinbao.benefits.tables import awards, benefit_payments, payee_accounts, retirement_applications
from jinbao.db.bulk import insert_rows
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.periods import YearMonth
from jinbao.registry.tables import agencies, persons, relationships

AGENCY = "44010600"  # the workforce's county agency (bench.common.workforce)
REGION = "440000"  # its pooling region, where the accounts are held and the run pays
MONTH = YearMonth(2025, 2)  # the month before CLOCK's today: each award starts in it
# SAMPLE amounts, in fen: a pension of 3 000 yuan of which 600 from the account, and an account
# of 83 400 yuan (139 months of 600: the 计发月数 at 60), so no account runs out in the run.
BASIC, ACCOUNT, TRANSITIONAL, BALANCE = 2_000_00, 600_00, 400_00, 83_400_00


def main() -> None:
    args = arguments(__doc__ or "", 100_000)
    with database(args.engine) as engine:
        _, pairs = workforce(engine, args.persons)
        t0 = time.perf_counter()
        pensioners(engine)
        settle(engine)
        print(f"setup: {len(pairs)} pensioners awarded in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        with UnitOfWork(engine, CLOCK, "bench") as uow:
            report = run_payments(uow, AGENCY, MONTH)
            uow.commit()
        assert report.run is not None
        lines = 0
        with tempfile.TemporaryFile("w+", encoding="utf-8") as out, UnitOfWork(engine, CLOCK, write=False, snapshot=True) as uow:
            for bank in report.banks:
                for text_ in bank_file(uow, report.run, bank.bank):
                    lines += text_.count("\n")
                    out.write(text_)
        seconds = time.perf_counter() - t0
        assert lines == report.paid + len(report.banks), (lines, report.paid)
        with engine.connect() as conn:
            months = conn.execute(select(func.count()).select_from(benefit_payments)).scalar_one()
        assert report.paid == months == len(pairs), (report.paid, months, len(pairs))
        ours = months / seconds
        print(f"ours: {months} person-months paid, {report.total / 100:,.2f} yuan, in {seconds:.2f} s")
        columns = ["application_id", "award_id", "agency_id", "month", "kind", "amount", "run_month", "journal_id", "created_at",
                   "run_id", "bank", "account_number"]
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE raw_benefit_payments AS SELECT * FROM benefit_payments WHERE 1 = 0"))
        period, now = MONTH.year * 100 + MONTH.month, CLOCK.now()
        t0 = time.perf_counter()
        with driver_cursor(engine) as cur:
            cur.execute(
                "SELECT a.id, w.id, a.agency_id, w.total, p.bank, p.account_number FROM retirement_applications a"
                " JOIN awards w ON w.application_id = a.id JOIN payee_accounts p ON p.person_id = a.person_id"
                " WHERE a.state = 'awarded' AND w.state = 'approved'"
            )
            rows = [(a, w, agency, period, "monthly", total, period, 0, now, 0, bank, number)
                    for a, w, agency, total, bank, number in cur.fetchall()]
            write_rows(cur, engine, "raw_benefit_payments", columns, rows)
        raw = len(rows) / (time.perf_counter() - t0)
        result(f"payment_run_{args.engine}", ours, raw, "person-months/s")


def pensioners(engine: Engine) -> None:
    """Every person of the workforce a pensioner of its agency: the relation receiving, an
    application awarded, an approved award from MONTH, a bank account and an account balance."""
    now = CLOCK.now()
    approved = dt.datetime(2025, 2, 1, 9, tzinfo=dt.UTC)
    with engine.begin() as conn:
        agency_id = conn.execute(select(agencies.c.id).where(agencies.c.code == AGENCY)).scalar_one()
        conn.execute(update(relationships).values(status="receiving"))
        person_ids = list(conn.execute(select(persons.c.id).order_by(persons.c.id)).scalars())
        period = MONTH.year * 100 + MONTH.month
        insert_rows(
            conn, retirement_applications,
            ["person_id", "agency_id", "scheme", "statutory_month", "retire_month", "state", "findings", "transfers", "created_at", "updated_at"],
            ((p, agency_id, "enterprise", period - 1, period - 1, "awarded", "[]", "[]", now, now) for p in person_ids),
        )  # fmt: skip
        apps = list(conn.execute(select(retirement_applications.c.id)).scalars())
        insert_rows(
            conn, awards,
            ["application_id", "version", "state", "from_month", "basic", "account", "transitional", "total", "inputs", "explanation",
             "made_by", "checked_by", "approved_at", "created_at"],
            ((a, 1, "approved", period, BASIC, ACCOUNT, TRANSITIONAL, BASIC + ACCOUNT + TRANSITIONAL, "{}", "{}", "bench", "bench-checker", approved, now)
             for a in apps),
        )  # fmt: skip
        insert_rows(
            conn, payee_accounts, ["person_id", "bank", "account_number", "updated_at"],
            ((p, "模拟银行", f"6200{p:015d}", now) for p in person_ids),
        )  # fmt: skip
        insert_rows(
            conn, account_entries, ENTRY_COLUMNS,
            ((p, "enterprise", REGION, "from2006", "contribution", 202412, dt.date(2024, 12, 15), BALANCE, None, "bench", now) for p in person_ids),
        )  # fmt: skip


if __name__ == "__main__":
    main()
