"""``make run`` as a new user meets it: real processes, a real server on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

JINBAO = Path(sys.executable).parent / "jinbao"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("run")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINBAO_")}
    port = free_port()
    # The same three steps as `make run`, from a fresh directory with the default database URL.
    for step in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([str(JINBAO), *step], cwd=workdir, env=env, check=True, capture_output=True)
    assert (workdir / "var" / "jinbao.db").exists()
    proc = subprocess.Popen(
        [str(JINBAO), "serve", "--port", str(port)],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("jinbao serve did not answer within 10 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_landing_page_is_served(server: str) -> None:
    page = httpx.get(server + "/")
    assert page.status_code == 200
    assert "国家基本养老保险信息系统" in page.text
    assert 'id="agency-count">53<' in page.text


def test_the_directory_and_its_api_are_served(server: str) -> None:
    assert "广州市社会保险基金管理中心" in httpx.get(server + "/directory?province=44").text
    api = httpx.get(server + "/api/agencies", params={"province": "51"}).json()
    assert api["total"] == 7


def test_the_openapi_description_is_served(server: str) -> None:
    assert httpx.get(server + "/docs").status_code == 200
    assert httpx.get(server + "/openapi.json").json()["info"]["title"] == "金保 Jinbao"


def test_health_names_the_embedded_database(server: str) -> None:
    body = httpx.get(server + "/healthz").json()
    assert body["database"]["dialect"] == "sqlite"
    assert body["database"]["url"] == "sqlite:///var/jinbao.db"
