"""The residents' scheme's own pension (城乡居民养老保险待遇, 国发〔2014〕8号) on both engines: applied
for at 60 with fifteen years, awarded at the national minimum and the account ÷ 139 (checked
against the figures worked by hand), approved by a second operator, paid by the agency's run
with the basic part from the government's subsidy, raised when the minimum rose (the difference
paid back), stopped and settled at death; and every refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jinbao.accounts.tables import account_entries
from jinbao.benefits import duplicates, events, resident
from jinbao.benefits import service as benefits
from jinbao.benefits.adjustment import AdjustmentPlan, adjust
from jinbao.benefits.payments import run_payments
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, DomainError, InvalidInput
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.ledger.tables import postings
from jinbao.policy.parameters import Parameters, load_parameters
from jinbao.registry import service as registry
from jinbao.registry.model import AgencyLevel, RelationshipStatus, Scheme
from jinbao.registry.tables import relationships
from tests.builders import a_contact, an_agency_tree, an_id_number
from tests.integration.benefits.test_retirement import in_residents_scheme
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import NEW, OLD
from tests.rendering import ocr, page_images, similarity, text_layer

Uow = Callable[[], UnitOfWork]
BORN = "1964-06-15"  # 60 in June 2024: the pension from July 2024 (today is 2026-11-02)
REGION = "410000"  # the Zhengzhou agency's pooling region
# 200 yuan a year and the government's minimum subsidy of 30 (国发〔2014〕8号): 230 a year.
YEAR = 23_000
TIER = 200


def a_resident(uow_at: Uow, params: Parameters, years: range, born: str = BORN) -> str:
    """户籍 Zhengzhou, insured in the residents' scheme at the Zhengzhou agency, paying the
    200-yuan tier in each of ``years``; the relation suspended at 60 (or now, if younger)."""
    person = an_id_number(born=born, sex="F", county="410105")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "王秀兰", "410105"))

    commit(uow_at, setup)
    sixty = YearMonth.of(dt.date.fromisoformat(born)).plus(720).first_day()
    stopped = min(sixty, dt.date(2026, 1, 1))
    then = (RelationshipStatus.SUSPENDED, stopped, "年满60周岁，待领取城乡居民养老保险待遇")
    in_residents_scheme(uow_at, params, person, NEW, years, TIER, then)
    return person


def applied(uow_at: Uow, params: Parameters, person: str) -> int:
    cmd = resident.ResidentPensionApplication(
        person, NEW, operator="张经办", bank="中国农业银行", account_number="6228480010000001"
    )
    return commit(uow_at, lambda uow: resident.apply(uow, cmd, params))


def approved(uow_at: Uow, params: Parameters, person: str) -> int:
    """Applied for, and the draft approved by a second operator: the application's id."""
    application = applied(uow_at, params, person)
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    return application


def pay(uow_at: Uow, month: YearMonth):
    return commit(uow_at, lambda uow: run_payments(uow, NEW, month))


def ledger_breaks(uow_at: Uow) -> list[object]:
    with uow_at() as uow:
        return list(check(uow))


