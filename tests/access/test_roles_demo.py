"""The demo end to end, each role doing what the README's "Who may do what" says it may, with an API key and,
for people, also with a sign-in token: an administrator registers everyone; two upstream systems post the
example scenarios; an inspector lists its cases; a supervisor records determinations and sees them confirmed
once the read model has caught up; a reviewer exports, verifies and reads the feed; the unit complained about
reads its case's status and its deadlines; an observer reads the case shared with it; the administrator
changes grants, rotates and revokes, and a revoked or rotated key answers 401."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from esledger.cli import app as cli
from esledger.settings import Settings
from tests.access.test_oidc import AUDIENCE, ISSUER, JwksServer, claims, sign
from tests.access.world import CASE_SYSTEM, GR17, IN42, SHASHI, STATS_PORTAL, Who, deployed, sign_in
from tests.conftest import FakeClock
from tests.helpers import AFTER_EXAMPLES, CE, bearer, body, ce, examples, post_examples

PEOPLE = {
    "shashi-inspector": {"esledger_roles": ["inspector"], "esledger_units": ["421002-ZSJ"]},
    "fgk-supervisor": {"esledger_roles": ["supervisor"], "esledger_units": ["421000-ZSJ-FGK"]},
    "reviewer": {"esledger_roles": ["reviewer"]},
    "shashi-respondent": {"esledger_roles": ["respondent"], "esledger_units": ["421002-ZSJ"]},
    "observer": {"esledger_roles": ["observer"], "esledger_cases": [GR17]},
    "admin": {"esledger_roles": ["admin"]},
}
"""Each role a person holds, as the sign-in provider's claims."""
SYSTEMS = {
    "jz-case-system": [{"role": "source", "source": CASE_SYSTEM}],
    "jz-stats-portal": [{"role": "source", "source": STATS_PORTAL}],
}
GRANTS = {
    **SYSTEMS,
    "shashi-inspector": [{"role": "inspector", "units": ["421002-ZSJ"]}],
    "fgk-supervisor": [{"role": "supervisor", "units": ["421000-ZSJ-FGK"]}],
    "reviewer": [{"role": "reviewer"}],
    "shashi-respondent": [{"role": "respondent", "units": ["421002-ZSJ"]}],
    "observer": [{"role": "observer", "cases": [GR17]}],
}
"""The principals the administrator registers, with API keys."""


@dataclass
class Demo:
    client: httpx.AsyncClient
    settings: Settings
    keys: dict[str, dict[str, str]]
    """Each principal's Authorization header, by name: API keys."""
    head: int = 0

    def credentials(self, name: str) -> list[dict[str, str]]:
        """The principal's key, and for a person also a token with the same role."""
        token = [bearer(sign(claims(sub=f"person-{name}", **PEOPLE[name])))] if name in PEOPLE else []
        return [self.keys[name], *token]

    async def get(self, url: str, credential: dict[str, str], **params: Any) -> httpx.Response:
        return await self.client.get(url, headers=credential, params={"min_position": self.head} | params)


