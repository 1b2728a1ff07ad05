"""CSV imports of persons and employers: all or nothing, with a row-by-row error report.

Every row is checked with the same validation as a single registration; duplicates within the
file and against the register are found in bulk. If any row has a problem, nothing is written
and the error carries one :class:`~jinbao.kernel.errors.Issue` per problem, with its row number
as a spreadsheet shows it (the header is row 1). Files may be UTF-8 (with or without the BOM
Excel writes) or GB18030, the encoding Chinese spreadsheets save by default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from jinbao.db.uow import UnitOfWork
from jinbao.kernel.csvfile import decode, read_rows, rejected
from jinbao.kernel.errors import DomainError, InvalidInput, Issue
from jinbao.kernel.identifiers import Sex
from jinbao.registry import repository as repo
from jinbao.registry.model import RetirementCategory
from jinbao.registry.service import (
    NewEmployer,
    NewPerson,
    insert_employers,
    insert_persons,
    validate_employer,
    validate_person,
)

PERSON_COLUMNS = (
    "id_number",
    "name",
    "hukou_region_code",
    "sex",
    "birth_date",
    "retirement_category",
    "phone",
    "address",
)
PERSON_REQUIRED = ("id_number", "name", "hukou_region_code")
EMPLOYER_COLUMNS = ("uscc", "name", "agency_code")

SEX_WORDS = {"M": Sex.MALE, "男": Sex.MALE, "F": Sex.FEMALE, "女": Sex.FEMALE}


@dataclass(frozen=True, slots=True)
class ImportReport:
    kind: str
    rows: int
    imported: int


def _issue_from(error: DomainError, row: int) -> Issue:
    return Issue(error.code, error.zh, error.en, field=error.field, row=row)


def _check_rows(
    rows: list[tuple[int, dict[str, str]]], check: Callable[[dict[str, str]], dict[str, object]]
) -> tuple[list[tuple[int, dict[str, object]]], list[Issue]]:
    good: list[tuple[int, dict[str, object]]] = []
    issues: list[Issue] = []
    for row_no, values in rows:
        try:
            good.append((row_no, check(values)))
        except DomainError as error:
            issues.append(_issue_from(error, row_no))
    return good, issues


def _parse_person(raw: dict[str, str]) -> NewPerson:
    sex_text = raw.get("sex", "")
    if sex_text and sex_text.upper() not in SEX_WORDS:
        raise InvalidInput(
            "person.sex", "性别应为 M/F 或 男/女。", "sex is M/F or 男/女.", field="sex"
        )
    birth_text = raw.get("birth_date", "")
    try:
        birth = dt.date.fromisoformat(birth_text) if birth_text else None
    except ValueError:
        raise InvalidInput(
            "person.birth_date_format",
            "出生日期格式应为YYYY-MM-DD。",
            "birth_date is written YYYY-MM-DD.",
            field="birth_date",
        ) from None
    category_text = raw.get("retirement_category", "")
    try:
        category = RetirementCategory(category_text) if category_text else None
    except ValueError:
        raise InvalidInput(
            "person.retirement_category",
            "退休年龄类别应为 male、female_55 或 female_50。",
            "retirement_category is male, female_55 or female_50.",
            field="retirement_category",
        ) from None
    return NewPerson(
        id_number=raw.get("id_number", ""),
        name=raw.get("name", ""),
        hukou_region_code=raw.get("hukou_region_code", ""),
        sex=SEX_WORDS[sex_text.upper()] if sex_text else None,
        birth_date=birth,
        retirement_category=category,
        phone=raw.get("phone") or None,
        address=raw.get("address") or None,
    )


def import_persons(uow: UnitOfWork, data: bytes) -> ImportReport:
    """Register every person in a CSV file, or none of them."""
    rows = read_rows(decode(data), PERSON_COLUMNS, PERSON_REQUIRED)
    known = repo.region_codes(uow, (r.get("hukou_region_code", "") for _, r in rows))
    good, issues = _check_rows(
        rows, lambda raw: validate_person(uow, _parse_person(raw), known_regions=known)
    )
    issues += _duplicates(
        good,
        "id_number",
        repo.existing_id_numbers,
        uow,
        zh_in_file="公民身份号码{v}在文件第{first}行已出现。",
        en_in_file="ID number {v} already appears in row {first}.",
        zh_registered="公民身份号码{v}已参保登记。",
        en_registered="ID number {v} is already registered.",
        code="person.duplicate",
    )
    if issues:
        raise rejected(sorted(issues, key=lambda i: i.row or 0))
    insert_persons(uow, [values for _, values in good])
    return ImportReport("persons", len(rows), len(good))


def import_employers(uow: UnitOfWork, data: bytes) -> ImportReport:
    """Register every employer in a CSV file, or none of them."""
    rows = read_rows(decode(data), EMPLOYER_COLUMNS, EMPLOYER_COLUMNS)
    good, issues = _check_rows(
        rows,
        lambda raw: validate_employer(
            uow, NewEmployer(raw.get("uscc", ""), raw.get("name", ""), raw.get("agency_code", ""))
        ),
    )
    issues += _duplicates(
        good,
        "uscc",
        repo.existing_usccs,
        uow,
        zh_in_file="统一社会信用代码{v}在文件第{first}行已出现。",
        en_in_file="Code {v} already appears in row {first}.",
        zh_registered="统一社会信用代码{v}的单位已参保登记。",
        en_registered="An employer with code {v} is already registered.",
        code="employer.duplicate",
    )
    if issues:
        raise rejected(sorted(issues, key=lambda i: i.row or 0))
    insert_employers(uow, [values for _, values in good])
    return ImportReport("employers", len(rows), len(good))


def _duplicates(
    good: list[tuple[int, dict[str, object]]],
    key: str,
    existing: Callable[[UnitOfWork, list[str]], set[str]],
    uow: UnitOfWork,
    *,
    zh_in_file: str,
    en_in_file: str,
    zh_registered: str,
    en_registered: str,
    code: str,
) -> list[Issue]:
    issues: list[Issue] = []
    first_row: dict[str, int] = {}
    for row_no, values in good:
        value = str(values[key])
        if value in first_row:
            issues.append(
                Issue(
                    code,
                    zh_in_file.format(v=value, first=first_row[value]),
                    en_in_file.format(v=value, first=first_row[value]),
                    field=key,
                    row=row_no,
                )
            )
        else:
            first_row[value] = row_no
    registered = existing(uow, list(first_row))
    issues += [
        Issue(code, zh_registered.format(v=v), en_registered.format(v=v), field=key, row=row)
        for v, row in first_row.items()
        if v in registered
    ]
    return issues
