"""The pages in a real headless Chromium (Debian's), driven by Playwright, on `jinbao serve`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags for a closed network and a root user (see .library/env: machines/python.md).
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        reason = "Chromium not installed (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason}; browser tests are mandatory under CI=true", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


# `make run`'s demo: 53 agencies of the worked cases and 3 466 more of the synthetic nation (one
# per province, prefecture and county of GB/T 2260 not already there).
AGENCIES = "3519"


def test_the_landing_page_switches_to_english_and_back(server: str, page: Page) -> None:
    page.goto(server + "/")
    expect(page.locator("h1")).to_have_text("国家基本养老保险信息系统")
    expect(page.locator("#agency-count")).to_have_text(AGENCIES)
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("National Basic Pension Insurance Information System")
    assert page.url.endswith("?lang=en")
    page.get_by_role("link", name="中文").click()
    expect(page.locator("h1")).to_have_text("国家基本养老保险信息系统")


def test_a_person_finds_an_agency_in_the_directory(server: str, page: Page, tmp_path: Path) -> None:
    page.goto(server + "/")
    page.get_by_role("link", name="查询地址、经办科室和咨询电话 →").click()
    page.get_by_label("省份").select_option(label="河南省")
    page.get_by_label("层级").select_option(label="县区级")
    page.get_by_label("搜索").fill("社会保险中心")  # the demo's three, not the nation's 经办中心
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#result-count")).to_have_text("共 3 家")
    rows = page.locator("table.directory tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("郑州市中原区社会保险中心")
    expect(rows.first).to_contain_text("0371-")
    page.get_by_role("link", name="English").click()
    expect(page.locator("#result-count")).to_have_text("3 agencies")
    expect(page.get_by_label("Province")).to_have_value("41")
    shot = tmp_path / "directory.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
