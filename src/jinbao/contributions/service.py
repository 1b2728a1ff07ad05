"""Contribution use cases: declare (bulk), pay, flexible workers, back-pay, refund, arrears.

Every use case writes its records, the account entries and the ledger journal in the caller's
unit of work, so money and records are written together or not at all. Nothing is updated or
deleted: a correction is a reversal record with its reversing journal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    Row,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import aliased

from jinbao.accounts.tables import account_entries
from jinbao.contributions.model import (
    Kind,
    LegalDocument,
    Record,
    check_lump_sum_document,
    period_int,
    period_of,
)
from jinbao.contributions.tables import contribution_payments, contributions, legal_documents
from jinbao.db.bulk import insert_rows, key_table
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, Issue, NotFound
from jinbao.kernel.identifiers import parse_resident_id, parse_uscc
from jinbao.kernel.money import Fen, format_yuan
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, Posting, credit, debit, net, region_of
from jinbao.ledger.tables import journals
from jinbao.policy.contributions import (
    BaseLimits,
    Contribution,
    Rates,
    employee_rates,
    flexible_rates,
    limits_for,
    split,
)
from jinbao.policy.interest import Portion
from jinbao.policy.parameters import Parameters
from jinbao.registry.tables import agencies, employers, persons, relationships

CHUNK = 1000
SCHEME = "enterprise"
EARLIEST = YearMonth(1998, 1)


@dataclass(frozen=True, slots=True)
class DeclarationRow:
    row: int  # where it came from: the file's row number, or the position in a request
    employer_uscc: str
    period: YearMonth
    id_number: str
    wage: Fen


@dataclass(frozen=True, slots=True)
class PostingReport:
    batch: str
    records: int
    employer_part: int
    individual_part: int
    to_account: int
    paid: bool
    journal_ids: tuple[int, ...]

    @property
    def total(self) -> int:
        return self.employer_part + self.individual_part


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rejected(issues: list[Issue]) -> InvalidInput:
    return InvalidInput(
        "declaration.rejected",
        f"申报有{len(issues)}处错误，未记录任何缴费。请按行修正后重新申报。",
        f"The declaration has {len(issues)} problem(s); nothing was recorded. Fix the rows listed and declare again.",
        issues=sorted(issues, key=lambda i: i.row or 0),
    )


# ----------------------------------------------------------------------------- lookups in bulk


def _employers(uow: UnitOfWork, usccs: Iterable[str]) -> dict[str, tuple[int, int, str | None]]:
    """uscc → (employer id, agency id, agency region code)."""
    out: dict[str, tuple[int, int, str | None]] = {}
    for chunk in _chunks(sorted(set(usccs))):
        rows = uow.conn.execute(
            select(
                employers.c.uscc,
                employers.c.id,
                agencies.c.id.label("agency_id"),
                agencies.c.region_code,
            )
            .select_from(employers.join(agencies, employers.c.agency_id == agencies.c.id))
            .where(employers.c.uscc.in_(chunk))
        )
        out.update({r.uscc: (r.id, r.agency_id, r.region_code) for r in rows})
    return out


def _persons(uow: UnitOfWork, numbers: Iterable[str]) -> dict[str, int]:
    with key_table(uow.conn, numbers, String) as keys:
        rows = uow.conn.execute(
            select(persons.c.id_number, persons.c.id).join(keys, keys.c.k == persons.c.id_number)
        )
        return {r.id_number: r.id for r in rows}


def _enrolled(uow: UnitOfWork, keys: Table) -> dict[int, set[int | None]]:
    """person id (in ``keys``) → employers (None = enrolled as a flexible worker) with a
    contributing relation."""
    out: dict[int, set[int | None]] = defaultdict(set)
    rows = uow.conn.execute(
        select(relationships.c.person_id, relationships.c.employer_id)
        .join(keys, keys.c.k == relationships.c.person_id)
        .where(relationships.c.scheme == SCHEME, relationships.c.status == "contributing")
    )
    for person_id, employer_id in rows:
        out[person_id].add(employer_id)
    return out


@dataclass(frozen=True, slots=True)
class _Slot:
    active: bool
    next_entry: int
    agency_id: int | None


def _slots(uow: UnitOfWork, keys: Table, periods: Iterable[int]) -> dict[tuple[int, int], _Slot]:
    """The state of each (person in ``keys``, month): is a record in force, and the next entry."""
    rows = uow.conn.execute(
        select(
            contributions.c.person_id,
            contributions.c.period,
            func.sum(case((contributions.c.kind == Kind.REVERSAL.value, -1), else_=1)).label("net"),
            func.max(contributions.c.entry_no).label("last"),
            func.max(contributions.c.agency_id).label("agency_id"),
        )
        .join(keys, keys.c.k == contributions.c.person_id)
        .where(contributions.c.scheme == SCHEME, contributions.c.period.in_(sorted(set(periods))))
        .group_by(contributions.c.person_id, contributions.c.period)
    )
    return {
        (r.person_id, r.period): _Slot(int(r.net) > 0, int(r.last) + 1, r.agency_id) for r in rows
    }


def _slots_of(
    uow: UnitOfWork, person_ids: Iterable[int], periods: Iterable[int]
) -> dict[tuple[int, int], _Slot]:
    with key_table(uow.conn, person_ids, Integer) as keys:
        return _slots(uow, keys, periods)


# ----------------------------------------------------------------------------- writing


_COLUMNS = [c.name for c in contributions.columns if c.name != "id"]


def _insert_records(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Bulk insert (COPY or executemany, no RETURNING: what follows selects the batch back
    set-wise by its batch key)."""
    insert_rows(uow.conn, contributions, _COLUMNS, ([r[c] for c in _COLUMNS] for r in rows))


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


