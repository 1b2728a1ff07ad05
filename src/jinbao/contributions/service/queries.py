"""Reading: a person's records and arrears, an employer's declarations and arrears, overlaps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from jinbao.contributions.model import (
    Kind,
    Record,
    period_int,
    period_of,
)
from jinbao.contributions.service._base import payments_of, records_in_force
from jinbao.contributions.tables import contribution_payments, contributions
from jinbao.db.bulk import chunks
from jinbao.db.driver import DriverRead
from jinbao.db.json import as_text, json_bool, json_rows, year_month_text
from jinbao.db.planning import generic
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import NotFound
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.registry.tables import agencies, employers, persons


def _records(
    uow: UnitOfWork, *conditions: Any, person: Any = None, arrears: bool = False
) -> list[Record]:
    """The records selected by ``conditions``; of one ``person`` (their row id, or a subquery
    for it), their payments are read by person (:func:`payments_of`). ``arrears``: only
    those in force and unpaid (:func:`_records_select`)."""
    return _read(uow.conn.execute(_records_select(*conditions, person=person, arrears=arrears)))


# The columns of a record that a Record shows: nine of the table's eighteen, each converted for
# every row read (a person's history of ten years is some hundred rows).
_SHOWN = tuple(
    contributions.c[name]
    for name in (
        "id", "period", "kind", "base", "employer_part", "individual_part", "to_account",
        "lump_sum", "reverses_id",
    )
)  # fmt: skip


# A record's agency and employer are looked up row by row (an index probe each), not joined:
# joined, PostgreSQL hashed the whole agency and employer tables for a person's hundred records
# (3 513 agencies and 1 000 employers on a 20 000-person nation: 1.0 of the 1.3 ms the history
# took to run, session 16; a million-person nation has 50 000 employers).
_AGENCY_CODE = (
    select(agencies.c.code)
    .where(agencies.c.id == contributions.c.agency_id)
    .scalar_subquery()
    .label("agency_code")
)
_EMPLOYER_USCC = (
    select(employers.c.uscc)
    .where(employers.c.id == contributions.c.employer_id)
    .scalar_subquery()
    .label("uscc")
)
# The person's ID number likewise: joined, an employer's records hashed the whole persons table
# whenever the planner expected an employer of average size (17 ms at 40 000 persons for an
# employer's one record; a million-person nation has 25 times the rows, session 37).
_ID_NUMBER = (
    select(persons.c.id_number)
    .where(persons.c.id == contributions.c.person_id)
    .scalar_subquery()
    .label("id_number")
)


def _records_select(*conditions: Any, person: Any = None, arrears: bool = False) -> Any:
    """The records of ``conditions`` as :func:`_read` takes them, oldest month first. With
    ``arrears``, only those in force (not a reversal, not reversed) with no payment: filtered
    by the database. Until session 24 arrears were the whole history read and converted, then
    filtered in Python: 7 ms of a retirement application's record check for a twenty-year
    person, who has a few unpaid months at most."""
    reversal = aliased(contributions)
    paid = contribution_payments if person is None else payments_of(person)
    if arrears:
        conditions = (
            *conditions,
            contributions.c.kind != Kind.REVERSAL.value,
            paid.c.paid_on.is_(None),
            reversal.c.id.is_(None),
        )
    return (
        select(
            *_SHOWN,
            _ID_NUMBER,
            _AGENCY_CODE,
            _EMPLOYER_USCC,
            paid.c.paid_on,
            reversal.c.id.label("reversed_by"),
        )
        .select_from(
            contributions.outerjoin(paid, paid.c.contribution_id == contributions.c.id).outerjoin(
                reversal, reversal.c.reverses_id == contributions.c.id
            )
        )
        .where(*conditions)
        .order_by(contributions.c.period, contributions.c.entry_no)
    )


def _read(rows: Any) -> list[Record]:
    return [
        Record(
            r.id,
            r.id_number,
            period_of(r.period),
            Kind(r.kind),
            r.agency_code,
            r.uscc,
            Fen(r.base),
            Fen(r.employer_part),
            Fen(r.individual_part),
            Fen(r.to_account),
            bool(r.lump_sum),
            r.paid_on,
            r.reversed_by is not None,
            r.reverses_id,
        )
        for r in rows
    ]


_PERSON = (
    select(persons.c.id).where(persons.c.id_number == bindparam("id_number")).scalar_subquery()
)
# Built once: a person's history is read on every request for it (see db/README.md).
_PERSON_HISTORY = _records_select(contributions.c.person_id == _PERSON, person=_PERSON)
_PERSON_ARREARS = _records_select(
    contributions.c.person_id == _PERSON, person=_PERSON, arrears=True
)


def _history_document() -> Any:
    """A person's history as the API shows it (``RecordOut``'s fields, in its order), one JSON
    array written by the database (:mod:`jinbao.db.json`), oldest month first."""
    reversal = aliased(contributions)
    paid = payments_of(_PERSON)
    rows = (
        select(
            contributions.c.id, persons.c.id_number,
            year_month_text(contributions.c.period).label("period"), contributions.c.kind,
            _AGENCY_CODE, _EMPLOYER_USCC.label("employer_uscc"), contributions.c.base,
            contributions.c.employer_part, contributions.c.individual_part,
            contributions.c.to_account, json_bool(contributions.c.lump_sum).label("lump_sum"),
            paid.c.paid_on, json_bool(reversal.c.id.is_not(None)).label("reversed"),
            contributions.c.reverses_id,
            contributions.c.period.label("month"), contributions.c.entry_no,  # the order
        )
        .select_from(
            contributions.join(persons, contributions.c.person_id == persons.c.id)
            .outerjoin(paid, paid.c.contribution_id == contributions.c.id)
            .outerjoin(reversal, reversal.c.reverses_id == contributions.c.id)
        )
        .where(contributions.c.person_id == _PERSON)
    )  # fmt: skip
    document = json_rows(rows, "month", "entry_no", hidden=("month", "entry_no"))
    return select(as_text(document).label("document"))


# Every request for a person's history reads it: built once, run on the driver's cursor, and
# the text sent as it comes. Built in Python (a Record, then a response model, then FastAPI's
# validation and encoding of each) it cost the server twice the CPU of a person's whole record
# (0.89 ms a request under the mixed load's history alone, session 28).
_HISTORY_DOCUMENT = DriverRead(_history_document())


def history_json(uow: UnitOfWork, id_number: str) -> str:
    """:func:`history` as the API's JSON text (``[]`` for a person with none, or unknown)."""
    row = _HISTORY_DOCUMENT.first(uow.conn, {"id_number": id_number.strip().upper()})
    return "[]" if row is None else str(row[0])


