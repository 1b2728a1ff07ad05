"""Shared pieces of the registry use cases: commands, text checks."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.identifiers import Sex
from jinbao.registry import repository as repo
from jinbao.registry.model import (
    Agency,
    AgencyLevel,
    Contact,
    RelationshipKind,
    RetirementCategory,
    Scheme,
)

AGENCY_CODE = re.compile(r"^[0-9A-Z]{6,20}$")
PHONE = re.compile(r"^[0-9+\-() 转]{5,30}$")


@dataclass(frozen=True, slots=True)
class NewAgency:
    code: str
    name: str
    level: AgencyLevel
    parent_code: str | None
    region_code: str | None
    contact: Contact
    networked_since: dt.date | None = None


@dataclass(frozen=True, slots=True)
class NewEmployer:
    uscc: str
    name: str
    agency_code: str


@dataclass(frozen=True, slots=True)
class NewPerson:
    id_number: str
    name: str
    hukou_region_code: str
    sex: Sex | None = None
    birth_date: dt.date | None = None
    retirement_category: RetirementCategory | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class NewRelationship:
    id_number: str
    scheme: Scheme
    agency_code: str
    started_on: dt.date
    kind: RelationshipKind = RelationshipKind.NORMAL
    employer_uscc: str | None = None


# ----------------------------------------------------------------------------- helpers


def _required_text(value: str, field: str, zh_name: str, max_len: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(
            f"{field}.required", f"{zh_name}不能为空。", f"{field} is required.", field=field
        )
    if len(text) > max_len:
        raise InvalidInput(
            f"{field}.too_long",
            f"{zh_name}不能超过{max_len}个字符。",
            f"{field} is longer than {max_len} characters.",
            field=field,
        )
    return text


def _agency_or_invalid(uow: UnitOfWork, code: str, field: str) -> Agency:
    agency = repo.get_agency(uow, code)
    if agency is None:
        raise InvalidInput(
            "agency.unknown",
            f"经办机构{code}不存在。",
            f"There is no agency with code {code}.",
            field=field,
        )
    return agency
