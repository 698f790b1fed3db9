"""Single sign-on over HTTP: the service configured for OpenID Connect against a JWKS the test serves on the
loopback interface (``tests/access/test_oidc.py`` has the keys and tokens). A person's token reads what its
claims grant, and a case outside them as a case that does not exist; every bad token is 401 with
``WWW-Authenticate: Bearer``, and too many from one address 429; what a supervisor records is recorded by
``oidc:<sub>``."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tests.access.test_oidc import ATTACKER, AUDIENCE, ISSUER, KEYS, JwksServer, b64, claims, sign
from tests.access.world import GR17, MP11, NOWHERE, SHASHI, OpenWorld, World, masked
from tests.helpers import CE, bearer, body, examples

FAILED_SIGN_INS = 8
"""Per minute and client address, lowered for the test."""


@pytest.fixture
async def sso(open_world: OpenWorld, server: JwksServer) -> AsyncIterator[World]:
    async with open_world(
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=server.url,
        failed_auth_per_minute=FAILED_SIGN_INS,
    ) as world:
        yield world


def token(sub: str, **extra: Any) -> dict[str, str]:
    return bearer(sign(claims(sub=sub, name=f"person {sub}", **extra)))


def unsigned(alg: str, payload: dict[str, Any], kid: str = "rsa-1") -> str:
    return f"{b64(json.dumps({'alg': alg, 'kid': kid}).encode())}.{b64(json.dumps(payload).encode())}"


def hs256_with_the_public_key() -> str:
    """The HS/RS confusion: an HMAC keyed with the provider's published RSA key, as PEM."""
    secret = (
        KEYS["rsa-1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = unsigned("HS256", claims())
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def bad_tokens() -> dict[str, tuple[str, str]]:
    """Each way a token is refused: the token, and the reason the answer gives."""
    now = int(time.time())
    return {
        "expired": (sign(claims(iat=now - 900, exp=now - 300)), "token expired"),
        "wrong audience": (sign(claims(aud="another-app")), "wrong audience"),
        "wrong issuer": (sign(claims(iss="https://sso.example.org/realms/elsewhere")), "wrong issuer"),
        "unknown key id": (sign(claims(), "rotated-away", key=ATTACKER), "unknown key id"),
        "alg none": (unsigned("none", claims()) + ".", "algorithm none not accepted"),
        "HS256 keyed with the RSA public key": (hs256_with_the_public_key(), "algorithm HS256 not accepted"),
    }


async def test_an_inspectors_token_reads_its_cases_and_no_other(sso: World) -> None:
    inspector = token("insp-1", esledger_roles=["inspector"], esledger_units=["421002-ZSJ"])
    me = (await sso.client.get("/v1/me", headers=inspector)).json()
    assert me["id"] == "oidc:insp-1" and me["roles"] == ["inspector"]
    listed = (await sso.client.get("/v1/cases", headers=inspector)).json()
    assert {c["case_id"] for c in listed["cases"]} == SHASHI and listed["count"] == len(SHASHI)
    assert (await sso.client.get(f"/v1/cases/{GR17}/events", headers=inspector)).status_code == 200
    for path in ("/v1/cases/{}", "/v1/cases/{}/events", "/v1/cases/{}/replay"):
        outside = await sso.client.get(path.format(MP11), headers=inspector)
        nowhere = await sso.client.get(path.format(NOWHERE), headers=inspector)
        assert masked(outside, MP11) == masked(nowhere, NOWHERE) and nowhere.status_code == 404


async def test_every_bad_token_is_401_and_too_many_from_one_address_429(sso: World) -> None:
    refused = {}
    for label, (bad, _) in bad_tokens().items():
        answer = await sso.client.get("/v1/cases", headers=bearer(bad))
        problem = answer.json()
        assert problem["type"] == "/problems/unauthenticated" and bad.split(".")[1] not in answer.text, label
        refused[label] = (answer.status_code, answer.headers["WWW-Authenticate"].split()[0], problem["detail"])
    assert refused == {label: (401, "Bearer", reason) for label, (_, reason) in bad_tokens().items()}

    statuses = [
        (await sso.client.get("/v1/cases", headers=bearer(bad_tokens()["expired"][0]))).status_code
        for _ in range(FAILED_SIGN_INS - len(refused) + 1)
    ]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}
    limited = await sso.client.get("/v1/cases", headers=bearer(bad_tokens()["wrong issuer"][0]))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["type"] == "/problems/rate-limited"
    # Only failures are limited: a person with a good token at the same address is let in.
    assert (await sso.client.get("/v1/me", headers=token("insp-2", esledger_roles=["reviewer"]))).status_code == 200


async def test_what_a_supervisor_records_is_recorded_by_its_sign_in(sso: World) -> None:
    supervisor = token("sup-7", esledger_roles=["supervisor"], esledger_units=["421000-ZSJ-FGK"])
    [determined] = [e for e in examples()["grievance.jsonl"] if e["type"].endswith("case.finding_determined")]
    event = determined | {"id": "sso-determination-1", "source": "urn:esledger:principal:oidc:sup-7"}
    recorded = await sso.client.post("/v1/events", content=body(event), headers=CE | supervisor)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["recorded_by"] == "oidc:sup-7"
    as_the_case_system = event | {"id": "sso-determination-2", "source": "urn:zfjd:source:jingzhou-case-system"}
    refused = await sso.client.post("/v1/events", content=body(as_the_case_system), headers=CE | supervisor)
    assert refused.status_code == 403


async def test_a_person_signs_in_to_the_console_with_a_token_and_sees_what_it_grants(sso: World) -> None:
    """The console takes the sign-on provider's token as the API does; once it expires, the next page sends
    the person back to sign in (the API checks it on every page)."""
    now = int(time.time())
    live = sign(claims(sub="insp-2", esledger_roles=["inspector"], esledger_units=["421002-ZSJ"]))
    signed = await sso.client.post("/console/signin", data={"credential": live})
    assert signed.status_code == 303
    cases = await sso.client.get("/console/cases", params={"size": 100})
    assert set(re.findall(r'<th scope="row"><a href="/console/cases/([^"]+)"', cases.text)) == SHASHI
    expired = sign(claims(sub="insp-2", esledger_roles=["inspector"], iat=now - 900, exp=now - 300))
    refused = await sso.client.post("/console/signin", data={"credential": expired})
    assert refused.status_code == 401 and "无效" in refused.text
    sso.client.cookies.set("esledger_console", expired, path="/console")
    again = await sso.client.get("/console/cases")
    assert again.status_code == 303 and again.headers["location"].startswith("/console/signin")
