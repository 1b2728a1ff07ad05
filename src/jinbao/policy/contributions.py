"""Contribution bases and amounts for employees and flexible workers; account share by era.

Legal basis: 国发〔1997〕26号 (unified system, 11% account 1998–2005); 国发〔2005〕38号 (8% account
from 2006, flexible workers 20% with 8% to the account); 《降低社会保险费率综合方案》(2019:
employer 16%, base band 60%–300% of the provincial all-sector average wage). POLICY §5.3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import Fen, format_yuan, rate_fraction, round_to_fen, times_fraction
from jinbao.kernel.periods import YearMonth
from jinbao.policy.explain import Explained, Explainer, Source
from jinbao.policy.parameters import Parameters

FEE_CUT = Source("《降低社会保险费率综合方案》", "(2019)")
DECISION_2005 = Source("国发〔2005〕38号")
DECISION_1997 = Source("国发〔1997〕26号")
PRE_1998 = YearMonth(1998, 1)


@dataclass(frozen=True, slots=True)
class BaseLimits:
    floor: Fen
    cap: Fen


@dataclass(frozen=True, slots=True)
class Contribution:
    base: Fen
    employer: Fen  # 单位缴费
    individual: Fen  # 个人缴费
    to_account: Fen  # 记入个人账户
    to_pool: Fen  # 划入统筹基金


FEE_CUT_START = YearMonth(2019, 5)


def _wage_kind(period: YearMonth) -> str:
    """The average the band is taken on: 在岗职工平均工资 before the 2019 方案, 全口径 after."""
    return "base_wage" if period >= FEE_CUT_START else "benefit_wage"


def limits_for(province: str, period: YearMonth, params: Parameters) -> BaseLimits:
    """The floor and cap in force (fast path for bulk declarations; same arithmetic)."""
    floor_share, cap_share = params.base_limits(period).value
    wage = params.average_wage(_wage_kind(period), province, period.year - 1).value
    return BaseLimits(
        round_to_fen(Decimal(wage) * floor_share), round_to_fen(Decimal(wage) * cap_share)
    )


def base_limits(province: str, period: YearMonth, params: Parameters, x: Explainer) -> BaseLimits:
    """60% and 300% of the province's all-sector average monthly wage of the previous year."""
    shares = params.base_limits(period)
    wage = params.average_wage(_wage_kind(period), province, period.year - 1)
    x.param("base_limits", f"{shares.value[0]}–{shares.value[1]}", shares.status, shares.source)
    x.param(
        f"{_wage_kind(period)}[{province[:2]},{period.year - 1}]",
        format_yuan(wage.value),
        wage.status,
        wage.source,
    )
    limits = limits_for(province, period, params)
    floor, cap = limits.floor, limits.cap
    x.step(
        f"缴费基数下限 = {format_yuan(wage.value)} × {shares.value[0]} = {format_yuan(floor)} 元，"
        f"上限 = × {shares.value[1]} = {format_yuan(cap)} 元。",
        f"Base floor {format_yuan(floor)}, cap {format_yuan(cap)} yuan "
        f"({shares.value[0]} and {shares.value[1]} of {format_yuan(wage.value)}).",
    )
    return limits


def clamp_base(wage: Fen, province: str, period: YearMonth, params: Parameters) -> Explained[Fen]:
    """An employee's contribution base: the declared wage, clamped into [60%, 300%] (2019 方案)."""
    x = Explainer("contribution.base", "缴费基数核定", "Contribution base", (FEE_CUT,))
    limits = base_limits(province, period, params, x)
    base = Fen(min(max(wage, limits.floor), limits.cap))
    if base != wage:
        x.step(
            f"申报工资 {format_yuan(wage)} 元超出上下限，按 {format_yuan(base)} 元核定。",
            f"Declared wage {format_yuan(wage)} is outside the band: base {format_yuan(base)}.",
        )
    else:
        x.step(
            f"申报工资 {format_yuan(wage)} 元在上下限之内。",
            "The declared wage is within the band.",
        )
    return x.done(base)


@dataclass(frozen=True, slots=True)
class Rates:
    """The rates in force for a month: what a bulk declaration computes with, once per month."""

    employer: Decimal
    individual: Decimal
    account_share: Decimal | None  # None before 1998: the individual part is what counts


def employee_rates(period: YearMonth, params: Parameters) -> Rates:
    share = None if period < PRE_1998 else params.account_share(period).value
    return Rates(params.employer_rate(period).value, params.individual_rate(period).value, share)


def flexible_rates(period: YearMonth, params: Parameters) -> Rates:
    total, account = params.flexible_rates(period).value
    return Rates(Decimal(0), total, account)


