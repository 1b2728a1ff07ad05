"""城乡养老保险制度衔接 (人社部发〔2014〕17号) both ways, end to end on both engines: at the
employee statutory age, in the direction 第三条 gives, the account joining the other scheme's,
years counted as 第五条/第六条 say, and overlapping months refunded by month (第七条)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine

from jinbao.accounts.service import statement
from jinbao.contributions.service.resident import ResidentPayment, pay_resident_year
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters
from jinbao.registry import repository
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus, Scheme
from jinbao.transfers import queries, workflow
from jinbao.transfers.records import agency_record
from tests.builders import an_agency_tree, an_id_number
from tests.integration.helpers import commit
from tests.integration.transfers.conftest import NEW, OLD, MovingClock, auto_review, employ

Uow = Callable[[], UnitOfWork]
PROVINCE = "41000000"  # the Henan agency that keeps the resident-scheme relation below


def employed(uow: UnitOfWork, params: Parameters, person: str, agency: str, first: YearMonth,
             count: int) -> int:  # fmt: skip
    relation, _ = employ(
        uow, params, person, agency, first, count, 500_000, paid_on=dt.date(2026, 1, 5)
    )
    return relation


def resident(uow: UnitOfWork, params: Parameters, person: str, agency: str, years: range,
             tier: int, collective: int) -> int:  # fmt: skip
    relation = registry.add_relationship(
        uow,
        registry.NewRelationship(person, Scheme.RESIDENT, agency, dt.date(years[0], 1, 1)),
    )
    for year in years:
        pay_resident_year(
            uow, ResidentPayment(person, year, tier, dt.date(year, 3, 1), collective), params
        )
    return relation.id


def stop(uow: UnitOfWork, relation: int, on: dt.date) -> None:
    registry.change_relationship_status(
        uow, relation, RelationshipStatus.SUSPENDED, changed_on=on, reason="停止缴费"
    )


def record_at(uow: UnitOfWork, person: str, scheme: str, code: str, region: str):
    pid, aid = repository.person_id(uow, person), repository.agency_id(uow, code)
    assert pid is not None
    assert aid is not None
    return agency_record(uow, pid, scheme, aid, region)


def in_both_schemes(uow_at: Uow, params: Parameters, *, resident_at: str) -> str:
    """Born 1963-05: employed in Zhengzhou 2010–2025 (16 years, stopped 2026) and in the
    residents' scheme at ``resident_at`` 2018–2024 at 300 yuan (stopped 2025): 84 months paid
    in both. Returns his ID number."""
    person = an_id_number(born="1963-05-10", sex="M", county="410105")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "孙八", "410105"))
        job = employed(uow, params, person, NEW, YearMonth(2010, 1), 192)
        stop(uow, job, dt.date(2026, 1, 1))
        kept = resident(uow, params, person, resident_at, range(2018, 2025), 300, 0)
        stop(uow, kept, dt.date(2025, 1, 1))

    commit(uow_at, setup)
    return person


def test_under_15_employee_years_the_employee_relation_joins_the_resident_scheme(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """Born 1963-03 (statutory age 60: March 2023). Employed in Tianhe 2015–2022 (8 years);
    resident scheme in Zhengzhou 2020–2024 at the 500-yuan tier with a 100-yuan collective
    subsidy: 2020–2022 overlap, 36 months."""
    person = an_id_number(born="1963-03-10", sex="M", county="410105")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "钱七", "410105"))
        job = employed(uow, params, person, OLD, YearMonth(2015, 1), 96)
        stop(uow, job, dt.date(2023, 1, 1))
        resident(uow, params, person, NEW, range(2020, 2025), 500, 10_000)

    commit(uow_at, setup)
    auto_review(uow_at, OLD, NEW)
    with uow_at() as uow:
        before = statement(uow, person, moving_clock.today(), "resident")
        employee_account = statement(uow, person, moving_clock.today()).total
    application = workflow.Application(person, NEW, OLD, "resident", kind=workflow.LINKAGE)
    case_id = commit(uow_at, lambda uow: workflow.apply(uow, application, params))
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
        after = statement(uow, person, moving_clock.today(), "resident")
        left = statement(uow, person, moving_clock.today())
        record = record_at(uow, person, "resident", NEW, "410000")
        assert check(uow) == []
    assert case["kind"] == "linkage_to_resident"
    assert {s["state"] for s in case["sides"]} == {"completed"}
    assert case["ledger_transfer"]["pooled"] == 0  # 第六条: the pooled part stays
    assert case["ledger_transfer"]["account"] == employee_account == 96 * 40_000
    refund = 3 * (50_000 + 10_000)  # 第七条: three overlapping years of 600 yuan, 12/12 each
    assert after.total - before.total == employee_account - refund
    assert left.total == 0
    # 第六条: employee years count as resident years; the 36 overlapping resident months do not.
    assert sum(y.transferred_months for y in record.years) == 96
    assert sum(y.local_months for y in record.years) == 60 - 36
    (receiving,) = [s for s in case["sides"] if s["side"] == "receiving"]
    (notice,) = receiving["notices"]
    assert notice["code"] == "linkage.overlap_refund"
    assert "第七条" in notice["zh"]


def test_with_15_employee_years_the_resident_account_joins_the_employee_scheme(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """Born 1963-05. Employed in Zhengzhou 2010–2025 (16 years); resident scheme at the Henan
    agency 2018–2024 at 300 yuan: 2018–2024 overlap the employee years, 84 months."""
    person = in_both_schemes(uow_at, params, resident_at=PROVINCE)
    auto_review(uow_at, PROVINCE, NEW)
    with uow_at() as uow:
        resident_account = statement(uow, person, moving_clock.today(), "resident").total
        before = statement(uow, person, moving_clock.today()).total
    application = workflow.Application(person, NEW, PROVINCE, "enterprise", kind=workflow.LINKAGE)
    case_id = commit(uow_at, lambda uow: workflow.apply(uow, application, params))
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
        after = statement(uow, person, moving_clock.today()).total
        record = record_at(uow, person, "enterprise", NEW, "410000")
        assert check(uow) == []
    assert case["kind"] == "linkage_to_employee"
    assert {s["state"] for s in case["sides"]} == {"completed"}
    assert case["ledger_transfer"]["account"] == resident_account
    refund = 7 * 30_000  # 第七条: seven overlapping years of 300 yuan
    assert after - before == resident_account - refund
    assert record.months == 192  # 第五条: resident years are not added to employee years


def test_linkage_before_the_statutory_age_or_the_wrong_way_is_refused_with_the_rule(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    young = an_id_number(born="1975-01-10", sex="M", county="410105")
    older = an_id_number(born="1962-01-10", sex="M", county="410105")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        for p in (young, older):
            registry.add_person(uow, registry.NewPerson(p, "周九", "410105"))
            job = employed(uow, params, p, OLD, YearMonth(2018, 1), 60)
            stop(uow, job, dt.date(2023, 1, 1))
            resident(uow, params, p, NEW, range(2023, 2025), 200, 0)

    commit(uow_at, setup)
    auto_review(uow_at, NEW)
    refused = {}
    for person, scheme in ((young, "resident"), (older, "enterprise")):
        application = workflow.Application(person, NEW, OLD, scheme, kind=workflow.LINKAGE)
        case_id = commit(uow_at, lambda uow, a=application: workflow.apply(uow, a, params))
        with uow_at() as uow:
            (side,) = queries.show(uow, case_id, params)["sides"]
        assert side["state"] == "refused"
        refused[person] = [r["code"] for r in side["reasons"]]
    assert "linkage.before_retirement_age" in refused[young]
    # Five employee years: the move is into the resident scheme, not the employee one; and the
    # employee scheme keeps no relation for him at Zhengzhou.
    assert "linkage.direction" in refused[older]
    assert "linkage.no_relation_here" in refused[older]


def test_within_one_agency_the_linkage_is_a_case_between_the_agency_and_itself(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """Born 1963-05. Employed in Zhengzhou 2010–2025 (16 years) and in the residents' scheme at
    the same Zhengzhou agency 2018–2024 (重复参保), an agency off the exchange network: its
    documents to itself go straight to its own inbox, on paper to no one. Each side is told
    apart by who sent what: a 补正 asked by the transferring side reaches the receiving side,
    a return of the 信息表 reaches the transferring side and gives the account back; applied
    again, the residents' account joins the employee one (第五条, 第七条)."""
    person = in_both_schemes(uow_at, params, resident_at=NEW)
    commit(uow_at, lambda uow: registry.set_agency_network(uow, NEW, None))
    with uow_at() as uow:
        resident_account = statement(uow, person, moving_clock.today(), "resident").total
        before = statement(uow, person, moving_clock.today()).total
    application = workflow.Application(person, NEW, NEW, "enterprise", kind=workflow.LINKAGE)

    def events(case_id: str) -> dict[str, list[str]]:
        with uow_at() as uow:
            case = queries.show(uow, case_id, params)
        return {s["side"]: [e["event"] for e in s["events"]] for s in case["sides"]}

    def then(action: Callable[[UnitOfWork], object]) -> None:
        commit(uow_at, action)
        workflow.pump(engine, moving_clock, params)

    returned = commit(uow_at, lambda uow: workflow.apply(uow, application, params))
    then(lambda uow: workflow.accept(uow, returned, params=params))
    asked = [{"zh": "请补充城乡居民养老保险缴费凭证。", "en": "Send the payment receipts."}]
    then(lambda uow: workflow.ask_correction(uow, returned, asked, params=params))
    seen = events(returned)
    assert "correction_request_received" in seen["receiving"]
    assert "correction_request_received" not in seen["transferring"]
    then(lambda uow: workflow.correction_supplied(uow, returned, params=params))
    then(lambda uow: workflow.send_funds(uow, returned, params=params))
    with uow_at() as uow:
        assert statement(uow, person, moving_clock.today(), "resident").total == 0  # in transit
    reasons = [{"zh": "缴费年限有误。", "en": "The years are wrong."}]
    then(lambda uow: workflow.return_case(uow, returned, reasons))
    with uow_at() as uow:
        case = queries.show(uow, returned, params)
        assert statement(uow, person, moving_clock.today(), "resident").total == resident_account
        assert check(uow) == []
    assert case["mode"] == "electronic"
    assert {s["side"]: s["state"] for s in case["sides"]} == {
        "receiving": "voided",
        "transferring": "voided",
    }
    assert case["ledger_transfer"]["state"] == "voided"

    auto_review(uow_at, NEW)
    linked = commit(uow_at, lambda uow: workflow.apply(uow, application, params))
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        case = queries.show(uow, linked, params)
        after = statement(uow, person, moving_clock.today()).total
        statuses = {r.scheme: r.status for r, _ in registry.person_relationships(uow, person)}
        assert check(uow) == []
        assert exchange.paper_documents(uow, sender=NEW) == []
    assert {s["state"] for s in case["sides"]} == {"completed"}
    assert after - before == resident_account - 7 * 30_000  # 第七条: seven years of 300 yuan
    assert statuses == {
        Scheme.ENTERPRISE: RelationshipStatus.SUSPENDED,
        Scheme.RESIDENT: RelationshipStatus.TRANSFERRED_OUT,
    }
