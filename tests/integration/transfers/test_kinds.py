"""Transfer kinds other than a plain move, end to end on both engines: a temporary account
gathered (临时缴费账户 归集) into the relation kept at the old place; a return to the
pension-receiving place (转回待遇领取地); an employer moving with its staff (成建制划转)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import Engine

from jinbao.accounts.service import statement
from jinbao.contributions import service as contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.money import Fen, round_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters
from jinbao.registry import repository
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipKind, RelationshipStatus, Scheme
from jinbao.transfers import bulk, queries, workflow
from jinbao.transfers.records import agency_record
from tests.builders import a_uscc, an_agency_tree, an_id_number
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import (
    NEW,
    OLD,
    MovingClock,
    auto_review,
    declare_paid,
    employ,
    months,
)

Uow = Callable[[], UnitOfWork]


def temporary_worker(uow_at: Uow, params: Parameters) -> tuple[str, int, int]:
    """Born 1968 with 户籍 in Zhengzhou, insured there 2015–2020 (the relation is kept), then
    at 53 employed in Tianhe: a temporary account (66号 第五条（二）), sealed when he left."""
    person = an_id_number(born="1968-05-01", sex="M", county="410105")

    def setup(uow: UnitOfWork) -> tuple[int, int]:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "李四", "410105"))
        home = registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, NEW, dt.date(2015, 1, 1))
        )
        for m in months(YearMonth(2015, 1), 72):
            contributions.flexible(uow, person, m, Fen(400_000), dt.date(2021, 1, 5), params)
        registry.change_relationship_status(
            uow, home.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2021, 1, 1),
            reason="外出务工，中断缴费",
        )  # fmt: skip
        temp, _ = employ(
            uow, params, person, OLD, YearMonth(2021, 7), 18, 700_000,
            paid_on=dt.date(2022, 12, 20), kind=RelationshipKind.TEMPORARY,
        )  # fmt: skip
        registry.change_relationship_status(
            uow, temp, RelationshipStatus.SUSPENDED, changed_on=dt.date(2023, 1, 1),
            reason="封存：再次流动就业",
        )  # fmt: skip
        return home.id, temp

    home_id, temp_id = commit(uow_at, setup)
    return person, home_id, temp_id


def test_a_sealed_temporary_account_is_gathered_into_the_kept_relation(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, home_id, temp_id = temporary_worker(uow_at, params)
    auto_review(uow_at, OLD, NEW)
    with uow_at() as uow:
        before = statement(uow, person, moving_clock.today())
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(person, NEW), params)
    )
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
        after = statement(uow, person, moving_clock.today())
        temp = registry.get_relationship(uow, temp_id)
        home = registry.get_relationship(uow, home_id)
        pid = repository.person_id(uow, person)
        aid = repository.agency_id(uow, NEW)
        assert pid is not None
        assert aid is not None
        record = agency_record(uow, pid, "enterprise", aid, "410000")
        assert check(uow) == []
    assert case["kind"] == "temporary_gathering"
    assert {s["state"] for s in case["sides"]} == {"completed"}
    # The employer paid 16% (> 12%): the temporary account moves at the actual rate (187号).
    rate = params.employer_rate(YearMonth(2021, 7)).value
    assert rate > Decimal("0.12")
    assert case["ledger_transfer"]["pooled"] == 18 * round_to_fen(Decimal(700_000) * rate)
    assert case["ledger_transfer"]["account"] == 18 * 56_000  # 8% of 7 000 yuan
    assert after.balances == before.balances
    assert temp.status is RelationshipStatus.TRANSFERRED_OUT
    assert home.status is RelationshipStatus.SUSPENDED  # the kept relation stays as it was
    assert record.months == 72 + 18  # continuous at home: own years, then the gathered ones
    info = next(d for d in case["documents"] if d["type"] == "contact_letter")
    assert info["receiver"] == OLD


def test_a_temporary_account_is_not_gathered_where_no_relation_is_kept(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, _, _ = temporary_worker(uow_at, params)
    auto_review(uow_at, "41000000")
    # The Henan provincial agency keeps no relation of his: refused at once, in writing.
    case_id = commit(
        uow_at,
        lambda uow: workflow.apply(uow, workflow.Application(person, "41000000", OLD), params),
    )
    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
    (side,) = case["sides"]
    assert side["state"] == "refused"
    assert "transfer.gathering_target" in [r["code"] for r in side["reasons"]]


def test_an_agency_keeping_a_relation_and_a_temporary_account_is_refused_clearly(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """Insured in Tianhe at 40 (a relation, kept when he left), back in Tianhe at 53 (a
    temporary account, sealed), now at home in Zhengzhou. Tianhe holds both, under one agency's
    records; the application used to ask him to name the transferring agency, and to ask again
    when he had. It now says what is not supported, and writes nothing."""
    person = an_id_number(born="1968-05-01", sex="M", county="410105")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "王五", "410105"))
        first, _ = employ(
            uow, params, person, OLD, YearMonth(2008, 1), 24, 500_000, paid_on=dt.date(2009, 12, 20)
        )
        registry.change_relationship_status(
            uow, first, RelationshipStatus.SUSPENDED, changed_on=dt.date(2010, 1, 1), reason="离职"
        )
        temp, _ = employ(
            uow, params, person, OLD, YearMonth(2021, 7), 18, 700_000,
            paid_on=dt.date(2022, 12, 20), kind=RelationshipKind.TEMPORARY,
        )  # fmt: skip
        registry.change_relationship_status(
            uow, temp, RelationshipStatus.SUSPENDED, changed_on=dt.date(2023, 1, 1), reason="封存"
        )
        registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, NEW, dt.date(2024, 1, 1))
        )

    commit(uow_at, setup)
    for named in (None, OLD):
        error = rejected(
            engine,
            uow_at,
            lambda uow, named=named: workflow.apply(
                uow, workflow.Application(person, NEW, named), params
            ),
        )
        assert error.code == "transfer.relation_and_temporary_account"
        assert error.zh.count(OLD) == 1
        assert "not supported yet" in error.en


def returning_worker(uow_at: Uow, params: Parameters, guangdong_years: int) -> str:
    """户籍 Sichuan; employed in Tianhe from 2010 for ``guangdong_years`` years, then a flexible
    worker in Zhengzhou from 2023 until he stopped in October 2026, near retirement."""
    person = an_id_number(born="1966-08-01", sex="M", county="510107")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "王五", "510107"))
        there, _ = employ(
            uow, params, person, OLD, YearMonth(2010, 1), guangdong_years * 12, 500_000,
            paid_on=dt.date(2022, 12, 1),
        )  # fmt: skip
        registry.change_relationship_status(
            uow, there, RelationshipStatus.SUSPENDED, changed_on=dt.date(2022, 12, 1),
            reason="离职",
        )  # fmt: skip
        here = registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, NEW, dt.date(2023, 1, 1))
        )
        for m in months(YearMonth(2023, 1), 45):
            contributions.flexible(uow, person, m, Fen(500_000), dt.date(2026, 10, 5), params)
        registry.change_relationship_status(
            uow, here.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2026, 10, 1),
            reason="停止缴费，申请退休",
        )  # fmt: skip

    commit(uow_at, setup)
    return person


def test_at_retirement_the_relation_returns_to_the_place_with_ten_years(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person = returning_worker(uow_at, params, guangdong_years=12)
    auto_review(uow_at, OLD, NEW)
    application = workflow.Application(person, OLD, NEW, kind=workflow.RETURN)
    case_id = commit(uow_at, lambda uow: workflow.apply(uow, application, params))
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
        pid = repository.person_id(uow, person)
        aid = repository.agency_id(uow, OLD)
        assert pid is not None
        assert aid is not None
        record = agency_record(uow, pid, "enterprise", aid, "440000")
        assert check(uow) == []
    assert case["kind"] == "return_to_receiving_place"
    assert {s["state"] for s in case["sides"]} == {"completed"}
    assert (case["ledger_transfer"]["from_region"], case["ledger_transfer"]["to_region"]) == (
        "410000", "440000",
    )  # fmt: skip
    assert record.months == 144 + 45  # the whole career now sits where the pension is paid


def test_a_return_to_a_place_the_rules_do_not_name_is_refused_with_the_rule(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person = returning_worker(uow_at, params, guangdong_years=5)  # under 10 years anywhere
    auto_review(uow_at, OLD)
    application = workflow.Application(person, OLD, NEW, kind=workflow.RETURN)
    case_id = commit(uow_at, lambda uow: workflow.apply(uow, application, params))
    with uow_at() as uow:
        (side,) = queries.show(uow, case_id, params)["sides"]
    assert side["state"] == "refused"
    (reason,) = side["reasons"]
    assert reason["code"] == "transfer.not_receiving_place"
    assert "51" in reason["zh"]  # rule 4: the 户籍 province, Sichuan
    assert "规则四" in reason["zh"]


def test_an_employer_moves_with_all_its_staff(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    uscc = a_uscc("440106")
    staff = [an_id_number(born=f"19{80 + i}-02-0{i + 1}", county="440106") for i in range(3)]

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_employer(uow, registry.NewEmployer(uscc, "某软件有限公司", OLD))
        for i, person in enumerate(staff):
            registry.add_person(uow, registry.NewPerson(person, f"职工{i}", "440106"))
            registry.add_relationship(
                uow,
                registry.NewRelationship(
                    person, Scheme.ENTERPRISE, OLD, dt.date(2024, 1, 1), employer_uscc=uscc
                ),
            )
        rows = [
            contributions.DeclarationRow(2 + k, uscc, m, person, Fen(600_000 + 10_000 * i))
            for k, (i, person, m) in enumerate(
                (i, p, m) for i, p in enumerate(staff) for m in months(YearMonth(2024, 1), 33)
            )
        ]
        contributions.declare(uow, rows, batch="staff", params=params, paid_on=dt.date(2026, 10, 9))

    commit(uow_at, setup)
    auto_review(uow_at, OLD, NEW)
    move = bulk.EmployerMove(uscc, NEW, dt.date(2026, 10, 1))
    same = rejected(
        engine, uow_at, lambda uow: bulk.apply_bulk(uow, bulk.EmployerMove(uscc, OLD), params)
    )
    assert same.code == "employer.same_agency"
    early = rejected(
        engine,
        uow_at,
        lambda uow: bulk.apply_bulk(uow, bulk.EmployerMove(uscc, NEW, dt.date(2023, 6, 1)), params),
    )
    assert early.code == "transfer.bulk_date"

    batch = commit(uow_at, lambda uow: bulk.apply_bulk(uow, move, params))
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        found = bulk.batch_cases(uow, batch, params)
        employer = registry.get_employer(uow, uscc)
        shown = [queries.show(uow, c["case_id"], params) for c in found["cases"]]
        assert check(uow) == []
    assert found["by_state"] == {"completed": 3}
    assert sorted(c["person"]["id_number"] for c in found["cases"]) == sorted(staff)
    assert employer.agency_code == NEW
    for case, i in zip(shown, sorted(range(3), key=lambda i: staff[i]), strict=True):
        assert case["kind"] == "bulk_employer"
        assert case["batch"] == batch
        base = 600_000 + 10_000 * i
        assert case["ledger_transfer"]["pooled"] == round_to_fen(
            Decimal(base) * Decimal("0.12") * 12
        ) * 2 + round_to_fen(Decimal(base) * Decimal("0.12") * 9)
        assert case["ledger_transfer"]["account"] == 33 * base * 8 // 100

    # The employer's next declaration is made at its new agency.
    def declare_october(uow: UnitOfWork) -> None:
        rows = [
            contributions.DeclarationRow(2 + k, uscc, YearMonth(2026, 10), p, Fen(600_000))
            for k, p in enumerate(staff)
        ]
        contributions.declare(uow, rows, batch="staff-2026-10", params=params)

    commit(uow_at, declare_october)
    with uow_at() as uow:
        (record,) = [
            r for r in contributions.history(uow, staff[0]) if r.period == YearMonth(2026, 10)
        ]
    assert record.agency_code == NEW


def test_a_temporary_account_from_opening_to_sealing_to_gathering(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """建立 → 封存 → 归集 (66号 第五条（二）): at 55, insured in Zhengzhou (户籍 Henan) until 2024,
    he enrols in Tianhe in 2025 and applies to transfer. No exception applies: Tianhe's
    relation becomes a temporary account and the application is refused in writing. He works
    there six months and leaves (sealed); the account is gathered home."""
    person = an_id_number(born="1970-04-01", sex="M", county="410105")
    uscc = a_uscc("440106")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_employer(uow, registry.NewEmployer(uscc, "某物流有限公司", OLD))
        registry.add_person(uow, registry.NewPerson(person, "郑一", "410105"))
        home = registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, NEW, dt.date(2020, 1, 1))
        )
        registry.change_relationship_status(
            uow, home.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2025, 1, 1),
            reason="外出务工",
        )  # fmt: skip
        registry.add_relationship(
            uow,
            registry.NewRelationship(
                person, Scheme.ENTERPRISE, OLD, dt.date(2025, 3, 1), employer_uscc=uscc
            ),
        )

    commit(uow_at, setup)
    auto_review(uow_at, OLD, NEW)
    case_id = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(person, OLD), params)
    )
    commit(uow_at, lambda uow: workflow.open_temporary_account(uow, case_id, params=params))
    with uow_at() as uow:
        (side,) = queries.show(uow, case_id, params)["sides"]
        (here,) = [r for r, _ in registry.person_relationships(uow, person) if r.agency_code == OLD]
    assert side["state"] == "refused"
    assert [r["code"] for r in side["reasons"]] == [
        "transfer.temporary_account_opened", "transfer.temporary_account_due",
    ]  # fmt: skip
    assert here.kind is RelationshipKind.TEMPORARY
    again = rejected(
        engine, uow_at,
        lambda uow: workflow.open_temporary_account(uow, case_id, params=params),
    )  # fmt: skip
    assert again.code == "transfer.no_temporary_account_due"

    def work_and_leave(uow: UnitOfWork) -> None:
        declare_paid(
            uow, params, uscc, person, YearMonth(2025, 3), 6, 600_000, dt.date(2025, 9, 10)
        )
        registry.change_relationship_status(
            uow, here.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2025, 9, 1),
            reason="封存：再次流动就业",
        )  # fmt: skip

    commit(uow_at, work_and_leave)
    gathered = commit(
        uow_at, lambda uow: workflow.apply(uow, workflow.Application(person, NEW), params)
    )
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        case = queries.show(uow, gathered, params)
        assert check(uow) == []
    assert case["kind"] == "temporary_gathering"
    assert {s["state"] for s in case["sides"]} == {"completed"}
    assert case["ledger_transfer"]["account"] == 6 * 48_000
