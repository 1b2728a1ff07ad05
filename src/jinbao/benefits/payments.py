"""待遇发放: the monthly payment run of an agency.

For each application at the agency whose award in force starts on or before the month, and
whose relation is receiving benefits (待遇享受), the month's pension is paid once: the basic and
transitional parts from the pooled fund, the personal-account part from the account fund (the
person's account drawn down, newest portion first), made payable and then paid out through the
bank (benefits payable → bank) — two journals a person and month. The award for a month is the
latest approved version started by then; a correction or an adjustment approved after months
were paid at the old amount adds, in the next run, the difference for each of those months (arrears; an overpayment is reported, not
deducted: recovery comes with the overpayment work). A rerun of a month pays nothing twice
(the unique person-month-kind key); a run is one transaction, so a crash leaves it unrun.
Each bank gets a CSV of the payments it makes (account, name, ID number, amount, month, kind,
a unique reference); a person with no bank account on record is not paid until one is given.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from jinbao.accounts.tables import account_entries
from jinbao.audit.service import record
from jinbao.benefits.events import life_status
from jinbao.benefits.service import SCHEME
from jinbao.benefits.tables import (
    awards,
    benefit_payments,
    payee_accounts,
    retirement_applications,
)
from jinbao.contributions.model import period_of
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import format_yuan
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit
from jinbao.policy.interest import Portion
from jinbao.registry.tables import persons, relationships
from jinbao.transfers.cases import agency as agency_of
from jinbao.transfers.records import account_balance


@dataclass(frozen=True, slots=True)
class PaymentReport:
    agency: str
    month: str
    paid: int  # persons paid this run
    total: int  # fen, monthly and arrears
    arrears: int  # fen of it for earlier months at a corrected amount
    overpaid: int  # fen paid above a corrected award, to recover (not deducted here)
    skipped: int  # awarded but not receiving (stopped, deceased) or not yet started
    suspended: list[str]  # ID numbers paused: not certified in 12 months, or abroad (the notice)
    no_account: list[str]  # ID numbers with no bank account to pay into: not paid until given
    bank_files: dict[str, str]  # bank → CSV of the payments it makes


def run_payments(uow: UnitOfWork, agency_code: str, month: YearMonth) -> PaymentReport:
    agency_id, agency = agency_of(uow, agency_code)
    if month > YearMonth.of(uow.clock.today()):
        raise InvalidInput(
            "payment.future_month",
            "不能发放未来月份的待遇。",
            "A future month cannot be paid.",
            field="month",
        )
    region = (agency.region_code or "000000")[:2] + "0000"
    period = month.year * 100 + month.month
    rows: list[dict[str, Any]] = []
    suspended: list[int] = []
    no_account: list[int] = []
    paid = total = arrears = overpaid = skipped = 0
    for app in uow.conn.execute(
        select(retirement_applications).where(
            retirement_applications.c.agency_id == agency_id,
            retirement_applications.c.state == "awarded",
        )
    ).all():
        versions = uow.conn.execute(
            select(awards)
            .where(awards.c.application_id == app.id, awards.c.state == "approved")
            .order_by(awards.c.version)
        ).all()
        receiving = uow.conn.execute(
            select(relationships.c.id).where(
                relationships.c.person_id == app.person_id,
                relationships.c.agency_id == agency_id,
                relationships.c.scheme == SCHEME,
                relationships.c.status == "receiving",
            )
        ).first()
        award = _in_force(versions, period)
        if award is None or receiving is None:
            skipped += 1
            continue
        status = life_status(uow, app.person_id)
        death = status.died_on
        last_month = min(period, death.year * 100 + death.month) if death else period
        first_approved = min(a.approved_at for a in versions).date()
        reason = status.paused(first_approved, month)
        if reason is not None:
            suspended.append(app.person_id)
            continue
        payee = uow.conn.execute(
            select(payee_accounts).where(payee_accounts.c.person_id == app.person_id)
        ).first()
        if payee is None:
            no_account.append(app.person_id)
            continue
        done = _payments(uow, app.id)  # (month, kind) → amount, read once
        due: list[tuple[int, str, int, Any]] = []  # (month, kind, amount, award)
        m = period_of(versions[0].from_month)
        while m.year * 100 + m.month <= last_month:  # this month, and any not paid yet (补发)
            key = m.year * 100 + m.month
            owed = _in_force(versions, key)
            if owed is not None and (key, "monthly") not in done and not status.imprisoned(m):
                due.append((key, "monthly", int(owed.total), owed))
            m = m.plus(1)
        by_month: dict[int, int] = {}
        for (for_month, _), amount in done.items():
            if for_month < period:
                by_month[for_month] = by_month.get(for_month, 0) + amount
        for earlier, amount in sorted(by_month.items()):
            owed = _in_force(versions, earlier)
            if owed is None or (earlier, "arrears") in done:
                continue
            if owed.total > amount:
                due.append((earlier, "arrears", int(owed.total) - amount, owed))
            elif owed.total < amount:
                overpaid += amount - int(owed.total)
        if not due:
            continue
        person = uow.conn.execute(
            select(persons.c.id_number, persons.c.name).where(persons.c.id == app.person_id)
        ).one()
        for for_month, kind, amount, by in due:
            journal_id = _pay(uow, app.person_id, by, region, for_month, kind, amount, period)
            uow.conn.execute(
                insert(benefit_payments).values(
                    application_id=app.id, award_id=by.id, agency_id=agency_id,
                    month=for_month, kind=kind, amount=amount, run_month=period,
                    journal_id=journal_id, created_at=uow.clock.now(),
                )
            )  # fmt: skip
            rows.append(
                {"bank": payee.bank, "account_number": payee.account_number,
                 "account_name": person.name, "id_number": person.id_number,
                 "amount_yuan": format_yuan(amount).replace(",", ""),
                 "month": f"{for_month // 100}-{for_month % 100:02d}", "kind": kind,
                 "reference": f"YL{agency.code}{period}{app.id:08d}{for_month}{kind[0].upper()}"}
            )  # fmt: skip
            total += amount
            arrears += amount if kind == "arrears" else 0
        paid += 1
    files: dict[str, str] = {}
    for bank in sorted({r["bank"] for r in rows}):
        out = io.StringIO()
        writer = csv.DictWriter(out, BANK_FIELDS)
        writer.writeheader()
        writer.writerows({k: r[k] for k in BANK_FIELDS} for r in rows if r["bank"] == bank)
        files[bank] = out.getvalue()
    record(
        uow, "benefit.run", "agency", agency.code,
        new={"month": str(month), "paid": paid, "total": total, "arrears": arrears},
    )  # fmt: skip
    return PaymentReport(
        agency.code, str(month), paid, total, arrears, overpaid, skipped,
        _numbers(uow, suspended), _numbers(uow, no_account), files,
    )  # fmt: skip


BANK_FIELDS = [
    "account_number", "account_name", "id_number", "amount_yuan", "month", "kind", "reference",
]  # fmt: skip


def _numbers(uow: UnitOfWork, person_ids: list[int]) -> list[str]:
    if not person_ids:
        return []
    return sorted(
        uow.conn.execute(select(persons.c.id_number).where(persons.c.id.in_(person_ids))).scalars()
    )


def _in_force(versions: Sequence[Any], month: int) -> Any:
    """The award for a month: the latest approved version that has started by then (a
    correction replaces from the start, an adjustment from its January)."""
    started = [a for a in versions if a.from_month <= month]
    return started[-1] if started else None


def _payments(uow: UnitOfWork, application_id: int) -> dict[tuple[int, str], int]:
    """Every payment made under an application: (month, kind) → amount."""
    return {
        (int(m), k): int(a)
        for m, k, a in uow.conn.execute(
            select(
                benefit_payments.c.month, benefit_payments.c.kind, benefit_payments.c.amount
            ).where(benefit_payments.c.application_id == application_id)
        )
    }


def _pay(
    uow: UnitOfWork, person_id: int, award: Any, region: str, month: int, kind: str,
    amount: int, run: int,
) -> int:  # fmt: skip
    """Two journals: the month's pension becomes payable (基础 and 过渡 from the pooled fund, the
    account part from the account fund — as far as the person's account still holds it, newest
    portion first; past that the pooled fund pays on), then payable goes out through the bank.
    Returns the payment journal."""
    share = int(award.account) * amount // int(award.total) if award.total else 0
    balance = account_balance(uow, person_id, SCHEME, region)
    entries = []
    left = share
    for portion in (Portion.FROM_2006, Portion.Y1998_2005, Portion.PRE_1998):
        take = min(left, max(0, int(balance.get(portion, 0))))
        if take:
            entries.append((portion, take))
            left -= take
    from_account = share - left
    key = f"benefit:{award.application_id}:{month}:{kind}"
    due = ledger.post(
        uow,
        Journal(
            "benefit_due",
            f"{key}:due",
            uow.clock.today(),
            f"应付待遇 {month} {kind}",
            (
                debit(region, Account.POOLED_FUND, amount - from_account),
                debit(region, Account.ACCOUNT_FUND, from_account),
                credit(region, Account.BENEFITS_PAYABLE, amount),
            ),
        ),
    )
    paid = ledger.post(
        uow,
        Journal(
            "benefit_paid",
            key,
            uow.clock.today(),
            f"待遇发放 {month} {kind}",
            (debit(region, Account.BENEFITS_PAYABLE, amount), credit(region, Account.BANK, amount)),
        ),
    )
    for portion, take in entries:
        uow.conn.execute(
            insert(account_entries).values(
                person_id=person_id, scheme=SCHEME, region=region, portion=portion.value,
                kind="payout", period=run, effective_on=uow.clock.today(), amount=-take,
                journal_id=due, source=f"benefit:{month}:{kind}", created_at=uow.clock.now(),
            )
        )  # fmt: skip
    return paid
