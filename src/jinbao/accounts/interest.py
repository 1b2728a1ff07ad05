"""The yearly interest job (年度结息): every account credited once with the year's rate.

- Idempotent per year: an account credited for a year has a row in ``interest_credits`` (unique
  per person, scheme and year) written in the same transaction as its interest entries and the
  journal, so a rerun skips it, and a finished year is a no-op.
- Resumable: work goes in chunks, each its own transaction; a crash loses at most the chunk in
  flight, and the rerun continues with the accounts not yet credited.
- Rate: the national rate of the year (人社部发〔2017〕31号); method per province (parameter).
  Interest on each portion by :func:`jinbao.policy.interest.year_interest`. The fund ledger moves
  the interest from the pooled fund to the personal-account fund of the region.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, case, extract, func, insert, select, text, update

from jinbao.accounts.tables import (
    ENTRY_COLUMNS,
    account_entries,
    interest_credits,
    interest_runs,
)
from jinbao.audit.service import record
from jinbao.db.bulk import insert_rows
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import Clock
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit
from jinbao.policy.interest import Method, Portion, year_interest
from jinbao.policy.parameters import Parameters

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True, slots=True)
class InterestReport:
    year: int
    rate: Decimal
    accounts: int  # credited by this run
    already: int  # credited by an earlier run
    interest: int  # fen credited by this run
    seconds: float


def run_interest(
    engine: Engine,
    clock: Clock,
    year: int,
    params: Parameters,
    *,
    chunk_size: int = 2000,
    progress: Progress | None = None,
    throttle: float = 0.0,
    actor: str = "interest-job",
) -> InterestReport:
    """Credit the year's interest to every account that had money or entries by its end."""
    started = time.perf_counter()
    rate = params.interest_rate(year).value  # fails before any write when the rate is missing
    year_end = dt.date(year, 12, 31)
    with UnitOfWork(engine, clock, actor) as uow:
        run_id = _run_id(uow, year, rate)
        uow.commit()
    with engine.connect() as conn:
        done_before = conn.execute(
            select(interest_credits.c.person_id).where(interest_credits.c.year == year)
        ).all()
        todo = conn.execute(
            select(account_entries.c.person_id, account_entries.c.scheme)
            .where(account_entries.c.effective_on <= year_end)
            .distinct()
            .except_(
                select(interest_credits.c.person_id, interest_credits.c.scheme).where(
                    interest_credits.c.year == year
                )
            )
        ).all()
    todo_accounts: list[tuple[int, str]] = sorted((int(p), str(s)) for p, s in todo)
    total_interest, credited = 0, 0
    for start in range(0, len(todo_accounts), chunk_size):
        batch = todo_accounts[start : start + chunk_size]
        with UnitOfWork(engine, clock, actor) as uow:
            total_interest += _credit_chunk(uow, run_id, year, rate, batch, params)
            uow.commit()
        credited += len(batch)
        if progress:
            progress(credited, len(todo_accounts))
        if throttle:
            time.sleep(throttle)
    with UnitOfWork(engine, clock, actor) as uow:
        record(
            uow,
            "account.interest",
            "interest_run",
            str(year),
            new={
                "rate": str(rate),
                "accounts": credited,
                "already": len(done_before),
                "interest": total_interest,
            },
        )
        uow.conn.execute(
            update(interest_runs)
            .where(interest_runs.c.id == run_id, interest_runs.c.finished_at.is_(None))
            .values(finished_at=clock.now())
        )
        uow.commit()
    return InterestReport(
        year, rate, credited, len(done_before), total_interest, time.perf_counter() - started
    )


def _run_id(uow: UnitOfWork, year: int, rate: Decimal) -> int:
    existing = uow.conn.execute(
        select(interest_runs.c.id).where(interest_runs.c.year == year)
    ).scalar()
    if existing is not None:
        return int(existing)
    return int(
        uow.conn.execute(
            insert(interest_runs)
            .values(year=year, rate=str(rate), started_at=uow.clock.now())
            .returning(interest_runs.c.id)
        ).scalar_one()
    )


