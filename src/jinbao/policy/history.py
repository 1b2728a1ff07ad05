"""A contribution history in a compact text form a domain expert can read and write.

One line per period, oldest first; ``#`` starts a comment::

    1995-01..1997-12 41 deemed                        # 视同缴费年限, counted where worked
    1998-01..2005-12 41 employee base=1500.00
    2006-01..2015-06 44 employee base=4200 arrears=3  # 3 months unpaid (个人欠费)
    2015-07..2016-12 44 temporary base=5000 rate=16%  # 临时基本养老保险缴费账户, unit rate 16%
    2017-01..2017-12 44 flexible base=4000            # 灵活就业
    2018-01..2020-12 44 employee base=4500 lumpsum=no-documents account=1296.00
    account pre1998=800.00 y1998_2005=9000.00 from2006=30000.00

A period is ``FROM..TO PROVINCE KIND`` with options ``base=`` (monthly base, yuan), ``rate=``
(the employer rate, for temporary accounts), ``arrears=`` (months unpaid), ``lumpsum=documents``
or ``lumpsum=no-documents`` (the period was paid in one go) and ``account=`` (what that lump sum
credited to the personal account, yuan). Kinds: employee, flexible, temporary, deemed.
The ``account`` line gives the personal-account balance by portion (yuan, interest included).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from jinbao.kernel.errors import InvalidInput, Issue
from jinbao.kernel.money import Fen, yuan_to_fen
from jinbao.kernel.periods import YearMonth, months_inclusive
from jinbao.policy.interest import Portion


class Kind(StrEnum):
    EMPLOYEE = "employee"  # 职工 (with an employer)
    FLEXIBLE = "flexible"  # 灵活就业人员 / 以个人身份参保
    TEMPORARY = "temporary"  # 临时基本养老保险缴费账户
    DEEMED = "deemed"  # 视同缴费年限


@dataclass(frozen=True, slots=True)
class Period:
    start: YearMonth
    end: YearMonth
    province: str  # two digits
    kind: Kind
    base: Fen
    unit_rate: Decimal | None
    arrears_months: int
    lump_sum: str | None  # "documents" | "no-documents"
    lump_sum_account: Fen
    line: int

    @property
    def months(self) -> int:
        return months_inclusive(self.start, self.end)


@dataclass(frozen=True, slots=True)
class History:
    periods: tuple[Period, ...]
    account: dict[Portion, Fen] = field(default_factory=dict)


def parse_history(text: str) -> History:
    """Parse the text form; every bad line is reported (line, reason) and nothing is returned."""
    periods: list[Period] = []
    account: dict[Portion, Fen] = {}
    issues: list[Issue] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            if line.startswith("account"):
                account.update(_account(line))
            else:
                periods.append(_period(line, number))
        except (ValueError, InvalidOperation, KeyError) as exc:
            issues.append(
                Issue(
                    "history.line",
                    f"第{number}行无法识别：{exc}",
                    f"Line {number}: {exc}",
                    row=number,
                )
            )
    ordered = sorted(periods, key=lambda p: p.start)
    for before, after in itertools.pairwise(ordered):
        if after.start <= before.end and Kind.DEEMED not in (before.kind, after.kind):
            issues.append(Issue(
                "history.overlap",
                f"第{after.line}行与第{before.line}行的期间重叠。",
                f"Line {after.line} overlaps line {before.line}.", row=after.line,
            ))  # fmt: skip
    if not periods and not issues:
        issues.append(
            Issue("history.empty", "缴费历史为空。", "The history has no periods.", row=1)
        )
    if issues:
        raise InvalidInput(
            "history.invalid", "缴费历史格式有误，请按行修正。",
            "The contribution history is malformed; fix the lines listed.", issues=issues,
        )  # fmt: skip
    return History(tuple(ordered), account)


def _period(line: str, number: int) -> Period:
    parts = line.split()
    if len(parts) < 3:
        raise ValueError("expected 'FROM..TO PROVINCE KIND [options]'")
    span, province, kind_text, *options = parts
    start_text, _, end_text = span.partition("..")
    start, end = YearMonth.parse(start_text), YearMonth.parse(end_text or start_text)
    if end < start:
        raise ValueError(f"{end} is before {start}")
    if len(province) not in (2, 6) or not province.isdigit():
        raise ValueError(f"province {province!r} is not a 2- or 6-digit code")
    kind = Kind(kind_text)
    opts = dict(option.split("=", 1) for option in options)
    unknown = set(opts) - {"base", "rate", "arrears", "lumpsum", "account"}
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))}")
    base = yuan_to_fen(opts["base"]) if "base" in opts else Fen(0)
    if kind is not Kind.DEEMED and base <= 0:
        raise ValueError("a contribution period needs base=<monthly base in yuan>")
    rate = Decimal(opts["rate"].rstrip("%")) / 100 if "rate" in opts else None
    arrears = int(opts.get("arrears", "0"))
    if not 0 <= arrears <= months_inclusive(start, end):
        raise ValueError("arrears must be between 0 and the months of the period")
    lump = opts.get("lumpsum")
    if lump not in (None, "documents", "no-documents"):
        raise ValueError("lumpsum is 'documents' or 'no-documents'")
    lump_account = yuan_to_fen(opts["account"]) if "account" in opts else Fen(0)
    return Period(start, end, province[:2], kind, base, rate, arrears, lump, lump_account, number)


def _account(line: str) -> dict[Portion, Fen]:
    out: dict[Portion, Fen] = {}
    for option in line.split()[1:]:
        key, _, value = option.partition("=")
        amount = yuan_to_fen(value)
        if amount < 0:
            raise ValueError("an account balance cannot be negative")
        out[Portion(key)] = amount
    return out
