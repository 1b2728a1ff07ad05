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


_PONG = b'{"ok":true}'


@router.get(
    "/ping",
    summary="A bare endpoint of the same stack (what benchmarks compare with)",
    response_model=dict[str, bool],
)
def ping() -> Response:
    """The record's path without its work: a synchronous endpoint (the thread pool) answering
    a Response. Until session 29 it returned a dict, which FastAPI validates in a second hop
    to the thread pool (0.05 ms of a bare request's 0.15 in process): the floor the HTTP
    benchmarks compare with was that much higher than the record's own path."""
    return Response(_PONG, media_type="application/json")
