"""The monthly basic pension of the enterprise employee scheme (职工基本养老金).

Legal basis: 国发〔2005〕38号《国务院关于完善企业职工基本养老保险制度的决定》 (POLICY §5.1):
- 基础养老金 = (C + Z) ÷ 2 × N × 1%, where C is the province's 上年度在岗职工月平均工资, Z = C × I
  the indexed average wage (I the person's average contribution index) and N the contribution
  years including 视同缴费年限, counted to the month;
- 个人账户养老金 = 个人账户储存额 ÷ 计发月数 (附件 table by retirement age);
- 过渡性养老金 for people insured before the unified system: Z × years before it × a provincial
  coefficient (38号 leaves the formula to provinces; the coefficient is a parameter).
Each part is rounded half up to the fen; the total is their sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import Fen, format_yuan, round_to_fen
from jinbao.kernel.periods import format_years_months_en, format_years_months_zh
from jinbao.policy.explain import Explained, Explainer, Source
from jinbao.policy.parameters import Parameters

DECISION = Source("国发〔2005〕38号", "《国务院关于完善企业职工基本养老保险制度的决定》")
TABLE = Source("国发〔2005〕38号", "附件《个人账户养老金计发月数表》")


@dataclass(frozen=True, slots=True)
class Pension:
    basic: Fen  # 基础养老金
    account: Fen  # 个人账户养老金
    transitional: Fen  # 过渡性养老金
    divisor: Decimal  # 计发月数 used
    eligible: bool  # N ≥ the minimum contribution period that applies

    @property
    def total(self) -> Fen:
        return Fen(self.basic + self.account + self.transitional)


def annuity_divisor(age_months: int, params: Parameters, x: Explainer) -> Decimal:
    """计发月数 for a retirement age in months; fractional ages by the configured method.

    No national rule says how 60岁4个月 picks its divisor (POLICY Part II §4): ``floor`` takes the
    whole years reached; ``linear`` interpolates by month between the neighbouring whole ages,
    rounded half up to 2 decimals.
    """
    years, months = divmod(age_months, 12)
    if not 40 <= years <= 70 or (years == 70 and months):
        raise InvalidInput(
            "pension.age_out_of_table", "计发月数表只覆盖40至70岁。",
            "The annuity table covers ages 40 to 70.", field="age",
        )  # fmt: skip
    low = params.annuity_months(years)
    x.param(f"annuity_months[{years}]", low.value, low.status, low.source)
    if months == 0:
        x.step(f"{years}岁退休，计发月数 {low.value}。", f"Age {years}: divisor {low.value}.")
        return Decimal(low.value)
    method = params.annuity_fractional_method()
    x.param("fractional_age_method", method.value, method.status, method.source)
    if method.value == "linear":
        high = params.annuity_months(years + 1)
        x.param(f"annuity_months[{years + 1}]", high.value, high.status, high.source)
        divisor = (Decimal(low.value) - (Decimal(low.value - high.value) * months / 12)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        x.step(
            f"{years}岁{months}个月：在{low.value}与{high.value}之间按月线性折算，计发月数 {divisor}。",
            f"{years}y{months}m: linear between {low.value} and {high.value}: {divisor}.",
        )
        return divisor
    x.step(
        f"{years}岁{months}个月：按周岁{years}岁查表（参数 floor），计发月数 {low.value}。",
        f"{years}y{months}m: whole years {years} (method floor): divisor {low.value}.",
    )
    return Decimal(low.value)


def monthly_pension(
    *,
    average_wage: Fen,
    index: Decimal,
    contribution_months: int,
    account_balance: Fen,
    age_months: int,
    retirement_year: int,
    params: Parameters,
    transitional_months: int = 0,
    transitional_coefficient: Decimal | None = None,
    coefficient_status: str = "input",
    coefficient_source: str = "provincial parameter (国发〔2005〕38号 leaves it to provinces)",
) -> Explained[Pension]:
    """The monthly pension at retirement: basic, personal-account and transitional parts.

    ``transitional_months``: the years before the unified system (统账结合前, for a 中人 the
    视同缴费年限), with the province's ``transitional_coefficient`` (its status and source, as
    the parameter gives them, go into the explanation)."""
    x = Explainer("pension.monthly", "基本养老金计算", "Monthly basic pension", (DECISION, TABLE))
    if average_wage <= 0 or index < 0 or contribution_months < 0 or account_balance < 0:
        raise InvalidInput(
            "pension.negative_input", "工资、指数、年限和储存额不能为负。",
            "Wage, index, years and balance cannot be negative.",
        )  # fmt: skip
    c = Decimal(average_wage)
    z = c * index
    n_years = Decimal(contribution_months) / 12
    basic = round_to_fen((c + z) / 2 * n_years / 100)
    x.step(
        f"基础养老金 = (C {format_yuan(average_wage)} + Z {format_yuan(round_to_fen(z))}) ÷ 2 × "
        f"N {format_years_months_zh(contribution_months)} × 1% = {format_yuan(basic)} 元"
        f"（Z = C × 平均缴费指数 {index}，N 计算到月、含视同缴费年限）。",
        f"Basic = (C {format_yuan(average_wage)} + Z {format_yuan(round_to_fen(z))}) / 2 × N "
        f"{format_years_months_en(contribution_months)} × 1% = {format_yuan(basic)} "
        f"(Z = C × index {index}; N to the month, deemed years included).",
    )
    divisor = annuity_divisor(age_months, params, x)
    account = round_to_fen(Decimal(account_balance) / divisor)
    x.step(
        f"个人账户养老金 = 储存额 {format_yuan(account_balance)} ÷ {divisor} = {format_yuan(account)} 元。",
        f"Account pension = {format_yuan(account_balance)} / {divisor} = {format_yuan(account)}.",
    )
    transitional = Fen(0)
    if transitional_months:
        if transitional_coefficient is None:
            raise InvalidInput(
                "pension.coefficient_required", "计算过渡性养老金须给出省级过渡系数。",
                "The transitional pension needs the provincial coefficient.",
                field="coefficient",
            )  # fmt: skip
        x.param("transitional_coefficient", transitional_coefficient, coefficient_status,
                coefficient_source)  # fmt: skip
        transitional = round_to_fen(
            z * Decimal(transitional_months) / 12 * transitional_coefficient
        )
        x.step(
            f"过渡性养老金 = Z × 统账结合前缴费年限 {format_years_months_zh(transitional_months)} × "
            f"{transitional_coefficient} = {format_yuan(transitional)} 元。",
            f"Transitional = Z × {format_years_months_en(transitional_months)} before the unified "
            f"system × {transitional_coefficient} = {format_yuan(transitional)}.",
        )
    minimum = params.minimum_contribution_months(retirement_year)
    x.param(f"minimum_months[{retirement_year}]", minimum.value, minimum.status, minimum.source)
    eligible = contribution_months >= minimum.value
    if not eligible:
        x.step(
            f"缴费年限不足最低缴费年限 {format_years_months_zh(minimum.value)}：可延长缴费或一次性缴费"
            "（《国务院关于渐进式延迟法定退休年龄的办法》第二条），否则不能按月领取。",
            f"Below the minimum of {minimum.value} months: extend or pay a lump sum "
            "(办法 第二条) to draw a monthly pension.",
        )
    result = Pension(basic, account, transitional, divisor, eligible)
    x.step(
        f"月基本养老金合计 {format_yuan(result.total)} 元。",
        f"Total monthly pension {format_yuan(result.total)} yuan.",
    )
    return x.done(result)
