"""Declarations, payment, arrears, flexible workers, back-payments and refunds, on both engines."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import Engine

from jinbao.accounts.service import statement
from jinbao.benefits.events import record_death
from jinbao.contributions import service as c
from jinbao.contributions.model import Authority, Kind, LegalDocument
from jinbao.contributions.schemas import RecordOut
from jinbao.contributions.service import _lookups
from jinbao.contributions.service._writing import record_row, write_batch
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.policy.contributions import Contribution
from jinbao.policy.interest import Portion
from jinbao.policy.parameters import Parameters
from jinbao.registry import repository as repo
from tests.builders import an_id_number
from tests.integration.helpers import commit, rejected
from tests.integration.money.conftest import Workforce

Uow = Callable[[], UnitOfWork]
MAY = YearMonth(2024, 5)


def rows(w: Workforce, period: YearMonth = MAY, wage: int = 800_000) -> list[c.DeclarationRow]:
    return [
        c.DeclarationRow(i + 2, w.employer, period, n, Fen(wage)) for i, n in enumerate(w.employees)
    ]


@pytest.fixture(params=["by_person", "by_employer"])
def lookup(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a declaration finds its persons: by their ID numbers (a small file), and by
    the contributing staff of the file's employers (a large one: here from two rows on)."""
    if request.param == "by_employer":
        monkeypatch.setattr(_lookups, "IN_LIST_MAX", 1)
    return str(request.param)


def the_api_history_is_the_records(make_uow: Uow, id_number: str, count: int) -> None:
    """The history the API sends, written by the database, is the records as the response model
    shows them: every field, its value and type (booleans, a month as YYYY-MM, dates, nulls),
    and the order (a month's entries by their number)."""
    with make_uow() as uow:
        sent = json.loads(c.history_json(uow, id_number))
        shown = [RecordOut.of(r).model_dump(mode="json") for r in c.history(uow, id_number)]
    assert len(shown) == count
    assert sent == shown
    # Equal as JSON text too: the keys' order, and true/false not 1/0 (equal in Python).
    assert json.dumps(sent, ensure_ascii=False) == json.dumps(shown, ensure_ascii=False)


def no_breaks(make_uow: Uow) -> None:
    with make_uow() as uow:
        assert check(uow) == []


def test_a_declared_and_paid_month_credits_accounts_and_balances_the_ledger(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters, lookup: str
) -> None:
    report = commit(
        make_uow,
        lambda uow: c.declare(
            uow, rows(workforce), batch="b1", params=params, paid_on=dt.date(2024, 6, 10)
        ),
    )
    assert (report.records, report.employer_part, report.individual_part, report.to_account) == (
        4,
        4 * 128_000,
        4 * 64_000,
        4 * 64_000,
    )
    with make_uow() as uow:
        account = statement(uow, workforce.employees[0], dt.date(2024, 12, 31))
        history = c.history(uow, workforce.employees[0])
    assert account.balances == {Portion.FROM_2006: 64_000}
    assert [(r.period, r.paid_on, r.kind) for r in history] == [
        (MAY, dt.date(2024, 6, 10), Kind.EMPLOYEE)
    ]
    no_breaks(make_uow)


def test_a_retried_declaration_is_recorded_once_and_answers_as_the_first(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters
) -> None:
    """The same batch key again (a client's retry after a lost answer) writes nothing and gets
    the first report back, journals and all; a new key is a new declaration."""

    def declare(batch: str) -> c.PostingReport:
        return commit(
            make_uow,
            lambda uow: c.declare(
                uow, rows(workforce), batch=batch, params=params, paid_on=dt.date(2024, 6, 10)
            ),
        )

    first = declare("b1")
    assert first.records == 4
    assert first.paid
    assert len(first.journal_ids) == 2
    assert declare("b1") == first
    with make_uow() as uow:
        assert len(c.history(uow, workforce.employees[0])) == 1
    rejected(
        engine,
        make_uow,
        lambda uow: c.declare(
            uow, rows(workforce), batch="b2", params=params, paid_on=dt.date(2024, 6, 10)
        ),
        InvalidInput,
    )  # a new key: the same months again are refused (one record a month)
    no_breaks(make_uow)


