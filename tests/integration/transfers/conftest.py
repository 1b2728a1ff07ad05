"""A person who worked in Guangzhou and now works in Zhengzhou, and the two agencies' networks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from jinbao.contributions import service as contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import CHINA_TZ
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.parameters import Parameters, load_parameters
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipKind, RelationshipStatus, Scheme
from jinbao.transfers import workflow
from tests.builders import a_uscc, an_agency_tree, an_id_number
from tests.integration.helpers import commit

OLD = "44010600"  # 天河区社保中心 (Guangdong): the transferring agency
NEW = "41010000"  # 郑州市社保中心 (Henan): the receiving agency


class MovingClock:
    """A clock the test moves forward, to run the legs' deadlines."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(9, 0), tzinfo=CHINA_TZ)

    def today(self) -> dt.date:
        return self.day

    def advance(self, days: int) -> None:
        self.day += dt.timedelta(days=days)


@pytest.fixture(scope="session")
def params() -> Parameters:
    return load_parameters()


@pytest.fixture
def moving_clock() -> MovingClock:
    return MovingClock(dt.date(2026, 11, 2))  # a Monday


@pytest.fixture
def uow_at(engine: Engine, moving_clock: MovingClock) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(engine, moving_clock, actor="test")


@dataclass(frozen=True)
class Mover:
    id_number: str
    employer: str
    old_relation: int
    new_relation: int
    paid_months: int
    unpaid_months: int


def months(first: YearMonth, count: int) -> list[YearMonth]:
    return [first.plus(i) for i in range(count)]


def declare_paid(
    uow: UnitOfWork, params: Parameters, uscc: str, person: str, first: YearMonth, count: int,
    base: int, paid_on: dt.date,
) -> None:  # fmt: skip
    """``count`` months from ``first``, declared by the employer on ``base`` fen and paid."""
    rows = [
        contributions.DeclarationRow(i + 2, uscc, m, person, Fen(base))
        for i, m in enumerate(months(first, count))
    ]
    contributions.declare(uow, rows, batch=f"{person}-{first}", params=params, paid_on=paid_on)


def employ(
    uow: UnitOfWork, params: Parameters, person: str, agency: str, first: YearMonth, count: int,
    base: int, *, paid_on: dt.date, kind: RelationshipKind = RelationshipKind.NORMAL,
) -> tuple[int, str]:  # fmt: skip
    """A new employer at ``agency`` employs the person from ``first`` and declares ``count``
    paid months; returns the relationship id and the employer's code."""
    found = registry.get_agency(uow, agency)
    uscc = a_uscc(found.region_code or "110101")
    registry.add_employer(uow, registry.NewEmployer(uscc, f"某有限公司{uscc[-4:]}", agency))
    relation = registry.add_relationship(
        uow,
        registry.NewRelationship(
            person, Scheme.ENTERPRISE, agency, dt.date(first.year, first.month, 1),
            kind=kind, employer_uscc=uscc,
        ),
    )  # fmt: skip
    declare_paid(uow, params, uscc, person, first, count, base, paid_on)
    return relation.id, uscc


@pytest.fixture
def mover(uow_at: Callable[[], UnitOfWork], params: Parameters) -> Mover:
    """Born 1985 in Zhengzhou (户籍 河南), employed in Tianhe 2023-01..2024-12 (the last month
    declared and not paid), left, and enrolled as a flexible worker in Zhengzhou in 2025."""
    uscc = a_uscc("440106")
    person = an_id_number(born="1985-03-15", sex="M", county="410105")

    def setup(uow: UnitOfWork) -> tuple[int, int]:
        an_agency_tree(uow)
        registry.add_employer(uow, registry.NewEmployer(uscc, "某科技有限公司", OLD))
        registry.add_person(uow, registry.NewPerson(person, "张三", "410105"))
        old = registry.add_relationship(
            uow,
            registry.NewRelationship(
                person, Scheme.ENTERPRISE, OLD, dt.date(2023, 1, 1), employer_uscc=uscc
            ),
        )
        paid = [
            contributions.DeclarationRow(i + 2, uscc, m, person, Fen(800_000))
            for i, m in enumerate(months(YearMonth(2023, 1), 23))
        ]
        contributions.declare(
            uow, paid, batch="tianhe-2023-2024", params=params, paid_on=dt.date(2024, 12, 10)
        )
        contributions.declare(
            uow,
            [contributions.DeclarationRow(2, uscc, YearMonth(2024, 12), person, Fen(800_000))],
            batch="tianhe-2024-12",
            params=params,
        )
        registry.change_relationship_status(
            uow, old.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2025, 1, 1),
            reason="离职，中断缴费",
        )  # fmt: skip
        new = registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, NEW, dt.date(2025, 2, 1))
        )
        for m in months(YearMonth(2025, 2), 3):
            contributions.flexible(uow, person, m, Fen(600_000), dt.date(2025, 5, 10), params)
        return old.id, new.id

    old_id, new_id = commit(uow_at, setup)
    return Mover(person, uscc, old_id, new_id, 23, 1)


def auto_review(make_uow: Callable[[], UnitOfWork], *codes: str) -> None:
    def turn_on(uow: UnitOfWork) -> None:
        for code in codes:
            workflow.set_auto_review(uow, code, True)

    commit(make_uow, turn_on)
