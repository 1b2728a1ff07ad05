"""Statutory retirement age and date under the 2024 reform, flexible bounds, minimum years.

Legal basis: 《全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定》(2024-09-13) and
《国务院关于渐进式延迟法定退休年龄的办法》第一条、第二条 and 附件1–4; 《实施弹性退休制度暂行办法》
(人社部、中组部、财政部, 2025-01-01). POLICY §7.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jinbao.kernel.periods import YearMonth, format_age_zh, format_years_months_zh
from jinbao.policy.explain import Explained, Explainer, Source
from jinbao.policy.parameters import Parameters

DECISION = Source(
    "《全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定》", "(2024-09-13)"
)
MEASURES = Source("《国务院关于渐进式延迟法定退休年龄的办法》", "第一条")
MINIMUM = Source("《国务院关于渐进式延迟法定退休年龄的办法》", "第二条、附件4")
FLEXIBLE = Source("《实施弹性退休制度暂行办法》", "(2025-01-01)")


class Category(StrEnum):
    MALE = "male"  # 男职工
    FEMALE_55 = "female_55"  # 原法定退休年龄五十五周岁的女职工
    FEMALE_50 = "female_50"  # 原法定退休年龄五十周岁的女职工


CATEGORY_ZH = {
    Category.MALE: "男职工",
    Category.FEMALE_55: "原55岁女职工",
    Category.FEMALE_50: "原50岁女职工",
}


@dataclass(frozen=True, slots=True)
class Retirement:
    category: Category
    born: YearMonth
    original_age_months: int
    delay_months: int
    age_months: int  # 改革后法定退休年龄, in months
    statutory_month: YearMonth  # 改革后退休时间
    earliest_month: YearMonth  # 弹性提前退休 earliest (= statutory if the reform gives none)
    latest_month: YearMonth  # 弹性延迟退休 latest
    early_notice_by: YearMonth  # tell the employer in writing by this month to retire earliest
    late_agreement_by: YearMonth  # agree a late retirement in writing by this month
    minimum_months: int  # 最低缴费年限 for retiring at the statutory month


def statutory_retirement(
    category: Category, born: YearMonth, params: Parameters
) -> Explained[Retirement]:
    """Statutory retirement age and month for a birth month, with the flexible bounds.

    办法 第一条: from 2025-01, men and women originally at 55 retire one month later for every
    four months of birth, up to 63 and 58; women originally at 50 one month later for every two
    months, up to 55. The delay (DERIVED from 第一条, POLICY §7.3) is
    ``min(cap, (original retirement month − 2025-01) // step + 1)`` when the original retirement
    month is 2025-01 or later, else 0. Flexible retirement (决定): up to 3 years earlier but not
    below the original age, up to 3 years later; notice 3 months before early retirement and a
    written agreement 1 month before late retirement (暂行办法).
    """
    rule_param = params.retirement_rule(category.value)
    rule = rule_param.value
    x = Explainer(
        "retirement.statutory",
        f"法定退休年龄（{CATEGORY_ZH[category]}，{born.year}年{born.month}月出生）",
        f"Statutory retirement age ({category.value}, born {born})",
        (DECISION, MEASURES, FLEXIBLE, MINIMUM),
    )
    x.param("original_age", rule.original_age, rule_param.status, rule_param.source)
    x.param("step_months", rule.step_months, rule_param.status, rule_param.source)
    x.param("max_delay_months", rule.max_delay_months, rule_param.status, rule_param.source)
    original_age = rule.original_age * 12
    original_month = born.plus(original_age)
    start = params.reform_start()
    x.step(
        f"原法定退休年龄{rule.original_age}岁，原退休时间{original_month}。",
        f"Original age {rule.original_age}; original retirement month {original_month}.",
    )
    if original_month < start:
        delay = 0
        x.step(
            f"原退休时间早于{start}，不延迟。",
            f"The original retirement month is before {start}: no delay.",
        )
    else:
        elapsed = start.months_until(original_month)
        delay = min(rule.max_delay_months, elapsed // rule.step_months + 1)
        x.step(
            f"自{start}起每{rule.step_months}个月延迟1个月：{elapsed}÷{rule.step_months}取整+1，"
            f"上限{rule.max_delay_months}个月，延迟{delay}个月。",
            f"One month later for every {rule.step_months} months since {start}: "
            f"{elapsed}//{rule.step_months}+1, capped at {rule.max_delay_months}: {delay} months.",
        )
    age = original_age + delay
    statutory = born.plus(age)
    x.step(
        f"改革后法定退休年龄{format_age_zh(age)}，退休时间{statutory}。",
        f"Statutory age {age // 12} years {age % 12} months; retirement month {statutory}.",
    )
    flex = params.flexible_retirement()
    if statutory < start:
        earliest = latest = statutory
        x.step("改革前退休，无弹性退休。", "Retirement before the reform: no flexible retirement.")
    else:
        earliest = max(statutory.plus(-flex.value["max_early_months"]), original_month)
        latest = statutory.plus(flex.value["max_late_months"])
        x.param("max_early_months", flex.value["max_early_months"], flex.status, flex.source)
        x.param("max_late_months", flex.value["max_late_months"], flex.status, flex.source)
        x.step(
            f"弹性提前最早{earliest}（提前不超过3年且不低于原法定退休年龄），弹性延迟最晚{latest}。",
            f"Earliest flexible early retirement {earliest} (at most 3 years early, not below "
            f"the original age); latest flexible late retirement {latest}.",
        )
    early_notice = earliest.plus(-flex.value["early_notice_months"])
    late_agreement = statutory.plus(-flex.value["late_notice_months"])
    x.step(
        f"选择提前退休须至少提前3个月书面告知单位（最早退休须在{early_notice}前告知）；"
        f"延迟退休须提前1个月书面明确（{late_agreement}前）。",
        f"Early retirement needs written notice 3 months ahead (by {early_notice} for the "
        f"earliest); late retirement a written agreement 1 month ahead (by {late_agreement}).",
    )
    minimum = params.minimum_contribution_months(statutory.year)
    x.param(f"minimum_months[{statutory.year}]", minimum.value, minimum.status, minimum.source)
    x.step(
        f"{statutory.year}年退休的最低缴费年限为{format_years_months_zh(minimum.value)}。",
        f"Minimum contribution for retiring in {statutory.year}: {minimum.value} months.",
    )
    return x.done(
        Retirement(
            category, born, original_age, delay, age, statutory, earliest, latest,
            early_notice, late_agreement, minimum.value,
        )
    )  # fmt: skip


def minimum_contribution_for(
    actual: YearMonth, statutory: YearMonth, params: Parameters
) -> Explained[int]:
    """The 最低缴费年限 (months) that applies to a retirement in month ``actual``.

    Early retirement: the minimum of the year of actual retirement. Late retirement: the minimum
    of the year the statutory age is reached (成都人社局 worked example, POLICY §7.2). Otherwise the
    statutory year's.
    """
    x = Explainer(
        "retirement.minimum_contribution",
        "适用的最低缴费年限",
        "The minimum contribution period that applies",
        (MINIMUM, Source("成都市人社局 worked example", "", "secondary, POLICY §7.2")),
    )
    year = actual.year if actual < statutory else statutory.year
    reason_zh = "提前退休按实际退休年份" if actual < statutory else "按达到法定退休年龄的年份"
    reason_en = (
        "early: the year of actual retirement"
        if actual < statutory
        else ("the year the statutory age is reached")
    )
    minimum = params.minimum_contribution_months(year)
    x.param(f"minimum_months[{year}]", minimum.value, minimum.status, minimum.source)
    x.step(
        f"{reason_zh}（{year}年）：{format_years_months_zh(minimum.value)}。",
        f"{reason_en} ({year}): {minimum.value} months.",
    )
    return x.done(minimum.value)