def fiscal_paid(engine: Engine) -> int:
    """What the government's subsidy account paid out in the region (debits, fen)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.coalesce(func.sum(postings.c.amount), 0)).where(
                    postings.c.region == REGION, postings.c.account == "fiscal_subsidies"
                )
            ).scalar_one()
        )


def test_a_resident_at_sixty_with_fifteen_years_is_awarded_paid_and_raised(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    person = a_resident(uow_at, params, range(2009, 2024))  # fifteen years: 180 months
    application = applied(uow_at, params, person)
    with uow_at() as uow:
        shown = benefits.show(uow, application)
    assert (shown["scheme"], shown["state"], shown["retire_month"]) == (
        "resident",
        "awarded",
        "2024-06",
    )
    (award,) = shown["awards"]
    # By hand: the national minimum in force in July 2024 is 123 yuan (unverified: the 2024
    # government work report); the account 15 × 230 = 3 450 yuan, ÷ 139 = 24.82 yuan.
    assert award["from_month"] == "2024-07"
    assert (award["basic"], award["account"], award["transitional"]) == (12_300, 2_482, 0)
    assert award["total"] == 14_782
    assert award["inputs"]["contribution_months"] == 180
    assert award["inputs"]["account_balance"] == 15 * YEAR
    assert any("国发〔2014〕8号" in s for s in award["explanation"]["sources"])
    assert "resident-raise" in award["explanation"]["steps"][-1]["zh"]  # 143 since 2025

    own = rejected(engine, uow_at, lambda uow: benefits.approve_award(uow, award["id"], "张经办"))
    assert own.code == "award.same_operator"
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    with engine.connect() as conn:
        status = conn.execute(
            select(relationships.c.status).where(relationships.c.scheme == "resident")
        ).scalar_one()
    assert status == "receiving"

    # The first run, for February 2025: July 2024 to February 2025 at the award, 8 months.
    first = pay(uow_at, YearMonth(2025, 2))
    assert (first.paid, first.total) == (1, 8 * 14_782)
    assert fiscal_paid(engine) == 8 * 12_300  # the basic part: the government's
    with uow_at() as uow:
        drawn = uow.conn.execute(
            select(func.sum(account_entries.c.amount)).where(
                account_entries.c.scheme == "resident", account_entries.c.kind == "payout"
            )
        ).scalar_one()
    assert drawn == -8 * 2_482  # the account part: the person's account, drawn down
    assert ledger_breaks(uow_at) == []

    # The employees' yearly adjustment leaves the residents' pensions alone.
    plan = AdjustmentPlan(2025, fixed=5_000, per_year=0, percent=0)  # type: ignore[arg-type]
    adjusted = commit(uow_at, lambda uow: adjust(uow, NEW, plan, "制定人", "复核人"))
    assert adjusted.adjusted == 0

    # The minimum rose to 143 yuan from January 2025: one version from then, approved by two.
    same = rejected(
        engine, uow_at, lambda uow: resident.raise_basic(uow, NEW, params, "张经办", "张经办")
    )
    assert same.code == "adjustment.same_operator"
    raised = commit(uow_at, lambda uow: resident.raise_basic(uow, NEW, params, "张经办", "李复核"))
    assert (raised.raised, raised.versions, raised.increase) == (1, 1, 2_000)
    again = commit(uow_at, lambda uow: resident.raise_basic(uow, NEW, params, "张经办", "李复核"))
    assert (again.raised, again.versions) == (0, 0)
    with uow_at() as uow:
        versions = benefits.show(uow, application)["awards"]
    assert [(v["from_month"], v["basic"], v["state"]) for v in versions] == [
        ("2024-07", 12_300, "approved"),
        ("2025-01", 14_300, "approved"),
    ]
    raised_steps = [s["zh"] for s in versions[1]["explanation"]["steps"]]
    assert "143.00" in raised_steps[-1]
    assert not any("resident-raise" in step for step in raised_steps)  # done with

    # The next run pays March at 163.82 and January and February's 20 yuan as arrears.
    second = pay(uow_at, YearMonth(2025, 3))
    assert (second.total, second.arrears) == (16_782 + 2 * 2_000, 2 * 2_000)
    assert fiscal_paid(engine) == 8 * 12_300 + 14_300 + 2 * 2_000
    assert pay(uow_at, YearMonth(2025, 3)).total == 0  # nothing twice
    assert ledger_breaks(uow_at) == []


def test_a_resident_pensioners_death_stops_the_pension_and_leaves_no_employees_due(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """Paid to April 2025, died on 10 March: April was paid after the death (冒领) and is set off;
    no funeral grant or survivor pension of the employees' measures (人社部发〔2021〕18号) is due
    — the residents' scheme's local grants are not built; the account is inherited less the
    government's subsidies paid in (国发〔2014〕8号)."""
    person = a_resident(uow_at, params, range(2009, 2024))
    approved(uow_at, params, person)
    pay(uow_at, YearMonth(2025, 4))  # July 2024 to April 2025: 10 months
    settled = commit(
        uow_at,
        lambda uow: events.record_death(uow, person, dt.date(2025, 3, 10), "公安", params),
    )
    assert settled is not None
    assert (settled["funeral"], settled["survivor_pension"]) == (0, 0)
    assert settled["overpaid"] == 14_782  # April
    left = 15 * YEAR - 10 * 2_482
    assert settled["inheritance"] == left - 15 * 3_000  # the subsidies (30 yuan a year) stay
    assert pay(uow_at, YearMonth(2025, 5)).paid == 0
    assert ledger_breaks(uow_at) == []