def _pay_where(uow: UnitOfWork, key: str, where: Any, paid_on: dt.date) -> int:
    """征收 of the records selected by ``where``: money in the bank, receivables cleared, pooled
    and account funds credited (one journal), a payment row per record and each person's
    account credited with its share — all written set-wise by the database."""
    legs: list[Posting] = []
    totals = uow.conn.execute(
        select(
            contributions.c.region,
            func.sum(contributions.c.employer_part + contributions.c.individual_part),
            func.sum(contributions.c.to_account),
        )
        .where(where)
        .group_by(contributions.c.region)
    ).all()
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
    uow.conn.execute(
        insert(contribution_payments).from_select(
            ["contribution_id", "paid_on", "journal_id"],
            select(
                contributions.c.id, literal(paid_on, Date), literal(journal_id, BigInteger)
            ).where(where),
        )
    )
    uow.conn.execute(
        insert(account_entries).from_select(
            [
                "person_id",
                "scheme",
                "region",
                "portion",
                "kind",
                "period",
                "effective_on",
                "amount",
                "journal_id",
                "source",
                "created_at",
            ],
            select(
                contributions.c.person_id,
                contributions.c.scheme,
                contributions.c.region,
                _PORTION,
                literal("contribution", String),
                contributions.c.period,
                literal(paid_on, Date),
                contributions.c.to_account,
                literal(journal_id, BigInteger),
                literal("contribution:", String) + cast(contributions.c.id, String),
                literal(uow.clock.now(), DateTime(timezone=True)),
            ).where(where, contributions.c.to_account != 0),
        )
    )
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


