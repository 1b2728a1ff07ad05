"""Registry commands: agencies, employers, persons, relationships (add / show / list / import)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

import typer

from jinbao.cli.common import JsonOption, emit, read_file, run
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.identifiers import Sex
from jinbao.registry import imports, repository, service
from jinbao.registry.model import (
    AgencyLevel,
    Contact,
    RelationshipKind,
    RelationshipStatus,
    RetirementCategory,
    Scheme,
)
from jinbao.registry.schemas import (
    AgencyOut,
    EmployerOut,
    ImportReportOut,
    PersonOut,
    RelationshipOut,
)

agency_app = typer.Typer(help="经办机构 Social insurance agencies.", no_args_is_help=True)
employer_app = typer.Typer(help="参保单位 Employers.", no_args_is_help=True)
person_app = typer.Typer(help="参保人 Insured persons.", no_args_is_help=True)
relationship_app = typer.Typer(help="参保关系 Insurance relationships.", no_args_is_help=True)

DateOpt = Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])]


def _agency_text(a: AgencyOut) -> str:
    net = f"入网 networked since {a.networked_since}" if a.networked else "未入网 not networked"
    return (
        f"{a.code}  {a.name}  [{a.level.value}]\n"
        f"  上级 parent: {a.parent_code or '-'}   区划 region: {a.region_code or '-'}   {net}\n"
        f"  地址 address: {a.contact.address}\n"
        f"  科室 department: {a.contact.department}   电话 phone: {a.contact.phone}\n"
        f"  办公时间 hours: {a.contact.hours}"
    )


def _person_text(p: PersonOut) -> str:
    return (
        f"{p.id_number}  {p.name}  {p.sex.value}  born {p.birth_date}  "
        f"户籍 {p.hukou_region_code}  [{p.retirement_category.value}]"
        + (f"  tel {p.phone}" if p.phone else "")
    )


def _relationship_text(r: RelationshipOut) -> str:
    lines = [
        f"#{r.id}  {r.id_number}  {r.scheme.value}/{r.kind.value}  at {r.agency_code}"
        + (f"  employer {r.employer_uscc}" if r.employer_uscc else "")
        + f"  since {r.started_on}  status {r.status.value}"
    ]
    lines += [
        f"    {c.changed_on}  {c.from_status.value if c.from_status else '-'} → "
        f"{c.to_status.value}  ({c.reason})"
        for c in r.history
    ]
    return "\n".join(lines)


def _import(
    path: str, importer: Callable[[UnitOfWork, bytes], imports.ImportReport], as_json: bool
) -> None:
    data = read_file(path)
    report = run(lambda uow: importer(uow, data), as_json=as_json, write=True)
    out = ImportReportOut(kind=report.kind, rows=report.rows, imported=report.imported)
    emit(out, as_json, lambda: f"已导入 imported {out.imported} {out.kind} from {out.rows} rows.")


# ----------------------------------------------------------------------------- agencies


@agency_app.command("add")
def agency_add(
    code: Annotated[str, typer.Option(help="Unique agency code, 6–20 digits/capitals.")],
    name: Annotated[str, typer.Option()],
    level: Annotated[AgencyLevel, typer.Option()],
    address: Annotated[str, typer.Option(help="单位地址")],
    department: Annotated[str, typer.Option(help="经办科室")],
    phone: Annotated[str, typer.Option(help="咨询电话")],
    hours: Annotated[str, typer.Option(help="办公时间")],
    parent: Annotated[str | None, typer.Option(help="Parent agency code.")] = None,
    region: Annotated[str | None, typer.Option(help="GB/T 2260 region code.")] = None,
    networked_since: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    as_json: JsonOption = False,
) -> None:
    """Register an agency (经办机构登记)."""
    cmd = service.NewAgency(
        code=code,
        name=name,
        level=level,
        parent_code=parent,
        region_code=region,
        contact=Contact(address, department, phone, hours),
        networked_since=networked_since.date() if networked_since else None,
    )
    out = AgencyOut.of(run(lambda uow: service.add_agency(uow, cmd), as_json=as_json, write=True))
    emit(out, as_json, lambda: _agency_text(out))


@agency_app.command("show")
def agency_show(code: str, as_json: JsonOption = False) -> None:
    """Show one agency."""
    out = AgencyOut.of(run(lambda uow: service.get_agency(uow, code), as_json=as_json, write=False))
    emit(out, as_json, lambda: _agency_text(out))


@agency_app.command("list")
def agency_list(
    q: Annotated[str | None, typer.Option(help="Name, address or code.")] = None,
    level: Annotated[AgencyLevel | None, typer.Option()] = None,
    province: Annotated[str | None, typer.Option(help="Two digits, e.g. 44.")] = None,
    networked: Annotated[bool | None, typer.Option("--networked/--not-networked")] = None,
    parent: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonOption = False,
) -> None:
    """Search the agency directory."""
    items, total = run(
        lambda uow: repository.search_agencies(
            uow,
            query=q,
            level=level,
            region_prefix=province,
            networked=networked,
            parent_code=parent,
            limit=limit,
        ),
        as_json=as_json,
        write=False,
    )
    out = [AgencyOut.of(a) for a in items]
    emit(
        out,
        as_json,
        lambda: "\n".join(
            [f"{a.code}  {a.name}  [{a.level.value}]  {a.contact.phone}" for a in out]
            + [f"({len(out)} of {total})"]
        ),
    )


@agency_app.command("set-contact")
def agency_set_contact(
    code: str,
    address: Annotated[str, typer.Option()],
    department: Annotated[str, typer.Option()],
    phone: Annotated[str, typer.Option()],
    hours: Annotated[str, typer.Option()],
    as_json: JsonOption = False,
) -> None:
    """Change an agency's published contact information."""
    contact = Contact(address, department, phone, hours)
    out = AgencyOut.of(
        run(
            lambda uow: service.update_agency_contact(uow, code, contact),
            as_json=as_json,
            write=True,
        )
    )
    emit(out, as_json, lambda: _agency_text(out))


