"""The console's pages over the real app (ASGI) on both backends: signing in, what each kind of user sees,
the supervisor's forms posting CloudEvents through the API, downloads, and refusals that change nothing.
The browser-driven journeys are in ``test_browser.py``."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
import pytest
from starlette.concurrency import run_in_threadpool

from esledger.bootstrap import bootstrap
from esledger.settings import Settings
from esledger.transparency.bundle import verify_bundle
from tests.console.conftest import Console
from tests.console.world import BREACHED, GRIEVANCE, RED_CASE, acts_of, complainants, token
from tests.helpers import asgi_client, bearer, examples, key_for

PAGES = ("/console/", "/console/cases", f"/console/cases/{GRIEVANCE}", "/console/findings", "/console/evidence")


async def test_every_page_sends_a_stranger_to_sign_in_and_a_bad_key_is_refused_beside_the_field(
    console: Console,
) -> None:
    for page in (*PAGES, "/console/statistics", "/console/cases.csv"):
        answer = await console.client.get(page)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/console/signin"), page
    refused = await console.client.post("/console/signin", data={"credential": "esl_nobody.1_" + "A" * 43})
    assert refused.status_code == 401
    assert 'aria-invalid="true"' in refused.text and "无效" in refused.text
    assert "esledger_console" not in refused.headers.get("set-cookie", "")


async def test_the_sign_in_cookie_is_httponly_strict_and_scoped_to_the_console(console: Console) -> None:
    answer = await console.client.post(
        "/console/signin", data={"credential": console.keys["inspector"], "next": "https://elsewhere.example/"}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/"  # never sent to another site after signing in
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    # login CSRF: another site's page may not sign this browser in (as the attacker, or anyone)
    foreign = await console.client.post(
        "/console/signin",
        data={"credential": console.keys["inspector"]},
        headers={"Origin": "https://attacker.example"},
    )
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers


async def test_an_inspector_sees_the_red_case_its_deadline_with_counting_steps_and_the_timeline(
    console: Console,
) -> None:
    """第十一条 (rule set tiaoli-2026-02-01, carried from the seed): the correction period of IN-2026-0042's
    notice ended 2026-09-30 24:00; on 2026-10-10 the case is red, and its page shows why."""
    await console.sign_in("inspector")
    overview = await console.client.get("/console/")
    assert overview.status_code == 200 and "荆州市荆州区政务服务和大数据管理局" in overview.text
    red = await console.client.get("/console/cases", params={"warning": "red"})
    assert re.findall(r'<th scope="row"><a href="/console/cases/([^"]+)"', red.text) == [RED_CASE]
    page = await console.client.get(f"/console/cases/{RED_CASE}")
    assert page.status_code == 200
    deadline = page.text.split(f'id="deadline-{BREACHED}-6"', 1)[1].split("</article>", 1)[0]
    assert 'data-status="breached"' in deadline and "2026-09-30 24:00" in deadline
    assert "计算步骤" in deadline and "chinesecalendar" in deadline
    assert "完整" in page.text  # the chain check
    assert page.text.count('<tr id="v') == acts_of(RED_CASE)


async def test_as_of_steps_through_every_instant_the_ledger_learned_an_act(console: Console) -> None:
    """Replay (第十一条, tiaoli-2026-02-01): at each step the case holds only the acts recorded by then, and
    the correction deadline is pending at every step before its due instant (2026-09-30 24:00 Beijing) and
    breached at every step after it — so the breach can be shown not to have been there before."""
    await console.sign_in("inspector")
    now = await console.client.get(f"/console/cases/{RED_CASE}")
    previous = re.search(r'href="(\?as_of=[^"]+)" rel="prev"', now.text)
    steps = []
    while previous:
        as_of = unquote(previous.group(1).removeprefix("?as_of="))
        page = await console.client.get(f"/console/cases/{RED_CASE}", params={"as_of": as_of})
        assert page.status_code == 200
        deadline = page.text.split(f'id="deadline-{BREACHED}-6"', 1)
        status = re.search(r'data-status="(\w+)"', deadline[1]) if len(deadline) > 1 else None
        steps.append((datetime.fromisoformat(as_of), page.text.count('<tr id="v'), status and status.group(1)))
        previous = re.search(r'href="(\?as_of=[^"]+)" rel="prev"', page.text)
    assert [n for _, n, _ in steps] == list(range(acts_of(RED_CASE), 0, -1))
    due = datetime.fromisoformat("2026-10-01T00:00:00+08:00")
    with_deadline = [(at, status) for at, n, status in steps if n >= 6]
    assert any(at < due for at, _ in with_deadline), "no step between the notice and its due instant"
    assert all(status == ("pending" if at < due else "breached") for at, status in with_deadline)
    assert all(status is None for _, n, status in steps if n < 6)  # before the notice: no such deadline


async def test_a_supervisor_confirms_a_finding_and_reads_it_back_confirmed(console: Console) -> None:
    """第十六条、第十七条: a candidate finding counts once a person determines it; the form posts
    case.finding_determined (v2) as the supervisor's own source, and the list waits for the projection."""
    await console.sign_in("supervisor")
    page = await console.client.get("/console/findings", params={"determination": "candidate"})
    finding = re.search(rf'<article class="finding" id="({RED_CASE}:[^"]+)"', page.text)
    assert finding, "no candidate finding on the red case"
    sent = await console.client.post(
        "/console/findings/determination?determination=candidate",
        data={
            "form_token": token(page.text),
            "case_id": RED_CASE,
            "finding_id": finding.group(1),
            "determination": "confirmed",
            "reasons": "经核查，荆州区政务服务和大数据管理局逾期未纠正，属实。",
            "determined_by_name": "王强",
            "determined_by_role": "法规科科长",
            "unit_code": "421000-ZSJ",
        },
    )
    assert sent.status_code == 303, sent.text
    query = parse_qs(urlsplit(sent.headers["location"]).query)
    assert "min_position" in query and "determination" not in query  # the finding is no longer a candidate
    listed = await console.client.get("/console/findings", params={"min_position": query["min_position"][0]})
    article = listed.text.split(f'id="{finding.group(1)}"', 1)[1].split("</article>", 1)[0]
    assert 'data-status="confirmed"' in article
    timeline = await console.client.get(f"/v1/cases/{RED_CASE}/events", headers=bearer(console.keys["reviewer"]))
    last = timeline.json()["records"][-1]["event"]
    assert last["source"] == "urn:esledger:principal:key:supervisor"
    assert last["dataschema"] == "urn:zfjd:schema:case.finding_determined:2"
    assert last["data"]["determined_by"]["unit"] == {"code": "421000-ZSJ", "name": "荆州市政务服务和大数据管理局"}


