"""/openapi.json tells the truth: every operation declares its success body and the problem+json errors it can
answer, each with a schema, and nothing it cannot (no FastAPI 422 "Validation Error").

Checked on the document, then by real traffic: every operation is called, in success and in error, and each
answer's status, content type and body must be declared for its operation (``Conformance``). A route added
without declarations fails here: it has no success schema, and the traffic test does not cover it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from esledger.bootstrap import System, bootstrap
from esledger.settings import Settings
from esledger.transparency.cosignature import Cosigner, cosign, generate_witness_key, parse_witness_signer
from esledger.transparency.witnessing import Witness, WitnessPolicy
from esledger.web.app import create_app
from esledger.web.problems import TYPES
from tests.helpers import AFTER_EXAMPLES, BATCH, CE, accepted, bearer, body, ce, examples, received

PROBLEM = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch")
POSTING = {("post", "/v1/events"), ("post", "/v1/events:batch")}
"""The only operations that answer 422: an event the ledger cannot accept."""
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


class Conformance:
    """Sends requests and checks each answer against the document: the status is declared for the operation
    (``default`` only for 500), so is the content type, and the body validates against the declared schema
    (JSON Schema 2020-12, the dialect of OpenAPI 3.1, with ``$ref``s into the document's components)."""

    def __init__(self, client: httpx.AsyncClient, document: dict[str, Any]) -> None:
        self.client = client
        self.document = document
        self.answered: set[tuple[str, str, int]] = set()
        # Concrete paths before templated ones, as OpenAPI matches them.
        self.templates = sorted(document["paths"], key=lambda p: (p.count("{"), p))
        # A last parameter declared to span path segments (a tile index, x001/x234/067) matches them.
        self.spanning = {
            path
            for _, path, operation in operations(document)
            for p in operation.get("parameters", [])
            if p["in"] == "path" and p["schema"].get("x-path-segments") and path.endswith("{" + p["name"] + "}")
        }

    def template(self, path: str) -> str:
        for template in self.templates:
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            if template in self.spanning:
                pattern = pattern.removesuffix("[^/]+") + ".+"
            if re.fullmatch(pattern, path):
                return template
        raise AssertionError(f"{path} matches no path of the document")

    async def __call__(self, method: str, url: str, status: int, **kwargs: Any) -> httpx.Response:
        response = await self.client.request(method, url, **kwargs)
        assert response.status_code == status, f"{method} {url}: {response.status_code} {response.text[:500]}"
        self.check(response)
        return response

    def check(self, response: httpx.Response) -> None:
        method, path = response.request.method.lower(), self.template(response.request.url.path)
        operation = self.document["paths"][path].get(method)
        assert operation is not None, f"{method} {path} is not in the document"
        where = f"{method} {path} answered {response.status_code}"
        declared = operation["responses"].get(str(response.status_code))
        if declared is None and response.status_code == 500:
            declared = operation["responses"].get("default")
        assert declared is not None, f"{where}, which it does not declare"
        kind = media_type(response.headers["content-type"])
        content = {media_type(m): c for m, c in declared.get("content", {}).items()}
        assert kind in content, f"{where} as {kind}, declared only as {list(content)}"
        instance = response.json() if kind.endswith("json") else response.text
        schema = {**content[kind]["schema"], "components": self.document["components"]}
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = [f"{e.json_path}: {e.message[:300]}" for e in validator.iter_errors(instance)]
        assert not errors, f"{where} with a body that breaks its declared schema:\n" + "\n".join(errors[:10])
        self.answered.add((method, path, response.status_code))

    def succeeded(self) -> set[tuple[str, str]]:
        return {(m, p) for m, p, status in self.answered if 200 <= status < 300}


@pytest.fixture
def document(tmp_path: Path) -> dict[str, Any]:
    """The document of the whole app (every role's routes); generating it touches no database."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/unused.sqlite3", dev_key_file=tmp_path / "dev.key")
    return create_app(bootstrap(settings, follow=False)).openapi()


# -- the document -----------------------------------------------------------------------------------------------
def test_every_operation_declares_its_success_bodies_with_schemas(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, f"{method} {path} declares no success response"
        for status, response in successes.items():
            assert response.get("content"), f"{method} {path} {status} declares no body"
            for kind, content in response["content"].items():
                assert content.get("schema"), f"{method} {path} {status} {kind}: no schema (a route without docs?)"


def test_every_schema_of_the_document_is_json_schema_2020_12(document: dict[str, Any]) -> None:
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for _, _, operation in operations(document):
        for response in operation["responses"].values():
            for content in response.get("content", {}).values():
                Draft202012Validator.check_schema(content["schema"])


def test_errors_are_problems_of_the_table_and_no_422_is_invented(document: dict[str, Any]) -> None:
    unprocessable = set()
    for method, path, operation in operations(document):
        responses = operation["responses"]
        assert "default" in responses, f"{method} {path}: no answer declared for unexpected failures"
        for key, response in responses.items():
            if key.startswith("2"):
                continue
            where = f"{method} {path} {key}"
            assert list(response["content"]) == [PROBLEM], where
            base, narrowed = response["content"][PROBLEM]["schema"]["allOf"]
            status = 500 if key == "default" else int(key)
            assert base == {"$ref": "#/components/schemas/Problem"}, where
            assert narrowed["properties"]["status"] == {"const": status}, where
            for type_uri in narrowed["properties"]["type"]["enum"]:
                assert TYPES[type_uri.removeprefix("/problems/")].status == status, f"{where}: {type_uri}"
            if status == 503:
                assert "Retry-After" in response["headers"], where
            if status == 422:
                unprocessable.add((method, path))
                slugs = {t.removeprefix("/problems/") for t in narrowed["properties"]["type"]["enum"]}
                assert slugs == {s for s, t in TYPES.items() if t.status == 422}, where
        fallible = [p for p in operation.get("parameters", []) if not _any_string(p["schema"])]
        assert not fallible or "400" in responses, f"{method} {path}: parameters can be bad, no 400 declared"
    assert unprocessable == POSTING
    assert not {"HTTPValidationError", "ValidationError"} & set(document["components"]["schemas"])
    assert "HTTPValidationError" not in json.dumps(document)


def _any_string(schema: dict[str, Any]) -> bool:
    """A parameter any text satisfies, so FastAPI never refuses it (an optional or required string)."""
    kinds = schema.get("anyOf", [schema])
    free = {"type", "title", "description", "x-path-segments"}  # the last one documents, FastAPI does not check it
    return all(k.get("type") in ("string", "null") and set(k) <= free for k in kinds)


def _witnessed(client: httpx.AsyncClient) -> None:
    """A one-witness policy for the served app, and that witness's cosignature of the latest checkpoint."""
    system: System = client._transport.app.state.system  # type: ignore[attr-defined]
    assert system.transparency is not None
    log = system.storage.merkle.get()
    latest = log.latest_checkpoint()
    assert latest is not None
    name, key = parse_witness_signer(generate_witness_key("w.review.example")[0])
    system.transparency.policy = WitnessPolicy(1, (Witness(Cosigner(name, key.public_key())),))
    text = latest.note[: latest.note.index("\n\n") + 1]
    log.add_cosignature(latest.size, name, cosign(text, name, key, int(time.time())).rstrip("\n"), "now")


# -- real traffic -------------------------------------------------------------------------------------------------
async def test_every_operation_answers_as_documented(system: httpx.AsyncClient, clock: Any) -> None:
    """The whole app on each backend: the published examples posted, then every operation called, in success
    and in error; every answer must match the document, and every operation must have answered successfully."""
    document = (await system.get("/openapi.json")).json()
    call = Conformance(system, document)
    clock.set(AFTER_EXAMPLES)

    # -- writes
    for events in examples().values():
        for event in events:
            record = (await call("POST", "/v1/events", 201, content=body(event), headers=CE)).json()
    first = examples()["grievance.jsonl"][0]
    await call("POST", "/v1/events", 200, content=body(first), headers=CE)
    await call("POST", "/v1/events", 201, content=body(received("GR-OA-1")), headers=CE | {"If-Match": "0"})
    batch = [accepted("GR-OA-1"), received("GR-OA-2")]
    await call("POST", "/v1/events:batch", 201, content=body(batch), headers=BATCH)
    await call("POST", "/v1/events:batch", 200, content=body(batch), headers=BATCH)
    # An irregular act (accepted twice) and a sanction naming no finding: parts of a case view no example has.
    await call("POST", "/v1/events", 201, content=body(accepted("GR-OA-1")), headers=CE)
    sanction = next(e for events in examples().values() for e in events if e["type"].endswith("sanction_imposed"))
    unattached = ce("case.sanction_imposed", "GR-OA-1", sanction["data"] | {"finding_id": "GR-OA-1:none:1"})
    await call("POST", "/v1/events", 201, content=body(unattached), headers=CE)
    await _refused_posts(call, first)

    # -- the ledger's reads
    await call("GET", "/v1/cases/IN-2026-0042/events", 200)
    empty = (await call("GET", "/v1/cases/IN-2026-0042/events?recorded_before=2000-01-01T00:00:00Z", 200)).json()
    assert empty["case_kind"] is None
    await call("GET", "/v1/cases/IN-2026-0042/events?recorded_before=2026-10-01T00:00:00", 400)
    await call("GET", "/v1/cases/NO-SUCH-CASE/events", 404)
    await call("GET", "/v1/cases/IN-2026-0042/events/3", 200)
    await call("GET", "/v1/cases/IN-2026-0042/events/999", 404)
    await call("GET", "/v1/cases/IN-2026-0042/events/third", 400)
    head = (await call("GET", "/v1/events?after=0&limit=5", 200)).json()["head"]
    await call("GET", "/v1/events?after=-1", 400)

    # -- confidential values: shown (and logged), erased
    revealed = await call("GET", "/v1/events?reveal=true&limit=1000", 200, headers={"X-Purpose": "conformance"})
    assert any("confidential" in r for r in revealed.json()["records"])
    await call("GET", "/v1/cases/GR-2026-0917/events", 400, headers={"X-Purpose": "x" * 1001})
    assert (await call("GET", "/v1/access-log", 200, params={"case_id": "GR-2026-0917"})).json()["entries"]
    await call("GET", "/v1/access-log?after=2026-10-01T00:00:00", 400)
    erasure = {"target_version": 1, "pointer": "/data/complainant", "reason": "court order", "authority": "(2026)"}
    await call("POST", "/v1/cases/GR-2026-0917/erasures", 201, json=erasure)
    await call("POST", "/v1/cases/GR-2026-0917/erasures", 409, json=erasure)
    await call("POST", "/v1/cases/GR-2026-0917/erasures", 404, json=erasure | {"target_version": 2})
    await call("POST", "/v1/cases/GR-2026-0917/erasures", 400, json=erasure | {"pointer": "complainant"})
    await call("GET", "/v1/cases/GR-2026-0917/events", 200)
    catalog = (await call("GET", "/v1/schemas", 200)).json()
    for url in {"/v1/schemas/urn:zfjd:schema:envelope:1"} | {
        u for act in catalog["acts"].values() for u in act["schemas"].values()
    }:
        await call("GET", url, 200)
    await call("GET", "/v1/schemas/urn:zfjd:schema:nothing:1", 404)

    # -- the Merkle log
    await call("POST", "/v1/checkpoints", 201)
    await call("GET", "/v1/checkpoints/latest", 200)
    await call("GET", "/v1/checkpoints?limit=2", 200)
    await call("GET", "/v1/checkpoints?limit=0", 400)
    await call("GET", "/v1/checkpoints/key", 200)
    await call("GET", f"/v1/proofs/inclusion?position={record['position']}", 200)
    await call("GET", f"/v1/proofs/inclusion?position={head + 1000}", 404)
    await call("GET", f"/v1/proofs/inclusion?position={record['position']}&tree_size={head + 1000}", 400)
    await call("GET", "/v1/proofs/inclusion", 400)
    await call("GET", "/v1/proofs/consistency?from=2&to=5", 200)
    await call("GET", f"/v1/cases/{record['case_id']}/bundle", 200)
    await call("GET", "/v1/cases/NO-SUCH-CASE/bundle", 404)
    await call("GET", "/v1/proofs/consistency?from=5&to=2", 400)
    await call("GET", "/v1/log/health", 200)
    await call("GET", "/v1/log/checkpoint", 200)
    await call("GET", "/v1/log/published", 404)  # no witness policy configured
    await call("GET", "/v1/log/tile/0/000.p/1", 200)
    await call("GET", "/v1/log/tile/0/x000/001", 404)
    await call("GET", "/v1/log/tile/64/000", 404)
    await call("GET", "/v1/log/tile/00/000", 404)
    await call("GET", "/v1/log/tile/entries/000.p/1", 200)
    await call("GET", "/v1/log/tile/entries/nope", 404)
    await call("GET", "/v1/log/tile/entries/x000/001", 404)
    _witnessed(system)
    await call("GET", "/v1/log/published", 200)

    # -- the read side
    fresh = {"min_position": head}
    cases = (await call("GET", "/v1/cases", 200, params=fresh)).json()["cases"]
    assert all(any(c[part] for c in cases) for part in ("findings", "unattached_sanctions", "irregular_acts"))
    await call("GET", "/v1/cases", 200, params={"has_breach": "true", "warning": "red"})
    await call("GET", "/v1/cases?as_of=2026-10-01T00:00:00", 400)
    await call("GET", "/v1/cases", 400, params={"min_position": head + 1000})  # no write gave it
    for case in cases:
        await call("GET", f"/v1/cases/{case['case_id']}", 200)
    await call("GET", "/v1/cases/NO-SUCH-CASE", 404)
    await call("GET", "/v1/cases/IN-2026-0042/replay", 200, params=fresh)
    await call("GET", "/v1/cases/NO-SUCH-CASE/replay", 404)
    await call("GET", "/v1/deadlines", 200, params=fresh)
    await call("GET", "/v1/deadlines?level=purple", 400)
    findings = (await call("GET", "/v1/findings", 200, params=fresh)).json()["findings"]
    assert any(f["determination"] for f in findings) and any(f["sanctions"] for f in findings)
    await call("GET", "/v1/findings?determination=maybe", 400)
    rows = (await call("GET", "/v1/statistics", 200, params=fresh)).json()["rows"]
    assert any(r["reported"] for r in rows)
    await call("GET", "/v1/statistics?format=csv", 200)
    await call("GET", "/v1/statistics?format=xml", 400)
    await call("GET", "/v1/projections/health", 200)

    # -- who may do what
    await call("GET", "/v1/me", 200)
    await call("GET", "/v1/principals", 200)
    grants = [{"role": "inspector", "units": ["421000-ZSJ"]}]
    created = (await call("POST", "/v1/principals", 201, json={"name": "oa-inspector", "grants": grants})).json()
    await call("POST", "/v1/principals", 400, json={"name": "oa-inspector", "grants": grants})
    await call("POST", "/v1/principals", 400, json={"name": "Not A Name", "grants": grants})
    await call("POST", "/v1/principals", 400, json={"name": "oa-x", "grants": [{"role": "inspector"}]})
    await call("GET", "/v1/principals/oa-inspector", 200)
    await call("GET", "/v1/principals/nobody", 404)
    await call("PUT", "/v1/principals/oa-inspector/grants", 200, json={"grants": [{"role": "reviewer"}]})
    await call("POST", "/v1/principals/oa-inspector/key", 200)
    await call("POST", "/v1/principals/oa-inspector/revocation", 200, json={"reason": "tested"})
    await call("GET", "/v1/cases", 401, headers={"Authorization": f"Bearer {created['key']}"})  # revoked
    await call("GET", "/v1/cases", 401, headers={"Authorization": "Basic dGVzdDp0ZXN0"})
    source = (
        await call(
            "POST", "/v1/principals", 201, json={"name": "oa-source", "grants": [{"role": "source", "source": "urn:x"}]}
        )
    ).json()
    await call("GET", "/v1/cases", 403, headers={"Authorization": f"Bearer {source['key']}"})

    # -- the app's own
    assert (await call("GET", "/healthz", 200)).json() == {"status": "ok", "role": "all"}
    assert (await call("GET", "/readyz", 200)).json() == {"status": "ready"}
    await call("GET", "/v1/ledger/health", 200)
    assert "esledger_append_seconds_count" in (await call("GET", "/metrics", 200)).text
    for slug in TYPES:
        await call("GET", f"/problems/{slug}", 200)
    await call("GET", "/problems/no-such-problem", 404)

    assert call.succeeded() == {(m, p) for m, p, _ in operations(document)}, "operations never exercised"


async def _refused_posts(call: Conformance, first: dict[str, Any]) -> None:
    """Every refusal of a post the ledger can answer, but a database that is down (see below)."""
    await call("POST", "/v1/events", 415, content=body(first), headers={"Content-Type": "text/plain"})
    await call("POST", "/v1/events", 400, content=b"{not json", headers=CE)
    await call("POST", "/v1/events", 400, content=body(first), headers=CE | {"If-Match": "soon"})
    await call("POST", "/v1/events", 413, content=b" " * (Settings().max_body_bytes + 1), headers=CE)
    await call("POST", "/v1/events", 422, content=body({"specversion": "1.0"}), headers=CE)
    await call("POST", "/v1/events", 422, content=body(ce("grievance.imagined", "GR-OA-9", {})), headers=CE)
    await call("POST", "/v1/events", 422, content=body(accepted("GR-OA-NOWHERE")), headers=CE)
    await call("POST", "/v1/events", 422, content=body(accepted("IN-2026-0042")), headers=CE)
    await call("POST", "/v1/events", 409, content=body(received("GR-2026-0917")), headers=CE)
    changed = first | {"data": first["data"] | {"summary": "另一内容"}}
    await call("POST", "/v1/events", 409, content=body(changed), headers=CE)
    await call("POST", "/v1/events", 412, content=body(accepted("GR-2026-0917")), headers=CE | {"If-Match": "1"})
    await call("POST", "/v1/events:batch", 415, content=body([first]), headers=CE)
    await call("POST", "/v1/events:batch", 400, content=body([first]), headers=BATCH | {"If-Match": "1"})
    await call("POST", "/v1/events:batch", 422, content=body({"not": "an array"}), headers=BATCH)
    await call("POST", "/v1/events:batch", 409, content=body([changed]), headers=BATCH)


@pytest.fixture
async def unavailable(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, System]]:
    """The whole app over a database that does not answer, reporting unexpected errors as answers."""
    system = bootstrap(Settings(database_url=UNREACHABLE, dev_key_file=tmp_path / "dev.key"), follow=False)
    transport = httpx.ASGITransport(app=create_app(system), raise_app_exceptions=False)
    key = bearer("esl_someone.1_" + "A" * 43)  # looked up in the database to be checked
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=key) as client:
        yield client, system