@agency_app.command("set-network")
def agency_set_network(
    code: str,
    since: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="入网日期")
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="Mark as not networked.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Record that an agency joined the exchange network (入网), or left it with --off."""
    if (since is None) == (not off):
        raise typer.BadParameter("give exactly one of --since DATE or --off")
    day = since.date() if since else None
    out = AgencyOut.of(
        run(lambda uow: service.set_agency_network(uow, code, day), as_json=as_json, write=True)
    )
    emit(out, as_json, lambda: _agency_text(out))


# ----------------------------------------------------------------------------- employers


@employer_app.command("add")
def employer_add(
    uscc: Annotated[str, typer.Option(help="统一社会信用代码")],
    name: Annotated[str, typer.Option()],
    agency: Annotated[str, typer.Option(help="Agency code.")],
    as_json: JsonOption = False,
) -> None:
    """Register an employer (参保单位登记)."""
    cmd = service.NewEmployer(uscc, name, agency)
    out = EmployerOut.of(
        run(lambda uow: service.add_employer(uow, cmd), as_json=as_json, write=True)
    )
    emit(out, as_json, lambda: f"{out.uscc}  {out.name}  at {out.agency_code}")


@employer_app.command("show")
def employer_show(uscc: str, as_json: JsonOption = False) -> None:
    """Show one employer."""
    out = EmployerOut.of(
        run(lambda uow: service.get_employer(uow, uscc), as_json=as_json, write=False)
    )
    emit(out, as_json, lambda: f"{out.uscc}  {out.name}  at {out.agency_code}")


@employer_app.command("list")
def employer_list(
    agency: Annotated[str | None, typer.Option()] = None,
    q: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonOption = False,
) -> None:
    """List employers."""
    found = run(
        lambda uow: repository.list_employers(
            uow, agency_code=agency, query=q, limit=limit, offset=0
        ),
        as_json=as_json,
        write=False,
    )
    out = [EmployerOut.of(e) for e in found]
    emit(out, as_json, lambda: "\n".join(f"{e.uscc}  {e.name}  at {e.agency_code}" for e in out))


@employer_app.command("import")
def employer_import(
    path: Annotated[str, typer.Argument(help="CSV file (uscc,name,agency_code); - for stdin.")],
    as_json: JsonOption = False,
) -> None:
    """Import employers from CSV: all or nothing, with a row-by-row error report."""
    _import(path, imports.import_employers, as_json)


# ----------------------------------------------------------------------------- persons


