"""Bulk look-ups: employers, persons, contributing relationships and the state of each person-month."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    case,
    func,
    select,
)

from jinbao.benefits.tables import life_events
from jinbao.contributions.model import (
    Kind,
)
from jinbao.contributions.service._base import SCHEME
from jinbao.contributions.tables import contributions
from jinbao.db.bulk import IN_LIST_MAX, key_filter, keys_in
from jinbao.db.driver import DriverRead
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.periods import YearMonth
from jinbao.registry.tables import agencies, employers, persons, relationships

# The look-ups of a declaration are built once, their keys bound as one parameter (keys_in: an
# array on PostgreSQL, so that the text is the same whatever the number of keys, and psycopg
# prepares it), for every file of up to IN_LIST_MAX persons, and run on the driver's cursor:
# built per call, the three statements were a third of a declaration's CPU in the server under
# the mixed load (session 28). Larger files read their persons through a temporary table
# (key_filter) and stay built per call.
_EMPLOYERS = DriverRead(
    select(employers.c.uscc, employers.c.id, agencies.c.id.label("agency_id"), agencies.c.region_code)
    .select_from(employers.join(agencies, employers.c.agency_id == agencies.c.id))
    .where(keys_in(employers.c.uscc, "usccs", String, generic=True))  # most files name one
)  # fmt: skip


def _employers(uow: UnitOfWork, usccs: Iterable[str]) -> dict[str, tuple[int, int, str | None]]:
    """uscc → (employer id, agency id, agency region code)."""
    rows = _EMPLOYERS.all(uow.conn, {"usccs": sorted(set(usccs))})
    return {r.uscc: (r.id, r.agency_id, r.region_code) for r in rows}


@dataclass(frozen=True, slots=True)
class _Keys:
    """At most IN_LIST_MAX persons by a column of theirs (``id_number`` or ``id``), for the
    statements built once; a larger set is a condition on the persons table."""

    column: str
    keys: list[Any]


Persons = _Keys | ColumnElement[bool]
Deaths = dict[int, tuple[dt.date, str]]  # person id → the day of a recorded death, its source
_CONTRIBUTING = (
    (relationships.c.person_id == persons.c.id)
    & (relationships.c.scheme == SCHEME)
    & (relationships.c.status == "contributing")
)
# A recorded death (at most one a person: jinbao.benefits.events.record_death), joined to the
# declaration's look-ups: a month after it cannot be paid (死亡后继续缴费), whether or not the
# relation is terminated yet (an employee's is when the survivors claim).
_DEATH = (life_events.c.person_id == persons.c.id) & (life_events.c.kind == "death")
_DEATH_COLUMNS = (life_events.c.on.label("died_on"), life_events.c.source.label("death_source"))
# Each person of the numbers, with their contributing relations' ids and employers.
_ENROLLED = select(
    persons.c.id_number,
    persons.c.id,
    relationships.c.id.label("relation"),
    relationships.c.employer_id,
    *_DEATH_COLUMNS,
).select_from(persons.outerjoin(relationships, _CONTRIBUTING).outerjoin(life_events, _DEATH))
_ENROLLED_BY_NUMBERS = DriverRead(_ENROLLED.where(keys_in(persons.c.id_number, "keys", String)))


@contextlib.contextmanager
def _enrolled(
    uow: UnitOfWork, numbers: Iterable[str], employer_ids: Iterable[int] = ()
) -> Iterator[tuple[dict[str, int], dict[int, set[int | None]], Persons, Deaths]]:
    """For a declaration's ID numbers: number → person id of those registered, and person id →
    employers (None = enrolled as a flexible worker) with a contributing relation; with the
    persons (their keys, or a condition on the persons table) selecting at least every person
    who may be declared here, for :func:`_slots` inside the block; and person id → the day and
    source of a recorded death, for those of them who have one.

    A large file of ``employer_ids`` reads those employers' contributing staff (a few keys, by
    the relations' employer index) rather than writing its ID numbers into a temporary table:
    only their staff can be declared. The numbers not among them — errors, reported by row —
    are then looked up one way or the other."""
    wanted = set(numbers)
    employers_ = sorted(set(employer_ids))
    person_map: dict[str, int] = {}
    enrolled: dict[int, set[int | None]] = defaultdict(set)
    deaths: Deaths = {}

    def note(rows: Iterable[Any]) -> None:
        for number, person_id, relation, employer_id, died_on, source in rows:
            person_map[number] = person_id
            if relation is not None:
                enrolled[person_id].add(employer_id)
            if died_on is not None:
                deaths[person_id] = (died_on, source)

    if len(wanted) <= IN_LIST_MAX:
        keys = sorted(wanted)
        note(_ENROLLED_BY_NUMBERS.all(uow.conn, {"keys": keys}))
        yield person_map, enrolled, _Keys("id_number", keys), deaths
        return
    if employers_:
        staff = relationships.c.employer_id.in_(employers_)
        staff_rows = uow.conn.execute(
            select(persons.c.id_number, persons.c.id, relationships.c.employer_id, *_DEATH_COLUMNS)
            .select_from(persons.join(relationships, _CONTRIBUTING).outerjoin(life_events, _DEATH))
            .where(staff)
        ).all()  # fetched at once: row by row costs a driver call each
        for number, person_id, employer_id, died_on, source in staff_rows:
            if number in wanted:
                person_map[number] = person_id
                enrolled[person_id].add(employer_id)
                if died_on is not None:
                    deaths[person_id] = (died_on, source)
        missing = wanted.difference(person_map)
        if missing:
            with _enrolled(uow, missing) as (more, more_enrolled, _, more_deaths):
                person_map.update(more)
                for person_id, found in more_enrolled.items():
                    enrolled[person_id] |= found
                deaths.update(more_deaths)
        yield (
            person_map,
            enrolled,
            persons.c.id.in_(select(relationships.c.person_id).where(staff)),
            deaths,
        )
        return
    with key_filter(uow.conn, wanted, String) as matches:
        these = matches(persons.c.id_number)
        note(uow.conn.execute(_ENROLLED.where(these)).all())  # at once: a row costs a call
        yield person_map, enrolled, these, deaths


@dataclass(frozen=True, slots=True)
class _Slot:
    active: bool
    next_entry: int
    agency_id: int | None


def _slots_select(these_persons: ColumnElement[bool], in_periods: Any) -> Any:
    return (
        select(
            contributions.c.person_id,
            contributions.c.period,
            func.sum(case((contributions.c.kind == Kind.REVERSAL.value, -1), else_=1)).label("net"),
            func.max(contributions.c.entry_no).label("last"),
            func.max(contributions.c.agency_id).label("agency_id"),
        )
        .select_from(contributions.join(persons, persons.c.id == contributions.c.person_id))
        .where(these_persons, contributions.c.scheme == SCHEME, in_periods)
        .group_by(contributions.c.person_id, contributions.c.period)
    )


_SLOTS_BY = {
    column: DriverRead(
        _slots_select(
            keys_in(persons.c[column], "keys", key_type),
            keys_in(contributions.c.period, "periods", Integer),
        )
    )
    for column, key_type in (("id_number", String), ("id", Integer))
}


def _slots(
    uow: UnitOfWork, these_persons: Persons, periods: Iterable[int]
) -> dict[tuple[int, int], _Slot]:
    """The state of each (person, month) for the persons ``these_persons`` (as :func:`_enrolled`
    or :func:`_slots_of` give them): is a record in force, and the next entry."""
    months = sorted(set(periods))
    rows: Iterable[Any]
    if isinstance(these_persons, _Keys):
        params = {"keys": these_persons.keys, "periods": months}
        rows = _SLOTS_BY[these_persons.column].all(uow.conn, params)
    else:
        rows = uow.conn.execute(_slots_select(these_persons, contributions.c.period.in_(months)))
    return {
        (r.person_id, r.period): _Slot(int(r.net) > 0, int(r.last) + 1, r.agency_id) for r in rows
    }


def _slots_of(
    uow: UnitOfWork, person_ids: Iterable[int], periods: Iterable[int]
) -> dict[tuple[int, int], _Slot]:
    ids = sorted(set(person_ids))
    if len(ids) <= IN_LIST_MAX:
        return _slots(uow, _Keys("id", ids), periods)
    with key_filter(uow.conn, ids, Integer) as matches:
        return _slots(uow, matches(persons.c.id), periods)


def after_death(
    number: str, period: YearMonth, death: tuple[dt.date, str] | None
) -> tuple[str, str] | None:
    """Why ``period`` cannot be paid for a person whose death is recorded (a month after the
    month of death: 死亡后继续缴费, what risk control looks for), in Chinese and English; None
    when it can. The death month itself is paid: the pension and the contributions alike run
    to the end of the month a person dies in.

    No article at hand says in so many words that nothing is paid after a death; the refusal
    rests on (docs/policy.md, "Choices made where the sources are silent"):
    劳动合同法 第四十四条 (the labour contract ends when the worker dies, so no wage and no
    employer's contribution follow; the item number, 第（三）项, is from memory, UNVERIFIED);
    社会保险法 第十四条、第十七条 (what a death leaves is the account to inherit and the
    survivors' benefits, not a contributor); and, for residents, the agencies' 注销登记 of a
    dead 参保人 (secondary: local agencies' guides)."""
    if death is None or period <= YearMonth.of(death[0]):
        return None
    return paid_after_death(
        number, death, f"{period}在死亡当月之后", f"{period} is after the month of death"
    )


def paid_after_death(
    number: str, death: tuple[dt.date, str], later_zh: str, later_en: str
) -> tuple[str, str]:
    """The refusal of a payment for a time after a recorded death (``later_*``: which time,
    and that it is after), in Chinese and English, naming the day and the source to check."""
    day, source = death
    return (
        f"{number}已登记死亡（{day}，来源：{source}），{later_zh}，不能缴费；"
        "如死亡信息有误，请与报送死亡信息的部门核实。",
        f"{number} is recorded as dead on {day} (source: {source}); {later_en} and cannot be "
        "paid. If the death is wrongly recorded, check it with the source that reported it.",
    )
