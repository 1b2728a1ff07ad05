"""HTTP API of retirement and awards: apply, follow, refresh, approve, the 核定表 PDF."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from jinbao.benefits import adjustment, duplicates, events, payments, resident, service
from jinbao.calculators.inputs import rate, year_month, yuan

router = APIRouter(prefix="/api", tags=["benefits"])


class RetirementIn(BaseModel):
    id_number: str
    agency_code: str = Field(description="待遇领取地经办机构代码")
    retire_month: str | None = Field(None, description="YYYY-MM; default the statutory month")
    operator: str = Field(min_length=1, max_length=60, description="经办人")
    bank: str | None = Field(None, description="待遇发放开户银行")
    account_number: str | None = Field(None, description="银行账号")


class OperatorIn(BaseModel):
    operator: str = Field(min_length=1, max_length=60, description="经办人")


def _show(request: Request, application_id: int) -> dict[str, Any]:
    with request.app.state.uow(write=False) as uow:
        return service.show(uow, application_id)


@router.post(
    "/retirements",
    status_code=status.HTTP_201_CREATED,
    summary="退休申请 Apply: record check, transfers started, award draft",
)
def apply(request: Request, body: RetirementIn) -> dict[str, Any]:
    month = year_month(body.retire_month, "retire_month") if body.retire_month else None
    cmd = service.RetirementApplication(
        body.id_number, body.agency_code, month, body.operator, body.bank, body.account_number
    )
    with request.app.state.uow() as uow:
        application_id = service.apply_retirement(uow, cmd, request.app.state.parameters())
        uow.commit()
    request.app.state.pump()  # the transfers it started (转回, 归集, 城乡衔接) go on their way
    return _show(request, application_id)


class ResidentPensionIn(BaseModel):
    id_number: str
    agency_code: str = Field(description="城乡居民养老保险参保地经办机构代码")
    operator: str = Field(min_length=1, max_length=60, description="经办人")
    bank: str | None = Field(None, description="待遇发放开户银行")
    account_number: str | None = Field(None, description="银行账号")


@router.post(
    "/resident-pensions",
    status_code=status.HTTP_201_CREATED,
    summary="城乡居民养老保险待遇申请 At 60 with 15 years: the award draft",
)
def resident_apply(request: Request, body: ResidentPensionIn) -> dict[str, Any]:
    cmd = resident.ResidentPensionApplication(
        body.id_number, body.agency_code, body.operator, body.bank, body.account_number
    )
    with request.app.state.uow() as uow:
        application_id = resident.apply(uow, cmd, request.app.state.parameters())
        uow.commit()
    return _show(request, application_id)


class RaiseIn(BaseModel):
    operator: str = Field(min_length=1, max_length=60, description="制定人")
    checker: str = Field(min_length=1, max_length=60, description="复核人")


@router.post(
    "/agencies/{code}/resident-pension-raises",
    status_code=status.HTTP_201_CREATED,
    summary="基础养老金调整 Residents' awards raised to the national minimum in force",
)
def resident_raise(request: Request, code: str, body: RaiseIn) -> dict[str, Any]:
    with request.app.state.uow() as uow:
        report = resident.raise_basic(
            uow, code, request.app.state.parameters(), body.operator, body.checker
        )
        uow.commit()
    return asdict(report)


@router.get("/retirements/{application_id}", summary="退休申请 An application and its awards")
def show(request: Request, application_id: int) -> dict[str, Any]:
    return _show(request, application_id)


@router.post("/retirements/{application_id}/refresh", summary="Check again; award when clear")
def refresh(request: Request, application_id: int, body: OperatorIn) -> dict[str, Any]:
    with request.app.state.uow() as uow:
        service.refresh(uow, application_id, request.app.state.parameters(), body.operator)
        uow.commit()
    request.app.state.pump()  # as in apply: the next transfer it may have started
    return _show(request, application_id)


class CorrectionIn(OperatorIn):
    reason: str = Field(min_length=1, max_length=200, description="更正原因")


@router.post(
    "/retirements/{application_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    summary="更正 A new award version from the record as it is now, with the monthly difference",
)
def correct(request: Request, application_id: int, body: CorrectionIn) -> dict[str, Any]:
    with request.app.state.uow() as uow:
        service.correct_award(
            uow, application_id, request.app.state.parameters(), body.operator, body.reason
        )
        uow.commit()
    return _show(request, application_id)


@router.post("/awards/{award_id}/approve", summary="复核 A second operator approves an award")
def approve(request: Request, award_id: int, body: OperatorIn) -> dict[str, Any]:
    with request.app.state.uow() as uow:
        service.approve_award(uow, award_id, body.operator)
        uow.commit()
    return {"award": award_id, "approved_by": body.operator}


@router.get(
    "/awards/{award_id}/notice.pdf",
    summary="基本养老金核定表 The award as a PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def award_notice(request: Request, award_id: int) -> Response:
    with request.app.state.uow() as uow:
        pdf = service.award_notice(uow, award_id)
    return Response(pdf, media_type="application/pdf")


class RunIn(BaseModel):
    month: str = Field(description="发放月份 YYYY-MM")


@router.post(
    "/agencies/{code}/benefit-runs",
    summary="待遇发放 The month's payment run at an agency (a rerun pays nothing twice)",
)
def payment_run(request: Request, code: str, body: RunIn) -> dict[str, Any]:
    month = year_month(body.month, "month")
    with request.app.state.uow() as uow:
        report = payments.run_payments(uow, code, month)
        uow.commit()
    # The bank files are fetched apart, as often as needed (an agency's run can list hundreds
    # of thousands of payments: until session 25 they came inline in this answer, and were lost
    # with it).
    return asdict(report) | {
        "banks": [_bank_out(report.run, b) for b in report.banks] if report.run else []
    }


def _bank_out(run_id: int, total: payments.BankTotal) -> dict[str, Any]:
    return asdict(total) | {"file": f"/api/benefit-runs/{run_id}/bank-files/{quote(total.bank)}"}


@router.get(
    "/agencies/{code}/benefit-runs",
    summary="发放批次 The payment runs kept of an agency for a month, with what each bank pays",
)
def payment_runs(request: Request, code: str, month: str) -> list[dict[str, Any]]:
    period = year_month(month, "month")
    with request.app.state.uow(write=False) as uow:
        found = payments.runs_of(uow, code, period)
    return [_run_out(r) for r in found]


@router.get("/benefit-runs/{run_id}", summary="发放批次 A payment run kept, by bank")
def payment_run_kept(request: Request, run_id: int) -> dict[str, Any]:
    with request.app.state.uow(write=False) as uow:
        return _run_out(payments.get_run(uow, run_id))


def _run_out(found: payments.Run) -> dict[str, Any]:
    return asdict(found) | {"banks": [_bank_out(found.id, b) for b in found.banks]}


@router.get(
    "/benefit-runs/{run_id}/bank-files/{bank}",
    summary="代发文件 A bank's file of a payment run (CSV), made from its payments",
    response_class=StreamingResponse,
)
def bank_file(request: Request, run_id: int, bank: str) -> StreamingResponse:
    uow = request.app.state.uow(write=False, snapshot=True)
    uow.__enter__()
    try:
        found = payments.get_run(uow, run_id)  # an unknown run or bank: 404 before a byte
        lines = payments.bank_file(uow, found, bank)
    except BaseException:
        uow.__exit__(*sys.exc_info())
        raise

    def stream() -> Iterator[bytes]:
        try:
            for text in lines:
                yield text.encode()
        finally:
            uow.__exit__(None, None, None)

    name = f"{found.agency}-{found.month}-{run_id}-{bank}.csv"
    return StreamingResponse(
        stream(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


class PayeeIn(BaseModel):
    bank: str = Field(description="开户银行")
    account_number: str = Field(description="银行账号")


@router.put("/persons/{id_number}/payee", summary="待遇发放账户 Where the pension is paid")
def payee(request: Request, id_number: str, body: PayeeIn) -> dict[str, str]:
    with request.app.state.uow() as uow:
        service.set_payee(uow, id_number, body.bank, body.account_number)
        uow.commit()
    return {"payee": id_number, "bank": body.bank}


class AdjustmentIn(BaseModel):
    year: int
    fixed: str = Field("0", description="定额, yuan a month")
    per_year: str = Field("0", description="挂钩: yuan a month per contribution year")
    percent: str = Field("0%", description="挂钩: share of the own pension, e.g. 1%")
    by_age: dict[int, str] = Field(default_factory=dict, description="倾斜: age → yuan a month")
    from_month: int = Field(1, ge=1, le=12, description="起始月份 (1 = January)")
    operator: str = Field(min_length=1, max_length=60, description="制定人")
    checker: str = Field(min_length=1, max_length=60, description="复核人")


@router.post(
    "/agencies/{code}/benefit-adjustments",
    status_code=status.HTTP_201_CREATED,
    summary="待遇调整 A province's yearly plan (定额 + 挂钩 + 倾斜), made and checked by two",
)
def adjust(request: Request, code: str, body: AdjustmentIn) -> dict[str, Any]:
    plan = adjustment.AdjustmentPlan(
        body.year, int(yuan(body.fixed, "fixed")), int(yuan(body.per_year, "per_year")),
        rate(body.percent, "percent"), {a: int(yuan(v, "by_age")) for a, v in body.by_age.items()},
        body.from_month,
    )  # fmt: skip
    with request.app.state.uow() as uow:
        report = adjustment.adjust(uow, code, plan, body.operator, body.checker)
        uow.commit()
    return asdict(report)


class CertificationIn(BaseModel):
    method: str = Field(description="data | self (liveness attestation) | counter")
    on: dt.date
    note: str = Field("", max_length=200, description="e.g. the attestation reference")


@router.post(
    "/persons/{id_number}/certifications",
    status_code=status.HTTP_201_CREATED,
    summary="待遇资格认证 Record a certification (self-service, counter or data match)",
)
def certification(request: Request, id_number: str, body: CertificationIn) -> dict[str, str]:
    with request.app.state.uow() as uow:
        events.certify(uow, id_number, body.method, body.on, body.note)
        uow.commit()
    return {"certified": id_number}


@router.post(
    "/life-event-feeds",
    summary="比对数据 A feed of deaths, imprisonment and settlement abroad (CSV), all or nothing",
)
async def life_event_feed(request: Request, file: UploadFile) -> dict[str, int]:
    data = await file.read()
    with request.app.state.uow() as uow:
        count = events.import_life_events(uow, data, request.app.state.parameters())
        uow.commit()
    return {"imported": count}


@router.get("/benefit-duplicates", summary="重复领取 Everyone drawing more than one basic pension")
def duplicate_pensions(request: Request) -> list[dict[str, Any]]:
    with request.app.state.uow(write=False) as uow:
        return duplicates.find(uow)


class DuplicateIn(BaseModel):
    keep_agency: str | None = Field(None, description="two employee pensions: the agency kept")
    resident_pension_drawn: str = Field(
        "0", description="resident basic pension drawn elsewhere, yuan (this node's is read)"
    )


@router.post(
    "/persons/{id_number}/duplicate-settlement",
    summary="重复领取清理 Keep one pension by the rule, refund and recover the other",
)
def settle_duplicate(request: Request, id_number: str, body: DuplicateIn) -> dict[str, Any]:
    drawn = int(yuan(body.resident_pension_drawn, "resident_pension_drawn"))
    with request.app.state.uow() as uow:
        result = duplicates.settle(
            uow, id_number, keep_agency=body.keep_agency, resident_pension_drawn=drawn
        )
        uow.commit()
    return result


class SurvivorClaimIn(BaseModel):
    claimant: str = Field(..., max_length=40, description="申领人: the survivor who claims")


@router.post(
    "/persons/{id_number}/survivor-claims",
    status_code=status.HTTP_201_CREATED,
    summary="遗属待遇申领 A death before a pension: funeral grant, survivor pension, accounts inherited",
)
def claim_survivors(request: Request, id_number: str, body: SurvivorClaimIn) -> dict[str, Any]:
    with request.app.state.uow() as uow:
        events.claim_survivor_benefits(
            uow, id_number, body.claimant, request.app.state.parameters()
        )
        uow.commit()
    return death_settlement(request, id_number)


@router.get(
    "/persons/{id_number}/death-settlement",
    summary="遗属待遇结算 The settlement after a death, with its explanation",
)
def death_settlement(request: Request, id_number: str) -> dict[str, Any]:
    with request.app.state.uow(write=False) as uow:
        found = events.death_settlement(uow, id_number)
    if found is None:
        raise events.no_settlement()
    return found


@router.get(
    "/persons/{id_number}/death-settlement.pdf",
    summary="遗属待遇核定表 The settlement after a death as a PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def death_settlement_notice(request: Request, id_number: str) -> Response:
    with request.app.state.uow(write=False) as uow:
        pdf = events.death_settlement_notice(uow, id_number)
    return Response(pdf, media_type="application/pdf")