def _record_row(
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
    return {
        "person_id": person_id,
        "scheme": SCHEME,
        "agency_id": agency_id,
        "employer_id": employer_id,
        "region": region,
        "period": period,
        "entry_no": entry,
        "kind": kind.value,
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


# ----------------------------------------------------------------------------- declarations


class _Rules:
    """Rates and base limits, computed once per month and province for a whole batch."""

    def __init__(self, params: Parameters) -> None:
        self.params = params
        self._rates: dict[YearMonth, Rates] = {}
        self._flex: dict[YearMonth, Rates] = {}
        self._limits: dict[tuple[str, YearMonth], BaseLimits] = {}

    def rates(self, period: YearMonth) -> Rates:
        if period not in self._rates:
            self._rates[period] = employee_rates(period, self.params)
        return self._rates[period]

    def flexible(self, period: YearMonth) -> Rates:
        if period not in self._flex:
            self._flex[period] = flexible_rates(period, self.params)
        return self._flex[period]

    def limits(self, region: str, period: YearMonth) -> BaseLimits:
        key = (region, period)
        if key not in self._limits:
            self._limits[key] = limits_for(region, period, self.params)
        return self._limits[key]


def declare(
    uow: UnitOfWork,
    rows: Sequence[DeclarationRow],
    *,
    batch: str,
    params: Parameters,
    paid_on: dt.date | None = None,
) -> PostingReport:
    """Record an employer's monthly declaration (月度申报), all rows or none.

    Each row: the employee's wage → base clamped into [60%, 300%] of the province's average →
    employer and individual parts at the rates in force → one record per person and month.
    With ``paid_on`` the amounts are collected at once; otherwise they stay due (arrears).
    """
    if not rows:
        raise _rejected(
            [
                Issue(
                    "declaration.empty",
                    "申报没有任何数据行。",
                    "The declaration has no rows.",
                    row=1,
                )
            ]
        )
    done = _existing_batch(uow, batch)
    if done is not None:
        return done  # a retried declaration: the same batch key is recorded once
    today = uow.clock.today()
    this_month = YearMonth.of(today)
    if paid_on is not None and paid_on > today:
        raise InvalidInput(
            "declaration.paid_on_future",
            "缴费日期不能晚于今天。",
            "The payment date cannot be in the future.",
            field="paid_on",
        )
    rules = _Rules(params)
    employer_map = _employers(uow, (r.employer_uscc for r in rows))
    person_map = _persons(uow, (r.id_number for r in rows))
    with key_table(uow.conn, person_map.values(), Integer) as person_keys:
        enrolled = _enrolled(uow, person_keys)
        slots = _slots(uow, person_keys, (period_int(r.period) for r in rows))
    issues: list[Issue] = []
    seen: dict[tuple[str, int], int] = {}
    out: list[dict[str, Any]] = []
    now = uow.clock.now()

    def problem(row: int, field: str, code: str, zh: str, en: str) -> None:
        issues.append(Issue(code, zh, en, field=field, row=row))

    for r in rows:
        employer = employer_map.get(r.employer_uscc)
        person_id = person_map.get(r.id_number)
        period = period_int(r.period)
        if employer is None:
            problem(
                r.row,
                "employer_uscc",
                "employer.unknown",
                f"单位{r.employer_uscc}未参保登记。",
                f"No employer {r.employer_uscc} is registered.",
            )
            continue
        if person_id is None:
            problem(
                r.row,
                "id_number",
                "person.not_found",
                f"公民身份号码{r.id_number}未参保登记。",
                f"No person {r.id_number} is registered.",
            )
            continue
        if not EARLIEST <= r.period <= this_month:
            problem(
                r.row,
                "period",
                "declaration.period",
                f"申报所属期{r.period}须在1998-01至本月之间；以前月份请办理补缴。",
                f"The period {r.period} must be from 1998-01 to this month; earlier months are back-payments.",
            )
            continue
        if r.wage <= 0:
            problem(
                r.row,
                "wage",
                "declaration.wage",
                "缴费工资必须大于0。",
                "The wage must be positive.",
            )
            continue
        employer_id, agency_id, region_code = employer
        if region_code is None:
            problem(
                r.row,
                "employer_uscc",
                "declaration.no_region",
                "单位所在经办机构没有行政区划，不能征收。",
                "The employer's agency has no region.",
            )
            continue
        if employer_id not in enrolled.get(person_id, set()):
            problem(
                r.row,
                "id_number",
                "declaration.not_enrolled",
                f"{r.id_number}在该单位没有参保缴费状态的参保关系。",
                f"{r.id_number} has no contributing relationship with this employer.",
            )
            continue
        first = seen.get((r.id_number, period))
        if first is not None:
            problem(
                r.row,
                "id_number",
                "declaration.duplicate_row",
                f"{r.id_number}的{r.period}在第{first}行已申报。",
                f"{r.id_number} for {r.period} is already in row {first}.",
            )
            continue
        seen[(r.id_number, period)] = r.row
        slot = slots.get((person_id, period))
        if slot is not None and slot.active:
            problem(
                r.row,
                "period",
                "contribution.duplicate_month",
                f"{r.id_number}的{r.period}已有缴费记录，同一险种同一月份只能有一条（如需更正请先退收）。",
                f"{r.id_number} already has a record for {r.period}; one record per person, scheme and month (refund it first to correct).",
            )
            continue
        region = region_of(region_code)
        try:
            limits = rules.limits(region, r.period)
            rates = rules.rates(r.period)
        except InvalidInput as exc:
            problem(r.row, "period", exc.code, exc.zh, exc.en)
            continue
        base = Fen(min(max(r.wage, limits.floor), limits.cap))
        out.append(
            _record_row(
                person_id,
                agency_id,
                employer_id,
                region,
                period,
                slot.next_entry if slot else 0,
                Kind.EMPLOYEE,
                split(base, rates),
                batch,
                now,
            )
        )
    if issues:
        raise _rejected(issues)
    return _write_and_maybe_pay(uow, batch, out, paid_on, today)


def _existing_batch(uow: UnitOfWork, batch: str) -> PostingReport | None:
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
    if not row[0]:
        return None
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


def _write_and_maybe_pay(
    uow: UnitOfWork, batch: str, out: list[dict[str, Any]], paid_on: dt.date | None, today: dt.date
) -> PostingReport:
    _insert_records(uow, out)
    journal_ids = [_declaration_journal(uow, batch, out, paid_on or today)]
    if paid_on is not None:
        journal_ids.append(_pay_where(uow, batch, contributions.c.batch == batch, paid_on))
    return _report(batch, out, paid_on is not None, journal_ids)


_reversal = aliased(contributions)


def _in_force(*conditions: Any) -> Any:
    """Records in force: not reversals, and not reversed."""
    return (
        select(contributions)
        .outerjoin(_reversal, _reversal.c.reverses_id == contributions.c.id)
        .where(contributions.c.kind != Kind.REVERSAL.value, _reversal.c.id.is_(None), *conditions)
    )


def pay(uow: UnitOfWork, employer_uscc: str, period: YearMonth, paid_on: dt.date) -> PostingReport:
    """Collect what an employer owes for a month (its arrears for that month)."""
    employer = _employers(uow, [employer_uscc]).get(employer_uscc)
    if employer is None:
        raise NotFound(
            "employer.not_found",
            f"单位{employer_uscc}未参保登记。",
            f"No employer {employer_uscc}.",
        )
    if paid_on > uow.clock.today():
        raise InvalidInput(
            "declaration.paid_on_future",
            "缴费日期不能晚于今天。",
            "The payment date cannot be in the future.",
            field="paid_on",
        )
    unpaid = _unpaid(
        uow,
        contributions.c.employer_id == employer[0],
        contributions.c.period == period_int(period),
    )
    if not unpaid:
        raise Conflict(
            "contribution.nothing_due",
            f"单位{employer_uscc}在{period}没有欠缴。",
            f"Employer {employer_uscc} owes nothing for {period}.",
        )
    rows = [dict(r._mapping) for r in unpaid]
    key = f"{employer_uscc}:{period}:{paid_on}:{min(r['id'] for r in rows)}"
    journal_id = _pay_where(uow, key, contributions.c.id.in_([r["id"] for r in rows]), paid_on)
    return _report(key, rows, True, [journal_id])


def _unpaid(uow: UnitOfWork, *conditions: Any) -> list[Row[Any]]:
    stmt = (
        _in_force(*conditions)
        .outerjoin(
            contribution_payments, contribution_payments.c.contribution_id == contributions.c.id
        )
        .where(contribution_payments.c.contribution_id.is_(None))
    )
    return list(uow.conn.execute(stmt.order_by(contributions.c.period, contributions.c.id)))


# ----------------------------------------------------------------------------- flexible workers


def flexible(
    uow: UnitOfWork,
    id_number: str,
    period: YearMonth,
    base: Fen,
    paid_on: dt.date,
    params: Parameters,
) -> PostingReport:
    """A flexible worker (灵活就业人员) pays both parts on a base they chose within the band."""
    rid = parse_resident_id(id_number, today=uow.clock.today())
    person_id = _persons(uow, [rid.number]).get(rid.number)
    if person_id is None:
        raise NotFound(
            "person.not_found",
            f"公民身份号码{rid.number}未参保登记。",
            f"No person {rid.number} is registered.",
        )
    relation = uow.conn.execute(
        select(relationships.c.agency_id, agencies.c.region_code)
        .select_from(relationships.join(agencies, relationships.c.agency_id == agencies.c.id))
        .where(
            relationships.c.person_id == person_id,
            relationships.c.scheme == SCHEME,
            relationships.c.status == "contributing",
            relationships.c.employer_id.is_(None),
        )
    ).first()
    if relation is None or relation.region_code is None:
        raise Conflict(
            "contribution.not_flexible",
            "该人员没有以灵活就业身份参保缴费的参保关系。",
            "The person has no contributing relationship as a flexible worker.",
            field="id_number",
        )
    today = uow.clock.today()
    if not EARLIEST <= period <= YearMonth.of(today) or paid_on > today:
        raise InvalidInput(
            "declaration.period",
            "所属期须在1998-01至本月之间，缴费日期不能晚于今天。",
            "The period must be 1998-01 to this month and the payment date not in the future.",
            field="period",
        )
    region = region_of(relation.region_code)
    rules = _Rules(params)
    limits = rules.limits(region, period)
    if not limits.floor <= base <= limits.cap:
        raise InvalidInput(
            "contribution.flexible_base",
            f"灵活就业人员缴费基数须在 {format_yuan(limits.floor)} 至 {format_yuan(limits.cap)} 元之间（全口径平均工资的60%至300%）。",
            f"A flexible worker's base must be between {format_yuan(limits.floor)} and {format_yuan(limits.cap)} yuan (60%–300% of the average wage).",
            field="base",
        )
    slot = _slots_of(uow, [person_id], [period_int(period)]).get((person_id, period_int(period)))
    if slot is not None and slot.active:
        raise Conflict(
            "contribution.duplicate_month",
            f"{rid.number}的{period}已有缴费记录。",
            f"{rid.number} already has a record for {period}.",
            field="period",
        )
    batch = f"flexible:{rid.number}:{period}:{slot.next_entry if slot else 0}"
    row = _record_row(
        person_id,
        relation.agency_id,
        None,
        region,
        period_int(period),
        slot.next_entry if slot else 0,
        Kind.FLEXIBLE,
        split(base, rules.flexible(period)),
        batch,
        uow.clock.now(),
    )
    return _write_and_maybe_pay(uow, batch, [row], paid_on, today)


# ----------------------------------------------------------------------------- back-payments


@dataclass(frozen=True, slots=True)
class BackPayment:
    id_number: str
    start: YearMonth
    end: YearMonth
    wage: Fen
    paid_on: dt.date
    employer_uscc: str | None = None  # None: paid as an individual (flexible worker rates)
    document: LegalDocument | None = None


def back_pay(uow: UnitOfWork, cmd: BackPayment, params: Parameters) -> PostingReport:
    """补缴 past months, at each month's rates; 3 years or more at once is a lump sum that needs
    its legal document (人社厅发〔2019〕94号)."""
    today = uow.clock.today()
    rid = parse_resident_id(cmd.id_number, today=today)
    if cmd.end < cmd.start or cmd.start < EARLIEST or cmd.end >= YearMonth.of(today):
        raise InvalidInput(
            "backpay.period",
            "补缴期间须在1998-01至上月之间，且起止有序。",
            "Back-payment months run from 1998-01 to last month, start before end.",
            field="start",
        )
    if cmd.paid_on > today:
        raise InvalidInput(
            "declaration.paid_on_future",
            "缴费日期不能晚于今天。",
            "The payment date cannot be in the future.",
            field="paid_on",
        )
    months = cmd.start.months_until(cmd.end) + 1
    lump_sum = check_lump_sum_document(months, cmd.paid_on, cmd.document)
    person_id = _persons(uow, [rid.number]).get(rid.number)
    if person_id is None:
        raise NotFound(
            "person.not_found",
            f"公民身份号码{rid.number}未参保登记。",
            f"No person {rid.number} is registered.",
        )
    employer_id: int | None = None
    if cmd.employer_uscc:
        found = _employers(uow, [parse_uscc(cmd.employer_uscc)]).get(parse_uscc(cmd.employer_uscc))
        if found is None:
            raise NotFound(
                "employer.not_found",
                f"单位{cmd.employer_uscc}未参保登记。",
                f"No employer {cmd.employer_uscc}.",
            )
        employer_id, agency_id, region_code = found
    else:
        relation = uow.conn.execute(
            select(relationships.c.agency_id, agencies.c.region_code)
            .select_from(relationships.join(agencies, relationships.c.agency_id == agencies.c.id))
            .where(relationships.c.person_id == person_id, relationships.c.scheme == SCHEME)
            .order_by(relationships.c.started_on.desc())
        ).first()
        if relation is None:
            raise Conflict(
                "backpay.no_relationship",
                "该人员没有企业职工养老保险参保关系，不能补缴。",
                "The person has no enterprise-scheme relationship to back-pay into.",
            )
        agency_id, region_code = relation.agency_id, relation.region_code
    if region_code is None:
        raise InvalidInput(
            "declaration.no_region", "经办机构没有行政区划，不能征收。", "The agency has no region."
        )
    region = region_of(region_code)
    periods = [cmd.start.plus(i) for i in range(months)]
    slots = _slots_of(uow, [person_id], [period_int(p) for p in periods])
    taken = [
        p for p in periods if (s := slots.get((person_id, period_int(p)))) is not None and s.active
    ]
    if taken:
        raise Conflict(
            "contribution.duplicate_month",
            f"以下月份已有缴费记录：{'、'.join(map(str, taken[:12]))}。",
            f"These months already have records: {', '.join(map(str, taken[:12]))}.",
            field="start",
        )
    document_id = None
    if cmd.document is not None:
        document_id = uow.conn.execute(
            insert(legal_documents)
            .values(
                authority=cmd.document.authority.value,
                number=cmd.document.number.strip(),
                issued_on=cmd.document.issued_on,
                created_at=uow.clock.now(),
            )
            .returning(legal_documents.c.id)
        ).scalar_one()
    rules = _Rules(params)
    batch = f"backpay:{rid.number}:{cmd.start}:{cmd.end}:{cmd.paid_on}"
    now = uow.clock.now()
    rows = []
    for p in periods:
        limits = rules.limits(region, p)
        base = Fen(min(max(cmd.wage, limits.floor), limits.cap))
        rates = rules.rates(p) if employer_id is not None else _individual_rates(rules, p)
        slot = slots.get((person_id, period_int(p)))
        rows.append(
            _record_row(
                person_id,
                agency_id,
                employer_id,
                region,
                period_int(p),
                slot.next_entry if slot else 0,
                Kind.BACK_PAYMENT,
                split(base, rates),
                batch,
                now,
                lump_sum,
                document_id,
            )
        )
    return _write_and_maybe_pay(uow, batch, rows, cmd.paid_on, today)


def _individual_rates(rules: _Rules, period: YearMonth) -> Rates:
    """An individual back-paying: the flexible-worker rates where they exist (from 2006), else
    the employee rates (both parts paid by the person)."""
    try:
        return rules.flexible(period)
    except InvalidInput:
        return rules.rates(period)


# ----------------------------------------------------------------------------- refunds


def refund(uow: UnitOfWork, contribution_id: int, on: dt.date, reason: str) -> PostingReport:
    """退收: reverse a record paid in error (money back to the payer, the account debited), or
    cancel an unpaid one. The original stays; a reversal record and journal undo it."""
    row = uow.conn.execute(_in_force(contributions.c.id == contribution_id)).first()
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
                contribution_id=reversal_id, paid_on=on, journal_id=journal_id
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
    return PostingReport(
        f"refund:{contribution_id}",
        1,
        -original["employer_part"],
        -original["individual_part"],
        -original["to_account"],
        payment is not None,
        (journal_id,),
    )


# ----------------------------------------------------------------------------- reading


def _records(uow: UnitOfWork, *conditions: Any) -> list[Record]:
    reversal = aliased(contributions)
    stmt = (
        select(
            contributions,
            persons.c.id_number,
            agencies.c.code.label("agency_code"),
            employers.c.uscc,
            contribution_payments.c.paid_on,
            reversal.c.id.label("reversed_by"),
        )
        .select_from(
            contributions.join(persons, contributions.c.person_id == persons.c.id)
            .join(agencies, contributions.c.agency_id == agencies.c.id)
            .outerjoin(employers, contributions.c.employer_id == employers.c.id)
            .outerjoin(
                contribution_payments, contribution_payments.c.contribution_id == contributions.c.id
            )
            .outerjoin(reversal, reversal.c.reverses_id == contributions.c.id)
        )
        .where(*conditions)
        .order_by(contributions.c.period, contributions.c.entry_no)
    )
    return [
        Record(
            r.id,
            r.id_number,
            period_of(r.period),
            Kind(r.kind),
            r.agency_code,
            r.uscc,
            Fen(r.base),
            Fen(r.employer_part),
            Fen(r.individual_part),
            Fen(r.to_account),
            bool(r.lump_sum),
            r.paid_on,
            r.reversed_by is not None,
            r.reverses_id,
        )
        for r in uow.conn.execute(stmt)
    ]


def history(uow: UnitOfWork, id_number: str) -> list[Record]:
    """Every contribution record of a person, reversals included, oldest month first."""
    return _records(uow, persons.c.id_number == id_number.strip().upper())


def person_arrears(uow: UnitOfWork, id_number: str) -> list[Record]:
    return [
        r
        for r in history(uow, id_number)
        if r.paid_on is None and not r.reversed and r.kind is not Kind.REVERSAL
    ]


def employer_records(uow: UnitOfWork, uscc: str, period: YearMonth | None = None) -> list[Record]:
    conditions = [employers.c.uscc == uscc.strip().upper()]
    if period is not None:
        conditions.append(contributions.c.period == period_int(period))
    return _records(uow, *conditions)


def employer_arrears(uow: UnitOfWork, uscc: str) -> list[Record]:
    return [
        r
        for r in employer_records(uow, uscc)
        if r.paid_on is None and not r.reversed and r.kind is not Kind.REVERSAL
    ]


@dataclass(frozen=True, slots=True)
class Overlap:
    id_number: str
    period: YearMonth
    agencies: tuple[str, ...]
    schemes: tuple[str, ...]


def overlaps(uow: UnitOfWork) -> list[Overlap]:
    """Person-months with records in force at more than one agency or in more than one scheme
    (重复缴费): reported for the transfer to settle (先转后清)."""
    in_force = _in_force().subquery()
    stmt = (
        select(in_force.c.person_id, in_force.c.period)
        .group_by(in_force.c.person_id, in_force.c.period)
        .having(and_(func.count() > 1))
    )
    out = []
    for person_id, period in uow.conn.execute(stmt):
        rows = uow.conn.execute(
            select(persons.c.id_number, agencies.c.code, in_force.c.scheme)
            .select_from(
                in_force.join(persons, in_force.c.person_id == persons.c.id).join(
                    agencies, in_force.c.agency_id == agencies.c.id
                )
            )
            .where(in_force.c.person_id == person_id, in_force.c.period == period)
        ).all()
        out.append(
            Overlap(
                rows[0].id_number,
                period_of(period),
                tuple(sorted({r.code for r in rows})),
                tuple(sorted({r.scheme for r in rows})),
            )
        )
    return out
