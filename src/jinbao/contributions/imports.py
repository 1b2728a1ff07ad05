"""Declarations from CSV: ``employer_uscc,period,id_number,wage`` (wage in yuan), all or nothing.

A file may hold several employers and months. Rows that cannot be read (a malformed month or
amount) are reported first; then every business rule is checked for every row by
:func:`jinbao.contributions.service.declare`, which records all rows or none.
"""

from __future__ import annotations

import datetime as dt
from decimal import InvalidOperation

from jinbao.contributions.service import DeclarationRow, PostingReport, declare
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.csvfile import decode, read_table, rejected
from jinbao.kernel.errors import Issue
from jinbao.kernel.money import Fen, yuan_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.parameters import Parameters

COLUMNS = ("employer_uscc", "period", "id_number", "wage")
MAX_ROWS = 2_000_000


def parse_declaration(data: bytes) -> list[DeclarationRow]:
    issues: list[Issue] = []
    out: list[DeclarationRow] = []
    periods: dict[str, YearMonth] = {}
    header, rows = read_table(decode(data), COLUMNS, COLUMNS, MAX_ROWS)
    uscc_at, period_at, id_at, wage_at = (header.index(c) for c in COLUMNS)
    for row, values in rows:
        try:
            text = values[period_at]
            period = periods.get(text) or periods.setdefault(text, YearMonth.parse(text))
        except ValueError:
            issues.append(
                Issue(
                    "declaration.period_format",
                    "所属期格式应为YYYY-MM。",
                    "period is written YYYY-MM.",
                    field="period",
                    row=row,
                )
            )
            continue
        try:
            wage = _fen(values[wage_at])
        except (InvalidOperation, ValueError):
            issues.append(
                Issue(
                    "declaration.wage_format",
                    "缴费工资应为金额（元，最多两位小数）。",
                    "wage is an amount in yuan with at most 2 decimals.",
                    field="wage",
                    row=row,
                )
            )
            continue
        out.append(
            DeclarationRow(row, values[uscc_at].upper(), period, values[id_at].upper(), wage)
        )
    if issues:
        raise rejected(issues)
    return out


def import_declaration(
    uow: UnitOfWork, data: bytes, *, batch: str, params: Parameters, paid_on: dt.date | None = None
) -> PostingReport:
    """Record every row of a declaration file, or none."""
    return declare(uow, parse_declaration(data), batch=batch, params=params, paid_on=paid_on)


def _fen(text: str) -> Fen:
    """Yuan to fen; plain ``1234`` or ``1234.5`` or ``1234.56`` without Decimal (the hot path)."""
    whole, dot, cents = text.replace(",", "").partition(".")
    if whole.isdigit() and (not dot or (cents.isdigit() and len(cents) <= 2)):
        return Fen(int(whole) * 100 + int(cents.ljust(2, "0") if dot else "0"))
    return yuan_to_fen(text.replace(",", ""))