@pytest.mark.parametrize(
    ("years", "born", "agency", "code", "error"),
    [
        # born in June 1964, 14 years 8 months from 60 when the scheme began: 14 years needed
        (range(2009, 2022), BORN, NEW, "resident_pension.below_minimum", Conflict),  # 13 paid
        (range(2009, 2025), "1970-03-01", NEW, "resident_pension.under_age", InvalidInput),
        (range(2009, 2024), BORN, OLD, "resident_pension.no_relation", Conflict),
    ],
)
def test_a_resident_who_cannot_draw_yet_is_refused_with_what_to_do_and_nothing_written(
    engine: Engine,
    uow_at: Uow,
    params: Parameters,
    years: range,
    born: str,
    agency: str,
    code: str,
    error: type[DomainError],
) -> None:
    person = a_resident(uow_at, params, years, born)
    cmd = resident.ResidentPensionApplication(person, agency, operator="张经办")
    refused = rejected(engine, uow_at, lambda uow: resident.apply(uow, cmd, params), error)
    assert refused.code == code
    assert person in refused.zh  # what to do, for whom, in both languages
    assert person in refused.en


def test_one_basic_pension_a_resident_who_draws_one_is_not_awarded_another(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """国发〔2014〕8号: "没有领取国家规定的基本养老保障待遇" — a second application refused."""
    person = a_resident(uow_at, params, range(2009, 2024))
    approved(uow_at, params, person)
    cmd = resident.ResidentPensionApplication(person, NEW, operator="张经办")
    again = rejected(engine, uow_at, lambda uow: resident.apply(uow, cmd, params), Conflict)
    assert again.code == "award.duplicate"


def test_the_level_of_the_agency_does_not_matter_a_county_agency_awards_too(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """Residents are insured where their 户籍 is, most at a county agency (国发〔2014〕8号)."""
    person = an_id_number(born=BORN, sex="M", county="410105")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_agency(
            uow,
            registry.NewAgency(
                "41010500", "金水区社保中心", AgencyLevel.COUNTY, NEW, "410105", a_contact(),
                dt.date(2011, 1, 1),
            ),
        )  # fmt: skip
        registry.add_person(uow, registry.NewPerson(person, "李建国", "410105"))

    commit(uow_at, setup)
    stopped = (RelationshipStatus.SUSPENDED, dt.date(2024, 6, 1), "年满60周岁")
    in_residents_scheme(uow_at, params, person, "41010500", range(2009, 2025), 500, stopped)
    cmd = resident.ResidentPensionApplication(person, "41010500", operator="张经办")
    application = commit(uow_at, lambda uow: resident.apply(uow, cmd, params))
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
    # 16 years × (500 + 60, the higher tier's subsidy: unverified) = 8 960 yuan, ÷ 139 = 64.46.
    assert (award["basic"], award["account"]) == (12_300, 6_446)


def test_the_residents_award_notice_reads_in_chinese(
    engine: Engine, uow_at: Uow, params: Parameters, tesseract: str, tmp_path: Path
) -> None:
    person = a_resident(uow_at, params, range(2009, 2024))
    application = applied(uow_at, params, person)
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
        pdf = benefits.award_notice(uow, award["id"])
    text = text_layer(pdf)
    assert "城乡居民基本养老保险待遇核定表" in text
    assert person in text
    assert "147.82 元" in text  # the month's total, 123 + 24.82
    assert "15年0个月" in text
    assert "国发〔2014〕8号" in text
    seen = ocr(tesseract, page_images(pdf)[0], tmp_path)
    for expected in ("城乡居民基本", "年满60周岁", "累计缴费年限", "个人账户养老金", "王秀兰"):
        assert similarity(expected, seen) >= 0.75, (expected, seen)


def test_a_resident_pension_paid_here_and_an_employee_one_found_in_migrated_data(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """17号 第八条: the employee pension stays; the residents' account is refunded less the
    government's subsidies, and the residents' basic pension this node paid — read from its
    payments, the account part not counted — is repaid, first set off against that refund,
    with what the operator enters for what was paid elsewhere."""
    person = a_resident(uow_at, params, range(2009, 2024))
    approved(uow_at, params, person)
    pay(uow_at, YearMonth(2025, 2))  # July 2024 to February 2025: 8 months

    def migrated_employee_pension(uow: UnitOfWork) -> None:
        kept = registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, OLD, dt.date(2000, 1, 1))
        )
        registry.change_relationship_status(
            uow, kept.id, RelationshipStatus.RECEIVING, changed_on=dt.date(2020, 1, 1),
            reason="迁移数据：职工养老金按月领取",
        )  # fmt: skip

    commit(uow_at, migrated_employee_pension)
    with uow_at() as uow:
        (found,) = duplicates.find(uow)
    assert found["id_number"] == person
    settled = commit(
        uow_at, lambda uow: duplicates.settle(uow, person, resident_pension_drawn=1_000_00)
    )
    left = 15 * YEAR - 8 * 2_482  # the account after eight months' account parts
    assert settled["kept"] == OLD
    assert settled["refunded"] == left - 15 * 3_000  # less the subsidies, 30 yuan a year
    assert settled["set_off"] == 8 * 12_300 + 1_000_00  # the basic paid here, and elsewhere
    assert settled["to_recover"] == 0
    assert pay(uow_at, YearMonth(2025, 3)).paid == 0  # the residents' relation ended
    assert ledger_breaks(uow_at) == []


def test_a_provinces_local_top_up_is_added_to_the_basic_pension_and_raised_with_it(
    engine: Engine, uow_at: Uow, tmp_path: Path
) -> None:
    """国发〔2014〕8号: 地方人民政府可以根据实际情况适当提高基础养老金标准 — Henan's top-up, as its
    operators load it: 15 yuan from 2024 and 40.50 from July 2025 (figures of this test), on
    top of the national minimum (123, then 143 from 2025)."""
    (tmp_path / "resident.toml").write_text(
        "[local_top_up.41]\n"
        '"2024-01-01" = { yuan = 15, status = "official", source = "豫人社（测试）甲" }\n'
        '"2025-07-01" = { yuan = "40.50", status = "official", source = "豫人社（测试）乙" }\n'
    )
    henan = load_parameters(tmp_path)
    person = a_resident(uow_at, henan, range(2009, 2024))
    application = applied(uow_at, henan, person)
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
    assert (award["basic"], award["account"]) == (12_300 + 1_500, 2_482)
    assert award["inputs"]["local_top_up"] == 1_500
    assert any("豫人社（测试）甲" in s for s in award["explanation"]["sources"])
    with uow_at() as uow:
        assert "地方加发 15.00 元" in text_layer(benefits.award_notice(uow, award["id"]))
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    raised = commit(uow_at, lambda uow: resident.raise_basic(uow, NEW, henan, "张经办", "李复核"))
    assert (raised.raised, raised.versions) == (1, 2)
    with uow_at() as uow:
        versions = benefits.show(uow, application)["awards"]
    assert [(v["from_month"], v["basic"]) for v in versions] == [
        ("2024-07", 13_800), ("2025-01", 14_300 + 1_500), ("2025-07", 14_300 + 4_050),
    ]  # fmt: skip
    assert "豫人社（测试）乙" in versions[-1]["explanation"]["steps"][-1]["zh"]
    paid = pay(uow_at, YearMonth(2025, 8))
    assert paid.total == 6 * 16_282 + 6 * 18_282 + 2 * 20_832
    assert fiscal_paid(engine) == 6 * 13_800 + 6 * 15_800 + 2 * 18_350
    assert ledger_breaks(uow_at) == []


def test_a_correction_recomputes_from_the_first_month_and_the_raise_follows_it(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """更正 (a resident's award by resident.make_award): the new draft is the basic pension of
    the first month and the account as it is now, and says to raise again; once approved, the
    raise brings it to 2025's minimum from January, and the run pays each month at its version."""
    person = a_resident(uow_at, params, range(2009, 2024))
    application = approved(uow_at, params, person)
    commit(uow_at, lambda uow: resident.raise_basic(uow, NEW, params, "张经办", "李复核"))
    corrected = commit(
        uow_at,
        lambda uow: benefits.correct_award(uow, application, params, "张经办", "补录缴费后重算"),
    )
    with uow_at() as uow:
        draft = benefits.show(uow, application)["awards"][-1]
    assert (draft["id"], draft["from_month"], draft["basic"], draft["state"]) == (
        corrected, "2024-07", 12_300, "draft",
    )  # fmt: skip
    assert "resident-raise" in draft["explanation"]["steps"][-1]["zh"]
    commit(uow_at, lambda uow: benefits.approve_award(uow, corrected, "李复核"))
    again = commit(uow_at, lambda uow: resident.raise_basic(uow, NEW, params, "张经办", "李复核"))
    assert (again.raised, again.versions) == (1, 1)
    assert pay(uow_at, YearMonth(2025, 3)).total == 6 * 14_782 + 3 * 16_782
    assert ledger_breaks(uow_at) == []
