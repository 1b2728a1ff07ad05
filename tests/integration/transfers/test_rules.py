"""Each rule at its leg, end to end on both engines, with the ledger check clean after each."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select, update

from jinbao.accounts.service import statement
from jinbao.accounts.tables import account_entries
from jinbao.contributions import service as contributions
from jinbao.contributions.model import Authority, LegalDocument
from jinbao.contributions.tables import contributions as contribution_rows
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.exchange.tables import outbox
from jinbao.kernel.errors import Conflict, DomainError, InvalidInput
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.policy.parameters import Parameters
from jinbao.policy.workdays import add_workdays
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus, Scheme
from jinbao.transfers import queries, workflow
from tests.builders import an_agency_tree, an_id_number
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import NEW, OLD, Mover, MovingClock, auto_review

Uow = Callable[[], UnitOfWork]


def apply(make_uow: Uow, id_number: str, params: Parameters, to: str = NEW) -> str:
    return commit(
        make_uow, lambda uow: workflow.apply(uow, workflow.Application(id_number, to), params)
    )


def side(make_uow: Uow, case_id: str, params: Parameters, which: str) -> dict:
    with make_uow() as uow:
        found = queries.show(uow, case_id, params)
    return {s["side"]: s for s in found["sides"]}[which]


def no_breaks(make_uow: Uow) -> None:
    with make_uow() as uow:
        assert check(uow) == []


def set_status(make_uow: Uow, relation: int, status: RelationshipStatus, on: dt.date) -> None:
    commit(
        make_uow,
        lambda uow: registry.change_relationship_status(
            uow, relation, status, changed_on=on, reason="测试"
        ),
    )


def test_a_person_receiving_benefits_is_refused_in_writing_with_the_rule(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters
) -> None:
    """国办发〔2009〕66号 第二条: no transfer once benefits are received."""
    auto_review(uow_at, NEW)
    set_status(uow_at, mover.new_relation, RelationshipStatus.SUSPENDED, dt.date(2026, 6, 1))
    set_status(uow_at, mover.old_relation, RelationshipStatus.RECEIVING, dt.date(2026, 6, 1))
    case_id = apply(uow_at, mover.id_number, params)
    refused = side(uow_at, case_id, params, "receiving")
    assert refused["state"] == "refused"
    codes = {r["code"] for r in refused["reasons"]}
    assert {"transfer.receiving_benefits", "transfer.not_enrolled_here"} <= codes
    assert "第二条" in next(
        r["zh"] for r in refused["reasons"] if r["code"] == "transfer.receiving_benefits"
    )


def test_without_enrolling_at_the_new_place_the_operator_can_only_refuse(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters
) -> None:
    """66号 第八条 一: enrol and contribute at the new place first."""
    set_status(uow_at, mover.new_relation, RelationshipStatus.SUSPENDED, dt.date(2026, 6, 1))
    case_id = apply(uow_at, mover.id_number, params)
    queued = side(uow_at, case_id, params, "receiving")
    assert queued["queued"]
    assert queued["reasons"][0]["code"] == "transfer.not_enrolled_here"
    error = rejected(
        engine, uow_at, lambda uow: workflow.accept(uow, case_id, params=params), Conflict
    )
    assert error.code == "transfer.rule_forbids"
    assert "第八条" in error.zh
    assert (
        rejected(engine, uow_at, lambda uow: workflow.refuse(uow, case_id, []), InvalidInput).code
        == "transfer.reasons_required"
    )
    commit(
        uow_at,
        lambda uow: workflow.refuse(uow, case_id, workflow.operator_reason("请先在本地参保缴费。")),
    )
    assert side(uow_at, case_id, params, "receiving")["state"] == "refused"


def test_a_second_application_while_one_runs_is_refused(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters
) -> None:
    apply(uow_at, mover.id_number, params)
    error = rejected(
        engine,
        uow_at,
        lambda uow: workflow.apply(uow, workflow.Application(mover.id_number, NEW), params),
        Conflict,
    )
    assert error.code == "transfer.already_open"


def test_temporary_account_age_outside_hukou_waits_for_an_operator_even_with_auto_review(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """66号 第五条（二）: a man of 50 enrolling outside his 户籍 province; the exceptions need a
    person's judgement, so automatic review stops and says why."""
    person = an_id_number(born="1970-04-01", sex="M", county="410105")

    def setup(uow: UnitOfWork) -> None:

        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "李四", "410105"))
        old = registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, NEW, dt.date(2020, 1, 1))
        )
        registry.change_relationship_status(
            uow, old.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2025, 1, 1), reason="离开"
        )
        registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, OLD, dt.date(2025, 3, 1))
        )

    commit(uow_at, setup)
    auto_review(uow_at, OLD, NEW)
    case_id = apply(uow_at, person, params, to=OLD)
    waiting = side(uow_at, case_id, params, "receiving")
    assert waiting["state"] == "applied"
    assert waiting["queued"]
    assert [r["code"] for r in waiting["reasons"]] == ["transfer.temporary_account_due"]
    # The operator checked: an approved transfer (第五条（三）); the case goes on.
    commit(uow_at, lambda uow: workflow.accept(uow, case_id, params=params))
    workflow.pump(engine, moving_clock, params)
    assert side(uow_at, case_id, params, "receiving")["state"] == "completed"
    no_breaks(uow_at)


