"""``/metrics``: what happened in requests (append latency, group sizes, rejections by problem type) and what
the database holds at scrape time (lags, checkpoint age, deadlines and findings, the pool), per app."""

from __future__ import annotations

from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.concurrency import run_in_threadpool

from esledger.bootstrap import bootstrap
from esledger.core.database import is_postgres
from esledger.projections.projection import catch_up
from esledger.settings import Settings
from esledger.web.metrics import NAMES
from tests.conftest import FakeClock
from tests.helpers import AFTER_EXAMPLES, BATCH, CE, accepted, asgi_client, body, ce, received

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


async def test_requests_groups_lags_and_read_model_are_measured(settings: Settings, clock: FakeClock) -> None:
    clock.set(AFTER_EXAMPLES)
    system = bootstrap(settings, clock=clock, follow=False)
    async with asgi_client(system) as client:
        assert (await client.post("/v1/events", content=body(received("GR-M1")), headers=CE)).status_code == 201
        batch = [received("GR-M2"), accepted("GR-M2"), received("GR-M3")]
        assert (await client.post("/v1/events:batch", content=body(batch), headers=BATCH)).status_code == 201
        bad = ce("grievance.received", "GR-M4", {"channel": "letter"})
        assert (await client.post("/v1/events", content=body(bad), headers=CE)).status_code == 422
        assert (await client.get("/v1/cases/GR-M1/events", headers={"Authorization": "Bearer x"})).status_code == 401
        clock.set((clock.now + timedelta(seconds=30)).isoformat())

        samples = await scrape(client)
        assert value(samples, "esledger_append_seconds_count", route="/v1/events") == 2
        assert value(samples, "esledger_append_seconds_count", route="/v1/events:batch") == 1
        assert value(samples, "esledger_rejected_requests_total", problem="validation-failed") == 1
        assert value(samples, "esledger_rejected_requests_total", problem="unauthenticated") == 1
        assert value(samples, "esledger_http_requests_total", method="POST", route="/v1/events", status="422") == 1
        # Three groups were committed (the 422 never reached the group commit): one, three and one event
        # (the first is the tester's registration, made before the app's first request).
        assert value(samples, "esledger_group_commit_events_sum") >= 4
        assert value(samples, "esledger_append_batch_events_bucket", le="2.0") < value(
            samples, "esledger_append_batch_events_bucket", le="5.0"
        )
        assert value(samples, "esledger_database_up") == 1
        head = (await client.get("/v1/events", params={"limit": 1000})).json()["head"]
        # Nothing follows the ledger here: every event is pending, the oldest recorded 30 s ago.
        assert value(samples, "esledger_projection_lag_events") == head
        assert value(samples, "esledger_projection_lag_seconds") == 30
        assert value(samples, "esledger_sequencer_lag_events") == head
        assert ("esledger_checkpoint_age_seconds", frozenset()) not in samples
        pool = ("esledger_db_pool", frozenset({("stat", "pool_max")}))
        assert (pool in samples) == is_postgres(settings.database_url)
        if pool in samples:
            assert samples[pool] >= 1

        assert (await client.post("/v1/checkpoints")).status_code == 201
        clock.set((clock.now + timedelta(seconds=12)).isoformat())
        projections = system.projections
        assert projections is not None
        store, read_model = system.storage.store.get(), system.storage.read_model.get()
        await run_in_threadpool(catch_up, store, read_model, projections.projector)

        samples = await scrape(client)
        assert value(samples, "esledger_checkpoint_age_seconds") == 12
        assert value(samples, "esledger_checkpoint_tree_size") >= 4  # the case entries (principals are none)
        assert value(samples, "esledger_sequencer_lag_events") == 0
        assert value(samples, "esledger_projection_lag_events") == 0
        assert value(samples, "esledger_projection_lag_seconds") == 0
        deadlines = {k: v for k, v in samples.items() if k[0] == "esledger_deadlines"}
        assert deadlines and sum(deadlines.values()) >= 3  # every grievance has its deadlines
        # Received in September, seen in late November: each grievance has missed a deadline.
        assert value(samples, "esledger_cases_in_breach") == 3
        assert sum(v for (_, labels), v in deadlines.items() if ("level", "red") in labels) >= 3
        exposed = {name for name, _ in samples} | {name + "_total" for name, _ in samples}
        exposed |= {name.removesuffix(end) for name, _ in samples for end in ("_count", "_sum", "_bucket")}
        missing = set(NAMES) - exposed
        assert missing == (set() if is_postgres(settings.database_url) else {"esledger_db_pool"})


async def test_metrics_need_an_operator(settings: Settings) -> None:
    async with asgi_client(bootstrap(settings, follow=False), authenticated=False) as client:
        response = await client.get("/metrics")
        assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
