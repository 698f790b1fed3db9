"""N threads posting over real HTTP: nothing lost, nothing duplicated, every chain intact."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.helpers import CE, body, ce, received

THREADS = 8
PER_THREAD = 12


def _note(subject: str, thread: int, n: int) -> dict:
    return ce(
        "case.commendation_granted",
        subject,
        {
            "recipient_unit": {"code": f"U{thread}", "name": "沙市区政务数据局"},
            "reason": f"线程{thread}第{n}次",
            "granted_by": {"code": "JZ", "name": "荆州市政务数据局"},
        },
        id=f"c-{subject}-{thread}-{n}",
    )


def _post_all(url: str, events: list[dict]) -> list[int]:
    with httpx.Client(base_url=url, timeout=60) as c:
        return [c.post("/v1/events", content=body(e), headers=CE).status_code for e in events]


def _all_records(url: str) -> list[dict]:
    out, after = [], 0
    with httpx.Client(base_url=url) as c:
        while True:
            page = c.get("/v1/events", params={"after": after, "limit": 1000}).json()
            if not page["records"]:
                return out
            out += page["records"]
            after = page["next_after"]


def test_threads_posting_to_one_case(live_url: str) -> None:
    with httpx.Client(base_url=live_url) as c:
        assert c.post("/v1/events", content=body(received("GR-T1")), headers=CE).status_code == 201
    batches = [[_note("GR-T1", t, n) for n in range(PER_THREAD)] for t in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = [s for result in pool.map(lambda b: _post_all(live_url, b), batches) for s in result]
    assert statuses == [201] * THREADS * PER_THREAD
    with httpx.Client(base_url=live_url) as c:
        timeline = c.get("/v1/cases/GR-T1/events").json()
    assert timeline["chain"]["valid"]
    records = timeline["records"]
    assert [r["case_version"] for r in records] == list(range(1, 1 + THREADS * PER_THREAD + 1))
    assert len({r["event"]["id"] for r in records}) == len(records)
    assert [r["position"] for r in records] == sorted(r["position"] for r in records)


def test_threads_posting_to_many_cases(live_url: str) -> None:
    def work(t: int) -> list[int]:
        subject = f"GR-T2-{t}"
        return _post_all(live_url, [received(subject)] + [_note(subject, t, n) for n in range(PER_THREAD)])

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = [s for result in pool.map(work, range(THREADS)) for s in result]
    assert statuses == [201] * THREADS * (PER_THREAD + 1)
    feed = _all_records(live_url)
    assert len(feed) == THREADS * (PER_THREAD + 1)
    assert len({r["position"] for r in feed}) == len(feed)
    assert [r["position"] for r in feed] == sorted(r["position"] for r in feed)
    with httpx.Client(base_url=live_url) as c:
        for t in range(THREADS):
            timeline = c.get(f"/v1/cases/GR-T2-{t}/events").json()
            assert timeline["chain"]["valid"] and timeline["version"] == PER_THREAD + 1
