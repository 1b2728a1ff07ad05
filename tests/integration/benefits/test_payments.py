"""The monthly payment run on both engines: each person-month paid once, the pooled and account
parts out of their funds and the account drawn down, a correction's arrears paid in the next
run, nobody paid who is not receiving, and the ledger check clean after each run."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import Engine, func, insert, select

from jinbao.accounts.service import statement
from jinbao.accounts.tables import account_entries
from jinbao.benefits import payments
from jinbao.benefits import service as benefits
from jinbao.benefits.adjustment import AdjustmentPlan, adjust
from jinbao.benefits.payments import PaymentReport, run_payments
from jinbao.benefits.tables import benefit_payments
from jinbao.contributions import service as contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.check import check
from jinbao.ledger.model import Account, Journal, credit, debit
from jinbao.ledger.tables import journals, postings
from jinbao.policy.parameters import Parameters
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus
from jinbao.registry.tables import persons
from tests.builders import an_id_number
from tests.integration.benefits.test_retirement import (
    BORN,
    apply,
    approved_pensioner,
    career,
    worked,
)
from tests.integration.helpers import commit, rejected
from tests.integration.transfers.conftest import NEW

Uow = Callable[[], UnitOfWork]
ZZ = "410000"  # the pooling region of the Zhengzhou agency (NEW) that pays


def run(uow_at: Uow, month: YearMonth):
    return commit(uow_at, lambda uow: run_payments(uow, NEW, month))


def another_pensioner(uow_at: Uow, params: Parameters, bank: bool) -> tuple[str, dict]:
    """One more pensioner at the Zhengzhou agency of :func:`approved_pensioner` (whose agency
    tree is made once a test): 191 months there, applied for with a bank account or without,
    the award approved. (ID, award)."""
    person = an_id_number(born=BORN, sex="M", county="410105")

    def setup(uow: UnitOfWork) -> None:
        registry.add_person(uow, registry.NewPerson(person, "冯三", "410105"))
        worked(
            uow, params, person, NEW, YearMonth(2010, 1), 191,
            paid_on=dt.date(2025, 12, 10), left_on=dt.date(2025, 12, 1),
            why="达到退休年龄，停止缴费",
        )  # fmt: skip

    commit(uow_at, setup)
    cmd = benefits.RetirementApplication(
        person, NEW, operator="张经办",
        **({"bank": "中国银行", "account_number": "6216610000012345"} if bank else {}),  # type: ignore[arg-type]
    )  # fmt: skip
    application = commit(uow_at, lambda uow: benefits.apply_retirement(uow, cmd, params))
    with uow_at() as uow:
        (draft,) = benefits.show(uow, application)["awards"]
    commit(uow_at, lambda uow: benefits.approve_award(uow, draft["id"], "李复核"))
    return person, draft


def files(uow_at: Uow, report: PaymentReport) -> dict[str, str]:
    """The run's bank files, made from its payments as the CLI and the API make them."""
    assert report.run is not None
    with uow_at() as uow:
        return {b.bank: "".join(payments.bank_file(uow, report.run, b.bank)) for b in report.banks}


def clean(uow_at: Uow) -> None:
    with uow_at() as uow:
        assert check(uow) == []
        payable = [b.balance for b in ledger.trial_balance(uow) if b.account == "benefits_payable"]
    assert set(payable) <= {0}  # everything made payable went out through the bank


