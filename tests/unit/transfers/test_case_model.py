"""The transfer case state machine: legs, 15-working-day clocks, 补正 pauses, order of events."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.policy.parameters import load_parameters
from jinbao.policy.workdays import add_workdays, working_days_between
from jinbao.transfers.model import (
    State,
    Timeliness,
    advance,
    clock,
    correction_received,
    open_case,
    request_correction,
)

PARAMS = load_parameters()


def add(start: dt.date, n: int) -> dt.date:
    return add_workdays(start, n, PARAMS).value


def between(a: dt.date, b: dt.date) -> int:
    return working_days_between(a, b, PARAMS)


def clock_of(case, today):  # type: ignore[no-untyped-def]
    return clock(case, today, 15, add, between)


def test_a_clean_case_runs_three_legs_to_completion() -> None:
    case = open_case("c1", dt.date(2025, 9, 1))
    case = advance(case, "contact_sent", dt.date(2025, 9, 10))
    case = advance(case, "funds_sent", dt.date(2025, 9, 20))
    case = advance(case, "completed", dt.date(2025, 10, 15))
    assert case.state is State.COMPLETED
    assert [(leg.number, leg.started_on, leg.ended_on) for leg in case.legs] == [
        (1, dt.date(2025, 9, 1), dt.date(2025, 9, 10)),
        (2, dt.date(2025, 9, 10), dt.date(2025, 9, 20)),
        (3, dt.date(2025, 9, 20), dt.date(2025, 10, 15)),
    ]
    assert clock_of(case, dt.date(2025, 12, 1)) is None


def test_each_leg_is_due_fifteen_working_days_after_it_starts_on_the_official_calendar() -> None:
    case = advance(open_case("c2", dt.date(2025, 9, 20)), "contact_sent", dt.date(2025, 9, 26))
    c = clock_of(case, dt.date(2025, 9, 29))
    assert (c.leg, c.due_on, c.timeliness) == (
        2,
        dt.date(2025, 10, 23),
        Timeliness.ON_TIME,
    )  # National Day skipped
    assert clock_of(case, dt.date(2025, 10, 20)).timeliness is Timeliness.DUE_SOON
    late = clock_of(case, dt.date(2025, 10, 27))
    assert (late.timeliness, late.working_days_left) == (Timeliness.OVERDUE, -2)


def test_a_correction_request_pauses_the_clock_and_extends_it_by_the_wait() -> None:
    case = open_case("c3", dt.date(2024, 3, 1))
    case = request_correction(case, dt.date(2024, 3, 5))
    assert clock_of(case, dt.date(2024, 6, 1)).timeliness is Timeliness.PAUSED
    with pytest.raises(Conflict):
        advance(case, "contact_sent", dt.date(2024, 3, 6))
    case = correction_received(case, dt.date(2024, 3, 12), between)  # 5 working days later
    assert case.legs[0].paused_working_days == 5
    assert clock_of(case, dt.date(2024, 3, 12)).due_on == add(dt.date(2024, 3, 1), 20)


def test_events_out_of_order_or_back_in_time_are_refused() -> None:
    case = open_case("c4", dt.date(2025, 1, 6))
    with pytest.raises(Conflict) as caught:
        advance(case, "funds_sent", dt.date(2025, 1, 7))
    assert caught.value.code == "transfer.out_of_order"
    with pytest.raises(InvalidInput):
        advance(case, "contact_sent", dt.date(2025, 1, 5))
    refused = advance(case, "refused", dt.date(2025, 1, 8))
    with pytest.raises(Conflict):
        advance(refused, "contact_sent", dt.date(2025, 1, 9))  # a late duplicate cannot reopen it
    with pytest.raises(Conflict):
        correction_received(case, dt.date(2025, 1, 9), between)


events = st.lists(
    st.tuples(
        st.sampled_from(
            ["contact_sent", "refused", "funds_sent", "completed", "voided", "correct", "received"]
        ),
        st.integers(0, 20),
    ),
    max_size=12,
)


@given(steps=events)
def test_any_sequence_of_events_keeps_a_consistent_case(steps: list[tuple[str, int]]) -> None:
    case = open_case("p", dt.date(2024, 1, 2))
    day = dt.date(2024, 1, 2)
    for event, gap in steps:
        day += dt.timedelta(days=gap)
        try:
            if event == "correct":
                case = request_correction(case, day)
            elif event == "received":
                case = correction_received(case, day, between)
            else:
                case = advance(case, event, day)
        except (Conflict, InvalidInput):
            continue
        assert [leg.number for leg in case.legs] == list(range(1, len(case.legs) + 1))
        assert all(leg.ended_on is not None for leg in case.legs[:-1])
        assert [d for d, _ in case.history] == sorted(d for d, _ in case.history)
        if case.state in (State.COMPLETED, State.REFUSED, State.VOIDED):
            assert case.current_leg is None
