"""Payment runs kept (发放批次) and their bank files (代发文件), on both engines: a run that pays
something is kept, its files are made from its payments — the same each time, with the account
as it was paid into — and a rerun that pays more is a run of its own, with its own files."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from jinbao.benefits import payments
from jinbao.benefits import service as benefits
from jinbao.benefits.payments import BankTotal
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import NotFound
from jinbao.kernel.periods import YearMonth
from jinbao.policy.parameters import Parameters
from tests.integration.benefits.test_payments import (
    another_pensioner,
    clean,
    files,
    run,
)
from tests.integration.benefits.test_retirement import approved_pensioner
from tests.integration.helpers import commit
from tests.integration.transfers.conftest import NEW

Uow = Callable[[], UnitOfWork]
ICBC = "中国工商银行郑州分行"  # the bank approved_pensioner is paid through


def test_a_runs_bank_file_is_made_again_the_same_after_the_account_changes(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    person, application, award = approved_pensioner(uow_at, params)
    january = run(uow_at, YearMonth(2026, 1))
    assert january.run is not None
    assert january.banks == [BankTotal(ICBC, 1, award["total"])]
    first = files(uow_at, january)
    (text,) = first.values()
    header, line = text.splitlines()
    assert header == ",".join(payments.BANK_FIELDS)
    assert line.startswith(f"6222021702000012345,冯二,{person},")
    assert line.endswith(f",2026-01,monthly,YL{NEW}202601{application:08d}202601M")

    # The person moves the pension to another bank: the file already sent does not change.
    commit(uow_at, lambda uow: benefits.set_payee(uow, person, "中国银行", "6216610000012345"))
    assert files(uow_at, january) == first
    rerun = run(uow_at, YearMonth(2026, 1))
    assert (rerun.paid, rerun.run, rerun.banks) == (0, None, [])  # nothing paid, nothing kept

    february = run(uow_at, YearMonth(2026, 2))
    assert february.run not in (None, january.run)
    assert [b.bank for b in february.banks] == ["中国银行"]
    (paid_there,) = files(uow_at, february).values()
    assert f"6216610000012345,冯二,{person}," in paid_there
    with uow_at() as uow:
        kept = payments.get_run(uow, january.run)
        assert (kept.agency, kept.month, kept.banks) == (NEW, "2026-01", january.banks)
        assert [r.id for r in payments.runs_of(uow, NEW, YearMonth(2026, 1))] == [january.run]
        assert [r.id for r in payments.runs_of(uow, NEW, YearMonth(2026, 2))] == [february.run]
    clean(uow_at)


def test_a_rerun_that_pays_someone_new_is_a_run_of_its_own(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    """January is paid to one pensioner; another, without a bank account then, gives one and
    January is run again: that second run is kept apart, and its file lists only what it paid
    (the first file went to the bank already)."""
    first, _, _ = approved_pensioner(uow_at, params)
    waiting, award = another_pensioner(uow_at, params, bank=False)
    one = run(uow_at, YearMonth(2026, 1))
    assert one.no_account == [waiting]
    commit(uow_at, lambda uow: benefits.set_payee(uow, waiting, "中国银行", "6216 6100 0001 2345"))
    two = run(uow_at, YearMonth(2026, 1))
    assert two.run is not None
    assert two.run != one.run
    assert two.banks == [BankTotal("中国银行", 1, award["total"])]
    (second_file,) = files(uow_at, two).values()
    assert waiting in second_file
    assert first not in second_file
    assert waiting not in "".join(files(uow_at, one).values())
    with uow_at() as uow:
        runs = payments.runs_of(uow, NEW, YearMonth(2026, 1))
    assert [r.id for r in runs] == [one.run, two.run]
    clean(uow_at)


def test_a_bank_file_read_in_chunks_is_the_file_read_at_once(
    engine: Engine, uow_at: Uow, params: Parameters, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is read a chunk of payments at a time (a run of hundreds of thousands is not
    held in memory): with chunks of one it is the same file, every payment once, in order."""
    person, _, _ = approved_pensioner(uow_at, params)
    other, _ = another_pensioner(uow_at, params, bank=True)
    report = run(uow_at, YearMonth(2026, 3))  # January to March for both: three lines each
    whole = files(uow_at, report)
    monkeypatch.setattr(payments, "CHUNK", 1)
    assert files(uow_at, report) == whole
    text = "".join(whole.values())
    assert text.count(person) == text.count(other) == 3
    assert sum(b.payments for b in report.banks) == 6


def test_an_unknown_run_or_a_bank_it_did_not_pay_through_is_not_found(
    engine: Engine, uow_at: Uow, params: Parameters
) -> None:
    approved_pensioner(uow_at, params)
    report = run(uow_at, YearMonth(2026, 1))
    assert report.run is not None
    with uow_at() as uow:
        with pytest.raises(NotFound) as unknown:
            payments.bank_file(uow, report.run + 1, ICBC)
        with pytest.raises(NotFound) as elsewhere:
            payments.bank_file(uow, report.run, "中国银行")
    assert unknown.value.code == "payment.run_not_found"
    assert "发放批次" in unknown.value.zh
    assert "payment run" in unknown.value.en
    assert elsewhere.value.code == "payment.bank_not_in_run"
    assert "中国银行" in elsewhere.value.zh
    assert "中国银行" in elsewhere.value.en
