"""The ledger check over a whole synthetic nation: N persons with 10 years of monthly history.

set-up: `jinbao sim generate` of N persons, 10 years, interest credited (its time is printed as
      the generator's own figure: persons and records per second).
ours: `jinbao ledger check` — every invariant: each journal balances, the account fund equals
      the personal accounts, receivables equal the unpaid records, money collected equals the
      paid records, account entries equal the account share of paid records, transfers in
      transit, resident payments. The nation has its residents (城乡居保, the generator's
      default share) since session 21.
raw:  the engine reading the same rows with nothing to compare: one plain aggregate scan of
      each table the check reads (postings, account entries, contribution records joined to
      their payments, the residents' yearly payments).
unit: ledger rows per second — postings, account entries, contribution records and residents'
      payments (the declaration writer posts one journal per batch, so the postings alone are
      few).
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, text

from bench.common import CLOCK, arguments, database, existing, result
from jinbao.db.uow import UnitOfWork
from jinbao.ledger.check import check
from jinbao.policy.parameters import load_parameters
from jinbao.sim.nation import generate


def rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(
            int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in ("postings", "account_entries", "contributions", "resident_contributions")
        )


def raw_scan(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT journal_id, SUM(amount) FROM postings GROUP BY journal_id")).all()
        conn.execute(text("SELECT region, SUM(amount) FROM account_entries GROUP BY region")).all()
        conn.execute(
            text(
                "SELECT c.region, SUM(c.employer_part + c.individual_part), SUM(c.to_account) "
                "FROM contributions c JOIN contribution_payments p ON p.contribution_id = c.id "
                "GROUP BY c.region"
            )
        ).all()
        conn.execute(
            text(
                "SELECT region, SUM(individual + collective + subsidy) FROM resident_contributions "
                "GROUP BY region"
            )
        ).all()


def main() -> None:
    args = arguments(__doc__ or "", 20_000, url=True)
    params = load_parameters()
    with existing(args.url) if args.url else database(args.engine) as engine:
        if args.url:
            print("setup: an existing database")
        else:
            t0 = time.perf_counter()
            report = generate(engine, CLOCK, params, persons_wanted=args.persons, years=10)
            seconds = time.perf_counter() - t0
            print(
                f"setup: jinbao sim generate {report.persons} persons, {report.records} records in {seconds:.0f} s "
                f"({report.persons / seconds:.0f} persons/s, {report.records / seconds:.0f} records/s, interest {report.interest_years})"
            )
        n = rows(engine)
        t0 = time.perf_counter()
        with UnitOfWork(engine, CLOCK, "bench", write=False, snapshot=True) as uow:  # as the CLI
            breaks = check(uow)
        ours = n / (time.perf_counter() - t0)
        if breaks:
            raise SystemExit(f"the ledger check found breaks: {breaks[:3]}")
        t0 = time.perf_counter()
        raw_scan(engine)
        raw = n / (time.perf_counter() - t0)
        print(f"{n} ledger rows")
        result(f"ledger_check_{engine.dialect.name}", ours, raw, "ledger-rows/s")


if __name__ == "__main__":
    main()
