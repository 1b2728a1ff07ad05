"""The yearly interest job (年度结息): every account credited once with the year's rate.

- Idempotent per year: an account credited for a year has a row in ``interest_credits`` (unique
  per person, scheme and year) written in the same transaction as its interest entries and the
  journal, so a rerun skips it, and a finished year is a no-op.
- Resumable: work goes in chunks, each its own transaction; a crash loses at most the chunk in
  flight, and the rerun continues with the accounts not yet credited.
- Rate: the national rate of the year (人社部发〔2017〕31号); method per province (parameter).
  Interest on each portion by :func:`jinbao.policy.interest.year_interest`. The fund ledger moves
  the interest from the pooled fund to the personal-account fund of the region.
- Accounts: the employees' schemes', enterprise and public (机关事业单位), at the national rate,
  which is theirs (31号 一: 统一机关事业单位和企业职工基本养老保险个人账户记账利率); the
  residents' scheme's at the rate its province set for the year (国发〔2014〕8号: 个人账户储存额
  按国家规定计息; each province publishes its own: POLICY Part II §2.3; the parameter
  ``resident_rate``), by the province's crediting method. A residents' account whose province
  has no rate loaded for the year is left uncredited, never credited at the employees' rate,
  and the report counts it by province; once the rate is loaded, running the year again
  credits it (credited accounts are skipped).
- The fund ledger keeps one personal-account fund a region for every scheme (as the residents'
  payments post: :mod:`jinbao.contributions.service.resident`), so a residents' account's
  interest moves in the same journal legs as an employee's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Engine, case, cast, extract, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

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
from jinbao.kernel.errors import Conflict
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit
from jinbao.policy.interest import Method, Portion, year_interest
from jinbao.policy.parameters import Parameters
from jinbao.registry.model import Scheme
from jinbao.registry.tables import persons

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True, slots=True)
class InterestReport:
    year: int
    rate: Decimal
    accounts: int  # credited by this run
    already: int  # credited by an earlier run
    interest: int  # fen credited by this run
    seconds: float
    # The residents' scheme: the provinces' rates of the year (by the first two digits of the
    # region), and the accounts left uncredited by province for want of one.
    resident_rates: dict[str, Decimal] = field(default_factory=dict)
    resident_uncredited: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """As the API and the CLI's ``--json`` give it (rates as text, amounts in fen)."""
        return {
            "year": self.year,
            "rate": str(self.rate),
            "accounts": self.accounts,
            "already": self.already,
            "interest": self.interest,
            "seconds": round(self.seconds, 3),
            "resident_rates": {p: str(r) for p, r in sorted(self.resident_rates.items())},
            "resident_uncredited": self.resident_uncredited,
        }

    def residents_said(self) -> list[str]:
        """What became of the residents' scheme's accounts, in Chinese and English, a line
        each: the provinces' rates used, and the provinces whose accounts were left."""
        lines = []
        if self.resident_rates:
            rates = ", ".join(
                f"{p} {(r * 100).normalize()}%" for p, r in sorted(self.resident_rates.items())
            )
            lines.append(
                f"城乡居民个人账户按所在省{self.year}年记账利率计息 residents' accounts "
                f"credited at their provinces' rates: {rates}"
            )
        if self.resident_uncredited:
            left = ", ".join(f"{p} ({n})" for p, n in self.resident_uncredited.items())
            lines.append(
                f"城乡居民个人账户未计息（所在省未载入{self.year}年记账利率）residents' accounts "
                f"not credited, no {self.year} rate loaded for their province (accounts): {left}. "
                f"载入 resident_rate.<省>.{self.year} 后重新运行本年度结息即可补记；"
                f"load resident_rate.<province>.{self.year} and run the year again to credit them."
            )
        return lines


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
    """Credit the year's interest to every account that had money or entries by its end.

    Works through the persons in chunks of ``chunk_size`` (by person id). Each chunk is read
    and computed in a read-only snapshot, then written in a transaction of its own; while one
    chunk is written (the database's work: foreign keys, indexes, the commit), the next one is
    read and computed (Python's work), on a second connection. ``progress`` gets (persons
    covered, persons in all)."""
    started = time.perf_counter()
    rate = params.interest_rate(year).value  # fails before any write when the rate is missing
    with UnitOfWork(engine, clock, actor) as uow:
        run_id = _run_id(uow, year, rate)
        uow.commit()
    with UnitOfWork(engine, clock, actor, write=False) as uow:
        already = uow.conn.execute(
            select(func.count()).where(interest_credits.c.year == year)
        ).scalar_one()
        starts, persons = _chunk_starts(uow, chunk_size)
    plan = _Plan.of(year, rate, params)
    total_interest, credited = 0, 0
    uncredited: dict[str, int] = defaultdict(int)
    ranges = list(zip(starts, [*starts[1:], None], strict=True))
    # One writer thread: the write of chunk n overlaps the read and computation of chunk n + 1.
    # A write that fails raises here at the next chunk (result()); leaving the block waits for
    # the write in flight, so the job never returns while one of its transactions is open.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="interest-writer") as writer:
        pending: Future[int] | None = None
        for n, (low, high) in enumerate(ranges):
            with UnitOfWork(engine, clock, actor, write=False, snapshot=True) as uow:
                chunk = _compute_chunk(uow, plan, low, high)
            for province, accounts in chunk.unrated.items():
                uncredited[province] += accounts
            if pending is not None:
                total_interest += pending.result()
            if progress:  # every chunk before this one is written
                progress(min(n * chunk_size, persons), persons)
            pending = None
            if chunk.markers:
                pending = writer.submit(_write_chunk, engine, clock, actor, plan, chunk)
                credited += len(chunk.markers)
            if throttle:
                time.sleep(throttle)
        if pending is not None:
            total_interest += pending.result()
    if progress:
        progress(persons, persons)
    report = InterestReport(
        year, rate, credited, already, total_interest, 0.0,
        dict(plan.resident_rates), dict(sorted(uncredited.items())),
    )  # fmt: skip
    with UnitOfWork(engine, clock, actor) as uow:
        audited = {k: v for k, v in report.as_dict().items() if k not in ("year", "seconds")}
        record(uow, "account.interest", "interest_run", str(year), new=audited)
        uow.conn.execute(
            update(interest_runs)
            .where(interest_runs.c.id == run_id, interest_runs.c.finished_at.is_(None))
            .values(finished_at=clock.now())
        )
        uow.commit()
    return replace(report, seconds=time.perf_counter() - started)


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


