"""Double-entry bookkeeping, pure. Amounts are integer fen; a debit is positive, a credit negative.

Accounts are kept per region (the province code of the pooling unit, e.g. 440000) and named by
code. A journal is refused unless its postings sum to zero (借贷必相等).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from jinbao.kernel.errors import InvalidInput


class Account(StrEnum):
    POOLED_FUND = "pooled_fund"  # 统筹基金
    ACCOUNT_FUND = "account_fund"  # 个人账户基金
    BANK = "bank"  # 银行存款（收入户/支出户）
    RECEIVABLES = "receivables"  # 应收（已核定未征收的缴费）
    CONTRIBUTIONS_DUE = "contributions_due"  # 待征收缴费（应收的对方科目）
    TRANSFERS_IN_TRANSIT = "transfers_in_transit"  # 转移在途
    BENEFITS_PAYABLE = "benefits_payable"  # 应付待遇
    FISCAL_SUBSIDIES = "fiscal_subsidies"  # 财政补助
    CENTRAL_ADJUSTMENT = "central_adjustment"  # 中央调剂


ACCOUNT_ZH = {
    Account.POOLED_FUND: "统筹基金", Account.ACCOUNT_FUND: "个人账户基金", Account.BANK: "银行存款",
    Account.RECEIVABLES: "应收缴费", Account.CONTRIBUTIONS_DUE: "待征收缴费",
    Account.TRANSFERS_IN_TRANSIT: "转移在途资金", Account.BENEFITS_PAYABLE: "应付待遇",
    Account.FISCAL_SUBSIDIES: "财政补助", Account.CENTRAL_ADJUSTMENT: "中央调剂",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Posting:
    region: str
    account: Account
    amount: int  # fen; debit > 0, credit < 0


@dataclass(frozen=True, slots=True)
class Journal:
    kind: str
    key: str  # idempotency key: the same key twice is the same journal
    effective_on: dt.date
    description: str
    postings: tuple[Posting, ...]


def debit(region: str, account: Account, amount: int) -> Posting:
    return Posting(region, account, amount)


def credit(region: str, account: Account, amount: int) -> Posting:
    return Posting(region, account, -amount)


def net(postings: Iterable[Posting]) -> tuple[Posting, ...]:
    """Merge postings to the same region and account; drop zeros (a compact, equivalent journal)."""
    sums: dict[tuple[str, Account], int] = defaultdict(int)
    for p in postings:
        sums[(p.region, p.account)] += p.amount
    return tuple(Posting(r, a, v) for (r, a), v in sorted(sums.items()) if v)


def check_balanced(journal: Journal) -> None:
    """Refuse a journal whose postings do not sum to zero, or that has none."""
    total = sum(p.amount for p in journal.postings)
    if not journal.postings or total != 0:
        raise InvalidInput(
            "ledger.unbalanced",
            f"记账凭证借贷不平衡（差额 {total} 分），拒绝记账。",
            f"The journal does not balance (off by {total} fen); refused.",
        )
    if not journal.key or len(journal.key) > 120:
        raise InvalidInput(
            "ledger.key",
            "记账凭证须有不超过120字符的幂等键。",
            "A journal needs an idempotency key of at most 120 characters.",
        )


def reversal(original: Journal, key: str, on: dt.date, reason: str) -> Journal:
    """The journal that undoes ``original`` (冲销): the same postings with the signs turned."""
    return Journal(
        f"reversal:{original.kind}"[:30], key, on, reason[:200],
        tuple(Posting(p.region, p.account, -p.amount) for p in original.postings),
    )  # fmt: skip


def region_of(code: str) -> str:
    """The pooling region of a GB/T 2260 code: its province (全国统筹下按省核算)."""
    return code[:2] + "0000"


@dataclass(frozen=True, slots=True)
class Break:
    """One broken invariant, named so that a person can go and look."""

    code: str
    zh: str
    en: str
