"""Witnessing in a running deployment: the log submits each checkpoint it signs to the configured witnesses
from a thread of its own, a quorum makes it published, the exported bundle carries the cosignatures and
`esledger verify --witnesses` checks the policy offline. And `esledger witness serve` as a process of its own,
whose refusal of a fork survives being killed and started again. Both backends."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
from typer.testing import CliRunner

from esledger.bootstrap import bootstrap
from esledger.cli import app as cli
from esledger.settings import Settings
from esledger.transparency.cosignature import generate_witness_key, parse_witness_signer
from esledger.transparency.note import generate_signer_key
from esledger.transparency.signer import write_key_file
from esledger.transparency.witness import Witness, WitnessStore, witness_app
from esledger.transparency.witnessing import load_witness_policy
from tests.helpers import BATCH, asgi_client, body, received
from tests.transparency.live import free_port, serving
from tests.transparency.test_witness import Log, Signer, parse_signer_key

ORIGIN = "jingzhou.gov.cn/zfjd-ledger"
runner = CliRunner()


def _policy(path: Path, quorum: int, witnesses: list[tuple[str, str]]) -> Path:
    path.write_bytes(orjson.dumps({"quorum": quorum, "witnesses": [{"key": k, "url": u} for k, u in witnesses]}))
    return path


async def test_checkpoints_are_cosigned_published_exported_and_verified(database_url: str, tmp_path: Path) -> None:
    skey, log_vkey = generate_signer_key(ORIGIN)
    write_key_file(tmp_path / "log.key", skey)
    served, vkeys = [], []
    for i in (1, 2, 3):
        wskey, wvkey = generate_witness_key(f"w{i}.review.example")
        served.append(Witness(*parse_witness_signer(wskey), [log_vkey], WitnessStore(f"sqlite:///{tmp_path}/w{i}.db")))
        vkeys.append(wvkey)
    with serving(witness_app(served[0])) as u1, serving(witness_app(served[1])) as u2:
        down = "http://127.0.0.1:9"  # the third witness is unreachable: 2 of 3 still publish
        policy = _policy(tmp_path / "policy.json", 2, list(zip(vkeys, (u1, u2, down), strict=True)))
        settings = Settings(
            database_url=database_url,
            signing_key_file=tmp_path / "log.key",
            dev_key_file=tmp_path / "unused.key",
            witness_policy_file=policy,
            witness_timeout_seconds=1,
            witness_retry_seconds=0.5,
            checkpoint_interval_seconds=3600,
        )
        async with asgi_client(bootstrap(settings)) as client:  # followers and the witnessing thread run
            assert (await client.get("/v1/log/published")).status_code == 404
            events = [received(f"GR-W-{i}") for i in range(4)]
            assert (await client.post("/v1/events:batch", content=body(events), headers=BATCH)).status_code in (
                200,
                201,
            )
            size = (await client.post("/v1/checkpoints")).json()["tree_size"]
            deadline = time.monotonic() + 15
            # The start-up checkpoint (size 1) may be published first: wait for the one signed here.
            while (published := await client.get("/v1/log/published")).status_code != 200 or published.text.split("\n")[
                1
            ] != str(size):
                assert time.monotonic() < deadline, published.text
                await asyncio.sleep(0.1)
            note = published.text
            verdict = load_witness_policy(policy).evaluate(note)
            assert verdict.satisfied and verdict.cosigned_by == ("w1.review.example", "w2.review.example")
            assert (await client.get("/v1/log/checkpoint")).text == note
            while "w3.review.example" not in (outcomes := (await client.get("/v1/log/health")).json()["witnesses"]):
                assert time.monotonic() < deadline, outcomes
                await asyncio.sleep(0.1)
            assert outcomes["w1.review.example"] == f"cosigned {size}" and outcomes["w3.review.example"].startswith(
                "error"
            ), outcomes

        out = tmp_path / "bundle.json"
        exported = runner.invoke(
            cli, ["export", "--all", "--out", str(out), "--tree-size", str(size), "--database", database_url]
        )
        assert exported.exit_code == 0, exported.output
        checked = runner.invoke(cli, ["verify", str(out), "--key", log_vkey, "--witnesses", str(policy)])
        assert checked.exit_code == 0, checked.output
        assert "witness policy satisfied: 2 of 2 required" in checked.output
        strict = _policy(tmp_path / "strict.json", 3, list(zip(vkeys, (u1, u2, down), strict=True)))
        refused = runner.invoke(cli, ["verify", str(out), "--key", log_vkey, "--witnesses", str(strict)])
        assert refused.exit_code == 1 and "NOT satisfied: 2 of 3 required" in refused.output, refused.output


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        command = [str(Path(sys.executable).parent / "esledger"), *args]
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        assert process.poll() is None, log.read_text()
        try:
            httpx.get(url + "/key", timeout=1)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)


def test_witness_serve_keeps_refusing_a_fork_after_it_is_killed(database_url: str, tmp_path: Path) -> None:
    name, key = parse_signer_key(generate_signer_key(ORIGIN)[0])
    signer = Signer(name, key)
    wskey, _ = generate_witness_key("w.review.example")
    write_key_file(tmp_path / "w.key", wskey)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["witness", "serve", "--key", str(tmp_path / "w.key"), "--log", signer.verifier_key]
    args += ["--database", database_url, "--port", str(port)]
    output = tmp_path / "witness.log"
    honest, forked = Log(signer, 9, b"a"), Log(signer, 4, b"a")
    forked.grow(8, b"b")

    process = _start(args, output)
    try:
        _wait(url, process, output)
        assert httpx.post(url + "/add-checkpoint", content=honest.body(0)).status_code == 200
        assert httpx.post(url + "/add-checkpoint", content=forked.body(9)).status_code == 422
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    process = _start(args, output)
    try:
        _wait(url, process, output)
        stale = httpx.post(url + "/add-checkpoint", content=forked.body(0))
        assert (stale.status_code, stale.text) == (409, "9\n")
        assert httpx.post(url + "/add-checkpoint", content=forked.body(9)).status_code == 422
        honest.grow(2)
        assert httpx.post(url + "/add-checkpoint", content=honest.body(9)).status_code == 200
    finally:
        process.terminate()
        process.wait(10)
