"""Posting CloudEvents from files to a running ledger: the engine behind ``esledger post`` and ``demo``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson


class Refused(Exception):
    """The ledger refused the credential (or its rights) on the first event: posting the rest is pointless."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail", ""))
        self.status = status
        self.problem = problem


@dataclass
class Summary:
    accepted: int = 0
    duplicate: int = 0
    rejected: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


def read_events(text: bytes, name: str) -> list[Any]:
    """A JSON array, a single JSON object, or JSONL (one event per line, blank lines ignored)."""
    stripped = text.strip()
    if stripped.startswith(b"["):
        return list(orjson.loads(stripped))
    try:
        return [orjson.loads(stripped)]
    except orjson.JSONDecodeError:
        pass
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                events.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{name}:{number}: not JSON ({exc})") from None
    return events


DEMO_LOADER = "demo-loader"
"""The source principal ``esledger demo`` registers (with an admin key) to post the examples as."""


def auth(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


async def poster_key(client: httpx.AsyncClient, key: str | None) -> str | None:
    """The key to post with: a key that may post is used as it is; an administrator's key that may not gets the
    demo's own source principal (registered, or its key rotated, so a fresh key is at hand). ``client``
    carries ``key``; the console passes one bound to the service in-process, the CLI one over the network."""
    me = await client.get("/v1/me")
    if me.status_code != 200 or "source" in me.json()["roles"] or "admin" not in me.json()["roles"]:
        return key
    grants = [{"role": "source", "source": "*"}]
    answer = await client.post(
        "/v1/principals", json={"name": DEMO_LOADER, "display_name": "esledger demo", "grants": grants}
    )
    if answer.status_code == 400:  # registered by an earlier demo: a fresh key
        answer = await client.post(f"/v1/principals/{DEMO_LOADER}/key")
    answer.raise_for_status()
    return str(answer.json()["key"])


async def post_events(
    client: httpx.AsyncClient,
    events: Iterable[tuple[str, Any]],
    on_each: Callable[[], None] = lambda: None,
) -> Summary:
    """Post each event on its own (so one bad event does not hold back the others) and tally the answers;
    ``client`` carries the poster's key.

    ``events`` yields (label, event) pairs; the label says where a rejected event came from.
    """
    summary = Summary()
    for label, event in events:
        response = await client.post(
            "/v1/events", content=orjson.dumps(event), headers={"Content-Type": "application/cloudevents+json"}
        )
        if response.status_code in (401, 403) and not (summary.accepted or summary.duplicate):
            raise Refused(response.status_code, _problem(response))
        if response.status_code == 201:
            summary.accepted += 1
        elif response.status_code == 200:
            summary.duplicate += 1
        else:
            summary.rejected.append((label, response.status_code, _problem(response)))
        on_each()
    return summary


def labelled(path_events: Iterable[tuple[str, list[Any]]]) -> Iterator[tuple[str, Any]]:
    for name, events in path_events:
        for index, event in enumerate(events, start=1):
            yield f"{name}#{index}", event


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:500]}
    return body if isinstance(body, dict) else {"detail": body}
