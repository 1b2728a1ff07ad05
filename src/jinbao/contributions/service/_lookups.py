"""Bulk look-ups: employers, persons, contributing relationships and the state of each person-month."""

from __future__ import annotations

import contextlib
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

from jinbao.contributions.model import (
    Kind,
)
from jinbao.contributions.service._base import SCHEME
from jinbao.contributions.tables import contributions
from jinbao.db.bulk import IN_LIST_MAX, key_filter, keys_in
from jinbao.db.driver import DriverRead
from jinbao.db.uow import UnitOfWork
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
    .where(keys_in(employers.c.uscc, "usccs", String))
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
_CONTRIBUTING = (
    (relationships.c.person_id == persons.c.id)
    & (relationships.c.scheme == SCHEME)
    & (relationships.c.status == "contributing")
)
# Each person of the numbers, with their contributing relations' ids and employers.
_ENROLLED = select(
    persons.c.id_number,
    persons.c.id,
    relationships.c.id.label("relation"),
    relationships.c.employer_id,
).select_from(persons.outerjoin(relationships, _CONTRIBUTING))
_ENROLLED_BY_NUMBERS = DriverRead(_ENROLLED.where(keys_in(persons.c.id_number, "keys", String)))


@contextlib.contextmanager
def _enrolled(
    uow: UnitOfWork, numbers: Iterable[str], employer_ids: Iterable[int] = ()
) -> Iterator[tuple[dict[str, int], dict[int, set[int | None]], Persons]]:
    """For a declaration's ID numbers: number → person id of those registered, and person id →
    employers (None = enrolled as a flexible worker) with a contributing relation; with the
    persons (their keys, or a condition on the persons table) selecting at least every person
    who may be declared here, for :func:`_slots` inside the block.

    A large file of ``employer_ids`` reads those employers' contributing staff (a few keys, by
    the relations' employer index) rather than writing its ID numbers into a temporary table:
    only their staff can be declared. The numbers not among them — errors, reported by row —
    are then looked up one way or the other."""
    wanted = set(numbers)
    employers_ = sorted(set(employer_ids))
    person_map: dict[str, int] = {}
    enrolled: dict[int, set[int | None]] = defaultdict(set)

    def note(rows: Iterable[Any]) -> None:
        for number, person_id, relation, employer_id in rows:
            person_map[number] = person_id
            if relation is not None:
                enrolled[person_id].add(employer_id)

    if len(wanted) <= IN_LIST_MAX:
        keys = sorted(wanted)
        note(_ENROLLED_BY_NUMBERS.all(uow.conn, {"keys": keys}))
        yield person_map, enrolled, _Keys("id_number", keys)
        return
    if employers_:
        staff = relationships.c.employer_id.in_(employers_)
        staff_rows = uow.conn.execute(
            select(persons.c.id_number, persons.c.id, relationships.c.employer_id)
            .select_from(persons.join(relationships, _CONTRIBUTING))
            .where(staff)
        ).all()  # fetched at once: row by row costs a driver call each
        for number, person_id, employer_id in staff_rows:
            if number in wanted:
                person_map[number] = person_id
                enrolled[person_id].add(employer_id)
        missing = wanted.difference(person_map)
        if missing:
            with _enrolled(uow, missing) as (more, more_enrolled, _):
                person_map.update(more)
                for person_id, found in more_enrolled.items():
                    enrolled[person_id] |= found
        yield (
            person_map,
            enrolled,
            persons.c.id.in_(select(relationships.c.person_id).where(staff)),
        )
        return
    with key_filter(uow.conn, wanted, String) as matches:
        these = matches(persons.c.id_number)
        note(uow.conn.execute(_ENROLLED.where(these)).all())  # at once: a row costs a call
        yield person_map, enrolled, these


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
