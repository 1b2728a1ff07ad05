"""Retirement application and award, end to end on both engines: the national record check,
the transfers it starts and waits for, the award by the policy engine (checked against an
independent computation), and maker-checker approval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from jinbao.accounts.service import statement
from jinbao.benefits import duplicates
from jinbao.benefits import service as benefits
from jinbao.contributions import service as contributions
from jinbao.contributions.service import history
from jinbao.contributions.service.resident import ResidentPayment, pay_resident_year
from jinbao.db.uow import UnitOfWork
from jinbao.exchange.forms import yuan
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters
from jinbao.policy.pension import monthly_pension
from jinbao.registry import service as registry
from jinbao.registry.model import AgencyLevel, RelationshipStatus, Scheme
from jinbao.transfers import queries, workflow
from tests.builders import a_contact, an_agency_tree, an_id_number
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import NEW, OLD, MovingClock, auto_review, employ
from tests.unit.exchange.test_forms import ocr, page_images, similarity, text_layer

Uow = Callable[[], UnitOfWork]
BORN = "1965-09-20"  # a man: statutory age 60 and 3 months under the 2024 reform → 2025-12


def worked(
    uow: UnitOfWork, params: Parameters, person: str, agency: str, first: YearMonth, months: int,
    *, paid_on: dt.date, left_on: dt.date, why: str = "离职",
) -> None:  # fmt: skip
    """Employed at ``agency`` from ``first``, ``months`` months paid at 5 000 yuan, then left
    on ``left_on``: the relation kept there, suspended."""
    relation, _ = employ(uow, params, person, agency, first, months, 500_000, paid_on=paid_on)
    registry.change_relationship_status(
        uow, relation, RelationshipStatus.SUSPENDED, changed_on=left_on, reason=why
    )


def career(
    uow_at: Uow, params: Parameters, *, tianhe_months: int, zhengzhou_months: int,
    county: str = "410105",
) -> str:  # fmt: skip
    """户籍 Zhengzhou. Optionally employed in Tianhe from 2005; employed in Zhengzhou from 2010
    until November 2025, at 5 000 yuan a month."""
    person = an_id_number(born=BORN, sex="M", county=county)

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "冯二", county))
        if tianhe_months:
            worked(
                uow, params, person, OLD, YearMonth(2005, 1), tianhe_months,
                paid_on=dt.date(2009, 12, 20), left_on=dt.date(2010, 1, 1), why="离职回乡",
            )  # fmt: skip
        worked(
            uow, params, person, NEW, YearMonth(2025, 12).plus(-zhengzhou_months),
            zhengzhou_months, paid_on=dt.date(2025, 12, 10), left_on=dt.date(2025, 12, 1),
            why="达到退休年龄，停止缴费",
        )  # fmt: skip

    commit(uow_at, setup)
    return person


def pump_and_refresh(
    engine: Engine, uow_at: Uow, application: int, params: Parameters, clock: MovingClock
) -> dict[str, Any]:
    """The transfers move on and the operator checks the record again: the application as shown
    then (the ledger checked)."""
    workflow.pump(engine, clock, params)
    commit(uow_at, lambda uow: benefits.refresh(uow, application, params, "张经办"))
    with uow_at() as uow:
        assert check(uow) == []
        return benefits.show(uow, application)


def expected_total(uow: UnitOfWork, person: str, months: int, params: Parameters) -> Fen:
    """The pension recomputed here from the records, the way 国发〔2005〕38号 reads."""
    paid = [r for r in history(uow, person) if r.paid_on is not None]
    wage = params.average_wage("benefit_wage", "41", 2024).value
    ratios = [
        Decimal(int(r.base)) / params.average_wage("benefit_wage", "41", r.period.year - 1).value
        for r in paid
    ]
    index = (sum(ratios, Decimal(0)) / len(ratios)).quantize(Decimal("0.0001"))
    return monthly_pension(
        average_wage=Fen(wage), index=index, contribution_months=months,
        account_balance=statement(uow, person, dt.date(2026, 11, 2)).total,
        age_months=60 * 12 + 3, retirement_year=2025, params=params,
    ).value.total  # fmt: skip


def apply(uow_at: Uow, person: str, params: Parameters, agency: str = NEW, **kw: object) -> int:
    cmd = benefits.RetirementApplication(
        person, agency, operator="张经办", bank="中国工商银行郑州分行",
        account_number="6222021702000012345", **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    return commit(uow_at, lambda uow: benefits.apply_retirement(uow, cmd, params))


def waits_for_one_case(uow_at: Uow, application: int, code: str) -> tuple[dict[str, Any], str]:
    """The application waits, no award made, with one finding of ``code`` and the one transfer
    it started: (the finding, the case)."""
    with uow_at() as uow:
        waiting = benefits.show(uow, application)
    assert waiting["state"] == "waiting"
    assert waiting["awards"] == []
    (finding,) = waiting["findings"]
    assert finding["code"] == code
    (case_id,) = waiting["transfers"]
    return finding, case_id


def approved_pensioner(uow_at: Uow, params: Parameters) -> tuple[str, int, dict]:
    """A 191-month career in Zhengzhou, applied for and approved: (ID, application, award)."""
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    application = apply(uow_at, person, params)
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    return person, application, award


def test_a_career_at_one_place_is_awarded_and_approved_by_a_second_operator(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    application = apply(uow_at, person, params)
    with uow_at() as uow:
        shown = benefits.show(uow, application)
        expected = expected_total(uow, person, 191, params)
    assert shown["state"] == "awarded"
    assert shown["statutory_month"] == shown["retire_month"] == "2025-12"
    assert [f["code"] for f in shown["findings"]] == []
    (award,) = shown["awards"]
    assert award["state"] == "draft"
    assert award["from_month"] == "2026-01"
    assert award["total"] == expected
    assert award["total"] == award["basic"] + award["account"] + award["transitional"]
    assert award["inputs"]["contribution_months"] == 191
    assert any("国发〔2005〕38号" in s for s in award["explanation"]["sources"])

    own = rejected(engine, uow_at, lambda uow: benefits.approve_award(uow, award["id"], "张经办"))
    assert own.code == "award.same_operator"
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    again = rejected(
        engine, uow_at, lambda uow: benefits.approve_award(uow, award["id"], "王复核"), Conflict
    )
    assert again.code == "award.already_approved"
    twice = rejected(engine, uow_at, lambda uow: benefits.apply_retirement(
        uow, benefits.RetirementApplication(person, NEW), params))  # fmt: skip
    assert twice.code == "award.duplicate"  # he now draws this pension


def test_a_relation_kept_elsewhere_is_brought_back_first_and_the_award_waits(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person = career(uow_at, params, tianhe_months=60, zhengzhou_months=191)
    auto_review(uow_at, OLD, NEW)
    application = apply(uow_at, person, params)
    _, case_id = waits_for_one_case(uow_at, application, "retirement.record_elsewhere")

    workflow.pump(engine, moving_clock, params)  # the return transfer completes
    commit(uow_at, lambda uow: benefits.refresh(uow, application, params, "张经办"))
    with uow_at() as uow:
        done = benefits.show(uow, application)
        moved = queries.show(uow, case_id, params)
        expected = expected_total(uow, person, 60 + 191, params)
        assert check(uow) == []
    assert moved["kind"] == "return_to_receiving_place"
    assert {side["state"] for side in moved["sides"]} == {"completed"}
    assert done["state"] == "awarded"
    (award,) = done["awards"]
    assert award["inputs"]["contribution_months"] == 60 + 191
    assert award["total"] == expected


def test_two_relations_kept_elsewhere_come_back_one_after_the_other(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """Tianhe, then Guangzhou, then home to Zhengzhou. A person has one transfer open at a time
    (the workflow's rule): the application brings the first relation back, the check after it
    completed the second, and the award counts every month. Until session 22 the application
    started both at once and was refused outright (transfer.already_open)."""
    person = career(uow_at, params, tianhe_months=36, zhengzhou_months=191)
    guangzhou = "44010000"

    def also_guangzhou(uow: UnitOfWork) -> None:
        worked(
            uow, params, person, guangzhou, YearMonth(2008, 1), 24,
            paid_on=dt.date(2009, 12, 20), left_on=dt.date(2010, 1, 1),
        )  # fmt: skip

    commit(uow_at, also_guangzhou)
    auto_review(uow_at, OLD, guangzhou, NEW)
    application = apply(uow_at, person, params)
    with uow_at() as uow:
        first = benefits.show(uow, application)
    assert first["state"] == "waiting"
    assert [f["code"] for f in first["findings"]] == ["retirement.record_elsewhere"] * 2
    (case_one,) = first["transfers"]
    assert sum(case_one in f["zh"] for f in first["findings"]) == 2  # started; the next after it
    assert any("办结后发起" in f["zh"] for f in first["findings"])

    second = pump_and_refresh(engine, uow_at, application, params, moving_clock)
    assert second["state"] == "waiting"
    assert [f["code"] for f in second["findings"]] == ["retirement.record_elsewhere"]
    assert second["transfers"][0] == case_one
    assert len(second["transfers"]) == 2

    done = pump_and_refresh(engine, uow_at, application, params, moving_clock)
    with uow_at() as uow:
        for case_id in done["transfers"]:
            moved = queries.show(uow, case_id, params)
            assert {side["state"] for side in moved["sides"]} == {"completed"}
    assert done["state"] == "awarded"
    (award,) = done["awards"]
    assert award["inputs"]["contribution_months"] == 36 + 24 + 191


def test_the_wrong_place_below_the_minimum_or_out_of_bounds_is_said_plainly(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=100)
    short = apply(uow_at, person, params, agency=OLD)  # the application moves to Zhengzhou
    with uow_at() as uow:
        below = benefits.show(uow, short)
    assert below["agency"] == NEW
    assert below["state"] == "waiting"
    assert [f["code"] for f in below["findings"] if f["blocking"]] == ["retirement.below_minimum"]
    assert any("一次性缴费" in f["zh"] for f in below["findings"])
    assert below["awards"] == []

    too_early = rejected(
        engine,
        uow_at,
        lambda uow: benefits.apply_retirement(
            uow, benefits.RetirementApplication(person, NEW, YearMonth(2020, 1)), params
        ),
        InvalidInput,
    )
    assert too_early.code == "retirement.month_out_of_bounds"


def test_the_award_notice_reads_in_chinese(
    engine: Engine, uow_at: Uow, params: Parameters, tesseract: str, tmp_path: Path
) -> None:
    person, _application, award = approved_pensioner(uow_at, params)
    with uow_at() as uow:
        pdf = benefits.award_notice(uow, award["id"])
    text = text_layer(pdf)
    assert "基本养老金核定表" in text
    assert person in text
    assert f"{yuan(award['total'])} 元" in text
    assert "李复核" in text
    assert "国发〔2005〕38号" in text
    seen = ocr(tesseract, page_images(pdf)[0], tmp_path)
    for expected in ("基本养老金核定表", "月基本养老金合计", "个人账户养老金", "冯二"):
        assert similarity(expected, seen) >= 0.75, (expected, seen)


def test_a_correction_is_a_new_version_with_the_monthly_difference(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    application = apply(uow_at, person, params)
    with uow_at() as uow:
        (first,) = benefits.show(uow, application)["awards"]
    early = rejected(
        engine, uow_at,
        lambda uow: benefits.correct_award(uow, application, params, "张经办", "补缴"),
    )  # fmt: skip
    assert early.code == "award.nothing_to_correct"  # a draft is approved, not corrected
    commit(uow_at, lambda uow: benefits.approve_award(uow, first["id"], "李复核"))

    # Six months of 2009 paid late as an individual (补缴) after the award.
    def back_pay(uow: UnitOfWork) -> None:
        contributions.back_pay(
            uow,
            contributions.BackPayment(
                person, YearMonth(2009, 7), YearMonth(2009, 12), Fen(500_000),
                dt.date(2026, 10, 20),
            ),
            params,
        )  # fmt: skip

    commit(uow_at, back_pay)
    blank = rejected(
        engine, uow_at, lambda uow: benefits.correct_award(uow, application, params, "张经办", " ")
    )
    assert blank.code == "award.reason_required"
    commit(
        uow_at, lambda uow: benefits.correct_award(uow, application, params, "张经办", "补缴6个月")
    )
    with uow_at() as uow:
        shown = benefits.show(uow, application)
        in_force = benefits.current_award(uow, application)
    old, new = shown["awards"]
    assert (old["state"], new["state"]) == ("approved", "draft")
    assert old["total"] == first["total"]  # the approved version never changes
    assert new["inputs"]["contribution_months"] == 191 + 6
    assert new["difference"] == new["total"] - old["total"] > 0
    assert new["reason"] == "补缴6个月"
    assert in_force.id == old["id"]  # until the correction is approved
    commit(uow_at, lambda uow: benefits.approve_award(uow, new["id"], "李复核"))
    with uow_at() as uow:
        assert benefits.current_award(uow, application).id == new["id"]


def test_one_person_one_basic_pension(engine: Engine, uow_at: Uow, params: Parameters) -> None:
    """人社部规〔2016〕5号 五: a person drawing a basic pension anywhere is not awarded another."""
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)

    def resident_pensioner(uow: UnitOfWork) -> None:
        kept = registry.add_relationship(
            uow,
            registry.NewRelationship(person, Scheme.RESIDENT, OLD, dt.date(2020, 1, 1)),
        )
        registry.change_relationship_status(
            uow, kept.id, RelationshipStatus.RECEIVING, changed_on=dt.date(2025, 1, 1),
            reason="城乡居民养老金按月领取",
        )  # fmt: skip

    commit(uow_at, resident_pensioner)
    refused = rejected(
        engine,
        uow_at,
        lambda uow: benefits.apply_retirement(
            uow, benefits.RetirementApplication(person, NEW), params
        ),
        Conflict,
    )
    assert refused.code == "award.duplicate"
    assert "一人只能领取一份" in refused.zh


@pytest.mark.parametrize(
    ("month", "code"),
    [
        (YearMonth(2025, 10), "retirement.early_notice"),
        (YearMonth(2026, 6), "retirement.late_agreement"),
    ],
)
def test_flexible_retirement_needs_its_notice_in_time(
    engine: Engine, uow_at: Uow, params: Parameters, month: YearMonth, code: str
) -> None:
    """暂行办法: early retirement with 3 months' notice, late retirement agreed a month before the
    statutory age — applied in November 2026, neither can still be chosen."""
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    late = rejected(
        engine, uow_at,
        lambda uow: benefits.apply_retirement(
            uow, benefits.RetirementApplication(person, NEW, month), params
        ),
        InvalidInput,
    )  # fmt: skip
    assert late.code == code


def test_duplicate_pensions_in_existing_data_are_settled_by_the_rule(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """17号 第八条 and 77号: an employee and a resident pension — the employee one stays, the
    resident account is refunded except the government subsidies, and the resident pension drawn
    is recovered (here first set off against that refund)."""
    person, _application, _award = approved_pensioner(uow_at, params)

    in_residents_scheme(
        uow_at, params, person, OLD, range(2018, 2021), 500,
        (RelationshipStatus.RECEIVING, dt.date(2026, 1, 1), "迁移数据：城乡居民养老金按月领取"),
    )  # fmt: skip
    with uow_at() as uow:
        found = duplicates.find(uow)
        resident_account = statement(uow, person, dt.date(2026, 11, 2), "resident").total
    assert [f["id_number"] for f in found] == [person]
    subsidies = 3 * 6_000  # the 500-yuan tier's minimum subsidy, three years (unverified 60 yuan)
    settled = commit(
        uow_at, lambda uow: duplicates.settle(uow, person, resident_pension_drawn=10 * 20_000)
    )
    refund = resident_account - subsidies
    assert settled["kept"] == NEW
    assert settled["refunded"] == refund
    assert settled["to_recover"] == 10 * 20_000 - refund
    with uow_at() as uow:
        assert duplicates.find(uow) == []
        assert statement(uow, person, dt.date(2026, 11, 2), "resident").total == 0
        assert check(uow) == []


def test_applied_where_he_lives_the_application_moves_to_the_receiving_place(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """户籍 Sichuan; 12 years in Tianhe (kept), then 5 in Zhengzhou. 第六条 rule 3: the pension
    is paid in Guangdong, the last place with 10 years. He applies in Zhengzhou; the application
    moves to Tianhe and Zhengzhou's years go back there first."""
    person = an_id_number(born=BORN, sex="M", county="510107")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "卫三", "510107"))
        worked(
            uow, params, person, OLD, YearMonth(2008, 1), 144,
            paid_on=dt.date(2019, 12, 20), left_on=dt.date(2020, 1, 1),
        )  # fmt: skip
        worked(
            uow, params, person, NEW, YearMonth(2020, 12), 60,
            paid_on=dt.date(2025, 12, 10), left_on=dt.date(2025, 12, 1), why="达到退休年龄",
        )  # fmt: skip

    commit(uow_at, setup)
    auto_review(uow_at, OLD, NEW)
    application = apply(uow_at, person, params)  # at Zhengzhou, where he is now
    with uow_at() as uow:
        moved = benefits.show(uow, application)
    assert moved["agency"] == OLD
    codes = [f["code"] for f in moved["findings"]]
    assert codes[:2] == ["retirement.moved_to_receiving_place", "retirement.record_elsewhere"]
    assert "retirement.gaps" in codes  # 2020-01 to 2020-11, told
    done = pump_and_refresh(engine, uow_at, application, params, moving_clock)
    assert done["state"] == "awarded"
    (award,) = done["awards"]
    assert award["inputs"]["contribution_months"] == 144 + 60


