"""Registry HTTP API: the public agency directory and the operators' registration endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request, status
from starlette.concurrency import run_in_threadpool

from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import InvalidInput
from jinbao.registry import imports, repository, service
from jinbao.registry.model import AgencyLevel, RegionLevel
from jinbao.registry.schemas import (
    AgencyIn,
    AgencyOut,
    AgencyPage,
    ContactIO,
    EmployerIn,
    EmployerOut,
    ImportReportOut,
    NetworkIn,
    PersonIn,
    PersonOut,
    RegionOut,
    RelationshipIn,
    RelationshipOut,
    StatusChangeIn,
)

router = APIRouter(prefix="/api")
T = TypeVar("T")
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _read(request: Request, use_case: Callable[[UnitOfWork], T]) -> T:
    with request.app.state.uow(write=False) as uow:
        return use_case(uow)


def _write(request: Request, use_case: Callable[[UnitOfWork], T]) -> T:
    with request.app.state.uow() as uow:
        result = use_case(uow)
        uow.commit()
        return result


# ----------------------------------------------------------------------------- regions


@router.get("/regions", tags=["directory"], summary="GB/T 2260 行政区划 regions")
def list_regions(
    request: Request,
    level: RegionLevel | None = None,
    parent: str | None = None,
    q: str | None = None,
) -> list[RegionOut]:
    found = _read(
        request, lambda uow: repository.list_regions(uow, level=level, parent_code=parent, query=q)
    )
    return [RegionOut.of(r) for r in found]


# ----------------------------------------------------------------------------- agencies


@router.get("/agencies", tags=["directory"], summary="经办机构目录 The public agency directory")
def directory(
    request: Request,
    q: Annotated[str | None, Query(description="name, address or code")] = None,
    level: AgencyLevel | None = None,
    province: Annotated[str | None, Query(pattern=r"^\d{2}$", description="e.g. 44")] = None,
    networked: bool | None = None,
    parent: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AgencyPage:
    items, total = _read(
        request,
        lambda uow: repository.search_agencies(
            uow,
            query=q,
            level=level,
            region_prefix=province,
            networked=networked,
            parent_code=parent,
            limit=limit,
            offset=offset,
        ),
    )
    return AgencyPage(
        total=total, limit=limit, offset=offset, items=[AgencyOut.of(a) for a in items]
    )


@router.get("/agencies/{code}", tags=["directory"])
def show_agency(request: Request, code: str) -> AgencyOut:
    return AgencyOut.of(_read(request, lambda uow: service.get_agency(uow, code)))


@router.post("/agencies", tags=["agencies"], status_code=status.HTTP_201_CREATED)
def add_agency(request: Request, body: AgencyIn) -> AgencyOut:
    cmd = service.NewAgency(
        code=body.code,
        name=body.name,
        level=body.level,
        parent_code=body.parent_code,
        region_code=body.region_code,
        contact=body.contact.to_domain(),
        networked_since=body.networked_since,
    )
    return AgencyOut.of(_write(request, lambda uow: service.add_agency(uow, cmd)))


@router.put("/agencies/{code}/contact", tags=["agencies"])
def update_contact(request: Request, code: str, body: ContactIO) -> AgencyOut:
    contact = body.to_domain()
    return AgencyOut.of(
        _write(request, lambda uow: service.update_agency_contact(uow, code, contact))
    )


@router.put("/agencies/{code}/network", tags=["agencies"], summary="入网 network status")
def set_network(request: Request, code: str, body: NetworkIn) -> AgencyOut:
    return AgencyOut.of(
        _write(request, lambda uow: service.set_agency_network(uow, code, body.networked_since))
    )


# ----------------------------------------------------------------------------- employers


@router.post("/employers", tags=["employers"], status_code=status.HTTP_201_CREATED)
def add_employer(request: Request, body: EmployerIn) -> EmployerOut:
    cmd = service.NewEmployer(body.uscc, body.name, body.agency_code)
    return EmployerOut.of(_write(request, lambda uow: service.add_employer(uow, cmd)))


@router.get("/employers", tags=["employers"])
def list_employers(
    request: Request,
    agency: str | None = None,
    q: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[EmployerOut]:
    found = _read(
        request,
        lambda uow: repository.list_employers(
            uow, agency_code=agency, query=q, limit=limit, offset=offset
        ),
    )
    return [EmployerOut.of(e) for e in found]


@router.get("/employers/{uscc}", tags=["employers"])
def show_employer(request: Request, uscc: str) -> EmployerOut:
    return EmployerOut.of(_read(request, lambda uow: service.get_employer(uow, uscc)))


async def _import(
    request: Request, importer: Callable[[UnitOfWork, bytes], imports.ImportReport]
) -> ImportReportOut:
    """Read the CSV body, run the import in a worker thread, report what was imported."""
    data = await request.body()
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(
            "import.too_large",
            "文件超过20MB，请拆分后导入。",
            "The file is larger than 20 MB; split it.",
        )
    report = await run_in_threadpool(_write, request, lambda uow: importer(uow, data))
    return ImportReportOut(kind=report.kind, rows=report.rows, imported=report.imported)


@router.post(
    "/employers/import",
    tags=["employers"],
    summary="Import employers from CSV (all or nothing)",
    description="Send the CSV file as the request body (`Content-Type: text/csv`). Columns: "
    "uscc,name,agency_code. On any error nothing is imported and the response lists every "
    "problem by row.",
)
async def import_employers(request: Request) -> ImportReportOut:
    return await _import(request, imports.import_employers)


# ----------------------------------------------------------------------------- persons


@router.post("/persons", tags=["persons"], status_code=status.HTTP_201_CREATED)
def add_person(request: Request, body: PersonIn) -> PersonOut:
    cmd = service.NewPerson(**body.model_dump())
    return PersonOut.of(_write(request, lambda uow: service.add_person(uow, cmd)))


@router.get("/persons", tags=["persons"])
def list_persons(
    request: Request,
    q: Annotated[str | None, Query(description="name, or an exact ID number")] = None,
    hukou: Annotated[str | None, Query(description="region code prefix, e.g. 44 or 4401")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[PersonOut]:
    found = _read(
        request,
        lambda uow: repository.list_persons(
            uow, query=q, hukou_prefix=hukou, limit=limit, offset=offset
        ),
    )
    return [PersonOut.of(p) for p in found]


@router.get("/persons/{id_number}", tags=["persons"])
def show_person(request: Request, id_number: str) -> PersonOut:
    return PersonOut.of(_read(request, lambda uow: service.get_person(uow, id_number)))


@router.get("/persons/{id_number}/relationships", tags=["relationships"])
def person_relationships(request: Request, id_number: str) -> list[RelationshipOut]:
    found = _read(request, lambda uow: service.person_relationships(uow, id_number))
    return [RelationshipOut.of(r, history) for r, history in found]


@router.post(
    "/persons/import",
    tags=["persons"],
    summary="Import persons from CSV (all or nothing)",
    description="Send the CSV file as the request body (`Content-Type: text/csv`). Columns: "
    "id_number,name,hukou_region_code and optionally sex,birth_date,retirement_category,phone,"
    "address. UTF-8 or GB18030.",
)
async def import_persons(request: Request) -> ImportReportOut:
    return await _import(request, imports.import_persons)


# ----------------------------------------------------------------------------- relationships


@router.post("/relationships", tags=["relationships"], status_code=status.HTTP_201_CREATED)
def add_relationship(request: Request, body: RelationshipIn) -> RelationshipOut:
    cmd = service.NewRelationship(**body.model_dump())

    r = _write(request, lambda uow: service.add_relationship(uow, cmd))
    return RelationshipOut.of(r, _read(request, lambda uow: service.status_history(uow, r.id)))


@router.get("/relationships/{relationship_id}", tags=["relationships"])
def show_relationship(request: Request, relationship_id: int) -> RelationshipOut:
    r, history = _read(request, lambda uow: service.relationship_with_history(uow, relationship_id))
    return RelationshipOut.of(r, history)


@router.post("/relationships/{relationship_id}/status", tags=["relationships"])
def change_status(request: Request, relationship_id: int, body: StatusChangeIn) -> RelationshipOut:
    r = _write(
        request,
        lambda uow: service.change_relationship_status(
            uow, relationship_id, body.status, changed_on=body.changed_on, reason=body.reason
        ),
    )
    return RelationshipOut.of(r, _read(request, lambda uow: service.status_history(uow, r.id)))
