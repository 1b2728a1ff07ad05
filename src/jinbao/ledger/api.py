"""HTTP API of the fund ledger: trial balance, fund income and expenditure, the check, interest."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from jinbao.accounts.interest import run_interest
from jinbao.ledger import service
from jinbao.ledger.check import check as check_ledger

router = APIRouter(prefix="/api/ledger", tags=["ledger"])


@router.get(
    "/trial-balance", summary="试算平衡表 Debits, credits and balance per region and account"
)
def trial_balance(request: Request, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    with request.app.state.uow(write=False) as uow:
        lines = service.trial_balance(uow, as_of)
    return [
        {
            "region": b.region,
            "account": b.account,
            "debits": b.debits,
            "credits": b.credits,
            "balance": b.balance,
        }
        for b in lines
    ]


@router.get(
    "/funds",
    summary="基金收支 Income, expenditure and balance per region and month, and nationally",
)
def funds(request: Request, region: str | None = None) -> dict[str, list[dict[str, Any]]]:
    with request.app.state.uow(write=False) as uow:
        months = service.fund_report(uow, region)
    return {
        "regions": [m.as_dict() for m in months],
        "national": [m.as_dict() for m in service.national(months)],
    }


@router.get("/check", summary="Verify every ledger invariant; lists the breaks (empty when sound)")
def check(request: Request) -> dict[str, Any]:
    with request.app.state.uow(write=False, snapshot=True) as uow:
        breaks = check_ledger(uow)
    return {"ok": not breaks, "breaks": [{"code": b.code, "zh": b.zh, "en": b.en} for b in breaks]}


@router.post(
    "/interest/{year}", summary="年度结息 Run the interest job for a year (idempotent, resumable)"
)
async def interest(request: Request, year: int) -> dict[str, Any]:
    report = await run_in_threadpool(
        run_interest,
        request.app.state.engine,
        request.app.state.clock,
        year,
        request.app.state.parameters(),
    )
    return report.as_dict()