def test_each_month_is_paid_once_and_a_correction_pays_its_arrears(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    application = apply(uow_at, person, params)
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
    assert run(uow_at, YearMonth(2026, 1)).paid == 0  # not approved: nobody is paid
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    with uow_at() as uow:
        ((relation, _),) = registry.person_relationships(uow, person)
        account_before = statement(uow, person, dt.date(2026, 11, 2)).total
    assert relation.status is RelationshipStatus.RECEIVING

    january = run(uow_at, YearMonth(2026, 1))
    assert (january.paid, january.total, january.arrears) == (1, award["total"], 0)
    (bank_file,) = files(uow_at, january).values()
    assert f"6222021702000012345,冯二,{person}," in bank_file
    assert run(uow_at, YearMonth(2026, 1)).paid == 0  # a rerun pays nothing twice
    for m in (2, 3):
        run(uow_at, YearMonth(2026, m))
    clean(uow_at)
    with uow_at() as uow:
        account_after = statement(uow, person, dt.date(2026, 11, 2)).total
    # The account part of three months came out of the person's account (rounded per month).
    assert account_before - account_after == 3 * (
        award["account"] * award["total"] // award["total"]
    )

    # Six months paid late; the award is corrected and approved; April pays the new amount and
    # the difference for January to March.
    def back_pay(uow: UnitOfWork) -> None:
        contributions.back_pay(
            uow,
            contributions.BackPayment(
                person, YearMonth(2009, 7), YearMonth(2009, 12), Fen(500_000),
                dt.date(2026, 4, 2),
            ),
            params,
        )  # fmt: skip

    commit(uow_at, back_pay)
    commit(uow_at, lambda uow: benefits.correct_award(uow, application, params, "张经办", "补缴"))
    with uow_at() as uow:
        _, corrected = benefits.show(uow, application)["awards"]
    commit(uow_at, lambda uow: benefits.approve_award(uow, corrected["id"], "李复核"))
    april = run(uow_at, YearMonth(2026, 4))
    assert april.arrears == 3 * corrected["difference"]
    assert april.total == corrected["total"] + april.arrears
    assert run(uow_at, YearMonth(2026, 4)).total == 0
    clean(uow_at)

    future = rejected(
        engine, uow_at, lambda uow: run_payments(uow, NEW, YearMonth(2027, 1)), InvalidInput
    )
    assert future.code == "payment.future_month"


def test_the_yearly_adjustment_raises_pensions_from_january_with_arrears(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """人社部发〔2025〕38号 三: a provincial plan of 定额 + 挂钩 + 倾斜 for people retired by the end
    of the previous year, from January; March pays the new amount and January–February's
    difference. (The plan's figures are a test's, not any province's.)"""
    _person, application, award = approved_pensioner(uow_at, params)
    for m in (1, 2):
        run(uow_at, YearMonth(2026, m))
    plan = AdjustmentPlan(
        2026, fixed=5_000, per_year=150, percent=Decimal("0.01"), by_age={70: 3_000}
    )
    same = rejected(engine, uow_at, lambda uow: adjust(uow, NEW, plan, "张经办", "张经办"))
    assert same.code == "adjustment.same_operator"
    report = commit(uow_at, lambda uow: adjust(uow, NEW, plan, "张经办", "李复核"))
    linked = (Decimal(award["total"]) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    increase = 5_000 + 150 * (191 // 12) + int(linked)  # aged 60: no tilt
    assert (report.adjusted, report.total_increase) == (1, increase)
    again = rejected(engine, uow_at, lambda uow: adjust(uow, NEW, plan, "张经办", "李复核"))
    assert again.code == "adjustment.already_applied"
    with uow_at() as uow:
        versions = benefits.show(uow, application)["awards"]
    assert [v["state"] for v in versions] == ["approved", "approved"]
    assert versions[1]["total"] == award["total"] + increase
    assert versions[1]["from_month"] == "2026-01"
    assert "人社部发〔2025〕38号" in versions[1]["explanation"]["steps"][-1]["zh"]
    march = run(uow_at, YearMonth(2026, 3))
    assert march.arrears == 2 * increase
    assert march.total == award["total"] + increase + 2 * increase
    clean(uow_at)


def test_no_account_no_payment_until_one_is_given(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    person = career(uow_at, params, tianhe_months=0, zhengzhou_months=191)
    cmd = benefits.RetirementApplication(person, NEW, operator="张经办")  # no bank account
    application = commit(uow_at, lambda uow: benefits.apply_retirement(uow, cmd, params))
    with uow_at() as uow:
        (award,) = benefits.show(uow, application)["awards"]
    commit(uow_at, lambda uow: benefits.approve_award(uow, award["id"], "李复核"))
    waiting = run(uow_at, YearMonth(2026, 2))
    assert (waiting.paid, waiting.no_account) == (0, [person])
    bad = rejected(engine, uow_at, lambda uow: benefits.set_payee(uow, person, "银行", "12ab"))
    assert bad.code == "payee.account"
    commit(uow_at, lambda uow: benefits.set_payee(uow, person, "中国银行", "6216 6100 0001 2345"))
    paid = run(uow_at, YearMonth(2026, 3))
    assert paid.total == 3 * award["total"]  # January to March
    assert [b.bank for b in paid.banks] == ["中国银行"]


def test_an_adjustment_from_july_pays_arrears_from_july_only(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    _person, _application, award = approved_pensioner(uow_at, params)
    run(uow_at, YearMonth(2026, 8))  # January to August
    plan = AdjustmentPlan(2026, fixed=4_000, per_year=0, percent=Decimal(0), from_month=7)
    commit(uow_at, lambda uow: adjust(uow, NEW, plan, "张经办", "李复核"))
    september = run(uow_at, YearMonth(2026, 9))
    assert september.arrears == 2 * 4_000  # July and August
    assert september.total == award["total"] + 4_000 + 2 * 4_000
    clean(uow_at)


def test_a_run_of_many_months_draws_the_account_down_to_nothing_then_the_pooled_fund_pays(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """The account part of each month comes out of the person's account as far as it still
    holds it; past that the pooled fund pays on (benefits README, Payment). A run that pays many months at once (补发 after a late approval) takes each month
    from what the one before left. Arranged: the account already spent but for two and a half
    months' parts, as after 139 months of payment (an earlier payout posted to the ledger)."""
    person, application, award = approved_pensioner(uow_at, params)
    part = award["account"]
    with uow_at() as uow:
        before = statement(uow, person, dt.date(2026, 11, 2)).total
    left = 2 * part + part // 2

    def spend(uow: UnitOfWork) -> None:
        person_id = uow.conn.scalar(select(persons.c.id).where(persons.c.id_number == person))
        journal_id = ledger.post(
            uow,
            Journal(
                "test", f"test-earlier-payout:{person}", dt.date(2025, 12, 31),
                "earlier payouts (test)",
                (debit(ZZ, Account.ACCOUNT_FUND, before - left), credit(ZZ, Account.BANK, before - left)),
            ),
        )  # fmt: skip
        uow.conn.execute(
            insert(account_entries).values(
                person_id=person_id, scheme="enterprise", region=ZZ, portion="from2006",
                kind="payout", period=202512, effective_on=dt.date(2025, 12, 31),
                amount=-(before - left), journal_id=journal_id, source="test", created_at=uow.clock.now(),
            )
        )  # fmt: skip

    commit(uow_at, spend)
    october = run(uow_at, YearMonth(2026, 10))  # January to October, in one run
    assert (october.paid, october.total) == (1, 10 * award["total"])
    with uow_at() as uow:
        entries = [
            e.amount
            for e in statement(uow, person, dt.date(2026, 11, 2)).entries
            if e.kind == "payout" and e.source.startswith("benefit:")
        ]
        assert statement(uow, person, dt.date(2026, 11, 2)).total == 0
        drawn = uow.conn.execute(
            select(func.sum(postings.c.amount))
            .join(journals, journals.c.id == postings.c.journal_id)
            .where(
                journals.c.kind == "benefit_due",
                journals.c.idempotency_key.like(f"benefit:{application}:%"),
                postings.c.account == Account.ACCOUNT_FUND.value,
            )
        ).scalar()
    assert entries == [-part, -part, -(part // 2)]  # three months, the third in part
    assert drawn == left  # the account fund paid what the account held, no more
    clean(uow_at)


def test_a_run_in_chunks_pays_each_pensioner_once_and_skips_none(
    engine: Engine, uow_at: Uow, params: Parameters, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run reads, computes and writes its pensioners a chunk at a time (``CHUNK``), in
    one transaction: with a chunk of one, three pensioners — one of them with no bank
    account, which must not end the run — come out as with one chunk."""
    monkeypatch.setattr(payments, "CHUNK", 1)
    first, _, award = approved_pensioner(uow_at, params)
    others = [another_pensioner(uow_at, params, bank) for bank in (False, True)]
    (no_account, _), (paying, paying_award) = others
    february = run(uow_at, YearMonth(2026, 2))
    assert (february.paid, february.no_account) == (2, [no_account])
    assert february.total == 2 * award["total"] + 2 * paying_award["total"]  # January, February
    banks = "".join(files(uow_at, february).values())
    assert banks.count(first) == banks.count(paying) == 2
    assert no_account not in banks
    assert run(uow_at, YearMonth(2026, 2)).paid == 0  # a rerun pays nothing twice
    clean(uow_at)


def test_two_runs_of_one_month_at_once_pay_it_once(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """Two operators run the same agency and month at the same time. The second waits for the
    first's commit, then pays nothing twice: on SQLite it waits for the write lock before it
    reads and finds the month paid; on PostgreSQL it has read before the first committed, waits
    on the first's journal keys and is refused as a conflict (``ledger.key_taken``) with
    nothing written, so a rerun then finds the month paid."""
    person, _application, award = approved_pensioner(uow_at, params)
    second: list[PaymentReport | BaseException] = []

    def racer() -> None:
        try:
            second.append(run(uow_at, YearMonth(2026, 1)))
        except BaseException as e:  # reported below, in the test's thread
            second.append(e)

    with uow_at() as uow:
        first = run_payments(uow, NEW, YearMonth(2026, 1))
        thread = threading.Thread(target=racer)
        thread.start()
        thread.join(0.5)
        assert not second, "the second run did not wait for the first"
        uow.commit()
    thread.join(10)
    assert first.total == award["total"]
    (outcome,) = second
    if engine.dialect.name == "postgresql":
        assert isinstance(outcome, Conflict)
        assert outcome.code == "ledger.key_taken"
    else:
        assert isinstance(outcome, PaymentReport)
        assert (outcome.paid, outcome.total) == (0, 0)
    assert run(uow_at, YearMonth(2026, 1)).paid == 0
    (bank_file,) = files(uow_at, first).values()
    assert bank_file.count(person) == 1
    with uow_at() as uow:
        paid = uow.conn.scalar(select(func.count()).select_from(benefit_payments))
    assert paid == 1
    clean(uow_at)