@person_app.command("add")
def person_add(
    id_number: Annotated[str, typer.Option(help="公民身份号码")],
    name: Annotated[str, typer.Option()],
    hukou: Annotated[str, typer.Option(help="户籍 GB/T 2260 region code.")],
    sex: Annotated[Sex | None, typer.Option()] = None,
    birth_date: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    category: Annotated[RetirementCategory | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    address: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a person (个人参保登记); sex and birth date must agree with the ID number."""
    cmd = service.NewPerson(
        id_number=id_number,
        name=name,
        hukou_region_code=hukou,
        sex=sex,
        birth_date=birth_date.date() if birth_date else None,
        retirement_category=category,
        phone=phone,
        address=address,
    )
    out = PersonOut.of(run(lambda uow: service.add_person(uow, cmd), as_json=as_json, write=True))
    emit(out, as_json, lambda: _person_text(out))


@person_app.command("show")
def person_show(id_number: str, as_json: JsonOption = False) -> None:
    """Show one person."""
    out = PersonOut.of(
        run(lambda uow: service.get_person(uow, id_number), as_json=as_json, write=False)
    )
    emit(out, as_json, lambda: _person_text(out))


@person_app.command("list")
def person_list(
    q: Annotated[str | None, typer.Option(help="Name, or an exact ID number.")] = None,
    hukou: Annotated[str | None, typer.Option(help="Region code prefix.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonOption = False,
) -> None:
    """List persons."""
    found = run(
        lambda uow: repository.list_persons(
            uow, query=q, hukou_prefix=hukou, limit=limit, offset=0
        ),
        as_json=as_json,
        write=False,
    )
    out = [PersonOut.of(p) for p in found]
    emit(out, as_json, lambda: "\n".join(_person_text(p) for p in out))


@person_app.command("import")
def person_import(
    path: Annotated[str, typer.Argument(help="CSV file; - for stdin.")],
    as_json: JsonOption = False,
) -> None:
    """Import persons from CSV: all or nothing, with a row-by-row error report.

    Columns: id_number,name,hukou_region_code and optionally sex,birth_date,
    retirement_category,phone,address. UTF-8 or GB18030.
    """
    _import(path, imports.import_persons, as_json)


# ----------------------------------------------------------------------------- relationships


@relationship_app.command("add")
def relationship_add(
    id_number: Annotated[str, typer.Option()],
    scheme: Annotated[Scheme, typer.Option()],
    agency: Annotated[str, typer.Option()],
    started_on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    kind: Annotated[RelationshipKind, typer.Option()] = RelationshipKind.NORMAL,
    employer: Annotated[str | None, typer.Option(help="Employer USCC.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Open an insurance relationship (参保关系)."""
    cmd = service.NewRelationship(
        id_number=id_number,
        scheme=scheme,
        agency_code=agency,
        started_on=started_on.date(),
        kind=kind,
        employer_uscc=employer,
    )
    r, history = run(
        lambda uow: service.relationship_with_history(uow, service.add_relationship(uow, cmd).id),
        as_json=as_json,
        write=True,
    )
    out = RelationshipOut.of(r, history)
    emit(out, as_json, lambda: _relationship_text(out))


@relationship_app.command("show")
def relationship_show(relationship_id: int, as_json: JsonOption = False) -> None:
    """Show one relationship with its status history."""
    r, history = run(
        lambda uow: service.relationship_with_history(uow, relationship_id),
        as_json=as_json,
        write=False,
    )
    out = RelationshipOut.of(r, history)
    emit(out, as_json, lambda: _relationship_text(out))


@relationship_app.command("list")
def relationship_list(id_number: str, as_json: JsonOption = False) -> None:
    """List a person's relationships, oldest first."""
    found = run(
        lambda uow: service.person_relationships(uow, id_number), as_json=as_json, write=False
    )
    out = [RelationshipOut.of(r, h) for r, h in found]
    emit(out, as_json, lambda: "\n".join(_relationship_text(r) for r in out) or "(none)")


@relationship_app.command("set-status")
def relationship_set_status(
    relationship_id: int,
    status: Annotated[RelationshipStatus, typer.Option()],
    on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="Date of the change.")],
    reason: Annotated[str, typer.Option()],
    as_json: JsonOption = False,
) -> None:
    """Change a relationship's status (dated, with a reason, kept in its history)."""
    r, history = run(
        lambda uow: service.relationship_with_history(
            uow,
            service.change_relationship_status(
                uow, relationship_id, status, changed_on=on.date(), reason=reason
            ).id,
        ),
        as_json=as_json,
        write=True,
    )
    out = RelationshipOut.of(r, history)
    emit(out, as_json, lambda: _relationship_text(out))