def test_back_at_fifty_in_a_province_where_his_relation_is_kept_no_temporary_account_is_due(
    engine: Engine, uow_at: Uow, params: Parameters, moving_clock: MovingClock
) -> None:
    """户籍 Sichuan: Guangzhou from 2012 (kept), Zhengzhou from 2020, then Tianhe at 55. Guangdong
    is an old place of 66号 第五条（二）, where his relation is kept, not a new one: no temporary
    account is due, and automatic review carries the transfer through."""
    person = an_id_number(born="1970-04-01", sex="M", county="510107")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "李五", "510107"))
        for agency, start, end in (
            ("44010000", dt.date(2012, 1, 1), dt.date(2019, 12, 1)),
            (NEW, dt.date(2020, 1, 1), dt.date(2025, 1, 1)),
        ):
            kept = registry.add_relationship(
                uow, registry.NewRelationship(person, Scheme.ENTERPRISE, agency, start)
            )
            registry.change_relationship_status(
                uow, kept.id, RelationshipStatus.SUSPENDED, changed_on=end, reason="离开"
            )
        registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, OLD, dt.date(2025, 3, 1))
        )

    commit(uow_at, setup)
    auto_review(uow_at, OLD, NEW)
    case_id = commit(
        uow_at,
        lambda uow: workflow.apply(uow, workflow.Application(person, OLD, NEW), params),
    )
    workflow.pump(engine, moving_clock, params)
    done = side(uow_at, case_id, params, "receiving")
    assert done["reasons"] == []
    assert done["state"] == "completed"
    no_breaks(uow_at)


