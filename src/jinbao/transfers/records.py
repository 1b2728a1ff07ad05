"""A person's record at one agency, read for a transfer: the contribution history the policy
engine computes the transfer from, and the yearly record after the transfer (电子档案).

The history an agency sends is everything it holds for the person in the scheme: its own
contribution records (in force, split into periods wherever kind, base, payment or a lump sum
changes, so arrears and lump sums come out month-exact) and the years earlier transfers brought
in. The personal account is the person's balance by portion in the agency's pooling region.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, exists, func, select

from jinbao.accounts.tables import account_entries
from jinbao.contributions.model import period_of
from jinbao.contributions.service import payments_of, records_in_force
from jinbao.contributions.tables import (
    contributions,
    deemed_years,
    resident_contributions,
)
from jinbao.db.driver import DriverRead
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.history import History, Kind, Period
from jinbao.policy.interest import Portion
from jinbao.transfers.tables import cleared_months, transferred_years


@dataclass(frozen=True, slots=True)
class _Month:
    period: YearMonth
    kind: Kind
    province: str
    base: int
    paid: bool
    lump: str | None  # the batch of a lump sum paid without its legal documents
    to_account: int
    unit_rate: Decimal | None  # employer rate, kept for temporary accounts (above 12% it moves)


# The reads of a transfer's leg 2 and 3, built once with bound parameters (see db/README.md:
# building the records-in-force subquery cost more than running it), and run on the driver's
# cursor (jinbao.db.driver: SQLAlchemy's execution and its rows were most of their cost in
# the server under the mixed load, session 28).
def _at(person_id: int, scheme: str, agency_id: int) -> dict[str, object]:
    return {"person_id": person_id, "scheme": scheme, "agency_id": agency_id}


_IN_FORCE_AT = records_in_force(
    contributions.c.person_id == bindparam("person_id"),
    contributions.c.scheme == bindparam("scheme"),
    contributions.c.agency_id == bindparam("agency_id"),
).subquery()
_PAYMENTS = payments_of(bindparam("person_id"))
# A month the agency cleared as a duplicate is counted at the other place (先转后清): left out
# by the reads themselves (until session 34 a third statement read the cleared months).
_NOT_CLEARED_AT = ~exists().where(
    cleared_months.c.person_id == bindparam("person_id"),
    cleared_months.c.scheme == bindparam("scheme"),
    cleared_months.c.agency_id == bindparam("agency_id"),
    cleared_months.c.period == _IN_FORCE_AT.c.period,
)
# What :func:`_periods` reads of a record (not the whole row: each column is decoded).
_FIELDS = (
    "agency_id", "period", "kind", "employer_id", "region", "base", "employer_part",
    "to_account", "lump_sum", "legal_document_id", "batch",
)  # fmt: skip
_OWN_RECORDS = DriverRead(
    select(*(_IN_FORCE_AT.c[f] for f in _FIELDS), _PAYMENTS.c.paid_on)
    .outerjoin(_PAYMENTS, _PAYMENTS.c.contribution_id == _IN_FORCE_AT.c.id)
    .where(_NOT_CLEARED_AT)
    .order_by(_IN_FORCE_AT.c.period)
)
# Every agency's at once, for the national history.
_IN_FORCE_ANYWHERE = records_in_force(
    contributions.c.person_id == bindparam("person_id"),
    contributions.c.scheme == bindparam("scheme"),
).subquery()
_ALL_OWN_RECORDS = DriverRead(
    select(*(_IN_FORCE_ANYWHERE.c[f] for f in _FIELDS), _PAYMENTS.c.paid_on)
    .outerjoin(_PAYMENTS, _PAYMENTS.c.contribution_id == _IN_FORCE_ANYWHERE.c.id)
    .order_by(_IN_FORCE_ANYWHERE.c.agency_id, _IN_FORCE_ANYWHERE.c.period)
)
_ALL_CLEARED = DriverRead(
    select(cleared_months.c.agency_id, cleared_months.c.period).where(
        cleared_months.c.person_id == bindparam("person_id"),
        cleared_months.c.scheme == bindparam("scheme"),
    )
)
_PAID_MONTHS = DriverRead(
    select(_IN_FORCE_AT.c.period, _IN_FORCE_AT.c.to_account)
    .join(_PAYMENTS, _PAYMENTS.c.contribution_id == _IN_FORCE_AT.c.id)
    .where(_NOT_CLEARED_AT)
)
_TRANSFERRED_YEARS = DriverRead(
    select(transferred_years)
    .where(
        transferred_years.c.person_id == bindparam("person_id"),
        transferred_years.c.scheme == bindparam("scheme"),
        transferred_years.c.agency_id == bindparam("agency_id"),
    )
    .order_by(transferred_years.c.from_period)
)
# 视同缴费年限 recorded by an agency (jinbao.contributions.service.deemed): at one agency for
# its history and record, everywhere for the national history (counted at the place worked).
_DEEMED = (
    select(deemed_years.c.region, deemed_years.c.from_period, deemed_years.c.to_period)
    .where(
        deemed_years.c.person_id == bindparam("person_id"),
        deemed_years.c.scheme == bindparam("scheme"),
        deemed_years.c.cancelled_at.is_(None),  # 撤销: counts no more
    )
    .order_by(deemed_years.c.from_period)
)
_DEEMED_AT = DriverRead(_DEEMED.where(deemed_years.c.agency_id == bindparam("agency_id")))
_DEEMED_ANYWHERE = DriverRead(_DEEMED)
_BALANCE = DriverRead(
    select(account_entries.c.portion, func.sum(account_entries.c.amount).label("amount"))
    .where(
        account_entries.c.person_id == bindparam("person_id"),
        account_entries.c.scheme == bindparam("scheme"),
        account_entries.c.region == bindparam("region"),
    )
    .group_by(account_entries.c.portion)
)


def agency_history(
    uow: UnitOfWork,
    person_id: int,
    scheme: str,
    agency_id: int,
    region: str,
    *,
    temporary: bool = False,
) -> History:
    """The history the agency holds for the person, ready for :func:`policy.transfer_amount`:
    the years earlier transfers brought in, then the deemed years it recorded, then its own
    records. Under a temporary account (``temporary``) an employee's months are
    temporary-account months with their employer rate (人社部发〔2009〕187号: above 12% the
    actual rate moves)."""
    transferred = _transferred_lines(uow, person_id, scheme, agency_id)
    deemed = deemed_periods(
        _DEEMED_AT.all(uow.conn, _at(person_id, scheme, agency_id)), len(transferred) + 1
    )
    own = _own_periods(
        uow, person_id, scheme, agency_id,
        first_line=len(transferred) + len(deemed) + 1, temporary=temporary,
    )  # fmt: skip
    return History((*transferred, *deemed, *own), account_balance(uow, person_id, scheme, region))


def deemed_periods(rows: Sequence[Any], first_line: int) -> list[Period]:
    """Deemed years as the policy engine's periods: counted at the place worked (the province of
    ``region``), no base, no money (人社部规〔2016〕5号 一; jinbao.contributions.service.deemed)."""
    return [
        Period(
            start=period_of(r.from_period),
            end=period_of(r.to_period),
            province=r.region[:2],
            kind=Kind.DEEMED,
            base=Fen(0),
            unit_rate=None,
            arrears_months=0,
            lump_sum=None,
            lump_sum_account=Fen(0),
            line=first_line + i,
        )
        for i, r in enumerate(rows)
    ]


def national_history(
    uow: UnitOfWork, person_id: int, scheme: str, temporary_at: frozenset[int] = frozenset()
) -> History:
    """Every month the person contributed anywhere in the scheme, each agency's own records
    (transferred years are not added again: the agency that recorded them still holds them),
    and the deemed years recorded anywhere, each at the place worked.
    ``temporary_at``: agencies where the relation is a temporary account. For the receiving
    place (第六条), the national record check at retirement, and the like.

    Three statements whatever the number of agencies: every agency's records in force, every
    month cleared as a duplicate, and the deemed years. Until session 24 it read agency by
    agency (one statement for the agencies, then two for each): 9 ms of a retirement
    application's record check."""
    params = {"person_id": person_id, "scheme": scheme}
    rows = _ALL_OWN_RECORDS.all(uow.conn, params)
    cleared: dict[int, set[int]] = defaultdict(set)
    for agency_id, period in _ALL_CLEARED.all(uow.conn, params):
        cleared[agency_id].add(int(period))
    by_agency: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_agency[r.agency_id].append(r)
    periods = deemed_periods(_DEEMED_ANYWHERE.all(uow.conn, params), 1)
    for agency_id in sorted(by_agency):
        periods += _periods(
            by_agency[agency_id], cleared[agency_id], len(periods) + 1,
            temporary=agency_id in temporary_at,
        )  # fmt: skip
    return History(tuple(sorted(periods, key=lambda p: p.start)))


