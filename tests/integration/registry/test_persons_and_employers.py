"""Persons and employers: one registration nationally, identity checked, on both engines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select

from jinbao.audit.tables import audit_log
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.kernel.identifiers import Sex
from jinbao.registry import service
from jinbao.registry.model import RetirementCategory
from tests.builders import a_uscc, an_agency_tree, an_id_number
from tests.integration.helpers import commit, rejected

Uow = Callable[[], UnitOfWork]


def a_person(id_number: str, **fields: object) -> service.NewPerson:
    values: dict[str, object] = {"name": "张三", "hukou_region_code": "410105"}
    values.update(fields)
    return service.NewPerson(id_number=id_number, **values)  # type: ignore[arg-type]


def test_a_person_is_registered_with_what_the_id_number_says(engine: Engine, make_uow: Uow) -> None:
    number = an_id_number(born="1975-03-02", sex="F", county="410105")
    person = commit(make_uow, lambda uow: service.add_person(uow, a_person(number)))
    assert (person.sex, person.birth_date, person.retirement_category) == (
        Sex.FEMALE,
        dt.date(1975, 3, 2),
        RetirementCategory.FEMALE_50,
    )
    with make_uow() as uow:
        assert service.get_person(uow, number.lower()) == person
    with engine.connect() as conn:
        audit = conn.execute(select(audit_log).where(audit_log.c.action == "person.add")).one()
    assert audit.entity_key == number
    assert audit.new["birth_date"] == "1975-03-02"


def test_one_person_per_id_number_nationally(engine: Engine, make_uow: Uow) -> None:
    number = an_id_number()
    commit(make_uow, lambda uow: service.add_person(uow, a_person(number)))
    error = rejected(
        engine,
        make_uow,
        lambda uow: service.add_person(uow, a_person(number, hukou_region_code="440106")),
        Conflict,
    )
    assert error.code == "person.duplicate"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"id_number": "110105194912310021"}, "id_number.checksum"),
        ({"sex": Sex.FEMALE}, "person.sex_mismatch"),
        ({"birth_date": dt.date(1970, 5, 2)}, "person.birth_date_mismatch"),
        ({"retirement_category": RetirementCategory.FEMALE_55}, "person.category_mismatch"),
        ({"hukou_region_code": "419999"}, "person.hukou_region"),
        ({"name": "  "}, "name.required"),
        ({"phone": "call me"}, "person.phone"),
    ],
)
def test_bad_persons_are_refused_and_nothing_is_written(
    engine: Engine, make_uow: Uow, fields: dict[str, object], code: str
) -> None:
    fields = {"id_number": an_id_number(born="1970-05-01", sex="M"), **fields}
    number = str(fields.pop("id_number"))
    error = rejected(
        engine,
        make_uow,
        lambda uow: service.add_person(uow, a_person(number, **fields)),
        InvalidInput,
    )
    assert error.code == code
    assert error.field is not None


def test_an_unknown_person_is_not_found(engine: Engine, make_uow: Uow) -> None:
    with make_uow() as uow, pytest.raises(NotFound):
        service.get_person(uow, an_id_number())


def test_an_employer_is_registered_once_by_its_credit_code(engine: Engine, make_uow: Uow) -> None:
    commit(make_uow, an_agency_tree)
    code = a_uscc()
    employer = commit(
        make_uow,
        lambda uow: service.add_employer(
            uow, service.NewEmployer(code, "某科技有限公司", "44010600")
        ),
    )
    assert (employer.uscc, employer.agency_code) == (code, "44010600")
    error = rejected(
        engine,
        make_uow,
        lambda uow: service.add_employer(uow, service.NewEmployer(code, "又一家", "44010000")),
        Conflict,
    )
    assert error.code == "employer.duplicate"


@pytest.mark.parametrize(
    ("uscc", "agency", "code"),
    [
        ("91110000600037341X", "44010600", "uscc.checksum"),
        ("911100006000373", "44010600", "uscc.length"),
        ("91110000600037341L", "NOPE0000", "agency.unknown"),
    ],
)
def test_bad_employers_are_refused_and_nothing_is_written(
    engine: Engine, make_uow: Uow, uscc: str, agency: str, code: str
) -> None:
    commit(make_uow, an_agency_tree)
    error = rejected(
        engine,
        make_uow,
        lambda uow: service.add_employer(uow, service.NewEmployer(uscc, "某公司", agency)),
        InvalidInput,
    )
    assert error.code == code
