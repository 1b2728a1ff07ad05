"""Ledger use cases: post (idempotent), reverse, two-phase transfers, reports and the check.

Never commits: the caller's unit of work does, so a journal is written with the records it pays
for or not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, case, extract, func, insert, select, update

from jinbao.db.bulk import insert_rows, is_integrity_error, keys_in, new_ids
from jinbao.db.dml import driver_insert_unless_taken, parent_with_children
from jinbao.db.driver import DriverRead, DriverWrite
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.ledger.model import Account, Journal, Posting, check_balanced, credit, debit, reversal
from jinbao.ledger.tables import journals, pending_transfers, postings

# Built once, as the statements below (see db/README.md), and run on the driver's cursor
# (jinbao.db.driver): every journal writes its row and its postings.
_INSERT_POSTINGS = DriverWrite(insert(postings))
# From this many postings a journal's lines are written by the bulk path (COPY on PostgreSQL)
# instead of one INSERT each: a declaration's or a generated nation's batch has a pair or five
# per region of its persons, a couple of hundred at times, while a transfer's journal has a few
# (and COPY's own round trips cost more than a few INSERTs sent together).
BULK_POSTINGS = 20
_JOURNAL_COLUMNS = ("kind", "idempotency_key", "effective_on", "description", "created_at")
_LINE_COLUMNS = ("region", "account", "amount")
_JOURNAL_BY_KEY = select(journals.c.id).where(journals.c.idempotency_key == bindparam("key"))
# Read four times a transfer: on the driver's cursor (jinbao.db.driver).
_PENDING = DriverRead(
    select(pending_transfers).where(pending_transfers.c.transfer_key == bindparam("key"))
)
_INSERT_PENDING = DriverWrite(insert(pending_transfers))
_CLAIM_PENDING = DriverWrite(
    update(pending_transfers).where(
        pending_transfers.c.transfer_key == bindparam("key"),
        keys_in(pending_transfers.c.state, "from_states", String),
    )
)


def post(uow: UnitOfWork, journal: Journal) -> int:
    """Write a balanced journal and return its id. The same idempotency key with the same
    postings returns the first journal's id (a retry is harmless); with different postings it
    is a conflict."""
    check_balanced(journal)
    row = {
        "kind": journal.kind,
        "idempotency_key": journal.key,
        "effective_on": journal.effective_on,
        "description": journal.description[:200],
        "created_at": uow.clock.now(),
    }
    lines = [
        {"region": p.region, "account": p.account.value, "amount": p.amount}
        for p in journal.postings
    ]
    if len(lines) < BULK_POSTINGS and uow.conn.dialect.name == "postgresql":
        # The journal and its lines in one statement, a round trip fewer: a transfer posts three
        # journals and a declaration two. In one process a four-line journal cost 43 against
        # 88 µs of client CPU, about 60 against 70 µs of PostgreSQL's (session 33).
        written_id = parent_with_children(
            journals, _JOURNAL_COLUMNS, postings, "journal_id", _LINE_COLUMNS, len(lines),
            unless_taken=True,
        ).write(uow.conn, row, lines)  # fmt: skip
        return _taken(uow, journal) if written_id is None else written_id
    written = driver_insert_unless_taken(uow.conn, journals, journals.c.id).first(uow.conn, row)
    if written is None:
        return _taken(uow, journal)
    journal_id = int(written.id)
    if len(lines) >= BULK_POSTINGS:
        insert_rows(
            uow.conn,
            postings,
            ["journal_id", *_LINE_COLUMNS],
            ((journal_id, *line.values()) for line in lines),
        )
        return journal_id
    _INSERT_POSTINGS.run_many(uow.conn, [{"journal_id": journal_id, **line} for line in lines])
    return journal_id


def _taken(uow: UnitOfWork, journal: Journal) -> int:
    """The journal already under ``journal``'s key: a retry gets its id; other postings under
    the key are a conflict."""
    existing = _journal_under(uow, journal.key)
    if sorted(_postings_of(uow, existing)) != sorted(
        (p.region, p.account.value, p.amount) for p in journal.postings
    ):
        raise Conflict(
            "ledger.key_reused",
            f"幂等键 {journal.key} 已用于内容不同的记账凭证。",
            f"Idempotency key {journal.key} was used for a different journal.",
        )
    return existing


def post_many(uow: UnitOfWork, many: Sequence[Journal]) -> list[int]:
    """Write balanced journals under keys not used before and return their ids, in order: the
    ids drawn at once (:func:`new_ids`), then the journals and their postings by the bulk path,
    whatever their number. For a writer that has read what is done before it writes, as the
    payment run has: a key already taken is a conflict (``ledger.key_taken``, the unit of work
    to be rolled back), not a retry returned as by :func:`post`. Two runs of one agency and
    month at once: the second waits for the first's keys, then is refused.

    Measured on a payment run of 20 000 pensioners (PostgreSQL): an ``INSERT … RETURNING`` of
    the journals, sent by SQLAlchemy in batches of VALUES, spent 1.7 of the run's 6 s in
    psycopg splitting each batch's statement of 5 000 parameters (too many for its cache)."""
    if not many:
        return []
    for journal in many:
        check_balanced(journal)
    ids = new_ids(uow.conn, journals, len(many))
    now = uow.clock.now()
    try:
        insert_rows(
            uow.conn,
            journals,
            ["id", "kind", "idempotency_key", "effective_on", "description", "created_at"],
            (
                (journal_id, j.kind, j.key, j.effective_on, j.description[:200], now)
                for journal_id, j in zip(ids, many, strict=True)
            ),
        )
    except Exception as error:  # the only unique key written here is the journal's
        if not is_integrity_error(uow.conn, error):
            raise
        raise Conflict(
            "ledger.key_taken",
            "记账凭证的幂等键已被使用（可能有同一业务正在或已经办理）：本次未写入任何内容，请查明后重试。",
            "A journal's idempotency key is taken (the same business may be under way or done): "
            "nothing was written; find out why before trying again.",
        ) from None
    insert_rows(
        uow.conn,
        postings,
        ["journal_id", "region", "account", "amount"],
        (
            (journal_id, p.region, p.account.value, p.amount)
            for journal_id, j in zip(ids, many, strict=True)
            for p in j.postings
        ),
    )
    return ids