def history(uow: UnitOfWork, id_number: str) -> list[Record]:
    """Every contribution record of a person, reversals included, oldest month first."""
    return _read(uow.conn.execute(_PERSON_HISTORY, {"id_number": id_number.strip().upper()}))


def person_arrears(uow: UnitOfWork, id_number: str) -> list[Record]:
    """A person's records in force not paid (欠费), oldest month first."""
    return _read(uow.conn.execute(_PERSON_ARREARS, {"id_number": id_number.strip().upper()}))


def employer_records(
    uow: UnitOfWork,
    uscc: str,
    period: YearMonth | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[Record]:
    """An employer's records (of one month, or every month), oldest month first and in the
    order written within a month; ``limit`` and ``offset`` page through them.

    Paged for the API: an employer's whole history grows with its staff and its years (on a
    generated nation of 40 000 persons × 10 years the largest employer had 34 730 records,
    10 MB of JSON in 1.3 s; a large employer of a real province has millions). Ordered by
    the month and the record's id, which the (employer, month) index gives up to a sort within
    each month, so that a page is the same whichever pages were read before. The employer's
    row id is looked up first and given as a value: behind a subquery the planner took every
    employer for one of average size, and for the largest sorted its whole history to cut a
    page (300 ms against 20 for the first thousand of 34 730 records)."""
    conditions = [contributions.c.employer_id == _employer_id(uow, uscc)]
    if period is not None:
        conditions.append(contributions.c.period == period_int(period))
    order = (contributions.c.period, contributions.c.id)
    page = select(contributions.c.id).where(*conditions).order_by(*order).offset(offset)
    # The page's ids first, then their payments, reversals and names: joined before the cut,
    # each record skipped by the offset was joined too (0.9 s for a page at 30 000).
    in_page = contributions.c.id.in_(page if limit is None else page.limit(limit))
    stmt = _records_select(in_page).order_by(None).order_by(*order)
    return _read(uow.conn.execute(stmt))


def employer_arrears(uow: UnitOfWork, uscc: str) -> list[Record]:
    """An employer's records in force not paid, oldest month first.

    The employer's row id is hidden from the planner here (:func:`jinbao.db.planning.generic`;
    unlike :func:`employer_records`): for it an employer of average size, whose payments it
    probes record by record. Given the largest employer's id it hashed the whole payments table
    instead, a read that grows with the nation, not the employer (on a 40 000-person nation no
    faster: 520-575 ms under EXPLAIN ANALYZE against 285-315 behind a subquery, session 37)."""
    employer = bindparam("employer", _employer_id(uow, uscc), type_=Integer)
    return _records(uow, contributions.c.employer_id == generic(employer), arrears=True)


def _employer_id(uow: UnitOfWork, uscc: str) -> int:
    found = uow.conn.execute(
        select(employers.c.id).where(employers.c.uscc == uscc.strip().upper())
    ).scalar()
    if found is None:
        raise NotFound(
            "employer.not_found", f"单位{uscc}未参保登记。", f"No employer with code {uscc}."
        )
    return int(found)


@dataclass(frozen=True, slots=True)
class Overlap:
    id_number: str
    period: YearMonth
    agencies: tuple[str, ...]
    schemes: tuple[str, ...]


def overlaps(uow: UnitOfWork, person_id: int | None = None) -> list[Overlap]:
    """Person-months with records in force at more than one agency or in more than one scheme
    (重复缴费): reported for the transfer to settle (先转后清) — everyone's, or one person's,
    by person and month.

    One person's is what a retirement application checks: the whole scan groups every record
    of the database (at a 100 000-person nation of ten years, 4.4 million rows), which each
    application made until session 22.

    Everyone's reads every record once, by person alone (:data:`_MAY_OVERLAP`), and checks
    only the persons it names; grouping every record in force by person and month took 2.2 s
    of a 40 000-person nation (1.75 million records; 0.45-0.54 s this way, session 37)."""
    if person_id is not None:
        candidates = [person_id]
    else:
        candidates = list(uow.conn.execute(_MAY_OVERLAP).scalars())
    found: dict[tuple[int, int], tuple[str, set[str], set[str]]] = {}
    for chunk in chunks(candidates):
        for row in uow.conn.execute(_OVERLAPPED, {"persons": chunk}):
            _, codes, schemes = found.setdefault(
                (row.person_id, row.period), (row.id_number, set(), set())
            )
            codes.add(row.agency)
            schemes.add(row.scheme)
    return [
        Overlap(number, period_of(period), tuple(sorted(codes)), tuple(sorted(schemes)))
        for (_, period), (number, codes, schemes) in sorted(found.items())
    ]


# The persons who may have a month recorded twice, by one pass over the records grouped by
# person alone. One record per person, scheme, month and entry number (the unique index): so
# two in force in one scheme and month have two entry numbers, one of them not 0, and two in
# two schemes make a person with two schemes. Records not in force are counted too (a record
# corrected is a reversal, entry 1, and a new record, entry 2): they only add persons to check.
_MAY_OVERLAP = (
    select(contributions.c.person_id)
    .where(contributions.c.kind != Kind.REVERSAL.value)
    .group_by(contributions.c.person_id)
    .having(
        or_(
            func.max(contributions.c.entry_no) > 0,
            func.min(contributions.c.scheme) != func.max(contributions.c.scheme),
        )
    )
)


def _overlapped() -> Any:
    """The records in force of the persons given (``persons``, a list of row ids) in the
    months where they have more than one, with the person's ID number and the agency's code."""
    in_force = records_in_force(
        contributions.c.person_id.in_(bindparam("persons", expanding=True))
    ).cte("in_force")
    twice = (
        select(in_force.c.person_id, in_force.c.period)
        .group_by(in_force.c.person_id, in_force.c.period)
        .having(func.count() > 1)
        .subquery()
    )
    return (
        select(
            in_force.c.person_id, in_force.c.period, persons.c.id_number,
            agencies.c.code.label("agency"), in_force.c.scheme,
        )
        .join_from(
            in_force, twice,
            and_(twice.c.person_id == in_force.c.person_id, twice.c.period == in_force.c.period),
        )
        .join(persons, persons.c.id == in_force.c.person_id)
        .join(agencies, agencies.c.id == in_force.c.agency_id)
    )  # fmt: skip


_OVERLAPPED = _overlapped()
