"""Shared pieces: the row and report types, chunking, rates and limits cached per batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import aliased

from jinbao.contributions.model import (
    Kind,
)
from jinbao.contributions.tables import contribution_payments, contributions
from jinbao.kernel.errors import InvalidInput, Issue
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.contributions import (
    BaseLimits,
    Contribution,
    Rates,
    employee_rates,
    flexible_rates,
    limits_for,
    splitter,
)
from jinbao.policy.parameters import Parameters

SCHEME = "enterprise"
EARLIEST = YearMonth(1998, 1)


@dataclass(frozen=True, slots=True)
class DeclarationRow:
    row: int  # where it came from: the file's row number, or the position in a request
    employer_uscc: str
    period: YearMonth
    id_number: str
    wage: Fen


@dataclass(frozen=True, slots=True)
class PostingReport:
    batch: str
    records: int
    employer_part: int
    individual_part: int
    to_account: int
    paid: bool
    journal_ids: tuple[int, ...]

    @property
    def total(self) -> int:
        return self.employer_part + self.individual_part


def _rejected(issues: list[Issue]) -> InvalidInput:
    return InvalidInput(
        "declaration.rejected",
        f"申报有{len(issues)}处错误，未记录任何缴费。请按行修正后重新申报。",
        f"The declaration has {len(issues)} problem(s); nothing was recorded. Fix the rows listed and declare again.",
        issues=sorted(issues, key=lambda i: i.row or 0),
    )


class Rules:
    """Rates and base limits, computed once per month and province for a whole batch."""

    def __init__(self, params: Parameters) -> None:
        self.params = params
        self._rates: dict[YearMonth, Rates] = {}
        self._flex: dict[YearMonth, Rates] = {}
        self._limits: dict[tuple[str, YearMonth], BaseLimits] = {}
        self._splits: dict[Rates, Callable[[Fen], Contribution]] = {}

    def rates(self, period: YearMonth) -> Rates:
        if period not in self._rates:
            self._rates[period] = employee_rates(period, self.params)
        return self._rates[period]

    def split_at(self, rates: Rates) -> Callable[[Fen], Contribution]:
        """:func:`~jinbao.policy.contributions.split` at ``rates`` (a month's employee or
        flexible rates), one :func:`~jinbao.policy.contributions.splitter` per set of rates for
        the whole batch: fractions worked out once, bases seen before not computed again."""
        found = self._splits.get(rates)
        if found is None:
            found = self._splits[rates] = splitter(rates)
        return found

    def flexible(self, period: YearMonth) -> Rates:
        if period not in self._flex:
            self._flex[period] = flexible_rates(period, self.params)
        return self._flex[period]

    def limits(self, region: str, period: YearMonth) -> BaseLimits:
        key = (region, period)
        if key not in self._limits:
            self._limits[key] = limits_for(region, period, self.params)
        return self._limits[key]


_reversal = aliased(contributions)


def records_in_force(*conditions: Any) -> Any:
    """Records in force: not reversals, and not reversed.

    NOT EXISTS rather than LEFT JOIN … IS NULL: PostgreSQL estimates the join form at one row,
    and plans what is joined to it (a person's payments) as one index probe per record."""
    reversed_ = select(_reversal.c.id).where(_reversal.c.reverses_id == contributions.c.id)
    return select(contributions).where(
        contributions.c.kind != Kind.REVERSAL.value, ~reversed_.exists(), *conditions
    )


def payments_of(person: Any) -> Any:
    """One person's payments (record id, date paid), to join to that person's records.

    Read by the payments' person index (migration 0010): a person's record ids are spread over
    the months, so joining the records to the payments by record id alone is one random
    primary-key probe per month once the table outgrows memory."""
    return (
        select(contribution_payments.c.contribution_id, contribution_payments.c.paid_on)
        .where(contribution_payments.c.person_id == person)
        .subquery()
    )