def test_the_base_is_clamped_to_the_band(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters
) -> None:
    wage_2023 = params.average_wage("base_wage", "44", 2023).value
    commit(
        make_uow, lambda uow: c.declare(uow, rows(workforce, wage=100), batch="low", params=params)
    )
    with make_uow() as uow:
        assert c.history(uow, workforce.employees[1])[0].base == wage_2023 * 60 // 100


def test_unpaid_declarations_are_arrears_until_paid(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters
) -> None:
    commit(make_uow, lambda uow: c.declare(uow, rows(workforce), batch="due", params=params))
    with make_uow() as uow:
        assert len(c.employer_arrears(uow, workforce.employer)) == 4
        assert [r.period for r in c.person_arrears(uow, workforce.employees[2])] == [MAY]
        assert statement(uow, workforce.employees[2], dt.date(2026, 1, 1)).total == 0
    the_api_history_is_the_records(make_uow, workforce.employees[2], 1)  # paid_on null
    no_breaks(make_uow)
    paid = commit(make_uow, lambda uow: c.pay(uow, workforce.employer, MAY, dt.date(2024, 7, 1)))
    assert paid.records == 4
    with make_uow() as uow:
        assert c.employer_arrears(uow, workforce.employer) == []
        assert statement(uow, workforce.employees[2], dt.date(2026, 1, 1)).total == 64_000
    rejected(
        engine,
        make_uow,
        lambda uow: c.pay(uow, workforce.employer, MAY, dt.date(2024, 7, 2)),
        Conflict,
    )
    no_breaks(make_uow)


def test_a_bad_declaration_reports_every_row_and_records_nothing(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters, lookup: str
) -> None:
    commit(make_uow, lambda uow: c.declare(uow, rows(workforce)[:1], batch="first", params=params))
    bad = [
        c.DeclarationRow(
            2, workforce.employer, MAY, workforce.employees[0], Fen(500_000)
        ),  # already declared
        c.DeclarationRow(3, workforce.employer, MAY, workforce.employees[1], Fen(500_000)),  # fine
        c.DeclarationRow(
            4, workforce.employer, MAY, workforce.employees[1], Fen(500_000)
        ),  # twice in the file
        c.DeclarationRow(
            5, workforce.employer, MAY, workforce.flexible, Fen(500_000)
        ),  # not an employee here
        c.DeclarationRow(
            6, workforce.employer, YearMonth(2027, 1), workforce.employees[2], Fen(500_000)
        ),  # future
        c.DeclarationRow(
            7, "91440106000000000X", MAY, workforce.employees[3], Fen(500_000)
        ),  # unknown employer
        c.DeclarationRow(8, workforce.employer, MAY, workforce.employees[3], Fen(0)),  # no wage
        c.DeclarationRow(9, workforce.employer, MAY, an_id_number(), Fen(500_000)),  # unknown
    ]
    error = rejected(
        engine, make_uow, lambda uow: c.declare(uow, bad, batch="bad", params=params), InvalidInput
    )
    assert [(i.row, i.code) for i in error.issues] == [
        (2, "contribution.duplicate_month"), (4, "declaration.duplicate_row"), (5, "declaration.not_enrolled"),
        (6, "declaration.period"), (7, "employer.unknown"), (8, "declaration.wage"),
        (9, "person.not_found"),
    ]  # fmt: skip