@dataclass(frozen=True, slots=True)
class _Plan:
    """What every chunk of a year's run shares."""

    year: int
    rate: Decimal  # the employees' schemes' (national)
    resident_rates: dict[str, Decimal]  # the residents' scheme's, by province (module doc)
    params: Parameters
    by_month: bool  # some province credits by 月积数法: the year's credits are read by month
    factor: Decimal  # 年度计算法's factor (1.083)

    @classmethod
    def of(cls, year: int, rate: Decimal, params: Parameters) -> _Plan:
        by_month = Method.MONTHLY.value in params.crediting_methods_in_use()
        resident = {p: r.value for p, r in params.resident_interest_rates(year).items()}
        return cls(year, rate, resident, params, by_month, params.interest_annual_factor().value)

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def year_end(self) -> dt.date:
        return dt.date(self.year, 12, 31)


@dataclass(frozen=True, slots=True)
class _Chunk:
    """One chunk computed, ready to write."""

    first: int  # person ids of the first and last account credited
    last: int
    entries: list[tuple[int, str, str, str, int]]  # person, scheme, region, portion, fen
    markers: list[tuple[int, str, int]]  # person, scheme, fen (an account's whole interest)
    per_region: dict[str, int]
    unrated: dict[str, int]  # residents' accounts due and left, by province: no rate loaded

    def key(self, year: int) -> str:
        """The journal's idempotency key, naming the accounts the chunk credits (a digest of
        them). No chunk credits an account an earlier one did, so two chunks of a year never
        share a key, even where they span the same persons and count as many accounts (an
        employee's account credited, then, once its province's rate is loaded, the same
        person's residents' account). Under a key of persons and count alone, the second
        chunk's journal was refused (``ledger.key_reused``), or, had its postings been the
        same, taken for a retry of the first's and not written."""
        named = ",".join(f"{person}:{scheme}" for person, scheme, _ in self.markers)
        accounts = hashlib.sha256(named.encode()).hexdigest()
        return f"interest:{year}:{self.first}-{self.last}:{len(self.markers)}:{accounts[:16]}"

    @property
    def total(self) -> int:
        return sum(self.per_region.values())


