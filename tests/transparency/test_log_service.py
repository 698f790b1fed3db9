"""The Merkle log over the real ledger, on both backends: checkpoints, proofs over HTTP, bundles."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest
from httpx import AsyncClient
from typer.testing import CliRunner

from esledger.cli import app as cli
from esledger.transparency import merkle
from esledger.transparency.checkpoint import verify_checkpoint
from esledger.transparency.leaf import record_leaf_hash
from tests.helpers import CE, body, examples

runner = CliRunner()


def _b(text: str) -> bytes:
    return base64.b64decode(text)


async def test_every_event_is_a_leaf_in_commit_order_and_proofs_verify(
    system: AsyncClient, posted_examples: list[dict]
) -> None:
    first = (await system.post("/v1/checkpoints")).json()
    key = (await system.get("/v1/checkpoints/key")).text.strip()
    signed = verify_checkpoint(first["checkpoint"], key)
    principals = system.start_head_entries  # type: ignore[attr-defined]  # the principals the test set up
    assert signed.size == principals + len(posted_examples) == first["tree_size"]
    assert (await system.get("/v1/checkpoints/latest")).text == first["checkpoint"]
    for index, record in enumerate(posted_examples, start=principals):
        proof = (
            await system.get("/v1/proofs/inclusion", params={"position": record["position"], "tree_size": signed.size})
        ).json()
        assert proof["leaf_index"] == index
        assert _b(proof["leaf_hash"]) == record_leaf_hash(record)
        merkle.verify_inclusion(
            record_leaf_hash(record), index, signed.size, [_b(h) for h in proof["inclusion_path"]], signed.root
        )
    more = await system.post(
        "/v1/events", content=body(examples()["grievance.jsonl"][0] | {"id": "again-1", "subject": "GR-X"}), headers=CE
    )
    assert more.status_code == 201
    second = verify_checkpoint((await system.post("/v1/checkpoints")).json()["checkpoint"], key)
    assert second.size == signed.size + 1
    proof = (await system.get("/v1/proofs/consistency", params={"from": signed.size, "to": second.size})).json()
    merkle.verify_consistency(
        signed.size, second.size, signed.root, second.root, [_b(h) for h in proof["consistency_path"]]
    )
    history = (await system.get("/v1/checkpoints")).json()["checkpoints"]
    assert [c["tree_size"] for c in history[:2]] == [second.size, signed.size]


@pytest.mark.usefixtures("posted_examples")
async def test_proof_requests_outside_the_log_are_problems(system: AsyncClient) -> None:
    size = (await system.post("/v1/checkpoints")).json()["tree_size"]
    assert (await system.get("/v1/proofs/consistency", params={"from": 1, "to": size + 5})).status_code == 400
    assert (await system.get("/v1/proofs/inclusion", params={"position": 10**9})).status_code == 404


@pytest.mark.usefixtures("posted_examples")
async def test_a_case_bundle_verifies_offline_with_only_the_public_key(
    system: AsyncClient, settings, tmp_path: Path, monkeypatch
) -> None:
    key = (await system.get("/v1/checkpoints/key")).text.strip()
    monkeypatch.setenv("ESLEDGER_DEV_KEY_FILE", str(settings.dev_key_file))
    out = tmp_path / "case.bundle.json"
    exported = runner.invoke(
        cli, ["export", "--case", "IN-2026-0042", "--out", str(out), "--database", settings.database_url]
    )
    assert exported.exit_code == 0, exported.output
    (tmp_path / "log.pub").write_text(key)
    checked = runner.invoke(cli, ["verify", str(out), "--key", str(tmp_path / "log.pub")])
    assert checked.exit_code == 0, checked.output
    assert "OK: 19 events" in checked.output
    wrong = runner.invoke(cli, ["verify", str(out), "--key", key.replace(key.split("+")[0], "other.example/log")])
    assert wrong.exit_code == 1 and "FAIL checkpoint" in wrong.output
    bundle = orjson.loads(out.read_bytes())
    bundle["entries"][3]["record"]["event"]["data"]["case_files"] = ["改过的案卷"]
    out.write_bytes(orjson.dumps(bundle))
    altered = runner.invoke(cli, ["verify", str(out), "--key", key])
    assert altered.exit_code == 1
    position = bundle["entries"][3]["record"]["position"]
    assert f"FAIL position {position} (case 'IN-2026-0042' version 4): leaf hash recomputed" in altered.output
    assert "case 'IN-2026-0042' version 4: hash chain" in altered.output


async def test_a_reviewer_who_kept_an_earlier_checkpoint_can_tell_nothing_signed_then_changed(
    system: AsyncClient, posted_examples: list[dict], settings, tmp_path: Path, monkeypatch
) -> None:
    key = (await system.get("/v1/checkpoints/key")).text.strip()
    kept = (await system.post("/v1/checkpoints")).json()
    (tmp_path / "kept.checkpoint").write_text(kept["checkpoint"])
    extra = examples()["grievance.jsonl"][0] | {"id": "later-1", "subject": "GR-LATER"}
    assert (await system.post("/v1/events", content=body(extra), headers=CE)).status_code == 201
    monkeypatch.setenv("ESLEDGER_DEV_KEY_FILE", str(settings.dev_key_file))
    out = tmp_path / "since.bundle.json"
    args = ["export", "--case", "GR-LATER", "--out", str(out), "--database", settings.database_url]
    assert runner.invoke(cli, args).exit_code == 0

    unproven = runner.invoke(cli, ["verify", str(out), "--key", key, "--checkpoint", str(tmp_path / "kept.checkpoint")])
    assert unproven.exit_code == 1 and f"--since-size {kept['tree_size']}" in unproven.output

    assert runner.invoke(cli, [*args, "--since-size", str(kept["tree_size"])]).exit_code == 0
    proven = runner.invoke(cli, ["verify", str(out), "--key", key, "--checkpoint", str(tmp_path / "kept.checkpoint")])
    assert proven.exit_code == 0, proven.output

    bundle = orjson.loads(out.read_bytes())
    path = bundle["since"]["consistency_path"]
    path[0] = base64.b64encode(bytes(32)).decode()
    out.write_bytes(orjson.dumps(bundle))
    broken = runner.invoke(cli, ["verify", str(out), "--key", key, "--checkpoint", str(tmp_path / "kept.checkpoint")])
    assert broken.exit_code == 1 and f"FAIL consistency from checkpoint {kept['tree_size']}" in broken.output


async def test_a_proofs_nodes_are_read_in_one_query_on_each_backend(
    system: AsyncClient, posted_examples: list[dict]
) -> None:
    """The nodes a proof needs come from one query (``reading(needed)``): none is read on its own after it."""
    size = (await system.post("/v1/checkpoints")).json()["tree_size"]
    log = system._transport.app.state.system.storage.merkle.get()  # type: ignore[attr-defined]
    needed = merkle.root_nodes(size) + merkle.inclusion_nodes(size // 2, size) + merkle.consistency_nodes(3, size)
    with log.reading(needed) as reader:
        assert set(reader.known) == set(needed)  # type: ignore[attr-defined]
        stored = dict(reader.known)  # type: ignore[attr-defined]
        reader.known.clear()  # type: ignore[attr-defined]
        assert all(reader.node(level, index) == h for (level, index), h in stored.items())
