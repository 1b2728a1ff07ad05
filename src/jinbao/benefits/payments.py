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
A run that pays something is kept (发放批次, ``benefit_runs``), and each payment names it and the
bank account it was paid into. Each bank gets a CSV of the payments it makes (account, name, ID
number, amount, month, kind, a unique reference), made from those rows (:func:`bank_file`) as
often as asked, the same each time; a person with no bank account on record is not paid until
one is given. The run reads its pensioners set-wise and writes set-wise (:class:`_Pensioners`,
:func:`_write`).

The residents' scheme's pensions (城乡居民养老保险待遇, :mod:`jinbao.benefits.resident`) are paid by
the same run, each from its own scheme's account, the basic pension by the government (财政补助)
instead of a pooled fund (:data:`_PAID_BY`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select

from jinbao.accounts.tables import ENTRY_COLUMNS, account_entries
from jinbao.audit.service import record
from jinbao.benefits.events import LifeStatus, life_statuses
from jinbao.benefits.service import SCHEME
from jinbao.benefits.tables import (
    awards,
    benefit_payments,
    benefit_runs,
    payee_accounts,
    retirement_applications,
)
from jinbao.contributions.model import period_of
from jinbao.db.bulk import insert_rows
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import InvalidInput, NotFound
from jinbao.kernel.money import format_yuan
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit
from jinbao.policy.interest import Portion
from jinbao.registry.tables import agencies, persons, relationships
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
    run: int | None  # the run kept (发放批次) whose bank files list the payments; None: none made
    banks: list[BankTotal]  # what each bank pays, by bank


@dataclass(frozen=True, slots=True)
class BankTotal:
    bank: str
    payments: int
    total: int  # fen


@dataclass(frozen=True, slots=True)
class Run:
    """A payment run kept (发放批次): what it paid through each bank."""

    id: int
    agency: str
    month: str
    actor: str
    created_at: dt.datetime
    banks: list[BankTotal]


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
    run_id: int | None = None  # kept when the first payment is made
    banks: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # bank → payments, fen
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
            if award is None or (app.person_id, app.scheme) not in pensioners.receiving:
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
            done = pensioners.done.get(app.id, {})  # (month, kind) → (amount, award id)
            # (month, kind, amount, award, of it the account's part)
            owed_now: list[tuple[int, str, int, Any, int]] = []
            m = period_of(versions[0].from_month)
            while m.year * 100 + m.month <= last_month:  # this month, and any not paid yet (补发)
                key = m.year * 100 + m.month
                owed = _in_force(versions, key)
                if owed is not None and (key, "monthly") not in done and not status.imprisoned(m):
                    owed_now.append((key, "monthly", int(owed.total), owed, int(owed.account)))
                m = m.plus(1)
            by_month: dict[int, int] = {}
            account_paid: dict[int, int] = {}  # month → the account part it was paid with
            accounts = {int(v.id): int(v.account) for v in versions} if done else {}
            for (for_month, _), (amount, award_id) in done.items():
                if for_month < period:
                    by_month[for_month] = by_month.get(for_month, 0) + amount
                    account_paid[for_month] = account_paid.get(for_month, 0) + accounts.get(
                        award_id, 0
                    )
            for earlier, amount in sorted(by_month.items()):
                owed = _in_force(versions, earlier)
                if owed is None or (earlier, "arrears") in done:
                    continue
                if owed.total > amount:
                    # The arrears take from the account what the account part rose by: none
                    # for a raise of the basic pension (an adjustment, a resident's minimum).
                    # Until session 41 a share in proportion, drawing the account for them.
                    more = int(owed.total) - amount
                    account = min(more, max(0, int(owed.account) - account_paid[earlier]))
                    owed_now.append((earlier, "arrears", more, owed, account))
                elif owed.total < amount:
                    overpaid += amount - int(owed.total)
            if not owed_now:
                continue
            balance = pensioners.balances.get((app.person_id, app.scheme), {})
            for for_month, kind, amount, by, account in owed_now:
                due.append(_Due(app, payee, for_month, kind, amount, by, _draw(balance, account)))
            paid += 1
        if due:
            if run_id is None:
                run_id = _new_run(uow, agency_id, period)
            _write(uow, agency_id, region, period, run_id, due)
        for d in due:
            banks[d.payee.bank][0] += 1
            banks[d.payee.bank][1] += d.amount
        total += sum(d.amount for d in due)
        arrears += sum(d.amount for d in due if d.kind == "arrears")
    record(
        uow, "benefit.run", "agency", agency.code,
        new={"month": str(month), "run": run_id, "paid": paid, "total": total, "arrears": arrears},
    )  # fmt: skip
    return PaymentReport(
        agency.code, str(month), paid, total, arrears, overpaid, skipped,
        _numbers(uow, suspended), _numbers(uow, no_account), run_id,
        [BankTotal(bank, n, fen) for bank, (n, fen) in sorted(banks.items())],
    )  # fmt: skip


def _new_run(uow: UnitOfWork, agency_id: int, period: int) -> int:
    return int(
        uow.conn.execute(
            insert(benefit_runs)
            .values(
                agency_id=agency_id, month=period, actor=uow.actor[:60], created_at=uow.clock.now()
            )
            .returning(benefit_runs.c.id)
        ).scalar_one()
    )


def get_run(uow: UnitOfWork, run_id: int) -> Run:
    """A run kept, with what it paid through each bank; an unknown run is ``payment.run_not_found``."""
    found = _runs(uow, benefit_runs.c.id == run_id)
    if not found:
        raise NotFound(
            "payment.run_not_found",
            f"没有发放批次 {run_id}。",
            f"There is no payment run {run_id}.",
        )
    return found[0]


def runs_of(uow: UnitOfWork, agency_code: str, month: YearMonth) -> list[Run]:
    """The runs kept of an agency for a month, oldest first (a rerun that paid more is a run
    of its own, with files of its own)."""
    agency_id, _ = agency_of(uow, agency_code)
    return _runs(
        uow,
        benefit_runs.c.agency_id == agency_id,
        benefit_runs.c.month == month.year * 100 + month.month,
    )


def _runs(uow: UnitOfWork, *conditions: Any) -> list[Run]:
    """The runs of ``conditions``, oldest first, with their banks' totals: two statements."""
    found = uow.conn.execute(
        select(benefit_runs, agencies.c.code)
        .join(agencies, agencies.c.id == benefit_runs.c.agency_id)
        .where(*conditions)
        .order_by(benefit_runs.c.id)
    ).all()
    banks: dict[int, list[BankTotal]] = defaultdict(list)
    for run_id, bank, n, fen in uow.conn.execute(
        select(
            benefit_payments.c.run_id, benefit_payments.c.bank, func.count(),
            func.sum(benefit_payments.c.amount),
        )
        .where(benefit_payments.c.run_id.in_([r.id for r in found]))
        .group_by(benefit_payments.c.run_id, benefit_payments.c.bank)
        .order_by(benefit_payments.c.run_id, benefit_payments.c.bank)
    ):  # fmt: skip
        banks[run_id].append(BankTotal(bank, int(n), int(fen)))
    return [
        Run(int(r.id), r.code, f"{r.month // 100}-{r.month % 100:02d}", r.actor, r.created_at,
            banks[r.id])
        for r in found
    ]  # fmt: skip


def bank_file(uow: UnitOfWork, run: Run | int, bank: str) -> Iterator[str]:
    """The CSV a bank is sent for a run (代发文件): a header, then a line a payment, in the order
    paid, read from the payments in chunks of :data:`CHUNK` (what a run of hundreds of
    thousands holds in memory is a chunk). Made from the stored rows, it is the same each time
    it is asked for. ``run`` is the run as :func:`get_run` read it (a caller that names the file
    after it reads it once), or its id. The run and the bank are checked first:
    ``payment.run_not_found``, ``payment.bank_not_in_run``."""
    if isinstance(run, int):
        run = get_run(uow, run)
    if bank not in {b.bank for b in run.banks}:
        raise NotFound(
            "payment.bank_not_in_run",
            f"发放批次 {run.id} 没有经{bank}发放的待遇。",
            f"Payment run {run.id} paid nothing through {bank}.",
        )
    return _bank_lines(uow, run, bank)


def _bank_lines(uow: UnitOfWork, run: Run, bank: str) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(BANK_FIELDS)
    prefix = f"YL{run.agency}{run.month.replace('-', '')}"
    after = 0
    while True:
        rows = uow.conn.execute(
            _BANK_LINES, {"run_id": run.id, "bank": bank, "after": after, "limit": CHUNK}
        ).all()
        for r in rows:
            writer.writerow(
                (r.account_number, r.name, r.id_number, format_yuan(r.amount).replace(",", ""),
                 f"{r.month // 100}-{r.month % 100:02d}", r.kind,
                 f"{prefix}{r.application_id:08d}{r.month}{r.kind[0].upper()}")
            )  # fmt: skip
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        if len(rows) < CHUNK:
            return
        after = rows[-1].id


# A bank file's lines after payment ``after``, by the payments' run and bank index.
_BANK_COLUMNS = (
    benefit_payments.c.id, benefit_payments.c.account_number, persons.c.name,
    persons.c.id_number, benefit_payments.c.amount, benefit_payments.c.month,
    benefit_payments.c.kind, benefit_payments.c.application_id,
)  # fmt: skip
_BANK_LINES = (
    select(*_BANK_COLUMNS)
    .join(
        retirement_applications,
        retirement_applications.c.id == benefit_payments.c.application_id,
    )
    .join(persons, persons.c.id == retirement_applications.c.person_id)
    .where(
        benefit_payments.c.run_id == bindparam("run_id"),
        benefit_payments.c.bank == bindparam("bank"),
        benefit_payments.c.id > bindparam("after"),
    )
    .order_by(benefit_payments.c.id)
    .limit(bindparam("limit"))
)


_NO_STATUS = LifeStatus((), ())
# What the run uses of an award version: not its inputs and explanation, JSON texts of a few
# kilobytes each that a run of many pensioners would read for nothing.
_AWARD_SHOWN = tuple(
    awards.c[name]
    for name in ("id", "application_id", "from_month", "account", "total", "approved_at")
)
# Applications read, computed and written at a time, all in the run's one transaction: what is
# held in memory stays that of a chunk whatever the agency's size (the bank files too, since
# session 25: made from the payments afterwards, not held as text to the end of the run).
CHUNK = 5000


@dataclass(frozen=True, slots=True)
class _Pensioners:
    """What a run reads of a chunk of the agency's awarded applications, read set-wise: eight
    statements a chunk of :data:`CHUNK`. Until session 24 the run read it application by
    application (six statements each, and the account again for every month paid)."""

    applications: list[Any]  # id, person_id, scheme; by application id
    versions: dict[int, list[Any]]  # application → approved award versions, by version
    receiving: set[tuple[int, str]]  # (person, scheme) whose relation here is receiving (待遇享受)
    status: dict[int, LifeStatus]  # person → certifications and reported events
    payees: dict[int, Any]  # person → bank account
    # application → (month, kind) → (amount paid, the award version it was paid under)
    done: dict[int, dict[tuple[int, str], tuple[int, int]]]
    balances: dict[tuple[int, str], dict[Portion, int]]  # (person, scheme) → account, by portion

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
                retirement_applications.c.id,
                retirement_applications.c.person_id,
                retirement_applications.c.scheme,
            )
            .where(awarded, retirement_applications.c.id > after)
            .order_by(retirement_applications.c.id)
            .limit(limit)
        ).all()
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
        receiving = {
            (int(person_id), scheme)
            for person_id, scheme in uow.conn.execute(
                select(relationships.c.person_id, relationships.c.scheme).where(
                    relationships.c.person_id.in_(person_ids),
                    relationships.c.agency_id == agency_id,
                    relationships.c.status == "receiving",
                )
            )
        }
        payees = {
            p.person_id: p
            for p in uow.conn.execute(
                select(payee_accounts).where(payee_accounts.c.person_id.in_(person_ids))
            )
        }
        done: dict[int, dict[tuple[int, str], tuple[int, int]]] = defaultdict(dict)
        for app_id, m, kind, amount, award_id in uow.conn.execute(
            select(
                benefit_payments.c.application_id, benefit_payments.c.month,
                benefit_payments.c.kind, benefit_payments.c.amount, benefit_payments.c.award_id,
            ).where(benefit_payments.c.application_id.in_(app_ids))
        ):  # fmt: skip
            done[app_id][(int(m), kind)] = (int(amount), int(award_id))
        balances: dict[tuple[int, str], dict[Portion, int]] = defaultdict(dict)
        for person_id, scheme, portion, amount in uow.conn.execute(
            select(
                account_entries.c.person_id, account_entries.c.scheme, account_entries.c.portion,
                func.sum(account_entries.c.amount),
            )
            .where(
                account_entries.c.person_id.in_(person_ids),
                account_entries.c.region == region,
            )
            .group_by(
                account_entries.c.person_id, account_entries.c.scheme, account_entries.c.portion
            )
        ):  # fmt: skip
            balances[(person_id, scheme)][Portion(portion)] = int(amount)
        return cls(
            list(applications), versions, receiving, life_statuses(uow, person_ids), payees,
            done, balances,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Due:
    """One payment the run makes: a month's pension (or a correction's arrears) of one person."""

    app: Any  # the application row (id, person_id)
    payee: Any
    month: int  # YYYYMM it is for
    kind: str  # monthly | arrears
    amount: int  # fen
    award: Any  # the award version it is paid under
    from_account: tuple[tuple[Portion, int], ...]  # the account drawn down, by portion


def _draw(balance: dict[Portion, int], share: int) -> tuple[tuple[Portion, int], ...]:
    """The personal-account part of a payment (``share``, fen), as far as the person's account
    still holds it, newest portion first (past that the pooled fund pays on); ``balance`` is
    drawn down, so a run that pays several months of one person takes each from what the last
    left."""
    taken = []
    for portion in (Portion.FROM_2006, Portion.Y1998_2005, Portion.PRE_1998):
        take = min(share, max(0, balance.get(portion, 0)))
        if take:
            taken.append((portion, take))
            balance[portion] = balance.get(portion, 0) - take
            share -= take
    return tuple(taken)


def _write(
    uow: UnitOfWork, agency_id: int, region: str, run_month: int, run_id: int, due: list[_Due]
) -> None:
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
                    debit(region, _PAID_BY[d.app.scheme], d.amount - from_account),
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
            (d.app.person_id, d.app.scheme, region, portion.value, "payout", run_month, today, -take,
             ids[2 * i], f"benefit:{d.month}:{d.kind}", now)
            for i, d in enumerate(due)
            for portion, take in d.from_account
        ),
    )  # fmt: skip
    insert_rows(
        uow.conn, benefit_payments, _PAYMENT_COLUMNS,
        (
            (d.app.id, d.award.id, agency_id, d.month, d.kind, d.amount, run_month, ids[2 * i + 1], now,
             run_id, d.payee.bank, d.payee.account_number)
            for i, d in enumerate(due)
        ),
    )  # fmt: skip


# What pays a pension beyond the personal account drawn: the employees' pooled fund; for the
# residents' scheme the government (财政补助), which pays its 基础养老金 in full (国发〔2014〕8号:
# 中央财政对中西部地区全额补助、对东部地区补助50%, the rest the local budget's; POLICY §8).
# Where a resident's account is used up the same account pays the account part on: which
# fund pays it then is not in POLICY (local rules), so it is booked with the government's.
_PAID_BY = {SCHEME: Account.POOLED_FUND, "resident": Account.FISCAL_SUBSIDIES}

_PAYMENT_COLUMNS = [
    "application_id", "award_id", "agency_id", "month", "kind", "amount", "run_month",
    "journal_id", "created_at", "run_id", "bank", "account_number",
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
