"""Contributions, accounts and the ledger through the HTTP API (both engines) and the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from jinbao.cli import common
from jinbao.cli.main import app as cli
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.registry import service as registry
from jinbao.registry.model import Scheme
from jinbao.web.app import create_app
from tests.builders import a_uscc, an_agency_tree, an_id_number
from tests.integration.helpers import commit, row_counts


@pytest.fixture
def enrolled(make_uow: Callable[[], UnitOfWork]) -> tuple[str, list[str]]:
    uscc = a_uscc()
    people = [an_id_number(born="1980-02-02", county="440106") for _ in range(3)]

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_employer(uow, registry.NewEmployer(uscc, "某厂", "44010600"))
        for n in people:
            registry.add_person(uow, registry.NewPerson(n, "某", "440106"))
            registry.add_relationship(
                uow,
                registry.NewRelationship(
                    n,
                    Scheme.ENTERPRISE,
                    "44010600",
                    __import__("datetime").date(2020, 1, 1),
                    employer_uscc=uscc,
                ),
            )

    commit(make_uow, setup)
    return uscc, people


@pytest.fixture
def client(
    engine: Engine, clock: FixedClock, enrolled: tuple[str, list[str]]
) -> Iterator[TestClient]:
    with TestClient(create_app(engine, clock)) as c:
        yield c


def test_declare_pay_statement_refund_and_check_over_http(
    client: TestClient, enrolled: tuple[str, list[str]]
) -> None:
    uscc, people = enrolled
    body = {
        "employer_uscc": uscc,
        "period": "2024-05",
        "lines": [{"id_number": n, "wage": "8000"} for n in people],
        "batch": "may",
    }
    created = client.post("/api/declarations", json=body)
    assert created.status_code == 201
    assert created.json()["total_yuan"] == "5,760.00"  # 3 × 8000 × (16% + 8%)
    assert (
        client.post("/api/declarations", json=body).json()["records"] == 3
    )  # a retry is recorded once
    assert len(client.get(f"/api/employers/{uscc}/arrears").json()) == 3
    paid = client.post(
        f"/api/employers/{uscc}/payments", json={"period": "2024-05", "paid_on": "2024-06-15"}
    ).json()
    assert paid["paid"] is True
    account = client.get(f"/api/persons/{people[0]}/account", params={"as_of": "2024-12-31"}).json()
    assert account["balances"] == {"from2006": 64_000}
    record = client.get(f"/api/persons/{people[0]}/contributions").json()[0]
    refund = client.post(
        f"/api/contributions/{record['id']}/refund", json={"on": "2024-07-01", "reason": "多缴"}
    )
    assert refund.json()["individual_part"] == -64_000
    assert client.get("/api/ledger/check").json() == {"ok": True, "breaks": []}
    interest = client.post("/api/ledger/interest/2024").json()
    assert interest["accounts"] == 3
    trial = client.get("/api/ledger/trial-balance").json()
    assert sum(line["balance"] for line in trial) == 0
    funds = client.get("/api/ledger/funds").json()
    assert funds["national"][-1]["balance"] == funds["regions"][-1]["balance"]


def test_an_employers_declarations_come_a_page_at_a_time(
    client: TestClient, enrolled: tuple[str, list[str]]
) -> None:
    uscc, people = enrolled
    for period in ("2024-05", "2024-04"):  # declared newest first: the pages are by month
        body = {
            "employer_uscc": uscc,
            "period": period,
            "lines": [{"id_number": n, "wage": "8000"} for n in people],
            "batch": period,
        }
        assert client.post("/api/declarations", json=body).status_code == 201
    url = f"/api/employers/{uscc}/declarations"
    every = client.get(url).json()
    assert [r["period"] for r in every] == ["2024-04"] * 3 + ["2024-05"] * 3
    pages = [client.get(url, params={"limit": 4, "offset": at}).json() for at in (0, 4, 8)]
    assert [len(p) for p in pages] == [4, 2, 0]
    assert [r["id"] for p in pages for r in p] == [r["id"] for r in every]
    month = client.get(url, params={"period": "2024-05", "limit": 2, "offset": 1}).json()
    assert [r["id"] for r in month] == [r["id"] for r in every[3:]][1:3]
    refused = client.get(url, params={"limit": 0})
    assert refused.status_code == 422
    unknown = client.get(f"/api/employers/{a_uscc()}/declarations")  # not an empty page
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "employer.not_found"


def test_a_bad_declaration_file_is_refused_row_by_row_over_http(
    client: TestClient, engine: Engine, enrolled: tuple[str, list[str]]
) -> None:
    uscc, people = enrolled
    before = row_counts(engine)
    csv = f"employer_uscc,period,id_number,wage\n{uscc},2024-05,{people[0]},8000\n{uscc},2024-13,{people[1]},8000\n{uscc},2024-05,{people[2]},eight\n"
    r = client.post(
        "/api/declarations/import", content=csv.encode(), headers={"content-type": "text/csv"}
    )
    assert r.status_code == 422
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(3, "period"), (4, "wage")]
    assert row_counts(engine) == before
    ok = "employer_uscc,period,id_number,wage\n" + "".join(
        f"{uscc},2024-0{m},{n},6000\n" for m in (1, 2) for n in people
    )
    assert (
        client.post(
            "/api/declarations/import",
            params={"paid_on": "2024-03-01"},
            content=ok.encode(),
            headers={"content-type": "text/csv"},
        ).json()["records"]
        == 6
    )


def test_flexible_and_back_payments_over_http(
    client: TestClient, enrolled: tuple[str, list[str]]
) -> None:
    uscc, people = enrolled
    lump = {
        "id_number": people[1],
        "start": "2015-01",
        "end": "2017-12",
        "wage": "5000",
        "paid_on": "2024-01-10",
        "employer_uscc": uscc,
    }
    refused = client.post("/api/back-payments", json=lump)
    assert refused.json()["code"] == "contribution.lump_sum_document"
    lump["legal_document"] = {
        "authority": "arbitration",
        "number": "穗劳人仲案字〔2023〕1号",
        "issued_on": "2023-10-01",
    }
    assert client.post("/api/back-payments", json=lump).json()["records"] == 36
    records = client.get(f"/api/persons/{people[1]}/contributions").json()
    assert all(r["lump_sum"] and r["kind"] == "back_payment" for r in records)
    flexible = client.post(
        "/api/flexible-contributions",
        json={"id_number": people[2], "period": "2024-05", "base": "5000", "paid_on": "2024-05-20"},
    )
    assert flexible.json()["code"] == "contribution.not_flexible"


def run(url: str, *args: str, code: int = 0) -> str:
    common.settings.cache_clear()
    common.engine.cache_clear()
    result = CliRunner().invoke(cli, list(args), env={"JINBAO_DATABASE_URL": url})
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, new_database: Callable[[str], str]) -> str:
    """An empty database of each engine for the command line."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_cluster")
    return new_database(request.param)