def test_under_ten_years_everywhere_the_relations_are_gathered_at_home_or_refused_without_an_agency(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """户籍 Chengdu, Sichuan: eight years in Tianhe, eight in Zhengzhou. 第六条 rule 4: under 10
    years everywhere, the relations and their funds are gathered in the 户籍 province. With no
    agency of Sichuan on this node the application is refused with the rule; with Chengdu's, it
    moves there, a relation is opened to gather into, both relations come back one after the
    other, and the award counts all sixteen years."""
    person = career(uow_at, params, tianhe_months=96, zhengzhou_months=96, county="510107")
    auto_review(uow_at, OLD, NEW)
    refused_id = apply(uow_at, person, params)
    with uow_at() as uow:
        refused = benefits.show(uow, refused_id)
    assert refused["state"] == "refused"
    (finding,) = [f for f in refused["findings"] if f["blocking"]][:1]
    assert finding["code"] == "retirement.not_receiving_place"
    assert "规则四" in finding["zh"]

    chengdu = "51010000"

    def sichuan(uow: UnitOfWork) -> None:
        for code, name, level, parent, region in (
            ("51000000", "四川省社保局", AgencyLevel.PROVINCE, "10000000", "510000"),
            (chengdu, "成都市社保中心", AgencyLevel.CITY, "51000000", "510100"),
        ):
            registry.add_agency(uow, registry.NewAgency(
                code, name, level, parent, region, a_contact(), dt.date(2011, 1, 1)
            ))  # fmt: skip
        workflow.set_auto_review(uow, chengdu, True)

    commit(uow_at, sichuan)
    application = apply(uow_at, person, params)  # at Zhengzhou, where he was last
    with uow_at() as uow:
        moved = benefits.show(uow, application)
        opened = [
            r for r, _ in registry.person_relationships(uow, person) if r.agency_code == chengdu
        ]
    assert moved["agency"] == chengdu
    assert moved["state"] == "waiting"
    codes = [f["code"] for f in moved["findings"] if f["blocking"] or "moved" in f["code"]]
    assert codes == [
        "retirement.moved_to_receiving_place", *["retirement.record_elsewhere"] * 2,
        "retirement.below_minimum",  # nothing is there yet
    ]  # fmt: skip
    assert "归集" in moved["findings"][0]["zh"]
    assert [(r.kind.value, r.status.value) for r in opened] == [("normal", "suspended")]
    pump_and_refresh(engine, uow_at, application, params, moving_clock)  # Tianhe's came back
    done = pump_and_refresh(engine, uow_at, application, params, moving_clock)  # Zhengzhou's
    assert done["state"] == "awarded"
    assert len(done["transfers"]) == 2
    (award,) = done["awards"]
    assert award["inputs"]["contribution_months"] == 96 + 96
    # Approved, the relation opened today at home receives from today (not before it existed).
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    with uow_at() as uow:
        ((home, changes),) = [
            (r, c)
            for r, c in registry.person_relationships(uow, person)
            if r.agency_code == chengdu
        ]
        today = uow.clock.today()
    assert home.status is RelationshipStatus.RECEIVING
    assert changes[-1].changed_on == today


def in_residents_scheme(
    uow_at: Uow, params: Parameters, person: str, agency: str, years: range, tier: int,
    then: tuple[RelationshipStatus, dt.date, str],
) -> None:  # fmt: skip
    """Insured in the residents' scheme at ``agency`` from the first of ``years``, paying the
    ``tier`` (yuan) each of them in March; then the relation's status, day and reason."""

    def insured(uow: UnitOfWork) -> None:
        kept = registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.RESIDENT, agency, dt.date(years[0], 1, 1))
        )
        for year in years:
            pay_resident_year(uow, ResidentPayment(person, year, tier, dt.date(year, 3, 1)), params)
        status, on, reason = then
        registry.change_relationship_status(uow, kept.id, status, changed_on=on, reason=reason)

    commit(uow_at, insured)


