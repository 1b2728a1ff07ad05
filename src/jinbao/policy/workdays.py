"""Working days on China's official calendar, and deadlines counted in them.

A working day is a Monday–Friday that is not an official holiday, or a weekend day declared a
working day (调休上班) by the 国务院办公厅 yearly 部分节假日安排 notice. Transfer legs are 15
working days each (国办发〔2009〕66号 第八条). A year whose arrangement is not loaded is an error:
the State Council publishes it late in the previous year; an operator loads it as data.
"""

from __future__ import annotations

import datetime as dt
import weakref

from jinbao.kernel.errors import InvalidInput
from jinbao.policy.explain import Explained, Explainer, Source
from jinbao.policy.parameters import ParameterMissing, Parameters

NOTICE = Source("国务院办公厅关于部分节假日安排的通知", "(yearly)")
ART8 = Source("国办发〔2009〕66号", "第八条")
MAX_WORKING_DAYS = 2000


def is_workday(day: dt.date, params: Parameters) -> bool:
    if day.year not in params.holidays:
        raise ParameterMissing(
            "calendar.year_unknown",
            f"{day.year}年的节假日安排尚未载入，无法计算工作日。请管理员载入国务院办公厅当年通知后再试。",
            f"The holiday arrangement for {day.year} is not loaded; an operator must load the "
            "State Council's notice for that year first.",
            field="date",
        )
    if day in params.adjusted_workdays[day.year]:
        return True
    return day.weekday() < 5 and day not in params.holidays[day.year]


# The same deadlines are asked for again and again: every case shown or listed works out each
# leg's due date from its start, counting day by day and explaining it (a case view spent a
# quarter of its 1.5 ms there). One set of parameters never changes, and an answer is
# immutable, so answers are kept per set, a bounded number of them.
_ANSWERS: weakref.WeakKeyDictionary[Parameters, dict[tuple[dt.date, int], Explained[dt.date]]]
_ANSWERS = weakref.WeakKeyDictionary()
_KEPT = 20_000


def add_workdays(start: dt.date, days: int, params: Parameters) -> Explained[dt.date]:
    """The date that is the ``days``-th working day after ``start`` (``start`` itself not counted).

    With ``days`` = 0 it is ``start`` if that is a working day, else the next working day.
    """
    answers = _ANSWERS.get(params)
    if answers is None:
        answers = _ANSWERS.setdefault(params, {})
    found = answers.get((start, days))
    if found is None:
        found = _count_workdays(start, days, params)
        if len(answers) >= _KEPT:
            answers.clear()
        answers[(start, days)] = found
    return found


def _count_workdays(start: dt.date, days: int, params: Parameters) -> Explained[dt.date]:
    if not 0 <= days <= MAX_WORKING_DAYS:
        raise InvalidInput(
            "workdays.range", f"工作日数应在0至{MAX_WORKING_DAYS}之间。",
            f"The number of working days must be 0 to {MAX_WORKING_DAYS}.", field="days",
        )  # fmt: skip
    x = Explainer(
        "calendar.add_workdays",
        f"{start} 起第{days}个工作日",
        f"{days} working days after {start}",
        (NOTICE, ART8),
    )
    x.param("calendar", "holidays and adjusted working days", "official", params.calendar_source)
    day = start
    skipped: list[str] = []
    if days == 0:
        while not is_workday(day, params):
            skipped.append(day.isoformat())
            day += dt.timedelta(days=1)
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day, params):
            counted += 1
        elif day.weekday() < 5:
            skipped.append(day.isoformat())
    if skipped:
        x.step(
            f"跳过法定节假日（工作日）：{'、'.join(skipped)}。",
            f"Holidays on weekdays skipped: {', '.join(skipped)}.",
        )
    x.step(
        f"从{start}起算（当日不计），第{days}个工作日为{day}。",
        f"Counting from {start} (not included), working day {days} is {day}.",
    )
    return x.done(day)


def working_days_between(start: dt.date, end: dt.date, params: Parameters) -> int:
    """The number of working days in (start, end]: 0 when end is not after start."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_workday(day, params):
            count += 1
    return count