def test_no_month_after_a_recorded_death_is_paid(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters, lookup: str
) -> None:
    """死亡后继续缴费: once a death is recorded (here by a feed, before the survivors claim and
    the relation ends), no month after the month of death is declared, paid as a flexible
    worker or back-paid; the month of death is. A file with such a row records nothing."""
    dead, flexible, back = workforce.employees[0], workforce.flexible, workforce.employees[1]
    for number, on in ((dead, dt.date(2024, 5, 10)), (flexible, dt.date(2024, 5, 31)),
                       (back, dt.date(2023, 12, 5))):  # fmt: skip
        commit(
            make_uow, lambda uow, n=number, d=on: record_death(uow, n, d, "公安死亡数据", params)
        )
    alive_in_may = [r for r in rows(workforce) if r.id_number != back]
    commit(make_uow, lambda uow: c.declare(uow, alive_in_may, batch="may", params=params))
    june = YearMonth(2024, 6)
    error = rejected(
        engine, make_uow,
        lambda uow: c.declare(uow, rows(workforce, june), batch="june", params=params),
        InvalidInput,
    )  # fmt: skip
    assert [(i.row, i.code, i.field) for i in error.issues] == [
        (2, "contribution.after_death", "period"), (3, "contribution.after_death", "period"),
    ]  # fmt: skip
    assert "2024-05-10" in error.issues[0].zh
    assert "公安死亡数据" in error.issues[0].en
    with make_uow() as uow:
        assert c.history(uow, workforce.employees[2])[-1].period == MAY  # nothing of June
    wage = params.average_wage("base_wage", "44", 2023).value
    paid_may = commit(
        make_uow,
        lambda uow: c.flexible(uow, flexible, MAY, Fen(wage), dt.date(2024, 5, 20), params),
    )
    assert paid_may.records == 1
    after = rejected(
        engine, make_uow,
        lambda uow: c.flexible(uow, flexible, june, Fen(wage), dt.date(2024, 6, 20), params),
    )  # fmt: skip
    assert (after.code, after.field) == ("contribution.after_death", "period")
    late = c.BackPayment(back, YearMonth(2023, 6), YearMonth(2024, 1), Fen(500_000),
                         dt.date(2024, 3, 1), workforce.employer)  # fmt: skip
    after = rejected(engine, make_uow, lambda uow: c.back_pay(uow, late, params))
    assert (after.code, after.field) == ("contribution.after_death", "end")
    in_time = commit(
        make_uow,
        lambda uow: c.back_pay(uow, replace(late, end=YearMonth(2023, 12)), params),
    )
    assert in_time.records == 7
    no_breaks(make_uow)


def test_a_refund_reverses_money_and_account_and_frees_the_month(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters
) -> None:
    commit(
        make_uow,
        lambda uow: c.declare(
            uow, rows(workforce), batch="b", params=params, paid_on=dt.date(2024, 6, 1)
        ),
    )
    with make_uow() as uow:
        record = c.history(uow, workforce.employees[0])[0]
    commit(make_uow, lambda uow: c.refund(uow, record.id, dt.date(2024, 8, 1), "重复缴费"))
    rejected(
        engine,
        make_uow,
        lambda uow: c.refund(uow, record.id, dt.date(2024, 8, 2), "again"),
        Conflict,
    )
    with make_uow() as uow:
        assert statement(uow, workforce.employees[0], dt.date(2025, 1, 1)).total == 0
        kinds = [(r.kind, r.reversed) for r in c.history(uow, workforce.employees[0])]
    assert kinds == [(Kind.EMPLOYEE, True), (Kind.REVERSAL, False)]
    commit(
        make_uow,
        lambda uow: c.declare(
            uow, rows(workforce)[:1], batch="again", params=params, paid_on=dt.date(2024, 9, 1)
        ),
    )
    commit(  # an earlier month, written last: shown first
        make_uow,
        lambda uow: c.declare(
            uow, rows(workforce, YearMonth(2024, 4))[:1], batch="april", params=params
        ),
    )
    # April; then May's first record (reversed), its reversal, and the one declared again.
    the_api_history_is_the_records(make_uow, workforce.employees[0], 4)
    with make_uow() as uow:  # May's entries 0 (reversed), 1 and 2: one record in force
        assert c.overlaps(uow) == []
    no_breaks(make_uow)