def _journal_under(uow: UnitOfWork, key: str) -> int:
    """The id of the journal posted under an idempotency key known to be taken."""
    return int(uow.conn.execute(_JOURNAL_BY_KEY, {"key": key}).scalar_one())


def _postings_of(uow: UnitOfWork, journal_id: int) -> list[tuple[str, str, int]]:
    rows = uow.conn.execute(
        select(postings.c.region, postings.c.account, postings.c.amount).where(
            postings.c.journal_id == journal_id
        )
    )
    return [(r.region, r.account, int(r.amount)) for r in rows]


def load(uow: UnitOfWork, journal_id: int) -> Journal:
    row = uow.conn.execute(select(journals).where(journals.c.id == journal_id)).first()
    if row is None:
        raise NotFound(
            "ledger.journal_not_found",
            f"记账凭证 {journal_id} 不存在。",
            f"No journal {journal_id}.",
        )
    return Journal(
        row.kind,
        row.idempotency_key,
        row.effective_on,
        row.description,
        tuple(Posting(r, Account(a), v) for r, a, v in _postings_of(uow, journal_id)),
    )


def reverse(uow: UnitOfWork, journal_id: int, on: dt.date, reason: str) -> int:
    """Post the reversing journal of ``journal_id`` (once: a journal is reversed at most once)."""
    original = load(uow, journal_id)
    already = uow.conn.execute(
        select(journals.c.id).where(journals.c.reverses_id == journal_id)
    ).scalar()
    if already is not None:
        return int(already)
    new_id = post(uow, reversal(original, f"reversal:{journal_id}", on, reason))
    uow.conn.execute(update(journals).where(journals.c.id == new_id).values(reverses_id=journal_id))
    return new_id


# ----------------------------------------------------------------------------- pending transfers


@dataclass(frozen=True, slots=True)
class PendingTransfer:
    key: str
    from_region: str
    to_region: str
    pooled: int
    account: int
    state: str
    reserve_journal_id: int  # the phase-one journal (the sender's entries point to it)


def reserve(
    uow: UnitOfWork,
    key: str,
    from_region: str,
    to_region: str,
    pooled: int,
    account: int,
    on: dt.date,
) -> PendingTransfer:
    """Phase one: move the amounts out of the sending region's funds into transfers in transit."""
    if pooled < 0 or account < 0 or pooled + account == 0:
        raise InvalidInput(
            "ledger.transfer_amount", "转移金额必须为正。", "A transfer amount must be positive."
        )
    existing = pending_transfer(uow, key)
    if existing is not None:
        return existing
    total = pooled + account
    journal_id = post(
        uow,
        Journal(
            "transfer_reserve",
            f"reserve:{key}",
            on,
            f"转移基金预留 {key}",
            (
                debit(from_region, Account.POOLED_FUND, pooled),
                debit(from_region, Account.ACCOUNT_FUND, account),
                credit(from_region, Account.TRANSFERS_IN_TRANSIT, total),
            ),
        ),
    )
    _INSERT_PENDING.run(
        uow.conn,
        {
            "transfer_key": key,
            "from_region": from_region,
            "to_region": to_region,
            "pooled_amount": pooled,
            "account_amount": account,
            "state": "pending",
            "reserve_journal_id": journal_id,
            "created_at": uow.clock.now(),
        },
    )
    reserved = PendingTransfer(key, from_region, to_region, pooled, account, "pending", journal_id)
    uow.transaction_memo(_PENDING_KNOWN)[key] = reserved
    return reserved


