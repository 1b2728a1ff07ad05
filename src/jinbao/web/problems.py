"""RFC 9457 problem details for every error, with a stable code and messages in zh and en.

{"type": "urn:jinbao:problem:person.duplicate", "title": "Conflict", "status": 409,
 "detail": "<message in the requested language>", "code": "person.duplicate",
 "messages": {"zh": "…", "en": "…"}, "errors": [{"field": …, "row": …, "zh": …, "en": …}]}
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jinbao.kernel.errors import DomainError, Issue

log = logging.getLogger("jinbao.web")

STATUS_BY_KIND = {"invalid": 422, "not_found": 404, "conflict": 409, "unavailable": 503}
TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _wants_english(request: Request) -> bool:
    accept = request.headers.get("accept-language", "")
    return request.query_params.get("lang") == "en" or accept.lower().startswith("en")


def problem(
    request: Request,
    status: int,
    code: str,
    zh: str,
    en: str,
    issues: tuple[Issue, ...] | list[Issue] = (),
) -> JSONResponse:
    body: dict[str, object] = {
        "type": f"urn:jinbao:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": en if _wants_english(request) else zh,
        "instance": request.url.path,
        "code": code,
        "messages": {"zh": zh, "en": en},
    }
    if issues:
        body["errors"] = [issue.as_dict() for issue in issues]
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return problem(request, STATUS_BY_KIND[exc.kind], exc.code, exc.zh, exc.en, exc.issues)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            Issue(
                code=f"request.{err.get('type', 'invalid')}",
                zh=f"字段“{_field(err)}”不合法：{err.get('msg', '')}",
                en=f"{_field(err)}: {err.get('msg', '')}",
                field=_field(err),
            )
            for err in exc.errors()
        ]
        return problem(
            request,
            422,
            "request.invalid",
            "请求内容不合法，请按字段说明修改后重试。",
            "The request is invalid; fix the fields listed and retry.",
            issues,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return problem(request, 404, "http.not_found", "请求的地址不存在。", "No such address.")
        return problem(
            request, exc.status_code, f"http.{exc.status_code}", str(exc.detail), str(exc.detail)
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(
            request,
            500,
            "internal",
            "系统内部错误，未写入任何数据。请稍后重试或联系系统管理员。",
            "Internal error; nothing was written. Retry later or contact the administrator.",
        )


def _field(err: object) -> str:
    loc = err.get("loc", ()) if isinstance(err, dict) else ()
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"