def _chunk_starts(uow: UnitOfWork, size: int) -> tuple[list[int], int]:
    """The first person id of each chunk of ``size`` persons (by id), and the persons in all:
    one scan of the persons' primary key, instead of listing every account up front."""
    numbered = select(
        persons.c.id, func.row_number().over(order_by=persons.c.id).label("n")
    ).subquery()
    starts = [
        int(i)
        for i in uow.conn.execute(
            select(numbered.c.id).where((numbered.c.n - 1) % size == 0).order_by(numbered.c.id)
        ).scalars()
    ]
    total = uow.conn.execute(select(func.count()).select_from(persons)).scalar_one()
    return starts, int(total)


def _persons_between(column: Any, low: int, high: int | None) -> list[Any]:
    """``low`` ≤ column < ``high`` (no upper bound for the last chunk)."""
    return [column >= low] if high is None else [column >= low, column < high]


def _compute_chunk(uow: UnitOfWork, plan: _Plan, low: int, high: int | None) -> _Chunk:
    """Read and compute one chunk: the accounts of persons ``low`` ≤ id < ``high`` that have an
    entry by the year's end and are not yet credited for the year."""
    year_start, year_end = plan.year_start, plan.year_end
    # One grouped scan of the chunk's range of person ids (the entries' index is on person id
    # first, and a range costs no bind parameter per account): per account, region, portion and
    # bucket the sum and the latest entry's id. The database sums each account's entries per
    # portion into its opening balance (bucket 0) and the year's credits — by month (1–12) when
    # some province uses 月积数法, as one sum (1) when all use 年度计算法, which only needs the
    # year's total. This year's interest (−1) and later entries (−2) are left out of the sums;
    # an account with only later entries is not due. The account is where its latest entry is,
    # later ones included (where the account is now, as the money is): that entry's region
    # picks the method and the fund.
    bucket = case(
        (account_entries.c.effective_on > year_end, -2),
        (account_entries.c.effective_on < year_start, 0),
        (account_entries.c.kind == "interest", -1),
        else_=extract("month", account_entries.c.effective_on) if plan.by_month else 1,
    )
    if uow.conn.dialect.name == "postgresql":
        # The chunk's grouping sorts some 60 000 rows: in memory, not in PostgreSQL's default
        # 4 MB that spills it to disk. For this (snapshot) transaction only.
        uow.conn.execute(text("SET LOCAL work_mem = '64MB'"))
    sums = uow.conn.execute(
        select(
            account_entries.c.person_id,
            account_entries.c.scheme,
            account_entries.c.region,
            account_entries.c.portion,
            bucket,
            cast(func.sum(account_entries.c.amount), BigInteger),  # int, not numeric
            func.max(account_entries.c.id),
        )
        .where(
            *_persons_between(account_entries.c.person_id, low, high),
        )
        .group_by(
            account_entries.c.person_id,
            account_entries.c.scheme,
            account_entries.c.region,
            account_entries.c.portion,
            bucket,
        )
    ).all()
    done = {
        (person_id, scheme)
        for person_id, scheme in uow.conn.execute(
            select(interest_credits.c.person_id, interest_credits.c.scheme).where(
                *_persons_between(interest_credits.c.person_id, low, high),
                interest_credits.c.year == plan.year,
            )
        )
    }
    opening: dict[tuple[int, str, str], int] = defaultdict(int)
    monthly: dict[tuple[int, str, str], list[int]] = {}
    latest: dict[tuple[int, str], tuple[int, str]] = {}  # account → (latest entry id, region)
    due: set[tuple[int, str]] = set()
    for person_id, scheme, region, portion, month, total, last_id in sums:
        account = (person_id, scheme)
        if account in done:
            continue
        seen = latest.get(account)
        if seen is None or last_id > seen[0]:
            latest[account] = (last_id, region)
        if month == -2:
            continue
        due.add(account)
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
    methods: dict[str, Method] = {}
    no_credits = [0] * 12
    entries: list[tuple[int, str, str, str, int]] = []
    markers: list[tuple[int, str, int]] = []
    per_region: dict[str, int] = defaultdict(int)
    unrated: dict[str, int] = defaultdict(int)
    for person_id, scheme in sorted(due):
        region = latest[(person_id, scheme)][1]
        # The employees' national rate, or a residents' account's province's (module doc).
        rate = plan.rate if scheme != _RESIDENT else plan.resident_rates.get(region[:2])
        if rate is None:  # a residents' account whose province has no rate for the year
            unrated[region[:2]] += 1
            continue
        method = methods.get(region)
        if method is None:
            method = methods[region] = Method(plan.params.crediting_method(region).value)
        account_interest: int = 0
        for portion in _PORTIONS:
            key = (person_id, scheme, portion)
            if key not in opening and key not in monthly:
                continue
            amount: int = year_interest(
                opening.get(key, 0), monthly.get(key, no_credits), rate, method, plan.factor
            )
            if amount:
                entries.append((person_id, scheme, region, portion, amount))
                account_interest += amount
        markers.append((person_id, scheme, account_interest))
        per_region[region] += account_interest
    first, last = (markers[0][0], markers[-1][0]) if markers else (low, low)
    return _Chunk(first, last, entries, markers, dict(per_region), dict(unrated))


