"""A person's whole record (电子档案袋) on both engines: every section read in one statement
(JSON arrays built by the database) says what the registry, the contributions, the accounts and
the benefits say, in order."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, event

from jinbao.accounts.service import statement
from jinbao.benefits.events import claim_survivor_benefits, death_settlement
from jinbao.benefits.payments import run_payments
from jinbao.contributions.service.resident import ResidentPayment, pay_resident_year
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import NotFound
from jinbao.kernel.periods import YearMonth
from jinbao.policy.parameters import Parameters
from jinbao.records.service import person_record
from jinbao.registry import service as registry
from jinbao.registry.model import Scheme
from jinbao.transfers import workflow
from jinbao.transfers.queries import person_cases
from tests.builders import an_agency_tree, an_id_number
from tests.integration.benefits.test_events import died_in_service
from tests.integration.benefits.test_retirement import approved_pensioner
from tests.integration.helpers import commit
from tests.integration.transfers.conftest import NEW, OLD, Mover, MovingClock

Uow = Callable[[], UnitOfWork]


def test_a_movers_record_has_both_places_year_by_year(
    engine: Engine, uow_at: Uow, params: Parameters, mover: Mover
) -> None:
    """Tianhe 2023-01..2024-12 at 8 000 yuan (December 2024 unpaid), then a flexible worker in
    Zhengzhou 2025-02..04 at 6 000 yuan; a resident-scheme year paid at home besides."""

    person = mover.id_number

    def resident_year(uow: UnitOfWork) -> None:
        registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.RESIDENT, NEW, dt.date(2019, 1, 1))
        )
        pay_resident_year(uow, ResidentPayment(person, 2019, 500, dt.date(2019, 3, 1)), params)

    commit(uow_at, resident_year)
    with uow_at() as uow:
        found = person_record(uow, mover.id_number, params)
        account = statement(uow, mover.id_number, dt.date(2026, 11, 23))
        resident_account = statement(uow, mover.id_number, dt.date(2026, 11, 23), "resident")
    assert found["person"]["id_number"] == mover.id_number
    relations = found["relationships"]
    assert [(r["agency"], r["scheme"], r["status"], r["started_on"]) for r in relations] == [
        (NEW, "resident", "contributing", "2019-01-01"),
        (OLD, "enterprise", "suspended", "2023-01-01"),
        (NEW, "enterprise", "contributing", "2025-02-01"),
    ]  # fmt: skip
    fields = (
        "year",
        "agency",
        "paid_months",
        "unpaid_months",
        "base_min",
        "base_max",
        "to_account",
    )
    assert [tuple(y[f] for f in fields) for y in found["contribution_years"]] == [
        (2023, OLD, 12, 0, 800_000, 800_000, 12 * 64_000),
        (2024, OLD, 11, 1, 800_000, 800_000, 11 * 64_000),  # the unpaid month credits nothing
        (2025, NEW, 3, 0, 600_000, 600_000, 3 * 48_000),
    ]
    assert [
        (r["year"], r["agency"], r["individual"], r["subsidy"], r["paid_on"])
        for r in found["resident_years"]
    ] == [(2019, NEW, 50_000, 6_000, "2019-03-01")]
    assert found["accounts"]["enterprise"]["total"] == account.total
    assert found["accounts"]["enterprise"]["portions"] == {
        p.value: v for p, v in account.balances.items() if v
    }
    assert found["accounts"]["resident"]["total"] == resident_account.total
    assert found["totals"] == {
        "paid_months": 26, "unpaid_months": 1, "deemed_months": 0, "places": sorted([OLD, NEW]),
    }  # fmt: skip
    assert found["deemed_years"] == []
    assert (found["transfers"], found["transferred_years"], found["pension"]) == ([], [], None)


def test_a_person_with_nothing_yet_has_an_empty_record(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """Every list empty, every sum zero: the database's aggregates over no rows (NULL on
    PostgreSQL) come out as the document's [], {} and 0."""
    person = an_id_number(born="1990-07-04", sex="F", county="410105")

    def register(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "李四", "410105"))

    commit(uow_at, register)
    with uow_at() as uow:
        found = person_record(uow, person.lower(), params)  # the check letter in either case
    assert found == {
        "person": {"id_number": person, "name": "李四", "sex": "F", "birth_date": "1990-07-04",
                   "hukou": "410105"},
        "relationships": [], "contribution_years": [], "resident_years": [],
        "transferred_years": [], "deemed_years": [], "accounts": {}, "transfers": [],
        "pension": None, "death": None,
        "totals": {"paid_months": 0, "unpaid_months": 0, "deemed_months": 0, "places": []},
    }  # fmt: skip


