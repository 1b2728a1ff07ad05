"""The synthetic nation's deaths before a pension: the survivors of the insured who died before
drawing one claim their due (遗属待遇申领) through the real benefits service.

:mod:`jinbao.sim.nation` draws deaths at a SAMPLE rate (``DEATH_PER_YEAR``), ends the career
in the month before, records the death (a life event, source 模拟数据) and terminates the last
relation. Here the survivors of each claim today, at the agency of the last relation
(:func:`jinbao.benefits.events.claim_survivor_benefits`). An employee's: the funeral grant and
the survivor pension of 人社部发〔2021〕18号 on the months paid anywhere in the scheme
(第五条（一）), the individual part of the account inherited in every province that
holds part of it (社会保险法 第十四条), every relation still kept terminated. A resident's
(城乡居保) survivors inherit the account less the government's subsidies (国发〔2014〕8号), at any
date.

For an employee's death before 2021-09-01 the funeral grant and survivor pension are the
province's ("由各省妥善予以处理", not loaded): the claim settles the account alone and says so;
such deaths are counted apart. A rerun claims for no one again.

Pensioners die too (:func:`pensioners_die`), after the retirements' payment run has paid last
month: the death feed of this month (死亡数据比对, as agencies compare with the records of deaths
and cremations) reports those who died in the last ``FEED_MONTHS`` months, at a SAMPLE yearly
rate (``PENSIONER_DEATH_PER_YEAR``), each drawn by a generator seeded with the person's ID
number. Each death is recorded as the feed reports it (:func:`jinbao.benefits.events.record_death`)
and settled at once: payment stops from the month after the death, the months paid after it
are an overpayment (冒领) set off first against the survivors' due (人社部发〔2021〕18号: the
funeral grant and the survivor pension on the months paid; the account inherited, 社会保险法
第十四条), what remains is to recover, and the relation is terminated. A pensioner whose death
is already on record is not reported again.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select

from jinbao.benefits.events import claim_survivor_benefits, record_death
from jinbao.benefits.tables import (
    awards,
    benefit_payments,
    death_settlements,
    life_events,
    retirement_applications,
)
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import Clock
from jinbao.kernel.errors import DomainError
from jinbao.kernel.periods import YearMonth
from jinbao.policy.parameters import Parameters
from jinbao.registry.tables import persons
from jinbao.sim.transfers import tally_batches

OPERATOR = "sim"  # the operator who takes the claim (audit log: actor sim)
CLAIMANT = "模拟遗属"  # SAMPLE: the survivor who claims (made up)
BATCH = 200
PENSIONER_DEATH_PER_YEAR = 0.015  # SAMPLE: a pensioner's chance of dying within a year (60–75)
FEED_MONTHS = 3  # SAMPLE: this month's death feed reports the deaths of the last three months
FEED = "模拟数据：死亡数据比对"  # the source of the deaths the feed reports (SAMPLE)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DeathReport:
    died: int  # persons who died insured and before a pension, in the window
    residents: int  # of them, in the residents' scheme
    before_measures: int  # employees who died before 2021-09-01: no 18号 grant (provincial rules)
    settled: int  # settled by a claim, in this run or an earlier one
    not_settled: int  # claims the service refused (reasons)
    funeral: int  # fen paid in this run: funeral grants
    survivor_pension: int  # fen: survivor pensions (抚恤金)
    inheritance: int  # fen: accounts inherited
    reasons: dict[str, int]  # error code → persons


def claim_survivors(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    dead: Sequence[tuple[str, dt.date, bool]],
    *,
    progress: Callable[[int, int, str], None] | None = None,
    batch: int = BATCH,
    workers: int = 1,
) -> DeathReport:
    """The survivors of each of ``dead`` (ID number, date of death, a resident) claim, in
    batches of ``batch``, ``workers`` processes at once (:func:`tally_batches`). ``progress`` gets (0,
    batches, "") first, then (batches done before, batches, what the batch did) as each ends,
    and (batches, batches, "") last."""
    in_force: dt.date = params.survivors("in_force").value
    counts, reasons, batches = tally_batches(
        engine, clock, params, [number for number, *_ in dead], _batch, batch=batch, workers=workers,
        progress=progress, describe=lambda span, did: f"deaths {span}: {did['settled']} settled",
    )  # fmt: skip
    if progress is not None and batches:
        progress(batches, batches, "")
    return DeathReport(
        died=len(dead), residents=sum(1 for *_, resident in dead if resident),
        before_measures=sum(1 for _, on, resident in dead if not resident and on < in_force),
        settled=counts["settled"] + counts["settled_before"], not_settled=counts["refused"],
        funeral=counts["funeral"], survivor_pension=counts["survivor_pension"],
        inheritance=counts["inheritance"], reasons=dict(sorted(reasons.items())),
    )  # fmt: skip


def _batch(
    engine: Engine, clock: Clock, params: Parameters, part: list[str]
) -> tuple[Counter[str], Counter[str]]:
    """One batch: each not yet settled claims, in a transaction of its own; counts, the fen
    paid by kind, and the codes of the claims refused."""
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    with UnitOfWork(engine, clock, OPERATOR, write=False) as uow:
        settled = set(
            uow.conn.execute(
                select(persons.c.id_number)
                .join(death_settlements, death_settlements.c.person_id == persons.c.id)
                .where(persons.c.id_number.in_(part))
            ).scalars()
        )
    for number in part:
        if number in settled:
            counts["settled_before"] += 1
            continue

        def claim(uow: UnitOfWork, n: str = number) -> dict[str, Any]:
            return claim_survivor_benefits(uow, n, CLAIMANT, params)

        paid = _in_a_unit(engine, clock, claim, counts, reasons)
        if paid is None:
            continue
        counts["settled"] += 1
        for kind in ("funeral", "survivor_pension", "inheritance"):
            counts[kind] += int(paid[kind])
    return counts, reasons


@dataclass(frozen=True, slots=True)
class PensionerDeathReport:
    pensioners: int  # awarded pensioners the feed looked at
    died: int  # reported dead by this run's feed
    before: int  # whose death was already on record (an earlier run, another report)
    not_settled: int  # reports the service refused (reasons)
    overpaid_months: int  # months paid after a death month (冒领)
    overpaid: int  # fen: those months, set off first against the survivors' due
    to_recover: int  # fen: what the survivors' due did not cover
    funeral: int  # fen: funeral grants
    survivor_pension: int  # fen: survivor pensions (抚恤金)
    inheritance: int  # fen: accounts inherited
    payable: int  # fen: paid to the survivors after the set-off
    reasons: dict[str, int]  # error code → persons


def pensioners_die(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    pensioners: Sequence[str],
    *,
    progress: Callable[[int, int, str], None] | None = None,
    batch: int = BATCH,
    workers: int = 1,
    rate: float = PENSIONER_DEATH_PER_YEAR,
) -> PensionerDeathReport:
    """This month's death feed over ``pensioners`` (ID numbers; those without an awarded
    pension are passed over): who died in the last :data:`FEED_MONTHS` months, not before the
    pension's first month, at ``rate`` a year, each recorded and settled in a transaction of
    its own (see the module's docstring). Batches of ``batch``, ``workers`` processes at once
    (:func:`tally_batches`); ``progress`` as for :func:`claim_survivors`."""
    work = functools.partial(_feed_batch, rate=rate)
    counts, reasons, batches = tally_batches(
        engine, clock, params, list(pensioners), work, batch=batch, workers=workers,
        progress=progress, describe=lambda span, did: f"pensioners {span}: {did['died']} died",
    )  # fmt: skip
    if progress is not None and batches:
        progress(batches, batches, "")
    return PensionerDeathReport(
        pensioners=counts["pensioners"], died=counts["died"], before=counts["before"],
        not_settled=counts["refused"], overpaid_months=counts["overpaid_months"],
        overpaid=counts["overpaid"], to_recover=counts["to_recover"], funeral=counts["funeral"],
        survivor_pension=counts["survivor_pension"], inheritance=counts["inheritance"],
        payable=counts["payable"], reasons=dict(sorted(reasons.items())),
    )  # fmt: skip


def death_in_feed(
    id_number: str, first_month: YearMonth, last: YearMonth, rate: float
) -> dt.date | None:
    """The day a pensioner paid from ``first_month`` died, if within the feed's months (the
    :data:`FEED_MONTHS` up to ``last``, none before ``first_month``), else None: month by month
    at ``rate`` a year (SAMPLE), a day from the 1st to the 28th; seeded by the ID number, so
    the same on every run."""
    rng = random.Random(f"pensioner-death:{id_number}")
    monthly = 1 - (1 - rate) ** (1 / 12)
    for back in range(FEED_MONTHS - 1, -1, -1):
        month = last.plus(-back)
        died = rng.random() < monthly
        day = rng.randint(1, 28)
        if died and month >= first_month:
            return dt.date(month.year, month.month, day)
    return None


def _feed_batch(
    engine: Engine, clock: Clock, params: Parameters, part: list[str], *, rate: float
) -> tuple[Counter[str], Counter[str]]:
    """One batch of the feed: the awarded pensioners of ``part`` with their pension's first
    month and whether a death is on record, then each death the feed reports recorded and
    settled in a transaction of its own."""
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    last = YearMonth.of(clock.today()).plus(-1)  # the month the payment run paid
    with UnitOfWork(engine, clock, OPERATOR, write=False) as uow:
        awarded = uow.conn.execute(
            select(persons.c.id_number, awards.c.from_month, life_events.c.on)
            .join(retirement_applications, retirement_applications.c.person_id == persons.c.id)
            .join(awards, awards.c.application_id == retirement_applications.c.id)
            .outerjoin(
                life_events,
                (life_events.c.person_id == persons.c.id) & (life_events.c.kind == "death"),
            )
            .where(
                persons.c.id_number.in_(part),
                retirement_applications.c.state == "awarded",
                awards.c.state == "approved",
                awards.c.version == 1,
            )
        ).all()
    for number, from_month, dead_on in awarded:
        counts["pensioners"] += 1
        if dead_on is not None:
            counts["before"] += 1
            continue
        first = YearMonth(from_month // 100, from_month % 100)
        on = death_in_feed(number, first, last, rate)
        if on is None:
            continue

        def report(uow: UnitOfWork, n: str = number, d: dt.date = on) -> tuple[Any, int]:
            return record_death(uow, n, d, FEED, params), _months_paid_after(uow, n, d)

        done = _in_a_unit(engine, clock, report, counts, reasons)
        if done is None:
            continue
        settled, months = done
        counts["died"] += 1
        counts["overpaid_months"] += months
        for kind in ("overpaid", "to_recover", "funeral", "survivor_pension", "inheritance",
                     "payable"):  # fmt: skip
            counts[kind] += int(settled[kind]) if settled else 0
    return counts, reasons


def _in_a_unit(
    engine: Engine,
    clock: Clock,
    action: Callable[[UnitOfWork], T],
    counts: Counter[str],
    reasons: Counter[str],
) -> T | None:
    """``action`` in a unit of work of its own, committed; None if the service refused it
    (counted as refused, by its code)."""
    try:
        with UnitOfWork(engine, clock, OPERATOR) as uow:
            done = action(uow)
            uow.commit()
    except DomainError as exc:
        counts["refused"] += 1
        reasons[exc.code] += 1
        return None
    return done


def _months_paid_after(uow: UnitOfWork, id_number: str, on: dt.date) -> int:
    """The months of pension paid for after the month of the death (冒领)."""
    return int(
        uow.conn.execute(
            select(func.count(func.distinct(benefit_payments.c.month)))
            .join(
                retirement_applications,
                retirement_applications.c.id == benefit_payments.c.application_id,
            )
            .join(persons, persons.c.id == retirement_applications.c.person_id)
            .where(
                persons.c.id_number == id_number,
                benefit_payments.c.month > on.year * 100 + on.month,
            )
        ).scalar_one()
    )
