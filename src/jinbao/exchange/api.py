"""The published interface specification: the JSON Schema of every document type and version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from jinbao.exchange.model import CURRENT_VERSION, DOCUMENT_ZH, DocumentType
from jinbao.exchange.schemas import SCHEMAS, schema_for
from jinbao.exchange.service import print_form
from jinbao.kernel.errors import NotFound

router = APIRouter(prefix="/api/exchange", tags=["exchange"])


@router.get("/schemas", summary="异地转移接口规范 The document types and their schema versions")
def index() -> dict[str, Any]:
    return {
        "current_version": CURRENT_VERSION,
        "documents": [
            {
                "type": t.value,
                "name": DOCUMENT_ZH[t],
                "versions": sorted(v for v in SCHEMAS if t in SCHEMAS[v]),
            }
            for t in DocumentType
        ],
        "envelope": [
            "id",
            "type",
            "version",
            "sender",
            "receiver",
            "case_id",
            "in_reply_to",
            "issued_at",
        ],
        "signature": "Ed25519 over the RFC 8785 canonical JSON of {envelope, body}; base64url without padding",
    }


@router.get(
    "/schemas/{version}/{document_type}",
    summary="The JSON Schema (draft 2020-12) of a document body",
)
def schema(version: int, document_type: str) -> dict[str, Any]:
    try:
        return schema_for(DocumentType(document_type), version)
    except (ValueError, KeyError):
        raise NotFound(
            "exchange.schema_not_found",
            f"没有版本 {version} 的文书类型“{document_type}”。",
            f"No document type '{document_type}' in version {version}.",
        ) from None


@router.get(
    "/documents/{document_id}/form.pdf",
    summary="纸质文书 The printable PDF form of a document sent from this node (QR codes, short code)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def form(request: Request, document_id: str) -> Response:
    with request.app.state.uow() as uow:
        pdf = print_form(uow, document_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{document_id}.pdf"'},
    )
