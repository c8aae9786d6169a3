"""`gkreport serve` in a real headless browser (Debian's Chromium driven by Playwright): the clerk flow and the
collector flow of the issue's acceptance; the screenshots in docs/ are taken here."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("playwright")

from tests.server_support import (PASSWORD, ROOT, SEED, report, settings_for, start_server, stop_server,  # noqa: E402
                                  zip_parts)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-extensions", "--no-first-run", "--disable-sync"]
DOCS = ROOT / "docs"
SHOTS_ENV = "GKREPORT_SCREENSHOTS"   # set to 1 to renew the screenshots in docs/ (else they go to a temp folder)


def shots(tmp_path: Path) -> Path:
    return DOCS if os.environ.get(SHOTS_ENV) else tmp_path
ROSTER = "甲街道办事处,区政府,街道,张三\n乙街道办事处,区政府,街道,李四\n丙局\n丁局\n戊局"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def server(tmp_path):
    proc, setup, port = start_server(settings_for(tmp_path))
    try:
        yield f"http://127.0.0.1:{port}", setup
    finally:
        stop_server(proc)


def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    return context.new_page()


def upload(page, path: Path, button: str) -> None:
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r".*/check/[A-Za-z0-9_-]+$"), timeout=60_000)


def test_clerk_sees_marked_tables_and_downloads_the_cli_marked_copy(browser, server, tmp_path):
    base, _ = server
    page = new_page(browser)
    page.goto(base + "/")
    assert page.get_by_role("heading", name="校验年度报告").is_visible()
    page.screenshot(path=str(tmp_path / "index.png"))
    upload(page, SEED, "开始校验")
    verdict = page.locator("[data-verdict]").inner_text()
    assert verdict.startswith("校验未通过：有 7 处错误")
    # the blank 表二 cells are coloured red in the drawn table and explain themselves on hover
    blank = page.locator("table.paper td.marked[title*='VAL-01'][title*='表二 主动公开!B6']")
    assert blank.count() == 1
    assert blank.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 199, 206)"
    assert page.locator("table.paper td.marked.sev-error").count() >= 5
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots(tmp_path) / "server-check.png"))
    with page.expect_download() as got:
        page.locator("[data-download=marked]").click()
    download = got.value
    assert download.suggested_filename == "seed-2020.校验.xlsx"
    mine = tmp_path / "mine.xlsx"
    download.save_as(mine)
    cli = tmp_path / "cli"
    subprocess.run([sys.executable, "-m", "addin", "check", str(SEED), "--annotate", "--out-dir", str(cli)], cwd=ROOT,
                   capture_output=True)
    assert zip_parts(mine) == zip_parts(cli / "seed-2020.校验.xlsx")


def test_collector_collects_five_units_two_submit(browser, server, tmp_path):
    from openpyxl import load_workbook

    from addin.writing.collection_book import TOTALS_PREFIX

    base, setup = server
    desk = new_page(browser)
    desk.goto(f"{base}/setup/{setup}")
    desk.fill("input[name=username]", "county")
    desk.fill("input[name=password]", PASSWORD)
    desk.fill("input[name=password2]", PASSWORD)
    desk.get_by_role("button", name="创建账户").click()
    desk.wait_for_url(base + "/login")
    desk.fill("input[name=username]", "county")
    desk.fill("input[name=password]", PASSWORD)
    desk.get_by_role("button", name="登录").click()
    desk.wait_for_url(base + "/collections")
    desk.select_option("select[name=year]", "2020")
    desk.fill("textarea[name=roster]", ROSTER)
    desk.get_by_role("button", name="创建收集").click()
    desk.wait_for_url(re.compile(r".*/collections/\d+$"))
    links = {desk.locator(f"tr[data-unit='{n}'] input.copy").input_value(): n for n in ("甲街道办事处", "乙街道办事处")}
    assert desk.locator("tr[data-unit]").count() == 5
    by_name = {v: k for k, v in links.items()}

    files = {"甲": [report(tmp_path / "甲-有错.xlsx", unit="甲街道办事处", broken=True),
                   report(tmp_path / "甲.xlsx", unit="甲街道办事处", seed=11)],
             "乙": [report(tmp_path / "乙.xlsx", unit="乙街道办事处", seed=12)]}
    unit = new_page(browser)
    # 甲 fails first: no 提交 button, then passes and submits
    unit.goto(by_name["甲街道办事处"])
    upload(unit, files["甲"][0], "上传并校验")
    assert "校验未通过" in unit.locator("[data-verdict]").inner_text()
    assert unit.locator("[data-submit]").count() == 0
    unit.goto(by_name["甲街道办事处"])
    upload(unit, files["甲"][1], "上传并校验")
    unit.locator("[data-submit]").click()
    unit.wait_for_url(re.compile(r".*/receipt/1$"))
    assert unit.locator("[data-version]").inner_text() == "第 1 版"
    other = new_page(browser)
    other.goto(by_name["乙街道办事处"])
    upload(other, files["乙"][0], "上传并校验")
    other.locator("[data-submit]").click()
    other.wait_for_url(re.compile(r".*/receipt/1$"))
    other.goto(by_name["乙街道办事处"])
    other.screenshot(path=str(shots(tmp_path) / "server-unit.png"))

    desk.reload()
    statuses = {desk.locator("tr[data-unit]").nth(i).get_attribute("data-unit"):
                desk.locator("tr[data-unit]").nth(i).get_attribute("data-status") for i in range(5)}
    assert statuses == {"甲街道办事处": "已报送", "乙街道办事处": "已报送", "丙局": "未报送", "丁局": "未报送", "戊局": "未报送"}
    assert "丙局\t未报送" in desk.locator("[data-remind]").input_value()
    desk.screenshot(path=str(shots(tmp_path) / "server-dashboard.png"))
    with desk.expect_download() as got:
        desk.get_by_role("link", name="下载汇总工作簿").click()
    mine = tmp_path / "web-summary.xlsx"
    got.value.save_as(mine)
    cli = tmp_path / "cli-summary.xlsx"
    roster_file = tmp_path / "名单.txt"
    roster_file.write_text(ROSTER, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "addin", "check", str(files["甲"][1]), str(files["乙"][0]), "--roster",
                    str(roster_file), "--year", "2020", "--summary", str(cli)], cwd=ROOT, capture_output=True)
    mine_book, cli_book = load_workbook(mine), load_workbook(cli)
    totals = [n for n in cli_book.sheetnames if n.startswith(TOTALS_PREFIX)]
    assert len(totals) == 3
    for name in totals:
        rows = [list(r) for r in mine_book[name].iter_rows(values_only=True)]
        assert rows == [list(r) for r in cli_book[name].iter_rows(values_only=True)]
    assert "纳入合计的单位（2 个）" in [list(r) for r in mine_book[totals[0]].iter_rows(values_only=True)][0]
