"""``GET /api/persons/{id}/record``: a person's whole record in one view (电子档案袋)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jinbao.records.service import person_record_json

router = APIRouter(prefix="/api", tags=["records"])


@router.get(
    "/persons/{id_number}/record",
    summary="电子档案袋 A person's whole record: relations, years, accounts, transfers, pension",
)
def record(request: Request, id_number: str) -> Response:
    with request.app.state.uow(write=False) as uow:
        document = person_record_json(uow, id_number, request.app.state.parameters())
    # JSON written by the database: sent as it is, not parsed and encoded again.
    return Response(document, media_type="application/json")


@router.get("/ping", summary="A bare endpoint of the same stack (what benchmarks compare with)")
def ping() -> dict[str, bool]:
    return {"ok": True}
