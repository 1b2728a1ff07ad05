"""遗属待遇: funeral grant and survivor pension when an insured person dies.

人社部发〔2021〕18号《企业职工基本养老保险遗属待遇暂行办法》 as quoted (POLICY Part II §10.2;
the formula is DERIVED from the quoted text and its worked example):

- base = the province's previous-year 城镇居民人均可支配收入 ÷ 12;
- 丧葬补助金 = 2 × base;
- 抚恤金 = M × base, where for contribution years Y ≥ 15 (to the month, 视同 included)
  M_max = min(24, 9 + (min(Y, 30) − 15)); a retiree's M = max(9, M_max − years drawing the
  pension, to the month); a person still working, M = M_max. Below 15 years the months for a
  person still working are not in our sources (UNVERIFIED): refused, to be set by an operator.
- 社会保险法 第十四条: the personal account balance is inherited.
"""

from __future__ import annotations

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
    died_year: int,
    contribution_months: int,
    drawn_months: int | None,
    account_balance: Fen,
    params: Parameters,
) -> Explained[Survivors]:
    """``drawn_months``: months the person drew a pension (None: not retired)."""
    x = Explainer("survivors", "遗属待遇核定", "Survivor benefits", (MEASURES, LAW))
    income = params.disposable_income(province, died_year - 1)
    x.param(f"disposable_income[{died_year - 1}]", income.value, income.status, income.source)
    rule = params.survivors("survivor_months").value
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
    if years < int(rule["from_years"]):
        if drawn_months is None:
            raise InvalidInput(
                "survivors.under_15_years",
                "在职人员缴费不满15年的抚恤金月数未在依据中找到，须由经办人按本省规定核定。",
                "The months for a person still working with under 15 years are not in our "
                "sources; an operator sets them by the provincial rule.",
            )
        top = Decimal(int(rule["minimum"]))
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
    x.step(
        f"缴费年限 {format_years_months_zh(contribution_months)}{drawn}：抚恤金 {months} 个月 × 基数 = "
        f"{format_yuan(pension)} 元（最多{rule['maximum']}个月，最少{rule['minimum']}个月）。",
        f"{contribution_months} contribution months"
        + (f", {drawn_months} months drawn" if drawn_months is not None else "")
        + f": survivor pension {months} months × base = {format_yuan(pension)}.",
    )
    x.step(
        f"个人账户可继承余额 {format_yuan(account_balance)} 元依法继承（社会保险法 第十四条）。",
        f"The inheritable account balance {format_yuan(account_balance)} is inherited (社会保险法 第十四条).",
    )
    return x.done(Survivors(base, funeral, months, pension, account_balance))
