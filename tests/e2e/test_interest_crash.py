"""Kill the interest job half-way in a real process, rerun it: every account credited once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jinbao.accounts.tables import account_entries, interest_credits
from jinbao.contributions import service as c
from jinbao.db import migrate
from jinbao.db.engine import make_engine
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.policy.interest import Method, year_interest
from jinbao.policy.parameters import load_parameters
from jinbao.registry import service as registry
from jinbao.registry.model import Scheme
from jinbao.registry.regions import sync_regions
from tests.builders import a_uscc, an_agency_tree, an_id_number

JINBAO = Path(sys.executable).parent / "jinbao"
ACCOUNTS = 60


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_killed_interest_run_resumes_and_credits_every_account_exactly_once(
    kind: str, new_database: Callable[[str], str], request: pytest.FixtureRequest
) -> None:
    if kind == "postgresql":
        request.getfixturevalue("pg_cluster")
    url = new_database(kind)
    engine = make_engine(url)
    migrate.upgrade(engine)
    clock = FixedClock.on(dt.date(2025, 3, 1))
    params = load_parameters()
    uscc = a_uscc()
    numbers = [an_id_number(born="1980-01-01", county="440106") for _ in range(ACCOUNTS)]
    with UnitOfWork(engine, clock) as uow:
        sync_regions(uow)
        an_agency_tree(uow)
        registry.add_employer(uow, registry.NewEmployer(uscc, "某厂", "44010600"))
        for n in numbers:
            registry.add_person(uow, registry.NewPerson(n, "某", "440106"))
            registry.add_relationship(
                uow,
                registry.NewRelationship(
                    n, Scheme.ENTERPRISE, "44010600", dt.date(2020, 1, 1), employer_uscc=uscc
                ),
            )
        for month in range(1, 13):
            rows = [
                c.DeclarationRow(i, uscc, YearMonth(2024, month), n, Fen(500_000))
                for i, n in enumerate(numbers)
            ]
            c.declare(uow, rows, batch=f"m{month}", params=params, paid_on=dt.date(2024, month, 20))
        uow.commit()

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JINBAO_")},
        "JINBAO_DATABASE_URL": url,
    }
    job = [
        str(JINBAO),
        "account",
        "interest",
        "--year",
        "2024",
        "--chunk-size",
        "5",
        "--throttle",
        "0.3",
        "--json",
    ]
    proc = subprocess.Popen(job, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def credited() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(interest_credits)).scalar_one()
            )

    deadline = time.monotonic() + 60
    while credited() < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    halfway = credited()
    assert 10 <= halfway < ACCOUNTS, "the job must be killed half-way"

    done = subprocess.run(
        [*job[:-3], "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert credited() == ACCOUNTS
    expected = year_interest(0, [40_000] * 12, Decimal("0.0262"), Method.ANNUAL)
    with engine.connect() as conn:
        per_person = conn.execute(
            select(account_entries.c.person_id, func.count(), func.sum(account_entries.c.amount))
            .where(account_entries.c.kind == "interest")
            .group_by(account_entries.c.person_id)
        ).all()
    assert len(per_person) == ACCOUNTS
    assert {(int(n), int(total)) for _, n, total in per_person} == {(1, expected)}
    with UnitOfWork(engine, clock) as uow:
        assert check(uow) == []
    again = subprocess.run(
        [*job[:-3], "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert '"accounts": 0' in again.stdout
    engine.dispose()
