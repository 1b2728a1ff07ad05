"""The fund ledger and the interest job, on both engines; a property test over random operations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, update

from jinbao.accounts.interest import run_interest
from jinbao.accounts.service import statement
from jinbao.accounts.tables import account_entries, interest_credits
from jinbao.contributions import service as c
from jinbao.contributions.service.resident import ResidentPayment, pay_resident_year
from jinbao.contributions.tables import contribution_payments, contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.check import check
from jinbao.ledger.model import Account, Journal, credit, debit
from jinbao.ledger.tables import journals
from jinbao.policy.interest import Method, year_interest
from jinbao.policy.parameters import Parameters, load_parameters
from jinbao.registry import service as registry
from jinbao.registry.model import Scheme
from tests.builders import an_id_number
from tests.integration.helpers import commit, listening, rejected
from tests.integration.money.conftest import Workforce

Uow = Callable[[], UnitOfWork]
GD = "440000"


def a_journal(key: str, amount: int, *, credited: int | None = None) -> Journal:
    """A test journal in Guangdong: the bank debited, the pooled fund credited (by ``credited``
    instead, to unbalance it)."""
    return Journal(
        "test",
        key,
        dt.date(2024, 1, 1),
        "x",
        (
            debit(GD, Account.BANK, amount),
            credit(GD, Account.POOLED_FUND, amount if credited is None else credited),
        ),
    )


def test_an_unbalanced_journal_is_refused(engine: Engine, make_uow: Uow) -> None:
    bad = a_journal("k1", 100, credited=99)
    assert (
        rejected(engine, make_uow, lambda uow: ledger.post(uow, bad), InvalidInput).code
        == "ledger.unbalanced"
    )


def test_a_retried_posting_is_harmless_and_a_reused_key_is_a_conflict(
    engine: Engine, make_uow: Uow
) -> None:
    j = a_journal("same-key", 100)
    first = commit(make_uow, lambda uow: ledger.post(uow, j))
    assert commit(make_uow, lambda uow: ledger.post(uow, j)) == first
    other = a_journal("same-key", 5)
    assert (
        rejected(engine, make_uow, lambda uow: ledger.post(uow, other), Conflict).code
        == "ledger.key_reused"
    )
    reversed_id = commit(
        make_uow, lambda uow: ledger.reverse(uow, first, dt.date(2024, 2, 1), "更正")
    )
    assert (
        commit(make_uow, lambda uow: ledger.reverse(uow, first, dt.date(2024, 2, 1), "更正"))
        == reversed_id
    )
    with make_uow() as uow:
        assert all(line.balance == 0 for line in ledger.trial_balance(uow))


def test_a_journal_of_a_few_lines_is_one_statement_on_postgresql(
    engine: Engine, make_uow: Uow
) -> None:
    """A transfer's or a declaration's journal (a few lines) is written with its lines in one
    statement on PostgreSQL, a round trip fewer (session 33); SQLite, in process, is sent two.
    Each line arrives as given, and a retry and a reused key are told apart as before."""
    lines = (
        debit(GD, Account.BANK, 300), credit(GD, Account.POOLED_FUND, 300),
        debit("410000", Account.BANK, 120), credit("410000", Account.POOLED_FUND, 120),
    )  # fmt: skip
    j = Journal("test", "few-lines", dt.date(2024, 1, 1), "x", lines)
    sent: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if sql.lstrip().upper().startswith(("INSERT", "WITH")):  # not SQLite's BEGIN
            sent.append(sql)

    with listening(engine, "before_cursor_execute", seen):
        first = commit(make_uow, lambda uow: ledger.post(uow, j))
    assert len(sent) == (1 if engine.dialect.name == "postgresql" else 2)
    with make_uow() as uow:
        assert sorted(ledger.load(uow, first).postings, key=str) == sorted(lines, key=str)
    assert commit(make_uow, lambda uow: ledger.post(uow, j)) == first
    changed = dataclasses.replace(j, postings=lines[2:])
    assert (
        rejected(engine, make_uow, lambda uow: ledger.post(uow, changed), Conflict).code
        == "ledger.key_reused"
    )
    with make_uow() as uow:
        assert uow.conn.scalar(select(func.count()).select_from(journals)) == 1
        assert check(uow) == []


def test_a_journal_of_many_lines_is_written_whole_and_retried_harmlessly(
    engine: Engine, make_uow: Uow
) -> None:
    """From ``ledger.BULK_POSTINGS`` lines (a declaration over the regions of many persons) a
    journal's lines are written by the bulk path: every line arrives as given, and a retry
    still compares them."""
    lines = tuple(
        leg
        for n in range(1, ledger.BULK_POSTINGS)
        for leg in (debit(f"44{n:02d}00", Account.BANK, n * 100),
                    credit(f"44{n:02d}00", Account.POOLED_FUND, n * 100))
    )  # fmt: skip
    assert len(lines) >= ledger.BULK_POSTINGS
    j = Journal("test", "many-lines", dt.date(2024, 1, 1), "x", lines)
    first = commit(make_uow, lambda uow: ledger.post(uow, j))
    with make_uow() as uow:
        assert sorted(ledger.load(uow, first).postings, key=str) == sorted(lines, key=str)
    reordered = dataclasses.replace(j, postings=lines[::-1])
    assert commit(make_uow, lambda uow: ledger.post(uow, reordered)) == first
    changed = dataclasses.replace(j, postings=(*lines[:-2], debit("440100", Account.BANK, 1),
                                               credit("440100", Account.POOLED_FUND, 1)))  # fmt: skip
    assert (
        rejected(engine, make_uow, lambda uow: ledger.post(uow, changed), Conflict).code
        == "ledger.key_reused"
    )


def test_many_journals_are_written_at_once_in_order_and_a_taken_key_writes_none(
    engine: Engine, make_uow: Uow
) -> None:
    """``post_many`` (a payment run's journals): the ids come back in the order given, each
    journal with its own lines; a batch holding a key already taken is a conflict and leaves
    nothing behind, not even the journals under new keys before it."""
    many = [a_journal(f"many-{n}", 100 * n) for n in range(1, 60)]
    ids = commit(make_uow, lambda uow: ledger.post_many(uow, many))
    assert len(ids) == len(set(ids)) == len(many)
    with make_uow() as uow:
        for journal_id, j in zip(ids, many, strict=True):
            loaded = ledger.load(uow, journal_id)
            assert (loaded.key, sorted(loaded.postings, key=str)) == (
                j.key, sorted(j.postings, key=str),
            )  # fmt: skip
        before = uow.conn.scalar(select(func.count()).select_from(journals))
    again = [a_journal("many-new", 7), many[30]]
    refused = rejected(engine, make_uow, lambda uow: ledger.post_many(uow, again), Conflict)
    assert refused.code == "ledger.key_taken"
    with make_uow() as uow:
        assert uow.conn.scalar(select(func.count()).select_from(journals)) == before
        assert check(uow) == []
    unbalanced = [a_journal("many-bad", 100, credited=99)]
    assert (
        rejected(engine, make_uow, lambda uow: ledger.post_many(uow, unbalanced), InvalidInput).code
        == "ledger.unbalanced"
    )


def test_two_posts_racing_under_one_key_both_return_the_first_journal(make_uow: Uow) -> None:
    """The second writer waits for the first one's commit and then finds its journal: a retry
    that overlaps the original (a client timing out and trying again) is not an error."""
    j = a_journal("raced-key", 100)
    second: list[int | BaseException] = []

    def retry() -> None:
        try:
            second.append(commit(make_uow, lambda uow: ledger.post(uow, j)))
        except BaseException as e:  # reported below, in the test's thread
            second.append(e)

    with make_uow() as uow:
        first = ledger.post(uow, j)
        racer = threading.Thread(target=retry)
        racer.start()
        racer.join(0.5)  # the retry is now waiting on the first writer's key (or its lock)
        assert not second, "the retry did not wait for the first writer"
        uow.commit()
    racer.join(10)
    assert second == [first]
    with make_uow() as uow:
        assert (
            uow.conn.scalar(
                select(func.count())
                .select_from(journals)
                .where(journals.c.idempotency_key == j.key)
            )
            == 1
        )


def test_a_pending_transfer_posts_or_voids_exactly_once(engine: Engine, make_uow: Uow) -> None:
    """Each side posts its own half: the receiver takes the money into its funds (received), the
    sender posts it out of transit (posted); a received transfer can no longer be voided."""
    fund = Journal(
        "seed",
        "seed",
        dt.date(2024, 1, 1),
        "x",
        (debit(GD, Account.BANK, 10_000), credit(GD, Account.POOLED_FUND, 10_000)),
    )
    commit(make_uow, lambda uow: ledger.post(uow, fund))
    commit(
        make_uow, lambda uow: ledger.reserve(uow, "T1", GD, "410000", 6_000, 0, dt.date(2024, 3, 1))
    )
    with make_uow() as uow:
        assert check(uow) == []
    commit(
        make_uow,
        lambda uow: ledger.receive_transfer(uow, "T1", "410000", 6_000, 0, dt.date(2024, 3, 4)),
    )
    with make_uow() as uow:
        assert check(uow) == []  # still in the sender's transit until it posts its half
    late_void = rejected(
        engine, make_uow, lambda uow: ledger.void_transfer(uow, "T1", dt.date(2024, 3, 5)), Conflict
    )
    assert late_void.code == "ledger.transfer_settled"
    commit(make_uow, lambda uow: ledger.post_transfer(uow, "T1", dt.date(2024, 3, 5)))
    assert (
        commit(make_uow, lambda uow: ledger.post_transfer(uow, "T1", dt.date(2024, 3, 6))).state
        == "posted"
    )
    assert (
        rejected(
            engine,
            make_uow,
            lambda uow: ledger.void_transfer(uow, "T1", dt.date(2024, 3, 7)),
            Conflict,
        ).code
        == "ledger.transfer_settled"
    )
    commit(
        make_uow, lambda uow: ledger.reserve(uow, "T2", GD, "410000", 1_000, 0, dt.date(2024, 3, 1))
    )
    commit(make_uow, lambda uow: ledger.void_transfer(uow, "T2", dt.date(2024, 3, 9)))
    with make_uow() as uow:
        balances = {(b.region, b.account): b.balance for b in ledger.trial_balance(uow)}
        assert check(uow) == []
    assert balances[(GD, "pooled_fund")] == -4_000
    assert balances[("410000", "pooled_fund")] == -6_000
    assert balances[(GD, "bank")] == 10_000 - 6_000
    assert balances[("410000", "bank")] == 6_000
    assert balances[(GD, "transfers_in_transit")] == 0


def test_a_transaction_reads_a_pending_transfer_once_and_sees_what_it_settled(
    engine: Engine, make_uow: Uow
) -> None:
    """A transfer's funds leg reads its pending transfer to check the slip, then to settle it;
    in a pump's chain the same transaction reserved it: one read, or none (session 32). The
    transaction sees each state it settled; the next transaction reads the database again."""
    commit(make_uow, lambda uow: ledger.post(uow, a_journal("fund", 10_000)))
    reads: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if sql.startswith("SELECT pending_transfers."):
            reads.append(sql)

    with listening(engine, "before_cursor_execute", seen):
        with make_uow() as uow:
            ledger.reserve(uow, "T9", GD, "410000", 6_000, 0, dt.date(2024, 3, 1))
            assert len(reads) == 1  # the reserve's own look-up: is it reserved already?
            looked = len(reads)
            assert ledger.pending_transfer(uow, "T9").state == "pending"  # type: ignore[union-attr]
            ledger.receive_transfer(uow, "T9", "410000", 6_000, 0, dt.date(2024, 3, 4))
            assert ledger.pending_transfer(uow, "T9").state == "received"  # type: ignore[union-attr]
            ledger.post_transfer(uow, "T9", dt.date(2024, 3, 5))
            assert ledger.pending_transfer(uow, "T9").state == "posted"  # type: ignore[union-attr]
            assert len(reads) == looked  # nothing read again in the transaction
            uow.commit()
        with make_uow() as uow:
            assert ledger.pending_transfer(uow, "T9").state == "posted"  # type: ignore[union-attr]
            assert ledger.pending_transfer(uow, "T8") is None
            assert ledger.pending_transfer(uow, "T8") is None
            assert len(reads) == looked + 2  # a new transaction reads; a miss is noted too
            assert check(uow) == []


def declare_year(make_uow: Uow, w: Workforce, params: Parameters, year: int) -> None:
    for month in range(1, 13):
        period = YearMonth(year, month)
        lines = [
            c.DeclarationRow(i, w.employer, period, n, Fen(600_000))
            for i, n in enumerate(w.employees)
        ]
        commit(
            make_uow,
            lambda uow, ls=lines, p=period: c.declare(
                uow, ls, batch=f"{p}", params=params, paid_on=dt.date(year, p.month, 15)
            ),
        )


def test_the_interest_job_credits_each_account_once_and_a_rerun_is_a_no_op(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters, clock: FixedClock
) -> None:
    declare_year(make_uow, workforce, params, 2023)
    declare_year(make_uow, workforce, params, 2024)
    first = run_interest(engine, clock, 2023, params, chunk_size=3)
    assert (first.accounts, first.already) == (4, 0)
    expected = year_interest(0, [48_000] * 12, Decimal("0.0397"), Method.ANNUAL)
    assert first.interest == 4 * expected
    again = run_interest(engine, clock, 2023, params)
    assert (again.accounts, again.interest, again.already) == (0, 0, 4)
    second = run_interest(engine, clock, 2024, params)
    opening = 12 * 48_000 + expected
    assert second.interest == 4 * year_interest(
        opening, [48_000] * 12, Decimal("0.0262"), Method.ANNUAL
    )
    with make_uow() as uow:
        assert (
            statement(uow, workforce.employees[0], dt.date(2024, 12, 31)).total
            == opening + 12 * 48_000 + second.interest // 4
        )
        assert check(uow) == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(interest_credits)).scalar_one() == 8


def resident_credits(engine: Engine) -> dict[int, int]:
    """The residents' scheme's interest markers: person id → interest (fen)."""
    with engine.connect() as conn:
        return dict(
            conn.execute(  # type: ignore[arg-type]
                select(interest_credits.c.person_id, interest_credits.c.interest).where(
                    interest_credits.c.scheme == "resident"
                )
            ).all()
        )


def test_a_residents_account_is_credited_at_its_provinces_rate_once_that_is_loaded(
    engine: Engine,
    make_uow: Uow,
    workforce: Workforce,
    params: Parameters,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    """The national rate is the employees' (人社部发〔2017〕31号); a residents' account is
    credited at the rate its province set for the year (国发〔2014〕8号: 按国家规定计息; POLICY
    Part II §2.3). Guangdong's 2023 rate is not shipped: the run leaves its residents' accounts
    and counts them; with the rate loaded from an operator's folder, the year run again
    credits them, and only them. One of the two residents is also an employee, whose own
    account the first run credited alone in its chunk: the second run's chunk spans the same
    person and as many accounts."""
    resident = an_id_number(born="1980-03-01", sex="F", county="440106")
    both = workforce.employees[0]  # also paying at home: 重复参保, linked at retirement

    def insured(uow: UnitOfWork) -> None:
        registry.add_person(uow, registry.NewPerson(resident, "某居民", "440106"))
        for number, tier in ((resident, 500), (both, 300)):
            registry.add_relationship(
                uow,
                registry.NewRelationship(number, Scheme.RESIDENT, "44010600", dt.date(2020, 1, 1)),
            )
            pay_resident_year(uow, ResidentPayment(number, 2023, tier, dt.date(2023, 3, 1)), params)

    commit(make_uow, insured)
    declare_year(make_uow, workforce, params, 2023)
    first = run_interest(engine, clock, 2023, params, chunk_size=1)
    assert first.accounts == 4  # the four employees'; the flexible worker paid nothing
    assert (first.resident_rates, first.resident_uncredited) == ({}, {"44": 2})
    assert resident_credits(engine) == {}
    with make_uow() as uow:
        # the 500-yuan tier and its 60-yuan subsidy, no interest
        assert statement(uow, resident, dt.date(2024, 12, 31), "resident").total == 56_000
    assert "no 2023 rate loaded for their province (accounts): 44 (2)" in first.residents_said()[0]

    (tmp_path / "interest_rates.toml").write_text(
        '[resident_rate.44.2023]\nrate = "0.0175"\nstatus = "sample"\nsource = "a test"\n'
    )
    loaded = load_parameters(tmp_path)
    second = run_interest(engine, clock, 2023, loaded, chunk_size=1)
    assert (second.accounts, second.already) == (2, 4)
    assert (second.resident_rates, second.resident_uncredited) == ({"44": Decimal("0.0175")}, {})
    # 年度计算法 on the year's payment (the province's method): rate × 1.083 × ½
    owed = {
        number: year_interest(0, [paid] + [0] * 11, Decimal("0.0175"), Method.ANNUAL)
        for number, paid in ((resident, 56_000), (both, 30_000 + 3_000))
    }
    assert owed[resident] == 531  # 56 000 × 0.0175 × 1.083 ÷ 2 = 530.7
    with make_uow() as uow:
        ids = {n: registry.person_row_id(uow, n) for n in owed}
        for number, interest in owed.items():
            account = statement(uow, number, dt.date(2024, 12, 31), "resident")
            assert account.total == (56_000 if number == resident else 33_000) + interest
        assert check(uow) == []
    assert resident_credits(engine) == {ids[n]: owed[n] for n in owed}
    assert second.interest == sum(owed.values())
    assert "44 1.75%" in second.residents_said()[0]
    again = run_interest(engine, clock, 2023, loaded)
    assert (again.accounts, again.already, again.interest) == (0, 6, 0)


def test_every_payment_names_its_records_person_and_the_check_names_one_that_does_not(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters
) -> None:
    declare_year(make_uow, workforce, params, 2023)
    paid = contribution_payments.join(
        contributions, contributions.c.id == contribution_payments.c.contribution_id
    )
    with engine.begin() as conn:
        pairs = conn.execute(
            select(contribution_payments.c.person_id, contributions.c.person_id).select_from(paid)
        ).all()
        assert len(pairs) == 48
        assert all(mine == theirs for mine, theirs in pairs)
        # A payment filed under someone else (a faulty import, a hand edit) is found.
        first, other = sorted({theirs for _, theirs in pairs})[:2]
        one = conn.execute(
            select(func.min(contribution_payments.c.contribution_id)).where(
                contribution_payments.c.person_id == first
            )
        ).scalar_one()
        conn.execute(
            update(contribution_payments)
            .where(contribution_payments.c.contribution_id == one)
            .values(person_id=other)
        )
    with make_uow() as uow:
        assert [b.code for b in check(uow)] == ["contributions.payment_person_mismatch"]
        assert "1 payments name another person" in check(uow)[0].en


TAMPERING = {
    # A payment lost: its record reads as unpaid, and no longer as collected or credited.
    "payment_lost": (
        "DELETE FROM contribution_payments WHERE contribution_id = "
        "(SELECT min(contribution_id) FROM contribution_payments)",
        ["accounts.contribution_mismatch", "contributions.bank_mismatch",
         "contributions.receivables_mismatch"],
    ),
    # An unpaid record's amount changed after its 核定 journal was posted.
    "unpaid_record_changed": (
        "UPDATE contributions SET employer_part = employer_part + 100 WHERE batch = 'unpaid'",
        ["contributions.receivables_mismatch"],
    ),
    # A paid record's account share changed after it was credited.
    "paid_share_changed": (
        "UPDATE contributions SET to_account = to_account + 1 WHERE id = "
        "(SELECT min(contribution_id) FROM contribution_payments)",
        ["accounts.contribution_mismatch"],
    ),
    # A personal-account entry changed behind the fund ledger's back.
    "entry_changed": (
        "UPDATE account_entries SET amount = amount + 1 WHERE id = "
        "(SELECT min(id) FROM account_entries)",
        ["accounts.contribution_mismatch", "accounts.fund_mismatch"],
    ),
    # A posting lost: its journal no longer balances, and the bank no longer matches.
    "posting_lost": (
        "DELETE FROM postings WHERE id = (SELECT min(p.id) FROM postings p JOIN journals j "
        "ON j.id = p.journal_id WHERE j.kind = 'contribution_paid' AND p.account = 'bank')",
        ["contributions.bank_mismatch", "journal.unbalanced"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_the_check_names_each_invariant_a_change_behind_the_ledgers_back_breaks(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters, tampering: str
) -> None:
    declare_year(make_uow, workforce, params, 2023)
    period = YearMonth(2024, 1)
    commit(
        make_uow,
        lambda uow: c.declare(
            uow,
            [c.DeclarationRow(1, workforce.employer, period, workforce.employees[0], Fen(600_000))],
            batch="unpaid",
            params=params,
        ),
    )
    records = commit(make_uow, lambda uow: c.history(uow, workforce.employees[1]))
    commit(make_uow, lambda uow: c.refund(uow, records[0].id, dt.date(2024, 2, 1), "更正"))
    with make_uow() as uow:
        assert check(uow) == []
    statement, codes = TAMPERING[tampering]
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)
    with make_uow() as uow:
        assert sorted({b.code for b in check(uow)}) == codes


def test_a_year_without_a_published_rate_writes_nothing(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters, clock: FixedClock
) -> None:
    with pytest.raises(InvalidInput) as caught:
        run_interest(engine, clock, 2025, params)
    assert caught.value.code == "parameter.missing"


operations = st.lists(
    st.tuples(st.sampled_from(["declare", "declare_paid", "pay", "refund", "backpay"]), st.integers(0, 3), st.integers(1, 12), st.integers(300_000, 3_000_000)),
    min_size=1, max_size=12,
)  # fmt: skip


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_random_operations_never_break_an_invariant_or_lose_a_fen(
    engine: Engine,
    make_uow: Uow,
    workforce: Workforce,
    params: Parameters,
    clock: FixedClock,
    ops: list[tuple[str, int, int, int]],
) -> None:
    for n, (op, who, month, wage) in enumerate(ops):
        number = workforce.employees[who]
        period = YearMonth(2022, month)
        try:
            with make_uow() as uow:
                if op in ("declare", "declare_paid"):
                    paid = dt.date(2022, month, 28) if op == "declare_paid" else None
                    c.declare(
                        uow,
                        [c.DeclarationRow(1, workforce.employer, period, number, Fen(wage))],
                        batch=f"p{n}-{id(ops)}",
                        params=params,
                        paid_on=paid,
                    )
                elif op == "pay":
                    c.pay(uow, workforce.employer, period, dt.date(2023, 1, 5))
                elif op == "refund":
                    records = [
                        r
                        for r in c.history(uow, number)
                        if not r.reversed and r.kind.value != "reversal"
                    ]
                    if not records:
                        continue
                    c.refund(uow, records[-1].id, dt.date(2023, 2, 1), "更正")
                else:
                    c.back_pay(
                        uow,
                        c.BackPayment(
                            number,
                            YearMonth(2021, month),
                            YearMonth(2021, month),
                            Fen(wage),
                            dt.date(2022, 12, 1),
                            workforce.employer,
                        ),
                        params,
                    )
                uow.commit()
        except (InvalidInput, Conflict):
            pass  # refused operations write nothing; the invariants below must still hold
    run_interest(engine, clock, 2022, params)
    with make_uow() as uow:
        assert check(uow) == []
        assert sum(line.balance for line in ledger.trial_balance(uow)) == 0


def test_a_province_on_the_monthly_method_is_credited_by_month(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters, clock: FixedClock
) -> None:
    from jinbao.policy.parameters import Parameters as Tables
    from jinbao.policy.parameters import read_tables

    tables = read_tables()
    tables["interest_rates"]["crediting_method"]["province"] = {"44": "monthly"}
    monthly = Tables(tables)
    for month in (3, 9):  # two credits: March and September
        lines = [
            c.DeclarationRow(
                1, workforce.employer, YearMonth(2024, month), workforce.employees[0], Fen(600_000)
            )
        ]
        commit(
            make_uow,
            lambda uow, ls=lines, m=month: c.declare(
                uow, ls, batch=f"mm{m}", params=params, paid_on=dt.date(2024, m, 10)
            ),
        )
    report = run_interest(engine, clock, 2024, monthly)
    credits = [0] * 12
    credits[2] = credits[8] = 48_000
    assert report.interest == year_interest(0, credits, Decimal("0.0262"), Method.MONTHLY)
    assert report.interest != year_interest(0, credits, Decimal("0.0262"), Method.ANNUAL)


def test_a_late_run_credits_the_year_where_the_account_is_now(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters, clock: FixedClock
) -> None:
    """An account moved to Sichuan in 2024 before the 2023 interest was run: the 2023 interest
    goes where the money is now (the region of the account's latest entry), not where it was."""
    from jinbao.accounts.tables import ENTRY_COLUMNS, account_entries
    from jinbao.db.bulk import insert_rows
    from jinbao.registry.service import person_row_id

    declare_year(make_uow, workforce, params, 2023)
    moved = workforce.employees[0]
    with make_uow() as uow:
        person_id = person_row_id(uow, moved)
        balance = statement(uow, moved, dt.date(2023, 12, 31)).total
        now = uow.clock.now()
        entry = (person_id, "enterprise", "", "from2006", "", 202403, dt.date(2024, 3, 1))
        insert_rows(
            uow.conn,
            account_entries,
            ENTRY_COLUMNS,
            [
                (*entry[:2], GD, entry[3], "transfer_out", *entry[5:], -balance, None, "t", now),
                (
                    *entry[:2],
                    "510000",
                    entry[3],
                    "transfer_in",
                    *entry[5:],
                    balance,
                    None,
                    "t",
                    now,
                ),
            ],
        )
        uow.commit()
    run_interest(engine, clock, 2023, params)
    with engine.connect() as conn:
        regions = dict(
            conn.execute(
                select(account_entries.c.person_id, account_entries.c.region).where(
                    account_entries.c.kind == "interest"
                )
            ).all()
        )
    assert regions.pop(person_id) == "510000"
    assert set(regions.values()) == {GD}


def test_a_chunk_another_run_credited_first_is_refused_whole_and_a_rerun_finishes(
    engine: Engine, make_uow: Uow, workforce: Workforce, params: Parameters, clock: FixedClock
) -> None:
    """Two runs of a year at once: while this run computes a chunk, the other one credits an
    account of it. The chunk's write fails whole (the markers' key), with a message to act on;
    the rerun credits the rest, and no account is credited twice."""
    declare_year(make_uow, workforce, params, 2023)
    with engine.connect() as conn:
        ids = sorted(conn.execute(select(contributions.c.person_id).distinct()).scalars())
    assert len(ids) == 4
    other_run = ids[2]

    def the_other_run_credits(done: int, total: int) -> None:
        # Called once the chunks before the one just computed are written: that one is next.
        if done == 2:
            with engine.begin() as conn:
                conn.execute(
                    interest_credits.insert().values(
                        person_id=other_run, scheme="enterprise", year=2023, interest=1
                    )
                )

    with pytest.raises(Conflict) as caught:
        run_interest(engine, clock, 2023, params, chunk_size=1, progress=the_other_run_credits)
    assert caught.value.code == "interest.concurrent_run"
    assert f"{other_run}–{other_run}" in caught.value.en
    with engine.connect() as conn:
        entries = conn.execute(
            select(account_entries.c.person_id).where(account_entries.c.kind == "interest")
        ).scalars()
        assert sorted(entries) == ids[:2]  # the refused chunk wrote nothing
    rerun = run_interest(engine, clock, 2023, params, chunk_size=1)
    assert (rerun.accounts, rerun.already) == (1, 3)
    with engine.connect() as conn:
        credited = conn.execute(
            select(interest_credits.c.person_id, func.count()).group_by(
                interest_credits.c.person_id
            )
        ).all()
        assert sorted(credited) == [(i, 1) for i in ids]
        entries = conn.execute(
            select(account_entries.c.person_id).where(account_entries.c.kind == "interest")
        ).scalars()
        assert sorted(entries) == [ids[0], ids[1], ids[3]]
