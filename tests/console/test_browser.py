"""The console in a real browser: Debian's Chromium, driven by Playwright, against a live server (uvicorn)
on both backends. The journeys of the people it serves — an inspector, a supervisor, a respondent unit — an
axe-core accessibility check of every page, and a screenshot of each page in ``build/console-screenshots/``.

The browser is the system's own (``make browser`` installs Debian's chromium; ``ESLEDGER_TEST_CHROMIUM``
names another); a missing browser fails the run, never skips it."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from esledger.bootstrap import bootstrap
from esledger.settings import Settings
from esledger.web.app import create_app
from tests.conftest import FakeClock, served
from tests.console.world import BREACHED, GRIEVANCE, RED_CASE, complainants, keys, record_as_happened
from tests.helpers import TESTER, TESTER_GRANTS, key_for

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "console-screenshots"
OFFICE_SCREEN = {"width": 1366, "height": 768}
SERIOUS = ("serious", "critical")


def chromium() -> str:
    path = os.environ.get("ESLEDGER_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            f"no Chromium at {path}: run `make browser` (installs Debian's chromium and a CJK font) or set "
            "ESLEDGER_TEST_CHROMIUM",
            pytrace=False,
        )
    return path


@dataclass
class Live:
    url: str
    keys: dict[str, str]
    backend: str


@pytest.fixture
def live(settings: Settings, database_url: str) -> Iterator[Live]:
    """The world of ``world.py`` served over real HTTP by uvicorn in a thread, its clock at 2026-10-10."""
    clock = FakeClock()
    system = bootstrap(settings.model_copy(update={"max_wait_seconds": 8}), clock=clock)

    async def record(url: str, tester: str) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await record_as_happened(client, clock, tester)

    with served(create_app(system)) as url:
        tester = key_for(system, TESTER, TESTER_GRANTS)
        # Playwright's sync API keeps an event loop running on this thread: the recording gets its own.
        recorder = threading.Thread(target=asyncio.run, args=(record(url, tester),))
        recorder.start()
        recorder.join(120)
        yield Live(url, keys(system), "postgres" if database_url.startswith("postgres") else "sqlite")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        yield launched
        launched.close()


def signed_in(browser: Browser, live: Live, who: str) -> Page:
    """A fresh browser context (no cookies) signed in through the sign-in page."""
    page = browser.new_context(viewport=OFFICE_SCREEN, locale="zh-CN").new_page()
    page.goto(f"{live.url}/console/")
    expect(page).to_have_url(f"{live.url}/console/signin?next=/console/")
    page.get_by_label("API 密钥或令牌").fill(live.keys[who])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="概览", level=1)).to_be_visible()
    return page


def shoot(page: Page, live: Live, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{live.backend}-{name}.png"), full_page=True)


def serious_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA rules on the page as it stands; the serious and critical violations."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
    )
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found if v["impact"] in SERIOUS]


def test_an_inspector_finds_the_red_case_and_steps_back_to_before_the_breach(browser: Browser, live: Live) -> None:
    """第十一条 (tiaoli-2026-02-01): IN-2026-0042's correction period ended 2026-09-30 24:00 with nothing
    corrected; on 2026-10-10 it is red. Stepping the replay back to before that instant shows it pending."""
    page = signed_in(browser, live, "inspector")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="案件").click()
    page.get_by_label("预警").select_option("red")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("table.cases tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=RED_CASE).click()
    deadline = page.locator(f"[id='deadline-{BREACHED}-6']")
    expect(deadline.locator("[data-status]").first).to_have_attribute("data-status", "breached")
    shoot(page, live, "case")
    for _ in range(10):
        page.get_by_role("link", name="上一时点").click()
        status = deadline.locator("[data-status]").first.get_attribute("data-status")
        if status == "pending":
            break
    expect(deadline.locator("[data-status]").first).to_have_text("进行中")
    expect(page.locator(".asof")).to_contain_text("2026-09")
    shoot(page, live, "case-before-breach")


def test_a_supervisor_confirms_a_finding_and_sees_it_listed_as_confirmed(browser: Browser, live: Live) -> None:
    """第十六条、第十七条: the determination form posts case.finding_determined; the list reads it back."""
    page = signed_in(browser, live, "supervisor")
    page.goto(f"{live.url}/console/findings?determination=candidate")
    finding = page.locator(f"article.finding[id^='{RED_CASE}:']").first
    finding_id = finding.get_attribute("id")
    finding.get_by_text("记录认定").click()
    finding.get_by_label("确认").check()
    finding.get_by_label("理由").fill("经核查，逾期未纠正属实。")
    finding.get_by_label("职务").fill("法规科科长")
    shoot(page, live, "findings-form")
    finding.get_by_role("button", name="提交认定").click()
    expect(page.get_by_role("status")).to_contain_text("已记录认定")
    confirmed = page.locator(f"article.finding[id='{finding_id}']")
    expect(confirmed.locator("[data-status]").first).to_have_attribute("data-status", "confirmed")
    page.goto(f"{live.url}/console/findings?determination=confirmed")
    expect(page.locator(f"article.finding[id='{finding_id}']")).to_contain_text("已确认")


def test_a_refused_determination_is_shown_beside_its_field(browser: Browser, live: Live) -> None:
    page = signed_in(browser, live, "supervisor")
    page.goto(f"{live.url}/console/findings?determination=candidate")
    finding = page.locator(f"article.finding[id^='{RED_CASE}:']").first
    finding.get_by_text("记录认定").click()
    finding.get_by_label("确认").check()
    finding.get_by_role("button", name="提交认定").click()  # no reasons
    reasons = page.locator(f"article.finding[id^='{RED_CASE}:']").first.get_by_label("理由")
    expect(reasons).to_have_attribute("aria-invalid", "true")
    described = reasons.get_attribute("aria-describedby")
    expect(page.locator(f"#{described}")).to_contain_text("minLength")


def test_a_respondent_unit_never_has_the_complainant_in_any_page(browser: Browser, live: Live) -> None:
    page = signed_in(browser, live, "respondent")
    secrets = complainants()
    for path in (
        "/console/",
        "/console/cases",
        f"/console/cases/{GRIEVANCE}",
        "/console/findings",
        "/console/evidence",
    ):
        page.goto(live.url + path)
        html = page.content()
        assert not [s for s in secrets if s in html], path
    page.goto(f"{live.url}/console/cases/{GRIEVANCE}")
    expect(page.get_by_text("不能查看案件时间线")).to_be_visible()
    expect(page.get_by_role("link", name="统计")).to_have_count(0)


def test_every_page_passes_axe_loads_nothing_from_elsewhere_and_is_keyboard_reachable(
    browser: Browser, live: Live
) -> None:
    """WCAG 2.1 AA by axe-core: no serious or critical violation on any page (its forms open); and every request
    the pages make goes to the console itself (an intranet without internet access)."""
    anonymous = browser.new_context(viewport=OFFICE_SCREEN).new_page()
    anonymous.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    assert serious_violations(anonymous), "axe-core found nothing on a page made to fail it: is it running?"
    anonymous.goto(f"{live.url}/console/signin")
    problems = {"signin": serious_violations(anonymous)}
    anonymous.keyboard.press("Tab")
    expect(anonymous.get_by_role("link", name="跳到正文")).to_be_focused()
    page = signed_in(browser, live, "supervisor")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    pages = {
        "overview": "/console/",
        "cases": "/console/cases",
        "case-grievance": f"/console/cases/{GRIEVANCE}",
        "findings": "/console/findings",
        "statistics": "/console/statistics",
        "evidence": "/console/evidence",
    }
    for name, path in pages.items():
        page.goto(live.url + path)
        for summary in page.locator("details > summary").all()[:6]:
            summary.click()
        problems[name] = serious_violations(page)
        shoot(page, live, name)
    assert {name: found for name, found in problems.items() if found} == {}
    assert requested and all(url.startswith(live.url + "/console/") for url in requested), "an asset from elsewhere"
