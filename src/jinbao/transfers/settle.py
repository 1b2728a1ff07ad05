"""Months held twice, settled at completion: 先转后清 within a scheme (人社部发〔2009〕187号 意见三;
70号 第十条) and overlapping months between the two schemes in a linkage (人社部发〔2014〕17号 第七条)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert, select

from jinbao.audit.service import record
from jinbao.contributions.model import period_of
from jinbao.contributions.service.resident import resident_years
from jinbao.db.uow import UnitOfWork
from jinbao.exchange.model import Document
from jinbao.kernel.money import Fen, format_yuan, round_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit, region_of
from jinbao.policy.interest import Portion
from jinbao.policy.linkage import ResidentYear as PolicyResidentYear
from jinbao.policy.linkage import overlap_refund
from jinbao.policy.parameters import Parameters
from jinbao.transfers import cases
from jinbao.transfers.application import SOURCE_SCHEME
from jinbao.transfers.cases import CaseRow
from jinbao.transfers.records import (
    paid_months,
)
from jinbao.transfers.review import post_entries
from jinbao.transfers.tables import (
    cleared_months,
    transferred_years,
)


def incoming_months(info: Document) -> list[tuple[int, int]]:
    """(line index, YYYYMM) of every paid month the 信息表 brings. A year line is paid from its
    first month for ``months`` months (unpaid months make lines of their own, with 0 months);
    deemed lines are not paid months."""
    out = []
    for i, y in enumerate(info.body["years"]):
        if y.get("kind") == "deemed":
            continue
        start = YearMonth.parse(y["from"])
        out += [(i, start.plus(k).year * 100 + start.plus(k).month) for k in range(y["months"])]
    return out


def duplicate_months(uow: UnitOfWork, row: CaseRow, info: Document) -> list[int]:
    """Months paid here that the 信息表 brings again (重复缴费), YYYYMM, sorted. (A linkage
    joins two schemes: their overlap is 17号 第七条's, settled in :func:`linkage_overlap`.)"""
    if row.kind in SOURCE_SCHEME:
        return []
    here = paid_months(uow, row.person_id, row.scheme, row.agency_id)
    return sorted({p for _, p in incoming_months(info) if p in here})


def clear_duplicates(
    uow: UnitOfWork,
    row: CaseRow,
    info: Document,
    duplicates: set[int],
    keep: str | None,
    on: dt.date,
    params: Parameters,
) -> dict[int, int]:
    """先转后清 (人社部发〔2009〕187号 意见三; 70号 第十条): clear the side not kept for the
    duplicate months — recorded in ``cleared_months`` so they count once everywhere — and refund
    that side's personal-account credits for them to the person (account fund → bank). Returns
    the months cleared per 信息表 line (when the transferred side is cleared).

    Kept here: the transferred months' credits are the line's base × the account share in force
    (8% from 2006, 11% 1998–2005) — DERIVED, the 信息表 carries no monthly credits, and their
    interest is not refunded. Kept transferred: this agency's own credits for those months,
    exact."""
    refunds: dict[Portion, int] = {}
    cleared: list[dict[str, int]] = []
    per_line: dict[int, int] = {}
    if keep == "here":
        whose = row.counterpart_id
        for line, period in incoming_months(info):
            if period not in duplicates:
                continue
            ym = period_of(period)
            share = params.account_share(ym).value
            amount = int(round_to_fen(Decimal(info.body["years"][line]["base"]) * share))
            refunds[Portion.of(ym)] = refunds.get(Portion.of(ym), 0) + amount
            cleared.append({"period": period, "refund": amount})
            per_line[line] = per_line.get(line, 0) + 1
        zh_keep, en_keep = "保留本地缴费，转入的重复月份不计", "kept the months paid here"
    else:
        whose = row.agency_id
        here = paid_months(uow, row.person_id, row.scheme, row.agency_id)
        for period in sorted(duplicates):
            ym = period_of(period)
            refunds[Portion.of(ym)] = refunds.get(Portion.of(ym), 0) + here[period]
            cleared.append({"period": period, "refund": here[period]})
        zh_keep, en_keep = "保留转入的缴费，本地重复月份不计", "kept the transferred months"
    uow.conn.execute(
        insert(cleared_months),
        [
            {
                "case_row_id": row.row_id, "person_id": row.person_id, "scheme": row.scheme,
                "agency_id": whose, **c,
            }
            for c in cleared
        ],
    )  # fmt: skip
    total = sum(refunds.values())
    region = region_of(row.agency_region)
    journal_id = None
    if total:
        journal_id = ledger.post(
            uow,
            Journal(
                "duplicate_refund",
                f"duplicate:{row.case_id}",
                on,
                f"先转后清 {row.case_id}: 重复缴费{len(duplicates)}个月个人账户储存额退还本人",
                (debit(region, Account.ACCOUNT_FUND, total), credit(region, Account.BANK, total)),
            ),
        )
    post_entries(  # paid out to the person; the contribution records themselves stand
        uow, row, region, refunds, -1, "payout", on, journal_id, row.case_id,
        source=f"duplicate:{row.case_id}",
    )  # fmt: skip
    cases.notice(
        uow,
        row.row_id,
        {
            "code": "transfer.duplicate_refund",
            "zh": f"重复缴费{len(duplicates)}个月按“先转后清”清理：{zh_keep}；另一方同期个人账户储存额"
            f"{format_yuan(Fen(total))}元退还本人，缴费年限不重复计算（人社部发〔2009〕187号 意见三）。",
            "en": f"{len(duplicates)} months paid twice, settled 'transfer first, then clear': "
            f"{en_keep}; the other side's account credits for them, {format_yuan(Fen(total))} "
            "yuan, are refunded and the months count once (人社部发〔2009〕187号 意见三).",
        },
    )
    record(
        uow, "transfer.duplicates_cleared", "transfer_case", row.case_id,
        new={"keep": keep, "months": sorted(duplicates), "refund": total},
    )  # fmt: skip
    return per_line


def linkage_overlap(uow: UnitOfWork, row: CaseRow, info: Document, on: dt.date) -> None:
    """17号 第七条: months paid in both schemes count for the employee scheme only; the resident
    scheme's individual and collective payments for them are refunded to the person, by month
    (policy.linkage.overlap_refund), out of the account here. Returns the months that overlap."""
    lines = info.body["years"]
    if row.kind == "linkage_to_resident":  # employee years come in; resident years are here
        employee = {period_of(p) for _, p in incoming_months(info)}
        resident = [
            PolicyResidentYear(y.year, Fen(y.individual), Fen(y.collective))
            for y in resident_years(uow, row.person_id, row.agency_id)
        ]
        resident_agency = row.agency_id
    else:  # resident years come in; the employee years are here, paid or brought by transfers
        employee = {
            period_of(p) for p in paid_months(uow, row.person_id, "enterprise", row.agency_id)
        }
        for first, last in uow.conn.execute(
            select(transferred_years.c.from_period, transferred_years.c.to_period).where(
                transferred_years.c.person_id == row.person_id,
                transferred_years.c.scheme == "enterprise",
                transferred_years.c.agency_id == row.agency_id,
                transferred_years.c.months > 0,
            )
        ):
            start, end = period_of(first), period_of(last)
            employee |= {YearMonth.from_index(i) for i in range(start.index, end.index + 1)}
        resident = [
            PolicyResidentYear(y["year"], Fen(y.get("individual", 0)), Fen(y.get("collective", 0)))
            for y in lines
            if y.get("kind") == "resident"
        ]
        resident_agency = row.counterpart_id
    refund = overlap_refund(employee, resident)
    result = refund.value
    if not result.months:
        return
    region = region_of(row.agency_region)
    cleared = []
    for year, (count, amount) in sorted(result.by_year.items()):
        months = sorted(m for m in employee if m.year == year)
        share, rest = divmod(int(amount), count)
        for i, m in enumerate(months):
            cleared.append(
                {"period": m.year * 100 + m.month, "refund": share + (rest if i == 0 else 0)}
            )
    uow.conn.execute(
        insert(cleared_months),
        [
            {
                "case_row_id": row.row_id, "person_id": row.person_id, "scheme": "resident",
                "agency_id": resident_agency, **c,
            }
            for c in cleared
        ],
    )  # fmt: skip
    journal_id = ledger.post(
        uow,
        Journal(
            "linkage_refund",
            f"linkage-refund:{row.case_id}",
            on,
            f"城乡衔接 {row.case_id}: 重复缴费{result.months}个月城乡居民个人缴费和集体补助退还本人",
            (
                debit(region, Account.ACCOUNT_FUND, int(result.refund)),
                credit(region, Account.BANK, int(result.refund)),
            ),
        ),
    )
    post_entries(
        uow, row, region, {Portion.FROM_2006: result.refund}, -1, "payout", on, journal_id,
        row.case_id, source=f"linkage-refund:{row.case_id}",
    )  # fmt: skip
    steps = refund.explanation.steps
    cases.notice(
        uow,
        row.row_id,
        {
            "code": "linkage.overlap_refund",
            "zh": "".join(step.zh for step in steps) + "（人社部发〔2014〕17号 第七条）",
            "en": " ".join(step.en for step in steps) + " (人社部发〔2014〕17号 第七条)",
        },
    )
