"""Personal-account interest for a year (个人账户年度结息), by both official methods.

Legal basis: 《职工基本养老保险个人账户管理暂行办法》(1997; 劳办发〔1997〕116号, number UNVERIFIED)
for the two methods; 人社部发〔2017〕31号 for the national rate (每年由国家统一公布). POLICY §6.1.

- 年度计算法 (annual): 本年末 = 上年末 × (1 + r) + 本年记账额 × (1 + r × 1.083 × ½)
- 月积数法 (monthly): 本年末 = 上年末 × (1 + r) + 本年记账额 + Σ 第n月记账额 × (12 − n + 1) × r / 12

Each portion of the account (pre-1998 individual part, 1998–2005 at 11%, 2006+ at 8%) earns
interest separately so that a transfer can tell them apart. Interest is rounded once per portion
per year, half up to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import Fen, format_yuan
from jinbao.kernel.periods import YearMonth
from jinbao.policy.explain import Explained, Explainer, Source

METHODS = Source("《职工基本养老保险个人账户管理暂行办法》", "(1997)", "document number UNVERIFIED")
RATE_RULE = Source("人社部发〔2017〕31号", "《统一和规范职工养老保险个人账户记账利率办法》")


class Method(StrEnum):
    ANNUAL = "annual"  # 年度计算法
    MONTHLY = "monthly"  # 月积数法


class Portion(StrEnum):
    PRE_1998 = "pre1998"  # 1998年前个人缴费部分
    Y1998_2005 = "y1998_2005"  # 1998–2005, 11%
    FROM_2006 = "from2006"  # 2006年起, 8%

    @classmethod
    def of(cls, period: YearMonth) -> Portion:
        if period.year < 1998:
            return cls.PRE_1998
        return cls.Y1998_2005 if period.year <= 2005 else cls.FROM_2006


@dataclass(frozen=True, slots=True)
class Credit:
    period: YearMonth
    amount: Fen


@dataclass(frozen=True, slots=True)
class YearEnd:
    balances: dict[Portion, Fen]
    interest: dict[Portion, Fen]

    @property
    def total(self) -> Fen:
        return Fen(sum(self.balances.values()))

    @property
    def total_interest(self) -> Fen:
        return Fen(sum(self.interest.values()))


def year_interest(
    opening: int,
    credits_by_month: list[int],
    rate: Decimal,
    method: Method,
    annual_factor: Decimal = Decimal("1.083"),
) -> Fen:
    """A year's interest on one portion: the single arithmetic of both methods (see the module
    docstring), computed exactly on the rates' fractions and rounded once, half up to the fen.
    ``credits_by_month[0]`` is January's."""
    rn, rd = rate.as_integer_ratio()
    if method is Method.ANNUAL:
        fn, fd = annual_factor.as_integer_ratio()
        numerator = opening * rn * 2 * fd + sum(credits_by_month) * rn * fn
        denominator = rd * 2 * fd
    else:
        month_sum = sum(amount * (12 - i) for i, amount in enumerate(credits_by_month))
        numerator = opening * rn * 12 + month_sum * rn
        denominator = rd * 12
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return Fen(quotient if numerator >= 0 else -quotient)


def credit_interest(
    year: int,
    rate: Decimal,
    opening: dict[Portion, Fen],
    credits: list[Credit],
    method: Method,
    annual_factor: Decimal = Decimal("1.083"),
) -> Explained[YearEnd]:
    """Close a year of a personal account: opening balances plus the year's credits, with interest.

    ``rate`` is the year's 记账利率 (e.g. Decimal("0.0262")); credits must fall in ``year``.
    """
    x = Explainer(
        "account.interest",
        f"{year}年个人账户结息（{'年度计算法' if method is Method.ANNUAL else '月积数法'}）",
        f"Personal-account interest for {year} ({method.value} method)",
        (METHODS, RATE_RULE),
    )
    for credit in credits:
        if credit.period.year != year:
            raise InvalidInput(
                "interest.credit_year",
                f"记账期间{credit.period}不属于{year}年。",
                f"Credit period {credit.period} is not in {year}.",
                field="credits",
            )
    x.param(f"rate[{year}]", rate, "input", "记账利率 (人社部发〔2017〕31号)")
    if method is Method.ANNUAL:
        x.param("annual_factor", annual_factor, "derived", "1.083 = 78/72 (POLICY §6.1)")
    balances: dict[Portion, Fen] = {}
    interest: dict[Portion, Fen] = {}
    portions = sorted(
        set(opening) | {Portion.of(c.period) for c in credits}, key=list(Portion).index
    )
    for portion in portions:
        prior = opening.get(portion, Fen(0))
        mine = [c for c in credits if Portion.of(c.period) is portion]
        principal = sum(c.amount for c in mine)
        by_month = [0] * 12
        for c in mine:
            by_month[c.period.month - 1] += c.amount
        earned = year_interest(prior, by_month, rate, method, annual_factor)
        if method is Method.ANNUAL:
            how_zh = f"本年记账额 {format_yuan(principal)} × {rate} × {annual_factor} × ½"
            how_en = f"credits {format_yuan(principal)} × {rate} × {annual_factor} × ½"
        else:
            month_sum = sum(amount * (12 - i) for i, amount in enumerate(by_month))
            how_zh = f"月积数 {format_yuan(month_sum)} × {rate} ÷ 12"
            how_en = f"month-product {format_yuan(month_sum)} × {rate} / 12"
        interest[portion] = earned
        balances[portion] = Fen(prior + principal + earned)
        x.step(
            f"[{portion.value}] 上年末 {format_yuan(prior)} × {rate} + {how_zh} = 利息 "
            f"{format_yuan(earned)} 元；年末 {format_yuan(balances[portion])} 元。",
            f"[{portion.value}] opening {format_yuan(prior)} × {rate} + {how_en} = interest "
            f"{format_yuan(earned)}; closing {format_yuan(balances[portion])}.",
        )
    result = YearEnd(balances, interest)
    x.step(
        f"合计：年末储存额 {format_yuan(result.total)} 元，利息 {format_yuan(result.total_interest)} 元。",
        f"Total: closing {format_yuan(result.total)}, interest {format_yuan(result.total_interest)}.",
    )
    return x.done(result)
