"""The published example scenarios: every event type, accepted in order, idempotent on repost, chains intact.

Posted through the CLI (``esledger demo`` / ``esledger post``) against the service over real HTTP.
"""

from __future__ import annotations

import httpx
from typer.testing import CliRunner

from esledger.cli import app as cli
from tests.helpers import PREFIX, SCHEMAS, examples, live_headers

runner = CliRunner()


def test_examples_cover_every_event_type_of_the_catalog() -> None:
    import json

    catalog = json.loads((SCHEMAS / "catalog.json").read_text("utf-8"))
    used = {e["type"].removeprefix(PREFIX) for events in examples().values() for e in events}
    posted_by_clients = {name for name, act in catalog["acts"].items() if not act.get("internal")}
    assert used == posted_by_clients and len(used) == 51


def test_examples_include_a_national_day_2026_scenario() -> None:
    times = [e["time"] for events in examples().values() for e in events]
    assert any(t.startswith("2026-09-2") for t in times) and any(t.startswith("2026-10-") for t in times)


def test_demo_accepts_every_example_and_a_repost_stores_nothing(live_url: str) -> None:
    total = sum(len(v) for v in examples().values())
    first = runner.invoke(cli, ["demo", "--url", live_url])
    assert first.exit_code == 0, first.output
    assert f"accepted {total}, duplicate 0, rejected 0" in first.output
    with httpx.Client(base_url=live_url, headers=live_headers()) as c:
        head = c.get("/v1/events", params={"limit": 1}).json()["head"]
        again = runner.invoke(cli, ["demo", "--url", live_url])
        assert again.exit_code == 0, again.output
        assert f"accepted 0, duplicate {total}, rejected 0" in again.output
        assert c.get("/v1/events", params={"limit": 1}).json()["head"] == head
        for name, events in examples().items():
            for subject in dict.fromkeys(e["subject"] for e in events):
                timeline = c.get(f"/v1/cases/{subject}/events").json()
                assert timeline["chain"]["valid"], (name, subject)
                expected = [e["id"] for e in events if e["subject"] == subject]
                assert [r["event"]["id"] for r in timeline["records"]] == expected
                assert [r["case_version"] for r in timeline["records"]] == list(range(1, len(expected) + 1))
        # …and an inspector can list the cases with warnings and open one with its reasons (the projections).
        breached = c.get("/v1/cases", params={"has_breach": True, "min_position": head}).json()["cases"]
        assert [v["case_id"] for v in breached] == ["IN-2026-0042"]  # its correction came after the due date
        case = c.get(f"/v1/cases/{breached[0]['case_id']}").json()
        assert case["status"] and case["deadlines"] and all(f["reason"] for f in case["findings"])


def test_post_reports_rejections_and_exits_nonzero(live_url: str, tmp_path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        line for line in (SCHEMAS / "examples" / "major_penalty.jsonl").read_text("utf-8").splitlines() if line.strip()
    ]
    path.write_text("\n".join([*lines, '{"specversion": "1.0"}']) + "\n", "utf-8")
    result = runner.invoke(cli, ["post", str(path), "--url", live_url])
    assert result.exit_code == 1
    assert f"accepted {len(lines)}, duplicate 0, rejected 1" in result.output
    assert "#/id [required]" in result.output


def test_post_says_what_to_do_when_the_service_is_not_running(tmp_path) -> None:
    path = tmp_path / "one.json"
    path.write_text('{"specversion": "1.0"}', "utf-8")
    result = runner.invoke(cli, ["post", str(path), "--url", "http://127.0.0.1:1"])
    assert result.exit_code == 2 and "esledger serve" in result.output
