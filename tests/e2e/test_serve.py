"""``make run`` as a new user meets it: real processes, a real server on loopback."""

from __future__ import annotations

import httpx2 as httpx


def test_the_landing_page_is_served(server: str) -> None:
    page = httpx.get(server + "/")
    assert page.status_code == 200
    assert "国家基本养老保险信息系统" in page.text
    assert 'id="agency-count">3519<' in page.text  # the demo's 53 and the nation's 3 466


def test_the_directory_and_its_api_are_served(server: str) -> None:
    assert "广州市社会保险基金管理中心" in httpx.get(server + "/directory?province=44").text
    api = httpx.get(server + "/api/agencies", params={"province": "51"}).json()
    simulated = httpx.get(
        server + "/api/agencies", params={"province": "51", "q": "模拟数据"}
    ).json()
    assert simulated["total"] > 200  # the synthetic nation's prefectures and counties
    assert api["total"] == 7 + simulated["total"]  # and the demo's seven Sichuan agencies


def test_the_openapi_description_is_served(server: str) -> None:
    assert httpx.get(server + "/docs").status_code == 200
    assert httpx.get(server + "/openapi.json").json()["info"]["title"] == "金保 Jinbao"


def test_health_names_the_embedded_database(server: str) -> None:
    body = httpx.get(server + "/healthz").json()
    assert body["database"]["dialect"] == "sqlite"
    assert body["database"]["url"] == "sqlite:///var/jinbao.db"