# The pending transfers a transaction has read or written, by key (None: not on this node). A
# transfer's funds leg reads its transfer to check the slip, then to settle it: once is enough.
# Every change of a pending transfer is made here, in a unit that holds its case's lock
# (jinbao.transfers.cases), so nothing changes it under the transaction meanwhile; and the
# claim of a state (_CLAIM_PENDING) checks the state it leaves in the database regardless.
_PENDING_KNOWN = "ledger.pending_transfers"


def pending_transfer(uow: UnitOfWork, key: str) -> PendingTransfer | None:
    """The ledger transfer under ``key`` as it stands (None: not reserved on this node)."""
    known = uow.transaction_memo(_PENDING_KNOWN)
    if key in known:
        found: PendingTransfer | None = known[key]
        return found
    row = _PENDING.first(uow.conn, {"key": key})
    found = None
    if row is not None:
        found = PendingTransfer(
            row.transfer_key,
            row.from_region,
            row.to_region,
            int(row.pooled_amount),
            int(row.account_amount),
            row.state,
            int(row.reserve_journal_id),
        )
    known[key] = found
    return found


def _settle(
    uow: UnitOfWork,
    current: PendingTransfer,
    state: str,
    journal: Journal,
    from_states: tuple[str, ...],
) -> tuple[PendingTransfer, int | None]:
    """Move ``current`` (as just read) to ``state`` with its journal. Returns the transfer as
    settled and the journal's id — None for a retry of the same outcome, which posts nothing."""
    key = current.key
    if current.state == state:
        return current, None  # a retry of the same outcome
    claim = {"key": key, "from_states": list(from_states), "state": state}
    settled = dataclasses.replace(current, state=state)
    if state == "received":  # the receiving half is not the sending region's final journal
        _claim(uow, current, state, claim)
        journal_id = post(uow, journal)
    else:
        # The journal first, so that the claim sets the state and the final journal in one
        # statement (two updates of the row were a round trip and a row version more, session
        # 32). If the claim fails, the Conflict rolls the unit back, the journal with it.
        journal_id = post(uow, journal)
        _claim(uow, current, state, {**claim, "final_journal_id": journal_id})
    uow.transaction_memo(_PENDING_KNOWN)[key] = settled
    return settled, journal_id


def _claim(uow: UnitOfWork, current: PendingTransfer, state: str, values: dict[str, Any]) -> None:
    """Move the pending transfer from the states it may leave to ``state``, or refuse."""
    if _CLAIM_PENDING.run(uow.conn, values) != 1:
        raise Conflict(
            "ledger.transfer_settled",
            f"转移 {current.key} 已{STATE_ZH[current.state]}，不能再{STATE_ZH[state]}。",
            f"Transfer {current.key} is already {current.state}; it cannot be {state}.",
        )


def _pending_or_not_found(uow: UnitOfWork, key: str) -> PendingTransfer:
    found = pending_transfer(uow, key)
    if found is None:
        raise NotFound(
            "ledger.transfer_not_found", f"没有预留的转移 {key}。", f"No pending transfer {key}."
        )
    return found


STATE_ZH = {"pending": "预留", "received": "到账", "posted": "入账", "voided": "作废"}


def receive_transfer(
    uow: UnitOfWork, key: str, to_region: str, pooled: int, account: int, on: dt.date
) -> int:
    """The receiving region's half: the money is in its bank and goes into its funds. Where the
    reservation is on this node too, it is marked received at once, so the sending side can no
    longer void it; across nodes the sending half follows the completion notice. Returns the
    journal id (a retry returns the same journal)."""
    total = pooled + account
    journal = Journal(
        "transfer_receive",
        f"receive:{key}",
        on,
        f"转移基金到账入账 {key}",
        (
            debit(to_region, Account.BANK, total),
            credit(to_region, Account.POOLED_FUND, pooled),
            credit(to_region, Account.ACCOUNT_FUND, account),
        ),
    )
    current = pending_transfer(uow, key)
    if current is None:
        return post(uow, journal)
    _, journal_id = _settle(uow, current, "received", journal, ("pending",))
    if journal_id is None:  # a retry: the journal of the first time
        journal_id = _journal_under(uow, journal.key)
    return int(journal_id)


