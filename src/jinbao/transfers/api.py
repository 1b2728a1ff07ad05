"""HTTP API of transfers: a person applies and follows the case; operators act on their legs;
agencies list their cases, supervisors their subtree's overdue ones (督办).

Every write delivers the documents it caused and applies them at once (local delivery), so
with automatic review on both sides a clean transfer completes within the request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response, UploadFile, status
from pydantic import BaseModel, Field
from pydantic_core import to_json

from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.kernel.errors import InvalidInput
from jinbao.transfers import bulk, queries, workflow
from jinbao.web.paging import Page, page

router = APIRouter(prefix="/api", tags=["transfers"])
T = TypeVar("T")


class ApplicationIn(BaseModel):
    id_number: str = Field(description="公民身份号码")
    to_agency: str = Field(description="转入地经办机构代码 (where the person now contributes)")
    from_agency: str | None = Field(None, description="转出地经办机构代码; found when only one")
    scheme: str = "enterprise"
    applied_on: dt.date | None = None
    kind: str | None = Field(
        None, description="return_to_receiving_place: 转回待遇领取地; otherwise from the relations"
    )


class ReasonIn(BaseModel):
    zh: str = Field(min_length=1, max_length=200)
    en: str | None = Field(None, max_length=200)


class ReasonsIn(BaseModel):
    reasons: list[ReasonIn] = Field(min_length=1)
    on: dt.date | None = None


class ActIn(BaseModel):
    on: dt.date | None = None
    keep: str | None = Field(
        None, description="先转后清 at completion: here | transferred — whose duplicate months stay"
    )


class CommentIn(BaseModel):
    agency_code: str
    text: str = Field(min_length=1, max_length=500)


class SettingsIn(BaseModel):
    auto_review: bool


class EmployerMoveIn(BaseModel):
    to_agency: str = Field(description="转入地经办机构代码")
    moved_on: dt.date | None = Field(None, description="划转日期 (default today)")


class ShortCodeIn(BaseModel):
    code: str = Field(description="纸质文书上印的短码, e.g. ABCD-EFGH-JKMN-PQRS")


MAX_SCAN_BYTES = 30 * 1024 * 1024


def _params(request: Request) -> Any:
    return request.app.state.parameters()


def _write(request: Request, action: Callable[[UnitOfWork], T]) -> T:
    with request.app.state.uow() as uow:
        result = action(uow)
        uow.commit()
    request.app.state.pump()
    return result


def _read(request: Request, action: Callable[[UnitOfWork], T]) -> T:
    with request.app.state.uow(write=False) as uow:
        return action(uow)


# A case's answer, the one most of these endpoints give: the OpenAPI schema names it, and the
# endpoint answers it as a Response of its JSON. FastAPI validates what a synchronous endpoint
# returns in a second hop to the thread pool (0.1 ms and more a request, session 29); a
# Response it passes on as it is. The JSON is pydantic's, as FastAPI's own would be.
CASE: dict[str, Any] = {"response_model": dict[str, Any]}


def _show(request: Request, case_id: str, status_code: int = status.HTTP_200_OK) -> Response:
    case = _read(request, lambda uow: queries.show(uow, case_id, _params(request)))
    return Response(to_json(case), status_code=status_code, media_type="application/json")


def _reasons(body: ReasonsIn) -> list[dict[str, str]]:
    return [{"zh": r.zh, "en": r.en or r.zh} for r in body.reasons]


@router.post(
    "/transfers",
    status_code=status.HTTP_201_CREATED,
    summary="转移接续申请 Apply to transfer a relation to the agency where the person contributes",
    **CASE,
)
def apply(request: Request, body: ApplicationIn) -> Response:
    cmd = workflow.Application(
        body.id_number, body.to_agency, body.from_agency, body.scheme, body.applied_on, body.kind
    )
    case_id = _write(request, lambda uow: workflow.apply(uow, cmd, _params(request)))
    return _show(request, case_id, status.HTTP_201_CREATED)


@router.get(
    "/transfers/{case_id}", summary="转移案件 A case: legs, deadlines, documents, money", **CASE
)
def show(request: Request, case_id: str) -> Response:
    return _show(request, case_id)


@router.post(
    "/transfers/{case_id}/approve",
    summary="审核通过 The agency owing the running leg approves it (联系函 / 信息表和资金 / 办结)",
    **CASE,
)
def approve(request: Request, case_id: str, body: ActIn | None = None) -> Response:
    on, keep = (body.on, body.keep) if body else (None, None)
    _write(
        request,
        lambda uow: workflow.go_on(uow, case_id, params=_params(request), on=on, keep=keep),
    )
    return _show(request, case_id)


@router.post(
    "/transfers/{case_id}/temporary-account",
    summary="建立临时缴费账户 At leg 1 under 66号 第五条（二）: a temporary account here, no transfer",
    **CASE,
)
def temporary_account(request: Request, case_id: str, body: ActIn | None = None) -> Response:
    on = body.on if body else None
    _write(
        request,
        lambda uow: workflow.open_temporary_account(uow, case_id, params=_params(request), on=on),
    )
    return _show(request, case_id)


@router.post(
    "/transfers/{case_id}/return",
    summary="不予受理/退回 Refuse or return the running leg with written reasons",
    **CASE,
)
def return_(request: Request, case_id: str, body: ReasonsIn) -> Response:
    _write(request, lambda uow: workflow.return_case(uow, case_id, _reasons(body), on=body.on))
    return _show(request, case_id)


@router.post(
    "/transfers/{case_id}/correction",
    summary="补正 Ask for missing material; the running leg's clock pauses",
    **CASE,
)
def correction(request: Request, case_id: str, body: ReasonsIn) -> Response:
    _write(
        request,
        lambda uow: workflow.ask_correction(
            uow, case_id, _reasons(body), params=_params(request), on=body.on
        ),
    )
    return _show(request, case_id)


@router.post(
    "/transfers/{case_id}/correction-received",
    summary="补正材料已收到 The material arrived; the clock runs again, extended",
    **CASE,
)
def correction_received(request: Request, case_id: str, body: ActIn | None = None) -> Response:
    on = body.on if body else None
    _write(
        request,
        lambda uow: workflow.correction_supplied(uow, case_id, params=_params(request), on=on),
    )
    return _show(request, case_id)


@router.post(
    "/transfers/{case_id}/comments",
    status_code=status.HTTP_201_CREATED,
    summary="督办意见 A supervising agency comments on a case",
    **CASE,
)
def comment(request: Request, case_id: str, body: CommentIn) -> Response:
    _write(request, lambda uow: queries.comment(uow, case_id, body.agency_code, body.text))
    return _show(request, case_id, status.HTTP_201_CREATED)


@router.get("/persons/{id_number}/transfers", summary="我的转移 A person's transfer applications")
def person_transfers(request: Request, id_number: str) -> list[dict[str, Any]]:
    return _read(request, lambda uow: queries.person_cases(uow, id_number, _params(request)))


@router.get(
    "/agencies/{code}/transfers",
    summary="本机构转移案件 An agency's cases: open, queued, due_soon, overdue or all",
)
def agency_transfers(
    request: Request, code: str, page: Annotated[Page, Depends(page)], only: str = "open"
) -> list[dict[str, Any]]:
    return _read(
        request,
        lambda uow: queries.agency_cases(
            uow, code, _params(request), only, limit=page.limit, offset=page.offset
        ),
    )


@router.get(
    "/agencies/{code}/supervision",
    summary="督办 Overdue (or due_soon, open) cases of every agency under this one",
)
def supervision(
    request: Request, code: str, page: Annotated[Page, Depends(page)], only: str = "overdue"
) -> list[dict[str, Any]]:
    return _read(
        request,
        lambda uow: queries.supervision(
            uow, code, _params(request), only, limit=page.limit, offset=page.offset
        ),
    )


@router.put(
    "/agencies/{code}/transfer-settings",
    summary="自动审核 Let the system review clean legs at this agency (即时办结)",
)
def transfer_settings(request: Request, code: str, body: SettingsIn) -> dict[str, Any]:
    _write(request, lambda uow: workflow.set_auto_review(uow, code, body.auto_review))
    return {"agency": code, "auto_review": body.auto_review}


@router.post(
    "/transfers/void-overdue",
    summary="超时作废 The daily sweep: take back money in transit long past the leg-3 deadline",
)
def void_overdue(request: Request, agency_code: str | None = None) -> dict[str, list[str]]:
    state = request.app.state
    report = workflow.void_overdue(
        state.engine, state.clock, _params(request), agency_code=agency_code
    )
    state.pump()
    return {"voided": report.voided, "undetermined": report.undetermined}


@router.get(
    "/agencies/{code}/paper-documents",
    summary="人工模式 Paper documents this agency must print and post (all=true: taken in too)",
)
def paper_documents(
    request: Request, code: str, page: Annotated[Page, Depends(page)], all: bool = False
) -> list[dict[str, Any]]:
    return _read(
        request,
        lambda uow: queries.paper_documents(
            uow, code, pending_only=not all, limit=page.limit, offset=page.offset
        ),
    )


@router.post(
    "/agencies/{code}/intake/scan",
    summary="录入纸质文书（扫码）Upload a scan (PDF or image) of paper forms addressed to this agency",
)
async def intake_scan(request: Request, code: str, file: UploadFile) -> list[dict[str, Any]]:
    data = await file.read(MAX_SCAN_BYTES + 1)
    if len(data) > MAX_SCAN_BYTES:
        raise InvalidInput(
            "exchange.scan_too_large",
            "扫描件超过30MB，请降低分辨率或分页上传。",
            "The scan is larger than 30 MB; scan at a lower resolution or upload page by page.",
            field="file",
        )
    return _write(request, lambda uow: queries.taken_in(exchange.intake_scan(uow, code, data)))


@router.post(
    "/agencies/{code}/intake/code",
    summary="录入纸质文书（短码）Take in a paper document addressed to this agency by its short code",
)
def intake_code(request: Request, code: str, body: ShortCodeIn) -> list[dict[str, Any]]:
    return _write(
        request, lambda uow: queries.taken_in([exchange.intake_code(uow, code, body.code)])
    )


@router.post(
    "/employers/{uscc}/moves",
    status_code=status.HTTP_201_CREATED,
    summary="成建制划转 The employer and all its contributing staff move to another agency",
)
def employer_move(request: Request, uscc: str, body: EmployerMoveIn) -> dict[str, Any]:
    move = bulk.EmployerMove(uscc, body.to_agency, body.moved_on)
    batch = _write(request, lambda uow: bulk.apply_bulk(uow, move, _params(request)))
    return _read(request, lambda uow: bulk.batch_cases(uow, batch, _params(request)))


@router.get("/transfers/batches/{batch}", summary="成建制划转批次 The cases of one employer move")
def batch_cases(request: Request, batch: str) -> dict[str, Any]:
    return _read(request, lambda uow: bulk.batch_cases(uow, batch, _params(request)))