def _own_periods(
    uow: UnitOfWork,
    person_id: int,
    scheme: str,
    agency_id: int,
    first_line: int = 1,
    *,
    temporary: bool = False,
) -> list[Period]:
    """The agency's own records in force, less the months it cleared, as :func:`_periods`
    groups them."""
    rows = _OWN_RECORDS.all(uow.conn, _at(person_id, scheme, agency_id))
    return _periods(rows, set(), first_line, temporary=temporary)


def _periods(
    rows: Sequence[Any], cleared: set[int], first_line: int, *, temporary: bool
) -> list[Period]:
    """An agency's records in force (oldest month first), less the months ``cleared``, as
    periods: a new one wherever kind, base, payment or a lump sum without documents changes,
    so arrears and excluded lump sums come out month-exact."""
    months = []
    for r in rows:
        if r.period in cleared:
            continue  # counted at the other place (先转后清)
        flexible = r.kind == "flexible" or (r.kind == "back_payment" and r.employer_id is None)
        kind = Kind.FLEXIBLE if flexible else Kind.TEMPORARY if temporary else Kind.EMPLOYEE
        rate = (
            (Decimal(int(r.employer_part)) / int(r.base)).quantize(Decimal("0.0001"))
            if kind is Kind.TEMPORARY and r.base
            else None
        )
        months.append(
            _Month(
                period_of(r.period),
                kind,
                r.region[:2],
                int(r.base),
                r.paid_on is not None,
                r.batch if r.lump_sum and r.legal_document_id is None else None,
                int(r.to_account),
                rate,
            )
        )
    periods: list[Period] = []
    group: list[_Month] = []
    for month in months:
        if group and not _continues(group[-1], month):
            periods.append(_period(group, first_line + len(periods)))
            group = []
        group.append(month)
    if group:
        periods.append(_period(group, first_line + len(periods)))
    return periods


