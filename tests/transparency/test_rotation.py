"""The log's signing key cannot change silently: a process that signs refuses another key than the log's
unless told to rotate, the rotation is recorded in the new key's first checkpoint, and ``verify --live``
passes with both keys and fails with either alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from esledger.bootstrap import bootstrap
from esledger.cli import app as cli
from esledger.settings import Settings
from esledger.transparency.checkpoint import parse_checkpoint
from esledger.transparency.note import generate_signer_key
from esledger.transparency.rotation import SigningKeyChanged, key_name
from esledger.transparency.service import sign_checkpoint
from esledger.transparency.signer import write_key_file
from tests.conftest import FakeClock
from tests.helpers import AFTER_EXAMPLES, CE, asgi_client, body, received

ORIGIN = "rotation.test/log"


def new_key(tmp_path: Path, name: str) -> tuple[Path, str]:
    signer, verifier = generate_signer_key(ORIGIN)
    write_key_file(tmp_path / name, signer)
    return tmp_path / name, verifier


async def sign_after_posting(settings: Settings, subject: str, *, sign: bool = True) -> str:
    """Each start is a new process of the deployment (authentication off: who posts is not the point here)."""
    system = bootstrap(
        settings.model_copy(update={"auth_disabled": True}), clock=FakeClock(AFTER_EXAMPLES), follow=False
    )
    async with asgi_client(system, authenticated=False) as client:
        assert (await client.post("/v1/events", content=body(received(subject)), headers=CE)).status_code == 201
        if not sign:
            return ""
        response = await client.post("/v1/checkpoints")
        assert response.status_code == 201, response.text
        return response.json()["checkpoint"]


def verify(settings: Settings, *keys: str) -> tuple[int, str]:
    args = ["verify", "--live", "--database", settings.database_url]
    for key in keys:
        args += ["--key", key]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


async def test_another_key_is_refused_unless_rotating_and_the_rotation_verifies(
    settings: Settings, tmp_path: Path
) -> None:
    old_file, old = new_key(tmp_path, "old.key")
    new_file, new = new_key(tmp_path, "new.key")
    with_old = settings.model_copy(update={"signing_key_file": old_file})
    with_new = settings.model_copy(update={"signing_key_file": new_file})
    await sign_after_posting(with_old, "GR-K1")

    # A deployment restored without its key: refused at start, saying what to do.
    with pytest.raises(SigningKeyChanged) as refused:
        bootstrap(with_new, role="log", follow=False).check_signing_key()
    assert key_name(old) in refused.value.detail and "ESLEDGER_SIGNING_KEY_ROTATE=true" in refused.value.detail
    assert bootstrap(with_new, role="ledger", follow=False).sequencer is None  # a role that never signs starts

    rotating = with_new.model_copy(update={"signing_key_rotate": True})
    note = await sign_after_posting(rotating, "GR-K2")
    body_text = note[: note.rfind("\n\n") + 1]
    assert parse_checkpoint(body_text).extensions == (f"rotated-from {key_name(old)}",)
    # Recorded: the new key now starts without the setting; its next checkpoint names no rotation.
    note = await sign_after_posting(with_new, "GR-K3")
    assert parse_checkpoint(note[: note.rfind("\n\n") + 1]).extensions == ()

    code, output = verify(settings, old, new)
    assert code == 0, output
    code, output = verify(settings, new)
    assert code == 1 and f"signed by {key_name(old)}, none of the keys given" in output
    code, output = verify(settings, old)
    assert code == 1 and f"signed by {key_name(new)}, none of the keys given" in output


async def test_a_key_change_without_a_recorded_rotation_fails_verification(settings: Settings, tmp_path: Path) -> None:
    """Both keys given, but the new key's checkpoint does not name the old one: signed behind the check, as
    someone holding the new key and the database could."""
    old_file, old = new_key(tmp_path, "old.key")
    new_file, new = new_key(tmp_path, "new.key")
    with_old = settings.model_copy(update={"signing_key_file": old_file})
    await sign_after_posting(with_old, "GR-K4")
    await sign_after_posting(with_old, "GR-K5", sign=False)
    system = bootstrap(settings.model_copy(update={"signing_key_file": new_file}), role="log", follow=False)
    try:
        sequencer = system.sequencer
        assert sequencer is not None
        with system.storage.availability.guard():
            while sequencer._integrate():
                pass
            sign_checkpoint(system.storage.merkle.get(), sequencer.signer, AFTER_EXAMPLES)
    finally:
        system.close()
    code, output = verify(settings, old, new)
    assert code == 1 and f"after {key_name(old)}, without a recorded rotation" in output