def _credit_chunk(
    uow: UnitOfWork,
    run_id: int,
    year: int,
    rate: Decimal,
    accounts: list[tuple[int, str]],
    params: Parameters,
) -> int:
    """Compute and write one chunk: entries, markers and one journal, in one transaction."""
    first, last = accounts[0][0], accounts[-1][0]
    wanted = set(accounts)
    year_start, year_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    opening: dict[tuple[int, str, str], int] = defaultdict(int)
    monthly: dict[tuple[int, str, str], list[int]] = {}
    # One grouped scan of the chunk's range of person ids (the entries' index is on person id
    # first, and a range costs no bind parameter per account): per account, region, portion and
    # bucket the sum and the latest entry's id. The database sums each account's entries per
    # portion into its opening balance (bucket 0) and the year's credits — by month (1–12) when
    # some province uses 月积数法, as one sum (1) when all use 年度计算法, which only needs the
    # year's total. This year's interest and later entries (−1) are left out of the sums. The
    # account is where its latest entry is, later ones included (where the account is now, as
    # the money is): that entry's region picks the method and the fund.
    by_month = Method.MONTHLY.value in params.crediting_methods_in_use()
    bucket = case(
        (account_entries.c.effective_on > year_end, -1),  # after the year: only its region counts
        (account_entries.c.effective_on < year_start, 0),
        (account_entries.c.kind == "interest", -1),
        else_=extract("month", account_entries.c.effective_on) if by_month else 1,
    )
    if uow.conn.dialect.name == "postgresql":
        # The chunk's grouping sorts some 60 000 rows: in memory, not in PostgreSQL's default
        # 4 MB that spills it to disk. For this transaction only.
        uow.conn.execute(text("SET LOCAL work_mem = '64MB'"))
    sums = uow.conn.execute(
        select(
            account_entries.c.person_id,
            account_entries.c.scheme,
            account_entries.c.region,
            account_entries.c.portion,
            bucket,
            func.sum(account_entries.c.amount),
            func.max(account_entries.c.id),
        )
        .where(account_entries.c.person_id.between(first, last))
        .group_by(
            account_entries.c.person_id,
            account_entries.c.scheme,
            account_entries.c.region,
            account_entries.c.portion,
            bucket,
        )
    ).all()
    latest: dict[tuple[int, str], tuple[int, str]] = {}  # account → (latest entry id, region)
    for person_id, scheme, region, portion, month, total, last_id in sums:
        account = (person_id, scheme)
        if account not in wanted:
            continue
        seen = latest.get(account)
        if seen is None or last_id > seen[0]:
            latest[account] = (last_id, region)
        if month == -1:
            continue
        key = (person_id, scheme, portion)
        if month == 0:
            opening[key] += int(total)
        else:
            months = monthly.get(key)
            if months is None:
                months = monthly[key] = [0] * 12
            months[int(month) - 1] += int(total)
    region_of = {account: region for account, (_, region) in latest.items()}
    methods: dict[str, Method] = {
        r: Method(params.crediting_method(r).value) for r in set(region_of.values())
    }
    factor = params.interest_annual_factor().value
    no_credits = [0] * 12
    computed: list[tuple[int, str, str, str, int]] = []  # person, scheme, region, portion, fen
    markers: list[tuple[int, int, str, int, int]] = []  # run, person, scheme, year, fen
    per_region: dict[str, int] = defaultdict(int)
    chunk_total: int = 0
    for person_id, scheme in accounts:
        region = region_of[(person_id, scheme)]
        method = methods[region]
        account_interest: int = 0
        for portion in _PORTIONS:
            key = (person_id, scheme, portion)
            if key not in opening and key not in monthly:
                continue
            amount: int = year_interest(
                opening.get(key, 0), monthly.get(key, no_credits), rate, method, factor
            )
            if amount:
                computed.append((person_id, scheme, region, portion, amount))
                account_interest += amount
        markers.append((run_id, person_id, scheme, year, account_interest))
        per_region[region] += account_interest
        chunk_total += account_interest
    legs = []
    for region, region_amount in sorted(per_region.items()):
        if region_amount:
            legs += [
                debit(region, Account.POOLED_FUND, region_amount),
                credit(region, Account.ACCOUNT_FUND, region_amount),
            ]
    journal_id = None
    if legs:
        journal_id = ledger.post(
            uow,
            Journal(
                "interest",
                f"interest:{year}:{first}-{last}:{len(accounts)}",
                year_end,
                f"{year}年个人账户结息",
                tuple(legs),
            ),
        )
    if computed:
        period, source, now = year * 100 + 12, f"interest:{year}", uow.clock.now()
        insert_rows(
            uow.conn,
            account_entries,
            ENTRY_COLUMNS,
            (
                (p, s, r, portion, "interest", period, year_end, fen, journal_id, source, now)
                for p, s, r, portion, fen in computed
            ),
        )
    insert_rows(uow.conn, interest_credits, _MARKER_COLUMNS, markers)
    return chunk_total


_PORTIONS = [p.value for p in Portion]  # in the order of the law's periods
_MARKER_COLUMNS = ["run_id", "person_id", "scheme", "year", "interest"]