def test_the_money_commands(url: str, tmp_path: Path) -> None:
    run(url, "db", "upgrade")
    run(url, "demo", "load", "--persons", "0")
    employers = json.loads(run(url, "employer", "list", "--json"))
    uscc = employers[0]["uscc"]
    records = json.loads(
        run(url, "contribution", "employer", uscc, "--period", "2025-01", "--json")
    )
    workers = sorted({r["id_number"] for r in records})  # the demo declared every employee
    assert workers
    text = run(
        url,
        "contribution",
        "declare",
        "--employer",
        uscc,
        "--period",
        "2025-07",
        *[a for n in workers for a in ("--line", f"{n}:7000")],
    )
    assert "待征收 due" in text
    due = json.loads(run(url, "contribution", "arrears", "--employer", uscc, "--json"))
    assert {(r["id_number"], r["period"]) for r in due} >= {(n, "2025-07") for n in workers}
    run(
        url,
        "contribution",
        "pay",
        "--employer",
        uscc,
        "--period",
        "2025-07",
        "--paid-on",
        "2025-08-01",
    )
    still_due = json.loads(run(url, "contribution", "arrears", "--id-number", workers[0], "--json"))
    assert [r["period"] for r in still_due] == ["2025-06"]  # the demo leaves June 2025 unpaid
    account = json.loads(
        run(url, "account", "statement", workers[0], "--as-of", "2025-12-31", "--json")
    )
    assert {"period": 202507, "kind": "contribution", "amount": 56_000} in [
        {k: e[k] for k in ("period", "kind", "amount")} for e in account["entries"]
    ]
    assert "every invariant holds" in run(url, "ledger", "check")
    assert "total balance 0.00" in run(url, "ledger", "trial-balance")
    report = json.loads(run(url, "account", "interest", "--year", "2024", "--json"))
    assert report["accounts"] >= len(workers)
    again = run(url, "account", "interest", "--year", "2024")  # a no-op, and what it leaves out
    assert "0 accounts credited now" in again
    assert "城乡居民个人账户未计息（所在省未载入2024年记账利率）" in again  # the demo's residents
    bad = tmp_path / "bad.csv"
    bad.write_text(f"employer_uscc,period,id_number,wage\n{uscc},2025-07,{workers[0]},7000\n")
    assert "contribution.duplicate_month" in run(
        url, "contribution", "import", str(bad), "--json", code=2
    )


def test_ledger_check_names_a_break_and_exits_non_zero(sqlite_url: str) -> None:
    from jinbao.db.engine import make_engine
    from jinbao.ledger.tables import journals, postings

    run(sqlite_url, "db", "upgrade")
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:  # a forged, unbalanced journal written behind the ledger's back
        jid = conn.execute(
            insert(journals)
            .values(
                kind="forged",
                idempotency_key="forged",
                effective_on=__import__("datetime").date(2024, 1, 1),
                description="x",
                created_at=__import__("datetime").datetime(2024, 1, 1),
            )
            .returning(journals.c.id)
        ).scalar_one()
        conn.execute(
            insert(postings).values(journal_id=jid, region="440000", account="bank", amount=100)
        )
    output = run(sqlite_url, "ledger", "check", code=1)
    assert "journal.unbalanced" in output
    assert (
        "accounts"
        not in json.loads(run(sqlite_url, "ledger", "check", "--json", code=1))["breaks"][0]["code"]
    )
