"""Money in transit that the receiving agency never takes comes back: the timeout sweep voids
the case long after the leg-3 deadline, restores the account, tells the other agency — and
leaves alone a case completed meanwhile. Both engines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from jinbao.accounts.service import statement
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters
from jinbao.policy.workdays import add_workdays
from jinbao.transfers import queries, workflow
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import NEW, OLD, Mover, MovingClock, auto_review

Uow = Callable[[], UnitOfWork]


@pytest.fixture
def moving_clock() -> MovingClock:
    return MovingClock(dt.date(2026, 6, 1))  # the sweep's dates stay within loaded calendars


def funds_sent(engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, clock: MovingClock):
    """Tianhe reviews automatically; Zhengzhou's operator approves leg 1 and then goes silent."""
    auto_review(uow_at, OLD)
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    commit(uow_at, lambda uow: workflow.accept(uow, case_id, params=params))
    workflow.pump(engine, clock, params)
    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
    assert case["ledger_transfer"]["state"] == "pending"
    return case_id


def leg3_due(uow_at: Uow, case_id: str, params: Parameters) -> dt.date:
    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
    (side,) = [s for s in case["sides"] if s["side"] == "transferring"]
    return dt.date.fromisoformat(side["clock"]["due_on"])


def test_money_nobody_takes_comes_back_after_the_grace_period(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    with uow_at() as uow:
        before = statement(uow, mover.id_number, moving_clock.today())
    case_id = funds_sent(engine, uow_at, mover, params, moving_clock)
    grace = params.transfer("funds_void_after_working_days").value
    last_day = add_workdays(leg3_due(uow_at, case_id, params), grace, params).value

    moving_clock.day = last_day  # overdue by exactly the grace: still waiting
    assert workflow.void_overdue(engine, moving_clock, params).voided == []
    moving_clock.day = add_workdays(last_day, 1, params).value
    report = workflow.void_overdue(engine, moving_clock, params)
    assert report.voided == [case_id]
    assert workflow.void_overdue(engine, moving_clock, params).voided == []  # once
    workflow.pump(engine, moving_clock, params)

    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
        after = statement(uow, mover.id_number, moving_clock.today())
        assert check(uow) == []
    sides = {s["side"]: s for s in case["sides"]}
    assert sides["transferring"]["state"] == "voided"
    assert sides["receiving"]["state"] == "voided"  # told in writing, by the 退回 document
    assert [r["code"] for r in sides["receiving"]["reasons"]] == ["transfer.funds_timeout"]
    assert case["ledger_transfer"]["state"] == "voided"
    assert after.balances == before.balances

    # Zhengzhou's operator wakes up: nothing left to complete. The person applies again.
    late = rejected(
        engine, uow_at, lambda uow: workflow.complete(uow, case_id, params=params), Conflict
    )
    assert late.code == "transfer.out_of_order"
    assert "作废" in late.zh
    again = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params)
    )
    assert again != case_id


def test_a_case_completed_meanwhile_is_left_alone(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    case_id = funds_sent(engine, uow_at, mover, params, moving_clock)
    grace = params.transfer("funds_void_after_working_days").value
    moving_clock.day = add_workdays(leg3_due(uow_at, case_id, params), grace + 1, params).value
    # Very late, Zhengzhou completes; the 办结通知 has not reached Tianhe when the sweep runs.
    commit(uow_at, lambda uow: workflow.complete(uow, case_id, params=params))
    assert workflow.void_overdue(engine, moving_clock, params).voided == []
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
        assert check(uow) == []
    assert {s["state"] for s in case["sides"]} == {"completed"}
    assert case["ledger_transfer"]["state"] == "posted"


def test_a_return_crossing_the_timeout_is_acknowledged_not_applied_twice(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    case_id = funds_sent(engine, uow_at, mover, params, moving_clock)
    grace = params.transfer("funds_void_after_working_days").value
    moving_clock.day = add_workdays(leg3_due(uow_at, case_id, params), grace + 1, params).value
    # Both agencies act the same day before either hears from the other.
    reasons = workflow.operator_reason("信息表与缴费记录不符")
    commit(uow_at, lambda uow: workflow.return_funds(uow, case_id, reasons, params=params))
    assert workflow.void_overdue(engine, moving_clock, params).voided == [case_id]
    assert workflow.pump(engine, moving_clock, params).failed == 0
    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
        assert check(uow) == []
    assert {s["state"] for s in case["sides"]} == {"voided"}
    assert case["ledger_transfer"]["state"] == "voided"
    for side in case["sides"]:
        assert "refusal_after_void" in [e["event"] for e in side["events"]]
