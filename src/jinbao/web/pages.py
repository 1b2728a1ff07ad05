"""Server-rendered pages: the landing page and the public agency directory, zh with an en switch."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from jinbao.registry import repository
from jinbao.registry.model import AgencyLevel, RegionLevel

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)

LEVEL_NAMES = {
    AgencyLevel.NATIONAL: ("国家级", "National"),
    AgencyLevel.PROVINCE: ("省级", "Provincial"),
    AgencyLevel.CITY: ("地市级", "City"),
    AgencyLevel.COUNTY: ("县区级", "County"),
    AgencyLevel.TOWNSHIP: ("乡镇（街道）", "Township / street"),
    AgencyLevel.VILLAGE: ("村（社区）服务点", "Village / community"),
}


def _lang(lang: str | None) -> str:
    return "en" if lang == "en" else "zh"


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, lang: str | None = None) -> HTMLResponse:
    with request.app.state.uow(write=False) as uow:
        _, agencies = repository.search_agencies(uow, limit=1)
        _, networked = repository.search_agencies(uow, networked=True, limit=1)
    return templates.TemplateResponse(
        request,
        "index.html",
        {"lang": _lang(lang), "agencies": agencies, "networked": networked},
    )


@router.get("/directory", response_class=HTMLResponse)
def directory(
    request: Request,
    lang: str | None = None,
    q: str | None = None,
    level: AgencyLevel | None = None,
    province: Annotated[str | None, Query(pattern=r"^(\d{2})?$")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    per_page = 50
    with request.app.state.uow(write=False) as uow:
        items, total = repository.search_agencies(
            uow,
            query=q or None,
            level=level,
            region_prefix=province or None,
            limit=per_page,
            offset=(page - 1) * per_page,
        )
        provinces = repository.list_regions(
            uow, level=RegionLevel.PROVINCE, parent_code=None, query=None
        )
    return templates.TemplateResponse(
        request,
        "directory.html",
        {
            "lang": _lang(lang),
            "items": items,
            "total": total,
            "q": q or "",
            "level": level.value if level else "",
            "province": province or "",
            "page": page,
            "pages": max(1, -(-total // per_page)),
            "levels": LEVEL_NAMES,
            "provinces": provinces,
        },
    )
