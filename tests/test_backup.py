"""Backup and restore as the README gives it, with the real tools: ``pg_dump -Fc``, ``pg_restore`` into a new
database, then ``esledger verify --live --key … --checkpoint KEPT``. A restore that lost entries the kept
checkpoint covers fails, naming both sizes."""

from __future__ import annotations

import glob
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from esledger.bootstrap import bootstrap
from esledger.cli import app as cli
from esledger.settings import Settings
from esledger.transparency.note import generate_signer_key
from esledger.transparency.signer import write_key_file
from tests.conftest import ADMIN_URL, FakeClock, _with_database
from tests.helpers import AFTER_EXAMPLES, BATCH, asgi_client, body, received

pytestmark = pytest.mark.postgres
TOOLS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))


def tool(name: str) -> str:
    if not TOOLS:
        pytest.fail("pg_dump/pg_restore not found under /usr/lib/postgresql/*/bin")
    return f"{TOOLS[-1]}/{name}"


@pytest.fixture
def databases() -> Iterator[list[str]]:
    """Three new databases (the live one, a restore, an older restore), dropped afterwards."""
    names = [f"esledger_backup_{uuid.uuid4().hex[:8]}_{n}" for n in range(3)]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    yield [_with_database(ADMIN_URL, name) for name in names]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(*args: str) -> None:
    subprocess.run(args, check=True, timeout=60, capture_output=True)


def verify(url: str, key: str, kept: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", "--live", "--key", key, "--checkpoint", str(kept), "--database", url])
    return result.exit_code, result.output


async def test_a_restored_database_verifies_against_the_kept_checkpoint_and_a_stale_one_fails(
    databases: list[str], tmp_path: Path
) -> None:
    live, restored, older = databases
    signer, public = generate_signer_key("backup.test/log")
    write_key_file(tmp_path / "log.key", signer)
    settings = Settings(database_url=live, signing_key_file=tmp_path / "log.key", dev_key_file=tmp_path / "dev.key")
    async with asgi_client(bootstrap(settings, clock=FakeClock(AFTER_EXAMPLES), follow=False)) as client:
        first = [received(f"GR-B{n}") for n in range(3)]
        posted = await client.post("/v1/events:batch", content=body(first), headers=BATCH)
        assert posted.status_code == 201
        earlier = (await client.post("/v1/checkpoints")).json()["tree_size"]
        run(tool("pg_dump"), "-Fc", "-f", str(tmp_path / "older.dump"), live)  # a backup before the kept one
        more = [received(f"GR-B{n}") for n in range(3, 5)]
        assert (await client.post("/v1/events:batch", content=body(more), headers=BATCH)).status_code == 201
        kept = (await client.post("/v1/checkpoints")).json()
    (tmp_path / "kept.txt").write_text(kept["checkpoint"], encoding="utf-8")  # what a reviewer keeps
    size = kept["tree_size"]
    assert size == earlier + 2

    run(tool("pg_dump"), "-Fc", "-f", str(tmp_path / "ledger.dump"), live)
    run(tool("pg_restore"), "--no-owner", "-d", restored, str(tmp_path / "ledger.dump"))
    code, output = verify(restored, public, tmp_path / "kept.txt")
    assert code == 0, output
    assert f"checkpoints (latest {size})" in output

    run(tool("pg_restore"), "--no-owner", "-d", older, str(tmp_path / "older.dump"))
    code, output = verify(older, public, tmp_path / "kept.txt")
    assert code == 1, output
    assert f"kept checkpoint {size}: the kept checkpoint has {size} entries, the log only {earlier}: 2" in output