async def test_a_refused_determination_shows_the_ledgers_reason_beside_the_field_and_records_nothing(
    console: Console,
) -> None:
    await console.sign_in("supervisor")
    page = await console.client.get("/console/findings", params={"determination": "candidate"})
    finding = re.search(rf'<article class="finding" id="({RED_CASE}:[^"]+)"', page.text)
    assert finding
    before = await _head(console)
    sent = await console.client.post(
        "/console/findings/determination",
        data={
            "form_token": token(page.text),
            "case_id": RED_CASE,
            "finding_id": finding.group(1),
            "determination": "confirmed",
            "reasons": "",
            "determined_by_name": "王强",
            "unit_code": "421000-ZSJ",
        },
    )
    assert sent.status_code == 422
    article = sent.text.split(f'id="{finding.group(1)}"', 1)[1].split("</article>", 1)[0]
    error = re.search(r'<p class="error" id="reasons-(\d+)-error">([^<]+)</p>', article)
    assert error and "minLength" in error.group(2)
    assert f'aria-describedby="reasons-{error.group(1)}-error"' in article and 'aria-invalid="true"' in article
    assert await _head(console) == before


async def test_a_form_without_its_token_or_from_another_site_changes_nothing(console: Console) -> None:
    await console.sign_in("supervisor")
    page = await console.client.get("/console/findings", params={"determination": "candidate"})
    finding = re.search(rf'<article class="finding" id="({RED_CASE}:[^"]+)"', page.text)
    assert finding
    form = {
        "case_id": RED_CASE,
        "finding_id": finding.group(1),
        "determination": "dismissed",
        "reasons": "伪造的请求",
        "determined_by_name": "某人",
        "unit_code": "421000-ZSJ",
    }
    before = await _head(console)
    assert (await console.client.post("/console/findings/determination", data=form)).status_code == 403
    other_site = await console.client.post(
        "/console/findings/determination",
        data={**form, "form_token": token(page.text)},
        headers={"Origin": "https://attacker.example"},
    )
    assert other_site.status_code == 403
    await console.sign_in("inspector")  # the token of another person's page is no good either
    assert (
        await console.client.post("/console/findings/determination", data={**form, "form_token": token(page.text)})
    ).status_code == 403
    assert await _head(console) == before


async def test_an_inspector_has_no_forms_and_cannot_post_a_determination(console: Console) -> None:
    """Only a supervisor records determinations: the API refuses an inspector, and the console shows why."""
    await console.sign_in("inspector")
    page = await console.client.get("/console/findings", params={"determination": "candidate"})
    assert "提交认定" not in page.text
    finding = re.search(rf'<article class="finding" id="({RED_CASE}:[^"]+)"', page.text)
    assert finding
    before = await _head(console)
    answer = await console.client.post(
        "/console/findings/determination",
        data={
            "form_token": token(page.text),
            "case_id": RED_CASE,
            "finding_id": finding.group(1),
            "determination": "confirmed",
            "reasons": "x",
            "determined_by_name": "x",
            "unit_code": "421000-ZSJ",
        },
    )
    assert answer.status_code == 403
    assert await _head(console) == before