def test_a_pensioners_record_has_the_award_in_force(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """The pension is read by the record's one statement (until session 36 three more in
    Python): the award in force and the sum of what has been paid."""
    person, application, award = approved_pensioner(uow_at, params)
    with uow_at() as uow:
        pension = person_record(uow, person, params)["pension"]
    assert pension == {
        "application": application, "scheme": "enterprise", "state": "awarded",
        "retire_month": "2025-12", "monthly": award["total"], "award_version": award["version"],
        "paid_total": 0,
    }  # fmt: skip
    for month in (1, 2):
        commit(uow_at, lambda uow, m=month: run_payments(uow, NEW, YearMonth(2026, m)))
    with uow_at() as uow, _reads(engine) as reads:
        pension = person_record(uow, person, params)["pension"]
    assert len(reads) == 1
    assert pension["paid_total"] == 2 * award["total"]


def test_a_death_in_service_shows_unclaimed_then_the_settlement(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """The death and its settlement are read by the record's one statement (until session 36
    three more in Python): the settlement as the benefits service keeps and shows it."""
    person = died_in_service(uow_at, params, moving_clock, tianhe=0, zhengzhou=40)
    with uow_at() as uow:
        assert person_record(uow, person, params)["death"] == {
            "died_on": "2026-03-15", "settlement": None,
        }  # fmt: skip
    settled = commit(uow_at, lambda uow: claim_survivor_benefits(uow, person, "冯大", params))
    with uow_at() as uow, _reads(engine) as reads:
        death = person_record(uow, person, params)["death"]
    assert len(reads) == 1
    with uow_at() as uow:
        kept = death_settlement(uow, person)
    assert death == {"died_on": "2026-03-15", "settlement": kept}
    assert death["settlement"]["claimant"] == "冯大"
    assert death["settlement"]["agency_code"] == NEW
    assert death["settlement"]["explanation"]  # its steps and sources, as JSON
    assert {k: death["settlement"][k] for k in ("funeral", "survivor_pension", "payable")} == {
        k: settled[k] for k in ("funeral", "survivor_pension", "payable")
    }


def test_a_movers_record_lists_their_transfer_as_they_follow_it_in_two_statements(
    engine: Engine, uow_at: Uow, params: Parameters, mover: Mover
) -> None:
    """A person with a case has it in the record as the person's own list of transfers shows
    it, with its clock: the record's statement and one read of their cases (until session 36
    four statements, three of them built anew at each call)."""
    case_id = commit(
        uow_at,
        lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params),
    )
    with uow_at() as uow:
        listed = person_cases(uow, mover.id_number, params)
    with uow_at() as uow, _reads(engine) as reads:
        found = person_record(uow, mover.id_number, params)
    assert len(reads) == 2
    assert found["transfers"] == listed
    assert [(c["case_id"], c["side"], c["state"]) for c in listed] == [
        (case_id, "receiving", "applied")
    ]
    assert listed[0]["clock"]["owed_by"] == "receiving"  # its review


@contextlib.contextmanager
def _reads(engine: Engine) -> Iterator[list[str]]:
    """The reads (SELECT, WITH) run on ``engine`` inside the block, as they are run."""
    reads: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            reads.append(sql)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield reads
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_the_record_is_one_statement_and_an_unknown_person_is_not_found(
    engine: Engine, uow_at: Uow, params: Parameters, mover: Mover
) -> None:
    with uow_at() as uow, _reads(engine) as reads:
        person_record(uow, mover.id_number, params)
    assert len(reads) == 1  # the person and every section
    with uow_at() as uow, pytest.raises(NotFound):
        person_record(uow, "110101199001011234", params)


@pytest.mark.parametrize(
    "migrated_engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_on_postgresql_the_records_statement_is_converted_once(
    engine: Engine, uow_at: Uow, params: Parameters, mover: Mover
) -> None:
    """psycopg keeps its placeholder conversion of statements only up to a length, which the
    record's one statement exceeds; jinbao.db.engine raises the limit. If psycopg renames or
    stops reading that constant, every record converts its 8 300 characters again, and this
    fails."""
    import psycopg._queries as queries

    from jinbao.db.engine import LONGEST_CACHED_STATEMENT
    from jinbao.records.service import _RECORD

    assert len(str(_RECORD.compile(dialect=engine.dialect))) < LONGEST_CACHED_STATEMENT
    with uow_at() as uow:
        person_record(uow, mover.id_number, params)
    before = queries._query2pg.cache_info()
    with uow_at() as uow:
        person_record(uow, mover.id_number, params)
    after = queries._query2pg.cache_info()
    assert after.hits > before.hits
    assert after.misses == before.misses
