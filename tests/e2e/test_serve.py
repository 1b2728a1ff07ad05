"""``make run`` as a new user meets it: real processes, a real server on loopback."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx

from tests.e2e.conftest import JINBAO, free_port, wait_until_serving


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


def test_serve_runs_several_processes_when_asked(tmp_path: Path) -> None:
    """`jinbao serve --workers 2`: two processes answer on one port, each its own app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINBAO_")}
    subprocess.run([str(JINBAO), "db", "upgrade"], cwd=tmp_path, env=env, check=True, capture_output=True)  # fmt: skip
    port = free_port()
    proc = subprocess.Popen(
        [str(JINBAO), "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base)
        answered: set[int] = set()

        def client(_: int) -> None:
            for _ in range(25):  # a new connection each time: the processes share the socket
                answered.add(httpx.get(f"{base}/healthz", timeout=5).json()["process"])

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(client, range(8)))
        assert len(answered) == 2
        assert proc.pid not in answered  # the workers answer; the first process supervises
        # It became the light supervisor (the CLI and an app it would never serve gone): none
        # of the compiled parts a request needs (SQLAlchemy's, pydantic's) is mapped in it.
        command = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"jinbao.web.supervisor" in command
        maps = Path(f"/proc/{proc.pid}/maps").read_text()
        assert "sqlalchemy" not in maps
        assert "pydantic_core" not in maps
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_refuses_a_bad_worker_count(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINBAO_")}
    env["JINBAO_WORKERS"] = "lots"
    done = subprocess.run([str(JINBAO), "serve"], cwd=tmp_path, env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2
    assert "JINBAO_WORKERS" in done.stdout + done.stderr
