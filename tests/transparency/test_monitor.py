"""The monitor, once-mode, against the embedded ledger over real HTTP on both backends: clean while the log
is honest; after the database is edited behind the log's back (a record rewritten, a record removed) it
re-derives the leaves from the public feed, names the leaf and the checkpoint, and exits 1."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
from typer.testing import CliRunner

from esledger.cli import app as cli
from esledger.settings import Settings
from tests.helpers import BATCH, body, live_headers, received
from tests.transparency.test_tampering import change_payload_byte, delete_row, superuser

runner = CliRunner()


def _monitor(url: str, key: str, state: Path) -> tuple[int, str]:
    result = runner.invoke(cli, ["monitor", "--once", "--url", url, "--log-key", key, "--state", str(state)])
    return result.exit_code, result.output


def _ledger(live_url: str, n: int) -> tuple[str, list[dict]]:
    with httpx.Client(base_url=live_url, headers=live_headers()) as c:
        posted = c.post("/v1/events:batch", content=body([received(f"GR-MON-{i}") for i in range(n)]), headers=BATCH)
        assert posted.status_code in (200, 201), posted.text
        assert c.post("/v1/checkpoints").status_code == 201
        key = c.get("/v1/checkpoints/key").text
        records = c.get("/v1/events", params={"limit": 1000}).json()["records"]
    return key, records


def test_an_honest_log_passes_and_a_rewritten_record_is_named(
    live_url: str, settings: Settings, tmp_path: Path
) -> None:
    key, records = _ledger(live_url, 6)
    state = tmp_path / "monitor.json"
    code, output = _monitor(live_url, key, state)
    assert code == 0, output
    assert "re-derived from the feed give the signed root" in output
    code, output = _monitor(live_url, key, state)  # again, checked against the kept checkpoint
    assert code == 0, output
    kept = orjson.loads(state.read_bytes())["checkpoints"]
    assert kept and kept[-1]["size"] >= 6

    target = records[-3]
    with superuser(settings.database_url) as (run, table, col):
        change_payload_byte(run, table, col, target["position"])
    code, output = _monitor(live_url, key, tmp_path / "fresh.json")
    assert code == 1, output
    assert "ALERT REWRITE" in output and f"position {target['position']}" in output and "GR-MON-3" in output
    size = kept[-1]["size"]
    assert f"size {size} root {kept[-1]['root']}" in output
    code, output = _monitor(live_url, key, state)  # the long-running monitor's state sees it too
    assert code == 1 and f"position {target['position']}" in output, output


def test_a_removed_record_is_named(live_url: str, settings: Settings, tmp_path: Path) -> None:
    key, records = _ledger(live_url, 5)
    state = tmp_path / "monitor.json"
    assert _monitor(live_url, key, state)[0] == 0
    removed = records[-1]
    with superuser(settings.database_url) as (run, table, col):
        delete_row(run, table, col, removed["position"])
    code, output = _monitor(live_url, key, state)
    assert code == 1, output
    assert "MISSING ENTRIES" in output or "MISSING ENTRY" in output, output
    assert str(orjson.loads(state.read_bytes())["checkpoints"][-1]["size"]) in output


def test_an_unreachable_log_is_an_error_not_an_alert(tmp_path: Path) -> None:
    from esledger.transparency.note import generate_signer_key

    key = generate_signer_key("log.example")[1]
    code, output = _monitor("http://127.0.0.1:9", key, tmp_path / "s.json")
    assert code == 2, output
    code, output = _monitor("http://127.0.0.1:9", "not a key", tmp_path / "s.json")
    assert code == 2 and "--log-key" in output, output


def test_continuous_mode_runs_rounds_until_an_alert() -> None:
    from esledger.transparency.monitor import Round, run

    rounds = iter([Round(size=1), Round(size=2), Round(size=2, alerts=["FORK: …"])])

    class Rounds:
        def check_once(self) -> Round:
            return next(rounds)

    seen: list[Round] = []
    assert run(Rounds(), once=False, interval=0, report=seen.append) == 1  # type: ignore[arg-type]
    assert [r.size for r in seen] == [1, 2, 2]
    clean = iter([Round(size=3)])

    class Once:
        def check_once(self) -> Round:
            return next(clean)

    assert run(Once(), once=True, interval=0, report=seen.append) == 0  # type: ignore[arg-type]


class _Log:
    """A log the monitor reads without HTTP: records, the tree of their leaves, its tiles and checkpoint."""

    def __init__(self, signer, records: list[dict]) -> None:
        from esledger.transparency.leaf import record_leaf_hash
        from esledger.transparency.merkle import MemoryTree

        self.signer, self.records = signer, records
        self.tree = MemoryTree(record_leaf_hash(r) for r in records)

    def checkpoint(self) -> str:
        from esledger.transparency import merkle

        return self.signer.checkpoint(self.tree.size, merkle.root(self.tree.size, self.tree))

    def tile(self, tile) -> bytes:
        return b"".join(self.tree.node(8 * tile.level, tile.start + i) for i in range(tile.width))

    def feed(self):
        yield from self.records


def test_a_rolled_back_log_and_a_stale_checkpoint(tmp_path: Path) -> None:
    from esledger.transparency.monitor import Monitor
    from esledger.transparency.note import generate_signer_key, parse_signer_key
    from esledger.transparency.signer import Signer

    signer = Signer(*parse_signer_key(generate_signer_key("log.example")[0]))
    records = [{"position": i + 1, "case_id": f"GR-{i}", "case_version": 1} for i in range(10)]
    state = tmp_path / "m.json"
    early, full = _Log(signer, records[:6]), _Log(signer, records)
    assert Monitor(early, signer.verifier_key, state).check_once().alerts == []  # type: ignore[arg-type]
    assert Monitor(full, signer.verifier_key, state).check_once().alerts == []  # type: ignore[arg-type]
    stale = Monitor(early, signer.verifier_key, state).check_once()  # type: ignore[arg-type]
    assert stale.alerts == [] and "older than size 10" in stale.notes[0]
    rolled = _Log(signer, [*records[:8]])
    [alert] = Monitor(rolled, signer.verifier_key, state).check_once().alerts  # type: ignore[arg-type]
    assert alert.startswith("ROLLBACK") and "size 8" in alert and "size 10" in alert
