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
The run reads its pensioners set-wise and writes set-wise (:class:`_Pensioners`, :func:`_write`).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from jinbao.accounts.tables import ENTRY_COLUMNS, account_entries
from jinbao.audit.service import record
from jinbao.benefits.events import LifeStatus, life_statuses
from jinbao.benefits.service import SCHEME
from jinbao.benefits.tables import (
    awards,
    benefit_payments,
    payee_accounts,
    retirement_applications,
)
from jinbao.contributions.model import period_of
from jinbao.db.bulk import insert_rows
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import format_yuan
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit
from jinbao.policy.interest import Portion
from jinbao.registry.tables import persons, relationships
from jinbao.transfers.cases import agency as agency_of


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
    banks: dict[str, io.StringIO] = {}  # bank → its file (CSV)
    suspended: list[int] = []
    no_account: list[int] = []
    paid = overpaid = skipped = total = arrears = 0
    after = 0  # the chunks go by application id
    while pensioners := _Pensioners.read(uow, agency_id, region, after, CHUNK):
        after = pensioners.applications[-1].id
        due: list[_Due] = []
        for app in pensioners.applications:
            versions = pensioners.versions.get(app.id, [])
            award = _in_force(versions, period)
            if award is None or app.person_id not in pensioners.receiving:
                skipped += 1
                continue
            status = pensioners.status.get(app.person_id, _NO_STATUS)
            death = status.died_on
            last_month = min(period, death.year * 100 + death.month) if death else period
            first_approved = min(a.approved_at for a in versions).date()
            if status.paused(first_approved, month) is not None:
                suspended.append(app.person_id)
                continue
            payee = pensioners.payees.get(app.person_id)
            if payee is None:
                no_account.append(app.person_id)
                continue
            done = pensioners.done.get(app.id, {})  # (month, kind) → amount
            owed_now: list[tuple[int, str, int, Any]] = []  # (month, kind, amount, award)
            m = period_of(versions[0].from_month)
            while m.year * 100 + m.month <= last_month:  # this month, and any not paid yet (补发)
                key = m.year * 100 + m.month
                owed = _in_force(versions, key)
                if owed is not None and (key, "monthly") not in done and not status.imprisoned(m):
                    owed_now.append((key, "monthly", int(owed.total), owed))
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
                    owed_now.append((earlier, "arrears", int(owed.total) - amount, owed))
                elif owed.total < amount:
                    overpaid += amount - int(owed.total)
            if not owed_now:
                continue
            balance = pensioners.balances.get(app.person_id, {})
            for for_month, kind, amount, by in owed_now:
                due.append(
                    _Due(app, payee, for_month, kind, amount, by, _draw(balance, by, amount))
                )
            paid += 1
        _write(uow, agency_id, region, period, due)
        for d in due:  # each bank's file written as the chunks go, not held as rows
            if d.payee.bank not in banks:
                banks[d.payee.bank] = io.StringIO()
                csv.writer(banks[d.payee.bank]).writerow(BANK_FIELDS)
            csv.writer(banks[d.payee.bank]).writerow(
                (d.payee.account_number, d.app.name, d.app.id_number,
                 format_yuan(d.amount).replace(",", ""), f"{d.month // 100}-{d.month % 100:02d}",
                 d.kind, f"YL{agency.code}{period}{d.app.id:08d}{d.month}{d.kind[0].upper()}")
            )  # fmt: skip
        total += sum(d.amount for d in due)
        arrears += sum(d.amount for d in due if d.kind == "arrears")
    files = {bank: banks[bank].getvalue() for bank in sorted(banks)}
    record(
        uow, "benefit.run", "agency", agency.code,
        new={"month": str(month), "paid": paid, "total": total, "arrears": arrears},
    )  # fmt: skip
    return PaymentReport(
        agency.code, str(month), paid, total, arrears, overpaid, skipped,
        _numbers(uow, suspended), _numbers(uow, no_account), files,
    )  # fmt: skip


