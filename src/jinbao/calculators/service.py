"""The calculators: parse the inputs as people write them, call the rule, return it explained."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinbao.calculators import inputs as parse
from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.identifiers import Sex
from jinbao.policy import linkage as linkage_rules
from jinbao.policy.explain import Explained
from jinbao.policy.history import parse_history
from jinbao.policy.interest import Method, Portion, credit_interest
from jinbao.policy.parameters import Parameters
from jinbao.policy.pension import monthly_pension
from jinbao.policy.receiving_place import receiving_place as receiving_place_rule
from jinbao.policy.resident import resident_pension as resident_rule
from jinbao.policy.retirement import statutory_retirement
from jinbao.policy.transfer import temporary_account_decision
from jinbao.policy.transfer import transfer_amount as transfer_rule
from jinbao.policy.workdays import add_workdays


def retirement(category: str, born: str, params: Parameters) -> Explained[Any]:
    return statutory_retirement(parse.category(category), parse.year_month(born, "born"), params)


def pension(
    *,
    avg_wage: str,
    index: str,
    years: str,
    account: str,
    age: str,
    retirement_year: int,
    params: Parameters,
    transitional_years: str | None = None,
    coefficient: str | None = None,
) -> Explained[Any]:
    return monthly_pension(
        average_wage=parse.yuan(avg_wage, "avg_wage"),
        index=parse.decimal(index, "index"),
        contribution_months=parse.months(years, "years"),
        account_balance=parse.yuan(account, "account"),
        age_months=parse.months(age, "age"),
        retirement_year=retirement_year,
        params=params,
        transitional_months=parse.months(transitional_years, "transitional_years")
        if transitional_years
        else 0,
        transitional_coefficient=parse.rate(coefficient, "coefficient") if coefficient else None,
    )


def interest(
    *, rate: str, balance: str, credits: str, method: str, year: int | None, params: Parameters
) -> Explained[Any]:
    parsed = parse.credits(credits)
    years = {c.period.year for c in parsed}
    if year is None:
        if len(years) != 1:
            raise InvalidInput(
                "input.year",
                "请给出结息年度（--year），或让记账额都属于同一年。",
                "Give the year, or credits all in one year.",
                field="year",
            )
        year = years.pop()
    try:
        chosen = Method(method)
    except ValueError:
        raise InvalidInput(
            "input.method",
            "结息方法为 annual（年度计算法）或 monthly（月积数法）。",
            "method is annual or monthly.",
            field="method",
        ) from None
    portion = (
        Portion.FROM_2006
        if year >= 2006
        else Portion.Y1998_2005
        if year >= 1998
        else Portion.PRE_1998
    )
    opening = {portion: parse.yuan(balance, "balance")}
    return credit_interest(
        year, parse.rate(rate), opening, parsed, chosen, params.interest_annual_factor().value
    )


def transfer_amount(history: str, params: Parameters) -> Explained[Any]:
    return transfer_rule(parse_history(history), params)


def receiving_place(hukou: str, history: str, params: Parameters) -> Explained[Any]:
    if len(hukou) not in (2, 6) or not hukou.isdigit():
        raise InvalidInput(
            "input.hukou",
            "户籍省份写作两位或六位行政区划代码，如 41。",
            "hukou is a 2- or 6-digit region code, e.g. 41.",
            field="hukou",
        )
    return receiving_place_rule(hukou, parse_history(history), params)


def workdays(start: str, add: int, params: Parameters) -> Explained[Any]:
    try:
        day = dt.date.fromisoformat(start)
    except ValueError:
        raise InvalidInput(
            "input.from", "日期写作 YYYY-MM-DD。", "The date is written YYYY-MM-DD.", field="from"
        ) from None
    return add_workdays(day, add, params)


def temporary_account(
    *,
    sex: str,
    born: str,
    on: str,
    hukou: str,
    new_province: str,
    approved_transfer: bool,
    insured_here_before_2010: bool,
    reached_age_during_gap: bool,
    params: Parameters,
) -> Explained[Any]:
    try:
        the_sex = Sex(sex.upper())
        born_day, on_day = dt.date.fromisoformat(born), dt.date.fromisoformat(on)
    except ValueError:
        raise InvalidInput(
            "input.temporary",
            "性别为 M/F，日期写作 YYYY-MM-DD。",
            "sex is M/F; dates are YYYY-MM-DD.",
        ) from None
    return temporary_account_decision(
        sex=the_sex,
        born=born_day,
        on=on_day,
        hukou_province=hukou,
        new_province=new_province,
        params=params,
        approved_transfer=approved_transfer,
        insured_here_before_2010=insured_here_before_2010,
        reached_age_during_gap=reached_age_during_gap,
    )


def resident_pension(
    *,
    account: str,
    on: str,
    age: int,
    contribution_years: int,
    receiving_other: bool,
    local_top_up: str,
    params: Parameters,
    born: str | None = None,
    province: str = "",
) -> Explained[Any]:
    """With ``born`` (and the province's two digits) the years needed follow the scheme's
    transition (国发〔2014〕8号 第七条); without, the rule's 15."""
    try:
        day = dt.date.fromisoformat(on)
        birth = dt.date.fromisoformat(born) if born else None
    except ValueError:
        raise InvalidInput(
            "input.date", "日期写作 YYYY-MM-DD。", "Dates are written YYYY-MM-DD.", field="on"
        ) from None
    if province and not (len(province) >= 2 and province[:2].isdigit()):
        raise InvalidInput(
            "input.province", "省份写作行政区划代码前两位，如 41。",
            "The province is the first two digits of its code, e.g. 41.", field="province",
        )  # fmt: skip
    return resident_rule(
        account_balance=parse.yuan(account, "account"),
        on=day,
        age_years=age,
        contribution_years=contribution_years,
        params=params,
        receiving_other_pension=receiving_other,
        local_top_up=parse.yuan(local_top_up, "local_top_up"),
        born=birth,
        province=province,
    )


def linkage(
    *, employee_years: str, resident_years: str, employee_account: str, resident_account: str
) -> Explained[Any]:
    return linkage_rules.scheme_linkage(
        employee_months=parse.months(employee_years, "employee_years"),
        resident_months=parse.months(resident_years, "resident_years"),
        employee_account=parse.yuan(employee_account, "employee_account"),
        resident_account=parse.yuan(resident_account, "resident_account"),
    )