def kept_in_residents_scheme(uow_at: Uow, params: Parameters, person: str, at: str = "") -> None:
    """He also paid the residents' scheme at the Henan agency (or ``at``), 300 yuan a year in
    2018–2024 (重复参保: all seven years inside his Zhengzhou employment), and stopped in 2025."""
    stopped = (RelationshipStatus.SUSPENDED, dt.date(2025, 1, 1), "停止缴费")
    in_residents_scheme(uow_at, params, person, at or HENAN, range(2018, 2025), 300, stopped)


HENAN = "41000000"


@pytest.mark.parametrize("kept_at", [HENAN, NEW])
def test_a_residents_relation_kept_elsewhere_or_here_is_linked_in_before_the_award(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock, kept_at: str
) -> None:
    """人社部发〔2014〕17号 at retirement: 15 employee years, so the residents' relation moves into
    the employee scheme (第三条) at the receiving place once the employee relations are there
    (第四条); the whole residents' account joins the employee account and its years do not count
    (第五条); the residents' payments for months paid in both are refunded (第七条). Kept at
    another agency or at the Zhengzhou agency itself (a case between it and itself)."""
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    kept_in_residents_scheme(uow_at, params, person, kept_at)
    auto_review(uow_at, HENAN, NEW)
    with uow_at() as uow:
        employee_before = statement(uow, person, dt.date(2026, 11, 2)).total
        resident_account = statement(uow, person, dt.date(2026, 11, 2), "resident").total
    application = apply(uow_at, person, params)
    finding, case_id = waits_for_one_case(uow_at, application, "retirement.resident_relation")
    assert "第七条" in finding["zh"]
    assert case_id in finding["zh"]

    done = pump_and_refresh(engine, uow_at, application, params, moving_clock)
    with uow_at() as uow:
        linked = queries.show(uow, case_id, params)
        employee_after = statement(uow, person, dt.date(2026, 11, 2)).total
        resident_after = statement(uow, person, dt.date(2026, 11, 2), "resident").total
        statuses = {r.scheme: r.status for r, _ in registry.person_relationships(uow, person)}
        expected = expected_total(uow, person, 191, params)
    assert linked["kind"] == "linkage_to_employee"
    assert {s["state"] for s in linked["sides"]} == {"completed"}
    refund = 7 * 30_000  # 第七条: seven years of 300 yuan, every month of them paid in both
    assert employee_after - employee_before == resident_account - refund
    assert resident_after == 0
    assert statuses[Scheme.RESIDENT] is RelationshipStatus.TRANSFERRED_OUT
    assert done["state"] == "awarded"
    assert [f["code"] for f in done["findings"]] == []
    (award,) = done["awards"]
    assert award["inputs"]["contribution_months"] == 191  # 第五条: residents' years not counted
    assert award["inputs"]["account_balance"] == employee_after
    assert award["total"] == expected


def test_a_linkage_refused_leaves_the_award_to_the_employee_record_and_says_so(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    kept_in_residents_scheme(uow_at, params, person)
    application = apply(uow_at, person, params)  # Zhengzhou reviews by hand: the case waits
    with uow_at() as uow:
        (case_id,) = benefits.show(uow, application)["transfers"]
    declined = [{"code": "person.declined", "zh": "本人暂不办理衔接", "en": "The person declines."}]
    commit(uow_at, lambda uow: workflow.return_case(uow, case_id, declined))  # type: ignore[list-item]
    done = pump_and_refresh(engine, uow_at, application, params, moving_clock)
    assert done["transfers"] == [case_id]  # not started again
    assert done["state"] == "awarded"
    (finding,) = done["findings"]
    assert finding["code"] == "retirement.resident_not_linked"
    assert case_id in finding["zh"]
    assert "第八条" in finding["zh"]
    (award,) = done["awards"]
    with uow_at() as uow:
        assert (
            award["inputs"]["account_balance"] == statement(uow, person, dt.date(2026, 11, 2)).total
        )
        statuses = {r.scheme: r.status for r, _ in registry.person_relationships(uow, person)}
    assert statuses[Scheme.RESIDENT] is RelationshipStatus.SUSPENDED
