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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select

from jinbao.accounts.tables import account_entries
from jinbao.contributions.model import Kind
from jinbao.contributions.tables import contribution_payments, contributions, resident_contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.money import format_yuan
from jinbao.ledger.model import Account, Break
from jinbao.ledger.tables import journals, pending_transfers, postings


class _Sums:
    """Amounts summed by region and two keys in one pass over a big table, then added up per
    region for whichever keys an invariant compares (the check compares several accounts and
    entry kinds, and used to read the table once for each)."""

    def __init__(
        self, uow: UnitOfWork, source: Any, region: Any, first: Any, second: Any, amount: Any
    ) -> None:
        keys = (region, first, second)
        self._sums: dict[tuple[str, str, str], int] = {
            (r, x, y): int(v)
            for r, x, y, v in uow.conn.execute(
                select(*keys, func.sum(amount)).select_from(source).group_by(*keys)
            )
        }

    def of(self, keep: Callable[[str, str], bool] = lambda _x, _y: True) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for (region, x, y), amount in self._sums.items():
            if keep(x, y):
                out[region] += amount
        return dict(out)


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
    """Every invariant of the module docstring, each break named. The big tables are each read
    once: the postings (by journal, then by region, account and journal kind), the account
    entries (by region, scheme and kind) and the contribution records with their payments.

    It compares sums read by different statements, so they must all see one state of the
    database: run it in a snapshot read (``UnitOfWork(…, write=False, snapshot=True)``), as
    ``jinbao ledger check`` and the API do. Elsewhere on PostgreSQL (READ COMMITTED, a write
    unit too) each statement sees its own, and a posting committed between two of them is a
    false break; tests use write units because nothing else writes meanwhile."""
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
    # Postings by region, account and journal kind; account entries by region, scheme, kind.
    posted = postings.join(journals, postings.c.journal_id == journals.c.id)
    balances = _Sums(
        uow, posted, postings.c.region, postings.c.account, journals.c.kind, postings.c.amount
    )
    e = account_entries.c
    entries = _Sums(uow, account_entries, e.region, e.scheme, e.kind, e.amount)

    def balance(account: Account, kinds: tuple[str, ...] | None = None) -> dict[str, int]:
        return balances.of(
            lambda name, kind: name == account.value and (kinds is None or kind in kinds)
        )

    records = _records(uow)

    breaks += _compare(
        "accounts.fund_mismatch",
        "个人账户基金与个人账户明细合计不符",
        "personal-account fund differs from the sum of personal accounts",
        {r: -v for r, v in balance(Account.ACCOUNT_FUND).items()},
        entries.of(),
    )
    breaks += _compare(
        "contributions.receivables_mismatch",
        "应收缴费与未征收的缴费记录不符",
        "receivables differ from the unpaid contribution records",
        balance(Account.RECEIVABLES),
        records.unpaid,
    )
    breaks += _compare(
        "contributions.bank_mismatch",
        "征收入账金额与已缴费记录不符",
        "money collected differs from the paid contribution records",
        balance(Account.BANK, ("contribution_paid", "contribution_refund")),
        records.paid,
    )
    breaks += _compare(
        "accounts.contribution_mismatch",
        "个人账户缴费记账与已缴费记录的记账部分不符",
        "account entries from contributions differ from the paid records' account share",
        entries.of(
            lambda scheme, kind: scheme != "resident" and kind in ("contribution", "refund")
        ),
        records.shares,
    )
    breaks += [
        Break(
            "contributions.payment_person_mismatch",
            f"{region}：{n} 条缴费到账记录的参保人与缴费记录不符",
            f"{region}: {n} payments name another person than their record",
        )
        for region, n in sorted(records.misfiled.items())
    ]

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
        balance(Account.BANK, ("resident_paid",)),
        resident,
    )
    breaks += _compare(
        "resident.account_mismatch",
        "城乡居民个人账户缴费记账与缴费记录不符",
        "resident account entries from contributions differ from the yearly payments",
        entries.of(lambda scheme, kind: scheme == "resident" and kind == "contribution"),
        resident,
    )

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
        {r: -v for r, v in balance(Account.TRANSFERS_IN_TRANSIT).items()},
        pending,
    )
    return breaks


@dataclass
class _Records:
    """Per region: what the records in force and not paid owe (receivables), what the paid
    records brought in (reversals negative) and their account share, and how many payments name
    another person than their record."""

    unpaid: dict[str, int] = field(default_factory=dict)
    paid: dict[str, int] = field(default_factory=dict)
    shares: dict[str, int] = field(default_factory=dict)
    misfiled: dict[str, int] = field(default_factory=dict)


def _records(uow: UnitOfWork) -> _Records:
    """One pass over the records with their payments. A record is reversed when a reversal
    names it: those are few, so they are read as a set (by the unique index on reverses_id)
    rather than joined record by record."""
    payment = contribution_payments.c.contribution_id
    reversed_ids = select(contributions.c.reverses_id).where(
        contributions.c.reverses_id.is_not(None)
    )
    owed = contributions.c.employer_part + contributions.c.individual_part
    is_unpaid = and_(
        payment.is_(None),
        contributions.c.kind != Kind.REVERSAL.value,
        contributions.c.id.not_in(reversed_ids),
    )
    out = _Records()
    merge = uow.conn.dialect.name == "postgresql"
    if merge:
        # Both tables are in record-id order (their primary keys), so merged along them the
        # join needs no memory. PostgreSQL would hash the payments instead: at a million persons
        # (88 M of each) that spilled 9 GB of temporary files and took 50 s; merged, 33 s.
        uow.conn.exec_driver_sql("SET LOCAL enable_hashjoin = off")
    rows = uow.conn.execute(
        select(
            contributions.c.region,
            func.sum(case((is_unpaid, owed), else_=0)),
            func.sum(case((payment.is_not(None), owed), else_=0)),
            func.sum(case((payment.is_not(None), contributions.c.to_account), else_=0)),
            func.sum(
                case((contribution_payments.c.person_id != contributions.c.person_id, 1), else_=0)
            ),
        )
        .outerjoin(contribution_payments, payment == contributions.c.id)
        .group_by(contributions.c.region)
    ).all()
    if merge:
        uow.conn.exec_driver_sql("RESET enable_hashjoin")
    for region, unpaid, paid, share, misfiled in rows:
        out.unpaid[region], out.paid[region] = int(unpaid), int(paid)
        out.shares[region] = int(share)
        if misfiled:
            out.misfiled[region] = int(misfiled)
    return out
