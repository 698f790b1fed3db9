"""The split view: an operator copies the log's database after size N and grows the two copies apart, signing
both with the log's own key, and shows each copy to different witnesses and monitors. Independent witnesses
(2 of 3 needed) never let both histories be published, and the fork is named with its sizes and roots: by
the witness refusing it, by a monitor kept on one copy and shown the other, and by a monitor on either copy
comparing what the witnesses cosigned. On both backends (the database copied whole: the SQLite file, or
CREATE DATABASE … TEMPLATE on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from esledger.bootstrap import System, bootstrap
from esledger.cli import app as cli
from esledger.core.encoding import b64
from esledger.settings import Settings
from esledger.transparency.cosignature import generate_witness_key, parse_witness_signer
from esledger.transparency.logstore import StoredCheckpoint
from esledger.transparency.monitor import LogClient, Monitor
from esledger.transparency.note import generate_signer_key
from esledger.transparency.signer import write_key_file
from esledger.transparency.witness import Witness, WitnessStore, witness_app
from esledger.transparency.witnessing import Witnessing, WitnessPolicy, load_witness_policy, published
from esledger.web.app import create_app
from tests.conftest import ADMIN_URL
from tests.helpers import TESTER, TESTER_GRANTS, key_for, received
from tests.transparency.live import Forkable, poster, serving

ORIGIN = "jingzhou.gov.cn/zfjd-ledger"
runner = CliRunner()


@pytest.fixture
def forkable(database_url: str, tmp_path: Path) -> Iterator[Forkable]:
    """Both backends (the ``database_url`` fixture's parameter), on databases of the test's own."""
    f = Forkable("sqlite" if database_url.startswith("sqlite") else "postgres", tmp_path, ADMIN_URL)
    yield f
    f.drop()


@pytest.fixture
def log_key(tmp_path: Path) -> tuple[Path, str]:
    skey, vkey = generate_signer_key(ORIGIN)
    write_key_file(tmp_path / "log.key", skey)
    return tmp_path / "log.key", vkey


def _append(system: System, key: str, subjects: list[str]) -> StoredCheckpoint:
    assert system.ledger is not None and system.sequencer is not None
    system.ledger.post([received(s) for s in subjects], poster(system, key), batch=True)
    return system.sequencer.checkpoint_now()


def _routed(system: System, policy: WitnessPolicy, names: set[str]) -> Witnessing:
    """The attacker's choice of witnesses for one copy (its cosignatures kept in that copy's store)."""
    chosen = WitnessPolicy(1, tuple(w for w in policy.witnesses if w.name in names))
    return Witnessing(system.storage.merkle, system.storage.availability, chosen, system.clock, timeout_seconds=5)


def test_a_forked_log_cannot_publish_both_histories_and_the_fork_is_named(
    forkable: Forkable, tmp_path: Path, log_key: tuple[Path, str]
) -> None:
    key_file, log_vkey = log_key
    witnesses, vkeys = [], []
    for i in (1, 2, 3):
        skey, vkey = generate_witness_key(f"w{i}.review.example")
        name, key = parse_witness_signer(skey)
        witnesses.append(Witness(name, key, [log_vkey], WitnessStore(f"sqlite:///{tmp_path}/w{i}.sqlite3")))
        vkeys.append(vkey)
    with (
        serving(witness_app(witnesses[0])) as u1,
        serving(witness_app(witnesses[1])) as u2,
        serving(witness_app(witnesses[2])) as u3,
    ):
        organs = ["荆州市司法局", "湖北省司法厅", "荆州市监察委员会"]
        policy_file = tmp_path / "witnesses.json"
        policy_file.write_bytes(
            orjson.dumps(
                {
                    "quorum": 2,
                    "witnesses": [
                        {"key": k, "url": u, "organ": o} for k, u, o in zip(vkeys, (u1, u2, u3), organs, strict=True)
                    ],
                }
            )
        )
        policy = load_witness_policy(policy_file)

        def settings(url: str) -> Settings:
            return Settings(
                database_url=url,
                signing_key_file=key_file,
                dev_key_file=tmp_path / "unused.key",
                witness_policy_file=policy_file,
            )

        # the common history, cosigned by all three
        system = bootstrap(settings(forkable.create("a")), follow=False)
        system.start()
        api_key = key_for(system, TESTER, TESTER_GRANTS)
        common = _append(system, api_key, [f"GR-SPLIT-{i}" for i in range(5)])
        assert system.sequencer is not None and system.sequencer.witnessing is not None
        assert set(system.sequencer.witnessing.submit(common).values()) == {f"cosigned {common.size}"}
        system.close()

        # the operator copies the database and grows the copies apart, signing both with the log's key
        url_b = forkable.copy("a", "b")
        view_a, view_b = bootstrap(settings(forkable.url("a")), follow=False), bootstrap(settings(url_b), follow=False)
        with serving(create_app(view_a)) as log_a, serving(create_app(view_b)) as log_b:
            a = _append(view_a, api_key, ["GR-ONLY-IN-A-1", "GR-ONLY-IN-A-2"])
            b = _append(view_b, api_key, ["GR-ONLY-IN-B-1", "GR-ONLY-IN-B-2", "GR-ONLY-IN-B-3"])
            assert common.size < a.size < b.size and a.root != b.root

            # each copy shown to different witnesses first, then to the one in the middle, then to all
            names = [w.name for w in witnesses]
            assert _routed(view_a, policy, {names[0]}).submit(a)[names[0]] == f"cosigned {a.size}"
            assert _routed(view_b, policy, {names[2]}).submit(b)[names[2]] == f"cosigned {b.size}"
            assert _routed(view_a, policy, {names[1]}).submit(a)[names[1]] == f"cosigned {a.size}"
            outcomes_b = _routed(view_b, policy, set(names)).submit(b)
            outcomes_a = _routed(view_a, policy, set(names)).submit(a)
            for outcome in (outcomes_b[names[0]], outcomes_b[names[1]]):
                assert outcome.startswith("refused") and "422" in outcome, outcome
            # w3 holds B's larger tree: A's checkpoint cannot extend it
            assert outcomes_a[names[2]].startswith("refused") and f"size {b.size}" in outcomes_a[names[2]]

            # the witness in the middle names the fork: both sizes, both roots
            [(old, size, status, reason)] = [r for r in witnesses[1].store.refusals(ORIGIN) if r[2] == 422]
            assert (old, size, status) == (a.size, b.size, 422)
            assert b64(a.root) in reason and b64(b.root) in reason

            # no checkpoint after the fork is published in both views
            pub_a = published(view_a.storage.merkle.get(), policy)
            pub_b = published(view_b.storage.merkle.get(), policy)
            assert pub_a is not None and pub_a[0].size == a.size
            assert pub_b is not None and pub_b[0].size == common.size  # only the shared history
            for cp in (a, b):
                store = (view_a if cp is a else view_b).storage.merkle.get()
                note = cp.note + "".join(line + "\n" for line in store.cosignatures(cp.size).values())
                verdicts = policy.evaluate(note)
                assert verdicts.satisfied == (cp is a), verdicts
            published_b = runner.invoke(cli, ["verify", "--help"])  # the CLI is importable with the new flags
            assert "--witnesses" in published_b.output

            # a monitor kept on copy A, then shown copy B: FORK, naming sizes and roots
            state = tmp_path / "monitor-a.json"
            first = Monitor(LogClient(log_a, api_key), log_vkey, state).check_once()
            assert first.alerts == [], first.alerts
            shown_b = Monitor(LogClient(log_b, api_key), log_vkey, state).check_once()
            [alert] = shown_b.alerts
            assert "FORK" in alert and str(a.size) in alert and str(b.size) in alert
            assert b64(a.root) in alert and b64(b.root) in alert

            # monitors on either copy, comparing with the witnesses, each see the other history (CLI: exit 1)
            for url, other in ((log_a, b), (log_b, a)):
                result = runner.invoke(
                    cli,
                    [
                        "monitor",
                        "--once",
                        "--url",
                        url,
                        "--key",
                        api_key,
                        "--log-key",
                        log_vkey,
                        "--state",
                        str(tmp_path / f"m-{other.size}.json"),
                        "--witnesses",
                        str(policy_file),
                    ],
                )
                assert result.exit_code == 1, result.output
                assert "SPLIT VIEW" in result.output and b64(other.root) in result.output, result.output
