"""Certification, the data feeds and death, end to end on both engines: a lapse pauses payment
and a new certification pays it back; prison months are never paid; a death stops payment from
the next month, sets the overpayment off against the survivors' due and terminates the relation;
a bad feed is refused whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, func, select

from jinbao.accounts.service import statement
from jinbao.benefits import service as benefits
from jinbao.benefits.events import (
    certify,
    claim_survivor_benefits,
    death_settlement,
    death_settlement_notice,
    import_life_events,
    record_death,
)
from jinbao.benefits.payments import run_payments
from jinbao.benefits.tables import benefit_payments, death_settlements, life_events
from jinbao.contributions.service import history
from jinbao.contributions.service.resident import ResidentPayment, pay_resident_year
from jinbao.contributions.tables import resident_contributions
from jinbao.db.uow import UnitOfWork
from jinbao.exchange.forms import yuan
from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus, Scheme
from jinbao.transfers import workflow
from tests.builders import an_agency_tree, an_id_number
from tests.integration.benefits.test_retirement import apply, career
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import NEW, OLD, MovingClock, auto_review
from tests.rendering import ocr, page_images, similarity, text_layer

Uow = Callable[[], UnitOfWork]


def pensioner(uow_at: Uow, params: Parameters, clock: MovingClock) -> tuple[str, dict]:
    clock.day = dt.date(2025, 12, 15)  # the award is approved in December 2025
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    application = apply(uow_at, person, params)
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    return person, award


def paid_months(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(benefit_payments.c.month)).scalars())


def run(uow_at: Uow, y: int, m: int):
    return commit(uow_at, lambda uow: run_payments(uow, NEW, YearMonth(y, m)))


def test_a_lapse_pauses_payment_and_a_new_certification_pays_it_back(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, _ = pensioner(uow_at, params, moving_clock)
    moving_clock.day = dt.date(2027, 2, 1)
    assert run(uow_at, 2026, 12).paid == 1  # January to December 2026, caught up at once
    assert paid_months(engine) == [202600 + m for m in range(1, 13)]
    january = run(uow_at, 2027, 1)  # more than 12 months since the approval
    assert (january.paid, january.suspended) == (0, [person])
    commit(uow_at, lambda uow: certify(uow, person, "self", dt.date(2027, 1, 28), "人脸识别"))
    february = run(uow_at, 2027, 2)
    assert february.paid == 1
    assert paid_months(engine)[-2:] == [202701, 202702]  # January paid back
    with uow_at() as uow:
        assert check(uow) == []


def test_prison_months_are_never_paid(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, _ = pensioner(uow_at, params, moving_clock)
    moving_clock.day = dt.date(2026, 11, 2)
    feed = f"id_number,kind,date,source\n{person},imprisonment,2026-03-10,court\n".encode()
    commit(uow_at, lambda uow: import_life_events(uow, feed, params))
    run(uow_at, 2026, 5)
    assert paid_months(engine) == [202601, 202602]
    commit(uow_at, lambda uow: certify(uow, person, "counter", dt.date(2026, 6, 3), "刑满释放"))
    run(uow_at, 2026, 7)
    # March to June never: payment resumes from the month after the release is certified.
    assert paid_months(engine) == [202601, 202602, 202607]


def test_a_death_stops_payment_and_settles_with_the_survivors(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, award = pensioner(uow_at, params, moving_clock)
    moving_clock.day = dt.date(2026, 11, 2)
    run(uow_at, 2026, 5)  # January to May paid before the death was known
    feed = f"id_number,kind,date,source\n{person},death,2026-03-15,civil_affairs\n".encode()
    commit(uow_at, lambda uow: import_life_events(uow, feed, params))
    commit(uow_at, lambda uow: import_life_events(uow, feed, params))  # reported twice: once
    assert run(uow_at, 2026, 6).paid == 0
    with uow_at() as uow:
        (settlement,) = uow.conn.execute(select(death_settlements)).all()
        ((relation, _),) = registry.person_relationships(uow, person)
        deaths = uow.conn.execute(select(func.count()).select_from(life_events)).scalar_one()
        left = statement(uow, person, moving_clock.today()).total
        assert check(uow) == []
    assert deaths == 1
    assert settlement.overpaid == 2 * award["total"]  # April and May were paid after the death
    gross = settlement.funeral + settlement.survivor_pension + settlement.inheritance
    assert settlement.payable == max(0, gross - settlement.overpaid)
    assert settlement.funeral > 0
    assert settlement.survivor_pension > 0
    assert relation.status is RelationshipStatus.TERMINATED
    assert left == 0  # the account was inherited
    assert paid_months(engine) == [202601, 202602, 202603, 202604, 202605]
    late = rejected(engine, uow_at, lambda uow: certify(uow, person, "self", dt.date(2026, 7, 1)))
    assert late.code == "certification.deceased"


def test_a_feed_with_a_bad_row_is_refused_whole(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, _ = pensioner(uow_at, params, moving_clock)
    moving_clock.day = dt.date(2026, 11, 2)
    feed = (
        "id_number,kind,date,source\n"
        f"{person},imprisonment,2026-01-10,court\n"
        "110101199001011234,death,2026-01-10,civil_affairs\n"
        f"{person},married,2026-01-10,x\n"
    ).encode()
    refused = rejected(
        engine, uow_at, lambda uow: import_life_events(uow, feed, params), InvalidInput
    )
    assert refused.code == "feed.invalid"
    assert [i.row for i in refused.issues] == [3, 4]


def test_only_the_individual_part_of_the_account_is_inherited(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """2005 was credited at 11% while he paid 8% (the sample rates): that year's employer-funded
    share of the account goes to the pooled fund, the rest to the heirs."""
    moving_clock.day = dt.date(2026, 11, 2)
    person = career(uow_at, params, tianhe_months=12, zhengzhou_months=191)
    auto_review(uow_at, OLD, NEW)
    application = apply(uow_at, person, params)
    workflow.pump(engine, moving_clock, params)
    commit(uow_at, lambda uow: benefits.refresh(uow, application, params, "张经办"))
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
        balance = statement(uow, person, moving_clock.today()).total
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    settled = commit(
        uow_at, lambda uow: record_death(uow, person, dt.date(2026, 10, 1), "counter", params)
    )
    with uow_at() as uow:  # 11% credited, 8% paid, of each month's (capped) base in 2005
        employer_funded = sum(
            r.to_account - r.individual_part for r in history(uow, person) if r.period.year == 2005
        )
    assert employer_funded > 0
    assert settled["inheritance"] == balance - employer_funded
    with uow_at() as uow:
        assert statement(uow, person, moving_clock.today()).total == 0
        assert check(uow) == []


def died_in_service(
    uow_at: Uow, params: Parameters, clock: MovingClock, *, tianhe: int, zhengzhou: int,
    on: dt.date = dt.date(2026, 3, 15),
) -> str:  # fmt: skip
    """Employed in Tianhe (Guangdong) and Zhengzhou (Henan), both relations kept suspended, and
    dead (on 15 March 2026) before any pension: the death recorded, nothing settled yet."""
    clock.day = dt.date(2026, 11, 2)
    person = career(uow_at, params, tianhe_months=tianhe, zhengzhou_months=zhengzhou)
    settled = commit(uow_at, lambda uow: record_death(uow, person, on, "民政", params))
    assert settled is None  # the survivors claim
    return person


def test_a_death_in_service_is_settled_when_the_survivors_claim(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """60 months in Guangdong and 100 in Henan, 13 years 4 months in all: 第五条（一） gives 9
    months (满10年不超过15年), on Henan's base (the last place). Each province's account is
    inherited, less its employer-funded part (2005 at 11% against 8% paid)."""
    moving_clock.day = dt.date(2026, 11, 2)
    person = career(uow_at, params, tianhe_months=60, zhengzhou_months=100)
    early = rejected(
        engine, uow_at, lambda uow: claim_survivor_benefits(uow, person, "冯大", params)
    )
    assert early.code == "survivors.no_death"
    with uow_at() as uow:
        paid = [r for r in history(uow, person) if r.paid_on is not None]
        balance = statement(uow, person, moving_clock.today()).total
    assert balance == sum(r.to_account for r in paid)  # no interest credited: the sum is exact
    commit(uow_at, lambda uow: record_death(uow, person, dt.date(2026, 3, 15), "民政", params))
    settled = commit(uow_at, lambda uow: claim_survivor_benefits(uow, person, "冯大", params))
    base = params.disposable_income("41", 2025).value // 12
    assert settled["months"] == "9.00"
    assert settled["funeral"] == 2 * base
    assert settled["survivor_pension"] == 9 * base
    assert settled["inheritance"] == sum(min(r.individual_part, r.to_account) for r in paid)
    assert settled["inheritance"] < balance
    assert (
        settled["payable"]
        == settled["funeral"] + settled["survivor_pension"] + settled["inheritance"]
    )
    with uow_at() as uow:
        (row,) = uow.conn.execute(select(death_settlements)).all()
        relations = registry.person_relationships(uow, person)
        left = statement(uow, person, moving_clock.today()).total
        assert check(uow) == []
    assert (row.application_id, row.claimant, row.overpaid) == (None, "冯大", 0)
    assert "第五条（一）在职人员" in row.explanation
    assert len(relations) == 2
    assert {r.status for r, _ in relations} == {RelationshipStatus.TERMINATED}
    assert left == 0
    again = rejected(
        engine, uow_at, lambda uow: claim_survivor_benefits(uow, person, "冯大", params)
    )
    assert again.code == "survivors.settled"


def test_under_five_years_in_service_the_survivor_pension_is_three_months(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person = died_in_service(uow_at, params, moving_clock, tianhe=0, zhengzhou=40)
    nameless = rejected(
        engine, uow_at, lambda uow: claim_survivor_benefits(uow, person, " ", params)
    )
    assert nameless.code == "survivors.claimant"
    settled = commit(uow_at, lambda uow: claim_survivor_benefits(uow, person, "冯大", params))
    assert settled["months"] == "3.00"
    assert settled["survivor_pension"] == 3 * (params.disposable_income("41", 2025).value // 12)


def test_a_pensioners_survivors_do_not_claim_again(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person, _ = pensioner(uow_at, params, moving_clock)
    moving_clock.day = dt.date(2026, 11, 2)
    commit(uow_at, lambda uow: record_death(uow, person, dt.date(2026, 3, 15), "民政", params))
    refused = rejected(
        engine, uow_at, lambda uow: claim_survivor_benefits(uow, person, "冯大", params)
    )
    assert refused.code == "survivors.settled"


def test_a_residents_account_is_inherited_but_for_the_government_subsidies(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """城乡居保 only: no 18号 funeral grant or survivor pension (the employees' scheme's); the
    account is inherited less the subsidies the government paid in (国发〔2014〕8号, POLICY §8)."""
    moving_clock.day = dt.date(2026, 11, 2)
    person = an_id_number(born="1970-05-01", sex="F", county="410105")

    def resident(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "冯三", "410105"))
        registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.RESIDENT, NEW, dt.date(2019, 1, 1))
        )
        for year in (2019, 2020, 2021):
            pay_resident_year(uow, ResidentPayment(person, year, 500, dt.date(year, 3, 1)), params)

    commit(uow_at, resident)
    commit(uow_at, lambda uow: record_death(uow, person, dt.date(2022, 6, 1), "民政", params))
    # No year after the year of death can be paid, though the relation is still contributing
    # until the survivors claim (死亡后继续缴费); the year of death can.
    after = rejected(
        engine, uow_at,
        lambda uow: pay_resident_year(uow, ResidentPayment(person, 2023, 500, dt.date(2023, 3, 1)), params),
    )  # fmt: skip
    assert (after.code, after.field) == ("contribution.after_death", "year")
    assert "2022-06-01" in after.zh
    assert "民政" in after.en
    commit(
        uow_at,
        lambda uow: pay_resident_year(uow, ResidentPayment(person, 2022, 500, dt.date(2022, 3, 1)), params),
    )  # fmt: skip
    with uow_at() as uow:
        balance = statement(uow, person, moving_clock.today(), scheme="resident").total
        subsidies = sum(uow.conn.execute(select(resident_contributions.c.subsidy)).scalars())
    assert 0 < subsidies < balance
    settled = commit(uow_at, lambda uow: claim_survivor_benefits(uow, person, "冯四", params))
    assert (settled["funeral"], settled["survivor_pension"]) == (0, 0)
    assert settled["inheritance"] == settled["payable"] == balance - subsidies
    with uow_at() as uow:
        shown = death_settlement(uow, person)
        ((relation, _),) = registry.person_relationships(uow, person)
        left = statement(uow, person, moving_clock.today(), scheme="resident").total
        assert check(uow) == []
    assert shown is not None
    assert "国发〔2014〕8号" in " ".join(s["zh"] for s in shown["explanation"]["steps"])
    assert relation.status is RelationshipStatus.TERMINATED
    assert left == 0


def test_before_the_measures_the_account_alone_is_settled(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """Dead in June 2021, before 人社部发〔2021〕18号 took effect: its grants are the province's
    ("由各省妥善予以处理", not loaded), so the claim pays the account alone (社会保险法 第十四条,
    in force since 2011) and says why; the relations end all the same."""
    person = died_in_service(
        uow_at, params, moving_clock, tianhe=60, zhengzhou=100, on=dt.date(2021, 6, 1)
    )
    with uow_at() as uow:
        balance = statement(uow, person, moving_clock.today()).total
    settled = commit(uow_at, lambda uow: claim_survivor_benefits(uow, person, "冯大", params))
    assert (settled["funeral"], settled["survivor_pension"]) == (0, 0)
    assert 0 < settled["inheritance"] == settled["payable"] < balance
    with uow_at() as uow:
        shown = death_settlement(uow, person)
        relations = registry.person_relationships(uow, person)
        assert check(uow) == []
    assert shown is not None
    assert "由各省妥善予以处理" in " ".join(s["zh"] for s in shown["explanation"]["steps"])
    assert {r.status for r, _ in relations} == {RelationshipStatus.TERMINATED}


def test_the_survivors_notice_reads_in_chinese(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock,
    tesseract: str, tmp_path: Path,
) -> None:  # fmt: skip
    """遗属待遇核定表, rendered and read back: its text layer and what OCR sees on the page."""
    person = died_in_service(uow_at, params, moving_clock, tianhe=0, zhengzhou=40)
    before = rejected(engine, uow_at, lambda uow: death_settlement_notice(uow, person))
    assert before.code == "survivors.none"
    settled = commit(uow_at, lambda uow: claim_survivor_benefits(uow, person, "冯大", params))
    with uow_at() as uow:
        pdf = death_settlement_notice(uow, person)
    text = text_layer(pdf)
    for expected in (
        "遗属待遇核定表",
        person,
        "冯大",
        "人社部发〔2021〕18号",
        "未领取养老金人员死亡",
    ):
        assert expected in text, expected
    assert f"{yuan(settled['payable'])} 元" in text
    assert "sample" in text  # the disposable income is a SAMPLE series, and the notice says so
    seen = ocr(tesseract, page_images(pdf)[0], tmp_path)
    for expected in ("遗属待遇核定表", "丧葬补助金", "抚恤金", "实付遗属"):
        assert similarity(expected, seen) >= 0.75, (expected, seen)
