"""The server as ``make run`` starts it, shared by the end-to-end tests that need a real process."""

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


def wait_until_serving(base: str, seconds: float = 20) -> None:
    for _ in range(int(seconds * 10)):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"jinbao serve did not answer within {seconds:.0f} s")


@pytest.fixture(scope="session")
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
        wait_until_serving(base)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
