"""The calculators through their real interfaces: /api/policy/… and ``jinbao policy …``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jinbao.cli import common
from jinbao.cli.main import app as cli
from jinbao.db.engine import make_engine
from jinbao.web.app import create_app

HISTORY = "2020-01..2020-12 44 employee base=5000\n2021-01..2021-06 44 employee base=6000\naccount from2006=20000\n"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(make_engine("sqlite://"))) as c:
        yield c


def test_retirement_over_http(client: TestClient) -> None:
    body = client.get(
        "/api/policy/retirement", params={"category": "female50", "born": "1975-03"}
    ).json()
    assert body["result"]["statutory_month"] == "2025-05"
    assert body["result"]["delay_months"] == 2
    assert any("第一条" in s["cite"] for s in body["explanation"]["sources"])
    assert body["explanation"]["steps"][0]["en"].startswith("Original age 50")


def test_transfer_amount_over_http_takes_the_history_as_text(client: TestClient) -> None:
    response = client.post(
        "/api/policy/transfer-amount", content=HISTORY, headers={"content-type": "text/plain"}
    )
    result = response.json()["result"]
    assert (result["pooled_total"], result["total_yuan"]) == (1_152_000, "31,520.00")


def test_receiving_place_and_pension_over_http(client: TestClient) -> None:
    history = "2000-01..2010-12 44 employee base=3000\n2011-01..2016-12 51 employee base=4000\n"
    r = client.post(
        "/api/policy/receiving-place",
        params={"hukou": "41"},
        content=history,
        headers={"content-type": "text/plain"},
    )
    assert (r.json()["result"]["province"], r.json()["result"]["rule"]) == ("44", 3)
    p = client.get(
        "/api/policy/pension",
        params={
            "avg_wage": "8000",
            "index": "1.2",
            "years": "35",
            "account": "150000",
            "age": "60",
            "retirement_year": 2026,
        },
    ).json()
    assert p["result"]["total_yuan"] == "4,159.14"


def test_bad_calculator_input_is_a_problem(client: TestClient) -> None:
    r = client.post(
        "/api/policy/transfer-amount",
        content="garbage line\n",
        headers={"content-type": "text/plain"},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "history.invalid"
    assert r.json()["errors"][0]["row"] == 1
    unknown_year = client.get("/api/policy/workdays", params={"from": "2026-12-20", "add": 15})
    assert unknown_year.json()["code"] == "calendar.year_unknown"
    assert (
        client.get(
            "/api/policy/retirement", params={"category": "robot", "born": "1970-01"}
        ).json()["code"]
        == "input.category"
    )


def test_the_parameters_report_is_public(client: TestClient) -> None:
    lines = client.get("/api/policy/parameters").json()["not_official"]
    assert any("SAMPLE" in line for line in lines)
    assert "/api/policy/retirement" in client.get("/openapi.json").json()["paths"]


def run(*args: str, code: int = 0) -> str:
    common.settings.cache_clear()
    result = CliRunner().invoke(cli, list(args), env={"JINBAO_DATABASE_URL": "sqlite://"})
    assert result.exit_code == code, result.output
    return result.output


def test_the_named_cli_commands(tmp_path: Path) -> None:
    text = run("policy", "retirement", "--category", "male", "--born", "1965-01")
    assert "60岁1个月" in text
    assert "依据" in text
    assert "Legal basis" in run(
        "policy", "retirement", "--category", "male", "--born", "1965-01", "--lang", "en"
    )
    pension = json.loads(
        run(
            "policy",
            "pension",
            "--avg-wage",
            "8000",
            "--index",
            "1.2",
            "--years",
            "35",
            "--account",
            "150000",
            "--age",
            "60",
            "--retirement-year",
            "2026",
            "--json",
        )
    )
    assert pension["result"]["basic"] == 308_000
    interest = run(
        "policy",
        "interest",
        "--rate",
        "2.62%",
        "--balance",
        "10000",
        "--credits",
        ",".join(f"2024-{m:02d}:400" for m in range(1, 13)),
    )
    assert "15,130.10" in interest
    history = tmp_path / "history.txt"
    history.write_text(HISTORY)
    assert "11,520.00" in run("policy", "transfer-amount", "--history", str(history))
    history.write_text(
        "2000-01..2007-12 44 employee base=3000\n2011-01..2016-12 51 employee base=4000\n"
    )
    assert "规则四" in run("policy", "receiving-place", "--hukou", "41", "--history", str(history))
    assert "2025-10-23" in run("policy", "workdays", "--from", "2025-09-26", "--add", "15")


def test_cli_errors_exit_with_bad_input() -> None:
    out = run("policy", "workdays", "--from", "2026-12-20", "--add", "15", "--json", code=2)
    assert json.loads(out)["error"]["code"] == "calendar.year_unknown"
    assert "category" in run(
        "policy", "retirement", "--category", "robot", "--born", "1970-01", code=2
    )


def test_the_exchange_interface_specification_is_published(client: TestClient) -> None:
    index = client.get("/api/exchange/schemas").json()
    assert {d["type"] for d in index["documents"]} >= {"contact_letter", "info_table"}
    schema = client.get("/api/exchange/schemas/1/info_table").json()
    assert "funds" in schema["required"]
    assert (
        client.get("/api/exchange/schemas/9/info_table").json()["code"]
        == "exchange.schema_not_found"
    )


def test_the_residents_pension_with_the_years_the_transition_asks(client: TestClient) -> None:
    """国发〔2014〕8号 第七条: born in June 1955, 5 years 8 months from 60 when the scheme began
    (2009-10, assumed), 6 years paid are enough; without the birth date the rule's 15 apply."""
    common_params = {"account": "3000", "on": "2015-07-01", "age": "60", "contribution_years": "6"}
    with_born = client.get(
        "/api/policy/resident-pension",
        params={**common_params, "born": "1955-06-15", "province": "41"},
    ).json()
    assert with_born["result"]["eligible"] is True
    assert any("第七条" in s["zh"] for s in with_born["explanation"]["steps"])
    without = client.get("/api/policy/resident-pension", params=common_params).json()
    assert without["result"]["eligible"] is False
    bad = client.get("/api/policy/resident-pension", params={**common_params, "born": "1955-13-01"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "input.date"
    out = CliRunner().invoke(
        cli,
        ["policy", "resident-pension", "--account", "3000", "--on", "2015-07-01", "--age", "60",
         "--contribution-years", "6", "--born", "1955-06-15", "--province", "41"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "累计缴费不少于5年" in out.output
