"""HTTP API: declarations (JSON or CSV), payments, flexible workers, back-payments, refunds,
a person's contributions, arrears and account, an employer's declarations and arrears."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from jinbao.accounts.service import statement
from jinbao.calculators.inputs import year_month, yuan
from jinbao.contributions import imports, service
from jinbao.contributions.model import LegalDocument
from jinbao.contributions.schemas import (
    BackPaymentIn,
    DeclarationIn,
    DeemedCancelIn,
    DeemedYearsIn,
    FlexibleIn,
    PaymentIn,
    RecordOut,
    RefundIn,
    ReportOut,
    ResidentPaymentIn,
    StatementOut,
)
from jinbao.contributions.service.resident import ResidentPayment, pay_resident_year
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import InvalidInput
from jinbao.web.paging import Page, page

router = APIRouter(prefix="/api", tags=["contributions"])
T = TypeVar("T")
MAX_BYTES = 200 * 1024 * 1024


def _write(request: Request, action: Callable[[UnitOfWork], T]) -> T:
    with request.app.state.uow() as uow:
        result = action(uow)
        uow.commit()
        return result


def _read(request: Request, action: Callable[[UnitOfWork], T]) -> T:
    with request.app.state.uow(write=False) as uow:
        return action(uow)


def _params(request: Request) -> Any:
    return request.app.state.parameters()


@router.post(
    "/declarations", status_code=status.HTTP_201_CREATED, summary="月度申报 A monthly declaration"
)
def declare(request: Request, body: DeclarationIn) -> ReportOut:
    period = year_month(body.period, "period")
    rows = [
        service.DeclarationRow(
            i + 1,
            body.employer_uscc.upper(),
            period,
            line.id_number.upper(),
            yuan(line.wage, "wage"),
        )
        for i, line in enumerate(body.lines)
    ]
    batch = body.batch or f"api:{body.employer_uscc}:{period}:{uuid.uuid4().hex[:12]}"
    return ReportOut.of(
        _write(
            request,
            lambda uow: service.declare(
                uow, rows, batch=batch, params=_params(request), paid_on=body.paid_on
            ),
        )
    )


@router.post(
    "/declarations/import",
    status_code=status.HTTP_201_CREATED,
    summary="Import a declaration file (CSV, all or nothing)",
    description="Body: CSV `employer_uscc,period,id_number,wage` (wage in yuan), UTF-8 or GB18030, as `text/csv`.",
)
async def import_declaration(
    request: Request, paid_on: dt.date | None = None, batch: str | None = None
) -> ReportOut:
    data = await request.body()
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            "import.too_large",
            "文件超过200MB，请拆分后导入。",
            "The file is larger than 200 MB; split it.",
        )
    key = batch or f"import:{uuid.uuid4().hex[:16]}"
    report = await run_in_threadpool(
        _write,
        request,
        lambda uow: imports.import_declaration(
            uow, data, batch=key, params=_params(request), paid_on=paid_on
        ),
    )
    return ReportOut.of(report)


@router.post("/employers/{uscc}/payments", summary="征收 Collect what an employer owes for a month")
def pay(request: Request, uscc: str, body: PaymentIn) -> ReportOut:
    return ReportOut.of(
        _write(
            request,
            lambda uow: service.pay(
                uow, uscc.upper(), year_month(body.period, "period"), body.paid_on
            ),
        )
    )


@router.post(
    "/flexible-contributions", status_code=status.HTTP_201_CREATED, summary="灵活就业人员缴费"
)
def flexible(request: Request, body: FlexibleIn) -> ReportOut:
    period, base = year_month(body.period, "period"), yuan(body.base, "base")
    return ReportOut.of(
        _write(
            request,
            lambda uow: service.flexible(
                uow, body.id_number, period, base, body.paid_on, _params(request)
            ),
        )
    )


@router.post(
    "/back-payments",
    status_code=status.HTTP_201_CREATED,
    summary="补缴 Back-payment of past months",
)
def back_pay(request: Request, body: BackPaymentIn) -> ReportOut:
    document = (
        LegalDocument(
            body.legal_document.authority, body.legal_document.number, body.legal_document.issued_on
        )
        if body.legal_document
        else None
    )
    cmd = service.BackPayment(
        body.id_number,
        year_month(body.start, "start"),
        year_month(body.end, "end"),
        yuan(body.wage, "wage"),
        body.paid_on,
        body.employer_uscc,
        document,
    )
    return ReportOut.of(_write(request, lambda uow: service.back_pay(uow, cmd, _params(request))))


@router.post(
    "/persons/{id_number}/deemed-years",
    status_code=status.HTTP_201_CREATED,
    summary="视同缴费年限 Record a person's years before individual contributions began",
)
def deemed_years(request: Request, id_number: str, body: DeemedYearsIn) -> dict[str, Any]:
    cmd = service.DeemedYears(
        id_number,
        body.agency_code,
        year_month(body.start, "start"),
        year_month(body.end, "end"),
        body.basis,
        body.operator,
        body.checker,
        body.region_code,
    )
    return _write(request, lambda uow: service.record_deemed_years(uow, cmd, _params(request)))


@router.post(
    "/deemed-years/{row_id}/cancel",
    summary="撤销视同缴费年限 Cancel a deemed years entry found wrong (two operators, a reason)",
)
def cancel_deemed_years(request: Request, row_id: int, body: DeemedCancelIn) -> dict[str, Any]:
    return _write(
        request,
        lambda uow: service.cancel_deemed_years(
            uow, row_id, body.reason, body.operator, body.checker
        ),
    )


@router.post(
    "/contributions/{contribution_id}/refund", summary="退收 Refund a record by reversing it"
)
def refund(request: Request, contribution_id: int, body: RefundIn) -> ReportOut:
    return ReportOut.of(
        _write(request, lambda uow: service.refund(uow, contribution_id, body.on, body.reason))
    )


@router.get(
    "/contributions/overlaps", summary="重复缴费 Person-months recorded at two places or schemes"
)
def overlaps(request: Request) -> list[dict[str, Any]]:
    return [
        {
            "id_number": o.id_number,
            "period": str(o.period),
            "agencies": list(o.agencies),
            "schemes": list(o.schemes),
        }
        for o in _read(request, service.overlaps)
    ]


@router.get(
    "/persons/{id_number}/contributions",
    summary="A person's contribution records (权益记录)",
    response_model=list[RecordOut],  # documents the JSON the database writes
)
def history(request: Request, id_number: str) -> Response:
    document = _read(request, lambda uow: service.history_json(uow, id_number))
    # JSON written by the database: sent as it is, not parsed and encoded again.
    return Response(document, media_type="application/json")


@router.get("/persons/{id_number}/arrears", summary="A person's arrears (欠费)")
def person_arrears(request: Request, id_number: str) -> list[RecordOut]:
    return [
        RecordOut.of(r) for r in _read(request, lambda uow: service.person_arrears(uow, id_number))
    ]


@router.get(
    "/persons/{id_number}/account",
    tags=["accounts"],
    summary="个人账户对账单 Account statement as of a date",
)
def account(
    request: Request,
    id_number: str,
    as_of: Annotated[dt.date | None, Query()] = None,
    scheme: Annotated[str, Query(pattern="^(enterprise|resident|public)$")] = "enterprise",
) -> StatementOut:
    day = as_of or request.app.state.clock.today()
    return StatementOut.of(_read(request, lambda uow: statement(uow, id_number, day, scheme)))


@router.post(
    "/resident-contributions",
    status_code=status.HTTP_201_CREATED,
    summary="城乡居民养老保险缴费 A year's resident-scheme payment (tier, collective, subsidy)",
)
def resident_payment(request: Request, body: ResidentPaymentIn) -> dict[str, int]:
    cmd = ResidentPayment(
        body.id_number, body.year, body.tier_yuan, body.paid_on,
        collective=int(yuan(body.collective, "collective")),
        subsidy=yuan(body.subsidy, "subsidy") if body.subsidy is not None else None,
    )  # fmt: skip
    paid = _write(request, lambda uow: pay_resident_year(uow, cmd, _params(request)))
    return {
        "year": paid.year, "individual": paid.individual, "collective": paid.collective,
        "subsidy": paid.subsidy, "total": paid.total,
    }  # fmt: skip


@router.get(
    "/employers/{uscc}/declarations",
    summary="An employer's contribution records, a page at a time",
    description="Oldest month first, in the order written within a month. `limit` records "
    "from `offset`: page on while a page comes back full.",
)
def employer_records(
    request: Request, uscc: str, page: Annotated[Page, Depends(page)], period: str | None = None
) -> list[RecordOut]:
    month = year_month(period, "period") if period else None
    found = _read(
        request,
        lambda uow: service.employer_records(
            uow, uscc, month, limit=page.limit, offset=page.offset
        ),
    )
    return [RecordOut.of(r) for r in found]


@router.get("/employers/{uscc}/arrears", summary="An employer's arrears (欠费)")
def employer_arrears(request: Request, uscc: str) -> list[RecordOut]:
    return [
        RecordOut.of(r) for r in _read(request, lambda uow: service.employer_arrears(uow, uscc))
    ]
