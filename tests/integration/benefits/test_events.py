"""Certification, the data feeds and death, end to end on both engines: a lapse pauses payment
and a new certification pays it back; prison months are never paid; a death stops payment from
the next month, sets the overpayment off against the survivors' due and terminates the relation;
a bad feed is refused whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine, func, select

from jinbao.accounts.service import statement
from jinbao.benefits import service as benefits
from jinbao.benefits.events import certify, import_life_events, record_death
from jinbao.benefits.payments import run_payments
from jinbao.benefits.tables import benefit_payments, death_settlements, life_events
from jinbao.contributions.service import history
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus
from jinbao.transfers import workflow
from tests.integration.benefits.test_retirement import apply, career
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import NEW, OLD, MovingClock, auto_review

Uow = Callable[[], UnitOfWork]


def pensioner(uow_at: Uow, params: Parameters, clock: MovingClock) -> tuple[str, dict]:
    clock.day = dt.date(2025, 12, 15)  # the award is approved in December 2025
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    application = apply(uow_at, person, params)
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    return person, award


def paid_months(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(benefit_payments.c.month)).scalars())


def run(uow_at: Uow, y: int, m: int):
    return commit(uow_at, lambda uow: run_payments(uow, NEW, YearMonth(y, m)))


def test_a_lapse_pauses_payment_and_a_new_certification_pays_it_back(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, _ = pensioner(uow_at, params, moving_clock)
    moving_clock.day = dt.date(2027, 2, 1)
    assert run(uow_at, 2026, 12).paid == 1  # January to December 2026, caught up at once
    assert paid_months(engine) == [202600 + m for m in range(1, 13)]
    january = run(uow_at, 2027, 1)  # more than 12 months since the approval
    assert (january.paid, january.suspended) == (0, [person])
    commit(uow_at, lambda uow: certify(uow, person, "self", dt.date(2027, 1, 28), "人脸识别"))
    february = run(uow_at, 2027, 2)
    assert february.paid == 1
    assert paid_months(engine)[-2:] == [202701, 202702]  # January paid back
    with uow_at() as uow:
        assert check(uow) == []


def test_prison_months_are_never_paid(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, _ = pensioner(uow_at, params, moving_clock)
    moving_clock.day = dt.date(2026, 11, 2)
    feed = f"id_number,kind,date,source\n{person},imprisonment,2026-03-10,court\n".encode()
    commit(uow_at, lambda uow: import_life_events(uow, feed, params))
    run(uow_at, 2026, 5)
    assert paid_months(engine) == [202601, 202602]
    commit(uow_at, lambda uow: certify(uow, person, "counter", dt.date(2026, 6, 3), "刑满释放"))
    run(uow_at, 2026, 7)
    # March to June never: payment resumes from the month after the release is certified.
    assert paid_months(engine) == [202601, 202602, 202607]


def test_a_death_stops_payment_and_settles_with_the_survivors(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, award = pensioner(uow_at, params, moving_clock)
    moving_clock.day = dt.date(2026, 11, 2)
    run(uow_at, 2026, 5)  # January to May paid before the death was known
    feed = f"id_number,kind,date,source\n{person},death,2026-03-15,civil_affairs\n".encode()
    commit(uow_at, lambda uow: import_life_events(uow, feed, params))
    commit(uow_at, lambda uow: import_life_events(uow, feed, params))  # reported twice: once
    assert run(uow_at, 2026, 6).paid == 0
    with uow_at() as uow:
        (settlement,) = uow.conn.execute(select(death_settlements)).all()
        ((relation, _),) = registry.person_relationships(uow, person)
        deaths = uow.conn.execute(select(func.count()).select_from(life_events)).scalar_one()
        left = statement(uow, person, moving_clock.today()).total
        assert check(uow) == []
    assert deaths == 1
    assert settlement.overpaid == 2 * award["total"]  # April and May were paid after the death
    gross = settlement.funeral + settlement.survivor_pension + settlement.inheritance
    assert settlement.payable == max(0, gross - settlement.overpaid)
    assert settlement.funeral > 0
    assert settlement.survivor_pension > 0
    assert relation.status is RelationshipStatus.TERMINATED
    assert left == 0  # the account was inherited
    assert paid_months(engine) == [202601, 202602, 202603, 202604, 202605]
    late = rejected(engine, uow_at, lambda uow: certify(uow, person, "self", dt.date(2026, 7, 1)))
    assert late.code == "certification.deceased"


def test_a_feed_with_a_bad_row_is_refused_whole(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, _ = pensioner(uow_at, params, moving_clock)
    moving_clock.day = dt.date(2026, 11, 2)
    feed = (
        "id_number,kind,date,source\n"
        f"{person},imprisonment,2026-01-10,court\n"
        "110101199001011234,death,2026-01-10,civil_affairs\n"
        f"{person},married,2026-01-10,x\n"
    ).encode()
    refused = rejected(
        engine, uow_at, lambda uow: import_life_events(uow, feed, params), InvalidInput
    )
    assert refused.code == "feed.invalid"
    assert [i.row for i in refused.issues] == [3, 4]


def test_only_the_individual_part_of_the_account_is_inherited(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """2005 was credited at 11% while he paid 8% (the sample rates): that year's employer-funded
    share of the account goes to the pooled fund, the rest to the heirs."""
    moving_clock.day = dt.date(2026, 11, 2)
    person = career(uow_at, params, tianhe_months=12, zhengzhou_months=191)
    auto_review(uow_at, OLD, NEW)
    application = apply(uow_at, person, params)
    workflow.pump(engine, moving_clock, params)
    commit(uow_at, lambda uow: benefits.refresh(uow, application, params, "张经办"))
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
        balance = statement(uow, person, moving_clock.today()).total
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    settled = commit(
        uow_at, lambda uow: record_death(uow, person, dt.date(2026, 10, 1), "counter", params)
    )
    with uow_at() as uow:  # 11% credited, 8% paid, of each month's (capped) base in 2005
        employer_funded = sum(
            r.to_account - r.individual_part for r in history(uow, person) if r.period.year == 2005
        )
    assert employer_funded > 0
    assert settled["inheritance"] == balance - employer_funded
    with uow_at() as uow:
        assert statement(uow, person, moving_clock.today()).total == 0
        assert check(uow) == []
