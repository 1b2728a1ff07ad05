"""Scheme linkage (城乡养老保险制度衔接), duplicate relationships and duplicate benefits.

Legal basis: 人社部发〔2014〕17号《城乡养老保险制度衔接暂行办法》 第三条 (direction, at the employee
statutory age: ≥ 15 years of employee contributions → resident to employee, else employee to
resident), 第五条/第六条 (what moves), 第七条 (overlapping months count for the employee scheme
only; the resident individual contributions and collective subsidies for them are refunded),
第八条 (no double pension). 人社部发〔2009〕187号 意见 三 and 人社部发〔2010〕70号 第十条 (先转后清:
keep one relation, refund the others' personal account). 人社部规〔2016〕5号 五 and 人社厅发〔2021〕77号
(duplicate pensions). POLICY §2.2, §2.3, §2.5, §4.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.money import Fen, format_yuan, round_to_fen
from jinbao.kernel.periods import YearMonth, format_years_months_zh
from jinbao.policy.explain import Explained, Explainer, Source

LINKAGE = Source("人社部发〔2014〕17号", "《城乡养老保险制度衔接暂行办法》")
OPINION = Source("人社部发〔2009〕187号", "意见 三")
CLEAN = Source("人社部发〔2010〕70号", "第十条")
MIN_EMPLOYEE_MONTHS = 180


class Direction(StrEnum):
    RESIDENT_TO_EMPLOYEE = "resident_to_employee"  # 城乡居民 → 城镇职工
    EMPLOYEE_TO_RESIDENT = "employee_to_resident"  # 城镇职工 → 城乡居民


@dataclass(frozen=True, slots=True)
class Linkage:
    direction: Direction
    account_moved: Fen  # the whole account of the scheme left
    employee_months: int  # after linkage
    resident_months: int  # after linkage


def scheme_linkage(
    *,
    employee_months: int,
    resident_months: int,
    employee_account: Fen,
    resident_account: Fen,
    already_receiving: bool = False,
) -> Explained[Linkage]:
    """Which way the linkage goes and what moves (17号 第三条、第五条、第六条).

    ``employee_months`` includes extended contributions (含延长缴费至15年), measured at the
    employee statutory retirement age.
    """
    x = Explainer("linkage.direction", "城乡养老保险制度衔接", "Scheme linkage", (LINKAGE,))
    if already_receiving:
        raise Conflict(
            "linkage.already_receiving", "已按规定领取养老保险待遇的人员，不再办理制度衔接（17号）。",
            "A person already drawing a pension no longer links schemes (17号).",
        )  # fmt: skip
    if min(employee_months, resident_months, employee_account, resident_account) < 0:
        raise InvalidInput(
            "linkage.negative", "年限和金额不能为负。", "Months and amounts cannot be negative."
        )
    if employee_months >= MIN_EMPLOYEE_MONTHS:
        x.step(
            f"职工缴费年限 {format_years_months_zh(employee_months)} 满15年：从城乡居民转入城镇职工（第三条）。",
            f"{employee_months} employee months ≥ 180: resident → employee (第三条).",
        )
        x.step(
            f"城乡居民个人账户 {format_yuan(resident_account)} 元全部并入职工个人账户；居民缴费年限不合并、不折算（第五条）。",
            f"The resident account {format_yuan(resident_account)} joins the employee account; resident years are not counted (第五条).",
        )
        return x.done(Linkage(Direction.RESIDENT_TO_EMPLOYEE, resident_account, employee_months, 0))
    x.step(
        f"职工缴费年限 {format_years_months_zh(employee_months)} 不满15年：从城镇职工转入城乡居民（第三条）。",
        f"{employee_months} employee months < 180: employee → resident (第三条).",
    )
    x.step(
        f"职工个人账户 {format_yuan(employee_account)} 元并入居民个人账户；职工缴费年限合并计算为居民缴费年限（第六条）。",
        f"The employee account {format_yuan(employee_account)} joins the resident account; employee years count as resident years (第六条).",
    )
    return x.done(
        Linkage(
            Direction.EMPLOYEE_TO_RESIDENT, employee_account, 0, resident_months + employee_months
        )
    )


@dataclass(frozen=True, slots=True)
class ResidentYear:
    year: int
    individual: Fen  # 个人缴费
    collective: Fen  # 集体补助


@dataclass(frozen=True, slots=True)
class OverlapRefund:
    months: int
    refund: Fen
    by_year: dict[int, tuple[int, Fen]]


def overlap_refund(
    employee_months: set[YearMonth], resident_years: list[ResidentYear]
) -> Explained[OverlapRefund]:
    """Months paid in both schemes count for the employee scheme only; refund the resident part.

    17号 第七条 counts the overlap by month; a resident year's contribution is yearly, so the refund
    for ``m`` overlapping months is (individual + collective) × m / 12, rounded half up to the fen
    (DERIVED: the monthly share of a yearly payment). Government subsidies are not refunded.
    """
    x = Explainer(
        "linkage.overlap",
        "重复缴费时段清退",
        "Refund of overlapping months",
        (Source("人社部发〔2014〕17号", "第七条"),),
    )
    by_year: dict[int, tuple[int, Fen]] = {}
    for ry in resident_years:
        months = sum(1 for m in employee_months if m.year == ry.year)
        if not months:
            continue
        refund = round_to_fen(Decimal(ry.individual + ry.collective) * months / 12)
        by_year[ry.year] = (months, refund)
        x.step(
            f"{ry.year}年重复{months}个月：退还（个人缴费 {format_yuan(ry.individual)} + 集体补助 {format_yuan(ry.collective)}）× {months}/12 = {format_yuan(refund)} 元；这{months}个月只计职工缴费年限。",
            f"{ry.year}: {months} overlapping months: refund ({format_yuan(ry.individual)} + {format_yuan(ry.collective)}) × {months}/12 = {format_yuan(refund)}; they count for the employee scheme only.",
        )
    total = Fen(sum(r for _, r in by_year.values()))
    months = sum(m for m, _ in by_year.values())
    if not by_year:
        x.step("没有重复缴费时段。", "No overlapping months.")
    return x.done(OverlapRefund(months, total, by_year))


@dataclass(frozen=True, slots=True)
class HeldRelation:
    place: str
    account_balance: Fen
    months: set[YearMonth]


@dataclass(frozen=True, slots=True)
class DuplicateSettlement:
    kept: str
    refunds: dict[str, Fen]  # place → personal-account balance refunded to the person
    months_counted: int  # each month once


def settle_duplicate_relations(
    relations: list[HeldRelation], keep: str
) -> Explained[DuplicateSettlement]:
    """先转后清: keep the relation agreed with the person, clear the others and refund their
    personal accounts; months held twice count once (187号 意见 三; 70号 第十条)."""
    x = Explainer(
        "linkage.duplicates",
        "重复参保清理（先转后清）",
        "Duplicate relations (transfer first, then clear)",
        (OPINION, CLEAN),
    )
    places = [r.place for r in relations]
    if keep not in places or len(relations) < 2:
        raise InvalidInput(
            "duplicates.keep",
            "须在两个以上关系中指定保留的一个。",
            "Name the one relation to keep among two or more.",
            field="keep",
        )
    refunds = {r.place: r.account_balance for r in relations if r.place != keep}
    months = set().union(*(r.months for r in relations))
    x.step(
        f"与本人协商保留 {keep} 的基本养老保险关系和个人账户。",
        f"Keep the relation at {keep}, as agreed with the person.",
    )
    for place, amount in refunds.items():
        x.step(
            f"清理 {place} 的关系，个人账户储存额 {format_yuan(amount)} 元退还本人。",
            f"Clear {place}; refund its account {format_yuan(amount)}.",
        )
    x.step(
        f"同期缴费年限不重复计算：共 {len(months)} 个月。",
        f"Months held twice count once: {len(months)} months.",
    )
    return x.done(DuplicateSettlement(keep, refunds, len(months)))


class BenefitPair(StrEnum):
    EMPLOYEE_AND_RESIDENT = "employee_and_resident"
    RESIDENT_AND_RESIDENT = "resident_and_resident"
    EMPLOYEE_AND_EMPLOYEE = "employee_and_employee"


def duplicate_benefits(pair: BenefitPair) -> Explained[str]:
    """Which pension stays when a person draws two (17号 第八条; 5号 五; 94号; 77号)."""
    x = Explainer("linkage.duplicate_benefits", "重复领取养老金处理", "Duplicate pensions",
                  (Source("人社部发〔2014〕17号", "第八条"), Source("人社部规〔2016〕5号", "五"), Source("人社厅发〔2021〕77号")))  # fmt: skip
    if pair is BenefitPair.EMPLOYEE_AND_RESIDENT:
        x.step("保留职工养老保险待遇，终止城乡居民养老保险关系；除政府补贴外的居民个人账户余额退还本人，已领取的居民基础养老金应退还（不退还的从账户余额或职工养老金中抵扣）。",
               "Keep the employee pension; end the resident relation; refund the resident account except government subsidies; the resident basic pension drawn is repaid (or deducted).")  # fmt: skip
        return x.done("employee")
    if pair is BenefitPair.RESIDENT_AND_RESIDENT:
        x.step(
            "保留首次领取地的城乡居民养老保险关系，清退非首次领取地（77号）。",
            "Keep the resident relation of the first place that paid; clear the other (77号).",
        )
        return x.done("first_place")
    x.step("与本人协商保留一个关系继续领取，其他关系清理，个人账户剩余部分一次性退还；部规5号下发后重复领取的待遇应予退还（5号 五；94号）。",
           "Keep one relation as agreed; clear the others and refund their remaining accounts; pensions drawn twice after 5号 are repaid (5号 五; 94号).")  # fmt: skip
    return x.done("negotiated")
