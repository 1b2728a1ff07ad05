"""Writing records, the declaration and collection journals, payments and account entries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    String,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
)

from jinbao.accounts.tables import ENTRY_COLUMNS, account_entries
from jinbao.audit.service import record
from jinbao.contributions.model import (
    Kind,
)
from jinbao.contributions.service._base import SCHEME, PostingReport
from jinbao.contributions.tables import contribution_payments, contributions
from jinbao.db.bulk import insert_rows
from jinbao.db.driver import DriverRead, DriverWrite
from jinbao.db.planning import generic
from jinbao.db.uow import UnitOfWork
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, Posting, credit, debit, net
from jinbao.ledger.tables import journals
from jinbao.policy.contributions import (
    Contribution,
)
from jinbao.policy.interest import Portion

_COLUMNS = [c.name for c in contributions.columns if c.name != "id"]
_VALUES = itemgetter(*_COLUMNS)  # a record row's values in column order, in one C call


def _insert_records(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Bulk insert (COPY or executemany, no RETURNING: what follows selects the batch back
    set-wise by its batch key)."""
    insert_rows(uow.conn, contributions, _COLUMNS, map(_VALUES, rows))


def _insert_one(uow: UnitOfWork, row: dict[str, Any]) -> int:
    return int(
        uow.conn.execute(
            insert(contributions).values(**row).returning(contributions.c.id)
        ).scalar_one()
    )


def _declaration_journal(
    uow: UnitOfWork, batch: str, rows: list[dict[str, Any]], on: dt.date
) -> int:
    """核定: the amounts due become receivables of each region."""
    due: dict[str, int] = defaultdict(int)
    for r in rows:
        due[r["region"]] += r["employer_part"] + r["individual_part"]
    legs: list[Posting] = []
    for region, amount in due.items():
        legs += [
            debit(region, Account.RECEIVABLES, amount),
            credit(region, Account.CONTRIBUTIONS_DUE, amount),
        ]
    return ledger.post(
        uow, Journal("contribution_due", f"due:{batch}", on, f"缴费核定 {batch}", net(legs))
    )


# The portion of the account a month's credit belongs to, as SQL; the same boundaries as
# jinbao.policy.interest.Portion.of (before 1998 / 1998–2005 / from 2006).
_PORTION = case(
    (contributions.c.period < 199801, Portion.PRE_1998.value),
    (contributions.c.period <= 200512, Portion.Y1998_2005.value),
    else_=Portion.FROM_2006.value,
)


def _collection(where: Any) -> tuple[Any, Any, Any]:
    """The three statements of 征收 for the records selected by ``where``: the totals by region,
    a payment row per record, and each person's account entry for its share. The day, the
    journal and the time are bound as ``paid_day``, ``journal`` and ``stamp`` (named unlike
    the columns they fill, as SQLAlchemy requires)."""
    totals = (
        select(
            contributions.c.region,
            func.sum(contributions.c.employer_part + contributions.c.individual_part).label(
                "total"
            ),
            func.sum(contributions.c.to_account).label("share"),
        )
        .where(where)
        .group_by(contributions.c.region)
    )
    paid_day = bindparam("paid_day", type_=Date)
    journal = bindparam("journal", type_=BigInteger)
    payments = insert(contribution_payments).from_select(
        ["contribution_id", "paid_on", "journal_id", "person_id"],
        select(contributions.c.id, paid_day, journal, contributions.c.person_id).where(where),
    )
    entries = insert(account_entries).from_select(
        ENTRY_COLUMNS,
        select(
            contributions.c.person_id,
            contributions.c.scheme,
            contributions.c.region,
            _PORTION,
            literal("contribution", String),
            contributions.c.period,
            paid_day,
            contributions.c.to_account,
            journal,
            literal("contribution:", String) + cast(contributions.c.id, String),
            bindparam("stamp", type_=DateTime(timezone=True)),
        ).where(where, contributions.c.to_account != 0),
    )
    return totals, payments, entries


# A declaration collected at once selects its records by the batch key: those statements are
# built once (building them was a tenth of a declaration's CPU under the mixed load, session
# 27), the totals read on the driver's cursor.
# A new batch key at every declaration: hidden from the planner, which planned these statements
# anew at each one for a key no statistics had seen (jinbao.db.planning; session 33).
_BATCH = generic(bindparam("batch", type_=String))
_BATCH_TOTALS, _BATCH_PAYMENTS, _BATCH_ENTRIES = _collection(contributions.c.batch == _BATCH)
_READ_BATCH_TOTALS = DriverRead(_BATCH_TOTALS)
_WRITE_BATCH_PAYMENTS = DriverWrite(_BATCH_PAYMENTS)
_WRITE_BATCH_ENTRIES = DriverWrite(_BATCH_ENTRIES)


def _pay_where(uow: UnitOfWork, key: str, where: Any, paid_on: dt.date) -> int:
    """征收 of the records selected by ``where``: money in the bank, receivables cleared, pooled
    and account funds credited (one journal), a payment row per record and each person's
    account credited with its share — all written set-wise by the database."""
    totals, payments, entries = _collection(where)
    writes = (partial(uow.conn.execute, payments), partial(uow.conn.execute, entries))
    return _collect(uow, key, paid_on, uow.conn.execute(totals).all(), writes, {})


def _pay_batch(uow: UnitOfWork, batch: str, paid_on: dt.date) -> int:
    """:func:`_pay_where` of a batch's records, by the statements built once."""
    totals = _READ_BATCH_TOTALS.all(uow.conn, {"batch": batch})
    # On the driver's cursor: every declaration collected at once runs them.
    writes = (
        partial(_WRITE_BATCH_PAYMENTS.run, uow.conn),
        partial(_WRITE_BATCH_ENTRIES.run, uow.conn),
    )
    return _collect(uow, batch, paid_on, totals, writes, {"batch": batch})


