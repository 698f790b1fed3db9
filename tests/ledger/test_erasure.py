"""Erasing a confidential value (a court order, retention expiry): the value and its salt leave every table and
every read, the erasure is an act on the case, and every hash chain, leaf, checkpoint, proof and bundle —
made before or after — still verifies. A value deleted or altered outside the ledger is named by
``esledger verify --live``."""

from __future__ import annotations

import asyncio
import getpass
import sqlite3
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from httpx import AsyncClient
from typer.testing import CliRunner

from esledger.bootstrap import bootstrap
from esledger.cli import app as cli
from esledger.settings import Settings
from tests.helpers import (
    CE,
    UNIT,
    accepted,
    asgi_client,
    body,
    database,
    holding,
    postgres_only,
    received,
    signed_in,
)
from tests.transparency.test_tampering import superuser

runner = CliRunner()
NAME = "张某"
ERASURE = {
    "target_version": 1,
    "pointer": "/data/complainant",
    "reason": "法院裁定删除",
    "authority": "(2026)鄂10民终1号",
}


def command(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


async def _public_key(client: AsyncClient) -> str:
    return (await client.get("/v1/checkpoints/key")).text.strip()


async def test_an_erased_value_is_gone_and_every_hash_still_verifies(
    ledger, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = ledger
    monkeypatch.setenv("ESLEDGER_DEV_KEY_FILE", str(settings.dev_key_file))  # the CLI signs with the same key
    db = settings.database_url
    opened = (await client.post("/v1/events", content=body(received("GR-E1")), headers=CE)).json()
    await client.post("/v1/events", content=body(accepted("GR-E1")), headers=CE)
    key = await _public_key(client)
    kept = (await client.post("/v1/checkpoints")).json()["checkpoint"]
    (tmp_path / "kept.checkpoint").write_text(kept, "utf-8")
    before = tmp_path / "before.bundle.json"
    assert command("export", "--case", "GR-E1", "--out", str(before), "--database", db)[0] == 0
    status = (await client.get("/v1/cases/GR-E1", params={"min_position": opened["position"]})).json()["status"]

    erased = await client.post("/v1/cases/GR-E1/erasures", json=ERASURE)
    assert erased.status_code == 201, erased.text
    act = erased.json()
    assert (act["case_version"], act["recorded_by"]) == (3, "key:tester")
    assert act["event"]["type"].endswith("case.confidential_erased") and act["event"]["data"] == ERASURE
    assert erased.headers["Location"] == "/v1/cases/GR-E1/events/3"

    with database(db) as (run, tables):
        assert holding(run, tables, NAME) == []
        assert run("SELECT case_id, case_version, pointer, erased_by FROM confidential_erasures") == [
            ("GR-E1", 1, "/data/complainant", 3)
        ]
        for statement in ("UPDATE confidential_erasures SET erased_by = 0", "DELETE FROM confidential_erasures"):
            with pytest.raises((sqlite3.IntegrityError, psycopg.errors.InsufficientPrivilege), match="append-only"):
                run(statement)

    timeline = (await client.get("/v1/cases/GR-E1/events")).json()
    first = timeline["records"][0]
    assert timeline["chain"]["valid"] and timeline["version"] == 3
    assert first["event"] == opened["event"] and first["hash"] == opened["hash"]
    assert first["confidential"] == {"/data/complainant": {"erased": {"case_version": 3}}}
    reads = [
        timeline,
        (await client.get("/v1/cases/GR-E1/events/1")).json(),
        (await client.get("/v1/events", params={"limit": 1000, "reveal": "true"})).json(),
        (await client.get("/v1/cases/GR-E1/replay", params={"min_position": act["position"]})).json(),
    ]
    assert all(NAME not in str(r) for r in reads)
    assert (await client.get("/v1/access-log")).json()["entries"] == []  # nothing was shown, nothing logged
    after = (await client.get("/v1/cases/GR-E1", params={"min_position": act["position"]})).json()
    assert after["status"] == status and after["last_act"]["act"] != "case.confidential_erased"

    code, output = command("verify", "--live", "--key", key, "--database", db)
    assert code == 0 and "OK" in output and "0 confidential values" in output, output
    assert command("verify", str(before), "--key", key)[0] == 0
    later = tmp_path / "after.bundle.json"
    assert command("export", "--case", "GR-E1", "--out", str(later), "--database", db)[0] == 0
    code, output = command("verify", str(later), "--key", key)
    assert code == 0 and NAME not in later.read_text("utf-8"), output
    assert command("export", "--all", "--out", str(later), "--database", db)[0] == 0
    assert command("verify", str(later), "--key", key)[0] == 0

    again = await client.post("/v1/cases/GR-E1/erasures", json=ERASURE)
    assert again.status_code == 409 and again.json()["type"] == "/problems/already-erased"
    assert "by version 3" in again.json()["detail"]
    code, output = command(
        "erase",
        "--case",
        "GR-E1",
        "--version",
        "1",
        "--pointer",
        "/data/complainant",
        "--reason",
        "x",
        "--database",
        db,
    )
    assert code == 2 and "erased already" in output


async def test_only_a_value_kept_apart_can_be_erased_and_only_by_a_reviewer(ledger) -> None:
    client, system = ledger
    await client.post("/v1/events", content=body(received("GR-E2")), headers=CE)
    await client.post("/v1/events", content=body(accepted("GR-E2")), headers=CE)
    refusals = {
        ("GR-E2", 2, "/data/complainant"): 404,
        ("GR-E2", 1, "/data/summary"): 404,
        ("GR-E2", 9, "/data/complainant"): 404,
        ("GR-NONE", 1, "/data/complainant"): 404,
        ("GR-E2", 1, "complainant"): 400,
    }
    for (case_id, version, pointer), status in refusals.items():
        answer = await client.post(
            f"/v1/cases/{case_id}/erasures", json=ERASURE | {"target_version": version, "pointer": pointer}
        )
        assert answer.status_code == status, (case_id, version, pointer, answer.text)
    assert (
        "keeps no confidential value at /data/complainant"
        in (await client.post("/v1/cases/GR-E2/erasures", json=ERASURE | {"target_version": 2})).json()["detail"]
    )
    assert (await client.post("/v1/cases/GR-E2/erasures", json={"target_version": 1})).status_code == 400
    as_text = await client.post("/v1/cases/GR-E2/erasures", json=ERASURE | {"target_version": "1"})
    assert as_text.status_code == 400 and "target_version" in as_text.text  # a version is a JSON integer
    for grants in ([{"role": "inspector", "units": [UNIT["code"]]}], [{"role": "supervisor", "units": [UNIT["code"]]}]):
        headers = await signed_in(system, f"e2-{grants[0]['role']}", grants)
        assert (await client.post("/v1/cases/GR-E2/erasures", json=ERASURE, headers=headers)).status_code == 403
    assert (await client.get("/v1/cases/GR-E2/events")).json()["version"] == 2


async def test_the_command_line_erases_as_the_operating_system_user(ledger, settings: Settings) -> None:
    client, _ = ledger
    await client.post("/v1/events", content=body(received("GR-E3")), headers=CE)
    code, output = command(
        "erase", "--case", "GR-E3", "--version", "1", "--pointer", "/data/complainant",
        "--reason", "保存期限届满", "--database", settings.database_url,
    )  # fmt: skip
    assert code == 0, output
    timeline = (await client.get("/v1/cases/GR-E3/events")).json()
    erasure = timeline["records"][1]
    assert erasure["recorded_by"] == f"cli:{getpass.getuser()}" and erasure["event"]["data"]["reason"] == "保存期限届满"
    assert "authority" not in erasure["event"]["data"] and timeline["chain"]["valid"]


async def test_after_erasure_a_repost_of_the_original_is_still_a_duplicate(ledger) -> None:
    client, _ = ledger
    event = received("GR-E4", id="e4")
    original = (await client.post("/v1/events", content=body(event), headers=CE)).json()
    assert (await client.post("/v1/cases/GR-E4/erasures", json=ERASURE)).status_code == 201
    again = await client.post("/v1/events", content=body(event), headers=CE)
    assert again.status_code == 200 and again.json() == original
    changed = event | {"data": event["data"] | {"summary": "另一内容"}}
    assert (await client.post("/v1/events", content=body(changed), headers=CE)).status_code == 409


async def test_concurrent_erasures_of_one_value_erase_it_once(ledger) -> None:
    client, _ = ledger
    await client.post("/v1/events", content=body(received("GR-E8")), headers=CE)
    async with asyncio.timeout(60):
        answers = await asyncio.gather(*(client.post("/v1/cases/GR-E8/erasures", json=ERASURE) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    timeline = (await client.get("/v1/cases/GR-E8/events")).json()
    assert timeline["version"] == 2 and timeline["chain"]["valid"]


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ('UPDATE confidential_values SET value = \'{"kind":"natural_person","name":"假名"}\'', "does not match"),
        ("DELETE FROM confidential_values", "gone and no erasure of it is recorded"),
        ("INSERT INTO confidential_values VALUES ('GR-E5', 1, '/data/summary', %s, '\"x\"')", "which no event seals"),
    ],
    ids=["altered", "deleted", "added"],
)
async def test_a_value_changed_outside_the_ledger_is_named_by_verify_live(
    ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch, tamper: str, named: str
) -> None:
    client, _ = ledger
    monkeypatch.setenv("ESLEDGER_DEV_KEY_FILE", str(settings.dev_key_file))
    await client.post("/v1/events", content=body(received("GR-E5")), headers=CE)
    key = await _public_key(client)
    assert (await client.post("/v1/checkpoints")).status_code == 201
    assert command("verify", "--live", "--key", key, "--database", settings.database_url)[0] == 0
    with superuser(settings.database_url) as (run, _, _):
        run(tamper, (b"\0" * 16,) if "%s" in tamper else ())
    code, output = command("verify", "--live", "--key", key, "--database", settings.database_url)
    assert code == 1 and "GR-E5" in output and named in output, output


@postgres_only
async def test_the_service_role_may_delete_only_an_erased_value(database_url: str, tmp_path: Path) -> None:
    role = f"esledger_app_{uuid.uuid4().hex[:8]}"
    assert command("db", "grant", role, "--password", "s3cret", "--database", database_url)[0] == 0
    parts = urlsplit(database_url)
    as_app = f"postgresql://{role}:s3cret@{parts.hostname}:{parts.port}{parts.path}?{parts.query}&create_tables=false"
    schema = parts.query.removeprefix("schema=")
    try:
        system = bootstrap(Settings(database_url=as_app, dev_key_file=tmp_path / "k"))
        async with asgi_client(system) as client:
            for case_id in ("GR-E6", "GR-E7"):
                assert (await client.post("/v1/events", content=body(received(case_id)), headers=CE)).status_code == 201
            assert (await client.post("/v1/cases/GR-E6/erasures", json=ERASURE)).status_code == 201
        with psycopg.connect(as_app.split("?")[0], autocommit=True) as conn:  # the role itself, directly
            for statement in (
                "DELETE FROM {s}.confidential_values",
                "UPDATE {s}.confidential_values SET value = value",
                "TRUNCATE {s}.confidential_values",
                "DELETE FROM {s}.confidential_erasures",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement.format(s=schema))
            assert conn.execute(f"SELECT case_id FROM {schema}.confidential_values").fetchall() == [("GR-E7",)]
    finally:
        with psycopg.connect(database_url.split("?")[0], autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
