"""``jinbao policy …``: each rule of the policy engine, printed with its explanation.

Chinese by default, ``--lang en`` for English, ``--json`` for ``{"result", "explanation"}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

from jinbao.calculators import service
from jinbao.calculators.inputs import parameters
from jinbao.calculators.results import explained_json
from jinbao.cli.common import JsonOption, guard, read_file, settings
from jinbao.kernel.clock import SystemClock
from jinbao.policy.explain import Explained
from jinbao.policy.parameters import Parameters

app = typer.Typer(
    help="政策计算 The policy engine's calculators, each with its legal basis.",
    no_args_is_help=True,
)
LangOption = Annotated[str, typer.Option("--lang", help="zh (default) or en")]


def _calculate(rule: Callable[[Parameters], Explained[Any]], as_json: bool, lang: str) -> None:
    result = guard(lambda: rule(parameters(settings().parameters_dir)), as_json=as_json)
    if as_json:
        typer.echo(json.dumps(explained_json(result), ensure_ascii=False, indent=2))
    else:
        typer.echo(result.explanation.render("en" if lang == "en" else "zh"))


@app.command()
def retirement(
    category: Annotated[str, typer.Option(help="male | female55 | female50")],
    born: Annotated[str, typer.Option(help="Birth month, YYYY-MM.")],
    as_json: JsonOption = False,
    lang: LangOption = "zh",
) -> None:
    """Statutory retirement age and month, flexible bounds, minimum contribution (2024 reform)."""
    _calculate(lambda p: service.retirement(category, born, p), as_json, lang)


@app.command()
def pension(
    avg_wage: Annotated[
        str, typer.Option(help="C: provincial average monthly wage of last year, yuan.")
    ],
    index: Annotated[str, typer.Option(help="I: the person's average contribution index.")],
    years: Annotated[str, typer.Option(help="N incl. deemed years: 35, 35y6m or 35.5.")],
    account: Annotated[str, typer.Option(help="Personal-account balance, yuan.")],
    age: Annotated[str, typer.Option(help="Retirement age: 60 or 60y4m.")],
    transitional_years: Annotated[
        str | None, typer.Option(help="Years before the unified system.")
    ] = None,
    coefficient: Annotated[
        str | None, typer.Option(help="Provincial transitional coefficient, e.g. 1.2%.")
    ] = None,
    retirement_year: Annotated[int | None, typer.Option(help="Default: this year.")] = None,
    as_json: JsonOption = False,
    lang: LangOption = "zh",
) -> None:
    """Monthly pension: basic, personal-account and transitional parts (国发〔2005〕38号)."""
    year = retirement_year or SystemClock().today().year
    _calculate(
        lambda p: service.pension(
            avg_wage=avg_wage,
            index=index,
            years=years,
            account=account,
            age=age,
            retirement_year=year,
            params=p,
            transitional_years=transitional_years,
            coefficient=coefficient,
        ),
        as_json,
        lang,
    )


@app.command()
def interest(
    rate: Annotated[str, typer.Option(help="The year's 记账利率: 2.62% or 0.0262.")],
    balance: Annotated[str, typer.Option(help="Balance at the end of last year, yuan.")],
    credits: Annotated[str, typer.Option(help="YYYY-MM:AMOUNT,… credited this year (yuan).")] = "",
    method: Annotated[
        str, typer.Option(help="annual (年度计算法) | monthly (月积数法)")
    ] = "annual",
    year: Annotated[int | None, typer.Option(help="Needed when there are no credits.")] = None,
    as_json: JsonOption = False,
    lang: LangOption = "zh",
) -> None:
    """Close a year of a personal account with interest, by either official method."""
    _calculate(
        lambda p: service.interest(
            rate=rate, balance=balance, credits=credits, method=method, year=year, params=p
        ),
        as_json,
        lang,
    )


@app.command("transfer-amount")
def transfer_amount(
    history: Annotated[
        str, typer.Option(help="Contribution history file (see docs/policy.md); - for stdin.")
    ],
    as_json: JsonOption = False,
    lang: LangOption = "zh",
) -> None:
    """The funds and years a transfer moves, year by year (国办发〔2009〕66号 第四条)."""
    text = read_file(history).decode("utf-8")
    _calculate(lambda p: service.transfer_amount(text, p), as_json, lang)


@app.command("receiving-place")
def receiving_place(
    hukou: Annotated[str, typer.Option(help="户籍 province code, e.g. 41.")],
    history: Annotated[str, typer.Option(help="Contribution history file; - for stdin.")],
    as_json: JsonOption = False,
    lang: LangOption = "zh",
) -> None:
    """The pension-receiving province by the four rules (66号 第六条, 5号 一)."""
    text = read_file(history).decode("utf-8")
    _calculate(lambda p: service.receiving_place(hukou, text, p), as_json, lang)


@app.command()
def workdays(
    start: Annotated[str, typer.Option("--from", help="YYYY-MM-DD (not counted).")],
    add: Annotated[int, typer.Option(min=0, max=2000, help="Working days to add.")] = 15,
    as_json: JsonOption = False,
    lang: LangOption = "zh",
) -> None:
    """The N-th working day after a date on China's official calendar."""
    _calculate(lambda p: service.workdays(start, add, p), as_json, lang)