def split(base: Fen, rates: Rates) -> Contribution:
    """The parts of one month's contribution on ``base`` — the single arithmetic behind both the
    explained calculation and the bulk paths (:func:`splitter`), so they can never disagree.
    Each part is rounded half up to the fen (:func:`jinbao.kernel.money.times_fraction`)."""
    return splitter(rates)(base)


def splitter(rates: Rates) -> Callable[[Fen], Contribution]:
    """:func:`split` at fixed ``rates``, for a bulk path's loop: the rates' exact fractions are
    worked out once, and a base seen before (most of a payroll sits at the floor or the cap, or
    on a few wages) is not computed again."""
    employer_rate = rate_fraction(rates.employer)
    individual_rate = rate_fraction(rates.individual)
    share = None if rates.account_share is None else rate_fraction(rates.account_share)
    done: dict[int, Contribution] = {}

    def split_base(base: Fen) -> Contribution:
        found = done.get(base)
        if found is None:
            employer = times_fraction(base, *employer_rate)
            individual = times_fraction(base, *individual_rate)
            account = individual if share is None else times_fraction(base, *share)
            found = done[base] = Contribution(
                base, employer, individual, account, Fen(employer + individual - account)
            )
        return found

    return split_base


def employee_contribution(
    base: Fen, period: YearMonth, params: Parameters
) -> Explained[Contribution]:
    """Employer and individual parts for one month, and the share credited to the account.

    The account share is the era's: before 1998 only the individual part (as the transfer rule
    reads it, 国办发〔2009〕66号 第四条); 1998–2005 11% of the base (国发〔1997〕26号); from 2006 8%,
    all of it the individual part (国发〔2005〕38号).
    """
    x = Explainer(
        "contribution.employee", f"{period} 职工缴费核定", f"Employee contribution for {period}",
        (DECISION_1997, DECISION_2005, FEE_CUT),
    )  # fmt: skip
    employer_rate = params.employer_rate(period)
    individual_rate = params.individual_rate(period)
    x.param("employer_rate", employer_rate.value, employer_rate.status, employer_rate.source)
    x.param(
        "individual_rate", individual_rate.value, individual_rate.status, individual_rate.source
    )
    _account_share(period, params, x)
    result = split(base, employee_rates(period, params))
    employer, individual, account = result.employer, result.individual, result.to_account
    x.step(
        f"单位缴费 {format_yuan(base)} × {employer_rate.value} = {format_yuan(employer)} 元；"
        f"个人缴费 × {individual_rate.value} = {format_yuan(individual)} 元；"
        f"记入个人账户 {format_yuan(account)} 元。",
        f"Employer {format_yuan(employer)}, individual {format_yuan(individual)}, "
        f"to the personal account {format_yuan(account)} yuan.",
    )
    return x.done(result)


def _account_share(period: YearMonth, params: Parameters, x: Explainer) -> None:
    if period < PRE_1998:
        x.step("1998年前只计个人缴费部分。", "Before 1998 only the individual part counts.")
        return
    share = params.account_share(period)
    x.param(f"account_share[{period}]", share.value, share.status, share.source)


def flexible_contribution(
    base: Fen, province: str, period: YearMonth, params: Parameters
) -> Explained[Contribution]:
    """A flexible worker's monthly contribution on a base they choose between 60% and 300%.

    国发〔2005〕38号: 20%, of which 8% to the personal account; both paid by the person. The base
    must lie in the band (2019 方案: 可以在…60%至300%之间选择适当的缴费基数).
    """
    x = Explainer(
        "contribution.flexible", f"{period} 灵活就业人员缴费", f"Flexible worker, {period}",
        (DECISION_2005, FEE_CUT),
    )  # fmt: skip
    limits = base_limits(province, period, params, x)
    if not limits.floor <= base <= limits.cap:
        raise InvalidInput(
            "contribution.flexible_base",
            f"灵活就业人员缴费基数须在 {format_yuan(limits.floor)} 至 {format_yuan(limits.cap)} 元之间。",
            f"A flexible worker's base must be between {format_yuan(limits.floor)} and "
            f"{format_yuan(limits.cap)} yuan.",
            field="base",
        )
    rates = params.flexible_rates(period)
    total_rate, account_rate = rates.value
    x.param("flexible_rate", total_rate, rates.status, rates.source)
    x.param("flexible_account_rate", account_rate, rates.status, rates.source)
    result = split(base, flexible_rates(period, params))
    total, account = result.individual, result.to_account
    x.step(
        f"缴费 {format_yuan(base)} × {total_rate} = {format_yuan(total)} 元，"
        f"其中记入个人账户 × {account_rate} = {format_yuan(account)} 元。",
        f"Pays {format_yuan(total)} yuan; {format_yuan(account)} to the personal account.",
    )
    return x.done(result)