def test_a_flexible_worker_pays_both_parts_within_the_band(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters
) -> None:
    wage = params.average_wage("base_wage", "44", 2023).value
    report = commit(
        make_uow,
        lambda uow: c.flexible(
            uow, workforce.flexible, MAY, Fen(wage), dt.date(2024, 5, 20), params
        ),
    )
    assert (report.employer_part, report.individual_part, report.to_account) == (
        0,
        wage // 5,
        wage * 8 // 100,
    )
    error = rejected(
        engine,
        make_uow,
        lambda uow: c.flexible(
            uow, workforce.flexible, YearMonth(2024, 6), Fen(wage * 4), dt.date(2024, 6, 20), params
        ),
        InvalidInput,
    )
    assert error.code == "contribution.flexible_base"
    assert (
        rejected(
            engine,
            make_uow,
            lambda uow: c.flexible(
                uow, workforce.employees[0], MAY, Fen(wage), dt.date(2024, 5, 20), params
            ),
        ).code
        == "contribution.not_flexible"
    )
    the_api_history_is_the_records(make_uow, workforce.flexible, 1)  # no employer
    no_breaks(make_uow)


def test_a_lump_sum_back_payment_needs_a_legal_document_from_before(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters
) -> None:
    who = workforce.employees[3]
    three_years = c.BackPayment(
        who,
        YearMonth(2016, 1),
        YearMonth(2018, 12),
        Fen(500_000),
        dt.date(2024, 3, 1),
        workforce.employer,
    )
    assert (
        rejected(engine, make_uow, lambda uow: c.back_pay(uow, three_years, params)).code
        == "contribution.lump_sum_document"
    )
    late = LegalDocument(Authority.COURT, "（2024）粤0106民初123号", dt.date(2024, 3, 2))
    from dataclasses import replace

    assert (
        rejected(
            engine,
            make_uow,
            lambda uow: c.back_pay(uow, replace(three_years, document=late), params),
        ).code
        == "contribution.lump_sum_document_date"
    )
    ruling = replace(late, issued_on=dt.date(2023, 12, 1))
    report = commit(
        make_uow, lambda uow: c.back_pay(uow, replace(three_years, document=ruling), params)
    )
    assert report.records == 36
    with make_uow() as uow:
        history = c.history(uow, who)
        balances = statement(uow, who, dt.date(2024, 12, 31)).balances
    assert all(r.lump_sum and r.kind is Kind.BACK_PAYMENT for r in history)
    assert history[0].employer_part == 500_000 * 20 // 100  # 2016: employer 20% (before 2019-05)
    assert balances == {Portion.FROM_2006: 36 * 40_000}
    short = c.BackPayment(
        who,
        YearMonth(2019, 1),
        YearMonth(2019, 6),
        Fen(500_000),
        dt.date(2024, 3, 1),
        workforce.employer,
    )
    assert commit(make_uow, lambda uow: c.back_pay(uow, short, params)).records == 6
    overlap = c.BackPayment(
        who,
        YearMonth(2019, 6),
        YearMonth(2019, 7),
        Fen(500_000),
        dt.date(2024, 3, 1),
        workforce.employer,
    )
    assert (
        rejected(engine, make_uow, lambda uow: c.back_pay(uow, overlap, params), Conflict).code
        == "contribution.duplicate_month"
    )
    the_api_history_is_the_records(make_uow, who, 42)  # lump sums
    no_breaks(make_uow)


def test_one_record_per_person_and_month_even_under_a_race(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters
) -> None:
    """The unique (person, scheme, month, entry) index refuses a second first entry."""
    from sqlalchemy import insert, select
    from sqlalchemy.exc import IntegrityError

    from jinbao.contributions.tables import contributions

    commit(make_uow, lambda uow: c.declare(uow, rows(workforce)[:1], batch="one", params=params))
    with engine.connect() as conn:
        row = dict(conn.execute(select(contributions)).one()._mapping)
    row.pop("id")
    row["batch"] = "racer"
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(contributions).values(**row))