def _collect(
    uow: UnitOfWork,
    key: str,
    paid_on: dt.date,
    totals: Iterable[Any],
    writes: tuple[Callable[[dict[str, Any]], object], ...],
    params: dict[str, Any],
) -> int:
    """The 征收 journal from the ``totals`` by region, then the payments' and the account
    entries' ``writes``, each given the bound parameters (day, journal, time)."""
    legs: list[Posting] = []
    for region, total, share in totals:
        total, share = int(total), int(share)
        legs += [
            debit(region, Account.BANK, total),
            credit(region, Account.RECEIVABLES, total),
            debit(region, Account.CONTRIBUTIONS_DUE, total),
            credit(region, Account.POOLED_FUND, total - share),
            credit(region, Account.ACCOUNT_FUND, share),
        ]
    journal_id = ledger.post(
        uow, Journal("contribution_paid", f"paid:{key}", paid_on, f"缴费征收 {key}", net(legs))
    )
    bound = {**params, "paid_day": paid_on, "journal": journal_id, "stamp": uow.clock.now()}
    for write in writes:
        write(bound)
    return journal_id


def _report(
    batch: str, rows: list[dict[str, Any]], paid: bool, journal_ids: Iterable[int]
) -> PostingReport:
    return PostingReport(
        batch,
        len(rows),
        sum(r["employer_part"] for r in rows),
        sum(r["individual_part"] for r in rows),
        sum(r["to_account"] for r in rows),
        paid,
        tuple(journal_ids),
    )


def record_row(
    person_id: int,
    agency_id: int,
    employer_id: int | None,
    region: str,
    period: int,
    entry: int,
    kind: Kind,
    c: Contribution,
    batch: str,
    now: dt.datetime,
    lump_sum: bool = False,
    document_id: int | None = None,
) -> dict[str, Any]:
    """One contribution record as the writer takes it (:func:`write_batch`): the person-month,
    where and by whom, the parts ``c`` as the policy engine split them, and the batch key."""
    return {
        "person_id": person_id,
        "scheme": SCHEME,
        "agency_id": agency_id,
        "employer_id": employer_id,
        "region": region,
        "period": period,
        "entry_no": entry,
        "kind": str(kind),
        "base": c.base,
        "employer_part": c.employer,
        "individual_part": c.individual,
        "to_account": c.to_account,
        "lump_sum": lump_sum,
        "legal_document_id": document_id,
        "reverses_id": None,
        "batch": batch,
        "created_at": now,
    }


# Whether a batch is recorded: one probe of the batch index. Aggregated at once, the question
# cost PostgreSQL 9 ms alone and 37 ms on average under the mixed load (session 16): a nation's
# batches are thousands of rows each, so the planner expects a large batch and starts a parallel
# worker process for every declaration, even though a new batch key finds no row at all.
# An EXISTS, not a LIMIT 1: a limit is a parameter too, and a plan for any limit looked dearer
# than one for LIMIT 1 (planned at every declaration, session 33).
_BATCH_RECORDED = DriverRead(
    select(exists().where(contributions.c.batch == _BATCH).label("recorded"))
)


def _existing_batch(uow: UnitOfWork, batch: str) -> PostingReport | None:
    """The report of ``batch`` if it is recorded already (a retried declaration), else None."""
    probe = _BATCH_RECORDED.first(uow.conn, {"batch": batch})  # one row, true or false
    if probe is None or not probe.recorded:
        return None
    row = uow.conn.execute(
        select(
            func.count(),
            func.sum(contributions.c.employer_part),
            func.sum(contributions.c.individual_part),
            func.sum(contributions.c.to_account),
            func.count(contribution_payments.c.contribution_id),
        )
        .select_from(
            contributions.outerjoin(
                contribution_payments, contribution_payments.c.contribution_id == contributions.c.id
            )
        )
        .where(contributions.c.batch == batch)
    ).one()
    journal_ids = uow.conn.execute(
        select(journals.c.id)
        .where(journals.c.idempotency_key.in_([f"due:{batch}", f"paid:{batch}"]))
        .order_by(journals.c.id)
    ).scalars()
    return PostingReport(
        batch,
        int(row[0]),
        int(row[1]),
        int(row[2]),
        int(row[3]),
        bool(row[4]),
        tuple(int(j) for j in journal_ids),
    )


def write_batch(
    uow: UnitOfWork,
    action: str,
    batch: str,
    out: list[dict[str, Any]],
    paid_on: dt.date | None,
    today: dt.date,
    **details: object,
) -> PostingReport:
    """The bulk writer behind every declaration: the ``out`` records of one ``batch`` (rows of
    :func:`record_row`, checked by the caller), the 核定 journal that makes them receivables and,
    with ``paid_on``, their collection (payments, account entries, the 征收 journal), and one
    audit row for ``action`` — all in the caller's unit of work."""
    _insert_records(uow, out)
    journal_ids = [_declaration_journal(uow, batch, out, paid_on or today)]
    if paid_on is not None:
        journal_ids.append(_pay_batch(uow, batch, paid_on))
    report = _report(batch, out, paid_on is not None, journal_ids)
    _audit(uow, action, report, paid_on=paid_on, **details)
    return report


def _audit(uow: UnitOfWork, action: str, report: PostingReport, **details: object) -> None:
    """One audit row per operation (not per record: the records themselves are immutable)."""
    record(
        uow,
        action,
        "contribution_batch",
        report.batch,
        new={
            "records": report.records,
            "employer_part": report.employer_part,
            "individual_part": report.individual_part,
            "to_account": report.to_account,
            "paid": report.paid,
            **details,
        },
    )