_CLEARED = DriverRead(  # built once (see db/README.md)
    select(cleared_months.c.period).where(
        cleared_months.c.person_id == bindparam("person_id"),
        cleared_months.c.scheme == bindparam("scheme"),
        cleared_months.c.agency_id == bindparam("agency_id"),
    )
)


def _cleared(uow: UnitOfWork, person_id: int, scheme: str, agency_id: int) -> set[int]:
    return {r.period for r in _CLEARED.all(uow.conn, _at(person_id, scheme, agency_id))}


def paid_months(uow: UnitOfWork, person_id: int, scheme: str, agency_id: int) -> dict[int, int]:
    """YYYYMM → personal-account credits of the agency's own paid records in force (months
    already cleared as duplicates left out): what a duplicate check compares and refunds."""
    return {
        int(period): int(to_account)
        for period, to_account in _PAID_MONTHS.all(uow.conn, _at(person_id, scheme, agency_id))
    }


def _continues(last: _Month, month: _Month) -> bool:
    return month.period == last.period.plus(1) and (
        month.kind,
        month.province,
        month.base,
        month.paid,
        month.lump,
        month.unit_rate,
    ) == (last.kind, last.province, last.base, last.paid, last.lump, last.unit_rate)


def _period(group: list[_Month], line: int) -> Period:
    first = group[0]
    return Period(
        start=first.period,
        end=group[-1].period,
        province=first.province,
        kind=first.kind,
        base=Fen(first.base),
        unit_rate=first.unit_rate,
        arrears_months=0 if first.paid else len(group),
        lump_sum="no-documents" if first.lump else None,
        lump_sum_account=Fen(sum(m.to_account for m in group) if first.lump else 0),
        line=line,
    )


