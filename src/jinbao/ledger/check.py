"""``jinbao ledger check``: verify every invariant of the fund ledger and name each break.

1. Every journal has postings and they sum to zero (借贷平衡).
2. Per region, the personal-account fund equals the sum of the personal-account ledgers.
3. Per region, receivables equal the contributions declared and not yet paid.
4. Per region, money received for contributions (bank side of collection and refund journals)
   equals the paid contribution records (reversals negative).
5. Per region, the account entries from contributions equal the account share of paid records.
6. Per region, transfers in transit equal the transfers reserved from it that the sender has
   not yet posted or voided (pending, or received by a receiver on this node).
7. Per region, resident-scheme yearly payments equal the money collected for them and the
   account entries they made.
8. Every payment names the person of the record it pays (a person's record reads the payments
   by person).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from jinbao.accounts.tables import account_entries
from jinbao.contributions.model import Kind
from jinbao.contributions.tables import contribution_payments, contributions, resident_contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.money import format_yuan
from jinbao.ledger.model import Account, Break
from jinbao.ledger.tables import journals, pending_transfers, postings


def _balances(
    uow: UnitOfWork, account: Account, kinds: tuple[str, ...] | None = None
) -> dict[str, int]:
    stmt = (
        select(postings.c.region, func.sum(postings.c.amount))
        .select_from(postings.join(journals, postings.c.journal_id == journals.c.id))
        .where(postings.c.account == account.value)
        .group_by(postings.c.region)
    )
    if kinds is not None:
        stmt = stmt.where(journals.c.kind.in_(kinds))
    return {r: int(v) for r, v in uow.conn.execute(stmt)}


def _compare(
    code: str, zh: str, en: str, left: dict[str, int], right: dict[str, int]
) -> list[Break]:
    out = []
    for region in sorted(set(left) | set(right)):
        a, b = left.get(region, 0), right.get(region, 0)
        if a != b:
            out.append(
                Break(
                    code,
                    f"{region}：{zh}（{format_yuan(a)} ≠ {format_yuan(b)}，差 {format_yuan(a - b)} 元）",
                    f"{region}: {en} ({format_yuan(a)} ≠ {format_yuan(b)}, off by {format_yuan(a - b)})",
                )
            )
    return out


def check(uow: UnitOfWork) -> list[Break]:
    breaks: list[Break] = []
    unbalanced = uow.conn.execute(
        select(postings.c.journal_id, func.sum(postings.c.amount))
        .group_by(postings.c.journal_id)
        .having(func.sum(postings.c.amount) != 0)
    ).all()
    breaks += [
        Break(
            "journal.unbalanced",
            f"记账凭证 {j} 借贷不平（差 {format_yuan(int(s))} 元）",
            f"Journal {j} does not balance (off by {format_yuan(int(s))})",
        )
        for j, s in unbalanced
    ]
    empty = (
        uow.conn.execute(
            select(journals.c.id)
            .outerjoin(postings, postings.c.journal_id == journals.c.id)
            .where(postings.c.id.is_(None))
        )
        .scalars()
        .all()
    )
    breaks += [
        Break("journal.empty", f"记账凭证 {j} 没有分录", f"Journal {j} has no postings")
        for j in empty
    ]

    account_fund = {r: -v for r, v in _balances(uow, Account.ACCOUNT_FUND).items()}
    ledgers = {
        r: int(v)
        for r, v in uow.conn.execute(
            select(account_entries.c.region, func.sum(account_entries.c.amount)).group_by(
                account_entries.c.region
            )
        )
    }
    breaks += _compare(
        "accounts.fund_mismatch",
        "个人账户基金与个人账户明细合计不符",
        "personal-account fund differs from the sum of personal accounts",
        account_fund,
        ledgers,
    )

    reversal = aliased(contributions)
    unpaid = (
        select(
            contributions.c.region,
            func.sum(contributions.c.employer_part + contributions.c.individual_part),
        )
        .outerjoin(reversal, reversal.c.reverses_id == contributions.c.id)
        .outerjoin(
            contribution_payments, contribution_payments.c.contribution_id == contributions.c.id
        )
        .where(
            contributions.c.kind != Kind.REVERSAL.value,
            reversal.c.id.is_(None),
            contribution_payments.c.contribution_id.is_(None),
        )
        .group_by(contributions.c.region)
    )
    breaks += _compare(
        "contributions.receivables_mismatch",
        "应收缴费与未征收的缴费记录不符",
        "receivables differ from the unpaid contribution records",
        _balances(uow, Account.RECEIVABLES),
        {r: int(v) for r, v in uow.conn.execute(unpaid)},
    )

    paid = defaultdict(int)
    shares = defaultdict(int)
    elsewhere = contribution_payments.c.person_id != contributions.c.person_id
    for region, total, share, misfiled in uow.conn.execute(
        select(
            contributions.c.region,
            func.sum(contributions.c.employer_part + contributions.c.individual_part),
            func.sum(contributions.c.to_account),
            func.sum(case((elsewhere, 1), else_=0)),
        )
        .join(contribution_payments, contribution_payments.c.contribution_id == contributions.c.id)
        .group_by(contributions.c.region)
    ):
        paid[region], shares[region] = int(total), int(share)
        if misfiled:
            breaks.append(
                Break(
                    "contributions.payment_person_mismatch",
                    f"{region}：{misfiled} 条缴费到账记录的参保人与缴费记录不符",
                    f"{region}: {misfiled} payments name another person than their record",
                )
            )
    bank = _balances(uow, Account.BANK, ("contribution_paid", "contribution_refund"))
    breaks += _compare(
        "contributions.bank_mismatch",
        "征收入账金额与已缴费记录不符",
        "money collected differs from the paid contribution records",
        bank,
        dict(paid),
    )
    from_contributions = {
        r: int(v)
        for r, v in uow.conn.execute(
            select(account_entries.c.region, func.sum(account_entries.c.amount))
            .where(
                account_entries.c.kind.in_(("contribution", "refund")),
                account_entries.c.scheme != "resident",
            )
            .group_by(account_entries.c.region)
        )
    }
    breaks += _compare(
        "accounts.contribution_mismatch",
        "个人账户缴费记账与已缴费记录的记账部分不符",
        "account entries from contributions differ from the paid records' account share",
        from_contributions,
        dict(shares),
    )

    resident = {
        r: int(v)
        for r, v in uow.conn.execute(
            select(
                resident_contributions.c.region,
                func.sum(
                    resident_contributions.c.individual
                    + resident_contributions.c.collective
                    + resident_contributions.c.subsidy
                ),
            ).group_by(resident_contributions.c.region)
        )
    }
    breaks += _compare(
        "resident.bank_mismatch",
        "城乡居民养老保险费入账金额与缴费记录不符",
        "money collected for the resident scheme differs from its yearly payments",
        _balances(uow, Account.BANK, ("resident_paid",)),
        resident,
    )
    breaks += _compare(
        "resident.account_mismatch",
        "城乡居民个人账户缴费记账与缴费记录不符",
        "resident account entries from contributions differ from the yearly payments",
        {
            r: int(v)
            for r, v in uow.conn.execute(
                select(account_entries.c.region, func.sum(account_entries.c.amount))
                .where(
                    account_entries.c.kind == "contribution", account_entries.c.scheme == "resident"
                )
                .group_by(account_entries.c.region)
            )
        },
        resident,
    )

    in_transit = {r: -v for r, v in _balances(uow, Account.TRANSFERS_IN_TRANSIT).items()}
    pending = {
        r: int(v)
        for r, v in uow.conn.execute(
            select(
                pending_transfers.c.from_region,
                func.sum(pending_transfers.c.pooled_amount + pending_transfers.c.account_amount),
            )
            .where(pending_transfers.c.state.in_(["pending", "received"]))
            .group_by(pending_transfers.c.from_region)
        )
    }
    breaks += _compare(
        "transfers.in_transit_mismatch",
        "转移在途资金与未完成的转移不符",
        "transfers in transit differ from the pending transfers",
        in_transit,
        pending,
    )
    return breaks
