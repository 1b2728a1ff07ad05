"""API schemas (pydantic) for the registry, separate from the domain types and the tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from pydantic import BaseModel, Field

from jinbao.kernel.identifiers import Sex
from jinbao.registry.model import (
    Agency,
    AgencyLevel,
    Contact,
    Employer,
    Person,
    Region,
    RegionLevel,
    Relationship,
    RelationshipKind,
    RelationshipStatus,
    RetirementCategory,
    Scheme,
    StatusChange,
)


class RegionOut(BaseModel):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None

    @classmethod
    def of(cls, r: Region) -> RegionOut:
        return cls(code=r.code, name=r.name, level=r.level, parent_code=r.parent_code)


class ContactIO(BaseModel):
    address: str = Field(description="单位地址 Address", max_length=200)
    department: str = Field(description="经办科室 Department", max_length=100)
    phone: str = Field(description="咨询电话 Phone", max_length=50)
    hours: str = Field(description="办公时间 Office hours", max_length=100)

    def to_domain(self) -> Contact:
        return Contact(self.address, self.department, self.phone, self.hours)


class AgencyIn(BaseModel):
    code: str = Field(examples=["44010000"])
    name: str = Field(examples=["广州市社会保险基金管理中心"])
    level: AgencyLevel
    parent_code: str | None = None
    region_code: str | None = Field(default=None, examples=["440100"])
    contact: ContactIO
    networked_since: dt.date | None = Field(default=None, description="入网日期")


class AgencyOut(BaseModel):
    code: str
    name: str
    level: AgencyLevel
    parent_code: str | None
    region_code: str | None
    contact: ContactIO
    networked: bool
    networked_since: dt.date | None

    @classmethod
    def of(cls, a: Agency) -> AgencyOut:
        return cls(
            code=a.code,
            name=a.name,
            level=a.level,
            parent_code=a.parent_code,
            region_code=a.region_code,
            contact=ContactIO(**asdict(a.contact)),
            networked=a.networked,
            networked_since=a.networked_since,
        )


class AgencyPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AgencyOut]


class NetworkIn(BaseModel):
    networked_since: dt.date | None = Field(description="入网日期; null = 未入网 (manual mode)")


class EmployerIn(BaseModel):
    uscc: str = Field(description="统一社会信用代码", examples=["91110000600037341L"])
    name: str
    agency_code: str


class EmployerOut(BaseModel):
    uscc: str
    name: str
    agency_code: str

    @classmethod
    def of(cls, e: Employer) -> EmployerOut:
        return cls(uscc=e.uscc, name=e.name, agency_code=e.agency_code)


class PersonIn(BaseModel):
    id_number: str = Field(description="公民身份号码", examples=["11010519491231002X"])
    name: str
    hukou_region_code: str = Field(description="户籍所在地 GB/T 2260 code", examples=["110105"])
    sex: Sex | None = None
    birth_date: dt.date | None = None
    retirement_category: RetirementCategory | None = None
    phone: str | None = None
    address: str | None = None


class PersonOut(BaseModel):
    id_number: str
    name: str
    sex: Sex
    birth_date: dt.date
    hukou_region_code: str
    retirement_category: RetirementCategory
    phone: str | None
    address: str | None

    @classmethod
    def of(cls, p: Person) -> PersonOut:
        return cls(**asdict(p))


class RelationshipIn(BaseModel):
    id_number: str
    scheme: Scheme
    agency_code: str
    started_on: dt.date
    kind: RelationshipKind = RelationshipKind.NORMAL
    employer_uscc: str | None = None


class StatusChangeOut(BaseModel):
    from_status: RelationshipStatus | None
    to_status: RelationshipStatus
    changed_on: dt.date
    reason: str

    @classmethod
    def of(cls, c: StatusChange) -> StatusChangeOut:
        return cls(**asdict(c))


class RelationshipOut(BaseModel):
    id: int
    id_number: str
    scheme: Scheme
    agency_code: str
    employer_uscc: str | None
    kind: RelationshipKind
    status: RelationshipStatus
    started_on: dt.date
    history: list[StatusChangeOut] = []

    @classmethod
    def of(cls, r: Relationship, history: list[StatusChange] | None = None) -> RelationshipOut:
        return cls(
            id=r.id,
            id_number=r.person_id_number,
            scheme=r.scheme,
            agency_code=r.agency_code,
            employer_uscc=r.employer_uscc,
            kind=r.kind,
            status=r.status,
            started_on=r.started_on,
            history=[StatusChangeOut.of(c) for c in history or []],
        )


class StatusChangeIn(BaseModel):
    status: RelationshipStatus
    changed_on: dt.date
    reason: str


class ImportReportOut(BaseModel):
    kind: str
    rows: int
    imported: int
