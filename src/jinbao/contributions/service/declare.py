"""Monthly declarations (月度申报) and collection (征收) of what is due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    Row,
)

from jinbao.contributions.model import (
    Kind,
    period_int,
)
from jinbao.contributions.service._base import (
    EARLIEST,
    DeclarationRow,
    PostingReport,
    Rules,
    _rejected,
    records_in_force,
)
from jinbao.contributions.service._lookups import _employers, _enrolled, _slots, after_death
from jinbao.contributions.service._writing import (
    _audit,
    _existing_batch,
    _pay_where,
    _report,
    record_row,
    write_batch,
)
from jinbao.contributions.tables import contribution_payments, contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, Issue, NotFound
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.model import region_of
from jinbao.policy.contributions import Contribution
from jinbao.policy.parameters import Parameters


def declare(
    uow: UnitOfWork,
    rows: Sequence[DeclarationRow],
    *,
    batch: str,
    params: Parameters,
    paid_on: dt.date | None = None,
) -> PostingReport:
    """Record an employer's monthly declaration (月度申报), all rows or none.

    Each row: the employee's wage → base clamped into [60%, 300%] of the province's average →
    employer and individual parts at the rates in force → one record per person and month.
    With ``paid_on`` the amounts are collected at once; otherwise they stay due (arrears).
    """
    if not rows:
        raise _rejected(
            [
                Issue(
                    "declaration.empty",
                    "申报没有任何数据行。",
                    "The declaration has no rows.",
                    row=1,
                )
            ]
        )
    done = _existing_batch(uow, batch)
    if done is not None:
        return done  # a retried declaration: the same batch key is recorded once
    today = uow.clock.today()
    this_month = YearMonth.of(today)
    if paid_on is not None and paid_on > today:
        raise InvalidInput(
            "declaration.paid_on_future",
            "缴费日期不能晚于今天。",
            "The payment date cannot be in the future.",
            field="paid_on",
        )
    rules = Rules(params)
    employer_map = _employers(uow, (r.employer_uscc for r in rows))
    numbers = (r.id_number for r in rows)
    with _enrolled(uow, numbers, (e[0] for e in employer_map.values())) as (
        person_map,
        enrolled,
        these,
        deaths,
    ):
        slots = _slots(uow, these, {period_int(p) for p in {r.period for r in rows}})
    issues: list[Issue] = []
    seen: dict[tuple[str, int], int] = {}
    out: list[dict[str, Any]] = []
    now = uow.clock.now()
    # Per distinct month, worked out once for the whole file: the month as YYYYMM, or None when
    # outside the months a declaration may cover; per region and month, the base's floor and
    # cap and the split at the month's rates, or why there are none.
    months: dict[YearMonth, int | None] = {}
    terms: dict[tuple[str, int], _Terms | InvalidInput] = {}

    def problem(row: int, field: str, code: str, zh: str, en: str) -> None:
        issues.append(Issue(code, zh, en, field=field, row=row))

    for r in rows:
        employer = employer_map.get(r.employer_uscc)
        person_id = person_map.get(r.id_number)
        if r.period in months:
            period = months[r.period]
        else:
            period = months[r.period] = (
                period_int(r.period) if EARLIEST <= r.period <= this_month else None
            )
        if employer is None:
            problem(
                r.row,
                "employer_uscc",
                "employer.unknown",
                f"单位{r.employer_uscc}未参保登记。",
                f"No employer {r.employer_uscc} is registered.",
            )
            continue
        if person_id is None:
            problem(
                r.row,
                "id_number",
                "person.not_found",
                f"公民身份号码{r.id_number}未参保登记。",
                f"No person {r.id_number} is registered.",
            )
            continue
        if period is None:
            problem(
                r.row,
                "period",
                "declaration.period",
                f"申报所属期{r.period}须在1998-01至本月之间；以前月份请办理补缴。",
                f"The period {r.period} must be from 1998-01 to this month; earlier months are back-payments.",
            )
            continue
        if r.wage <= 0:
            problem(
                r.row,
                "wage",
                "declaration.wage",
                "缴费工资必须大于0。",
                "The wage must be positive.",
            )
            continue
        employer_id, agency_id, region_code = employer
        if region_code is None:
            problem(
                r.row,
                "employer_uscc",
                "declaration.no_region",
                "单位所在经办机构没有行政区划，不能征收。",
                "The employer's agency has no region.",
            )
            continue
        dead = after_death(r.id_number, r.period, deaths.get(person_id))
        if dead is not None:
            problem(r.row, "period", "contribution.after_death", *dead)
            continue
        if employer_id not in enrolled.get(person_id, ()):
            problem(
                r.row,
                "id_number",
                "declaration.not_enrolled",
                f"{r.id_number}在该单位没有参保缴费状态的参保关系。",
                f"{r.id_number} has no contributing relationship with this employer.",
            )
            continue
        first = seen.get((r.id_number, period))
        if first is not None:
            problem(
                r.row,
                "id_number",
                "declaration.duplicate_row",
                f"{r.id_number}的{r.period}在第{first}行已申报。",
                f"{r.id_number} for {r.period} is already in row {first}.",
            )
            continue
        seen[(r.id_number, period)] = r.row
        slot = slots.get((person_id, period))
        if slot is not None and slot.active:
            problem(
                r.row,
                "period",
                "contribution.duplicate_month",
                f"{r.id_number}的{r.period}已有缴费记录，同一险种同一月份只能有一条（如需更正请先退收）。",
                f"{r.id_number} already has a record for {r.period}; one record per person, scheme and month (refund it first to correct).",
            )
            continue
        month_terms = terms.get((region_code, period))
        if month_terms is None:
            month_terms = terms[(region_code, period)] = _terms(rules, region_code, r.period)
        if isinstance(month_terms, InvalidInput):
            problem(r.row, "period", month_terms.code, month_terms.zh, month_terms.en)
            continue
        region, floor, cap, split_base = month_terms
        out.append(
            record_row(
                person_id,
                agency_id,
                employer_id,
                region,
                period,
                slot.next_entry if slot else 0,
                Kind.EMPLOYEE,
                split_base(Fen(min(max(r.wage, floor), cap))),
                batch,
                now,
            )
        )
    if issues:
        raise _rejected(issues)
    return write_batch(uow, "contribution.declare", batch, out, paid_on, today)


# A region's and month's terms: the ledger region, the base's floor and cap, the split.
_Terms = tuple[str, Fen, Fen, Callable[[Fen], Contribution]]


def _terms(rules: Rules, region_code: str, period: YearMonth) -> _Terms | InvalidInput:
    """A month's base floor and cap in the region's province and the split at its rates
    (:func:`jinbao.policy.contributions.splitter`), or the reason there are none (no average
    wage or rate published for the month)."""
    region = region_of(region_code)
    try:
        limits = rules.limits(region, period)
        return region, limits.floor, limits.cap, rules.split_at(rules.rates(period))
    except InvalidInput as exc:
        return exc


def pay(uow: UnitOfWork, employer_uscc: str, period: YearMonth, paid_on: dt.date) -> PostingReport:
    """Collect what an employer owes for a month (its arrears for that month)."""
    employer = _employers(uow, [employer_uscc]).get(employer_uscc)
    if employer is None:
        raise NotFound(
            "employer.not_found",
            f"单位{employer_uscc}未参保登记。",
            f"No employer {employer_uscc}.",
        )
    if paid_on > uow.clock.today():
        raise InvalidInput(
            "declaration.paid_on_future",
            "缴费日期不能晚于今天。",
            "The payment date cannot be in the future.",
            field="paid_on",
        )
    unpaid = _unpaid(
        uow,
        contributions.c.employer_id == employer[0],
        contributions.c.period == period_int(period),
    )
    if not unpaid:
        raise Conflict(
            "contribution.nothing_due",
            f"单位{employer_uscc}在{period}没有欠缴。",
            f"Employer {employer_uscc} owes nothing for {period}.",
        )
    rows = [dict(r._mapping) for r in unpaid]
    key = f"{employer_uscc}:{period}:{paid_on}:{min(r['id'] for r in rows)}"
    journal_id = _pay_where(uow, key, contributions.c.id.in_([r["id"] for r in rows]), paid_on)
    report = _report(key, rows, True, [journal_id])
    _audit(
        uow, "contribution.pay", report, paid_on=paid_on, employer=employer_uscc, period=str(period)
    )
    return report


def _unpaid(uow: UnitOfWork, *conditions: Any) -> list[Row[Any]]:
    stmt = (
        records_in_force(*conditions)
        .outerjoin(
            contribution_payments, contribution_payments.c.contribution_id == contributions.c.id
        )
        .where(contribution_payments.c.contribution_id.is_(None))
    )
    return list(uow.conn.execute(stmt.order_by(contributions.c.period, contributions.c.id)))