def _transferred_lines(
    uow: UnitOfWork, person_id: int, scheme: str, agency_id: int
) -> list[Period]:
    """Years an earlier transfer brought to this agency: they move on with the person."""
    rows = _TRANSFERRED_YEARS.all(uow.conn, _at(person_id, scheme, agency_id))
    out = []
    for i, r in enumerate(rows, 1):
        if r.kind == "resident":
            continue  # resident years a linkage recorded: not employee years (17号 第五条)
        start, end = period_of(r.from_period), period_of(r.to_period)
        kind = Kind(r.kind)
        out.append(
            Period(
                start=start,
                end=end,
                province=r.region_code[:2],
                kind=kind,
                base=Fen(r.base),
                unit_rate=Decimal(r.rate) if kind is Kind.TEMPORARY else None,
                arrears_months=start.months_until(end) + 1 - r.months,
                lump_sum=None,
                lump_sum_account=Fen(0),
                line=i,
            )
        )
    return out


def account_balance(
    uow: UnitOfWork, person_id: int, scheme: str, region: str
) -> dict[Portion, Fen]:
    rows = _BALANCE.all(uow.conn, {"person_id": person_id, "scheme": scheme, "region": region})
    return {Portion(p): Fen(int(v)) for p, v in rows if v}


@dataclass(frozen=True, slots=True)
class RecordYear:
    """One year of a person's record at an agency: months paid there, months brought in, and
    deemed months (视同缴费, recorded there or brought in: counted, no money)."""

    year: int
    local_months: int
    transferred_months: int
    sources: tuple[str, ...]  # the regions the months come from
    deemed_months: int = 0


@dataclass(frozen=True, slots=True)
class AgencyRecord:
    years: tuple[RecordYear, ...]
    account: dict[Portion, Fen]

    @property
    def months(self) -> int:
        return sum(y.local_months + y.transferred_months + y.deemed_months for y in self.years)

    @property
    def deemed_months(self) -> int:
        """The months before individual contributions began (统账结合前): the transitional
        pension's years (国发〔2005〕38号)."""
        return sum(y.deemed_months for y in self.years)


def agency_record(
    uow: UnitOfWork, person_id: int, scheme: str, agency_id: int, region: str
) -> AgencyRecord:
    """The person's continuous record at the agency: every year with the months paid there and
    the months transferred in (with where they came from), and the account by portion."""
    local: dict[int, int] = defaultdict(int)
    moved: dict[int, int] = defaultdict(int)
    deemed: dict[int, int] = defaultdict(int)
    sources: dict[int, set[str]] = defaultdict(set)
    for p in _transferred_lines(uow, person_id, scheme, agency_id):
        (deemed if p.kind is Kind.DEEMED else moved)[p.start.year] += p.months - p.arrears_months
        sources[p.start.year].add(p.province + "0000")
    for p in deemed_periods(_DEEMED_AT.all(uow.conn, _at(person_id, scheme, agency_id)), 1):
        for index in range(p.start.index, p.end.index + 1):
            year = YearMonth.from_index(index).year
            deemed[year] += 1
            sources[year].add(p.province + "0000")
    for p in _own_periods(uow, person_id, scheme, agency_id):
        if p.arrears_months:
            continue
        for index in range(p.start.index, p.end.index + 1):
            ym = YearMonth.from_index(index)
            local[ym.year] += 1
            sources[ym.year].add(p.province + "0000")
    if scheme == "resident":  # yearly payments (城乡居保), less months cleared as overlaps
        cleared = _cleared(uow, person_id, scheme, agency_id)
        for r in uow.conn.execute(
            select(resident_contributions.c.year, resident_contributions.c.region).where(
                resident_contributions.c.person_id == person_id,
                resident_contributions.c.agency_id == agency_id,
            )
        ):
            local[r.year] += sum(1 for m in range(1, 13) if r.year * 100 + m not in cleared)
            sources[r.year].add(r.region)
    years = sorted(set(local) | set(moved) | set(deemed))
    return AgencyRecord(
        tuple(
            RecordYear(
                y, local.get(y, 0), moved.get(y, 0), tuple(sorted(sources[y])), deemed.get(y, 0)
            )
            for y in years
        ),
        account_balance(uow, person_id, scheme, region),
    )
