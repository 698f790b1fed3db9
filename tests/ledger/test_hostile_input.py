"""Input that must never hurt the ledger (issue 12): each is refused with a problem naming the field and the
rule, and nothing is stored. Envelope version 2's identifier grammar, I-JSON (RFC 7493: no duplicate member
names), bounded depth and instants, no NUL or text-altering control character anywhere, and ECMA-262
pattern anchors (Python's ``$`` would admit a trailing newline)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
import pytest
from httpx import AsyncClient

from esledger.core.ijson import MAX_DEPTH
from esledger.core.patterns import ecma_search
from tests.helpers import BATCH, CE, body, nothing_stored, received


async def refused(client: AsyncClient, content: bytes, *, path: str = "/v1/events") -> list[dict[str, Any]]:
    """Post the bytes; assert a 422 problem that stored nothing, and return its errors."""
    response = await client.post(path, content=content, headers=CE if path == "/v1/events" else BATCH)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await nothing_stored(client)
    return response.json()["errors"]


def pairs(errors: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(e["pointer"], e["rule"]) for e in errors}


DECEIVING_IDS = {
    "bidi override": "GR-2026-\u202e7190",
    "zero-width space": "GR-2026-\u200b0917",
    "zero-width joiner": "GR-2026-0917\u200d",
    "byte order mark": "\ufeffGR-2026-0917",
    "C1 control": "GR-2026-\u00850917",
    "line separator": "GR-2026-0917\u2028",
    "trailing newline": "GR-2026-0917\n",
    "Cyrillic look-alike": "GR-2026-0917".replace("R", "\u0420"),
    "fullwidth look-alike": "ＧR-2026-0917",
    "dot": ".",
    "dot dot": "..",
    "whitespace only": "   ",
    "inner space": "GR 2026",
    "backslash": "GR\\2026",
    "slash": "GR/2026",
    "too long": "G" * 129,
}


@pytest.mark.parametrize("name", sorted(DECEIVING_IDS))
async def test_a_case_id_that_deceives_is_refused(client: AsyncClient, name: str) -> None:
    errors = await refused(client, body(received(DECEIVING_IDS[name])))
    assert pairs(errors) & {("#/subject", rule) for rule in ("pattern", "maxLength", "character")}, errors


@pytest.mark.parametrize("name", ["bidi override", "zero-width space", "trailing newline", "Cyrillic look-alike"])
async def test_an_event_id_that_deceives_is_refused(client: AsyncClient, name: str) -> None:
    errors = await refused(client, body(received("GR-ID-1", id=DECEIVING_IDS[name])))
    assert pairs(errors) & {("#/id", "pattern"), ("#/id", "character")}, errors


async def test_a_chinese_case_number_is_a_valid_case_id_and_readable_by_its_url(client: AsyncClient) -> None:
    """The grammar admits CJK ideographs and 〔〕, as in a document-style case number."""
    case_id = "荆政数监〔2026〕3号"
    response = await client.post("/v1/events", content=body(received(case_id)), headers=CE)
    assert response.status_code == 201, response.text
    timeline = await client.get(f"/v1/cases/{quote(case_id, safe='')}/events")
    assert [r["event"]["subject"] for r in timeline.json()["records"]] == [case_id]


@pytest.mark.parametrize(
    "source", ["urn:zfjd:source:x\u202e", "a source with spaces", "urn:zfjd:src:\u00e4", "\\\\host"]
)
async def test_source_must_be_a_uri_reference(client: AsyncClient, source: str) -> None:
    errors = await refused(client, body(received("GR-SRC-1", source=source)))
    assert pairs(errors) & {("#/source", "format"), ("#/source", "character")}, errors


@pytest.mark.parametrize(
    "time",
    ["0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59Z", "2000-01-01T07:59:59+08:00"],
)
async def test_an_instant_before_2000_is_refused(client: AsyncClient, time: str) -> None:
    """The poison of issue 12: a year-1 instant was stored and broke every list; now refused, compared as an
    instant whatever its offset (2000-01-01T07:59:59+08:00 is 1999-12-31T23:59:59Z)."""
    assert pairs(await refused(client, body(received("GR-T-1", time=time)))) == {("#/time", "time-range")}


async def test_the_first_instant_of_2000_is_admitted(client: AsyncClient) -> None:
    response = await client.post(
        "/v1/events", content=body(received("GR-T-2", time="2000-01-01T08:00:00+08:00")), headers=CE
    )
    assert response.status_code == 201, response.text


def nested(depth: int) -> str:
    """JSON text of objects nested ``depth`` deep (as text: encoders refuse to write it)."""
    return '{"x":' * depth + '"深"' + "}" * depth


@pytest.mark.parametrize("where", ["data", "ext"])
async def test_nesting_beyond_the_limit_is_refused_not_a_crash(client: AsyncClient, where: str) -> None:
    """About 1,000 deep (within the parser's own limit) once answered 500 from recursive checks."""
    event = received("GR-DEEP-1")
    if where == "data":
        event["data"]["summary"] = "@@"
    else:
        event["ext"] = "@@"
    (error,) = await refused(client, body(event).replace(b'"@@"', nested(1000).encode()))
    assert error["rule"] == "max-depth" and error["pointer"].startswith(f"#/{where}/")
    assert error["pointer"].count("/") == MAX_DEPTH + 1


async def test_nesting_beyond_the_parsers_own_limit_is_malformed_json(client: AsyncClient) -> None:
    content = b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = await client.post("/v1/events", content=content, headers=CE)
    assert response.status_code == 400 and response.json()["type"] == "/problems/malformed-json"
    assert await nothing_stored(client)


async def test_duplicate_member_names_are_refused_with_their_pointer(client: AsyncClient) -> None:
    """RFC 7493 §2.3: another parser could read the first summary while the ledger hashed the second."""
    text = body(received("GR-DUP-1")).decode()
    content = text.replace('"summary":', '"summary":"第一个","summary":', 1).encode()
    assert orjson.loads(content)["data"]["summary"] != "第一个"  # what a last-wins parser would store
    assert pairs(await refused(client, content)) == {("#/data/summary", "duplicate-name")}


async def test_duplicate_member_names_in_a_batch_name_the_event(client: AsyncClient) -> None:
    first, second = body(received("GR-DUP-2")).decode(), body(received("GR-DUP-3")).decode()
    second = second.replace('"subject":', '"subject":"GR-DUP-4","subject":', 1)
    content = f"[{first},{second}]".encode()
    assert pairs(await refused(client, content, path="/v1/events:batch")) == {("#/1/subject", "duplicate-name")}


@pytest.mark.parametrize(
    ("text", "code"),
    [("a\u0000b", "U+0000 (NUL)"), ("a\u001bb", "U+001B"), ("a\u202eb", "U+202E"), ("a\u2029b", "U+2029")],
)
async def test_a_control_character_in_any_string_is_refused(client: AsyncClient, text: str, code: str) -> None:
    event = received("GR-CTL-1")
    event["data"]["complainant"]["name"] = text
    (error,) = [e for e in await refused(client, body(event)) if e["rule"] == "character"]
    assert error["pointer"] == "#/data/complainant/name" and code in error["detail"]


async def test_free_text_keeps_its_line_breaks_and_tabs(client: AsyncClient) -> None:
    event = received("GR-CTL-2")
    event["data"]["summary"] = "第一行\r\n第二行\t缩进"
    response = await client.post("/v1/events", content=body(event), headers=CE)
    assert response.status_code == 201, response.text


async def test_a_data_pattern_does_not_admit_a_trailing_newline(client: AsyncClient) -> None:
    """JSON Schema patterns are ECMA-262: `$` is the end of input. An extension attribute's name and a data
    field constrained by a pattern both refuse a trailing newline that Python's `$` would admit."""
    event = received("GR-NL-1")
    event["ext\n"] = "x"
    assert ("#/ext\n", "additionalProperties") in pairs(await refused(client, body(event)))


def test_patterns_read_dollar_as_the_end_of_input() -> None:
    """ECMA-262 `$` (no multiline flag); an escaped `\\$` and a `$` inside a class stay literal dollars."""
    assert ecma_search("^[a-z]+$", "abc") and not ecma_search("^[a-z]+$", "abc\n")
    assert ecma_search("^a\\$$", "a$") and not ecma_search("^a\\$$", "a$\n")
    assert ecma_search("^[$]+$", "$$") and not ecma_search("^[$]+$", "$$\n")
