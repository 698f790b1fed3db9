"""Each role runs alone and does only its part: a ledger-only process appends but neither projects nor
sequences, a log-only process integrates, a projections-only process follows; each role's OpenAPI document
lists only the routes it serves. Followers coalesce a burst of appends into few steps."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from esledger.bootstrap import ROLES, Role, Storage, System, bootstrap
from esledger.core.following import Follower
from esledger.settings import Settings
from esledger.web.app import create_app
from tests.helpers import CE, accepted, asgi_client, body, received

LEDGER_ONLY = {
    ("post", "/v1/events"),
    ("get", "/v1/events"),
    ("get", "/v1/ledger/health"),
    ("get", "/v1/principals"),
    ("get", "/v1/checkpoints/latest"),
    ("get", "/v1/proofs/inclusion"),
}
PROJECTIONS_ONLY = {("get", "/v1/cases"), ("get", "/v1/cases/{case_id}"), ("get", "/v1/projections/health")}
LOG_ONLY = {("post", "/v1/checkpoints"), ("get", "/v1/checkpoints/key"), ("get", "/v1/log/health")}
EVERY_ROLE = {("get", "/healthz"), ("get", "/problems/{slug}")}


def operations(settings: Settings, role: Role) -> set[tuple[str, str]]:
    document = create_app(bootstrap(settings, role=role, follow=False)).openapi()
    return {(method, path) for path, item in document["paths"].items() for method in item}


def test_each_role_documents_only_its_own_routes(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/unused.sqlite3", dev_key_file=tmp_path / "dev.key")
    served = {role: operations(settings, role) for role in ROLES}
    own = {"ledger": LEDGER_ONLY, "projections": PROJECTIONS_ONLY, "log": LOG_ONLY}
    for role, routes in own.items():
        assert routes | EVERY_ROLE <= served[role], role
        others = set().union(*(r for other, r in own.items() if other != role))
        assert not others & served[role], f"{role} serves {sorted(others & served[role])}"
    assert served["all"] == served["ledger"] | served["projections"] | served["log"]
    assert not (tmp_path / "unused.sqlite3").exists()  # building a role touches no database


def _positions(database_url: str) -> tuple[int, int]:
    """The read model's and the Merkle log's positions, read as an outsider."""
    storage = Storage(Settings(database_url=database_url))
    try:
        return storage.read_model.get().position(), storage.merkle.get().position()
    finally:
        storage.close()


def _until(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


@contextmanager
def running(settings: Settings, role: Role) -> Iterator[System]:
    system = bootstrap(settings, role=role)
    system.start()
    try:
        yield system
    finally:
        system.close()


async def test_each_role_does_its_part_alone(settings: Settings) -> None:
    url = settings.database_url
    ledger = bootstrap(settings, role="ledger")
    assert ledger.followers == [] and ledger.sequencer is None and ledger.projections is None
    async with asgi_client(ledger) as client:
        for n in range(5):
            for event in (received(f"GR-ROLE-{n}"), accepted(f"GR-ROLE-{n}")):
                assert (await client.post("/v1/events", content=body(event), headers=CE)).status_code == 201
        head = (await client.get("/v1/ledger/health")).json()["head"]
        await asyncio.sleep(0.5)
        assert _positions(url) == (0, 0), "the ledger role projected or sequenced"
        assert (await client.post("/v1/checkpoints")).status_code == 405  # signing is the log role's
        assert (await client.get("/v1/checkpoints/key")).status_code == 404
        assert (await client.get("/healthz")).json() == {"status": "ok", "role": "ledger"}

        with running(settings, "log") as log:
            assert [f.name for f in log.followers] == ["sequencer"] and log.ledger is None
            _until(lambda: _positions(url)[1] == head, "the log role integrated the ledger")
            sequencer = log.sequencer
            assert sequencer is not None
            # its own count is updated once its commit has returned: a moment after the table shows it
            _until(lambda: sequencer.integrated == sequencer.health()["tree_size"], "the sequencer counted it")
            # the checkpoint it signed is what the ledger role serves
            _until(lambda: log.sequencer is not None and log.sequencer.health()["checkpoint"] is not None, "signed")
        latest = await client.get("/v1/checkpoints/latest")
        assert latest.status_code == 200 and "\n— " in latest.text
        assert _positions(url)[0] == 0, "the log role projected"

        with running(settings, "projections") as projections:
            assert [f.name for f in projections.followers] == ["projection"] and projections.ledger is None
            _until(lambda: _positions(url)[0] == head, "the projections role followed the ledger")
        assert _positions(url) == (head, head)


def test_a_follower_gathers_a_burst_of_wakeups_into_one_step() -> None:
    """Fifty appends signalled within a few milliseconds: the follower, woken by the first, waits out its
    gather window and applies them in one step (its polling interval is long, so only the hints wake it)."""
    lock, pending, steps = threading.Lock(), [0], []

    def advance() -> int:
        with lock:
            n, pending[0] = pending[0], 0
        if n:
            steps.append(n)
        return n

    follower = Follower("burst", advance, interval=30, gather=0.3)
    follower.start()
    try:
        time.sleep(0.05)  # idle: waiting for a hint
        for _ in range(50):
            with lock:
                pending[0] += 1
            follower.notify()
            time.sleep(0.001)
        _until(lambda: sum(steps) == 50, "the follower applied the burst", timeout=5)
    finally:
        follower.stop()
    assert steps == [50]


def test_a_follower_stops_gathering_once_enough_wakeups_arrived() -> None:
    """The gather window is bounded by a count too: with ``gather_max`` wake-ups it steps at once."""
    steps: list[float] = []

    def advance() -> int:
        steps.append(time.monotonic())
        return 0

    follower = Follower("enough", advance, interval=30, gather=30, gather_max=4)
    follower.start()
    try:
        _until(lambda: len(steps) == 1, "the first step", timeout=5)
        for _ in range(4):  # one wakes it, three more fill the window
            follower.notify()
        _until(lambda: len(steps) == 2, "a step without waiting out the window", timeout=5)
    finally:
        follower.stop()


async def test_a_burst_of_appends_costs_the_sequencer_few_integrations(settings: Settings) -> None:
    """Appends from many clients at once, through a ledger-only process; a log-only process beside it. Every
    entry is integrated exactly once, in far fewer transactions than appends (each append wakes it, on
    PostgreSQL by NOTIFY; it gathers for ``sequencer_gather_seconds``, then integrates all that is pending)."""
    burst, clients = 120, 4
    async with asgi_client(bootstrap(settings, role="ledger")) as client:
        with running(settings.model_copy(update={"sequencer_gather_seconds": 0.2}), "log") as log:
            sequencer = log.sequencer
            assert sequencer is not None
            _until(lambda: sequencer.health()["lag"] == 0, "the log integrated the principals")
            before = sequencer.integrations, sequencer.integrated

            async def post(client_no: int) -> None:  # each client posts its share one after another
                for n in range(client_no, burst, clients):
                    event = received(f"GR-BURST-{n}")
                    response = await client.post("/v1/events", content=body(event), headers=CE)
                    assert response.status_code == 201, response.text

            await asyncio.gather(*(post(c) for c in range(clients)))
            _until(lambda: sequencer.health()["lag"] == 0, "the log integrated the burst")
            integrations, integrated = sequencer.integrations - before[0], sequencer.integrated - before[1]
    assert integrated == burst
    assert integrations <= burst // 6, f"{integrations} integrations for {burst} appends"


def test_the_compose_file_runs_each_role_as_its_own_service_on_loopback_ports() -> None:
    """docker-compose.yml: every esledger service's command is one the CLI accepts, the three roles each run
    once, ports are published on 127.0.0.1 only, and only the log holds the signing key."""
    import typer.main
    import yaml

    from esledger.cli import app as cli

    compose = yaml.safe_load((Path(__file__).parents[1] / "docker-compose.yml").read_text())
    serve = typer.main.get_command(cli).commands["serve"]  # type: ignore[attr-defined]
    roles = {}
    for name, service in compose["services"].items():
        if name == "postgres":
            continue
        program, command, *args = service["command"]
        assert (program, command) == ("esledger", "serve"), name
        roles[name] = serve.make_context("serve", list(args)).params["role"]
        assert all(port.startswith("127.0.0.1:") for port in service["ports"]), name
        holds_key = "ESLEDGER_SIGNING_KEY_FILE" in service["environment"]
        assert holds_key == (roles[name] == "log"), name
    assert sorted(roles.values()) == ["ledger", "log", "projections"]