def test_every_money_operation_leaves_one_audit_row_with_who_and_why(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters
) -> None:
    from sqlalchemy import select

    from jinbao.audit.tables import audit_log

    commit(make_uow, lambda uow: c.declare(uow, rows(workforce), batch="audited", params=params))
    commit(make_uow, lambda uow: c.pay(uow, workforce.employer, MAY, dt.date(2024, 6, 3)))
    with make_uow() as uow:
        record = c.history(uow, workforce.employees[1])[0]
    commit(make_uow, lambda uow: c.refund(uow, record.id, dt.date(2024, 6, 9), "基数申报错误"))
    with engine.connect() as conn:
        rows_ = conn.execute(
            select(audit_log.c.action, audit_log.c.actor, audit_log.c.new)
            .where(audit_log.c.action.like("contribution.%"))
            .order_by(audit_log.c.id)
        ).all()
    assert [r.action for r in rows_] == [
        "contribution.declare",
        "contribution.pay",
        "contribution.refund",
    ]
    assert {r.actor for r in rows_} == {"test"}
    assert rows_[0].new["records"] == 4
    assert rows_[2].new["reason"] == "基数申报错误"


def test_months_recorded_at_two_agencies_are_found_for_everyone_or_for_one_person(
    make_uow: Uow, workforce: Workforce, params: Parameters
) -> None:
    """重复缴费 in existing data (records written by a bulk writer, as a migration or the
    synthetic nation write them, not declared: a declaration refuses a month recorded anywhere).
    A retirement application asks for one person's, not the nation's."""
    first, second, third = workforce.employees[:3]
    part = Contribution(Fen(500_000), Fen(80_000), Fen(40_000), Fen(40_000), Fen(80_000))

    def twice(uow: UnitOfWork) -> None:
        rows = []
        for number, months in ((first, (MAY, MAY.plus(1))), (second, (MAY,))):
            person_id = repo.person_id(uow, number)
            assert person_id is not None
            for entry, agency in enumerate(("44010600", "44010000")):
                agency_id = repo.agency_id(uow, agency)
                for month in months:
                    rows.append(record_row(
                        person_id, agency_id, None, "440000", month.year * 100 + month.month,
                        entry, Kind.EMPLOYEE, part, "legacy:1", uow.clock.now(),
                    ))  # fmt: skip
        # The third in two schemes in June, each the month's first entry; one scheme in July.
        person_id = repo.person_id(uow, third)
        agency_id = repo.agency_id(uow, "44010600")
        assert person_id is not None
        assert agency_id is not None
        for scheme, month in (("enterprise", 202406), ("public", 202406), ("public", 202407)):
            rows.append(record_row(
                person_id, agency_id, None, "440000", month, 0, Kind.EMPLOYEE, part,
                "legacy:1", uow.clock.now(),
            ) | {"scheme": scheme})  # fmt: skip
        write_batch(uow, "contribution.migrate", "legacy:1", rows, dt.date(2024, 7, 15),
                    uow.clock.today())  # fmt: skip

    commit(make_uow, twice)
    with make_uow() as uow:
        everyone = c.overlaps(uow)
        first_id = repo.person_id(uow, first)
        assert first_id is not None
        mine = c.overlaps(uow, first_id)
    assert sorted((o.id_number, str(o.period)) for o in everyone) == sorted(
        [(first, "2024-05"), (first, "2024-06"), (second, "2024-05"), (third, "2024-06")]
    )
    assert [o.schemes for o in everyone if o.id_number == third] == [("enterprise", "public")]
    assert sorted(str(o.period) for o in mine) == ["2024-05", "2024-06"]
    assert {o.id_number for o in mine} == {first}
    assert all(o.agencies == ("44010000", "44010600") for o in mine)
    no_breaks(make_uow)