async def test_a_respondent_unit_never_sees_who_complained_nor_a_timeline_nor_statistics(console: Console) -> None:
    await console.sign_in("respondent")
    secrets = complainants()
    for page in (*PAGES, f"/console/cases/{GRIEVANCE}?as_of=2026-04-30T12:00:00%2B08:00", "/console/cases.csv"):
        answer = await console.client.get(page)
        assert answer.status_code == 200, page
        assert not [s for s in secrets if s in answer.text], page
    case = await console.client.get(f"/console/cases/{GRIEVANCE}")
    assert "不能查看案件时间线" in case.text and '<tr id="v' not in case.text
    assert 'href="/console/statistics"' not in case.text
    assert (await console.client.get("/console/statistics")).status_code == 403
    assert (await console.client.get(f"/console/cases/{RED_CASE}")).status_code == 404  # not its case


async def test_the_case_list_filters_sorts_pages_and_exports_what_it_shows(console: Console) -> None:
    await console.sign_in("reviewer")
    api = await console.client.get("/v1/cases", params={"limit": 1000}, headers=bearer(console.keys["reviewer"]))
    every = sorted(c["case_id"] for c in api.json()["cases"])
    first = await console.client.get("/console/cases", params={"size": 20})
    shown = re.findall(r'<th scope="row"><a href="/console/cases/([^"]+)"', first.text)
    assert shown == every[:20]
    grievances = await console.client.get("/console/cases", params={"kind": "grievance"})
    listed = re.findall(r'<th scope="row"><a href="/console/cases/([^"]+)"', grievances.text)
    assert listed and all(c.startswith("GR-") for c in listed)
    backwards = await console.client.get("/console/cases", params={"sort": "case_id", "order": "desc", "size": 20})
    assert re.findall(r'<th scope="row"><a href="/console/cases/([^"]+)"', backwards.text) == every[::-1][:20]
    by_warning = await console.client.get("/console/cases", params={"sort": "warning"})
    assert re.findall(r'<th scope="row"><a href="/console/cases/([^"]+)"', by_warning.text)[0] == RED_CASE
    exported = await console.client.get("/console/cases.csv", params={"kind": "grievance"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert rows[0][0] == "案件编号" and sorted(r[0] for r in rows[1:]) == sorted(listed)
    # a filter the API refuses is an error page before any download starts, not a CSV cut off after its header
    for bad in ({"warning": "purple"}, {"due_before": "notadate"}):
        refused = await console.client.get("/console/cases.csv", params=bad)
        assert refused.status_code == 400 and not refused.headers["content-type"].startswith("text/csv"), bad
    due = await console.client.get("/console/cases", params={"due_before": "2026-10-30"})
    api_due = await console.client.get(
        "/v1/cases", params={"due_before": "2026-10-31T00:00:00+08:00"}, headers=bearer(console.keys["reviewer"])
    )
    expected = [c["case_id"] for c in api_due.json()["cases"]]
    assert expected and re.findall(r'<th scope="row"><a href="/console/cases/([^"]+)"', due.text) == expected
    found = await console.client.get("/console/cases", params={"case_id": GRIEVANCE})
    assert found.status_code == 303 and found.headers["location"] == f"/console/cases/{GRIEVANCE}"


async def test_statistics_show_charts_and_download_as_csv_and_xlsx_with_the_apis_figures(console: Console) -> None:
    """第十条: monthly statistics per unit; the downloads hold the API's own rows."""
    await console.sign_in("reviewer")
    page = await console.client.get("/console/statistics")
    assert page.status_code == 200 and page.text.count("<svg") == 2
    api_csv = await console.client.get(
        "/v1/statistics", params={"format": "csv"}, headers=bearer(console.keys["reviewer"])
    )
    downloaded = await console.client.get("/console/statistics.csv")
    assert downloaded.text.removeprefix("\ufeff") == api_csv.text
    xlsx = await console.client.get("/console/statistics.xlsx")
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    header = api_csv.text.splitlines()[0].split(",")
    assert all(column in strings for column in header)
    assert sheet.count("<row ") == len(api_csv.text.strip().splitlines())


async def test_the_evidence_page_verifies_the_checkpoint_and_its_bundle_verifies_offline(console: Console) -> None:
    checkpoint = await console.client.post("/v1/checkpoints", headers=bearer(console.keys["reviewer"]))
    assert checkpoint.status_code == 201
    await console.sign_in("inspector")
    page = await console.client.get("/console/evidence")
    assert "签名有效" in page.text and "esledger verify" in page.text
    assert "尚无按见证策略发布的检查点（no witness policy is configured" in page.text
    key = (await console.client.get("/v1/checkpoints/key")).text
    bundle = await console.client.get("/console/evidence/bundle", params={"case_id": RED_CASE}, follow_redirects=True)
    assert bundle.status_code == 200 and "attachment" in bundle.headers["content-disposition"]
    size, failures = verify_bundle(orjson.loads(bundle.content), key.strip(), None)
    assert failures == [] and size == checkpoint.json()["tree_size"]
    assert len(orjson.loads(bundle.content)["entries"]) == acts_of(RED_CASE)


async def _head(console: Console) -> int:
    feed = await console.client.get("/v1/events", params={"limit": 1}, headers=bearer(console.keys["reviewer"]))
    return int(feed.json()["head"])


async def test_an_administrator_loads_the_demo_into_an_empty_ledger_with_one_button(settings: Settings) -> None:
    """The quickstart: the first start's admin key signs in, the demo button loads the example scenarios (as
    the demo's own source principal), and the example cases are listed."""
    system = bootstrap(settings.model_copy(update={"max_wait_seconds": 8}))
    async with asgi_client(system, authenticated=False) as client:
        admin = await run_in_threadpool(key_for, system, "first-admin", [{"role": "admin"}, {"role": "reviewer"}])
        assert (await client.post("/console/signin", data={"credential": admin})).status_code == 303
        empty = await client.get("/console/")
        assert "载入演示数据" in empty.text
        loaded = await client.post("/console/demo", data={"form_token": token(empty.text)})
        assert loaded.status_code == 303
        overview = await client.get(loaded.headers["location"])
        expected = sum(len(events) for events in examples().values())
        assert f"新增 {expected} 条，已存在 0 条，拒收 0 条" in overview.text
        head = (await client.get("/v1/events", params={"limit": 1}, headers=bearer(admin))).json()["head"]
        cases = await client.get("/console/cases", params={"size": 100, "min_position": head})
        assert {"IN-2026-0042", "GR-2026-0917"} <= set(
            re.findall(r'<th scope="row"><a href="/console/cases/([^"]+)"', cases.text)
        )


async def test_a_supervisor_records_a_sanction_the_article_provides_and_is_refused_one_it_does_not(
    console: Console,
) -> None:
    """第十六条 (seed; judged under tiaoli-2026-02-01, which carries it forward): refusing supervision is met
    with 通报批评 of the unit, among others, but not with 责令限期改正 (a 第十七条 measure) — the ledger
    checks the rule set's sanctions table, and the console shows its refusal beside the measure."""
    await console.sign_in("supervisor")
    page = await console.client.get("/console/findings", params={"article": "16"})
    finding = re.search(rf'<article class="finding" id="({RED_CASE}:art16[^"]+)"', page.text)
    assert finding, "no 第十六条 finding on the red case"
    form = {
        "form_token": token(page.text),
        "case_id": RED_CASE,
        "finding_id": finding.group(1),
        "imposed_by": "421000-ZSJ",
    }
    before = await _head(console)
    refused = await console.client.post("/console/findings/sanction", data={**form, "sanction": "order_to_correct"})
    assert refused.status_code == 422
    article = refused.text.split(f'id="{finding.group(1)}"', 1)[1].split("</article>", 1)[0]
    assert re.search(r'<p class="error" id="sanction-\d+-error">', article)
    assert await _head(console) == before
    sent = await console.client.post(
        "/console/findings/sanction", data={**form, "sanction": "circulated_criticism", "description": "通报批评"}
    )
    assert sent.status_code == 303, sent.text
    timeline = await console.client.get(f"/v1/cases/{RED_CASE}/events", headers=bearer(console.keys["reviewer"]))
    last = timeline.json()["records"][-1]["event"]
    assert last["type"].endswith("case.sanction_imposed") and last["data"]["finding_id"] == finding.group(1)
    assert last["data"]["article"] == "16" and "rule_set" not in last["data"]  # the seed's article


async def test_the_cases_csv_reads_every_page(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    """The download's first page is read before it starts and the rest follow its cursor: with pages of 3 rows
    the CSV lists exactly the cases of one large page."""
    await console.sign_in("reviewer")

    def listed() -> list[str]:
        return [r[0] for r in csv.reader(io.StringIO(exported.text.removeprefix("\ufeff")))][1:]

    exported = await console.client.get("/console/cases.csv")
    whole = listed()
    assert len(whole) > 6
    monkeypatch.setattr("esledger.console.app.PAGE", 3)
    monkeypatch.setattr("esledger.console.client.PAGE", 3)
    exported = await console.client.get("/console/cases.csv")
    assert listed() == whole