_NO_STATUS = LifeStatus((), ())
# What the run uses of an award version: not its inputs and explanation, JSON texts of a few
# kilobytes each that a run of many pensioners would read for nothing.
_AWARD_SHOWN = tuple(
    awards.c[name]
    for name in ("id", "application_id", "from_month", "account", "total", "approved_at")
)
# Applications read, computed and written at a time, all in the run's one transaction: what is
# held in memory stays that of a chunk (the bank files aside) whatever the agency's size.
CHUNK = 5000


@dataclass(frozen=True, slots=True)
class _Pensioners:
    """What a run reads of a chunk of the agency's awarded applications, read set-wise: eight
    statements a chunk of :data:`CHUNK`. Until session 24 the run read it application by
    application (six statements each, and the account again for every month paid)."""

    applications: list[Any]  # id, person_id, id_number, name; by application id
    versions: dict[int, list[Any]]  # application → approved award versions, by version
    receiving: set[int]  # persons whose relation at the agency is receiving (待遇享受)
    status: dict[int, LifeStatus]  # person → certifications and reported events
    payees: dict[int, Any]  # person → bank account
    done: dict[int, dict[tuple[int, str], int]]  # application → (month, kind) → amount paid
    balances: dict[int, dict[Portion, int]]  # person → account left in the region, by portion

    def __bool__(self) -> bool:
        return bool(self.applications)

    @classmethod
    def read(
        cls, uow: UnitOfWork, agency_id: int, region: str, after: int, limit: int
    ) -> _Pensioners:
        """The next ``limit`` awarded applications of the agency after application ``after``,
        and what the run needs of them."""
        awarded = (retirement_applications.c.agency_id == agency_id) & (
            retirement_applications.c.state == "awarded"
        )
        applications = uow.conn.execute(
            select(
                retirement_applications.c.id, retirement_applications.c.person_id,
                persons.c.id_number, persons.c.name,
            )
            .join(persons, persons.c.id == retirement_applications.c.person_id)
            .where(awarded, retirement_applications.c.id > after)
            .order_by(retirement_applications.c.id)
            .limit(limit)
        ).all()  # fmt: skip
        if not applications:
            return cls([], {}, set(), {}, {}, {}, {})
        chunk = awarded & retirement_applications.c.id.between(
            applications[0].id, applications[-1].id
        )
        app_ids = select(retirement_applications.c.id).where(chunk)
        person_ids = select(retirement_applications.c.person_id).where(chunk)
        versions: dict[int, list[Any]] = defaultdict(list)
        for a in uow.conn.execute(
            select(*_AWARD_SHOWN)
            .where(awards.c.application_id.in_(app_ids), awards.c.state == "approved")
            .order_by(awards.c.application_id, awards.c.version)
        ):
            versions[a.application_id].append(a)
        receiving = set(
            uow.conn.execute(
                select(relationships.c.person_id).where(
                    relationships.c.person_id.in_(person_ids),
                    relationships.c.agency_id == agency_id,
                    relationships.c.scheme == SCHEME,
                    relationships.c.status == "receiving",
                )
            ).scalars()
        )
        payees = {
            p.person_id: p
            for p in uow.conn.execute(
                select(payee_accounts).where(payee_accounts.c.person_id.in_(person_ids))
            )
        }
        done: dict[int, dict[tuple[int, str], int]] = defaultdict(dict)
        for app_id, m, kind, amount in uow.conn.execute(
            select(
                benefit_payments.c.application_id, benefit_payments.c.month,
                benefit_payments.c.kind, benefit_payments.c.amount,
            ).where(benefit_payments.c.application_id.in_(app_ids))
        ):  # fmt: skip
            done[app_id][(int(m), kind)] = int(amount)
        balances: dict[int, dict[Portion, int]] = defaultdict(dict)
        for person_id, portion, amount in uow.conn.execute(
            select(
                account_entries.c.person_id, account_entries.c.portion,
                func.sum(account_entries.c.amount),
            )
            .where(
                account_entries.c.person_id.in_(person_ids),
                account_entries.c.scheme == SCHEME,
                account_entries.c.region == region,
            )
            .group_by(account_entries.c.person_id, account_entries.c.portion)
        ):  # fmt: skip
            balances[person_id][Portion(portion)] = int(amount)
        return cls(
            list(applications), versions, receiving, life_statuses(uow, person_ids), payees,
            done, balances,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Due:
    """One payment the run makes: a month's pension (or a correction's arrears) of one person."""

    app: Any  # the application row (id, person_id, id_number, name)
    payee: Any
    month: int  # YYYYMM it is for
    kind: str  # monthly | arrears
    amount: int  # fen
    award: Any  # the award version it is paid under
    from_account: tuple[tuple[Portion, int], ...]  # the account drawn down, by portion


def _draw(balance: dict[Portion, int], award: Any, amount: int) -> tuple[tuple[Portion, int], ...]:
    """The personal-account part of a payment, as far as the person's account still holds it,
    newest portion first (past that the pooled fund pays on); ``balance`` is drawn down, so a
    run that pays several months of one person takes each from what the last left."""
    share = int(award.account) * amount // int(award.total) if award.total else 0
    taken = []
    for portion in (Portion.FROM_2006, Portion.Y1998_2005, Portion.PRE_1998):
        take = min(share, max(0, balance.get(portion, 0)))
        if take:
            taken.append((portion, take))
            balance[portion] = balance.get(portion, 0) - take
            share -= take
    return tuple(taken)


def _write(uow: UnitOfWork, agency_id: int, region: str, run: int, due: list[_Due]) -> None:
    """Two journals a payment: the month's pension becomes payable (基础 and 过渡 from the
    pooled fund, the account part from the account fund), then payable goes out through the
    bank (benefits payable → bank); a payment row on the second, an account entry per portion
    drawn on the first. Written set-wise: the journals at once, then the entries and payments
    by the bulk path."""
    today, now = uow.clock.today(), uow.clock.now()
    journal_list: list[Journal] = []
    for d in due:
        from_account = sum(take for _, take in d.from_account)
        key = f"benefit:{d.app.id}:{d.month}:{d.kind}"
        journal_list += [
            Journal(
                "benefit_due", f"{key}:due", today, f"应付待遇 {d.month} {d.kind}",
                (
                    debit(region, Account.POOLED_FUND, d.amount - from_account),
                    debit(region, Account.ACCOUNT_FUND, from_account),
                    credit(region, Account.BENEFITS_PAYABLE, d.amount),
                ),
            ),
            Journal(
                "benefit_paid", key, today, f"待遇发放 {d.month} {d.kind}",
                (
                    debit(region, Account.BENEFITS_PAYABLE, d.amount),
                    credit(region, Account.BANK, d.amount),
                ),
            ),
        ]  # fmt: skip
    ids = ledger.post_many(uow, journal_list)
    insert_rows(
        uow.conn, account_entries, ENTRY_COLUMNS,
        (
            (d.app.person_id, SCHEME, region, portion.value, "payout", run, today, -take,
             ids[2 * i], f"benefit:{d.month}:{d.kind}", now)
            for i, d in enumerate(due)
            for portion, take in d.from_account
        ),
    )  # fmt: skip
    insert_rows(
        uow.conn, benefit_payments, _PAYMENT_COLUMNS,
        (
            (d.app.id, d.award.id, agency_id, d.month, d.kind, d.amount, run, ids[2 * i + 1], now)
            for i, d in enumerate(due)
        ),
    )  # fmt: skip


_PAYMENT_COLUMNS = [
    "application_id", "award_id", "agency_id", "month", "kind", "amount", "run_month",
    "journal_id", "created_at",
]  # fmt: skip


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
