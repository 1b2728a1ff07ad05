"""The HTTP API through the test client, on both engines: problems, directory, pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.web.app import create_app
from tests.builders import a_uscc, an_agency_tree, an_id_number
from tests.integration.helpers import commit, row_counts


@pytest.fixture
def client(
    engine: Engine, clock: FixedClock, make_uow: Callable[[], UnitOfWork]
) -> Iterator[TestClient]:
    commit(make_uow, an_agency_tree)
    with TestClient(create_app(engine, clock)) as c:
        yield c


def assert_problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["type"] == f"urn:jinbao:problem:{code}"
    assert body["status"] == status
    assert body["messages"]["zh"]
    assert body["messages"]["en"]
    return body


def test_health_reports_the_database_in_use(client: TestClient, engine: Engine) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"]["dialect"] == engine.dialect.name
    assert body["database"]["revision"] == body["database"]["head"]


def test_a_person_is_registered_then_shown(client: TestClient) -> None:
    number = an_id_number(born="1985-07-09", sex="F", county="440106")
    created = client.post(
        "/api/persons", json={"id_number": number, "name": "陈静", "hukou_region_code": "440106"}
    )
    assert created.status_code == 201
    assert created.json()["birth_date"] == "1985-07-09"
    assert client.get(f"/api/persons/{number}").json()["name"] == "陈静"


def test_an_invalid_id_number_is_a_problem_with_the_field_named(
    client: TestClient, engine: Engine
) -> None:
    before = row_counts(engine)
    response = client.post(
        "/api/persons",
        json={"id_number": "110105194912310021", "name": "某", "hukou_region_code": "110105"},
    )
    body = assert_problem(response, 422, "id_number.checksum")
    assert body["errors"][0]["field"] == "id_number"
    assert "校验位" in body["detail"]
    assert row_counts(engine) == before


def test_english_is_chosen_by_accept_language(client: TestClient) -> None:
    response = client.post(
        "/api/persons",
        json={"id_number": "123", "name": "x", "hukou_region_code": "110105"},
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert "18 characters" in assert_problem(response, 422, "id_number.length")["detail"]


def test_a_duplicate_is_a_conflict_and_a_missing_record_not_found(client: TestClient) -> None:
    number = an_id_number()
    person = {"id_number": number, "name": "某", "hukou_region_code": "440106"}
    assert client.post("/api/persons", json=person).status_code == 201
    assert_problem(client.post("/api/persons", json=person), 409, "person.duplicate")
    assert_problem(client.get(f"/api/persons/{an_id_number()}"), 404, "person.not_found")
    assert_problem(client.get("/api/nothing-here"), 404, "http.not_found")


def test_a_malformed_request_body_is_a_problem_too(client: TestClient) -> None:
    body = assert_problem(
        client.post("/api/agencies", json={"code": "X", "level": "planet"}), 422, "request.invalid"
    )
    fields = {e["field"] for e in body["errors"]}
    assert {"level", "name", "contact"} <= fields


def test_the_public_directory_searches_and_pages(client: TestClient) -> None:
    page = client.get("/api/agencies", params={"province": "44", "limit": 2}).json()
    assert page["total"] == 3
    assert [a["code"] for a in page["items"]] == ["44000000", "44010000"]
    assert page["items"][0]["contact"]["department"]
    found = client.get("/api/agencies", params={"q": "郑州"}).json()
    assert [a["code"] for a in found["items"]] == ["41010000"]
    by_address = client.get("/api/agencies", params={"q": "体育西路"}).json()
    assert by_address["total"] == 6
    assert client.get("/api/agencies/44010600").json()["parent_code"] == "44010000"


def test_a_csv_import_with_errors_reports_rows_and_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    before = row_counts(engine)
    data = f"uscc,name,agency_code\n{a_uscc()},甲,44010600\n91110000600037341X,乙,44010600\n"
    response = client.post(
        "/api/employers/import", content=data.encode(), headers={"content-type": "text/csv"}
    )
    body = assert_problem(response, 422, "import.rejected")
    assert body["errors"] == [
        {
            "code": "uscc.checksum",
            "field": "uscc",
            "row": 3,
            "zh": body["errors"][0]["zh"],
            "en": body["errors"][0]["en"],
        }
    ]
    assert row_counts(engine) == before


def test_a_relationship_round_trip_through_the_api(client: TestClient) -> None:
    number = an_id_number(born="1970-01-01")
    client.post(
        "/api/persons", json={"id_number": number, "name": "某", "hukou_region_code": "440106"}
    )
    rel = client.post(
        "/api/relationships",
        json={"id_number": number, "scheme": "enterprise", "agency_code": "44010600",
              "started_on": "2001-04-01"},
    ).json()  # fmt: skip
    changed = client.post(
        f"/api/relationships/{rel['id']}/status",
        json={"status": "suspended", "changed_on": "2020-01-01", "reason": "中断缴费"},
    ).json()
    assert [h["to_status"] for h in changed["history"]] == ["contributing", "suspended"]
    listed = client.get(f"/api/persons/{number}/relationships").json()
    assert listed[0]["status"] == "suspended"


def test_the_landing_page_speaks_chinese_with_an_english_switch(client: TestClient) -> None:
    zh = client.get("/")
    assert zh.status_code == 200
    assert "国家基本养老保险信息系统" in zh.text
    assert 'href="?lang=en"' in zh.text
    en = client.get("/?lang=en")
    assert "National Basic Pension Insurance" in en.text
    assert '<html lang="en">' in en.text


def test_the_directory_page_lists_agencies_with_their_contacts(client: TestClient) -> None:
    page = client.get("/directory", params={"q": "郑州"})
    assert page.status_code == 200
    rows = page.text.split("<tbody>")[1]
    assert "郑州市社保中心" in rows
    assert "020-12345678" in rows
    assert "天河区社保中心" not in rows


def test_the_openapi_description_is_published(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/agencies" in spec["paths"]
    assert "/api/persons/import" in spec["paths"]
    assert client.get("/docs").status_code == 200