@pytest.fixture
async def demo(settings: Settings, clock: FakeClock, server: JwksServer) -> AsyncIterator[Demo]:
    """The service with single sign-on; an administrator with the first key registers every other
    principal; the systems post the examples."""
    sso = {"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE, "oidc_jwks_url": server.url}
    async with deployed(settings, clock, **sso) as (system, client):
        admin = (await sign_in(system, {"admin": Who(({"role": "admin"},))}))["admin"]
        keys = {"admin": admin}
        for name, grants in GRANTS.items():
            made = await client.post("/v1/principals", json={"name": name, "grants": grants}, headers=admin)
            assert made.status_code == 201, made.text
            assert made.headers["Location"] == f"/v1/principals/{name}"
            keys[name] = bearer(made.json()["key"])
        demo = Demo(client, settings, keys)
        clock.set(AFTER_EXAMPLES)
        records = []
        for name, files in (("jz-case-system", None), ("jz-stats-portal", ["statistics.jsonl"])):
            client.headers.update(keys[name])  # post_examples posts with the client's own credential
            scenarios = files or [n for n in examples() if n != "statistics.jsonl"]
            records += await post_examples(client, scenarios)
        assert {r["recorded_by"] for r in records} == {"key:jz-case-system", "key:jz-stats-portal"}
        demo.head = max(r["position"] for r in records)
        yield demo


async def test_the_demo_with_a_key_or_token_of_each_role(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for credential in demo.credentials("shashi-inspector"):
        listed = (await demo.get("/v1/cases", credential)).json()
        assert {c["case_id"] for c in listed["cases"]} == SHASHI

    await supervisors_determine(demo)
    await reviewers_export_verify_and_follow(demo, tmp_path, monkeypatch)

    for credential in demo.credentials("shashi-respondent"):
        assert (await demo.get(f"/v1/cases/{GR17}", credential)).json()["status"] == "concluded"
        deadlines = (await demo.get("/v1/deadlines", credential)).json()["deadlines"]
        assert {d["case_id"] for d in deadlines} >= {GR17} and deadlines
        assert {d["responsible_unit"]["code"] for d in deadlines} == {"421002-ZSJ"}
        assert (await demo.get(f"/v1/cases/{GR17}/events", credential)).status_code == 403

    for credential in demo.credentials("observer"):
        assert [c["case_id"] for c in (await demo.get("/v1/cases", credential)).json()["cases"]] == [GR17]
        assert (await demo.client.get(f"/v1/cases/{GR17}/events", headers=credential)).status_code == 200
        assert (await demo.get(f"/v1/cases/{IN42}", credential)).status_code == 404

    await administrators_manage_principals(demo)


async def supervisors_determine(demo: Demo) -> None:
    """Each credential confirms a candidate finding of its jurisdiction, as its personal source."""
    for credential in demo.credentials("fgk-supervisor"):
        me = (await demo.client.get("/v1/me", headers=credential)).json()
        candidates = (await demo.get("/v1/findings", credential, determination="candidate")).json()["findings"]
        finding = next(f for f in candidates if str(f["article"]).isdigit())
        data = {
            "finding_id": finding["id"],
            "article": str(finding["article"]),
            "determination": "confirmed",
            "reasons": "经核查，情况属实。",
            "determined_by": {"name": me["name"], "role": "法规科科长"},
        }
        event = ce(
            "case.finding_determined",
            finding["case_id"],
            data,
            time="2026-11-27T11:00:00+08:00",
            source=f"urn:esledger:principal:{me['id']}",
        )
        recorded = await demo.client.post("/v1/events", content=body(event), headers=CE | credential)
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["recorded_by"] == me["id"]
        after = {"min_position": recorded.json()["position"], "determination": "confirmed"}
        confirmed = (await demo.get("/v1/findings", credential, **after)).json()["findings"]
        assert finding["id"] in {f["id"] for f in confirmed}


async def reviewers_export_verify_and_follow(demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESLEDGER_DEV_KEY_FILE", str(demo.settings.dev_key_file))
    out = tmp_path / "all.bundle.json"
    runner = CliRunner()
    exported = runner.invoke(cli, ["export", "--all", "--out", str(out), "--database", demo.settings.database_url])
    assert exported.exit_code == 0, exported.output
    key = (await demo.client.get("/v1/checkpoints/key", headers={"Authorization": ""})).text.strip()
    verified = runner.invoke(cli, ["verify", str(out), "--key", key])
    assert verified.exit_code == 0 and "OK:" in verified.output, verified.output
    exported_ids = {e["record"]["event"]["id"] for e in orjson.loads(out.read_bytes())["entries"]}
    for credential in demo.credentials("reviewer"):
        feed = (await demo.client.get("/v1/events", headers=credential, params={"limit": 1000})).json()
        assert feed["next_after"] == feed["head"] and {r["event"]["id"] for r in feed["records"]} >= exported_ids


async def administrators_manage_principals(demo: Demo) -> None:
    """The key changes grants and rotates; the token revokes. What was rotated or revoked answers 401."""
    admin_key, admin_token = demo.credentials("admin")
    listed = (await demo.client.get("/v1/principals", headers=admin_token)).json()["principals"]
    assert {p["name"] for p in listed} >= set(GRANTS)

    changed = {"grants": [{"role": "observer", "cases": [IN42]}]}
    assert (await demo.client.put("/v1/principals/observer/grants", json=changed, headers=admin_key)).is_success
    assert [c["case_id"] for c in (await demo.get("/v1/cases", demo.keys["observer"])).json()["cases"]] == [IN42]

    rotated = await demo.client.post("/v1/principals/shashi-inspector/key", headers=admin_key)
    assert rotated.status_code == 200 and rotated.json()["principal"]["key_prefix"] == "esl_shashi-inspector.2"
    assert (await demo.client.get("/v1/me", headers=demo.keys["shashi-inspector"])).status_code == 401
    assert (await demo.client.get("/v1/me", headers=bearer(rotated.json()["key"]))).status_code == 200

    reason = {"reason": "the statistics portal was retired"}
    revoked = await demo.client.post("/v1/principals/jz-stats-portal/revocation", json=reason, headers=admin_token)
    assert revoked.status_code == 200 and revoked.json()["revoked"] == reason["reason"]
    refused = await demo.client.get("/v1/me", headers=demo.keys["jz-stats-portal"])
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    history = (await demo.client.get("/v1/principals/jz-stats-portal", headers=admin_key)).json()["history"]
    assert [(h["act"], h["recorded_by"]) for h in history] == [
        ("principal.registered", "key:admin"),
        ("principal.revoked", "oidc:person-admin"),
    ]