def post_transfer(uow: UnitOfWork, key: str, on: dt.date) -> PendingTransfer:
    """The sending region's half, once the receiver confirmed (办结): the money in transit has
    left its bank."""
    t = _pending_or_not_found(uow, key)
    total = t.pooled + t.account
    settled, _ = _settle(
        uow,
        t,
        "posted",
        Journal(
            "transfer_post",
            f"post:{key}",
            on,
            f"转移基金划出 {key}",
            (
                debit(t.from_region, Account.TRANSFERS_IN_TRANSIT, total),
                credit(t.from_region, Account.BANK, total),
            ),
        ),
        ("pending", "received"),
    )
    return settled


def void_transfer(uow: UnitOfWork, key: str, on: dt.date) -> PendingTransfer:
    """Phase two, the other way: a refusal or timeout returns the money to the sending funds —
    only while the receiver has not taken it."""
    t = _pending_or_not_found(uow, key)
    settled, _ = _settle(
        uow,
        t,
        "voided",
        Journal(
            "transfer_void",
            f"void:{key}",
            on,
            f"转移基金预留作废 {key}",
            (
                debit(t.from_region, Account.TRANSFERS_IN_TRANSIT, t.pooled + t.account),
                credit(t.from_region, Account.POOLED_FUND, t.pooled),
                credit(t.from_region, Account.ACCOUNT_FUND, t.account),
            ),
        ),
        ("pending",),
    )
    return settled


# ----------------------------------------------------------------------------- reports


@dataclass(frozen=True, slots=True)
class BalanceLine:
    region: str
    account: str
    debits: int
    credits: int

    @property
    def balance(self) -> int:
        return self.debits - self.credits

    def as_dict(self) -> dict[str, object]:
        return {
            "region": self.region,
            "account": self.account,
            "debits": self.debits,
            "credits": self.credits,
            "balance": self.balance,
        }


def trial_balance(uow: UnitOfWork, as_of: dt.date | None = None) -> list[BalanceLine]:
    """Debit and credit totals per region and account (试算平衡表); the balances sum to zero."""
    stmt = (
        select(
            postings.c.region,
            postings.c.account,
            func.sum(case((postings.c.amount > 0, postings.c.amount), else_=0)).label("debits"),
            func.sum(case((postings.c.amount < 0, -postings.c.amount), else_=0)).label("credits"),
        )
        .select_from(postings.join(journals, postings.c.journal_id == journals.c.id))
        .group_by(postings.c.region, postings.c.account)
        .order_by(postings.c.region, postings.c.account)
    )
    if as_of is not None:
        stmt = stmt.where(journals.c.effective_on <= as_of)
    return [
        BalanceLine(r.region, r.account, int(r.debits), int(r.credits))
        for r in uow.conn.execute(stmt)
    ]


@dataclass(frozen=True, slots=True)
class FundMonth:
    region: str
    month: str  # YYYY-MM
    income: int  # credited to the funds (contributions; transfers in)
    expenditure: int  # debited from the funds (refunds, transfers out, benefits)
    balance: int  # funds' credit balance at the end of the month

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


FUND_ACCOUNTS = (Account.POOLED_FUND.value, Account.ACCOUNT_FUND.value)


def fund_report(uow: UnitOfWork, region: str | None = None) -> list[FundMonth]:
    """Income, expenditure and balance of the pension funds per region and month (基金收支).

    Region ``None`` gives every region; use :func:`national` to add them up (一本账).
    Interest credited to personal accounts moves money between the two funds and is neither.
    """
    year_of = extract("year", journals.c.effective_on)
    month_of = extract("month", journals.c.effective_on)
    rows = uow.conn.execute(
        select(
            postings.c.region,
            year_of,
            month_of,
            func.sum(case((postings.c.amount < 0, -postings.c.amount), else_=0)),
            func.sum(case((postings.c.amount > 0, postings.c.amount), else_=0)),
        )
        .select_from(postings.join(journals, postings.c.journal_id == journals.c.id))
        .where(
            postings.c.account.in_(FUND_ACCOUNTS),
            journals.c.kind != "interest",
            *([postings.c.region == region] if region else []),
        )
        .group_by(postings.c.region, year_of, month_of)
    )
    per = {
        (r, f"{int(y):04d}-{int(m):02d}"): (int(income), int(spent))
        for r, y, m, income, spent in rows
    }
    out: list[FundMonth] = []
    running: dict[str, int] = defaultdict(int)
    for (reg, month), (income, spent) in sorted(per.items()):
        running[reg] += income - spent
        out.append(FundMonth(reg, month, income, spent, running[reg]))
    return out


def national(months: list[FundMonth]) -> list[FundMonth]:
    """The one national ledger: every region's months added up."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for m in months:
        totals[m.month][0] += m.income
        totals[m.month][1] += m.expenditure
    out, running = [], 0
    for month, (income, spent) in sorted(totals.items()):
        running += income - spent
        out.append(FundMonth("000000", month, income, spent, running))
    return out
