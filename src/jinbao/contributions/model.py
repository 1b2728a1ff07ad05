"""Contribution records, pure: kinds, periods as YYYYMM integers, and the rules around them.

Legal basis: 国发〔2005〕38号 and the 2019 方案 for the amounts (see jinbao.policy.contributions);
人社厅发〔2019〕94号 一、二 for lump-sum back-payments of 3 years or more, which need a legal
document issued before the payment by a court, an audit office, a labour inspection authority
or an arbitration commission (or, for payments before 部规5号, a written commitment).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth

LUMP_SUM_MONTHS = 36  # 超过3年（含3年）的一次性缴纳 (94号)


class Kind(StrEnum):
    EMPLOYEE = "employee"  # 单位职工月度申报
    FLEXIBLE = "flexible"  # 灵活就业人员
    BACK_PAYMENT = "back_payment"  # 补缴
    REVERSAL = "reversal"  # 冲销（退收或撤销）


class Authority(StrEnum):
    COURT = "court"  # 人民法院
    AUDIT = "audit"  # 审计部门
    LABOUR_INSPECTION = "labour_inspection"  # 实施劳动监察的行政部门
    ARBITRATION = "arbitration"  # 劳动人事争议仲裁委员会
    COMMITMENT = "commitment"  # 书面承诺书 (payments before 部规5号, 94号 一)


@dataclass(frozen=True, slots=True)
class LegalDocument:
    authority: Authority
    number: str
    issued_on: dt.date


def period_int(period: YearMonth) -> int:
    return period.year * 100 + period.month


def period_of(value: int) -> YearMonth:
    return YearMonth(value // 100, value % 100)


def check_lump_sum_document(months: int, paid_on: dt.date, document: LegalDocument | None) -> bool:
    """Is this back-payment a lump sum of 3 years or more? If so it needs its legal document,
    issued before the payment (94号 二: 产生于一次性缴纳养老保险费之前，不得通过事后补办)."""
    if months < LUMP_SUM_MONTHS:
        return False
    if document is None or not document.number.strip():
        raise InvalidInput(
            "contribution.lump_sum_document",
            f"一次性补缴{months}个月（3年以上），须登记人民法院、审计部门、劳动监察部门或仲裁委员会的法律文书（人社厅发〔2019〕94号）。",
            f"A lump-sum back-payment of {months} months (3 years or more) needs the legal document of a court, audit office, labour inspection or arbitration commission (人社厅发〔2019〕94号).",
            field="legal_document",
        )
    if document.issued_on >= paid_on:
        raise InvalidInput(
            "contribution.lump_sum_document_date",
            "法律文书须产生于一次性缴费之前，不得事后补办（人社厅发〔2019〕94号 二）。",
            "The legal document must predate the payment; it cannot be issued afterwards (94号 二).",
            field="legal_document",
        )
    return True


@dataclass(frozen=True, slots=True)
class Record:
    """A contribution record as people read it (the rights record, 权益记录)."""

    id: int
    id_number: str
    period: YearMonth
    kind: Kind
    agency_code: str
    employer_uscc: str | None
    base: Fen
    employer_part: Fen
    individual_part: Fen
    to_account: Fen
    lump_sum: bool
    paid_on: dt.date | None
    reversed: bool
    reverses_id: int | None
