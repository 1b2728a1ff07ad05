"""视同缴费年限 end to end on both engines: recorded by two operators at the agency keeping the
relation, refused plainly (writing nothing) when they cannot be; counted in N and the minimum,
earning the transitional pension at the province's coefficient (国发〔2005〕38号); shown in the
person's record; carried by a transfer of the relation, still counted at the place worked
(人社部规〔2016〕5号 一)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from jinbao.accounts.service import statement
from jinbao.benefits import service as benefits
from jinbao.benefits.events import claim_survivor_benefits, record_death
from jinbao.contributions import service as contributions
from jinbao.contributions.service import history
from jinbao.contributions.tables import deemed_years
from jinbao.db.uow import UnitOfWork
from jinbao.exchange.codec import decode
from jinbao.exchange.tables import outbox
from jinbao.kernel.money import Fen, round_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters, load_parameters
from jinbao.policy.pension import monthly_pension
from jinbao.records.service import person_record
from jinbao.registry import repository
from jinbao.transfers import queries, workflow
from jinbao.transfers.records import national_history
from tests.integration.benefits.test_retirement import apply, career, pump_and_refresh
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import NEW, OLD, MovingClock, auto_review
from tests.rendering import text_layer

Uow = Callable[[], UnitOfWork]


def deemed(person: str, agency: str, start: str, end: str, **kw: Any) -> contributions.DeemedYears:
    fields: dict[str, Any] = {
        "basis": "档案：1985年招工登记表、1985—1995年工资台账",
        "operator": "张经办",
        "checker": "李复核",
    } | kw
    return contributions.DeemedYears(
        person, agency, YearMonth.parse(start), YearMonth.parse(end), **fields
    )


def record(uow_at: Uow, cmd: contributions.DeemedYears, params: Parameters) -> dict[str, Any]:
    return commit(uow_at, lambda uow: contributions.record_deemed_years(uow, cmd, params))


def expected_total(
    uow: UnitOfWork, person: str, months: int, deemed: int, params: Parameters
) -> Fen:
    """The pension recomputed here from the records, the way 国发〔2005〕38号 reads: N with the
    deemed years, the transitional part Z × deemed years × the province's coefficient, the
    index over the paid months only."""
    paid = [r for r in history(uow, person) if r.paid_on is not None]
    ratios = [
        Decimal(int(r.base)) / params.average_wage("benefit_wage", "41", r.period.year - 1).value
        for r in paid
    ]
    index = (sum(ratios, Decimal(0)) / len(ratios)).quantize(Decimal("0.0001"))
    return monthly_pension(
        average_wage=Fen(params.average_wage("benefit_wage", "41", 2024).value), index=index,
        contribution_months=months,
        account_balance=statement(uow, person, dt.date(2026, 11, 2)).total,
        age_months=60 * 12 + 3, retirement_year=2025, params=params,
        transitional_months=deemed, transitional_coefficient=Decimal("0.012"),
    ).value.total  # fmt: skip


def test_deemed_years_bring_a_short_record_to_the_minimum_with_a_transitional_pension(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """Ten years on record in Zhengzhou, under the minimum of fifteen: refused for that. The file
    shows ten years of work from 1985, before individual contributions began: recorded, the
    check run again, the award counts twenty years and pays the transitional part."""
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=120)
    application = apply(uow_at, person, params)
    with uow_at() as uow:
        short = benefits.show(uow, application)
    assert short["awards"] == []
    assert "retirement.below_minimum" in [f["code"] for f in short["findings"]]

    shown = record(uow_at, deemed(person, NEW, "1985-09", "1995-08"), params)
    assert shown["months"] == 120
    assert shown["region"] == "410100"  # the agency's own: worked in Zhengzhou
    assert "人社部规〔2016〕5号" in shown["explanation"]["zh"]
    commit(uow_at, lambda uow: benefits.refresh(uow, application, params, "张经办"))
    with uow_at() as uow:
        done = benefits.show(uow, application)
        expected = expected_total(uow, person, 240, 120, params)
        whole = person_record(uow, person, params)
        assert check(uow) == []
    assert done["state"] == "awarded"
    (award,) = done["awards"]
    assert award["inputs"]["contribution_months"] == 240
    assert award["inputs"]["deemed_months"] == 120
    assert award["inputs"]["transitional_coefficient"] == "0.012"
    assert award["inputs"]["transitional_coefficient_status"] == "sample"
    assert award["transitional"] > 0
    assert award["total"] == expected
    assert award["total"] == award["basic"] + award["account"] + award["transitional"]
    assert any("过渡性养老金" in s["zh"] for s in award["explanation"]["steps"])
    with uow_at() as uow:
        printed = text_layer(benefits.award_notice(uow, award["id"]))
    assert "累计缴费月数 240 个月（含视同缴费 120 个月）" in printed
    assert "过渡系数 0.012，sample" in printed

    assert whole["totals"]["deemed_months"] == 120
    (line,) = whole["deemed_years"]
    assert (line["from"], line["to"], line["months"], line["agency"], line["region"]) == (
        "1985-09", "1995-08", 120, NEW, "410100",
    )  # fmt: skip
    assert "招工登记表" in line["basis"]


def test_deemed_years_that_cannot_be_are_refused_and_nothing_is_written(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=120)
    record(uow_at, deemed(person, NEW, "1986-01", "1990-12"), params)

    def refused(cmd: contributions.DeemedYears) -> str:
        return rejected(
            engine, uow_at, lambda uow: contributions.record_deemed_years(uow, cmd, params)
        ).code

    assert refused(deemed(person, NEW, "1991-01", "1995-12", checker="张经办")) == (
        "deemed.same_operator"
    )
    assert refused(deemed(person, NEW, "1991-01", "1995-12", basis=" ")) == "deemed.basis"
    # born 1965-09: the 16th birthday's next month is 1981-10 (劳动法 第十五条)
    assert refused(deemed(person, NEW, "1981-09", "1985-12")) == "deemed.span"
    assert refused(deemed(person, NEW, "1996-01", "1998-01")) == "deemed.span"  # after 1997-12
    assert refused(deemed(person, NEW, "1995-12", "1995-01")) == "deemed.span"
    assert refused(deemed(person, NEW, "1990-06", "1992-12")) == "deemed.overlap"
    assert refused(deemed(person, OLD, "1991-01", "1995-12")) == "deemed.no_relation"
    assert refused(deemed(person, NEW, "1991-01", "1995-12", region_code="999999")) == (
        "region.unknown"
    )
    assert refused(deemed("110101199001011234", NEW, "1991-01", "1995-12")) in {
        "person.not_found",
        "id_number.checksum",
    }


def test_a_transfer_carries_deemed_years_still_counted_where_they_were_worked(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """Deemed years recorded in Guangzhou (Tianhe keeps the relation: worked there before 1996),
    then five years paid there and ten in Zhengzhou. At retirement the relation comes back to
    Zhengzhou with its 信息表, whose deemed lines keep the place worked; the award counts all."""
    person = career(uow_at, params, tianhe_months=60, zhengzhou_months=120)
    record(uow_at, deemed(person, OLD, "1985-09", "1995-08", region_code="440106"), params)
    with uow_at() as uow:
        person_id = repository.person_id(uow, person)
        assert person_id is not None
        places = national_history(uow, person_id, "enterprise")
    by_kind = {(p.kind.value, p.province): p.months for p in places.periods}
    assert by_kind[("deemed", "44")] == 120

    auto_review(uow_at, OLD, NEW)
    application = apply(uow_at, person, params)
    done = pump_and_refresh(engine, uow_at, application, params, moving_clock)
    with uow_at() as uow:
        expected = expected_total(uow, person, 60 + 120 + 120, 120, params)
        sent = [
            decode(payload.encode()).document.body
            for (payload,) in uow.conn.execute(
                select(outbox.c.payload).where(outbox.c.type == "info_table")
            )
        ]
    (info,) = sent
    lines = [y for y in info["years"] if y.get("kind") == "deemed"]
    assert sum(y["months"] for y in lines) == 120
    assert {y["region_code"] for y in lines} == {"440000"}
    assert (lines[0]["from"], lines[-1]["to"]) == ("1985-09", "1995-08")
    assert info["deemed_months"] == 120
    assert done["state"] == "awarded"
    (award,) = done["awards"]
    assert award["inputs"]["contribution_months"] == 300
    assert award["inputs"]["deemed_months"] == 120
    assert award["total"] == expected


def test_deemed_years_recorded_after_the_award_are_a_correction_with_the_difference(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """补记视同缴费年限: the file is found after the award was approved. The relation is
    receiving, the years are recorded there, and the correction (更正) is a new version with N
    and the transitional part, its monthly difference owed as arrears."""
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    application = apply(uow_at, person, params)
    with uow_at() as uow:
        (first,) = benefits.show(uow, application)["awards"]
    assert first["transitional"] == 0
    commit(uow_at, lambda uow: benefits.approve_award(uow, first["id"], "李复核"))
    record(uow_at, deemed(person, NEW, "1985-09", "1990-08"), params)
    commit(
        uow_at,
        lambda uow: benefits.correct_award(uow, application, params, "张经办", "补记视同缴费年限"),
    )
    with uow_at() as uow:
        old, new = benefits.show(uow, application)["awards"]
        expected = expected_total(uow, person, 191 + 60, 60, params)
        assert check(uow) == []
    assert new["inputs"]["contribution_months"] == 191 + 60
    assert new["inputs"]["deemed_months"] == 60
    assert new["transitional"] > 0
    assert new["total"] == expected
    assert new["difference"] == new["total"] - old["total"] > 0


def test_a_death_in_service_counts_the_deemed_years_in_the_survivors_months(
    uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """人社部发〔2021〕18号 第五条（一）: the months of the survivor pension grow with the years paid,
    which include the deemed years (POLICY §10.2: "Y = contribution years incl. 视同"). 100
    months on record and 120 deemed: 18 years 4 months, 9 + 3⅓ months."""
    moving_clock.day = dt.date(2026, 11, 2)
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=100)
    record(uow_at, deemed(person, NEW, "1985-09", "1995-08"), params)
    commit(uow_at, lambda uow: record_death(uow, person, dt.date(2026, 3, 15), "民政", params))
    settled = commit(uow_at, lambda uow: claim_survivor_benefits(uow, person, "冯大", params))
    base = params.disposable_income("41", 2025).value // 12
    assert settled["months"] == "12.33"
    assert settled["survivor_pension"] == round_to_fen(Decimal("12.33") * base)  # half up


def test_deemed_lines_the_receiver_cannot_count_send_the_funds_back(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock, tmp_path: Path
) -> None:
    """Risk control at leg 3: deemed years add years with no money behind them, so a 信息表
    whose deemed lines run past the last month that can be deemed where they were worked (here
    recorded under a rule that allowed 1998, which the receiving side's parameters do not) is
    not counted: the case is stopped with the finding and the funds go back."""
    (tmp_path / "transitional.toml").write_text(
        '[deemed]\nlast_month_by_province = {"44" = "1998-12"}\n', encoding="utf-8"
    )
    lenient = load_parameters(tmp_path)
    person = career(uow_at, params, tianhe_months=60, zhengzhou_months=120)
    record(uow_at, deemed(person, OLD, "1990-01", "1998-06", region_code="440106"), lenient)
    auto_review(uow_at, OLD, NEW)
    application = apply(uow_at, person, params)
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        (case_id,) = benefits.show(uow, application)["transfers"]
        case = queries.show(uow, case_id, params)
        assert check(uow) == []
    sides = {s["side"]: s for s in case["sides"]}
    codes = [r["code"] for r in sides["receiving"]["reasons"]]
    assert "transfer.deemed_out_of_range" in codes, sides["receiving"]
    assert "1990-01至1990-12" not in str(sides["receiving"]["reasons"])
    assert "1998-01至1998-06" in str(sides["receiving"]["reasons"])
    # returned: both sides voided, the money in transit taken back (the ledger checks)
    assert (sides["receiving"]["state"], sides["transferring"]["state"]) == ("voided", "voided")
    assert case["ledger_transfer"]["state"] == "voided"


def test_an_entry_found_wrong_is_cancelled_by_two_operators_and_counts_no_more(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """撤销: the entry stays, with who and why, and counts no more — not in the record, not in a
    new award; the award that counted it is named for correction. One a transfer carried away
    is the receiving agency's to correct."""
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    entry = record(uow_at, deemed(person, NEW, "1985-09", "1990-08"), params)
    application = apply(uow_at, person, params)
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
    assert award["inputs"]["deemed_months"] == 60

    def cancel(reason: str = "档案复核：1985—1990年为学徒期，不计连续工龄", **kw: str) -> Any:
        who = {"operator": "王经办", "checker": "赵复核"} | kw
        return lambda uow: contributions.cancel_deemed_years(
            uow, entry["id"], reason, who["operator"], who["checker"]
        )

    assert rejected(engine, uow_at, cancel(checker="王经办")).code == "deemed.same_operator"
    assert rejected(engine, uow_at, cancel(" ")).code == "deemed.reason"
    missing = rejected(
        engine, uow_at, lambda uow: contributions.cancel_deemed_years(uow, 999, "x", "a", "b")
    )
    assert missing.code == "deemed.not_found"
    done = commit(uow_at, cancel())
    assert (done["months"], done["to_correct"]) == (60, [application])
    assert rejected(engine, uow_at, cancel()).code == "deemed.cancelled"
    with uow_at() as uow:
        whole = person_record(uow, person, params)
        row = uow.conn.execute(select(deemed_years)).one()
    assert (whole["deemed_years"], whole["totals"]["deemed_months"]) == ([], 0)
    assert row.cancelled_by == "王经办/赵复核"
    assert "学徒期" in row.cancel_reason
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    commit(
        uow_at,
        lambda uow: benefits.correct_award(uow, application, params, "张经办", "撤销视同缴费年限"),
    )
    with uow_at() as uow:
        _, corrected = benefits.show(uow, application)["awards"]
    assert corrected["inputs"]["contribution_months"] == 191
    assert "deemed_months" not in corrected["inputs"]
    assert corrected["transitional"] == 0
    assert corrected["difference"] < 0  # overpaid since: recovered by the rules
    # The span is free again: entered right, it counts.
    record(uow_at, deemed(person, NEW, "1988-01", "1990-08"), params)


def test_deemed_years_a_transfer_carried_away_are_not_cancelled_where_they_were_recorded(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    person = career(uow_at, params, tianhe_months=60, zhengzhou_months=120)
    entry = record(uow_at, deemed(person, OLD, "1985-09", "1995-08", region_code="440106"), params)
    auto_review(uow_at, OLD, NEW)
    apply(uow_at, person, params)
    workflow.pump(engine, moving_clock, params)  # the relation goes back to Zhengzhou, years too
    moved = rejected(
        engine,
        uow_at,
        lambda uow: contributions.cancel_deemed_years(uow, entry["id"], "误录", "王经办", "赵复核"),
    )
    assert moved.code == "deemed.moved"
    assert "转入地" in moved.zh
