"""Refunds (退收) and cancellations, by reversal."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    func,
    insert,
    select,
)

from jinbao.accounts.tables import account_entries
from jinbao.contributions.model import (
    Kind,
    period_of,
)
from jinbao.contributions.service._base import SCHEME, PostingReport, records_in_force
from jinbao.contributions.service._writing import _audit, _insert_one
from jinbao.contributions.tables import contribution_payments, contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, Posting, credit, debit, net
from jinbao.policy.interest import Portion


def refund(uow: UnitOfWork, contribution_id: int, on: dt.date, reason: str) -> PostingReport:
    """退收: reverse a record paid in error (money back to the payer, the account debited), or
    cancel an unpaid one. The original stays; a reversal record and journal undo it."""
    row = uow.conn.execute(records_in_force(contributions.c.id == contribution_id)).first()
    if row is None:
        exists = uow.conn.execute(
            select(contributions.c.id).where(contributions.c.id == contribution_id)
        ).scalar()
        if exists is None:
            raise NotFound(
                "contribution.not_found",
                f"缴费记录{contribution_id}不存在。",
                f"No contribution record {contribution_id}.",
            )
        raise Conflict(
            "contribution.already_reversed",
            f"缴费记录{contribution_id}已冲销。",
            f"Contribution record {contribution_id} is already reversed.",
        )
    if not reason.strip():
        raise InvalidInput(
            "reason.required", "退收原因不能为空。", "A reason is required.", field="reason"
        )
    if on > uow.clock.today():
        raise InvalidInput(
            "refund.future",
            "退收日期不能晚于今天。",
            "The refund date cannot be in the future.",
            field="on",
        )
    original = dict(row._mapping)
    payment = uow.conn.execute(
        select(contribution_payments).where(
            contribution_payments.c.contribution_id == contribution_id
        )
    ).first()
    entry = uow.conn.execute(
        select(func.max(contributions.c.entry_no)).where(
            contributions.c.person_id == original["person_id"],
            contributions.c.scheme == SCHEME,
            contributions.c.period == original["period"],
        )
    ).scalar_one()
    reversal = {k: v for k, v in original.items() if k != "id"}
    for name in ("base", "employer_part", "individual_part", "to_account"):
        reversal[name] = -original[name]
    reversal.update(
        kind=Kind.REVERSAL.value,
        entry_no=entry + 1,
        reverses_id=contribution_id,
        batch=f"refund:{contribution_id}",
        created_at=uow.clock.now(),
    )
    reversal_id = _insert_one(uow, reversal)
    total = original["employer_part"] + original["individual_part"]
    region = original["region"]
    legs: tuple[Posting, ...]
    if payment is None:
        legs = (
            debit(region, Account.CONTRIBUTIONS_DUE, total),
            credit(region, Account.RECEIVABLES, total),
        )
        journal_id = ledger.post(
            uow,
            Journal(
                "contribution_cancel",
                f"cancel:{contribution_id}",
                on,
                f"撤销核定 {contribution_id}: {reason}",
                legs,
            ),
        )
    else:
        legs = net(
            (
                debit(region, Account.POOLED_FUND, total - original["to_account"]),
                debit(region, Account.ACCOUNT_FUND, original["to_account"]),
                credit(region, Account.BANK, total),
            )
        )
        journal_id = ledger.post(
            uow,
            Journal(
                "contribution_refund",
                f"refund:{contribution_id}",
                on,
                f"退收 {contribution_id}: {reason}",
                legs,
            ),
        )
        uow.conn.execute(
            insert(contribution_payments).values(
                contribution_id=reversal_id,
                paid_on=on,
                journal_id=journal_id,
                person_id=original["person_id"],
            )
        )
        if original["to_account"]:
            uow.conn.execute(
                insert(account_entries).values(
                    person_id=original["person_id"],
                    scheme=SCHEME,
                    region=region,
                    portion=Portion.of(period_of(original["period"])).value,
                    kind="refund",
                    period=original["period"],
                    effective_on=on,
                    amount=-original["to_account"],
                    journal_id=journal_id,
                    source=f"contribution:{reversal_id}",
                    created_at=uow.clock.now(),
                )
            )
    report = PostingReport(
        f"refund:{contribution_id}",
        1,
        -original["employer_part"],
        -original["individual_part"],
        -original["to_account"],
        payment is not None,
        (journal_id,),
    )
    _audit(
        uow, "contribution.refund", report, contribution_id=contribution_id, on=on, reason=reason
    )
    return report
