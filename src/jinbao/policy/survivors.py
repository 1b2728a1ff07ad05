"""遗属待遇: funeral grant and survivor pension when an insured person dies.

人社部发〔2021〕18号《企业职工基本养老保险遗属待遇暂行办法》 (POLICY Part II §10.2; 第五条 as
mirrored, with the worked examples of the 当代工人 article):

- base = the province's previous-year 城镇居民人均可支配收入 ÷ 12 (第四条, 第五条);
- 丧葬补助金 = 2 × base (第四条);
- 抚恤金 = M × base (第五条). The top M_max by the contribution years Y (to the month, 视同
  included; "本条所述缴费年限和领取基本养老金时间计算到月"), 第五条（一）: under 5 years 3 months,
  5 to under 10 years 6, 10 to 15 years (15 included) 9, above 15 one month more for each year,
  30 years and more counted as 30, at most 24: M_max = min(24, 9 + (min(Y, 30) − 15)). A person
  still working (在职人员, 灵活就业 included) gets M_max; a retiree (第五条（二）) M_max less one
  month for each year drawing the pension, at least 9.
- 社会保险法 第十四条: the personal account balance is inherited.

Until session 23 the months under 15 years for a person still working were not in our sources
and such a death was refused, to be set by an operator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import Fen, format_yuan, round_to_fen
from jinbao.kernel.periods import format_years_months_zh
from jinbao.policy.explain import Explained, Explainer, Source
from jinbao.policy.parameters import Parameters

MEASURES = Source("人社部发〔2021〕18号", "《企业职工基本养老保险遗属待遇暂行办法》")
LAW = Source("社会保险法", "第十四条、第十七条")


@dataclass(frozen=True, slots=True)
class Survivors:
    base: Fen  # monthly disposable income
    funeral: Fen
    months: Decimal  # 抚恤金 months, to two decimals
    survivor_pension: Fen
    inheritance: Fen


def survivor_benefits(
    *,
    province: str,
    died_on: dt.date,
    contribution_months: int,
    drawn_months: int | None,
    account_balance: Fen,
    params: Parameters,
) -> Explained[Survivors]:
    """``drawn_months``: months the person drew a pension (None: not retired). A death before
    the measures took effect (2021-09-01) is refused: its survivors are under the province's
    arrangement ("由各省妥善予以处理"), which is not in our sources (the benefits service settles
    such a death without these amounts, saying so)."""
    x = Explainer("survivors", "遗属待遇核定", "Survivor benefits", (MEASURES, LAW))
    in_force = params.survivors("in_force")
    if died_on < in_force.value:
        raise InvalidInput(
            "survivors.before_measures",
            f"死亡日期{died_on}早于人社部发〔2021〕18号施行（{in_force.value}），遗属待遇由各省"
            "妥善予以处理，本系统未载入该省办法，请按本省规定办理。",
            f"The death on {died_on} is before 人社部发〔2021〕18号 took effect ({in_force.value}): "
            "the province's own arrangement applies, which this system does not carry.",
        )
    died_year = died_on.year
    income = params.disposable_income(province, died_year - 1)
    x.param(f"disposable_income[{died_year - 1}]", income.value, income.status, income.source)
    months_rule = params.survivors("survivor_months")
    rule = months_rule.value
    x.param("survivor_months", "第五条", months_rule.status, months_rule.source)
    multiple = params.survivors("funeral_multiple")
    x.param("funeral_multiple", multiple.value, multiple.status, multiple.source)
    base = round_to_fen(Decimal(income.value) / 12)
    funeral = Fen(base * int(multiple.value))
    x.step(
        f"基数 = 上年度城镇居民人均可支配收入 {format_yuan(Fen(income.value))} ÷ 12 = {format_yuan(base)} 元；"
        f"丧葬补助金 = {multiple.value} × 基数 = {format_yuan(funeral)} 元。",
        f"Base = {format_yuan(Fen(income.value))} / 12 = {format_yuan(base)}; funeral grant = "
        f"{multiple.value} × base = {format_yuan(funeral)}.",
    )
    years = Decimal(contribution_months) / 12
    if years <= int(rule["from_years"]):
        # 第五条（一）: "缴费年限不满5年的，发放月数为3个月；…满10年不超过15年（含15年）的，…9个月"
        top = Decimal(max(m for least, m in rule["under_15"] if years >= least))
    else:
        top = min(
            Decimal(int(rule["maximum"])),
            int(rule["minimum"])
            + (min(years, Decimal(int(rule["cap_years"]))) - int(rule["from_years"])),
        )
    months = top
    if drawn_months is not None:
        months = max(Decimal(int(rule["minimum"])), top - Decimal(drawn_months) / 12)
    months = months.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    pension = round_to_fen(Decimal(base) * months)
    drawn = (
        f"，领取养老金{format_years_months_zh(drawn_months)}" if drawn_months is not None else ""
    )
    who = (
        f"第五条（二）退休人员：最高{top}个月，每领取1年养老金减1个月，最少{rule['minimum']}个月"
        if drawn_months is not None
        else f"第五条（一）在职人员：按缴费年限{top}个月"
    )
    x.step(
        f"缴费年限 {format_years_months_zh(contribution_months)}{drawn}：抚恤金 {months} 个月 × 基数 = "
        f"{format_yuan(pension)} 元（{who}，最多{rule['maximum']}个月）。",
        f"{contribution_months} contribution months"
        + (f", {drawn_months} months drawn" if drawn_months is not None else "")
        + f": survivor pension {months} months × base = {format_yuan(pension)} (第五条"
        + (
            f"（二）, a retiree: top {top}, less one a year drawn, at least {rule['minimum']})."
            if drawn_months is not None
            else f"（一）, still working: {top} by the years)."
        ),
    )
    x.step(
        f"个人账户可继承余额 {format_yuan(account_balance)} 元依法继承（社会保险法 第十四条）。",
        f"The inheritable account balance {format_yuan(account_balance)} is inherited (社会保险法 第十四条).",
    )
    return x.done(Survivors(base, funeral, months, pension, account_balance))
