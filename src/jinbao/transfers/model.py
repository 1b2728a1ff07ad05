"""A transfer case as a pure state machine: three legs, their clocks, pauses and deadlines.

国办发〔2009〕66号 第八条 (POLICY §1.6): after the application, the receiving agency has 15 working
days to send the 联系函 (or refuse in writing); the transferring agency then has 15 working days to
send the 信息表 and the funds; the receiving agency has 15 working days after the funds arrive to
complete and tell the person. A request for missing material (补正) pauses the running leg's clock
until the material arrives. Every event is dated; an event that does not fit the case's state is
refused, so documents that arrive out of order or twice cannot corrupt a case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from jinbao.kernel.errors import Conflict, InvalidInput


class State(StrEnum):
    APPLIED = "applied"  # 已申请: the receiving agency reviews (leg 1)
    CONTACT_SENT = "contact_sent"  # 已发联系函: the transferring agency acts (leg 2)
    FUNDS_SENT = "funds_sent"  # 已转出信息表和资金: the receiving agency completes (leg 3)
    COMPLETED = "completed"  # 已办结
    REFUSED = "refused"  # 不予受理 (written reasons)
    VOIDED = "voided"  # 作废 (refused at leg 2 or 3, or timed out): pending funds returned


FINAL = frozenset({State.COMPLETED, State.REFUSED, State.VOIDED})
LEG_OF = {State.APPLIED: 1, State.CONTACT_SENT: 2, State.FUNDS_SENT: 3}
STATE_ZH = {
    State.APPLIED: "已申请，待转入地审核",
    State.CONTACT_SENT: "已发联系函，待转出地办理",
    State.FUNDS_SENT: "信息表和资金已转出，待转入地办结",
    State.COMPLETED: "已办结",
    State.REFUSED: "不予受理",
    State.VOIDED: "已作废",
}


@dataclass(frozen=True, slots=True)
class Leg:
    number: int
    started_on: dt.date
    paused_on: dt.date | None = None  # a 补正 request is open
    paused_working_days: int = 0  # working days spent waiting for material, added to the limit
    ended_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    state: State
    legs: tuple[Leg, ...]
    history: tuple[tuple[dt.date, str], ...]  # (date, event) in order

    @property
    def current_leg(self) -> Leg | None:
        return self.legs[-1] if self.state not in FINAL else None


WorkingDays = Callable[[dt.date, dt.date], int]  # working days in (start, end]


def open_case(case_id: str, applied_on: dt.date) -> Case:
    return Case(case_id, State.APPLIED, (Leg(1, applied_on),), ((applied_on, "applied"),))


# Which events each state accepts, and the state they lead to.
TRANSITIONS: dict[str, dict[State, State]] = {
    "contact_sent": {State.APPLIED: State.CONTACT_SENT},
    "refused": {State.APPLIED: State.REFUSED},
    "funds_sent": {State.CONTACT_SENT: State.FUNDS_SENT},
    "completed": {State.FUNDS_SENT: State.COMPLETED},
    "voided": {State.CONTACT_SENT: State.VOIDED, State.FUNDS_SENT: State.VOIDED},
}


def advance(case: Case, event: str, on: dt.date) -> Case:
    """Apply a dated event: the case moves to the next state and the next leg's clock starts."""
    _check_date(case, on)
    target = TRANSITIONS.get(event, {}).get(case.state)
    if target is None:
        raise Conflict(
            "transfer.out_of_order",
            f"转移案件 {case.id} 当前为“{STATE_ZH[case.state]}”，不能处理“{event}”。",
            f"Transfer case {case.id} is {case.state.value}; it cannot take '{event}'.",
        )
    if case.legs[-1].paused_on is not None:
        raise Conflict(
            "transfer.paused",
            f"转移案件 {case.id} 正在等待补正材料。",
            f"Transfer case {case.id} is waiting for requested material.",
        )
    legs = list(case.legs)
    legs[-1] = dataclasses.replace(legs[-1], ended_on=on)
    if target in LEG_OF:
        legs.append(Leg(LEG_OF[target], on))
    return Case(case.id, target, tuple(legs), (*case.history, (on, event)))


def request_correction(case: Case, on: dt.date) -> Case:
    """补正: pause the running leg's clock until the material arrives."""
    _check_date(case, on)
    leg = case.current_leg
    if leg is None or leg.paused_on is not None:
        raise Conflict(
            "transfer.correction",
            f"转移案件 {case.id} 不能再发补正通知。",
            f"Case {case.id} cannot take a correction request now.",
        )
    return _replace_leg(case, dataclasses.replace(leg, paused_on=on), on, "correction_requested")


def correction_received(case: Case, on: dt.date, working_days: WorkingDays) -> Case:
    """The material arrived: the clock runs again, extended by the working days it waited."""
    _check_date(case, on)
    leg = case.current_leg
    if leg is None or leg.paused_on is None:
        raise Conflict(
            "transfer.correction",
            f"转移案件 {case.id} 没有待补正的通知。",
            f"Case {case.id} has no open correction request.",
        )
    waited = working_days(leg.paused_on, on)
    resumed = dataclasses.replace(
        leg, paused_on=None, paused_working_days=leg.paused_working_days + waited
    )
    return _replace_leg(case, resumed, on, "correction_received")


def _replace_leg(case: Case, leg: Leg, on: dt.date, event: str) -> Case:
    return Case(case.id, case.state, (*case.legs[:-1], leg), (*case.history, (on, event)))


def _check_date(case: Case, on: dt.date) -> None:
    if case.history and on < case.history[-1][0]:
        raise InvalidInput(
            "transfer.date_order",
            f"日期 {on} 早于案件上一事件的日期 {case.history[-1][0]}。",
            f"{on} is before the case's last event on {case.history[-1][0]}.",
            field="on",
        )


class Timeliness(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"  # 临期: a few working days left
    OVERDUE = "overdue"  # 超期: escalated to the supervising agency (督办)
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Clock:
    leg: int
    due_on: dt.date | None  # None while paused
    timeliness: Timeliness
    working_days_left: int | None


def clock(
    case: Case,
    today: dt.date,
    limit: int,
    add_working_days: Callable[[dt.date, int], dt.date],
    working_days: WorkingDays,
    due_soon: int = 3,
) -> Clock | None:
    """Where the running leg stands on ``today``: its due date (limit + paused days, in working
    days from the leg's start), and whether it is on time, due soon or overdue."""
    leg = case.current_leg
    if leg is None:
        return None
    if leg.paused_on is not None:
        return Clock(leg.number, None, Timeliness.PAUSED, None)
    due = add_working_days(leg.started_on, limit + leg.paused_working_days)
    if today > due:
        return Clock(leg.number, due, Timeliness.OVERDUE, -working_days(due, today))
    left = working_days(today, due)
    return Clock(
        leg.number, due, Timeliness.DUE_SOON if left <= due_soon else Timeliness.ON_TIME, left
    )
