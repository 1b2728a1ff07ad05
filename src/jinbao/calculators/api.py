"""/api/policy/…: the policy engine's calculators over HTTP (public, no login).

Every response is ``{"result": …, "explanation": {steps, parameters, sources}}``; amounts in the
result are integer fen, with ``*_yuan`` strings beside the totals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from jinbao.calculators import service
from jinbao.calculators.results import explained_json
from jinbao.policy.explain import Explained
from jinbao.policy.parameters import Parameters

router = APIRouter(prefix="/api/policy", tags=["policy"])
Result = dict[str, Any]
HISTORY_EXAMPLE = "1998-01..2005-12 41 employee base=1500\n2006-01..2020-12 44 employee base=4200\naccount y1998_2005=9000 from2006=30000\n"


def _run(request: Request, rule: Callable[[Parameters], Explained[Any]]) -> Result:
    return explained_json(rule(request.app.state.parameters()))


@router.get("/retirement", summary="法定退休年龄 Statutory retirement age (2024 reform)")
def retirement(
    request: Request,
    category: Annotated[str, Query(description="male | female55 | female50")],
    born: Annotated[str, Query(description="birth month YYYY-MM", examples=["1965-01"])],
) -> Result:
    return _run(request, lambda p: service.retirement(category, born, p))


@router.get("/pension", summary="基本养老金 Monthly pension (国发〔2005〕38号)")
def pension(
    request: Request,
    avg_wage: Annotated[str, Query(description="C: 上年度在岗职工月平均工资, yuan")],
    index: Annotated[str, Query(description="I: 平均缴费指数")],
    years: Annotated[str, Query(description="N incl. 视同: 35, 35y6m or 35.5")],
    account: Annotated[str, Query(description="个人账户储存额, yuan")],
    age: Annotated[str, Query(description="retirement age: 60 or 60y4m")],
    retirement_year: Annotated[int, Query(ge=1998, le=2100)],
    transitional_years: str | None = None,
    coefficient: Annotated[str | None, Query(description="e.g. 1.2% or 0.012")] = None,
) -> Result:
    return _run(
        request,
        lambda p: service.pension(
            avg_wage=avg_wage,
            index=index,
            years=years,
            account=account,
            age=age,
            retirement_year=retirement_year,
            params=p,
            transitional_years=transitional_years,
            coefficient=coefficient,
        ),
    )


@router.get("/interest", summary="个人账户结息 Personal-account interest for a year")
def interest(
    request: Request,
    rate: Annotated[str, Query(description="记账利率: 2.62% or 0.0262")],
    balance: Annotated[str, Query(description="上年末储存额, yuan")],
    credits: Annotated[str, Query(description="YYYY-MM:AMOUNT,… (yuan)")] = "",
    method: Annotated[str, Query(description="annual | monthly")] = "annual",
    year: int | None = None,
) -> Result:
    return _run(
        request,
        lambda p: service.interest(
            rate=rate, balance=balance, credits=credits, method=method, year=year, params=p
        ),
    )


@router.post("/transfer-amount", summary="转移基金 Transfer amount from a contribution history")
def transfer_amount(
    request: Request,
    history: Annotated[str, Body(media_type="text/plain", examples=[HISTORY_EXAMPLE])],
) -> Result:
    return _run(request, lambda p: service.transfer_amount(history, p))


@router.post("/receiving-place", summary="待遇领取地 Pension-receiving place")
def receiving_place(
    request: Request,
    hukou: Annotated[str, Query(description="户籍 province, e.g. 41")],
    history: Annotated[str, Body(media_type="text/plain", examples=[HISTORY_EXAMPLE])],
) -> Result:
    return _run(request, lambda p: service.receiving_place(hukou, history, p))


@router.get("/workdays", summary="工作日 N working days after a date")
def workdays(
    request: Request,
    start: Annotated[str, Query(alias="from", description="YYYY-MM-DD")],
    add: Annotated[int, Query(ge=0, le=2000)] = 15,
) -> Result:
    return _run(request, lambda p: service.workdays(start, add, p))


@router.get("/temporary-account", summary="临时缴费账户 Does a move open a temporary account?")
def temporary_account(
    request: Request,
    sex: Annotated[str, Query(description="M | F")],
    born: Annotated[str, Query(description="YYYY-MM-DD")],
    on: Annotated[str, Query(description="date of enrolment at the new place")],
    hukou: str,
    new_province: str,
    approved_transfer: bool = False,
    insured_here_before_2010: bool = False,
    reached_age_during_gap: bool = False,
) -> Result:
    return _run(
        request,
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
    )


@router.get("/resident-pension", summary="城乡居民养老金 Resident-scheme pension")
def resident_pension(
    request: Request,
    account: str,
    on: Annotated[str, Query(description="YYYY-MM-DD")],
    age: Annotated[int, Query(ge=0, le=130)],
    contribution_years: Annotated[int, Query(ge=0, le=100)],
    receiving_other: bool = False,
    local_top_up: str = "0",
    born: Annotated[
        str | None, Query(description="YYYY-MM-DD: the years needed by the transition")
    ] = None,
    province: Annotated[str, Query(description="two digits: the place's scheme start")] = "",
) -> Result:
    return _run(
        request,
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
    )


@router.get("/linkage", summary="城乡衔接 Scheme linkage direction and what moves")
def linkage(
    request: Request,
    employee_years: str,
    resident_years: str,
    employee_account: str,
    resident_account: str,
) -> Result:
    return _run(
        request,
        lambda _p: service.linkage(
            employee_years=employee_years,
            resident_years=resident_years,
            employee_account=employee_account,
            resident_account=resident_account,
        ),
    )


@router.get("/parameters", summary="Parameters that are not official figures (samples, unverified)")
def parameters(request: Request) -> dict[str, list[str]]:
    return {"not_official": request.app.state.parameters().report()}