def _write_chunk(engine: Engine, clock: Clock, actor: str, plan: _Plan, chunk: _Chunk) -> int:
    """Write one computed chunk in one transaction: its journal, entries and markers. The
    markers' key makes a chunk that another run credited first (two runs of a year at once)
    fail whole: nothing of it is written, and a rerun credits what is left."""
    try:
        return _write_chunk_once(engine, clock, actor, plan, chunk)
    # The markers go by COPY on the driver's own cursor: its error is the driver's, unwrapped.
    except (IntegrityError, engine.dialect.loaded_dbapi.IntegrityError) as clash:
        raise Conflict(
            "interest.concurrent_run",
            f"另一次{plan.year}年结息同时记入了人员 {chunk.first}–{chunk.last} 中的账户；"
            "本批未写入。请待其结束后重新运行，已结息的账户会跳过。",
            f"Another {plan.year} interest run credited accounts of persons "
            f"{chunk.first}–{chunk.last} at the same time; this chunk was not written. Run "
            "again when it has finished: credited accounts are skipped.",
        ) from clash


def _write_chunk_once(engine: Engine, clock: Clock, actor: str, plan: _Plan, chunk: _Chunk) -> int:
    year, year_end = plan.year, plan.year_end
    with UnitOfWork(engine, clock, actor) as uow:
        legs = []
        for region, region_amount in sorted(chunk.per_region.items()):
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
                    chunk.key(year),
                    year_end,
                    f"{year}年个人账户结息",
                    tuple(legs),
                ),
            )
        if chunk.entries:
            period, source, now = year * 100 + 12, f"interest:{year}", uow.clock.now()
            insert_rows(
                uow.conn,
                account_entries,
                ENTRY_COLUMNS,
                (
                    (p, s, r, portion, "interest", period, year_end, fen, journal_id, source, now)
                    for p, s, r, portion, fen in chunk.entries
                ),
            )
        insert_rows(
            uow.conn,
            interest_credits,
            _MARKER_COLUMNS,
            ((p, s, year, fen) for p, s, fen in chunk.markers),
        )
        uow.commit()
    return chunk.total


_PORTIONS = [p.value for p in Portion]  # in the order of the law's periods
_RESIDENT = Scheme.RESIDENT.value  # compared once an account: not the enum's attribute each time
_MARKER_COLUMNS = ["person_id", "scheme", "year", "interest"]
