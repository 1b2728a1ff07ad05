"""A small enrolled workforce: an employer in Guangzhou, employees, a flexible worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from jinbao.db.uow import UnitOfWork
from jinbao.policy.parameters import Parameters, load_parameters
from jinbao.registry import service as registry
from jinbao.registry.model import Scheme
from tests.builders import a_uscc, an_agency_tree, an_id_number
from tests.integration.helpers import commit


@dataclass(frozen=True)
class Workforce:
    employer: str
    employees: tuple[str, ...]
    flexible: str


@pytest.fixture(scope="session")
def params() -> Parameters:
    return load_parameters()


@pytest.fixture
def workforce(make_uow: Callable[[], UnitOfWork]) -> Workforce:
    uscc = a_uscc("440106")
    employees = tuple(
        an_id_number(born=f"19{70 + i}-0{1 + i % 9}-15", sex="M" if i % 2 else "F", county="410105")
        for i in range(4)
    )
    flexible = an_id_number(born="1985-06-01", sex="M", county="510107")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_employer(uow, registry.NewEmployer(uscc, "某科技有限公司", "44010600"))
        for number in (*employees, flexible):
            registry.add_person(uow, registry.NewPerson(number, "某人", "410105"))
        for number in employees:
            registry.add_relationship(
                uow,
                registry.NewRelationship(
                    number, Scheme.ENTERPRISE, "44010600", dt.date(2015, 1, 1), employer_uscc=uscc
                ),
            )
        registry.add_relationship(
            uow,
            registry.NewRelationship(flexible, Scheme.ENTERPRISE, "44010000", dt.date(2018, 1, 1)),
        )

    commit(make_uow, setup)
    return Workforce(uscc, employees, flexible)