@app.command("temporary-account")
def temporary_account(
    sex: Annotated[str, typer.Option(help="M | F")],
    born: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    on: Annotated[str, typer.Option(help="Enrolment date at the new place, YYYY-MM-DD.")],
    hukou: Annotated[str, typer.Option(help="户籍 province, e.g. 41.")],
    new_province: Annotated[str, typer.Option(help="Province of the new place, e.g. 44.")],
    approved_transfer: Annotated[
        bool, typer.Option(help="经批准调动 (66号 第五条（三）).")
    ] = False,
    insured_here_before_2010: Annotated[bool, typer.Option()] = False,
    reached_age_during_gap: Annotated[bool, typer.Option()] = False,
    as_json: JsonOption = False,
    lang: LangOption = "zh",
) -> None:
    """Does a cross-province move open a temporary account (66号 第五条, 70号)?"""
    _calculate(
        lambda p: service.temporary_account(
            sex=sex,
            born=born,
            on=on,
            hukou=hukou,
            new_province=new_province,
            approved_transfer=approved_transfer,
            insured_here_before_2010=insured_here_before_2010,
            reached_age_during_gap=reached_age_during_gap,
            params=p,
        ),
        as_json,
        lang,
    )


@app.command("resident-pension")
def resident_pension(
    account: Annotated[str, typer.Option(help="Account balance, yuan.")],
    on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    age: Annotated[int, typer.Option(min=0, max=130)],
    contribution_years: Annotated[int, typer.Option(min=0, max=100)],
    receiving_other: Annotated[bool, typer.Option()] = False,
    local_top_up: Annotated[str, typer.Option(help="Local basic-pension top-up, yuan.")] = "0",
    born: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD: the years needed by the transition (第七条)")
    ] = None,
    province: Annotated[str, typer.Option(help="two digits: the place's scheme start")] = "",
    as_json: JsonOption = False,
    lang: LangOption = "zh",
) -> None:
    """城乡居民 pension: eligibility, basic pension, account ÷ 139 (国发〔2014〕8号)."""
    _calculate(
        lambda p: service.resident_pension(
            account=account,
            on=on,
            age=age,
            contribution_years=contribution_years,
            receiving_other=receiving_other,
            local_top_up=local_top_up,
            params=p,
            born=born,
            province=province,
        ),
        as_json,
        lang,
    )


@app.command()
def linkage(
    employee_years: Annotated[str, typer.Option(help="职工 years incl. extension: 15 or 15y3m.")],
    resident_years: Annotated[str, typer.Option(help="居民 years.")],
    employee_account: Annotated[str, typer.Option(help="yuan")],
    resident_account: Annotated[str, typer.Option(help="yuan")],
    as_json: JsonOption = False,
    lang: LangOption = "zh",
) -> None:
    """城乡衔接: which way, and what money and years move (人社部发〔2014〕17号)."""
    _calculate(
        lambda _p: service.linkage(
            employee_years=employee_years,
            resident_years=resident_years,
            employee_account=employee_account,
            resident_account=resident_account,
        ),
        as_json,
        lang,
    )


@app.command("parameters")
def parameters_report(as_json: JsonOption = False) -> None:
    """List every parameter that is not an official figure (samples, unverified, secondary)."""
    lines = parameters(settings().parameters_dir).report()
    typer.echo(
        json.dumps({"not_official": lines}, ensure_ascii=False, indent=2)
        if as_json
        else "\n".join(lines)
    )
