"""城乡居民基本养老保险: contribution tiers, subsidies, eligibility and the monthly pension.

Legal basis: 国发〔2014〕8号《国务院关于建立统一的城乡居民基本养老保险制度的意见》 (POLICY §8):
12 tiers of 100–2000 yuan a year (local governments may add tiers); a subsidy of at least 30
yuan a year (at least 60 for 500 yuan and above: UNVERIFIED); at 60 with 15 years of
contributions, a monthly pension = 基础养老金 (at least the national minimum in force, plus any
local top-up) + 个人账户全部储存额 ÷ 139. National minimum series: 人社部发〔2015〕5号, 〔2020〕67号,
〔2022〕36号, 〔2023〕42号 and the 2024/2025 government work reports (Part II §3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import Fen, format_yuan, round_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.explain import Explained, Explainer, Source
from jinbao.policy.parameters import Param, Parameters

OPINION = Source("国发〔2014〕8号", "《国务院关于建立统一的城乡居民基本养老保险制度的意见》")
MINIMUM = Source(
    "人社部发〔2015〕5号、〔2020〕67号、〔2022〕36号、〔2023〕42号", "", "national minimum series"
)


@dataclass(frozen=True, slots=True)
class ResidentPension:
    eligible: bool
    basic: Fen
    account: Fen

    @property
    def total(self) -> Fen:
        return Fen(self.basic + self.account)


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a person needs to draw the residents' pension (国发〔2014〕8号 第七条)."""

    years: int  # years paid needed: 15, or fewer for one near 60 when the scheme began
    start: dt.date  # the place's scheme began (a pension is paid from no earlier month)


def resident_requirement(
    born: dt.date, province: str, params: Parameters
) -> Explained[Requirement]:
    """The years a person born on ``born`` needs paid, by the transition of 国发〔2014〕8号 第七条 (as
    quoted, parameter ``transition``): already 60 when the place's scheme began, none (the basic
    pension alone); under 15 years from 60 then, the whole years from the start to the 60th
    birthday (DERIVED); else the rule's 15."""
    x = Explainer(
        "resident.requirement",
        "城乡居民养老保险领取条件",
        "Resident-scheme requirement",
        (OPINION,),
    )
    rules = params.resident("eligibility")
    began = params.resident_scheme_start(province)
    start = began.value
    age, full = int(rules.value["age"]), int(rules.value["contribution_years"])
    x.param("eligibility", f"{age}岁/{full}年", rules.status, rules.source)
    x.param(f"transition.scheme_start[{province[:2]}]", str(start), began.status, began.source)
    at_age = YearMonth.of(born).plus(12 * age)
    months_to = YearMonth.of(start).months_until(at_age)
    to_age = months_to // 12
    if months_to <= 0:
        years = 0
        x.step(
            f"制度实施（{start}）时已年满{age}周岁：不用缴费，按月领取基础养老金（国发〔2014〕8号 第七条）。",
            f"Already {age} when the scheme began ({start}): no contributions needed; the basic "
            "pension is paid (国发〔2014〕8号 第七条).",
        )
    elif to_age < full:
        years = to_age
        x.step(
            f"制度实施（{start}）时距{age}周岁不足{full}年（{to_age}年{months_to % 12}个月）：应逐年"
            f"缴费，累计缴费不少于{to_age}年（国发〔2014〕8号 第七条；年限按实施时距领取年龄的整年数）。",
            f"Under {full} years from {age} when the scheme began ({start}): {to_age} years paid "
            "are needed (第七条; the whole years from the start to the age).",
        )
    else:
        years = full
        x.step(
            f"累计缴费须满{full}年（国发〔2014〕8号）。",
            f"{full} years paid are needed (国发〔2014〕8号).",
        )
    return x.done(Requirement(years, start))