def test_a_lump_sum_without_legal_documents_stays_behind_and_the_person_is_told_in_10_days(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    """人社厅发〔2019〕94号 二、三: 3+ years paid at once without the legal documents move neither
    years nor funds; the person is told in writing within 10 working days of the 联系函. The
    records are legacy data whose document was never kept (our own back-payment refuses that)."""

    def back_pay(uow: UnitOfWork) -> None:
        contributions.back_pay(
            uow,
            contributions.BackPayment(
                mover.id_number, YearMonth(2019, 1), YearMonth(2021, 12), Fen(500_000),
                dt.date(2022, 6, 1), mover.employer,
                LegalDocument(Authority.ARBITRATION, "穗劳人仲案〔2022〕1号", dt.date(2022, 5, 1)),
            ),
            params,
        )  # fmt: skip
        uow.conn.execute(
            update(contribution_rows)
            .where(contribution_rows.c.lump_sum.is_(True))
            .values(legal_document_id=None)
        )

    commit(uow_at, back_pay)
    with uow_at() as uow:
        whole = statement(uow, mover.id_number, moving_clock.today())
    auto_review(uow_at, OLD, NEW)
    case_id = apply(uow_at, mover.id_number, params)
    workflow.pump(engine, moving_clock, params)
    sent = side(uow_at, case_id, params, "transferring")
    assert sent["state"] == "completed"
    assert sent["amounts"]["months"] == 23  # the 36 lump-sum months do not move
    lump = next(n for n in sent["notices"] if n["code"] == "transfer.lump_sum_excluded")
    letter_day = moving_clock.today()
    assert lump["due_on"] == add_workdays(letter_day, 10, params).value.isoformat()
    lump_account = 36 * 40_000  # 8% of 5 000 yuan a month
    zhengzhou = 3 * 48_000  # the flexible months already paid in Henan (8% of 6 000 yuan)
    assert sent["amounts"]["account"] == whole.total - zhengzhou - lump_account
    with uow_at() as uow:
        left = statement(uow, mover.id_number, moving_clock.today())
    # The lump sum's account credits stay in Guangdong; everything else moved to Henan.
    by_region: dict[str, int] = {}
    with uow_at() as uow:
        for region, total in uow.conn.execute(
            select(account_entries.c.region, func.sum(account_entries.c.amount)).group_by(
                account_entries.c.region
            )
        ):
            by_region[region] = int(total)
    assert by_region["440000"] == lump_account
    assert left.total == whole.total
    no_breaks(uow_at)


def test_the_transferring_agency_returns_the_letter_and_nothing_moves(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    auto_review(uow_at, NEW)
    case_id = apply(uow_at, mover.id_number, params)
    workflow.pump(engine, moving_clock, params)
    commit(
        uow_at,
        lambda uow: workflow.return_letter(
            uow, case_id, workflow.operator_reason("档案记载与联系函不符，请核实后重新申请。")
        ),
    )
    workflow.pump(engine, moving_clock, params)
    receiving = side(uow_at, case_id, params, "receiving")
    assert receiving["state"] == "voided"
    assert receiving["reasons"][0]["zh"].startswith("档案记载")
    with uow_at() as uow:
        assert queries.show(uow, case_id, params)["ledger_transfer"] is None
        assert (
            registry.get_relationship(uow, mover.old_relation).status
            is RelationshipStatus.SUSPENDED
        )
    no_breaks(uow_at)


def test_funds_returned_at_leg_3_void_the_reservation_and_the_account_goes_back(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    auto_review(uow_at, OLD)
    with uow_at() as uow:
        before = statement(uow, mover.id_number, moving_clock.today()).balances
    case_id = apply(uow_at, mover.id_number, params)
    commit(uow_at, lambda uow: workflow.accept(uow, case_id, params=params))
    workflow.pump(engine, moving_clock, params)
    assert side(uow_at, case_id, params, "receiving")["state"] == "funds_sent"
    commit(
        uow_at,
        lambda uow: workflow.return_funds(
            uow, case_id, workflow.operator_reason("信息表缴费基数与档案不符。")
        ),
    )
    workflow.pump(engine, moving_clock, params)
    with uow_at() as uow:
        case = queries.show(uow, case_id, params)
        after = statement(uow, mover.id_number, moving_clock.today()).balances
        relation = registry.get_relationship(uow, mover.old_relation)
    assert {s["side"]: s["state"] for s in case["sides"]} == {
        "receiving": "voided", "transferring": "voided",
    }  # fmt: skip
    assert case["ledger_transfer"]["state"] == "voided"
    assert after == before
    assert relation.status is RelationshipStatus.SUSPENDED  # still kept at the old place
    no_breaks(uow_at)


def test_a_correction_request_pauses_the_clock_and_extends_the_deadline(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    case_id = apply(uow_at, mover.id_number, params)
    commit(uow_at, lambda uow: workflow.accept(uow, case_id, params=params))
    workflow.pump(engine, moving_clock, params)
    due_before = side(uow_at, case_id, params, "transferring")["clock"]["due_on"]
    commit(
        uow_at,
        lambda uow: workflow.ask_correction(
            uow, case_id, workflow.operator_reason("请补充2023年劳动合同。"), params=params
        ),
    )
    workflow.pump(engine, moving_clock, params)
    paused = side(uow_at, case_id, params, "transferring")
    assert paused["clock"]["timeliness"] == "paused"
    events = [e["event"] for e in side(uow_at, case_id, params, "receiving")["events"]]
    assert "correction_request_received" in events
    moving_clock.advance(3)  # Monday → Thursday: three working days waited
    commit(uow_at, lambda uow: workflow.correction_supplied(uow, case_id, params=params))
    resumed = side(uow_at, case_id, params, "transferring")["clock"]
    assert resumed["timeliness"] != "paused"
    assert (
        resumed["due_on"]
        == add_workdays(dt.date.fromisoformat(due_before), 3, params).value.isoformat()
    )


def test_overdue_cases_are_listed_and_supervised_from_above(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    case_id = apply(uow_at, mover.id_number, params)
    moving_clock.advance(12)  # 2026-11-14: nine working days later
    with uow_at() as uow:
        assert queries.agency_cases(uow, NEW, params, only="overdue") == []
    moving_clock.advance(10)  # 2026-11-24: sixteen working days, overdue
    with uow_at() as uow:
        overdue = queries.agency_cases(uow, NEW, params, only="overdue")
        henan = queries.supervision(uow, "41000000", params)
        national = queries.supervision(uow, "10000000", params)
        guangdong = queries.supervision(uow, "44000000", params)
    assert [c["case_id"] for c in overdue] == [case_id]
    assert overdue[0]["clock"]["timeliness"] == "overdue"
    assert [c["case_id"] for c in henan] == [case_id] == [c["case_id"] for c in national]
    assert guangdong == []  # leg 1 is Henan's to do
    commit(uow_at, lambda uow: queries.comment(uow, case_id, "41000000", "请于3个工作日内办结。"))
    error = rejected(
        engine,
        uow_at,
        lambda uow: queries.comment(uow, case_id, "44000000", "催办"),
        InvalidInput,
    )
    assert error.code == "transfer.not_supervisor"
    with uow_at() as uow:
        assert [c["agency"] for c in queries.show(uow, case_id, params)["comments"]] == ["41000000"]


def test_a_replayed_document_with_changed_content_is_refused(
    engine: Engine, uow_at: Uow, mover: Mover, params: Parameters, moving_clock: MovingClock
) -> None:
    """A forged copy reusing a document id (say, a bigger fund slip) fails the signature check
    or the replay check, and changes nothing."""

    auto_review(uow_at, OLD, NEW)
    case_id = apply(uow_at, mover.id_number, params)
    workflow.pump(engine, moving_clock, params)
    with engine.connect() as conn:
        slip = conn.execute(
            select(outbox.c.payload).where(outbox.c.type == "fund_transfer_slip")
        ).scalar_one()
    forged = json.loads(slip)
    forged["body"]["total"] += 100_000
    with pytest.raises(DomainError):
        exchange.LocalTransport(engine, moving_clock).send(json.dumps(forged).encode())
    with uow_at() as uow:
        assert queries.show(uow, case_id, params)["ledger_transfer"]["state"] == "posted"
    no_breaks(uow_at)