@pytest.mark.postgres
async def test_503_is_declared_exactly_where_the_database_is_used(
    unavailable: tuple[httpx.AsyncClient, System], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every operation that reads or writes the database answers 503 database-unavailable when it does not
    answer, and declares it; the others do not declare it. An unexpected failure is the declared default."""
    client, system = unavailable
    document = (await client.get("/openapi.json")).json()
    call = Conformance(client, document)
    stored = [
        ("POST", "/v1/events", {"content": body(received("GR-OA-D")), "headers": CE}),
        ("POST", "/v1/events:batch", {"content": body([received("GR-OA-D")]), "headers": BATCH}),
        ("GET", "/v1/events", {}),
        ("GET", "/v1/cases/GR-OA-D/events", {}),
        ("GET", "/v1/cases/GR-OA-D/events/1", {}),
        ("POST", "/v1/cases/GR-OA-D/erasures", {"json": {"target_version": 1, "pointer": "/data/x", "reason": "r"}}),
        ("GET", "/v1/access-log", {}),
        ("GET", "/v1/checkpoints/latest", {}),
        ("GET", "/v1/checkpoints", {}),
        ("POST", "/v1/checkpoints", {}),
        ("GET", "/v1/proofs/inclusion?position=1", {}),
        ("GET", "/v1/proofs/consistency?from=1&to=1", {}),
        ("GET", "/v1/log/checkpoint", {}),
        ("GET", "/v1/log/published", {}),
        ("GET", "/v1/log/tile/0/000", {}),
        ("GET", "/v1/log/tile/entries/000", {}),
        ("GET", "/v1/cases/GR-OA-D/bundle", {}),
        ("GET", "/v1/cases", {}),
        ("GET", "/v1/cases/GR-OA-D", {}),
        ("GET", "/v1/cases/GR-OA-D/replay", {}),
        ("GET", "/v1/deadlines", {}),
        ("GET", "/v1/findings", {}),
        ("GET", "/v1/statistics", {}),
        ("GET", "/v1/projections/health", {}),
        ("GET", "/v1/log/health", {}),
        ("GET", "/v1/ledger/health", {}),
        ("GET", "/metrics", {}),
        ("GET", "/v1/me", {}),
        ("GET", "/v1/principals", {}),
        ("POST", "/v1/principals", {"json": {"name": "x", "grants": []}}),
        ("GET", "/v1/principals/x", {}),
        ("PUT", "/v1/principals/x/grants", {"json": {"grants": []}}),
        ("POST", "/v1/principals/x/key", {}),
        ("POST", "/v1/principals/x/revocation", {"json": {"reason": "r"}}),
    ]
    for method, url, kwargs in stored:
        response = await call(method, url, 503, **kwargs)
        assert response.json()["type"] == "/problems/database-unavailable" and response.headers["Retry-After"]
    await call("GET", "/v1/schemas", 200)
    await call("GET", "/v1/schemas/urn:zfjd:schema:envelope:1", 200)
    await call("GET", "/v1/checkpoints/key", 200)
    await call("GET", "/problems/not-found", 200)
    await call("GET", "/healthz", 200)
    assert (await call("GET", "/readyz", 503)).json()["detail"] == "not ready"  # and no cause: it is public
    declared = {(m, p) for m, p, op in operations(document) if "503" in op["responses"]}
    assert {(m, p) for m, p, status in call.answered if status == 503} == declared

    monkeypatch.setattr(system.sequencer, "signer", None)
    failed = await call("GET", "/v1/checkpoints/key", 500)
    assert failed.json()["type"] == "/problems/internal-error"