def resident_pension(
    *,
    account_balance: Fen,
    on: dt.date,
    age_years: int,
    contribution_years: int,
    params: Parameters,
    receiving_other_pension: bool = False,
    local_top_up: Fen = Fen(0),
    local_parameter: Param[int] | None = None,
    born: dt.date | None = None,
    province: str = "",
) -> Explained[ResidentPension]:
    """Eligibility and the monthly resident pension on ``on``. The local top-up (地方加发) is
    ``local_top_up`` as entered, or the province's parameter in force (``local_parameter``,
    listed with its status and source). With ``born`` (and the ``province`` of the place), the
    years needed are the transition's (:func:`resident_requirement`, its step and parameter in
    the explanation); without, the rule's 15."""
    x = Explainer(
        "resident.pension", "城乡居民养老保险待遇", "Resident-scheme pension", (OPINION, MINIMUM)
    )
    rules = params.resident("eligibility")
    divisor = params.resident("account_divisor")
    minimum = params.resident_minimum_basic_pension(on)
    x.param(
        "eligibility",
        f"{rules.value['age']}岁/{rules.value['contribution_years']}年",
        rules.status,
        rules.source,
    )
    x.param("account_divisor", divisor.value, divisor.status, divisor.source)
    x.param(
        f"minimum_basic_pension[{on}]", format_yuan(minimum.value), minimum.status, minimum.source
    )
    if local_parameter is not None:
        local_top_up = Fen(local_parameter.value)
        x.param(
            f"local_top_up[{on}]", format_yuan(local_top_up), local_parameter.status,
            local_parameter.source,
        )  # fmt: skip
    if account_balance < 0 or local_top_up < 0:
        raise InvalidInput("resident.negative", "金额不能为负。", "Amounts cannot be negative.")
    reasons = []
    if age_years < int(rules.value["age"]):
        reasons.append((f"未满{rules.value['age']}周岁", f"under {rules.value['age']}"))
    needed = int(rules.value["contribution_years"])
    if born is not None:
        requirement = resident_requirement(born, province, params)
        needed = requirement.value.years
        for use in requirement.explanation.parameters:
            x.param(use.name, use.value, use.status, use.source)
        for step in requirement.explanation.steps:
            x.step(step.zh, step.en)
    if contribution_years < needed:
        reasons.append((f"累计缴费不满{needed}年", f"fewer than {needed} years"))
    if receiving_other_pension:
        reasons.append(("已领取国家规定的基本养老保障待遇", "already receives a basic pension"))
    eligible = not reasons
    basic = Fen(minimum.value + local_top_up)
    account = round_to_fen(Decimal(account_balance) / Decimal(divisor.value))
    x.step(
        f"基础养老金 = 全国最低标准 {format_yuan(minimum.value)} + 地方加发 {format_yuan(local_top_up)} = {format_yuan(basic)} 元。",
        f"Basic = national minimum {format_yuan(minimum.value)} + local {format_yuan(local_top_up)} = {format_yuan(basic)}.",
    )
    x.step(
        f"个人账户养老金 = {format_yuan(account_balance)} ÷ {divisor.value} = {format_yuan(account)} 元。",
        f"Account pension = {format_yuan(account_balance)} / {divisor.value} = {format_yuan(account)}.",
    )
    if eligible:
        x.step(
            f"符合按月领取条件，月养老金 {format_yuan(basic + account)} 元。",
            f"Eligible: {format_yuan(basic + account)} a month.",
        )
    else:
        x.step(
            "暂不符合按月领取条件：" + "；".join(r[0] for r in reasons) + "。",
            "Not eligible yet: " + "; ".join(r[1] for r in reasons) + ".",
        )
    return x.done(
        ResidentPension(eligible, basic if eligible else Fen(0), account if eligible else Fen(0))
    )


def contribution_subsidy(
    tier_yuan: int, params: Parameters, local_tiers: tuple[int, ...] = ()
) -> Explained[Fen]:
    """Check a yearly contribution tier and give the minimum government subsidy for it (fen)."""
    x = Explainer(
        "resident.tier",
        f"缴费档次 {tier_yuan} 元",
        f"Contribution tier {tier_yuan} yuan",
        (OPINION,),
    )
    tiers = params.resident("tiers")
    allowed = sorted(set(tiers.value["yuan"]) | set(local_tiers))
    x.param("tiers", "/".join(map(str, tiers.value["yuan"])), tiers.status, tiers.source)
    if tier_yuan not in allowed:
        raise InvalidInput(
            "resident.tier", f"缴费档次须为：{'、'.join(map(str, allowed))}元。",
            f"The tier must be one of {', '.join(map(str, allowed))} yuan.", field="tier",
        )  # fmt: skip
    base = params.resident("subsidy")
    higher = params.resident("subsidy_higher_tier")
    x.param("subsidy_minimum", base.value["minimum_yuan"], base.status, base.source)
    subsidy = int(base.value["minimum_yuan"])
    if tier_yuan >= int(higher.value["from_yuan"]):
        x.param("subsidy_higher_tier", higher.value["minimum_yuan"], higher.status, higher.source)
        subsidy = int(higher.value["minimum_yuan"])
    x.step(
        f"政府缴费补贴不低于每人每年 {subsidy} 元。",
        f"Government subsidy at least {subsidy} yuan a year.",
    )
    return x.done(Fen(subsidy * 100))
