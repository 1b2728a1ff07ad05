"""``GET /api/persons/{id}/record``: a person's whole record in one view (电子档案袋)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from jinbao.records.service import person_record

router = APIRouter(prefix="/api", tags=["records"])


@router.get(
    "/persons/{id_number}/record",
    summary="电子档案袋 A person's whole record: relations, years, accounts, transfers, pension",
)
def record(request: Request, id_number: str) -> JSONResponse:
    with request.app.state.uow(write=False) as uow:
        found: dict[str, Any] = person_record(uow, id_number, request.app.state.parameters())
    # Plain JSON types already: sent as they are, without FastAPI's encoding pass over them.
    return JSONResponse(found)


@router.get("/ping", summary="A bare endpoint of the same stack (what benchmarks compare with)")
def ping() -> dict[str, bool]:
    return {"ok": True}
